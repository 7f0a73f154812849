//! The terminal UI, in the Elm shape: one [`Action`] enum, background tasks that only send
//! actions, one [`update`] that applies them to the [`State`], and drawing ([`view`]) as a
//! pure function of the state. This is the first cut: the state, the keys, the themes and
//! the incidents pane with the status bar; the other panes and the event loop follow.

pub mod theme;
pub mod view;

use chrono::{DateTime, Utc};

use crate::analysis::incidents::Incident;

/// The smallest terminal the layout is made for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Incidents,
    Detail,
    Search,
    Chat,
    Runbooks,
}

impl Pane {
    pub const ALL: [Pane; 5] = [Pane::Incidents, Pane::Detail, Pane::Search, Pane::Chat, Pane::Runbooks];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Incidents => "Incidents",
            Pane::Detail => "Detail",
            Pane::Search => "Search",
            Pane::Chat => "Chat",
            Pane::Runbooks => "Runbooks",
        }
    }
}

/// One line of the incidents list, already reduced to what is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub firing: bool,
    /// critical, warning, or info: the worst of its alerts.
    pub severity: String,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub alerts: usize,
    pub cause: Option<(String, f64)>,
}

impl IncidentRow {
    pub fn from_incident(i: &Incident) -> Self {
        let rank = |s: &str| match s {
            "critical" | "page" => 3,
            "warning" => 2,
            _ => 1,
        };
        let severity = i
            .alerts
            .iter()
            .filter_map(|a| a.labels.get("severity"))
            .max_by_key(|s| rank(s))
            .cloned()
            .unwrap_or_else(|| "info".into());
        IncidentRow {
            id: i.id.clone(),
            title: i.title.clone(),
            firing: i.status == "firing",
            severity,
            services: i.services.clone(),
            regions: i.regions.clone(),
            started_at: i.started_at,
            alerts: i.alerts.len(),
            cause: i.root_cause.as_ref().map(|r| (r.service.clone(), r.confidence)),
        }
    }
}

/// A source's health as the status bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub name: String,
    /// ok, degraded, down, starting
    pub state: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub pane: Pane,
    pub incidents: Vec<IncidentRow>,
    pub selected: usize,
    pub sources: Vec<SourceStatus>,
    /// off, ready, streaming, failed
    pub llm: String,
    pub help: bool,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub quit: bool,
}

impl State {
    pub fn new(now: DateTime<Utc>) -> Self {
        State {
            pane: Pane::Incidents,
            incidents: Vec::new(),
            selected: 0,
            sources: Vec::new(),
            llm: "off".into(),
            help: false,
            now,
            size: MIN_SIZE,
            quit: false,
        }
    }

    pub fn selected_incident(&self) -> Option<&IncidentRow> {
        self.incidents.get(self.selected)
    }
}

/// Everything that can change the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    NextPane,
    PrevPane,
    Help,
    Quit,
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Incidents(Vec<IncidentRow>),
    Sources(Vec<SourceStatus>),
}

/// A key, as the terminal reports it, to an action (the habits of less, vim and k9s).
pub fn action_for(key: ratatui::crossterm::event::KeyEvent) -> Option<Action> {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown | KeyCode::Char(' ') => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Enter => Action::Open,
        KeyCode::Esc => Action::Back,
        KeyCode::Tab => Action::NextPane,
        KeyCode::BackTab => Action::PrevPane,
        KeyCode::Char('?') => Action::Help,
        _ => return None,
    })
}

/// Applies one action. Returns whether anything visible changed (redraw only then).
pub fn update(s: &mut State, a: Action) -> bool {
    let before = s.clone();
    let last = s.incidents.len().saturating_sub(1);
    let page = (s.size.1 as usize).saturating_sub(8).max(1);
    match a {
        Action::Up => s.selected = s.selected.saturating_sub(1),
        Action::Down => s.selected = (s.selected + 1).min(last),
        Action::Top => s.selected = 0,
        Action::Bottom => s.selected = last,
        Action::PageUp => s.selected = s.selected.saturating_sub(page),
        Action::PageDown => s.selected = (s.selected + page).min(last),
        Action::Open if s.pane == Pane::Incidents && !s.incidents.is_empty() => s.pane = Pane::Detail,
        Action::Open => {}
        Action::Back if s.help => s.help = false,
        Action::Back => s.pane = Pane::Incidents,
        Action::NextPane | Action::PrevPane => {
            let i = Pane::ALL.iter().position(|p| *p == s.pane).unwrap_or(0);
            let n = Pane::ALL.len();
            s.pane = Pane::ALL[if a == Action::NextPane { (i + 1) % n } else { (i + n - 1) % n }];
        }
        Action::Help => s.help = !s.help,
        Action::Quit => s.quit = true,
        Action::Resize(w, h) => s.size = (w, h),
        Action::Tick(now) => s.now = now,
        Action::Incidents(rows) => {
            // Keep the same incident selected when the list changes under it.
            let keep = s.selected_incident().map(|r| r.id.clone());
            s.incidents = rows;
            s.selected = keep.and_then(|id| s.incidents.iter().position(|r| r.id == id)).unwrap_or(0);
        }
        Action::Sources(src) => s.sources = src,
    }
    *s != before
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(id: &str) -> IncidentRow {
        IncidentRow {
            id: id.into(),
            title: format!("t {id}"),
            firing: true,
            severity: "critical".into(),
            services: vec![],
            regions: vec![],
            started_at: Utc.with_ymd_and_hms(2026, 11, 20, 15, 0, 0).unwrap(),
            alerts: 1,
            cause: None,
        }
    }

    #[test]
    fn moving_is_bounded_and_the_selection_follows_its_incident() {
        let mut s = State::new(Utc::now());
        assert!(update(&mut s, Action::Incidents(vec![row("a"), row("b"), row("c")])));
        assert!(!update(&mut s, Action::Up), "nothing above the top: no redraw");
        update(&mut s, Action::Bottom);
        assert_eq!(s.selected, 2);
        assert!(!update(&mut s, Action::Down));
        update(&mut s, Action::Incidents(vec![row("x"), row("c"), row("a")]));
        assert_eq!(s.selected_incident().unwrap().id, "c");
        update(&mut s, Action::Open);
        assert_eq!(s.pane, Pane::Detail);
        update(&mut s, Action::Back);
        assert_eq!(s.pane, Pane::Incidents);
        update(&mut s, Action::PrevPane);
        assert_eq!(s.pane, Pane::Runbooks);
    }

    #[test]
    fn keys_follow_terminal_habits() {
        use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let k = |c| action_for(KeyEvent::new(c, KeyModifiers::NONE));
        assert_eq!(k(KeyCode::Char('j')), Some(Action::Down));
        assert_eq!(k(KeyCode::Char('G')), Some(Action::Bottom));
        assert_eq!(k(KeyCode::Esc), Some(Action::Back));
        assert_eq!(action_for(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(k(KeyCode::Char('z')), None);
    }
}
