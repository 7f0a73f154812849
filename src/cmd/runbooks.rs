//! `firewatch runbooks list | suggest | run`: the library, what fits an incident, and
//! running steps, each one that changes something confirmed first and audited.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use serde_json::json;

use super::now_arg;
use super::Engine;
use crate::cli::{RunbookRunArgs, RunbooksCommand};
use crate::engine::audit::AuditLog;
use crate::engine::runbooks::{facts_for, outcome_text, pick, ConfirmedBy, DeclineReason, StepRequest};
use crate::runbooks::exec::{action, Action};
use crate::runbooks::params::fill;
use crate::runbooks::suggest::{facts, suggest};
use crate::runbooks::Library;
use crate::sanitize::{self, terminal_safe};

pub fn run(ctx: &Engine, cmd: &RunbooksCommand) -> anyhow::Result<ExitCode> {
    let lib = ctx.library()?;
    // A broken user file costs only itself: name it on stderr and go on with the rest.
    for w in &lib.skipped {
        writeln!(sanitize::stderr(), "warning: {}", terminal_safe(w))?;
    }
    let mut out = sanitize::stdout();
    match cmd {
        RunbooksCommand::List { json } => {
            if *json {
                let rows: Vec<_> = lib
                    .runbooks
                    .iter()
                    .map(|r| json!({"id": r.id, "title": r.title, "score": 0.0, "reason": r.summary, "origin": r.origin}))
                    .collect();
                sanitize::json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            } else {
                for r in &lib.runbooks {
                    writeln!(
                        out,
                        "{:<24} {}  ({} steps)",
                        terminal_safe(&r.id),
                        terminal_safe(&r.title),
                        r.steps.len()
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RunbooksCommand::Suggest { incident, json, now } => {
            let analysis = ctx.analyze(now_arg(now)?, None)?;
            let (services, regions) = ctx.known_names()?;
            let suggestions = match pick(&analysis.incidents, incident.as_deref())? {
                Some(i) => suggest(&lib, i, &facts(i, &services, &regions), ""),
                None => Vec::new(),
            };
            if *json {
                sanitize::json::to_writer_pretty(&mut out, &suggestions)?;
                writeln!(out)?;
            } else if suggestions.is_empty() {
                writeln!(out, "no runbook fits (or no incident)")?;
            } else {
                for s in &suggestions {
                    writeln!(
                        out,
                        "{:.2} {:<24} {}: {}",
                        s.score,
                        terminal_safe(&s.id),
                        terminal_safe(&s.title),
                        terminal_safe(&s.reason)
                    )?;
                    for p in &s.problems {
                        writeln!(out, "       needs: {}", terminal_safe(p))?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RunbooksCommand::Run(args) => run_runbook(ctx, &lib, args),
    }
}

/// Asks on stderr; `title` and `exact` come from a runbook file and an incident, and are
/// escaped here, whatever the caller did.
fn ask_yes(step: usize, total: usize, title: &str, exact: &str) -> bool {
    let mut err = sanitize::stderr();
    let shown = write!(
        err,
        "\nstep {step}/{total}: {}\n  {}\nrun this step? type yes to run, anything else to stop: ",
        terminal_safe(title),
        terminal_safe(exact)
    )
    .and_then(|()| err.flush());
    drop(err);
    // A step nobody could read is a step nobody confirmed.
    if shown.is_err() {
        return false;
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "yes"
}

/// `runbooks run --json`: the run as one document, printed when it ends.
#[derive(Debug, serde::Serialize)]
struct RunDoc {
    runbook: String,
    title: String,
    incident: Option<String>,
    parameters: BTreeMap<String, String>,
    dry_run: bool,
    /// Every chosen step ran (or, dry run, would run) and succeeded.
    ok: bool,
    steps: Vec<StepDoc>,
}

#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum StepStatus {
    /// Dry run: what the step would do.
    WouldRun,
    /// A link step: nothing runs, the URL is the outcome.
    Link,
    Ran,
    Failed,
    /// Declined at the prompt, or no confirmation (no terminal, no --yes).
    NotConfirmed,
}

#[derive(Debug, serde::Serialize)]
struct StepDoc {
    step: usize,
    title: String,
    kind: &'static str,
    exact: String,
    status: StepStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed_by: Option<ConfirmedBy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exit: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    elapsed_ms: Option<u64>,
}

impl StepDoc {
    fn new(rb: &crate::runbooks::Runbook, i: usize, exact: String, status: StepStatus) -> StepDoc {
        let step = &rb.steps[i];
        StepDoc {
            step: i + 1,
            title: step.title().to_string(),
            kind: step.kind(),
            exact,
            status,
            confirmed_by: None,
            outcome: None,
            exit: None,
            output: None,
            elapsed_ms: None,
        }
    }
}

/// What `run` decided before anything runs: the runbook, the incident, the values.
struct Plan<'a> {
    rb: &'a crate::runbooks::Runbook,
    incident_id: Option<String>,
    values: BTreeMap<String, String>,
    chosen: Vec<usize>,
}

/// Checks the arguments and fills the parameters; `Err(code)` when they cannot be filled
/// (already reported).
fn plan<'a>(ctx: &Engine, lib: &'a Library, args: &RunbookRunArgs) -> anyhow::Result<Result<Plan<'a>, ExitCode>> {
    let rb = lib
        .get(&args.id)
        .ok_or_else(|| anyhow::anyhow!("no runbook {} (see firewatch runbooks list)", terminal_safe(&args.id)))?;
    if args.yes && args.step.is_none() {
        anyhow::bail!("--yes confirms one step: add --step N (see --dry-run for the steps)");
    }
    if let Some(n) = args.step {
        if n == 0 || n > rb.steps.len() {
            anyhow::bail!("--step {n}: {} has steps 1 to {}", rb.id, rb.steps.len());
        }
    }
    let mut given = BTreeMap::new();
    for p in &args.params {
        let (k, v) =
            p.split_once('=').ok_or_else(|| anyhow::anyhow!("--param {}: expected NAME=VALUE", terminal_safe(p)))?;
        given.insert(k.trim().to_string(), v.to_string());
    }
    let analysis = ctx.analyze(now_arg(&args.now)?, None)?;
    let incident = pick(&analysis.incidents, args.incident.as_deref())?;
    let facts = facts_for(incident, ctx.known_names()?);
    let chosen: Vec<usize> = match args.step {
        Some(n) => vec![n - 1],
        None => (0..rb.steps.len()).collect(),
    };
    // Only what the chosen steps use must be known; a name the runbook lacks is still an error.
    for k in given.keys() {
        if rb.param(k).is_none() {
            anyhow::bail!("--param {}: {} has no parameter {}", terminal_safe(k), rb.id, terminal_safe(k));
        }
    }
    let needed = rb.params_of(&chosen);
    given.retain(|k, _| needed.iter().any(|p| &p.name == k));
    let values = match fill(&needed, &facts, &given) {
        Ok(v) => v,
        Err(problems) => {
            if args.json {
                let message = format!("{}: cannot fill its parameters: {}", rb.id, problems.join("; "));
                super::write_json_error(2, super::ErrorKind::Usage, &message);
            } else {
                let mut err = sanitize::stderr();
                writeln!(err, "{}: cannot fill its parameters:", terminal_safe(&rb.id))?;
                for p in problems {
                    writeln!(err, "  {}", terminal_safe(&p))?;
                }
            }
            return Ok(Err(ExitCode::from(2)));
        }
    };
    Ok(Ok(Plan { rb, incident_id: incident.map(|i| i.id.clone()), values, chosen }))
}

fn run_runbook(ctx: &Engine, lib: &Library, args: &RunbookRunArgs) -> anyhow::Result<ExitCode> {
    let plan = match plan(ctx, lib, args)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let rb = plan.rb;
    let text = !args.json;
    let mut doc = RunDoc {
        runbook: rb.id.clone(),
        title: rb.title.clone(),
        incident: plan.incident_id.clone(),
        parameters: plan.values.clone(),
        dry_run: args.dry_run,
        ok: true,
        steps: Vec::new(),
    };
    if text {
        let mut out = sanitize::stdout();
        let inc = plan.incident_id.as_deref().map(|i| format!(" (incident {i})")).unwrap_or_default();
        writeln!(out, "{}: {}{inc}", terminal_safe(&rb.id), terminal_safe(&rb.title))?;
        if !plan.values.is_empty() {
            let shown: Vec<String> = plan.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
            writeln!(out, "parameters: {}", terminal_safe(&shown.join(" ")))?;
        }
    }
    let code = if args.dry_run { dry_run(&plan, text, &mut doc)? } else { run_steps(ctx, &plan, args, &mut doc)? };
    if args.json {
        let mut out = sanitize::stdout();
        sanitize::json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    }
    Ok(code)
}

fn dry_run(plan: &Plan, text: bool, doc: &mut RunDoc) -> anyhow::Result<ExitCode> {
    let (rb, total) = (plan.rb, plan.rb.steps.len());
    let mut out = sanitize::stdout();
    for i in &plan.chosen {
        let step = &rb.steps[*i];
        let exact = action(step, &plan.values).describe();
        let ask = if step.read_only() { "read-only" } else { "asks first" };
        if text {
            writeln!(
                out,
                "step {}/{total} [{}, {ask}] {}\n  {}",
                i + 1,
                step.kind(),
                terminal_safe(step.title()),
                terminal_safe(&exact)
            )?;
        }
        doc.steps.push(StepDoc::new(rb, *i, exact, StepStatus::WouldRun));
    }
    if text {
        writeln!(out, "(dry run: nothing ran)")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the chosen steps in order, each confirmed first (or read-only and allowed to run
/// alone); stops at the first that is not confirmed or does not succeed.
fn run_steps(ctx: &Engine, plan: &Plan, args: &RunbookRunArgs, doc: &mut RunDoc) -> anyhow::Result<ExitCode> {
    let (rb, total, text) = (plan.rb, plan.rb.steps.len(), !args.json);
    let incident_id = plan.incident_id.as_deref();
    let log = AuditLog::open(ctx)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let interactive = std::io::stdin().is_terminal();
    for &i in &plan.chosen {
        let step = &rb.steps[i];
        let a = action(step, &plan.values);
        let exact = a.describe();
        if let Action::Link { url } = &a {
            if text {
                writeln!(
                    sanitize::stdout(),
                    "step {}/{total}: {}: {}",
                    i + 1,
                    terminal_safe(step.title()),
                    terminal_safe(url)
                )?;
            }
            doc.steps.push(StepDoc { outcome: Some(url.clone()), ..StepDoc::new(rb, i, exact, StepStatus::Link) });
            continue;
        }
        let confirmed = if step.read_only() && ctx.config.runbooks.auto_run_read_only {
            Some(ConfirmedBy::ReadOnly)
        } else if args.yes {
            Some(ConfirmedBy::Flag)
        } else if interactive {
            ask_yes(i + 1, total, step.title(), &exact).then_some(ConfirmedBy::Prompt)
        } else {
            None
        };
        let req = StepRequest { runbook: rb, step: i, values: &plan.values, incident: incident_id };
        let Some(how) = confirmed else {
            let why = if interactive { DeclineReason::AtPrompt } else { DeclineReason::NoConfirmation };
            ctx.decline_step(&log, &req, why)?;
            let reason = why.as_str();
            if text {
                writeln!(
                    sanitize::stdout(),
                    "step {}/{total} not run ({reason}); to run it: firewatch runbooks run {} --step {} --yes{}",
                    i + 1,
                    terminal_safe(&rb.id),
                    i + 1,
                    incident_id.map(|i| format!(" --incident {i}")).unwrap_or_default()
                )?;
            }
            doc.ok = false;
            doc.steps
                .push(StepDoc { outcome: Some(reason.into()), ..StepDoc::new(rb, i, exact, StepStatus::NotConfirmed) });
            return Ok(ExitCode::from(1));
        };
        let outcome = rt.block_on(ctx.run_step(&log, &req, how))?;
        let status = outcome_text(&outcome);
        if text {
            let mut out = sanitize::stdout();
            let title = terminal_safe(step.title());
            writeln!(out, "step {}/{total}: {title}: {} ({} ms)", i + 1, terminal_safe(&status), outcome.elapsed_ms)?;
            for line in outcome.output.lines() {
                writeln!(out, "  | {}", terminal_safe(line))?;
            }
            if !outcome.ok() {
                writeln!(out, "stopped: step {} did not succeed", i + 1)?;
            }
        }
        doc.steps.push(StepDoc {
            confirmed_by: Some(how),
            outcome: Some(status),
            exit: outcome.exit,
            output: Some(outcome.output.clone()),
            elapsed_ms: Some(outcome.elapsed_ms),
            ..StepDoc::new(rb, i, exact, if outcome.ok() { StepStatus::Ran } else { StepStatus::Failed })
        });
        if !outcome.ok() {
            doc.ok = false;
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
