//! The Alertmanager webhook receiver: `POST` of a `webhook_configs` notification (version 4,
//! `{"version":"4","groupKey":…,"alerts":[…]}`), parsed as webhook files are on ingest.
//!
//! A notification is answered 200 only once the collector has committed its alerts, so an
//! acknowledged alert is durable. A busy or stopped collector, or a commit that fails or is
//! slow, is answered 503 with `Retry-After`: Alertmanager retries a failed notification
//! until its next group interval. Alerts are keyed by fingerprint, so a retry overwrites.
//! Connections share the OTLP receiver's limits (header and body timeouts, connection cap).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use super::accept::{self, ConnLimits, StatusHook};
use super::alertmanager;
use super::feed::{Batch, Health, SourceEvent};
use crate::model::Signal;

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Where the caller binds the listener it hands to [`serve`].
    pub listen: SocketAddr,
    /// The path Alertmanager's `webhook_configs` `url` names.
    pub path: String,
    pub max_body_bytes: usize,
    /// How long a request waits for the collector to commit before answering 503.
    pub ack_timeout: Duration,
    pub retry_after: Duration,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
    pub on_status: Option<StatusHook>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 9097)),
            path: DEFAULT_PATH.into(),
            max_body_bytes: 4 << 20,
            ack_timeout: Duration::from_secs(10),
            retry_after: Duration::from_secs(1),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            on_status: None,
        }
    }
}

/// The path served unless configured otherwise.
pub const DEFAULT_PATH: &str = "/alerts";

struct Inner {
    cfg: WebhookConfig,
    source: String,
    tx: mpsc::Sender<SourceEvent>,
}

/// Why a notification was not taken.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum Refusal {
    #[error("bad notification: {0}")]
    BadBody(String),
    #[error("request body over the {0}-byte limit")]
    TooLarge(usize),
    #[error("request body not received in time")]
    BodyTimeout,
    #[error("collector busy: {0}")]
    Busy(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::BadBody(_) => StatusCode::BAD_REQUEST,
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Refusal::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Serves the webhook on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    cfg: WebhookConfig,
    source: impl Into<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let source = source.into();
    #[allow(
        clippy::let_underscore_must_use,
        reason = "best effort: a full channel must not keep the receiver from starting"
    )]
    let _ = tx.try_send(SourceEvent::Health { source: source.clone(), health: Health::Ok { since: Utc::now() } });
    let limits = ConnLimits {
        header_timeout: cfg.header_timeout,
        max_connections: cfg.max_connections.max(1),
        drain: cfg.body_timeout + cfg.ack_timeout,
        on_status: cfg.on_status.clone(),
    };
    let path = cfg.path.clone();
    let inner = Arc::new(Inner { cfg, source, tx });
    let app = Router::new()
        .route(&path, post(|State(st): State<Arc<Inner>>, req: Request| handle(st, req)))
        .fallback(move || {
            let hint = format!("not found: the Alertmanager webhook is POST {path}\n");
            async move { (StatusCode::NOT_FOUND, hint) }
        })
        .with_state(inner);
    accept::serve(listener, app, limits, "alertmanager webhook", shutdown).await;
}

async fn handle(inner: Arc<Inner>, req: Request) -> Response {
    match accept_notification(&inner, req.into_body()).await {
        Ok(n) => (StatusCode::OK, format!("stored {n} alerts\n")).into_response(),
        Err(r) => {
            tracing::debug!(source = %inner.source, "webhook notification refused: {r}");
            let mut resp = (r.status(), format!("{r}\n")).into_response();
            match r {
                Refusal::Busy(_) => {
                    let secs = inner.cfg.retry_after.as_secs().max(1);
                    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                        resp.headers_mut().insert(header::RETRY_AFTER, v);
                    }
                }
                Refusal::BodyTimeout => {
                    // The rest of the body may still trickle in: do not wait for it here.
                    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                _ => {}
            }
            resp
        }
    }
}

async fn read_body(cfg: &WebhookConfig, body: Body) -> Result<Bytes, Refusal> {
    let limit = cfg.max_body_bytes;
    match tokio::time::timeout(cfg.body_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            let e = e.into_inner();
            if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                Err(Refusal::TooLarge(limit))
            } else {
                Err(Refusal::BadBody(format!("could not read the body: {e}")))
            }
        }
        Err(_) => Err(Refusal::BodyTimeout),
    }
}

