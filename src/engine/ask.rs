//! A question: interpreted, analysed and answered offline ([`Engine::prepare`]), then, when
//! an `[llm]` is configured, answered by the model ([`Engine::ask_llm`]) with redaction
//! and the audit log inside. The CLI and the chat pane both go through here, so what is
//! sent, what is audited and what happens on a failure are the same for both.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Local, Utc};
use serde::Serialize;

use super::audit::AuditLog;
use super::Engine;
use crate::analysis::incidents::{analyze, Analysis, AnalysisConfig, Telemetry};
use crate::copilot::agent::{self, AgentEvent, AgentFailure, AgentOptions, LlmAnswer, Tokens, ToolRecord};
use crate::copilot::cite::CitationReport;
use crate::copilot::interpret::{interpret, Known};
use crate::copilot::llm::{LlmClient, LlmSettings};
use crate::copilot::offline::{self, Answer, RunbookRef};
use crate::copilot::prompts::Prompts;
use crate::copilot::redact::Redactor;
use crate::copilot::tools::StoreTools;
use crate::runbooks::suggest;
use crate::store::scan;
use crate::store::state::audit::{LlmAnswerRecord, LlmRequest};
use crate::store::state::AuditEvent;

/// A question run through interpretation, analysis and the offline engine, with what the
/// LLM's tools need to look further.
pub struct Prepared {
    pub answer: Answer,
    pub analysis: Analysis,
    pub known: Known,
    /// The records read, around the window asked about.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    fields: crate::store::schema::Fields,
    searcher: tantivy::Searcher,
    metrics: Vec<crate::model::MetricPoint>,
    /// Why no runbook was suggested, when the library could not be read.
    pub runbooks_skipped: Option<String>,
}

impl Prepared {
    /// The tools the LLM may call, over this question's store snapshot and window.
    pub fn tools(&self) -> Arc<StoreTools> {
        let start = self.answer.interpretation.window.start;
        Arc::new(StoreTools::new(
            self.fields,
            self.searcher.clone(),
            self.window,
            start,
            self.metrics.clone(),
            &self.analysis,
        ))
    }
}

/// The model of `[llm]` and its prompts.
pub struct Llm {
    pub client: LlmClient,
    pub prompts: Prompts,
}

/// What a front end reports about the model's part in an answer.
#[derive(Debug, Clone, Serialize)]
pub struct LlmReport {
    pub model: String,
    pub endpoint: String,
    /// Why the answer is the offline one, when the LLM failed.
    pub fallback: Option<String>,
    pub steps: u32,
    pub tokens: Option<Tokens>,
    pub citations: Option<CitationReport>,
    pub tool_calls: Vec<ToolRecord>,
    /// Placeholders sent instead of secrets (never the secrets).
    pub redacted: Vec<Redaction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Redaction {
    pub placeholder: String,
    pub kind: String,
}

/// How asking the model ended; both ends are in the audit log.
pub struct Asked {
    pub report: LlmReport,
    /// The model's answer, or why it failed (the offline answer stands).
    pub answer: Result<LlmAnswer, AgentFailure>,
}

impl Engine {
    /// Interprets `question` at `now`, reads the records around its window and answers
    /// offline, with the runbooks that fit.
    pub fn prepare(&self, question: &str, now: DateTime<Utc>) -> anyhow::Result<Prepared> {
        let store = self.store()?;
        let searcher = store.reader().context("cannot read the index")?.searcher();
        let state = self.state()?;
        let mut alerts = state.alerts().context("cannot read alerts")?;
        // The names the question can refer to: those actually in the data.
        let (services, regions) = scan::known_names(&store.fields, &searcher, &alerts)?;
        let known = Known { services, regions };
        // Relative times resolve in the user's timezone (TZ).
        let interp = interpret(question, now.with_timezone(&Local), &known);
        let end = interp.window.end;
        let scope = offline::scope(&interp);
        let (from, to) = (scope.from, scope.to);
        alerts.retain(|a| a.starts_at >= scope.alerts_from && a.starts_at <= scope.alerts_to);
        let (logs, spans) = scan::records(&store.fields, &searcher, from, to).context("cannot read logs and spans")?;
        let metrics = state.metrics_between(from, to).context("cannot read metrics")?;
        let t = Telemetry { logs: &logs, spans: &spans, metrics: &metrics, alerts: &alerts };
        let analysis = analyze(&t, end.min(now), &AnalysisConfig::default());
        let mut answer = offline::answer(question, interp, &analysis);
        let (runbooks, runbooks_skipped) = match self.runbooks_for(&analysis, &answer, &known) {
            Ok(r) => (r, None),
            Err(e) => (Vec::new(), Some(format!("{e:#}"))),
        };
        answer.runbooks = runbooks;
        Ok(Prepared {
            answer,
            analysis,
            known,
            window: (from, to),
            fields: store.fields,
            searcher,
            metrics,
            runbooks_skipped,
        })
    }

