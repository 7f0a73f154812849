//! The Loki client against recorded responses in the shapes Loki's HTTP API documents,
//! served from 127.0.0.1 by a stub that also checks the parameters the client sent.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use firewatch::model::{Severity, Signal};
use firewatch::sources::feed::{Health, SourceEvent};
use firewatch::sources::loki::{self, Cursor, LokiConfig, LokiError};
use firewatch::sources::remote::RemoteQuery;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/loki/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

type Calls = Arc<Mutex<Vec<HashMap<String, String>>>>;

/// Answers `query_range` by the `job` in the query: each job is one recorded scenario.
async fn query_range(
    State(calls): State<Calls>,
    headers: HeaderMap,
    Query(p): Query<HashMap<String, String>>,
) -> Response {
    let mut logged = p.clone();
    if let Some(t) = headers.get("x-scope-orgid").and_then(|v| v.to_str().ok()) {
        logged.insert("tenant".into(), t.to_string());
    }
    calls.lock().unwrap().push(logged);
    let json = |name: &str| ([("content-type", "application/json")], fixture(name)).into_response();
    let text = |status: StatusCode, name: &str| {
        (status, [("content-type", "text/plain; charset=utf-8")], fixture(name)).into_response()
    };
    let q = p.get("query").cloned().unwrap_or_default();
    if q.contains(r#"job="paging""#) {
        match p.get("start").map(String::as_str) {
            Some("1763650989000000000") => json("page1.json"),
            Some("1763650991000000000") => json("page2.json"),
            Some("1763650992000000000") => json("page3.json"),
            _ => json("empty.json"),
        }
    } else if q.contains(r#"job="empty""#) {
        json("empty.json")
    } else if q.contains(r#"job="matrix""#) {
        json("matrix.json")
    } else if q.contains(r#"job="malformed""#) {
        json("malformed.json")
    } else if q.contains(r#"job="truncated""#) {
        ([("content-type", "application/json")], fixture("page1.json")[..200].to_string()).into_response()
    } else if q.contains(r#"job="down""#) {
        text(StatusCode::INTERNAL_SERVER_ERROR, "error_500.txt")
    } else if q.contains("service_name=") {
        json("search_backward.json")
    } else {
        text(StatusCode::BAD_REQUEST, "error_400.txt")
    }
}

