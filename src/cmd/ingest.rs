//! `firewatch ingest PATH...`

use std::io::Write;
use std::process::ExitCode;

use super::Engine;
use crate::cli::IngestArgs;
use crate::engine::ingest::IngestReport;
use crate::ingest::FileReport;
use crate::sanitize::terminal_safe;

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

pub fn print_summary(out: &mut impl Write, summary: &IngestReport) -> std::io::Result<()> {
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
    )?;
    if let Some(c) = summary.compacted {
        writeln!(
            out,
            "compacted the index from {} segments to {} in {:.1}s",
            c.segments_before, c.segments_after, c.seconds
        )?;
    }
    Ok(())
}

pub fn run(ctx: &Engine, args: &IngestArgs) -> anyhow::Result<ExitCode> {
    let summary = ctx.ingest_paths(&args.paths, args.service.clone(), args.compact)?;
    let mut out = crate::sanitize::stdout();
    if args.json {
        crate::sanitize::json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        print_summary(&mut out, &summary)?;
    }
    // Skipped inputs (binary, not regular files, symlink loops) are reported, not failures.
    Ok(if summary.all_failed() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
