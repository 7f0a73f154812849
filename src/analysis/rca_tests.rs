//! The ranking's principles on small synthetic worlds: `web` calls `cart`, `pay` and `recs`, two hours of
//! per-minute telemetry, and one fault.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::*;
use crate::model::{MetricKind, RecordId, Resource, Span, SpanKind};

const MINUTES: i64 = 120;
const T0: i64 = 1_790_000_000 / 60 * 60;

fn at(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(T0 + minute * 60, 0).unwrap()
}

fn resource(svc: &str, region: &str) -> Arc<Resource> {
    Arc::new(Resource { service: Some(svc.into()), region: Some(region.into()), ..Resource::default() })
}

/// One client span a minute from `web` to each callee, in each region.
fn spans() -> Vec<Span> {
    let mut out = Vec::new();
    for m in 0..MINUTES {
        for (k, callee) in ["cart", "pay", "recs"].iter().enumerate() {
            for region in ["eu-west-1", "us-east-1"] {
                let mut attributes = Map::new();
                attributes.insert("peer.service".into(), Value::String((*callee).into()));
                out.push(Span {
                    id: RecordId(out.len() as u128),
                    trace_id: format!("t{m}{k}{region}"),
                    span_id: format!("s{m}{k}{region}"),
                    parent_span_id: None,
                    name: "call".into(),
                    kind: SpanKind::Client,
                    start: at(m),
                    end: at(m) + Duration::milliseconds(20),
                    error: false,
                    status_message: None,
                    resource: resource("web", region),
                    attributes,
                });
            }
        }
    }
    out
}