/// Parses a notification body into alerts. A body that is not a webhook notification, or
/// one with an alert that cannot be parsed, is refused whole: Alertmanager sends well-formed
/// ones, so anything else is a misconfigured sender that should see the error.
pub fn parse_notification(body: &[u8]) -> Result<Vec<Signal>, Refusal> {
    let v: Value = serde_json::from_slice(body).map_err(|e| Refusal::BadBody(format!("malformed json: {e}")))?;
    if !alertmanager::is_webhook(&v) {
        return Err(Refusal::BadBody("not an Alertmanager webhook notification (no alerts and receiver)".into()));
    }
    let parsed = alertmanager::parse_document(&v, Utc::now()).unwrap_or_default();
    parsed
        .into_iter()
        .enumerate()
        .map(|(i, a)| a.map(Signal::Alert).map_err(|e| Refusal::BadBody(format!("alerts[{i}]: {e}"))))
        .collect()
}

async fn accept_notification(inner: &Inner, body: Body) -> Result<usize, Refusal> {
    let raw = read_body(&inner.cfg, body).await?;
    let signals = parse_notification(&raw)?;
    let n = signals.len();
    if n == 0 {
        return Ok(0);
    }
    let (ack_tx, ack_rx) = oneshot::channel();
    let batch = Batch { source: inner.source.clone(), signals, cursor: None, ack: Some(ack_tx) };
    match inner.tx.try_send(SourceEvent::Batch(batch)) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => return Err(Refusal::Busy("retry later".into())),
        Err(TrySendError::Closed(_)) => return Err(Refusal::Busy("collector stopped".into())),
    }
    match tokio::time::timeout(inner.cfg.ack_timeout, ack_rx).await {
        Ok(Ok(Ok(()))) => Ok(n),
        Ok(Ok(Err(e))) => Err(Refusal::Busy(format!("commit failed: {e}"))),
        Ok(Err(_)) => Err(Refusal::Busy("collector dropped the batch".into())),
        Err(_) => Err(Refusal::Busy("commit not confirmed in time".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn start(tx: mpsc::Sender<SourceEvent>) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let cfg = WebhookConfig { ack_timeout: Duration::from_millis(300), ..WebhookConfig::default() };
        tokio::spawn(serve(listener, cfg, "am-webhook", tx, async move {
            #[allow(clippy::let_underscore_must_use, reason = "a dropped sender also means stop")]
            let _ = stop_rx.await;
        }));
        (addr, stop_tx)
    }

    fn notification() -> Value {
        serde_json::json!({
            "version": "4", "groupKey": "{}:{alertname=\"DiskFull\"}", "status": "firing", "receiver": "fw",
            "groupLabels": {"alertname": "DiskFull"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://am", "truncatedAlerts": 0,
            "alerts": [{"status": "firing", "labels": {"alertname": "DiskFull", "service": "db"},
                        "annotations": {"summary": "disk full"}, "startsAt": Utc::now().to_rfc3339(),
                        "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom", "fingerprint": "abc123"}]
        })
    }

    #[tokio::test]
    async fn answers_200_after_the_ack_503_when_busy_and_400_on_a_bad_body() {
        let (tx, mut rx) = mpsc::channel(1);
        let (addr, _stop) = start(tx).await;
        let url = format!("http://{addr}{DEFAULT_PATH}");
        // The start-up health event.
        assert!(matches!(rx.recv().await, Some(SourceEvent::Health { .. })));
        let client = reqwest::Client::new();
        let acker = tokio::spawn(async move {
            let Some(SourceEvent::Batch(b)) = rx.recv().await else { panic!("no batch") };
            assert_eq!(b.signals.len(), 1);
            let Signal::Alert(a) = &b.signals[0] else { panic!("not an alert") };
            assert_eq!((a.alertname.as_str(), a.fingerprint.as_str()), ("DiskFull", "abc123"));
            b.ack.unwrap().send(Ok(())).unwrap();
            rx
        });
        let resp = client.post(&url).json(&notification()).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut rx = acker.await.unwrap();

        // Nobody acknowledges: the client is told to retry.
        let resp = client.post(&url).json(&notification()).send().await.unwrap();
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
        assert!(matches!(rx.recv().await, Some(SourceEvent::Batch(_))));

        for bad in [&b"{not json"[..], br#"{"msg": "hello"}"#] {
            let resp = client.post(&url).body(bad.to_vec()).send().await.unwrap();
            assert_eq!(resp.status(), 400);
        }
        let resp = client.post(format!("http://{addr}/elsewhere")).json(&notification()).send().await.unwrap();
        assert_eq!(resp.status(), 404);
    }
}
