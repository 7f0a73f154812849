//! `firewatch search QUERY`

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Ctx;
use crate::cli::SearchArgs;
use crate::collector;
use crate::config::SourceKind;
use crate::model::LogRecord;
use crate::sanitize::color::{self, Stream};
use crate::sanitize::{self, terminal_safe, Style, Terminal};
use crate::sources::remote::RemoteQuery;
use crate::sources::{elastic, http, loki};
use crate::store::docs::Hit;
use crate::store::search::{self, SearchRequest};
use crate::store::Store;
use crate::timearg;

fn severity_style(sev: &str) -> Option<Style> {
    match sev {
        "fatal" => Some(Style::Magenta),
        "error" => Some(Style::Red),
        "warn" => Some(Style::Yellow),
        "debug" | "trace" => Some(Style::Dim),
        _ => None,
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
    let sev = if h.severity == "unspecified" { "-".to_string() } else { h.severity.to_uppercase() };
    let sev = terminal_safe(&sev);
    let service = terminal_safe(h.service.as_deref().unwrap_or("-"));
    let body = terminal_safe(&h.body);
    if !color {
        return writeln!(out, "{ts} {sev:<5} {service} {body}");
    }
    write!(out, "{ts} ")?;
    match severity_style(&h.severity) {
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

pub fn run(ctx: &Ctx, args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let now = Utc::now();
    let since = args.since.as_deref().map(|s| timearg::parse(s, now)).transpose().map_err(anyhow::Error::msg)?;
    let until = args.until.as_deref().map(|s| timearg::parse(s, now)).transpose().map_err(anyhow::Error::msg)?;
    if let Some(name) = &args.remote {
        return remote(ctx, args, name, since, until);
    }
    let req = SearchRequest { query: args.query.join(" "), since, until, limit: args.limit };
    let store = Store::open(&ctx.data_dir)?;
    let reader = store.reader()?;
    let searcher = reader.searcher();
    let mut out = sanitize::stdout();
    if args.count {
        writeln!(out, "{}", search::count(&store.fields, &searcher, &req)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let result = search::search(&store.fields, &searcher, &req)?;
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

/// A record from a remote backend, shaped like a local hit.
fn hit_of(r: &LogRecord) -> Hit {
    let mut attributes = r.resource.attributes.clone();
    attributes.extend(r.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    Hit {
        id: r.id.to_string(),
        timestamp: r.timestamp,
        kind: "log".into(),
        service: r.resource.service.clone(),
        severity: r.severity.as_str().to_string(),
        region: r.resource.region.clone(),
        host: r.resource.host.clone(),
        body: r.body.clone(),
        trace_id: r.trace_id.clone(),
        span_id: r.span_id.clone(),
        duration_us: 0,
        template_id: None,
        attributes,
    }
}

/// `search --remote SOURCE`: the query runs on the backend (LogQL or the query DSL); nothing is copied locally.
fn remote(
    ctx: &Ctx,
    args: &SearchArgs,
    name: &str,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> anyhow::Result<ExitCode> {
    if args.count {
        anyhow::bail!("--count is not available with --remote");
    }
    let plans = collector::plan(&ctx.config);
    let Some(p) = plans.iter().find(|p| p.name == name) else {
        let known: Vec<&str> = plans
            .iter()
            .filter(|p| matches!(p.kind, SourceKind::Loki | SourceKind::Elasticsearch))
            .map(|p| p.name.as_str())
            .collect();
        anyhow::bail!(
            "no source named '{}' in the config (remote-searchable sources: {})",
            terminal_safe(name),
            if known.is_empty() { "none".to_string() } else { sanitize::safe_join(&known, ", ") }
        );
    };
    let mut q = RemoteQuery::parse(&args.query.join(" "), args.limit)?;
    q.since = since;
    q.until = until;
    let client = http::build_client(&collector::http_config(&p.cfg))?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let records = match p.kind {
        SourceKind::Loki => rt.block_on(loki::search(&client, &collector::loki_config(&p.cfg)?, &q))?,
        SourceKind::Elasticsearch => rt.block_on(elastic::search(&client, &collector::elastic_config(&p.cfg), &q))?,
        other => anyhow::bail!(
            "source '{}' is {}: only loki and elasticsearch sources can be searched remotely",
            terminal_safe(name),
            other.as_str()
        ),
    };
    let hits: Vec<Hit> = records.iter().map(hit_of).collect();
    let mut terms: Vec<String> = q.words.clone();
    terms.extend(q.phrases.iter().cloned());
    print_hits(args, &hits, &terms)
}