/// A per-minute gauge of `svc` in `region`: `base` with a small wobble, `value(minute)` from minute `from` on.
fn gauge(svc: &str, region: &str, name: &str, base: f64, from: i64, value: impl Fn(i64) -> f64) -> Vec<MetricPoint> {
    (0..MINUTES)
        .map(|m| {
            let labels: BTreeMap<String, String> = [("service", svc), ("region", region), ("host", "h1")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let wobble = base * 0.02 * ((m * 7 % 5) as f64 - 2.0) / 2.0;
            MetricPoint {
                name: name.into(),
                unit: String::new(),
                kind: MetricKind::Gauge,
                timestamp: at(m),
                value: if m >= from { value(m) } else { base + wobble },
                count: None,
                sum: None,
                labels,
            }
        })
        .collect()
}

fn log(svc: &str, region: &str, minute: i64, severity: Severity, body: &str, attrs: &[(&str, &str)]) -> LogRecord {
    let mut attributes = Map::new();
    for (k, v) in attrs {
        attributes.insert((*k).into(), Value::String((*v).into()));
    }
    LogRecord {
        id: RecordId(0),
        timestamp: at(minute) + Duration::seconds(10),
        severity,
        body: body.into(),
        time_span: None,
        resource: resource(svc, region),
        trace_id: None,
        span_id: None,
        attributes,
    }
}

fn root_of(logs: &[LogRecord], metrics: &[MetricPoint], regions: &[&str], asked_at: i64) -> Option<String> {
    let topo = Topology::from_spans(&spans());
    let signals = Signals::compute(logs, metrics, &topo);
    let group = AlertGroup::asked(["web".to_string()], regions.iter().map(|r| r.to_string()), at(asked_at));
    let ranking = rank(&group, &[], &signals, &topo, &RcaConfig::default());
    ranking.root().map(|c| c.service.clone())
}

#[test]
fn a_service_whose_pods_are_oomkilled_is_the_cause_over_the_caller_that_fails_first() {
    // The caller's errors show a minute before the first kill: memory was already climbing.
    let mut metrics = gauge("web", "eu-west-1", "http.server.request.error_rate", 0.001, 89, |_| 0.3);
    metrics.extend(gauge("cart", "eu-west-1", "process.memory.usage", 4e8, 87, |m| 4e8 + (m - 86) as f64 * 1.5e8));
    let logs: Vec<LogRecord> = (90..110)
        .step_by(3)
        .map(|m| {
            let body =
                format!("Container cart in pod cart-5d4f8b-x2kqp was OOMKilled (exit code 137), restartCount={m}");
            log("cart", "eu-west-1", m, Severity::Warn, &body, &[("k8s.event.reason", "OOMKilling")])
        })
        .collect();
    assert_eq!(root_of(&logs, &metrics, &[], 92).as_deref(), Some("cart"));
    // Without the platform's word and the memory, the caller's own errors are all there is.
    let caller_only = gauge("web", "eu-west-1", "http.server.request.error_rate", 0.001, 89, |_| 0.3);
    assert_eq!(root_of(&[], &caller_only, &[], 92).as_deref(), Some("web"));
}

#[test]
fn errors_at_a_steady_rate_before_and_after_the_onset_do_not_make_a_cause() {
    // `recs` logs two errors every minute all day; `pay` starts failing at minute 90.
    let mut logs: Vec<LogRecord> = (0..MINUTES)
        .flat_map(|m| {
            (0..2).map(move |_| log("recs", "eu-west-1", m, Severity::Error, "recs: upstream model timeout", &[]))
        })
        .collect();
    logs.extend((90..MINUTES).flat_map(|m| {
        (0..8).map(move |_| log("pay", "eu-west-1", m, Severity::Error, "charge failed: card processor refused", &[]))
    }));
    let metrics = gauge("pay", "eu-west-1", "http.server.request.error_rate", 0.002, 90, |_| 0.4);
    assert_eq!(root_of(&logs, &metrics, &[], 95).as_deref(), Some("pay"));
    let topo = Topology::from_spans(&spans());
    let signals = Signals::compute(&logs, &metrics, &topo);
    assert!(signals.of("recs").iter().all(|s| s.onset < at(30)), "a steady rate is no news: {:?}", signals.of("recs"));
}

#[test]
fn a_fault_confined_to_one_region_is_the_cause_there_and_not_elsewhere() {
    // `cart` fails in eu-west-1 only; `pay` has an unrelated, bigger problem in us-east-1 at the same time.
    let mut metrics = gauge("cart", "eu-west-1", "http.server.request.duration.p99", 0.05, 90, |_| 1.5);
    metrics.extend(gauge("pay", "us-east-1", "http.server.request.duration.p99", 0.05, 89, |_| 4.0));
    metrics.extend(gauge("cart", "us-east-1", "http.server.request.duration.p99", 0.05, MINUTES, |_| 0.05));
    assert_eq!(root_of(&[], &metrics, &["eu-west-1"], 95).as_deref(), Some("cart"));
    assert_eq!(root_of(&[], &metrics, &["us-east-1"], 95).as_deref(), Some("pay"));
}

#[test]
fn an_error_rate_reads_as_a_share_and_a_one_percent_rise_counts() {
    assert!(meaningful("http.server.request.error_rate", false, 0.0, 0.02));
    assert!(!meaningful("http.server.request.error_rate", false, 0.0, 0.004));
    assert!(!meaningful("system.cpu.utilization", false, 0.40, 0.42));
    let s = Signal {
        service: "pay".into(),
        region: None,
        what: "http.server.request.error_rate".into(),
        onset: at(90),
        end: None,
        baseline: 0.0,
        observed: 0.57,
        score: 10.0,
        evidence: None,
    };
    assert!(describe(&s).contains("from 0% to 57%"), "{}", describe(&s));
}

#[test]
fn quantiles_and_means_from_prometheus_histograms_read_as_durations() {
    let s = |what: &str| Signal {
        service: "pay".into(),
        region: None,
        what: what.into(),
        onset: at(90),
        end: None,
        baseline: 0.12,
        observed: 2.5,
        score: 10.0,
        evidence: None,
    };
    for what in ["http_server_requests_seconds.p99", "http_server_requests_seconds.mean", "http.server.duration"] {
        assert!(describe(&s(what)).contains("from 120ms to 2.5s"), "{}", describe(&s(what)));
    }
}
