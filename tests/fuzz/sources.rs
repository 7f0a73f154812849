//! Targets: the timestamp finder, the plain-text parser, JSON log lines, OTLP/JSON requests, Alertmanager
//! documents (API arrays, webhooks, single alerts), the bounded line reader, and command-line times.

use std::io::{BufReader, Cursor};

use chrono::{DateTime, FixedOffset, Utc};
use firewatch::model::{RecordId, Signal};
use firewatch::sources::lines::LineReader;
use firewatch::sources::plaintext::TextParser;
use firewatch::sources::timestamp::{self, TsContext, Zone};
use firewatch::sources::{alertmanager, jsonlog, otlp_json};
use firewatch::timearg;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;
use serde_json::{json, Map, Value};
use xxhash_rust::xxh3::Xxh3;

use crate::{any_text, config, phrase};

const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Jun", "Sep", "Dec", "jan", "Foo", "Ma"];
const DAYS: &[&str] = &["Mon", "Sun", "Thu", "Xyz"];

/// A receive time between 2000 and 2100, and a zone for times without an offset: the local one, any fixed offset,
/// or a named zone with daylight saving time (gaps and folds included).
pub fn ctx() -> BoxedStrategy<TsContext> {
    let zone = prop_oneof![
        Just(Zone::Local),
        (-86_399i32..86_400).prop_map(|off| Zone::from(FixedOffset::east_opt(off))),
        select(NAMED_ZONES).prop_map(Zone::Named),
    ];
    (946_684_800i64..4_102_444_800, zone)
        .prop_map(|(secs, zone)| TsContext { now: DateTime::from_timestamp(secs, 0).expect("in range"), zone })
        .boxed()
}

const NAMED_ZONES: &[chrono_tz::Tz] = &[
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Apia,
    chrono_tz::Asia::Kathmandu,
    chrono_tz::UTC,
];

fn offset_text() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("Z".to_string()),
        (select(&["+", "-"][..]), 0u32..100, 0u32..100, select(&[":", ""][..]))
            .prop_map(|(s, h, m, c)| format!("{s}{h:02}{c}{m:02}")),
        any_text(4),
    ]
    .boxed()
}

/// A timestamp in one of the shapes the finder knows, its fields random (months 0-99, years 0-99999...).
pub fn timestamp_text() -> BoxedStrategy<String> {
    let fields = (0u32..100_000, 0u32..100, 0u32..100, 0u32..100, 0u32..100, 0u32..100);
    let frac = proptest::string::string_regex("([.,][0-9]{0,12})?").expect("a valid regex");
    (0u8..12, fields, frac, offset_text(), select(MONTHS), select(DAYS), any::<u64>())
        .prop_map(|(shape, (y, mo, d, h, mi, s), frac, tz, mon, wd, n)| match shape {
            0 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}{tz}"),
            1 => format!("{y:04}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}{frac} {tz}"),
            2 => format!("{y:04}-{mo:02}-{d:02}-{h:02}.{mi:02}.{s:02}{frac}"),
            3 => format!("{mon} {d:>2} {h:02}:{mi:02}:{s:02}{frac}"),
            4 => format!("[{wd} {mon} {d:02} {h:02}:{mi:02}:{s:02}{frac} {y}]"),
            5 => format!("[{d:02}/{mon}/{y:04}:{h:02}:{mi:02}:{s:02} {tz}]"),
            6 => format!("{:02}{mo:02}{d:02} {h:02}{mi:02}{s:02}", y % 100),
            7 => format!("{:02}/{mo:02}/{d:02} {h:02}:{mi:02}:{s:02}{frac}", y % 100),
            8 => format!("{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}", n % 1000),
            9 => format!("{}", n >> (n % 64)),
            10 => format!("{}{frac}", n % 100_000_000_000),
            _ => format!("<{}>{} {y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{tz}", n % 1000, n % 3),
        })
        .boxed()
}

const LINE_WORDS: &[&str] =
    &["INFO", "[error]", "E", "W", "level=warn", "lvl=\"ERROR\"", "sshd[24200]:", "host", "kernel:", "<13>", "é"];

