//! The copilot: the questions asked about the selected incident, each answer with its
//! interpretation (services, regions, symptom, window), the answer streaming in, its
//! citations (n/N picks one, Enter opens it) and the state of the turn; `a` asks, `e`
//! edits the last question with its interpretation spelled out, Esc cancels.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::copilot::chat::Status;
use crate::ui::theme::Theme;
use crate::ui::view::{block, safe};
use crate::ui::{cited_ids, State};

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
    let ids = cited_ids(s);
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
