//! `firewatch audit [--kind K] [--json]`: the append-only audit log, oldest first.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::Value;

use super::Ctx;
use crate::cli::AuditArgs;
use crate::sanitize::{self, terminal_safe};
use crate::store::state::StateDb;

/// One line that says what happened, for people.
fn summary(kind: &str, d: &Value) -> String {
    let s = |k: &str| d.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
    match kind {
        "llm_request" => {
            let n = d.pointer("/body/messages").and_then(Value::as_array).map_or(0, Vec::len);
            format!("{} {} ({n} messages)", s("endpoint"), s("model"))
        }
        "llm_answer" => match d.get("fallback").and_then(Value::as_str) {
            Some(f) => format!("{}: fell back offline: {f}", s("question")),
            None => {
                format!("{}: {} tokens", s("question"), d.pointer("/tokens/total").map_or("-".into(), Value::to_string))
            }
        },
        "runbook_step" => format!(
            "{} step {} [{}] {}: exit {}{}, output {}",
            s("runbook"),
            d.get("step").map_or("-".into(), Value::to_string),
            s("confirmed_by"),
            s("exact"),
            d.get("exit").map_or("-".into(), Value::to_string),
            if d.get("timed_out") == Some(&Value::Bool(true)) { ", timed out" } else { "" },
            s("output_digest")
        ),
        "runbook_declined" => {
            format!(
                "{} step {} not run: {}: {}",
                s("runbook"),
                d.get("step").map_or("-".into(), Value::to_string),
                s("reason"),
                s("exact")
            )
        }
        _ => d.to_string(),
    }
}

pub fn run(ctx: &Ctx, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let db = StateDb::open(&ctx.data_dir).context("cannot open the state database")?;
    let rows = db.audit(args.kind.as_deref())?;
    let mut out = sanitize::stdout();
    for r in rows {
        if args.json {
            sanitize::json::to_writer(&mut out, &r)?;
            writeln!(out)?;
        } else {
            let at = r.ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            writeln!(
                out,
                "{:>5} {at} {:<16} {:<20} {}",
                r.seq,
                terminal_safe(&r.kind),
                terminal_safe(&r.actor),
                terminal_safe(&summary(&r.kind, &r.detail))
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
