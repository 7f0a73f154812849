//! JSON log lines (logfmt's structured cousins: zap, logrus, pino, bunyan, ECS,
//! structlog, Serilog...): the common field names for time, level, message, service.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::timestamp::{self, TsContext};
use crate::model::{value_as_string, Severity};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonLog {
    pub time: Option<DateTime<Utc>>,
    pub severity: Option<Severity>,
    pub body: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub host: Option<String>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    /// What is left of the object.
    pub attributes: Map<String, Value>,
}

const TIME: &[&str] = &["timestamp", "@timestamp", "time", "ts", "datetime", "date", "t", "eventTime", "@t"];
const LEVEL: &[&str] =
    &["level", "severity", "lvl", "levelname", "loglevel", "log.level", "severity_text", "@l", "status"];
const MESSAGE: &[&str] = &["message", "msg", "body", "log", "text", "event", "@m", "@mt"];
const SERVICE: &[&str] = &["service", "service.name", "service_name", "app", "application", "component"];
const REGION: &[&str] = &["region", "cloud.region", "aws_region"];
const HOST: &[&str] = &["host", "hostname", "host.name", "pod", "k8s.pod.name"];
const TRACE: &[&str] = &["trace_id", "traceId", "trace.id", "traceid", "dd.trace_id"];
const SPAN: &[&str] = &["span_id", "spanId", "span.id", "spanid", "dd.span_id"];

/// Removes and returns the first present key, looking into nested objects for dotted names.
fn take(obj: &mut Map<String, Value>, keys: &[&str]) -> Option<Value> {
    for k in keys {
        if let Some(v) = obj.remove(*k) {
            if !v.is_null() {
                return Some(v);
            }
        }
        if let Some((head, tail)) = k.split_once('.') {
            if let Some(Value::Object(inner)) = obj.get_mut(head) {
                if let Some(v) = take(inner, &[tail]) {
                    if inner.is_empty() {
                        obj.remove(head);
                    }
                    return Some(v);
                }
            }
        }
    }
    None
}

fn take_string(obj: &mut Map<String, Value>, keys: &[&str]) -> Option<String> {
    for k in keys {
        // Only scalar values: an object under `service` is ECS' `service.name` case.
        match obj.get(*k) {
            Some(Value::Object(_)) | Some(Value::Array(_)) => continue,
            _ => {}
        }
        if let Some(v) = take(obj, &[k]) {
            if let Some(s) = value_as_string(&v) {
                return Some(s);
            }
        }
    }
    None
}

/// The record's time, if its field holds one inside the plausible window (see
/// [`timestamp`]). A time outside it is treated like no time: the caller dates the record
/// by its neighbours and keeps the original value as an attribute.
pub fn parse_time(v: &Value, ctx: &TsContext) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => timestamp::epoch_number(n.as_f64()?, ctx.now),
        Value::String(s) => {
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                let t = t.with_timezone(&Utc);
                return ctx.plausible(t).then_some(t);
            }
            if let Ok(n) = s.trim().parse::<f64>() {
                return timestamp::epoch_number(n, ctx.now);
            }
            timestamp::find(ctx, s, &mut None).map(|f| f.time)
        }
        _ => None,
    }
}

