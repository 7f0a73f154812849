//! `firewatch runbooks list | suggest | run`: the library, what fits an incident, and
//! running steps, each one that changes something confirmed first and audited.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Ctx;
use crate::analysis::incidents::Incident;
use crate::cli::{RunbookRunArgs, RunbooksCommand};
use crate::config::SourceKind;
use crate::runbooks::exec::{action, run_argv, Action, Outcome};
use crate::runbooks::params::{fill, Facts};
use crate::runbooks::suggest::{facts, suggest};
use crate::runbooks::{user_dirs, Library};
use crate::sanitize::{self, terminal_safe};
use crate::sources::alertmanager_api::{AlertmanagerClient, NewSilence};
use crate::sources::http::{build_client, join_url};
use crate::store::state::{actor, StateDb};
use crate::store::{scan, Store};
use crate::timearg;

/// The library: built-in, `runbooks/` in the config dir, `[runbooks] paths`.
pub fn library(ctx: &Ctx) -> anyhow::Result<Library> {
    Ok(Library::load(&user_dirs(super::config_dir().as_deref(), &ctx.config.runbooks.paths))?)
}

/// Services and regions seen in the data: a parameter naming one must be one of these.
pub fn known_names(ctx: &Ctx) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let store = Store::open(&ctx.data_dir).context("cannot open the index")?;
    let searcher = store.reader().context("cannot read the index")?.searcher();
    let alerts = StateDb::open(&ctx.data_dir)?.alerts()?;
    Ok(scan::known_names(&store.fields, &searcher, &alerts)?)
}

/// The incident asked for, else the newest open one, else the newest.
pub fn pick<'a>(incidents: &'a [Incident], id: Option<&str>) -> anyhow::Result<Option<&'a Incident>> {
    match id {
        Some(id) => incidents
            .iter()
            .find(|i| i.id == id)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("no incident {id} (see firewatch incidents)")),
        None => Ok(incidents.iter().find(|i| i.status == "firing").or_else(|| incidents.first())),
    }
}

fn now_arg(now: &Option<String>) -> anyhow::Result<DateTime<Utc>> {
    match now {
        Some(n) => timearg::parse(n, Utc::now()).map_err(|e| anyhow::anyhow!("--now: {e}")),
        None => Ok(Utc::now()),
    }
}

