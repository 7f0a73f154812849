//! Grafana Loki: `GET /loki/api/v1/query_range` paged forward from a cursor, the
//! WebSocket tail `GET /loki/api/v1/tail`, and `search --remote` pushed down as LogQL.
//!
//! Streams' labels become the resource (`service_name`/`service`/`app`/`job` ->
//! service, `region`, `host`/`instance`/`pod` -> host); JSON lines are parsed like JSON
//! logs, other lines as text with their level. Record ids hash the stream's labels, the
//! timestamp and the line, so refetching an entry overwrites it.
//!
//! The cursor is `NANOS` or `NANOS:h1,h2,...`: the newest timestamp taken and short
//! hashes of the entries already taken at it. Loki's `start` is inclusive, so the next
//! page starts at that timestamp and skips exactly those entries; entries arriving later
//! with the same timestamp are still taken.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use super::backoff::report;
use super::feed::{Batch, SourceEvent};
use super::jsonlog;
use super::plaintext::TextParser;
use super::pull::{self, Fetched, Outcome, Pacer, PullOptions, Source};
use super::remote::RemoteQuery;
use super::timestamp::TsContext;
use crate::model::{LogRecord, RecordId, Resource, Severity};

#[derive(Debug, thiserror::Error)]
pub enum LokiError {
    #[error("loki request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("loki answered {status}: {message}")]
    Status { status: u16, message: String, retry_after: Option<Duration> },
    #[error("malformed loki response: {0}")]
    Malformed(String),
    #[error("loki tail failed: {0}")]
    Tail(String),
    #[error("invalid loki cursor '{0}'")]
    Cursor(String),
    #[error("invalid loki url '{0}'")]
    Url(String),
}

#[derive(Debug, Clone)]
pub struct LokiConfig {
    /// e.g. `http://loki:3100`, without `/loki/api/v1`.
    pub url: String,
    /// The LogQL log query the source follows, e.g. `{namespace="shop"}`.
    pub query: String,
    /// Entries per `query_range` page (Loki refuses more than `max_entries_limit_per_query`, 5000 by default).
    pub limit: usize,
    pub poll_interval: Duration,
    /// How far back the first poll starts when there is no cursor.
    pub lookback: Duration,
    /// Entries newer than this are left for the next poll, so late writes to Loki are not skipped.
    pub lag: Duration,
    /// `X-Scope-OrgID` for multi-tenant Loki.
    pub tenant: Option<String>,
    /// Extra headers for the WebSocket tail (e.g. `Authorization`); HTTP requests use the client's.
    pub headers: Vec<(String, String)>,
    /// The label `search --remote` matches a service against (`service_name` in Loki 3).
    pub service_label: String,
    /// Errors for longer than this turn the source's health from degraded to down.
    pub down_after: Duration,
}

impl Default for LokiConfig {
    fn default() -> Self {
        LokiConfig {
            url: "http://127.0.0.1:3100".into(),
            query: r#"{job=~".+"}"#.into(),
            limit: 1000,
            poll_interval: Duration::from_secs(5),
            lookback: Duration::from_secs(3600),
            lag: Duration::from_secs(2),
            tenant: None,
            headers: Vec::new(),
            service_label: "service_name".into(),
            down_after: Duration::from_secs(60),
        }
    }
}

/// One log entry of one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub labels: Arc<BTreeMap<String, String>>,
    pub ts: i64,
    pub line: String,
    /// Structured metadata (and, with `categorize_labels`, parsed labels).
    pub metadata: Map<String, Value>,
}

impl Entry {
    pub fn id(&self) -> RecordId {
        let mut labels = String::new();
        for (k, v) in self.labels.iter() {
            labels.push_str(k);
            labels.push('\u{1f}');
            labels.push_str(v);
            labels.push('\u{1e}');
        }
        RecordId::of(&[b"loki", labels.as_bytes(), &self.ts.to_le_bytes(), self.line.as_bytes()])
    }

