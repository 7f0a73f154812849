//! The event loop: it owns the terminal and the state. Background work (input, the clock,
//! the demo replay or the live sources, re-analysis, searches, the copilot, runbook steps)
//! runs in tasks and threads that only send [`Action`]s over one channel; the loop applies
//! them with [`update`], starts the [`Task`]s that returns, and draws when something
//! changed, at most `max_fps` times a second, inside a synchronized update so a slow SSH
//! link never shows a half-drawn frame. A panic hook, SIGTERM/SIGHUP and Ctrl-Z all leave
//! the terminal as they found it.

use std::collections::HashMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, MouseEventKind};
use ratatui::crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::crossterm::{cursor, execute};
use ratatui::Terminal;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::keys::Keymap;
use super::theme::{Depth, Theme};
use super::{chart, rows, update, Action, SearchResults, SourceState, SourceStatus, State, Task};
use crate::copilot::agent::AgentEvent;
use crate::copilot::chat::{ChatEvent, Effect, RequestId};
use crate::copilot::offline::Answer;
use crate::copilot::tools::StoreTools;
use crate::engine::ask::Llm;
use crate::engine::open::{OpenControl, OpenEvent, Opened};
use crate::engine::runbooks::ConfirmedBy;
use crate::engine::search::SearchIndex;
use crate::engine::Engine;
use search::run_search;

mod search;

/// Hits a search brings back; the list shows the newest.
const HITS: usize = 500;
/// Buckets of the hit histogram.
const BUCKETS: usize = 60;

pub enum Mode {
    /// The configured sources, run in this process, and whatever is in the data dir.
    Live,
    /// The simulated incident, replayed at `speed` times real time.
    Demo { speed: f64 },
    /// Files opened to be read (`firewatch FILE...`): their tail at once, indexed behind it.
    Open(Opened),
}

/// What the loop measures about itself, written as JSON to `FIREWATCH_UI_STATS` at exit
/// (the benchmarks read it).
#[derive(Default, serde::Serialize)]
struct Stats {
    first_frame_ms: f64,
    frames: u64,
    /// Time to draw a frame (build the widgets and write the diff), milliseconds.
    draw_ms: Vec<f64>,
    /// From a key read off the terminal to the frame that shows its effect, milliseconds.
    key_to_frame_ms: Vec<f64>,
}

#[allow(
    clippy::let_underscore_must_use,
    reason = "restoring the terminal on exit is best effort: there is nothing left to tell"
)]
fn restore_terminal(mouse: bool) {
    let mut out = std::io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}

fn enter_terminal(mouse: bool) -> std::io::Result<()> {
    terminal::enable_raw_mode()?;
    let mut out = std::io::stdout();
    execute!(out, EnterAlternateScreen, cursor::Hide)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(())
}

/// The terminal, given back whatever ends the loop (an error, a panic, a signal).
struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal(self.mouse);
    }
}

/// Shared by the tasks: the engine and an index reader that reloads on commits.
struct Shared {
    engine: Engine,
    /// The files opened to be read: a search also scans the part of them not indexed yet.
    opened: std::sync::OnceLock<Vec<std::path::PathBuf>>,
    /// Opened off the loop, after the first frame: on a cold page cache a large index
    /// takes seconds to open, and the screen must not wait for it.
    index: std::sync::OnceLock<Result<SearchIndex, String>>,
    /// Bumped by the replay on every commit; the loader re-analyses only when it moved.
    generation: AtomicU64,
    stop: Arc<AtomicBool>,
    /// Follow the opened files.
    follow: Arc<AtomicBool>,
    /// The tools of each question the LLM is answering (they hold its store snapshot).
    tools: Mutex<HashMap<RequestId, Arc<StoreTools>>>,
    llm: Option<Llm>,
}

impl Shared {
    fn index(&self) -> anyhow::Result<&SearchIndex> {
        let opened = self.index.get_or_init(|| self.engine.open_index().map_err(|e| format!("{e:#}")));
        opened.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
    }
}

