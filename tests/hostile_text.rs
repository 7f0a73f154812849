//! Nothing raw reaches a terminal: a store, a runbook library, a config and a model full of
//! hostile text (OSC 52 clipboard writes, screen clears, CSI, C1, DEL, BEL, bidi overrides),
//! then every command of the real binary, and neither stdout nor stderr may hold one raw
//! control character. The text is still shown, as visible escapes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

#[path = "common/llm.rs"]
mod llm;

use common::Fw;
use llm::{serve, Reply};
use serde_json::{json, Value};

/// An OSC 52 clipboard write, a screen clear, a colour, a C1 CSI, DEL, BEL and two bidi controls.
const EVIL: &str = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b[31m\u{9b}1;1H\x7f\x07\u{202e}\u{2066}x\u{2069}\u{200f}";
const NOW: &str = "2026-11-20T15:30:00Z";

/// What may not reach a terminal: C0 but newline and tab, DEL, C1, bidi controls, and bytes that are not UTF-8
/// (a lone 0x9b is CSI to an 8-bit terminal).
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return vec![format!("not UTF-8 at byte {}", e.valid_up_to())],
    };
    text.char_indices()
        .filter(|(_, c)| {
            matches!(*c, '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
                || matches!(*c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|(i, c)| {
            let from = text[..i].char_indices().rev().nth(30).map_or(0, |(j, _)| j);
            format!("U+{:04X} after {:?}", c as u32, &text[from..i])
        })
        .collect()
}

/// Checks both streams of one run; returns the problems, labelled.
fn check(what: &str, out: &Output, problems: &mut Vec<String>) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for p in raw_controls(bytes) {
            problems.push(format!("{what}: {stream}: {p}"));
        }
    }
}

fn jsonl(lines: &[Value]) -> Vec<u8> {
    lines.iter().map(|l| format!("{l}\n")).collect::<String>().into_bytes()
}

/// Logs, alerts, a runbook library and a config, all carrying `EVIL`.
struct World {
    fw: Fw,
    inputs: PathBuf,
    config: PathBuf,
    plain: PathBuf,
}

fn world() -> World {
    let fw = Fw::new();
    let inputs = fw.dir.path().join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let svc = format!("checkout{EVIL}");
    let mut logs = Vec::new();
    for m in 0..20 {
        let level = if m >= 5 { "error" } else { "info" };
        logs.push(json!({
            "timestamp": format!("2026-11-20T15:{m:02}:00Z"), "level": level, "service": svc,
            "region": format!("us-east-1{EVIL}"), "host": format!("web-1{EVIL}"),
            "message": format!("payment failed {EVIL} order {m} timeout connecting to db"),
            format!("attr{EVIL}"): format!("value{EVIL}"), "trace_id": "6513270e269e0d37f2a74de452e6b438",
        }));
        logs.push(json!({
            "timestamp": format!("2026-11-20T15:{m:02}:30Z"), "level": level, "service": "payments",
            "region": "us-east-1", "message": format!("acquire connection timed out {EVIL}"),
        }));
    }
    std::fs::write(inputs.join("app.jsonl"), jsonl(&logs)).unwrap();
    // Raw bytes in a plain log whose file name (its default service) is hostile too.
    let mut plain = Vec::new();
    for m in 0..10 {
        plain.extend_from_slice(format!("2026-11-20T15:{m:02}:10Z ERROR worker failed {EVIL} job {m}\n").as_bytes());
    }
    plain.extend_from_slice(b"2026-11-20T15:11:10Z WARN lone c1 byte \x9b2J and bell \x07 and nul \x00 end\n");
    let plain_path = inputs.join(format!("worker{}.log", "\x1b]52;c;eA==\x07\u{202e}"));
    std::fs::write(&plain_path, &plain).unwrap();
    let alert = |name: &str, service: &str, at: &str| {
        json!({
            "status": "firing",
            "labels": {"alertname": name, "service": service, "region": format!("us-east-1{EVIL}"),
                       "severity": "page", "instance": format!("web-1{EVIL}"), format!("label{EVIL}"): EVIL},
            "annotations": {"summary": format!("latency above 2s {EVIL}"), "description": EVIL},
            "startsAt": at, "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": format!("http://prometheus:9090/graph{EVIL}"),
        })
    };
    let webhook = json!({
        "version": "4", "status": "firing", "receiver": "firewatch", "groupKey": EVIL,
        "groupLabels": {"alertname": "CheckoutLatencyHigh"}, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            alert(&format!("CheckoutLatencyHigh{EVIL}"), &svc, "2026-11-20T15:05:00Z"),
            alert("PaymentsErrorRate", "payments", "2026-11-20T15:06:00Z"),
        ],
    });
    std::fs::write(inputs.join("alertmanager-webhook.json"), format!("{webhook}\n")).unwrap();

    // A user runbook: TOML strings carry the controls as \u escapes.
    let toml_evil: String = EVIL.chars().map(|c| format!("\\u{:04X}", c as u32)).collect();
    let books = fw.dir.path().join("books");
    std::fs::create_dir_all(&books).unwrap();
    std::fs::write(
        books.join("hostile.md"),
        format!(
            "+++\nid = \"hostile-check\"\ntitle = \"Check payments {toml_evil}\"\nsummary = \"Summary {toml_evil}\"\n\
             [applies]\nsymptoms = [\"errors\", \"latency\"]\nkeywords = [\"payment\", \"timeout\"]\n\
             services = [\"payments\"]\n\
             [[params]]\nname = \"word\"\ntype = \"string\"\ndefault = \"hello\"\n\
             [[steps]]\nkind = \"check\"\ntitle = \"Step {toml_evil}\"\ncommand = [\"printf\", \"%s\", \"{{word}}\"]\n\
             read_only = true\ntimeout = \"5s\"\n\
             [[steps]]\nkind = \"link\"\ntitle = \"Dashboard {toml_evil}\"\nurl = \"https://grafana.example/d/x?{toml_evil}\"\n\
             +++\nBody {toml_evil}\n"
        ),
    )
    .unwrap();
    let config = fw.write(
        "config.toml",
        format!(
            "[runbooks]\npaths = [\"{}\"]\n\n[[source]]\nkind = \"file\"\nname = \"files{toml_evil}\"\n\
             path = \"{}/nothing{toml_evil}/*.log\"\n",
            books.display(),
            fw.dir.path().display()
        )
        .as_bytes(),
    );
    World { fw, inputs, config, plain: plain_path }
}

