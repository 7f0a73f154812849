//! The Elasticsearch/OpenSearch client against recorded `_search` responses in the
//! documented shapes, served from 127.0.0.1 by a stub that checks the request bodies.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use firewatch::model::{Severity, Signal};
use firewatch::sources::elastic::{self, ElasticConfig, ElasticError};
use firewatch::sources::feed::{Health, SourceEvent};
use firewatch::sources::remote::RemoteQuery;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/elastic/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

type Calls = Arc<Mutex<Vec<(String, Value)>>>;

/// Answers `_search` by index: each index name is one recorded scenario.
async fn search(State(calls): State<Calls>, Path(index): Path<String>, Json(body): Json<Value>) -> Response {
    calls.lock().unwrap().push((index.clone(), body.clone()));
    let json = |status: StatusCode, name: &str| {
        (status, [("content-type", "application/json")], fixture(name)).into_response()
    };
    match index.as_str() {
        "logs-paging-*" => match body.get("search_after") {
            None => json(StatusCode::OK, "page1.json"),
            Some(a) if a == &json!([1763650991000i64, 12]) => json(StatusCode::OK, "page2.json"),
            Some(a) if a == &json!([1763650992000i64, 14]) => json(StatusCode::OK, "page3.json"),
            Some(_) => json(StatusCode::OK, "empty.json"),
        },
        "logs-empty" => json(StatusCode::OK, "empty.json"),
        "logs-bad" => json(StatusCode::BAD_REQUEST, "error_400.json"),
        "logs-nope" => json(StatusCode::NOT_FOUND, "error_404.json"),
        "logs-broken" => json(StatusCode::INTERNAL_SERVER_ERROR, "error_500.json"),
        "logs-partial" => json(StatusCode::OK, "partial_shards.json"),
        "logs-malformed" => json(StatusCode::OK, "malformed.json"),
        "logs-proxy" => (StatusCode::BAD_GATEWAY, "<html><body>502 Bad Gateway</body></html>").into_response(),
        "logs-search" => json(StatusCode::OK, "search_desc.json"),
        _ => json(StatusCode::NOT_FOUND, "error_404.json"),
    }
}

async fn stub() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let app = Router::new().route("/{index}/_search", post(search)).with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

fn cfg(url: &str, index: &str) -> ElasticConfig {
    ElasticConfig {
        url: url.to_string(),
        index: index.to_string(),
        page_size: 2,
        poll_interval: Duration::from_millis(50),
        lag: Duration::ZERO,
        ..ElasticConfig::default()
    }
}

#[tokio::test]
async fn pages_with_search_after_across_equal_timestamps() {
    let (url, calls) = stub().await;
    let client = reqwest::Client::new();
    let cfg = cfg(&url, "logs-paging-*");
    let mut cursor = None;
    let (hits, more) =
        elastic::fetch_after(&client, &cfg, &mut cursor, 1_763_650_989_000, 1_763_650_999_000, 10).await.unwrap();
    assert!(!more, "a short page ends the fetch");
    let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Xk3oq5IBc1Yf2l0aA001",
            "Xk3oq5IBc1Yf2l0aA002",
            "Pq0oq5IBc1Yf2l0aB001",
            "Xk3oq5IBc1Yf2l0aA003",
            "Pq0oq5IBc1Yf2l0aB002"
        ]
    );
    assert_eq!(cursor, Some(vec![json!(1763650993000i64), json!(15)]));

    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "stops after a short page");
    let first = &calls[0].1;
    assert_eq!(first["size"], 2);
    assert_eq!(first["sort"], json!([{"@timestamp": {"order": "asc"}}, {"_doc": {"order": "asc"}}]));
    assert_eq!(first["query"]["bool"]["filter"][0]["range"]["@timestamp"]["gte"], 1_763_650_989_000i64);
    assert_eq!(first["query"]["bool"]["filter"][0]["range"]["@timestamp"]["lte"], 1_763_650_999_000i64);
    assert!(first.get("search_after").is_none());
    assert_eq!(calls[1].1["search_after"], json!([1763650991000i64, 12]));
    assert_eq!(calls[2].1["search_after"], json!([1763650992000i64, 14]));

    let now = chrono::Utc::now();
    let logs: Vec<_> = hits.iter().map(|h| elastic::to_log(h, &cfg.fields, now)).collect();
    assert_eq!(logs[0].body, "order placed");
    assert_eq!(logs[0].severity, Severity::Info);
    assert_eq!(logs[0].resource.service.as_deref(), Some("checkout"));
    assert_eq!(logs[0].resource.host.as_deref(), Some("checkout-7d9f"));
    assert_eq!(logs[0].resource.region.as_deref(), Some("us-east-1"));
    assert_eq!(logs[0].trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(logs[0].attributes.get("order_id"), Some(&json!("o-1001")));
    assert_eq!(logs[0].attributes["service"], json!({"version": "1.4.2"}));
    // Dotted keys in `_source` work like nested objects.
    assert_eq!(logs[1].severity, Severity::Warn);
    assert_eq!(logs[1].resource.service.as_deref(), Some("checkout"));
    assert_eq!(logs[2].span_id.as_deref(), Some("00f067aa0ba902b7"));
    // Epoch-millisecond timestamps too.
    assert_eq!(logs[4].timestamp.timestamp_millis(), 1_763_650_993_000);
    let mut ids: Vec<_> = logs.iter().map(|l| l.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

#[tokio::test]
async fn errors_are_clear() {
    let (url, _) = stub().await;
    let client = reqwest::Client::new();
    let run = |index: &'static str| {
        let (client, cfg) = (client.clone(), cfg(&url, index));
        async move { elastic::search_raw(&client, &cfg, &json!({"size": 1})).await }
    };
    assert!(run("logs-empty").await.unwrap().is_empty());
    let e = run("logs-bad").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "elasticsearch answered 400: parsing_exception: [match_phrase] query doesn't support multiple fields, found [message] and [msg]"
    );
    let e = run("logs-nope").await.unwrap_err();
    assert!(matches!(&e, ElasticError::Search { status: 404, kind, .. } if kind == "index_not_found_exception"), "{e}");
    let e = run("logs-broken").await.unwrap_err();
    assert!(
        e.to_string().starts_with(
            "elasticsearch answered 500: search_phase_execution_exception: all shards failed: [parent] Data too large"
        ),
        "{e}"
    );
    let e = run("logs-partial").await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "elasticsearch search incomplete: 1 shard(s) failed: [es-2][10.0.4.2:9300] Node not connected"
    );
    let e = run("logs-malformed").await.unwrap_err();
    assert_eq!(e.to_string(), "malformed elasticsearch response: hits[0]: no _index");
    let e = run("logs-proxy").await.unwrap_err();
    assert_eq!(e.to_string(), "elasticsearch answered 502: <html><body>502 Bad Gateway</body></html>");
}

