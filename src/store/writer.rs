//! The one thread that owns Tantivy's `IndexWriter`.
//!
//! Producers send batches of documents over a bounded channel (back-pressure instead of
//! unbounded memory); the thread commits every `commit_docs` documents or
//! `commit_interval`, and on request, with the file manifest as commit payload.
//!
//! Commits start small and early, then grow: the first lands [`FIRST_COMMIT`] after the
//! first document, so a search started beside a long ingest sees records within a second;
//! each later threshold (time and documents) doubles up to the configured one, so a bulk
//! ingest still writes few, large segments.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use tantivy::{IndexWriter, TantivyDocument, TantivyError, Term};

use super::manifest::{Manifest, Progress};
use super::{Fields, Result, Store, StoreError};
use crate::model::RecordId;

/// How soon after its first document the writer commits for the first time.
pub const FIRST_COMMIT: Duration = Duration::from_millis(400);
/// Documents that trigger the first commit, whatever the time.
const FIRST_COMMIT_DOCS: u64 = 16_384;

/// When the next commit is due: thresholds that double after each commit, up to the configured ones.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    interval: Duration,
    docs: u64,
}

impl Schedule {
    fn new(cfg: &WriterConfig) -> Self {
        Schedule {
            interval: FIRST_COMMIT.min(cfg.commit_interval),
            docs: FIRST_COMMIT_DOCS.min(cfg.commit_docs.max(1)),
        }
    }

    fn grow(&mut self, cfg: &WriterConfig) {
        self.interval = (self.interval * 2).min(cfg.commit_interval);
        self.docs = self.docs.saturating_mul(2).min(cfg.commit_docs.max(1));
    }
}

#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub memory_bytes: usize,
    pub threads: usize,
    pub commit_docs: u64,
    pub commit_interval: Duration,
    /// Segments larger than this are not merged again.
    pub max_docs_before_merge: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            memory_bytes: 96 << 20,
            threads: 2,
            commit_docs: 2_000_000,
            commit_interval: Duration::from_secs(5),
            max_docs_before_merge: 50_000,
        }
    }
}

pub enum WriteOp {
    /// New documents and, for a file, how far it is ingested once they are in: the two
    /// travel together so that a commit can never separate them.
    Add(Vec<TantivyDocument>, Option<Progress>),
    /// Documents that replace any earlier one with the same `id` (sources without a manifest): the id is
    /// indexed on them (`upsert_id`), so that the next version finds this one by its term.
    Upsert(Vec<(String, TantivyDocument)>),
    /// Documents that replace one stored by `Add` with the same id (the record where an earlier ingest of a
    /// file stopped, maybe before its line was complete): found by the id column, a scan, so only for a few.
    Replace(Vec<(RecordId, TantivyDocument)>),
    /// Deletes every document matching the query (retention).
    DeleteQuery(Box<dyn tantivy::query::Query>),
    Commit(Sender<Result<u64>>),
}

#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    pub docs: u64,
    pub commits: u64,
}

pub struct WriterHandle {
    tx: Option<Sender<WriteOp>>,
    thread: Option<JoinHandle<Result<WriterStats>>>,
}

impl WriterHandle {
    pub fn start(store: &Store, cfg: WriterConfig) -> Result<Self> {
        let writer: IndexWriter = store
            .index
            .writer_with_num_threads(cfg.threads.max(1), cfg.memory_bytes.max(32 << 20))
            .map_err(|e| match e {
                TantivyError::LockFailure(..) => StoreError::Locked { dir: store.dir.clone() },
                other => StoreError::Index(other),
            })?;
        // Only small segments (from frequent commits) are merged. Segments flushed by a bulk
        // ingest stay as they are: they hold consecutive stretches of time, which newest-first
        // search uses to stop early, and merging them would rewrite the whole index again
        // (measured: +70% ingest time on 200 MB) and hold merge buffers in memory.
        let mut policy = tantivy::merge_policy::LogMergePolicy::default();
        policy.set_max_docs_before_merge(cfg.max_docs_before_merge);
        // Retention deletes: a segment that is mostly deleted is rewritten to give the space back.
        policy.set_del_docs_ratio_before_merge(0.3);
        writer.set_merge_policy(Box::new(policy));
        let manifest = store.manifest()?;
        let fields = store.fields;
        // Few batches in flight: enough to keep the indexing threads busy, bounded in memory.
        let (tx, rx) = bounded::<WriteOp>(4);
        let thread = std::thread::Builder::new()
            .name("firewatch-index-writer".into())
            .spawn(move || run(writer, rx, manifest, fields, cfg))
            .map_err(|e| StoreError::WriterGone(e.to_string()))?;
        Ok(WriterHandle { tx: Some(tx), thread: Some(thread) })
    }

    pub fn send(&self, op: WriteOp) -> Result<()> {
        self.tx
            .as_ref()
            .ok_or_else(|| StoreError::WriterGone("closed".into()))?
            .send(op)
            .map_err(|_| StoreError::WriterGone("its thread exited; see the log in the data dir".into()))
    }

