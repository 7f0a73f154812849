//! The live incident list: severity, status, age, title, services, alerts and, when wide,
//! regions and the suspected cause; the selected incident's summary below. The pane owns
//! the rows, the filter typed over them, their order and the selection.

use std::cmp::Reverse;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use super::{move_in, redraw_if, Effect};
use crate::ui::rows::IncidentRow;
use crate::ui::theme::Theme;
use crate::ui::view::{age, block, safe, severity_style};
use crate::ui::{Action, Focus, Pane, State};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Open first, then newest.
    Open,
    Newest,
    Severity,
    Alerts,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::Open => Sort::Newest,
            Sort::Newest => Sort::Severity,
            Sort::Severity => Sort::Alerts,
            Sort::Alerts => Sort::Open,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Sort::Open => "open first",
            Sort::Newest => "newest",
            Sort::Severity => "severity",
            Sort::Alerts => "alerts",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentsPane {
    pub rows: Vec<IncidentRow>,
    /// How many of them are firing (counted once per refresh, not per frame).
    pub open: usize,
    /// Indices into `rows` after filter and sort: what the list shows.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub filter: String,
    pub sort: Sort,
}

impl Default for IncidentsPane {
    fn default() -> Self {
        IncidentsPane {
            rows: Vec::new(),
            open: 0,
            visible: Vec::new(),
            selected: 0,
            filter: String::new(),
            sort: Sort::Open,
        }
    }
}

impl IncidentsPane {
    pub fn selected_row(&self) -> Option<&IncidentRow> {
        self.visible.get(self.selected).and_then(|&i| self.rows.get(i))
    }

    pub fn selected_id(&self) -> Option<String> {
        self.selected_row().map(|r| r.id.clone())
    }

    /// Filters and sorts again, the same incident kept selected.
    pub fn refilter(&mut self) {
        let keep = self.selected_id();
        self.refilter_keeping(keep);
    }

    fn refilter_keeping(&mut self, keep: Option<String>) {
        let needle = self.filter.to_lowercase();
        let mut v: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                let r = &self.rows[i];
                needle.is_empty()
                    || r.title.to_lowercase().contains(&needle)
                    || r.id.contains(&needle)
                    || r.services.iter().chain(&r.regions).any(|s| s.to_lowercase().contains(&needle))
                    || r.severity.alert_word().contains(&needle)
            })
            .collect();
        let rows = &self.rows;
        match self.sort {
            Sort::Open => v.sort_by_key(|&i| (!rows[i].firing, Reverse(rows[i].started_at))),
            Sort::Newest => v.sort_by_key(|&i| Reverse(rows[i].started_at)),
            Sort::Severity => v.sort_by_key(|&i| (Reverse(rows[i].severity), Reverse(rows[i].started_at))),
            Sort::Alerts => v.sort_by_key(|&i| (Reverse(rows[i].alerts), Reverse(rows[i].started_at))),
        }
        self.visible = v;
        // Keep the same incident selected when the list changes under it.
        self.selected = keep
            .and_then(|id| self.visible.iter().position(|&i| self.rows[i].id == id))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
    }

    /// `None`: not this pane's action (Esc then goes back to the list).
    pub fn update(&mut self, a: Action, page: usize) -> Option<Vec<Effect>> {
        match a {
            Action::Incidents(rows) => {
                if rows == self.rows {
                    return Some(Vec::new());
                }
                let keep = self.selected_id();
                self.open = rows.iter().filter(|r| r.firing).count();
                self.rows = rows;
                self.refilter_keeping(keep);
                Some(vec![Effect::Rescope, Effect::Redraw])
            }
            Action::Sort => {
                self.sort = self.sort.next();
                self.refilter();
                let notice = format!("incidents sorted: {}", self.sort.name());
                Some(vec![Effect::Rescope, Effect::Notice(notice), Effect::Redraw])
            }
            Action::StartSearch => Some(vec![Effect::Focus(Focus::Filter), Effect::Redraw]),
            Action::Back if !self.filter.is_empty() => {
                self.filter.clear();
                self.refilter();
                Some(vec![Effect::Rescope, Effect::Redraw])
            }
            Action::Up | Action::Down | Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
                let moved = move_in(&mut self.selected, self.visible.len(), &a, page);
                let mut e = redraw_if(moved);
                if moved {
                    e.push(Effect::Selected);
                }
                Some(e)
            }
            Action::Open if self.selected_row().is_some() => {
                Some(vec![Effect::Goto(Pane::Detail), Effect::DetailTop, Effect::Redraw])
            }
            _ => None,
        }
    }
}

