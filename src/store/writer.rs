//! The one thread that owns Tantivy's `IndexWriter`.
//!
//! Producers send batches of documents over a bounded channel (back-pressure instead of
//! unbounded memory); the thread commits every `commit_docs` documents or
//! `commit_interval`, and on request, with the file manifest as commit payload.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender};
use tantivy::{IndexWriter, TantivyDocument, TantivyError, Term};

use super::manifest::{Manifest, Progress};
use super::{Result, Store, StoreError};

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
    /// Documents that replace any earlier one with the same `id` (sources without a manifest).
    Upsert(Vec<(String, TantivyDocument)>),
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
        let id_field = store.fields.id;
        // Few batches in flight: enough to keep the indexing threads busy, bounded in memory.
        let (tx, rx) = bounded::<WriteOp>(4);
        let thread = std::thread::Builder::new()
            .name("firewatch-index-writer".into())
            .spawn(move || run(writer, rx, manifest, id_field, cfg))
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
    id_field: tantivy::schema::Field,
    cfg: WriterConfig,
) -> Result<WriterStats> {
    let mut stats = WriterStats::default();
    let mut pending = 0u64;
    let mut last_commit = Instant::now();
    loop {
        let op = match rx.recv_timeout(cfg.commit_interval) {
            Ok(op) => Some(op),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match op {
            Some(WriteOp::Add(docs, progress)) => {
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
            Some(WriteOp::Upsert(docs)) => {
                pending += docs.len() as u64;
                stats.docs += docs.len() as u64;
                for (id, d) in docs {
                    writer.delete_term(Term::from_field_text(id_field, &id));
                    writer.add_document(d)?;
                }
            }
            Some(WriteOp::DeleteQuery(q)) => {
                writer.delete_query(q)?;
                pending += 1;
            }
            Some(WriteOp::Commit(ack)) => {
                let r = commit(&mut writer, &manifest, &mut stats);
                pending = 0;
                last_commit = Instant::now();
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
            None => {}
        }
        if pending > 0 && (pending >= cfg.commit_docs || last_commit.elapsed() >= cfg.commit_interval) {
            commit(&mut writer, &manifest, &mut stats)?;
            pending = 0;
            last_commit = Instant::now();
        }
    }
    if pending > 0 {
        commit(&mut writer, &manifest, &mut stats)?;
    }
    writer.wait_merging_threads()?;
    Ok(stats)
}