pub fn run(engine: Engine, mode: Mode, theme: Option<&str>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    use std::io::IsTerminal as _;
    // Standard input being read (`firewatch -`), the keys come from /dev/tty, as crossterm reads them.
    let spooling = matches!(&mode, Mode::Open(o) if o.spool.is_some());
    let keys_in = std::io::stdin().is_terminal() || (spooling && std::fs::File::open("/dev/tty").is_ok());
    if !std::io::stdout().is_terminal() || !keys_in {
        anyhow::bail!(
            "the terminal UI needs a terminal on stdin and stdout; in scripts use the commands (search, incidents, ask, runbooks; see --help)"
        );
    }
    let ui = engine.config.ui.clone();
    let depth = Depth::detect();
    let theme_name = theme.unwrap_or(&ui.theme).to_string();
    let mut theme = load_theme(&theme_name, depth)?;
    let keys = Keymap::new(&ui.keys)?;
    let (tx, rx) = unbounded_channel::<(Msg, Option<Instant>)>();
    let sink = tx.clone();
    let effects = Effects::new(engine, move |a| act(&sink, a))?;
    let shared = effects.shared.clone();

    // The terminal comes back on a panic too, before the message is printed.
    let mouse = ui.mouse;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal(mouse);
        hook(info);
    }));
    // The guard first: a setup that fails half-way (raw mode on, no alternate screen) is undone too.
    let _guard = TerminalGuard { mouse };
    enter_terminal(mouse).context("cannot set up the terminal")?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    terminal.clear()?;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let mut state = State::new(Utc::now());
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    state.chat.chat.llm = shared.llm.is_some();
    state.llm = state.chat.llm_state();
    state.feed = format!("data dir {}", shared.engine.data_dir.display());
    if let Mode::Demo { .. } = mode {
        state.feed = "demo: generating the simulated incident".into();
        state.now = Engine::demo_start();
    }
    if let Mode::Open(opened) = &mode {
        // Read from the end of the files before the first frame: no index is needed for it.
        let tail = shared.engine.tail(&opened.files, crate::engine::open::TAIL_LINES);
        let name = opened.name();
        let following = opened.spool.is_some();
        shared.follow.store(following, Ordering::Relaxed);
        #[allow(clippy::let_underscore_must_use, reason = "set once, here, before any search can read it")]
        let _ = shared.opened.set(opened.files.clone());
        state.logs = super::panes::logs::LogsPane::opened(name, tail, following);
        state.pane = super::Pane::Tail;
    }

    let clock: Arc<Mutex<Option<DateTime<Utc>>>> = Arc::new(Mutex::new(None));
    // Not joined at exit: once the terminal is gone (a hangup) crossterm's read may never
    // return, and the process exiting ends the thread anyway.
    spawn_input(tx.clone(), shared.stop.clone());
    let mut threads = Vec::new();
    match mode {
        Mode::Demo { speed } => threads.push(spawn_replay(&shared, tx.clone(), clock.clone(), speed)),
        Mode::Live if !shared.engine.config.source.is_empty() => threads.push(spawn_sources(&shared)),
        Mode::Live => {}
        // Joined at exit: told to stop, the ingest ends at its next batch and commits what it read with the
        // template miner, so the records' template ids are never ahead of the miner on disk.
        Mode::Open(opened) => threads.push(spawn_open(&shared, tx.clone(), opened)),
    }
    let mut stats = Stats::default();
    let code = rt.block_on(async {
        let warm = shared.clone();
        tokio::task::spawn_blocking(move || warm.index().map(|_| ()));
        let _loader = tokio::spawn(loader(shared.clone(), tx.clone(), clock.clone(), ui.refresh_ms));
        let _ticker = tokio::spawn(ticker(tx.clone(), clock.clone()));
        let mut lp = Loop { effects, theme_depth: depth, mouse };
        lp.run(&mut terminal, &mut state, &mut theme, &keys, rx, ui.max_fps, started, &mut stats).await
    });
    shared.stop.store(true, Ordering::Relaxed);
    drop(_guard);
    // The replay's and the opened files' writers commit what they have before the process ends; the sources stop.
    for t in threads {
        #[allow(
            clippy::let_underscore_must_use,
            reason = "the sources' and replay's threads report their errors as actions; a panic was logged by the hook"
        )]
        let _ = t.join();
    }
    rt.shutdown_timeout(Duration::from_millis(500));
    if let Some(path) = std::env::var_os("FIREWATCH_UI_STATS") {
        // The benchmark script reads this file: a write that fails must say so.
        std::fs::write(&path, serde_json::to_vec(&stats)?)
            .with_context(|| format!("cannot write the UI stats to {}", path.to_string_lossy()))?;
    }
    code
}

