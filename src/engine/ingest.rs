//! Ingesting files, directories and standard input into the data dir: detect each input's
//! format, store its records, mine its log templates, then apply retention.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;

use super::Engine;
use crate::ingest::progress::Progress;
use crate::ingest::walk::{self, Input};
use crate::ingest::{FileReport, Ingestor, Options};
use crate::sources::timestamp::TsContext;
use crate::store::compact::{self, Compaction};
use crate::store::manifest::Manifest;
use crate::store::retention::{self, Policy};
use crate::store::templates::MinerFile;
use crate::store::writer::WriterHandle;

/// What one ingest did, input by input and in total.
#[derive(Debug, Serialize)]
pub struct IngestReport {
    pub files: Vec<FileReport>,
    pub records: u64,
    pub bad: u64,
    /// Inputs not read on purpose (binary, not a regular file, a symlink loop), each with its reason.
    pub skipped: u64,
    pub bytes: u64,
    /// Until the records were committed (searchable): a compaction after it is timed on its own.
    pub seconds: f64,
    /// What `IngestOptions::compact` merged; absent when it was not asked for or found too few segments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compacted: Option<Compaction>,
}

impl IngestReport {
    /// Every input failed and none gave a record (skipped inputs are not failures).
    pub fn all_failed(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.error.is_some() && f.records() == 0)
    }
}

/// How far an ingest is, as searches see it: what the last commit covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestProgress {
    /// Bytes of the inputs on disk that are committed (searchable).
    pub bytes_done: u64,
    /// Bytes of the inputs on disk (as of the last look: a followed file grows).
    pub bytes_total: u64,
    /// Records in the index as of the last commit.
    pub records: u64,
    /// The last commit's opstamp: it moves on every commit.
    pub commit: u64,
    /// The ingest is over (all inputs read and committed, or it failed).
    pub finished: bool,
}

/// Receives the ingest's progress from a thread of its own, a few times a second and once at the end.
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(IngestProgress) + Send + Sync>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// How often the sink hears of the commits.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// How one ingest runs, beyond the config.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Service for records that do not name one; else the file's (or pod's) name.
    pub service: Option<String>,
    /// Show bytes read, records per second and the time left on stderr while working.
    pub progress: bool,
    /// Where a front end that owns the terminal hears how far the ingest is (nothing on stderr).
    pub sink: Option<ProgressSink>,
    /// Once set, the input being read stops at its next batch and the inputs not started yet are left: what was
    /// read is committed with the miner, the rest is read by another run.
    pub stop: Option<Arc<AtomicBool>>,
    /// Apply the retention policy after storing (off for files opened to be read).
    pub retention: bool,
    /// Then merge the small segments a large ingest leaves (`store::compact`).
    pub compact: bool,
}

impl IngestOptions {
    /// Progress where someone watches it: only when stderr is a terminal.
    pub fn new(service: Option<String>) -> Self {
        IngestOptions {
            service,
            progress: std::io::stderr().is_terminal(),
            sink: None,
            stop: None,
            retention: true,
            compact: false,
        }
    }
}

/// Bytes on disk of the inputs, when all of them have a size (standard input and FIFOs do not).
fn total_size(inputs: &[Input]) -> Option<u64> {
    inputs.iter().try_fold(0u64, |sum, i| match i {
        Input::File(p) => Some(sum + std::fs::metadata(p).map_or(0, |m| m.len())),
        Input::Skip { .. } | Input::Missing { .. } => Some(sum),
        Input::Stdin | Input::Stream(_) => None,
    })
}

fn input_name(input: &Input) -> (String, u64) {
    match input {
        Input::File(p) => (p.display().to_string(), std::fs::metadata(p).map_or(0, |m| m.len())),
        Input::Stdin => ("-".into(), 0),
        Input::Stream(p) | Input::Skip { path: p, .. } | Input::Missing { path: p, .. } => (p.display().to_string(), 0),
    }
}

impl Engine {
    /// Ingests `paths` with progress on a terminal unless `-q`, then compacts the index if `compact`.
    pub fn ingest_paths(
        &self,
        paths: &[PathBuf],
        service: Option<String>,
        compact: bool,
    ) -> anyhow::Result<IngestReport> {
        let mut opts = IngestOptions::new(service);
        opts.compact = compact;
        // `-q`: nothing on stderr but what goes wrong.
        opts.progress &= !self.quiet;
        self.ingest(paths, &opts)
    }

