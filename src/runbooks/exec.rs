//! A step with its parameters filled, shown exactly (dry run, confirmation prompt, audit)
//! and run: commands without a shell unless the runbook declares one, under a timeout after
//! which the process is killed, their output captured and digested.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::params::render;
use super::Step;
use crate::sources::alertmanager_api::Matcher;

/// Output kept for display and the audit log; the digest covers all of it.
const KEEP_OUTPUT: usize = 64 * 1024;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A step ready to run: every placeholder filled.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Action {
    Check { argv: Vec<String>, timeout_ms: u64 },
    Command { argv: Vec<String>, timeout_ms: u64 },
    Silence { matchers: Vec<Matcher>, duration_s: u64, comment: String },
    Http { endpoint: String, method: String, path: String, body: Option<String> },
    Link { url: String },
}

fn timeout_of(t: &Option<String>) -> Duration {
    t.as_deref().and_then(|t| crate::config::parse_duration(t).ok()).unwrap_or(DEFAULT_TIMEOUT)
}

/// Fills `step` with `values` (which [`super::params::fill`] validated).
pub fn action(step: &Step, values: &BTreeMap<String, String>) -> Action {
    let argv = |c: &[String]| c.iter().map(|a| render(a, values, false)).collect::<Vec<_>>();
    match step {
        Step::Check { command, timeout, .. } => {
            Action::Check { argv: argv(command), timeout_ms: timeout_of(timeout).as_millis() as u64 }
        }
        Step::Command { command, timeout, shell: false, .. } => {
            Action::Command { argv: argv(command), timeout_ms: timeout_of(timeout).as_millis() as u64 }
        }
        Step::Command { command, timeout, shell: true, .. } => {
            // Declared shell: one script, every value single-quoted inside it.
            let script: Vec<String> = command.iter().map(|a| render(a, values, true)).collect();
            Action::Command {
                argv: vec!["sh".into(), "-c".into(), script.join(" ")],
                timeout_ms: timeout_of(timeout).as_millis() as u64,
            }
        }
        Step::Silence { matchers, duration, comment, .. } => Action::Silence {
            matchers: matchers
                .iter()
                .map(|m| Matcher {
                    name: m.name.clone(),
                    value: render(&m.value, values, false),
                    is_regex: m.regex,
                    is_equal: true,
                })
                .collect(),
            duration_s: crate::config::parse_duration(duration).map_or(3600, |d| d.as_secs()),
            comment: render(comment, values, false),
        },
        Step::Http { endpoint, method, path, body, .. } => Action::Http {
            endpoint: endpoint.clone(),
            method: method.to_ascii_uppercase(),
            path: render(path, values, false),
            body: body.as_ref().map(|b| render(b, values, false)),
        },
        Step::Link { url, .. } => Action::Link { url: render(url, values, false) },
    }
}

/// An argument as a shell would need it to mean the same single argument.
fn quote(arg: &str) -> String {
    if !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b)) {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

impl Action {
    /// Exactly what will happen, in one line.
    pub fn describe(&self) -> String {
        match self {
            Action::Check { argv, timeout_ms } | Action::Command { argv, timeout_ms } => {
                format!(
                    "$ {}   (timeout {}s)",
                    argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" "),
                    timeout_ms / 1000
                )
            }
            Action::Silence { matchers, duration_s, comment } => {
                let m: Vec<String> = matchers
                    .iter()
                    .map(|m| format!("{}{}\"{}\"", m.name, if m.is_regex { "=~" } else { "=" }, m.value))
                    .collect();
                format!("silence {{{}}} for {}m: {comment}", m.join(", "), duration_s / 60)
            }
            Action::Http { endpoint, method, path, body } => match body {
                Some(b) => format!("{method} {endpoint}:{path} with body {b}"),
                None => format!("{method} {endpoint}:{path}"),
            },
            Action::Link { url } => format!("open {url}"),
        }
    }
}

