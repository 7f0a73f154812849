//! `firewatch ingest PATH...`

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;

use super::Ctx;
use crate::cli::IngestArgs;
use crate::ingest::progress::Progress;
use crate::ingest::walk::{self, Input};
use crate::ingest::{FileReport, Ingestor, Options};
use crate::sanitize::terminal_safe;
use crate::sources::timestamp::TsContext;
use crate::store::retention::{self, Policy};
use crate::store::state::StateDb;
use crate::store::templates::MinerFile;
use crate::store::writer::{WriterConfig, WriterHandle};
use crate::store::Store;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub files: Vec<FileReport>,
    pub records: u64,
    pub bad: u64,
    /// Inputs not read on purpose (binary, not a regular file, a symlink loop), each with its reason.
    pub skipped: u64,
    pub bytes: u64,
    pub seconds: f64,
}

pub fn writer_config(ctx: &Ctx) -> WriterConfig {
    WriterConfig {
        memory_bytes: ctx.config.store.writer_memory_mb << 20,
        threads: ctx.config.store.writer_threads,
        commit_interval: ctx.config.commit_interval(),
        max_docs_before_merge: ctx.config.store.merge_max_docs,
        ..WriterConfig::default()
    }
}

/// How one `ingest` runs, beyond the config.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Service for records that do not name one; else the file's (or pod's) name.
    pub service: Option<String>,
    /// Show bytes read, records per second and the time left on stderr while working.
    pub progress: bool,
}

impl RunOptions {
    /// Progress where someone watches it: only when stderr is a terminal.
    pub fn new(service: Option<String>) -> Self {
        RunOptions { service, progress: std::io::stderr().is_terminal() }
    }
}

/// Ingests `paths` into the context's data dir and applies retention, with progress on a terminal unless `-q`.
pub fn ingest_paths(ctx: &Ctx, paths: &[PathBuf], service: Option<String>) -> anyhow::Result<Summary> {
    let mut run = RunOptions::new(service);
    // `-q`: nothing on stderr but what goes wrong.
    run.progress &= !ctx.quiet;
    ingest_with(ctx, paths, &run)
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

pub fn ingest_with(ctx: &Ctx, paths: &[PathBuf], run: &RunOptions) -> anyhow::Result<Summary> {
    let service = run.service.clone();
    let started = Instant::now();
    let store = Store::open(&ctx.data_dir)?;
    let writer = WriterHandle::start(&store, writer_config(ctx))?;
    let mut state = StateDb::open(&ctx.data_dir)?;
    let now = Utc::now();
    let opts = Options {
        ts: TsContext { now, zone: ctx.config.assume_zone() },
        service,
        max_line_bytes: ctx.config.ingest.max_line_bytes,
        complete_lines_only: false,
    };
    let mut files = Vec::new();
    let miner_file = MinerFile::new(&ctx.data_dir);
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
    let policy = Policy { max_age: ctx.config.max_age(), max_bytes: ctx.config.max_size() };
    retention::apply(&store, &writer, &mut state, policy, now)?;
    writer.finish()?;
    if let Some(p) = progress {
        p.finish();
    }
    Ok(Summary {
        records: files.iter().map(FileReport::records).sum(),
        bad: files.iter().map(|f| f.bad).sum(),
        skipped: files.iter().filter(|f| f.skipped.is_some()).count() as u64,
        bytes: files.iter().map(|f| f.bytes).sum(),
        seconds: started.elapsed().as_secs_f64(),
        files,
    })
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

fn describe(r: &FileReport) -> String {
    let mut kinds = Vec::new();
    for (n, what) in [(r.logs, "logs"), (r.spans, "spans"), (r.metrics, "metric points"), (r.alerts, "alerts")] {
        if n > 0 {
            kinds.push(format!("{n} {what}"));
        }
    }
    let mut s = format!("{}: {} records", r.path, r.records());
    if !kinds.is_empty() {
        s.push_str(&format!(" ({})", kinds.join(", ")));
    }
    s.push_str(&format!(" as {}", r.format));
    if let Some(c) = r.compression {
        s.push_str(&format!(" ({c})"));
    }
    if r.skipped_bytes > 0 {
        s.push_str(&format!(", {} bytes already stored were skipped", r.skipped_bytes));
    }
    if r.bad > 0 {
        s.push_str(&format!(", {} bad", r.bad));
    }
    s
}

pub fn print_summary(out: &mut impl Write, summary: &Summary) -> std::io::Result<()> {
    for r in &summary.files {
        if let Some(why) = &r.skipped {
            writeln!(out, "{}: skipped: {}", terminal_safe(&r.path), terminal_safe(why))?;
            continue;
        }
        match &r.error {
            Some(e) if r.records() == 0 => writeln!(out, "{}: {}", terminal_safe(&r.path), terminal_safe(e))?,
            _ => writeln!(out, "{}", terminal_safe(&describe(r)))?,
        }
        if let Some(e) = r.error.as_ref().filter(|_| r.records() > 0) {
            writeln!(out, "  stopped early: {}", terminal_safe(e))?;
        }
        for b in &r.bad_records {
            let what = if b.kept { "kept" } else { "skipped" };
            writeln!(out, "  line {}: {} ({what})", b.line, terminal_safe(&b.reason))?;
        }
        if r.bad > r.bad_records.len() as u64 {
            writeln!(out, "  ... and {} more bad records", r.bad - r.bad_records.len() as u64)?;
        }
    }
    let mb = summary.bytes as f64 / 1e6;
    writeln!(
        out,
        "ingested {} records from {} inputs ({:.1} MB in {:.2}s, {:.1} MB/s); {} bad{}",
        summary.records,
        summary.files.len(),
        mb,
        summary.seconds,
        mb / summary.seconds.max(1e-9),
        summary.bad,
        if summary.skipped > 0 { format!(", {} inputs skipped", summary.skipped) } else { String::new() }
    )
}

pub fn run(ctx: &Ctx, args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let summary = ingest_paths(ctx, &args.paths, args.service.clone())?;
    let mut out = crate::sanitize::stdout();
    if args.json {
        crate::sanitize::json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    // Skipped inputs (binary, not regular files, symlink loops) are reported, not failures.
    let all_failed = !summary.files.is_empty() && summary.files.iter().all(|f| f.error.is_some() && f.records() == 0);
    Ok(if all_failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
