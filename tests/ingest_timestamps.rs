//! Times outside the plausible window (before 1970, or epoch numbers before 2000; more than a day after the ingest)
//! are not stored as given: a log record is dated like a line without a time (by the record before it, marked
//! `firewatch.time = inferred`, the value it claimed kept), so no record lands in year 2262 or 1970.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::Fw;
use serde_json::Value;

#[test]
fn log_times_outside_the_window_are_inferred_not_stored() {
    let fw = Fw::new();
    let good = "2026-11-20T10:00:00Z";
    let json_lines = [
        format!(r#"{{"timestamp":"{good}","message":"good"}}"#),
        r#"{"timestamp":"0001-01-01T00:00:00Z","message":"year one"}"#.to_string(),
        r#"{"timestamp":"9999-01-01T00:00:00Z","message":"year 9999"}"#.to_string(),
        r#"{"timestamp":"2026-13-45T00:00:00Z","message":"month 13"}"#.to_string(),
        r#"{"ts":9999,"message":"epoch 9999"}"#.to_string(),
        r#"{"ts":"NaN","message":"epoch NaN"}"#.to_string(),
        r#"{"ts":-5,"message":"negative epoch"}"#.to_string(),
        r#"{"ts":253402300800,"message":"epoch seconds in 10000"}"#.to_string(),
    ];
    let json = fw.write("app.jsonl", (json_lines.join("\n") + "\n").as_bytes());
    let text = fw.write(
        "app.log",
        format!(
            "{good} INFO text good\n9999-01-01 00:00:00 ERROR text year 9999\n0001-01-01 00:00:00 ERROR text year one\n\
             2026-13-45 00:00:00 ERROR text month 13\n9999999999 text epoch in 2286\n"
        )
        .as_bytes(),
    );
    fw.ingest_json(&[&json, &text]);
    let records = fw.search_json(&[]);
    assert_eq!(records.len(), json_lines.len() + 5, "{records:?}");
    for r in &records {
        let body = r["body"].as_str().unwrap();
        assert_eq!(r["timestamp"].as_str().unwrap(), good, "{body} dated {}", r["timestamp"]);
        if !body.contains("good") {
            assert_eq!(r["attributes"]["firewatch.time"], "inferred", "{r}");
        }
    }
    let year9999 = records.iter().find(|r| r["body"] == "year 9999").unwrap();
    assert_eq!(year9999["attributes"]["time"], Value::from("9999-01-01T00:00:00Z"), "the claimed time is kept");
}