    /// Ingests `paths` (files, directories, `-` for standard input) into the data dir and
    /// applies retention (unless `run.retention` is off); with `run.sink`, the commits' progress
    /// goes there as they land. One input's failure is its own report; a store that fails fails all.
    pub fn ingest(&self, paths: &[PathBuf], run: &IngestOptions) -> anyhow::Result<IngestReport> {
        let inputs = walk::expand(paths);
        let Some(sink) = run.sink.clone() else { return self.ingest_inputs(inputs, run) };
        // The commits are watched from a thread of their own: the ingestor's loop stays as it is.
        let files: Vec<PathBuf> =
            inputs.iter().filter_map(|i| if let Input::File(p) = i { Some(p.clone()) } else { None }).collect();
        let index = self.store()?.index;
        let done = Arc::new(AtomicBool::new(false));
        let watching = done.clone();
        let watcher = std::thread::Builder::new()
            .name("firewatch-ingest-progress".into())
            .spawn(move || watch_commits(&index, &files, &sink, &watching))
            .context("cannot start the progress thread")?;
        let report = self.ingest_inputs(inputs, run);
        done.store(true, Ordering::Relaxed);
        watcher.thread().unpark();
        if watcher.join().is_err() {
            tracing::warn!("the ingest progress thread panicked");
        }
        report
    }

    fn ingest_inputs(&self, inputs: Vec<Input>, run: &IngestOptions) -> anyhow::Result<IngestReport> {
        let started = Instant::now();
        let store = self.store()?;
        let writer = WriterHandle::start(&store, self.writer_config()).context("cannot start the index writer")?;
        let mut state = self.state()?;
        let now = Utc::now();
        let opts = Options {
            ts: TsContext { now, zone: self.config.assume_zone() },
            service: run.service.clone(),
            max_line_bytes: self.config.ingest.max_line_bytes,
            complete_lines_only: false,
        };
        let mut files = Vec::new();
        let miner_file = MinerFile::new(&self.data_dir);
        let (miner, counts, progress) = {
            let mut ingestor = Ingestor::new(&writer, &mut state, store.fields, store.manifest()?, opts);
            ingestor.miner = miner_file.load()?;
            ingestor.progress = run.progress.then(|| Progress::new(total_size(&inputs)));
            ingestor.stop = run.stop.clone();
            for input in inputs {
                if run.stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                    break;
                }
                let (name, size) = input_name(&input);
                if let Some(p) = ingestor.progress.as_mut() {
                    p.start_input(&name, size);
                }
                let report = ingest_one(&mut ingestor, input);
                if let Some(p) = ingestor.progress.as_mut() {
                    p.end_input(report.bytes, report.records());
                }
                tracing::info!(path = %report.path, records = report.records(), bad = report.bad, "ingested");
                files.push(report);
            }
            (ingestor.miner, ingestor.template_counts, ingestor.progress)
        };
        if let Some(p) = &progress {
            p.note("committing");
        }
        // The miner goes to disk before the records that name its ids are committed: after a crash in between, ids
        // point at templates that exist (with counts a little high), never at ones that were lost.
        miner_file.save(&miner)?;
        writer.commit()?;
        state.add_template_counts(&counts)?;
        if run.retention {
            let policy = Policy { max_age: self.config.max_age(), max_bytes: self.config.max_size() };
            retention::apply(&store, &writer, &mut state, policy, now)?;
        }
        writer.finish()?;
        let seconds = started.elapsed().as_secs_f64();
        let compacted = if run.compact {
            if let Some(p) = &progress {
                p.note("compacting");
            }
            let never = AtomicBool::new(false);
            compact_store(&store, run.stop.as_deref().unwrap_or(&never))?
        } else {
            None
        };
        if let Some(p) = progress {
            p.finish();
        }
        Ok(IngestReport {
            records: files.iter().map(FileReport::records).sum(),
            bad: files.iter().map(|f| f.bad).sum(),
            skipped: files.iter().filter(|f| f.skipped.is_some()).count() as u64,
            bytes: files.iter().map(|f| f.bytes).sum(),
            seconds,
            compacted,
            files,
        })
    }
}