impl World {
    fn run(&self, args: &[&str]) -> Output {
        self.fw.command().arg("--config").arg(&self.config).args(args).output().expect("run firewatch")
    }
}

#[test]
fn no_command_writes_a_raw_control_character() {
    let w = world();
    // Shared by the runs below and the checks between them.
    let problems = std::cell::RefCell::new(Vec::new());
    let run = |args: &[&str]| {
        let out = w.run(args);
        check(&format!("firewatch {}", args.join(" ")), &out, &mut problems.borrow_mut());
        out
    };
    let inputs = w.inputs.to_str().unwrap();
    let ingest = run(&["ingest", inputs]);
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    run(&["ingest", "--json", w.plain.to_str().unwrap()]);

    run(&["search", "payment"]);
    // Colours asked for: firewatch's own styles are the only escape sequences written.
    let colored = w.run(&["search", "--color", "always", "payment"]);
    let mut shown = String::from_utf8(colored.stdout.clone()).expect("UTF-8");
    for style in ["\x1b[0m", "\x1b[1;7m", "\x1b[1;35m", "\x1b[1;31m", "\x1b[33m", "\x1b[2m"] {
        shown = shown.replace(style, "");
    }
    assert!(colored.stdout.windows(6).any(|w| w == b"\x1b[1;7m"), "matches are highlighted");
    check("search --color always", &Output { stdout: shown.into_bytes(), ..colored }, &mut problems.borrow_mut());
    run(&["search", "--json", "payment"]);
    run(&["search", "--json", "worker"]);
    run(&["search", "--count", "payment"]);

    run(&["incidents", "--now", NOW]);
    let json_out = run(&["incidents", "--json", "--now", NOW]);
    let incidents: Value = serde_json::from_slice(&json_out.stdout).expect("incidents --json is JSON");
    let ids: Vec<String> =
        incidents.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
    assert!(!ids.is_empty(), "the hostile alerts make an incident");
    assert!(incidents.to_string().contains("checkout"), "the hostile service is still shown: {incidents}");
    for id in &ids {
        run(&["incidents", "--export", id, "--now", NOW]);
    }

    let q = "why did checkout fail at 15:10";
    run(&["ask", "--offline", "--now", NOW, q]);
    run(&["ask", "--offline", "--json", "--now", NOW, q]);
    run(&["ask", "--offline", "--now", NOW, "what happened to payments in us-east-1 in the last hour"]);

    run(&["patterns"]);
    run(&["patterns", "--json"]);
    run(&["patterns", w.plain.to_str().unwrap()]);
    run(&["patterns", "--per-line", w.plain.to_str().unwrap()]);
    run(&["patterns", "--json", w.plain.to_str().unwrap()]);

    let list = run(&["runbooks", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("hostile-check"), "the hostile runbook is listed");
    run(&["runbooks", "list", "--json"]);
    run(&["runbooks", "suggest", "--now", NOW]);
    run(&["runbooks", "suggest", "--json", "--now", NOW]);
    run(&["runbooks", "run", "hostile-check", "--dry-run", "--now", NOW]);
    // Not a terminal and no --yes: the change is declined and audited; the read-only check may run.
    run(&["runbooks", "run", "hostile-check", "--now", NOW]);
    run(&["runbooks", "run", "hostile-check", "--step", "1", "--yes", "--now", NOW]);
    run(&["runbooks", "run", "hostile-check", "--param", &format!("word={EVIL}"), "--dry-run", "--now", NOW]);

    run(&["audit"]);
    run(&["audit", "--json"]);
    run(&["doctor"]);
    run(&["doctor", "--json"]);
    run(&["collect", "--once", "--timeout", "5"]);
    run(&["collect", "--once", "--json", "--timeout", "5"]);

    // Errors: values and paths inside them, from clap and from the commands.
    run(&["patterns", &format!("/nonexistent/{EVIL}.log")]);
    run(&["search", "--limit", EVIL, "x"]);
    run(&["incidents", "--now", EVIL]);
    run(&["incidents", "--export", EVIL, "--now", NOW]);
    run(&["runbooks", "run", EVIL, "--dry-run"]);
    run(&["ingest", &format!("/nonexistent/{EVIL}")]);

    let problems = problems.into_inner();
    assert!(
        problems.is_empty(),
        "{} raw control characters reached a terminal:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_hostile_data_dir_and_the_demo_stay_clean() {
    let fw = Fw::new();
    let dir = fw.dir.path().join(format!("data{EVIL}"));
    let mut problems = Vec::new();
    let run = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_firewatch"));
        c.env_remove("FIREWATCH_CONFIG").env_remove("NO_COLOR").env("TZ", "UTC").arg("--data-dir").arg(&dir);
        c.args(args).output().expect("run firewatch")
    };
    for args in [&["incidents"][..], &["patterns"], &["search", "x"], &["demo", "--headless"]] {
        check(&format!("firewatch {}", args.join(" ")), &run(args), &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn llm_config(w: &World, url: &str) -> PathBuf {
    let toml_evil: String = EVIL.chars().map(|c| format!("\\u{:04X}", c as u32)).collect();
    let path: &Path = &w.fw.dir.path().join("llm.toml");
    std::fs::write(
        path,
        format!("[llm]\nbase_url = \"{url}\"\nmodel = \"capture{toml_evil}\"\nretries = 0\n").as_bytes(),
    )
    .unwrap();
    path.to_path_buf()
}

#[test]
fn a_model_cannot_write_raw_controls_through_tool_names_or_answers() {
    let w = world();
    let ingest = w.run(&["ingest", w.inputs.to_str().unwrap()]);
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    let mut problems = Vec::new();
    for json_mode in [false, true] {
        let (url, _) = serve(vec![
            Reply::Tool(format!("search_logs{EVIL}"), json!({"query": format!("payment {EVIL}")})),
            Reply::Tool("search_logs".into(), json!({"query": format!("payment {EVIL}")})),
            Reply::Text(format!("The cause is checkout {EVIL} [E1]. rollback-deploy(service={EVIL})")),
        ]);
        let cfg = llm_config(&w, &url);
        let mut c = w.fw.command();
        c.arg("--config").arg(&cfg).args(["ask", "--now", NOW]);
        if json_mode {
            c.arg("--json");
        }
        let out = c.arg("why did checkout fail at 15:10").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        if !json_mode {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("[tool] search_logs"), "the tool calls are still shown: {err}");
        }
        check(&format!("ask (llm, json: {json_mode})"), &out, &mut problems);
        let mut c = w.fw.command();
        let doctor = c.arg("--config").arg(&cfg).arg("doctor").output().unwrap();
        check("doctor (llm)", &doctor, &mut problems);
    }
    for args in [&["audit"][..], &["audit", "--json"]] {
        let out = w.run(args);
        check(&format!("firewatch {}", args.join(" ")), &out, &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The boundary is structural: command code prints through `firewatch::sanitize`'s writers
/// and JSON helpers, never straight to the standard streams.
#[test]
fn commands_print_only_through_the_terminal_boundary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let banned = [
        "println!",
        "print!(",
        "eprintln!",
        "eprint!(",
        "io::stdout()",
        "io::stderr()",
        "serde_json::to_writer",
        "serde_json::to_string",
    ];
    let mut found = Vec::new();
    // Every command module, so a new one is covered as soon as it exists.
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("src/cmd"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        // Unit tests may print as they like.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for b in banned {
                // Asking whether a stream is a terminal writes nothing.
                if line.contains(b) && !line.contains(".is_terminal()") {
                    found.push(format!("src/cmd/{name}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    let main = std::fs::read_to_string(root.join("src/main.rs")).unwrap();
    for b in ["println!", "eprintln!"] {
        if main.contains(b) {
            found.push(format!("src/main.rs: {b}"));
        }
    }
    assert!(found.is_empty(), "print through firewatch::sanitize instead:\n{}", found.join("\n"));
}
