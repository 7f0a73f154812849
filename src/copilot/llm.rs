//! One model call against an OpenAI-compatible chat completions endpoint, through
//! `async-openai`, streamed: timeouts on connecting, on silence and on the whole request,
//! retries of what failed before anything streamed, and an audit hook that sees every
//! request body exactly as it is sent.
//!
//! The request is plain JSON (async-openai's "bring your own types"), because the body is
//! what the audit log records and local servers differ on details the typed builders hide
//! (llama.cpp wants `"content": ""` on an assistant message that carries tool calls).

use std::path::Path;
use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::{OpenAIError, StreamError};
use async_openai::Client;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::LlmSection;
use crate::sources::backoff::Backoff;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("cannot reach the LLM at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the LLM sent nothing for {0:?}")]
    Silent(Duration),
    #[error("the LLM refused the request: {0}")]
    Api(String),
    #[error("the LLM's reply is not the OpenAI chat format: {0}")]
    Protocol(String),
    #[error("cannot write the audit log, so nothing was sent: {0}")]
    Audit(String),
    #[error("llm config: {0}")]
    Config(String),
}

impl LlmError {
    /// Worth another try: nothing reached the model, or the server was busy or broken.
    fn retryable(&self) -> bool {
        match self {
            LlmError::Unreachable { .. } | LlmError::Silent(_) => true,
            LlmError::Api(m) => {
                let m = m.to_ascii_lowercase();
                m.contains("rate") || m.contains("overloaded") || m.contains("server") || m.contains("unavailable")
            }
            _ => false,
        }
    }
}

/// `[llm]` with its durations parsed and its key resolved.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub idle_timeout: Duration,
    pub retries: u32,
    pub max_steps: u32,
    pub token_budget: u32,
    pub context_tokens: u32,
    pub max_tokens: u32,
    pub temperature: f32,
    pub tools: bool,
}

impl LlmSettings {
    /// From the config section; the key comes from `api_key`, `api_key_file` (which must be
    /// private), or `OPENAI_API_KEY`, in that order.
    pub fn from_config(s: &LlmSection) -> Result<Self, LlmError> {
        let api_key = match (&s.api_key, &s.api_key_file) {
            (Some(k), _) if !k.is_empty() => Some(k.clone()),
            (_, Some(path)) => Some(read_key(path)?),
            _ => std::env::var("OPENAI_API_KEY").ok().filter(|k| !k.is_empty()),
        };
        Ok(LlmSettings {
            base_url: s.base_url.trim_end_matches('/').to_string(),
            model: s.model.clone(),
            api_key,
            connect_timeout: s.connect_timeout.get(),
            timeout: s.timeout.get(),
            idle_timeout: s.idle_timeout.get(),
            retries: s.retries,
            max_steps: s.max_steps,
            token_budget: s.token_budget,
            context_tokens: s.context_tokens,
            max_tokens: s.max_tokens,
            temperature: s.temperature,
            tools: s.tools,
        })
    }
}

fn read_key(path: &Path) -> Result<String, LlmError> {
    crate::sources::http::read_secret_file(path).map_err(|e| LlmError::Config(format!("api_key_file: {e}")))
}

/// A tool call the model asked for, its arguments as the model wrote them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    pub arguments: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// The server reported no usage; these are estimates from the text.
    pub estimated: bool,
}

/// What one streamed call produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepOutput {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
}

/// What the caller hears while a call streams.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamNote {
    Token(String),
    /// A try failed before anything streamed; another follows after `delay`.
    Retry {
        attempt: u32,
        error: String,
        delay: Duration,
    },
}

// The streamed chunk, only the fields read; unknown ones are ignored.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    usage: Option<ChunkUsage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    delta: Option<Delta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    content: Option<String>,
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: usize,
    id: Option<String>,
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    name: Option<String>,
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct ChunkUsage {
    prompt_tokens: u32,
    completion_tokens: u32,
}

pub struct LlmClient {
    client: Client<OpenAIConfig>,
    settings: LlmSettings,
}

