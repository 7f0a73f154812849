//! Bad input gets a clear message and loses nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::Fw;
use serde_json::Value;

fn bad_lines(report: &Value) -> Vec<(u64, String, bool)> {
    report["files"][0]["bad_records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["line"].as_u64().unwrap(), b["reason"].as_str().unwrap().to_string(), b["kept"].as_bool().unwrap()))
        .collect()
}

#[test]
fn a_file_of_every_kind_of_garbage_keeps_every_good_record() {
    let fw = Fw::new();
    let mut data: Vec<u8> = Vec::new();
    data.extend_from_slice(b"2026-11-20T15:00:00Z INFO good line one alpha-0001\n"); // 1
    data.extend_from_slice(b"2026-11-20T15:00:01Z INFO invalid utf8 \xff\xfe here beta-0002\n"); // 2
    data.extend_from_slice(b"2026-11-20T15:00:02Z WARN nul\x00byte gamma-0003\n"); // 3
    data.extend_from_slice(b"2026-11-20T15:00:03Z ERROR ");
    data.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    data.extend_from_slice(b" delta-0004\n"); // 4: a 10 MB line
    data.extend_from_slice(b"2026-11-20T15:00:04Z ERROR \x1b[2J\x1b]0;pwned\x07 escape epsilon-0005\n"); // 5
    data.extend_from_slice(b"{\"level\":\"error\",\"msg\":\"truncated zeta-0006\",\n"); // 6
    data.extend_from_slice(b"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNano\":true,\"body\":{\"stringValue\":\"wrong types\"}},{\"timeUnixNano\":\"1763650800000000000\",\"body\":{\"stringValue\":\"otlp good eta-0007\"}}]}]}]}\n"); // 7
    data.extend_from_slice(b"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"timeUnixNa\n"); // 8: truncated OTLP
    data.extend_from_slice(b"\n\n"); // 9, 10: blank
    data.extend_from_slice(
        b"{\"time\":\"2026-11-20T15:00:09Z\",\"level\":\"info\",\"msg\":\"json good theta-0011\"}\n",
    ); // 11
    data.extend_from_slice(b"2026-11-20T15:00:10Z INFO last line without newline iota-0012"); // 12
    let path = fw.write("garbage.log", &data);
    let empty = fw.write("empty.log", b"");

    let out = fw.run(&["ingest", "--json", path.to_str().unwrap(), empty.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let bad = bad_lines(&report);
    let lines: Vec<u64> = bad.iter().map(|b| b.0).collect();
    assert_eq!(lines, vec![2, 3, 4, 6, 7, 8], "{bad:#?}");
    assert!(bad[0].1.contains("UTF-8") && bad[0].2);
    assert!(bad[1].1.contains("NUL") && bad[1].2);
    assert!(bad[2].1.contains("truncated") && bad[2].2);
    assert!(bad[3].1.contains("invalid JSON") && bad[3].2, "truncated JSON is kept as text");
    assert!(bad[4].1.contains("logRecords[0]") && !bad[4].2, "{:?}", bad[4]);
    assert!(bad[5].1.contains("OTLP") && !bad[5].2);
    assert_eq!(report["files"][1]["format"], "empty");
    assert_eq!(report["files"][1]["error"], Value::Null);

    // Every good record, and every bad one that could be kept, is searchable.
    for id in [
        "alpha-0001",
        "beta-0002",
        "gamma-0003",
        "delta-0004",
        "epsilon-0005",
        "zeta-0006",
        "eta-0007",
        "theta-0011",
        "iota-0012",
    ] {
        assert_eq!(fw.count(id), 1, "{id}");
    }
    // Again: the last line, which has no newline, is read again and replaces itself; nothing else is added.
    let again = fw.ingest_json(&[&path]);
    assert_eq!(again["records"], 1, "{again:#}");
    for id in ["alpha-0001", "delta-0004", "theta-0011", "iota-0012"] {
        assert_eq!(fw.count(id), 1, "{id} after a second ingest");
    }

    // The record with wrong types is the only one lost, and it was reported above.
    assert_eq!(fw.count("\"wrong types\""), 0);
    // The 10 MB line keeps its head and its end (where delta-0004 is), not 10 MB.
    let long = fw.search_json(&["delta-0004"]);
    let body = long[0]["body"].as_str().unwrap();
    assert!(body.len() <= 1024 * 1024 && body.contains("[truncated]"), "{}", body.len());

    // Plain output never carries raw control characters from telemetry.
    let out = fw.run(&["search", "--color", "never", "epsilon-0005 OR gamma-0003"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.bytes().any(|b| b == 0x1b || b == 0x07 || b == 0), "{text:?}");
    assert!(text.contains("\\x1b[2J") && text.contains("\\x07") && text.contains("\\x00"), "{text}");
}

#[test]
fn exit_status_is_an_error_only_when_nothing_could_be_opened() {
    let fw = Fw::new();
    let out = fw.run(&["ingest", "/nonexistent/a.log", "/nonexistent/b.log"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("/nonexistent/a.log: cannot open"), "{stdout}");
    let good = fw.write("good.log", b"2026-11-20T15:00:00Z INFO fine\n");
    let out = fw.run(&["ingest", "/nonexistent/a.log", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
}
