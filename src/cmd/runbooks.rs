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
use crate::sanitize::terminal_safe;
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
    let mut out = std::io::stdout().lock();
    match cmd {
        RunbooksCommand::List { json } => {
            if *json {
                let rows: Vec<_> = lib
                    .runbooks
                    .iter()
                    .map(|r| json!({"id": r.id, "title": r.title, "score": 0.0, "reason": r.summary, "origin": r.origin}))
                    .collect();
                serde_json::to_writer_pretty(&mut out, &rows)?;
                writeln!(out)?;
            } else {
                for r in &lib.runbooks {
                    writeln!(out, "{:<24} {}  ({} steps)", r.id, r.title, r.steps.len())?;
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
                serde_json::to_writer_pretty(&mut out, &suggestions)?;
                writeln!(out)?;
            } else if suggestions.is_empty() {
                writeln!(out, "no runbook fits (or no incident)")?;
            } else {
                for s in &suggestions {
                    writeln!(out, "{:.2} {:<24} {}: {}", s.score, s.id, s.title, terminal_safe(&s.reason))?;
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

fn ask_yes(step: usize, total: usize, title: &str, exact: &str) -> bool {
    eprint!("\nstep {step}/{total}: {title}\n  {exact}\nrun this step? type yes to run, anything else to stop: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok() && line.trim() == "yes"
}

fn run_runbook(ctx: &Ctx, lib: &Library, args: &RunbookRunArgs) -> anyhow::Result<ExitCode> {
    let rb =
        lib.get(&args.id).ok_or_else(|| anyhow::anyhow!("no runbook {} (see firewatch runbooks list)", args.id))?;
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
        let (k, v) = p.split_once('=').ok_or_else(|| anyhow::anyhow!("--param {p}: expected NAME=VALUE"))?;
        given.insert(k.trim().to_string(), v.to_string());
    }
    let analysis = super::incidents::load_and_analyze(ctx, now_arg(&args.now)?, None)?;
    let incident = pick(&analysis.incidents, args.incident.as_deref())?;
    let (services, regions) = known_names(ctx)?;
    let facts = match incident {
        Some(i) => facts(i, &services, &regions),
        None => Facts { known_services: services, known_regions: regions, ..Facts::default() },
    };
    let total = rb.steps.len();
    let chosen: Vec<usize> = match args.step {
        Some(n) => vec![n - 1],
        None => (0..total).collect(),
    };
    // Only what the chosen steps use must be known; a name the runbook lacks is still an error.
    for k in given.keys() {
        if rb.param(k).is_none() {
            anyhow::bail!("--param {k}: {} has no parameter {k}", rb.id);
        }
    }
    let needed = rb.params_of(&chosen);
    given.retain(|k, _| needed.iter().any(|p| &p.name == k));
    let values = match fill(&needed, &facts, &given) {
        Ok(v) => v,
        Err(problems) => {
            eprintln!("{}: cannot fill its parameters:", rb.id);
            for p in problems {
                eprintln!("  {}", terminal_safe(&p));
            }
            return Ok(ExitCode::from(2));
        }
    };
    let incident_id = incident.map(|i| i.id.clone());
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {}{}",
        rb.id,
        rb.title,
        incident_id.as_deref().map(|i| format!(" (incident {i})")).unwrap_or_default()
    )?;
    if !values.is_empty() {
        let shown: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
        writeln!(out, "parameters: {}", terminal_safe(&shown.join(" ")))?;
    }
    if args.dry_run {
        for i in &chosen {
            let step = &rb.steps[*i];
            let a = action(step, &values);
            let ask = if step.read_only() { "read-only" } else { "asks first" };
            writeln!(
                out,
                "step {}/{total} [{}, {ask}] {}\n  {}",
                i + 1,
                step.kind(),
                step.title(),
                terminal_safe(&a.describe())
            )?;
        }
        writeln!(out, "(dry run: nothing ran)")?;
        return Ok(ExitCode::SUCCESS);
    }
    let db = StateDb::open(&ctx.data_dir).context("cannot open the state database for the audit log")?;
    let who = actor();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let interactive = std::io::stdin().is_terminal();
    for i in chosen {
        let step = &rb.steps[i];
        let a = action(step, &values);
        let exact = a.describe();
        if let Action::Link { url } = &a {
            writeln!(out, "step {}/{total}: {}: {}", i + 1, step.title(), terminal_safe(url))?;
            continue;
        }
        let confirmed = if step.read_only() && ctx.config.runbooks.auto_run_read_only {
            Some(Confirmed::ReadOnly)
        } else if args.yes {
            Some(Confirmed::Flag)
        } else if interactive {
            drop(out);
            let yes = ask_yes(i + 1, total, step.title(), &terminal_safe(&exact));
            out = std::io::stdout().lock();
            yes.then_some(Confirmed::Prompt)
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
            writeln!(
                out,
                "step {}/{total} not run ({reason}); to run it: firewatch runbooks run {} --step {} --yes{}",
                i + 1,
                rb.id,
                i + 1,
                incident_id.as_deref().map(|i| format!(" --incident {i}")).unwrap_or_default()
            )?;
            return Ok(ExitCode::from(1));
        };
        let how = match confirmed {
            Confirmed::Prompt => "prompt",
            Confirmed::Flag => "--yes",
            Confirmed::ReadOnly => "auto_run_read_only",
        };
        let outcome = rt.block_on(perform_audited(ctx, &db, &who, rb, i, &values, incident_id.as_deref(), how))?;
        let status = outcome_text(&outcome);
        writeln!(
            out,
            "step {}/{total}: {}: {} ({} ms)",
            i + 1,
            step.title(),
            terminal_safe(&status),
            outcome.elapsed_ms
        )?;
        for line in outcome.output.lines() {
            writeln!(out, "  | {}", terminal_safe(line))?;
        }
        if !outcome.ok() {
            writeln!(out, "stopped: step {} did not succeed", i + 1)?;
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
