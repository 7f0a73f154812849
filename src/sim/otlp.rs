//! Writes a scenario the way real systems would hand it over: OTLP/JSON lines as the
//! OpenTelemetry Collector's file exporter writes them, Alertmanager's `GET /api/v2/alerts`
//! array (plus webhook notifications for the episodes it no longer lists), and the
//! ground truth next to, not among, the telemetry so `firewatch ingest DIR/telemetry`
//! never reads it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::{MetricStyle, Scenario};
use crate::model::{Alert, AlertStatus, MetricKind, MetricPoint, Resource};

/// Records per exported line, as a collector batch processor would send them.
const BATCH: usize = 256;
const SCOPE: &str = "firewatch-sim";
const BOUNDS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

/// Writes `DIR/telemetry/{logs,traces,metrics}.jsonl`, `DIR/telemetry/alerts.json`,
/// `DIR/telemetry/alerts-history.jsonl` and `DIR/truth.json`; returns their paths.
pub fn write_files(s: &Scenario, dir: &Path) -> io::Result<Vec<PathBuf>> {
    let tel = dir.join("telemetry");
    std::fs::create_dir_all(&tel)?;
    let mut out = Vec::new();

    let p = tel.join("logs.jsonl");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&p)?);
    write_logs(&mut w, &s.logs)?;
    w.flush()?;
    out.push(p);

    let p = tel.join("traces.jsonl");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&p)?);
    write_spans(&mut w, &s.spans)?;
    w.flush()?;
    out.push(p);

    let p = tel.join("metrics.jsonl");
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&p)?);
    write_metrics(&mut w, s, &s.metrics)?;
    w.flush()?;
    out.push(p);

    // The API lists each alert once, in its latest state; earlier episodes of flapping
    // alerts went out as resolved webhook notifications.
    let mut last: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, a) in s.alerts.iter().enumerate() {
        last.insert(&a.fingerprint, i);
    }
    let mut history = Vec::new();
    let mut current = Vec::new();
    for (i, a) in s.alerts.iter().enumerate() {
        if last.get(a.fingerprint.as_str()) == Some(&i) {
            current.push(api_alert(a));
        } else {
            history.push(webhook(a));
        }
    }
    let p = tel.join("alerts-history.jsonl");
    let mut w = BufWriter::new(File::create(&p)?);
    for h in &history {
        serde_json::to_writer(&mut w, h)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    out.push(p);

    let p = tel.join("alerts.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&current)?)?;
    out.push(p);

    let p = dir.join("truth.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&s.truth)?)?;
    out.push(p);
    Ok(out)
}

/// The telemetry of `[from, to)` as it would arrive then: OTLP/JSON lines of logs, traces
/// and metrics, and Alertmanager webhook notifications of the alerts that fired or
/// resolved in the window (an alert that resolves later is still firing at `to`). Each
/// is one input, named as `write_files` names its files.
pub fn encode_window(s: &Scenario, from: DateTime<Utc>, to: DateTime<Utc>) -> io::Result<Vec<(&'static str, Vec<u8>)>> {
    let within = |t: DateTime<Utc>| t >= from && t < to;
    let mut out = Vec::new();
    let logs: Vec<_> = s.logs.iter().filter(|l| within(l.timestamp)).cloned().collect();
    let mut buf = Vec::new();
    write_logs(&mut buf, &logs)?;
    out.push(("logs.jsonl", buf));
    let spans: Vec<_> = s.spans.iter().filter(|x| within(x.start)).cloned().collect();
    let mut buf = Vec::new();
    write_spans(&mut buf, &spans)?;
    out.push(("traces.jsonl", buf));
    let points: Vec<_> = s.metrics.iter().filter(|p| within(p.timestamp)).cloned().collect();
    let mut buf = Vec::new();
    write_metrics(&mut buf, s, &points)?;
    out.push(("metrics.jsonl", buf));
    let mut buf = Vec::new();
    for a in &s.alerts {
        let ends = a.ends_at.filter(|_| a.status == AlertStatus::Resolved);
        let update = if within(a.starts_at) && !ends.is_some_and(within) {
            // Fired in the window and still firing at its end.
            let mut firing = a.clone();
            firing.status = AlertStatus::Firing;
            firing.ends_at = None;
            Some(firing)
        } else if ends.is_some_and(within) {
            Some(a.clone())
        } else {
            None
        };
        if let Some(a) = update {
            serde_json::to_writer(&mut buf, &webhook(&a))?;
            buf.push(b'\n');
        }
    }
    out.push(("alerts-history.jsonl", buf));
    out.retain(|(_, b)| !b.is_empty());
    Ok(out)
}

fn write_batches<T>(w: &mut impl Write, records: &[T], line: impl Fn(&[T]) -> Value) -> io::Result<()> {
    for chunk in records.chunks(BATCH) {
        serde_json::to_writer(&mut *w, &line(chunk))?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

fn write_logs(w: &mut impl Write, logs: &[crate::model::LogRecord]) -> io::Result<()> {
    write_batches(w, logs, |recs| {
        json!({"resourceLogs": group(recs, |l| &l.resource).into_iter().map(|(res, ls)| json!({
            "resource": resource_json(res),
            "scopeLogs": [{"scope": {"name": SCOPE}, "logRecords": ls.iter().map(|l| log_json(l)).collect::<Vec<_>>()}],
        })).collect::<Vec<_>>()})
    })
}

fn write_spans(w: &mut impl Write, spans: &[crate::model::Span]) -> io::Result<()> {
    write_batches(w, spans, |recs| {
        json!({"resourceSpans": group(recs, |x| &x.resource).into_iter().map(|(res, ss)| json!({
            "resource": resource_json(res),
            "scopeSpans": [{"scope": {"name": SCOPE}, "spans": ss.iter().map(|x| span_json(x)).collect::<Vec<_>>()}],
        })).collect::<Vec<_>>()})
    })
}

/// Records grouped by resource, in order of first appearance.
fn group<T>(records: &[T], res: impl Fn(&T) -> &Arc<Resource>) -> Vec<(&Arc<Resource>, Vec<&T>)> {
    let mut groups: Vec<(&Arc<Resource>, Vec<&T>)> = Vec::new();
    for r in records {
        let key = res(r);
        match groups.iter_mut().find(|(k, _)| Arc::ptr_eq(k, key) || ***k == **key) {
            Some((_, v)) => v.push(r),
            None => groups.push((key, vec![r])),
        }
    }
    groups
}

fn nanos(t: DateTime<Utc>) -> String {
    t.timestamp_nanos_opt().unwrap_or(0).to_string()
}

fn any_value(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({"stringValue": s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n.as_f64().unwrap_or(0.0)}),
        Value::Array(a) => json!({"arrayValue": {"values": a.iter().map(any_value).collect::<Vec<_>>()}}),
        Value::Object(m) => json!({"kvlistValue": {"values": attributes(m)}}),
        Value::Null => json!({}),
    }
}

fn attributes(m: &Map<String, Value>) -> Vec<Value> {
    m.iter().map(|(k, v)| json!({"key": k, "value": any_value(v)})).collect()
}

fn resource_json(r: &Resource) -> Value {
    json!({"attributes": attributes(&r.attributes)})
}

fn log_json(l: &crate::model::LogRecord) -> Value {
    let mut o = json!({
        "timeUnixNano": nanos(l.timestamp),
        "observedTimeUnixNano": nanos(l.timestamp),
        "severityNumber": l.severity.number(),
        "severityText": l.severity.label(),
        "body": {"stringValue": l.body},
        "attributes": attributes(&l.attributes),
    });
    if let (Some(t), Some(s)) = (&l.trace_id, &l.span_id) {
        o["traceId"] = json!(t);
        o["spanId"] = json!(s);
        o["flags"] = json!(1);
    }
    o
}

fn span_json(s: &crate::model::Span) -> Value {
    let kind = match s.kind {
        crate::model::SpanKind::Unspecified => 0,
        crate::model::SpanKind::Internal => 1,
        crate::model::SpanKind::Server => 2,
        crate::model::SpanKind::Client => 3,
        crate::model::SpanKind::Producer => 4,
        crate::model::SpanKind::Consumer => 5,
    };
    let status = match (&s.error, &s.status_message) {
        (true, Some(m)) => json!({"code": 2, "message": m}),
        (true, None) => json!({"code": 2}),
        _ => json!({}),
    };
    let mut o = json!({
        "traceId": s.trace_id,
        "spanId": s.span_id,
        "flags": 257,
        "name": s.name,
        "kind": kind,
        "startTimeUnixNano": nanos(s.start),
        "endTimeUnixNano": nanos(s.end),
        "attributes": attributes(&s.attributes),
        "status": status,
    });
    if let Some(p) = &s.parent_span_id {
        o["parentSpanId"] = json!(p);
    }
    o
}

/// (service, region, host) as metric labels name a resource.
type ResourceKey = (String, String, String);

/// Metrics go out one line per minute, grouped by the resource their labels name.
fn write_metrics(w: &mut impl Write, s: &Scenario, metrics: &[MetricPoint]) -> io::Result<()> {
    let by_key: BTreeMap<(&str, &str, &str), &Arc<Resource>> = s
        .resources
        .iter()
        .map(|r| {
            let k = (
                r.service.as_deref().unwrap_or(""),
                r.region.as_deref().unwrap_or(""),
                r.host.as_deref().unwrap_or(""),
            );
            (k, r)
        })
        .collect();
    let mut start = 0;
    while start < metrics.len() {
        let t = metrics[start].timestamp;
        let mut end = start;
        while end < metrics.len() && metrics[end].timestamp == t && end - start < 4 * BATCH {
            end += 1;
        }
        let label = |p: &MetricPoint, k: &str| p.labels.get(k).cloned().unwrap_or_default();
        let mut groups: Vec<(ResourceKey, Vec<&MetricPoint>)> = Vec::new();
        for p in &metrics[start..end] {
            let key = (label(p, "service"), label(p, "region"), label(p, "host"));
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(p),
                None => groups.push((key, vec![p])),
            }
        }
        let rms: Vec<Value> = groups
            .iter()
            .map(|((svc, region, host), points)| {
                let res = by_key.get(&(svc.as_str(), region.as_str(), host.as_str()));
                let resource = match res {
                    Some(r) => resource_json(r),
                    None => json!({"attributes": [
                        {"key": "service.name", "value": {"stringValue": svc}},
                        {"key": "cloud.region", "value": {"stringValue": region}},
                        {"key": "host.name", "value": {"stringValue": host}},
                    ]}),
                };
                json!({
                    "resource": resource,
                    "scopeMetrics": [{"scope": {"name": SCOPE}, "metrics": points.iter().map(|p| metric_json(p, s.spec.variety.metrics)).collect::<Vec<_>>()}],
                })
            })
            .collect();
        serde_json::to_writer(&mut *w, &json!({"resourceMetrics": rms}))?;
        w.write_all(b"\n")?;
        start = end;
    }
    Ok(())
}

/// One point as its exporter writes it: histograms as explicit-bucket or exponential ones,
/// summaries with quantiles, sums with the temporality the scenario's style uses.
fn metric_json(p: &MetricPoint, style: MetricStyle) -> Value {
    // Resource labels are the resource's; the rest are point attributes.
    let attrs: Vec<Value> = p
        .labels
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "service" | "region" | "host"))
        .map(|(k, v)| json!({"key": k, "value": {"stringValue": v}}))
        .collect();
    let time = nanos(p.timestamp);
    let start = nanos(p.timestamp - chrono::Duration::seconds(60));
    let count = p.count.unwrap_or(0);
    let sum = p.sum.unwrap_or(0.0);
    match p.kind {
        MetricKind::Histogram if style == MetricStyle::ExponentialHistogram => {
            let (offset, counts) = exponential_buckets(count, p.value);
            json!({"name": p.name, "unit": p.unit, "exponentialHistogram": {"aggregationTemporality": 1, "dataPoints": [{
                "attributes": attrs,
                "startTimeUnixNano": start,
                "timeUnixNano": time,
                "count": count.to_string(),
                "sum": sum,
                "scale": EXP_SCALE,
                "zeroCount": "0",
                "positive": {"offset": offset, "bucketCounts": counts.iter().map(u64::to_string).collect::<Vec<_>>()},
            }]}})
        }
        MetricKind::Histogram => {
            // Legacy millisecond histograms use the same bounds in milliseconds.
            let scale = if p.unit == "ms" { 1000.0 } else { 1.0 };
            let bounds: Vec<f64> = BOUNDS.iter().map(|b| b * scale).collect();
            json!({"name": p.name, "unit": p.unit, "histogram": {"aggregationTemporality": 1, "dataPoints": [{
                "attributes": attrs,
                "startTimeUnixNano": start,
                "timeUnixNano": time,
                "count": count.to_string(),
                "sum": sum,
                "bucketCounts": buckets(count, p.value / scale).iter().map(u64::to_string).collect::<Vec<_>>(),
                "explicitBounds": bounds,
            }]}})
        }
        MetricKind::Summary => {
            // Quantiles of an exponential distribution with this mean.
            let q = |q: f64| json!({"quantile": q, "value": -p.value * (1.0 - q).ln()});
            json!({"name": p.name, "unit": p.unit, "summary": {"dataPoints": [{
                "attributes": attrs,
                "startTimeUnixNano": start,
                "timeUnixNano": time,
                "count": count.to_string(),
                "sum": sum,
                "quantileValues": [q(0.5), q(0.9), q(0.99)],
            }]}})
        }
        MetricKind::Sum => {
            let temporality = if style == MetricStyle::DeltaSums { 1 } else { 2 };
            json!({"name": p.name, "unit": p.unit, "sum": {
                "aggregationTemporality": temporality, "isMonotonic": true,
                "dataPoints": [{"attributes": attrs, "startTimeUnixNano": start, "timeUnixNano": time, "asDouble": p.value}],
            }})
        }
        MetricKind::Gauge => json!({"name": p.name, "unit": p.unit, "gauge": {
            "dataPoints": [{"attributes": attrs, "timeUnixNano": time, "asDouble": p.value}],
        }}),
    }
}

