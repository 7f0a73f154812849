//! `firewatch search QUERY`

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Engine;
use crate::cli::SearchArgs;
use crate::engine::search::{Hit, SearchRequest};
use crate::model::Severity;
use crate::sanitize::color::{self, Stream};
use crate::sanitize::{self, terminal_safe, Style, Terminal};
use crate::timearg;

fn severity_style(sev: Severity) -> Option<Style> {
    match sev {
        Severity::Fatal => Some(Style::Magenta),
        Severity::Error => Some(Style::Red),
        Severity::Warn => Some(Style::Yellow),
        Severity::Debug | Severity::Trace => Some(Style::Dim),
        Severity::Info | Severity::Unspecified => None,
    }
}

/// Writes `text` (already terminal-safe) with each case-insensitive occurrence of `terms`
/// marked. The marks are styles of the terminal writer, never bytes of the text.
fn write_highlighted<W: Write>(out: &mut Terminal<W>, text: &str, terms: &[String]) -> std::io::Result<()> {
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
    // Runs of marked and unmarked text, each written whole.
    let mut on = false;
    let mut run_start = 0;
    for (i, _) in text.char_indices() {
        if marks[i] != on {
            out.write_all(&text.as_bytes()[run_start..i])?;
            out.style(if marks[i] { Style::Match } else { Style::Reset })?;
            on = marks[i];
            run_start = i;
        }
    }
    out.write_all(&text.as_bytes()[run_start..])?;
    if on {
        out.style(Style::Reset)?;
    }
    Ok(())
}

/// One hit as one line: time, severity, service, body; with `color`, the severity and the
/// matches styled.
pub fn write_hit<W: Write>(out: &mut Terminal<W>, h: &Hit, terms: &[String], color: bool) -> std::io::Result<()> {
    let ts = h.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let sev = if h.severity == Severity::Unspecified { "-".to_string() } else { h.severity.as_str().to_uppercase() };
    let sev = terminal_safe(&sev);
    let service = terminal_safe(h.service.as_deref().unwrap_or("-"));
    let body = terminal_safe(&h.body);
    if !color {
        return writeln!(out, "{ts} {sev:<5} {service} {body}");
    }
    write!(out, "{ts} ")?;
    match severity_style(h.severity) {
        Some(style) => {
            out.style(style)?;
            write!(out, "{sev:<5}")?;
            out.style(Style::Reset)?;
        }
        None => write!(out, "{sev:<5}")?,
    }
    write!(out, " {service} ")?;
    write_highlighted(out, &body, terms)?;
    writeln!(out)
}

pub fn run(ctx: &Engine, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = args.since.as_deref().map(|s| timearg::parse(s, now)).transpose().map_err(anyhow::Error::msg)?;
    let until = args.until.as_deref().map(|s| timearg::parse(s, now)).transpose().map_err(anyhow::Error::msg)?;
    if let Some(name) = &args.remote {
        return remote(ctx, args, name, since, until);
    }
    let req = SearchRequest { query: args.query.join(" "), since, until, limit: args.limit };
    if args.count {
        writeln!(sanitize::stdout(), "{}", ctx.count(&req)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let result = ctx.search(&req)?;
    print_hits(args, &result.hits, &result.highlights)
}

fn print_hits(args: &SearchArgs, hits: &[Hit], highlights: &[String]) -> anyhow::Result<ExitCode> {
    let mut out = sanitize::stdout();
    let result = Shown { hits, highlights };
    if args.json {
        for h in result.hits {
            sanitize::json::to_writer(&mut out, h)?;
            writeln!(out)?;
        }
    } else {
        let color = color::enabled(args.color, Stream::Stdout);
        for h in result.hits {
            write_hit(&mut out, h, result.highlights, color)?;
        }
        if result.hits.is_empty() {
            writeln!(sanitize::stderr(), "no matches")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

struct Shown<'a> {
    hits: &'a [Hit],
    highlights: &'a [String],
}

/// `search --remote SOURCE`: the query runs on the backend (LogQL or the query DSL); nothing is copied locally.
fn remote(
    ctx: &Engine,
    args: &SearchArgs,
    name: &str,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> anyhow::Result<ExitCode> {
    if args.count {
        anyhow::bail!("--count is not available with --remote");
    }
    let found = ctx.search_remote(name, &args.query.join(" "), args.limit, since, until)?;
    print_hits(args, &found.hits, &found.highlights)
}
