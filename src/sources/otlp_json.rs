//! OTLP/JSON, as the OpenTelemetry Collector's file exporter and the SDKs' JSON
//! exporters write it: one `ExportLogsServiceRequest`, `ExportTraceServiceRequest` or
//! `ExportMetricsServiceRequest` per line, hex ids, 64-bit integers as strings.
//!
//! Decoding uses `opentelemetry-proto`'s serde types. A line that does not decode as a
//! whole is decoded record by record, so one bad record costs only itself.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1 as plogs;
use opentelemetry_proto::tonic::metrics::v1 as pmetrics;
use opentelemetry_proto::tonic::resource::v1::Resource as PResource;
use opentelemetry_proto::tonic::trace::v1 as ptrace;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::model::{
    value_as_string, LogRecord, MetricKind, MetricPoint, RecordId, Resource, Severity, Signal, Span, SpanKind,
};

/// Is this JSON object an OTLP export request?
pub fn is_otlp(obj: &Map<String, Value>) -> bool {
    // One pass over the keys (a JSON log line has a few, an OTLP request one): three lookups by name cost more.
    obj.keys().any(|k| matches!(k.as_str(), "resourceLogs" | "resourceSpans" | "resourceMetrics"))
}

#[derive(Debug, Default)]
pub struct Decoded {
    pub signals: Vec<Signal>,
    /// One message per record that could not be decoded, with its JSON path.
    pub errors: Vec<String>,
}

pub fn any_value_to_json(v: &AnyValue) -> Value {
    match &v.value {
        None => Value::Null,
        Some(any_value::Value::StringValue(s)) => Value::String(s.clone()),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(*b),
        Some(any_value::Value::IntValue(i)) => Value::Number((*i).into()),
        Some(any_value::Value::DoubleValue(d)) => {
            Number::from_f64(*d).map_or_else(|| Value::String(d.to_string()), Value::Number)
        }
        Some(any_value::Value::ArrayValue(a)) => Value::Array(a.values.iter().map(any_value_to_json).collect()),
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(attributes(&kv.values)),
        Some(any_value::Value::BytesValue(b)) => Value::String(hex(b)),
        Some(any_value::Value::StringValueStrindex(i)) => Value::Number((*i).into()),
    }
}

pub fn attributes(kvs: &[KeyValue]) -> Map<String, Value> {
    kvs.iter().map(|kv| (kv.key.clone(), kv.value.as_ref().map_or(Value::Null, any_value_to_json))).collect()
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

pub fn id_hex(bytes: &[u8]) -> Option<String> {
    (!bytes.is_empty() && bytes.iter().any(|b| *b != 0)).then(|| hex(bytes))
}

pub fn time(nanos: u64) -> Option<DateTime<Utc>> {
    (nanos > 0 && nanos <= i64::MAX as u64).then(|| DateTime::<Utc>::from_timestamp_nanos(nanos as i64))
}

impl Converter<'_> {
    /// A time inside the window for epoch numbers (2000 to a day after receipt, see
    /// [`crate::sources::timestamp`]); 0 (unset) and anything outside give `None`.
    fn plausible(&self, nanos: u64) -> Option<DateTime<Utc>> {
        use crate::sources::timestamp::{latest, EARLIEST_EPOCH_SECS};
        time(nanos).filter(|t| t.timestamp() >= EARLIEST_EPOCH_SECS && *t <= latest(self.now))
    }
}

pub fn resource(r: Option<&PResource>) -> Arc<Resource> {
    Arc::new(Resource::from_attributes(r.map(|r| attributes(&r.attributes)).unwrap_or_default()))
}

/// Converts decoded OTLP into signals; `next_id` gives each record its stable id.
pub struct Converter<'a> {
    pub now: DateTime<Utc>,
    pub next_id: &'a mut dyn FnMut() -> RecordId,
}