#[tokio::test]
async fn source_task_resumes_from_its_cursor() {
    let (url, calls) = stub().await;
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel::<()>();
    // Resuming after page 1: only pages 2 and 3 are fetched.
    let task = tokio::spawn(elastic::poll(
        reqwest::Client::new(),
        cfg(&url, "logs-paging-*"),
        "es-logs".into(),
        Some("[1763650991000,12]".into()),
        tx,
        async {
            let _ = stopped.await;
        },
    ));
    let mut bodies = Vec::new();
    let mut cursor = None;
    let mut healthy = false;
    while bodies.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap() {
            SourceEvent::Health { health, .. } => healthy |= matches!(health, Health::Ok { .. }),
            SourceEvent::Polled { .. } => {}
            SourceEvent::Batch(b) => {
                assert_eq!(b.source, "es-logs");
                cursor = b.cursor;
                for s in b.signals {
                    if let Signal::Log(l) = s {
                        bodies.push(l.body);
                    }
                }
            }
        }
    }
    assert!(healthy);
    assert_eq!(
        bodies,
        [
            "charge failed: upstream connect error or disconnect/reset before headers",
            "checkout failed",
            "retrying charge attempt=2"
        ]
    );
    assert_eq!(cursor.as_deref(), Some("[1763650993000,15]"));
    // Later polls find nothing new: only "caught up" and health events, no batch.
    let quiet = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(ev)) = tokio::time::timeout_at(quiet, rx.recv()).await {
        assert!(!matches!(ev, SourceEvent::Batch(_)), "nothing new afterwards, got {ev:?}");
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls[0].1["search_after"], json!([1763650991000i64, 12]));
    assert!(calls[0].1["query"]["bool"]["filter"][0]["range"]["@timestamp"].get("gte").is_none());

    // A failing cluster degrades the source's health with ES's own reason.
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel::<()>();
    let task =
        tokio::spawn(elastic::poll(reqwest::Client::new(), cfg(&url, "logs-nope"), "es".into(), None, tx, async {
            let _ = stopped.await;
        }));
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap() {
        SourceEvent::Health { health: Health::Degraded { error, .. }, .. } => {
            assert!(error.contains("no such index [logs-nope]"), "{error}")
        }
        other => panic!("expected degraded health, got {other:?}"),
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert!(matches!(elastic::parse_cursor("not json"), Err(ElasticError::Cursor(_))));
}

#[tokio::test]
async fn remote_search_pushes_down_query_dsl_newest_first() {
    let (url, calls) = stub().await;
    let cfg = ElasticConfig { url, index: "logs-search".into(), ..ElasticConfig::default() };
    let mut q = RemoteQuery::parse(r#""upstream timeout" -retried service:checkout level:error"#, 25).unwrap();
    q.since = Some("2025-11-20T15:00:00Z".parse().unwrap());
    q.until = Some("2025-11-20T16:00:00Z".parse().unwrap());
    let logs = elastic::search(&reqwest::Client::new(), &cfg, &q).await.unwrap();
    let body = calls.lock().unwrap()[0].1.clone();
    assert_eq!(body["size"], 25);
    assert_eq!(body["sort"][0], json!({"@timestamp": {"order": "desc"}}));
    let b = &body["query"]["bool"];
    assert_eq!(b["must"], json!([{"match_phrase": {"message": "upstream timeout"}}]));
    assert_eq!(b["must_not"], json!([{"match_phrase": {"message": "retried"}}]));
    assert_eq!(
        b["filter"][0],
        json!({"range": {"@timestamp": {"gte": 1763650800000i64, "lte": 1763654400000i64, "format": "epoch_millis"}}})
    );
    assert_eq!(b["filter"][1]["bool"]["should"][0]["term"]["service.name"]["case_insensitive"], true);
    // Newest first as ES sorted them; the INFO hit fails level:error on the client side.
    let bodies: Vec<&str> = logs.iter().map(|l| l.body.as_str()).collect();
    assert_eq!(
        bodies,
        ["upstream timeout calling payments after 3000 ms", "upstream timeout calling inventory after 3000 ms"]
    );
    assert_eq!(logs[1].trace_id.as_deref(), Some("0af7651916cd43dd8448eb211c80319c"));
}
