//! The chat as a pure state machine: `handle(event) -> Vec<Effect>`, no I/O, so every
//! path (an answer streaming in, Esc in the middle of it, a model that fails, a question
//! asked while another streams) is tested without a network or a terminal. The loop that
//! owns it turns effects into tasks, and their results come back as events; cancelling is
//! dropping the task, and events of a request that is no longer current are ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::agent::LlmAnswer;
use super::cite::CitationReport;
use super::offline::{Answer, Evidence};

/// Which request an event belongs to.
pub type RequestId = u64;

#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    /// The user sent a question (about `incident`, when one is selected).
    Submit {
        question: String,
        incident: Option<String>,
        now: DateTime<Utc>,
    },
    /// The offline engine answered (interpretation, ranking, evidence).
    Offline {
        id: RequestId,
        answer: Box<Answer>,
    },
    /// The offline engine could not run (the store is unreadable, say).
    OfflineFailed {
        id: RequestId,
        error: String,
    },
    Token {
        id: RequestId,
        text: String,
    },
    ToolCall {
        id: RequestId,
        name: String,
    },
    LlmDone {
        id: RequestId,
        answer: Box<LlmAnswer>,
    },
    LlmFailed {
        id: RequestId,
        error: String,
    },
    /// Esc.
    Cancel,
    /// The user picked a citation in the answer.
    OpenCitation(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run interpretation, analysis and the offline answer.
    Analyze { id: RequestId, question: String, now: DateTime<Utc> },
    /// Ask the model, starting from the offline answer.
    AskLlm { id: RequestId, offline: Box<Answer> },
    /// Drop the task of this request.
    Cancel { id: RequestId },
    /// Show this evidence (the search pane jumps to the log line, the trace or the series).
    ShowEvidence(Box<Evidence>),
    /// Tell the user something in the status line.
    Notice(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Analyzing,
    Streaming,
    /// Answered by the model; the citation check is attached to the turn.
    Answered,
    /// Answered offline: no LLM configured.
    Offline,
    /// The model failed; the offline answer is shown with why.
    FellBack(String),
    Cancelled,
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub id: RequestId,
    pub question: String,
    pub asked_at: DateTime<Utc>,
    pub status: Status,
    pub offline: Option<Answer>,
    /// What the model has written so far (placeholders already restored).
    pub streamed: String,
    /// The text to show once done: the model's (annotated) or the offline one.
    pub text: String,
    pub evidence: Vec<Evidence>,
    pub citations: Option<CitationReport>,
    pub tools: Vec<String>,
    pub tokens: Option<u32>,
}

impl Turn {
    fn busy(&self) -> bool {
        matches!(self.status, Status::Analyzing | Status::Streaming)
    }
}

/// The chat: history per incident (`None`: questions asked outside any incident).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chat {
    pub llm: bool,
    pub history: BTreeMap<Option<String>, Vec<Turn>>,
    /// The incident whose history is shown.
    pub scope: Option<String>,
    next_id: RequestId,
}

impl Chat {
    pub fn new(llm: bool) -> Self {
        Chat { llm, ..Chat::default() }
    }

    pub fn turns(&self) -> &[Turn] {
        self.history.get(&self.scope).map_or(&[], Vec::as_slice)
    }

    /// The turn still being answered, if any (at most one at a time).
    pub fn in_flight(&self) -> Option<&Turn> {
        self.history.values().flatten().find(|t| t.busy())
    }

    fn turn_mut(&mut self, id: RequestId) -> Option<&mut Turn> {
        self.history.values_mut().flatten().find(|t| t.id == id)
    }

