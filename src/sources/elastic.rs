//! Elasticsearch and OpenSearch: `POST /{index}/_search` sorted by timestamp then a
//! tiebreaker, paged with `search_after`, and `search --remote` pushed down as query DSL.
//!
//! Field names are configurable (ECS defaults: `@timestamp`, `message`, `log.level`,
//! `service.name`, `host.name`, `trace.id`) and may be dotted paths into `_source`,
//! whether the document nests objects or uses dotted keys. The cursor is the last hit's
//! `sort` values as JSON. Record ids hash `_index` and `_id`, so refetching overwrites.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use super::feed::SourceEvent;
use super::pull::{self, Fetched, PullOptions, Source};
use super::remote::RemoteQuery;
use crate::model::{value_as_string, LogRecord, RecordId, Resource, Severity, Signal};

#[derive(Debug, thiserror::Error)]
pub enum ElasticError {
    #[error("elasticsearch request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("elasticsearch answered {status}: {kind}: {reason}")]
    Search { status: u16, kind: String, reason: String, retry_after: Option<Duration> },
    #[error("elasticsearch answered {status}: {body}")]
    Status { status: u16, body: String, retry_after: Option<Duration> },
    #[error("malformed elasticsearch response: {0}")]
    Malformed(String),
    #[error("elasticsearch search incomplete: {0}")]
    Partial(String),
    #[error("invalid elasticsearch cursor '{0}'")]
    Cursor(String),
}

/// Where each log field lives in `_source` (dotted paths).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMap {
    pub timestamp: String,
    pub message: String,
    pub level: String,
    pub service: String,
    pub host: String,
    pub region: String,
    pub trace_id: String,
    pub span_id: String,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            timestamp: "@timestamp".into(),
            message: "message".into(),
            level: "log.level".into(),
            service: "service.name".into(),
            host: "host.name".into(),
            region: "cloud.region".into(),
            trace_id: "trace.id".into(),
            span_id: "span.id".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ElasticConfig {
    /// e.g. `http://es:9200`.
    pub url: String,
    /// Index name, pattern or comma-separated list, e.g. `logs-*`.
    pub index: String,
    pub fields: FieldMap,
    /// The second sort key, which orders hits with the same timestamp. `_doc` works
    /// everywhere; a unique keyword field (e.g. `event.id`) is exact across shards.
    pub tiebreak: String,
    /// Extra query DSL the source follows (ANDed as a filter), e.g. `{"term": {"service.name": "checkout"}}`.
    pub filter: Option<Value>,
    pub page_size: usize,
    pub poll_interval: Duration,
    /// How far back the first poll starts when there is no cursor.
    pub lookback: Duration,
    /// Documents newer than this wait for the next poll: the index refresh makes new
    /// documents visible about a second late, and `search_after` never looks back.
    pub lag: Duration,
    pub down_after: Duration,
}

impl Default for ElasticConfig {
    fn default() -> Self {
        ElasticConfig {
            url: "http://127.0.0.1:9200".into(),
            index: "logs-*".into(),
            fields: FieldMap::default(),
            tiebreak: "_doc".into(),
            filter: None,
            page_size: 1000,
            poll_interval: Duration::from_secs(5),
            lookback: Duration::from_secs(3600),
            lag: Duration::from_secs(5),
            down_after: Duration::from_secs(60),
        }
    }
}

/// One hit: where it came from, its document and its sort values.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub index: String,
    pub id: String,
    pub source: Map<String, Value>,
    pub sort: Vec<Value>,
}

/// Looks `path` up in `obj`, as a literal dotted key or through nested objects.
pub fn lookup<'a>(obj: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = obj.get(path) {
        return Some(v);
    }
    let mut rest = path;
    // Try every split point, so `a.b.c` finds `{"a": {"b.c": 1}}` and `{"a.b": {"c": 1}}`.
    while let Some(i) = rest.find('.') {
        let consumed = path.len() - rest.len() + i;
        let (head, tail) = (&path[..consumed], &path[consumed + 1..]);
        if let Some(Value::Object(inner)) = obj.get(head) {
            if let Some(v) = lookup(inner, tail) {
                return Some(v);
            }
        }
        rest = &rest[i + 1..];
    }
    None
}

