//! The OTLP/HTTP receiver: `POST /v1/logs`, `/v1/traces` and `/v1/metrics`, protobuf
//! (`application/x-protobuf`) or JSON (`application/json`), optionally gzip-compressed,
//! as the OpenTelemetry SDKs' and the Collector's `otlphttp` exporters send them.
//!
//! A request is answered 200 only once the collector has committed its batch, so an
//! acknowledged record is durable. A full collector channel, a failed commit or a slow
//! one is answered 503 with `Retry-After`, which exporters retry; record ids derive from
//! the records' content, so a retried request overwrites instead of duplicating.
//!
//! Slow clients cannot starve the others. Headers must arrive within `header_timeout` (an
//! idle keep-alive connection is closed after it too) and the whole body within
//! `body_timeout` (else 408 and the connection closes); at most `max_connections` are
//! served at once, and further ones wait in the kernel's accept backlog until a slot frees,
//! which a stalled holder does within those timeouts. A decode permit (`max_in_flight`) is taken
//! only once the body has been read, so a trickling body holds a connection slot, never
//! the decode and commit capacity. Bodies being read count against a byte budget of
//! `max_in_flight × max_body_bytes`, so memory stays bounded however many connections are
//! open; a request that would overdraw it is answered 503.

use std::cell::Cell;
use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use http_body_util::BodyExt;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

use super::feed::{Batch, Health, SourceEvent};
use super::otlp_json::{self, Converter};
use crate::model::{RecordId, Signal};

#[derive(Debug, Clone)]
pub struct OtlpConfig {
    /// Where the caller binds the listener it hands to [`serve`] (4318 is OTLP/HTTP's port).
    pub listen: SocketAddr,
    /// Largest request body accepted, compressed and again after gzip inflation.
    pub max_body_bytes: usize,
    /// How long a request waits for the collector to commit its batch before answering 503.
    pub ack_timeout: Duration,
    /// Requests decoded at once; more are answered 503 so memory stays bounded.
    pub max_in_flight: usize,
    /// The `Retry-After` sent with 503 answers.
    pub retry_after: Duration,
    /// Time from a connection's first byte (or its previous answer) to a complete request
    /// head; past it the connection is closed.
    pub header_timeout: Duration,
    /// Time from a complete head to a complete body; past it the answer is 408.
    pub body_timeout: Duration,
    /// Connections served at once; more wait in the accept backlog.
    pub max_connections: usize,
    /// Told the status of every answer.
    pub on_status: Option<super::accept::StatusHook>,
}

impl Default for OtlpConfig {
    fn default() -> Self {
        OtlpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 4318)),
            max_body_bytes: 16 << 20,
            ack_timeout: Duration::from_secs(10),
            max_in_flight: 8,
            retry_after: Duration::from_secs(1),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            on_status: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    #[error("otlp receiver failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Which export service a path serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Logs,
    Traces,
    Metrics,
}

