//! Target: format detection, through the real ingest path. Files of mixed lines (plain text, JSON lines, OTLP/JSON,
//! Alertmanager documents, arbitrary bytes, compressed magic numbers) go through `Ingestor::ingest_path` and
//! `ingest_reader` into a store in a temp dir. The ingestor catches a parser's panic and reports it as an
//! "internal error" (one record, or the rest of the file, is lost): no report may say that.

use std::cell::RefCell;
use std::io::Cursor;

use chrono::DateTime;
use firewatch::ingest::{FileReport, Ingestor, Options};
use firewatch::sources::timestamp::TsContext;
use firewatch::store::state::StateDb;
use firewatch::store::writer::{WriterConfig, WriterHandle};
use firewatch::store::Store;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::TestRunner;

use crate::sources::{json_value, log_line, timestamp_text};
use crate::{any_text, config};

fn json_line() -> BoxedStrategy<String> {
    json_value().prop_map(|v| v.to_string()).boxed()
}

/// Compression magic numbers, NULs and a byte-order mark: what makes a file binary, compressed or neither.
const MAGIC: &[&[u8]] = &[b"\x1f\x8b\x08", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"\x00\x00\x00", b"\xef\xbb\xbf"];
const NEWLINES: &[&[u8]] = &[b"\n", b"\r\n"];

/// One line of a file that mixes every format the detector tells apart.
fn line() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => log_line().prop_map(String::into_bytes),
        3 => json_line().prop_map(String::into_bytes),
        1 => timestamp_text().prop_map(|t| format!("  at {t} continuation").into_bytes()),
        1 => any_text(40).prop_map(|t| format!("{{\"resource{t}").into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..80),
        1 => select(MAGIC).prop_map(<[u8]>::to_vec),
    ]
    .boxed()
}

fn file_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => (proptest::collection::vec(line(), 0..12), select(NEWLINES), any::<bool>()).prop_map(
            |(lines, nl, last)| {
                let mut out = lines.join(nl);
                if last {
                    out.extend_from_slice(nl);
                }
                out
            }
        ),
        // A whole pretty-printed document: an Alertmanager array, a webhook, an OTLP request.
        1 => json_value().prop_map(|v| serde_json::to_vec_pretty(&v).unwrap_or_default()),
    ]
    .boxed()
}

fn check(report: &FileReport, bytes: &[u8]) -> Result<(), TestCaseError> {
    let show = String::from_utf8_lossy(bytes);
    if let Some(e) = &report.error {
        prop_assert!(!e.contains("internal error"), "{e} on {show:?}");
    }
    for b in &report.bad_records {
        prop_assert!(!b.reason.contains("internal error"), "line {}: {} on {show:?}", b.line, b.reason);
    }
    Ok(())
}

/// One store for every case (a store per case would measure Tantivy, not the parsers).
#[test]
fn format_detection() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data");
    let store = Store::open(&data).expect("a store");
    let cfg = WriterConfig { memory_bytes: 20 << 20, threads: 1, ..WriterConfig::default() };
    let writer = WriterHandle::start(&store, cfg).expect("a writer");
    let mut state = StateDb::open(&data).expect("a state db");
    let manifest = store.manifest().expect("a manifest");
    let now = DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z").expect("a time").to_utc();
    let opts = Options { ts: TsContext::utc(now), service: None, max_line_bytes: 1 << 20, complete_lines_only: false };
    let ingestor = RefCell::new(Ingestor::new(&writer, &mut state, store.fields, manifest, opts));
    let mut runner = TestRunner::new(config(200));
    let names = ["app.log", "app.log.1", "alerts.json", "otlp.jsonl", "x"];
    let result = runner.run(&(file_bytes(), 0..names.len(), any::<bool>()), |(bytes, name, stdin)| {
        let report = if stdin {
            ingestor.borrow_mut().ingest_reader("stdin", Cursor::new(&bytes)).expect("the store accepts writes")
        } else {
            let path = dir.path().join(names[name]);
            std::fs::write(&path, &bytes).expect("a write");
            ingestor.borrow_mut().ingest_path(&path).expect("the store accepts writes")
        };
        check(&report, &bytes)
    });
    drop(ingestor);
    writer.finish().expect("the writer stops cleanly");
    if let Err(e) = result {
        panic!("{e}");
    }
}
