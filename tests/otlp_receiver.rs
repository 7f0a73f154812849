//! The OTLP/HTTP receiver on a loopback port, driven by raw HTTP requests and by the real
//! OpenTelemetry Python SDK (`scripts/otlp_send.py`; venvs from `scripts/otel_venvs.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may unwrap
#![allow(
    clippy::let_underscore_must_use,
    reason = "fake servers and child processes: a peer that hung up, or a parse that only must not panic"
)]

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use firewatch::model::Signal;
use firewatch::sources::feed::{Health, SourceEvent};
use firewatch::sources::otlp_http::{serve, OtlpConfig, OtlpError};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// What the test collector does with a batch.
#[derive(Clone, Copy)]
enum Collector {
    Ack,
    AckAfter(Duration),
    Fail,
    /// Holds batches without answering, like a stuck commit.
    Hang,
    /// Never reads the channel.
    Stopped,
    /// Commits every batch but loses the first acknowledgement, as a crash between commit
    /// and answer would: the client gets 503 and retries a batch that is already stored.
    LoseFirstAck,
}

struct Server {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Signal>>>,
    /// When each batch arrived, for throughput.
    arrivals: Arc<Mutex<Vec<(Instant, usize)>>>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), OtlpError>>>,
    tx: mpsc::Sender<SourceEvent>,
}

async fn start(cfg: OtlpConfig, capacity: usize, mode: Collector) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, mut rx) = mpsc::channel::<SourceEvent>(capacity);
    let got = Arc::new(Mutex::new(Vec::new()));
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let (g, a) = (got.clone(), arrivals.clone());
    if !matches!(mode, Collector::Stopped) {
        tokio::spawn(async move {
            let mut held = Vec::new();
            let mut lost = false;
            while let Some(ev) = rx.recv().await {
                let SourceEvent::Batch(mut b) = ev else { continue };
                assert_eq!(b.source, "otlp-test");
                a.lock().unwrap().push((Instant::now(), b.signals.len()));
                let ack = b.ack.take().expect("push batches carry an ack");
                match mode {
                    Collector::Ack => {
                        g.lock().unwrap().extend(b.signals);
                        let _ = ack.send(Ok(()));
                    }
                    Collector::AckAfter(d) => {
                        let g = g.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(d).await;
                            g.lock().unwrap().extend(b.signals);
                            let _ = ack.send(Ok(()));
                        });
                    }
                    Collector::Fail => {
                        let _ = ack.send(Err("disk full".into()));
                    }
                    Collector::Hang => held.push(ack),
                    Collector::LoseFirstAck => {
                        g.lock().unwrap().extend(b.signals);
                        if lost {
                            let _ = ack.send(Ok(()));
                        } else {
                            lost = true;
                            drop(ack);
                        }
                    }
                    Collector::Stopped => unreachable!(),
                }
            }
        });
    } else {
        // Keep the receiver alive and unread so the channel stays full.
        std::mem::forget(rx);
    }
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(serve(listener, cfg, "otlp-test", tx.clone(), async {
        let _ = stop_rx.await;
    }));
    Server { addr, got, arrivals, shutdown: Some(stop_tx), handle: Some(handle), tx }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    fn logs(&self) -> Vec<firewatch::model::LogRecord> {
        let got = self.got.lock().unwrap();
        got.iter()
            .filter_map(|s| match s {
                Signal::Log(l) => Some(l.clone()),
                _ => None,
            })
            .collect()
    }

    fn spans(&self) -> Vec<firewatch::model::Span> {
        let got = self.got.lock().unwrap();
        got.iter()
            .filter_map(|s| match s {
                Signal::Span(l) => Some(l.clone()),
                _ => None,
            })
            .collect()
    }

    async fn stop(mut self) {
        let _ = self.shutdown.take().unwrap().send(());
        let done = tokio::time::timeout(Duration::from_secs(10), self.handle.take().unwrap()).await;
        done.expect("serve returns after shutdown").unwrap().unwrap();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap()
}

fn log_request(bodies: &[&str]) -> ExportLogsServiceRequest {
    let s = |v: &str| Some(AnyValue { value: Some(any_value::Value::StringValue(v.to_string())) });
    let records = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| LogRecord {
            time_unix_nano: 1_763_650_992_000_000_000 + i as u64 * 1_000_000,
            severity_number: 17,
            body: s(b),
            trace_id: vec![0x0a; 16],
            span_id: vec![0x0b; 8],
            ..Default::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: Some(Resource {
                attributes: vec![KeyValue { key: "service.name".into(), value: s("Cart"), ..Default::default() }],
                ..Default::default()
            }),
            scope_logs: vec![ScopeLogs { log_records: records, ..Default::default() }],
            ..Default::default()
        }],
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

