//! Kubernetes events found in logs, as signals of the service whose pods they concern.
//!
//! A container killed for running out of memory, a pod in crash-loop back-off, an eviction or a failing probe is
//! the platform saying that a service is failing on its own: its callers' errors are the symptom. These events
//! arrive as log records (an event exporter, or the kubelet's own lines), named by the event's `reason` attribute
//! or only in the text. Rolling deploys kill pods too, so a plain `Killing` is not read as a failure.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::model::{workload_name, LogRecord};

/// What happened to a pod, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodEvent {
    OomKilled,
    CrashLoop,
    Evicted,
    Unhealthy,
}

impl PodEvent {
    /// How the signal reads.
    pub fn what(self) -> &'static str {
        match self {
            PodEvent::OomKilled => "pods OOMKilled",
            PodEvent::CrashLoop => "pods in crash-loop back-off",
            PodEvent::Evicted => "pods evicted",
            PodEvent::Unhealthy => "pods failing health probes",
        }
    }

    /// A probe that fails now and then is common noise; a kill, a crash loop or an eviction is not.
    pub fn score(self) -> f64 {
        match self {
            PodEvent::OomKilled | PodEvent::CrashLoop => 40.0,
            PodEvent::Evicted => 30.0,
            PodEvent::Unhealthy => 12.0,
        }
    }

    /// Compared without allocating: this runs on every word of every log line an analysis reads.
    fn from_word(w: &str) -> Option<Self> {
        let is = |s: &str| w.eq_ignore_ascii_case(s);
        let prefix = "oomkill";
        if w.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix)) || is("outofmemory") {
            Some(PodEvent::OomKilled)
        } else if is("crashloopbackoff") || is("backoff") {
            Some(PodEvent::CrashLoop)
        } else if is("evicted") {
            Some(PodEvent::Evicted)
        } else if is("unhealthy") {
            Some(PodEvent::Unhealthy)
        } else {
            None
        }
    }
}

/// Attributes an event exporter puts the event's reason under.
const REASON_KEYS: [&str; 3] = ["k8s.event.reason", "event.reason", "reason"];

/// The pod event a log record reports, if any: its reason attribute, else the words of its text.
pub fn pod_event(l: &LogRecord) -> Option<PodEvent> {
    let reason = REASON_KEYS.iter().find_map(|k| l.attributes.get(*k).and_then(|v| v.as_str()));
    if let Some(r) = reason {
        return PodEvent::from_word(r);
    }
    let body = &l.body;
    if body.contains("Back-off restarting failed container") {
        return Some(PodEvent::CrashLoop);
    }
    if body.contains("probe failed") && (body.contains("Liveness") || body.contains("Readiness")) {
        return Some(PodEvent::Unhealthy);
    }
    body.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).find_map(PodEvent::from_word)
}

/// The service an event concerns: the pod's workload when it is a known service (an event exporter logs for every
/// pod under its own name), else the service that logged it.
fn service_of(l: &LogRecord, known: &BTreeSet<String>) -> Option<String> {
    let pod = ["k8s.pod.name", "k8s.deployment.name", "pod"]
        .iter()
        .find_map(|k| l.attributes.get(*k).and_then(|v| v.as_str()))
        .map(|p| workload_name(p).to_ascii_lowercase());
    pod.filter(|p| known.contains(p)).or_else(|| l.resource.service.as_ref().map(|s| s.to_ascii_lowercase()))
}

/// One run of pod events of a service in a region: from the first to the last, with no gap longer than `QUIET`.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    pub service: String,
    pub region: Option<String>,
    pub event: PodEvent,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub count: u64,
}

/// Events further apart than this are separate episodes.
const QUIET_SECS: i64 = 30 * 60;

