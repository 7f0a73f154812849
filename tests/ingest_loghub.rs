//! Ingest and search over the real Loghub samples (tests/fixtures/loghub, see its LICENSE).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::{fixtures, Fw};

/// Counts lines of `file` whose whitespace field `field` (0-based) is one of `levels`,
/// independently of firewatch's own parser.
fn count_field(file: &str, field: usize, levels: &[&str]) -> u64 {
    let text = std::fs::read_to_string(fixtures().join("loghub").join(file)).expect("fixture");
    text.lines().filter(|l| l.split_whitespace().nth(field).is_some_and(|f| levels.contains(&f))).count() as u64
}

fn count_substring(file: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(fixtures().join("loghub").join(file)).expect("fixture");
    text.lines().filter(|l| l.contains(needle)).count() as u64
}

#[test]
fn every_sample_is_ingested_with_timestamps_levels_and_searchable_ids() {
    let fw = Fw::new();
    let dir = fixtures().join("loghub");
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    assert_eq!(logs.len(), 12);
    let paths: Vec<&std::path::Path> = logs.iter().map(|p| p.as_path()).collect();
    let report = fw.ingest_json(&paths);
    for f in report["files"].as_array().unwrap() {
        assert_eq!(f["logs"], 2000, "{}", f["path"]);
        assert_eq!(f["bad"], 0, "{}", f["path"]);
        assert_eq!(f["format"], "text", "{}", f["path"]);
    }
    // Every line got a timestamp from its header, none was guessed.
    assert_eq!(fw.count("firewatch.time:inferred"), 0);
    assert_eq!(fw.count("*"), 24_000);

    // Levels agree with the level column of each format.
    assert_eq!(fw.count("service:hdfs_2k level:warn"), count_field("HDFS_2k.log", 3, &["WARN"]));
    assert_eq!(fw.count("service:zookeeper_2k level:error"), count_field("Zookeeper_2k.log", 3, &["ERROR"]));
    assert_eq!(fw.count("service:android_2k level:warn"), count_field("Android_2k.log", 4, &["W"]));
    assert_eq!(fw.count("service:hadoop_2k level:>=error"), count_field("Hadoop_2k.log", 2, &["ERROR", "FATAL"]));
    assert_eq!(fw.count("service:bgl_2k level:fatal"), count_field("BGL_2k.log", 8, &["FATAL"]));
    assert_eq!(fw.count("service:apache_2k level:error"), count_substring("Apache_2k.log", "[error]"));

    // syslog lines name their program and host.
    assert_eq!(fw.count("service:sshd host:labsz"), count_substring("OpenSSH_2k.log", "sshd["));

    // Ids, addresses and words find exactly the lines a grep would.
    for (file, needle) in [
        ("HDFS_2k.log", "blk_-1030832046197982436"),
        ("OpenSSH_2k.log", "177.79.82.136"),
        ("Spark_2k.log", "broadcast_0_piece0"),
        ("Zookeeper_2k.log", "10.10.34.13:3888"),
        ("Hadoop_2k.log", "attempt_1445144423722_0020_m_000000_1"),
    ] {
        assert!(count_substring(file, needle) > 0, "{needle} must occur in {file}");
        assert_eq!(fw.count(needle), count_substring(file, needle), "{needle}");
    }

    // Newest first, and the timestamp is the one in the line.
    let hits = fw.search_json(&["--limit", "3", "service:hdfs_2k"]);
    assert_eq!(hits.len(), 3);
    let ts: Vec<&str> = hits.iter().map(|h| h["timestamp"].as_str().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "{ts:?}");
    assert!(ts[0].starts_with("2008-11-1"), "{ts:?}");
}
