//! The runbooks that fit the selected incident, best first, with why, and each step with
//! exactly what it runs (parameters filled from the incident). Enter on a step asks for
//! `yes` before anything runs; the outcome of each step run is listed below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::ui::theme::Theme;
use crate::ui::view::{block, clip, safe};
use crate::ui::State;

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let Some(r) = s.selected_incident() else {
        f.render_widget(
            Paragraph::new("No incident selected.").style(t.muted).block(block(t, " Runbooks ".into())),
            area,
        );
        return;
    };
    let outer = block(t, format!(" Runbooks for {} | Enter on a step: run it (asks for yes) ", r.id));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let log_h = if s.runbooks.log.is_empty() { 0 } else { (s.runbooks.log.len() as u16 + 1).min(6) };
    let [list, log] = Layout::vertical([Constraint::Min(3), Constraint::Length(log_h)]).areas(inner);
    let w = list.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0usize;
    if r.detail.runbooks.is_empty() {
        lines.push(Line::from(Span::styled("No runbook in the library fits this incident.", t.muted)));
    }
    for (i, rb) in r.detail.runbooks.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:.2} ", rb.score), t.muted),
            Span::styled(format!("{} ", rb.id), t.accent),
            Span::styled(safe(&rb.title), t.text),
        ]));
        lines.push(Line::from(Span::styled(format!("     {}", safe(&clip(&rb.reason, w.saturating_sub(6)))), t.muted)));
        for (j, st) in rb.steps.iter().enumerate() {
            let here = i == s.runbooks.runbook && j == s.runbooks.step;
            if here {
                selected_line = lines.len();
            }
            let running = s.runbooks.running.as_ref().is_some_and(|(id, n)| *id == rb.id && *n == j);
            let ask = if st.read_only { "read-only" } else { "changes things" };
            let head = Line::from(vec![
                Span::styled(format!("  {}. ", j + 1), t.muted),
                Span::styled(format!("[{} {ask}] ", st.kind), if st.read_only { t.ok } else { t.warning }),
                Span::styled(safe(&st.title), t.text),
                Span::styled(if running { "  running…" } else { "" }, t.accent),
            ]);
            lines.push(if here { head.style(t.selection) } else { head });
            let exact = match &st.exact {
                Ok(x) => Span::styled(format!("       {}", safe(&clip(x, w.saturating_sub(10)))), t.evidence),
                Err(why) => {
                    Span::styled(format!("       cannot fill: {}", safe(&clip(why, w.saturating_sub(20)))), t.warning)
                }
            };
            lines.push(Line::from(exact));
        }
        lines.push(Line::raw(""));
    }
    let scroll = selected_line.saturating_sub(list.height as usize / 2) as u16;
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), list);
    if log_h > 0 {
        let mut out = vec![Line::from(Span::styled("Steps run (all in the audit log):", t.muted))];
        for (rb, step, text, ok) in s.runbooks.log.iter().rev().take(log_h as usize - 1) {
            out.push(Line::from(vec![
                Span::styled(format!("{rb} step {}: ", step + 1), t.text),
                Span::styled(safe(&clip(text, w.saturating_sub(30))), if *ok { t.ok } else { t.critical }),
            ]));
        }
        f.render_widget(Paragraph::new(out), log);
    }
}

/// The confirmation: exactly what will run, and the `yes` being typed.
pub fn draw_confirm(f: &mut Frame, s: &State, t: &Theme, body: Rect) {
    let Some((rb, step, exact)) = &s.runbooks.confirm else { return };
    let w = 72.min(body.width);
    let h = 8.min(body.height);
    let area = Rect { x: body.x + (body.width - w) / 2, y: body.y + (body.height - h) / 2, width: w, height: h };
    let lines = vec![
        Line::from(Span::styled(format!("{rb}, step {}:", step + 1), t.text)),
        Line::from(Span::styled(safe(exact), t.evidence)),
        Line::raw(""),
        Line::from(vec![
            Span::styled("type yes and Enter to run it: ", t.warning),
            Span::styled(safe(&s.runbooks.typed), t.text),
        ]),
    ];
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(block(t, " Run this step? ".into())), area);
}
