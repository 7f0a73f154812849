//! The README's table of commands is the contract: every command is in it, and each
//! `--json` prints the shape the table names (one pretty document, or JSON Lines), with
//! the exit status the table allows. Errors under `--json` are one JSON object on stderr.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::collections::BTreeMap;
use std::process::Output;

use clap::CommandFactory;
use common::Fw;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One JSON object, pretty-printed.
    Object,
    /// One JSON array, pretty-printed.
    Array,
    /// One compact JSON object a line.
    Lines,
    /// The command has no --json.
    NoJson,
}

/// The rows of the README table: `| `firewatch CMD` | shape | exit statuses |`.
fn readme_contract() -> BTreeMap<String, Shape> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let mut rows = BTreeMap::new();
    for line in readme.lines().filter(|l| l.starts_with("| `firewatch")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let command = cells[1].trim_matches('`').trim_start_matches("firewatch").trim().to_string();
        let shape = match cells[2] {
            s if s.starts_with("one object") => Shape::Object,
            s if s.starts_with("one array") => Shape::Array,
            s if s.starts_with("JSON Lines") => Shape::Lines,
            s if s.starts_with("no `--json`") => Shape::NoJson,
            other => panic!("README row {command}: unknown shape {other:?}"),
        };
        assert!(rows.insert(command.clone(), shape).is_none(), "README lists {command} twice");
    }
    rows
}

/// Every command clap knows, subcommands of subcommands by their full name.
fn cli_commands() -> Vec<(String, bool)> {
    fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, bool)>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("{prefix}{}", sub.get_name()).trim().to_string();
            if sub.has_subcommands() {
                walk(&format!("{name} "), sub, out);
            } else {
                let json = sub.get_arguments().any(|a| a.get_long() == Some("json"));
                out.push((name, json));
            }
        }
    }
    let mut out = Vec::new();
    walk("", &firewatch::cli::Cli::command(), &mut out);
    out
}

#[test]
fn the_readme_table_lists_every_command_and_whether_it_has_json() {
    let readme = readme_contract();
    for (name, has_json) in cli_commands() {
        let shape = readme.get(&name).unwrap_or_else(|| panic!("README table has no row for firewatch {name}"));
        assert_eq!(
            *shape != Shape::NoJson,
            has_json,
            "firewatch {name}: README says {shape:?}, clap has --json: {has_json}"
        );
    }
    assert!(readme.contains_key(""), "the TUI (firewatch alone) has a row");
}

/// A data dir with the demo's logs and alerts (two incidents), and a config with one file
/// source for `collect --once`.
fn fixture() -> (Fw, String) {
    let fw = Fw::new();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/src/demo");
    fw.ok(&["ingest", &format!("{demo}/shop-logs.jsonl"), &format!("{demo}/alertmanager-webhook.json")]);
    let log = fw.write("app.log", b"2026-11-20T15:00:00Z ERROR payments: connection refused\n");
    let cfg = fw.write(
        "config.toml",
        format!("[[source]]\nkind = \"file\"\nname = \"app\"\npath = \"{}\"\n", log.display()).as_bytes(),
    );
    (fw, cfg.display().to_string())
}

/// How each command is run with --json on the fixture, and the exit status expected.
fn invocations(cfg: &str, app_log: &str) -> Vec<(&'static str, Vec<String>, i32)> {
    let v = |args: &[&str]| args.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("ingest", v(&["ingest", "--json", app_log]), 0),
        ("collect", v(&["--config", cfg, "collect", "--once", "--timeout", "10", "--json"]), 0),
        ("doctor", v(&["--config", cfg, "doctor", "--json"]), 0),
        ("search", v(&["search", "--json", "checkout"]), 0),
        ("ask", v(&["ask", "--offline", "--json", "why", "is", "checkout", "slow"]), 0),
        ("incidents", v(&["incidents", "--json"]), 0),
        ("patterns", v(&["patterns", "--json"]), 0),
        ("runbooks list", v(&["runbooks", "list", "--json"]), 0),
        ("runbooks suggest", v(&["runbooks", "suggest", "--json"]), 0),
        (
            "runbooks run",
            v(&[
                "runbooks",
                "run",
                "db-connection-pool",
                "--dry-run",
                "--json",
                "--param",
                "host=db1",
                "--param",
                "service=checkout",
            ]),
            0,
        ),
        ("audit", v(&["audit", "--json"]), 0),
    ]
}

