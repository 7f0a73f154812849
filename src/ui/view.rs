//! Drawing: a pure function of the state and the theme. Telemetry text goes through
//! `terminal_safe` before it reaches a cell.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use super::{IncidentRow, Pane, State, MIN_SIZE};
use crate::sanitize::terminal_safe;

fn age(s: &State, r: &IncidentRow) -> String {
    let m = (s.now - r.started_at).num_minutes().max(0);
    match m {
        0..=59 => format!("{m}m"),
        60..=2879 => format!("{}h{:02}", m / 60, m % 60),
        _ => format!("{}d", m / 1440),
    }
}

fn severity_style(t: &Theme, sev: &str) -> Style {
    match sev {
        "critical" | "page" => t.critical,
        "warning" => t.warning,
        _ => t.muted,
    }
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!(
            "firewatch needs a terminal of at least {}x{}; this one is {}x{}.",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).style(t.warning).wrap(Wrap { trim: true }), area);
        return;
    }
    let [tabs, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    draw_tabs(f, s, t, tabs);
    match s.pane {
        Pane::Incidents => draw_incidents(f, s, t, body),
        other => {
            let block = Block::default().borders(Borders::ALL).border_style(t.border).title(other.title());
            f.render_widget(Paragraph::new("not drawn yet").style(t.muted).block(block), body);
        }
    }
    draw_status(f, s, t, status);
    if s.help {
        draw_help(f, t, body);
    }
}

