//! The same question through both front ends, with an LLM endpoint that fails: `firewatch
//! ask` (the real binary) and the terminal UI's effect runner (its chat tasks, driven as a
//! library call) must leave the same rows in the audit log. And an audit log that refuses
//! writes stops the request it would have recorded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::Fw;
use firewatch::cli::Verbosity;
use firewatch::config::Config;
use firewatch::copilot::chat::{ChatEvent, Effect};
use firewatch::engine::Engine;
use firewatch::store::state::StateDb;
use firewatch::ui::app::Effects;
use firewatch::ui::{Action, Task};
use serde_json::Value;

const QUESTION: &str = "why did checkout slow down at 15:00";
const NOW: &str = "2026-11-20T15:30:00Z";

/// An OpenAI-compatible endpoint that answers every request with HTTP 500; counts them.
fn failing_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                count.fetch_add(1, Ordering::SeqCst);
            }
            let reply = "internal server error";
            let _ = write!(
                conn,
                "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (format!("http://{addr}/v1"), seen)
}

/// An incident in a scratch data dir (the demo's two alerts, and logs in which each pattern
/// changes by its own amount, so the evidence has one order), and a config whose LLM is `url`.
fn setup(url: &str) -> (Fw, std::path::PathBuf) {
    let fw = Fw::new();
    let mut logs = String::new();
    let mut line = |t: String, level: &str, service: &str, msg: String| {
        logs.push_str(&format!(
            "{{\"time\":\"{t}\",\"level\":\"{level}\",\"service\":\"{service}\",\"region\":\"us-east-1\",\"msg\":\"{msg}\"}}\n"
        ));
    };
    for m in 0..60 {
        let t = format!("2026-11-20T14:{m:02}:00Z");
        line(t.clone(), "info", "checkout", format!("payment for ord-{} took {} ms", 1000 + m, 40 + m % 7));
        line(t, "info", "payments", format!("charged ord-{} in {} ms", 1000 + m, 30 + m % 5));
    }
    for m in 0..20 {
        let t = format!("2026-11-20T15:{m:02}:00Z");
        line(
            t.clone(),
            "error",
            "checkout",
            format!("payment for ord-{} took {} ms, upstream payments timed out", 2000 + m, 3000 + m),
        );
        if m % 2 == 0 {
            line(
                t,
                "error",
                "payments",
                format!("could not acquire connection from pool payments-db after {} ms", 900 + m),
            );
        }
    }
    let logs = fw.write("shop.jsonl", logs.as_bytes());
    let alerts = fw.write("alerts.json", include_bytes!("../src/demo/alertmanager-webhook.json"));
    fw.ok(&["ingest", logs.to_str().unwrap(), alerts.to_str().unwrap()]);
    let cfg =
        fw.write("config.toml", format!("[llm]\nbase_url = \"{url}\"\nmodel = \"failing\"\nretries = 0\n").as_bytes());
    (fw, cfg)
}

/// (kind, detail) of every row after the first `skip`, in order.
fn rows(fw: &Fw, skip: usize) -> Vec<(String, Value)> {
    let db = StateDb::open(&fw.data_dir()).unwrap();
    db.audit(None).unwrap().into_iter().skip(skip).map(|r| (r.kind, r.detail)).collect()
}