impl LlmClient {
    pub fn new(settings: LlmSettings) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("firewatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Config(e.to_string()))?;
        // An empty key still sends `Authorization: Bearer `, which local servers ignore.
        let config = OpenAIConfig::new()
            .with_api_base(settings.base_url.clone())
            .with_api_key(settings.api_key.clone().unwrap_or_default());
        Ok(LlmClient { client: Client::with_config(config).with_http_client(http), settings })
    }

    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.settings.base_url)
    }

    /// Sends `body` (a chat completions request; `stream` is forced on) and gathers the
    /// streamed reply. `audit` sees each try's body before it is sent and can veto it.
    /// Dropping the returned future cancels the call: the stream is dropped, and with it
    /// the connection.
    pub async fn stream(
        &self,
        body: &Value,
        audit: &(dyn Fn(&Value) -> Result<(), String> + Sync),
        notes: &(dyn Fn(StreamNote) + Sync),
    ) -> Result<StepOutput, LlmError> {
        let mut body = body.clone();
        body["stream"] = Value::Bool(true);
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(8));
        let mut attempt = 0;
        loop {
            audit(&body).map_err(LlmError::Audit)?;
            let mut streamed = false;
            let result = self.try_stream(&body, &mut streamed, notes).await;
            match result {
                Err(e) if !streamed && e.retryable() && attempt < self.settings.retries => {
                    attempt += 1;
                    let delay = backoff.next_delay();
                    notes(StreamNote::Retry { attempt, error: e.to_string(), delay });
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    async fn try_stream(
        &self,
        body: &Value,
        streamed: &mut bool,
        notes: &(dyn Fn(StreamNote) + Sync),
    ) -> Result<StepOutput, LlmError> {
        let mut stream =
            self.client.chat().create_stream_byot::<_, Chunk>(body.clone()).await.map_err(|e| self.map_error(e))?;
        let mut out = StepOutput::default();
        let mut calls: Vec<(Option<String>, String, String)> = Vec::new();
        loop {
            let next = match tokio::time::timeout(self.settings.idle_timeout, stream.next()).await {
                Err(_) => return Err(LlmError::Silent(self.settings.idle_timeout)),
                Ok(None) => break,
                Ok(Some(item)) => item.map_err(|e| self.map_error(e))?,
            };
            if let Some(u) = next.usage {
                out.usage = Some(Usage {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                    estimated: false,
                });
            }
            for choice in next.choices {
                if let Some(d) = choice.delta {
                    if let Some(text) = d.content.filter(|t| !t.is_empty()) {
                        *streamed = true;
                        out.content.push_str(&text);
                        notes(StreamNote::Token(text));
                    }
                    for tc in d.tool_calls.unwrap_or_default() {
                        *streamed = true;
                        if calls.len() <= tc.index {
                            calls.resize(tc.index + 1, (None, String::new(), String::new()));
                        }
                        let slot = &mut calls[tc.index];
                        if tc.id.is_some() {
                            slot.0 = tc.id;
                        }
                        if let Some(f) = tc.function {
                            // OpenAI names the function in the first delta only; llama.cpp
                            // repeats it in every one. Names are never split.
                            if let Some(name) = f.name.filter(|_| slot.1.is_empty()) {
                                slot.1 = name;
                            }
                            slot.2.push_str(f.arguments.as_deref().unwrap_or(""));
                        }
                    }
                }
                if choice.finish_reason.is_some() {
                    out.finish_reason = choice.finish_reason;
                }
            }
        }
        out.tool_calls = calls
            .into_iter()
            .enumerate()
            .filter(|(_, (_, name, _))| !name.is_empty())
            .map(|(i, (id, name, arguments))| ToolCall {
                id: id.unwrap_or_else(|| format!("call_{i}")),
                name,
                arguments,
            })
            .collect();
        Ok(out)
    }

    fn map_error(&self, e: OpenAIError) -> LlmError {
        let url = self.endpoint();
        match e {
            OpenAIError::Reqwest(e) => transport(&url, &e),
            OpenAIError::ApiError(a) => LlmError::Api(if a.message.trim().is_empty() {
                "server error with an empty body".into()
            } else {
                crate::sources::http::snippet(a.to_string().as_bytes())
            }),
            OpenAIError::JSONDeserialize(e, content) => {
                LlmError::Protocol(format!("{e}: {}", crate::sources::http::snippet(content.as_bytes())))
            }
            OpenAIError::StreamError(s) => match *s {
                StreamError::ReqwestEventSource(reqwest_eventsource::Error::Transport(e)) => transport(&url, &e),
                StreamError::ReqwestEventSource(reqwest_eventsource::Error::InvalidContentType(ct, _)) => {
                    LlmError::Protocol(format!("expected an event stream, got content type {ct:?}"))
                }
                other => LlmError::Protocol(other.to_string()),
            },
            other => LlmError::Protocol(other.to_string()),
        }
    }
}

fn transport(url: &str, e: &reqwest::Error) -> LlmError {
    if e.is_timeout() {
        return LlmError::Unreachable { url: url.to_string(), message: "timed out".into() };
    }
    // The innermost cause says what happened ("Connection refused"); the outer ones only wrap it.
    let mut message = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        message = s.to_string();
        src = s.source();
    }
    LlmError::Unreachable { url: url.to_string(), message }
}

/// A rough token count for text the server did not count: about 3 characters a token for
/// log-heavy text, which errs on the side of fitting.
pub fn estimate_tokens(text: &str) -> u32 {
    (text.chars().count() as u32).div_ceil(3)
}