impl Kind {
    fn rejected_field(self) -> &'static str {
        match self {
            Kind::Logs => "rejectedLogRecords",
            Kind::Traces => "rejectedSpans",
            Kind::Metrics => "rejectedDataPoints",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// Signals decoded from one request, and the records that had to be dropped.
#[derive(Debug, Default)]
pub struct Decoded {
    pub signals: Vec<Signal>,
    pub rejected: i64,
    pub errors: Vec<String>,
}

struct Inner {
    cfg: OtlpConfig,
    source: String,
    tx: mpsc::Sender<SourceEvent>,
    in_flight: Arc<Semaphore>,
    /// Bytes of request bodies held at once, one permit per byte.
    buffered: Arc<Semaphore>,
}

/// Serves OTLP/HTTP on `listener` until `shutdown` completes; requests in flight then finish.
pub async fn serve(
    listener: TcpListener,
    cfg: OtlpConfig,
    source: impl Into<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), OtlpError> {
    let source = source.into();
    // Best effort: a full channel must not keep the receiver from starting. Missing this first "up" only delays
    // the status line; the batches it receives still arrive.
    #[allow(clippy::let_underscore_must_use, reason = "a missed first health report is not lost data")]
    let _ = tx.try_send(SourceEvent::Health { source: source.clone(), health: Health::Ok { since: Utc::now() } });
    let max_in_flight = cfg.max_in_flight.max(1);
    let in_flight = Arc::new(Semaphore::new(max_in_flight));
    // As much as the decode permits held before bodies were read outside them.
    let budget = max_in_flight.saturating_mul(cfg.max_body_bytes.max(1)).min(Semaphore::MAX_PERMITS);
    let buffered = Arc::new(Semaphore::new(budget));
    let limits = super::accept::ConnLimits {
        header_timeout: cfg.header_timeout,
        max_connections: cfg.max_connections.max(1),
        drain: cfg.body_timeout + cfg.ack_timeout,
        on_status: cfg.on_status.clone(),
    };
    let inner = Arc::new(Inner { cfg, source, tx, in_flight, buffered });
    super::accept::serve(listener, router(inner), limits, "otlp receiver", shutdown).await;
    Ok(())
}

fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/v1/logs", post(|State(st): State<Arc<Inner>>, req: Request| handle(st, Kind::Logs, req)))
        .route("/v1/traces", post(|State(st): State<Arc<Inner>>, req: Request| handle(st, Kind::Traces, req)))
        .route("/v1/metrics", post(|State(st): State<Arc<Inner>>, req: Request| handle(st, Kind::Metrics, req)))
        .fallback(|| async {
            (StatusCode::NOT_FOUND, "not found: OTLP/HTTP serves POST /v1/logs, /v1/traces, /v1/metrics\n")
        })
        .with_state(inner)
}

/// A refusal, answered in the request's encoding as a `google.rpc.Status`.
struct Reject {
    status: StatusCode,
    message: String,
}

impl Reject {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Reject { status, message: message.into() }
    }
}