/// What running a step did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The exit status; `None` when killed or not a process.
    pub exit: Option<i32>,
    pub timed_out: bool,
    /// stdout then stderr, cut to 64 KiB.
    pub output: String,
    pub output_bytes: usize,
    /// xxh3 of the whole output, for the audit log.
    pub digest: String,
    pub elapsed_ms: u64,
    /// A failure to start, or what a silence or request returned.
    pub detail: Option<String>,
}

impl Outcome {
    /// No process output, only `detail`: a failure to start, or what a silence or request did.
    pub fn note(detail: String, started: Instant) -> Outcome {
        Outcome {
            exit: None,
            timed_out: false,
            output: String::new(),
            output_bytes: 0,
            digest: digest(b""),
            elapsed_ms: started.elapsed().as_millis() as u64,
            detail: Some(detail),
        }
    }

    pub fn ok(&self) -> bool {
        !self.timed_out
            && self.exit.unwrap_or(0) == 0
            && self.detail.as_deref().is_none_or(|d| !d.starts_with("failed"))
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("xxh3:{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Runs `argv` with no shell, no stdin, and `timeout`; a process still running then is killed.
pub async fn run_argv(argv: &[String], timeout: Duration) -> Outcome {
    let started = Instant::now();
    let failed = |detail: String| Outcome::note(detail, started);
    let Some((program, args)) = argv.split_first() else { return failed("failed: empty command".into()) };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        // Dropping the wait below on timeout kills the process.
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return failed(format!("failed to start {program}: {e}")),
    };
    let pid = child.id();
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(out)) => {
            let mut all = out.stdout;
            all.extend_from_slice(&out.stderr);
            let kept = &all[..all.len().min(KEEP_OUTPUT)];
            Outcome {
                exit: out.status.code(),
                timed_out: false,
                output: String::from_utf8_lossy(kept).into_owned(),
                output_bytes: all.len(),
                digest: digest(&all),
                elapsed_ms: started.elapsed().as_millis() as u64,
                detail: None,
            }
        }
        Ok(Err(e)) => failed(format!("failed waiting for {program}: {e}")),
        Err(_) => Outcome {
            timed_out: true,
            ..Outcome::note(format!("killed after {}s (pid {})", timeout.as_secs(), pid.unwrap_or(0)), started)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_timed_out_process_is_killed() {
        let t = Instant::now();
        let out = run_argv(&["sleep".into(), "30".into()], Duration::from_millis(300)).await;
        assert!(out.timed_out && out.exit.is_none() && !out.ok(), "{out:?}");
        assert!(t.elapsed() < Duration::from_secs(5));
        let pid: u32 = out.detail.unwrap().split("pid ").nth(1).unwrap().trim_end_matches(')').parse().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let alive = std::fs::read_to_string(format!("/proc/{pid}/stat")).map(|s| !s.contains(") Z ")).unwrap_or(false);
        assert!(!alive, "sleep {pid} still runs");
    }

    #[tokio::test]
    async fn arguments_are_never_reinterpreted_by_a_shell() {
        let out =
            run_argv(&["printf".into(), "%s|".into(), "a; echo pwned".into(), "$(id)".into()], DEFAULT_TIMEOUT).await;
        assert_eq!(out.output, "a; echo pwned|$(id)|");
        assert_eq!(out.exit, Some(0));
        let missing = run_argv(&["/nonexistent/tool".into()], DEFAULT_TIMEOUT).await;
        assert!(missing.detail.unwrap().starts_with("failed to start"));
    }

    #[test]
    fn descriptions_show_each_argument_as_one() {
        let a = Action::Command {
            argv: vec!["kubectl".into(), "annotate".into(), "a b".into(), "it's".into()],
            timeout_ms: 30_000,
        };
        assert_eq!(a.describe(), "$ kubectl annotate 'a b' 'it'\\''s'   (timeout 30s)");
    }
}
