//! Idempotent ingestion, retention, and what a locked or corrupt data dir says.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{fixtures, Fw};

fn lines(from: usize, to: usize) -> String {
    (from..to)
        .map(|i| format!("2026-11-20T15:{:02}:{:02}Z INFO request req-{i:05} served\n", i / 60 % 60, i % 60))
        .collect()
}

#[test]
fn ingesting_the_same_data_twice_adds_nothing() {
    let fw = Fw::new();
    let path = fw.write("app.log", lines(0, 500).as_bytes());
    let p = path.to_str().unwrap();
    fw.ok(&["ingest", p]);
    assert_eq!(fw.count("*"), 500);
    let again = fw.ingest_json(&[&path]);
    assert_eq!(again["records"], 0);
    assert_eq!(again["files"][0]["skipped_bytes"], std::fs::metadata(&path).unwrap().len());
    assert_eq!(fw.count("*"), 500);

    // The same content under another name is the same data.
    let copy = fw.write("copy.log", lines(0, 500).as_bytes());
    fw.ok(&["ingest", copy.to_str().unwrap()]);
    assert_eq!(fw.count("*"), 500);

    // A file that grew: only the new lines are added.
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(lines(500, 520).as_bytes()).unwrap();
    let grown = fw.ingest_json(&[&path]);
    assert_eq!(grown["records"], 20);
    assert_eq!(fw.count("*"), 520);
    assert_eq!(fw.count("req-00510"), 1);

    // A different file that only shares the first line is not mistaken for it.
    let mut other = lines(0, 1);
    other.push_str("2026-11-20T16:00:00Z INFO something else entirely\n");
    let other = fw.write("other.log", other.as_bytes());
    let r = fw.ingest_json(&[&other]);
    assert_eq!(r["records"], 2);

    // Standard input twice: records replace themselves by id.
    let stdin = lines(1000, 1100);
    for _ in 0..2 {
        let out = fw.run_stdin(&["ingest", "-"], stdin.as_bytes());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(fw.count("*"), 522 + 100);

    // Alerts and metric points are idempotent too.
    let am = fixtures().join("otlp/metrics.jsonl");
    let first = fw.ingest_json(&[&am]);
    assert!(first["records"].as_u64().unwrap() > 0);
    let second = fw.ingest_json(&[&am]);
    assert_eq!(second["records"], 0);
}

#[test]
fn retention_by_age_and_by_size_deletes_the_oldest() {
    let fw = Fw::new();
    let now = chrono::Utc::now();
    let mut text = String::new();
    for days in [400, 200, 40, 2, 1] {
        let t = (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        text.push_str(&format!("{t} INFO day-{days} event\n"));
    }
    let path = fw.write("old.log", text.as_bytes());
    let cfg = fw.write("age.toml", b"[retention]\nmax_age = \"30d\"\n");
    fw.ok(&["--config", cfg.to_str().unwrap(), "ingest", path.to_str().unwrap()]);
    assert_eq!(fw.count("*"), 2);
    assert_eq!(fw.count("day-2 OR day-1"), 2);

    let fw = Fw::new();
    let big: String = (0..20_000)
        .map(|i| {
            let t = (now - chrono::Duration::seconds(20_000 - i)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            format!("{t} INFO event number n{i} with some padding text to take room in the index\n")
        })
        .collect();
    let path = fw.write("big.log", big.as_bytes());
    fw.ok(&["ingest", path.to_str().unwrap()]);
    let full = std::fs::read_dir(fw.data_dir().join("index"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum::<u64>();
    let cfg = fw.write("size.toml", format!("[retention]\nmax_size = \"{}\"\n", full / 2).as_bytes());
    let more = fw.write("more.log", format!("{} INFO newest\n", now.to_rfc3339()).as_bytes());
    fw.ok(&["--config", cfg.to_str().unwrap(), "ingest", more.to_str().unwrap()]);
    let left = fw.count("*");
    assert!(left < 15_000 && left > 2_000, "{left} records left");
    assert_eq!(fw.count("n0"), 0, "the oldest went first");
    assert_eq!(fw.count("n19999"), 1);
    assert_eq!(fw.count("newest"), 1);
}

#[test]
fn a_locked_data_dir_says_who_holds_it() {
    let fw = Fw::new();
    // An ingest reading a stdin that stays open holds the writer lock.
    let mut holder = fw.command().args(["ingest", "-"]).stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    let mut stdin = holder.stdin.take().unwrap();
    stdin.write_all(b"2026-11-20T15:00:00Z INFO hello\n").unwrap();
    // Wait until the holder has created the index (it takes the writer lock right then).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !fw.data_dir().join("index/meta.json").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(holder.try_wait().unwrap().is_none(), "the holder must still be running");
    let out = fw.run(&["ingest", fw.write("x.log", b"x\n").to_str().unwrap()]);
    drop(stdin);
    holder.wait().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("being written by another firewatch process"), "{err}");
    // Searching while it is held works; afterwards ingest works again.
    assert_eq!(fw.count("hello"), 1);
    fw.ok(&["ingest", fw.write("y.log", b"2026-11-20T15:00:00Z INFO again\n").to_str().unwrap()]);
}

#[test]
fn a_corrupt_data_dir_gives_one_line_not_a_panic() {
    let fw = Fw::new();
    fw.ok(&["ingest", fw.write("a.log", lines(0, 10).as_bytes()).to_str().unwrap()]);
    std::fs::write(fw.data_dir().join("index/meta.json"), b"{ not json").unwrap();
    for args in [vec!["search", "req"], vec!["ingest", "/dev/null"]] {
        let out = fw.run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("corrupt") && err.contains("move the directory aside"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn compaction_merges_small_segments_and_keeps_every_record_and_the_manifest() {
    let fw = Fw::new();
    // No background merges: each ingest below leaves its own segment, as a large ingest leaves dozens.
    let config = fw.write("config.toml", b"[store]\nmerge_max_docs = 1\n");
    let cfg = config.to_str().unwrap();
    let mut files = Vec::new();
    for i in 0..13 {
        let path = fw.write(&format!("part{i:02}.log"), lines(i * 100, i * 100 + 100).as_bytes());
        fw.ok(&["--config", cfg, "ingest", path.to_str().unwrap()]);
        files.push(path);
    }
    let newest_before = fw.search_json(&["-n", "3", "served"]);
    let segments = |fw: &Fw| {
        std::fs::read_dir(fw.data_dir().join("index"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "idx"))
            .count()
    };
    assert!(segments(&fw) >= 13, "one segment per ingest");

    let last = fw.write("part13.log", lines(1300, 1400).as_bytes());
    let out = fw.ok(&["--config", cfg, "ingest", "--json", "--compact", last.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["records"], 100);
    // At least one segment per ingest (a slow one commits early too); merged in runs of at most 16.
    let before = report["compacted"]["segments_before"].as_u64().unwrap();
    assert!(before >= 14, "{report}");
    assert_eq!(report["compacted"]["segments_after"].as_u64().unwrap(), before.div_ceil(16), "{report}");
    // Tantivy deletes the merged segments' files once no reader holds them.
    assert!(segments(&fw) as u64 <= before.div_ceil(16), "{} segment files left", segments(&fw));

    // Every record is still there, newest first as before, and the manifest survived the merge: ingesting
    // the same files again adds nothing.
    assert_eq!(fw.count("*"), 1400);
    assert_eq!(fw.count("req-00042"), 1);
    let newest_after = fw.search_json(&["-n", "3", "served"]);
    assert!(newest_after[0]["body"].as_str().unwrap().contains("req-01399"), "{newest_after:?}");
    assert!(newest_before[0]["body"].as_str().unwrap().contains("req-01299"), "{newest_before:?}");
    let paths: Vec<&std::path::Path> = files.iter().map(|p| p.as_path()).collect();
    assert_eq!(fw.ingest_json(&paths)["records"], 0);

    // A small data dir is left alone: nothing to gain.
    let small = Fw::new();
    let one = small.write("one.log", lines(0, 50).as_bytes());
    let out = small.ok(&["ingest", "--json", "--compact", one.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(report.get("compacted").is_none(), "{report}");
}