/// Sends what the commits cover until `done`, then once more with `finished`.
fn watch_commits(index: &tantivy::Index, files: &[PathBuf], sink: &ProgressSink, done: &AtomicBool) {
    // A file is known in the manifest by its first line; a compressed one (None) counts once finished.
    let mut keyed: Vec<(Option<String>, u64)> =
        files.iter().map(|p| (super::open::first_line_key(p).ok().flatten(), 0)).collect();
    let mut last = None;
    loop {
        let finished = done.load(Ordering::Relaxed);
        // Sizes now: a followed file grows while it is read, and what is committed may pass its first size.
        for ((_, size), p) in keyed.iter_mut().zip(files) {
            *size = std::fs::metadata(p).map_or(0, |m| m.len());
        }
        let p = committed(index, &keyed, finished);
        if last != Some(p) {
            (sink.0)(p);
            last = Some(p);
        }
        if finished {
            return;
        }
        std::thread::park_timeout(PROGRESS_EVERY);
    }
}

/// How far the manifest says a file with first-line `key` and `size` bytes is committed: the longest stored prefix
/// that fits the file (another file with its first line is longer, or not it).
fn covered_offset(manifest: &Manifest, key: &str, size: u64) -> u64 {
    manifest.entries(key).iter().map(|e| e.offset).filter(|o| *o <= size).max().unwrap_or(0)
}

/// The plain files among `files` that the last commit does not cover to their end, each with the offset it
/// covers them to (compressed files are left out: their offsets are not the bytes on disk).
pub(super) fn uncovered(manifest: &Manifest, files: &[PathBuf]) -> Vec<(PathBuf, u64)> {
    files
        .iter()
        .filter_map(|p| {
            let size = std::fs::metadata(p).ok()?.len();
            let key = super::open::first_line_key(p).ok().flatten()?;
            let covered = covered_offset(manifest, &key, size);
            (covered < size).then(|| (p.clone(), covered))
        })
        .collect()
}

/// What the last commit covers of `files` (first-line key, size on disk).
fn committed(index: &tantivy::Index, files: &[(Option<String>, u64)], finished: bool) -> IngestProgress {
    let bytes_total = files.iter().map(|f| f.1).sum();
    let Ok(metas) = index.load_metas() else { return IngestProgress { bytes_total, finished, ..Default::default() } };
    let manifest = metas.payload.as_deref().map(Manifest::from_payload).unwrap_or_default();
    let covered = |(key, size): &(Option<String>, u64)| match key {
        Some(k) => covered_offset(&manifest, k, *size),
        None if finished => *size,
        None => 0,
    };
    IngestProgress {
        bytes_done: files.iter().map(covered).sum(),
        bytes_total,
        records: metas.segments.iter().map(|s| u64::from(s.num_docs())).sum(),
        commit: metas.opstamp,
        finished,
    }
}

/// One input's report. A failure of one input (even a store error for its metrics or alerts) is its own; a
/// writer that is gone fails the command at its commit.
fn ingest_one(ingestor: &mut Ingestor<'_>, input: Input) -> FileReport {
    let (name, result) = match input {
        Input::File(path) => (path.display().to_string(), ingestor.ingest_path(&path)),
        Input::Stdin => ("-".to_string(), ingestor.ingest_reader("-", std::io::stdin().lock())),
        Input::Stream(path) => {
            let name = path.display().to_string();
            match std::fs::File::open(&path) {
                Ok(f) => (name.clone(), ingestor.ingest_reader(&name, f)),
                Err(e) => {
                    return FileReport { path: name, error: Some(format!("cannot open: {e}")), ..Default::default() }
                }
            }
        }
        Input::Skip { path, reason } => {
            return FileReport { path: path.display().to_string(), skipped: Some(reason), ..Default::default() };
        }
        Input::Missing { path, reason } => {
            return FileReport { path: path.display().to_string(), error: Some(reason), ..Default::default() };
        }
    };
    result.unwrap_or_else(|e| FileReport { path: name, error: Some(e.to_string()), ..Default::default() })
}

