//! The tail of the opened files (`firewatch FILE...`): their newest lines, read straight from
//! the end of the files so they are on the first screen, newest at the bottom as in `tail -f`.
//! `F` follows the files as they grow; Up, PageUp and `g` scroll back through what is held.

use ratatui::layout::{Margin, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{redraw_if, Effect};
use crate::engine::open::OpenProgress;
use crate::ui::theme::Theme;
use crate::ui::view::{block, safe};
use crate::ui::{Action, Pane, State, Task};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogsPane {
    /// Files were opened: the pane is there (otherwise its tab is not drawn).
    pub active: bool,
    /// The file's name, or "3 files".
    pub name: String,
    /// The newest lines, oldest first.
    pub lines: Vec<String>,
    /// Lines scrolled back from the newest.
    pub scroll: usize,
    /// The files are followed: what is appended is shown and indexed.
    pub following: bool,
    /// The background indexing, once it has said how far it is.
    pub progress: Option<OpenProgress>,
}

impl LogsPane {
    pub fn opened(name: String, lines: Vec<String>, following: bool) -> Self {
        LogsPane { active: true, name, lines, scroll: 0, following, progress: None }
    }

    /// The furthest back the view goes: the oldest line held at the top of a page.
    fn max_scroll(&self, page: usize) -> usize {
        self.lines.len().saturating_sub(page)
    }

    /// `None`: not this pane's action.
    pub fn update(&mut self, a: Action, page: usize) -> Option<Vec<Effect>> {
        let before = self.scroll;
        let max = self.max_scroll(page);
        match a {
            Action::Up => self.scroll = (self.scroll + 1).min(max),
            Action::Down => self.scroll = self.scroll.saturating_sub(1),
            Action::PageUp => self.scroll = (self.scroll + page).min(max),
            Action::PageDown => self.scroll = self.scroll.saturating_sub(page),
            Action::Top => self.scroll = max,
            Action::Bottom => self.scroll = 0,
            Action::Follow => {
                self.following = !self.following;
                // Following is watching the end.
                if self.following {
                    self.scroll = 0;
                }
                return Some(vec![
                    Effect::Task(Task::FollowFiles(self.following)),
                    Effect::Goto(Pane::Tail),
                    Effect::Redraw,
                ]);
            }
            Action::Tail(lines) => {
                // Scrolled back, the view stays on the lines it shows while new ones come below.
                let grown = lines.len().saturating_sub(self.lines.len());
                if self.scroll > 0 {
                    self.scroll = (self.scroll + grown).min(lines.len().saturating_sub(1));
                }
                self.lines = lines;
                return Some(vec![Effect::Redraw]);
            }
            _ => return None,
        }
        Some(redraw_if(self.scroll != before))
    }

    /// What the status bar says: the indexing, and whether the files are followed.
    pub fn status(&self) -> Option<String> {
        if !self.active {
            return None;
        }
        let mut text = match &self.progress {
            Some(p) => p.status_text(),
            None => format!("indexing {}…", self.name),
        };
        if self.following {
            text.push_str("  following");
        }
        Some(text)
    }
}

/// Lines that say they are errors or warnings are coloured so.
fn style_of(line: &str, t: &Theme) -> ratatui::style::Style {
    let head: String = line.chars().take(120).collect::<String>().to_ascii_uppercase();
    if ["ERROR", "FATAL", "PANIC", "CRIT"].iter().any(|w| head.contains(w)) {
        t.critical
    } else if head.contains("WARN") {
        t.warning
    } else {
        t.text
    }
}

pub fn draw(f: &mut Frame, s: &State, t: &Theme, area: Rect) {
    let v = &s.logs;
    let mut title = format!(" Tail: {} ", safe(&v.name));
    if v.following {
        title.push_str("| following ");
    } else {
        title.push_str("| F: follow ");
    }
    if v.scroll > 0 {
        title.push_str(&format!("| {} lines back ", v.scroll));
    }
    f.render_widget(block(t, title), area);
    let inner = area.inner(Margin::new(1, 1));
    let rows = inner.height as usize;
    if v.lines.is_empty() {
        let msg = if v.following { "waiting for lines…" } else { "no lines yet (F: follow the file as it grows)" };
        f.render_widget(Paragraph::new(msg).style(t.muted), inner);
        return;
    }
    let end = v.lines.len().saturating_sub(v.scroll);
    let start = end.saturating_sub(rows);
    let lines: Vec<Line> =
        v.lines[start..end].iter().map(|l| Line::from(Span::styled(safe(l), style_of(l, t)))).collect();
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane(n: usize) -> LogsPane {
        LogsPane::opened("app.log".into(), (1..=n).map(|i| format!("line {i}")).collect(), false)
    }

    #[test]
    fn scrolling_goes_back_through_the_lines_held_and_follow_returns_to_the_end() {
        let mut p = pane(100);
        p.update(Action::PageUp, 20);
        p.update(Action::Up, 20);
        assert_eq!(p.scroll, 21);
        p.update(Action::Top, 20);
        assert_eq!(p.scroll, 80, "the oldest line at the top of the page");
        assert_eq!(p.update(Action::Up, 20), Some(vec![]), "no further back, no redraw");
        // New lines while scrolled back: the view stays on what it showed.
        let mut more = p.lines.clone();
        more.extend(["line 101".to_string(), "line 102".to_string()]);
        p.update(Action::Tail(more), 20);
        assert_eq!(p.scroll, 82);
        let e = p.update(Action::Follow, 20).unwrap();
        assert!(e.contains(&Effect::Task(Task::FollowFiles(true))), "{e:?}");
        assert_eq!((p.following, p.scroll), (true, 0));
        assert_eq!(p.status().unwrap(), "indexing app.log…  following");
        assert_eq!(p.update(Action::Sort, 20), None, "not this pane's");
    }
}
