//! The terminal UI, in the Elm shape: one [`Action`] enum, background tasks that only send
//! actions (see [`app`]), one [`update`] that applies them to the [`State`] and says what
//! work to start ([`Task`]), and drawing ([`view`]) as a pure function of the state.
//!
//! Each pane (`panes/`) owns its state, its update and its draw. [`update`] is a
//! dispatcher: the frame's own actions (typing, focus, help, the palette, the clock) are
//! handled here; any other goes to the pane that owns it, and the [`Effect`]s the pane
//! returns, the ones that reach beyond it, are carried out here.

pub mod app;
pub mod chart;
pub mod keys;
pub mod panes;
pub mod rows;
pub mod theme;
pub mod view;

use chrono::{DateTime, Utc};

use crate::copilot::chat::{ChatEvent, Effect as ChatEffect};
use crate::copilot::offline::Evidence;
use panes::chat::{Asking, ChatPane};
use panes::detail::DetailPane;
use panes::incidents::IncidentsPane;
pub use panes::incidents::Sort;
use panes::logs::LogsPane;
use panes::palette::Command;
use panes::runbooks::RunbooksPane;
use panes::search::SearchPane;
pub use panes::search::{HitRow, SearchResults};
use panes::Effect;
pub use rows::{Detail, IncidentRow};

/// The smallest terminal the layout is made for.
pub const MIN_SIZE: (u16, u16) = (80, 24);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    /// The tail of the opened files; there only when files were opened.
    Tail,
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
            Pane::Tail => "Tail",
            Pane::Incidents => "Incidents",
            Pane::Detail => "Detail",
            Pane::Search => "Logs",
            Pane::Chat => "Chat",
            Pane::Runbooks => "Runbooks",
        }
    }

    /// The key that goes to the pane, shown on its tab.
    pub fn key(self) -> char {
        match self {
            Pane::Tail => '0',
            Pane::Incidents => '1',
            Pane::Detail => '2',
            Pane::Search => '3',
            Pane::Chat => '4',
            Pane::Runbooks => '5',
        }
    }
}

/// Where typed keys go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Focus {
    None,
    /// The incidents filter.
    Filter,
    /// The log search query.
    Query,
    /// The chat question.
    Question,
    Palette,
    /// Typing `yes` to run a runbook step.
    Confirm,
}

/// A source's health as the status bar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceStatus {
    pub name: String,
    pub state: SourceState,
}

/// The states of [`crate::sources::feed::Health`], as stored by the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    Starting,
    Ok,
    Degraded,
    Down,
    /// A row this version cannot read (written by another version, or damaged).
    Unknown,
}

impl SourceState {
    /// The state of a stored health row: `{"state": "ok", ...}` (or a bare `"starting"`).
    pub fn of_stored(json: &str) -> SourceState {
        let name = match serde_json::from_str::<serde_json::Value>(json) {
            Ok(serde_json::Value::Object(m)) => m.get("state").and_then(|s| s.as_str()).map(str::to_owned),
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => None,
        };
        match name.as_deref() {
            Some("starting") => SourceState::Starting,
            Some("ok") => SourceState::Ok,
            Some("degraded") => SourceState::Degraded,
            Some("down") => SourceState::Down,
            _ => SourceState::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Starting => "starting",
            SourceState::Ok => "ok",
            SourceState::Degraded => "degraded",
            SourceState::Down => "down",
            SourceState::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for SourceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the status bar says of the LLM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmState {
    /// No `[llm]` configured: answers are offline.
    Off,
    Ready,
    Analysing,
    Streaming,
    Failed,
}

impl LlmState {
    pub fn as_str(self) -> &'static str {
        match self {
            LlmState::Off => "off",
            LlmState::Ready => "ready",
            LlmState::Analysing => "analysing",
            LlmState::Streaming => "streaming",
            LlmState::Failed => "failed",
        }
    }
}

impl std::fmt::Display for LlmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The whole UI: the panes, each with its own state, and what the frame around them shows.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub pane: Pane,
    pub focus: Focus,
    pub incidents: IncidentsPane,
    pub detail: DetailPane,
    pub search: SearchPane,
    pub chat: ChatPane,
    pub runbooks: RunbooksPane,
    pub logs: LogsPane,
    /// The command line being typed after `:`.
    pub palette: String,
    pub sources: Vec<SourceStatus>,
    pub llm: LlmState,
    /// What the data is: "demo replay 15:04 (x30)", or the data dir.
    pub feed: String,
    pub notice: Option<String>,
    pub help: bool,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub quit: bool,
}

impl State {
    pub fn new(now: DateTime<Utc>) -> Self {
        State {
            pane: Pane::Incidents,
            focus: Focus::None,
            incidents: IncidentsPane::default(),
            detail: DetailPane::default(),
            search: SearchPane::default(),
            chat: ChatPane::default(),
            runbooks: RunbooksPane::default(),
            logs: LogsPane::default(),
            palette: String::new(),
            sources: Vec::new(),
            llm: LlmState::Off,
            feed: String::new(),
            notice: None,
            help: false,
            now,
            size: MIN_SIZE,
            quit: false,
        }
    }