fn load_theme(name: &str, depth: Depth) -> anyhow::Result<Theme> {
    let path = std::path::Path::new(name);
    if name.ends_with(".toml") || path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read theme {name}"))?;
        return Ok(Theme::parse(&text, depth)?);
    }
    Ok(Theme::named(name, depth)?)
}

/// What reaches the loop: actions from the tasks, and raw input, which the loop maps
/// to actions because only it knows where the focus is.
enum Msg {
    Act(Action),
    Key(event::KeyEvent),
    Paste(String),
}

type Tx = UnboundedSender<(Msg, Option<Instant>)>;

fn act(tx: &Tx, a: Action) -> bool {
    tx.send((Msg::Act(a), None)).is_ok()
}

/// Reads the terminal on its own thread (crossterm's reads block), stamping each event so
/// the loop can measure key-to-screen latency.
fn spawn_input(tx: Tx, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match event::poll(Duration::from_millis(100)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => break,
            }
            let Ok(ev) = event::read() else { break };
            let at = Instant::now();
            let msg = match ev {
                Event::Key(k) if k.kind != event::KeyEventKind::Release => Msg::Key(k),
                Event::Resize(w, h) => Msg::Act(Action::Resize(w, h)),
                Event::Mouse(m) => match m.kind {
                    MouseEventKind::ScrollDown => Msg::Act(Action::Down),
                    MouseEventKind::ScrollUp => Msg::Act(Action::Up),
                    MouseEventKind::Down(event::MouseButton::Left) => Msg::Act(Action::Click(m.column, m.row)),
                    _ => continue,
                },
                // A paste arrives as text: typed into the focused field, never run as keys.
                Event::Paste(text) => Msg::Paste(text),
                _ => continue,
            };
            if tx.send((msg, Some(at))).is_err() {
                break;
            }
        }
    })
}

/// The demo's replay on its own thread: it owns the index writer.
fn spawn_replay(
    shared: &Arc<Shared>,
    tx: Tx,
    clock: Arc<Mutex<Option<DateTime<Utc>>>>,
    speed: f64,
) -> std::thread::JoinHandle<()> {
    let shared = shared.clone();
    std::thread::spawn(move || {
        let result = shared.engine.replay_demo(speed, &shared.stop, |p| {
            if let Ok(mut c) = clock.lock() {
                *c = Some(p.now);
            }
            shared.generation.fetch_add(1, Ordering::Relaxed);
            let what = if p.loading {
                format!("demo: loading the hours before the incident, {} records", p.records)
            } else if p.now >= p.end {
                format!("demo: replay done at {}, {} records", p.now.format("%H:%M"), p.records)
            } else {
                format!("demo: replaying at x{speed:.0}, data time {}, {} records", p.now.format("%H:%M:%S"), p.records)
            };
            act(&tx, Action::Feed(what));
            act(&tx, Action::Tick(p.now));
        });
        if let Err(e) = result {
            act(&tx, Action::Notice(format!("demo replay failed: {e:#}")));
        }
    })
}