/// A log line: a timestamp among other words, or arbitrary text.
pub fn log_line() -> BoxedStrategy<String> {
    prop_oneof![
        2 => any_text(200),
        3 => (any_text(6), timestamp_text(), phrase(LINE_WORDS, &[" ", "  ", ""], 6))
            .prop_map(|(pre, ts, rest)| format!("{pre}{ts} {rest}")),
        3 => (timestamp_text(), phrase(LINE_WORDS, &[" ", "  ", ""], 6)).prop_map(|(ts, rest)| format!("{ts} {rest}")),
    ]
    .boxed()
}

fn check_found(ctx: &TsContext, line: &str, span: (usize, usize), t: DateTime<Utc>) -> Result<(), TestCaseError> {
    let (a, b) = span;
    prop_assert!(a <= b && b <= line.len(), "span {a}..{b} outside {line:?}");
    prop_assert!(line.is_char_boundary(a) && line.is_char_boundary(b), "span {a}..{b} cuts a char in {line:?}");
    prop_assert!(ctx.plausible(t), "{t} from {line:?} is outside the window of {}", ctx.now);
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    /// A found time lies in the documented window, and its span on char boundaries inside the line.
    #[test]
    fn timestamp_parser(ctx in ctx(), line in log_line(), hint in prop::option::of(0usize..9)) {
        let mut hint = hint;
        if let Some(f) = timestamp::find(&ctx, &line, &mut hint) {
            check_found(&ctx, &line, (f.start, f.end), f.time)?;
        }
        // Epoch numbers: refused unless between 2000 and a day after receipt.
        for n in [line.trim().parse::<f64>().unwrap_or(f64::NAN), line.len() as f64 * 1e9] {
            if let Some(t) = timestamp::epoch_number(n, ctx.now) {
                prop_assert!(t.timestamp() >= timestamp::EARLIEST_EPOCH_SECS && t <= timestamp::latest(ctx.now));
            }
        }
    }

    /// Lines of one file share the parser (its shape hint): times in the window, spans on char boundaries.
    #[test]
    fn plaintext_parser(ctx in ctx(), lines in proptest::collection::vec(log_line(), 1..8)) {
        let mut parser = TextParser::default();
        for line in &lines {
            let t = parser.parse(&ctx, line);
            match (t.time, t.time_span) {
                (Some(time), Some(span)) => check_found(&ctx, line, span, time)?,
                (None, None) => {}
                other => return Err(TestCaseError::fail(format!("time and span disagree: {other:?}"))),
            }
        }
    }
}

/// Field names the JSON, OTLP and Alertmanager parsers look for.
const JSON_KEYS: &[&str] = &[
    "timestamp",
    "@timestamp",
    "time",
    "ts",
    "t",
    "level",
    "severity",
    "status",
    "log.level",
    "log",
    "message",
    "msg",
    "body",
    "service",
    "service.name",
    "app",
    "region",
    "cloud",
    "host",
    "hostname",
    "trace_id",
    "traceId",
    "dd",
    "span_id",
    "alerts",
    "labels",
    "startsAt",
    "receiver",
    "fingerprint",
    "resourceLogs",
    "resourceSpans",
    "resourceMetrics",
    "x",
];

fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (1e8f64..1e19).prop_map(Value::from),
        any_text(24).prop_map(Value::from),
        timestamp_text().prop_map(Value::from),
        select(&["error", "WARN", "50", "fatal", "", "-1", "1e300", "NaN"][..]).prop_map(Value::from),
    ]
    .boxed()
}