/// `google.rpc.Status`, which OTLP/HTTP failure responses carry.
#[derive(Clone, PartialEq, Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn reject_response(inner: &Inner, enc: Encoding, r: Reject) -> Response {
    // gRPC codes matching the HTTP status, as the OTLP spec maps them.
    let code = match r.status {
        StatusCode::BAD_REQUEST => 3,
        StatusCode::REQUEST_TIMEOUT => 4,
        StatusCode::PAYLOAD_TOO_LARGE => 8,
        StatusCode::SERVICE_UNAVAILABLE => 14,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => 3,
        _ => 13,
    };
    let mut resp = match enc {
        Encoding::Protobuf => {
            let body = RpcStatus { code, message: r.message }.encode_to_vec();
            (r.status, [(header::CONTENT_TYPE, "application/x-protobuf")], body).into_response()
        }
        Encoding::Json => {
            let body = json!({"code": code, "message": r.message}).to_string();
            (r.status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    };
    if r.status == StatusCode::REQUEST_TIMEOUT {
        // The rest of the body may still trickle in: do not wait for it on this connection.
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if r.status == StatusCode::SERVICE_UNAVAILABLE {
        let secs = inner.cfg.retry_after.as_secs().max(1);
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}

fn success_response(kind: Kind, enc: Encoding, d: &Decoded) -> Response {
    let message = partial_message(d);
    match enc {
        Encoding::Protobuf => {
            use opentelemetry_proto::tonic::collector::{logs::v1 as l, metrics::v1 as m, trace::v1 as t};
            let body = match kind {
                Kind::Logs => l::ExportLogsServiceResponse {
                    partial_success: (d.rejected > 0).then_some(l::ExportLogsPartialSuccess {
                        rejected_log_records: d.rejected,
                        error_message: message,
                    }),
                }
                .encode_to_vec(),
                Kind::Traces => t::ExportTraceServiceResponse {
                    partial_success: (d.rejected > 0)
                        .then_some(t::ExportTracePartialSuccess { rejected_spans: d.rejected, error_message: message }),
                }
                .encode_to_vec(),
                Kind::Metrics => m::ExportMetricsServiceResponse {
                    partial_success: (d.rejected > 0).then_some(m::ExportMetricsPartialSuccess {
                        rejected_data_points: d.rejected,
                        error_message: message,
                    }),
                }
                .encode_to_vec(),
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/x-protobuf")], body).into_response()
        }
        Encoding::Json => {
            let body = if d.rejected > 0 {
                json!({"partialSuccess": {kind.rejected_field(): d.rejected, "errorMessage": message}})
            } else {
                json!({})
            };
            (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
        }
    }
}

fn partial_message(d: &Decoded) -> String {
    const SHOWN: usize = 5;
    let mut msg = d.errors.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if d.errors.len() > SHOWN {
        msg.push_str(&format!("; and {} more", d.errors.len() - SHOWN));
    }
    msg
}

fn content_type(headers: &HeaderMap) -> Result<Encoding, Reject> {
    let raw = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = raw.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(Reject::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content type {raw:?}: use application/x-protobuf or application/json"),
        )),
    }
}

fn gzipped(headers: &HeaderMap) -> Result<bool, Reject> {
    let raw = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("");
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(false),
        "gzip" | "x-gzip" => Ok(true),
        other => Err(Reject::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content encoding {other:?}: use gzip or none"),
        )),
    }
}

fn too_large(limit: usize) -> Reject {
    Reject::new(StatusCode::PAYLOAD_TOO_LARGE, format!("request body over the {limit}-byte limit"))
}

/// Reads the whole body within `body_timeout`. Its bytes are drawn from the receiver's
/// buffer budget as they arrive and stay drawn, through the returned permit, until the
/// request is answered.
async fn read_body(inner: &Inner, body: Body) -> Result<(Bytes, Option<OwnedSemaphorePermit>), Reject> {
    let limit = inner.cfg.max_body_bytes;
    let read = async {
        let mut body = body;
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total = 0usize;
        let mut held: Option<OwnedSemaphorePermit> = None;
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|e| Reject::new(StatusCode::BAD_REQUEST, format!("could not read the request body: {e}")))?;
            // Trailers carry nothing OTLP uses.
            let Ok(data) = frame.into_data() else { continue };
            total = total.saturating_add(data.len());
            if total > limit {
                return Err(too_large(limit));
            }
            let n = u32::try_from(data.len()).map_err(|_| too_large(limit))?;
            let permit = inner.buffered.clone().try_acquire_many_owned(n).map_err(|_| {
                Reject::new(StatusCode::SERVICE_UNAVAILABLE, "receiver busy: too much request data buffered")
            })?;
            match held.as_mut() {
                Some(h) => h.merge(permit),
                None => held = Some(permit),
            }
            chunks.push(data);
        }
        let bytes = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.swap_remove(0),
            _ => Bytes::from(chunks.concat()),
        };
        Ok((bytes, held))
    };
    match tokio::time::timeout(inner.cfg.body_timeout, read).await {
        Ok(r) => r,
        Err(_) => Err(Reject::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("request body not received within {} s", inner.cfg.body_timeout.as_secs_f64()),
        )),
    }
}

/// Inflates at most `limit` bytes, so a small gzip bomb cannot exhaust memory.
pub fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, (bool, String)> {
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(data).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| (false, format!("malformed gzip body: {e}")))?;
    if out.len() > limit {
        return Err((true, format!("request body over the {limit}-byte limit after gzip inflation")));
    }
    Ok(out)
}

async fn handle(inner: Arc<Inner>, kind: Kind, req: Request) -> Response {
    let headers = req.headers().clone();
    let enc = match content_type(&headers) {
        Ok(e) => e,
        // The client's encoding is unknown: answer in JSON, which a person can read.
        Err(r) => return reject_response(&inner, Encoding::Json, r),
    };
    match accept(&inner, kind, enc, &headers, req.into_body()).await {
        Ok(d) => success_response(kind, enc, &d),
        Err(r) => {
            if r.status != StatusCode::SERVICE_UNAVAILABLE {
                tracing::debug!(source = %inner.source, status = %r.status, "otlp request refused: {}", r.message);
            }
            reject_response(&inner, enc, r)
        }
    }
}

