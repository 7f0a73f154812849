//! The redactor over ordinary logs: what it must leave alone (the loghub samples and the
//! demo data hold no secrets, so every token it changes there is a false positive) and how
//! fast it goes. `cargo test --test redact_leaks -- --nocapture` prints the figures.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

use std::path::Path;
use std::time::Instant;

use firewatch::copilot::redact::{RedactConfig, Redactor};

#[path = "common/planted.rs"]
mod planted;

fn with_ips() -> RedactConfig {
    RedactConfig { ips: true, ..RedactConfig::default() }
}

#[test]
fn every_planted_kind_is_caught_alone_in_a_line_and_in_json() {
    let all = planted::planted();
    let mut kinds: Vec<&str> = all.iter().map(|p| p.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    assert_eq!(kinds.len(), all.len(), "kinds are distinct");
    assert!(all.len() >= 70, "{} kinds", all.len());
    let mut missed = Vec::new();
    for p in &all {
        let line = format!("2026-11-20T15:05:00Z ERROR checkout: {} (retrying)", p.text);
        let json = serde_json::json!({"level": "error", "message": p.text}).to_string();
        for input in [&p.text, &line, &json] {
            let mut r = Redactor::new(with_ips());
            let out = r.redact(input);
            if out.contains(&p.secret) {
                missed.push(format!("{}: {out}", p.kind));
            }
            // Placeholders restore to the original exactly.
            assert_eq!(&r.restore(&out), input, "{}", p.kind);
        }
    }
    assert!(missed.is_empty(), "{} missed:\n{}", missed.len(), missed.join("\n"));
}

#[test]
fn near_misses_are_left_alone() {
    for line in planted::NEAR_MISSES {
        assert_eq!(&Redactor::new(RedactConfig::default()).redact(line), line);
    }
}

#[test]
fn one_line_with_every_kind_keeps_one_placeholder_per_secret() {
    let all = planted::planted();
    let line: String = all.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join(" ; ");
    let mut r = Redactor::new(with_ips());
    let out = r.redact(&line);
    for p in &all {
        assert!(!out.contains(&p.secret), "{} survived in one long line", p.kind);
    }
    assert_eq!(r.redact(&out), out, "redacting twice changes nothing");
    assert_eq!(r.restore(&out), line);
    // The same secrets again get the same placeholders.
    assert_eq!(r.redact(&line), out);
}

fn corpus() -> Vec<(String, String)> {
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("tests/fixtures/loghub");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    names.sort();
    names.push(root.join("src/demo/shop-logs.jsonl"));
    names.push(root.join("src/demo/alertmanager-webhook.json"));
    for p in names {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        files.push((name, String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()));
    }
    files
}

/// Tokens (split on whitespace) that redaction changed, and all tokens, line by line.
fn changed_tokens(text: &str, config: RedactConfig, samples: &mut Vec<String>) -> (usize, usize) {
    let mut r = Redactor::new(config);
    let (mut changed, mut total) = (0, 0);
    for line in text.lines() {
        let out = r.redact(line);
        let before: Vec<&str> = line.split_whitespace().collect();
        total += before.len();
        if out == line {
            continue;
        }
        let after: Vec<&str> = out.split_whitespace().collect();
        // Placeholders never hold whitespace, so a changed line keeps its token count
        // unless a redacted value spanned spaces; then count the whole line's tokens.
        if after.len() == before.len() {
            for (a, b) in before.iter().zip(&after) {
                if a != b {
                    changed += 1;
                    if samples.len() < 40 {
                        samples.push(format!("{a} -> {b}"));
                    }
                }
            }
        } else {
            changed += before.len().saturating_sub(after.len()).max(1);
            if samples.len() < 40 {
                samples.push(format!("line: {line}"));
            }
        }
    }
    (changed, total)
}

#[test]
fn ordinary_logs_are_almost_untouched() {
    let mut all_changed = 0;
    let mut all_total = 0;
    let mut samples = Vec::new();
    for (name, text) in corpus() {
        let (changed, total) = changed_tokens(&text, RedactConfig::default(), &mut samples);
        println!("{name:32} {changed:6} of {total:7} tokens redacted ({:.4}%)", 100.0 * changed as f64 / total as f64);
        all_changed += changed;
        all_total += total;
    }
    let rate = all_changed as f64 / all_total as f64;
    println!("all: {all_changed} of {all_total} tokens ({:.4}%)", 100.0 * rate);
    for s in &samples {
        println!("  {s}");
    }
    // The corpus holds a few real values (two emails are personal data) and a few printed
    // objects after `token:`; anything above this is noise.
    assert!(rate < 0.0002, "{all_changed} of {all_total} tokens redacted: {samples:#?}");
}

#[test]
fn throughput_on_loghub() {
    let text: String = corpus().into_iter().map(|(_, t)| t).collect::<Vec<_>>().join("\n");
    let lines = text.lines().count();
    let mb = text.len() as f64 / 1e6;
    for (label, config) in [
        ("default", RedactConfig::default()),
        ("all", RedactConfig { ips: true, hostnames: true, ..Default::default() }),
    ] {
        let mut r = Redactor::new(config);
        let t = Instant::now();
        let mut out = 0;
        for _ in 0..3 {
            for line in text.lines() {
                out += r.redact(line).len();
            }
        }
        let s = t.elapsed().as_secs_f64() / 3.0;
        assert!(out > 0);
        println!(
            "throughput ({label}, {} build): {lines} lines, {mb:.2} MB in {:.3} s = {:.0} lines/s, {:.1} MB/s",
            if cfg!(debug_assertions) { "debug" } else { "release" },
            s,
            lines as f64 / s,
            mb / s
        );
    }
}

mod arbitrary {
    use firewatch::copilot::redact::{RedactConfig, Redactor};
    use proptest::prelude::*;

    /// Pieces that reach every scanner: rule literals, separators, digits, quotes, non-ASCII.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[ -~]{0,12}",
            Just("ghp_".to_string()),
            Just("xoxb-".to_string()),
            Just("password=".to_string()),
            Just("with password ".to_string()),
            Just("LS0tLS1CRUdJTi".to_string()),
            Just("-----BEGIN PRIVATE KEY-----".to_string()),
            Just("https://u:p@".to_string()),
            Just("8Q~".to_string()),
            Just(":AA".to_string()),
            Just("+1 415 ".to_string()),
            Just("4111 1111 ".to_string()),
            Just("GB82 WEST ".to_string()),
            Just("\\\"key\\\":\\\"".to_string()),
            Just("é→😀".to_string()),
            "[0-9 ().+-]{0,20}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn redaction_never_panics_and_round_trips(parts in proptest::collection::vec(piece(), 0..12)) {
            let s: String = parts.concat();
            let mut r = Redactor::new(RedactConfig { ips: true, hostnames: true, emails: true });
            let out = r.redact(&s);
            prop_assert_eq!(r.restore(&out), s);
            prop_assert_eq!(r.redact(&out), out.clone());
        }
    }
}