/// Scale of the exponential histograms: bucket boundaries grow by 2^(1/4).
const EXP_SCALE: i32 = 2;

/// Positive bucket offset and counts of an exponential histogram of the same shape as
/// `buckets`.
fn exponential_buckets(count: u64, mean: f64) -> (i32, Vec<u64>) {
    let index = |v: f64| ((v.max(1e-9).log2() * f64::from(1 << EXP_SCALE)).ceil() as i32) - 1;
    let shape = shape(count, mean);
    let lo = shape.iter().map(|(v, _)| index(*v)).min().unwrap_or(0);
    let hi = shape.iter().map(|(v, _)| index(*v)).max().unwrap_or(0);
    let mut out = vec![0u64; (hi - lo + 1) as usize];
    for (v, n) in shape {
        out[(index(v) - lo) as usize] += n;
    }
    (lo, out)
}

/// Where a minute's requests fall: (duration, how many) in a fixed right-skewed shape
/// around `mean`, summing to `count`.
fn shape(count: u64, mean: f64) -> Vec<(f64, u64)> {
    const SHAPE: [(f64, f64); 5] = [(0.3, 0.1), (0.6, 0.25), (1.0, 0.35), (1.6, 0.2), (3.0, 0.1)];
    let mut left = count;
    let mut out = Vec::new();
    for (i, (mult, weight)) in SHAPE.iter().enumerate() {
        let n = if i + 1 == SHAPE.len() { left } else { ((count as f64 * weight) as u64).min(left) };
        left -= n;
        out.push((mean * mult, n));
    }
    out
}

