//! `firewatch ask [--offline] [--now T] [--json] QUESTION`: a question in plain words, answered from the data
//! with citations; by the LLM of `[llm]` when one is configured, else (or when it fails) offline.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::{Local, Utc};
use serde::Serialize;
use serde_json::json;

use super::Ctx;
use crate::analysis::incidents::Analysis;
use crate::analysis::incidents::{analyze, AnalysisConfig, Telemetry};
use crate::cli::AskArgs;
use crate::copilot::agent::{self, AgentEvent, AgentOptions, LlmAnswer, Tokens, ToolRecord};
use crate::copilot::cite::{self, CitationReport};
use crate::copilot::interpret::{interpret, Known};
use crate::copilot::llm::{LlmClient, LlmSettings};
use crate::copilot::offline::{self, Answer, RunbookRef};
use crate::copilot::prompts::Prompts;
use crate::copilot::redact::Redactor;
use crate::copilot::tools::StoreTools;
use crate::runbooks::suggest;
use crate::sanitize::{self, safe_join, terminal_safe};
use crate::store::state::{actor, StateDb};
use crate::store::{scan, Store};
use crate::timearg;

/// What `--json` adds to the contract in docs/contracts.md when the LLM was asked.
#[derive(Debug, Serialize)]
struct LlmReport {
    model: String,
    endpoint: String,
    /// Why the answer is the offline one, when the LLM failed.
    fallback: Option<String>,
    steps: u32,
    tokens: Option<Tokens>,
    citations: Option<CitationReport>,
    tool_calls: Vec<ToolRecord>,
    /// Placeholders sent instead of secrets (never the secrets).
    redacted: Vec<Redaction>,
}

#[derive(Debug, Serialize)]
struct Redaction {
    placeholder: String,
    kind: String,
}

#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    answer: &'a Answer,
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<&'a LlmReport>,
}

/// A question run through interpretation, analysis and the offline engine, with what the
/// LLM's tools need to look further. The CLI and the chat pane both start here.
pub struct Prepared {
    pub answer: Answer,
    pub analysis: Analysis,
    pub known: Known,
    pub store: Store,
    pub searcher: tantivy::Searcher,
    pub metrics: Vec<crate::model::MetricPoint>,
    /// The records read, around the window asked about.
    pub window: (chrono::DateTime<Utc>, chrono::DateTime<Utc>),
}

pub fn prepare(ctx: &Ctx, question: &str, now: chrono::DateTime<Utc>) -> anyhow::Result<Prepared> {
    let store = Store::open(&ctx.data_dir).context("cannot open the index")?;
    let searcher = store.reader().context("cannot read the index")?.searcher();
    let state = StateDb::open(&ctx.data_dir).context("cannot open the state database")?;
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
    answer.runbooks = runbooks_for(ctx, &analysis, &answer, &known);
    Ok(Prepared { answer, analysis, known, store, searcher, metrics, window: (from, to) })
}

/// The LLM client and the prompts of an `[llm]` section.
pub fn llm(section: &crate::config::LlmSection) -> anyhow::Result<(LlmClient, Prompts)> {
    let settings = LlmSettings::from_config(section)?;
    let prompts_dir = section.prompts_dir.clone().or_else(|| super::config_dir().map(|d| d.join("prompts")));
    let prompts = Prompts::load(prompts_dir.as_deref())?;
    Ok((LlmClient::new(settings)?, prompts))
}

