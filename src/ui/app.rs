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
use super::{chart, rows, update, Action, HitRow, SearchResults, SourceStatus, State, Task};
use crate::cmd::Ctx;
use crate::copilot::agent::{self, AgentEvent, AgentOptions};
use crate::copilot::chat::{ChatEvent, Effect, RequestId};
use crate::copilot::redact::Redactor;
use crate::copilot::tools::StoreTools;
use crate::store::search::{self, SearchRequest};
use crate::store::state::{actor, StateDb};
use crate::store::Store;

/// Hits a search brings back; the list shows the newest.
const HITS: usize = 500;
/// Buckets of the hit histogram.
const BUCKETS: usize = 60;

pub enum Mode {
    /// The configured sources, run in this process, and whatever is in the data dir.
    Live,
    /// The simulated incident, replayed at `speed` times real time.
    Demo { speed: f64 },
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

fn health_state(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Object(m)) => m.get("state").and_then(|s| s.as_str()).unwrap_or("unknown").to_string(),
        Ok(serde_json::Value::String(s)) => s,
        _ => "unknown".into(),
    }
}

/// Shared by the tasks: the context and an index reader that reloads on commits.
struct Shared {
    ctx: Ctx,
    /// Opened off the loop, after the first frame: on a cold page cache a large index
    /// takes seconds to open, and the screen must not wait for it.
    index: std::sync::OnceLock<Result<(Store, tantivy::IndexReader), String>>,
    /// Bumped by the replay on every commit; the loader re-analyses only when it moved.
    generation: AtomicU64,
    stop: Arc<AtomicBool>,
    /// The tools of each question the LLM is answering (they hold its store snapshot).
    tools: Mutex<HashMap<RequestId, Arc<StoreTools>>>,
    llm: Option<(crate::copilot::llm::LlmClient, crate::copilot::prompts::Prompts)>,
}

impl Shared {
    fn index(&self) -> anyhow::Result<&(Store, tantivy::IndexReader)> {
        let opened = self.index.get_or_init(|| {
            let store = Store::open(&self.ctx.data_dir).map_err(|e| format!("cannot open the index: {e}"))?;
            let reader = store.reader().map_err(|e| format!("cannot read the index: {e}"))?;
            Ok((store, reader))
        });
        opened.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
    }
}

