//! Writes a scenario the way real systems would hand it over: OTLP/JSON lines as the
//! OpenTelemetry Collector's file exporter writes them, Alertmanager's `GET /api/v2/alerts`
//! array (plus webhook notifications for the episodes it no longer lists), and the
//! ground truth next to, not among, the telemetry so `firewatch ingest DIR/telemetry`
//! never reads it.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use super::styles::REQUEST_HISTOGRAMS;
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
    let running = running_buckets(s);
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
                    "scopeMetrics": [{"scope": {"name": SCOPE}, "metrics": points.iter().map(|p| {
                        let cum = running.get(&(series_id(p), p.timestamp.timestamp()));
                        metric_json(p, s.spec.variety.metrics, cum)
                    }).collect::<Vec<_>>()}],
                })
            })
            .collect();
        serde_json::to_writer(&mut *w, &json!({"resourceMetrics": rms}))?;
        w.write_all(b"\n")?;
        start = end;
    }
    Ok(())
}

/// A series' identity: its name and labels.
fn series_id(p: &MetricPoint) -> String {
    let mut id = p.name.clone();
    for (k, v) in &p.labels {
        id.push_str(&format!("\u{1f}{k}={v}"));
    }
    id
}

/// Bucket index (into `BOUNDS`, or exponential) -> observations so far.
type Running = BTreeMap<i32, u64>;

/// The bucket counts of each cumulative request histogram point, by (series, time in seconds). A point carries
/// only its running count and sum, so each minute's own shape (from the differences) is added up here, over all
/// of the scenario, so that a window replayed alone still reports what the exporter would have.
fn running_buckets(s: &Scenario) -> HashMap<(String, i64), Running> {
    let mut out = HashMap::new();
    let v = s.spec.variety;
    if !v.cumulative_histograms() || v.metrics == MetricStyle::Summary {
        return out;
    }
    let exponential = v.metrics == MetricStyle::ExponentialHistogram;
    let mut points: Vec<&MetricPoint> = s
        .metrics
        .iter()
        .filter(|p| p.kind == MetricKind::Histogram && REQUEST_HISTOGRAMS.contains(&p.name.as_str()))
        .collect();
    points.sort_by_key(|p| p.timestamp);
    let mut state: HashMap<String, (u64, f64, Running)> = HashMap::new();
    for p in points {
        let id = series_id(p);
        let (count, sum) = (p.count.unwrap_or(0), p.sum.unwrap_or(0.0));
        let st = state.entry(id.clone()).or_default();
        let (n, mean) = (count.saturating_sub(st.0), (sum - st.1) / count.saturating_sub(st.0).max(1) as f64);
        (st.0, st.1) = (count, sum);
        let (offset, counts) = if exponential {
            exponential_buckets(n, mean)
        } else {
            let scale = if p.unit == "ms" { 1000.0 } else { 1.0 };
            (0, buckets(n, mean / scale))
        };
        for (i, c) in counts.into_iter().enumerate().filter(|(_, c)| *c > 0) {
            *st.2.entry(offset + i as i32).or_default() += c;
        }
        out.insert((id, p.timestamp.timestamp()), st.2.clone());
    }
    out
}