    /// The panes with a tab: the tail first when files were opened.
    pub fn panes(&self) -> Vec<Pane> {
        let tail = self.logs.active.then_some(Pane::Tail);
        tail.into_iter().chain(Pane::ALL).collect()
    }

    pub fn selected_incident(&self) -> Option<&IncidentRow> {
        self.incidents.selected_row()
    }

    /// Rows the body of a pane has, for paging.
    fn page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(8).max(1)
    }

    /// The incident the chat and runbooks are about.
    fn incident_id(&self) -> Option<String> {
        self.incidents.selected_id()
    }

    fn asking(&self) -> Asking {
        Asking { incident: self.incident_id(), now: self.now }
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
    Goto(Pane),
    StartSearch,
    NextMatch,
    PrevMatch,
    Follow,
    JumpTrace,
    StartAsk,
    EditQuestion,
    Sort,
    Palette,
    Help,
    Quit,
    /// Ctrl-Z: handled by the loop (it owns the terminal).
    Suspend,
    // Text fields.
    Char(char),
    Backspace,
    ClearInput,
    Submit,
    HistoryPrev,
    HistoryNext,
    /// A left click at (column, row), with `[ui] mouse = true`.
    Click(u16, u16),
    // From the terminal and the background tasks.
    Resize(u16, u16),
    Tick(DateTime<Utc>),
    Incidents(Vec<IncidentRow>),
    Sources(Vec<SourceStatus>),
    Feed(String),
    Llm(LlmState),
    SearchDone {
        seq: u64,
        results: SearchResults,
    },
    SearchFailed {
        seq: u64,
        error: String,
    },
    /// The chart of a cited metric for the search `seq`, or why there is none.
    ChartDone {
        seq: u64,
        chart: Result<chart::MetricChart, String>,
    },
    Chat(ChatEvent),
    /// The newest lines of the opened files.
    Tail(Vec<String>),
    /// How far the background indexing of the opened files is.
    Indexing(crate::engine::open::OpenProgress),
    StepDone {
        runbook: String,
        step: usize,
        text: String,
        ok: bool,
    },
    Notice(String),
}

/// Work the loop starts for an action; its results come back as actions.
#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    /// `fallback`: what to search when `query` finds nothing, around a time (a citation
    /// whose text is a summary, not a stored line).
    Search {
        seq: u64,
        query: String,
        fallback: Option<(String, DateTime<Utc>)>,
    },
    /// Read the series a metric citation names; it belongs with the search `seq`.
    Chart {
        seq: u64,
        evidence: Box<Evidence>,
    },
    Chat(ChatEffect),
    /// A runbook step the user confirmed by typing yes.
    RunStep {
        incident: Option<String>,
        runbook: String,
        step: usize,
    },
    /// Write the postmortem draft of this incident.
    Export {
        incident: String,
    },
    Theme(String),
    /// Follow the opened files (or stop).
    FollowFiles(bool),
}

/// What applying an action did: redraw or not, and the work to start.
#[derive(Debug, Default, PartialEq)]
pub struct Update {
    pub redraw: bool,
    pub tasks: Vec<Task>,
}

impl Update {
    fn redraw() -> Self {
        Update { redraw: true, tasks: Vec::new() }
    }
}

/// Applies one action: the one place the state changes.
pub fn update(s: &mut State, a: Action) -> Update {
    let page = s.page();
    // Esc also dismisses the notice, whatever else it does.
    let dismissed = a == Action::Back && s.notice.take().is_some();
    let mut u = frame(s, a, page);
    u.redraw |= dismissed;
    u
}

/// An action for the panes: the owner's effects carried out; Esc that no pane takes goes
/// back to the incidents.
fn to_panes(s: &mut State, a: Action, page: usize) -> Update {
    let back = a == Action::Back;
    match dispatch(s, a, page) {
        Some(effects) => run(s, effects),
        None if back => {
            let changed = s.pane != Pane::Incidents;
            s.pane = Pane::Incidents;
            Update { redraw: changed, tasks: Vec::new() }
        }
        None => Update::default(),
    }
}

