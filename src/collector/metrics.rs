//! The collector's own metrics, served as `GET /metrics` in the Prometheus text exposition
//! format (0.0.4), and `GET /healthz`.
//!
//! The text format is written by hand: it is a few lines per family, and the crates that
//! write it (`prometheus`, `metrics-exporter-prometheus`) are not in the lock file and
//! would bring a registry and a second HTTP stack for what is a dozen counters here.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::model::Signal;
use crate::sources::accept::{self, ConnLimits, StatusHook};
use crate::sources::feed::Health;

/// What a stored record is, as the `kind` label says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKind {
    Log,
    Span,
    Metric,
    Alert,
}

impl RecordKind {
    const ALL: [RecordKind; 4] = [RecordKind::Log, RecordKind::Span, RecordKind::Metric, RecordKind::Alert];

    pub fn of(s: &Signal) -> Self {
        match s {
            Signal::Log(_) => RecordKind::Log,
            Signal::Span(_) => RecordKind::Span,
            Signal::Metric(_) => RecordKind::Metric,
            Signal::Alert(_) => RecordKind::Alert,
        }
    }

    fn label(self) -> &'static str {
        match self {
            RecordKind::Log => "log",
            RecordKind::Span => "span",
            RecordKind::Metric => "metric",
            RecordKind::Alert => "alert",
        }
    }
}

/// Upper bounds of the commit latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

/// How stale the sink's heartbeat may be before `/healthz` says the writer is gone. The sink
/// loop wakes at least every 250 ms; a commit can take a few seconds.
const ALIVE_WITHIN: Duration = Duration::from_secs(30);

/// Shared between the sink thread, which updates it, and the HTTP tasks, which read it.
pub struct Metrics {
    started: Instant,
    records: [AtomicU64; 4],
    batches: AtomicU64,
    commits: AtomicU64,
    queue_depth: AtomicU64,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_sum_micros: AtomicU64,
    /// Milliseconds since `started` of the sink's last loop; 0 once it stopped.
    heartbeat_ms: AtomicU64,
    health: Mutex<BTreeMap<String, (String, bool)>>,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            records: Default::default(),
            batches: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            queue_depth: AtomicU64::new(0),
            latency_buckets: Default::default(),
            latency_sum_micros: AtomicU64::new(0),
            heartbeat_ms: AtomicU64::new(0),
            health: Mutex::new(BTreeMap::new()),
            requests: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Metrics {
    pub fn stored(&self, kind: RecordKind, n: u64) {
        self.records[kind as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub fn batch(&self) {
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub fn committed(&self, took: Duration) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        let secs = took.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|b| secs <= *b) {
            self.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn queue_depth(&self, n: usize) {
        self.queue_depth.store(n as u64, Ordering::Relaxed);
    }

    /// The sink is alive now.
    pub fn beat(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.heartbeat_ms.store(ms.max(1), Ordering::Relaxed);
    }

    /// The sink stopped: `/healthz` fails from now on.
    pub fn stopped(&self) {
        self.heartbeat_ms.store(0, Ordering::Relaxed);
    }

    pub fn writer_alive(&self) -> bool {
        let beat = self.heartbeat_ms.load(Ordering::Relaxed);
        beat > 0 && self.started.elapsed().as_millis().saturating_sub(u128::from(beat)) <= ALIVE_WITHIN.as_millis()
    }

    pub fn health(&self, source: &str, kind: &str, health: &Health) {
        if let Ok(mut h) = self.health.lock() {
            h.insert(source.to_string(), (kind.to_string(), matches!(health, Health::Ok { .. })));
        }
    }

    pub fn request(&self, receiver: &'static str, status: u16) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((receiver, status)).or_default() += 1;
        }
    }

    /// A hook counting one receiver's answers.
    pub fn status_hook(self: &Arc<Self>, receiver: &'static str) -> StatusHook {
        let me = self.clone();
        StatusHook(Arc::new(move |status| me.request(receiver, status)))
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        family(&mut out, "firewatch_records_stored_total", "counter", "Records stored, by kind.");
        for k in RecordKind::ALL {
            let n = self.records[k as usize].load(Ordering::Relaxed);
            push_line(&mut out, format_args!("firewatch_records_stored_total{{kind=\"{}\"}} {n}", k.label()));
        }
        family(&mut out, "firewatch_batches_total", "counter", "Batches received from sources.");
        push_line(&mut out, format_args!("firewatch_batches_total {}", self.batches.load(Ordering::Relaxed)));
        family(&mut out, "firewatch_commits_total", "counter", "Commits made durable.");
        push_line(&mut out, format_args!("firewatch_commits_total {}", self.commits.load(Ordering::Relaxed)));
        family(&mut out, "firewatch_queue_depth", "gauge", "Events waiting in the collector's channel.");
        push_line(&mut out, format_args!("firewatch_queue_depth {}", self.queue_depth.load(Ordering::Relaxed)));
        family(&mut out, "firewatch_commit_duration_seconds", "histogram", "Time a commit takes.");
        let mut cumulative = 0;
        for (i, le) in LATENCY_BUCKETS.iter().enumerate() {
            cumulative += self.latency_buckets[i].load(Ordering::Relaxed);
            push_line(&mut out, format_args!("firewatch_commit_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"));
        }
        let count = self.commits.load(Ordering::Relaxed);
        push_line(&mut out, format_args!("firewatch_commit_duration_seconds_bucket{{le=\"+Inf\"}} {count}"));
        let sum = self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        push_line(&mut out, format_args!("firewatch_commit_duration_seconds_sum {sum}"));
        push_line(&mut out, format_args!("firewatch_commit_duration_seconds_count {count}"));
        family(&mut out, "firewatch_source_up", "gauge", "1 when the source is healthy, else 0.");
        if let Ok(h) = self.health.lock() {
            for (name, (kind, up)) in h.iter() {
                let (name, kind) = (escape(name), escape(kind));
                push_line(
                    &mut out,
                    format_args!("firewatch_source_up{{source=\"{name}\",kind=\"{kind}\"}} {}", u8::from(*up)),
                );
            }
        }
        family(&mut out, "firewatch_receiver_requests_total", "counter", "Receiver answers, by status code.");
        if let Ok(r) = self.requests.lock() {
            for ((receiver, status), n) in r.iter() {
                push_line(
                    &mut out,
                    format_args!("firewatch_receiver_requests_total{{receiver=\"{receiver}\",code=\"{status}\"}} {n}"),
                );
            }
        }
        family(&mut out, "firewatch_writer_up", "gauge", "1 while the collector's writer loop is running.");
        push_line(&mut out, format_args!("firewatch_writer_up {}", u8::from(self.writer_alive())));
        out
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    push_line(out, format_args!("# HELP {name} {help}\n# TYPE {name} {kind}"));
}

/// A label value as the text format quotes it.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Serves `/metrics` and `/healthz` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let app = Router::new()
        .route(
            "/metrics",
            get(|State(m): State<Arc<Metrics>>| async move {
                ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], m.render())
            }),
        )
        .route(
            "/healthz",
            get(|State(m): State<Arc<Metrics>>| async move {
                if m.writer_alive() {
                    (StatusCode::OK, "ok\n").into_response()
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "writer not running\n").into_response()
                }
            }),
        )
        .with_state(metrics);
    accept::serve(listener, app, limits, "metrics endpoint", shutdown).await;
}

