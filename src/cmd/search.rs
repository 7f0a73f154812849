//! `firewatch search QUERY`

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::Utc;

use super::Ctx;
use crate::cli::{ColorChoice, SearchArgs};
use crate::sanitize::terminal_safe;
use crate::store::docs::Hit;
use crate::store::search::{self, SearchRequest};
use crate::store::Store;
use crate::timearg;

const RESET: &str = "\x1b[0m";
const MATCH: &str = "\x1b[1;7m";

fn severity_style(sev: &str) -> &'static str {
    match sev {
        "fatal" => "\x1b[1;35m",
        "error" => "\x1b[1;31m",
        "warn" => "\x1b[33m",
        "debug" | "trace" => "\x1b[2m",
        _ => "",
    }
}

/// Wraps each case-insensitive occurrence of `terms` in `text` (already terminal-safe).
pub fn highlight(text: &str, terms: &[String]) -> String {
    let lower = text.to_ascii_lowercase();
    let mut marks = vec![false; text.len()];
    for t in terms {
        let t = t.to_ascii_lowercase();
        if t.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some(i) = lower[from..].find(&t) {
            let s = from + i;
            marks[s..s + t.len()].iter_mut().for_each(|m| *m = true);
            from = s + t.len();
        }
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut on = false;
    for (i, c) in text.char_indices() {
        if marks[i] != on {
            out.push_str(if marks[i] { MATCH } else { RESET });
            on = marks[i];
        }
        out.push(c);
    }
    if on {
        out.push_str(RESET);
    }
    out
}

pub fn format_hit(h: &Hit, terms: &[String], color: bool) -> String {
    let ts = h.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sev = if h.severity == "unspecified" { "-".to_string() } else { h.severity.to_uppercase() };
    let service = terminal_safe(h.service.as_deref().unwrap_or("-")).into_owned();
    let body = terminal_safe(&h.body).into_owned();
    if color {
        let style = severity_style(&h.severity);
        let reset = if style.is_empty() { "" } else { RESET };
        format!("{ts} {style}{sev:<5}{reset} {service} {}", highlight(&body, terms))
    } else {
        format!("{ts} {sev:<5} {service} {body}")
    }
}

pub fn run(ctx: &Ctx, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = args.since.as_deref().map(|s| timearg::parse(s, now)).transpose().map_err(anyhow::Error::msg)?;
    let until = args.until.as_deref().map(|s| timearg::parse(s, now)).transpose().map_err(anyhow::Error::msg)?;
    let req = SearchRequest { query: args.query.join(" "), since, until, limit: args.limit };
    let store = Store::open(&ctx.data_dir)?;
    let reader = store.reader()?;
    let searcher = reader.searcher();
    let mut out = std::io::stdout().lock();
    if args.count {
        writeln!(out, "{}", search::count(&store.fields, &searcher, &req)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let result = search::search(&store.fields, &searcher, &req)?;
    if args.json {
        for h in &result.hits {
            serde_json::to_writer(&mut out, h)?;
            writeln!(out)?;
        }
    } else {
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        for h in &result.hits {
            writeln!(out, "{}", format_hit(h, &result.highlights, color))?;
        }
        if result.hits.is_empty() {
            eprintln!("no matches");
        }
    }
    Ok(ExitCode::SUCCESS)
}