/// Removes `path` from `obj` (either spelling), dropping objects it leaves empty.
fn remove(obj: &mut Map<String, Value>, path: &str) {
    if obj.remove(path).is_some() {
        return;
    }
    if let Some((head, tail)) = path.split_once('.') {
        if let Some(Value::Object(inner)) = obj.get_mut(head) {
            remove(inner, tail);
            if inner.is_empty() {
                obj.remove(head);
            }
        }
    }
}

fn error_from(status: u16, body: &[u8]) -> ElasticError {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        if let Some(err) = v.get("error") {
            // `error` is an object with type and reason, or (old versions, proxies) a string.
            let kind = err.get("type").and_then(Value::as_str).unwrap_or("error").to_string();
            let mut reason = err
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| err.as_str().map(str::to_string).unwrap_or_else(|| err.to_string()));
            // Query parse errors put the useful part in the root cause or the caused_by chain.
            if let Some(cause) = err.get("caused_by").and_then(|c| c.get("reason")).and_then(Value::as_str) {
                reason = format!("{reason}: {cause}");
            }
            return ElasticError::Search { status, kind, reason, retry_after: None };
        }
    }
    let mut text = String::from_utf8_lossy(body).trim().to_string();
    if text.len() > 500 {
        let mut cut = 500;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    ElasticError::Status { status, body: if text.is_empty() { "empty body".into() } else { text }, retry_after: None }
}

/// Parses a `_search` response; shard failures and timeouts are errors, so a cursor
/// never moves past documents that were not searched.
pub fn parse_response(body: &[u8]) -> Result<Vec<Hit>, ElasticError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ElasticError::Malformed(format!("not json: {e}")))?;
    if v.get("timed_out").and_then(Value::as_bool) == Some(true) {
        return Err(ElasticError::Partial("the search timed out".into()));
    }
    if let Some(shards) = v.get("_shards") {
        let failed = shards.get("failed").and_then(Value::as_u64).unwrap_or(0);
        if failed > 0 {
            let reason = shards
                .get("failures")
                .and_then(|f| f.get(0))
                .and_then(|f| f.get("reason"))
                .and_then(|r| r.get("reason"))
                .and_then(Value::as_str)
                .unwrap_or("no reason given");
            return Err(ElasticError::Partial(format!("{failed} shard(s) failed: {reason}")));
        }
    }
    let hits = v
        .get("hits")
        .and_then(|h| h.get("hits"))
        .and_then(Value::as_array)
        .ok_or_else(|| ElasticError::Malformed("no hits.hits array".into()))?;
    hits.iter()
        .enumerate()
        .map(|(i, h)| {
            let bad = |what: &str| ElasticError::Malformed(format!("hits[{i}]: {what}"));
            Ok(Hit {
                index: h.get("_index").and_then(Value::as_str).ok_or_else(|| bad("no _index"))?.to_string(),
                id: h.get("_id").and_then(Value::as_str).ok_or_else(|| bad("no _id"))?.to_string(),
                source: match h.get("_source") {
                    Some(Value::Object(m)) => m.clone(),
                    None => Map::new(),
                    Some(_) => return Err(bad("_source is not an object")),
                },
                sort: h.get("sort").and_then(Value::as_array).cloned().unwrap_or_default(),
            })
        })
        .collect()
}

/// One `POST /{index}/_search`.
pub async fn search_raw(client: &reqwest::Client, cfg: &ElasticConfig, body: &Value) -> Result<Vec<Hit>, ElasticError> {
    let url = format!("{}/{}/_search", cfg.url.trim_end_matches('/'), cfg.index);
    let resp = client.post(url).json(body).send().await?;
    let status = resp.status();
    let asked = super::http::retry_after(resp.headers(), Utc::now());
    let bytes = resp.bytes().await?;
    if !status.is_success() {
        return Err(match error_from(status.as_u16(), &bytes) {
            ElasticError::Search { status, kind, reason, .. } => {
                ElasticError::Search { status, kind, reason, retry_after: asked }
            }
            ElasticError::Status { status, body, .. } => ElasticError::Status { status, body, retry_after: asked },
            other => other,
        });
    }
    parse_response(&bytes)
}

