//! `firewatch incidents --export ID`: an incident as a Markdown postmortem draft: summary,
//! timeline, suspected cause and evidence, the questions asked about it and the actions
//! taken (from the audit log). Telemetry text is quoted as code, so a log line cannot add
//! headings or links to the document.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, Utc};

use crate::analysis::incidents::{Analysis, Incident};
use crate::copilot::interpret::Interpretation;
use crate::copilot::interpret::Window;
use crate::copilot::offline;
use crate::sanitize::{is_unsafe, safe_join, terminal_safe};
use crate::store::state::AuditRow;

/// Inline code that stays one span whatever the text holds; controls and bidi overrides
/// become spaces, so the document reads the same in a terminal, an editor and a browser.
fn code(text: &str) -> String {
    let clean: String = text.chars().map(|c| if c.is_control() || is_unsafe(c) { ' ' } else { c }).collect();
    let ticks = if clean.contains('`') { "``" } else { "`" };
    format!("{ticks} {} {ticks}", clean.trim())
}

fn hm(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The Markdown document for `inc`. `audit` is the whole audit log; rows about this
/// incident are picked out.
pub fn render(inc: &Incident, analysis: &Analysis, audit: &[AuditRow], now: DateTime<Utc>) -> String {
    let mut md = String::new();
    let end = inc.resolved_at.unwrap_or(now);
    // Names and titles outside code spans: escaped visibly, and one line each.
    let _ = writeln!(md, "# Postmortem: {}\n", terminal_safe(&inc.title));
    let _ = writeln!(md, "| | |\n| --- | --- |");
    let _ = writeln!(md, "| Incident | `{}` |", inc.id);
    let _ = writeln!(md, "| Status | {} |", inc.status);
    let _ = writeln!(md, "| Started | {} |", hm(inc.started_at));
    match inc.resolved_at {
        Some(r) => {
            let _ = writeln!(md, "| Resolved | {} ({} min) |", hm(r), (r - inc.started_at).num_minutes());
        }
        None => {
            let _ = writeln!(md, "| Resolved | not yet ({} min so far) |", (now - inc.started_at).num_minutes());
        }
    }
    let _ = writeln!(md, "| Services | {} |", safe_join(&inc.services, ", ").replace('|', "\\|"));
    let _ = writeln!(md, "| Regions | {} |", safe_join(&inc.regions, ", ").replace('|', "\\|"));
    let _ = writeln!(md, "| Alerts | {} |\n", inc.alerts.len());

    let _ = writeln!(md, "## Suspected cause\n");
    match &inc.root_cause {
        Some(rc) => {
            let _ = writeln!(
                md,
                "{} ({:.0}% confidence): {}\n",
                terminal_safe(&rc.service),
                rc.confidence * 100.0,
                code(&rc.summary)
            );
        }
        None => {
            let _ = writeln!(md, "No cause found by the analysis.\n");
        }
    }
    if !inc.candidates.is_empty() {
        let _ = writeln!(md, "| Candidate | Score | Why |\n| --- | --- | --- |");
        for c in &inc.candidates {
            let _ = writeln!(
                md,
                "| {} | {:.2} | {} |",
                terminal_safe(&c.service).replace('|', "\\|"),
                c.score,
                code(&c.reason).replace('|', "\\|")
            );
        }
        md.push('\n');
    }

    // The timeline: alerts, the cause's signals and deploy, log patterns.
    let events = crate::analysis::incidents::timeline(inc);
    let _ = writeln!(md, "## Timeline\n");
    for e in &events {
        // A pattern's template is telemetry text: quoted on its own, after the label.
        let line = match e.text.split_once("): ") {
            Some((label, template)) if e.kind == "pattern" => format!("{}): {}", terminal_safe(label), code(template)),
            _ => code(&e.text),
        };
        let _ = writeln!(md, "- {} {line}", e.at.format("%H:%M:%S"));
    }
    md.push('\n');

    // The evidence, as the copilot gathers it for a question about this incident.
    let interp = Interpretation {
        services: inc.services.clone(),
        regions: inc.regions.clone(),
        symptom: None,
        window: Window { start: inc.started_at - Duration::minutes(15), end },
        notes: Vec::new(),
    };
    let answer = offline::answer(&format!("what happened in incident {}", inc.id), interp, analysis);
    let _ = writeln!(md, "## Evidence\n\n{}\n", code(&answer.answer));
    for e in &answer.evidence {
        let _ = writeln!(
            md,
            "- **{}** {} {} {}: {}",
            e.id,
            e.kind,
            e.timestamp.format("%H:%M:%S"),
            terminal_safe(e.service.as_deref().unwrap_or("-")),
            code(&e.text)
        );
    }
    md.push('\n');

    let about = |r: &&AuditRow| r.detail.get("incident").and_then(|v| v.as_str()) == Some(inc.id.as_str());
    let asked: Vec<&AuditRow> = audit.iter().filter(|r| r.kind == "llm_answer").filter(about).collect();
    let _ = writeln!(md, "## Questions asked\n");
    if asked.is_empty() {
        let _ = writeln!(md, "None recorded.\n");
    }
    for r in asked {
        let q = r.detail.get("question").and_then(|v| v.as_str()).unwrap_or("-");
        let a = r.detail.get("answer").and_then(|v| v.as_str()).unwrap_or("-");
        let _ = writeln!(md, "- {} {}: {}\n  - {}", r.ts.format("%H:%M:%S"), terminal_safe(&r.actor), code(q), code(a));
    }
    md.push('\n');

    let acted: Vec<&AuditRow> =
        audit.iter().filter(|r| r.kind == "runbook_step" || r.kind == "runbook_declined").filter(about).collect();
    let _ = writeln!(md, "## Actions\n");
    if acted.is_empty() {
        let _ = writeln!(md, "None recorded.\n");
    }
    for r in acted {
        let d = &r.detail;
        let s = |k: &str| {
            let v = d.get(k).map_or("-".to_string(), |v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
            terminal_safe(&v).into_owned()
        };
        let result = if r.kind == "runbook_declined" {
            format!("not run: {}", s("reason"))
        } else if d.get("timed_out").and_then(|v| v.as_bool()) == Some(true) {
            "timed out, killed".to_string()
        } else {
            format!("exit {}, output {}", s("exit"), s("output_digest"))
        };
        let verb = if r.kind == "runbook_declined" { "did not run" } else { "ran" };
        let _ = writeln!(
            md,
            "- {} {} {verb} {} step {} ({}): {} — {}",
            r.ts.format("%H:%M:%S"),
            terminal_safe(&r.actor),
            s("runbook"),
            s("step"),
            s("title"),
            code(&s("exact")),
            result
        );
    }
    md.push_str("\n## What went well, what did not, follow-ups\n\n- \n");
    md
}
