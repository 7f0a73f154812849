//! `firewatch patterns [--per-line] FILE`

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;

use chrono::{DateTime, SecondsFormat};

use super::Ctx;
use crate::analysis::templates::{MinerConfig, TemplateMiner};
use crate::cli::PatternsArgs;
use crate::sanitize::{self, terminal_safe};
use crate::store::state::StateDb;
use crate::store::templates::MinerFile;

/// The templates of everything ingested into the data dir, most records first, with when they were seen.
pub fn run_stored(ctx: &Ctx, args: &PatternsArgs) -> anyhow::Result<ExitCode> {
    if args.per_line {
        anyhow::bail!("--per-line needs a FILE: stored logs are listed by template, with counts");
    }
    let miner = MinerFile::new(&ctx.data_dir).load()?;
    let totals = StateDb::open(&ctx.data_dir)?.template_totals()?;
    let hour =
        |h: i64| DateTime::from_timestamp(h * 3600, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = sanitize::stdout_buffered();
    if totals.is_empty() && !args.json {
        writeln!(
            out,
            "no log templates yet: ingest logs into {} first",
            terminal_safe(&ctx.data_dir.to_string_lossy())
        )?;
    }
    for (id, count, first, last) in by_event(&miner, totals) {
        let template = miner.template(id);
        if args.json {
            let v = serde_json::json!({"id": id, "template": template, "count": count, "first_seen": hour(first), "last_seen": hour(last + 1)});
            sanitize::json::to_writer(&mut out, &v)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{count:>8}  {}", terminal_safe(&template))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Stored counts per event: the miner may have merged templates after their ids were counted, so rows of one
/// event (its canonical id and the ids it absorbed) are added up, most frequent first.
fn by_event(miner: &TemplateMiner, totals: Vec<(u32, u64, i64, i64)>) -> Vec<(u32, u64, i64, i64)> {
    let mut events: std::collections::HashMap<u32, (u64, i64, i64)> = std::collections::HashMap::new();
    for (id, count, first, last) in totals {
        let e = events.entry(miner.canonical(id)).or_insert((0, first, last));
        e.0 += count;
        e.1 = e.1.min(first);
        e.2 = e.2.max(last);
    }
    let mut rows: Vec<_> = events.into_iter().map(|(id, (n, first, last))| (id, n, first, last)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    rows
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
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut miner = TemplateMiner::new(MinerConfig::default());
    let mut ids = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("cannot read {}", terminal_safe(&path.to_string_lossy())))?
            == 0
        {
            break;
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let line = String::from_utf8_lossy(&buf);
        ids.push(miner.add(&line));
    }
    let mut out = sanitize::stdout_buffered();
    if args.per_line {
        // A template can still generalize after a line joined it: print the final ones.
        let mut cache: Vec<Option<String>> = Vec::new();
        for id in ids {
            let i = id as usize;
            if cache.len() <= i {
                cache.resize(i + 1, None);
            }
            let t = cache[i].get_or_insert_with(|| terminal_safe(&miner.template(id)).into_owned());
            writeln!(out, "{t}")?;
        }
    } else {
        let mut all = miner.templates();
        all.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for (id, template, count) in all {
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
