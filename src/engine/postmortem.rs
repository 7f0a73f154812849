//! An incident as a Markdown postmortem draft (`firewatch incidents --export ID`, `e` in
//! the terminal UI): summary, timeline, suspected cause and evidence, the questions asked
//! about it and the actions taken (from the audit log). Telemetry text is quoted as code,
//! so a log line cannot add headings or links to the document.

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use super::audit::Entry;
use super::Engine;
use crate::analysis::incidents::{Analysis, Incident};
use crate::copilot::interpret::Interpretation;
use crate::copilot::interpret::Window;
use crate::copilot::offline;
use crate::sanitize::{is_unsafe, safe_join, terminal_safe};
use crate::store::state::AuditEvent;

impl Engine {
    /// The draft of `incident` (one of `analysis`), with what the audit log holds about it.
    pub fn postmortem(&self, analysis: &Analysis, incident: &str, now: DateTime<Utc>) -> anyhow::Result<String> {
        let inc = analysis
            .incidents
            .iter()
            .find(|i| i.id == incident)
            .ok_or_else(|| anyhow::anyhow!("no incident {incident} (see firewatch incidents)"))?;
        let audit = self.audit(None)?;
        Ok(render(inc, analysis, &audit, now))
    }

    /// Writes the draft of `incident` as analysed at `now` to the data dir; returns its path.
    pub fn export_postmortem(&self, incident: &str, now: DateTime<Utc>) -> anyhow::Result<PathBuf> {
        let analysis = self.analyze(now, None)?;
        let md = self.postmortem(&analysis, incident, now)?;
        let path = self.data_dir.join(format!("postmortem-{incident}.md"));
        std::fs::write(&path, md).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(path)
    }
}

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
pub fn render(inc: &Incident, analysis: &Analysis, audit: &[Entry], now: DateTime<Utc>) -> String {
    let mut md = String::new();
    summary(&mut md, inc, now);
    cause(&mut md, inc);
    timeline(&mut md, inc);
    evidence(&mut md, inc, analysis, now);
    let about = |e: &&Entry| e.event.as_ref().is_ok_and(|ev| ev.incident() == Some(inc.id.as_str()));
    questions(&mut md, audit.iter().filter(about));
    actions(&mut md, audit.iter().filter(about));
    md.push_str("\n## What went well, what did not, follow-ups\n\n- \n");
    md
}

/// The title and the table of facts. Names and titles outside code spans: escaped visibly,
/// and one line each.
fn summary(md: &mut String, inc: &Incident, now: DateTime<Utc>) {
    push_line(md, format_args!("# Postmortem: {}\n", terminal_safe(&inc.title)));
    push_line(md, format_args!("| | |\n| --- | --- |"));
    push_line(md, format_args!("| Incident | `{}` |", inc.id));
    push_line(md, format_args!("| Status | {} |", inc.status));
    push_line(md, format_args!("| Started | {} |", hm(inc.started_at)));
    match inc.resolved_at {
        Some(r) => {
            push_line(md, format_args!("| Resolved | {} ({} min) |", hm(r), (r - inc.started_at).num_minutes()));
        }
        None => {
            push_line(md, format_args!("| Resolved | not yet ({} min so far) |", (now - inc.started_at).num_minutes()));
        }
    }
    push_line(md, format_args!("| Services | {} |", safe_join(&inc.services, ", ").replace('|', "\\|")));
    push_line(md, format_args!("| Regions | {} |", safe_join(&inc.regions, ", ").replace('|', "\\|")));
    push_line(md, format_args!("| Alerts | {} |\n", inc.alerts.len()));
}

/// The suspected cause, and the candidates the analysis weighed.
fn cause(md: &mut String, inc: &Incident) {
    push_line(md, format_args!("## Suspected cause\n"));
    match &inc.root_cause {
        Some(rc) => {
            push_line(
                md,
                format_args!(
                    "{} ({:.0}% confidence): {}\n",
                    terminal_safe(&rc.service),
                    rc.confidence * 100.0,
                    code(&rc.summary)
                ),
            );
        }
        None => {
            push_line(md, format_args!("No cause found by the analysis.\n"));
        }
    }
    if !inc.candidates.is_empty() {
        push_line(md, format_args!("| Candidate | Score | Why |\n| --- | --- | --- |"));
        for c in &inc.candidates {
            push_line(
                md,
                format_args!(
                    "| {} | {:.2} | {} |",
                    terminal_safe(&c.service).replace('|', "\\|"),
                    c.score,
                    code(&c.reason).replace('|', "\\|")
                ),
            );
        }
        md.push('\n');
    }
}

