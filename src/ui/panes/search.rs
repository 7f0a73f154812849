//! Log search: the query and its history, a histogram of hits over time, and the hits,
//! newest first, with the query's terms highlighted and severities coloured. Enter or `t`
//! opens the trace of a hit; `F` follows new hits as they are stored.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline};
use ratatui::Frame;

use crate::ui::theme::Theme;
use crate::ui::view::{block, clip, safe, severity_style};
use crate::ui::State;

/// `text` split into spans, the parts matching a term (case-insensitive) highlighted.
pub fn highlighted<'a>(text: &str, terms: &[String], t: &Theme) -> Vec<Span<'a>> {
    let lower = text.to_lowercase();
    // Lowercasing can change lengths outside ASCII: highlight only when it did not.
    let mut marks = vec![false; text.len()];
    if lower.len() == text.len() {
        for term in terms.iter().filter(|x| !x.is_empty()) {
            for (i, _) in lower.match_indices(term.as_str()) {
                marks[i..i + term.len()].iter_mut().for_each(|m| *m = true);
            }
        }
    }
    let mut spans = Vec::new();
    let mut start = 0;
    let hl = t.evidence.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    for (i, _) in text.char_indices().skip(1).chain([(text.len(), ' ')]) {
        if i == text.len() || marks[i] != marks[start] {
            let piece = safe(&text[start..i]);
            spans.push(if marks[start] { Span::styled(piece, hl) } else { Span::styled(piece, t.text) });
            start = i;
        }
    }
    spans
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let v = &s.search;
    let r = &v.results;
    let mut title = if v.query.is_empty() {
        " Logs: / to search (service:checkout level:>=error \"a phrase\" trace_id:...) ".to_string()
    } else if v.busy && r.span.is_none() {
        // No results for this query yet: no count to claim.
        format!(" Logs: {} ", safe(&v.query))
    } else {
        format!(" Logs: {} | {} hits, newest {} shown, {} ms ", safe(&v.query), r.total, r.hits.len(), r.millis)
    };
    if v.follow {
        title.push_str("| FOLLOWING ");
    }
    if v.busy {
        title.push_str("| searching… ");
    }
    let outer = block(t, title);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let [origin, hist, axis, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(3), Constraint::Length(1), Constraint::Min(1)])
            .areas(inner);
    let top = match (&v.error, &v.origin) {
        (Some(e), _) => Line::from(Span::styled(safe(e), t.critical)),
        (None, Some(o)) => Line::from(vec![
            Span::styled("showing ", t.muted),
            Span::styled(safe(o), t.evidence),
            Span::styled(if s.chat.opened.is_some() { " (Esc: back to the answer)" } else { "" }, t.muted),
            Span::styled(
                r.fallback.as_ref().map_or(String::new(), |q| format!(": no line has its words; near it: {}", safe(q))),
                t.muted,
            ),
        ]),
        (None, None) if !v.history.is_empty() => Line::from(Span::styled(
            format!("history: {}", safe(&v.history.iter().rev().take(5).cloned().collect::<Vec<_>>().join(" | "))),
            t.muted,
        )),
        _ => Line::from(Span::styled("Enter/t: the hit's trace  n/N: next/previous  F: follow", t.muted)),
    };
    f.render_widget(Paragraph::new(top), origin);
    f.render_widget(Sparkline::default().data(&r.histogram).style(t.accent), hist);
    if let Some((from, to)) = r.span {
        let l = from.format("%H:%M").to_string();
        let rr = to.format("%H:%M").to_string();
        let pad = (axis.width as usize).saturating_sub(l.len() + rr.len());
        f.render_widget(Paragraph::new(Line::from(Span::styled(format!("{l}{}{rr}", " ".repeat(pad)), t.muted))), axis);
    }
    if r.hits.is_empty() {
        let msg = if v.query.is_empty() {
            ""
        } else if v.busy {
            "searching…"
        } else {
            "no hits"
        };
        f.render_widget(Paragraph::new(msg).style(t.muted), list);
        return;
    }
    let rows = list.height as usize;
    let offset = v.selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = r
        .hits
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, h)| {
            let mut spans = vec![
                Span::styled(format!("{} ", h.timestamp.format("%H:%M:%S%.3f")), t.muted),
                Span::styled(format!("{:<5} ", clip(&h.severity, 5)), severity_style(t, &h.severity)),
                Span::styled(format!("{:<14} ", safe(&h.service)), t.text),
            ];
            spans.extend(highlighted(&h.body, &r.terms, t));
            if h.trace_id.is_some() {
                spans.push(Span::styled(" ⤷trace", t.muted));
            }
            let line = Line::from(spans);
            if i == v.selected {
                line.style(t.selection)
            } else {
                line
            }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), list);
}
