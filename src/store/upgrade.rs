//! Rewrites an index of format 1 as the current format, in place, keeping every record and the manifest.
//!
//! A collector's logs and spans came from sources that cannot be read again, so an index of the previous
//! format is upgraded rather than refused. The new index is built beside the old one (`index.upgrading`) while
//! the old one's writer lock is held, then swapped in by two renames; whatever a crash leaves behind, the next
//! open finds either the old index usable or the new one complete (see [`recover`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tantivy::schema::{Field, Schema, Value as _};
use tantivy::{Index, IndexWriter, TantivyDocument, TantivyError};

use super::docs::{log_doc, span_doc};
use super::{schema, tokenizer, Fields, Result, StoreError, INDEX_DIR, INDEX_META};
use crate::model::{LogRecord, RecordId, Resource, Severity, Span, SpanKind};
use crate::sources::timestamp::{self, TsContext, Zone};

/// The new index while it is built.
pub const UPGRADING_DIR: &str = "index.upgrading";
/// The old index between the two renames of the swap.
pub const FORMAT1_DIR: &str = "index.format1";

/// What an upgrade did, for the message that says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Upgraded {
    pub records: u64,
    pub seconds: f64,
}

fn io_err(dir: &Path, e: &dyn std::fmt::Display) -> StoreError {
    StoreError::Corrupt { dir: dir.to_path_buf(), reason: format!("upgrading to format 2: {e}") }
}

/// Whether `schema` is that of format 1.
pub fn is_format1(schema: &Schema) -> bool {
    *schema == schema::build_v1()
}

/// Puts right what a crash during the swap left: the old index back where the new one never arrived, and the
/// old one removed where the new one is complete. A leftover `index.upgrading` is removed by [`upgrade`], under
/// the old index's lock (another process may be building it).
pub fn recover(data_dir: &Path) -> Result<()> {
    let (index, format1) = (data_dir.join(INDEX_DIR), data_dir.join(FORMAT1_DIR));
    if !format1.exists() {
        return Ok(());
    }
    if index.join(INDEX_META).exists() {
        // Only a complete index is ever renamed to `index`: the old one is no longer needed.
        return remove_dir(&format1);
    }
    // The crash came between the two renames: the old index goes back, and the upgrade is done again.
    if index.exists() {
        std::fs::remove_dir(&index).map_err(|e| io_err(&index, &e))?;
    }
    std::fs::rename(&format1, &index).map_err(|e| io_err(&index, &e))
}

/// Upgrades the format-1 index of `data_dir` in place. `None` when another process upgraded it meanwhile.
pub fn upgrade(data_dir: &Path) -> Result<Option<Upgraded>> {
    let started = Instant::now();
    let index_dir = data_dir.join(INDEX_DIR);
    let locking = Index::open_in_dir(&index_dir).map_err(|e| io_err(&index_dir, &e))?;
    locking.tokenizers().register(tokenizer::NAME, tokenizer::FwTokenizer::default());
    // The old index's writer lock, held until the swap is done: no other process writes meanwhile.
    let lock: IndexWriter<TantivyDocument> = locking.writer_with_num_threads(1, 32 << 20).map_err(|e| match e {
        // The lock's holder is building the new index beside the old one: say so, it ends on its own.
        TantivyError::LockFailure(..) if data_dir.join(UPGRADING_DIR).exists() => {
            StoreError::Upgrading { dir: data_dir.to_path_buf() }
        }
        TantivyError::LockFailure(..) => StoreError::Locked { dir: data_dir.to_path_buf() },
        other => StoreError::Index(other),
    })?;
    // Read under the lock: a process that held it before may have swapped in the new index already.
    let old = Index::open_in_dir(&index_dir).map_err(|e| io_err(&index_dir, &e))?;
    if !is_format1(&old.schema()) {
        return if old.schema() == schema::build().0 {
            Ok(None)
        } else {
            Err(StoreError::Incompatible { dir: data_dir.to_path_buf() })
        };
    }
    let upgrading = data_dir.join(UPGRADING_DIR);
    if upgrading.exists() {
        // An upgrade that stopped before its swap: started again from the old index.
        std::fs::remove_dir_all(&upgrading).map_err(|e| io_err(&upgrading, &e))?;
    }
    std::fs::create_dir_all(&upgrading).map_err(|e| io_err(&upgrading, &e))?;
    let records = match rewrite(&old, &upgrading) {
        Ok(n) => n,
        Err(e) => {
            // The old index is untouched; a half-built copy would only hold disk space (a full disk is a
            // likely cause) until the next open removes it.
            #[allow(
                clippy::let_underscore_must_use,
                reason = "the rewrite's error is the one to report; the next open removes what is left"
            )]
            let _ = std::fs::remove_dir_all(&upgrading);
            return Err(e);
        }
    };
    drop(old);
    swap(data_dir)?;
    drop(lock);
    remove_dir(&data_dir.join(FORMAT1_DIR))?;
    Ok(Some(Upgraded { records, seconds: started.elapsed().as_secs_f64() }))
}

