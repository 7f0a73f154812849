//! `firewatch ask [--offline] [--now T] [--json] QUESTION`: a question in plain words, answered from the data
//! with citations; by the LLM of `[llm]` when one is configured, else (or when it fails) offline.
//! The engine prepares, asks and audits ([`crate::engine::ask`]); this prints.

use std::io::Write;
use std::process::ExitCode;

use serde::Serialize;

use super::Engine;
use crate::cli::AskArgs;
use crate::copilot::agent::{AgentEvent, LlmAnswer};
use crate::copilot::cite;
use crate::copilot::offline::Answer;
use crate::engine::ask::{Asked, LlmReport, Prepared};
use crate::sanitize::{self, safe_join, terminal_safe};

#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    answer: &'a Answer,
    #[serde(skip_serializing_if = "Option::is_none")]
    llm: Option<&'a LlmReport>,
}

pub fn run(ctx: &Engine, args: &AskArgs) -> anyhow::Result<ExitCode> {
    let question = args.question.join(" ");
    if question.trim().is_empty() {
        anyhow::bail!("ask needs a question, like: firewatch ask why did checkout slow down at 3pm");
    }
    let now = super::now_arg(&args.now)?;
    let prepared = ctx.prepare(&question, now)?;
    if let Some(why) = &prepared.runbooks_skipped {
        writeln!(sanitize::stderr(), "runbooks not suggested: {}", terminal_safe(why))?;
    }
    let llm = if args.offline { None } else { ctx.llm()? };
    let Some(llm) = llm else {
        let answer = &prepared.answer;
        // The offline answer cites only what it put in the pack; check anyway, as every answer is.
        let ids: Vec<&str> = answer.evidence.iter().map(|e| e.id.as_str()).collect();
        let report = cite::check(&answer.answer, &ids);
        let mut out = sanitize::stdout();
        if args.json {
            print_json(&mut out, answer, None)?;
        } else {
            print_header(&mut out, answer)?;
            writeln!(out, "\n{}\n", terminal_safe(&cite::annotate(&answer.answer, &report)))?;
            print_details(&mut out, answer)?;
        }
        return Ok(ExitCode::SUCCESS);
    };

    let json_mode = args.json;
    if !json_mode {
        let mut out = sanitize::stdout();
        print_header(&mut out, &prepared.answer)?;
        writeln!(out)?;
    }
    let events = |e: AgentEvent| {
        if !json_mode {
            show_event(e);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let tools = prepared.tools();
    let asked = rt.block_on(async {
        tokio::select! {
            r = ctx.ask_llm(&llm, &prepared.answer, tools, &events) => Some(r),
            // Cancelling is dropping the call: its stream and connection go with it.
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    let Some(asked) = asked else {
        writeln!(sanitize::stderr(), "\ncancelled")?;
        return Ok(ExitCode::from(130));
    };
    print_asked(ctx, prepared, asked?, json_mode)?;
    Ok(ExitCode::SUCCESS)
}

/// What the agent does while it answers, as it happens (text mode).
#[allow(
    clippy::let_underscore_must_use,
    reason = "live progress on the terminal; a stream that cannot be written fails the final print"
)]
fn show_event(e: AgentEvent) {
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
}

/// The model's answer (or the offline one it fell back to) with the report.
fn print_asked(ctx: &Engine, prepared: Prepared, asked: Asked, json_mode: bool) -> anyhow::Result<()> {
    let Prepared { answer, analysis, known, .. } = prepared;
    let Asked { report, answer: outcome } = asked;
    let mut out = sanitize::stdout();
    match outcome {
        Ok(LlmAnswer { text, raw, evidence, citations, tokens, steps, .. }) => {
            let mut answered = Answer { answer: text, evidence, ..answer };
            answered.runbooks = ctx.with_proposals(&analysis, &answered, &known, &raw);
            if json_mode {
                return print_json(&mut out, &answered, Some(&report));
            }
            writeln!(out, "\n")?;
            if !citations.unknown.is_empty() {
                writeln!(out, "citation check: {} cited but not in the evidence", safe_join(&citations.unknown, ", "))?;
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
        Err(failure) => {
            if json_mode {
                return print_json(&mut out, &answer, Some(&report));
            }
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
    Ok(())
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