    /// The model of `[llm]`, or none when the config has no `[llm]`.
    pub fn llm(&self) -> anyhow::Result<Option<Llm>> {
        let Some(section) = self.config.llm.as_ref() else { return Ok(None) };
        let settings = LlmSettings::from_config(section)?;
        let prompts_dir = section.prompts_dir.clone().or_else(|| super::config_dir().map(|d| d.join("prompts")));
        let prompts = Prompts::load(prompts_dir.as_deref())?;
        Ok(Some(Llm { client: LlmClient::new(settings)?, prompts }))
    }

    /// Asks the model, starting from the offline answer. Every request is redacted, and
    /// audited exactly as sent before it is sent: no row, no request. How it ended (the
    /// answer, or the failure the offline answer stands in for) is audited too, and an
    /// error here means that row could not be written: the answer is not to be given.
    pub async fn ask_llm(
        &self,
        llm: &Llm,
        offline: &Answer,
        tools: Arc<StoreTools>,
        events: &(dyn Fn(AgentEvent) + Sync),
    ) -> anyhow::Result<Asked> {
        let log = AuditLog::open(self)?;
        let mut redactor = Redactor::new(self.config.redact);
        let endpoint = llm.client.endpoint();
        let model = llm.client.settings().model.clone();
        let audit = |body: &serde_json::Value| -> Result<(), String> {
            let request = LlmRequest { endpoint: endpoint.clone(), model: model.clone(), body: body.clone() };
            log.record(&AuditEvent::LlmRequest(request)).map(|_| ()).map_err(|e| format!("{e:#}"))
        };
        let opts = AgentOptions::default();
        let outcome = agent::ask(&llm.client, &llm.prompts, offline, tools, &mut redactor, &audit, events, &opts).await;
        let mut report = LlmReport {
            model,
            endpoint,
            fallback: None,
            steps: 0,
            tokens: None,
            citations: None,
            tool_calls: Vec::new(),
            redacted: redactor
                .mapping()
                .map(|(p, k)| Redaction { placeholder: p.to_string(), kind: k.to_string() })
                .collect(),
        };
        let raw = match &outcome {
            Ok(a) => {
                report.steps = a.steps;
                report.tokens = Some(a.tokens.clone());
                report.citations = Some(a.citations.clone());
                report.tool_calls = a.tool_calls.clone();
                a.raw.as_str()
            }
            Err(failure) => {
                report.fallback = Some(failure.error.to_string());
                failure.partial.as_str()
            }
        };
        let record = answer_record(&report, redactor.clone().redact(&offline.question), raw, offline)?;
        log.record(&AuditEvent::LlmAnswer(record))?;
        Ok(Asked { report, answer: outcome })
    }

    /// The library's runbooks that fit the answer's incident, best three; suggestions only.
    fn runbooks_for(&self, analysis: &Analysis, answer: &Answer, known: &Known) -> anyhow::Result<Vec<RunbookRef>> {
        let Some(incident) = answer.incident.as_ref().and_then(|id| analysis.incidents.iter().find(|i| &i.id == id))
        else {
            return Ok(Vec::new());
        };
        let lib = self.library()?;
        let facts = suggest::facts(incident, &known.services, &known.regions);
        Ok(suggest::suggest(&lib, incident, &facts, &answer.answer)
            .into_iter()
            .take(3)
            .map(|s| RunbookRef { id: s.id, title: s.title, score: s.score, reason: s.reason })
            .collect())
    }