/// The opened files, indexed (and followed) on a thread of their own.
fn spawn_open(shared: &Arc<Shared>, tx: Tx, opened: Opened) -> std::thread::JoinHandle<()> {
    let shared = shared.clone();
    std::thread::spawn(move || {
        let ctl = OpenControl { stop: shared.stop.clone(), follow: shared.follow.clone() };
        let sink = Arc::new(move |e: OpenEvent| {
            act(
                &tx,
                match e {
                    OpenEvent::Progress(p) => Action::Indexing(p),
                    OpenEvent::Tail(lines) => Action::Tail(lines),
                    OpenEvent::Failed(why) => Action::Notice(why),
                },
            )
        });
        if let Err(e) = shared.engine.watch_files(&opened, &ctl, sink.clone()) {
            sink(OpenEvent::Failed(format!("cannot read the files: {e:#}")));
        }
    })
}

/// The configured sources, collected into the data dir in this process.
fn spawn_sources(shared: &Arc<Shared>) -> std::thread::JoinHandle<()> {
    let shared = shared.clone();
    std::thread::spawn(move || {
        if let Err(e) = shared.engine.collect_live(shared.stop.clone()) {
            tracing::error!(error = %format!("{e:#}"), "sources stopped");
        }
    })
}

/// The clock: wall time, or the replay's data time in the demo.
async fn ticker(tx: Tx, clock: Arc<Mutex<Option<DateTime<Utc>>>>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let replay = clock.lock().ok().and_then(|c| *c);
        if !act(&tx, Action::Tick(replay.unwrap_or_else(Utc::now))) {
            return;
        }
    }
}

/// Re-analyses the data dir every `refresh_ms` (in the demo, only after new commits) and
/// sends the incident rows and the sources' health.
async fn loader(shared: Arc<Shared>, tx: Tx, clock: Arc<Mutex<Option<DateTime<Utc>>>>, refresh_ms: u64) {
    let mut every = tokio::time::interval(Duration::from_millis(refresh_ms));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut seen = 0;
    let mut last_full = Instant::now();
    loop {
        every.tick().await;
        let replay = clock.lock().ok().and_then(|c| *c);
        // Re-analyse only when the data dir changed (a commit, an alert stored), or every
        // 30 s for the clock: an idle UI on a bastion host should cost nothing.
        let gen = match replay {
            Some(_) => shared.generation.load(Ordering::Relaxed),
            None => shared.engine.generation(),
        };
        let stale = replay.is_none() && last_full.elapsed() >= Duration::from_secs(30);
        if gen == seen && !stale {
            continue;
        }
        seen = gen;
        last_full = Instant::now();
        let now = replay.unwrap_or_else(Utc::now);
        let sh = shared.clone();
        let loaded =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<super::IncidentRow>, Vec<SourceStatus>)> {
                let o = sh.engine.overview(now)?;
                let rows = rows::rows(&o.analysis, &o.library, &o.known, now);
                let health = o
                    .health
                    .into_iter()
                    .map(|h| SourceStatus { name: h.source, state: SourceState::of_stored(&h.health) })
                    .collect();
                Ok((rows, health))
            })
            .await;
        let sent = match loaded {
            Ok(Ok((rows, health))) => act(&tx, Action::Incidents(rows)) && act(&tx, Action::Sources(health)),
            Ok(Err(e)) => act(&tx, Action::Notice(format!("cannot analyse the data dir: {e:#}"))),
            Err(e) => act(&tx, Action::Notice(format!("analysis failed: {e}"))),
        };
        if !sent {
            return;
        }
    }
}

struct Loop {
    effects: Effects,
    theme_depth: Depth,
    mouse: bool,
}

type Term = Terminal<CrosstermBackend<std::io::Stdout>>;

fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * p).round() as usize]
}