async fn stub() -> (String, Calls) {
    let calls: Calls = Arc::default();
    let app = Router::new().route("/loki/api/v1/query_range", get(query_range)).with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

fn cfg(url: &str, job: &str) -> LokiConfig {
    LokiConfig {
        url: url.to_string(),
        query: format!(r#"{{job="{job}"}}"#),
        limit: 3,
        poll_interval: Duration::from_millis(50),
        lag: Duration::ZERO,
        tenant: Some("team-a".into()),
        ..LokiConfig::default()
    }
}

#[tokio::test]
async fn pages_forward_without_losing_or_repeating_boundary_entries() {
    let (url, calls) = stub().await;
    let client = reqwest::Client::new();
    let cfg = cfg(&url, "paging");
    let mut cursor = Cursor { ts: 1_763_650_989_000_000_000, seen: vec![] };
    let end = 1_763_650_999_000_000_000;
    let (entries, more) = loki::fetch_after(&client, &cfg, &mut cursor, end, 10).await.unwrap();
    assert!(!more, "a short page ends the fetch");
    let lines: Vec<&str> = entries.iter().map(|e| e.line.as_str()).collect();
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(lines[0].contains("order placed"));
    assert!(lines[4].contains("retrying charge"));
    let mut ids: Vec<_> = entries.iter().map(|e| e.id()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "each entry exactly once");
    assert_eq!(cursor.ts, 1_763_650_993_000_000_000);

    // The parameters Loki documents: query, start and end in ns, limit, forward, tenant.
    let calls = calls.lock().unwrap().clone();
    let starts: Vec<&str> = calls.iter().map(|c| c["start"].as_str()).collect();
    assert_eq!(starts, ["1763650989000000000", "1763650991000000000", "1763650992000000000"]);
    for c in &calls {
        assert_eq!(c["query"], r#"{job="paging"}"#);
        assert_eq!(c["end"], end.to_string());
        assert_eq!(c["limit"], "3");
        assert_eq!(c["direction"], "forward");
        assert_eq!(c["tenant"], "team-a");
    }

    let logs = loki::to_logs(&entries, chrono::Utc::now());
    assert_eq!(logs[0].body, "order placed");
    assert_eq!(logs[0].severity, Severity::Info);
    assert_eq!(logs[0].resource.service.as_deref(), Some("checkout"));
    assert_eq!(logs[0].resource.host.as_deref(), Some("checkout-7d9f"));
    assert_eq!(logs[0].resource.region.as_deref(), Some("us-east-1"));
    assert_eq!(logs[0].trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert_eq!(logs[0].timestamp.timestamp(), 1_763_650_990);
    // Same timestamp, ordered by stream labels: checkout's `job` sorts before payments' labels.
    let payments = logs.iter().find(|l| l.resource.service.as_deref() == Some("payments")).unwrap();
    assert_eq!(payments.severity, Severity::Error);
    assert_eq!(payments.resource.host.as_deref(), Some("10.0.3.7:8080"));
    let warn = logs.iter().find(|l| l.body.contains("provider slow")).unwrap();
    assert_eq!(warn.severity, Severity::Warn);
    // Structured metadata: trace id and Loki's detected level.
    let retry = &logs[4];
    assert_eq!(retry.severity, Severity::Warn);
    assert_eq!(retry.trace_id.as_deref(), Some("4bf92f3577b34da6a3ce929d0e0e4736"));
}

#[tokio::test]
async fn errors_are_clear() {
    let (url, _) = stub().await;
    let client = reqwest::Client::new();
    let run = |job: &'static str| {
        let (client, cfg) = (client.clone(), cfg(&url, job));
        async move { loki::query_range(&client, &cfg, &cfg.query, 1, 2, 10, loki::Direction::Forward).await }
    };
    assert!(run("empty").await.unwrap().is_empty());
    let e = run("syntax-error").await.unwrap_err();
    assert!(matches!(e, LokiError::Status { status: 400, .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "loki answered 400: parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting STRING"
    );
    let e = run("down").await.unwrap_err();
    assert!(e.to_string().starts_with("loki answered 500: rpc error: code = Unavailable"), "{e}");
    let e = run("matrix").await.unwrap_err();
    assert!(e.to_string().contains("metric query"), "{e}");
    let e = run("malformed").await.unwrap_err();
    assert_eq!(e.to_string(), "malformed loki response: result[0].values[0]: no timestamp string");
    let e = run("truncated").await.unwrap_err();
    assert!(e.to_string().starts_with("malformed loki response: not json"), "{e}");
    let refused = LokiConfig { url: "http://127.0.0.1:9".into(), ..cfg(&url, "x") };
    let e = loki::query_range(&client, &refused, "{}", 1, 2, 10, loki::Direction::Forward).await.unwrap_err();
    assert!(e.to_string().starts_with("loki request failed"), "{e}");
}

#[tokio::test]
async fn source_task_sends_batches_with_cursor_and_reports_health() {
    let (url, _) = stub().await;
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(loki::poll(
        reqwest::Client::new(),
        cfg(&url, "paging"),
        "loki-shop".into(),
        Some("1763650989000000000".into()),
        tx,
        async {
            let _ = stopped.await;
        },
    ));
    let mut logs = Vec::new();
    let mut cursor = None;
    let mut healthy = false;
    while logs.len() < 5 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap() {
            SourceEvent::Health { source, health } => {
                assert_eq!(source, "loki-shop");
                healthy |= matches!(health, Health::Ok { .. });
            }
            SourceEvent::Polled { .. } => {}
            SourceEvent::Batch(b) => {
                assert!(b.ack.is_none());
                cursor = b.cursor;
                logs.extend(b.signals.into_iter().filter_map(|s| match s {
                    Signal::Log(l) => Some(l),
                    _ => None,
                }));
            }
        }
    }
    assert!(healthy);
    assert_eq!(logs.len(), 5);
    let cursor = Cursor::parse(&cursor.unwrap()).unwrap();
    assert_eq!(cursor.ts, 1_763_650_993_000_000_000);
    assert_eq!(cursor.seen.len(), 1);
    // Later polls find nothing new (the stub answers empty after the last page): no batch, only "caught up".
    let quiet = tokio::time::Instant::now() + Duration::from_millis(300);
    while let Ok(Some(ev)) = tokio::time::timeout_at(quiet, rx.recv()).await {
        assert!(!matches!(ev, SourceEvent::Batch(_)), "nothing new afterwards, got {ev:?}");
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();

    // A failing backend: degraded health with Loki's message, no batches.
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel::<()>();
    let task =
        tokio::spawn(loki::poll(reqwest::Client::new(), cfg(&url, "down"), "loki-down".into(), None, tx, async {
            let _ = stopped.await;
        }));
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap() {
        SourceEvent::Health { health: Health::Degraded { error, .. }, .. } => {
            assert!(error.contains("connection refused"), "{error}")
        }
        other => panic!("expected degraded health, got {other:?}"),
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn remote_search_pushes_down_logql_newest_first() {
    let (url, calls) = stub().await;
    let cfg = LokiConfig { url, query: r#"{namespace="shop"}"#.into(), ..LokiConfig::default() };
    let mut q = RemoteQuery::parse(r#"upstream timeout -recovered service:checkout level:error"#, 10).unwrap();
    q.since = Some("2025-11-20T15:00:00Z".parse().unwrap());
    q.until = Some("2025-11-20T16:00:00Z".parse().unwrap());
    let logs = loki::search(&reqwest::Client::new(), &cfg, &q).await.unwrap();
    let call = calls.lock().unwrap()[0].clone();
    assert_eq!(
        call["query"],
        r#"{namespace="shop", service_name="checkout"} |~ "(?i)upstream" |~ "(?i)timeout" !~ "(?i)recovered""#
    );
    assert_eq!(call["direction"], "backward");
    assert_eq!(call["limit"], "10");
    assert_eq!(call["start"], "1763650800000000000");
    assert_eq!(call["end"], "1763654400000000000");
    // Newest first across streams; the INFO line fails level:error on the client side.
    let bodies: Vec<&str> = logs.iter().map(|l| l.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "ERROR upstream timeout calling payments after 3000 ms",
            "ERROR upstream timeout calling inventory after 3000 ms"
        ]
    );
    assert_eq!(logs[1].trace_id.as_deref(), Some("0af7651916cd43dd8448eb211c80319c"));
    assert_eq!(logs[1].resource.host.as_deref(), Some("checkout-5c2a"));
}

/// `firewatch search --remote NAME` goes through the engine: the configured source is found
/// by name, the query runs on Loki, and its records come back as hits with the query's words
/// to highlight; a name that is not configured is refused with the names that are.
#[test]
fn the_engine_searches_a_configured_loki_source_by_name() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, calls) = rt.block_on(stub());
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[[source]]\nkind = \"loki\"\nname = \"shop-logs\"\nurl = \"{url}\"\nquery = '{{namespace=\"shop\"}}'\n"
    );
    let config = firewatch::config::Config::from_layers(Some((std::path::Path::new("c.toml"), &text))).unwrap();
    let engine =
        firewatch::engine::Engine::new(dir.path().join("data"), config, firewatch::cli::Verbosity::Quiet).unwrap();
    let since = Some("2025-11-20T15:00:00Z".parse().unwrap());
    let until = Some("2025-11-20T16:00:00Z".parse().unwrap());
    let query = "upstream timeout -recovered service:checkout level:error";
    let found = engine.search_remote("shop-logs", query, 10, since, until).unwrap();
    let bodies: Vec<&str> = found.hits.iter().map(|h| h.body.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "ERROR upstream timeout calling payments after 3000 ms",
            "ERROR upstream timeout calling inventory after 3000 ms"
        ]
    );
    assert!(found.hits.iter().all(|h| h.severity == Severity::Error), "{:?}", found.hits);
    assert!(found.highlights.contains(&"upstream".to_string()) && found.highlights.contains(&"timeout".to_string()));
    assert_eq!(calls.lock().unwrap().len(), 1, "one query, pushed down to Loki");
    let e = engine.search_remote("nope", query, 10, None, None).unwrap_err().to_string();
    assert!(e.contains("no source named 'nope'") && e.contains("shop-logs"), "{e}");
    drop(rt);
}

/// A WebSocket server speaking Loki's tail protocol: the first connection sends two
/// messages then closes; the reconnect must start from the cursor and gets one duplicate.
#[tokio::test]
async fn tail_follows_reconnects_from_the_cursor_and_skips_duplicates() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // (request URI, X-Scope-OrgID) of each WebSocket handshake.
    type Handshakes = Arc<Mutex<Vec<(String, Option<String>)>>>;
    let requests: Handshakes = Arc::default();
    let seen = requests.clone();
    tokio::spawn(async move {
        for conn in 0.. {
            let (tcp, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            #[allow(clippy::result_large_err)]
            let callback =
                move |req: &tokio_tungstenite::tungstenite::handshake::server::Request,
                      resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
                    let tenant = req.headers().get("x-scope-orgid").and_then(|v| v.to_str().ok()).map(str::to_string);
                    seen.lock().unwrap().push((req.uri().to_string(), tenant));
                    Ok(resp)
                };
            let mut ws = tokio_tungstenite::accept_hdr_async(tcp, callback).await.unwrap();
            let msgs: &[&str] = if conn == 0 { &["tail_1.json", "tail_2.json"] } else { &["tail_reconnect.json"] };
            for m in msgs {
                ws.send(Message::Text(fixture(m).into())).await.unwrap();
            }
            if conn == 0 {
                ws.close(None).await.unwrap();
            } else {
                // Stay connected like a quiet tail.
                while ws.next().await.is_some() {}
            }
        }
    });
    let cfg = LokiConfig {
        url: format!("http://{addr}"),
        query: r#"{job="shop/checkout"} |= "e""#.into(),
        limit: 100,
        poll_interval: Duration::from_millis(50),
        tenant: Some("team-a".into()),
        ..LokiConfig::default()
    };
    let (tx, mut rx) = mpsc::channel(16);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(loki::tail(cfg, "loki-tail".into(), Some("1763650989000000000".into()), tx, async {
        let _ = stopped.await;
    }));
    let mut bodies = Vec::new();
    let mut last_cursor = None;
    while bodies.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap() {
            SourceEvent::Batch(b) => {
                last_cursor = b.cursor;
                for s in b.signals {
                    if let Signal::Log(l) = s {
                        assert_eq!(l.resource.service.as_deref(), Some("checkout"));
                        bodies.push(l.body);
                    }
                }
            }
            SourceEvent::Health { .. } | SourceEvent::Polled { .. } => {}
        }
    }
    assert_eq!(
        bodies,
        [
            "INFO cart loaded items=3",
            "ERROR card declined code=51",
            "WARN retry budget low",
            "INFO order o-1002 placed"
        ]
    );
    assert!(tokio::time::timeout(Duration::from_millis(200), rx.recv())
        .await
        .map_or(true, |e| !matches!(e, Some(SourceEvent::Batch(_)))));
    assert_eq!(Cursor::parse(&last_cursor.unwrap()).unwrap().ts, 1_763_650_993_000_000_000);
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let reqs = requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs[0].0.starts_with(
            "/loki/api/v1/tail?query=%7Bjob%3D%22shop%2Fcheckout%22%7D%20%7C%3D%20%22e%22&start=1763650989000000000"
        ),
        "{}",
        reqs[0].0
    );
    assert!(reqs[1].0.contains("&start=1763650992000000000"), "reconnect resumes at the cursor: {}", reqs[1].0);
    assert_eq!(reqs[0].1.as_deref(), Some("team-a"));
}
