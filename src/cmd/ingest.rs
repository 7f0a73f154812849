//! `firewatch ingest PATH...`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use serde::Serialize;

use super::Ctx;
use crate::cli::IngestArgs;
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
    pub bytes: u64,
    pub seconds: f64,
}

/// Files under a directory, recursively, in name order; other paths as given.
fn expand(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(d) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    found.push(d);
                    continue;
                };
                for e in rd.flatten() {
                    let path = e.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else {
                        found.push(path);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    out
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

/// Ingests `paths` into the context's data dir and applies retention.
pub fn ingest_paths(ctx: &Ctx, paths: &[PathBuf], service: Option<String>) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let store = Store::open(&ctx.data_dir)?;
    let writer = WriterHandle::start(&store, writer_config(ctx))?;
    let mut state = StateDb::open(&ctx.data_dir)?;
    let now = Utc::now();
    let opts = Options {
        ts: TsContext { now, offset: ctx.config.assume_offset() },
        service,
        max_line_bytes: ctx.config.ingest.max_line_bytes,
        complete_lines_only: false,
    };
    let mut files = Vec::new();
    let miner_file = MinerFile::new(&ctx.data_dir);
    let (miner, counts) = {
        let mut ingestor = Ingestor::new(&writer, &mut state, store.fields, store.manifest()?, opts);
        ingestor.miner = miner_file.load()?;
        for path in expand(paths) {
            let report = if path == Path::new("-") {
                ingestor.ingest_reader("-", std::io::stdin().lock())?
            } else {
                ingestor.ingest_path(&path)?
            };
            tracing::info!(path = %report.path, records = report.records(), bad = report.bad, "ingested");
            files.push(report);
        }
        (ingestor.miner, ingestor.template_counts)
    };
    // The miner goes to disk before the records that name its ids are committed: after a crash in between, ids
    // point at templates that exist (with counts a little high), never at ones that were lost.
    miner_file.save(&miner)?;
    writer.commit()?;
    state.add_template_counts(&counts)?;
    let policy = Policy { max_age: ctx.config.max_age(), max_bytes: ctx.config.max_size() };
    retention::apply(&store, &writer, &mut state, policy, now)?;
    writer.finish()?;
    Ok(Summary {
        records: files.iter().map(FileReport::records).sum(),
        bad: files.iter().map(|f| f.bad).sum(),
        bytes: files.iter().map(|f| f.bytes).sum(),
        seconds: started.elapsed().as_secs_f64(),
        files,
    })
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
        "ingested {} records from {} inputs ({:.1} MB in {:.2}s, {:.1} MB/s); {} bad",
        summary.records,
        summary.files.len(),
        mb,
        summary.seconds,
        mb / summary.seconds.max(1e-9),
        summary.bad
    )
}

pub fn run(ctx: &Ctx, args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let summary = ingest_paths(ctx, &args.paths, args.service.clone())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    let all_failed = !summary.files.is_empty() && summary.files.iter().all(|f| f.error.is_some() && f.records() == 0);
    Ok(if all_failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