async fn post(c: &reqwest::Client, url: &str, ctype: &str, encoding: Option<&str>, body: Vec<u8>) -> reqwest::Response {
    let mut req = c.post(url).header("content-type", ctype).body(body);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    req.send().await.unwrap()
}

/// Sends `chunks` chunks of `size` bytes with chunked transfer encoding; returns the status code.
async fn chunked_post(addr: SocketAddr, chunks: usize, size: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-protobuf\r\ntransfer-encoding: chunked\r\n\r\n";
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{size:x}\r\n{}\r\n", "a".repeat(size));
    for _ in 0..chunks {
        // The server may answer 413 and close before everything is sent.
        if s.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut buf = vec![0u8; 1024];
    let n = s.read(&mut buf).await.expect("the 413 answer arrives before the connection closes");
    String::from_utf8_lossy(&buf[..n]).split_whitespace().nth(1).unwrap_or("").to_string()
}

fn cfg() -> OtlpConfig {
    OtlpConfig { max_body_bytes: 256 << 10, ack_timeout: Duration::from_millis(500), ..OtlpConfig::default() }
}

#[tokio::test]
async fn protobuf_json_and_gzip_requests_are_committed_then_acknowledged() {
    let srv = start(cfg(), 16, Collector::Ack).await;
    let c = client();
    let pb = log_request(&["card declined", "timeout calling bank"]).encode_to_vec();
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", None, pb.clone()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let answer = ExportLogsServiceResponse::decode(resp.bytes().await.unwrap()).unwrap();
    assert!(answer.partial_success.is_none());
    assert_eq!(srv.logs().len(), 2, "200 only after the batch was committed");

    // A retry of the same request (gzip this time) gets the same ids: the store overwrites.
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", Some("gzip"), gzip(&pb)).await;
    assert_eq!(resp.status(), 200);
    let logs = srv.logs();
    assert_eq!(logs.len(), 4);
    assert_eq!(logs[0].id, logs[2].id);
    assert_eq!(logs[1].id, logs[3].id);
    assert_ne!(logs[0].id, logs[1].id);
    assert_eq!(logs[0].body, "card declined");
    assert_eq!(logs[0].resource.service.as_deref(), Some("cart"));
    assert_eq!(logs[0].trace_id.as_deref(), Some("0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"));

    // JSON with one bad record: the good one is kept, the answer reports a partial success.
    let json = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
        "scopeLogs":[{"logRecords":[
          {"timeUnixNano":"1763650992000000000","severityText":"ERROR","body":{"stringValue":"upstream reset"}},
          {"timeUnixNano":{"oops":1},"body":{"stringValue":"bad"}}]}]}]}"#;
    let resp = post(&c, &srv.url("/v1/logs"), "application/json; charset=utf-8", None, json.into()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["partialSuccess"]["rejectedLogRecords"], 1, "{v}");
    assert!(v["partialSuccess"]["errorMessage"].as_str().unwrap().contains("logRecords[1]"), "{v}");
    let logs = srv.logs();
    assert_eq!(logs.len(), 5);
    assert_eq!(logs[4].body, "upstream reset");
    assert_eq!(logs[4].resource.service.as_deref(), Some("web"));

    // A span without ids is rejected alone, reported in protobuf.
    let spans = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /cart","startTimeUnixNano":"1763650992000000000","endTimeUnixNano":"1763650992100000000"},
        {"name":"no ids","startTimeUnixNano":"1763650992000000000"}]}]}]}"#;
    let resp = post(&c, &srv.url("/v1/traces"), "application/json", None, spans.into()).await;
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["partialSuccess"]["rejectedSpans"], 1, "{v}");
    assert_eq!(srv.spans().len(), 1);
    assert_eq!(srv.spans()[0].duration_us(), 100_000);

    // Metrics reach the collector too.
    let metrics = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"web"}}]},
        "scopeMetrics":[{"metrics":[{"name":"http.server.duration","unit":"ms","gauge":{"dataPoints":[
          {"timeUnixNano":"1763650992000000000","asDouble":12.5}]}}]}]}]}"#;
    let resp = post(&c, &srv.url("/v1/metrics"), "application/json", None, metrics.into()).await;
    assert_eq!(resp.status(), 200);
    let got = srv.got.lock().unwrap().clone();
    assert!(got.iter().any(|s| matches!(s, Signal::Metric(m) if m.name == "http.server.duration" && m.value == 12.5)));

    // Empty requests are valid and need no commit.
    let resp = post(&c, &srv.url("/v1/traces"), "application/x-protobuf", None, Vec::new()).await;
    assert_eq!(resp.status(), 200);
    assert!(ExportTraceServiceResponse::decode(resp.bytes().await.unwrap()).unwrap().partial_success.is_none());
    srv.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_4xx_and_the_receiver_keeps_serving() {
    let srv = start(cfg(), 16, Collector::Ack).await;
    let c = client();
    let good = log_request(&["still alive"]).encode_to_vec();
    let alive = |n: usize| {
        let (c, url, good, srv_logs) = (c.clone(), srv.url("/v1/logs"), good.clone(), srv.got.clone());
        async move {
            let resp = post(&c, &url, "application/x-protobuf", None, good).await;
            assert_eq!(resp.status(), 200);
            assert_eq!(srv_logs.lock().unwrap().len(), n);
        }
    };

    let resp =
        post(&c, &srv.url("/v1/logs"), "application/x-protobuf", None, b"\x0a\xff\xff\xff\x0f garbage".to_vec()).await;
    assert_eq!(resp.status(), 400);
    let status = resp.bytes().await.unwrap();
    // google.rpc.Status in protobuf: field 2 is the message.
    assert!(String::from_utf8_lossy(&status).contains("malformed protobuf body"));
    alive(1).await;

    let resp = post(&c, &srv.url("/v1/logs"), "application/json", None, b"{\"resourceLogs\": [".to_vec()).await;
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().starts_with("malformed json body"), "{v}");
    alive(2).await;

    let resp = post(&c, &srv.url("/v1/logs"), "text/plain", None, b"hello".to_vec()).await;
    assert_eq!(resp.status(), 415);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("unsupported content type"), "{v}");
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", Some("br"), good.clone()).await;
    assert_eq!(resp.status(), 415);
    alive(3).await;

    let resp =
        post(&c, &srv.url("/v1/logs"), "application/x-protobuf", Some("gzip"), b"not gzip at all".to_vec()).await;
    assert_eq!(resp.status(), 400);
    alive(4).await;

    // Over the limit as sent...
    let big = log_request(&[&"x".repeat(300 << 10)]).encode_to_vec();
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", None, big).await;
    assert_eq!(resp.status(), 413);
    alive(5).await;
    // ...and as a gzip bomb: 64 MiB of zeros in about 64 KiB, refused at the 256 KiB limit.
    let bomb = gzip(&vec![0u8; 64 << 20]);
    assert!(bomb.len() < 256 << 10);
    let t = Instant::now();
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", Some("gzip"), bomb).await;
    assert_eq!(resp.status(), 413);
    let v = resp.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&v).contains("after gzip inflation"));
    assert!(t.elapsed() < Duration::from_secs(5), "inflation stops at the limit");
    alive(6).await;
    // A chunked body (no Content-Length) over the limit is cut off while reading.
    assert_eq!(chunked_post(srv.addr, 33, 8 << 10).await, "413");
    alive(7).await;

    let resp = post(&c, &srv.url("/v1/profiles"), "application/x-protobuf", None, good.clone()).await;
    assert_eq!(resp.status(), 404);
    let resp = c.get(srv.url("/v1/logs")).send().await.unwrap();
    assert_eq!(resp.status(), 405);
    alive(8).await;
    srv.stop().await;
}

