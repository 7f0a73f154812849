//! The audit log's events, typed. Each is stored as its kind (text) and its fields (a JSON
//! object) in the `audit` table; [`AuditRow::event`] reads a row back. The payloads that
//! belong to other layers (an LLM request body, token counts, a runbook action) are kept as
//! JSON here: the store sits below the copilot and the runbooks and does not know their types.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::AuditRow;

/// What a row records; stored as the `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    LlmRequest,
    LlmAnswer,
    RunbookStep,
    RunbookDeclined,
}

impl AuditKind {
    pub const ALL: [AuditKind; 4] =
        [AuditKind::LlmRequest, AuditKind::LlmAnswer, AuditKind::RunbookStep, AuditKind::RunbookDeclined];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::LlmRequest => "llm_request",
            AuditKind::LlmAnswer => "llm_answer",
            AuditKind::RunbookStep => "runbook_step",
            AuditKind::RunbookDeclined => "runbook_declined",
        }
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AuditKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| format!("no audit kind {s}"))
    }
}

/// One thing the audit log records.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditEvent {
    /// A request to the LLM, exactly as sent, written before it is sent.
    LlmRequest(LlmRequest),
    /// How a question to the LLM ended: its answer, or why it fell back offline.
    LlmAnswer(LlmAnswerRecord),
    /// A runbook step that ran, with how it was confirmed and how it ended.
    RunbookStep(RunbookStep),
    /// A runbook step that did not run for want of a confirmation.
    RunbookDeclined(RunbookDeclined),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmRequest {
    pub endpoint: String,
    pub model: String,
    /// The request body as sent (redacted).
    pub body: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmAnswerRecord {
    /// Redacted, as the model saw it.
    pub question: String,
    /// As the model wrote it (placeholders, not secrets); what streamed before a failure.
    pub answer: String,
    #[serde(default)]
    pub incident: Option<String>,
    #[serde(default)]
    pub steps: u32,
    /// `agent::Tokens`; none when the LLM failed.
    #[serde(default)]
    pub tokens: Option<Value>,
    /// `cite::CitationReport`; none when the LLM failed.
    #[serde(default)]
    pub citations: Option<Value>,
    /// Why the answer given is the offline one.
    #[serde(default)]
    pub fallback: Option<String>,
    /// `agent::ToolRecord`s.
    #[serde(default)]
    pub tool_calls: Vec<Value>,
}

/// How a human allowed a step that changes something (or the config allowed a read-only one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfirmedBy {
    /// Typed yes at the command's prompt.
    #[serde(rename = "prompt")]
    Prompt,
    /// `runbooks run --yes`.
    #[serde(rename = "--yes")]
    Flag,
    /// A read-only step with `[runbooks] auto_run_read_only`.
    #[serde(rename = "auto_run_read_only")]
    ReadOnly,
    /// Typed yes in the terminal UI's runbooks pane.
    #[serde(rename = "tui: typed yes")]
    Tui,
}

impl ConfirmedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmedBy::Prompt => "prompt",
            ConfirmedBy::Flag => "--yes",
            ConfirmedBy::ReadOnly => "auto_run_read_only",
            ConfirmedBy::Tui => "tui: typed yes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunbookStep {
    pub runbook: String,
    /// 1-based, as shown.
    pub step: usize,
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub incident: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// The action as the human saw it before confirming.
    pub exact: String,
    /// `runbooks::exec::Action`.
    #[serde(default)]
    pub action: Value,
    pub confirmed_by: ConfirmedBy,
    #[serde(default)]
    pub exit: Option<i32>,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub output_digest: String,
    #[serde(default)]
    pub output_bytes: usize,
    #[serde(default)]
    pub elapsed_ms: u64,
    #[serde(default)]
    pub detail: Option<String>,
}

/// Why a step did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeclineReason {
    #[serde(rename = "declined at the prompt")]
    AtPrompt,
    #[serde(rename = "no confirmation: not a terminal and no --yes")]
    NoConfirmation,
}

impl DeclineReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclineReason::AtPrompt => "declined at the prompt",
            DeclineReason::NoConfirmation => "no confirmation: not a terminal and no --yes",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunbookDeclined {
    pub runbook: String,
    pub step: usize,
    pub title: String,
    #[serde(default)]
    pub incident: Option<String>,
    pub exact: String,
    pub reason: DeclineReason,
}

