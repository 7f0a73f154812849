//! A data dir written by the previous index format (format 1, firewatch 0b3c7c1) is upgraded in place:
//! every record is found as the old version found it, and nothing ingested before is read again.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::path::Path;

use common::{fixtures, Fw};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `expected.tsv`: each query with the ids of its hits, as the old binary listed them.
fn expected() -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(fixtures().join("index-format1/expected.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (query, ids) = l.split_once('\t').unwrap();
            (query.to_string(), ids.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
        })
        .collect()
}

fn hit_ids(fw: &Fw, query: &str) -> Vec<String> {
    let mut ids: Vec<String> = fw
        .search_json(&["--limit", "1000", query])
        .iter()
        .map(|h| h["id"].as_str().expect("an id").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn a_format1_data_dir_is_upgraded_with_every_record_and_its_manifest() {
    let fw = Fw::new();
    copy_dir(&fixtures().join("index-format1/data"), &fw.data_dir());
    let queries = expected();
    // A word, a phrase, an id prefix, key:value pairs and an address.
    assert_eq!(queries.len(), 6);
    for (query, ids) in &queries {
        assert!(!ids.is_empty(), "{query}: the fixture finds something");
        assert_eq!(&hit_ids(&fw, query), ids, "hits of {query} after the upgrade");
    }
    assert_eq!(fw.count("id:*"), 300, "every record of the old index");
    let data = fw.data_dir();
    assert!(!data.join("index.format1").exists(), "the old index is removed after the swap");
    assert!(!data.join("index.upgrading").exists());

    // The manifest came along: the same file is not read again.
    let log = fw.write("app.log", &std::fs::read(fixtures().join("index-format1/app.log")).unwrap());
    let report = fw.ingest_json(&[&log]);
    assert_eq!(report["records"], 0, "ingest report: {report}");
    assert_eq!(fw.count("id:*"), 300);
    assert_eq!(&hit_ids(&fw, &queries[0].0), &queries[0].1);
}