    fn short_hash(&self) -> u64 {
        self.id().0 as u64
    }
}

/// Where the next page starts: the newest timestamp taken and the entries taken at it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cursor {
    pub ts: i64,
    pub seen: Vec<u64>,
}

impl Cursor {
    pub fn parse(s: &str) -> Result<Self, LokiError> {
        let bad = || LokiError::Cursor(s.to_string());
        let (ts, seen) = s.split_once(':').unwrap_or((s, ""));
        let ts = ts.trim().parse::<i64>().map_err(|_| bad())?;
        let seen = seen
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| u64::from_str_radix(h, 16).map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        Ok(Cursor { ts, seen })
    }

    /// Drops entries taken before and moves past the rest (`entries` sorted by time).
    pub fn advance(&mut self, entries: Vec<Entry>) -> Vec<Entry> {
        let seen: HashSet<u64> = self.seen.iter().copied().collect();
        let fresh: Vec<Entry> = entries
            .into_iter()
            .filter(|e| e.ts > self.ts || (e.ts == self.ts && !seen.contains(&e.short_hash())))
            .collect();
        if let Some(last) = fresh.last().map(|e| e.ts) {
            if last != self.ts {
                self.ts = last;
                self.seen.clear();
            }
            self.seen.extend(fresh.iter().filter(|e| e.ts == last).map(Entry::short_hash));
        }
        fresh
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.ts)?;
        for (i, h) in self.seen.iter().enumerate() {
            write!(f, "{}{h:016x}", if i == 0 { ':' } else { ',' })?;
        }
        Ok(())
    }
}

fn nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Loki's error bodies are plain text; keep the first line-ish part.
fn status_error(status: u16, body: &str) -> LokiError {
    let mut message = body.trim().to_string();
    if message.len() > 500 {
        let mut cut = 500;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push_str("...");
    }
    if message.is_empty() {
        message = "empty body".into();
    }
    LokiError::Status { status, message, retry_after: None }
}

/// Parses a `query_range`/`query` response or a tail message's `streams`, sorted by time.
pub fn parse_streams(streams: &Value) -> Result<Vec<Entry>, LokiError> {
    let streams = streams.as_array().ok_or_else(|| LokiError::Malformed("streams is not an array".into()))?;
    let mut out = Vec::new();
    for (i, s) in streams.iter().enumerate() {
        let labels: BTreeMap<String, String> = match s.get("stream") {
            Some(Value::Object(m)) => {
                m.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()
            }
            None | Some(Value::Null) => BTreeMap::new(),
            Some(_) => return Err(LokiError::Malformed(format!("result[{i}].stream is not an object"))),
        };
        let labels = Arc::new(labels);
        let values = s
            .get("values")
            .and_then(Value::as_array)
            .ok_or_else(|| LokiError::Malformed(format!("result[{i}].values is not an array")))?;
        for (j, v) in values.iter().enumerate() {
            let bad = |what: &str| LokiError::Malformed(format!("result[{i}].values[{j}]: {what}"));
            let v = v.as_array().ok_or_else(|| bad("not an array"))?;
            let ts = v.first().and_then(Value::as_str).ok_or_else(|| bad("no timestamp string"))?;
            let ts = ts.parse::<i64>().map_err(|_| bad("timestamp is not nanoseconds"))?;
            let line = v.get(1).and_then(Value::as_str).ok_or_else(|| bad("no line string"))?.to_string();
            let metadata = match v.get(2) {
                // With `X-Loki-Response-Encoding-Flags: categorize-labels` the third element
                // separates structured metadata from parsed labels; otherwise it is flat.
                Some(Value::Object(m)) if m.contains_key("structuredMetadata") || m.contains_key("parsed") => {
                    let mut flat = Map::new();
                    for key in ["structuredMetadata", "parsed"] {
                        if let Some(Value::Object(inner)) = m.get(key) {
                            flat.extend(inner.clone());
                        }
                    }
                    flat
                }
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            };
            out.push(Entry { labels: labels.clone(), ts, line, metadata });
        }
    }
    out.sort_by(|a, b| a.ts.cmp(&b.ts).then_with(|| a.labels.cmp(&b.labels)).then_with(|| a.line.cmp(&b.line)));
    Ok(out)
}

