//! Reading records back as signals, for the analysis: every log and span in a time range.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tantivy::collector::DocSetCollector;
use tantivy::query::RangeQuery;
use tantivy::schema::Value as _;
use tantivy::{Searcher, TantivyDocument, Term};

use super::docs::hit_from_doc;
use super::schema::Fields;
use super::{Result, StoreError};
use crate::model::{LogRecord, RecordKind, Resource, Span, SpanKind};

fn term(f: &Fields, t: DateTime<Utc>) -> Term {
    Term::from_field_date(f.timestamp, tantivy::DateTime::from_timestamp_nanos(t.timestamp_nanos_opt().unwrap_or(0)))
}

/// Logs and spans with a timestamp in `[from, to]`, each in time order.
pub fn records(
    f: &Fields,
    searcher: &Searcher,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(Vec<LogRecord>, Vec<Span>)> {
    use std::ops::Bound;
    let q = RangeQuery::new(Bound::Included(term(f, from)), Bound::Included(term(f, to)));
    let addrs = searcher.search(&q, &DocSetCollector)?;
    let (mut logs, mut spans) = (Vec::new(), Vec::new());
    // Records of one process share a resource, as they did when ingested.
    let mut resources: HashMap<String, Arc<Resource>> = HashMap::new();
    for addr in addrs {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let hit = hit_from_doc(f, &doc);
        let version = hit.attributes.get("service.version").and_then(Value::as_str);
        let key = format!("{:?}\u{0}{:?}\u{0}{:?}\u{0}{version:?}", hit.service, hit.region, hit.host);
        let resource = resources
            .entry(key)
            .or_insert_with(|| {
                let mut r = Resource::default();
                for (k, v) in [
                    ("service.name", hit.service.as_deref()),
                    ("cloud.region", hit.region.as_deref()),
                    ("host.name", hit.host.as_deref()),
                    ("service.version", version),
                ] {
                    if let Some(v) = v {
                        r.set(k, v);
                    }
                }
                Arc::new(r)
            })
            .clone();
        let id = hit.id;
        if hit.kind == RecordKind::Span {
            let attr = |k: &str| hit.attributes.get(k).and_then(Value::as_str).unwrap_or("");
            let kind = SpanKind::from_name(attr("span.kind"));
            let error = attr("span.status") == "error";
            let parent = doc.get_first(f.parent_span_id).and_then(|v| v.as_str().map(str::to_string));
            spans.push(Span {
                id,
                trace_id: hit.trace_id.clone().unwrap_or_default(),
                span_id: hit.span_id.clone().unwrap_or_default(),
                parent_span_id: parent,
                name: hit.body.clone(),
                kind,
                start: hit.timestamp,
                end: hit.timestamp + Duration::microseconds(hit.duration_us as i64),
                error,
                status_message: None,
                resource,
                attributes: hit.attributes,
            });
        } else {
            logs.push(LogRecord {
                id,
                timestamp: hit.timestamp,
                severity: hit.severity,
                body: hit.body,
                time_span: None,
                resource,
                trace_id: hit.trace_id,
                span_id: hit.span_id,
                attributes: hit.attributes,
            });
        }
    }
    logs.sort_by_key(|l| l.timestamp);
    spans.sort_by_key(|s| s.start);
    Ok((logs, spans))
}

/// The services and regions seen in the data (records and alerts): the names a question
/// or a runbook parameter may use.
pub fn known_names(
    f: &Fields,
    searcher: &Searcher,
    alerts: &[crate::model::Alert],
) -> Result<(Vec<String>, Vec<String>)> {
    let mut services = field_values(searcher, f.service)?;
    let mut regions = field_values(searcher, f.region)?;
    for a in alerts {
        services.extend(a.service.clone());
        regions.extend(a.region.clone());
    }
    Ok((services.into_iter().collect(), regions.into_iter().collect()))
}

/// Every distinct value of a raw string field (service, region), from the term dictionaries: no document is read.
pub fn field_values(searcher: &Searcher, field: tantivy::schema::Field) -> Result<std::collections::BTreeSet<String>> {
    let mut out = std::collections::BTreeSet::new();
    for seg in searcher.segment_readers() {
        let index = seg.inverted_index(field)?;
        let mut terms = index.terms().stream().map_err(|e| StoreError::Index(e.into()))?;
        while terms.advance() {
            if let Ok(s) = std::str::from_utf8(terms.key()) {
                out.insert(s.to_string());
            }
        }
    }
    Ok(out)
}
