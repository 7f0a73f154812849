//! The LLM path of a question: the prompt, the evidence packed to fit the window, tool
//! rounds within a step and token budget, and the citation check of the answer.
//!
//! Everything that leaves the host goes through one redaction pass in [`redact_request`],
//! whatever built it, and every request is shown to the audit hook before it is sent.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{json, Value};

use super::cite::{self, CitationReport};
use super::llm::{estimate_tokens, LlmClient, LlmError, LlmSettings, StepOutput, StreamNote, ToolCall, Usage};
use super::offline::{Answer, Evidence};
use super::pack;
use super::prompts::{Prompts, TOOL_NAMES};
use super::redact::Redactor;
use super::tools::{unknown_tool, Tools};

/// What a consumer (the CLI, the chat pane) hears while the answer forms.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentEvent {
    Step(u32),
    /// Answer text, placeholders already mapped back for the user.
    Token(String),
    Retry {
        attempt: u32,
        error: String,
    },
    ToolCall {
        name: String,
        arguments: String,
    },
    ToolResult {
        name: String,
        added: Vec<String>,
        error: Option<String>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct AgentOptions {
    /// Make the first step call this tool (small local models only call tools when told).
    pub force_first_tool: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolRecord {
    pub name: String,
    pub arguments: String,
    /// Ids of the evidence the call added.
    pub evidence: Vec<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tokens {
    pub prompt: u32,
    pub completion: u32,
    pub total: u32,
    /// Some step's server reported no usage, so part of the count is estimated.
    pub estimated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LlmAnswer {
    /// For the user: placeholders restored, unknown citations marked, ungrounded said.
    pub text: String,
    /// As the model wrote it.
    pub raw: String,
    /// The offline pack, then what the tools added.
    pub evidence: Vec<Evidence>,
    pub citations: CitationReport,
    pub tokens: Tokens,
    pub steps: u32,
    pub tool_calls: Vec<ToolRecord>,
}

/// The failure, and whatever streamed before it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentFailure {
    pub error: LlmError,
    pub partial: String,
}

/// Restores placeholders in streamed text, holding back a `[` whose placeholder may still
/// be arriving.
#[derive(Default)]
struct StreamRestorer {
    pending: String,
}

impl StreamRestorer {
    fn push(&mut self, text: &str, r: &Redactor) -> String {
        self.pending.push_str(text);
        let hold = match self.pending.rfind('[') {
            Some(at) if !self.pending[at..].contains(']') && self.pending.len() - at < 40 => at,
            _ => self.pending.len(),
        };
        let out = r.restore(&self.pending[..hold]);
        self.pending.drain(..hold);
        out
    }

    fn finish(&mut self, r: &Redactor) -> String {
        r.restore(&std::mem::take(&mut self.pending))
    }
}

/// Redacts every message's text and every tool call's arguments in a request body.
pub fn redact_request(body: &mut Value, redactor: &mut Redactor) {
    let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) else { return };
    for m in messages {
        if let Some(Value::String(c)) = m.get_mut("content") {
            *c = redactor.redact(c);
        }
        if let Some(calls) = m.get_mut("tool_calls").and_then(Value::as_array_mut) {
            for c in calls {
                if let Some(Value::String(a)) = c.pointer_mut("/function/arguments") {
                    *a = redactor.redact(a);
                }
            }
        }
    }
}

fn interpretation_line(a: &Answer) -> String {
    let i = &a.interpretation;
    format!(
        "services [{}], regions [{}], symptom {}, window {} to {}",
        i.services.join(", "),
        i.regions.join(", "),
        i.symptom.map_or("unknown".to_string(), |s| format!("{s:?}").to_lowercase()),
        i.window.start.to_rfc3339(),
        i.window.end.to_rfc3339()
    )
}

fn analysis_text(a: &Answer) -> String {
    let mut out = String::new();
    if a.candidates.is_empty() {
        out.push_str("- no candidate cause cleared the threshold\n");
    }
    for c in a.candidates.iter().take(5) {
        out.push_str(&format!("- {} (score {:.2}): {}\n", c.service, c.score, c.reason));
    }
    out.push_str(&format!("firewatch's offline answer: {}", a.answer));
    if !a.runbooks.is_empty() {
        let names: Vec<String> = a.runbooks.iter().map(|r| format!("{} ({})", r.id, r.title)).collect();
        out.push_str(&format!(
            "\nRunbooks from the library that fit: {}. You may recommend one by its id, with values as id(name=value) if you know them; you cannot run anything.",
            names.join(", ")
        ));
    }
    out
}

fn message_tokens(messages: &[Value]) -> u32 {
    messages.iter().map(|m| estimate_tokens(&m.to_string())).sum()
}

/// Answers with the model. `offline` is the offline engine's answer to the same question:
/// its interpretation, ranking and evidence pack are the starting point.
#[allow(clippy::too_many_arguments)]
pub async fn ask(
    client: &LlmClient,
    prompts: &Prompts,
    offline: &Answer,
    tools: Arc<dyn Tools>,
    redactor: &mut Redactor,
    audit: &(dyn Fn(&Value) -> Result<(), String> + Sync),
    events: &(dyn Fn(AgentEvent) + Sync),
    opts: &AgentOptions,
) -> Result<LlmAnswer, AgentFailure> {
    let s = client.settings().clone();
    let mut evidence = offline.evidence.clone();
    let tools_json = prompts.tools_json();
    let tool_tokens = if s.tools { estimate_tokens(&tools_json.to_string()) } else { 0 };
    let mut messages = first_messages(prompts, offline, &s, tool_tokens, redactor);

    let mut used = Usage::default();
    let mut records: Vec<ToolRecord> = Vec::new();
    // What streamed so far: the restorer for display, and the raw text should the call fail.
    let streamed = std::sync::Mutex::new((StreamRestorer::default(), String::new()));
    let take_partial = |m: &std::sync::Mutex<(StreamRestorer, String)>| {
        m.lock().map(|mut g| std::mem::take(&mut g.1)).unwrap_or_default()
    };
    let mut steps = 0;
    let mut no_more_tools = !s.tools;
    let answer = loop {
        steps += 1;
        events(AgentEvent::Step(steps));
        let offer_tools =
            !no_more_tools && steps < s.max_steps && used.prompt_tokens + used.completion_tokens < s.token_budget;
        let force = opts.force_first_tool.as_deref().filter(|_| steps == 1);
        let mut body = request_body(&s, &messages, &tools_json, offer_tools, force);
        redact_request(&mut body, redactor);
        let prompt_estimate = message_tokens(&messages) + if offer_tools { tool_tokens } else { 0 };
        let r: &Redactor = redactor;
        let notes = |n: StreamNote| match n {
            StreamNote::Token(t) => {
                let shown = streamed
                    .lock()
                    .map(|mut g| {
                        g.1.push_str(&t);
                        g.0.push(&t, r)
                    })
                    .unwrap_or_default();
                if !shown.is_empty() {
                    events(AgentEvent::Token(shown));
                }
            }
            StreamNote::Retry { attempt, error, .. } => events(AgentEvent::Retry { attempt, error }),
        };
        let out = client.stream(&body, audit, &notes).await;
        let out = match out {
            Ok(o) => o,
            Err(error) => return Err(AgentFailure { error, partial: take_partial(&streamed) }),
        };
        add_usage(&mut used, &out, prompt_estimate);

        if !offer_tools || out.tool_calls.is_empty() {
            let tail = streamed.lock().map(|mut g| g.0.finish(redactor)).unwrap_or_default();
            if !tail.is_empty() {
                events(AgentEvent::Token(tail));
            }
            break out.content;
        }
        // A tool round: the assistant's calls, then one tool message per call.
        let calls: Vec<Value> = out
            .tool_calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
        // llama.cpp answers 500 to a null or absent content next to tool_calls.
        messages.push(json!({"role": "assistant", "content": out.content, "tool_calls": calls}));
        let share = {
            let left = s.context_tokens.saturating_sub(message_tokens(&messages) + tool_tokens + s.max_tokens + 64);
            left / out.tool_calls.len() as u32
        };
        for (message, record) in tool_round(&tools, &out.tool_calls, share, &mut evidence, redactor, events).await {
            messages.push(message);
            records.push(record);
        }
        if share < 200 {
            no_more_tools = true;
        }
    };
    if answer.trim().is_empty() {
        return Err(AgentFailure {
            error: LlmError::Protocol("the model returned an empty answer".into()),
            partial: take_partial(&streamed),
        });
    }
    Ok(answered(answer, evidence, redactor, &used, steps, records))
}

/// Adds one call's tokens to `used`: as the server counted them, else estimated.
fn add_usage(used: &mut Usage, out: &StepOutput, prompt_estimate: u32) {
    let u = out.usage.unwrap_or(Usage {
        prompt_tokens: prompt_estimate,
        completion_tokens: estimate_tokens(&out.content)
            + out.tool_calls.iter().map(|c| estimate_tokens(&c.arguments)).sum::<u32>(),
        estimated: true,
    });
    used.prompt_tokens += u.prompt_tokens;
    used.completion_tokens += u.completion_tokens;
    used.estimated |= u.estimated;
}

/// The model's final text with its citations checked against the evidence given, restored
/// (placeholders back to the values they stand for) for the reader.
fn answered(
    answer: String,
    evidence: Vec<Evidence>,
    redactor: &Redactor,
    used: &Usage,
    steps: u32,
    records: Vec<ToolRecord>,
) -> LlmAnswer {
    let ids: Vec<&str> = evidence.iter().map(|e| e.id.as_str()).collect();
    let citations = cite::check(&answer, &ids);
    let text = cite::annotate(&redactor.restore(&answer), &citations);
    LlmAnswer {
        text,
        raw: answer,
        evidence,
        citations,
        tokens: Tokens {
            prompt: used.prompt_tokens,
            completion: used.completion_tokens,
            total: used.prompt_tokens + used.completion_tokens,
            estimated: used.estimated,
        },
        steps,
        tool_calls: records,
    }
}

/// The system prompt and the question with its evidence, packed into what the model's window
/// leaves once the prompts, the tool list (`tool_tokens`) and the answer are counted.
fn first_messages(
    prompts: &Prompts,
    offline: &Answer,
    s: &LlmSettings,
    tool_tokens: u32,
    redactor: &mut Redactor,
) -> Vec<Value> {
    let evidence = &offline.evidence;
    // The window holds the system prompt, the question, the tool list, the answer and the
    // evidence; the evidence gets what is left.
    let skeleton = prompts.render_answer(&[
        ("question", &offline.question),
        ("interpretation", &interpretation_line(offline)),
        ("analysis", &analysis_text(offline)),
        ("evidence", ""),
        ("tools_hint", if s.tools { &prompts.tools_hint } else { "" }),
    ]);
    let fixed = estimate_tokens(&prompts.system) + estimate_tokens(&skeleton) + tool_tokens + s.max_tokens + 64;
    let room = s.context_tokens.saturating_sub(fixed);
    let packed = pack::pack(evidence, room, redactor);
    let user = prompts.render_answer(&[
        ("question", &offline.question),
        ("interpretation", &interpretation_line(offline)),
        ("analysis", &analysis_text(offline)),
        ("evidence", &packed.text),
        ("tools_hint", if s.tools { &prompts.tools_hint } else { "" }),
    ]);
    vec![json!({"role": "system", "content": prompts.system}), json!({"role": "user", "content": user})]
}

/// One request of the conversation; with `offer_tools`, the tool list (the first step may
/// force a tool, for the evals).
fn request_body(
    s: &LlmSettings,
    messages: &[Value],
    tools_json: &Value,
    offer_tools: bool,
    force: Option<&str>,
) -> Value {
    let mut body = json!({
        "model": s.model,
        "messages": messages,
        "max_tokens": s.max_tokens,
        "temperature": s.temperature,
        "stream": true,
    });
    if offer_tools {
        body["tools"] = tools_json.clone();
        body["tool_choice"] = match force {
            Some(name) => json!({"type": "function", "function": {"name": name}}),
            None => json!("auto"),
        };
    }
    body
}

/// Runs the model's tool calls of one round: each result gets evidence ids after the ones
/// already given and is packed into `share` tokens. Returns the tool messages and their records.
async fn tool_round(
    tools: &Arc<dyn Tools>,
    calls: &[ToolCall],
    share: u32,
    evidence: &mut Vec<Evidence>,
    redactor: &mut Redactor,
    events: &(dyn Fn(AgentEvent) + Sync),
) -> Vec<(Value, ToolRecord)> {
    let mut out = Vec::with_capacity(calls.len());
    for call in calls {
        events(AgentEvent::ToolCall { name: call.name.clone(), arguments: redactor.redact(&call.arguments) });
        let result = run_tool(tools, &call.name, &call.arguments).await;
        let (content, record) = match result {
            Ok(mut items) => {
                let mut added = Vec::new();
                for e in &mut items {
                    e.id = format!("E{}", evidence.len() + 1);
                    added.push(e.id.clone());
                    evidence.push(e.clone());
                }
                let p = pack::pack(&items, share.max(1), redactor);
                let text = if items.is_empty() {
                    "no results".to_string()
                } else if p.included.is_empty() {
                    "(no room left in the model's window: answer with the evidence you have)".to_string()
                } else {
                    p.text
                };
                (
                    text,
                    ToolRecord {
                        name: call.name.clone(),
                        arguments: call.arguments.clone(),
                        evidence: added,
                        error: None,
                    },
                )
            }
            Err(e) => (
                format!("error: {e}"),
                ToolRecord {
                    name: call.name.clone(),
                    arguments: call.arguments.clone(),
                    evidence: vec![],
                    error: Some(e),
                },
            ),
        };
        events(AgentEvent::ToolResult {
            name: record.name.clone(),
            added: record.evidence.clone(),
            error: record.error.clone(),
        });
        out.push((json!({"role": "tool", "tool_call_id": call.id, "content": content}), record));
    }
    out
}

/// Runs one tool off the async runtime (Tantivy search blocks).
async fn run_tool(tools: &Arc<dyn Tools>, name: &str, arguments: &str) -> Result<Vec<Evidence>, String> {
    if !TOOL_NAMES.contains(&name) {
        return Err(unknown_tool(name));
    }
    let args: Value = if arguments.trim().is_empty() {
        json!({})
    } else {
        parse_arguments(arguments).map_err(|e| format!("arguments are not JSON: {e}"))?
    };
    let (tools, name) = (Arc::clone(tools), name.to_string());
    tokio::task::spawn_blocking(move || tools.call(&name, &args)).await.map_err(|e| format!("the tool failed: {e}"))?
}

/// Tool arguments as JSON. Small models put raw newlines inside strings; those are escaped
/// and the text parsed again, since the intent is plain.
fn parse_arguments(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text).or_else(|e| {
        let mut fixed = String::with_capacity(text.len() + 8);
        let (mut in_string, mut escaped) = (false, false);
        for c in text.chars() {
            match c {
                _ if escaped => {
                    escaped = false;
                    fixed.push(c);
                }
                '\\' if in_string => {
                    escaped = true;
                    fixed.push(c);
                }
                '"' => {
                    in_string = !in_string;
                    fixed.push(c);
                }
                c if in_string && c.is_control() => fixed.push_str(&format!("\\u{:04x}", c as u32)),
                c => fixed.push(c),
            }
        }
        serde_json::from_str(&fixed).map_err(|_| e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copilot::redact::RedactConfig;

    #[test]
    fn raw_newlines_in_argument_strings_are_forgiven() {
        let v = parse_arguments("{ \"query\": \"pool\nexhausted\",\n \"limit\": 5}").unwrap();
        assert_eq!(v, json!({"query": "pool\nexhausted", "limit": 5}));
        assert!(parse_arguments("{\"query\": ").is_err());
    }

    #[test]
    fn streamed_placeholders_are_restored_across_chunks() {
        let mut r = Redactor::new(RedactConfig::default());
        let red = r.redact("login failed password=hunter22 user=bob");
        assert!(red.contains("[PASSWORD_1]"));
        let mut s = StreamRestorer::default();
        let mut shown = String::new();
        for chunk in ["The password ", "[PASS", "WORD_", "1] was wrong [E1", "]."] {
            shown.push_str(&s.push(chunk, &r));
        }
        shown.push_str(&s.finish(&r));
        assert_eq!(shown, "The password hunter22 was wrong [E1].");
    }

    #[test]
    fn every_message_and_tool_argument_is_redacted() {
        let mut r = Redactor::new(RedactConfig::default());
        let mut body = json!({"messages": [
            {"role": "user", "content": "key AKIAIOSFODNN7EXAMPLE"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "1", "type": "function", "function": {"name": "search_logs", "arguments": "{\"query\": \"alice@example.com\"}"}}
            ]},
            {"role": "tool", "tool_call_id": "1", "content": "postgres://app:s3cr3tP4ss@db:5432/x"}
        ]});
        redact_request(&mut body, &mut r);
        let text = body.to_string();
        for secret in ["AKIAIOSFODNN7EXAMPLE", "alice@example.com", "s3cr3tP4ss"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