/// A hit's time: RFC 3339, or an epoch number read as the file ingest reads one (its unit from its magnitude,
/// and only inside the plausible window).
fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    let epoch = |n: f64| super::timestamp::epoch_number(n, Utc::now());
    match v {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| s.parse::<f64>().ok().and_then(epoch)),
        Value::Number(n) => n.as_f64().and_then(epoch),
        _ => None,
    }
}

/// Turns a hit into a log record by the field map.
pub fn to_log(h: &Hit, f: &FieldMap, now: DateTime<Utc>) -> LogRecord {
    let get = |p: &str| lookup(&h.source, p).and_then(value_as_string).filter(|s| !s.is_empty());
    let timestamp =
        lookup(&h.source, &f.timestamp).and_then(time_of).or_else(|| h.sort.first().and_then(time_of)).unwrap_or(now);
    let severity = match lookup(&h.source, &f.level) {
        Some(Value::Number(n)) => n.as_i64().map(Severity::from_level_number),
        Some(Value::String(s)) => Severity::parse(s),
        _ => None,
    }
    .unwrap_or(Severity::Unspecified);
    let body = match lookup(&h.source, &f.message) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => Value::Object(h.source.clone()).to_string(),
    };
    let mut resource = Resource {
        service: get(&f.service).map(|s| s.to_lowercase()),
        host: get(&f.host).map(|s| s.to_lowercase()),
        region: get(&f.region).map(|s| s.to_lowercase()),
        ..Resource::default()
    };
    for (k, v) in
        [("service.name", &resource.service), ("host.name", &resource.host), ("cloud.region", &resource.region)]
    {
        if let Some(v) = v {
            resource.attributes.insert(k.into(), Value::String(v.clone()));
        }
    }
    let (trace_id, span_id) = (get(&f.trace_id).map(|s| s.to_lowercase()), get(&f.span_id).map(|s| s.to_lowercase()));
    let mut attributes = h.source.clone();
    for p in [&f.timestamp, &f.message, &f.level, &f.service, &f.host, &f.region, &f.trace_id, &f.span_id] {
        remove(&mut attributes, p);
    }
    attributes.insert("_index".into(), Value::String(h.index.clone()));
    LogRecord {
        id: RecordId::of(&[b"elastic", h.index.as_bytes(), h.id.as_bytes()]),
        timestamp,
        severity,
        body,
        time_span: None,
        resource: Arc::new(resource),
        trace_id,
        span_id,
        attributes,
    }
}

/// The `_search` body of one page of the followed documents.
pub fn page_body(cfg: &ElasticConfig, after: Option<&[Value]>, start_ms: i64, end_ms: i64) -> Value {
    let mut range = Map::new();
    if after.is_none() {
        range.insert("gte".into(), json!(start_ms));
    }
    range.insert("lte".into(), json!(end_ms));
    range.insert("format".into(), json!("epoch_millis"));
    let mut filter = vec![json!({"range": {cfg.fields.timestamp.clone(): range}})];
    if let Some(f) = &cfg.filter {
        filter.push(f.clone());
    }
    let mut body = json!({
        "size": cfg.page_size,
        "track_total_hits": false,
        "sort": [{cfg.fields.timestamp.clone(): {"order": "asc"}}, {cfg.tiebreak.clone(): {"order": "asc"}}],
        "query": {"bool": {"filter": filter}},
    });
    if let (Some(after), Some(obj)) = (after, body.as_object_mut()) {
        obj.insert("search_after".into(), Value::Array(after.to_vec()));
    }
    body
}

pub fn parse_cursor(s: &str) -> Result<Vec<Value>, ElasticError> {
    match serde_json::from_str::<Value>(s) {
        Ok(Value::Array(a)) if !a.is_empty() => Ok(a),
        _ => Err(ElasticError::Cursor(s.to_string())),
    }
}

