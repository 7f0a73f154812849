//! Keys to actions. The defaults follow the habits of less, vim, lnav and k9s; `[ui.keys]`
//! in the config overrides any action's keys by name. While a text field has the focus
//! (a query, a question, the palette, a confirmation) keys type into it instead.

use std::collections::{BTreeMap, HashMap};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, Focus, Pane};

/// Every bindable action: its name in `[ui.keys]`, its default keys, and what `?` says.
pub const BINDINGS: &[(&str, &[&str], &str)] = &[
    ("down", &["j", "down"], "move down"),
    ("up", &["k", "up"], "move up"),
    ("top", &["g", "home"], "first"),
    ("bottom", &["G", "end"], "last"),
    ("page_down", &["pgdn", "space", "ctrl-f"], "page down"),
    ("page_up", &["pgup", "ctrl-b"], "page up"),
    ("open", &["enter"], "open, run, jump to"),
    ("back", &["esc"], "back, close, cancel"),
    ("next_pane", &["tab"], "next pane"),
    ("prev_pane", &["backtab"], "previous pane"),
    ("search", &["/"], "search logs (filter in incidents)"),
    ("next_match", &["n"], "next hit or citation"),
    ("prev_match", &["N"], "previous hit or citation"),
    ("follow", &["F"], "follow new hits, or the opened files"),
    ("trace", &["t"], "the trace of this hit"),
    ("ask", &["a", "i"], "ask the copilot"),
    ("edit", &["e"], "edit the question with its interpretation"),
    ("sort", &["s"], "sort incidents"),
    ("palette", &[":"], "command palette"),
    ("help", &["?"], "this help"),
    ("quit", &["q", "ctrl-c"], "quit"),
    ("tail", &["0"], "the opened files' tail"),
    ("incidents", &["1"], "incidents pane"),
    ("detail", &["2"], "incident detail pane"),
    ("logs", &["3"], "log search pane"),
    ("chat", &["4"], "chat pane"),
    ("runbooks", &["5"], "runbooks pane"),
];

fn named(name: &str) -> Option<Action> {
    Some(match name {
        "down" => Action::Down,
        "up" => Action::Up,
        "top" => Action::Top,
        "bottom" => Action::Bottom,
        "page_down" => Action::PageDown,
        "page_up" => Action::PageUp,
        "open" => Action::Open,
        "back" => Action::Back,
        "next_pane" => Action::NextPane,
        "prev_pane" => Action::PrevPane,
        "search" => Action::StartSearch,
        "next_match" => Action::NextMatch,
        "prev_match" => Action::PrevMatch,
        "follow" => Action::Follow,
        "trace" => Action::JumpTrace,
        "ask" => Action::StartAsk,
        "edit" => Action::EditQuestion,
        "sort" => Action::Sort,
        "palette" => Action::Palette,
        "help" => Action::Help,
        "quit" => Action::Quit,
        "tail" => Action::Goto(Pane::Tail),
        "incidents" => Action::Goto(Pane::Incidents),
        "detail" => Action::Goto(Pane::Detail),
        "logs" => Action::Goto(Pane::Search),
        "chat" => Action::Goto(Pane::Chat),
        "runbooks" => Action::Goto(Pane::Runbooks),
        _ => return None,
    })
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeyError {
    #[error("[ui.keys]: no action named '{0}' (see ? in the UI for the names)")]
    UnknownAction(String),
    #[error("[ui.keys] {action}: cannot read the key '{key}' (like q, G, ctrl-c, enter, esc, tab, pgdn, f5)")]
    BadKey { action: String, key: String },
}

/// A key as written in the config: `q`, `G`, `ctrl-c`, `enter`, `pgdn`, `f5`...
pub fn parse_key(spec: &str) -> Option<(KeyCode, KeyModifiers)> {
    let (mods, rest) = match spec.strip_prefix("ctrl-") {
        Some(r) if !r.is_empty() => (KeyModifiers::CONTROL, r),
        _ => match spec.strip_prefix("alt-") {
            Some(r) if !r.is_empty() => (KeyModifiers::ALT, r),
            _ => (KeyModifiers::NONE, spec),
        },
    };
    let code = match rest {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pgup" => KeyCode::PageUp,
        "pgdn" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "backspace" => KeyCode::Backspace,
        f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
        c if c.chars().count() == 1 => KeyCode::Char(c.chars().next()?),
        _ => return None,
    };
    Some((code, mods))
}

#[derive(Debug, Clone)]
pub struct Keymap {
    map: HashMap<(KeyCode, KeyModifiers), &'static str>,
    /// Action name -> the keys bound to it, for `?`.
    pub shown: Vec<(&'static str, Vec<String>, &'static str)>,
}

impl Keymap {
    /// The defaults with `overrides` applied: an action named there gets exactly its keys.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> Result<Self, KeyError> {
        if let Some(bad) = overrides.keys().find(|k| named(k).is_none()) {
            return Err(KeyError::UnknownAction(bad.clone()));
        }
        let mut map = HashMap::new();
        let mut shown = Vec::new();
        for (name, defaults, what) in BINDINGS {
            let keys: Vec<String> = match overrides.get(*name) {
                Some(keys) => keys.clone(),
                None => defaults.iter().map(|k| k.to_string()).collect(),
            };
            for k in &keys {
                let parsed =
                    parse_key(k).ok_or_else(|| KeyError::BadKey { action: name.to_string(), key: k.clone() })?;
                // A key given to an overridden action leaves the default it had.
                map.insert(normal(parsed), *name);
            }
            shown.push((*name, keys, *what));
        }
        Ok(Keymap { map, shown })
    }

    /// The action for `key` given where the focus is.
    pub fn action(&self, focus: &Focus, key: KeyEvent) -> Option<Action> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && key.code == KeyCode::Char('c') {
            return Some(Action::Quit);
        }
        if ctrl && key.code == KeyCode::Char('z') {
            return Some(Action::Suspend);
        }
        if *focus != Focus::None {
            return Some(match key.code {
                KeyCode::Enter => Action::Submit,
                KeyCode::Esc => Action::Back,
                KeyCode::Backspace => Action::Backspace,
                KeyCode::Up => Action::HistoryPrev,
                KeyCode::Down => Action::HistoryNext,
                KeyCode::Char('u') if ctrl => Action::ClearInput,
                KeyCode::Char(c) if !ctrl => Action::Char(c),
                _ => return None,
            });
        }
        self.map.get(&normal((key.code, key.modifiers))).and_then(|n| named(n))
    }
}

