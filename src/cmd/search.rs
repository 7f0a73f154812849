//! `firewatch search QUERY`

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Ctx;
use crate::cli::{ColorChoice, SearchArgs};
use crate::collector;
use crate::config::SourceKind;
use crate::model::LogRecord;
use crate::sanitize::terminal_safe;
use crate::sources::remote::RemoteQuery;
use crate::sources::{elastic, http, loki};
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
    if let Some(name) = &args.remote {
        return remote(ctx, args, name, since, until);
    }
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
    print_hits(args, &result.hits, &result.highlights)
}

fn print_hits(args: &SearchArgs, hits: &[Hit], highlights: &[String]) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let result = Shown { hits, highlights };
    if args.json {
        for h in result.hits {
            serde_json::to_writer(&mut out, h)?;
            writeln!(out)?;
        }
    } else {
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        for h in result.hits {
            writeln!(out, "{}", format_hit(h, result.highlights, color))?;
        }
        if result.hits.is_empty() {
            eprintln!("no matches");
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
            "no source named '{name}' in the config (remote-searchable sources: {})",
            if known.is_empty() { "none".to_string() } else { known.join(", ") }
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
            "source '{name}' is {}: only loki and elasticsearch sources can be searched remotely",
            other.as_str()
        ),
    };
    let hits: Vec<Hit> = records.iter().map(hit_of).collect();
    let mut terms: Vec<String> = q.words.clone();
    terms.extend(q.phrases.iter().cloned());
    print_hits(args, &hits, &terms)
}