pub fn parse(mut obj: Map<String, Value>, ctx: &TsContext) -> JsonLog {
    let mut out = JsonLog::default();
    if let Some(v) = take(&mut obj, TIME) {
        out.time = parse_time(&v, ctx);
        if out.time.is_none() {
            obj.insert("time".into(), v);
        }
    }
    if let Some(v) = take(&mut obj, LEVEL) {
        out.severity = match &v {
            Value::Number(n) => n.as_i64().map(Severity::from_level_number),
            Value::String(s) => Severity::parse(s),
            _ => None,
        };
        if out.severity.is_none() {
            obj.insert("level".into(), v);
        }
    }
    out.body = match take(&mut obj, MESSAGE) {
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    out.service = take_string(&mut obj, SERVICE).map(|s| s.to_lowercase());
    out.region = take_string(&mut obj, REGION).map(|s| s.to_lowercase());
    out.host = take_string(&mut obj, HOST).map(|s| s.to_lowercase());
    out.trace_id = take_string(&mut obj, TRACE).map(|s| s.to_lowercase());
    out.span_id = take_string(&mut obj, SPAN).map(|s| s.to_lowercase());
    out.attributes = obj;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn p(s: &str) -> JsonLog {
        let ctx = TsContext::utc(Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap());
        parse(serde_json::from_str(s).unwrap(), &ctx)
    }

    #[test]
    fn common_shapes() {
        let z = p(
            r#"{"level":"error","ts":1763650992.5,"caller":"x.go:10","msg":"dial tcp: timeout","service":"Payments","trace_id":"ABC"}"#,
        );
        assert_eq!(z.severity, Some(Severity::Error));
        assert_eq!(z.body.as_deref(), Some("dial tcp: timeout"));
        assert_eq!(z.service.as_deref(), Some("payments"));
        assert_eq!(z.trace_id.as_deref(), Some("abc"));
        assert_eq!(z.time.unwrap().timestamp_millis(), 1_763_650_992_500);
        assert_eq!(z.attributes.get("caller").and_then(Value::as_str), Some("x.go:10"));

        let pino = p(r#"{"level":50,"time":1763650992123,"msg":"boom","hostname":"web-1"}"#);
        assert_eq!(pino.severity, Some(Severity::Error));
        assert_eq!(pino.time.unwrap().timestamp_millis(), 1_763_650_992_123);
        assert_eq!(pino.host.as_deref(), Some("web-1"));

        let ecs = p(
            r#"{"@timestamp":"2026-11-20T15:03:12.123Z","log":{"level":"WARN","logger":"a"},"message":"slow","service":{"name":"checkout"},"cloud":{"region":"us-east-1"}}"#,
        );
        assert_eq!(ecs.severity, Some(Severity::Warn));
        assert_eq!(ecs.service.as_deref(), Some("checkout"));
        assert_eq!(ecs.region.as_deref(), Some("us-east-1"));
        assert_eq!(ecs.attributes.get("log").and_then(|l| l.get("logger")).and_then(Value::as_str), Some("a"));

        let bad_time = p(r#"{"time":"yesterday-ish","message":"m"}"#);
        assert_eq!(bad_time.time, None);
        assert_eq!(bad_time.attributes.get("time").and_then(Value::as_str), Some("yesterday-ish"));
    }

    #[test]
    fn times_outside_the_window_are_no_times_and_are_kept_as_attributes() {
        for (field, raw) in [
            ("timestamp", r#""0001-01-01T00:00:00Z""#),
            ("timestamp", r#""9999-01-01T00:00:00Z""#),
            ("timestamp", r#""2026-13-45T00:00:00Z""#),
            ("timestamp", r#""2026-11-25T12:00:01Z""#),
            ("ts", "9999"),
            ("ts", r#""9999""#),
            ("ts", r#""NaN""#),
            ("ts", r#""inf""#),
            ("ts", "-5"),
            ("ts", "1e300"),
            ("ts", "500000000000"),
        ] {
            let j = p(&format!(r#"{{"{field}":{raw},"message":"m"}}"#));
            assert_eq!(j.time, None, "{field}={raw} was taken as {:?}", j.time);
            assert_eq!(j.attributes.get("time"), Some(&serde_json::from_str::<Value>(raw).unwrap()), "{raw}");
        }
        // A day of clock skew is fine; the four epoch units still are.
        assert!(p(r#"{"timestamp":"2026-11-24T11:00:00Z","message":"m"}"#).time.is_some());
        for n in ["1763650992", "1763650992123", "1763650992123456", "1763650992123456789"] {
            assert_eq!(p(&format!(r#"{{"ts":{n}}}"#)).time.unwrap().timestamp(), 1_763_650_992, "{n}");
        }
    }
}