#[tokio::test]
async fn back_pressure_and_unconfirmed_commits_answer_503_with_retry_after() {
    let c = client();
    let body = log_request(&["x"]).encode_to_vec();

    // A collector that does not read: the channel fills and the receiver refuses at once.
    let srv = start(cfg(), 1, Collector::Stopped).await;
    let _ = srv.tx.try_send(SourceEvent::Health { source: "filler".into(), health: Health::Ok { since: Utc::now() } });
    let t = Instant::now();
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", None, body.clone()).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    assert!(t.elapsed() < Duration::from_millis(400), "refused without waiting");
    srv.stop().await;

    // A commit that never confirms: 503 after the ack timeout.
    let srv = start(cfg(), 4, Collector::Hang).await;
    let t = Instant::now();
    let resp = post(&c, &srv.url("/v1/logs"), "application/x-protobuf", None, body.clone()).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    assert!(t.elapsed() >= Duration::from_millis(500));
    srv.stop().await;

    // A failed commit: 503, so the exporter retries.
    let srv = start(cfg(), 4, Collector::Fail).await;
    let resp =
        post(&c, &srv.url("/v1/logs"), "application/json", None, serde_json::to_vec(&log_request(&["y"])).unwrap())
            .await;
    assert_eq!(resp.status(), 503);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("disk full"), "{v}");
    srv.stop().await;
}