/// Parses a `query_range` response body.
pub fn parse_query_response(body: &[u8]) -> Result<Vec<Entry>, LokiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| LokiError::Malformed(format!("not json: {e}")))?;
    if v.get("status").and_then(Value::as_str) != Some("success") {
        let msg =
            v.get("error").or_else(|| v.get("message")).and_then(Value::as_str).unwrap_or("status is not success");
        return Err(LokiError::Malformed(msg.to_string()));
    }
    let data = v.get("data").ok_or_else(|| LokiError::Malformed("no data".into()))?;
    match data.get("resultType").and_then(Value::as_str) {
        Some("streams") => parse_streams(data.get("result").unwrap_or(&Value::Null)),
        Some(other) => Err(LokiError::Malformed(format!(
            "result type {other}: the query is a metric query, use a log query such as {{job=\"x\"}}"
        ))),
        None => Err(LokiError::Malformed("no resultType".into())),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// One `GET /loki/api/v1/query_range` call.
pub async fn query_range(
    client: &reqwest::Client,
    cfg: &LokiConfig,
    query: &str,
    start: i64,
    end: i64,
    limit: usize,
    direction: Direction,
) -> Result<Vec<Entry>, LokiError> {
    let url = format!("{}/loki/api/v1/query_range", cfg.url.trim_end_matches('/'));
    let dir = match direction {
        Direction::Forward => "forward",
        Direction::Backward => "backward",
    };
    let mut req = client.get(url).query(&[
        ("query", query.to_string()),
        ("start", start.to_string()),
        ("end", end.to_string()),
        ("limit", limit.to_string()),
        ("direction", dir.to_string()),
    ]);
    if let Some(t) = &cfg.tenant {
        req = req.header("X-Scope-OrgID", t);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let asked = super::http::retry_after(resp.headers(), Utc::now());
    let body = resp.bytes().await?;
    if !status.is_success() {
        return Err(match status_error(status.as_u16(), &String::from_utf8_lossy(&body)) {
            LokiError::Status { status, message, .. } => LokiError::Status { status, message, retry_after: asked },
            other => other,
        });
    }
    parse_query_response(&body)
}

/// Turns entries into log records.
pub fn to_logs(entries: &[Entry], now: DateTime<Utc>) -> Vec<LogRecord> {
    let ctx = TsContext::utc(now);
    let mut resources: BTreeMap<*const BTreeMap<String, String>, Arc<Resource>> = BTreeMap::new();
    entries
        .iter()
        .map(|e| {
            let res = resources.entry(Arc::as_ptr(&e.labels)).or_insert_with(|| Arc::new(resource(&e.labels))).clone();
            to_log(e, res, &ctx)
        })
        .collect()
}

/// The resource of a stream, by Loki's and Promtail's label conventions.
pub fn resource(labels: &BTreeMap<String, String>) -> Resource {
    let pick = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k)).filter(|v| !v.is_empty()).cloned();
    let attrs: Map<String, Value> = labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let mut r = Resource::from_attributes(attrs);
    // Promtail's Kubernetes jobs are `namespace/app`.
    let job = labels.get("job").map(|j| j.rsplit('/').next().unwrap_or(j).to_string());
    r.service = pick(&["service_name", "service", "app", "application"]).or(job).map(|s| s.to_lowercase());
    r.region = pick(&["region", "cloud_region"]).or(r.region).map(|s| s.to_lowercase());
    r.host = pick(&["host", "hostname", "instance", "pod", "node_name"]).or(r.host).map(|s| s.to_lowercase());
    r
}