/// `index` becomes `index.format1`, then `index.upgrading` becomes `index`; each rename made durable.
fn swap(data_dir: &Path) -> Result<()> {
    let at = |name: &str| data_dir.join(name);
    std::fs::rename(at(INDEX_DIR), at(FORMAT1_DIR)).map_err(|e| io_err(&at(INDEX_DIR), &e))?;
    sync_dir(data_dir)?;
    std::fs::rename(at(UPGRADING_DIR), at(INDEX_DIR)).map_err(|e| io_err(&at(UPGRADING_DIR), &e))?;
    sync_dir(data_dir)
}

/// Removes `dir` and what it holds; gone already is as good (another process's [`recover`] may remove it).
fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err(dir, &e)),
        _ => Ok(()),
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| io_err(dir, &e))
}

/// Adds every alive record of `old` to a new index in `to`, committed with the old manifest; returns how many.
fn rewrite(old: &Index, to: &Path) -> Result<u64> {
    let (schema, fields) = schema::build();
    let new = Index::create_in_dir(to, schema).map_err(|e| io_err(to, &e))?;
    new.tokenizers().register(tokenizer::NAME, tokenizer::FwTokenizer::default());
    let mut writer: IndexWriter<TantivyDocument> = new.writer_with_num_threads(2, 192 << 20)?;
    // One pass writes segments as large as the memory allows, each a stretch of the old order; none to merge.
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    let old_fields = OldFields::of(&old.schema())?;
    let reader = old.reader_builder().reload_policy(tantivy::ReloadPolicy::Manual).try_into()?;
    let searcher = reader.searcher();
    let mut records = 0u64;
    for segment in searcher.segment_readers() {
        let store = segment.get_store_reader(64).map_err(|e| io_err(to, &e))?;
        for doc in store.iter::<TantivyDocument>(segment.alive_bitset()) {
            let (id, mut doc) = to_current(&fields, &old_fields, &doc?);
            // Format 1 indexed every id, and a record cannot tell whether it was upserted: each keeps its id
            // term, so that a source sending it again replaces it instead of adding a copy.
            doc.add_text(fields.upsert_id, id.to_string());
            writer.add_document(doc)?;
            records += 1;
        }
    }
    let payload = old.load_metas().map_err(|e| io_err(to, &e))?.payload;
    let mut prepared = writer.prepare_commit()?;
    if let Some(p) = payload {
        prepared.set_payload(&p);
    }
    prepared.commit()?;
    writer.wait_merging_threads()?;
    Ok(records)
}

/// The fields of a format-1 index, found by name.
struct OldFields {
    id: Field,
    kind: Field,
    timestamp: Field,
    severity: Field,
    service: Field,
    region: Field,
    host: Field,
    body: Field,
    trace_id: Field,
    span_id: Field,
    parent_span_id: Field,
    duration_us: Field,
    template_id: Field,
    attributes_json: Field,
}

impl OldFields {
    fn of(schema: &Schema) -> Result<Self> {
        let f = |name: &str| schema.get_field(name).map_err(StoreError::Index);
        Ok(OldFields {
            id: f("id")?,
            kind: f("kind")?,
            timestamp: f("timestamp")?,
            severity: f("severity")?,
            service: f("service")?,
            region: f("region")?,
            host: f("host")?,
            body: f("body")?,
            trace_id: f("trace_id")?,
            span_id: f("span_id")?,
            parent_span_id: f("parent_span_id")?,
            duration_us: f("duration_us")?,
            template_id: f("template_id")?,
            attributes_json: f("attributes_json")?,
        })
    }
}