impl Loop {
    #[allow(clippy::too_many_arguments)]
    async fn run(
        &mut self,
        terminal: &mut Term,
        state: &mut State,
        theme: &mut Theme,
        keys: &Keymap,
        mut rx: UnboundedReceiver<(Msg, Option<Instant>)>,
        max_fps: u32,
        started: Instant,
        stats: &mut Stats,
    ) -> anyhow::Result<ExitCode> {
        let frame = Duration::from_millis(1000 / u64::from(max_fps.clamp(1, 240)));
        let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut sighup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        // A stop from outside (`kill -TSTP`) gives the terminal back first, like Ctrl-Z.
        let mut sigtstp = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGTSTP))?;
        let mut dirty = true;
        let mut last_draw: Option<Instant> = None;
        let mut keys_waiting: Vec<Instant> = Vec::new();
        loop {
            if dirty {
                // A key is drawn at once (people type slower than any frame cap); the cap
                // holds back floods of data from the background.
                let due = if keys_waiting.is_empty() {
                    last_draw.map_or(Instant::now(), |l| l + frame)
                } else {
                    Instant::now()
                };
                if Instant::now() >= due {
                    let t0 = Instant::now();
                    draw(terminal, state, theme, keys)?;
                    last_draw = Some(stats.frame_drawn(started, t0, &mut keys_waiting));
                    dirty = false;
                }
            }
            if state.quit {
                break;
            }
            let wait = if dirty {
                last_draw.map_or(Duration::ZERO, |l| (l + frame).saturating_duration_since(Instant::now()))
            } else {
                Duration::from_secs(3600)
            };
            let (msg, stamp) = tokio::select! {
                m = rx.recv() => match m {
                    Some(m) => m,
                    None => break,
                },
                _ = tokio::time::sleep(wait) => continue,
                _ = sigterm.recv() => break,
                _ = sighup.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
                _ = sigtstp.recv() => (Msg::Act(Action::Suspend), None),
            };
            let action = match msg {
                Msg::Act(a) => a,
                Msg::Key(k) => match keys.action(&state.focus, k) {
                    Some(a) => a,
                    None => continue,
                },
                Msg::Paste(text) => {
                    // Pasted text goes into the focused field; control characters are dropped there.
                    for c in text.chars() {
                        dirty |= update(state, Action::Char(c)).redraw;
                    }
                    continue;
                }
            };
            if action == Action::Suspend {
                suspend(terminal, state, theme, keys, self.mouse)?;
                continue;
            }
            let u = update(state, action);
            if u.redraw {
                dirty = true;
                if let Some(s) = stamp {
                    keys_waiting.push(s);
                }
            }
            dirty |= self.start_tasks(u.tasks, state, theme);
        }
        if !stats.draw_ms.is_empty() {
            tracing::info!(
                frames = stats.frames,
                first_frame_ms = stats.first_frame_ms,
                draw_p50 = percentile(&stats.draw_ms, 0.5),
                draw_p99 = percentile(&stats.draw_ms, 0.99),
                "ui stats"
            );
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Starts what an update asked for; a theme is applied here, the loop holding it.
    /// Returns whether the screen must be redrawn.
    fn start_tasks(&mut self, tasks: Vec<Task>, state: &mut State, theme: &mut Theme) -> bool {
        let mut redraw = false;
        for task in tasks {
            if let Task::Theme(name) = &task {
                match load_theme(name, self.theme_depth) {
                    Ok(t) => *theme = t,
                    Err(e) => {
                        update(state, Action::Notice(format!("{e:#}")));
                    }
                }
                redraw = true;
                continue;
            }
            self.effects.start(task, state.now);
        }
        redraw
    }
}

impl Stats {
    /// Counts a frame drawn from `t0` until now, and the keys it answered; returns now.
    fn frame_drawn(&mut self, started: Instant, t0: Instant, keys_waiting: &mut Vec<Instant>) -> Instant {
        let done = Instant::now();
        if self.frames == 0 {
            self.first_frame_ms = (done - started).as_secs_f64() * 1000.0;
        }
        self.frames += 1;
        self.draw_ms.push((done - t0).as_secs_f64() * 1000.0);
        for k in keys_waiting.drain(..) {
            self.key_to_frame_ms.push((done - k).as_secs_f64() * 1000.0);
        }
        done
    }
}