impl AuditEvent {
    pub fn kind(&self) -> AuditKind {
        match self {
            AuditEvent::LlmRequest(_) => AuditKind::LlmRequest,
            AuditEvent::LlmAnswer(_) => AuditKind::LlmAnswer,
            AuditEvent::RunbookStep(_) => AuditKind::RunbookStep,
            AuditEvent::RunbookDeclined(_) => AuditKind::RunbookDeclined,
        }
    }

    /// The `detail` column: the event's fields as one JSON object.
    pub fn detail(&self) -> serde_json::Result<Value> {
        match self {
            AuditEvent::LlmRequest(e) => serde_json::to_value(e),
            AuditEvent::LlmAnswer(e) => serde_json::to_value(e),
            AuditEvent::RunbookStep(e) => serde_json::to_value(e),
            AuditEvent::RunbookDeclined(e) => serde_json::to_value(e),
        }
    }

    /// The event a stored row holds; an error for a kind this version does not know or a
    /// detail of another shape.
    pub fn parse(kind: &str, detail: &Value) -> Result<AuditEvent, String> {
        let kind: AuditKind = kind.parse()?;
        let d = detail.clone();
        let parsed = match kind {
            AuditKind::LlmRequest => serde_json::from_value(d).map(AuditEvent::LlmRequest),
            AuditKind::LlmAnswer => serde_json::from_value(d).map(AuditEvent::LlmAnswer),
            AuditKind::RunbookStep => serde_json::from_value(d).map(AuditEvent::RunbookStep),
            AuditKind::RunbookDeclined => serde_json::from_value(d).map(AuditEvent::RunbookDeclined),
        };
        parsed.map_err(|e| format!("{kind} row of another shape: {e}"))
    }

    /// The incident the event is about, if any.
    pub fn incident(&self) -> Option<&str> {
        match self {
            AuditEvent::LlmRequest(_) => None,
            AuditEvent::LlmAnswer(e) => e.incident.as_deref(),
            AuditEvent::RunbookStep(e) => e.incident.as_deref(),
            AuditEvent::RunbookDeclined(e) => e.incident.as_deref(),
        }
    }
}

impl AuditRow {
    /// The row's event, typed.
    pub fn event(&self) -> Result<AuditEvent, String> {
        AuditEvent::parse(&self.kind, &self.detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_reads_back_as_written() {
        let events = [
            AuditEvent::LlmRequest(LlmRequest {
                endpoint: "http://x/v1".into(),
                model: "m".into(),
                body: json!({"a": 1}),
            }),
            AuditEvent::LlmAnswer(LlmAnswerRecord {
                question: "why".into(),
                answer: "".into(),
                incident: Some("inc-1".into()),
                steps: 0,
                tokens: None,
                citations: None,
                fallback: Some("http 500".into()),
                tool_calls: vec![],
            }),
            AuditEvent::RunbookDeclined(RunbookDeclined {
                runbook: "rb".into(),
                step: 2,
                title: "t".into(),
                incident: None,
                exact: "kubectl rollout undo".into(),
                reason: DeclineReason::NoConfirmation,
            }),
        ];
        for e in events {
            let detail = e.detail().unwrap();
            assert_eq!(AuditEvent::parse(e.kind().as_str(), &detail).unwrap(), e);
        }
    }

    #[test]
    fn a_row_of_an_older_shape_or_unknown_kind_is_an_error_not_a_guess() {
        assert!(AuditEvent::parse("llm_request", &json!({"endpoint": "x"})).is_err());
        assert!(AuditEvent::parse("shell_command", &json!({})).is_err());
        // What older versions wrote is read: the reason and confirmation are the stored strings.
        let old = json!({"runbook": "rb", "step": 1, "title": "t", "incident": null, "exact": "x",
                         "reason": "declined at the prompt"});
        let AuditEvent::RunbookDeclined(d) = AuditEvent::parse("runbook_declined", &old).unwrap() else {
            panic!("not a declined step")
        };
        assert_eq!(d.reason, DeclineReason::AtPrompt);
    }
}