impl Converter<'_> {
    pub fn log(&mut self, res: &Arc<Resource>, scope: Option<&str>, r: &plogs::LogRecord) -> LogRecord {
        let severity = match Severity::from_number(i64::from(r.severity_number)) {
            Severity::Unspecified => Severity::parse(&r.severity_text).unwrap_or(Severity::Unspecified),
            s => s,
        };
        let body = match r.body.as_ref().map(any_value_to_json) {
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        let mut attrs = attributes(&r.attributes);
        if let Some(s) = scope.filter(|s| !s.is_empty()) {
            attrs.entry("otel.scope.name").or_insert_with(|| Value::String(s.to_string()));
        }
        if !r.event_name.is_empty() {
            attrs.insert("event.name".into(), Value::String(r.event_name.clone()));
        }
        // A log record dated outside the window takes its observed time, else the receive time, with a note
        // that keeps what it claimed: the record is worth keeping, its date is not.
        let timestamp = match self.plausible(r.time_unix_nano) {
            Some(t) => t,
            None => {
                if r.time_unix_nano != 0 {
                    attrs.insert("firewatch.time".into(), Value::String("received".into()));
                    attrs.insert("firewatch.time_claimed".into(), Value::String(r.time_unix_nano.to_string()));
                }
                self.plausible(r.observed_time_unix_nano).unwrap_or(self.now)
            }
        };
        LogRecord {
            id: (self.next_id)(),
            timestamp,
            severity,
            body,
            time_span: None,
            resource: res.clone(),
            trace_id: id_hex(&r.trace_id),
            span_id: id_hex(&r.span_id),
            attributes: attrs,
        }
    }

    pub fn span(&mut self, res: &Arc<Resource>, s: &ptrace::Span) -> Option<Span> {
        // A span dated outside the window is refused: its start places it in a trace and an incident.
        let start = self.plausible(s.start_time_unix_nano)?;
        let end =
            time(s.end_time_unix_nano).filter(|e| *e >= start && e.timestamp_nanos_opt().is_some()).unwrap_or(start);
        let mut attrs = attributes(&s.attributes);
        if !s.events.is_empty() {
            let events = s
                .events
                .iter()
                .map(|e| {
                    let mut m = attributes(&e.attributes);
                    m.insert("name".into(), Value::String(e.name.clone()));
                    if let Some(t) = time(e.time_unix_nano) {
                        m.insert("time".into(), Value::String(t.to_rfc3339()));
                    }
                    Value::Object(m)
                })
                .collect();
            attrs.insert("span.events".into(), Value::Array(events));
        }
        let status = s.status.as_ref();
        Some(Span {
            id: (self.next_id)(),
            trace_id: id_hex(&s.trace_id)?,
            span_id: id_hex(&s.span_id)?,
            parent_span_id: id_hex(&s.parent_span_id),
            name: s.name.clone(),
            kind: SpanKind::from_otlp(s.kind),
            start,
            end,
            error: status.is_some_and(|st| st.code == ptrace::status::StatusCode::Error as i32),
            status_message: status.map(|st| st.message.clone()).filter(|m| !m.is_empty()),
            resource: res.clone(),
            attributes: attrs,
        })
    }

    pub fn metric(&self, res: &Resource, m: &pmetrics::Metric, out: &mut Vec<Signal>) {
        let base = |attrs: &[KeyValue]| {
            let mut labels: BTreeMap<String, String> = attributes(attrs)
                .into_iter()
                .map(|(k, v)| {
                    let s = value_as_string(&v).unwrap_or_else(|| v.to_string());
                    (k, s)
                })
                .collect();
            for (k, v) in [("service", &res.service), ("region", &res.region), ("host", &res.host)] {
                if let Some(v) = v {
                    labels.entry(k.to_string()).or_insert_with(|| v.clone());
                }
            }
            labels
        };
        let point = |kind, attrs: &[KeyValue], t: u64, value: f64, count: Option<u64>, sum: Option<f64>| {
            Signal::Metric(MetricPoint {
                name: m.name.clone(),
                unit: m.unit.clone(),
                kind,
                timestamp: self.plausible(t).unwrap_or(self.now),
                value,
                count,
                sum,
                labels: base(attrs),
            })
        };
        let number = |p: &pmetrics::NumberDataPoint| match p.value {
            Some(pmetrics::number_data_point::Value::AsDouble(d)) => d,
            Some(pmetrics::number_data_point::Value::AsInt(i)) => i as f64,
            None => f64::NAN,
        };
        let mean = |count: u64, sum: Option<f64>| {
            if count > 0 {
                sum.unwrap_or(0.0) / count as f64
            } else {
                0.0
            }
        };
        match &m.data {
            Some(pmetrics::metric::Data::Gauge(g)) => {
                for p in &g.data_points {
                    out.push(point(MetricKind::Gauge, &p.attributes, p.time_unix_nano, number(p), None, None));
                }
            }
            Some(pmetrics::metric::Data::Sum(s)) => {
                for p in &s.data_points {
                    out.push(point(MetricKind::Sum, &p.attributes, p.time_unix_nano, number(p), None, None));
                }
            }
            Some(pmetrics::metric::Data::Histogram(h)) => {
                let delta = h.aggregation_temporality == pmetrics::AggregationTemporality::Delta as i32;
                for p in &h.data_points {
                    let v = mean(p.count, p.sum);
                    out.push(point(MetricKind::Histogram, &p.attributes, p.time_unix_nano, v, Some(p.count), p.sum));
                    if p.count > 0 {
                        let b = explicit_buckets(&p.explicit_bounds, &p.bucket_counts, delta);
                        self.buckets(m, base(&p.attributes), p.time_unix_nano, b, out);
                    }
                }
            }
            Some(pmetrics::metric::Data::ExponentialHistogram(h)) => {
                for p in &h.data_points {
                    let v = mean(p.count, p.sum);
                    out.push(point(MetricKind::Histogram, &p.attributes, p.time_unix_nano, v, Some(p.count), p.sum));
                    if p.count > 0 {
                        self.buckets(m, base(&p.attributes), p.time_unix_nano, exponential_buckets(p), out);
                    }
                }
            }
            Some(pmetrics::metric::Data::Summary(s)) => {
                for p in &s.data_points {
                    let v = mean(p.count, Some(p.sum));
                    out.push(point(
                        MetricKind::Summary,
                        &p.attributes,
                        p.time_unix_nano,
                        v,
                        Some(p.count),
                        Some(p.sum),
                    ));
                    // Its quantiles, as Prometheus exposes a summary's: a gauge per `quantile` label.
                    for qv in &p.quantile_values {
                        if let Signal::Metric(mut q) =
                            point(MetricKind::Gauge, &p.attributes, p.time_unix_nano, qv.value, None, None)
                        {
                            q.labels.insert("quantile".into(), qv.quantile.to_string());
                            out.push(Signal::Metric(q));
                        }
                    }
                }
            }
            None => {}
        }
    }
}