fn to_log(e: &Entry, res: Arc<Resource>, ctx: &TsContext) -> LogRecord {
    let timestamp = DateTime::<Utc>::from_timestamp_nanos(e.ts);
    let level_of = |m: &Map<String, Value>| {
        ["level", "detected_level", "severity"]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str).and_then(Severity::parse))
    };
    let label_level = ["level", "detected_level", "severity"]
        .iter()
        .find_map(|k| e.labels.get(*k).and_then(|v| Severity::parse(v)))
        .or_else(|| level_of(&e.metadata));
    let meta_str = |k: &str| e.metadata.get(k).and_then(Value::as_str).map(str::to_lowercase);
    let trimmed = e.line.trim_start();
    if trimmed.starts_with('{') {
        if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(trimmed) {
            let j = jsonlog::parse(obj, ctx);
            let mut attributes = j.attributes;
            for (k, v) in &e.metadata {
                attributes.entry(k.clone()).or_insert_with(|| v.clone());
            }
            let mut res = res;
            if (res.service.is_none() && j.service.is_some()) || (res.host.is_none() && j.host.is_some()) {
                let mut r = (*res).clone();
                r.service = r.service.or(j.service);
                r.host = r.host.or(j.host);
                r.region = r.region.or(j.region);
                res = Arc::new(r);
            }
            return LogRecord {
                id: e.id(),
                timestamp,
                severity: j.severity.or(label_level).unwrap_or(Severity::Unspecified),
                body: j.body.unwrap_or_else(|| e.line.clone()),
                time_span: None,
                resource: res,
                trace_id: j.trace_id.or_else(|| meta_str("trace_id")),
                span_id: j.span_id.or_else(|| meta_str("span_id")),
                attributes,
            };
        }
    }
    let text = TextParser::default().parse(ctx, &e.line);
    let severity = match text.severity {
        Severity::Unspecified => label_level.unwrap_or(Severity::Unspecified),
        s => s,
    };
    LogRecord {
        id: e.id(),
        timestamp,
        severity,
        body: e.line.clone(),
        time_span: text.time_span,
        resource: res,
        trace_id: meta_str("trace_id"),
        span_id: meta_str("span_id"),
        attributes: e.metadata.clone(),
    }
}

/// Fetches everything after `cursor` up to `end`, page by page, and moves the cursor.
/// At most `max_pages` pages, so one call stays bounded; `true` when more is waiting.
pub async fn fetch_after(
    client: &reqwest::Client,
    cfg: &LokiConfig,
    cursor: &mut Cursor,
    end: i64,
    max_pages: usize,
) -> Result<(Vec<Entry>, bool), LokiError> {
    let mut out = Vec::new();
    for _ in 0..max_pages.max(1) {
        if cursor.ts >= end {
            return Ok((out, false));
        }
        let page = query_range(client, cfg, &cfg.query, cursor.ts, end, cfg.limit, Direction::Forward).await?;
        let full = page.len() >= cfg.limit;
        let all_at_cursor = page.iter().all(|e| e.ts == cursor.ts);
        let fresh = cursor.advance(page);
        if fresh.is_empty() && full && all_at_cursor {
            // More entries share one nanosecond than a page holds: step past it rather than loop.
            tracing::warn!(ts = cursor.ts, "loki: more than {} entries at one timestamp; skipping the rest", cfg.limit);
            cursor.ts += 1;
            cursor.seen.clear();
            continue;
        }
        out.extend(fresh);
        if !full {
            return Ok((out, false));
        }
    }
    Ok((out, true))
}

/// Where to start: the saved cursor, or `lookback` before now on a first start.
fn resume(saved: Option<&str>, cfg: &LokiConfig) -> Result<Cursor, LokiError> {
    match saved {
        Some(c) => Cursor::parse(c),
        None => Ok(Cursor { ts: nanos(Utc::now()) - cfg.lookback.as_nanos() as i64, seen: Vec::new() }),
    }
}

/// Loki as a pull source: `query_range` paged forward from its cursor, up to `lag` before now.
pub struct LokiSource {
    client: reqwest::Client,
    cfg: LokiConfig,
    cursor: Cursor,
}

