//! The copilot against a real LLM server on loopback: llama-cpp-python serving
//! SmolLM2-135M-Instruct, started by the test command (`scripts/llm-server.sh`). The model
//! is tiny, so these tests assert on protocol and grounding behaviour, never on wisdom:
//! tokens stream, a tool round trips, the citation check runs on what the model wrote,
//! Ctrl-C cancels, and a stopped server gives the offline answer with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as ChronoDuration, SecondsFormat, TimeZone, Utc};
use common::Fw;
use firewatch::copilot::agent::{self, AgentEvent, AgentOptions};
use firewatch::copilot::interpret::{interpret, Known};
use firewatch::copilot::llm::{LlmClient, LlmSettings};
use firewatch::copilot::offline::{Answer, Evidence};
use firewatch::copilot::prompts::Prompts;
use firewatch::copilot::redact::{RedactConfig, Redactor};
use firewatch::copilot::tools::Tools;
use firewatch::sim::{generate, write_files, FaultKind, ScenarioSpec};
use firewatch::store::state::StateDb;
use serde_json::Value;

/// The tests share one server, and one of them stops it.
static SERVER: Mutex<()> = Mutex::new(());

struct Live {
    url: String,
    model: String,
    script: String,
}

fn live() -> Option<Live> {
    let (url, model) = common::live_llm()?;
    let script = std::env::var("FIREWATCH_LLM_SCRIPT").unwrap_or_else(|_| "scripts/llm-server.sh".into());
    Some(Live { url, model, script })
}

struct Scenario {
    fw: Fw,
    now: String,
    question: String,
}

fn scenario() -> Scenario {
    let s = generate(&ScenarioSpec { services: 8, ..ScenarioSpec::new(7, FaultKind::SlowDatabase) });
    let fw = Fw::new();
    let dir = tempfile::tempdir().unwrap();
    write_files(&s, dir.path()).unwrap();
    fw.ok(&["ingest", dir.path().join("telemetry").to_str().unwrap()]);
    let now = (s.spec.start + ChronoDuration::seconds(s.spec.duration_secs)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let truth = &s.truth.incidents[0];
    let at = (truth.onset + ChronoDuration::minutes(5)).format("%H:%M").to_string();
    let question = format!("why did {} have errors at {at}", truth.root_service);
    Scenario { fw, now, question }
}

fn config(fw: &Fw, live: &Live, max_tokens: u32) -> std::path::PathBuf {
    common::live_llm_config(fw, &live.url, &live.model, max_tokens)
}

fn ask(s: &Scenario, cfg: &std::path::Path, json: bool) -> Command {
    let mut c = s.fw.command();
    c.arg("--config").arg(cfg).args(["ask", "--now", &s.now]);
    if json {
        c.arg("--json");
    }
    c.arg(&s.question);
    c
}

/// Pieces of stdout with the time each arrived.
type Reads = Arc<Mutex<Vec<(Instant, String)>>>;

/// Runs `c`, recording when each piece of stdout arrived.
fn spawn_recording(mut c: Command) -> (std::process::Child, Reads) {
    let mut child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let reads = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let r = Arc::clone(&reads);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            r.lock().unwrap().push((Instant::now(), String::from_utf8_lossy(&buf[..n]).into_owned()));
        }
    });
    (child, reads)
}

