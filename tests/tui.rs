//! The real binary in a real terminal: tmux runs `firewatch demo` (and `firewatch` on a real
//! Alertmanager), the test types keys with `send-keys` and reads the screen with
//! `capture-pane`, as a user would see it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Fw;

struct Tmux {
    socket: String,
}

impl Tmux {
    /// A tmux server of its own (its own socket), running `cmd` in a 120x35 window.
    fn start(name: &str, cmd: &str, size: (u16, u16)) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(std::env::var_os("CI").is_none(), "tmux is missing under CI: scripts/test.sh installs it");
            eprintln!("note: tmux is not installed; skipping");
            return None;
        }
        let t = Tmux { socket: format!("fw-{name}-{}", std::process::id()) };
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let status = t.cmd(&["new-session", "-d", "-s", "fw", "-x", &w, "-y", &h, cmd]).status().unwrap();
        assert!(status.success());
        Some(t)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.arg("-L").arg(&self.socket).arg("-f").arg("/dev/null").args(args);
        c
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "fw"];
        args.extend(keys);
        assert!(self.cmd(&args).status().unwrap().success());
    }

    fn type_text(&self, text: &str) {
        assert!(self.cmd(&["send-keys", "-t", "fw", "-l", text]).status().unwrap().success());
    }

    fn screen(&self) -> String {
        let out = self.cmd(&["capture-pane", "-p", "-t", "fw"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn display(&self, format: &str) -> String {
        let out = self.cmd(&["display-message", "-p", "-t", "fw", format]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Waits until the screen satisfies `ok`; fails with the screen after `secs`.
    fn wait(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("waited {secs}s for {what}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn launch(fw: &Fw, args: &str) -> String {
    format!(
        "env -u FIREWATCH_CONFIG -u NO_COLOR TZ=UTC TERM=xterm-256color {} --data-dir {} {args}; echo FIREWATCH-EXITED $?; sleep 60",
        env!("CARGO_BIN_EXE_firewatch"),
        shell_quote(&fw.data_dir())
    )
}

#[test]
fn demo_incident_forms_live_then_search_ask_cite_and_quit_restores_the_terminal() {
    let fw = Fw::new();
    let Some(t) = Tmux::start("demo", &launch(&fw, "demo --speed 60"), (120, 35)) else { return };
    // The TUI is up at once, on the alternate screen, while the history loads.
    let s = t.wait("the first frame", 20, |s| s.contains("1 Incidents") && s.contains("? help"));
    assert!(s.contains("demo:"), "{s}");
    assert_eq!(t.display("#{alternate_on}"), "1", "the TUI draws on the alternate screen");
    // The incident forms while we watch: alerts arrive, it is grouped, a cause is named.
    let s = t.wait("the demo incident with its suspected cause", 150, |s| {
        s.lines().any(|l| {
            l.contains("SLOErrorBudgetBurn on frontend") && l.contains("FIRING") && l.contains("suspected cause")
        })
    });
    assert!(s.contains("replaying at x60"), "{s}");
    // Open it: the detail shows the cause, the deploy before it, and the timeline.
    let first = s.lines().position(|l| l.contains("SLOErrorBudgetBurn on frontend")).unwrap();
    let selected = s.lines().position(|l| l.contains("FIRING")).unwrap();
    assert_eq!(first, selected, "open incidents come first, newest first:\n{s}");
    // The selection stays on the incident it was on while the list changes: g goes to the top.
    t.keys(&["g", "Enter"]);
    let s = t.wait("the incident detail", 10, |s| s.contains("Suspected cause") && s.contains("Timeline"));
    assert!(s.contains("deploy: starting search version"), "the deploy is on the timeline:\n{s}");
    // The bad deploy is in every region of `search`: which region leads (or none, when its callers' error logs
    // lead) depends on how much of the replay is in, so only the service is asserted.
    let top = s.lines().find(|l| l.contains("▶1.")).unwrap_or_default();
    assert_eq!(
        top.split_whitespace().nth(2).map(|w| w.trim_end_matches(':')),
        Some("search"),
        "the ranked causes:\n{s}"
    );
    // Search the logs: hits, newest first, with a histogram.
    t.keys(&["/"]);
    t.type_text("service:search level:>=error");
    t.keys(&["Enter"]);
    let s = t.wait("search hits", 30, |s| {
        s.contains("Logs: service:search level:>=error |") && s.contains(" hits,") && !s.contains("searching…")
    });
    // Hit lines: time, severity, service, body (what the newest errors say moves with the replay).
    assert!(s.lines().filter(|l| l.contains(" error search ")).count() >= 5, "{s}");
    // Ask: an offline answer that cites its evidence.
    t.keys(&["a"]);
    t.type_text("why is the frontend failing?");
    t.keys(&["Enter"]);
    let s = t.wait("a cited answer", 60, |s| s.contains("answered offline") && s.contains("[E1]"));
    assert!(s.contains("Suspected cause: search"), "{s}");
    assert!(s.contains("read as: services frontend"), "the interpretation is shown:\n{s}");
    // Open the first citation: it lands in the logs, on that evidence.
    t.keys(&["n"]);
    t.wait("the picked citation", 10, |s| s.contains("  E1 "));
    t.keys(&["Enter"]);
    let s = t.wait("the cited evidence in the logs", 30, |s| s.contains("showing E1") && !s.contains("searching…"));
    assert!(s.contains("Esc: back to the answer"), "{s}");
    // The lines with its words, or else its service's warnings and errors at its time.
    assert!(!s.contains("| 0 hits") && s.lines().filter(|l| l.contains(" search ")).count() >= 5, "{s}");
    // E1 is a metric: its series is drawn above them, read from the store.
    let s = t.wait("the cited series", 20, |s| s.contains("request.error.ratio of search in "));
    assert!(s.contains("the cited time"), "{s}");
    t.keys(&["Escape"]);
    t.wait("back in the chat", 10, |s| s.contains("Chat: incident"));
    // Quit: the program exits 0 and the terminal is as it was.
    t.keys(&["q"]);
    let s = t.wait("the exit", 20, |s| s.contains("FIREWATCH-EXITED"));
    assert!(s.contains("FIREWATCH-EXITED 0"), "{s}");
    assert_eq!(t.display("#{alternate_on}"), "0", "left the alternate screen");
    assert_eq!(t.display("#{cursor_flag}"), "1", "the cursor is visible again");
    assert!(!s.contains("Incidents:"), "nothing of the TUI is left on the screen:\n{s}");
}

#[test]
fn a_small_terminal_is_told_and_a_resize_brings_the_ui_back() {
    let fw = Fw::new();
    let cfg = fw.write("config.toml", b"[ui]\nmouse = true\n");
    let cmd = launch(&fw, &format!("--config {} demo --speed 1", shell_quote(&cfg)));
    let Some(t) = Tmux::start("small", &cmd, (60, 20)) else { return };
    t.wait("the size message", 20, |s| s.contains("needs a terminal of at least 80x24"));
    assert!(t.cmd(&["resize-window", "-t", "fw", "-x", "80", "-y", "24"]).status().unwrap().success());
    let s = t.wait("the UI at 80x24", 20, |s| s.contains("1 Incidents") && s.contains("? help"));
    // With `mouse = true`, a click on a tab goes there (an SGR mouse report, as xterm sends).
    let col = s.lines().next().unwrap().find("3 Logs").expect("the tabs") + 2;
    t.type_text(&format!("\x1b[<0;{col};1M\x1b[<0;{col};1m"));
    t.wait("the Logs pane, clicked", 10, |s| s.contains("Logs: / to search"));
    t.keys(&["1"]);
    t.keys(&["?"]);
    t.wait("the help", 10, |s| s.contains("Keys") && s.contains("command palette"));
    // Ctrl-Z gives the terminal back and stops; SIGCONT (what `fg` sends) redraws it all.
    t.keys(&["Escape", "C-z"]);
    let start = Instant::now();
    while t.display("#{alternate_on}") != "0" {
        assert!(start.elapsed() < Duration::from_secs(10), "Ctrl-Z left the alternate screen on:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The unquoted path matches firewatch's own command line, not the quoting shell's.
    let pid = Command::new("pgrep").args(["-f", &format!("{} --config", fw.data_dir().display())]).output().unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout).lines().next().expect("the firewatch process").to_string();
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    assert!(state.contains(") T "), "stopped after Ctrl-Z: {state}");
    assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
    t.wait("the UI after resuming", 10, |s| s.contains("1 Incidents") && s.contains("? help"));
    assert_eq!(t.display("#{alternate_on}"), "1");
    t.keys(&[":"]);
    t.type_text("quit");
    t.keys(&["Enter"]);
    let s = t.wait("the exit", 20, |s| s.contains("FIREWATCH-EXITED"));
    assert!(s.contains("FIREWATCH-EXITED 0"), "{s}");
}

#[test]
fn an_alert_posted_with_amtool_appears_in_the_incidents_pane() {
    let am = match std::env::var("FIREWATCH_ALERTMANAGER_URL") {
        Ok(am) => am,
        Err(_) if std::env::var_os("CI").is_some() => panic!("FIREWATCH_ALERTMANAGER_URL is not set under CI"),
        Err(_) => {
            eprintln!("note: FIREWATCH_ALERTMANAGER_URL is not set; skipping");
            return;
        }
    };
    let fw = Fw::new();
    let cfg = fw.write(
        "tui.toml",
        format!(
            "[ui]\nrefresh_ms = 300\n\n[[source]]\nkind = \"alertmanager\"\nurl = \"{am}\"\ninterval = \"500ms\"\n"
        )
        .as_bytes(),
    );
    let cmd = format!(
        "env -u NO_COLOR TZ=UTC TERM=xterm-256color {} --data-dir {} --config {}; echo FIREWATCH-EXITED $?; sleep 60",
        env!("CARGO_BIN_EXE_firewatch"),
        shell_quote(&fw.data_dir()),
        shell_quote(&cfg)
    );
    let Some(t) = Tmux::start("live", &cmd, (120, 35)) else { return };
    t.wait("the first frame", 20, |s| s.contains("1 Incidents"));
    // Unique per run: alerts of earlier runs on the same server must not be what we see.
    let run = format!("{}{}", std::process::id(), chrono::Utc::now().timestamp_millis() % 100_000);
    let name = format!("FwTui{run}");
    let service = format!("service=tui-{run}");
    let out = Command::new("amtool")
        .arg(format!("--alertmanager.url={am}"))
        .args(["alert", "add", &name, &service, "severity=critical", "--annotation=summary=posted by the tui test"])
        .output()
        .unwrap();
    assert!(out.status.success(), "amtool: {}", String::from_utf8_lossy(&out.stderr));
    let posted = Instant::now();
    let s =
        t.wait("the amtool alert as an incident", 30, |s| s.lines().any(|l| l.contains(&name) && l.contains("FIRING")));
    eprintln!("measured: amtool alert add -> on screen in {:?}", posted.elapsed());
    assert!(s.contains(&format!("tui-{run}")), "{s}");
    assert!(s.contains("alertmanager ok"), "the source's health is in the status bar:\n{s}");
    t.keys(&["q"]);
    let s = t.wait("the exit", 20, |s| s.contains("FIREWATCH-EXITED"));
    assert!(s.contains("FIREWATCH-EXITED 0"), "{s}");
}

#[test]
fn the_chat_streams_from_a_real_llm_and_esc_cancels_it() {
    let Some((url, model)) = common::live_llm() else { return };
    let fw = Fw::new();
    // A long answer, so the tiny model is still writing when Esc comes.
    let cfg = common::live_llm_config(&fw, &url, &model, 200);
    let cmd = launch(&fw, &format!("--config {} demo --speed 60", shell_quote(&cfg)));
    let Some(t) = Tmux::start("llm", &cmd, (120, 35)) else { return };
    t.wait("the demo incident", 150, |s| {
        s.lines().any(|l| l.contains("SLOErrorBudgetBurn on frontend") && l.contains("FIRING"))
    });
    t.keys(&["g", "a"]);
    t.type_text("why is the frontend failing?");
    t.keys(&["Enter"]);
    let s = t.wait("the model writing", 60, |s| s.contains("writing…"));
    assert!(s.contains("llm streaming") || s.contains("llm analysing"), "the status bar shows the LLM's state:\n{s}");
    assert!(s.contains("Chat: incident") && s.contains("| LLM"), "{s}");
    // The request is audited before it is sent; the tiny model takes over a second to start.
    std::thread::sleep(Duration::from_millis(500));
    t.keys(&["Escape"]);
    let s = t.wait("the cancelled answer", 10, |s| s.contains("— cancelled"));
    assert!(s.contains("llm ready"), "{s}");
    // The next question is answered in full, streamed, with its token count.
    t.keys(&["a"]);
    t.type_text("what changed before the errors?");
    t.keys(&["Enter"]);
    let s = t.wait("a streamed answer", 120, |s| s.contains("answered, ") && s.contains(" tokens"));
    assert!(!s.contains("the LLM failed"), "{s}");
    t.keys(&["q"]);
    let s = t.wait("the exit", 20, |s| s.contains("FIREWATCH-EXITED"));
    assert!(s.contains("FIREWATCH-EXITED 0"), "{s}");
    // Both requests are in the audit log, as sent; the answer of the second too.
    let audit = fw.ok(&["audit", "--json"]);
    let kinds: Vec<String> = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "llm_request").count(), 2, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "llm_answer").count(), 1, "{kinds:?}");
}

#[test]
fn without_a_terminal_the_ui_says_so_and_writes_no_escape_codes() {
    let fw = Fw::new();
    let out = fw.run_stdin(&[], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the terminal UI needs a terminal"), "{err}");
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", String::from_utf8_lossy(&out.stdout));
}

/// `firewatch FILE` opens the file in the UI: its tail at once, indexed behind it; `F` follows
/// it as a writer appends, and a search counts the new lines as their commits land. The
/// default data dir is a cache dir keyed by the file (here under a scratch XDG_CACHE_HOME).
#[test]
fn an_opened_file_is_followed_and_searched_while_it_grows() {
    use std::io::Write as _;
    let fw = Fw::new();
    let log = fw.dir.path().join("app.log");
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("2026-11-20T15:{:02}:{:02}Z INFO request {i} served\n", i / 60 % 60, i % 60));
    }
    text.push_str("2026-11-20T16:00:00Z ERROR the last line before the test\n");
    std::fs::write(&log, text).unwrap();
    let cache = fw.dir.path().join("cache");
    let cmd = format!(
        "env -u FIREWATCH_CONFIG -u FIREWATCH_DATA_DIR -u NO_COLOR XDG_CACHE_HOME={} TZ=UTC TERM=xterm-256color {} {}; echo FIREWATCH-EXITED $?; sleep 60",
        shell_quote(&cache),
        env!("CARGO_BIN_EXE_firewatch"),
        shell_quote(&log)
    );
    let Some(t) = Tmux::start("open", &cmd, (120, 35)) else { return };
    // The newest line is on the first screen, read from the end of the file.
    let s = t.wait("the file's tail", 20, |s| s.contains("0 Tail") && s.contains("the last line before the test"));
    assert!(s.contains("Tail: app.log"), "{s}");
    t.wait("the file indexed", 60, |s| s.contains("app.log: ") && s.contains("indexed, 2.0 k records"));
    // A writer appends a line with a word of its own every 50 ms.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, log) = (stop.clone(), log.clone());
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                writeln!(f, "2026-11-20T16:01:00Z WARN quokka appended {i}").unwrap();
                i += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    t.keys(&["F"]);
    let s = t.wait("following, with the new lines", 20, |s| s.contains("following") && s.contains("quokka appended"));
    assert!(s.contains("| following"), "the pane says it follows:\n{s}");
    t.keys(&["/"]);
    t.type_text("quokka");
    t.keys(&["Enter"]);
    let count = |s: &str| -> Option<u64> {
        let line = s.lines().find(|l| l.contains("Logs: quokka |"))?;
        line.split("| ").nth(1)?.split(' ').next()?.parse().ok()
    };
    let first = t.wait("hits of the appended word", 30, |s| count(s).is_some_and(|n| n > 0));
    let n1 = count(&first).unwrap();
    let later = t.wait("more hits as the file grows", 30, |s| count(s).is_some_and(|n| n > n1));
    assert!(later.contains("of app.log"), "the search says what it covers:\n{later}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    t.keys(&["q"]);
    let s = t.wait("the exit", 20, |s| s.contains("FIREWATCH-EXITED"));
    assert!(s.contains("FIREWATCH-EXITED 0"), "{s}");
    // The cache dir holds the index: opening the file again reads only what is new.
    let dirs: Vec<_> = std::fs::read_dir(cache.join("firewatch/open")).unwrap().collect();
    assert_eq!(dirs.len(), 1, "one cache dir for the file");
}

/// `cmd | firewatch -`: standard input is spooled and followed; the keys come from the
/// terminal, not from the pipe; the scratch spool is gone after quitting.
#[test]
fn standard_input_is_spooled_followed_and_searched_with_keys_from_the_terminal() {
    let fw = Fw::new();
    let cache = fw.dir.path().join("cache");
    let cmd = format!(
        "(for i in $(seq 1 40); do echo \"2026-11-20T16:00:00Z INFO wombat piped $i\"; sleep 0.05; done; sleep 3) | env -u FIREWATCH_CONFIG -u FIREWATCH_DATA_DIR -u NO_COLOR XDG_CACHE_HOME={} TZ=UTC TERM=xterm-256color {} -; echo FIREWATCH-EXITED $?; sleep 60",
        shell_quote(&cache),
        env!("CARGO_BIN_EXE_firewatch"),
    );
    let Some(t) = Tmux::start("stdin", &cmd, (120, 35)) else { return };
    let s = t.wait("the piped lines", 20, |s| s.contains("wombat piped 40"));
    assert!(s.contains("Tail: stdin | following"), "standard input is followed:\n{s}");
    t.wait("all of it indexed", 30, |s| s.contains("stdin: ") && s.contains("indexed, 40 records"));
    t.keys(&["/"]);
    t.type_text("wombat");
    t.keys(&["Enter"]);
    t.wait("the piped lines found", 20, |s| s.contains("Logs: wombat | 40 hits"));
    t.keys(&["q"]);
    let s = t.wait("the exit", 20, |s| s.contains("FIREWATCH-EXITED"));
    assert!(s.contains("FIREWATCH-EXITED 0"), "{s}");
    let left: Vec<_> = std::fs::read_dir(cache.join("firewatch/open")).map(|d| d.collect()).unwrap_or_default();
    assert!(left.is_empty(), "the scratch spool is removed: {left:?}");
}
