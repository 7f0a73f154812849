//! The copilot: the questions asked about the selected incident, each answer with its
//! interpretation (services, regions, symptom, window), the answer streaming in, its
//! citations (n/N picks one, Enter opens it) and the state of the turn; `a` asks, `e`
//! edits the last question with its interpretation spelled out, Esc cancels.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use chrono::{DateTime, Utc};

use super::Effect;
use crate::copilot::chat::{Chat, ChatEvent, Effect as ChatEffect, Status};
use crate::copilot::offline::Evidence;
use crate::ui::theme::Theme;
use crate::ui::view::{block, safe};
use crate::ui::{Action, Focus, LlmState, Pane, State, Task};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatPane {
    pub chat: Chat,
    pub input: String,
    /// The citation picked with n/N in the last answer.
    pub citation: Option<usize>,
    /// The evidence opened from a citation.
    pub opened: Option<Evidence>,
}

/// What the chat needs to know of the rest: the incident asked about, and the time.
pub struct Asking {
    pub incident: Option<String>,
    pub now: DateTime<Utc>,
}

/// A query that finds a piece of evidence in the logs: its trace when it has one, else
/// its first words as a phrase, in its service.
pub fn evidence_query(e: &Evidence) -> String {
    if let Some(t) = e.text.split_whitespace().find_map(|w| w.strip_prefix("trace_id=").or(w.strip_prefix("trace="))) {
        return format!("trace_id:{}", t.trim_matches(|c: char| !c.is_ascii_alphanumeric()));
    }
    let words: Vec<String> = e
        .text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2 && !w.chars().all(|c| c.is_ascii_digit()))
        .take(4)
        .map(str::to_lowercase)
        .collect();
    let mut q = if words.is_empty() { String::from("*") } else { format!("\"{}\"", words.join(" ")) };
    if let Some(svc) = &e.service {
        q = format!("service:{svc} {q}");
    }
    q
}

impl ChatPane {
    /// The chat shows the history of the selected incident, unless a question is in flight.
    pub fn follow_incident(&mut self, id: Option<String>) {
        if self.chat.in_flight().is_none() {
            self.chat.scope = id;
        }
    }

    /// What the status bar says of the LLM.
    pub fn llm_state(&self) -> LlmState {
        match self.chat.in_flight().map(|t| &t.status) {
            Some(Status::Streaming) => LlmState::Streaming,
            Some(Status::Analyzing) => LlmState::Analysing,
            _ if self.chat.llm => LlmState::Ready,
            _ => LlmState::Off,
        }
    }

    /// The ids cited in the newest answer, in order of first citation.
    pub fn cited_ids(&self) -> Vec<String> {
        let Some(t) = self.chat.turns().last() else { return Vec::new() };
        let text = if t.text.is_empty() { &t.streamed } else { &t.text };
        let mut ids: Vec<String> = Vec::new();
        for (i, _) in text.match_indices("[E") {
            let rest = &text[i + 1..];
            let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
            let id = &rest[..end];
            if id.len() > 1 && t.evidence.iter().any(|e| e.id == id) && !ids.iter().any(|x| x == id) {
                ids.push(id.to_string());
            }
        }
        ids
    }

    /// Hands an event to the chat; its effects become the UI's.
    pub fn handle(&mut self, event: ChatEvent) -> Vec<Effect> {
        let mut out = Vec::new();
        for e in self.chat.handle(event) {
            match e {
                ChatEffect::ShowEvidence(ev) => {
                    let origin = format!("{} {} {}", ev.id, ev.kind, ev.timestamp.format("%H:%M:%S"));
                    let around = match &ev.service {
                        Some(svc) => format!("service:{svc} level:>=warn"),
                        None => "level:>=warn".to_string(),
                    };
                    out.push(Effect::Goto(Pane::Search));
                    out.push(Effect::Search { query: evidence_query(&ev), origin, fallback: (around, ev.timestamp) });
                    if ev.kind == "metric" {
                        out.push(Effect::Chart(ev.clone()));
                    }
                    self.opened = Some(*ev);
                }
                ChatEffect::Notice(n) => out.push(Effect::Notice(n)),
                other => out.push(Effect::Task(Task::Chat(other))),
            }
        }
        out.push(Effect::Llm(self.llm_state()));
        out.push(Effect::Redraw);
        out
    }

    /// Enter in the question field asks it.
    pub fn submit(&mut self, cx: Asking) -> Vec<Effect> {
        let question = std::mem::take(&mut self.input);
        self.citation = None;
        self.handle(ChatEvent::Submit { question, incident: cx.incident, now: cx.now })
    }

    /// The last question with its interpretation spelled out, for the user to correct.
    fn edit_question(&mut self) -> Option<Vec<Effect>> {
        let t = self.chat.turns().last()?;
        let mut q = t.question.clone();
        if let Some(o) = &t.offline {
            let i = &o.interpretation;
            if !i.regions.is_empty() && !i.regions.iter().all(|r| q.contains(r.as_str())) {
                q.push_str(&format!(" in {}", i.regions.join(" and ")));
            }
            let local = |t: DateTime<Utc>| t.with_timezone(&chrono::Local).format("%H:%M").to_string();
            q.push_str(&format!(" between {} and {}", local(i.window.start), local(i.window.end)));
        }
        self.input = q;
        Some(vec![Effect::Goto(Pane::Chat), Effect::Focus(Focus::Question), Effect::Redraw])
    }

