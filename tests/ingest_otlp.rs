//! OTLP/JSON written by the real OpenTelemetry Python SDK (its JSON file exporter).
//!
//! `scripts/otel_fixtures.py` wrote tests/fixtures/otlp; `.ci/run` runs it again with the
//! SDK from PyPI and points FIREWATCH_OTEL_FIXTURES at the fresh output, so CI checks
//! the SDK that is current, not only the files committed here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap

mod common;

use std::path::PathBuf;

use common::{fixtures, Fw};

fn otlp_dir() -> PathBuf {
    match std::env::var_os("FIREWATCH_OTEL_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must regenerate the OTLP fixtures with the real SDK (FIREWATCH_OTEL_FIXTURES)"
            );
            fixtures().join("otlp")
        }
    }
}

#[test]
fn sdk_logs_traces_and_metrics_are_stored_and_linked() {
    let fw = Fw::new();
    let dir = otlp_dir();
    let logs = dir.join("logs.jsonl");
    let traces = dir.join("traces.jsonl");
    let metrics = dir.join("metrics.jsonl");
    let report = fw.ingest_json(&[&logs, &traces, &metrics]);
    let files = report["files"].as_array().unwrap();
    assert_eq!(files[0]["format"], "otlp-json");
    assert_eq!(files[0]["logs"], 22);
    assert_eq!(files[1]["spans"], 40);
    assert!(files[2]["metrics"].as_u64().unwrap() >= 3, "{}", files[2]);
    assert_eq!(report["bad"], 0);

    // Resource attributes become service/region/host.
    assert_eq!(fw.count("service:checkout region:us-east-1 host:checkout-7d9f-x2"), 62);
    // Severity from SeverityNumber: three failed payments (i % 7 == 3 for i < 20).
    assert_eq!(fw.count("kind:log level:error"), 3);
    assert_eq!(fw.count("kind:span level:error"), 3, "spans with status ERROR");
    // Record attributes are queryable by their OpenTelemetry names.
    assert_eq!(fw.count("order.id:ord-0003"), 1);
    assert_eq!(fw.count("peer.service:payments"), 20);

    // A log line and the spans of its trace share the hex trace id.
    let errors = fw.search_json(&["kind:log level:error"]);
    let trace = errors[0]["trace_id"].as_str().unwrap().to_string();
    assert_eq!(trace.len(), 32);
    assert!(trace.chars().all(|c| c.is_ascii_hexdigit()));
    let all = fw.search_json(&[&format!("trace_id:{trace}")]);
    assert_eq!(all.len(), 3, "the error log, the server span and the client span");
    let attrs = &errors[0]["attributes"];
    assert_eq!(attrs["service.version"], "2.14.1");
    assert_eq!(attrs["retry"], true);
    assert_eq!(attrs["attempt"], 3);
    assert!(errors[0]["body"].as_str().unwrap().starts_with("payment call failed for order ord-"));

    // The error span carries its status message in the body.
    let spans = fw.search_json(&["kind:span", "level:error", "\"charge card\""]);
    assert!(spans[0]["body"].as_str().unwrap().contains("upstream timeout"), "{}", spans[0]);
}