fn check_shape(name: &str, shape: Shape, out: &Output) {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    match shape {
        Shape::Object | Shape::Array => {
            let doc: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("firewatch {name} --json is not one document: {e}\n{stdout}"));
            assert_eq!(doc.is_object(), shape == Shape::Object, "firewatch {name}: {shape:?} expected:\n{stdout}");
            assert_eq!(doc.is_array(), shape == Shape::Array, "firewatch {name}: {shape:?} expected:\n{stdout}");
            let empty = doc.as_array().is_some_and(Vec::is_empty) || doc.as_object().is_some_and(|o| o.is_empty());
            assert!(empty || stdout.trim_end().lines().count() > 1, "firewatch {name}: pretty-printed:\n{stdout}");
        }
        Shape::Lines => {
            let lines: Vec<&str> = stdout.lines().collect();
            assert!(!lines.is_empty(), "firewatch {name} --json printed nothing on the fixture");
            for l in lines {
                let v: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("firewatch {name} --json: a line that is not one object: {e}: {l}"));
                assert!(v.is_object(), "firewatch {name} --json: {l}");
            }
        }
        Shape::NoJson => unreachable!("commands without --json are not run here"),
    }
}

#[test]
fn every_command_prints_the_json_shape_the_readme_names() {
    let readme = readme_contract();
    let (fw, cfg) = fixture();
    let app_log = fw.dir.path().join("app.log").display().to_string();
    // Something in the audit log, so that its JSON Lines are not vacuous.
    let declined = fw.run(&[
        "runbooks",
        "run",
        "db-connection-pool",
        "--json",
        "--param",
        "host=db1",
        "--param",
        "service=checkout",
    ]);
    assert_eq!(declined.status.code(), Some(1), "no terminal, no --yes: not confirmed");
    let doc: Value = serde_json::from_slice(&declined.stdout).unwrap();
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["steps"][0]["status"], "not_confirmed", "{doc:#}");

    let runs = invocations(&cfg, &app_log);
    for name in readme.iter().filter(|(_, s)| **s != Shape::NoJson).map(|(n, _)| n) {
        assert!(runs.iter().any(|(n, _, _)| n == name), "no --json run for firewatch {name} in this test");
    }
    for (name, args, code) in &runs {
        let shape = readme[*name];
        let out = fw.command().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "firewatch {args:?}: {stderr}");
        check_shape(name, shape, &out);
    }
    // A stream of files (not the store) prints JSON Lines too.
    let out = fw.run(&["patterns", "--json", &app_log]);
    check_shape("patterns FILE", Shape::Lines, &out);
}

fn json_error(out: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_str(stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}):\n{stderr}"));
    assert!(out.stdout.is_empty(), "an error prints nothing on stdout");
    assert_eq!(v["error"]["code"].as_i64(), out.status.code().map(i64::from), "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    v
}

#[test]
fn errors_under_json_are_one_object_on_stderr_with_the_exit_code() {
    let fw = Fw::new();
    let out = fw.run(&["incidents", "--json", "--now", "not a time"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_error(&out)["error"]["kind"], "failed");

    let out = fw.run(&["search", "--json", "--limit", "many", "x"]);
    assert_eq!(out.status.code(), Some(2), "a bad command line is exit 2");
    let v = json_error(&out);
    assert_eq!(v["error"]["kind"], "usage");
    assert!(v["error"]["message"].as_str().unwrap().contains("--limit"), "{v}");

    let bad = fw.write("bad.toml", b"[[source]]\nkind = \"nope\"\n");
    let out = fw.command().arg("--config").arg(&bad).args(["search", "--json", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_error(&out)["error"]["kind"], "config");

    // Without --json, the same error is one plain line.
    let out = fw.run(&["incidents", "--now", "not a time"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("firewatch: ") && serde_json::from_str::<Value>(stderr.trim()).is_err(), "{stderr}");
}

#[test]
fn the_exit_statuses_are_in_the_long_help_and_the_readme() {
    let fw = Fw::new();
    let help = fw.ok(&["--help"]);
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for code in ["0 ", "1 ", "2 ", "130 "] {
        assert!(help.contains(&format!("\n  {code}")), "--help lists exit status {code}:\n{help}");
        assert!(readme.contains(&format!("| {code}")), "README lists exit status {code}");
    }
    // Every command's help has examples.
    for (name, _) in cli_commands() {
        let mut args: Vec<&str> = name.split(' ').collect();
        args.push("--help");
        let text = fw.ok(&args);
        assert!(text.contains("Examples:\n  firewatch"), "firewatch {name} --help has no examples:\n{text}");
    }
}
