//! One incident: the suspected cause and the ranked candidates with their reasons, the
//! timeline (alerts, anomalies, the deploy, log pattern bursts), the correlated alerts,
//! the log patterns that changed and the slow or failing edges of the call graph.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{redraw_if, Effect};
use crate::ui::rows::Detail;
use crate::ui::theme::Theme;
use crate::ui::view::{age, block, clip, safe, severity_style};
use crate::ui::{Action, State};

/// The detail pane scrolls as one page of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DetailPane {
    /// Lines scrolled off the top.
    pub scroll: u16,
}

impl DetailPane {
    pub fn update(&mut self, a: Action, page: usize) -> Option<Vec<Effect>> {
        let page = u16::try_from(page).unwrap_or(u16::MAX);
        let before = self.scroll;
        self.scroll = match a {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => self.scroll.saturating_add(1),
            Action::Top => 0,
            Action::PageUp => self.scroll.saturating_sub(page),
            Action::PageDown => self.scroll.saturating_add(page),
            Action::Bottom => self.scroll,
            _ => return None,
        };
        Some(redraw_if(self.scroll != before))
    }
}

fn heading<'a>(t: &Theme, text: &str) -> Line<'a> {
    Line::from(Span::styled(text.to_string(), t.accent))
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let Some(r) = s.incidents.selected_row() else {
        f.render_widget(
            Paragraph::new("No incident selected: pick one in Incidents (1) and press Enter.")
                .style(t.muted)
                .block(block(t, " Detail ".into())),
            area,
        );
        return;
    };
    let d = &r.detail;
    let status = if r.firing { "FIRING" } else { "resolved" };
    let title = format!(" {} {} | {} | {} ago ", r.id, status, safe(&clip(&r.title, 60)), age(s.now, r.started_at));
    let outer = block(t, title);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let wide = inner.width >= 140;
    let (left, right) = if wide {
        let [l, r] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(inner);
        (l, Some(r))
    } else {
        (inner, None)
    };
    let w = left.width as usize;

    let mut cause = vec![heading(t, "Suspected cause")];
    match &d.summary {
        Some(sum) => cause.push(Line::from(Span::styled(safe(sum), t.evidence))),
        None => cause.push(Line::from(Span::styled("no cause clears the threshold", t.muted))),
    }
    for (i, c) in d.causes.iter().take(5).enumerate() {
        let mark = if c.suspected { "▶" } else { " " };
        let region = c.region.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
        cause.push(Line::from(vec![
            Span::styled(format!("{mark}{}. {:.2} ", i + 1, c.score), if c.suspected { t.evidence } else { t.muted }),
            Span::styled(format!("{}{}: ", safe(&c.service), safe(&region)), t.text),
            Span::styled(safe(&clip(&c.reason, w.saturating_sub(24).max(20))), t.muted),
        ]));
    }
    cause.push(Line::raw(""));

    let mut timeline = vec![heading(t, "Timeline")];
    for e in &d.timeline {
        let style = match e.kind {
            "alert" => t.critical,
            "resolved" => t.ok,
            "deploy" => t.warning,
            "anomaly" => t.evidence,
            _ => t.muted,
        };
        timeline.push(Line::from(vec![
            Span::styled(format!("{} ", e.at.format("%H:%M:%S")), t.muted),
            Span::styled(format!("{:<8} ", e.kind), style),
            Span::styled(safe(&clip(&e.text, w.saturating_sub(19))), t.text),
        ]));
    }
    timeline.push(Line::raw(""));

    let mut alerts = vec![heading(t, &format!("Alerts ({})", d.alerts.len()))];
    for a in &d.alerts {
        alerts.push(Line::from(vec![
            Span::styled(format!("{:<8} ", a.severity.alert_word()), severity_style(t, a.severity)),
            Span::styled(if a.firing { "firing   " } else { "resolved " }, if a.firing { t.critical } else { t.ok }),
            Span::styled(format!("{} ", a.starts_at.format("%H:%M")), t.muted),
            Span::styled(format!("{} [{}] ", safe(&a.alertname), safe(&a.service)), t.text),
            Span::styled(safe(&clip(&a.summary, w.saturating_sub(50).max(10))), t.muted),
        ]));
    }
    alerts.push(Line::raw(""));

    let (patterns, edges) = changes(d, t, w);

    let scroll = (s.detail.scroll, 0);
    match right {
        Some(right) => {
            let l: Vec<Line> = cause.into_iter().chain(timeline).chain(alerts).collect();
            let r: Vec<Line> = patterns.into_iter().chain(edges).collect();
            f.render_widget(Paragraph::new(l).scroll(scroll), left);
            f.render_widget(Paragraph::new(r).wrap(Wrap { trim: false }), right);
        }
        None => {
            let all: Vec<Line> = cause.into_iter().chain(timeline).chain(patterns).chain(edges).chain(alerts).collect();
            f.render_widget(Paragraph::new(all).scroll(scroll), left);
        }
    }
}

/// The log patterns that changed and the call-graph edges, before and during.
fn changes<'a>(d: &Detail, t: &Theme, w: usize) -> (Vec<Line<'a>>, Vec<Line<'a>>) {
    let mut patterns = vec![heading(t, "Log patterns that changed (per minute, before -> during)")];
    if d.patterns.is_empty() {
        patterns.push(Line::from(Span::styled("none", t.muted)));
    }
    for p in &d.patterns {
        let rate = if p.new { "     new".to_string() } else { format!("{:>4.1}->{:<4.1}", p.before, p.during) };
        patterns.push(Line::from(vec![
            Span::styled(format!("{rate} "), t.warning),
            Span::styled(safe(&clip(&p.template, w.saturating_sub(12))), t.text),
        ]));
    }
    patterns.push(Line::raw(""));

    let mut edges = vec![heading(t, "Call graph edges (errors, mean latency: before -> during)")];
    if d.edges.is_empty() {
        edges.push(Line::from(Span::styled("no spans for these services", t.muted)));
    }
    for e in &d.edges {
        let bad = e.errors_during > e.errors_before + 0.01 || e.ms_during > 2.0 * e.ms_before.max(1.0);
        edges.push(Line::from(vec![
            Span::styled(
                format!("{:<34}", clip(&safe(&format!("{} -> {}", e.caller, e.callee)), 33)),
                if bad { t.critical } else { t.text },
            ),
            Span::styled(
                format!(
                    "{:>5.1}% -> {:>5.1}%  {:>6.0} -> {:>6.0} ms",
                    e.errors_before * 100.0,
                    e.errors_during * 100.0,
                    e.ms_before,
                    e.ms_during
                ),
                if bad { t.warning } else { t.muted },
            ),
        ]));
    }
    (patterns, edges)
}