/// Where a task's results go: the loop's channel, or a test's.
type Sink = Arc<dyn Fn(Action) -> bool + Send + Sync>;

/// The effect runner: starts the [`Task`]s that [`update`] returns, each on the tokio
/// runtime it is called in, and sends what they find back as [`Action`]s. Everything it
/// does goes through the [`Engine`], the same calls the commands make.
pub struct Effects {
    shared: Arc<Shared>,
    sink: Sink,
    /// Chat requests being answered: cancelling one is aborting its task.
    inflight: HashMap<RequestId, tokio::task::AbortHandle>,
}

impl Effects {
    /// The runner over `engine`, with the model of its `[llm]` if any; `sink` receives the
    /// actions and says whether anyone still listens.
    pub fn new(engine: Engine, sink: impl Fn(Action) -> bool + Send + Sync + 'static) -> anyhow::Result<Effects> {
        let llm = engine.llm()?;
        let shared = Arc::new(Shared {
            engine,
            index: std::sync::OnceLock::new(),
            generation: AtomicU64::new(1),
            stop: Arc::new(AtomicBool::new(false)),
            follow: Arc::new(AtomicBool::new(false)),
            opened: std::sync::OnceLock::new(),
            tools: Mutex::new(HashMap::new()),
            llm,
        });
        Ok(Effects { shared, sink: Arc::new(sink), inflight: HashMap::new() })
    }

    /// Starts `task`; must be called within a tokio runtime.
    pub fn start(&mut self, task: Task, now: DateTime<Utc>) {
        let shared = self.shared.clone();
        let sink = self.sink.clone();
        match task {
            Task::Search { seq, query, fallback } => {
                tokio::task::spawn_blocking(move || {
                    let found = run_search(&shared, &query, None, now);
                    let found = match (found, fallback) {
                        (Ok(r), Some((q, at))) if r.hits.is_empty() => {
                            // Around the cited time: five minutes before to ten after (a metric's
                            // onset comes before the errors its service logs).
                            let window = (at - chrono::Duration::minutes(5), at + chrono::Duration::minutes(10));
                            run_search(&shared, &q, Some(window), now).map(|r| SearchResults { fallback: Some(q), ..r })
                        }
                        (other, _) => other,
                    };
                    sink(match found {
                        Ok(results) => Action::SearchDone { seq, results },
                        Err(e) => Action::SearchFailed { seq, error: format!("{e:#}") },
                    });
                });
            }
            Task::Chart { seq, evidence } => {
                tokio::task::spawn_blocking(move || {
                    let at = evidence.timestamp;
                    let chart = shared
                        .engine
                        .metrics_between(at - chart::BEFORE, at + chart::AFTER)
                        .map_err(|e| format!("{e:#}"))
                        .and_then(|points| chart::metric_chart(&evidence, &points));
                    sink(Action::ChartDone { seq, chart });
                });
            }
            Task::Chat(Effect::Analyze { id, question, now }) => {
                let h = tokio::task::spawn_blocking(move || {
                    let ev = match shared.engine.prepare(&question, now) {
                        Ok(p) => {
                            if shared.llm.is_some() {
                                if let Ok(mut m) = shared.tools.lock() {
                                    m.insert(id, p.tools());
                                }
                            }
                            ChatEvent::Offline { id, answer: Box::new(p.answer) }
                        }
                        Err(e) => ChatEvent::OfflineFailed { id, error: format!("{e:#}") },
                    };
                    sink(Action::Chat(ev));
                });
                self.inflight.insert(id, h.abort_handle());
            }
            Task::Chat(Effect::AskLlm { id, offline }) => {
                let tools = shared.tools.lock().ok().and_then(|mut m| m.remove(&id));
                let h = tokio::spawn(async move {
                    let ev = ask_llm(&shared, id, &offline, tools, &sink).await;
                    sink(Action::Chat(ev));
                });
                self.inflight.insert(id, h.abort_handle());
            }
            Task::Chat(Effect::Cancel { id }) => {
                // Cancelling is dropping the task: its stream and connection go with it.
                if let Some(h) = self.inflight.remove(&id) {
                    h.abort();
                }
                if let Ok(mut m) = shared.tools.lock() {
                    m.remove(&id);
                }
            }
            Task::Chat(Effect::ShowEvidence(_)) | Task::Chat(Effect::Notice(_)) => {}
            Task::RunStep { incident, runbook, step } => {
                tokio::task::spawn_blocking(move || {
                    let result =
                        shared.engine.run_confirmed(&runbook, step, incident.as_deref(), now, ConfirmedBy::Tui);
                    let (text, ok) = match result {
                        Ok(o) => {
                            let first = o.output.lines().next().unwrap_or("").to_string();
                            let t = crate::engine::runbooks::outcome_text(&o);
                            (if first.is_empty() { t } else { format!("{t}: {first}") }, o.ok())
                        }
                        Err(e) => (format!("not run: {e:#}"), false),
                    };
                    sink(Action::StepDone { runbook, step, text, ok });
                });
            }
            Task::Export { incident } => {
                tokio::task::spawn_blocking(move || {
                    let msg = match shared.engine.export_postmortem(&incident, now) {
                        Ok(path) => format!("postmortem draft written to {}", path.display()),
                        Err(e) => format!("cannot export {incident}: {e:#}"),
                    };
                    sink(Action::Notice(msg));
                });
            }
            Task::FollowFiles(on) => shared.follow.store(on, Ordering::Relaxed),
            // Applied by the loop, which holds the theme.
            Task::Theme(_) => {}
        }
    }
}