/// Any JSON value, its object keys mostly the ones the parsers look for.
pub fn json_value() -> BoxedStrategy<Value> {
    json_leaf()
        .prop_recursive(4, 48, 6, |inner| {
            let key = prop_oneof![3 => select(JSON_KEYS).prop_map(str::to_string), 1 => any_text(8)];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((key, inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
            ]
        })
        .boxed()
}

/// Every signal's time lies in the window of the receive time (or is it).
fn check_signal_times(now: DateTime<Utc>, signals: &[Signal]) -> Result<(), TestCaseError> {
    for s in signals {
        let (what, t) = match s {
            Signal::Log(l) => ("log", l.timestamp),
            Signal::Span(sp) => {
                prop_assert!(sp.end >= sp.start && sp.end.timestamp_nanos_opt().is_some(), "span end {:?}", sp.end);
                ("span", sp.start)
            }
            Signal::Metric(m) => ("metric", m.timestamp),
            Signal::Alert(a) => ("alert", a.starts_at),
        };
        prop_assert!(timestamp::plausible(t, now), "{what} dated {t}, received {now}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    /// A JSON log object: its time, when taken, lies in the window.
    #[test]
    fn jsonlog_parser(ctx in ctx(), v in json_value(), text in any_text(200)) {
        let fields = firewatch::store::schema::build().1;
        for v in [v, serde_json::from_str(&text).unwrap_or(Value::Null)] {
            let Value::Object(obj) = v else { continue };
            let j = jsonlog::parse(obj, &ctx);
            if let Some(t) = j.time {
                prop_assert!(ctx.plausible(t), "{t} outside the window of {}", ctx.now);
            }
            let _ = firewatch::store::docs::log_doc(&fields, &test_record(j.body.unwrap_or_default()), None);
        }
    }
}

fn test_record(body: String) -> firewatch::model::LogRecord {
    firewatch::model::LogRecord {
        id: RecordId(1),
        timestamp: DateTime::UNIX_EPOCH,
        severity: firewatch::model::Severity::Unspecified,
        time_span: Some((0, body.len() / 2)),
        body,
        resource: Default::default(),
        trace_id: None,
        span_id: None,
        attributes: Map::new(),
    }
}

/// A nanosecond time as OTLP/JSON writes it (a string or a number), or something that is not one.
fn nanos_value() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<u64>().prop_map(|n| Value::String(n.to_string())),
        (946_684_800_000_000_000u64..4_102_444_800_000_000_000).prop_map(|n| Value::String(n.to_string())),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(|n| Value::String(n.to_string())),
        json_leaf(),
    ]
    .boxed()
}

fn hex_id() -> BoxedStrategy<Value> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| Value::String(b.iter().map(|x| format!("{x:02x}")).collect())),
        json_leaf(),
    ]
    .boxed()
}

fn any_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        any_text(16).prop_map(|s| json!({ "stringValue": s })),
        any::<i64>().prop_map(|n| json!({ "intValue": n.to_string() })),
        any::<f64>().prop_map(|f| json!({ "doubleValue": f })),
        any::<bool>().prop_map(|b| json!({ "boolValue": b })),
        any_text(8).prop_map(|s| json!({ "bytesValue": s })),
        json_leaf(),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({ "arrayValue": { "values": v } })),
            proptest::collection::vec((any_text(8), inner), 0..4).prop_map(|kv| {
                let values: Vec<Value> = kv.into_iter().map(|(k, v)| json!({ "key": k, "value": v })).collect();
                json!({ "kvlistValue": { "values": values } })
            }),
        ]
    })
    .boxed()
}

fn attributes() -> BoxedStrategy<Value> {
    let key = prop_oneof![
        select(&["service.name", "cloud.region", "host.name", "k8s.pod.name"][..]).prop_map(str::to_string),
        any_text(8)
    ];
    proptest::collection::vec((key, any_value()), 0..4)
        .prop_map(|kv| Value::Array(kv.into_iter().map(|(k, v)| json!({ "key": k, "value": v })).collect()))
        .boxed()
}

/// An object holding a random subset of `fields`.
fn object_of(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let n = fields.len();
    let (names, values): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    (values, proptest::collection::vec(any::<bool>(), n))
        .prop_map(move |(values, keep)| {
            let mut m = Map::new();
            for ((k, v), keep) in names.iter().zip(values).zip(keep) {
                if keep {
                    m.insert(k.to_string(), v);
                }
            }
            Value::Object(m)
        })
        .boxed()
}