    /// Commits and waits until the documents sent so far are searchable; returns the opstamp.
    pub fn commit(&self) -> Result<u64> {
        let (ack_tx, ack_rx) = bounded(1);
        self.send(WriteOp::Commit(ack_tx))?;
        ack_rx.recv().map_err(|_| StoreError::WriterGone("it exited during commit".into()))?
    }

    /// Commits what is pending and stops the thread.
    pub fn finish(mut self) -> Result<WriterStats> {
        self.tx.take();
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(StoreError::WriterGone("it panicked".into())),
            None => Ok(WriterStats::default()),
        }
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            #[allow(
                clippy::let_underscore_must_use,
                reason = "a writer thread's error was returned to the commit that hit it; a drop cannot report it"
            )]
            let _ = t.join();
        }
    }
}

fn commit(writer: &mut IndexWriter, manifest: &Manifest, stats: &mut WriterStats) -> Result<u64> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&manifest.to_payload());
    let opstamp = prepared.commit()?;
    stats.commits += 1;
    tracing::debug!(opstamp, docs = stats.docs, "committed");
    Ok(opstamp)
}

fn run(
    mut writer: IndexWriter,
    rx: Receiver<WriteOp>,
    mut manifest: Manifest,
    fields: Fields,
    cfg: WriterConfig,
) -> Result<WriterStats> {
    let mut stats = WriterStats::default();
    let mut pending = 0u64;
    let mut schedule = Schedule::new(&cfg);
    // Since the first pending document (the clock of the next commit); `None` while nothing is pending.
    let mut pending_since: Option<Instant> = None;
    loop {
        let wait = pending_since.map_or(cfg.commit_interval, |t| schedule.interval.saturating_sub(t.elapsed()));
        let op = match rx.recv_timeout(wait) {
            Ok(op) => Some(op),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match op {
            Some(WriteOp::Commit(ack)) => {
                let r = commit(&mut writer, &manifest, &mut stats);
                pending = 0;
                pending_since = None;
                let failed = r.is_err();
                #[allow(
                    clippy::let_underscore_must_use,
                    reason = "the committer may have given up waiting; the failure also ends the loop below"
                )]
                let _ = ack.send(r);
                if failed {
                    return Err(StoreError::WriterGone("commit failed".into()));
                }
                continue;
            }
            Some(op) => pending += apply(&mut writer, &mut manifest, &mut stats, &fields, op)?,
            None => {}
        }
        if pending > 0 && pending_since.is_none() {
            pending_since = Some(Instant::now());
        }
        let due = pending_since.is_some_and(|t| t.elapsed() >= schedule.interval);
        if pending > 0 && (pending >= schedule.docs || due) {
            commit(&mut writer, &manifest, &mut stats)?;
            pending = 0;
            pending_since = None;
            schedule.grow(&cfg);
        }
    }
    if pending > 0 {
        commit(&mut writer, &manifest, &mut stats)?;
    }
    writer.wait_merging_threads()?;
    Ok(stats)
}

