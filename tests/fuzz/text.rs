//! Targets: the index and query tokenizers, the search query parser (run against a small index), and the
//! template miner behind `patterns`.

use std::sync::{Arc, OnceLock};

use chrono::{TimeZone, Utc};
use firewatch::analysis::templates::{MinerConfig, TemplateMiner};
use firewatch::model::{LogRecord, RecordId, Resource, Severity};
use firewatch::store::query::{self, QueryError};
use firewatch::store::schema::{self, Fields};
use firewatch::store::tokenizer::{self, TokenBuf, ATTRS_START, ENTRY_SEP, KEY_SEP};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{Map, Value};
use tantivy::tokenizer::{TokenStream, Tokenizer};
use tantivy::{Index, IndexReader};

use crate::{any_text, config, phrase};

/// What log text is made of: identifiers, addresses, versions, paths, the tokenizer's delimiters and its
/// attribute separators, multi-byte characters next to dots and separators.
const LOG_WORDS: &[&str] = &[
    "ERROR",
    "order",
    "10.0.0.1:8080",
    "payments.internal",
    "v2.14.1",
    "user@example.com",
    "/api/v1/orders",
    "a.b.c",
    "...",
    "..a..",
    ".",
    ":",
    "/",
    "@",
    "=",
    "\"",
    "'",
    "(",
    ")",
    "[",
    "]",
    "\u{1d}",
    "\u{1e}",
    "\u{1f}",
    "\u{fffd}",
    "€",
    "é.é",
    "İ",
    "ẞ",
    "ﬃ",
    "a\u{301}",
    "𝔘𝔫𝔦",
    "日本語.テスト",
    "x.\u{fffd}.y",
    "0x1F",
    "550e8400-e29b-41d4-a716-446655440000",
];
const SEPS: &[&str] = &[" ", "", "  ", "\t", "\n", ".", ":", "="];

fn log_text() -> BoxedStrategy<String> {
    prop_oneof![any_text(300), phrase(LOG_WORDS, SEPS, 40)].boxed()
}

/// Every token lies on char boundaries inside the text, and is the lowercased text at its offsets (an attribute
/// key token is `@` and the key).
fn check_tokens(text: &str, tokens: &[tantivy::tokenizer::Token]) -> Result<(), TestCaseError> {
    let mut last_position = 0;
    for t in tokens {
        prop_assert!(t.offset_from <= t.offset_to && t.offset_to <= text.len(), "{t:?} out of {text:?}");
        let Some(src) = text.get(t.offset_from..t.offset_to) else {
            return Err(TestCaseError::fail(format!("{t:?} not on char boundaries of {text:?}")));
        };
        let lower = tokenizer::compound_text(src);
        prop_assert!(t.text == lower || t.text == format!("@{lower}"), "{t:?} is not {src:?} lowercased");
        prop_assert!(t.position >= last_position, "positions go back at {t:?} in {text:?}");
        last_position = t.position;
    }
    Ok(())
}

/// The attribute form the index stores: body, then `key` `value` entries.
fn with_attributes(body: &str, entries: &[(String, String)]) -> String {
    let mut s = body.to_string();
    s.push(ATTRS_START);
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            s.push(ENTRY_SEP);
        }
        s.push_str(k);
        s.push(KEY_SEP);
        s.push_str(v);
    }
    s
}

proptest! {
    #![proptest_config(config(1000))]

    /// Index side: the body tokenizer and the attribute entries, directly and through Tantivy's trait.
    #[test]
    fn tokenizer_index(body in log_text(), entries in proptest::collection::vec((any_text(12), log_text()), 0..4)) {
        let mut buf = TokenBuf::default();
        for text in [body.clone(), with_attributes(&body, &entries)] {
            buf.clear();
            tokenizer::index_tokenize_into(&text, &mut buf);
            check_tokens(&text, buf.as_slice())?;
            let mut tk = tokenizer::FwTokenizer::default();
            let mut stream = tk.token_stream(&text);
            let mut n = 0;
            while stream.advance() {
                n += 1;
            }
            prop_assert_eq!(n, buf.as_slice().len());
        }
    }

    /// Query side: chunks, words, parts and dotted runs are non-empty char ranges inside their text.
    #[test]
    fn tokenizer_query(text in log_text()) {
        let mut buf = TokenBuf::default();
        tokenizer::tokenize_into(&text, &mut buf);
        check_tokens(&text, buf.as_slice())?;
        for chunk in tokenizer::chunks(&text) {
            prop_assert!(chunk.from < chunk.to && text.get(chunk.from..chunk.to).is_some(), "{chunk:?} in {text:?}");
            for (a, b) in tokenizer::words(&text, chunk) {
                prop_assert!(a < b && chunk.from <= a && b <= chunk.to && text.get(a..b).is_some());
            }
            for part in tokenizer::parts(&text, chunk).chain(tokenizer::dotted_runs(&text, chunk)) {
                prop_assert!(part.from < part.to && chunk.from <= part.from && part.to <= chunk.to, "{part:?}");
                prop_assert!(text.get(part.from..part.to).is_some(), "{part:?} in {text:?}");
            }
        }
        let _ = tokenizer::is_dotted(&text);
        let _ = tokenizer::key_token(&text);
    }
}

