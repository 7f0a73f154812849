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

/// A name the parser looks for, and the bits of a [`KeyFilter`] that may announce it: its own and, for a
/// dotted name, its head's (`service` holding `{"name": ...}`).
struct Name {
    key: &'static str,
    bits: u64,
}

const fn name(key: &'static str) -> Name {
    let b = key.as_bytes();
    let mut head = b.len();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'.' && head == b.len() {
            head = i;
        }
        i += 1;
    }
    Name { key, bits: key_bit(b, b.len()) | key_bit(b, head) }
}

/// The filter bit of `key[..len]`.
const fn key_bit(key: &[u8], len: usize) -> u64 {
    let mut h = 0u64;
    let mut i = 0;
    while i < len {
        h = (h.rotate_left(5) ^ key[i] as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
        i += 1;
    }
    1 << (h >> 58)
}

const TIME: &[Name] = &[
    name("timestamp"),
    name("@timestamp"),
    name("time"),
    name("ts"),
    name("datetime"),
    name("date"),
    name("t"),
    name("eventTime"),
    name("@t"),
];
const LEVEL: &[Name] = &[
    name("level"),
    name("severity"),
    name("lvl"),
    name("levelname"),
    name("loglevel"),
    name("log.level"),
    name("severity_text"),
    name("@l"),
    name("status"),
];
const MESSAGE: &[Name] =
    &[name("message"), name("msg"), name("body"), name("log"), name("text"), name("event"), name("@m"), name("@mt")];
const SERVICE: &[Name] =
    &[name("service"), name("service.name"), name("service_name"), name("app"), name("application"), name("component")];
const REGION: &[Name] = &[name("region"), name("cloud.region"), name("aws_region")];
const HOST: &[Name] = &[name("host"), name("hostname"), name("host.name"), name("pod"), name("k8s.pod.name")];
const TRACE: &[Name] = &[name("trace_id"), name("traceId"), name("trace.id"), name("traceid"), name("dd.trace_id")];
const SPAN: &[Name] = &[name("span_id"), name("spanId"), name("span.id"), name("spanid"), name("dd.span_id")];

/// The top-level keys of an object as 64 bits: a name is looked up only when one of its [`Name::bits`] is
/// set. Most names are absent from any one line, and the map lookups that ruled them out were most of the
/// time a JSON line took to parse (measured with callgrind).
#[derive(Debug, Clone, Copy)]
struct KeyFilter(u64);

impl KeyFilter {
    /// Every name may be there: the filter rules nothing out.
    #[cfg(test)]
    const ALL: KeyFilter = KeyFilter(u64::MAX);

    fn of(obj: &Map<String, Value>) -> Self {
        KeyFilter(obj.keys().fold(0, |bits, k| bits | key_bit(k.as_bytes(), k.len())))
    }

    fn insert(&mut self, key: &str) {
        self.0 |= key_bit(key.as_bytes(), key.len());
    }

    fn may_hold(self, name: &Name) -> bool {
        self.0 & name.bits != 0
    }
}

/// Removes and returns the first present name, looking into nested objects for dotted names.
fn take(obj: &mut Map<String, Value>, names: &[Name], filter: KeyFilter) -> Option<Value> {
    names.iter().filter(|n| filter.may_hold(n)).find_map(|n| take_key(obj, n.key))
}

fn take_key(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(v) = obj.remove(key) {
        if !v.is_null() {
            return Some(v);
        }
    }
    let (head, tail) = key.split_once('.')?;
    let Some(Value::Object(inner)) = obj.get_mut(head) else { return None };
    let v = take_key(inner, tail)?;
    if inner.is_empty() {
        obj.remove(head);
    }
    Some(v)
}

fn take_string(obj: &mut Map<String, Value>, names: &[Name], filter: KeyFilter) -> Option<String> {
    for n in names.iter().filter(|n| filter.may_hold(n)) {
        // Only scalar values: an object under `service` is ECS' `service.name` case.
        match obj.get(n.key) {
            Some(Value::Object(_)) | Some(Value::Array(_)) => continue,
            _ => {}
        }
        if let Some(s) = take_key(obj, n.key).as_ref().and_then(value_as_string) {
            return Some(s);
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

pub fn parse(obj: Map<String, Value>, ctx: &TsContext) -> JsonLog {
    let filter = KeyFilter::of(&obj);
    parse_filtered(obj, ctx, filter)
}

fn parse_filtered(mut obj: Map<String, Value>, ctx: &TsContext, mut filter: KeyFilter) -> JsonLog {
    let mut out = JsonLog::default();
    if let Some(v) = take(&mut obj, TIME, filter) {
        out.time = parse_time(&v, ctx);
        if out.time.is_none() {
            obj.insert("time".into(), v);
            filter.insert("time");
        }
    }
    if let Some(v) = take(&mut obj, LEVEL, filter) {
        out.severity = match &v {
            Value::Number(n) => n.as_i64().map(Severity::from_level_number),
            Value::String(s) => Severity::parse(s),
            _ => None,
        };
        if out.severity.is_none() {
            obj.insert("level".into(), v);
            filter.insert("level");
        }
    }
    out.body = match take(&mut obj, MESSAGE, filter) {
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    out.service = take_string(&mut obj, SERVICE, filter).map(|s| s.to_lowercase());
    out.region = take_string(&mut obj, REGION, filter).map(|s| s.to_lowercase());
    out.host = take_string(&mut obj, HOST, filter).map(|s| s.to_lowercase());
    out.trace_id = take_string(&mut obj, TRACE, filter).map(|s| s.to_lowercase());
    out.span_id = take_string(&mut obj, SPAN, filter).map(|s| s.to_lowercase());
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The key filter only skips lookups: any object, with the names every list looks for (nested, null,
        /// nested under a scalar) and others, parses as it does with nothing ruled out.
        #[test]
        fn the_key_filter_changes_no_result(entries in proptest::collection::vec((0usize..64, 0usize..6), 0..12)) {
            let names: Vec<&str> = [TIME, LEVEL, MESSAGE, SERVICE, REGION, HOST, TRACE, SPAN]
                .iter()
                .flat_map(|list| list.iter().map(|n| n.key))
                .chain(["cloud", "log", "dd", "other", "x.y", "trace"])
                .collect();
            let mut obj = Map::new();
            for (name, shape) in entries {
                let name = names[name % names.len()];
                let value = match shape {
                    0 => Value::Null,
                    1 => serde_json::json!("Some Value"),
                    2 => serde_json::json!(1_763_650_992),
                    3 => serde_json::json!({"name": "Nested", "level": "warn", "region": null}),
                    4 => serde_json::json!(["a"]),
                    _ => serde_json::json!("2025-11-20T10:00:00Z"),
                };
                obj.insert(name.to_string(), value);
            }
            let ctx = TsContext::utc(Utc.with_ymd_and_hms(2025, 11, 21, 0, 0, 0).unwrap());
            let filtered = parse(obj.clone(), &ctx);
            let unfiltered = parse_filtered(obj, &ctx, KeyFilter::ALL);
            proptest::prop_assert_eq!(filtered, unfiltered);
        }
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
