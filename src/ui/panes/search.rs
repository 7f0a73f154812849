//! Log search: the query and its history, a histogram of hits over time, and the hits,
//! newest first, with the query's terms highlighted and severities coloured. Enter or `t`
//! opens the trace of a hit; `F` follows new hits as they are stored.

use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline};
use ratatui::Frame;

use chrono::{DateTime, Utc};

use super::{move_in, redraw_if, Effect};
use crate::model::Severity;
use crate::ui::chart::MetricChart;
use crate::ui::theme::Theme;
use crate::ui::view::{block, clip, safe, severity_style};
use crate::ui::{Action, Focus, Pane, State, Task};

/// Queries kept in the search history.
const HISTORY: usize = 100;

/// One search hit, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct HitRow {
    pub timestamp: DateTime<Utc>,
    pub service: String,
    pub severity: Severity,
    pub body: String,
    pub trace_id: Option<String>,
}

/// What a finished search brings back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchResults {
    pub hits: Vec<HitRow>,
    pub total: u64,
    /// Lowercased words and phrases to highlight.
    pub terms: Vec<String>,
    /// Hits per bucket over `span`, oldest first.
    pub histogram: Vec<u64>,
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub millis: u64,
    /// Set when the query found nothing and the fallback was searched instead.
    pub fallback: Option<String>,
    /// Lines found scanning the opened files' part not indexed yet, and its bytes.
    pub scanned: Option<(u64, u64)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchPane {
    pub input: String,
    /// The query the results are for.
    pub query: String,
    pub history: Vec<String>,
    history_pos: Option<usize>,
    pub results: SearchResults,
    pub selected: usize,
    pub follow: bool,
    pub busy: bool,
    pub error: Option<String>,
    /// Why these results are shown, when not typed (a citation, a trace).
    pub origin: Option<String>,
    /// The series a cited metric names, drawn above the logs of its time.
    pub chart: Option<MetricChart>,
    /// Numbers the searches: a result for an older one is dropped.
    pub seq: u64,
    /// Ticks on which the query runs again because a commit landed (the index's reader sees
    /// a commit a moment after it lands, so twice).
    pub refresh: u8,
}

impl SearchPane {
    /// Starts a search for `query`: the task to run, the pane saying it is searching.
    pub fn start(&mut self, query: String, origin: Option<String>) -> Task {
        self.seq += 1;
        self.busy = true;
        self.error = None;
        self.origin = origin;
        self.chart = None;
        self.input = query.clone();
        // Another query's hits are not this one's: they go, and the pane says it is searching.
        if self.query != query {
            self.results = SearchResults::default();
            self.selected = 0;
        }
        self.query = query.clone();
        Task::Search { seq: self.seq, query, fallback: None }
    }

    /// Enter in the query field: the query is remembered and searched.
    pub fn submit(&mut self) -> Vec<Effect> {
        let q = self.input.trim().to_string();
        if q.is_empty() {
            return vec![Effect::Redraw];
        }
        self.history.retain(|h| *h != q);
        self.history.push(q.clone());
        if self.history.len() > HISTORY {
            self.history.remove(0);
        }
        self.history_pos = None;
        self.selected = 0;
        vec![Effect::Task(self.start(q, None)), Effect::Redraw]
    }

    /// Up and Down in the query field walk the history.
    pub fn recall(&mut self, a: &Action) -> Vec<Effect> {
        if self.history.is_empty() {
            return Vec::new();
        }
        let last = self.history.len() - 1;
        self.history_pos = match (a, self.history_pos) {
            (Action::HistoryPrev, None) => Some(last),
            (Action::HistoryPrev, Some(p)) => Some(p.saturating_sub(1)),
            (_, Some(p)) if p < last => Some(p + 1),
            _ => None,
        };
        self.input = self.history_pos.map(|p| self.history[p].clone()).unwrap_or_default();
        vec![Effect::Redraw]
    }

    /// The index has a new commit: the query runs again on the next ticks.
    pub fn commit_landed(&mut self) {
        self.refresh = 2;
    }

    /// On each tick a followed query runs again, or one that a commit may have changed,
    /// unless it is still running.
    pub fn tick(&mut self) -> Option<Task> {
        let refresh = self.refresh > 0;
        if !(self.follow || refresh) || self.busy || self.query.is_empty() {
            return None;
        }
        self.refresh = self.refresh.saturating_sub(1);
        self.seq += 1;
        self.busy = true;
        Some(Task::Search { seq: self.seq, query: self.query.clone(), fallback: None })
    }

    /// Searches the trace of the selected hit; `None` when it has none.
    fn open_trace(&mut self) -> Option<Vec<Effect>> {
        let t = self.results.hits.get(self.selected)?.trace_id.clone()?;
        let task = self.start(format!("trace_id:{t}"), Some(format!("trace {t}")));
        self.selected = 0;
        Some(vec![Effect::Task(task), Effect::Redraw])
    }