    /// The runbooks with those the model named first. Only library ids count: a name the
    /// library lacks is ignored. The model may propose values as `id(name=value, ...)`; they go
    /// through the parameters' validation like any other, and refused ones are said, not kept.
    pub fn with_proposals(&self, analysis: &Analysis, answer: &Answer, known: &Known, raw: &str) -> Vec<RunbookRef> {
        let Ok(lib) = self.library() else { return answer.runbooks.clone() };
        let incident = answer.incident.as_ref().and_then(|id| analysis.incidents.iter().find(|i| &i.id == id));
        let facts = incident.map(|i| suggest::facts(i, &known.services, &known.regions)).unwrap_or_default();
        let mut proposed: Vec<RunbookRef> = Vec::new();
        for rb in &lib.runbooks {
            let Some(given) = proposal(raw, &rb.id) else { continue };
            let suggested = answer.runbooks.iter().find(|r| r.id == rb.id);
            let mut reason = "proposed by the model".to_string();
            if !given.is_empty() {
                match crate::runbooks::params::fill(&rb.params, &facts, &given) {
                    Ok(_) => {
                        let shown: Vec<String> = given.iter().map(|(k, v)| format!("{k}={v}")).collect();
                        reason.push_str(&format!(" with {}", shown.join(", ")));
                    }
                    Err(problems) => {
                        let refused: Vec<&String> = problems.iter().filter(|p| p.contains("given")).collect();
                        if !refused.is_empty() {
                            reason.push_str(&format!(
                                "; its values were refused: {}",
                                refused.iter().map(|p| p.as_str()).collect::<Vec<_>>().join("; ")
                            ));
                        }
                    }
                }
            }
            if let Some(r) = suggested {
                reason.push_str(&format!("; {}", r.reason));
            }
            let score = suggested.map_or(0.5, |r| r.score);
            proposed.push(RunbookRef { id: rb.id.clone(), title: rb.title.clone(), score, reason });
        }
        let rest: Vec<RunbookRef> =
            answer.runbooks.iter().filter(|r| !proposed.iter().any(|p| p.id == r.id)).cloned().collect();
        proposed.extend(rest);
        proposed
    }
}

/// The `llm_answer` row: the question as the model saw it (redacted), its raw answer or
/// what streamed before a failure, and the report's figures.
fn answer_record(report: &LlmReport, question: String, raw: &str, offline: &Answer) -> anyhow::Result<LlmAnswerRecord> {
    Ok(LlmAnswerRecord {
        question,
        answer: raw.to_string(),
        incident: offline.incident.clone(),
        steps: report.steps,
        tokens: report.tokens.as_ref().map(serde_json::to_value).transpose()?,
        citations: report.citations.as_ref().map(serde_json::to_value).transpose()?,
        fallback: report.fallback.clone(),
        tool_calls: report.tool_calls.iter().map(serde_json::to_value).collect::<Result<_, _>>()?,
    })
}

/// Whether `text` names runbook `id` as a whole word (`rollback-deploy`, not
/// `rollback-deploy-v2`), and the `(name=value, ...)` right after it, if any.
fn proposal(text: &str, id: &str) -> Option<BTreeMap<String, String>> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices(id).find_map(|(at, _)| {
        let after = &text[at + id.len()..];
        if text[..at].chars().next_back().is_some_and(word) || after.chars().next().is_some_and(word) {
            return None;
        }
        let mut given = BTreeMap::new();
        if let Some(inner) = after.strip_prefix('(').and_then(|r| r.split_once(')')).map(|(i, _)| i) {
            for pair in inner.split(',') {
                if let Some((k, v)) = pair.split_once('=') {
                    given.insert(k.trim().to_string(), v.trim().trim_matches(['"', '\'', '`']).to_string());
                }
            }
        }
        Some(given)
    })
}