/// The pane that owns an action: the one it is about, else the one on screen.
fn owner(s: &State, a: &Action) -> Pane {
    match a {
        Action::Incidents(_) | Action::Sort => Pane::Incidents,
        Action::StartSearch if s.pane == Pane::Incidents => Pane::Incidents,
        // With files opened, F follows them (new hits come with each commit anyway).
        Action::Tail(_) => Pane::Tail,
        Action::Follow if s.logs.active => Pane::Tail,
        Action::StartSearch
        | Action::Follow
        | Action::JumpTrace
        | Action::SearchDone { .. }
        | Action::SearchFailed { .. }
        | Action::ChartDone { .. } => Pane::Search,
        Action::Chat(_) | Action::StartAsk | Action::EditQuestion => Pane::Chat,
        Action::StepDone { .. } => Pane::Runbooks,
        _ => s.pane,
    }
}

/// Hands the action to its pane; `None` when the pane has nothing to do with it.
fn dispatch(s: &mut State, a: Action, page: usize) -> Option<Vec<Effect>> {
    match owner(s, &a) {
        Pane::Tail => s.logs.update(a, page),
        Pane::Incidents => s.incidents.update(a, page),
        Pane::Detail => s.detail.update(a, page),
        Pane::Search => s.search.update(a, page, s.chat.opened.is_some()),
        Pane::Chat => s.chat.update(a),
        Pane::Runbooks => s.runbooks.update(a, s.incidents.selected_row()),
    }
}

/// Carries out what the panes asked for, in order.
fn run(s: &mut State, effects: Vec<Effect>) -> Update {
    let mut u = Update::default();
    for e in effects {
        match e {
            Effect::Redraw => u.redraw = true,
            Effect::Task(t) => u.tasks.push(t),
            Effect::Goto(p) => s.pane = p,
            Effect::Focus(f) => s.focus = f,
            Effect::Notice(n) => s.notice = Some(n),
            Effect::Search { query, origin, fallback } => {
                s.search.selected = 0;
                let mut t = s.search.start(query, Some(origin));
                if let Task::Search { fallback: f, .. } = &mut t {
                    *f = Some(fallback);
                }
                u.tasks.push(t);
            }
            Effect::Chart(evidence) => u.tasks.push(Task::Chart { seq: s.search.seq, evidence }),
            Effect::Llm(l) => s.llm = l,
            Effect::Rescope => s.chat.follow_incident(s.incidents.selected_id()),
            Effect::Selected => {
                s.chat.follow_incident(s.incidents.selected_id());
                s.detail.scroll = 0;
                s.runbooks.to_top();
            }
            Effect::DetailTop => s.detail.scroll = 0,
            Effect::BackToAnswer => {
                s.chat.opened = None;
                s.pane = Pane::Chat;
            }
        }
    }
    u
}