    pub fn handle(&mut self, event: ChatEvent) -> Vec<Effect> {
        match event {
            ChatEvent::Submit { question, incident, now } => {
                let question = question.trim().to_string();
                if question.is_empty() {
                    return vec![];
                }
                // One question at a time: a new one cancels what is still running.
                let mut effects = self.cancel_in_flight();
                self.next_id += 1;
                let id = self.next_id;
                self.scope = incident.clone();
                self.history.entry(incident).or_default().push(Turn {
                    id,
                    question: question.clone(),
                    asked_at: now,
                    status: Status::Analyzing,
                    offline: None,
                    streamed: String::new(),
                    text: String::new(),
                    evidence: Vec::new(),
                    citations: None,
                    tools: Vec::new(),
                    tokens: None,
                });
                effects.push(Effect::Analyze { id, question, now });
                effects
            }
            ChatEvent::Offline { id, answer } => {
                let llm = self.llm;
                let Some(t) = self.turn_mut(id).filter(|t| t.status == Status::Analyzing) else { return vec![] };
                t.evidence = answer.evidence.clone();
                t.text = answer.answer.clone();
                t.offline = Some((*answer).clone());
                if llm {
                    t.status = Status::Streaming;
                    vec![Effect::AskLlm { id, offline: answer }]
                } else {
                    t.status = Status::Offline;
                    vec![]
                }
            }
            ChatEvent::OfflineFailed { id, error } => {
                let Some(t) = self.turn_mut(id).filter(|t| t.busy()) else { return vec![] };
                t.status = Status::Failed(error.clone());
                vec![Effect::Notice(format!("cannot answer: {error}"))]
            }
            ChatEvent::Token { id, text } => {
                if let Some(t) = self.turn_mut(id).filter(|t| t.status == Status::Streaming) {
                    t.streamed.push_str(&text);
                }
                vec![]
            }
            ChatEvent::ToolCall { id, name } => {
                if let Some(t) = self.turn_mut(id).filter(|t| t.status == Status::Streaming) {
                    t.tools.push(name);
                }
                vec![]
            }
            ChatEvent::LlmDone { id, answer } => {
                let Some(t) = self.turn_mut(id).filter(|t| t.status == Status::Streaming) else { return vec![] };
                t.status = Status::Answered;
                t.text = answer.text.clone();
                t.evidence = answer.evidence.clone();
                t.citations = Some(answer.citations.clone());
                t.tokens = Some(answer.tokens.total);
                if answer.citations.grounded {
                    vec![]
                } else {
                    vec![Effect::Notice("the answer cites no evidence: treat it as a guess".into())]
                }
            }
            ChatEvent::LlmFailed { id, error } => {
                let Some(t) = self.turn_mut(id).filter(|t| t.status == Status::Streaming) else { return vec![] };
                // The offline answer stands in, and the user is told why.
                t.status = Status::FellBack(error.clone());
                t.text = t.offline.as_ref().map(|a| a.answer.clone()).unwrap_or_default();
                vec![Effect::Notice(format!("the LLM failed ({error}): showing the offline answer"))]
            }
            ChatEvent::Cancel => {
                let effects = self.cancel_in_flight();
                if effects.is_empty() {
                    vec![]
                } else {
                    effects.into_iter().chain([Effect::Notice("cancelled".into())]).collect()
                }
            }
            ChatEvent::OpenCitation(cited) => {
                let found = self.turns().last().and_then(|t| t.evidence.iter().find(|e| e.id == cited)).cloned();
                match found {
                    Some(e) => vec![Effect::ShowEvidence(Box::new(e))],
                    None => vec![Effect::Notice(format!("{cited} is not in the evidence"))],
                }
            }
        }
    }