/// The stored record of a format-1 document, rebuilt and made a document of the current format by the code
/// that ingest uses, so that its words are indexed as a new record's are.
fn to_current(f: &Fields, old: &OldFields, doc: &TantivyDocument) -> (RecordId, TantivyDocument) {
    let text = |field| doc.get_first(field).and_then(|v| v.as_str().map(str::to_string));
    let u64_of = |field| doc.get_first(field).and_then(|v| v.as_u64());
    let id = text(old.id).and_then(|t| RecordId::from_hex(&t)).unwrap_or(RecordId(0));
    let time = doc
        .get_first(old.timestamp)
        .and_then(|v| v.as_datetime())
        .map(|d| DateTime::<Utc>::from_timestamp_nanos(d.into_timestamp_nanos()))
        .unwrap_or_default();
    let severity = text(old.severity).and_then(|t| Severity::parse(&t)).unwrap_or(Severity::Unspecified);
    let attributes: Map<String, Value> =
        text(old.attributes_json).and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    // The attributes stored are the resource's (but the lifted ones) and the record's together: as the
    // record's, with a resource of only the lifted fields, they are indexed as they were.
    let resource = Arc::new(Resource {
        service: text(old.service),
        region: text(old.region),
        host: text(old.host),
        ..Resource::default()
    });
    let body = text(old.body).unwrap_or_default();
    let doc = if text(old.kind).as_deref() == Some("span") {
        let duration = u64_of(old.duration_us).unwrap_or(0);
        let kind =
            attributes.get("span.kind").and_then(Value::as_str).map_or(SpanKind::Unspecified, SpanKind::from_name);
        let span = Span {
            id,
            trace_id: text(old.trace_id).unwrap_or_default(),
            span_id: text(old.span_id).unwrap_or_default(),
            parent_span_id: text(old.parent_span_id),
            // The body is the name with the status message: kept whole as the name.
            name: body,
            kind,
            start: time,
            end: time + chrono::Duration::microseconds(i64::try_from(duration).unwrap_or(i64::MAX / 1000)),
            error: severity == Severity::Error,
            status_message: None,
            resource,
            attributes,
        };
        span_doc(f, &span)
    } else {
        let record = LogRecord {
            id,
            timestamp: time,
            severity,
            time_span: time_span(&body, time, &attributes),
            body,
            resource,
            trace_id: text(old.trace_id),
            span_id: text(old.span_id),
            attributes,
        };
        let template = u64_of(old.template_id).and_then(|t| u32::try_from(t).ok());
        log_doc(f, &record, template)
    };
    (id, doc)
}

/// Where the record's own time stands in its body, left out of the indexed words as ingest left it out. Not
/// stored in format 1: found again, and taken only where it gives the record's time (give or take a timezone,
/// as ingest may have assumed another one), so a time quoted in a message is not taken for it.
fn time_span(body: &str, time: DateTime<Utc>, attributes: &Map<String, Value>) -> Option<(usize, usize)> {
    if attributes.get("firewatch.time").is_some() {
        // No time was found in the line: the record's is inferred.
        return None;
    }
    let ctx = TsContext { now: time, zone: Zone::Fixed(chrono::FixedOffset::east_opt(0)?) };
    let found = timestamp::find(&ctx, body, &mut None)?;
    ((found.time - time).num_hours().abs() <= 26).then_some((found.start, found.end))
}

#[cfg(test)]
mod tests {
    use tantivy::schema::Schema;

    use super::*;
    use crate::store::search::{search, SearchRequest};
    use crate::store::Store;

    const PAYLOAD: &str = r#"{"version":1,"files":{"ab":[{"offset":120,"prefix_hash":7}]}}"#;