pub fn run(ctx: &Ctx, cmd: &RunbooksCommand) -> anyhow::Result<ExitCode> {
    let lib = library(ctx)?;
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
            let analysis = super::incidents::load_and_analyze(ctx, now_arg(now)?, None)?;
            let (services, regions) = known_names(ctx)?;
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

enum Confirmed {
    Prompt,
    Flag,
    ReadOnly,
}

/// Asks on stderr; `title` and `exact` come from a runbook file and an incident, and are
/// escaped here, whatever the caller did.
fn ask_yes(step: usize, total: usize, title: &str, exact: &str) -> bool {
    let mut err = sanitize::stderr();
    let _ = write!(
        err,
        "\nstep {step}/{total}: {}\n  {}\nrun this step? type yes to run, anything else to stop: ",
        terminal_safe(title),
        terminal_safe(exact)
    );
    let _ = err.flush();
    drop(err);
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
    confirmed_by: Option<&'static str>,
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
fn plan<'a>(ctx: &Ctx, lib: &'a Library, args: &RunbookRunArgs) -> anyhow::Result<Result<Plan<'a>, ExitCode>> {
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
    let analysis = super::incidents::load_and_analyze(ctx, now_arg(&args.now)?, None)?;
    let incident = pick(&analysis.incidents, args.incident.as_deref())?;
    let (services, regions) = known_names(ctx)?;
    let facts = match incident {
        Some(i) => facts(i, &services, &regions),
        None => Facts { known_services: services, known_regions: regions, ..Facts::default() },
    };
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

fn run_runbook(ctx: &Ctx, lib: &Library, args: &RunbookRunArgs) -> anyhow::Result<ExitCode> {
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
fn run_steps(ctx: &Ctx, plan: &Plan, args: &RunbookRunArgs, doc: &mut RunDoc) -> anyhow::Result<ExitCode> {
    let (rb, total, text) = (plan.rb, plan.rb.steps.len(), !args.json);
    let incident_id = plan.incident_id.as_deref();
    let db = StateDb::open(&ctx.data_dir).context("cannot open the state database for the audit log")?;
    let who = actor();
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
            Some(Confirmed::ReadOnly)
        } else if args.yes {
            Some(Confirmed::Flag)
        } else if interactive {
            ask_yes(i + 1, total, step.title(), &exact).then_some(Confirmed::Prompt)
        } else {
            None
        };
        let Some(confirmed) = confirmed else {
            let reason =
                if interactive { "declined at the prompt" } else { "no confirmation: not a terminal and no --yes" };
            db.append_audit(
                "runbook_declined",
                &who,
                &json!({"runbook": rb.id, "step": i + 1, "title": step.title(), "incident": incident_id, "exact": exact, "reason": reason}),
            )?;
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
        let how = match confirmed {
            Confirmed::Prompt => "prompt",
            Confirmed::Flag => "--yes",
            Confirmed::ReadOnly => "auto_run_read_only",
        };
        let outcome = rt.block_on(perform_audited(ctx, &db, &who, rb, i, &plan.values, incident_id, how))?;
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

/// Runs one step that a human confirmed in the TUI: the parameters come from the incident
/// as the runbooks pane showed them. Blocking (it runs its own small runtime).
pub fn run_confirmed(
    ctx: &Ctx,
    id: &str,
    step: usize,
    incident: Option<&str>,
    now: chrono::DateTime<Utc>,
    how: &str,
) -> anyhow::Result<Outcome> {
    let lib = library(ctx)?;
    let rb = lib.get(id).ok_or_else(|| anyhow::anyhow!("no runbook {id}"))?;
    anyhow::ensure!(step < rb.steps.len(), "{id} has no step {}", step + 1);
    let analysis = super::incidents::load_and_analyze(ctx, now, None)?;
    let (services, regions) = known_names(ctx)?;
    let facts = match incident.and_then(|i| analysis.incidents.iter().find(|x| x.id == i)) {
        Some(i) => facts(i, &services, &regions),
        None => Facts { known_services: services, known_regions: regions, ..Facts::default() },
    };
    let values = fill(&rb.params_of(&[step]), &facts, &BTreeMap::new())
        .map_err(|p| anyhow::anyhow!("cannot fill its parameters: {}", p.join("; ")))?;
    let db = StateDb::open(&ctx.data_dir).context("cannot open the state database for the audit log")?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(perform_audited(ctx, &db, &actor(), rb, step, &values, incident, how))
}

/// One line for how a step ended.
pub fn outcome_text(outcome: &Outcome) -> String {
    match (&outcome.exit, outcome.timed_out, &outcome.detail) {
        (_, true, d) => format!("TIMED OUT, {}", d.as_deref().unwrap_or("killed")),
        (Some(c), _, _) => format!("exit {c}"),
        (None, _, Some(d)) => d.clone(),
        (None, _, None) => "done".into(),
    }
}

/// Runs step `i` of `rb`, which a human confirmed (`how`), and writes it to the audit log.
#[allow(clippy::too_many_arguments)]
pub async fn perform_audited(
    ctx: &Ctx,
    db: &StateDb,
    who: &str,
    rb: &crate::runbooks::Runbook,
    i: usize,
    values: &BTreeMap<String, String>,
    incident_id: Option<&str>,
    how: &str,
) -> anyhow::Result<Outcome> {
    let step = &rb.steps[i];
    let a = action(step, values);
    let exact = a.describe();
    let outcome = perform(ctx, &a, who).await;
    db.append_audit(
        "runbook_step",
        who,
        &json!({
            "runbook": rb.id, "step": i + 1, "kind": step.kind(), "title": step.title(), "incident": incident_id,
            "params": values, "exact": exact, "action": a, "confirmed_by": how,
            "exit": outcome.exit, "timed_out": outcome.timed_out, "output_digest": outcome.digest,
            "output_bytes": outcome.output_bytes, "elapsed_ms": outcome.elapsed_ms, "detail": outcome.detail,
        }),
    )?;
    Ok(outcome)
}

/// Does one confirmed action.
async fn perform(ctx: &Ctx, a: &Action, who: &str) -> Outcome {
    let started = std::time::Instant::now();
    let done = |detail: String| Outcome::note(detail, started);
    match a {
        Action::Check { argv, timeout_ms } | Action::Command { argv, timeout_ms } => {
            run_argv(argv, Duration::from_millis(*timeout_ms)).await
        }
        Action::Silence { matchers, duration_s, comment } => {
            let Some(src) = ctx.config.source.iter().find(|s| s.kind == SourceKind::Alertmanager) else {
                return done("failed: no alertmanager source is configured".into());
            };
            let cfg = crate::collector::http_config(src);
            let client = match build_client(&cfg) {
                Ok(c) => AlertmanagerClient::new(c, cfg.url.clone()),
                Err(e) => return done(format!("failed: {e}")),
            };
            let now = Utc::now();
            let silence = NewSilence {
                matchers: matchers.clone(),
                starts_at: now,
                ends_at: now + chrono::Duration::seconds(*duration_s as i64),
                created_by: format!("firewatch ({who})"),
                comment: comment.clone(),
            };
            match client.create_silence(&silence).await {
                Ok(id) => done(format!("silence {id} created in {}", cfg.url)),
                Err(e) => done(format!("failed: {e}")),
            }
        }
        Action::Http { endpoint, method, path, body } => {
            let Some(ep) = ctx.config.endpoint.iter().find(|e| &e.name == endpoint) else {
                return done(format!("failed: no [[endpoint]] named {endpoint} in the config"));
            };
            let client = match build_client(&ep.http) {
                Ok(c) => c,
                Err(e) => return done(format!("failed: {e}")),
            };
            let url = join_url(&ep.http.url, path);
            let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
            let mut req = client.request(method, &url);
            if let Some(b) = body {
                req = req.header("content-type", "application/json").body(b.clone());
            }
            match crate::sources::http::send(&url, req).await {
                Ok((status, body)) if status.is_success() => Outcome {
                    output: String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned(),
                    output_bytes: body.len(),
                    ..done(format!("http {status}"))
                },
                Ok((status, body)) => done(format!("failed: http {status}: {}", crate::sources::http::snippet(&body))),
                Err(e) => done(format!("failed: {e}")),
            }
        }
        Action::Link { url } => done(format!("open {url}")),
    }
}