/// Appends one formatted line: writing into a `String` cannot fail, so nothing is dropped.
fn push_line(out: &mut String, args: std::fmt::Arguments<'_>) {
    out.push_str(&args.to_string());
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_labelled_gauges() {
        let m = Metrics::default();
        m.stored(RecordKind::Alert, 3);
        m.batch();
        m.committed(Duration::from_millis(20));
        m.health("am \"east\"", "alertmanager", &Health::Ok { since: chrono::Utc::now() });
        m.health("loki", "loki", &Health::Starting);
        m.request("webhook", 503);
        let text = m.render();
        for line in [
            "firewatch_records_stored_total{kind=\"alert\"} 3",
            "firewatch_records_stored_total{kind=\"log\"} 0",
            "firewatch_batches_total 1",
            "firewatch_commit_duration_seconds_bucket{le=\"0.01\"} 0",
            "firewatch_commit_duration_seconds_bucket{le=\"0.025\"} 1",
            "firewatch_commit_duration_seconds_bucket{le=\"+Inf\"} 1",
            "firewatch_commit_duration_seconds_count 1",
            "firewatch_source_up{source=\"am \\\"east\\\"\",kind=\"alertmanager\"} 1",
            "firewatch_source_up{source=\"loki\",kind=\"loki\"} 0",
            "firewatch_receiver_requests_total{receiver=\"webhook\",code=\"503\"} 1",
            "firewatch_writer_up 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        m.beat();
        assert!(m.writer_alive());
        m.stopped();
        assert!(!m.writer_alive());
    }

    #[tokio::test]
    async fn healthz_follows_the_writer_and_metrics_serve_the_text_format() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let m = Arc::new(Metrics::default());
        let limits = ConnLimits {
            header_timeout: Duration::from_secs(5),
            max_connections: 4,
            drain: Duration::from_secs(1),
            on_status: None,
        };
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, m.clone(), limits, async move {
            #[allow(clippy::let_underscore_must_use, reason = "a dropped sender also means stop")]
            let _ = stop_rx.await;
        }));
        let client = reqwest::Client::new();
        let healthz = || client.get(format!("http://{addr}/healthz")).send();
        assert_eq!(healthz().await.unwrap().status(), 503);
        m.beat();
        assert_eq!(healthz().await.unwrap().status(), 200);
        m.stopped();
        assert_eq!(healthz().await.unwrap().status(), 503);
        let resp = client.get(format!("http://{addr}/metrics")).send().await.unwrap();
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/plain; version=0.0.4; charset=utf-8");
        assert!(resp.text().await.unwrap().contains("# TYPE firewatch_records_stored_total counter"));
        #[allow(clippy::let_underscore_must_use, reason = "the server may have stopped already")]
        let _ = stop_tx.send(());
    }
}