#[tokio::test]
async fn shutdown_lets_requests_in_flight_finish() {
    let srv = start(cfg(), 4, Collector::AckAfter(Duration::from_millis(300))).await;
    let c = client();
    let url = srv.url("/v1/logs");
    let req = tokio::spawn(async move {
        post(&c, &url, "application/x-protobuf", None, log_request(&["late"]).encode_to_vec()).await.status()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = srv.got.clone();
    srv.stop().await;
    assert_eq!(req.await.unwrap(), 200);
    assert_eq!(got.lock().unwrap().len(), 1);
}

/// The interpreter from `var`, or `None` (skip) outside CI; in CI a missing venv fails the test.
fn python(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{var} is not set: run `eval \"$(scripts/otel_venvs.sh)\"` before the tests")
        }
        _ => {
            eprintln!("skipped: {var} is not set (run `eval \"$(scripts/otel_venvs.sh)\"` to test with the OpenTelemetry SDK)");
            None
        }
    }
}

fn script() -> String {
    format!("{}/scripts/otlp_send.py", env!("CARGO_MANIFEST_DIR"))
}

struct Sent {
    records: Vec<serde_json::Value>,
    summary: serde_json::Value,
}

async fn send(py: &str, srv: &Server, protocol: &str, compression: &str, count: usize, extra: &[&str]) -> Sent {
    let out = tokio::process::Command::new(py)
        .arg(script())
        .arg(format!("http://{}", srv.addr))
        .args([protocol, compression, &count.to_string()])
        .args(extra)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "otlp_send.py failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let mut lines: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = lines.pop().unwrap()["summary"].clone();
    Sent { records: lines, summary }
}

/// Every record the SDK sent arrived exactly once, with its body, service and trace ids.
fn check_exactly_once(srv: &Server, sent: &Sent) {
    let n = sent.records.len();
    assert_eq!(sent.summary["logs_acked"], n);
    assert_eq!(sent.summary["spans_acked"], n);
    let logs = srv.logs();
    let spans = srv.spans();
    assert_eq!(logs.len(), n, "each log record exactly once");
    assert_eq!(spans.len(), n, "each span exactly once");
    let mut by_body: HashMap<&str, &firewatch::model::LogRecord> = HashMap::new();
    for l in &logs {
        assert!(by_body.insert(l.body.as_str(), l).is_none(), "duplicate {}", l.body);
        assert_eq!(l.resource.service.as_deref(), Some("checkout-py"));
        assert_eq!(l.resource.region.as_deref(), Some("us-east-1"));
        assert_eq!(l.severity, firewatch::model::Severity::Warn);
    }
    let span_by_id: BTreeMap<&str, &firewatch::model::Span> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    for r in &sent.records {
        let body = r["body"].as_str().unwrap();
        let log = by_body.get(body).unwrap_or_else(|| panic!("{body} not received"));
        assert_eq!(log.trace_id.as_deref(), r["trace_id"].as_str());
        assert_eq!(log.span_id.as_deref(), r["span_id"].as_str());
        let span = span_by_id[r["span_id"].as_str().unwrap()];
        assert_eq!(Some(span.trace_id.as_str()), r["trace_id"].as_str());
        assert_eq!(span.resource.service.as_deref(), Some("checkout-py"));
        let i = body.split_whitespace().nth(1).unwrap();
        assert_eq!(span.name, format!("charge-{i}"));
    }
}

#[tokio::test]
async fn python_sdk_protobuf_plain_and_gzip() {
    let Some(py) = python("FIREWATCH_OTEL_PYTHON") else { return };
    for compression in ["none", "gzip"] {
        let srv = start(OtlpConfig::default(), 64, Collector::Ack).await;
        let sent = send(&py, &srv, "protobuf", compression, 300, &[]).await;
        check_exactly_once(&srv, &sent);
        srv.stop().await;
    }
}