impl LokiSource {
    /// `cursor` is the one the collector saved for this source; without one, it starts `lookback` ago.
    pub fn new(client: reqwest::Client, cfg: LokiConfig, cursor: Option<&str>) -> Result<Self, LokiError> {
        let cursor = resume(cursor, &cfg)?;
        Ok(LokiSource { client, cfg, cursor })
    }

    pub fn options(&self) -> PullOptions {
        PullOptions::new(self.cfg.poll_interval, self.cfg.down_after)
    }
}

impl Source for LokiSource {
    type Error = LokiError;

    fn kind(&self) -> &'static str {
        "loki"
    }

    async fn fetch(&mut self) -> Result<Fetched, LokiError> {
        let end = nanos(Utc::now()) - self.cfg.lag.as_nanos() as i64;
        // Pages move a copy: a failure part-way leaves the cursor where it was, and the round is fetched again.
        let mut cursor = self.cursor.clone();
        let (entries, more) = fetch_after(&self.client, &self.cfg, &mut cursor, end, 10).await?;
        let moved = cursor != self.cursor;
        self.cursor = cursor;
        let signals = to_logs(&entries, Utc::now()).into_iter().map(crate::model::Signal::Log).collect();
        let mut fetched = Fetched::new(signals, moved.then(|| self.cursor.to_string()));
        fetched.more = more;
        Ok(fetched)
    }

    fn retry_after(e: &LokiError) -> Option<Duration> {
        match e {
            LokiError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Follows `cfg.query` by polling `query_range` until `shutdown` or the collector closes.
/// `cursor` is the one the collector saved for this source.
pub async fn poll(
    client: reqwest::Client,
    cfg: LokiConfig,
    source: String,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), LokiError> {
    let loki = LokiSource::new(client, cfg, cursor.as_deref())?;
    let opts = loki.options();
    pull::run(loki, &source, opts, &tx, shutdown).await;
    Ok(())
}

/// The WebSocket URL of `/loki/api/v1/tail` for `query`, starting at `start` (ns).
pub fn tail_url(cfg: &LokiConfig, start: i64) -> Result<String, LokiError> {
    let base = cfg.url.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        return Err(LokiError::Url(cfg.url.clone()));
    };
    let q: String = url_encode(&cfg.query);
    Ok(format!("{ws}/loki/api/v1/tail?query={q}&start={start}&limit={}", cfg.limit))
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Follows `cfg.query` over Loki's WebSocket tail, reconnecting from the cursor (Loki
/// replays from `start`, and the cursor drops what was already taken). Returns at
/// `shutdown` or when the collector closes.
pub async fn tail(
    cfg: LokiConfig,
    source: String,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), LokiError> {
    let mut cursor = resume(cursor.as_deref(), &cfg)?;
    // Paced and judged like the polling sources: the same health rules and backoff.
    let mut pacer = Pacer::new(&PullOptions::new(cfg.poll_interval, cfg.down_after));
    tokio::pin!(shutdown);
    loop {
        let result = tokio::select! {
            r = tail_once(&cfg, &source, &mut cursor, &tx, &mut pacer) => r,
            () = &mut shutdown => return Ok(()),
        };
        if tx.is_closed() {
            return Ok(());
        }
        let (err, retry_after) = match result {
            Ok(()) => ("loki closed the tail".to_string(), None),
            Err(e) => (e.to_string(), LokiSource::retry_after(&e)),
        };
        let step = pacer.after(Outcome::Failed { error: &err, retry_after }, Utc::now());
        tracing::warn!(source = %source, "{err}; reconnecting in {:?}", step.wait);
        if !report(&tx, &source, step.health).await {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(step.wait) => {}
            () = &mut shutdown => return Ok(()),
        }
    }
}

async fn tail_once(
    cfg: &LokiConfig,
    source: &str,
    cursor: &mut Cursor,
    tx: &mpsc::Sender<SourceEvent>,
    pacer: &mut Pacer,
) -> Result<(), LokiError> {
    let mut req = tail_url(cfg, cursor.ts)?.into_client_request().map_err(|e| LokiError::Tail(e.to_string()))?;
    let mut headers: Vec<(String, String)> = cfg.headers.clone();
    if let Some(t) = &cfg.tenant {
        headers.push(("X-Scope-OrgID".into(), t.clone()));
    }
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes()).map_err(|e| LokiError::Tail(format!("header {k}: {e}")))?;
        let value = HeaderValue::from_str(&v).map_err(|e| LokiError::Tail(format!("header {k}: {e}")))?;
        req.headers_mut().insert(name, value);
    }
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.map_err(|e| match e {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            let body = resp.body().as_ref().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            status_error(resp.status().as_u16(), &body)
        }
        other => LokiError::Tail(other.to_string()),
    })?;
    if !report(tx, source, pacer.after(Outcome::Ok { more: false }, Utc::now()).health).await {
        return Ok(());
    }
    while let Some(msg) = ws.next().await {
        let text = match msg.map_err(|e| LokiError::Tail(e.to_string()))? {
            WsMessage::Text(t) => t.to_string(),
            WsMessage::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
            WsMessage::Ping(p) => {
                #[allow(clippy::let_underscore_must_use, reason = "a lost pong shows up as the next read's error")]
                let _ = ws.send(WsMessage::Pong(p)).await;
                continue;
            }
            WsMessage::Close(_) => return Ok(()),
            _ => continue,
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| LokiError::Malformed(format!("tail message: {e}")))?;
        if let Some(dropped) = v.get("dropped_entries").and_then(Value::as_array).filter(|d| !d.is_empty()) {
            // Loki drops entries when the tail client falls behind; they are not resent.
            tracing::warn!(source, "loki tail dropped {} entries", dropped.len());
        }
        let entries = parse_streams(v.get("streams").unwrap_or(&Value::Array(Vec::new())))?;
        let fresh = cursor.advance(entries);
        if fresh.is_empty() {
            continue;
        }
        let batch = Batch {
            source: source.to_string(),
            signals: to_logs(&fresh, Utc::now()).into_iter().map(crate::model::Signal::Log).collect(),
            cursor: Some(cursor.to_string()),
            ack: None,
        };
        if tx.send(SourceEvent::Batch(batch)).await.is_err() {
            return Ok(());
        }
    }
    Ok(())
}

