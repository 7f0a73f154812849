//! What users of other terminal tools expect: completions that a shell accepts, a man page
//! `man` renders, colour that follows NO_COLOR/CLICOLOR, -q and the log file's place.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::process::Command;

use common::Fw;

fn have(tool: &str) -> bool {
    Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success())
}

#[test]
fn bash_sources_the_completion_script_and_completes_subcommands() {
    if !have("bash") {
        eprintln!("skipped: no bash");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_firewatch");
    // Source it, check it registered, then ask it what `firewatch inc<TAB>` completes to.
    let script = format!(
        "source <('{bin}' completions bash) && complete -p firewatch && \
         COMP_WORDS=(firewatch inc) COMP_CWORD=1 COMP_LINE='firewatch inc' COMP_POINT=13 && \
         _firewatch firewatch inc firewatch && printf '%s\\n' \"${{COMPREPLY[@]}}\""
    );
    let out = Command::new("bash").arg("-c").arg(&script).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("complete -F _firewatch") || stdout.contains("-F _firewatch firewatch"), "{stdout}");
    assert!(stdout.lines().any(|l| l == "incidents"), "firewatch inc<TAB> completes to incidents: {stdout}");
}

#[test]
fn every_shell_gets_a_script() {
    let fw = Fw::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = fw.ok(&["completions", shell]);
        assert!(script.contains("firewatch") && script.contains("incidents"), "{shell}: {script}");
    }
    let out = fw.run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "an unknown shell is a usage error");
}

#[test]
fn man_renders_the_page_with_every_command_and_the_exit_statuses() {
    let fw = Fw::new();
    let page = fw.ok(&["man"]);
    assert!(page.contains("\n.TH firewatch 1 "), "{}", &page[..page.len().min(200)]);
    for section in [".SH \"FIREWATCH SEARCH\"", ".SH \"FIREWATCH RUNBOOKS RUN\"", ".SH \"FIREWATCH COMPLETIONS\""] {
        assert!(page.contains(section), "the page has {section}");
    }
    if !have("man") {
        eprintln!("skipped: no man (apt-get install man-db) to render the page");
        return;
    }
    let path = fw.write("firewatch.1", page.as_bytes());
    let out = Command::new("man").arg("-l").arg(&path).env("MANPAGER", "cat").env("MANWIDTH", "100").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "man -l: {err}");
    assert!(text.contains("Exit status:") && text.contains("130"), "{text}");
    assert!(text.contains("FIREWATCH SEARCH"), "{text}");
    assert!(!err.contains("warning"), "groff warnings: {err}");
}

/// `search` with colour forced by CLICOLOR_FORCE: an empty NO_COLOR is unset, a
/// non-empty one wins.
#[test]
fn search_follows_no_color_and_clicolor_force() {
    let fw = Fw::new();
    let log = fw.write("app.log", b"2026-11-20T15:00:00Z ERROR payments: connection refused\n");
    fw.ok(&["ingest", log.to_str().unwrap()]);
    let search = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = fw.command();
        c.env_remove("CLICOLOR").env_remove("TERM").env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.arg("search").args(extra).arg("refused").output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let coloured = |s: &str| s.contains('\x1b');
    assert!(!coloured(&search(&[], &[])), "piped: no colour");
    assert!(coloured(&search(&[("CLICOLOR_FORCE", "1")], &["--color", "auto"])));
    assert!(coloured(&search(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")], &["--color", "auto"])), "empty NO_COLOR");
    assert!(!coloured(&search(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &["--color", "auto"])));
    assert!(!coloured(&search(&[("CLICOLOR_FORCE", "1"), ("TERM", "dumb"), ("NO_COLOR", "1")], &[])));
    assert!(coloured(&search(&[("NO_COLOR", "1")], &["--color", "always"])), "--color always wins");
}

/// The log file is in XDG_STATE_HOME, named by day; -v shows info on stderr, -q nothing.
#[test]
fn logs_go_to_the_state_dir_and_v_and_q_set_what_stderr_shows() {
    let fw = Fw::new();
    let state = fw.dir.path().join("state");
    let log = fw.write("app.log", b"2026-11-20T15:00:00Z ERROR payments: connection refused\n");
    let run = |flag: &str| {
        let mut c = fw.command();
        c.env("XDG_STATE_HOME", &state).env_remove("FIREWATCH_LOG").env_remove("RUST_LOG");
        c.arg(flag).args(["ingest", log.to_str().unwrap()]).output().unwrap()
    };
    let quiet = run("-q");
    assert!(quiet.status.success());
    assert!(quiet.stderr.is_empty(), "-q: {}", String::from_utf8_lossy(&quiet.stderr));
    let verbose = run("-v");
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    assert!(stderr.contains("INFO"), "-v shows info on stderr: {stderr}");
    // FIREWATCH_LOG wins over RUST_LOG and over -v.
    let mut c = fw.command();
    c.env("XDG_STATE_HOME", &state).env("FIREWATCH_LOG", "error").env("RUST_LOG", "trace");
    let filtered = c.args(["-v", "ingest", log.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&filtered.stderr);
    assert!(!stderr.contains("INFO") && !stderr.contains("TRACE"), "FIREWATCH_LOG=error: {stderr}");
    let files: Vec<String> = std::fs::read_dir(state.join("firewatch"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("firewatch.") && f.ends_with(".log") && f.len() == "firewatch.2026-11-20.log".len()),
        "{files:?}"
    );
    assert!(!fw.data_dir().join("firewatch.log").exists(), "no log file in the data dir any more");
}

/// A command that logs nothing (a search) opens no log file: opening it, pruning old ones and
/// starting the writer's thread was a seventh of a whole-process search.
#[test]
fn a_search_that_logs_nothing_opens_no_log_file() {
    let fw = Fw::new();
    let state = fw.dir.path().join("state");
    let out = fw.command().env("XDG_STATE_HOME", &state).args(["search", "anything"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!state.join("firewatch").exists(), "a log dir was made for a search that logged nothing");
}

/// On Linux the binary is linked at a fixed address (build.rs), so it starts without
/// relocating its read-only data; `FIREWATCH_PIE=1` at build time keeps it position-independent.
#[cfg(target_os = "linux")]
#[test]
fn the_binary_needs_no_relocation_at_start() {
    if option_env!("FIREWATCH_PIE").is_some() {
        eprintln!("skipped: built with FIREWATCH_PIE");
        return;
    }
    let elf = std::fs::read(env!("CARGO_BIN_EXE_firewatch")).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    const ET_EXEC: u16 = 2;
    assert_eq!(u16::from_le_bytes([elf[16], elf[17]]), ET_EXEC, "the binary is position-independent");
}
