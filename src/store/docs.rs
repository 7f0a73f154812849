//! Records to Tantivy documents and back.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use tantivy::schema::Value as _;
use tantivy::TantivyDocument;

use super::schema::Fields;
use super::tokenizer;
use crate::model::{LogRecord, RecordKind, Resource, Severity, Span};

fn tantivy_date(t: DateTime<Utc>) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_nanos(t.timestamp_nanos_opt().unwrap_or(i64::MAX))
}

/// Resource attributes first, record attributes over them.
fn merged_attributes(resource: &Resource, attributes: &Map<String, Value>) -> Map<String, Value> {
    let mut all = resource.attributes.clone();
    for (k, v) in attributes {
        all.insert(k.clone(), v.clone());
    }
    all
}

/// The attribute field's text: `key KEY_SEP value` entries, nested keys joined with dots,
/// one entry per array element, the record's ids as `trace_id` / `span_id`.
fn attr_text(attributes: &Map<String, Value>, ids: [(&str, Option<&str>); 2]) -> String {
    fn walk(key: &str, v: &Value, out: &mut String) {
        match v {
            Value::Null => {}
            Value::Array(a) => a.iter().for_each(|x| walk(key, x, out)),
            Value::Object(o) => o.iter().for_each(|(k, x)| walk(&format!("{key}.{k}"), x, out)),
            scalar => {
                out.push_str(key);
                out.push(tokenizer::KEY_SEP);
                match scalar {
                    Value::String(s) => out.extend(s.chars().map(|c| if c == tokenizer::ENTRY_SEP { ' ' } else { c })),
                    other => out.push_str(&other.to_string()),
                }
                out.push(tokenizer::ENTRY_SEP);
            }
        }
    }
    let mut out = String::new();
    for (k, v) in ids {
        if let Some(v) = v {
            walk(k, &Value::String(v.to_string()), &mut out);
        }
    }
    attributes.iter().for_each(|(k, v)| walk(k, v, &mut out));
    out
}

fn add_common(
    doc: &mut TantivyDocument,
    f: &Fields,
    resource: &Resource,
    attributes: Map<String, Value>,
    ids: [(&str, Option<&str>); 2],
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
    let attrs = attr_text(&attributes, ids);
    if !attrs.is_empty() {
        doc.add_text(f.attrs, attrs);
    }
    if !attributes.is_empty() {
        doc.add_text(f.attributes_json, serde_json::to_string(&attributes).unwrap_or_default());
    }
}

pub fn log_doc(f: &Fields, r: &LogRecord) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, r.id.to_string());
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
    let ids = [("trace_id", r.trace_id.as_deref()), ("span_id", r.span_id.as_deref())];
    add_common(&mut doc, f, &r.resource, merged_attributes(&r.resource, &r.attributes), ids);
    doc
}

pub fn span_doc(f: &Fields, s: &Span) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(f.id, s.id.to_string());
    doc.add_text(f.kind, RecordKind::Span.as_str());
    doc.add_date(f.timestamp, tantivy_date(s.start));
    let severity = if s.error { Severity::Error } else { Severity::Unspecified };
    doc.add_text(f.severity, severity.as_str());
    doc.add_u64(f.severity_number, severity.number());
    let body = match &s.status_message {
        Some(m) if !m.is_empty() => format!("{} ({m})", s.name),
        _ => s.name.clone(),
    };
    doc.add_text(f.body, body);
    doc.add_text(f.trace_id, &s.trace_id);
    doc.add_text(f.span_id, &s.span_id);
    if let Some(p) = &s.parent_span_id {
        doc.add_text(f.parent_span_id, p);
    }
    doc.add_u64(f.duration_us, s.duration_us());
    let mut attrs = merged_attributes(&s.resource, &s.attributes);
    attrs.insert("span.kind".into(), Value::String(s.kind.as_str().into()));
    attrs.insert("span.status".into(), Value::String(if s.error { "error" } else { "unset" }.into()));
    add_common(&mut doc, f, &s.resource, attrs, [("trace_id", Some(&s.trace_id)), ("span_id", Some(&s.span_id))]);
    doc
}

/// A stored record as the CLI, the copilot and the UI read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    #[serde(serialize_with = "ser_rfc3339")]
    pub timestamp: DateTime<Utc>,
    #[serde(skip)]
    pub kind: String,
    pub service: Option<String>,
    pub severity: String,
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
    let attributes =
        text(f.attributes_json).and_then(|s| serde_json::from_str::<Map<String, Value>>(&s).ok()).unwrap_or_default();
    Hit {
        id: text(f.id).unwrap_or_default(),
        timestamp,
        kind: text(f.kind).unwrap_or_default(),
        service: text(f.service),
        severity: text(f.severity).unwrap_or_else(|| "unspecified".into()),
        region: text(f.region),
        host: text(f.host),
        body: text(f.body).unwrap_or_default(),
        trace_id: text(f.trace_id),
        span_id: text(f.span_id),
        duration_us: doc.get_first(f.duration_us).and_then(|v| v.as_u64()).unwrap_or(0),
        attributes,
    }
}