impl Converter<'_> {
    /// A histogram point's buckets as Prometheus exposes them: `<name>_bucket` counters with an `le` label,
    /// cumulative over bounds, so that both sources reach the analysis alike.
    fn buckets(
        &self,
        m: &pmetrics::Metric,
        labels: BTreeMap<String, String>,
        t: u64,
        buckets: Vec<(f64, u64)>,
        out: &mut Vec<Signal>,
    ) {
        let timestamp = self.plausible(t).unwrap_or(self.now);
        let name = format!("{}_bucket", m.name);
        for (le, n) in buckets {
            let mut labels = labels.clone();
            let le = if le.is_infinite() { "+Inf".to_string() } else { le.to_string() };
            labels.insert("le".into(), le);
            out.push(Signal::Metric(MetricPoint {
                name: name.clone(),
                unit: m.unit.clone(),
                kind: MetricKind::Sum,
                timestamp,
                value: n as f64,
                count: None,
                sum: None,
                labels,
            }));
        }
    }
}

/// (upper bound, observations at or below it) of an explicit-bucket point, `+Inf` last. A delta point keeps only
/// the bounds that place its observations (from the last empty one to the first that holds them all): the rest
/// read the same as their neighbours. A cumulative one keeps every bound, since each is a counter that must be
/// there at every scrape to be differenced.
fn explicit_buckets(bounds: &[f64], counts: &[u64], delta: bool) -> Vec<(f64, u64)> {
    if counts.len() != bounds.len() + 1 || bounds.iter().any(|b| !b.is_finite()) {
        return Vec::new();
    }
    let mut cum = 0u64;
    let mut out: Vec<(f64, u64)> = bounds
        .iter()
        .zip(counts)
        .map(|(b, n)| {
            cum = cum.saturating_add(*n);
            (*b, cum)
        })
        .collect();
    let total = cum.saturating_add(counts[bounds.len()]);
    if total == 0 {
        return Vec::new();
    }
    if delta && !out.is_empty() {
        let first = out.iter().rposition(|x| x.1 == 0).unwrap_or(0);
        let last = out.iter().position(|x| x.1 == total).unwrap_or(out.len() - 1);
        out = out[first..=last.max(first)].to_vec();
    }
    out.push((f64::INFINITY, total));
    out
}