pub fn run(ctx: Ctx, mode: Mode, theme: Option<&str>) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    use std::io::IsTerminal as _;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal on stdin and stdout; in scripts use the commands (search, incidents, ask, runbooks; see --help)"
        );
    }
    let ui = ctx.config.ui.clone();
    let depth = Depth::detect();
    let theme_name = theme.unwrap_or(&ui.theme).to_string();
    let mut theme = load_theme(&theme_name, depth)?;
    let keys = Keymap::new(&ui.keys)?;
    let llm = match &ctx.config.llm {
        Some(section) => Some(crate::cmd::ask::llm(section)?),
        None => None,
    };
    let shared = Arc::new(Shared {
        ctx,
        index: std::sync::OnceLock::new(),
        generation: AtomicU64::new(1),
        stop: Arc::new(AtomicBool::new(false)),
        tools: Mutex::new(HashMap::new()),
        llm,
    });

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
    let (tx, rx) = unbounded_channel::<(Msg, Option<Instant>)>();
    let mut state = State::new(Utc::now());
    let size = terminal.size()?;
    state.size = (size.width, size.height);
    state.chat.chat.llm = shared.llm.is_some();
    state.llm = if shared.llm.is_some() { "ready".into() } else { "off".into() };
    state.feed = format!("data dir {}", shared.ctx.data_dir.display());
    if let Mode::Demo { .. } = mode {
        state.feed = "demo: generating the simulated incident".into();
        state.now = crate::sim::replay::demo_spec().start;
    }

    let clock: Arc<Mutex<Option<DateTime<Utc>>>> = Arc::new(Mutex::new(None));
    // Not joined at exit: once the terminal is gone (a hangup) crossterm's read may never
    // return, and the process exiting ends the thread anyway.
    spawn_input(tx.clone(), shared.stop.clone());
    let mut threads = Vec::new();
    match mode {
        Mode::Demo { speed } => threads.push(spawn_replay(&shared, tx.clone(), clock.clone(), speed)),
        Mode::Live if !shared.ctx.config.source.is_empty() => threads.push(spawn_sources(&shared)),
        Mode::Live => {}
    }
    let mut stats = Stats::default();
    let code = rt.block_on(async {
        let warm = shared.clone();
        tokio::task::spawn_blocking(move || warm.index().map(|_| ()));
        let _loader = tokio::spawn(loader(shared.clone(), tx.clone(), clock.clone(), ui.refresh_ms));
        let _ticker = tokio::spawn(ticker(tx.clone(), clock.clone()));
        let mut lp =
            Loop { shared: shared.clone(), tx: tx.clone(), inflight: HashMap::new(), theme_depth: depth, mouse };
        lp.run(&mut terminal, &mut state, &mut theme, &keys, rx, ui.max_fps, started, &mut stats).await
    });
    shared.stop.store(true, Ordering::Relaxed);
    drop(_guard);
    // The replay's writer commits what it has before the process ends; the sources stop.
    for t in threads {
        let _ = t.join();
    }
    rt.shutdown_timeout(Duration::from_millis(500));
    if let Some(path) = std::env::var_os("FIREWATCH_UI_STATS") {
        let _ = std::fs::write(path, serde_json::to_vec(&stats)?);
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
        let replay = crate::sim::replay::Replay::new(&crate::sim::replay::demo_spec(), speed);
        let writer = crate::cmd::ingest::writer_config(&shared.ctx);
        let result = replay.run(&shared.ctx.data_dir, writer, &shared.stop, |p| {
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

/// The configured sources, collected into the data dir in this process.
fn spawn_sources(shared: &Arc<Shared>) -> std::thread::JoinHandle<()> {
    let shared = shared.clone();
    std::thread::spawn(move || {
        let ctx = &shared.ctx;
        let opts = crate::collector::Options {
            once: false,
            once_timeout: Duration::from_secs(60),
            writer: crate::cmd::ingest::writer_config(ctx),
            commit_interval: ctx.config.commit_interval(),
        };
        if let Err(e) = crate::collector::run(&ctx.data_dir, &ctx.config, &opts, shared.stop.clone()) {
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
    let mut every = tokio::time::interval(Duration::from_millis(refresh_ms.max(100)));
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
            None => data_fingerprint(&shared.ctx.data_dir),
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
                let ctx = &sh.ctx;
                let analysis = crate::cmd::incidents::load_and_analyze(ctx, now, None)?;
                let lib = crate::cmd::runbooks::library(ctx)?;
                let known = crate::cmd::runbooks::known_names(ctx)?;
                let rows = rows::rows(&analysis, &lib, &known, now);
                let health = StateDb::open(&ctx.data_dir)?
                    .health()?
                    .into_iter()
                    .map(|h| SourceStatus { name: h.source, state: health_state(&h.health) })
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

/// Changes when anything in the data dir was written: the index's commits and the state
/// database (alerts, metrics, health) with its write-ahead log.
fn data_fingerprint(dir: &std::path::Path) -> u64 {
    let mut h = 0u64;
    for f in ["index/meta.json", "state.db", "state.db-wal"] {
        if let Ok(m) = std::fs::metadata(dir.join(f)) {
            let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
            h = h.rotate_left(17) ^ (t.as_nanos() as u64) ^ m.len();
        }
    }
    h.max(1)
}

struct Loop {
    shared: Arc<Shared>,
    tx: Tx,
    /// Chat requests being answered: cancelling one is aborting its task.
    inflight: HashMap<RequestId, tokio::task::AbortHandle>,
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
                    let done = Instant::now();
                    if stats.frames == 0 {
                        stats.first_frame_ms = (done - started).as_secs_f64() * 1000.0;
                    }
                    stats.frames += 1;
                    stats.draw_ms.push((done - t0).as_secs_f64() * 1000.0);
                    for k in keys_waiting.drain(..) {
                        stats.key_to_frame_ms.push((done - k).as_secs_f64() * 1000.0);
                    }
                    last_draw = Some(done);
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
            for task in u.tasks {
                if let Task::Theme(name) = &task {
                    match load_theme(name, self.theme_depth) {
                        Ok(t) => {
                            *theme = t;
                            dirty = true;
                        }
                        Err(e) => {
                            update(state, Action::Notice(format!("{e:#}")));
                            dirty = true;
                        }
                    }
                    continue;
                }
                self.start(task, state.now);
            }
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

    fn start(&mut self, task: Task, now: DateTime<Utc>) {
        let shared = self.shared.clone();
        let tx = self.tx.clone();
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
                    let a = match found {
                        Ok(results) => Action::SearchDone { seq, results },
                        Err(e) => Action::SearchFailed { seq, error: format!("{e:#}") },
                    };
                    act(&tx, a);
                });
            }
            Task::Chart { seq, evidence } => {
                tokio::task::spawn_blocking(move || {
                    let at = evidence.timestamp;
                    let chart = StateDb::open(&shared.ctx.data_dir)
                        .and_then(|db| db.metrics_between(at - chart::BEFORE, at + chart::AFTER))
                        .map_err(|e| format!("cannot read metrics: {e}"))
                        .and_then(|points| chart::metric_chart(&evidence, &points));
                    act(&tx, Action::ChartDone { seq, chart });
                });
            }
            Task::Chat(Effect::Analyze { id, question, now }) => {
                let h = tokio::task::spawn_blocking(move || {
                    let ev = match crate::cmd::ask::prepare(&shared.ctx, &question, now) {
                        Ok(p) => {
                            if shared.llm.is_some() {
                                let start = p.answer.interpretation.window.start;
                                let tools = StoreTools::new(
                                    p.store.fields,
                                    p.searcher,
                                    p.window,
                                    start,
                                    p.metrics,
                                    &p.analysis,
                                );
                                if let Ok(mut m) = shared.tools.lock() {
                                    m.insert(id, Arc::new(tools));
                                }
                            }
                            ChatEvent::Offline { id, answer: Box::new(p.answer) }
                        }
                        Err(e) => ChatEvent::OfflineFailed { id, error: format!("{e:#}") },
                    };
                    act(&tx, Action::Chat(ev));
                });
                self.inflight.insert(id, h.abort_handle());
            }
            Task::Chat(Effect::AskLlm { id, offline }) => {
                let tools = shared.tools.lock().ok().and_then(|mut m| m.remove(&id));
                let h = tokio::spawn(async move {
                    let Some(((client, prompts), tools)) = shared.llm.as_ref().zip(tools) else {
                        act(&tx, Action::Chat(ChatEvent::LlmFailed { id, error: "no LLM configured".into() }));
                        return;
                    };
                    let mut redactor = Redactor::new(shared.ctx.config.redact);
                    let who = actor();
                    let endpoint = client.endpoint();
                    let model = client.settings().model.clone();
                    let db = match StateDb::open(&shared.ctx.data_dir) {
                        Ok(db) => Mutex::new(db),
                        Err(e) => {
                            act(&tx, Action::Chat(ChatEvent::LlmFailed { id, error: format!("no audit log: {e}") }));
                            return;
                        }
                    };
                    // Every request, exactly as sent, before it is sent: no log row, no request.
                    let audit = |body: &serde_json::Value| -> Result<(), String> {
                        let db = db.lock().map_err(|_| "the audit log lock is poisoned".to_string())?;
                        db.append_audit(
                            "llm_request",
                            &who,
                            &serde_json::json!({"endpoint": endpoint, "model": model, "body": body}),
                        )
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                    };
                    let etx = tx.clone();
                    let events = move |e: AgentEvent| {
                        let ev = match e {
                            AgentEvent::Token(text) => ChatEvent::Token { id, text },
                            AgentEvent::ToolCall { name, .. } => ChatEvent::ToolCall { id, name },
                            _ => return,
                        };
                        act(&etx, Action::Chat(ev));
                    };
                    let out = agent::ask(
                        client,
                        prompts,
                        &offline,
                        tools,
                        &mut redactor,
                        &audit,
                        &events,
                        &AgentOptions::default(),
                    )
                    .await;
                    let ev = match out {
                        Ok(answer) => {
                            if let Ok(db) = db.lock() {
                                let _ = db.append_audit(
                                    "llm_answer",
                                    &who,
                                    &serde_json::json!({"question": redactor.clone().redact(&offline.question), "answer": answer.raw,
                                        "incident": offline.incident, "steps": answer.steps, "tokens": answer.tokens,
                                        "citations": answer.citations, "fallback": null, "tool_calls": answer.tool_calls}),
                                );
                            }
                            ChatEvent::LlmDone { id, answer: Box::new(answer) }
                        }
                        Err(f) => ChatEvent::LlmFailed { id, error: f.error.to_string() },
                    };
                    act(&tx, Action::Chat(ev));
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
                    let result = crate::cmd::runbooks::run_confirmed(
                        &shared.ctx,
                        &runbook,
                        step,
                        incident.as_deref(),
                        now,
                        "tui: typed yes",
                    );
                    let (text, ok) = match result {
                        Ok(o) => {
                            let first = o.output.lines().next().unwrap_or("").to_string();
                            let t = crate::cmd::runbooks::outcome_text(&o);
                            (if first.is_empty() { t } else { format!("{t}: {first}") }, o.ok())
                        }
                        Err(e) => (format!("not run: {e:#}"), false),
                    };
                    act(&tx, Action::StepDone { runbook, step, text, ok });
                });
            }
            Task::Export { incident } => {
                tokio::task::spawn_blocking(move || {
                    let msg = match export(&shared.ctx, &incident, now) {
                        Ok(path) => format!("postmortem draft written to {}", path.display()),
                        Err(e) => format!("cannot export {incident}: {e:#}"),
                    };
                    act(&tx, Action::Notice(msg));
                });
            }
            // Applied by the loop, which holds the theme.
            Task::Theme(_) => {}
        }
    }
}

fn export(ctx: &Ctx, incident: &str, now: DateTime<Utc>) -> anyhow::Result<std::path::PathBuf> {
    let analysis = crate::cmd::incidents::load_and_analyze(ctx, now, None)?;
    let inc = analysis
        .incidents
        .iter()
        .find(|i| i.id == incident)
        .ok_or_else(|| anyhow::anyhow!("no incident {incident}"))?;
    let audit = StateDb::open(&ctx.data_dir)?.audit(None)?;
    let md = crate::cmd::postmortem::render(inc, &analysis, &audit, now);
    let path = ctx.data_dir.join(format!("postmortem-{incident}.md"));
    std::fs::write(&path, md)?;
    Ok(path)
}

/// A search with its count and a histogram of the hits over the two hours before `now`.
fn run_search(
    shared: &Shared,
    query: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> anyhow::Result<SearchResults> {
    let t0 = Instant::now();
    let (store, reader) = shared.index()?;
    let searcher = reader.searcher();
    let f = &store.fields;
    let req =
        SearchRequest { query: query.to_string(), since: window.map(|w| w.0), until: window.map(|w| w.1), limit: HITS };
    let result = search::search(f, &searcher, &req)?;
    let total = search::count(f, &searcher, &req)?;
    let to = now;
    let from = to - chrono::Duration::hours(2);
    let step = (to - from) / BUCKETS as i32;
    let mut histogram = Vec::with_capacity(BUCKETS);
    for b in 0..BUCKETS as i32 {
        let since = from + step * b;
        let r = SearchRequest { query: query.to_string(), since: Some(since), until: Some(since + step), limit: 1 };
        histogram.push(search::count(f, &searcher, &r)?);
    }
    let hits = result
        .hits
        .into_iter()
        .map(|h| HitRow {
            timestamp: h.timestamp,
            service: h.service.unwrap_or_else(|| "-".into()),
            severity: h.severity,
            body: h.body,
            trace_id: h.trace_id.filter(|t| !t.is_empty()),
        })
        .collect();
    Ok(SearchResults {
        hits,
        total,
        terms: result.highlights,
        histogram,
        span: Some((from, to)),
        millis: t0.elapsed().as_millis() as u64,
        fallback: None,
    })
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