/// The chat pane's question to the model, through the engine (redaction and the audit log
/// inside); streamed text and tool calls go to the pane as they come.
async fn ask_llm(
    shared: &Shared,
    id: RequestId,
    offline: &Answer,
    tools: Option<Arc<StoreTools>>,
    sink: &Sink,
) -> ChatEvent {
    let Some((llm, tools)) = shared.llm.as_ref().zip(tools) else {
        return ChatEvent::LlmFailed { id, error: "no LLM configured".into() };
    };
    let events = |e: AgentEvent| {
        let ev = match e {
            AgentEvent::Token(text) => ChatEvent::Token { id, text },
            AgentEvent::ToolCall { name, .. } => ChatEvent::ToolCall { id, name },
            _ => return,
        };
        sink(Action::Chat(ev));
    };
    match shared.engine.ask_llm(llm, offline, tools, &events).await {
        Ok(asked) => match asked.answer {
            Ok(answer) => ChatEvent::LlmDone { id, answer: Box::new(answer) },
            Err(f) => ChatEvent::LlmFailed { id, error: f.error.to_string() },
        },
        // The audit log could not record the exchange: no answer is given.
        Err(e) => ChatEvent::LlmFailed { id, error: format!("{e:#}") },
    }
}

fn draw(terminal: &mut Term, state: &State, theme: &Theme, keys: &Keymap) -> anyhow::Result<()> {
    // One synchronized update per frame: the terminal shows it whole or not at all.
    execute!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|f| super::view::draw(f, state, theme, keys))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    terminal.backend_mut().flush()?;
    Ok(())
}

/// Ctrl-Z: give the terminal back, stop; on `fg`, take it again and redraw everything.
fn suspend(terminal: &mut Term, state: &State, theme: &Theme, keys: &Keymap, mouse: bool) -> anyhow::Result<()> {
    restore_terminal(mouse);
    // SAFETY: raising a signal on our own process. SIGSTOP, not SIGTSTP: our SIGTSTP handler
    // would catch it; the shell sees the job stopped either way, and `fg` sends SIGCONT.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
    enter_terminal(mouse)?;
    terminal.clear()?;
    draw(terminal, state, theme, keys)
}