/// Most buckets an exponential histogram is merged down to: one counter each downstream.
pub(crate) const MAX_EXP_BUCKETS: i64 = 24;

/// An exponential histogram point as (upper bound, observations at or below it), `+Inf` last, its buckets
/// merged to a coarser scale until at most [`MAX_EXP_BUCKETS`] remain. Every bound of a coarser scale is one of
/// the finer scale's, so a running histogram whose range widens keeps its counters' bounds.
fn exponential_buckets(p: &pmetrics::ExponentialHistogramDataPoint) -> Vec<(f64, u64)> {
    let (offset, counts) = p.positive.as_ref().map_or((0, &[][..]), |b| (i64::from(b.offset), &b.bucket_counts[..]));
    // Zero and negative observations lie below every positive bound.
    let below = p.negative.as_ref().map_or(0u64, |b| b.bucket_counts.iter().sum()).saturating_add(p.zero_count);
    let (Some(first), Some(last)) = (counts.iter().position(|n| *n > 0), counts.iter().rposition(|n| *n > 0)) else {
        return if below > 0 { vec![(0.0, below), (f64::INFINITY, below.max(p.count))] } else { Vec::new() };
    };
    let (lo, hi) = (offset + first as i64, offset + last as i64);
    let mut k = 0i32;
    while k < 62 && (hi >> k) - (lo >> k) + 1 > MAX_EXP_BUCKETS {
        k += 1;
    }
    // Index j at scale s - k covers (2^(j·2^(k-s)), 2^((j+1)·2^(k-s))].
    let width = 2f64.powi(k - p.scale);
    let bound = |j: i64| 2f64.powf(j as f64 * width);
    let mut out = vec![(bound(lo >> k), below)];
    let mut cum = below;
    let mut i = first;
    for j in (lo >> k)..=(hi >> k) {
        while i <= last && (offset + i as i64) >> k == j {
            cum = cum.saturating_add(counts[i]);
            i += 1;
        }
        out.push((bound(j + 1), cum));
    }
    out.push((f64::INFINITY, cum.max(p.count)));
    out
}

fn decode<T: DeserializeOwned>(v: &Value) -> Result<T, String> {
    T::deserialize(v).map_err(|e| e.to_string())
}

