//! Ingesting files, directories and standard input into the data dir: detect each input's
//! format, store its records, mine its log templates, then apply retention.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use serde::Serialize;

use super::Engine;
use crate::ingest::progress::Progress;
use crate::ingest::walk::{self, Input};
use crate::ingest::{FileReport, Ingestor, Options};
use crate::sources::timestamp::TsContext;
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
    pub seconds: f64,
}

impl IngestReport {
    /// Every input failed and none gave a record (skipped inputs are not failures).
    pub fn all_failed(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.error.is_some() && f.records() == 0)
    }
}

/// How one ingest runs, beyond the config.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Service for records that do not name one; else the file's (or pod's) name.
    pub service: Option<String>,
    /// Show bytes read, records per second and the time left on stderr while working.
    pub progress: bool,
}

impl IngestOptions {
    /// Progress where someone watches it: only when stderr is a terminal.
    pub fn new(service: Option<String>) -> Self {
        IngestOptions { service, progress: std::io::stderr().is_terminal() }
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
    /// Ingests `paths` with progress on a terminal unless `-q`.
    pub fn ingest_paths(&self, paths: &[PathBuf], service: Option<String>) -> anyhow::Result<IngestReport> {
        let mut opts = IngestOptions::new(service);
        // `-q`: nothing on stderr but what goes wrong.
        opts.progress &= !self.quiet;
        self.ingest(paths, &opts)
    }

    /// Ingests `paths` (files, directories, `-` for standard input) into the data dir and
    /// applies retention. One input's failure is its own report; a store that fails fails all.
    pub fn ingest(&self, paths: &[PathBuf], run: &IngestOptions) -> anyhow::Result<IngestReport> {
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
        let inputs = walk::expand(paths);
        let (miner, counts, progress) = {
            let mut ingestor = Ingestor::new(&writer, &mut state, store.fields, store.manifest()?, opts);
            ingestor.miner = miner_file.load()?;
            ingestor.progress = run.progress.then(|| Progress::new(total_size(&inputs)));
            for input in inputs {
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
        let policy = Policy { max_age: self.config.max_age(), max_bytes: self.config.max_size() };
        retention::apply(&store, &writer, &mut state, policy, now)?;
        writer.finish()?;
        if let Some(p) = progress {
            p.finish();
        }
        Ok(IngestReport {
            records: files.iter().map(FileReport::records).sum(),
            bad: files.iter().map(|f| f.bad).sum(),
            skipped: files.iter().filter(|f| f.skipped.is_some()).count() as u64,
            bytes: files.iter().map(|f| f.bytes).sum(),
            seconds: started.elapsed().as_secs_f64(),
            files,
        })
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