    /// n/N walk the citations of the last answer, round.
    fn pick(&mut self, next: bool) -> Vec<Effect> {
        let n = self.cited_ids().len();
        if n == 0 {
            return Vec::new();
        }
        self.citation = Some(match (self.citation, next) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        });
        vec![Effect::Redraw]
    }

    /// `None`: not this pane's action.
    pub fn update(&mut self, a: Action) -> Option<Vec<Effect>> {
        match a {
            Action::Chat(ev) => Some(self.handle(ev)),
            Action::StartAsk => Some(vec![Effect::Goto(Pane::Chat), Effect::Focus(Focus::Question), Effect::Redraw]),
            Action::EditQuestion => Some(self.edit_question().unwrap_or_default()),
            // Esc cancels the answer being written.
            Action::Back if self.chat.in_flight().is_some() => Some(self.handle(ChatEvent::Cancel)),
            Action::NextMatch | Action::PrevMatch => Some(self.pick(a == Action::NextMatch)),
            Action::Open => {
                let ids = self.cited_ids();
                let Some(id) = self.citation.and_then(|i| ids.get(i)).cloned() else {
                    return Some(vec![Effect::Notice("pick a citation with n / N first".into()), Effect::Redraw]);
                };
                Some(self.handle(ChatEvent::OpenCitation(id)))
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
                Some(Vec::new())
            }
            _ => None,
        }
    }
}

/// An answer's text with its citations marked, the picked one reversed.
fn answer_lines<'a>(text: &str, picked: Option<&str>, t: &Theme) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    for raw in text.lines() {
        let mut spans = Vec::new();
        let mut rest = raw;
        while let Some(i) = rest.find("[E") {
            let end = rest[i..].find(']').map(|e| i + e + 1);
            let Some(end) = end else { break };
            spans.push(Span::styled(safe(&rest[..i]), t.text));
            let id = &rest[i + 1..end - 1];
            let style = if Some(id) == picked { t.selection.add_modifier(Modifier::BOLD) } else { t.evidence };
            spans.push(Span::styled(safe(&rest[i..end]), style));
            rest = &rest[end..];
        }
        spans.push(Span::styled(safe(rest), t.text));
        out.push(Line::from(spans));
    }
    out
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let c = &s.chat.chat;
    let scope = c.scope.as_deref().map_or("no incident".to_string(), |i| format!("incident {i}"));
    let title = format!(" Chat: {scope} | {} ", if c.llm { "LLM" } else { "offline answers (no [llm] configured)" });
    let outer = block(t, title);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let turns = c.turns();
    if turns.is_empty() {
        let lines = vec![
            Line::from(Span::styled("Ask about the incident: a, then type, then Enter. For example:", t.muted)),
            Line::from(Span::styled("  why did checkout slow down?   what changed before the errors?", t.text)),
            Line::from(Span::styled(
                "Answers cite their evidence as [E1]; n/N picks a citation, Enter opens it.",
                t.muted,
            )),
        ];
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let ids = s.chat.cited_ids();
    let picked = s.chat.citation.and_then(|i| ids.get(i)).map(String::as_str);
    let mut lines: Vec<Line> = Vec::new();
    let last = turns.len() - 1;
    for (n, turn) in turns.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} you: ", turn.asked_at.format("%H:%M")), t.muted),
            Span::styled(safe(&turn.question), t.accent),
        ]));
        if let Some(o) = &turn.offline {
            let i = &o.interpretation;
            let list = |v: &[String]| if v.is_empty() { "any".to_string() } else { safe(&v.join(",")) };
            lines.push(Line::from(Span::styled(
                format!(
                    "  read as: services {} | regions {} | {} | {} to {} UTC  (e: edit)",
                    list(&i.services),
                    list(&i.regions),
                    i.symptom.map_or("any symptom".to_string(), |s| format!("{s:?}").to_lowercase()),
                    i.window.start.format("%H:%M"),
                    i.window.end.format("%H:%M")
                ),
                t.muted,
            )));
        }
        let (state, style) = match &turn.status {
            Status::Analyzing => ("analysing…".to_string(), t.accent),
            Status::Streaming => (
                format!("writing… {}", turn.tools.iter().map(|x| format!("[tool {x}]")).collect::<Vec<_>>().join(" ")),
                t.accent,
            ),
            Status::Answered => (turn.tokens.map_or("answered".into(), |n| format!("answered, {n} tokens")), t.muted),
            Status::Offline => ("answered offline".to_string(), t.muted),
            Status::FellBack(why) => (format!("the LLM failed ({}); the offline answer", safe(why)), t.warning),
            Status::Cancelled => ("cancelled".to_string(), t.warning),
            Status::Failed(why) => (format!("failed: {}", safe(why)), t.critical),
        };
        let text = if turn.status == Status::Streaming { &turn.streamed } else { &turn.text };
        lines.extend(answer_lines(text, if n == last { picked } else { None }, t));
        if let Some(cit) = &turn.citations {
            if !cit.grounded {
                lines.push(Line::from(Span::styled("(ungrounded: no evidence cited)", t.warning)));
            }
        }
        lines.push(Line::from(Span::styled(format!("  — {state}"), style)));
        if n == last && !ids.is_empty() {
            lines
                .push(Line::from(Span::styled(format!("  cited: {}  (n/N pick, Enter open)", ids.join(" ")), t.muted)));
            // The picked citation's evidence, in full.
            if let Some(e) = picked.and_then(|p| turn.evidence.iter().find(|e| e.id == p)) {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(
                            "  {} {} {} {}: ",
                            e.id,
                            e.kind,
                            e.timestamp.format("%H:%M:%S"),
                            safe(e.service.as_deref().unwrap_or("-"))
                        ),
                        t.evidence,
                    ),
                    Span::styled(safe(&e.text), t.text),
                ]));
            }
        }
        lines.push(Line::raw(""));
    }
    // The newest turn stays in view: scroll so the end shows.
    let width = inner.width.max(1) as usize;
    let height: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    let scroll = height.saturating_sub(inner.height as usize) as u16;
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), inner);
}