fn array<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    v.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// Decodes one OTLP/JSON export request, record by record.
pub fn decode_request(obj: &Value, conv: &mut Converter<'_>) -> Decoded {
    let mut out = Decoded::default();
    let res_of = |rv: &Value, path: &str, errors: &mut Vec<String>| match rv.get("resource") {
        None | Some(Value::Null) => resource(None),
        Some(r) => match decode::<PResource>(r) {
            Ok(r) => resource(Some(&r)),
            Err(e) => {
                errors.push(format!("{path}.resource: {e}"));
                resource(None)
            }
        },
    };
    for (i, rl) in array(obj, "resourceLogs").iter().enumerate() {
        let res = res_of(rl, &format!("resourceLogs[{i}]"), &mut out.errors);
        for (j, sl) in array(rl, "scopeLogs").iter().enumerate() {
            let scope = sl.get("scope").and_then(|s| s.get("name")).and_then(Value::as_str);
            for (k, lr) in array(sl, "logRecords").iter().enumerate() {
                match decode::<plogs::LogRecord>(lr) {
                    Ok(r) => {
                        let rec = conv.log(&res, scope, &r);
                        out.signals.push(Signal::Log(rec));
                    }
                    Err(e) => out.errors.push(format!("resourceLogs[{i}].scopeLogs[{j}].logRecords[{k}]: {e}")),
                }
            }
        }
    }
    for (i, rs) in array(obj, "resourceSpans").iter().enumerate() {
        let res = res_of(rs, &format!("resourceSpans[{i}]"), &mut out.errors);
        for (j, ss) in array(rs, "scopeSpans").iter().enumerate() {
            for (k, sv) in array(ss, "spans").iter().enumerate() {
                let path = format!("resourceSpans[{i}].scopeSpans[{j}].spans[{k}]");
                match decode::<ptrace::Span>(sv) {
                    Ok(s) => match conv.span(&res, &s) {
                        Some(span) => out.signals.push(Signal::Span(span)),
                        None => out.errors.push(format!(
                            "{path}: missing traceId or spanId, or startTimeUnixNano missing or outside \
                             1970..a day after receipt"
                        )),
                    },
                    Err(e) => out.errors.push(format!("{path}: {e}")),
                }
            }
        }
    }
    for (i, rm) in array(obj, "resourceMetrics").iter().enumerate() {
        let res = res_of(rm, &format!("resourceMetrics[{i}]"), &mut out.errors);
        for (j, sm) in array(rm, "scopeMetrics").iter().enumerate() {
            for (k, mv) in array(sm, "metrics").iter().enumerate() {
                match decode::<pmetrics::Metric>(mv) {
                    Ok(m) => conv.metric(&res, &m, &mut out.signals),
                    Err(e) => out.errors.push(format!("resourceMetrics[{i}].scopeMetrics[{j}].metrics[{k}]: {e}")),
                }
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes one OTLP/JSON request line, ids counted from 1.
    pub(crate) fn run(line: &str) -> Decoded {
        let mut n = 0u128;
        let mut next = || {
            n += 1;
            RecordId(n)
        };
        let mut conv = Converter { now: Utc::now(), next_id: &mut next };
        decode_request(&serde_json::from_str(line).unwrap(), &mut conv)
    }

    #[test]
    fn one_bad_record_costs_only_itself() {
        let line = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"Cart"}}]},
          "scopeLogs":[{"logRecords":[
            {"timeUnixNano":"1763650992000000000","severityNumber":17,"body":{"stringValue":"boom"},"traceId":"0af7651916cd43dd8448eb211c80319c"},
            {"timeUnixNano":true,"body":{"stringValue":"bad"}},
            {"timeUnixNano":"1763650993000000000","severityText":"WARN","body":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"5"}}]}}}
          ]}]}]}"#;
        let d = run(line);
        assert_eq!(d.signals.len(), 2);
        assert_eq!(d.errors.len(), 1);
        assert!(d.errors[0].starts_with("resourceLogs[0].scopeLogs[0].logRecords[1]"), "{}", d.errors[0]);
        let Signal::Log(first) = &d.signals[0] else { panic!("not a log") };
        assert_eq!(first.severity, Severity::Error);
        assert_eq!(first.resource.service.as_deref(), Some("cart"));
        assert_eq!(first.trace_id.as_deref(), Some("0af7651916cd43dd8448eb211c80319c"));
        let Signal::Log(third) = &d.signals[1] else { panic!("not a log") };
        assert_eq!(third.severity, Severity::Warn);
        assert_eq!(third.body, r#"{"a":5}"#);
    }

    #[test]
    fn times_outside_the_window_are_not_stored() {
        let far = "253370764800000000000"; // 9999-01-01, beyond u64 nanoseconds: a decode error
        assert_eq!(
            run(&format!(r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"timeUnixNano":"{far}"}}]}}]}}]}}"#))
                .errors
                .len(),
            1
        );
        // 2200-01-01 fits i64 nanoseconds but not the window; 9999 ns after 1970 is a zero-ish value.
        let line = r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
            {"timeUnixNano":"7258118400000000000","body":{"stringValue":"future"}},
            {"timeUnixNano":"9999","observedTimeUnixNano":"1763650992000000000","body":{"stringValue":"observed"}}
          ]}]}],
          "resourceSpans":[{"scopeSpans":[{"spans":[
            {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","startTimeUnixNano":"7258118400000000000"}
          ]}]}],
          "resourceMetrics":[{"scopeMetrics":[{"metrics":[
            {"name":"g","gauge":{"dataPoints":[{"timeUnixNano":"7258118400000000000","asDouble":1.0}]}}
          ]}]}]}"#;
        let before = Utc::now();
        let d = run(line);
        assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
        assert!(d.errors[0].starts_with("resourceSpans[0].scopeSpans[0].spans[0]"), "{}", d.errors[0]);
        let Signal::Log(future) = &d.signals[0] else { panic!("not a log") };
        assert!(future.timestamp >= before && future.timestamp <= Utc::now(), "{}", future.timestamp);
        assert_eq!(future.attributes["firewatch.time"], "received");
        assert_eq!(future.attributes["firewatch.time_claimed"], "7258118400000000000");
        let Signal::Log(observed) = &d.signals[1] else { panic!("not a log") };
        assert_eq!(observed.timestamp.timestamp(), 1_763_650_992);
        let Signal::Metric(m) = &d.signals[2] else { panic!("not a metric") };
        assert!(m.timestamp >= before && m.timestamp <= Utc::now(), "{}", m.timestamp);
    }
    pub(crate) fn metrics_of(d: &Decoded) -> Vec<MetricPoint> {
        d.signals
            .iter()
            .filter_map(|s| match s {
                Signal::Metric(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// A metrics request from `cart` on host `cart-1` holding `metric`, its `MINUTE` set that many minutes in.
    pub(crate) fn request(minute: i64, metric: serde_json::Value) -> String {
        serde_json::json!({"resourceMetrics": [{
            "resource": {"attributes": [
                {"key": "service.name", "value": {"stringValue": "cart"}},
                {"key": "host.name", "value": {"stringValue": "cart-1"}},
            ]},
            "scopeMetrics": [{"metrics": [metric]}],
        }]})
        .to_string()
        .replace("MINUTE", &((1_763_650_800 + minute * 60) * 1_000_000_000).to_string())
    }

    #[test]
    fn a_delta_histogram_sends_only_the_bounds_that_place_its_observations() {
        let metric = serde_json::json!({"name": "d", "unit": "s", "histogram": {"aggregationTemporality": 1,
        "dataPoints": [
            {"timeUnixNano": "MINUTE", "count": "10", "sum": 1.0, "bucketCounts": ["0", "0", "4", "6", "0", "0"],
             "explicitBounds": [0.01, 0.05, 0.1, 0.5, 1.0]},
            {"timeUnixNano": "MINUTE", "count": "0", "sum": 0.0, "bucketCounts": ["0", "0", "0", "0", "0", "0"],
             "explicitBounds": [0.01, 0.05, 0.1, 0.5, 1.0]},
        ]}});
        let points = metrics_of(&run(&request(0, metric)));
        let les: Vec<(&str, f64)> =
            points.iter().filter_map(|p| Some((p.labels.get("le")?.as_str(), p.value))).collect();
        assert_eq!(les, [("0.05", 0.0), ("0.1", 4.0), ("0.5", 10.0), ("+Inf", 10.0)]);
        assert_eq!(points.len(), 2 + 4);
    }
}