#[test]
fn the_answer_streams_and_its_citations_are_checked() {
    let Some(live) = live() else { return };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario();
    let cfg = config(&s.fw, &live, 160);

    let t0 = Instant::now();
    let (mut child, reads) = spawn_recording(ask(&s, &cfg, false));
    let status = child.wait().unwrap();
    let exited = Instant::now();
    std::thread::sleep(Duration::from_millis(100));
    assert!(status.success());
    let reads = reads.lock().unwrap().clone();
    let all: String = reads.iter().map(|(_, t)| t.as_str()).collect();
    assert!(all.starts_with("understood: "), "{all}");
    // The answer arrives in pieces while the model writes, well before the process ends.
    let header_end = all.find("\n\n").unwrap();
    let mut seen = 0;
    let answer_reads: Vec<Instant> = reads
        .iter()
        .filter_map(|(at, t)| {
            seen += t.len();
            (seen > header_end + 2).then_some(*at)
        })
        .collect();
    assert!(answer_reads.len() >= 3, "{} pieces: {all}", answer_reads.len());
    let first = answer_reads[0];
    eprintln!(
        "measured: first answer text {:?} after start, {:?} before exit",
        first - t0,
        exited.saturating_duration_since(first)
    );
    assert!(exited.saturating_duration_since(first) > Duration::from_millis(300), "not streamed: {all}");
    assert!(all.contains("\nllm: "), "tokens are reported: {all}");
    assert!(all.contains(" tokens ("), "{all}");

    // The same question as JSON: the contract, the LLM's report, and the check applied to
    // whatever the model wrote.
    let out = ask(&s, &cfg, true).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["question", "interpretation", "root_cause", "candidates", "evidence", "answer", "runbooks"] {
        assert!(v.get(key).is_some(), "no {key}");
    }
    let llm = &v["llm"];
    assert!(llm["fallback"].is_null(), "{llm}");
    assert_eq!(llm["steps"], 1);
    assert!(llm["tokens"]["completion"].as_u64().unwrap() > 0 && llm["tokens"]["prompt"].as_u64().unwrap() > 500);
    let answer = v["answer"].as_str().unwrap();
    let ids: Vec<String> =
        v["evidence"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let unknown: Vec<&str> =
        llm["citations"]["unknown"].as_array().unwrap().iter().map(|u| u.as_str().unwrap()).collect();
    for c in llm["citations"]["cited"].as_array().unwrap() {
        let c = c.as_str().unwrap();
        assert_eq!(ids.iter().any(|i| i == c), !unknown.contains(&c), "{c}");
    }
    for u in &unknown {
        assert!(answer.contains(&format!("{u}?not in evidence")), "{u} is not flagged: {answer}");
    }
    // "Ungrounded" is said when no valid citation is left; an unknown one next to a valid one
    // is flagged inline and makes `grounded` false without that line.
    let valid = llm["citations"]["cited"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !unknown.contains(&c.as_str().unwrap()))
        .count();
    assert_eq!(answer.ends_with("(ungrounded: no evidence cited)"), valid == 0, "{answer}");
    assert_eq!(llm["citations"]["grounded"], valid > 0 && unknown.is_empty(), "{answer}");
    eprintln!("measured: smollm2 answer, grounded={}, {}", llm["citations"]["grounded"], llm["tokens"]);
    let rows = StateDb::open(&s.fw.data_dir()).unwrap().audit(Some("llm_request")).unwrap();
    assert_eq!(rows.len(), 2, "both questions' requests are audited");
    // doctor vouches for the endpoint and the model.
    let out = s.fw.command().arg("--config").arg(&cfg).args(["doctor", "--json"]).output().unwrap();
    let doctor: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let llm: Value = doctor.into_iter().find(|c| c["name"] == "llm").unwrap();
    assert_eq!(llm["verdict"], "ok", "{llm}");
    assert_eq!(rows[1].detail["body"]["model"], live.model.as_str());
}

/// Tools that answer from a fixed pack and remember what they were asked.
struct Recorded(Mutex<Vec<(String, Value)>>);

impl Tools for Recorded {
    fn call(&self, name: &str, args: &Value) -> Result<Vec<Evidence>, String> {
        self.0.lock().unwrap().push((name.to_string(), args.clone()));
        Ok(vec![Evidence {
            id: String::new(),
            kind: "log",
            timestamp: Utc.with_ymd_and_hms(2026, 11, 20, 15, 3, 0).unwrap(),
            service: Some("payments".into()),
            text: "ERROR could not acquire connection from pool payments-db after 5000 ms".into(),
        }])
    }
}

#[test]
fn a_tool_call_round_trips_through_the_real_server() {
    let Some(live) = live() else { return };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let now = Utc.with_ymd_and_hms(2026, 11, 20, 15, 30, 0).unwrap();
    let known = Known { services: vec!["checkout".into(), "payments".into()], regions: vec!["us-east-1".into()] };
    let question = "why did checkout fail at 15:05";
    let offline = Answer {
        question: question.into(),
        interpretation: interpret(question, now, &known),
        root_cause: None,
        candidates: vec![],
        evidence: vec![Evidence {
            id: "E1".into(),
            kind: "alert",
            timestamp: Utc.with_ymd_and_hms(2026, 11, 20, 15, 2, 0).unwrap(),
            service: Some("checkout".into()),
            text: "CheckoutErrors fired on checkout".into(),
        }],
        answer: "No cause found.".into(),
        runbooks: vec![],
        incident: None,
    };
    let section: firewatch::config::LlmSection = toml::from_str(&format!(
        "base_url = \"{}\"\nmodel = \"{}\"\nmax_tokens = 200\ncontext_tokens = 3072\nidle_timeout = \"120s\"",
        live.url, live.model
    ))
    .unwrap();
    let client = LlmClient::new(LlmSettings::from_config(&section).unwrap()).unwrap();
    let prompts = Prompts::builtin().unwrap();
    let tools = Arc::new(Recorded(Mutex::new(Vec::new())));
    let mut redactor = Redactor::new(RedactConfig::default());
    let sent = Mutex::new(Vec::<Value>::new());
    let audit = |b: &Value| -> Result<(), String> {
        sent.lock().unwrap().push(b.clone());
        Ok(())
    };
    let events = Mutex::new(Vec::new());
    let on_event = |e: AgentEvent| events.lock().unwrap().push(e);
    let opts = AgentOptions { force_first_tool: Some("search_logs".into()) };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let out = rt
        .block_on(agent::ask(&client, &prompts, &offline, tools.clone(), &mut redactor, &audit, &on_event, &opts))
        .expect("the model answers");

    // The model's call came back from the server as a tool call. Its arguments reached the
    // tool and the result became E2, or (a tiny model's JSON can still be broken) the error
    // went back to the model: either way the round trip is complete.
    let calls = tools.0.lock().unwrap().clone();
    assert_eq!(out.tool_calls.len(), 1, "{:?}", out.tool_calls);
    assert_eq!(out.tool_calls[0].name, "search_logs");
    let ran = out.tool_calls[0].error.is_none();
    if ran {
        assert_eq!(calls.len(), 1);
        assert!(calls[0].1.is_object());
        assert_eq!(out.tool_calls[0].evidence, vec!["E2".to_string()]);
        assert_eq!(out.evidence.len(), 2);
    } else {
        assert!(calls.is_empty());
        assert!(out.tool_calls[0].error.as_deref().unwrap().starts_with("arguments are not JSON"));
    }
    assert_eq!(out.steps, 2);
    // The second request carries the round as the server requires it.
    let sent = sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 2);
    let msgs = sent[1]["messages"].as_array().unwrap();
    let assistant = &msgs[2];
    assert_eq!((assistant["role"].as_str(), assistant["content"].as_str()), (Some("assistant"), Some("")));
    assert_eq!(assistant["tool_calls"][0]["function"]["name"], "search_logs");
    assert_eq!(msgs[3]["role"], "tool");
    let result = msgs[3]["content"].as_str().unwrap();
    assert!(if ran { result.contains("<evidence id=\"E2\"") } else { result.starts_with("error: ") }, "{result}");
    assert!(sent[1].get("tools").is_some_and(|t| t.as_array().is_some_and(|t| t.len() == 4)));
    assert!(!out.raw.trim().is_empty());
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| matches!(e, AgentEvent::ToolCall { name, .. } if name == "search_logs")));
    assert!(events.iter().any(|e| matches!(e, AgentEvent::Token(_))));
}