/// Fetches up to `max_pages` pages after `cursor` and moves the cursor; `true` when more is waiting.
pub async fn fetch_after(
    client: &reqwest::Client,
    cfg: &ElasticConfig,
    cursor: &mut Option<Vec<Value>>,
    start_ms: i64,
    end_ms: i64,
    max_pages: usize,
) -> Result<(Vec<Hit>, bool), ElasticError> {
    let mut out = Vec::new();
    for _ in 0..max_pages.max(1) {
        let body = page_body(cfg, cursor.as_deref(), start_ms, end_ms);
        let hits = search_raw(client, cfg, &body).await?;
        let full = hits.len() >= cfg.page_size;
        if let Some(last) = hits.last() {
            if last.sort.is_empty() {
                return Err(ElasticError::Malformed("hits carry no sort values".into()));
            }
            *cursor = Some(last.sort.clone());
        }
        out.extend(hits);
        if !full {
            return Ok((out, false));
        }
    }
    Ok((out, true))
}

/// Elasticsearch as a pull source: `search_after` pages from its cursor, up to `lag` before now.
pub struct ElasticSource {
    client: reqwest::Client,
    cfg: ElasticConfig,
    cursor: Option<Vec<Value>>,
    /// A first start reads from here; later pages go by the cursor.
    start_ms: i64,
}

impl ElasticSource {
    /// `cursor` is the one the collector saved for this source.
    pub fn new(client: reqwest::Client, cfg: ElasticConfig, cursor: Option<&str>) -> Result<Self, ElasticError> {
        let cursor = cursor.map(parse_cursor).transpose()?;
        let start_ms = Utc::now().timestamp_millis() - cfg.lookback.as_millis() as i64;
        Ok(ElasticSource { client, cfg, cursor, start_ms })
    }

    pub fn options(&self) -> PullOptions {
        PullOptions::new(self.cfg.poll_interval, self.cfg.down_after)
    }
}

impl Source for ElasticSource {
    type Error = ElasticError;