/// The actions of the frame around the panes; any other goes on to the status bar's, then
/// to the panes.
fn frame(s: &mut State, a: Action, page: usize) -> Update {
    match a {
        Action::Char(c) => {
            // Control characters never enter a field (a paste of an escape sequence, say).
            if c.is_control() {
                return Update::default();
            }
            edit_field(s, |f| f.push(c))
        }
        Action::Backspace => edit_field(s, |f| {
            f.pop();
        }),
        Action::ClearInput => edit_field(s, String::clear),
        Action::Submit => submit(s),
        Action::HistoryPrev | Action::HistoryNext if s.focus == Focus::Query => {
            let e = s.search.recall(&a);
            run(s, e)
        }
        Action::HistoryPrev | Action::HistoryNext | Action::Suspend => Update::default(),
        Action::Back if s.focus != Focus::None => {
            let e = if s.focus == Focus::Confirm { s.runbooks.cancel() } else { Vec::new() };
            s.focus = Focus::None;
            let mut u = run(s, e);
            u.redraw = true;
            u
        }
        Action::Back if s.help => {
            s.help = false;
            Update::redraw()
        }
        Action::NextPane | Action::PrevPane => {
            let panes = s.panes();
            let i = panes.iter().position(|p| *p == s.pane).unwrap_or(0);
            let n = panes.len();
            s.pane = panes[if a == Action::NextPane { (i + 1) % n } else { (i + n - 1) % n }];
            Update::redraw()
        }
        Action::Click(x, y) => click(s, x, y, page),
        Action::Goto(Pane::Tail) if !s.logs.active => Update::default(),
        Action::Goto(p) => {
            let changed = s.pane != p;
            s.pane = p;
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::Palette => {
            s.focus = Focus::Palette;
            s.palette.clear();
            Update::redraw()
        }
        Action::Help => {
            s.help = !s.help;
            Update::redraw()
        }
        Action::Quit => {
            s.quit = true;
            Update::redraw()
        }
        Action::Notice(n) => {
            s.notice = Some(n);
            Update::redraw()
        }
        a => status(s, a, page),
    }
}

/// What the background tasks report for the status bar and the clock.
fn status(s: &mut State, a: Action, page: usize) -> Update {
    fn set<T: PartialEq>(field: &mut T, v: T) -> Update {
        let changed = *field != v;
        *field = v;
        Update { redraw: changed, tasks: Vec::new() }
    }
    match a {
        Action::Resize(w, h) => set(&mut s.size, (w, h)),
        Action::Sources(src) => set(&mut s.sources, src),
        Action::Feed(f) => set(&mut s.feed, f),
        Action::Llm(l) => set(&mut s.llm, l),
        Action::Indexing(p) => {
            // A commit: what was searched may have more hits now.
            if s.logs.progress.as_ref().is_none_or(|old| old.commit != p.commit) {
                s.search.commit_landed();
            }
            set(&mut s.logs.progress, Some(p))
        }
        Action::Tick(now) => {
            // The clock is drawn to the minute: redraw only when the minute turns.
            let changed = now.timestamp() / 60 != s.now.timestamp() / 60;
            s.now = now;
            Update { redraw: changed, tasks: s.search.tick().into_iter().collect() }
        }
        a => to_panes(s, a, page),
    }
}

/// A click on a tab goes there; on a row, selects it; on the selected row, opens it (as
/// Enter). Typing in a field takes no clicks: the field keeps the keys.
fn click(s: &mut State, x: u16, y: u16, page: usize) -> Update {
    if s.focus != Focus::None {
        return Update::default();
    }
    match view::target(s, x, y) {
        Some(view::Target::Tab(p)) => frame(s, Action::Goto(p), page),
        Some(view::Target::Row(i)) => {
            let selected = if s.pane == Pane::Search { &mut s.search.selected } else { &mut s.incidents.selected };
            if *selected == i {
                frame(s, Action::Open, page)
            } else {
                *selected = i;
                Update::redraw()
            }
        }
        None => Update::default(),
    }
}

/// Enter in a field: what it does depends on the field.
fn submit(s: &mut State) -> Update {
    let focus = std::mem::replace(&mut s.focus, Focus::None);
    let effects = match focus {
        Focus::None => return Update::default(),
        Focus::Filter => vec![Effect::Redraw],
        Focus::Query => s.search.submit(),
        Focus::Question => {
            let cx = s.asking();
            s.chat.submit(cx)
        }
        Focus::Palette => {
            let line = std::mem::take(&mut s.palette);
            return command(s, Command::parse(&line));
        }
        Focus::Confirm => {
            let incident = s.incident_id();
            s.runbooks.submit(incident)
        }
    };
    run(s, effects)
}

/// Carries out a palette command.
fn command(s: &mut State, c: Command) -> Update {
    let effects = match c {
        Command::Quit => {
            s.quit = true;
            vec![Effect::Redraw]
        }
        Command::Goto(p) => vec![Effect::Goto(p), Effect::Redraw],
        Command::Search(q) => {
            let t = s.search.start(q, None);
            vec![Effect::Goto(Pane::Search), Effect::Task(t), Effect::Redraw]
        }
        Command::Ask(question) => {
            s.pane = Pane::Chat;
            let ev = ChatEvent::Submit { question, incident: s.incident_id(), now: s.now };
            s.chat.handle(ev)
        }
        Command::Filter(f) => {
            s.incidents.filter = f;
            s.incidents.refilter();
            vec![Effect::Rescope, Effect::Goto(Pane::Incidents), Effect::Redraw]
        }
        Command::Theme(name) => vec![Effect::Task(Task::Theme(name)), Effect::Redraw],
        Command::Export => match s.incident_id() {
            Some(incident) => vec![Effect::Task(Task::Export { incident }), Effect::Redraw],
            None => vec![Effect::Notice("no incident selected".into()), Effect::Redraw],
        },
        Command::Follow if s.logs.active => return to_panes(s, Action::Follow, s.page()),
        Command::Follow => {
            s.search.follow = !s.search.follow;
            vec![Effect::Goto(Pane::Search), Effect::Redraw]
        }
        Command::Help => {
            s.help = true;
            vec![Effect::Redraw]
        }
        Command::Unknown(line) => vec![Effect::Notice(panes::palette::unknown(&line)), Effect::Redraw],
    };
    run(s, effects)
}

fn text_input(s: &mut State) -> Option<&mut String> {
    match s.focus {
        Focus::None => None,
        Focus::Filter => Some(&mut s.incidents.filter),
        Focus::Query => Some(&mut s.search.input),
        Focus::Question => Some(&mut s.chat.input),
        Focus::Palette => Some(&mut s.palette),
        Focus::Confirm => Some(&mut s.runbooks.typed),
    }
}

/// Edits the focused text field; the incidents list follows its filter as it is typed.
fn edit_field(s: &mut State, edit: impl FnOnce(&mut String)) -> Update {
    let Some(field) = text_input(s) else { return Update::default() };
    edit(field);
    if s.focus == Focus::Filter {
        s.incidents.refilter();
        s.chat.follow_incident(s.incidents.selected_id());
    }
    Update::redraw()
}
#[cfg(test)]
mod tests;
