//! The pull loop, with scripted sources: pacing, Retry-After, hand-over and shutdown.

#![allow(clippy::let_underscore_must_use, reason = "scripted servers: a peer that hung up ends its test anyway")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

use super::*;
use crate::model::{MetricKind, MetricPoint};

#[derive(Debug)]
struct Failure(Option<Duration>);

impl Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http 503 (retry after {:?})", self.0)
    }
}

enum Round {
    Ok { points: usize, cursor: Option<&'static str>, more: bool },
    Fail(Option<Duration>),
}

/// Plays its rounds, then hangs in `fetch` as a backend that never answers. Records when each fetch started.
struct Script {
    rounds: VecDeque<Round>,
    calls: Arc<Mutex<Vec<Instant>>>,
}

impl Script {
    fn new(rounds: Vec<Round>) -> (Self, Arc<Mutex<Vec<Instant>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        (Script { rounds: rounds.into(), calls: calls.clone() }, calls)
    }
}

fn point() -> Signal {
    Signal::Metric(MetricPoint {
        name: "up".into(),
        unit: String::new(),
        kind: MetricKind::Gauge,
        timestamp: Utc::now(),
        value: 1.0,
        count: None,
        sum: None,
        labels: Default::default(),
    })
}

impl Source for Script {
    type Error = Failure;

    fn kind(&self) -> &'static str {
        "script"
    }

    async fn fetch(&mut self) -> Result<Fetched, Failure> {
        self.calls.lock().unwrap().push(Instant::now());
        match self.rounds.pop_front() {
            Some(Round::Ok { points, cursor, more }) => {
                let mut f = Fetched::new((0..points).map(|_| point()).collect(), cursor.map(str::to_string));
                f.more = more;
                Ok(f)
            }
            Some(Round::Fail(retry_after)) => Err(Failure(retry_after)),
            None => std::future::pending().await,
        }
    }

    fn retry_after(e: &Failure) -> Option<Duration> {
        e.0
    }
}

fn opts(interval: Duration) -> PullOptions {
    PullOptions {
        interval,
        down_after_failures: 3,
        down_after: Duration::from_secs(60),
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(80),
    }
}

async fn next(rx: &mut mpsc::Receiver<SourceEvent>) -> SourceEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_round_hands_over_health_then_the_batch_and_fetches_again_at_once_when_more_waits() {
    let (script, calls) = Script::new(vec![
        Round::Ok { points: 2, cursor: Some("c1"), more: true },
        Round::Ok { points: 0, cursor: None, more: false },
        Round::Ok { points: 0, cursor: Some("c2"), more: false },
    ]);
    let (tx, mut rx) = mpsc::channel(16);
    let task =
        tokio::spawn(
            async move { run(script, "s", opts(Duration::from_millis(20)), &tx, std::future::pending()).await },
        );
    assert!(matches!(next(&mut rx).await, SourceEvent::Health { health: Health::Ok { .. }, .. }));
    match next(&mut rx).await {
        SourceEvent::Batch(b) => {
            assert_eq!((b.signals.len(), b.cursor.as_deref(), b.source.as_str()), (2, Some("c1"), "s"))
        }
        other => panic!("{other:?}"),
    }
    // More was waiting: no "caught up" before the next round; that one found nothing, so nothing to hand over.
    assert!(matches!(next(&mut rx).await, SourceEvent::Polled { .. }));
    // A cursor that moved without signals is still saved.
    match next(&mut rx).await {
        SourceEvent::Batch(b) => assert_eq!((b.signals.len(), b.cursor.as_deref()), (0, Some("c2"))),
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&mut rx).await, SourceEvent::Polled { .. }));
    let calls = calls.lock().unwrap().clone();
    assert!(calls[2] - calls[1] >= Duration::from_millis(20), "the interval after a caught-up round");
    task.abort();
}