fn otlp_request() -> BoxedStrategy<Value> {
    let log = object_of(vec![
        ("timeUnixNano", nanos_value()),
        ("observedTimeUnixNano", nanos_value()),
        ("severityNumber", prop_oneof![(-5i64..30).prop_map(Value::from), json_leaf()].boxed()),
        ("severityText", json_leaf()),
        ("body", any_value()),
        ("attributes", attributes()),
        ("traceId", hex_id()),
        ("spanId", hex_id()),
        ("eventName", json_leaf()),
    ]);
    let span = object_of(vec![
        ("traceId", hex_id()),
        ("spanId", hex_id()),
        ("parentSpanId", hex_id()),
        ("name", json_leaf()),
        ("kind", (-2i64..8).prop_map(Value::from).boxed()),
        ("startTimeUnixNano", nanos_value()),
        ("endTimeUnixNano", nanos_value()),
        ("attributes", attributes()),
        ("status", (0i64..4, any_text(8)).prop_map(|(c, m)| json!({ "code": c, "message": m })).boxed()),
        (
            "events",
            proptest::collection::vec((nanos_value(), any_text(8)), 0..3)
                .prop_map(|e| {
                    Value::Array(e.into_iter().map(|(t, n)| json!({ "timeUnixNano": t, "name": n })).collect())
                })
                .boxed(),
        ),
    ]);
    let point = object_of(vec![
        ("timeUnixNano", nanos_value()),
        ("startTimeUnixNano", nanos_value()),
        ("asDouble", json_leaf()),
        ("asInt", any::<i64>().prop_map(|n| Value::String(n.to_string())).boxed()),
        ("count", nanos_value()),
        ("sum", json_leaf()),
        ("bucketCounts", proptest::collection::vec(nanos_value(), 0..4).prop_map(Value::Array).boxed()),
        ("explicitBounds", proptest::collection::vec(json_leaf(), 0..4).prop_map(Value::Array).boxed()),
        ("attributes", attributes()),
    ]);
    let points = proptest::collection::vec(point, 0..3).prop_map(|p| json!({ "dataPoints": p }));
    let metric = (any_text(12), select(&["gauge", "sum", "histogram", "summary", "exponentialHistogram"][..]), points)
        .prop_map(|(name, kind, data)| json!({ "name": name, "unit": "ms", kind: data }));
    let resource = attributes().prop_map(|a| json!({ "attributes": a }));
    (
        resource,
        proptest::collection::vec(log, 0..3),
        proptest::collection::vec(span, 0..3),
        proptest::collection::vec(metric, 0..3),
        any_text(8),
    )
        .prop_map(|(r, logs, spans, metrics, scope)| {
            json!({
                "resourceLogs": [{ "resource": r, "scopeLogs": [{ "scope": { "name": scope }, "logRecords": logs }] }],
                "resourceSpans": [{ "resource": r, "scopeSpans": [{ "spans": spans }] }],
                "resourceMetrics": [{ "resource": r, "scopeMetrics": [{ "metrics": metrics }] }],
            })
        })
        .boxed()
}

proptest! {
    #![proptest_config(config(1000))]

    /// Every decoded record is dated inside the window; a bad record is an error, never a panic.
    #[test]
    fn otlp_json_parser(ctx in ctx(), v in prop_oneof![3 => otlp_request(), 1 => json_value()]) {
        let mut n = 0u128;
        let mut next = || {
            n += 1;
            RecordId(n)
        };
        let mut conv = otlp_json::Converter { now: ctx.now, next_id: &mut next };
        if let Value::Object(m) = &v {
            let _ = otlp_json::is_otlp(m);
        }
        let decoded = otlp_json::decode_request(&v, &mut conv);
        check_signal_times(ctx.now, &decoded.signals)?;
    }
}