#[tokio::test]
async fn python_sdk_json_plain_and_gzip() {
    let Some(py) = python("FIREWATCH_OTEL_JSON_PYTHON") else { return };
    for compression in ["none", "gzip"] {
        let srv = start(OtlpConfig::default(), 64, Collector::Ack).await;
        let sent = send(&py, &srv, "json", compression, 300, &[]).await;
        check_exactly_once(&srv, &sent);
        srv.stop().await;
    }
}

/// Throughput with the SDK as client: `FIREWATCH_OTLP_BENCH_COUNT` logs (default 20000).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn python_sdk_throughput() {
    let Some(py) = python("FIREWATCH_OTEL_PYTHON") else { return };
    let count: usize = std::env::var("FIREWATCH_OTLP_BENCH_COUNT").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    for (protocol, py) in [("protobuf", py.clone())]
        .into_iter()
        .chain(std::env::var("FIREWATCH_OTEL_JSON_PYTHON").ok().map(|p| ("json", p)))
    {
        let srv = start(OtlpConfig::default(), 64, Collector::Ack).await;
        let sent = send(&py, &srv, protocol, "gzip", count, &["--signals", "logs", "--quiet"]).await;
        assert_eq!(sent.summary["logs_acked"], count);
        assert_eq!(srv.logs().len(), count);
        let arrivals = srv.arrivals.lock().unwrap().clone();
        let first = arrivals.first().unwrap().0;
        let last = arrivals.last().unwrap().0;
        let secs = sent.summary["seconds"].as_f64().unwrap();
        eprintln!(
            "{protocol}+gzip: {count} logs in {secs:.2} s by the SDK = {:.0} records/s end to end; {} batches, receiver busy span {:.2} s",
            count as f64 / secs,
            arrivals.len(),
            (last - first).as_secs_f64()
        );
        srv.stop().await;
    }
}