/// Bucket counts of a fixed right-skewed shape around `mean`, summing to `count`.
fn buckets(count: u64, mean: f64) -> Vec<u64> {
    let mut out = vec![0u64; BOUNDS.len() + 1];
    for (v, n) in shape(count, mean) {
        let b = BOUNDS.iter().position(|&x| v <= x).unwrap_or(BOUNDS.len());
        out[b] += n;
    }
    out
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn api_alert(a: &Alert) -> Value {
    let state = if a.status == AlertStatus::Suppressed { "suppressed" } else { "active" };
    json!({
        "annotations": a.annotations,
        "endsAt": a.ends_at.map(rfc3339),
        "fingerprint": a.fingerprint,
        "receivers": [{"name": "oncall"}],
        "startsAt": rfc3339(a.starts_at),
        "status": {"inhibitedBy": [], "silencedBy": [], "state": state},
        "updatedAt": a.updated_at.map(rfc3339),
        "generatorURL": a.generator_url,
        "labels": a.labels,
    })
}

fn webhook(a: &Alert) -> Value {
    let status = if a.status == AlertStatus::Resolved { "resolved" } else { "firing" };
    json!({
        "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{}\"}}", a.alertname),
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "firewatch",
        "groupLabels": {"alertname": a.alertname},
        "commonLabels": a.labels,
        "commonAnnotations": a.annotations,
        "externalURL": "http://alertmanager.shop.internal:9093",
        "alerts": [{
            "status": status,
            "labels": a.labels,
            "annotations": a.annotations,
            "startsAt": rfc3339(a.starts_at),
            "endsAt": a.ends_at.map(rfc3339),
            "generatorURL": a.generator_url,
            "fingerprint": a.fingerprint,
        }],
    })
}
