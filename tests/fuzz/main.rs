//! Fuzzing of every parser and text path (issue 13), as property tests.
//!
//! `cargo fuzz` needs a nightly toolchain and its sanitizers; only stable is installed, so every target is a
//! `proptest` over arbitrary bytes (made text with lossy UTF-8 conversion), arbitrary UTF-8, and generators that
//! know the shape of the input (JSON lines, OTLP requests, timestamps with random fields, queries made of the
//! language's operators, runbook and config files with random edits).
//!
//! Each target runs `FUZZ_CASES` cases (a small slice by default, so `cargo test` runs them all in CI);
//! `scripts/fuzz.sh` runs them one at a time with a million cases. Proptest writes no failure files: a failure
//! prints its minimal input, and every finding becomes a regression test in `findings.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

mod copilot;
mod files;
mod findings;
mod ingest;
mod sources;
mod text;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::Config;

/// Cases per target: `FUZZ_CASES` when set, else `default` (the CI slice).
pub fn cases(default: u32) -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(default)
}

/// The proptest configuration of every target: no failure persistence files in the repository.
pub fn config(default: u32) -> Config {
    Config { cases: cases(default), failure_persistence: None, max_shrink_iters: 2048, ..Config::default() }
}

/// Random bytes as text, the way a log line with invalid UTF-8 reaches the parsers.
pub fn lossy_text(max: usize) -> BoxedStrategy<String> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(|b| String::from_utf8_lossy(&b).into_owned()).boxed()
}

/// Any Unicode text: controls, newlines, combining marks, astral characters.
pub fn utf8_text(max: usize) -> BoxedStrategy<String> {
    proptest::string::string_regex(&format!("(?s).{{0,{max}}}")).expect("a valid regex").boxed()
}

/// Printable ASCII with tabs and newlines: where most parsers' branches are.
pub fn ascii_text(max: usize) -> BoxedStrategy<String> {
    proptest::string::string_regex(&format!("[ -~\t\n]{{0,{max}}}")).expect("a valid regex").boxed()
}

/// Text of every kind above.
pub fn any_text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![lossy_text(max), utf8_text(max), ascii_text(max)].boxed()
}

/// Words drawn from `vocab` (or, one time in five, arbitrary short text), joined by random separators: input
/// that reaches deep into a parser built around those words.
pub fn phrase(vocab: &'static [&'static str], seps: &'static [&'static str], max: usize) -> BoxedStrategy<String> {
    let piece = prop_oneof![4 => select(vocab).prop_map(str::to_string), 1 => any_text(12)];
    proptest::collection::vec((piece, select(seps)), 0..max)
        .prop_map(|parts| {
            let mut s = String::new();
            for (p, sep) in parts {
                s.push_str(&p);
                s.push_str(sep);
            }
            s
        })
        .boxed()
}

/// The largest char boundary at or before `at`.
pub fn floor_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One edit of a known-good text: delete a range, insert a fragment, or replace a range with it.
#[derive(Debug, Clone)]
pub struct Edit {
    at: usize,
    len: usize,
    op: u8,
    fragment: String,
}

pub fn edits(fragments: &'static [&'static str], max: usize) -> BoxedStrategy<Vec<Edit>> {
    let fragment = prop_oneof![3 => select(fragments).prop_map(str::to_string), 1 => any_text(16)];
    proptest::collection::vec(
        (any::<usize>(), 0usize..24, 0u8..3, fragment).prop_map(|(at, len, op, fragment)| Edit {
            at,
            len,
            op,
            fragment,
        }),
        0..max,
    )
    .boxed()
}

/// `base` with `edits` applied, at char boundaries so the result stays text.
pub fn mutate(base: &str, edits: &[Edit]) -> String {
    let mut s = base.to_string();
    for e in edits {
        let at = floor_boundary(&s, e.at % (s.len() + 1));
        let end = floor_boundary(&s, at + e.len).max(at);
        match e.op {
            0 => s.replace_range(at..end, ""),
            1 => s.insert_str(at, &e.fragment),
            _ => s.replace_range(at..end, &e.fragment),
        }
    }
    s
}