/// The search language's operators, quotes, escapes, fields and wildcards.
const QUERY_WORDS: &[&str] = &[
    "(",
    ")",
    "\"",
    "\\",
    "\\\"",
    "AND",
    "OR",
    "NOT",
    "&&",
    "||",
    "-",
    "!",
    "+",
    "*",
    "timeout",
    "Timeout*",
    "ERR*",
    "*",
    "service:",
    "service:checkout",
    "level:>=warn",
    "level:>=",
    "level:<error",
    "level:bogus",
    "severity:",
    "trace_id:",
    "span_id:4bf92f3577b34da6",
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "http.status_code:503",
    "k8s.pod.name:\"a b\"",
    "body:\"disk full\"",
    ":",
    ":\"",
    "a.b:",
    "10.0.0.1:8080",
    "id:",
    "kind:span",
    "region:eu-*",
    "é*",
    "\u{fffd}",
    "İ*",
    "[a-z]+",
    "^$.|?{}~#&",
];
const QUERY_SEPS: &[&str] = &[" ", "", " ", "  "];

/// A small index to run parsed queries against: regexes and ranges are only compiled when a query runs.
pub(crate) fn index() -> &'static (IndexReader, Fields) {
    static INDEX: OnceLock<(IndexReader, Fields)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        index.tokenizers().register(tokenizer::NAME, tokenizer::FwTokenizer::default());
        let mut writer = index.writer_with_num_threads(1, 15_000_000).expect("an index writer");
        let mut attrs = Map::new();
        attrs.insert("http.status_code".into(), Value::from(503));
        let resource = Arc::new(Resource { service: Some("checkout".into()), ..Resource::default() });
        for (i, body) in
            ["timeout talking to 10.0.0.1:8080", "disk full on é.host", "ERROR order 42 failed"].into_iter().enumerate()
        {
            let record = LogRecord {
                id: RecordId(i as u128 + 1),
                timestamp: Utc.with_ymd_and_hms(2026, 11, 20, 10, i as u32, 0).unwrap(),
                severity: Severity::Error,
                body: body.into(),
                time_span: None,
                resource: resource.clone(),
                trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
                span_id: None,
                attributes: attrs.clone(),
            };
            writer.add_document(firewatch::store::docs::log_doc(&fields, &record, Some(1))).expect("a document");
        }
        writer.commit().expect("a commit");
        (index.reader().expect("a reader"), fields)
    })
}

proptest! {
    #![proptest_config(config(1000))]

    /// Parses or says why not; a parsed query builds or says why not, and runs.
    #[test]
    fn query_parser(q in prop_oneof![any_text(120), phrase(QUERY_WORDS, QUERY_SEPS, 16)]) {
        let (reader, fields) = index();
        match query::parse(&q) {
            Ok(node) => {
                let _ = query::highlight_terms(&node);
                match query::build(&node, fields) {
                    Ok(built) => {
                        let n = reader.searcher().search(&*built, &tantivy::collector::Count);
                        prop_assert!(n.is_ok(), "{q:?} failed to run: {n:?}");
                    }
                    Err(QueryError::Severity(_) | QueryError::Pattern(_)) => {}
                    Err(e) => return Err(TestCaseError::fail(format!("{q:?} parsed, then failed to build: {e}"))),
                }
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

/// Log lines that share templates, with variables of every shape.
const TEMPLATE_WORDS: &[&str] = &[
    "Connection",
    "from",
    "closed",
    "user",
    "<*>",
    "<*><*>",
    "<",
    "*",
    ">",
    "10.0.0.1",
    "42",
    "0x7f",
    "blk_-123",
    "=",
    "key=value",
    "[pid 12]",
    "é",
    "\u{fffd}",
    "\u{0}",
    "a.b.c",
    "ERROR",
    "took 15ms",
];

proptest! {
    #![proptest_config(config(500))]

    /// Every line gets a template that exists and counts it; the miner never holds more templates than lines.
    #[test]
    fn template_miner(lines in proptest::collection::vec(
        prop_oneof![any_text(200), phrase(TEMPLATE_WORDS, &[" ", "  ", "", "\t"], 30)], 1..24)) {
        let mut miner = TemplateMiner::new(MinerConfig::default());
        for line in &lines {
            let id = miner.add(line);
            prop_assert!(miner.count(id) >= 1, "{line:?} got template {id} with no count");
            let _ = miner.template(id);
        }
        prop_assert!(miner.len() <= lines.len());
        let total: u64 = miner.templates().iter().map(|(_, _, n)| n).sum();
        prop_assert_eq!(total, lines.len() as u64);
    }
}
