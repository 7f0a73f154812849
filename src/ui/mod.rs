//! The terminal UI, in the Elm shape: one [`Action`] enum, background tasks that only send
//! actions (see [`app`]), one [`update`] that applies them to the [`State`] and says what
//! work to start ([`Task`]), and drawing ([`view`]) as a pure function of the state.

pub mod app;
pub mod chart;
pub mod keys;
pub mod panes;
pub mod rows;
pub mod theme;
pub mod view;

use chrono::{DateTime, Utc};

use crate::copilot::chat::{Chat, ChatEvent, Effect};
use crate::copilot::offline::Evidence;
pub use rows::{Detail, IncidentRow};

/// The smallest terminal the layout is made for.
pub const MIN_SIZE: (u16, u16) = (80, 24);
/// Queries kept in the search history.
const HISTORY: usize = 100;

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
            Pane::Search => "Logs",
            Pane::Chat => "Chat",
            Pane::Runbooks => "Runbooks",
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
    /// ok, degraded, down, starting
    pub state: String,
}

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

/// One search hit, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct HitRow {
    pub timestamp: DateTime<Utc>,
    pub service: String,
    pub severity: String,
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchView {
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
    pub chart: Option<chart::MetricChart>,
    seq: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatView {
    pub chat: Chat,
    pub input: String,
    /// The citation picked with n/N in the last answer.
    pub citation: Option<usize>,
    /// The evidence opened from a citation.
    pub opened: Option<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunbooksView {
    pub runbook: usize,
    pub step: usize,
    /// The step waiting for `yes`: (runbook id, step index, exact text).
    pub confirm: Option<(String, usize, String)>,
    pub typed: String,
    /// Results of steps run, newest last: (runbook, step, text, ok).
    pub log: Vec<(String, usize, String, bool)>,
    pub running: Option<(String, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub pane: Pane,
    pub focus: Focus,
    pub incidents: Vec<IncidentRow>,
    /// How many of them are firing (counted once per refresh, not per frame).
    pub open: usize,
    /// Indices into `incidents` after filter and sort: what the list shows.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub filter: String,
    pub sort: Sort,
    pub search: SearchView,
    pub chat: ChatView,
    pub runbooks: RunbooksView,
    pub palette: String,
    pub sources: Vec<SourceStatus>,
    /// off, ready, streaming, failed
    pub llm: String,
    /// What the data is: "demo replay 15:04 (x30)", or the data dir.
    pub feed: String,
    pub notice: Option<String>,
    pub help: bool,
    pub now: DateTime<Utc>,
    pub size: (u16, u16),
    pub quit: bool,
    /// Detail pane scroll, lines.
    pub scroll: u16,
}

impl State {
    pub fn new(now: DateTime<Utc>) -> Self {
        State {
            pane: Pane::Incidents,
            focus: Focus::None,
            incidents: Vec::new(),
            open: 0,
            visible: Vec::new(),
            selected: 0,
            filter: String::new(),
            sort: Sort::Open,
            search: SearchView::default(),
            chat: ChatView::default(),
            runbooks: RunbooksView::default(),
            palette: String::new(),
            sources: Vec::new(),
            llm: "off".into(),
            feed: String::new(),
            notice: None,
            help: false,
            now,
            size: MIN_SIZE,
            quit: false,
            scroll: 0,
        }
    }

    pub fn selected_incident(&self) -> Option<&IncidentRow> {
        self.visible.get(self.selected).and_then(|&i| self.incidents.get(i))
    }

    /// Rows the body of a pane has, for paging.
    fn page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(8).max(1)
    }

    fn refilter(&mut self) {
        let keep = self.selected_incident().map(|r| r.id.clone());
        self.refilter_keeping(keep);
    }

    fn refilter_keeping(&mut self, keep: Option<String>) {
        let needle = self.filter.to_lowercase();
        let mut v: Vec<usize> = (0..self.incidents.len())
            .filter(|&i| {
                let r = &self.incidents[i];
                needle.is_empty()
                    || r.title.to_lowercase().contains(&needle)
                    || r.id.contains(&needle)
                    || r.services.iter().chain(&r.regions).any(|s| s.to_lowercase().contains(&needle))
                    || r.severity.contains(&needle)
            })
            .collect();
        let rows = &self.incidents;
        match self.sort {
            Sort::Open => v.sort_by_key(|&i| (!rows[i].firing, std::cmp::Reverse(rows[i].started_at))),
            Sort::Newest => v.sort_by_key(|&i| std::cmp::Reverse(rows[i].started_at)),
            Sort::Severity => v.sort_by_key(|&i| {
                (std::cmp::Reverse(rows::severity_rank(&rows[i].severity)), std::cmp::Reverse(rows[i].started_at))
            }),
            Sort::Alerts => {
                v.sort_by_key(|&i| (std::cmp::Reverse(rows[i].alerts), std::cmp::Reverse(rows[i].started_at)))
            }
        }
        self.visible = v;
        // Keep the same incident selected when the list changes under it.
        self.selected = keep
            .and_then(|id| self.visible.iter().position(|&i| self.incidents[i].id == id))
            .unwrap_or(0)
            .min(self.visible.len().saturating_sub(1));
        self.sync_scope();
    }

    /// The chat shows the history of the selected incident.
    fn sync_scope(&mut self) {
        let id = self.incident_id();
        if self.chat.chat.in_flight().is_none() {
            self.chat.chat.scope = id;
        }
    }

    /// The incident the chat and runbooks are about.
    fn incident_id(&self) -> Option<String> {
        self.selected_incident().map(|r| r.id.clone())
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
    Llm(String),
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
    Chat(Effect),
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

    fn with(tasks: Vec<Task>) -> Self {
        Update { redraw: true, tasks }
    }
}

fn search_task(s: &mut State, query: String, origin: Option<String>) -> Task {
    s.search.seq += 1;
    s.search.busy = true;
    s.search.error = None;
    s.search.origin = origin;
    s.search.chart = None;
    s.search.input = query.clone();
    // Another query's hits are not this one's: they go, and the pane says it is searching.
    if s.search.query != query {
        s.search.results = SearchResults::default();
        s.search.selected = 0;
    }
    s.search.query = query.clone();
    Task::Search { seq: s.search.seq, query, fallback: None }
}

/// A query that finds a piece of evidence in the logs: its trace when it has one, else
/// its first words as a phrase, in its service.
pub fn evidence_query(e: &Evidence) -> String {
    if let Some(t) = e.text.split_whitespace().find_map(|w| w.strip_prefix("trace_id=").or(w.strip_prefix("trace="))) {
        return format!("trace_id:{}", t.trim_matches(|c: char| !c.is_ascii_alphanumeric()));
    }
    let words: Vec<String> = e
        .text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2 && !w.chars().all(|c| c.is_ascii_digit()))
        .take(4)
        .map(str::to_lowercase)
        .collect();
    let mut q = if words.is_empty() { String::from("*") } else { format!("\"{}\"", words.join(" ")) };
    if let Some(svc) = &e.service {
        q = format!("service:{svc} {q}");
    }
    q
}

fn move_in(pos: &mut usize, len: usize, a: &Action, page: usize) -> bool {
    let before = *pos;
    let last = len.saturating_sub(1);
    *pos = match a {
        Action::Up => pos.saturating_sub(1),
        Action::Down => (*pos + 1).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        Action::PageUp => pos.saturating_sub(page),
        Action::PageDown => (*pos + page).min(last),
        _ => *pos,
    };
    *pos != before
}

fn chat_effects(s: &mut State, event: ChatEvent) -> Vec<Task> {
    let effects = s.chat.chat.handle(event);
    let mut tasks = Vec::new();
    for e in effects {
        match e {
            Effect::ShowEvidence(ev) => {
                let q = evidence_query(&ev);
                let origin = format!("{} {} {}", ev.id, ev.kind, ev.timestamp.format("%H:%M:%S"));
                let around = match &ev.service {
                    Some(svc) => format!("service:{svc} level:>=warn"),
                    None => "level:>=warn".to_string(),
                };
                let at = ev.timestamp;
                s.pane = Pane::Search;
                s.search.selected = 0;
                let mut t = search_task(s, q, Some(origin));
                if let Task::Search { fallback, .. } = &mut t {
                    *fallback = Some((around, at));
                }
                tasks.push(t);
                if ev.kind == "metric" {
                    tasks.push(Task::Chart { seq: s.search.seq, evidence: ev.clone() });
                }
                s.chat.opened = Some(*ev);
            }
            Effect::Notice(n) => s.notice = Some(n),
            other => tasks.push(Task::Chat(other)),
        }
    }
    s.llm = match s.chat.chat.in_flight().map(|t| &t.status) {
        Some(crate::copilot::chat::Status::Streaming) => "streaming".into(),
        Some(crate::copilot::chat::Status::Analyzing) => "analysing".into(),
        _ if s.chat.chat.llm => "ready".into(),
        _ => "off".into(),
    };
    tasks
}

/// The ids cited in the newest answer, in order of first citation.
pub fn cited_ids(s: &State) -> Vec<String> {
    let Some(t) = s.chat.chat.turns().last() else { return Vec::new() };
    let text = if t.text.is_empty() { &t.streamed } else { &t.text };
    let mut ids: Vec<String> = Vec::new();
    for (i, _) in text.match_indices("[E") {
        let rest = &text[i + 1..];
        let end = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        let id = &rest[..end];
        if id.len() > 1 && t.evidence.iter().any(|e| e.id == id) && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

fn palette(s: &mut State, line: &str) -> Update {
    let line = line.trim();
    let (cmd, arg) = line.split_once(' ').map_or((line, ""), |(c, a)| (c, a.trim()));
    let goto = |s: &mut State, p| {
        s.pane = p;
        Update::redraw()
    };
    match cmd {
        "q" | "quit" => {
            s.quit = true;
            Update::redraw()
        }
        "incidents" => goto(s, Pane::Incidents),
        "detail" => goto(s, Pane::Detail),
        "logs" | "search" if arg.is_empty() => goto(s, Pane::Search),
        "search" | "logs" => {
            s.pane = Pane::Search;
            let t = search_task(s, arg.to_string(), None);
            Update::with(vec![t])
        }
        "chat" => goto(s, Pane::Chat),
        "runbooks" => goto(s, Pane::Runbooks),
        "ask" if !arg.is_empty() => {
            s.pane = Pane::Chat;
            let ev = ChatEvent::Submit { question: arg.to_string(), incident: s.incident_id(), now: s.now };
            let t = chat_effects(s, ev);
            Update::with(t)
        }
        "filter" => {
            s.filter = arg.to_string();
            s.refilter();
            goto(s, Pane::Incidents)
        }
        "theme" if !arg.is_empty() => Update::with(vec![Task::Theme(arg.to_string())]),
        "export" => match s.incident_id() {
            Some(incident) => Update::with(vec![Task::Export { incident }]),
            None => {
                s.notice = Some("no incident selected".into());
                Update::redraw()
            }
        },
        "follow" => {
            s.search.follow = !s.search.follow;
            goto(s, Pane::Search)
        }
        "help" => {
            s.help = true;
            Update::redraw()
        }
        _ => {
            s.notice = Some(format!(
                "unknown command '{line}': try incidents, detail, logs [QUERY], chat, runbooks, ask QUESTION, filter TEXT, theme NAME, export, follow, help, quit"
            ));
            Update::redraw()
        }
    }
}

fn submit(s: &mut State) -> Update {
    let focus = std::mem::replace(&mut s.focus, Focus::None);
    match focus {
        Focus::None => Update::default(),
        Focus::Filter => Update::redraw(),
        Focus::Query => {
            let q = s.search.input.trim().to_string();
            if q.is_empty() {
                return Update::redraw();
            }
            s.search.history.retain(|h| *h != q);
            s.search.history.push(q.clone());
            if s.search.history.len() > HISTORY {
                s.search.history.remove(0);
            }
            s.search.history_pos = None;
            s.search.selected = 0;
            let t = search_task(s, q, None);
            Update::with(vec![t])
        }
        Focus::Question => {
            let question = std::mem::take(&mut s.chat.input);
            s.chat.citation = None;
            let ev = ChatEvent::Submit { question, incident: s.incident_id(), now: s.now };
            let t = chat_effects(s, ev);
            Update::with(t)
        }
        Focus::Palette => {
            let line = std::mem::take(&mut s.palette);
            palette(s, &line)
        }
        Focus::Confirm => {
            let typed = std::mem::take(&mut s.runbooks.typed);
            let Some((runbook, step, _)) = s.runbooks.confirm.take() else { return Update::redraw() };
            if typed.trim() != "yes" {
                s.notice = Some(format!("{runbook} step {} not run: type yes to run it", step + 1));
                return Update::redraw();
            }
            s.runbooks.running = Some((runbook.clone(), step));
            Update::with(vec![Task::RunStep { incident: s.incident_id(), runbook, step }])
        }
    }
}

fn text_input(s: &mut State) -> Option<&mut String> {
    match s.focus {
        Focus::None => None,
        Focus::Filter => Some(&mut s.filter),
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
        s.refilter();
    }
    Update::redraw()
}

/// Searches the trace of the selected hit; `None` when it has none.
fn open_trace(s: &mut State) -> Option<Update> {
    let t = s.search.results.hits.get(s.search.selected)?.trace_id.clone()?;
    let task = search_task(s, format!("trace_id:{t}"), Some(format!("trace {t}")));
    s.search.selected = 0;
    Some(Update::with(vec![task]))
}

/// Applies one action: the one place the state changes.
pub fn update(s: &mut State, a: Action) -> Update {
    let page = s.page();
    // Esc also dismisses the notice, whatever else it does.
    let dismissed = a == Action::Back && s.notice.take().is_some();
    let mut u = apply(s, a, page);
    u.redraw |= dismissed;
    u
}

fn apply(s: &mut State, a: Action, page: usize) -> Update {
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
            let h = &mut s.search;
            if h.history.is_empty() {
                return Update::default();
            }
            let last = h.history.len() - 1;
            h.history_pos = match (a, h.history_pos) {
                (Action::HistoryPrev, None) => Some(last),
                (Action::HistoryPrev, Some(p)) => Some(p.saturating_sub(1)),
                (_, Some(p)) if p < last => Some(p + 1),
                _ => None,
            };
            h.input = h.history_pos.map(|p| h.history[p].clone()).unwrap_or_default();
            Update::redraw()
        }
        Action::HistoryPrev | Action::HistoryNext => Update::default(),
        Action::Back if s.focus != Focus::None => {
            if s.focus == Focus::Confirm {
                if let Some((rb, step, _)) = s.runbooks.confirm.take() {
                    s.notice = Some(format!("{rb} step {} not run", step + 1));
                }
                s.runbooks.typed.clear();
            }
            s.focus = Focus::None;
            Update::redraw()
        }
        Action::Back if s.help => {
            s.help = false;
            Update::redraw()
        }
        Action::Back if s.pane == Pane::Chat && s.chat.chat.in_flight().is_some() => {
            // Esc cancels the answer being written.
            let t = chat_effects(s, ChatEvent::Cancel);
            Update::with(t)
        }
        Action::Back if s.pane == Pane::Search && s.search.origin.is_some() && s.chat.opened.is_some() => {
            // Back from a citation to the answer that cited it.
            s.chat.opened = None;
            s.pane = Pane::Chat;
            Update::redraw()
        }
        Action::Back if s.pane == Pane::Incidents && !s.filter.is_empty() => {
            s.filter.clear();
            s.refilter();
            Update::redraw()
        }
        Action::Back => {
            let changed = s.pane != Pane::Incidents;
            s.pane = Pane::Incidents;
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::Up | Action::Down | Action::Top | Action::Bottom | Action::PageUp | Action::PageDown => {
            let moved = match s.pane {
                Pane::Incidents => {
                    let before = s.selected;
                    move_in(&mut s.selected, s.visible.len(), &a, page);
                    if s.selected != before {
                        s.sync_scope();
                        s.scroll = 0;
                        s.runbooks.runbook = 0;
                        s.runbooks.step = 0;
                    }
                    s.selected != before
                }
                Pane::Detail => {
                    let before = s.scroll;
                    s.scroll = match a {
                        Action::Up => s.scroll.saturating_sub(1),
                        Action::Down => s.scroll.saturating_add(1),
                        Action::Top => 0,
                        Action::PageUp => s.scroll.saturating_sub(page as u16),
                        Action::PageDown => s.scroll.saturating_add(page as u16),
                        _ => s.scroll,
                    };
                    s.scroll != before
                }
                Pane::Search => {
                    let moved = move_in(&mut s.search.selected, s.search.results.hits.len(), &a, page);
                    // Moving off the newest hit stops following, as in less.
                    if moved && s.search.selected > 0 {
                        s.search.follow = false;
                    }
                    moved
                }
                Pane::Chat => false,
                Pane::Runbooks => {
                    let Some(r) = s.selected_incident() else { return Update::default() };
                    let items = r.detail.runbooks.len();
                    let steps = r.detail.runbooks.get(s.runbooks.runbook).map_or(0, |rb| rb.steps.len());
                    // j/k walk the steps and run on into the next runbook.
                    let (rb, st) = (s.runbooks.runbook, s.runbooks.step);
                    match a {
                        Action::Down if st + 1 < steps => s.runbooks.step += 1,
                        Action::Down if rb + 1 < items => (s.runbooks.runbook, s.runbooks.step) = (rb + 1, 0),
                        Action::Up if st > 0 => s.runbooks.step -= 1,
                        Action::Up if rb > 0 => {
                            let prev = s.selected_incident().map_or(0, |r| r.detail.runbooks[rb - 1].steps.len());
                            (s.runbooks.runbook, s.runbooks.step) = (rb - 1, prev.saturating_sub(1));
                        }
                        Action::Top => (s.runbooks.runbook, s.runbooks.step) = (0, 0),
                        Action::PageDown if rb + 1 < items => (s.runbooks.runbook, s.runbooks.step) = (rb + 1, 0),
                        Action::PageUp => (s.runbooks.runbook, s.runbooks.step) = (rb.saturating_sub(1), 0),
                        Action::Bottom if items > 0 => (s.runbooks.runbook, s.runbooks.step) = (items - 1, 0),
                        _ => {}
                    }
                    (rb, st) != (s.runbooks.runbook, s.runbooks.step)
                }
            };
            Update { redraw: moved, tasks: Vec::new() }
        }
        Action::Open => match s.pane {
            Pane::Incidents if s.selected_incident().is_some() => {
                s.pane = Pane::Detail;
                s.scroll = 0;
                Update::redraw()
            }
            Pane::Search => open_trace(s).unwrap_or_default(),
            Pane::Chat => {
                let ids = cited_ids(s);
                let Some(id) = s.chat.citation.and_then(|i| ids.get(i)).cloned() else {
                    s.notice = Some("pick a citation with n / N first".into());
                    return Update::redraw();
                };
                let t = chat_effects(s, ChatEvent::OpenCitation(id));
                Update::with(t)
            }
            Pane::Runbooks => {
                let Some(r) = s.selected_incident() else { return Update::default() };
                let Some(rb) = r.detail.runbooks.get(s.runbooks.runbook) else { return Update::default() };
                let Some(step) = rb.steps.get(s.runbooks.step) else { return Update::default() };
                match &step.exact {
                    Ok(exact) => {
                        s.runbooks.confirm = Some((rb.id.clone(), s.runbooks.step, exact.clone()));
                        s.runbooks.typed.clear();
                        s.focus = Focus::Confirm;
                    }
                    Err(why) => s.notice = Some(format!("cannot run this step: {why}")),
                }
                Update::redraw()
            }
            _ => Update::default(),
        },
        Action::NextPane | Action::PrevPane => {
            let i = Pane::ALL.iter().position(|p| *p == s.pane).unwrap_or(0);
            let n = Pane::ALL.len();
            s.pane = Pane::ALL[if a == Action::NextPane { (i + 1) % n } else { (i + n - 1) % n }];
            Update::redraw()
        }
        // A click on a tab goes there; on a row, selects it; on the selected row, opens it
        // (as Enter). Typing in a field takes no clicks: the field keeps the keys.
        Action::Click(x, y) if s.focus == Focus::None => match view::target(s, x, y) {
            Some(view::Target::Tab(p)) => apply(s, Action::Goto(p), page),
            Some(view::Target::Row(i)) => {
                let selected = if s.pane == Pane::Search { &mut s.search.selected } else { &mut s.selected };
                if *selected == i {
                    apply(s, Action::Open, page)
                } else {
                    *selected = i;
                    Update::redraw()
                }
            }
            None => Update::default(),
        },
        Action::Click(..) => Update::default(),
        Action::Goto(p) => {
            let changed = s.pane != p;
            s.pane = p;
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::StartSearch => {
            if s.pane == Pane::Incidents {
                s.focus = Focus::Filter;
            } else {
                s.pane = Pane::Search;
                s.focus = Focus::Query;
                s.search.history_pos = None;
            }
            Update::redraw()
        }
        Action::NextMatch | Action::PrevMatch => match s.pane {
            Pane::Chat => {
                let n = cited_ids(s).len();
                if n == 0 {
                    return Update::default();
                }
                s.chat.citation = Some(match (s.chat.citation, a == Action::NextMatch) {
                    (None, true) => 0,
                    (None, false) => n - 1,
                    (Some(i), true) => (i + 1) % n,
                    (Some(i), false) => (i + n - 1) % n,
                });
                Update::redraw()
            }
            Pane::Search => {
                let dir = if a == Action::NextMatch { Action::Down } else { Action::Up };
                let moved = move_in(&mut s.search.selected, s.search.results.hits.len(), &dir, page);
                Update { redraw: moved, tasks: Vec::new() }
            }
            _ => Update::default(),
        },
        Action::Follow => {
            s.search.follow = !s.search.follow;
            s.pane = Pane::Search;
            if s.search.follow {
                s.search.selected = 0;
                let q = if s.search.query.is_empty() { "*".to_string() } else { s.search.query.clone() };
                let t = search_task(s, q, None);
                return Update::with(vec![t]);
            }
            Update::redraw()
        }
        Action::JumpTrace => {
            s.pane = Pane::Search;
            open_trace(s).unwrap_or_else(|| {
                s.notice = Some("this hit has no trace".into());
                Update::redraw()
            })
        }
        Action::StartAsk => {
            s.pane = Pane::Chat;
            s.focus = Focus::Question;
            Update::redraw()
        }
        Action::EditQuestion => {
            let Some(t) = s.chat.chat.turns().last() else { return Update::default() };
            // The question with its interpretation spelled out, for the user to correct.
            let mut q = t.question.clone();
            if let Some(o) = &t.offline {
                let i = &o.interpretation;
                if !i.regions.is_empty() && !i.regions.iter().all(|r| q.contains(r.as_str())) {
                    q.push_str(&format!(" in {}", i.regions.join(" and ")));
                }
                let local = |t: DateTime<Utc>| t.with_timezone(&chrono::Local).format("%H:%M").to_string();
                q.push_str(&format!(" between {} and {}", local(i.window.start), local(i.window.end)));
            }
            s.chat.input = q;
            s.pane = Pane::Chat;
            s.focus = Focus::Question;
            Update::redraw()
        }
        Action::Sort => {
            s.sort = s.sort.next();
            s.refilter();
            s.notice = Some(format!("incidents sorted: {}", s.sort.name()));
            Update::redraw()
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
        Action::Suspend => Update::default(),
        Action::Resize(w, h) => {
            let changed = s.size != (w, h);
            s.size = (w, h);
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::Tick(now) => {
            // The clock is drawn to the minute: redraw only when the minute turns.
            let changed = now.timestamp() / 60 != s.now.timestamp() / 60;
            s.now = now;
            let mut tasks = Vec::new();
            if s.search.follow && !s.search.busy && !s.search.query.is_empty() {
                s.search.seq += 1;
                s.search.busy = true;
                tasks.push(Task::Search { seq: s.search.seq, query: s.search.query.clone(), fallback: None });
            }
            Update { redraw: changed, tasks }
        }
        Action::Incidents(rows) => {
            if rows == s.incidents {
                return Update::default();
            }
            let keep = s.selected_incident().map(|r| r.id.clone());
            s.open = rows.iter().filter(|r| r.firing).count();
            s.incidents = rows;
            s.refilter_keeping(keep);
            Update::redraw()
        }
        Action::Sources(src) => {
            let changed = src != s.sources;
            s.sources = src;
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::Feed(f) => {
            let changed = f != s.feed;
            s.feed = f;
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::Llm(l) => {
            let changed = l != s.llm;
            s.llm = l;
            Update { redraw: changed, tasks: Vec::new() }
        }
        Action::SearchDone { seq, results } => {
            if seq != s.search.seq {
                return Update::default();
            }
            s.search.busy = false;
            s.search.results = results;
            if s.search.follow {
                s.search.selected = 0;
            }
            s.search.selected = s.search.selected.min(s.search.results.hits.len().saturating_sub(1));
            // Always redrawn: "searching…" may be on screen even when the hits did not change.
            Update::redraw()
        }
        Action::ChartDone { seq, chart } => {
            if seq != s.search.seq {
                return Update::default();
            }
            match chart {
                Ok(c) => s.search.chart = Some(c),
                Err(e) => s.notice = Some(format!("no chart: {e}")),
            }
            Update::redraw()
        }
        Action::SearchFailed { seq, error } => {
            if seq != s.search.seq {
                return Update::default();
            }
            s.search.busy = false;
            s.search.follow = false;
            s.search.error = Some(error);
            Update::redraw()
        }
        Action::Chat(ev) => {
            let t = chat_effects(s, ev);
            Update::with(t)
        }
        Action::StepDone { runbook, step, text, ok } => {
            s.runbooks.running = None;
            s.runbooks.log.push((runbook, step, text, ok));
            Update::redraw()
        }
        Action::Notice(n) => {
            s.notice = Some(n);
            Update::redraw()
        }
    }
}

#[cfg(test)]
mod tests;
