//! Runbooks: the library, the incident and the names a step's parameters are filled from,
//! and running one confirmed step with its audit row.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};

use super::audit::AuditLog;
use super::Engine;
use crate::analysis::incidents::Incident;
use crate::config::SourceKind;
use crate::runbooks::exec::{action, run_argv, Action, Outcome};
use crate::runbooks::params::{fill, Facts};
use crate::runbooks::suggest::facts;
use crate::runbooks::{user_dirs, Library, Runbook};
use crate::sources::alertmanager_api::{AlertmanagerClient, NewSilence};
use crate::sources::http::{build_client, join_url};
use crate::store::scan;
pub use crate::store::state::audit::{ConfirmedBy, DeclineReason};
use crate::store::state::audit::{RunbookDeclined, RunbookStep};
use crate::store::state::AuditEvent;

/// The incident asked for, else the newest open one, else the newest.
pub fn pick<'a>(incidents: &'a [Incident], id: Option<&str>) -> anyhow::Result<Option<&'a Incident>> {
    match id {
        Some(id) => incidents
            .iter()
            .find(|i| i.id == id)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("no incident {id} (see firewatch incidents)")),
        None => Ok(incidents
            .iter()
            .find(|i| i.status == crate::model::IncidentStatus::Firing)
            .or_else(|| incidents.first())),
    }
}

/// What a step's parameters are filled from: the incident's, or only the names in the data.
pub fn facts_for(incident: Option<&Incident>, (services, regions): (Vec<String>, Vec<String>)) -> Facts {
    match incident {
        Some(i) => facts(i, &services, &regions),
        None => Facts { known_services: services, known_regions: regions, ..Facts::default() },
    }
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

/// A step about to be decided on: which runbook and step, with the values it runs with.
pub struct StepRequest<'a> {
    pub runbook: &'a Runbook,
    /// 0-based.
    pub step: usize,
    pub values: &'a BTreeMap<String, String>,
    pub incident: Option<&'a str>,
}

impl Engine {
    /// The library: built-in, `runbooks/` in the config dir, `[runbooks] paths`.
    pub fn library(&self) -> anyhow::Result<Library> {
        Ok(Library::load(&user_dirs(super::config_dir().as_deref(), &self.config.runbooks.paths))?)
    }

    /// Services and regions seen in the data: a parameter naming one must be one of these.
    pub fn known_names(&self) -> anyhow::Result<(Vec<String>, Vec<String>)> {
        let store = self.store()?;
        let searcher = store.reader().context("cannot read the index")?.searcher();
        let alerts = self.state()?.alerts().context("cannot read alerts")?;
        Ok(scan::known_names(&store.fields, &searcher, &alerts)?)
    }

    /// Records that a step did not run for want of a confirmation.
    pub fn decline_step(&self, log: &AuditLog, req: &StepRequest, reason: DeclineReason) -> anyhow::Result<()> {
        let step = &req.runbook.steps[req.step];
        log.record(&AuditEvent::RunbookDeclined(RunbookDeclined {
            runbook: req.runbook.id.clone(),
            step: req.step + 1,
            title: step.title().to_string(),
            incident: req.incident.map(str::to_string),
            exact: action(step, req.values).describe(),
            reason,
        }))?;
        Ok(())
    }

    /// Runs a step a human confirmed (`how`) and writes it to the audit log.
    pub async fn run_step(&self, log: &AuditLog, req: &StepRequest<'_>, how: ConfirmedBy) -> anyhow::Result<Outcome> {
        let step = &req.runbook.steps[req.step];
        let a = action(step, req.values);
        let outcome = self.perform(&a, &log.actor).await;
        log.record(&AuditEvent::RunbookStep(RunbookStep {
            runbook: req.runbook.id.clone(),
            step: req.step + 1,
            kind: step.kind().to_string(),
            title: step.title().to_string(),
            incident: req.incident.map(str::to_string),
            params: req.values.clone(),
            exact: a.describe(),
            action: serde_json::to_value(&a).context("cannot encode the step for the audit log")?,
            confirmed_by: how,
            exit: outcome.exit,
            timed_out: outcome.timed_out,
            output_digest: outcome.digest.clone(),
            output_bytes: outcome.output_bytes,
            elapsed_ms: outcome.elapsed_ms,
            detail: outcome.detail.clone(),
        }))?;
        Ok(outcome)
    }

    /// Runs one step that a human confirmed in the TUI: the parameters come from the incident
    /// as the runbooks pane showed them. Blocking (it runs its own small runtime).
    pub fn run_confirmed(
        &self,
        id: &str,
        step: usize,
        incident: Option<&str>,
        now: DateTime<Utc>,
        how: ConfirmedBy,
    ) -> anyhow::Result<Outcome> {
        let lib = self.library()?;
        let rb = lib.get(id).ok_or_else(|| anyhow::anyhow!("no runbook {id}"))?;
        anyhow::ensure!(step < rb.steps.len(), "{id} has no step {}", step + 1);
        let analysis = self.analyze(now, None)?;
        let inc = incident.and_then(|i| analysis.incidents.iter().find(|x| x.id == i));
        let facts = facts_for(inc, self.known_names()?);
        let values = fill(&rb.params_of(&[step]), &facts, &BTreeMap::new())
            .map_err(|p| anyhow::anyhow!("cannot fill its parameters: {}", p.join("; ")))?;
        let log = AuditLog::open(self)?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let req = StepRequest { runbook: rb, step, values: &values, incident };
        rt.block_on(self.run_step(&log, &req, how))
    }

    /// Does one confirmed action.
    async fn perform(&self, a: &Action, who: &str) -> Outcome {
        let started = std::time::Instant::now();
        let done = |detail: String| Outcome::note(detail, started);
        match a {
            Action::Check { argv, timeout_ms } | Action::Command { argv, timeout_ms } => {
                run_argv(argv, Duration::from_millis(*timeout_ms)).await
            }
            Action::Silence { matchers, duration_s, comment } => {
                let Some(src) = self.config.source.iter().find(|s| s.kind == SourceKind::Alertmanager) else {
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
                let Some(ep) = self.config.endpoint.iter().find(|e| &e.name == endpoint) else {
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
                    Ok((status, body)) => {
                        done(format!("failed: http {status}: {}", crate::sources::http::snippet(&body)))
                    }
                    Err(e) => done(format!("failed: {e}")),
                }
            }
            Action::Link { url } => done(format!("open {url}")),
        }
    }
}