/// The receiver's own capacity, without the Python SDK's cost: 512-record protobuf+gzip
/// batches from 2 concurrent Rust clients.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with --ignored --nocapture"]
async fn receiver_throughput() {
    let srv = start(OtlpConfig::default(), 64, Collector::Ack).await;
    let batches = 200usize;
    let bodies: Vec<String> =
        (0..512).map(|i| format!("GET /api/cart/{i} 503 upstream timeout after 3000 ms")).collect();
    let refs: Vec<&str> = bodies.iter().map(String::as_str).collect();
    let body = gzip(&log_request(&refs).encode_to_vec());
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (c, url, body) = (client(), srv.url("/v1/logs"), body.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..batches / 2 {
                let resp = post(&c, &url, "application/x-protobuf", Some("gzip"), body.clone()).await;
                assert_eq!(resp.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    let n = batches * 512;
    assert_eq!(srv.logs().len(), n);
    eprintln!("rust client, protobuf+gzip: {n} logs in {secs:.2} s = {:.0} records/s", n as f64 / secs);
    srv.stop().await;
}

/// The SDK retries the batch whose acknowledgement was lost (503 + Retry-After); the retry
/// carries the same record ids, so the store's overwrite leaves every record exactly once.
#[tokio::test]
async fn python_sdk_retry_after_a_lost_ack_reuses_record_ids() {
    let Some(py) = python("FIREWATCH_OTEL_PYTHON") else { return };
    let srv = start(OtlpConfig::default(), 64, Collector::LoseFirstAck).await;
    let sent = send(&py, &srv, "protobuf", "gzip", 40, &[]).await;
    let raw = srv.got.lock().unwrap().clone();
    assert_eq!(raw.len(), 40 * 3, "one batch of 40 arrived twice");
    // What the store keeps: one record per id.
    let mut by_id = BTreeMap::new();
    for s in raw {
        let id = match &s {
            Signal::Log(l) => l.id,
            Signal::Span(sp) => sp.id,
            other => panic!("unexpected {other:?}"),
        };
        if let Some(prev) = by_id.insert(id, s.clone()) {
            assert_eq!(prev, s, "a retried record is identical under its id");
        }
    }
    *srv.got.lock().unwrap() = by_id.into_values().collect();
    check_exactly_once(&srv, &sent);
    srv.stop().await;
}

/// A client that sends a request head declaring a 4 KiB body, then `sent` bytes of it, then
/// stalls with the connection open.
async fn slow_body(addr: SocketAddr, sent: usize) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /v1/logs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n";
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![b' '; sent]).await.unwrap();
    s
}

/// A client that sends part of a request head, then stalls.
async fn slow_head(addr: SocketAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /v1/logs HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    s
}

/// What a stalled client reads before the server closes: `None` if still open after `wait`.
async fn read_until_closed(s: &mut tokio::net::TcpStream, wait: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(wait, read).await.ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

/// A client without connection reuse, so each request opens a connection of its own.
fn fresh_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(0).build().unwrap()
}

fn json_logs(body: &str) -> Vec<u8> {
    serde_json::to_vec(&log_request(&[body])).unwrap()
}

/// The issue's attack: before, 8 connections trickling their bodies held every decode permit
/// and the receiver answered 503 to everyone for as long as they stayed open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_requests_answer_within_a_second_while_100_slow_bodies_are_connected() {
    let cfg = OtlpConfig { header_timeout: Duration::from_secs(1), body_timeout: Duration::from_secs(60), ..cfg() };
    let srv = start(cfg, 64, Collector::Ack).await;
    let mut slow = Vec::new();
    for _ in 0..100 {
        slow.push(slow_body(srv.addr, 1).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = fresh_client();
    // Over 3 s, past the header timeout: the slow bodies are not cut by it and still stall.
    for i in 0..15 {
        let t = Instant::now();
        let resp = post(&c, &srv.url("/v1/logs"), "application/json", None, json_logs(&format!("ok {i}"))).await;
        let took = t.elapsed();
        assert_eq!(resp.status(), 200, "request {i}");
        assert!(took < Duration::from_secs(1), "request {i} took {took:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(srv.logs().len(), 15);
    for s in slow.iter_mut().take(5) {
        assert_eq!(read_until_closed(s, Duration::from_millis(100)).await, None, "slow body still connected");
    }
    drop(slow);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_heads_are_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(500);
    let srv = start(OtlpConfig { header_timeout: timeout, ..cfg() }, 16, Collector::Ack).await;
    let t = Instant::now();
    let mut clients = Vec::new();
    for i in 0..200 {
        clients.push(if i % 10 == 0 {
            // Connected, never sends a byte.
            tokio::net::TcpStream::connect(srv.addr).await.unwrap()
        } else {
            slow_head(srv.addr).await
        });
    }
    let reads =
        clients.into_iter().map(|mut s| tokio::spawn(async move { read_until_closed(&mut s, timeout * 8).await }));
    for r in reads {
        assert_eq!(r.await.unwrap().as_deref(), Some(""), "closed without an answer");
    }
    let took = t.elapsed();
    assert!(took >= timeout && took < timeout * 6, "all 200 closed after {took:?}");
    // And the receiver still answers.
    let resp = post(&fresh_client(), &srv.url("/v1/logs"), "application/json", None, json_logs("after")).await;
    assert_eq!(resp.status(), 200);
    srv.stop().await;
}

/// Over `max_connections` a client waits in the accept backlog; the slot holders trickling
/// their bodies get 408 at the body timeout, and the waiting request is then served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_get_408_and_connections_over_the_cap_wait_for_a_slot() {
    let body_timeout = Duration::from_millis(800);
    let srv = start(OtlpConfig { body_timeout, max_connections: 4, ..cfg() }, 16, Collector::Ack).await;
    let t = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..4 {
        slow.push(slow_body(srv.addr, 1).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let url = srv.url("/v1/logs");
    let waiting = tokio::spawn(async move {
        let resp = post(&fresh_client(), &url, "application/json", None, json_logs("queued")).await;
        (resp.status(), Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "a fifth connection is not served while 4 slots are held");
    for s in &mut slow {
        let answer = read_until_closed(s, Duration::from_secs(5)).await.expect("closed after the 408");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("request body not received within"), "{answer}");
    }
    let (status, at) = waiting.await.unwrap();
    assert_eq!(status, 200);
    assert!(at - t >= body_timeout, "served once a slot was freed");
    assert_eq!(srv.logs().len(), 1);
    srv.stop().await;
}

/// Bodies being read draw on a byte budget of `max_in_flight × max_body_bytes`: one that would
/// overdraw it is answered 503, and the budget comes back when the holder goes away.
#[tokio::test]
async fn buffered_bodies_stay_within_the_byte_budget() {
    let cfg = OtlpConfig { max_in_flight: 1, max_body_bytes: 4096, ..cfg() };
    let srv = start(cfg, 16, Collector::Ack).await;
    let hog = slow_body(srv.addr, 4000).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = fresh_client();
    let resp = post(&c, &srv.url("/v1/logs"), "application/json", None, json_logs("squeezed")).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    drop(hog);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let resp = post(&c, &srv.url("/v1/logs"), "application/json", None, json_logs("room again")).await;
    assert_eq!(resp.status(), 200);
    srv.stop().await;
}