/// The chat pane's question: Analyze, then AskLlm with the offline answer, through the
/// effect runner the terminal UI uses; returns how the LLM part ended.
fn ask_through_the_ui(fw: &Fw, cfg: &std::path::Path, now: DateTime<Utc>) -> ChatEvent {
    let config = Config::load(Some(cfg)).unwrap();
    let engine = Engine::new(fw.data_dir(), config, Verbosity::Quiet).unwrap();
    let (tx, rx) = mpsc::channel::<Action>();
    let mut effects = Effects::new(engine, move |a| tx.send(a).is_ok()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _in_runtime = rt.enter();
    let id = 7;
    effects.start(Task::Chat(Effect::Analyze { id, question: QUESTION.into(), now }), now);
    let offline = loop {
        match rx.recv_timeout(Duration::from_secs(60)).expect("the offline answer") {
            Action::Chat(ChatEvent::Offline { id: got, answer }) if got == id => break answer,
            Action::Chat(ChatEvent::OfflineFailed { error, .. }) => panic!("offline answer failed: {error}"),
            _ => {}
        }
    };
    effects.start(Task::Chat(Effect::AskLlm { id, offline }), now);
    loop {
        let a = rx.recv_timeout(Duration::from_secs(60)).expect("the LLM's end");
        if let Action::Chat(e @ (ChatEvent::LlmFailed { .. } | ChatEvent::LlmDone { .. })) = a {
            return e;
        }
    }
}

#[test]
fn a_failing_llm_leaves_the_same_audit_rows_from_the_cli_and_the_tui() {
    let (url, seen) = failing_endpoint();
    let (fw, cfg) = setup(&url);
    let before = rows(&fw, 0).len();

    let out = fw.command().arg("--config").arg(&cfg).args(["ask", "--json", "--now", NOW, QUESTION]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["llm"]["fallback"].as_str().unwrap().contains("internal server error"), "{}", v["llm"]);
    let cli = rows(&fw, before);

    let now = DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc);
    let ended = ask_through_the_ui(&fw, &cfg, now);
    assert!(
        matches!(&ended, ChatEvent::LlmFailed { error, .. } if error.contains("internal server error")),
        "{ended:?}"
    );
    let tui = rows(&fw, before + cli.len());

    assert_eq!(seen.load(Ordering::SeqCst), 2, "one request from each front end");
    let kinds: Vec<&str> = cli.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["llm_request", "llm_answer"], "the request, then how it ended");
    assert_eq!(cli[1].1["fallback"], v["llm"]["fallback"], "the answer row says why it fell back");
    assert_eq!(cli[1].1["incident"], v["incident"], "and which incident the question was about");
    assert!(v["incident"].is_string(), "{v}");
    // Same kinds, same details: the request as sent, and the same fallback recorded.
    assert_eq!(tui.len(), cli.len(), "{tui:?}");
    for ((tk, td), (ck, cd)) in tui.iter().zip(&cli) {
        assert_eq!(tk, ck);
        let (t, c) = (td.to_string(), cd.to_string());
        assert!(t == c, "{tk} rows differ: {}", first_difference(&t, &c));
    }
}

/// Where two long texts part, with some context: the assertion's message.
fn first_difference(a: &str, b: &str) -> String {
    let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let around = |s: &str| s.get(at.saturating_sub(120)..(at + 120).min(s.len())).unwrap_or(s).to_string();
    format!("at byte {at}:\n  tui: ...{}...\n  cli: ...{}...", around(a), around(b))
}

#[test]
fn an_audit_log_that_refuses_writes_stops_the_request_it_would_record() {
    let (url, seen) = failing_endpoint();
    let (fw, cfg) = setup(&url);
    // Every insert into the audit log fails from now on (a full disk, a read-only file).
    let db = rusqlite::Connection::open(fw.data_dir().join("state.db")).unwrap();
    db.execute_batch("CREATE TRIGGER refuse BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END;")
        .unwrap();

    let out = fw.command().arg("--config").arg(&cfg).args(["ask", "--json", "--now", NOW, QUESTION]).output().unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 0, "no audit row, no request");
    assert!(!out.status.success(), "an answer that cannot be audited is not given");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("audit log"), "{err}");

    let now = DateTime::parse_from_rfc3339(NOW).unwrap().with_timezone(&Utc);
    let ended = ask_through_the_ui(&fw, &cfg, now);
    assert!(matches!(&ended, ChatEvent::LlmFailed { error, .. } if error.contains("audit log")), "{ended:?}");
    assert_eq!(seen.load(Ordering::SeqCst), 0, "nor from the terminal UI");
}