#[tokio::test]
async fn retry_after_is_honoured_over_a_shorter_backoff() {
    let asked = Duration::from_millis(400);
    let (script, calls) =
        Script::new(vec![Round::Fail(Some(asked)), Round::Ok { points: 0, cursor: None, more: false }]);
    let (tx, mut rx) = mpsc::channel(16);
    let task =
        tokio::spawn(
            async move { run(script, "s", opts(Duration::from_millis(10)), &tx, std::future::pending()).await },
        );
    match next(&mut rx).await {
        SourceEvent::Health { health: Health::Degraded { error, .. }, .. } => assert!(error.contains("503"), "{error}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(next(&mut rx).await, SourceEvent::Polled { .. }));
    assert!(matches!(next(&mut rx).await, SourceEvent::Health { health: Health::Ok { .. }, .. }));
    let calls = calls.lock().unwrap().clone();
    // The backoff alone would have retried within 10ms.
    assert!(calls[1] - calls[0] >= asked, "retried after {:?}", calls[1] - calls[0]);
    task.abort();
}

#[test]
fn retry_after_is_capped_and_never_shortens_the_backoff() {
    let o = opts(Duration::from_secs(1));
    let mut p = Pacer::with_backoff(&o, Backoff::with_seed(o.backoff_base, o.backoff_cap, 1));
    let now = Utc::now();
    let fail = |retry_after| Outcome::Failed { error: "x", retry_after };
    assert_eq!(p.after(fail(Some(Duration::from_secs(30))), now).wait, Duration::from_secs(30));
    assert_eq!(p.after(fail(Some(Duration::from_secs(86_400))), now).wait, MAX_RETRY_AFTER);
    let w = p.after(fail(Some(Duration::ZERO)), now).wait;
    assert!(w >= o.backoff_base / 2, "{w:?}");
}

#[test]
fn backoff_grows_with_jitter_and_resets_after_a_success() {
    let o = PullOptions {
        interval: Duration::from_secs(5),
        down_after_failures: 3,
        down_after: Duration::from_secs(60),
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_secs(3),
    };
    let now = Utc::now();
    let fail = Outcome::Failed { error: "refused", retry_after: None };
    let failures = |seed: u64| {
        let mut p = Pacer::with_backoff(&o, Backoff::with_seed(o.backoff_base, o.backoff_cap, seed));
        let steps: Vec<Step> = (0..8).map(|_| p.after(fail, now)).collect();
        (p, steps)
    };
    let (mut p, steps) = failures(42);
    // Each wait lies between half the base and a ceiling that doubles from the base up to the cap.
    for (i, s) in steps.iter().enumerate() {
        let ceiling = (o.backoff_base * 2u32.pow(i as u32)).min(o.backoff_cap);
        assert!(s.wait >= o.backoff_base / 2 && s.wait <= ceiling, "retry {i}: {:?} over {ceiling:?}", s.wait);
    }
    assert!(steps[5..].iter().any(|s| s.wait > o.backoff_base * 4), "{steps:?}");
    // Jitter: another instance failing at the same moment waits differently.
    let (_, other) = failures(7);
    assert_ne!(steps.iter().map(|s| s.wait).collect::<Vec<_>>(), other.iter().map(|s| s.wait).collect::<Vec<_>>());
    // Health: degraded at once, down after the third failure in a row.
    assert!(matches!(steps[0].health, Some(Health::Degraded { .. })));
    assert!(steps[1].health.is_none());
    assert!(matches!(steps[2].health, Some(Health::Down { .. })));
    // A success: back to the interval, healthy, and the next failure starts from the base again.
    let ok = p.after(Outcome::Ok { more: false }, now);
    assert_eq!(ok.wait, o.interval);
    assert!(matches!(ok.health, Some(Health::Ok { .. })));
    assert!(p.after(Outcome::Ok { more: true }, now).wait.is_zero());
    let again = p.after(fail, now);
    assert!(again.wait <= o.backoff_base, "{:?}", again.wait);
    // A partial failure is reported but keeps the pace.
    let partial = p.after(Outcome::Partial { error: "query up: bad_data" }, now);
    assert_eq!(partial.wait, o.interval);
    assert!(partial.health.is_none(), "still degraded from the failure before");
}

/// Every source stops within a moment of shutdown, whatever it is doing: waiting on a backend that never answers,
/// sleeping out a long interval or a Retry-After, or blocked handing a batch to a collector that does not read.
#[tokio::test]
async fn shutdown_stops_every_source_promptly() {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (tx, _rx) = mpsc::channel(64);
    let (full_tx, _full_rx) = mpsc::channel(1);
    let hour = Duration::from_secs(3600);
    let endless = (0..100).map(|_| Round::Ok { points: 1, cursor: None, more: true }).collect();
    let sources = [
        (Script::new(vec![]).0, tx.clone(), hour),
        (Script::new(vec![Round::Ok { points: 1, cursor: None, more: false }]).0, tx.clone(), hour),
        (Script::new(vec![Round::Fail(Some(Duration::from_secs(300)))]).0, tx.clone(), Duration::from_millis(10)),
        (Script::new(endless).0, full_tx, Duration::from_millis(10)),
    ];
    let tasks: Vec<_> = sources
        .into_iter()
        .map(|(script, tx, interval)| {
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                run(script, "s", opts(interval), &tx, shutdown).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(tasks.iter().all(|t| !t.is_finished()), "all four are busy");
    let asked = Instant::now();
    stop_tx.send(true).unwrap();
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(2), t).await.expect("stopped promptly").unwrap();
    }
    eprintln!("measured: four sources stopped {:?} after shutdown", asked.elapsed());
}

#[tokio::test]
async fn a_closed_channel_stops_a_sleeping_source() {
    let (script, _) = Script::new(vec![Round::Ok { points: 0, cursor: None, more: false }]);
    let (tx, mut rx) = mpsc::channel(16);
    let task =
        tokio::spawn(
            async move { run(script, "s", opts(Duration::from_secs(3600)), &tx, std::future::pending()).await },
        );
    assert!(matches!(next(&mut rx).await, SourceEvent::Health { .. }));
    drop(rx);
    tokio::time::timeout(Duration::from_secs(2), task).await.expect("stopped").unwrap();
}

/// Serves every request with 429 and `Retry-After: 7` until dropped.
async fn throttling_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                let reply = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 7\r\ncontent-type: text/plain\r\n\
                             content-length: 4\r\nconnection: close\r\n\r\nslow";
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

/// Each backend's client keeps the server's `Retry-After` on the error the loop paces by.
#[tokio::test]
async fn every_source_reads_retry_after_from_its_backend() {
    use crate::sources::{alertmanager_api as am, elastic, loki, prometheus as prom};
    let url = throttling_server().await;
    let http = reqwest::Client::new();
    let seven = Some(Duration::from_secs(7));

    let cfg = loki::LokiConfig { url: url.clone(), ..Default::default() };
    let mut s = loki::LokiSource::new(http.clone(), cfg, None).unwrap();
    let e = s.fetch().await.unwrap_err();
    assert_eq!(loki::LokiSource::retry_after(&e), seven, "{e}");

    let cfg = elastic::ElasticConfig { url: url.clone(), ..Default::default() };
    let mut s = elastic::ElasticSource::new(http.clone(), cfg, None).unwrap();
    let e = s.fetch().await.unwrap_err();
    assert_eq!(elastic::ElasticSource::retry_after(&e), seven, "{e}");

    let client = am::AlertmanagerClient::new(http.clone(), url.clone());
    let mut s = am::AlertmanagerSource::new(client, am::SourceOptions::new(Duration::from_secs(1)), None);
    let e = s.fetch().await.unwrap_err();
    assert_eq!(am::AlertmanagerSource::retry_after(&e), seven, "{e}");

    let client = prom::PrometheusClient::new(http, url);
    let mut s = prom::PrometheusSource::new(client, prom::PromSourceOptions::new(Duration::from_secs(1), vec![]), None);
    let e = s.fetch().await.unwrap_err();
    assert_eq!(prom::PrometheusSource::retry_after(&e), seven, "{e}");
}
