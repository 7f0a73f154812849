//! Log search: the query and its history, a histogram of hits over time, and the hits,
//! newest first, with the query's terms highlighted and severities coloured. Enter or `t`
//! opens the trace of a hit; `F` follows new hits as they are stored.

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline};
use ratatui::Frame;

use crate::ui::chart::MetricChart;
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

/// Inside the border: the origin line, the histogram (or a cited metric's series, a third
/// of the pane) with its axis, and the hits.
fn layout(s: &State, area: Rect) -> [Rect; 3] {
    let inner = area.inner(Margin::new(1, 1));
    let graph = if s.search.chart.is_some() { (inner.height / 3).max(5) } else { 4 };
    Layout::vertical([Constraint::Length(1), Constraint::Length(graph), Constraint::Min(1)]).areas(inner)
}

/// How many hits the list shows, and the first one shown: the selection stays in view.
fn window(s: &State, list: Rect) -> (usize, usize) {
    let rows = list.height as usize;
    (rows, s.search.selected.saturating_sub(rows.saturating_sub(1)))
}

/// The hit drawn on row `y` of the pane at `area`.
pub fn hit_at(s: &State, area: Rect, y: u16) -> Option<usize> {
    let [_, _, list] = layout(s, area);
    let (rows, offset) = window(s, list);
    let i = offset + usize::from(y.checked_sub(list.y)?);
    (usize::from(y - list.y) < rows && i < s.search.results.hits.len()).then_some(i)
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
    f.render_widget(outer, area);
    let [origin, graph, list] = layout(s, area);
    let [hist, axis] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(graph);
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
    if let Some(c) = &v.chart {
        metric_chart(f, c, t, graph);
    } else {
        f.render_widget(Sparkline::default().data(&r.histogram).style(t.accent), hist);
    }
    if let (Some((from, to)), None) = (r.span, &v.chart) {
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
    let (rows, offset) = window(s, list);
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

/// The cited series: its name, where, and its minute means, with the cited time marked.
fn metric_chart(f: &mut Frame, c: &MetricChart, t: &Theme, area: Rect) {
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let unit = if c.unit.is_empty() || c.unit == "1" { String::new() } else { format!(" ({})", c.unit) };
    let region = c.region.as_ref().map(|r| format!(" in {r}")).unwrap_or_default();
    let head_line = Line::from(vec![
        Span::styled(format!("{}{unit}", safe(&c.name)), t.evidence),
        Span::styled(format!(" of {}{}, mean per minute; ", safe(&c.service), safe(&region)), t.muted),
        Span::styled("│", t.critical),
        Span::styled(format!(" the cited time {}", c.at.format("%H:%M")), t.muted),
    ]);
    f.render_widget(Paragraph::new(head_line), head);
    let x = |d: chrono::DateTime<chrono::Utc>| d.timestamp() as f64;
    let data: Vec<(f64, f64)> = c.points.iter().map(|(d, v)| (x(*d), *v)).collect();
    // Scaled to the data, not to zero: a change of 1% on a large value must show.
    let lo = c.points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let hi = c.points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    // A flat series still gets an axis; an empty one an arbitrary one.
    let (lo, hi) = match (lo, hi) {
        (l, h) if l.is_finite() && h > l => (l, h),
        (l, _) if l.is_finite() => (l, l + 1.0),
        _ => (0.0, 1.0),
    };
    let marker = [(x(c.at), lo), (x(c.at), hi)];
    let datasets = vec![
        Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(t.accent).data(&data),
        Dataset::default().marker(Marker::Braille).graph_type(GraphType::Line).style(t.critical).data(&marker),
    ];
    let value = |v: f64| format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().style(t.muted).bounds([x(c.from), x(c.to)]).labels([
            c.from.format("%H:%M").to_string(),
            c.at.format("%H:%M").to_string(),
            c.to.format("%H:%M").to_string(),
        ]))
        .y_axis(Axis::default().style(t.muted).bounds([lo, hi]).labels([value(lo), value(hi)]));
    f.render_widget(chart, body);
}