fn logql_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Translates a remote query into LogQL on top of the configured selector: the service
/// becomes a stream matcher, words and phrases case-insensitive line filters.
pub fn to_logql(cfg: &LokiConfig, q: &RemoteQuery) -> String {
    let base = cfg.query.trim();
    let (selector, pipeline) = match base.find('}') {
        Some(i) => (&base[..i], &base[i + 1..]),
        None => (base, ""),
    };
    let mut out = selector.to_string();
    if let Some(svc) = &q.service {
        let inner = selector.trim_start_matches('{').trim();
        if !inner.is_empty() {
            out.push_str(", ");
        }
        out.push_str(&format!("{}={}", cfg.service_label, logql_string(svc)));
    }
    out.push('}');
    out.push_str(pipeline);
    for t in q.terms() {
        out.push_str(&format!(" |~ {}", logql_string(&format!("(?i){}", regex_escape(t)))));
    }
    for t in &q.exclude {
        out.push_str(&format!(" !~ {}", logql_string(&format!("(?i){}", regex_escape(t)))));
    }
    out
}

/// `search --remote` against Loki: newest first, at most `q.limit` records.
pub async fn search(client: &reqwest::Client, cfg: &LokiConfig, q: &RemoteQuery) -> Result<Vec<LogRecord>, LokiError> {
    let now = Utc::now();
    let end = q.until.map_or_else(|| nanos(now), nanos);
    // Loki's own default window is the last hour.
    let start = q.since.map_or_else(|| end - 3_600_000_000_000, nanos);
    let logql = to_logql(cfg, q);
    let mut entries = query_range(client, cfg, &logql, start, end, q.limit.max(1), Direction::Backward).await?;
    entries.reverse();
    let mut logs = to_logs(&entries, now);
    if let Some(min) = q.min_severity {
        logs.retain(|l| l.severity >= min);
    }
    logs.truncate(q.limit);
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: i64, line: &str) -> Entry {
        let labels = Arc::new(BTreeMap::from([("job".to_string(), "shop/checkout".to_string())]));
        Entry { labels, ts, line: line.into(), metadata: Map::new() }
    }

    #[test]
    fn cursor_skips_entries_taken_at_the_boundary_only() {
        let mut c = Cursor { ts: 10, seen: vec![] };
        let got = c.advance(vec![entry(10, "a"), entry(11, "b"), entry(11, "c")]);
        assert_eq!(got.len(), 3);
        assert_eq!(c.ts, 11);
        assert_eq!(c.seen.len(), 2);
        let again = Cursor::parse(&c.to_string()).unwrap();
        assert_eq!(again, c);
        // The next page starts at 11 inclusive: b and c again, plus a new d at 11 and e at 12.
        let got = c.advance(vec![entry(11, "b"), entry(11, "c"), entry(11, "d"), entry(12, "e")]);
        let lines: Vec<_> = got.iter().map(|e| e.line.as_str()).collect();
        assert_eq!(lines, ["d", "e"]);
        assert_eq!(Cursor::parse("12").unwrap(), Cursor { ts: 12, seen: vec![] });
        assert!(Cursor::parse("x:1").is_err());
    }

    #[test]
    fn labels_and_lines_map_to_records() {
        let mut labels = BTreeMap::new();
        labels.insert("job".to_string(), "shop/Checkout".to_string());
        labels.insert("pod".to_string(), "checkout-7d9f".to_string());
        labels.insert("region".to_string(), "EU-West-1".to_string());
        let r = resource(&labels);
        assert_eq!(r.service.as_deref(), Some("checkout"));
        assert_eq!(r.host.as_deref(), Some("checkout-7d9f"));
        assert_eq!(r.region.as_deref(), Some("eu-west-1"));
        let e = Entry {
            labels: Arc::new(labels),
            ts: 1_763_650_992_000_000_000,
            line: r#"{"level":"error","msg":"payment failed","order":42}"#.into(),
            metadata: Map::from_iter([("trace_id".to_string(), Value::String("ABC123".into()))]),
        };
        let logs = to_logs(&[e.clone(), entry(1, "2026-11-20T10:00:00Z WARN slow query")], Utc::now());
        assert_eq!(logs[0].severity, Severity::Error);
        assert_eq!(logs[0].body, "payment failed");
        assert_eq!(logs[0].trace_id.as_deref(), Some("abc123"));
        assert_eq!(logs[0].attributes.get("order"), Some(&Value::from(42)));
        assert_eq!(logs[0].id, e.id());
        assert_eq!(logs[1].severity, Severity::Warn);
        assert_eq!(logs[1].time_span, Some((0, 20)));
    }

    #[test]
    fn remote_query_becomes_logql() {
        let cfg = LokiConfig { query: r#"{namespace="shop"} | json"#.into(), ..Default::default() };
        let q = RemoteQuery::parse(r#"timeout "conn reset (peer)" -health service:checkout"#, 10).unwrap();
        assert_eq!(
            to_logql(&cfg, &q),
            r#"{namespace="shop", service_name="checkout"} | json |~ "(?i)timeout" |~ "(?i)conn reset \\(peer\\)" !~ "(?i)health""#
        );
        let bare = LokiConfig { query: "{}".into(), ..Default::default() };
        assert_eq!(
            to_logql(&bare, &RemoteQuery { service: Some("a".into()), ..Default::default() }),
            r#"{service_name="a"}"#
        );
    }
}