/// An RFC 3339 time with random fields, or a value that is not one.
fn rfc3339_value() -> BoxedStrategy<Value> {
    prop_oneof![
        (0u32..10_000, 1u32..13, 1u32..29, 0u32..24, 0u32..60, offset_text())
            .prop_map(|(y, mo, d, h, mi, tz)| Value::String(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{tz}"))),
        (2000u32..2100, 1u32..13, 1u32..29)
            .prop_map(|(y, mo, d)| Value::String(format!("{y}-{mo:02}-{d:02}T12:00:00Z"))),
        timestamp_text().prop_map(Value::from),
        json_leaf(),
    ]
    .boxed()
}

fn alert() -> BoxedStrategy<Value> {
    let labels = proptest::collection::vec(
        (
            prop_oneof![
                select(&["alertname", "service", "job", "region", "instance", "severity"][..]).prop_map(str::to_string),
                any_text(8)
            ],
            prop_oneof![3 => any_text(12).prop_map(Value::from), 1 => json_leaf()],
        ),
        0..5,
    )
    .prop_map(|kv| Value::Object(kv.into_iter().collect()));
    object_of(vec![
        ("labels", prop_oneof![4 => labels.clone(), 1 => json_leaf()].boxed()),
        ("annotations", prop_oneof![labels, json_leaf()].boxed()),
        ("startsAt", rfc3339_value()),
        ("endsAt", rfc3339_value()),
        ("updatedAt", rfc3339_value()),
        (
            "status",
            prop_oneof![
                select(&["firing", "resolved"][..]).prop_map(Value::from),
                select(&["active", "suppressed"][..]).prop_map(|s| json!({ "state": s })),
                json_leaf()
            ]
            .boxed(),
        ),
        ("fingerprint", json_leaf()),
        ("generatorURL", json_leaf()),
    ])
}

fn alert_document() -> BoxedStrategy<Value> {
    prop_oneof![
        proptest::collection::vec(alert(), 0..4).prop_map(Value::Array),
        (proptest::collection::vec(alert(), 0..4), json_leaf())
            .prop_map(|(a, r)| json!({ "version": "4", "receiver": r, "status": "firing", "alerts": a })),
        alert(),
        json_value(),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(2000))]

    /// Parsed alerts start (and were updated) inside the window, and end at a time the store can hold.
    #[test]
    fn alertmanager_parser(ctx in ctx(), v in alert_document()) {
        let _ = (alertmanager::is_webhook(&v), alertmanager::is_alert(&v));
        let Some(alerts) = alertmanager::parse_document(&v, ctx.now) else { return Ok(()) };
        for a in alerts.into_iter().flatten() {
            prop_assert!(ctx.plausible(a.starts_at), "starts {} received {}", a.starts_at, ctx.now);
            if let Some(u) = a.updated_at {
                prop_assert!(ctx.plausible(u), "updated {u} received {}", ctx.now);
            }
            if let Some(e) = a.ends_at {
                prop_assert!(e.timestamp_nanos_opt().is_some(), "ends {e}");
            }
            prop_assert!(!a.labels.is_empty());
        }
    }
}

const LINE_ENDS: &[&[u8]] = &[b"\n", b"\r\n", b"\r", b"\n\n"];

/// Bytes with lines of every length, some far over the limit, with `\r\n` and no final newline.
fn line_bytes() -> BoxedStrategy<Vec<u8>> {
    let segment = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => (any::<u8>(), 4_000usize..40_000).prop_map(|(b, n)| vec![b; n]),
        1 => (0usize..20_000).prop_map(|n| "é".repeat(n).into_bytes()),
        2 => select(LINE_ENDS).prop_map(<[u8]>::to_vec),
    ];
    proptest::collection::vec(segment, 0..12).prop_map(|v| v.concat()).boxed()
}

proptest! {
    #![proptest_config(config(500))]

    /// Offsets add up to the input, whole lines are returned exactly, cut ones stay within the limit.
    #[test]
    fn line_reader(data in line_bytes(), max in 0usize..30_000, cap in 1usize..9000) {
        let mut r = LineReader::new(BufReader::with_capacity(cap, Cursor::new(&data)), 0, 0, Xxh3::new(), max);
        let mut buf = Vec::new();
        let mut at = 0u64;
        while let Some(info) = r.next_line(&mut buf).expect("a read from memory") {
            prop_assert_eq!(info.start, at);
            let end = info.start as usize + info.len as usize;
            if info.truncated {
                prop_assert!(buf.len() <= max.max(8192), "{} bytes kept of {}", buf.len(), info.len);
            } else {
                prop_assert_eq!(&buf[..], &data[info.start as usize..end]);
            }
            at = r.offset();
            prop_assert!(at as usize >= end);
        }
        prop_assert_eq!(r.offset(), data.len() as u64);
    }
}

const TIMEARG_WORDS: &[&str] =
    &["now", "NOW", "-", "15m", "2h", "7d", "1w", "500ms", "0", "99999999999d", "18446744073709551615ms", " ", "T"];

proptest! {
    #![proptest_config(config(2000))]

    /// `--since`/`--until` values: a time or an error, never a panic.
    #[test]
    fn timearg_parser(ctx in ctx(), s in prop_oneof![
        any_text(40),
        timestamp_text(),
        rfc3339_value().prop_map(|v| v.as_str().unwrap_or("").to_string()),
        phrase(TIMEARG_WORDS, &["", " "], 4),
        (0u64..u64::MAX, select(&["ms", "s", "m", "h", "d", "w"][..])).prop_map(|(n, u)| format!("{n}{u}")),
    ]) {
        let _ = timearg::parse(&s, ctx.now);
    }
}
