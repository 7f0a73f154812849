//! Drives the real `firewatch` binary against a scratch data dir.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may unwrap (sim_regressions.rs includes them too)
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Fw {
    pub dir: tempfile::TempDir,
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl Fw {
    pub fn new() -> Self {
        Fw { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_firewatch"));
        c.arg("--data-dir").arg(self.data_dir());
        c.env_remove("FIREWATCH_CONFIG").env_remove("NO_COLOR").env("TZ", "UTC");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run firewatch")
    }

    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn firewatch");
        child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
        child.wait_with_output().expect("wait firewatch")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "firewatch {args:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    pub fn count(&self, query: &str) -> u64 {
        self.ok(&["search", "--count", query]).trim().parse().expect("a count")
    }

    pub fn search_json(&self, args: &[&str]) -> Vec<serde_json::Value> {
        let mut a = vec!["search", "--json"];
        a.extend_from_slice(args);
        self.ok(&a).lines().map(|l| serde_json::from_str(l).expect("json line")).collect()
    }

    pub fn ingest_json(&self, paths: &[&Path]) -> serde_json::Value {
        let mut a: Vec<String> = vec!["ingest".into(), "--json".into()];
        a.extend(paths.iter().map(|p| p.display().to_string()));
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        serde_json::from_str(&self.ok(&refs)).expect("ingest report")
    }

    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write file");
        p
    }
}

/// The real LLM server that `scripts/llm-server.sh start` runs: its URL and model. Outside
/// CI a test skips (None) when it is not running; under CI that is an error.
pub fn live_llm() -> Option<(String, String)> {
    match std::env::var("FIREWATCH_LLM_URL") {
        Ok(url) => Some((url, std::env::var("FIREWATCH_LLM_MODEL").unwrap_or_else(|_| "smollm2".into()))),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("FIREWATCH_LLM_URL is not set under CI: start the server with scripts/llm-server.sh")
        }
        Err(_) => {
            eprintln!("note: FIREWATCH_LLM_URL is not set; skipping (eval \"$(scripts/llm-server.sh start)\")");
            None
        }
    }
}

/// An `[llm]` config for that server. Its system prompt (a user override) asks for a long
/// answer, so the tiny model is still writing when a test cancels; a small window keeps
/// its prompt processing short on 2 cores.
pub fn live_llm_config(fw: &Fw, url: &str, model: &str, max_tokens: u32) -> PathBuf {
    let prompts = fw.dir.path().join("prompts");
    std::fs::create_dir_all(&prompts).unwrap();
    std::fs::write(
        prompts.join("system.md"),
        "You are an incident copilot. Cite evidence ids like [E1]. Write a long, detailed answer of at least 300 words.",
    )
    .unwrap();
    fw.write(
        "config.toml",
        format!(
            "[llm]\nbase_url = \"{url}\"\nmodel = \"{model}\"\nmax_tokens = {max_tokens}\ncontext_tokens = 3072\nidle_timeout = \"120s\"\nprompts_dir = \"{}\"\n",
            prompts.display()
        )
        .as_bytes(),
    )
}