    /// `cited`: the results are a citation opened from the chat (Esc goes back to it).
    /// `None`: not this pane's action.
    pub fn update(&mut self, a: Action, page: usize, cited: bool) -> Option<Vec<Effect>> {
        match a {
            Action::Up | Action::Down | Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
                let moved = move_in(&mut self.selected, self.results.hits.len(), &a, page);
                // Moving off the newest hit stops following, as in less.
                if moved && self.selected > 0 {
                    self.follow = false;
                }
                Some(redraw_if(moved))
            }
            Action::NextMatch | Action::PrevMatch => {
                let dir = if a == Action::NextMatch { Action::Down } else { Action::Up };
                Some(redraw_if(move_in(&mut self.selected, self.results.hits.len(), &dir, page)))
            }
            Action::Open => Some(self.open_trace().unwrap_or_default()),
            Action::Back if self.origin.is_some() && cited => Some(vec![Effect::BackToAnswer, Effect::Redraw]),
            Action::StartSearch => {
                self.history_pos = None;
                Some(vec![Effect::Goto(Pane::Search), Effect::Focus(Focus::Query), Effect::Redraw])
            }
            Action::Follow => {
                self.follow = !self.follow;
                let mut e = vec![Effect::Goto(Pane::Search), Effect::Redraw];
                if self.follow {
                    self.selected = 0;
                    let q = if self.query.is_empty() { "*".to_string() } else { self.query.clone() };
                    e.push(Effect::Task(self.start(q, None)));
                }
                Some(e)
            }
            Action::JumpTrace => {
                let mut e = vec![Effect::Goto(Pane::Search)];
                e.extend(
                    self.open_trace()
                        .unwrap_or_else(|| vec![Effect::Notice("this hit has no trace".into()), Effect::Redraw]),
                );
                Some(e)
            }
            Action::SearchDone { seq, results } => Some(self.done(seq, results)),
            Action::SearchFailed { seq, error } if seq == self.seq => {
                self.busy = false;
                self.follow = false;
                self.error = Some(error);
                Some(vec![Effect::Redraw])
            }
            Action::ChartDone { seq, chart } if seq == self.seq => match chart {
                Ok(c) => {
                    self.chart = Some(c);
                    Some(vec![Effect::Redraw])
                }
                Err(e) => Some(vec![Effect::Notice(format!("no chart: {e}")), Effect::Redraw]),
            },
            _ => None,
        }
    }

    fn done(&mut self, seq: u64, results: SearchResults) -> Vec<Effect> {
        if seq != self.seq {
            return Vec::new();
        }
        self.busy = false;
        self.results = results;
        if self.follow {
            self.selected = 0;
        }
        self.selected = self.selected.min(self.results.hits.len().saturating_sub(1));
        // Always redrawn: "searching…" may be on screen even when the hits did not change.
        vec![Effect::Redraw]
    }
}

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
fn layout(v: &SearchPane, area: Rect) -> [Rect; 3] {
    let inner = area.inner(Margin::new(1, 1));
    let graph = if v.chart.is_some() { (inner.height / 3).max(5) } else { 4 };
    Layout::vertical([Constraint::Length(1), Constraint::Length(graph), Constraint::Min(1)]).areas(inner)
}

/// How many hits the list shows, and the first one shown: the selection stays in view.
fn window(v: &SearchPane, list: Rect) -> (usize, usize) {
    let rows = list.height as usize;
    (rows, v.selected.saturating_sub(rows.saturating_sub(1)))
}

/// The hit drawn on row `y` of the pane at `area`.
pub fn hit_at(v: &SearchPane, area: Rect, y: u16) -> Option<usize> {
    let [_, _, list] = layout(v, area);
    let (rows, offset) = window(v, list);
    let i = offset + usize::from(y.checked_sub(list.y)?);
    (usize::from(y - list.y) < rows && i < v.results.hits.len()).then_some(i)
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
    let [origin, graph, list] = layout(v, area);
    let [hist, axis] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(graph);
    let coverage = s.logs.progress.as_ref().filter(|_| s.logs.active && !v.query.is_empty());
    let top = match (&v.error, &v.origin) {
        (Some(e), _) => Line::from(Span::styled(safe(e), t.critical)),
        (None, None) if coverage.is_some() => {
            let mut text = coverage.map(|p| p.coverage_text()).unwrap_or_default();
            if let Some((n, bytes)) = r.scanned {
                text.push_str(&format!(
                    "; {n} found scanning the {} not indexed yet",
                    crate::engine::open::bytes(bytes)
                ));
            }
            let style = if coverage.is_some_and(|p| p.indexing) { t.warning } else { t.muted };
            Line::from(Span::styled(safe(&text), style))
        }
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
    let (rows, offset) = window(v, list);
    let lines: Vec<Line> = r
        .hits
        .iter()
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, h)| {
            let mut spans = vec![
                Span::styled(format!("{} ", h.timestamp.format("%H:%M:%S%.3f")), t.muted),
                Span::styled(format!("{:<5} ", clip(h.severity.as_str(), 5)), severity_style(t, h.severity)),
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
