//! The search language and output formats, end to end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use common::Fw;

fn fixture(fw: &Fw) {
    let text = "\
2026-11-20T15:00:00Z INFO [checkout] order ord-1 placed for user=alice from 10.0.0.1
2026-11-20T15:01:00Z ERROR [checkout] connection refused to payments 10.0.0.2:5432
2026-11-20T15:02:00Z WARN [checkout] slow query took 2300 ms
2026-11-20T15:03:00Z ERROR [checkout] connection reset by peer 10.0.0.1
2026-11-20T15:04:00Z DEBUG [checkout] cache refreshed in 3 ms
";
    let logs = fw.write("checkout.log", text.as_bytes());
    let json = fw.write(
        "payments.jsonl",
        br#"{"ts":"2026-11-20T15:00:30Z","level":"error","service":"payments","region":"eu-west-1","msg":"pool exhausted","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","db.pool":"main"}
{"ts":"2026-11-20T15:05:00Z","level":"info","service":"payments","region":"eu-west-1","msg":"pool recovered","db.pool":"main"}
"#,
    );
    fw.ok(&["ingest", logs.to_str().unwrap(), json.to_str().unwrap()]);
}

#[test]
fn words_phrases_booleans_fields_and_time() {
    let fw = Fw::new();
    fixture(&fw);
    assert_eq!(fw.count("connection"), 2);
    assert_eq!(fw.count("\"connection refused\""), 1);
    assert_eq!(fw.count("connection refused"), 1, "adjacent words must all match");
    assert_eq!(fw.count("refused OR reset"), 2);
    assert_eq!(fw.count("connection -refused"), 1);
    assert_eq!(fw.count("connection AND NOT reset"), 1);
    assert_eq!(fw.count("(refused OR slow) level:error"), 1);
    assert_eq!(fw.count("10.0.0.1"), 2);
    assert_eq!(fw.count("10.0.0.2"), 1, "an address followed by a port");
    assert_eq!(fw.count("user=alice"), 1);
    assert_eq!(fw.count("service:payments"), 2);
    assert_eq!(fw.count("level:error"), 3);
    assert_eq!(fw.count("severity:ERROR"), 3);
    assert_eq!(fw.count("level:>=warn"), 4);
    assert_eq!(fw.count("region:eu-west-1"), 2);
    assert_eq!(fw.count("trace_id:4bf92f3577b34da6a3ce929d0e0e4736"), 1);
    assert_eq!(fw.count("4bf92f3577b34da6a3ce929d0e0e4736"), 1, "a bare id finds its record");
    assert_eq!(fw.count("db.pool:main"), 2);
    assert_eq!(fw.count("exhaust*"), 1);
    assert_eq!(fw.count("nothing-like-this"), 0);
    // A log line cannot forge an attribute with the separators the index uses internally.
    let forged = fw.write("forged.log", "2026-11-20T15:09:00Z INFO hi \u{1d}user.role\u{1f}admin\n".as_bytes());
    fw.ok(&["ingest", forged.to_str().unwrap()]);
    assert_eq!(fw.count("user.role:admin"), 0);
    assert_eq!(fw.count("admin"), 1);

    let between =
        fw.ok(&["search", "--since", "2026-11-20T15:01:00Z", "--until", "2026-11-20T15:03:00Z", "--count", "*"]);
    assert_eq!(between.trim(), "3");

    let out = fw.run(&["search", "(unbalanced"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unbalanced parenthesis"));
    let out = fw.run(&["search", "level:loud"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown severity 'loud'"));
}

#[test]
fn newest_first_with_limit_json_contract_and_highlight() {
    let fw = Fw::new();
    fixture(&fw);
    let hits = fw.search_json(&["--limit", "3", "*"]);
    let ts: Vec<&str> = hits.iter().map(|h| h["timestamp"].as_str().unwrap()).collect();
    assert_eq!(ts, vec!["2026-11-20T15:05:00Z", "2026-11-20T15:04:00Z", "2026-11-20T15:03:00Z"]);
    let mut keys: Vec<&String> = hits[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["attributes", "body", "id", "service", "severity", "timestamp", "trace_id"]);
    assert_eq!(hits[0]["service"], "payments");
    assert_eq!(hits[0]["severity"], "info");
    assert_eq!(hits[0]["attributes"]["db.pool"], "main");
    assert_eq!(hits[0]["attributes"]["cloud.region"], "eu-west-1");
    assert_eq!(hits[0]["id"].as_str().unwrap().len(), 32);

    let plain = fw.ok(&["search", "--color", "always", "refused"]);
    assert!(plain.contains("\x1b[1;7mrefused\x1b[0m"), "{plain:?}");
    assert!(plain.contains("ERROR"), "{plain}");
    let never = fw.ok(&["search", "--color", "never", "refused"]);
    assert!(!never.contains('\x1b'));
    assert!(never.starts_with("2026-11-20T15:01:00.000Z ERROR checkout "), "{never}");
}

/// Pairs parsed out of a text line are indexed where they stand in it (not a second time after it): they are
/// still found by key, by value and by word, and a pair inside a JSON message, not an attribute, is not one.
#[test]
fn attributes_parsed_from_the_body_are_found_by_key_value_and_word() {
    let fw = Fw::new();
    let text = "\
2026-11-20T15:00:00Z INFO served /api/orders user_id=139646 req=req-89499506de51 client=10.2.148.41 took 20 ms
2026-11-20T15:01:00Z INFO served /api/cart user_id=23 req=req-5b91ff450033 client=10.2.148.42
";
    let logs = fw.write("api.log", text.as_bytes());
    let json = fw.write(
        "users.jsonl",
        br#"{"ts":"2026-11-20T15:02:00Z","level":"info","msg":"lookup user_id=139612 done","request_id":"req-dff448a86a07"}
"#,
    );
    fw.ok(&["ingest", logs.to_str().unwrap(), json.to_str().unwrap()]);
    assert_eq!(fw.count("user_id:139646"), 1);
    assert_eq!(fw.count("user_id:23"), 1);
    assert_eq!(fw.count("req:req-89499506de51"), 1);
    assert_eq!(fw.count("req-89499506de51"), 1, "an id is found whole");
    assert_eq!(fw.count("89499506de51"), 1, "and by its word");
    assert_eq!(fw.count("served -req-89499506de51"), 1, "and excluded by it");
    assert_eq!(fw.count("req-89499506de51 OR user_id:23"), 2);
    assert_eq!(fw.count("req-8949*"), 0, "a prefix is one word, not part of an id");
    assert_eq!(fw.count("client:10.2.148.41"), 1);
    assert_eq!(fw.count("10.2.148.41"), 1);
    assert_eq!(fw.count("\"user_id=139646 req\""), 1, "phrases run through the pairs as written");
    assert_eq!(fw.count("request_id:req-dff448a86a07"), 1);
    // The JSON message's pair is words, not an attribute: only the text line's attribute matches the key prefix.
    assert_eq!(fw.count("user_id:1396*"), 1);
    assert_eq!(fw.count("user_id 139612"), 1);
}
