//! `firewatch demo`: with no configuration and no network, a simulated incident replayed
//! live into a scratch data dir and shown in the terminal UI; `--headless` (or a stdout
//! that is not a terminal) ingests the bundled incident and prints its alerts and searches.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{ingest, Diagnostics};
use crate::cli::DemoArgs;
use crate::engine::search::SearchRequest;
use crate::sanitize::{self, terminal_safe};

const LOGS: &str = include_str!("../demo/shop-logs.jsonl");
const ALERTS: &str = include_str!("../demo/alertmanager-webhook.json");

const QUERIES: &[(&str, &str)] = &[
    ("what is failing", "level:>=error"),
    ("the payments errors, as a phrase", "service:payments \"acquire connection\""),
    ("what changed shortly before", "deploy OR rollback"),
    ("one order end to end", "ord-10140"),
];

pub fn run(
    data_dir: Option<PathBuf>,
    config: Option<&Path>,
    args: &DemoArgs,
    theme: Option<&str>,
) -> anyhow::Result<ExitCode> {
    // A scratch dir unless one was asked for: the demo must not touch the user's store.
    let dir = match data_dir {
        Some(d) => d,
        None => tempfile_dir()?,
    };
    let ctx = super::open(dir.clone(), config, Diagnostics::FileOnly(crate::cli::Verbosity::Normal))?;
    if !args.headless && std::io::stdout().is_terminal() {
        return crate::ui::app::run(ctx, crate::ui::app::Mode::Demo { speed: args.speed }, theme);
    }
    let input = dir.join("demo-input");
    std::fs::create_dir_all(&input)?;
    std::fs::write(input.join("shop-logs.jsonl"), LOGS)?;
    std::fs::write(input.join("alertmanager-webhook.json"), ALERTS)?;
    let mut out = sanitize::stdout();
    writeln!(out, "firewatch demo: checkout slowed down in us-east-1 on 2026-11-20 around 15:00 UTC\n")?;
    let summary = ctx.ingest_paths(&[input], None, false)?;
    ingest::print_summary(&mut out, &summary)?;

    writeln!(out, "\nalerts:")?;
    for a in ctx.alerts()? {
        let summary = a.annotations.get("summary").map(String::as_str).unwrap_or("");
        writeln!(
            out,
            "  {} {} {} [{}] {}",
            a.starts_at.format("%H:%M:%SZ"),
            a.status.as_str(),
            terminal_safe(&a.alertname),
            terminal_safe(a.service.as_deref().unwrap_or("-")),
            terminal_safe(summary)
        )?;
    }
    let index = ctx.open_index()?;
    for (why, q) in QUERIES {
        let req = SearchRequest { query: q.to_string(), since: None, until: None, limit: 5 };
        let total = index.count(&req)?;
        let result = index.find(&req)?;
        writeln!(out, "\n$ firewatch search '{q}'   # {why}: {total} matches, newest 5")?;
        for h in &result.hits {
            write!(out, "  ")?;
            super::search::write_hit(&mut out, h, &result.highlights, false)?;
        }
    }
    writeln!(out, "\ndata dir: {}", terminal_safe(&dir.to_string_lossy()))?;
    Ok(ExitCode::SUCCESS)
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::temp_dir().join(format!("firewatch-demo-{}", std::process::id()));
    std::fs::create_dir_all(&base)?;
    Ok(base)
}
