//! `firewatch audit [--kind K] [--json]`: the append-only audit log, oldest first.

use std::io::Write;
use std::process::ExitCode;

use serde_json::Value;

use super::Engine;
use crate::cli::AuditArgs;
use crate::sanitize::{self, terminal_safe};
use crate::store::state::AuditEvent;

/// One line that says what happened, for people.
fn summary(event: &AuditEvent) -> String {
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".into());
    match event {
        AuditEvent::LlmRequest(r) => {
            let n = r.body.pointer("/messages").and_then(Value::as_array).map_or(0, Vec::len);
            format!("{} {} ({n} messages)", r.endpoint, r.model)
        }
        AuditEvent::LlmAnswer(a) => match &a.fallback {
            Some(f) => format!("{}: fell back offline: {f}", a.question),
            None => {
                let total = a.tokens.as_ref().and_then(|t| t.get("total")).map(Value::to_string);
                format!("{}: {} tokens", a.question, or_dash(total))
            }
        },
        AuditEvent::RunbookStep(s) => format!(
            "{} step {} [{}] {}: exit {}{}, output {}",
            s.runbook,
            s.step,
            s.confirmed_by.as_str(),
            s.exact,
            s.exit.map_or("null".into(), |c| c.to_string()),
            if s.timed_out { ", timed out" } else { "" },
            s.output_digest
        ),
        AuditEvent::RunbookDeclined(d) => {
            format!("{} step {} not run: {}: {}", d.runbook, d.step, d.reason.as_str(), d.exact)
        }
    }
}

pub fn run(ctx: &Engine, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let entries = ctx.audit(args.kind.as_deref())?;
    let mut out = sanitize::stdout();
    for e in entries {
        let r = &e.row;
        if args.json {
            // The row as stored: an audit log is quoted, not re-encoded.
            sanitize::json::to_writer(&mut out, r)?;
            writeln!(out)?;
        } else {
            let at = r.ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            // A row this version cannot read typed is shown as stored.
            let what = e.event.as_ref().map_or_else(|_| r.detail.to_string(), summary);
            writeln!(
                out,
                "{:>5} {at} {:<16} {:<20} {}",
                r.seq,
                terminal_safe(&r.kind),
                terminal_safe(&r.actor),
                terminal_safe(&what)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