/// Hands one operation (not a commit) to the index writer; returns how many changes it adds to the next commit.
fn apply(
    writer: &mut IndexWriter,
    manifest: &mut Manifest,
    stats: &mut WriterStats,
    fields: &Fields,
    op: WriteOp,
) -> Result<u64> {
    let mut pending = 0u64;
    match op {
        WriteOp::Add(docs, progress) => {
            pending += docs.len() as u64;
            stats.docs += docs.len() as u64;
            for d in docs {
                writer.add_document(d)?;
            }
            if let Some(p) = progress {
                manifest.apply(&p);
                pending += 1;
            }
        }
        WriteOp::Upsert(docs) => {
            pending += docs.len() as u64;
            stats.docs += docs.len() as u64;
            for (id, mut d) in docs {
                writer.delete_term(Term::from_field_text(fields.upsert_id, &id));
                d.add_text(fields.upsert_id, id);
                writer.add_document(d)?;
            }
        }
        WriteOp::Replace(docs) => {
            pending += docs.len() as u64;
            stats.docs += docs.len() as u64;
            for (id, d) in docs {
                writer.delete_query(super::query::id_is(fields, id))?;
                writer.add_document(d)?;
            }
        }
        WriteOp::DeleteQuery(q) => {
            writer.delete_query(q)?;
            pending += 1;
        }
        // The loop answers commits itself, before they get here.
        WriteOp::Commit(_) => {}
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{LogRecord, Severity};
    use crate::store::docs::log_doc;
    use crate::store::search::{search, SearchRequest};

    fn doc(f: &super::super::Fields, i: u64) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_ip_addr(f.id, std::net::Ipv6Addr::from(u128::from(i)));
        d.add_text(f.text, format!("record number{i}"));
        d.add_date(f.timestamp, tantivy::DateTime::from_timestamp_secs(i as i64));
        d
    }

    #[test]
    fn commit_thresholds_start_small_and_double_up_to_the_configured_ones() {
        let cfg = WriterConfig { commit_interval: Duration::from_secs(5), commit_docs: 100_000, ..Default::default() };
        let mut s = Schedule::new(&cfg);
        assert_eq!((s.interval, s.docs), (FIRST_COMMIT, FIRST_COMMIT_DOCS));
        let mut seen = vec![s.interval];
        for _ in 0..10 {
            s.grow(&cfg);
            seen.push(s.interval);
        }
        assert_eq!(seen[1], FIRST_COMMIT * 2);
        assert_eq!((s.interval, s.docs), (cfg.commit_interval, cfg.commit_docs));
        // A configuration below the first step is obeyed from the start.
        let tight = WriterConfig { commit_interval: Duration::from_millis(100), commit_docs: 10, ..Default::default() };
        let s = Schedule::new(&tight);
        assert_eq!((s.interval, s.docs), (Duration::from_millis(100), 10));
    }

    fn record(id: u128, body: &str) -> LogRecord {
        LogRecord {
            id: RecordId(id),
            timestamp: chrono::DateTime::from_timestamp(1_700_000_000 + (id % 1000) as i64, 0).unwrap(),
            severity: Severity::Info,
            body: body.into(),
            time_span: None,
            resource: Arc::default(),
            trace_id: None,
            span_id: None,
            attributes: serde_json::Map::new(),
        }
    }

    fn find(store: &Store, query: &str) -> Vec<(RecordId, String)> {
        let reader = store.snapshot().unwrap();
        let req = SearchRequest { query: query.into(), since: None, until: None, limit: 100 };
        let hits = search(&store.fields, &reader.searcher(), &req).unwrap().hits;
        hits.into_iter().map(|h| (h.id, h.body)).collect()
    }

    /// Ids are not terms: `id:` reads them from their columns, and a record replaced by its id leaves no copy.
    #[test]
    fn records_are_found_and_replaced_by_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let f = store.fields;
        let writer = WriterHandle::start(&store, WriterConfig::default()).unwrap();
        let a = 0x0123_4567_89ab_cdef_0011_2233_4455_6677u128;
        let (b, c) = (a + 1, a ^ (1 << 100));
        let docs = [(a, "first"), (b, "second"), (c, "third")].map(|(id, body)| log_doc(&f, &record(id, body), None));
        writer.send(WriteOp::Add(docs.into(), None)).unwrap();
        writer.commit().unwrap();
        assert_eq!(find(&store, &format!("id:{a:032x}")), vec![(RecordId(a), "first".to_string())]);
        assert_eq!(find(&store, &format!("id:{b:032X}")), vec![(RecordId(b), "second".to_string())]);
        // Prefixes within the low half, within the high half, and none.
        assert_eq!(find(&store, "id:0123456789abcdef00112233445566*").len(), 2);
        assert_eq!(find(&store, "id:01234567*").len(), 2);
        assert_eq!(find(&store, "id:0123*").len(), 3);
        assert_eq!(find(&store, "id:*").len(), 3);
        // Not a whole id, not hex.
        assert!(find(&store, "id:0123").is_empty());
        assert!(find(&store, "id:xyz").is_empty());

        // The record where an earlier ingest stopped, read again whole.
        let again = log_doc(&f, &record(b, "second, complete"), None);
        writer.send(WriteOp::Replace(vec![(RecordId(b), again)])).unwrap();
        // A record of a source without a manifest, sent twice.
        for body in ["v1", "v2"] {
            let doc = log_doc(&f, &record(9, body), None);
            writer.send(WriteOp::Upsert(vec![(RecordId(9).to_string(), doc)])).unwrap();
            writer.commit().unwrap();
        }
        assert_eq!(find(&store, &format!("id:{b:032x}")), vec![(RecordId(b), "second, complete".to_string())]);
        assert_eq!(find(&store, &format!("id:{:032x}", 9)), vec![(RecordId(9), "v2".to_string())]);
        assert_eq!(find(&store, "id:*").len(), 4);
        writer.finish().unwrap();
    }

    /// A search beside a long ingest sees its first records within about a second, not after the configured interval.
    #[test]
    fn the_first_commit_lands_early() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let cfg = WriterConfig { commit_interval: Duration::from_secs(30), ..Default::default() };
        let writer = WriterHandle::start(&store, cfg).unwrap();
        let reader = store.reader().unwrap();
        let started = Instant::now();
        writer.send(WriteOp::Add((0..100).map(|i| doc(&store.fields, i)).collect(), None)).unwrap();
        while reader.searcher().num_docs() == 0 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
            reader.reload().unwrap();
        }
        assert_eq!(reader.searcher().num_docs(), 100);
        assert!(started.elapsed() < Duration::from_secs(3), "first commit after {:?}", started.elapsed());
        writer.finish().unwrap();
    }
}
