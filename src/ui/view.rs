//! Drawing: a pure function of the state and the theme. The frame (tabs, status bar, help,
//! palette, confirmation) is here; each pane draws in `panes/`. Telemetry text goes
//! through `safe` before it reaches a cell.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::keys::Keymap;
use super::theme::Theme;
use super::{panes, Focus, LlmState, Pane, SourceState, State, MIN_SIZE};
use crate::model::Severity;

/// Text from telemetry, with control characters and escape sequences made visible.
pub fn safe(text: &str) -> String {
    crate::sanitize::terminal_safe(text).into_owned()
}

pub fn block<'a>(t: &Theme, title: String) -> Block<'a> {
    Block::default().borders(Borders::ALL).border_style(t.border).title(Span::styled(title, t.text))
}

pub fn severity_style(t: &Theme, sev: Severity) -> Style {
    match sev {
        Severity::Fatal | Severity::Error => t.critical,
        Severity::Warn => t.warning,
        _ => t.muted,
    }
}

/// Minutes since `at`, as a short age: 7m, 2h05, 3d.
pub fn age(now: chrono::DateTime<chrono::Utc>, at: chrono::DateTime<chrono::Utc>) -> String {
    let m = (now - at).num_minutes().max(0);
    match m {
        0..=59 => format!("{m}m"),
        60..=2879 => format!("{}h{:02}", m / 60, m % 60),
        _ => format!("{}d", m / 1440),
    }
}

/// The text of `text` cut to `width` columns, with an ellipsis when cut.
pub fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, keys: &Keymap) {
    let area = f.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let msg = format!(
            "firewatch needs a terminal of at least {}x{}; this one is {}x{}.",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        f.render_widget(Paragraph::new(msg).style(t.warning).wrap(Wrap { trim: true }), area);
        return;
    }
    let [tabs, body, line, status] = screen(area);
    draw_tabs(f, s, t, tabs);
    match s.pane {
        Pane::Tail => panes::logs::draw(f, s, t, body),
        Pane::Incidents => panes::incidents::draw(f, s, t, body),
        Pane::Detail => panes::detail::draw(f, s, t, body),
        Pane::Search => panes::search::draw(f, s, t, body),
        Pane::Chat => panes::chat::draw(f, s, t, body),
        Pane::Runbooks => panes::runbooks::draw(f, s, t, body),
    }
    draw_line(f, s, t, line);
    draw_status(f, s, t, status);
    if s.runbooks.confirm.is_some() {
        panes::runbooks::draw_confirm(f, s, t, body);
    }
    if s.help {
        draw_help(f, t, keys, body);
    }
}

/// The tab line, the pane, the input line and the status bar.
fn screen(area: Rect) -> [Rect; 4] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1), Constraint::Length(1)])
        .areas(area)
}

const BRAND: &str = " firewatch ";

fn tab_label(p: Pane) -> String {
    format!(" {} {} ", p.key(), p.title())
}

/// What a mouse click lands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Tab(Pane),
    /// A row of the pane's list: an index into the incidents shown, or into the hits.
    Row(usize),
}

/// What is drawn at column `x`, row `y`: worked out from the same layout `draw` uses.
pub fn target(s: &State, x: u16, y: u16) -> Option<Target> {
    let area = Rect::new(0, 0, s.size.0, s.size.1);
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 || s.help || s.runbooks.confirm.is_some() {
        return None;
    }
    let [tabs, body, _, _] = screen(area);
    if y == tabs.y {
        let mut from = BRAND.chars().count();
        for p in s.panes() {
            let to = from + tab_label(p).chars().count();
            if (from..to).contains(&(x as usize)) {
                return Some(Target::Tab(p));
            }
            from = to;
        }
        return None;
    }
    match s.pane {
        Pane::Incidents => panes::incidents::row_at(&s.incidents, body, y).map(Target::Row),
        Pane::Search => panes::search::hit_at(&s.search, body, y).map(Target::Row),
        _ => None,
    }
}