fn layout(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area)
}

/// How many rows the list shows, and the first one shown: the selection stays in view.
fn window(p: &IncidentsPane, list: Rect) -> (usize, usize) {
    let rows_in_view = (list.height as usize).saturating_sub(3).max(1);
    (rows_in_view, p.selected.saturating_sub(rows_in_view - 1))
}

/// The incident (an index into the visible ones) drawn on row `y` of the pane at `area`.
pub fn row_at(p: &IncidentsPane, area: Rect, y: u16) -> Option<usize> {
    let [list, _] = layout(area);
    let (rows_in_view, offset) = window(p, list);
    // Below the border and the header.
    let first = list.y + 2;
    let i = offset + usize::from(y.checked_sub(first)?);
    (usize::from(y - first) < rows_in_view && i < p.visible.len()).then_some(i)
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let p = &s.incidents;
    let mut title = format!(" Incidents: {} open, {} in all, sorted {} ", p.open, p.rows.len(), p.sort.name());
    if !p.filter.is_empty() {
        title.push_str(&format!("| filter '{}': {} ", safe(&p.filter), p.visible.len()));
    }
    let block = block(t, title);
    if p.visible.is_empty() {
        let msg = if p.rows.is_empty() {
            "No incidents: no alert has fired."
        } else {
            "No incident matches the filter (Esc clears it)."
        };
        f.render_widget(Paragraph::new(msg).style(t.muted).block(block), area);
        return;
    }
    let [list, summary] = layout(area);
    // Only the rows in view are built: the list may hold 100k incidents.
    let (rows_in_view, offset) = window(p, list);
    let wide = area.width >= 140;
    let rows = p.visible.iter().skip(offset).take(rows_in_view).map(|&i| {
        let r = &p.rows[i];
        let status = if r.firing { Span::styled("FIRING", t.critical) } else { Span::styled("resolved", t.ok) };
        let mut cells = vec![
            Cell::from(Span::styled(r.severity.alert_word(), severity_style(t, r.severity))),
            Cell::from(status),
            Cell::from(age(s.now, r.started_at)).style(t.muted),
            Cell::from(safe(&r.title)).style(t.text),
            Cell::from(safe(&r.services.join(","))).style(t.text),
            Cell::from(r.alerts.to_string()).style(t.muted),
        ];
        if wide {
            cells.push(Cell::from(safe(&r.regions.join(","))).style(t.muted));
            let cause =
                r.cause.as_ref().map_or("no cause found".into(), |(svc, c)| format!("{svc} ({:.0}%)", c * 100.0));
            cells.push(Cell::from(safe(&cause)).style(t.evidence));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Fill(3),
        Constraint::Fill(1),
        Constraint::Length(3),
    ];
    let mut header = vec!["SEV", "STATUS", "AGE", "TITLE", "SERVICES", "#"];
    if wide {
        widths.extend([Constraint::Length(16), Constraint::Length(26)]);
        header.extend(["REGIONS", "SUSPECTED CAUSE"]);
    }
    let table =
        Table::new(rows, widths).header(Row::new(header).style(t.muted)).row_highlight_style(t.selection).block(block);
    let mut state = TableState::default().with_selected(Some(p.selected - offset));
    f.render_stateful_widget(table, list, &mut state);
    if let Some(r) = p.selected_row() {
        let cause = match &r.cause {
            Some((svc, c)) => Line::from(vec![
                Span::styled("suspected cause: ", t.muted),
                Span::styled(format!("{} ({:.0}% confidence)", safe(svc), c * 100.0), t.evidence),
            ]),
            None => Line::from(Span::styled("no cause found", t.muted)),
        };
        let lines = vec![
            Line::from(vec![Span::styled(format!("{} ", r.id), t.muted), Span::styled(safe(&r.title), t.text)]),
            cause,
            Line::from(Span::styled(
                format!("regions: {}   Enter: open   s: sort   /: filter   a: ask", safe(&r.regions.join(", "))),
                t.muted,
            )),
        ];
        f.render_widget(Paragraph::new(lines), summary);
    }
}