    fn cancel_in_flight(&mut self) -> Vec<Effect> {
        let Some(id) = self.in_flight().map(|t| t.id) else { return vec![] };
        if let Some(t) = self.turn_mut(id) {
            // What streamed stays visible, marked as cut short; the offline answer is kept.
            t.status = Status::Cancelled;
            if t.text.is_empty() || !t.streamed.is_empty() {
                t.text = t.streamed.clone();
            }
        }
        vec![Effect::Cancel { id }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::copilot::agent::Tokens;
    use crate::copilot::interpret::{Interpretation, Window};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap()
    }

    fn offline(text: &str) -> Box<Answer> {
        Box::new(Answer {
            question: "q".into(),
            interpretation: Interpretation {
                services: vec![],
                regions: vec![],
                symptom: None,
                window: Window { start: now(), end: now() },
                notes: vec![],
                anchor: None,
            },
            root_cause: None,
            candidates: vec![],
            evidence: vec![Evidence {
                id: "E1".into(),
                kind: "log",
                timestamp: now(),
                service: None,
                text: "pool exhausted".into(),
            }],
            answer: text.into(),
            runbooks: vec![],
            incident: None,
        })
    }

    fn llm_answer(text: &str, grounded: bool) -> Box<LlmAnswer> {
        Box::new(LlmAnswer {
            text: text.into(),
            raw: text.into(),
            evidence: offline("").evidence,
            citations: CitationReport { grounded, ..CitationReport::default() },
            tokens: Tokens { prompt: 100, completion: 20, total: 120, estimated: true },
            steps: 1,
            tool_calls: vec![],
        })
    }

    fn submit(c: &mut Chat, q: &str) -> Vec<Effect> {
        c.handle(ChatEvent::Submit { question: q.into(), incident: Some("inc-1".into()), now: now() })
    }

    #[test]
    fn a_question_is_analyzed_then_streamed_then_answered() {
        let mut c = Chat::new(true);
        assert_eq!(
            submit(&mut c, "why is checkout slow"),
            vec![Effect::Analyze { id: 1, question: "why is checkout slow".into(), now: now() }]
        );
        let fx = c.handle(ChatEvent::Offline { id: 1, answer: offline("payments [E1]") });
        assert!(matches!(&fx[..], [Effect::AskLlm { id: 1, .. }]));
        c.handle(ChatEvent::Token { id: 1, text: "The pool ".into() });
        c.handle(ChatEvent::ToolCall { id: 1, name: "search_logs".into() });
        c.handle(ChatEvent::Token { id: 1, text: "ran dry [E1].".into() });
        assert_eq!(c.turns()[0].streamed, "The pool ran dry [E1].");
        assert!(c.handle(ChatEvent::LlmDone { id: 1, answer: llm_answer("The pool ran dry [E1].", true) }).is_empty());
        let t = &c.turns()[0];
        assert_eq!(
            (t.status.clone(), t.tools.clone(), t.tokens),
            (Status::Answered, vec!["search_logs".to_string()], Some(120))
        );
        assert!(c.in_flight().is_none());
    }

    #[test]
    fn esc_cancels_and_late_tokens_are_ignored() {
        let mut c = Chat::new(true);
        submit(&mut c, "why");
        c.handle(ChatEvent::Offline { id: 1, answer: offline("offline [E1]") });
        c.handle(ChatEvent::Token { id: 1, text: "partial".into() });
        assert_eq!(c.handle(ChatEvent::Cancel), vec![Effect::Cancel { id: 1 }, Effect::Notice("cancelled".into())]);
        c.handle(ChatEvent::Token { id: 1, text: " more".into() });
        assert!(c.handle(ChatEvent::LlmDone { id: 1, answer: llm_answer("late", true) }).is_empty());
        let t = &c.turns()[0];
        assert_eq!((&t.status, t.text.as_str()), (&Status::Cancelled, "partial"));
        assert!(c.handle(ChatEvent::Cancel).is_empty(), "nothing left to cancel");
    }

    #[test]
    fn a_failed_model_falls_back_to_the_offline_answer_and_says_why() {
        let mut c = Chat::new(true);
        submit(&mut c, "why");
        c.handle(ChatEvent::Offline { id: 1, answer: offline("offline cause [E1]") });
        let fx = c.handle(ChatEvent::LlmFailed { id: 1, error: "cannot reach the LLM".into() });
        assert_eq!(
            fx,
            vec![Effect::Notice("the LLM failed (cannot reach the LLM): showing the offline answer".into())]
        );
        assert_eq!(c.turns()[0].text, "offline cause [E1]");
        assert_eq!(c.turns()[0].status, Status::FellBack("cannot reach the LLM".into()));
    }

    #[test]
    fn without_an_llm_the_offline_answer_is_final() {
        let mut c = Chat::new(false);
        submit(&mut c, "why");
        assert!(c.handle(ChatEvent::Offline { id: 1, answer: offline("offline [E1]") }).is_empty());
        assert_eq!(c.turns()[0].status, Status::Offline);
    }

    #[test]
    fn a_new_question_cancels_the_running_one_and_history_is_per_incident() {
        let mut c = Chat::new(true);
        submit(&mut c, "first");
        let fx = submit(&mut c, "second");
        assert_eq!(fx[0], Effect::Cancel { id: 1 });
        assert!(matches!(fx[1], Effect::Analyze { id: 2, .. }));
        assert!(
            c.handle(ChatEvent::Offline { id: 1, answer: offline("stale") }).is_empty(),
            "a stale result is dropped"
        );
        c.handle(ChatEvent::Submit { question: "elsewhere".into(), incident: Some("inc-2".into()), now: now() });
        assert_eq!(c.turns().len(), 1);
        c.scope = Some("inc-1".into());
        assert_eq!(c.turns().iter().map(|t| t.question.as_str()).collect::<Vec<_>>(), ["first", "second"]);
        assert!(c.handle(ChatEvent::Submit { question: "  ".into(), incident: None, now: now() }).is_empty());
    }

    #[test]
    fn citations_open_their_evidence() {
        let mut c = Chat::new(false);
        submit(&mut c, "why");
        c.handle(ChatEvent::Offline { id: 1, answer: offline("x [E1]") });
        assert!(
            matches!(&c.handle(ChatEvent::OpenCitation("E1".into()))[..], [Effect::ShowEvidence(e)] if e.id == "E1")
        );
        assert_eq!(
            c.handle(ChatEvent::OpenCitation("E9".into())),
            vec![Effect::Notice("E9 is not in the evidence".into())]
        );
    }
}