#[test]
fn ctrl_c_cancels_a_streaming_answer_and_the_server_stays_usable() {
    let Some(live) = live() else { return };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario();
    let cfg = config(&s.fw, &live, 600);
    let (mut child, reads) = spawn_recording(ask(&s, &cfg, false));
    // Wait for the answer to start streaming.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let all: String = reads.lock().unwrap().iter().map(|(_, t)| t.as_str()).collect();
        if all.find("\n\n").is_some_and(|h| all.len() > h + 12) {
            break;
        }
        assert!(Instant::now() < deadline, "no answer text within 90s: {all}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let t = Instant::now();
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "still running 5s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!("measured: exited {:?} after Ctrl-C", t.elapsed());
    assert_eq!(status.code(), Some(130));
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("cancelled"), "{err}");
    // Nothing is recorded as answered; the next question is served at once.
    let db = StateDb::open(&s.fw.data_dir()).unwrap();
    assert_eq!(db.audit(Some("llm_request")).unwrap().len(), 1);
    assert!(db.audit(Some("llm_answer")).unwrap().is_empty());
    let cfg = config(&s.fw, &live, 24);
    let out = ask(&s, &cfg, true).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["llm"]["fallback"].is_null(), "{}", v["llm"]);
}

#[test]
fn a_stopped_server_gives_the_offline_answer_and_says_so() {
    let Some(live) = live() else { return };
    let _one = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    let s = scenario();
    let cfg = config(&s.fw, &live, 60);
    let offline: Value = {
        let out = s.fw.command().args(["ask", "--offline", "--json", "--now", &s.now, &s.question]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    assert!(Command::new(&live.script).arg("stop").status().unwrap().success());
    let t = Instant::now();
    let out = ask(&s, &cfg, true).output();
    let took = t.elapsed();
    // Start it again before asserting, so a failure here does not take the others down.
    let restarted = Command::new(&live.script).arg("start").stdout(Stdio::null()).status().unwrap().success();
    let v: Value = serde_json::from_slice(&out.unwrap().stdout).unwrap();
    assert!(restarted, "the server came back");
    let fallback = v["llm"]["fallback"].as_str().unwrap_or_default();
    assert!(fallback.starts_with("cannot reach the LLM at"), "{}", v["llm"]);
    assert_eq!(v["answer"], offline["answer"]);
    assert_eq!(v["root_cause"], offline["root_cause"]);
    eprintln!("measured: offline fallback after {took:?} (two retries)");
    assert!(took < Duration::from_secs(10), "{took:?}");
}