async fn accept(inner: &Inner, kind: Kind, enc: Encoding, headers: &HeaderMap, body: Body) -> Result<Decoded, Reject> {
    let gzip = gzipped(headers)?;
    let limit = inner.cfg.max_body_bytes;
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let (raw, _buffered) = read_body(inner, body).await?;
    // Taken only now, so a client trickling its body cannot hold decode capacity; this
    // bounds the memory of bodies being inflated and decoded at once.
    let _permit = inner
        .in_flight
        .clone()
        .try_acquire_owned()
        .map_err(|_| Reject::new(StatusCode::SERVICE_UNAVAILABLE, "receiver busy: too many requests in flight"))?;
    let decoded = tokio::task::spawn_blocking(move || -> Result<Decoded, Reject> {
        let bytes = if gzip {
            let inflated = gunzip(&raw, limit).map_err(|(big, msg)| {
                Reject::new(if big { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST }, msg)
            })?;
            Bytes::from(inflated)
        } else {
            raw
        };
        decode(kind, enc, &bytes).map_err(|m| Reject::new(StatusCode::BAD_REQUEST, m))
    })
    .await
    .map_err(|e| Reject::new(StatusCode::INTERNAL_SERVER_ERROR, format!("decoder failed: {e}")))??;
    if decoded.signals.is_empty() {
        return Ok(decoded);
    }
    let mut decoded = decoded;
    let signals = std::mem::take(&mut decoded.signals);
    let (ack_tx, ack_rx) = oneshot::channel();
    let batch = Batch { source: inner.source.clone(), signals, cursor: None, ack: Some(ack_tx) };
    match inner.tx.try_send(SourceEvent::Batch(batch)) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) => {
            return Err(Reject::new(StatusCode::SERVICE_UNAVAILABLE, "collector busy: retry later"));
        }
        Err(TrySendError::Closed(_)) => {
            return Err(Reject::new(StatusCode::SERVICE_UNAVAILABLE, "collector stopped"));
        }
    }
    match tokio::time::timeout(inner.cfg.ack_timeout, ack_rx).await {
        Ok(Ok(Ok(()))) => Ok(decoded),
        Ok(Ok(Err(e))) => Err(Reject::new(StatusCode::SERVICE_UNAVAILABLE, format!("commit failed: {e}"))),
        Ok(Err(_)) => Err(Reject::new(StatusCode::SERVICE_UNAVAILABLE, "collector dropped the batch")),
        Err(_) => Err(Reject::new(StatusCode::SERVICE_UNAVAILABLE, "commit not confirmed in time: retry later")),
    }
}

/// Decodes one export request body. `Err` is a malformed body (HTTP 400).
pub fn decode(kind: Kind, enc: Encoding, body: &[u8]) -> Result<Decoded, String> {
    match enc {
        Encoding::Protobuf => match kind {
            Kind::Logs => ExportLogsServiceRequest::decode(body).map(|r| logs(&r)),
            Kind::Traces => ExportTraceServiceRequest::decode(body).map(|r| traces(&r)),
            Kind::Metrics => ExportMetricsServiceRequest::decode(body).map(|r| metrics(&r)),
        }
        .map_err(|e| format!("malformed protobuf body: {e}")),
        Encoding::Json => {
            let v: Value = serde_json::from_slice(body).map_err(|e| format!("malformed json body: {e}"))?;
            if !v.is_object() {
                return Err("malformed json body: not an export request object".into());
            }
            // Whole-request decoding gives the same ids as the protobuf encoding of the
            // same records; if one record is bad, fall back to record-by-record decoding.
            let whole = match kind {
                Kind::Logs => serde_json::from_value::<ExportLogsServiceRequest>(v.clone()).map(|r| logs(&r)),
                Kind::Traces => serde_json::from_value::<ExportTraceServiceRequest>(v.clone()).map(|r| traces(&r)),
                Kind::Metrics => serde_json::from_value::<ExportMetricsServiceRequest>(v.clone()).map(|r| metrics(&r)),
            };
            Ok(whole.unwrap_or_else(|_| json_by_record(&v, body)))
        }
    }
}