/// Shift is part of the character (`G`, `?`, `:`), not a modifier to match on.
fn normal((code, mods): (KeyCode, KeyModifiers)) -> (KeyCode, KeyModifiers) {
    match code {
        KeyCode::Char(_) | KeyCode::BackTab => (code, mods - KeyModifiers::SHIFT),
        _ => (code, mods),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn defaults_follow_terminal_habits_and_text_fields_take_keys() {
        let km = Keymap::new(&BTreeMap::new()).unwrap();
        let n = Focus::None;
        assert_eq!(km.action(&n, key(KeyCode::Char('j'))), Some(Action::Down));
        assert_eq!(km.action(&n, KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Action::Bottom));
        assert_eq!(km.action(&n, key(KeyCode::Esc)), Some(Action::Back));
        assert_eq!(km.action(&n, key(KeyCode::Char('/'))), Some(Action::StartSearch));
        assert_eq!(km.action(&n, key(KeyCode::Char('z'))), None);
        assert_eq!(km.action(&n, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        // Typing a query: q is a letter, not quit; Ctrl-C still quits.
        let q = Focus::Query;
        assert_eq!(km.action(&q, key(KeyCode::Char('q'))), Some(Action::Char('q')));
        assert_eq!(km.action(&q, key(KeyCode::Enter)), Some(Action::Submit));
        assert_eq!(km.action(&q, KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
    }

    #[test]
    fn overrides_rebind_by_name_and_bad_names_are_refused() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["x".to_string()]);
        o.insert("down".to_string(), vec!["ctrl-n".to_string(), "j".to_string()]);
        let km = Keymap::new(&o).unwrap();
        assert_eq!(km.action(&Focus::None, key(KeyCode::Char('x'))), Some(Action::Quit));
        assert_eq!(km.action(&Focus::None, key(KeyCode::Char('q'))), None, "q no longer quits");
        assert_eq!(
            km.action(&Focus::None, KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL)),
            Some(Action::Down)
        );
        o.insert("explode".to_string(), vec!["x".to_string()]);
        assert_eq!(Keymap::new(&o).unwrap_err(), KeyError::UnknownAction("explode".into()));
        let mut o = BTreeMap::new();
        o.insert("quit".to_string(), vec!["ctrl-".to_string()]);
        assert!(matches!(Keymap::new(&o), Err(KeyError::BadKey { .. })));
    }
}