    /// A format-1 index in `data_dir` as firewatch 0b3c7c1 wrote it: `logs` log records and one span.
    fn format1(data_dir: &Path, logs: u64) {
        let dir = data_dir.join(INDEX_DIR);
        std::fs::create_dir_all(&dir).unwrap();
        let schema: Schema = schema::build_v1();
        let index = Index::create_in_dir(&dir, schema.clone()).unwrap();
        index.tokenizers().register(tokenizer::NAME, tokenizer::FwTokenizer::default());
        let f = |name: &str| schema.get_field(name).unwrap();
        let mut writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 32 << 20).unwrap();
        let t0 = 1_700_000_000i64;
        for i in 0..logs {
            let mut d = TantivyDocument::default();
            d.add_text(f("id"), RecordId(u128::from(i) << 100 | 0xabc).to_string());
            d.add_text(f("kind"), "log");
            d.add_date(f("timestamp"), tantivy::DateTime::from_timestamp_secs(t0 + i as i64));
            d.add_text(f("severity"), "warn");
            d.add_u64(f("severity_number"), 13);
            d.add_text(f("service"), "checkout");
            let body = format!("2023-11-14T22:13:{:02}Z WARN order ord-{i} for user=alice", 20 + i);
            d.add_text(f("body"), &body);
            d.add_text(f("text"), &body);
            d.add_text(f("attributes_json"), r#"{"user":"alice"}"#);
            d.add_u64(f("template_id"), 3);
            writer.add_document(d).unwrap();
        }
        let mut d = TantivyDocument::default();
        d.add_text(f("id"), RecordId(0xfeed).to_string());
        d.add_text(f("kind"), "span");
        d.add_date(f("timestamp"), tantivy::DateTime::from_timestamp_secs(t0));
        d.add_text(f("severity"), "error");
        d.add_text(f("body"), "GET /pay (timeout)");
        d.add_text(f("trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
        d.add_text(f("span_id"), "00f067aa0ba902b7");
        d.add_u64(f("duration_us"), 2500);
        d.add_text(f("attributes_json"), r#"{"span.kind":"server","span.status":"error"}"#);
        writer.add_document(d).unwrap();
        let mut prepared = writer.prepare_commit().unwrap();
        prepared.set_payload(PAYLOAD);
        prepared.commit().unwrap();
        writer.wait_merging_threads().unwrap();
    }

    fn find(store: &Store, query: &str) -> Vec<crate::store::docs::Hit> {
        let reader = store.snapshot().unwrap();
        let req = SearchRequest { query: query.into(), since: None, until: None, limit: 100 };
        search(&store.fields, &reader.searcher(), &req).unwrap().hits
    }

    /// The records, their words and the manifest are there after the upgrade, in the current format.
    fn assert_upgraded(data_dir: &Path, logs: usize) {
        let store = Store::open(data_dir).unwrap();
        assert_eq!(store.index.schema(), schema::build().0);
        assert_eq!(find(&store, "id:*").len(), logs + 1);
        assert_eq!(find(&store, "user:alice").len(), logs);
        assert_eq!(find(&store, "\"order ord-1 for\"").len(), 1);
        // The time at the head of a line is left out of its words, as ingest leaves it out.
        assert!(find(&store, "2023").is_empty());
        assert_eq!(find(&store, "WARN").len(), logs);
        let id = RecordId(1 << 100 | 0xabc);
        let hits = find(&store, &format!("id:{id}"));
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].template_id, hits[0].service.as_deref()), (Some(3), Some("checkout")));
        let span = find(&store, "trace_id:4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(span.len(), 1);
        assert_eq!((span[0].body.as_str(), span[0].duration_us), ("GET /pay (timeout)", 2500));
        assert_eq!(span[0].severity, Severity::Error);
        assert_eq!(store.index.load_metas().unwrap().payload.as_deref(), Some(PAYLOAD));
        assert!(!data_dir.join(UPGRADING_DIR).exists() && !data_dir.join(FORMAT1_DIR).exists());
    }

    #[test]
    fn an_upgrade_left_unfinished_is_discarded_and_done_again() {
        let dir = tempfile::tempdir().unwrap();
        format1(dir.path(), 5);
        // A crash while the new index was built: a partial one beside the old.
        let upgrading = dir.path().join(UPGRADING_DIR);
        std::fs::create_dir_all(&upgrading).unwrap();
        std::fs::write(upgrading.join("meta.json"), "{").unwrap();
        assert_upgraded(dir.path(), 5);
    }

    #[test]
    fn a_crash_between_the_renames_brings_the_old_index_back_and_upgrades_it() {
        let dir = tempfile::tempdir().unwrap();
        format1(dir.path(), 4);
        let other = tempfile::tempdir().unwrap();
        format1(other.path(), 1);
        std::fs::rename(dir.path().join(INDEX_DIR), dir.path().join(FORMAT1_DIR)).unwrap();
        std::fs::rename(other.path().join(INDEX_DIR), dir.path().join(UPGRADING_DIR)).unwrap();
        assert_upgraded(dir.path(), 4);
    }

    #[test]
    fn a_crash_after_the_swap_removes_the_old_index() {
        let dir = tempfile::tempdir().unwrap();
        format1(dir.path(), 3);
        assert_upgraded(dir.path(), 3);
        let stale = dir.path().join(FORMAT1_DIR);
        std::fs::create_dir_all(&stale).unwrap();
        std::fs::write(stale.join("meta.json"), "{}").unwrap();
        assert_upgraded(dir.path(), 3);
    }

    #[test]
    fn a_locked_old_index_is_left_alone_and_another_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        format1(dir.path(), 2);
        let index = Index::open_in_dir(dir.path().join(INDEX_DIR)).unwrap();
        let writer: IndexWriter<TantivyDocument> = index.writer_with_num_threads(1, 32 << 20).unwrap();
        assert!(matches!(Store::open(dir.path()), Err(StoreError::Locked { .. })));
        assert!(!dir.path().join(UPGRADING_DIR).exists());
        // While another process builds the new index beside the old one, the error says it is an upgrade.
        std::fs::create_dir_all(dir.path().join(UPGRADING_DIR)).unwrap();
        let err = Store::open(dir.path()).err().unwrap();
        assert!(matches!(err, StoreError::Upgrading { .. }), "{err}");
        assert!(err.to_string().contains("being upgraded to index format 2"), "{err}");
        drop(writer);
        assert_upgraded(dir.path(), 2);

        let other = tempfile::tempdir().unwrap();
        let mut b = Schema::builder();
        b.add_text_field("id", tantivy::schema::STRING);
        std::fs::create_dir_all(other.path().join(INDEX_DIR)).unwrap();
        Index::create_in_dir(other.path().join(INDEX_DIR), b.build()).unwrap();
        assert!(matches!(Store::open(other.path()), Err(StoreError::Incompatible { .. })));
    }
}
