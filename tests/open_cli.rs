//! `firewatch PATH...` before the UI starts: what cannot be opened is a clear message and
//! exit 1, and a path never hides a command.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap

mod common;

use common::Fw;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_missing_path_exits_1_with_a_clear_message_before_any_ui() {
    let fw = Fw::new();
    let missing = fw.dir.path().join("nope.log");
    let out = fw.command().arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("nope.log: no such file"), "{err}");
    assert!(!err.contains("panicked") && out.stdout.is_empty(), "{err}");
    // The explicit form says the same; a glob that matches nothing too.
    let out = fw.command().arg("open").arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nope.log: no such file"));
    let out = fw.command().arg(fw.dir.path().join("*.nothing")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no file matches"), "{}", stderr(&out));
    // One bad path among good ones: nothing is opened.
    let good = fw.write("good.log", b"a line\n");
    let out = fw.command().arg(&good).arg(&missing).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_unreadable_file_is_refused_before_the_ui() {
    let fw = Fw::new();
    let secret = fw.write("secret.log", b"x\n");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::File::open(&secret).is_ok() {
        eprintln!("note: running as root, every file is readable; skipping");
        return;
    }
    let out = fw.command().arg(&secret).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"), "{}", stderr(&out));
}

#[test]
fn a_bare_word_is_a_command_when_it_names_one_and_a_typo_is_told() {
    let fw = Fw::new();
    // A file named like a command in the current dir does not hide the command.
    std::fs::write(fw.dir.path().join("search"), b"a line\n").unwrap();
    let out = fw.command().current_dir(fw.dir.path()).args(["search", "--count", "x"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    // A misspelt command is neither a file nor a command: said so.
    let out = fw.command().current_dir(fw.dir.path()).arg("serch").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("serch is neither a file nor a command"), "{}", stderr(&out));
}

#[test]
fn a_file_without_a_terminal_says_the_ui_needs_one() {
    let fw = Fw::new();
    let log = fw.write("app.log", b"a line\n");
    let out = fw.command().arg(&log).env("XDG_CACHE_HOME", fw.dir.path().join("cache")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the terminal UI needs a terminal"), "{}", stderr(&out));
    // Standard input from a pipe, and no terminal to read keys from: refused, not hung.
    let out = fw.run_stdin(&["-"], b"piped\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("terminal"), "{}", stderr(&out));
}
