//! `firewatch patterns [--per-line] FILE`

use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use chrono::SecondsFormat;

use super::Engine;
use crate::cli::PatternsArgs;
use crate::sanitize::{self, terminal_safe};

/// The templates of everything ingested into the data dir, most records first, with when they were seen.
pub fn run_stored(ctx: &Engine, args: &PatternsArgs) -> anyhow::Result<ExitCode> {
    if args.per_line {
        anyhow::bail!("--per-line needs a FILE: stored logs are listed by template, with counts");
    }
    let patterns = ctx.stored_patterns()?;
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = sanitize::stdout_buffered();
    if patterns.is_empty() && !args.json {
        writeln!(
            out,
            "no log templates yet: ingest logs into {} first",
            terminal_safe(&ctx.data_dir.to_string_lossy())
        )?;
    }
    for p in patterns {
        if args.json {
            let v = serde_json::json!({"id": p.id, "template": p.template, "count": p.count, "first_seen": stamp(p.first_seen), "last_seen": stamp(p.last_seen)});
            sanitize::json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{:>8}  {}", p.count, terminal_safe(&p.template))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(path: &Path, args: &PatternsArgs) -> anyhow::Result<ExitCode> {
    let input: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(path)
                .with_context(|| format!("cannot open {}", terminal_safe(&path.to_string_lossy())))?,
        )
    };
    let reader = BufReader::with_capacity(1 << 20, input);
    let mined = crate::engine::patterns::mine(reader)
        .with_context(|| format!("cannot read {}", terminal_safe(&path.to_string_lossy())))?;
    let mut out = sanitize::stdout_buffered();
    if args.per_line {
        for t in mined.per_line() {
            writeln!(out, "{}", terminal_safe(&t))?;
        }
    } else {
        for (id, template, count) in mined.templates() {
            if args.json {
                sanitize::json::to_writer(
                    &mut out,
                    &serde_json::json!({"id": id, "template": template, "count": count}),
                )?;
                writeln!(out)?;
            } else {
                writeln!(out, "{count:>8}  {}", terminal_safe(&template))?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
