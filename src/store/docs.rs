//! Records to Tantivy documents and back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tantivy::schema::Value as _;
use tantivy::TantivyDocument;

use super::schema::Fields;
use super::tokenizer;
use crate::model::{LogRecord, RecordId, RecordKind, Resource, Severity, Span};

/// A record's id, stored and in its two columns.
fn add_id(doc: &mut TantivyDocument, f: &Fields, id: RecordId) {
    doc.add_ip_addr(f.id, std::net::Ipv6Addr::from(id.0));
    doc.add_u64(f.id_hi, (id.0 >> 64) as u64);
    doc.add_u64(f.id_lo, id.0 as u64);
}

fn tantivy_date(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_nanos(t.timestamp_nanos_opt().unwrap_or(i64::MAX))
}

/// Resource attributes that have a field of their own: not repeated per record, put
/// back into `attributes` when a record is read.
const LIFTED: [&str; 3] = ["service.name", "cloud.region", "host.name"];

/// Resource attributes (without the lifted ones) first, record attributes over them.
fn merged_attributes(resource: &Resource, attributes: &Map<String, Value>) -> Map<String, Value> {
    let mut all: Map<String, Value> = resource
        .attributes
        .iter()
        .filter(|(k, _)| !LIFTED.contains(&String::as_str(k)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    all.extend(attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    all
}

/// Whether `key` is read back by the tokenizer as the whole chunk before a [`tokenizer::KEY_MARK`].
fn plain_key(key: &str) -> bool {
    let edge_ok = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    key.len() < tokenizer::MAX_COMPOUND
        && edge_ok(key.chars().next())
        && edge_ok(key.chars().next_back())
        && key.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Whether `value` is one chunk to the tokenizer, with at least one word. An ASCII value (nearly every one) is
/// tested by bytes, with the tokenizer's table: the character tests cost 2% of ingest's own work.
fn plain_value(value: &str) -> bool {
    if !value.is_ascii() {
        return plain_value_chars(value);
    }
    let b = value.as_bytes();
    !b.is_empty() && !b.iter().any(|&c| tokenizer::is_ascii_delimiter(c)) && b.iter().any(u8::is_ascii_alphanumeric)
}

/// [`plain_value`] by characters.
fn plain_value_chars(value: &str) -> bool {
    !value.is_empty() && !value.contains(tokenizer::is_delimiter) && value.contains(char::is_alphanumeric)
}

/// Marks, in `words`, the first `key=value` that holds each string attribute exactly as a standalone chunk
/// pair, and says which attributes it marked (in their order). The tokenizer then gives the same tokens as the
/// attribute's entry would (`@key`, then the value's words) inside the body. One pass over the `=` signs:
/// a pair's key is what stands between the delimiter before its `=` and the `=`.
fn mark_pairs(words: &mut String, attributes: &Map<String, Value>) -> Vec<bool> {
    let mut marked = vec![false; attributes.len()];
    let mut from = 0;
    while let Some(i) = words.get(from..).and_then(|w| w.find('=')) {
        let eq = from + i;
        from = eq + 1;
        let start = key_start(&words[..eq]);
        let key = &words[start..eq];
        let Some(value) = attributes.get(key).and_then(Value::as_str) else { continue };
        if !plain_key(key) || !plain_value(value) || !words[from..].starts_with(value) {
            continue;
        }
        let end = from + value.len();
        let Some(idx) = attributes.keys().position(|k| k == key) else { continue };
        if marked[idx] || !words[end..].chars().next().is_none_or(tokenizer::is_delimiter) {
            continue;
        }
        marked[idx] = true;
        let mut mark = [0u8; 1];
        words.replace_range(eq..eq + 1, tokenizer::KEY_MARK.encode_utf8(&mut mark));
    }
    marked
}

/// Where the chunk that ends `head` starts: after its last delimiter. Bytes are classified by the tokenizer's
/// table until a non-ASCII one, whose character is then decoded (logs are nearly all ASCII).
fn key_start(head: &str) -> usize {
    match head.bytes().rposition(|b| !b.is_ascii() || tokenizer::is_ascii_delimiter(b)) {
        None => 0,
        Some(j) if head.as_bytes()[j].is_ascii() => j + 1,
        Some(_) => {
            head.char_indices().rev().find(|(_, c)| tokenizer::is_delimiter(*c)).map_or(0, |(j, c)| j + c.len_utf8())
        }
    }
}

/// The attribute field's text: `key KEY_SEP value` entries, nested keys joined with dots,
/// one entry per array element.
fn attr_text<'a>(attributes: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut String) {
    fn walk(key: &str, v: &Value, out: &mut String) {
        match v {
            Value::Null => {}
            Value::Array(a) => a.iter().for_each(|x| walk(key, x, out)),
            Value::Object(o) => o.iter().for_each(|(k, x)| walk(&format!("{key}.{k}"), x, out)),
            scalar => {
                push_without_controls(key, out);
                out.push(tokenizer::KEY_SEP);
                match scalar {
                    Value::String(s) => push_without_controls(s, out),
                    other => out.push_str(&other.to_string()),
                }
                out.push(tokenizer::ENTRY_SEP);
            }
        }
    }
    attributes.for_each(|(k, v)| walk(k, v, out));
}

/// `s` with each control character written as a space (they separate entries). Text of printable ASCII, nearly
/// all, is copied at once.
fn push_without_controls(s: &str, out: &mut String) {
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        out.push_str(s);
    } else {
        out.extend(s.chars().map(|c| if c.is_control() { ' ' } else { c }));
    }
}

/// Service, region, host, and the indexed words: `words` (the body's) followed by the
/// attribute entries.
fn add_common(
    doc: &mut TantivyDocument,
    f: &Fields,
    resource: &Resource,
    attributes: &Map<String, Value>,
    mut words: String,
) {
    if let Some(s) = &resource.service {
        doc.add_text(f.service, s);
    }
    if let Some(r) = &resource.region {
        doc.add_text(f.region, r);
    }
    if let Some(h) = &resource.host {
        doc.add_text(f.host, h);
    }
    // Telemetry must not forge attribute entries: the separators cannot come from the body.
    let reserved = [tokenizer::ATTRS_START, tokenizer::ENTRY_SEP, tokenizer::KEY_SEP, tokenizer::KEY_MARK];
    // One byte test each: the four are the adjacent ASCII controls 0x1c..=0x1f.
    if words.bytes().any(|b| (0x1c..=0x1f).contains(&b)) {
        words = words.replace(reserved, " ");
    }
    // Attributes parsed out of the body (`user_id=42`) are indexed where they stand; the others follow it.
    let in_body = mark_pairs(&mut words, attributes);
    if in_body.contains(&false) {
        words.push(tokenizer::ATTRS_START);
        attr_text(attributes.iter().zip(&in_body).filter(|(_, b)| !**b).map(|(kv, _)| kv), &mut words);
    }
    doc.add_text(f.text, words);
    if !attributes.is_empty() {
        doc.add_text(f.attributes_json, serde_json::to_string(attributes).unwrap_or_default());
    }
}

pub fn log_doc(f: &Fields, r: &LogRecord, template: Option<u32>) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    if let Some(t) = template {
        doc.add_u64(f.template_id, u64::from(t));
    }
    add_id(&mut doc, f, r.id);
    doc.add_text(f.kind, RecordKind::Log.as_str());
    doc.add_date(f.timestamp, tantivy_date(r.timestamp));
    doc.add_text(f.severity, r.severity.as_str());
    doc.add_u64(f.severity_number, r.severity.number());
    doc.add_text(f.body, &r.body);
    if let Some(t) = &r.trace_id {
        doc.add_text(f.trace_id, t);
    }
    if let Some(s) = &r.span_id {
        doc.add_text(f.span_id, s);
    }
    doc.add_u64(f.duration_us, 0);
    let time_span = r
        .time_span
        .filter(|(a, b)| a < b && *b <= r.body.len() && r.body.is_char_boundary(*a) && r.body.is_char_boundary(*b));
    let words = match time_span {
        Some((a, b)) => format!("{} {}", &r.body[..a], &r.body[b..]),
        None => r.body.clone(),
    };
    // Most resources have only the lifted attributes: the record's own are then all there is, as they are.
    let merged;
    let attributes = if r.resource.attributes.keys().all(|k| LIFTED.contains(&k.as_str())) {
        &r.attributes
    } else {
        merged = merged_attributes(&r.resource, &r.attributes);
        &merged
    };
    add_common(&mut doc, f, &r.resource, attributes, words);
    doc
}

pub fn span_doc(f: &Fields, s: &Span) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    add_id(&mut doc, f, s.id);
    doc.add_text(f.kind, RecordKind::Span.as_str());
    doc.add_date(f.timestamp, tantivy_date(s.start));
    let severity = if s.error { Severity::Error } else { Severity::Unspecified };
    doc.add_text(f.severity, severity.as_str());
    doc.add_u64(f.severity_number, severity.number());
    let body = match &s.status_message {
        Some(m) if !m.is_empty() => format!("{} ({m})", s.name),
        _ => s.name.clone(),
    };
    doc.add_text(f.body, &body);
    doc.add_text(f.trace_id, &s.trace_id);
    doc.add_text(f.span_id, &s.span_id);
    if let Some(p) = &s.parent_span_id {
        doc.add_text(f.parent_span_id, p);
    }
    doc.add_u64(f.duration_us, s.duration_us());
    let mut attrs = merged_attributes(&s.resource, &s.attributes);
    attrs.insert("span.kind".into(), Value::String(s.kind.as_str().into()));
    attrs.insert("span.status".into(), Value::String(if s.error { "error" } else { "unset" }.into()));
    add_common(&mut doc, f, &s.resource, &attrs, body);
    doc
}