/// One point as its exporter writes it: histograms as explicit-bucket or exponential ones,
/// summaries with quantiles, sums with the temporality the scenario's style uses. `running`: the
/// bucket counts so far of a cumulative histogram.
fn metric_json(p: &MetricPoint, style: MetricStyle, running: Option<&Running>) -> Value {
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
    // OTLP: 1 delta, 2 cumulative.
    let temporality = if running.is_some() { 2 } else { 1 };
    match p.kind {
        MetricKind::Histogram if style == MetricStyle::ExponentialHistogram => {
            let (offset, counts) = match running {
                Some(r) => dense(r),
                None => exponential_buckets(count, p.value),
            };
            json!({"name": p.name, "unit": p.unit, "exponentialHistogram": {"aggregationTemporality": temporality, "dataPoints": [{
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
            let counts = match running {
                Some(r) => (0..=BOUNDS.len() as i32).map(|i| r.get(&i).copied().unwrap_or(0)).collect(),
                None => buckets(count, p.value / scale),
            };
            json!({"name": p.name, "unit": p.unit, "histogram": {"aggregationTemporality": temporality, "dataPoints": [{
                "attributes": attrs,
                "startTimeUnixNano": start,
                "timeUnixNano": time,
                "count": count.to_string(),
                "sum": sum,
                "bucketCounts": counts.iter().map(u64::to_string).collect::<Vec<_>>(),
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

/// An exponential histogram's positive buckets as offset and counts, empty ones between included.
fn dense(r: &Running) -> (i32, Vec<u64>) {
    let (Some(lo), Some(hi)) = (r.keys().next().copied(), r.keys().next_back().copied()) else {
        return (0, Vec::new());
    };
    (lo, (lo..=hi).map(|i| r.get(&i).copied().unwrap_or(0)).collect())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::series::{minute_means, SeriesKey};
    use crate::model::{RecordId, Signal};
    use crate::sim::{generate, FaultKind, HttpConvention, ScenarioSpec, Variety};
    use crate::sources::otlp_json::{decode_request, Converter};

    fn scenario(metrics: MetricStyle, http: HttpConvention, cumulative: bool) -> Scenario {
        let variety = Variety { metrics, http, cumulative, ..Variety::default() };
        generate(&ScenarioSpec {
            duration_secs: 3600,
            services: 8,
            variety,
            ..ScenarioSpec::new(4, FaultKind::SlowDatabase)
        })
    }

    /// The scenario's metrics as written to OTLP/JSON and decoded again.
    fn round_trip(s: &Scenario) -> (Vec<Value>, Vec<MetricPoint>) {
        let mut buf = Vec::new();
        write_metrics(&mut buf, s, &s.metrics).unwrap();
        let mut n = 0u128;
        let mut next = || {
            n += 1;
            RecordId(n)
        };
        let mut conv = Converter { now: Utc::now(), next_id: &mut next };
        let (mut lines, mut points) = (Vec::new(), Vec::new());
        for line in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let v: Value = serde_json::from_slice(line).unwrap();
            let d = decode_request(&v, &mut conv);
            assert!(d.errors.is_empty(), "{:?}", d.errors);
            points.extend(d.signals.into_iter().filter_map(|s| match s {
                Signal::Metric(m) => Some(m),
                _ => None,
            }));
            lines.push(v);
        }
        (lines, points)
    }

    fn latency(s: &BTreeMap<SeriesKey, Vec<(i64, f64)>>, name: &str) -> BTreeMap<(String, String, i64), f64> {
        s.iter()
            .filter(|(k, _)| k.2 == name)
            .flat_map(|(k, v)| v.iter().map(move |(t, x)| ((k.0.clone(), k.1.clone(), *t), *x)))
            .collect()
    }

    #[test]
    fn a_cumulative_style_reads_the_same_minute_means_as_the_delta_one() {
        let delta = scenario(MetricStyle::OtelHistogram, HttpConvention::Legacy, false);
        let cumulative = scenario(MetricStyle::OtelHistogram, HttpConvention::Legacy, true);
        let (lines, decoded) = round_trip(&cumulative);
        let text = serde_json::to_string(&lines).unwrap();
        assert!(text.contains(r#""aggregationTemporality":2"#) && text.contains(r#""aggregationTemporality":1"#));
        let want = latency(&minute_means(&delta.metrics), "http.server.duration");
        let got = latency(&minute_means(&decoded), "http.server.duration");
        assert!(want.len() > 100 && got.len() + 20 > want.len(), "{} of {}", got.len(), want.len());
        for (k, v) in &got {
            let w = want[k];
            assert!((v - w).abs() <= 1e-6 * w.abs(), "{k:?}: {v} s, the minute's own mean {w} s");
            assert!(*v < 60.0, "{k:?}: {v} is not seconds");
        }
        // The running buckets give the tail too, in seconds, above the mean.
        let p99 = latency(&minute_means(&decoded), "http.server.duration.p99");
        let above = p99.iter().filter(|(k, v)| got.get(*k).is_some_and(|m| *v > m)).count();
        assert!(above * 10 >= p99.len() * 9 && p99.len() + 20 > want.len(), "{above} of {}", p99.len());
    }

    #[test]
    fn cumulative_exponential_buckets_only_grow_and_add_up_to_the_count() {
        let s = scenario(MetricStyle::ExponentialHistogram, HttpConvention::Stable, true);
        let (_, decoded) = round_trip(&s);
        let mut last: HashMap<String, f64> = HashMap::new();
        let mut counts: HashMap<(String, i64), u64> = HashMap::new();
        for p in decoded.iter().filter(|p| p.name == "http.server.request.duration") {
            let id = series_id(p);
            counts.insert((id, p.timestamp.timestamp()), p.count.unwrap_or(0));
        }
        let mut buckets = 0;
        for p in decoded.iter().filter(|p| p.name == "http.server.request.duration_bucket") {
            buckets += 1;
            let prev = last.insert(series_id(p), p.value).unwrap_or(0.0);
            assert!(p.value >= prev, "{p:?} after {prev}");
            if p.labels["le"] == "+Inf" {
                let mut main = p.clone();
                main.name = "http.server.request.duration".into();
                main.labels.remove("le");
                assert_eq!(Some(&(p.value as u64)), counts.get(&(series_id(&main), p.timestamp.timestamp())));
            }
        }
        assert!(buckets > counts.len() * 3, "{buckets} bucket points for {} histogram points", counts.len());
        let p99 = latency(&minute_means(&decoded), "http.server.request.duration.p99");
        assert!(p99.len() > 100 && p99.values().all(|v| *v > 0.0 && *v < 60.0), "{p99:?}");
    }
}