pub fn run(ctx: &Ctx, args: &AskArgs) -> anyhow::Result<ExitCode> {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        anyhow::bail!("ask needs a question, like: firewatch ask why did checkout slow down at 3pm");
    }
    let now = match &args.now {
        Some(n) => timearg::parse(n, Utc::now()).map_err(|e| anyhow::anyhow!("--now: {e}"))?,
        None => Utc::now(),
    };
    let Prepared { answer, analysis, known, store, searcher, metrics, window: (from, to) } =
        prepare(ctx, &question, now)?;
    let start = answer.interpretation.window.start;
    let state = StateDb::open(&ctx.data_dir).context("cannot open the state database")?;

    let Some(section) = ctx.config.llm.as_ref().filter(|_| !args.offline) else {
        // The offline answer cites only what it put in the pack; check anyway, as every answer is.
        let ids: Vec<&str> = answer.evidence.iter().map(|e| e.id.as_str()).collect();
        let report = cite::check(&answer.answer, &ids);
        let mut out = sanitize::stdout();
        if args.json {
            print_json(&mut out, &answer, None)?;
        } else {
            print_header(&mut out, &answer)?;
            writeln!(out, "\n{}\n", terminal_safe(&cite::annotate(&answer.answer, &report)))?;
            print_details(&mut out, &answer)?;
        }
        return Ok(ExitCode::SUCCESS);
    };

    let (client, prompts) = llm(section)?;
    let tools = Arc::new(StoreTools::new(store.fields, searcher, (from, to), start, metrics, &analysis));
    let mut redactor = Redactor::new(ctx.config.redact);
    let db = Mutex::new(state);
    let who = actor();
    let endpoint = client.endpoint();
    let model = client.settings().model.clone();
    // Every request, exactly as sent, before it is sent: no log row, no request.
    let audit = |body: &serde_json::Value| -> Result<(), String> {
        let db = db.lock().map_err(|_| "the audit log lock is poisoned".to_string())?;
        db.append_audit("llm_request", &who, &json!({"endpoint": endpoint, "model": model, "body": body}))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let json_mode = args.json;
    if !json_mode {
        let mut out = sanitize::stdout();
        print_header(&mut out, &answer)?;
        writeln!(out)?;
    }
    let events = |e: AgentEvent| {
        if json_mode {
            return;
        }
        match e {
            AgentEvent::Token(t) => {
                let mut out = sanitize::stdout();
                let _ = write!(out, "{}", terminal_safe(&t));
                let _ = out.flush();
            }
            // The tool's name is the model's choice: as untrusted as its arguments.
            AgentEvent::ToolCall { name, arguments } => {
                let _ = writeln!(sanitize::stderr(), "  [tool] {} {}", terminal_safe(&name), terminal_safe(&arguments));
            }
            AgentEvent::ToolResult { name, added, error } => {
                let _ = match error {
                    Some(e) => {
                        writeln!(sanitize::stderr(), "  [tool] {} failed: {}", terminal_safe(&name), terminal_safe(&e))
                    }
                    None => writeln!(
                        sanitize::stderr(),
                        "  [tool] {} -> {}",
                        terminal_safe(&name),
                        if added.is_empty() { "nothing".into() } else { safe_join(&added, ", ") }
                    ),
                };
            }
            AgentEvent::Retry { attempt, error } => {
                let _ = writeln!(sanitize::stderr(), "  [llm] retry {attempt} after: {}", terminal_safe(&error));
            }
            AgentEvent::Step(_) => {}
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let opts = AgentOptions::default();
    let outcome = rt.block_on(async {
        tokio::select! {
            r = agent::ask(&client, &prompts, &answer, tools, &mut redactor, &audit, &events, &opts) => Some(r),
            // Cancelling is dropping the call: its stream and connection go with it.
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(outcome) = outcome else {
        writeln!(sanitize::stderr(), "\ncancelled")?;
        return Ok(ExitCode::from(130));
    };
    let redacted: Vec<Redaction> =
        redactor.mapping().map(|(p, k)| Redaction { placeholder: p.to_string(), kind: k.to_string() }).collect();
    let mut report = LlmReport {
        model: client.settings().model.clone(),
        endpoint: client.endpoint(),
        fallback: None,
        steps: 0,
        tokens: None,
        citations: None,
        tool_calls: Vec::new(),
        redacted,
    };
    let summary = |r: &LlmReport, raw: &str| {
        json!({"question": redactor.clone().redact(&question), "answer": raw, "incident": answer.incident, "steps": r.steps,
               "tokens": r.tokens, "citations": r.citations, "fallback": r.fallback, "tool_calls": r.tool_calls})
    };
    let mut out = sanitize::stdout();
    match outcome {
        Ok(LlmAnswer { text, raw, evidence, citations, tokens, steps, tool_calls }) => {
            report.steps = steps;
            report.tokens = Some(tokens.clone());
            report.citations = Some(citations.clone());
            report.tool_calls = tool_calls;
            let _ = db.lock().map(|d| d.append_audit("llm_answer", &who, &summary(&report, &raw)));
            let mut answered = Answer { answer: text, evidence, ..answer };
            answered.runbooks = with_proposals(ctx, &analysis, &answered, &known, &raw);
            if json_mode {
                print_json(&mut out, &answered, Some(&report))?;
            } else {
                writeln!(out, "\n")?;
                if !citations.unknown.is_empty() {
                    writeln!(
                        out,
                        "citation check: {} cited but not in the evidence",
                        safe_join(&citations.unknown, ", ")
                    )?;
                }
                if !citations.grounded {
                    writeln!(out, "citation check: ungrounded, the answer cites no evidence")?;
                } else if !citations.uncited_sentences.is_empty() {
                    writeln!(out, "citation check: {} sentences cite nothing", citations.uncited_sentences.len())?;
                }
                print_details(&mut out, &answered)?;
                writeln!(
                    out,
                    "\nllm: {} at {}, {} step{}, {} tokens ({} prompt + {} completion{})",
                    terminal_safe(&report.model),
                    terminal_safe(&report.endpoint),
                    steps,
                    if steps == 1 { "" } else { "s" },
                    tokens.total,
                    tokens.prompt,
                    tokens.completion,
                    if tokens.estimated { ", estimated" } else { "" }
                )?;
            }
        }
        Err(failure) => {
            report.fallback = Some(failure.error.to_string());
            let _ = db.lock().map(|d| d.append_audit("llm_answer", &who, &summary(&report, &failure.partial)));
            if json_mode {
                print_json(&mut out, &answer, Some(&report))?;
            } else {
                if !failure.partial.is_empty() {
                    writeln!(out)?;
                }
                writeln!(out, "(the LLM failed: {}; answered offline)\n", terminal_safe(&failure.error.to_string()))?;
                let ids: Vec<&str> = answer.evidence.iter().map(|e| e.id.as_str()).collect();
                let checked = cite::check(&answer.answer, &ids);
                writeln!(out, "{}\n", terminal_safe(&cite::annotate(&answer.answer, &checked)))?;
                print_details(&mut out, &answer)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The library's runbooks that fit the answer's incident, best three; suggestions only.
fn runbooks_for(ctx: &Ctx, analysis: &Analysis, answer: &Answer, known: &Known) -> Vec<RunbookRef> {
    let Some(incident) = answer.incident.as_ref().and_then(|id| analysis.incidents.iter().find(|i| &i.id == id)) else {
        return Vec::new();
    };
    let lib = match super::runbooks::library(ctx) {
        Ok(l) => l,
        Err(e) => {
            let _ = writeln!(sanitize::stderr(), "runbooks not suggested: {}", terminal_safe(&e.to_string()));
            return Vec::new();
        }
    };
    let facts = suggest::facts(incident, &known.services, &known.regions);
    suggest::suggest(&lib, incident, &facts, &answer.answer)
        .into_iter()
        .take(3)
        .map(|s| RunbookRef { id: s.id, title: s.title, score: s.score, reason: s.reason })
        .collect()
}

/// The runbooks with those the model named first. Only library ids count: a name the
/// library lacks is ignored. The model may propose values as `id(name=value, ...)`; they go
/// through the parameters' validation like any other, and refused ones are said, not kept.
fn with_proposals(ctx: &Ctx, analysis: &Analysis, answer: &Answer, known: &Known, raw: &str) -> Vec<RunbookRef> {
    let Ok(lib) = super::runbooks::library(ctx) else { return answer.runbooks.clone() };
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

fn print_json(out: &mut impl Write, answer: &Answer, llm: Option<&LlmReport>) -> anyhow::Result<()> {
    sanitize::json::to_writer_pretty(&mut *out, &Output { answer, llm })?;
    writeln!(out)?;
    Ok(())
}

fn print_header(out: &mut impl Write, answer: &Answer) -> std::io::Result<()> {
    let i = &answer.interpretation;
    writeln!(
        out,
        "understood: services [{}], regions [{}], symptom {}, from {} to {}",
        safe_join(&i.services, ", "),
        safe_join(&i.regions, ", "),
        i.symptom.map_or("-".to_string(), |s| format!("{s:?}").to_lowercase()),
        i.window.start.to_rfc3339(),
        i.window.end.to_rfc3339()
    )?;
    for n in &i.notes {
        writeln!(out, "  ({})", terminal_safe(n))?;
    }
    Ok(())
}

fn print_details(out: &mut impl Write, answer: &Answer) -> std::io::Result<()> {
    for e in &answer.evidence {
        let svc = terminal_safe(e.service.as_deref().unwrap_or("-"));
        writeln!(
            out,
            "[{}] {} {} {svc}: {}",
            terminal_safe(&e.id),
            e.kind,
            e.timestamp.format("%H:%M:%S"),
            terminal_safe(&e.text)
        )?;
    }
    if !answer.candidates.is_empty() {
        writeln!(out, "\ncandidates:")?;
        for c in &answer.candidates {
            writeln!(out, "  {:.2} {}: {}", c.score, terminal_safe(&c.service), terminal_safe(&c.reason))?;
        }
    }
    if !answer.runbooks.is_empty() {
        writeln!(out, "\nrunbooks (firewatch runbooks run ID --dry-run shows each step):")?;
        for r in &answer.runbooks {
            writeln!(
                out,
                "  {:.2} {}: {} ({})",
                r.score,
                terminal_safe(&r.id),
                terminal_safe(&r.title),
                terminal_safe(&r.reason)
            )?;
        }
    }
    Ok(())
}