impl Engine {
    /// Merges the small segments of the index into fewer, consecutive in time (`store::compact`); `None` when
    /// there were too few to bother. Stops between merges once `stop` is set.
    pub fn compact(&self, stop: &AtomicBool) -> anyhow::Result<Option<Compaction>> {
        compact_store(&self.store()?, stop)
    }
}

fn compact_store(store: &crate::store::Store, stop: &AtomicBool) -> anyhow::Result<Option<Compaction>> {
    compact::compact(store, compact::MIN_SMALL, compact::TARGET_DOCS, stop).context("cannot compact the index")
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::cli::Verbosity;
    use crate::config::Config;

    fn engine(dir: &std::path::Path) -> Engine {
        Engine::new(dir.join("data"), Config::load(None).unwrap(), Verbosity::Quiet).unwrap()
    }

    #[test]
    fn a_sink_hears_the_commits_and_the_end_and_a_stop_leaves_the_inputs_for_later() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("app.log");
        let text: String = (0..300).map(|i| format!("2026-11-20T15:00:{:02}Z INFO line {i}\n", i % 60)).collect();
        std::fs::write(&log, &text).unwrap();
        let e = engine(tmp.path());
        let heard = Arc::new(Mutex::new(Vec::new()));
        let to = heard.clone();
        let mut opts = IngestOptions::new(None);
        opts.progress = false;
        opts.sink = Some(ProgressSink(Arc::new(move |p| to.lock().unwrap().push(p))));
        // Stopped before it starts: nothing is read, and the end is still said.
        let stop = Arc::new(AtomicBool::new(true));
        opts.stop = Some(stop.clone());
        let report = e.ingest(std::slice::from_ref(&log), &opts).unwrap();
        assert!(report.files.is_empty(), "{report:?}");
        let last = *heard.lock().unwrap().last().unwrap();
        assert!(last.finished && last.bytes_done == 0 && last.records == 0, "{last:?}");
        stop.store(false, Ordering::Relaxed);
        let report = e.ingest(std::slice::from_ref(&log), &opts).unwrap();
        assert_eq!(report.records, 300);
        let last = *heard.lock().unwrap().last().unwrap();
        assert_eq!((last.bytes_done, last.bytes_total, last.records), (text.len() as u64, text.len() as u64, 300));
        assert!(last.finished && last.commit > 0, "{last:?}");
        assert!(heard.lock().unwrap().iter().filter(|p| p.finished).count() == 2, "one end per ingest");
    }

    /// Told to stop inside a file (the UI quit), an input ends at its next batch with what it read committed, and
    /// the next run reads the rest once: no record lost, none twice.
    #[test]
    fn a_stop_inside_a_file_commits_the_batch_read_and_the_next_run_reads_the_rest() {
        let tmp = tempfile::tempdir().unwrap();
        let log = tmp.path().join("big.log");
        let text: String = (0..5000)
            .map(|i| format!("2026-11-20T15:{:02}:{:02}Z INFO request {i} served\n", i / 60 % 60, i % 60))
            .collect();
        std::fs::write(&log, &text).unwrap();
        let e = engine(tmp.path());
        let store = e.store().unwrap();
        let writer = WriterHandle::start(&store, e.writer_config()).unwrap();
        let mut state = e.state().unwrap();
        let opts = Options {
            ts: e.ts_now(),
            service: None,
            max_line_bytes: e.config.ingest.max_line_bytes,
            complete_lines_only: false,
        };
        let report = {
            let mut ingestor = Ingestor::new(&writer, &mut state, store.fields, store.manifest().unwrap(), opts);
            ingestor.stop = Some(Arc::new(AtomicBool::new(true)));
            ingestor.ingest_path(&log).unwrap()
        };
        writer.commit().unwrap();
        writer.finish().unwrap();
        let first = report.records();
        assert!(first > 0 && first < 5000, "stopped after a batch, not at the end: {first}");
        let mut opts = IngestOptions::new(None);
        opts.progress = false;
        let rest = e.ingest(std::slice::from_ref(&log), &opts).unwrap();
        assert_eq!(first + rest.records, 5000, "the rest once");
        let searcher = store.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 5000);
    }
}