/// A stored record as the CLI, the copilot and the UI read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: RecordId,
    #[serde(serialize_with = "ser_rfc3339")]
    pub timestamp: DateTime<Utc>,
    #[serde(skip)]
    pub kind: RecordKind,
    pub service: Option<String>,
    pub severity: Severity,
    #[serde(skip)]
    pub region: Option<String>,
    #[serde(skip)]
    pub host: Option<String>,
    pub body: String,
    pub trace_id: Option<String>,
    #[serde(skip)]
    pub span_id: Option<String>,
    #[serde(skip)]
    pub duration_us: u64,
    #[serde(skip)]
    pub template_id: Option<u64>,
    pub attributes: Map<String, Value>,
}

fn ser_rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

pub fn hit_from_doc(f: &Fields, doc: &TantivyDocument) -> Hit {
    let text = |field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_string));
    let timestamp = doc
        .get_first(f.timestamp)
        .and_then(|v| v.as_datetime())
        .map(|d| DateTime::<Utc>::from_timestamp_nanos(d.into_timestamp_nanos()))
        .unwrap_or_default();
    let mut attributes =
        text(f.attributes_json).and_then(|s| serde_json::from_str::<Map<String, Value>>(&s).ok()).unwrap_or_default();
    for (key, field) in LIFTED.iter().zip([f.service, f.region, f.host]) {
        if let Some(v) = text(field) {
            attributes.entry(key.to_string()).or_insert(Value::String(v));
        }
    }
    Hit {
        id: RecordId(doc.get_first(f.id).and_then(|v| v.as_ip_addr()).map_or(0, u128::from)),
        timestamp,
        kind: if text(f.kind).as_deref() == Some("span") { RecordKind::Span } else { RecordKind::Log },
        service: text(f.service),
        severity: text(f.severity).and_then(|t| Severity::parse(&t)).unwrap_or(Severity::Unspecified),
        region: text(f.region),
        host: text(f.host),
        body: text(f.body).unwrap_or_default(),
        trace_id: text(f.trace_id),
        span_id: text(f.span_id),
        duration_us: doc.get_first(f.duration_us).and_then(|v| v.as_u64()).unwrap_or(0),
        template_id: doc.get_first(f.template_id).and_then(|v| v.as_u64()),
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn marked(body: &str, attributes: Value) -> (String, Vec<bool>) {
        let Value::Object(attributes) = attributes else { panic!("not an object") };
        let mut words = body.to_string();
        let in_body = mark_pairs(&mut words, &attributes);
        (words.replace(tokenizer::KEY_MARK, "^"), in_body)
    }

    /// A pair is marked where it stands alone and holds the attribute's value exactly, once; the others are
    /// left for the entries after the body.
    #[test]
    fn marks_standalone_pairs_that_hold_the_attribute() {
        let attrs = json!({"a.b": "x", "id": "7", "n": 5, "user_id": "42"});
        let (words, in_body) = marked("user_id=42 xid=7 id=77 id=7 id=7 a.b=x n=5", attrs);
        assert_eq!(words, "user_id^42 xid=7 id=77 id^7 id=7 a.b^x n=5");
        // In key order: a.b, id, n (a number is not a pair), user_id.
        assert_eq!(in_body, vec![true, true, false, true]);
        let (words, in_body) = marked("(user_id=42) é=1 user_id=42x", json!({"user_id": "42", "é": "1"}));
        assert_eq!(words, "(user_id^42) é^1 user_id=42x");
        assert_eq!(in_body, vec![true, true]);
        let (words, in_body) = marked("no pairs here", json!({"k": "v"}));
        assert_eq!((words.as_str(), in_body), ("no pairs here", vec![false]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The byte tests of an ASCII value answer as the character tests do: every delimiter, control
        /// character and punctuation mark, alone and among words.
        #[test]
        fn ascii_values_are_tested_as_characters_are(value in "[\\x00-\\x7f]{0,6}|[a-z0-9._:/-]{0,8}[\\x00-\\x7f]?") {
            proptest::prop_assert_eq!(plain_value(&value), plain_value_chars(&value), "{:?}", value);
        }

        /// An attribute's key and value lose their control characters, whichever way they are copied.
        #[test]
        fn entries_hold_no_control_characters(s in "[ -~]{0,12}[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}é]?[ -~]{0,12}") {
            let mut out = String::new();
            push_without_controls(&s, &mut out);
            let by_chars: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
            proptest::prop_assert_eq!(out, by_chars, "{:?}", s);
        }
    }
}