/// The bursts of pod events in `logs`, per service, region and kind of event, in time order.
pub fn bursts(logs: &[LogRecord], known: &BTreeSet<String>) -> Vec<Burst> {
    let mut by_key: BTreeMap<(String, Option<String>, PodEvent), Vec<DateTime<Utc>>> = BTreeMap::new();
    for l in logs {
        let Some(ev) = pod_event(l) else { continue };
        let Some(svc) = service_of(l, known) else { continue };
        let region = l.resource.region.clone();
        by_key.entry((svc, region, ev)).or_default().push(l.timestamp);
    }
    let mut out = Vec::new();
    for ((service, region, event), mut times) in by_key {
        times.sort();
        let mut cur: Option<Burst> = None;
        for t in times {
            match cur.as_mut() {
                Some(b) if (t - b.last).num_seconds() <= QUIET_SECS => {
                    b.last = t;
                    b.count += 1;
                }
                _ => {
                    out.extend(cur.take());
                    cur = Some(Burst {
                        service: service.clone(),
                        region: region.clone(),
                        event,
                        first: t,
                        last: t,
                        count: 1,
                    });
                }
            }
        }
        out.extend(cur);
    }
    out.sort_by_key(|b| b.first);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{RecordId, Resource, Severity};

    fn log(service: &str, at_min: i64, body: &str, attrs: &[(&str, &str)]) -> LogRecord {
        let mut attributes = serde_json::Map::new();
        for (k, v) in attrs {
            attributes.insert((*k).into(), serde_json::Value::String((*v).into()));
        }
        LogRecord {
            id: RecordId(0),
            timestamp: DateTime::from_timestamp(at_min * 60, 0).unwrap(),
            severity: Severity::Warn,
            body: body.into(),
            time_span: None,
            resource: Arc::new(Resource { service: Some(service.into()), ..Resource::default() }),
            trace_id: None,
            span_id: None,
            attributes,
        }
    }

    #[test]
    fn events_are_read_from_the_reason_or_the_text_and_a_rolling_kill_is_not_one() {
        let by_reason = log("cart", 1, "container restarted", &[("k8s.event.reason", "OOMKilling")]);
        assert_eq!(pod_event(&by_reason), Some(PodEvent::OomKilled));
        let in_text = log("cart", 1, "Container cart was OOMKilled (exit code 137)", &[]);
        assert_eq!(pod_event(&in_text), Some(PodEvent::OomKilled));
        let backoff = log("cart", 1, "Back-off restarting failed container cart in pod cart-5d4f-abcde", &[]);
        assert_eq!(pod_event(&backoff), Some(PodEvent::CrashLoop));
        let probe = log("cart", 1, "Readiness probe failed: HTTP probe failed with statuscode: 503", &[]);
        assert_eq!(pod_event(&probe), Some(PodEvent::Unhealthy));
        // Any case, as exporters and kubectl print them.
        assert_eq!(pod_event(&log("cart", 1, "Warning BackOff pod/cart-5d4f", &[])), Some(PodEvent::CrashLoop));
        assert_eq!(pod_event(&log("cart", 1, "pod EVICTED: node low on memory", &[])), Some(PodEvent::Evicted));
        assert_eq!(pod_event(&log("cart", 1, "oomkill", &[])), Some(PodEvent::OomKilled));
        assert_eq!(pod_event(&log("cart", 1, "oomkil", &[])), None);
        let rolling = log("cart", 1, "Stopping container cart", &[("k8s.event.reason", "Killing")]);
        assert_eq!(pod_event(&rolling), None);
        assert_eq!(pod_event(&log("cart", 1, "request served in 12ms", &[])), None);
    }

    #[test]
    fn an_event_exporter_s_lines_count_for_the_pod_s_service_and_quiet_gaps_split_bursts() {
        let known: BTreeSet<String> = ["delivery".to_string()].into();
        let logs = vec![
            log("k8s-events", 10, "x", &[("reason", "OOMKilled"), ("k8s.pod.name", "delivery-5bwkh4bn77-fpxl4")]),
            log("k8s-events", 14, "x", &[("reason", "OOMKilled"), ("k8s.pod.name", "delivery-5bwkh4bn77-ng2cs")]),
            log("k8s-events", 90, "x", &[("reason", "OOMKilled"), ("k8s.pod.name", "delivery-5bwkh4bn77-ng2cs")]),
        ];
        let b = bursts(&logs, &known);
        assert_eq!(b.len(), 2);
        assert!(b.iter().all(|b| b.service == "delivery" && b.event == PodEvent::OomKilled));
        assert_eq!((b[0].count, b[1].count), (2, 1));
        assert_eq!(b[0].first.timestamp(), 600);
    }
}
