//! The live incident list: severity, status, age, title, services, alerts and, when wide,
//! regions and the suspected cause; the selected incident's summary below.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};
use ratatui::Frame;

use crate::ui::theme::Theme;
use crate::ui::view::{age, block, safe, severity_style};
use crate::ui::State;

fn layout(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area)
}

/// How many rows the list shows, and the first one shown: the selection stays in view.
fn window(s: &State, list: Rect) -> (usize, usize) {
    let rows_in_view = (list.height as usize).saturating_sub(3).max(1);
    (rows_in_view, s.selected.saturating_sub(rows_in_view - 1))
}

/// The incident (an index into the visible ones) drawn on row `y` of the pane at `area`.
pub fn row_at(s: &State, area: Rect, y: u16) -> Option<usize> {
    let [list, _] = layout(area);
    let (rows_in_view, offset) = window(s, list);
    // Below the border and the header.
    let first = list.y + 2;
    let i = offset + usize::from(y.checked_sub(first)?);
    (usize::from(y - first) < rows_in_view && i < s.visible.len()).then_some(i)
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let mut title = format!(" Incidents: {} open, {} in all, sorted {} ", s.open, s.incidents.len(), s.sort.name());
    if !s.filter.is_empty() {
        title.push_str(&format!("| filter '{}': {} ", safe(&s.filter), s.visible.len()));
    }
    let block = block(t, title);
    if s.visible.is_empty() {
        let msg = if s.incidents.is_empty() {
            "No incidents: no alert has fired."
        } else {
            "No incident matches the filter (Esc clears it)."
        };
        f.render_widget(Paragraph::new(msg).style(t.muted).block(block), area);
        return;
    }
    let [list, summary] = layout(area);
    // Only the rows in view are built: the list may hold 100k incidents.
    let (rows_in_view, offset) = window(s, list);
    let wide = area.width >= 140;
    let rows = s.visible.iter().skip(offset).take(rows_in_view).map(|&i| {
        let r = &s.incidents[i];
        let status = if r.firing { Span::styled("FIRING", t.critical) } else { Span::styled("resolved", t.ok) };
        let mut cells = vec![
            Cell::from(Span::styled(r.severity.clone(), severity_style(t, &r.severity))),
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
    let mut state = TableState::default().with_selected(Some(s.selected - offset));
    f.render_stateful_widget(table, list, &mut state);
    if let Some(r) = s.selected_incident() {
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