/// Record-by-record decoding for a JSON request with bad records. Ids hash the request
/// body and the record's position: an exporter's retry resends the same bytes.
fn json_by_record(v: &Value, body: &[u8]) -> Decoded {
    let body_hash = xxhash_rust::xxh3::xxh3_128(body).to_le_bytes();
    let mut n = 0u64;
    let mut next = || {
        n += 1;
        RecordId::of(&[b"otlp-json", &body_hash, &n.to_le_bytes()])
    };
    let mut conv = Converter { now: Utc::now(), next_id: &mut next };
    let d = otlp_json::decode_request(v, &mut conv);
    // Resource errors keep their records (with an empty resource); the rest each lose one record.
    let rejected = d.errors.iter().filter(|e| !e.split(':').next().unwrap_or("").ends_with(".resource")).count();
    Decoded { signals: d.signals, rejected: rejected as i64, errors: d.errors }
}

fn logs(req: &ExportLogsServiceRequest) -> Decoded {
    let mut out = Decoded::default();
    let id = Cell::new(RecordId(0));
    let mut next = || id.get();
    let mut conv = Converter { now: Utc::now(), next_id: &mut next };
    for rl in &req.resource_logs {
        let res = otlp_json::resource(rl.resource.as_ref());
        let res_bytes = rl.resource.as_ref().map(Message::encode_to_vec).unwrap_or_default();
        for sl in &rl.scope_logs {
            let scope = sl.scope.as_ref().map(|s| s.name.as_str());
            for r in &sl.log_records {
                id.set(RecordId::of(&[b"otlp-log", &res_bytes, scope.unwrap_or("").as_bytes(), &r.encode_to_vec()]));
                out.signals.push(Signal::Log(conv.log(&res, scope, r)));
            }
        }
    }
    out
}

fn traces(req: &ExportTraceServiceRequest) -> Decoded {
    let mut out = Decoded::default();
    let id = Cell::new(RecordId(0));
    let mut next = || id.get();
    let mut conv = Converter { now: Utc::now(), next_id: &mut next };
    for (i, rs) in req.resource_spans.iter().enumerate() {
        let res = otlp_json::resource(rs.resource.as_ref());
        let res_bytes = rs.resource.as_ref().map(Message::encode_to_vec).unwrap_or_default();
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            for (k, s) in ss.spans.iter().enumerate() {
                id.set(RecordId::of(&[b"otlp-span", &res_bytes, &s.encode_to_vec()]));
                match conv.span(&res, s) {
                    Some(span) => out.signals.push(Signal::Span(span)),
                    None => {
                        out.rejected += 1;
                        out.errors.push(format!(
                            "resourceSpans[{i}].scopeSpans[{j}].spans[{k}]: missing traceId, spanId or startTimeUnixNano"
                        ));
                    }
                }
            }
        }
    }
    out
}