fn draw_tabs(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let mut spans = vec![Span::styled(BRAND, t.accent)];
    for p in s.panes() {
        let style = if p == s.pane { t.selection } else { t.muted };
        spans.push(Span::styled(tab_label(p), style));
    }
    let clock = format!(" {} ", s.now.format("%Y-%m-%d %H:%M UTC"));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(used + clock.len());
    spans.push(Span::raw(" ".repeat(pad)));
    spans.push(Span::styled(clock, t.muted));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The line above the status bar: the field being typed in, else the latest notice.
fn draw_line(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let (prompt, text) = match s.focus {
        Focus::Palette => (":", s.palette.as_str()),
        Focus::Filter => ("filter: ", s.incidents.filter.as_str()),
        Focus::Query => ("/", s.search.input.as_str()),
        Focus::Question => ("ask: ", s.chat.input.as_str()),
        Focus::Confirm => ("type yes to run, Esc to cancel: ", s.runbooks.typed.as_str()),
        Focus::None => {
            let line = match &s.notice {
                Some(n) => Line::from(Span::styled(safe(n), t.warning)),
                None => Line::from(Span::styled(safe(&s.feed), t.muted)),
            };
            f.render_widget(Paragraph::new(line), area);
            return;
        }
    };
    // The end of a long field stays visible, with the cursor after it.
    let room = (area.width as usize).saturating_sub(prompt.len() + 1);
    let shown: String = {
        let n = text.chars().count();
        text.chars().skip(n.saturating_sub(room)).collect()
    };
    let line = Line::from(vec![
        Span::styled(prompt, t.accent),
        Span::styled(safe(&shown), t.text),
        Span::styled("█", t.accent),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn draw_status(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let mut spans = Vec::new();
    if let Some(text) = s.logs.status() {
        let indexing = s.logs.progress.as_ref().is_none_or(|p| p.indexing);
        spans.push(Span::styled(safe(&text), if indexing { t.accent } else { t.ok }));
        spans.push(Span::raw("  "));
    } else if s.sources.is_empty() {
        spans.push(Span::styled("no live sources", t.muted));
    }
    for src in &s.sources {
        let style = match src.state {
            SourceState::Ok => t.ok,
            SourceState::Degraded | SourceState::Starting => t.warning,
            SourceState::Down | SourceState::Unknown => t.critical,
        };
        spans.push(Span::styled(format!("{} {}", safe(&src.name), src.state), style));
        spans.push(Span::raw("  "));
    }
    let llm_style = match s.llm {
        LlmState::Failed => t.warning,
        LlmState::Streaming | LlmState::Analysing => t.accent,
        LlmState::Off | LlmState::Ready => t.muted,
    };
    spans.push(Span::styled(format!("  llm {}", s.llm), llm_style));
    spans.push(Span::styled("   q quit  Tab panes  / search  a ask  : cmd  ? help", t.muted));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_help(f: &mut Frame, t: &Theme, keys: &Keymap, body: Rect) {
    let footer = "ctrl-z suspend; in a field: enter, esc, up/down history, ctrl-u clear";
    let w = 100.min(body.width);
    // One column with the names for [ui.keys] when it fits, else two without.
    let two = keys.shown.len() as u16 + 3 > body.height || w < 90;
    let mut lines: Vec<Line> = Vec::new();
    if two {
        let half = keys.shown.len().div_ceil(2);
        let col = (w as usize).saturating_sub(2) / 2;
        let cell = |i: usize| -> Vec<Span<'static>> {
            match keys.shown.get(i) {
                Some((_, k, what)) => {
                    let k = clip(&k.join(" "), 11);
                    vec![
                        Span::styled(format!("{k:<12}"), t.accent),
                        Span::styled(format!("{:<w$}", clip(what, col - 12), w = col - 12), t.text),
                    ]
                }
                None => vec![],
            }
        };
        for r in 0..half {
            let mut spans = cell(r);
            spans.extend(cell(r + half));
            lines.push(Line::from(spans));
        }
    } else {
        for (name, k, what) in &keys.shown {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<18}", k.join(" ")), t.accent),
                Span::styled(format!("{what:<44}"), t.text),
                Span::styled(*name, t.muted),
            ]));
        }
    }
    lines.push(Line::from(Span::styled(footer, t.muted)));
    let h = (lines.len() as u16 + 2).min(body.height);
    let area = Rect { x: body.x + (body.width - w) / 2, y: body.y + (body.height - h) / 2, width: w, height: h };
    f.render_widget(Clear, area);
    let title = if two { " Keys " } else { " Keys (and their names for [ui.keys]) " };
    f.render_widget(Paragraph::new(lines).block(block(t, title.into())), area);
}

#[cfg(test)]
pub(crate) mod tests;