    fn kind(&self) -> &'static str {
        "elasticsearch"
    }

    async fn fetch(&mut self) -> Result<Fetched, ElasticError> {
        let end_ms = Utc::now().timestamp_millis() - self.cfg.lag.as_millis() as i64;
        // Pages move a copy: a failure part-way leaves the cursor where it was, and the round is fetched again.
        let mut cursor = self.cursor.clone();
        let (hits, more) = fetch_after(&self.client, &self.cfg, &mut cursor, self.start_ms, end_ms, 10).await?;
        let moved = cursor != self.cursor;
        self.cursor = cursor;
        let now = Utc::now();
        let signals = hits.iter().map(|h| Signal::Log(to_log(h, &self.cfg.fields, now))).collect();
        let saved = self.cursor.as_ref().filter(|_| moved).map(|c| Value::Array(c.clone()).to_string());
        let mut fetched = Fetched::new(signals, saved);
        fetched.more = more;
        Ok(fetched)
    }

    fn retry_after(e: &ElasticError) -> Option<Duration> {
        match e {
            ElasticError::Search { retry_after, .. } | ElasticError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Follows the index by polling until `shutdown` or the collector closes.
pub async fn poll(
    client: reqwest::Client,
    cfg: ElasticConfig,
    source: String,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ElasticError> {
    let es = ElasticSource::new(client, cfg, cursor.as_deref())?;
    let opts = es.options();
    pull::run(es, &source, opts, &tx, shutdown).await;
    Ok(())
}

/// The `_search` body for `search --remote`: words and phrases must match the message,
/// the service matches case-insensitively, newest first.
pub fn search_body(cfg: &ElasticConfig, q: &RemoteQuery) -> Value {
    let f = &cfg.fields;
    let mut must = Vec::new();
    for w in &q.words {
        must.push(json!({"match": {f.message.clone(): {"query": w, "operator": "and"}}}));
    }
    for p in &q.phrases {
        must.push(json!({"match_phrase": {f.message.clone(): p}}));
    }
    let must_not: Vec<Value> = q.exclude.iter().map(|x| json!({"match_phrase": {f.message.clone(): x}})).collect();
    let mut filter = Vec::new();
    if q.since.is_some() || q.until.is_some() {
        let mut range = Map::new();
        if let Some(s) = q.since {
            range.insert("gte".into(), json!(s.timestamp_millis()));
        }
        if let Some(u) = q.until {
            range.insert("lte".into(), json!(u.timestamp_millis()));
        }
        range.insert("format".into(), json!("epoch_millis"));
        filter.push(json!({"range": {f.timestamp.clone(): range}}));
    }
    if let Some(svc) = &q.service {
        // A keyword field keeps the original case; a text field is analyzed: accept either.
        filter.push(json!({"bool": {"should": [
            {"term": {f.service.clone(): {"value": svc, "case_insensitive": true}}},
            {"match_phrase": {f.service.clone(): svc}}
        ], "minimum_should_match": 1}}));
    }
    if let Some(extra) = &cfg.filter {
        filter.push(extra.clone());
    }
    json!({
        "size": q.limit.max(1),
        "track_total_hits": false,
        "sort": [{f.timestamp.clone(): {"order": "desc"}}, {cfg.tiebreak.clone(): {"order": "desc"}}],
        "query": {"bool": {"must": must, "must_not": must_not, "filter": filter}},
    })
}

/// `search --remote` against Elasticsearch/OpenSearch: newest first, at most `q.limit`.
pub async fn search(
    client: &reqwest::Client,
    cfg: &ElasticConfig,
    q: &RemoteQuery,
) -> Result<Vec<LogRecord>, ElasticError> {
    let hits = search_raw(client, cfg, &search_body(cfg, q)).await?;
    let now = Utc::now();
    let mut logs: Vec<LogRecord> = hits.iter().map(|h| to_log(h, &cfg.fields, now)).collect();
    if let Some(min) = q.min_severity {
        logs.retain(|l| l.severity >= min);
    }
    Ok(logs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_find_nested_and_flat_fields() {
        let src: Map<String, Value> = serde_json::from_str(
            r#"{"service":{"name":"Checkout"},"log.level":"WARN","trace":{"id":"ABC"},"a":{"b.c":1},"message":"slow"}"#,
        )
        .unwrap();
        assert_eq!(lookup(&src, "service.name"), Some(&json!("Checkout")));
        assert_eq!(lookup(&src, "log.level"), Some(&json!("WARN")));
        assert_eq!(lookup(&src, "a.b.c"), Some(&json!(1)));
        assert_eq!(lookup(&src, "x.y"), None);
        let hit = Hit { index: "logs-1".into(), id: "x1".into(), source: src, sort: vec![json!(1763650992000i64)] };
        let log = to_log(&hit, &FieldMap::default(), Utc::now());
        assert_eq!(log.resource.service.as_deref(), Some("checkout"));
        assert_eq!(log.severity, Severity::Warn);
        assert_eq!(log.trace_id.as_deref(), Some("abc"));
        assert_eq!(log.timestamp.timestamp_millis(), 1_763_650_992_000);
        assert_eq!(log.body, "slow");
        assert!(!log.attributes.contains_key("service") && !log.attributes.contains_key("trace"));
        assert_eq!(log.attributes.get("a"), Some(&json!({"b.c": 1})));
    }

    #[test]
    fn errors_read_the_error_json() {
        let e = error_from(
            404,
            br#"{"error":{"root_cause":[],"type":"index_not_found_exception","reason":"no such index [nope]"},"status":404}"#,
        );
        assert_eq!(e.to_string(), "elasticsearch answered 404: index_not_found_exception: no such index [nope]");
        let e = error_from(502, b"<html>bad gateway</html>");
        assert_eq!(e.to_string(), "elasticsearch answered 502: <html>bad gateway</html>");
    }

    #[test]
    fn remote_query_becomes_query_dsl() {
        let cfg = ElasticConfig::default();
        let q = RemoteQuery::parse(r#"timeout "connection reset" -health service:checkout"#, 20).unwrap();
        let b = search_body(&cfg, &q);
        assert_eq!(b["size"], 20);
        assert_eq!(b["sort"][0]["@timestamp"]["order"], "desc");
        assert_eq!(b["query"]["bool"]["must"][0]["match"]["message"]["query"], "timeout");
        assert_eq!(b["query"]["bool"]["must"][1]["match_phrase"]["message"], "connection reset");
        assert_eq!(b["query"]["bool"]["must_not"][0]["match_phrase"]["message"], "health");
        let svc = &b["query"]["bool"]["filter"][0]["bool"]["should"][0]["term"]["service.name"];
        assert_eq!(svc["value"], "checkout");
    }
}