fn metrics(req: &ExportMetricsServiceRequest) -> Decoded {
    let mut out = Decoded::default();
    let mut next = || RecordId(0);
    let conv = Converter { now: Utc::now(), next_id: &mut next };
    for rm in &req.resource_metrics {
        let res = otlp_json::resource(rm.resource.as_ref());
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                conv.metric(&res, m, &mut out.signals);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use std::io::Write;

    fn request(bodies: &[&str]) -> ExportLogsServiceRequest {
        let records = bodies
            .iter()
            .enumerate()
            .map(|(i, b)| LogRecord {
                time_unix_nano: 1_763_650_992_000_000_000 + i as u64,
                severity_number: 17,
                body: Some(AnyValue { value: Some(any_value::Value::StringValue(b.to_string())) }),
                ..Default::default()
            })
            .collect();
        let service = KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue { value: Some(any_value::Value::StringValue("Cart".into())) }),
            ..Default::default()
        };
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource { attributes: vec![service], ..Default::default() }),
                scope_logs: vec![ScopeLogs { log_records: records, ..Default::default() }],
                ..Default::default()
            }],
        }
    }

    fn ids(d: &Decoded) -> Vec<RecordId> {
        d.signals
            .iter()
            .filter_map(|s| match s {
                Signal::Log(l) => Some(l.id),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn ids_are_stable_across_retries_and_encodings() {
        let req = request(&["boom", "bang"]);
        let pb = decode(Kind::Logs, Encoding::Protobuf, &req.encode_to_vec()).unwrap();
        let again = decode(Kind::Logs, Encoding::Protobuf, &req.encode_to_vec()).unwrap();
        assert_eq!(ids(&pb), ids(&again));
        assert_ne!(ids(&pb)[0], ids(&pb)[1]);
        let js = decode(Kind::Logs, Encoding::Json, &serde_json::to_vec(&req).unwrap()).unwrap();
        assert_eq!(ids(&pb), ids(&js), "the same records over JSON get the protobuf ids");
        let Signal::Log(first) = &pb.signals[0] else { panic!("not a log") };
        assert_eq!(first.body, "boom");
        assert_eq!(first.resource.service.as_deref(), Some("cart"));
    }

    #[test]
    fn bad_json_record_is_rejected_alone() {
        let body = br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
            {"timeUnixNano":"1763650992000000000","body":{"stringValue":"ok"}},
            {"timeUnixNano":true}]}]}]}"#;
        let d = decode(Kind::Logs, Encoding::Json, body).unwrap();
        assert_eq!((d.signals.len(), d.rejected), (1, 1));
        let again = decode(Kind::Logs, Encoding::Json, body).unwrap();
        assert_eq!(ids(&d), ids(&again));
        assert!(decode(Kind::Logs, Encoding::Json, b"[1,2]").is_err());
        assert!(decode(Kind::Logs, Encoding::Protobuf, b"\xff\xff\xff").is_err());
    }

    #[test]
    fn gunzip_stops_at_the_limit() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b'a'; 1 << 20]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 4096);
        assert!(matches!(gunzip(&bomb, 64 << 10), Err((true, _))));
        assert_eq!(gunzip(&bomb, 2 << 20).unwrap().len(), 1 << 20);
        assert!(matches!(gunzip(b"not gzip", 1024), Err((false, _))));
    }

    /// Bodies the OpenTelemetry Python SDK 1.45 exporters sent (recorded by `scripts/otlp_send.py`).
    #[test]
    fn python_sdk_bodies_decode_whole() {
        let json = include_bytes!("../../tests/fixtures/otlp_http/python_sdk_logs.json");
        let req: ExportLogsServiceRequest =
            serde_json::from_slice(json).expect("the SDK's JSON decodes as one request");
        let d = decode(Kind::Logs, Encoding::Json, json).unwrap();
        assert_eq!((d.signals.len(), d.rejected), (2, 0));
        assert_eq!(ids(&d), ids(&logs(&req)));
        // The same records through protobuf get the same ids.
        let d_pb = decode(Kind::Logs, Encoding::Protobuf, &req.encode_to_vec()).unwrap();
        assert_eq!(ids(&d), ids(&d_pb));
        let Signal::Log(l) = &d.signals[0] else { panic!("not a log") };
        assert_eq!(l.body, "payment 0 declined: card_expired");
        assert_eq!(l.resource.service.as_deref(), Some("checkout-py"));
        assert_eq!(l.trace_id.as_deref(), Some("b3a778262f27684f418f9a40b1bcc3e7"));

        let traces = include_bytes!("../../tests/fixtures/otlp_http/python_sdk_traces.json");
        serde_json::from_slice::<ExportTraceServiceRequest>(traces).expect("the SDK's JSON decodes as one request");
        let d = decode(Kind::Traces, Encoding::Json, traces).unwrap();
        assert_eq!((d.signals.len(), d.rejected), (2, 0));

        let pb = include_bytes!("../../tests/fixtures/otlp_http/python_sdk_logs.pb");
        let d = decode(Kind::Logs, Encoding::Protobuf, pb).unwrap();
        assert_eq!((d.signals.len(), d.rejected), (2, 0));
    }
}