/// The timeline: alerts, the cause's signals and deploy, log patterns.
fn timeline(md: &mut String, inc: &Incident) {
    let events = crate::analysis::incidents::timeline(inc);
    push_line(md, format_args!("## Timeline\n"));
    for e in &events {
        // A pattern's template is telemetry text: quoted on its own, after the label.
        let line = match e.text.split_once("): ") {
            Some((label, template)) if e.kind == "pattern" => format!("{}): {}", terminal_safe(label), code(template)),
            _ => code(&e.text),
        };
        push_line(md, format_args!("- {} {line}", e.at.format("%H:%M:%S")));
    }
    md.push('\n');
}

/// The evidence, as the copilot gathers it for a question about this incident.
fn evidence(md: &mut String, inc: &Incident, analysis: &Analysis, now: DateTime<Utc>) {
    let end = inc.resolved_at.unwrap_or(now);
    let interp = Interpretation {
        services: inc.services.clone(),
        regions: inc.regions.clone(),
        symptom: None,
        window: Window { start: inc.started_at - Duration::minutes(15), end },
        notes: Vec::new(),
        anchor: None,
    };
    let answer = offline::answer(&format!("what happened in incident {}", inc.id), interp, analysis);
    push_line(md, format_args!("## Evidence\n\n{}\n", code(&answer.answer)));
    for e in &answer.evidence {
        push_line(
            md,
            format_args!(
                "- **{}** {} {} {}: {}",
                e.id,
                e.kind,
                e.timestamp.format("%H:%M:%S"),
                terminal_safe(e.service.as_deref().unwrap_or("-")),
                code(&e.text)
            ),
        );
    }
    md.push('\n');
}

/// The questions the LLM answered about the incident.
fn questions<'a>(md: &mut String, entries: impl Iterator<Item = &'a Entry>) {
    push_line(md, format_args!("## Questions asked\n"));
    let mut none = true;
    for e in entries {
        let Ok(AuditEvent::LlmAnswer(a)) = &e.event else { continue };
        none = false;
        let (q, ans) = (code(&a.question), code(&a.answer));
        push_line(
            md,
            format_args!("- {} {}: {q}\n  - {ans}", e.row.ts.format("%H:%M:%S"), terminal_safe(&e.row.actor)),
        );
    }
    if none {
        push_line(md, format_args!("None recorded.\n"));
    }
    md.push('\n');
}

/// The runbook steps run, or not run for want of a confirmation, about the incident.
fn actions<'a>(md: &mut String, entries: impl Iterator<Item = &'a Entry>) {
    push_line(md, format_args!("## Actions\n"));
    let mut none = true;
    for e in entries {
        let (verb, runbook, step, title, exact, result) = match &e.event {
            Ok(AuditEvent::RunbookStep(s)) => {
                let result = if s.timed_out {
                    "timed out, killed".to_string()
                } else {
                    let exit = s.exit.map_or("null".to_string(), |c| c.to_string());
                    format!("exit {}, output {}", exit, terminal_safe(&s.output_digest))
                };
                ("ran", &s.runbook, s.step, &s.title, &s.exact, result)
            }
            Ok(AuditEvent::RunbookDeclined(d)) => {
                ("did not run", &d.runbook, d.step, &d.title, &d.exact, format!("not run: {}", d.reason.as_str()))
            }
            _ => continue,
        };
        none = false;
        push_line(
            md,
            format_args!(
                "- {} {} {verb} {} step {step} ({}): {} — {result}",
                e.row.ts.format("%H:%M:%S"),
                terminal_safe(&e.row.actor),
                terminal_safe(runbook),
                terminal_safe(title),
                code(&terminal_safe(exact)),
            ),
        );
    }
    if none {
        push_line(md, format_args!("None recorded.\n"));
    }
}

/// Appends one formatted line: writing into a `String` cannot fail, so nothing is dropped.
fn push_line(out: &mut String, args: std::fmt::Arguments<'_>) {
    out.push_str(&args.to_string());
    out.push('\n');
}