fn draw_tabs(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let mut spans = vec![Span::styled(" firewatch ", t.accent)];
    for p in Pane::ALL {
        let style = if p == s.pane { t.selection } else { t.muted };
        spans.push(Span::styled(format!(" {} ", p.title()), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_incidents(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let firing = s.incidents.iter().filter(|r| r.firing).count();
    let title = format!(" Incidents: {} open, {} in all ", firing, s.incidents.len());
    let block = Block::default().borders(Borders::ALL).border_style(t.border).title(Span::styled(title, t.text));
    if s.incidents.is_empty() {
        f.render_widget(Paragraph::new("No incidents: no alert has fired.").style(t.muted).block(block), area);
        return;
    }
    let [list, summary] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    // Wide terminals get regions and the suspected cause as columns; 80 columns do not.
    let wide = area.width >= 140;
    let rows = s.incidents.iter().map(|r| {
        let status = if r.firing { Span::styled("FIRING", t.critical) } else { Span::styled("resolved", t.ok) };
        let mut cells = vec![
            Cell::from(Span::styled(r.severity.clone(), severity_style(t, &r.severity))),
            Cell::from(status),
            Cell::from(age(s, r)).style(t.muted),
            Cell::from(terminal_safe(&r.title).into_owned()).style(t.text),
            Cell::from(terminal_safe(&r.services.join(",")).into_owned()).style(t.text),
            Cell::from(r.alerts.to_string()).style(t.muted),
        ];
        if wide {
            cells.push(Cell::from(r.regions.join(",")).style(t.muted));
            let cause =
                r.cause.as_ref().map_or("no cause found".into(), |(svc, c)| format!("{svc} ({:.0}%)", c * 100.0));
            cells.push(Cell::from(terminal_safe(&cause).into_owned()).style(t.evidence));
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
    let mut state = TableState::default().with_selected(Some(s.selected));
    f.render_stateful_widget(table, list, &mut state);
    if let Some(r) = s.selected_incident() {
        let cause = match &r.cause {
            Some((svc, c)) => Line::from(vec![
                Span::styled("suspected cause: ", t.muted),
                Span::styled(format!("{svc} ({:.0}% confidence)", c * 100.0), t.evidence),
            ]),
            None => Line::from(Span::styled("no cause found", t.muted)),
        };
        let lines = vec![
            Line::from(vec![
                Span::styled(format!("{} ", r.id), t.muted),
                Span::styled(terminal_safe(&r.title).into_owned(), t.text),
            ]),
            cause,
            Line::from(Span::styled(format!("regions: {}   Enter: open   ?: help", r.regions.join(", ")), t.muted)),
        ];
        f.render_widget(Paragraph::new(lines), summary);
    }
}

fn draw_status(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let mut spans = Vec::new();
    if s.sources.is_empty() {
        spans.push(Span::styled("no live sources", t.muted));
    }
    for src in &s.sources {
        let style = match src.state.as_str() {
            "ok" => t.ok,
            "degraded" | "starting" => t.warning,
            _ => t.critical,
        };
        spans.push(Span::styled(format!("{} {}", terminal_safe(&src.name), src.state), style));
        spans.push(Span::raw("  "));
    }
    spans.push(Span::styled(format!("  llm {}", s.llm), if s.llm == "failed" { t.warning } else { t.muted }));
    spans.push(Span::styled("   q quit  Tab panes  ? help", t.muted));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_help(f: &mut Frame, t: &Theme, body: Rect) {
    let keys = [
        ("j / k, arrows", "move"),
        ("g / G", "first / last"),
        ("PgUp / PgDn, space", "page"),
        ("Enter", "open"),
        ("Esc", "back, close"),
        ("Tab / Shift-Tab", "next / previous pane"),
        ("?", "this help"),
        ("q, Ctrl-C", "quit"),
    ];
    let w = 48.min(body.width);
    let h = (keys.len() as u16 + 2).min(body.height);
    let area = Rect { x: body.x + (body.width - w) / 2, y: body.y + (body.height - h) / 2, width: w, height: h };
    let lines: Vec<Line> = keys
        .iter()
        .map(|(k, what)| Line::from(vec![Span::styled(format!("{k:<20}"), t.accent), Span::styled(*what, t.text)]))
        .collect();
    f.render_widget(ratatui::widgets::Clear, area);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).border_style(t.border).title(" Keys ")),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::theme::{Depth, Theme, SHIPPED};
    use crate::ui::{update, Action, SourceStatus};
    use chrono::{TimeZone, Utc};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn state() -> State {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 11, 20, h, m, 0).unwrap();
        let mut s = State::new(at(16, 0));
        update(
            &mut s,
            Action::Incidents(vec![
                IncidentRow {
                    id: "inc-1b4bd2c1".into(),
                    title: "HighErrorRate on checkout (+6 alerts)".into(),
                    firing: true,
                    severity: "critical".into(),
                    services: vec!["checkout".into(), "catalog".into(), "frontend".into()],
                    regions: vec!["us-east-1".into()],
                    started_at: at(15, 16),
                    alerts: 7,
                    cause: Some(("catalog".into(), 0.82)),
                },
                IncidentRow {
                    id: "inc-77f0a9e3".into(),
                    // Telemetry text with an escape sequence: drawn visibly, never sent raw.
                    title: "HighCPUThrottling on pricing \u{1b}[2J".into(),
                    firing: false,
                    severity: "warning".into(),
                    services: vec!["pricing".into()],
                    regions: vec!["eu-west-1".into()],
                    started_at: at(14, 20),
                    alerts: 3,
                    cause: None,
                },
            ]),
        );
        update(
            &mut s,
            Action::Sources(vec![
                SourceStatus { name: "alertmanager".into(), state: "ok".into() },
                SourceStatus { name: "loki".into(), state: "degraded".into() },
            ]),
        );
        s
    }

    fn render(s: &State, t: &Theme, w: u16, h: u16) -> ratatui::buffer::Buffer {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| draw(f, s, t)).unwrap();
        term.backend().buffer().clone()
    }

    fn text(b: &ratatui::buffer::Buffer) -> String {
        let mut out = String::new();
        for y in 0..b.area.height {
            let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    #[test]
    fn incidents_pane_snapshots() {
        for (name, _) in SHIPPED {
            let t = Theme::named(name, Depth::TrueColor).unwrap();
            for (w, h) in [(80, 24), (200, 50)] {
                let s = state();
                let b = render(&s, &t, w, h);
                insta::assert_snapshot!(format!("incidents_{name}_{w}x{h}"), text(&b));
                // The theme's meanings reach the cells: the warning incident's severity (the
                // critical one is selected, so it wears the selection).
                let sev = (0..h)
                    .flat_map(|y| (0..w - 8).map(move |x| (x, y)))
                    .find(|&(x, y)| (0..8).map(|i| b[(x + i, y)].symbol()).collect::<String>() == "warning ");
                let (x, y) = sev.expect("a severity cell");
                assert_eq!(b[(x, y)].fg, t.warning.fg.unwrap(), "{name}");
                assert_eq!(b[(x, y - 1)].bg, t.selection.bg.unwrap(), "{name}: the selected row");
            }
        }
    }

    #[test]
    fn escape_sequences_are_drawn_visibly() {
        let t = Theme::named("dark", Depth::TrueColor).unwrap();
        let b = render(&state(), &t, 200, 50);
        let all = text(&b);
        assert!(all.contains("\\x1b[2J"), "{all}");
        assert!(!all.contains('\u{1b}'));
    }

    #[test]
    fn a_small_terminal_is_told_so_and_help_lists_every_key() {
        let t = Theme::named("high-contrast", Depth::Mono).unwrap();
        let all = text(&render(&state(), &t, 60, 20)).split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(all.contains("needs a terminal of at least 80x24; this one is 60x20"), "{all}");
        let mut s = state();
        update(&mut s, Action::Help);
        let all = text(&render(&s, &t, 80, 24));
        for k in ["j / k", "g / G", "Enter", "Esc", "Tab", "q, Ctrl-C"] {
            assert!(all.contains(k), "{k} missing from help:\n{all}");
        }
    }
}
