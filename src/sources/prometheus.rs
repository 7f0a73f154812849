//! Prometheus HTTP API: a client (`/api/v1/alerts`, `/api/v1/rules`, `query_range`) and the
//! pull source task.
//!
//! The source emits firing alerts of alerting rules, shaped as Alertmanager would show them
//! (same fingerprint and `startsAt`, so a team that also pulls Alertmanager gets one row per
//! firing, not two), and the points of configured range queries. Pending alerts (inside their
//! `for`) are not signals: nothing has fired yet and Alertmanager never sees them; the client
//! API exposes them as [`RuleAlertState::Pending`] for panes that want to show what is about
//! to fire.
//!
//! Range queries resume from the cursor: each query remembers the last evaluation time it
//! fetched, and the next fetch starts one step later on the same step-aligned grid, so a
//! restart leaves neither a gap nor an overlap.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::model::{alertmanager_fingerprint, Alert, AlertStatus, MetricKind, MetricPoint, Signal};
use crate::sources::alertmanager_api::ActiveSet;
use crate::sources::backoff::report;
use crate::sources::feed::SourceEvent;
use crate::sources::http::{join_url, send_reply, snippet, HttpError};
use crate::sources::pull::{self, Fetched, PullOptions, Source};

/// Prometheus refuses a range query of more than 11,000 points per series; stay below.
const MAX_POINTS: i64 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// Prometheus' own error reply: `{"status":"error","errorType":...,"error":...}`.
    #[error("{url}: {error_type}: {message}")]
    Api { url: String, status: u16, error_type: String, message: String, retry_after: Option<Duration> },
    #[error("{url}: http {status}: {body}")]
    Status { url: String, status: u16, body: String, retry_after: Option<Duration> },
    #[error("{url}: unexpected response: {message}")]
    Decode { url: String, message: String },
    #[error("query {name}: {source}")]
    Query { name: String, source: Box<PrometheusError> },
    #[error("query {name}: {message}")]
    Config { name: String, message: String },
}

type Result<T> = std::result::Result<T, PrometheusError>;

impl PrometheusError {
    /// How long the server asked to be left alone, for an error reply that said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PrometheusError::Api { retry_after, .. } | PrometheusError::Status { retry_after, .. } => *retry_after,
            PrometheusError::Query { source, .. } => source.retry_after(),
            _ => None,
        }
    }

    fn with_retry_after(mut self, asked: Option<Duration>) -> Self {
        if let PrometheusError::Api { retry_after, .. } | PrometheusError::Status { retry_after, .. } = &mut self {
            *retry_after = asked;
        }
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAlertState {
    Pending,
    Firing,
}

/// An active alert of an alerting rule. `alert.status` is `Firing` for both states:
/// read `state` to tell a pending one.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleAlert {
    pub state: RuleAlertState,
    /// When the rule's expression started returning this series.
    pub active_at: DateTime<Utc>,
    pub value: f64,
    pub alert: Alert,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertingRule {
    pub name: String,
    pub query: String,
    /// The rule's `for`.
    pub duration: Duration,
    /// `inactive`, `pending` or `firing`.
    pub state: String,
    /// `ok`, `err` or `unknown`.
    pub health: String,
    pub last_error: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub alerts: Vec<RuleAlert>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    pub file: String,
    pub interval: Duration,
    pub rules: Vec<AlertingRule>,
}

/// One series of a range query.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub values: Vec<(DateTime<Utc>, f64)>,
}

/// A range query the source runs every poll; its points are named `name`.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    pub name: String,
    pub expr: String,
    pub step: Duration,
}

#[derive(Debug, Clone)]
pub struct PrometheusClient {
    http: reqwest::Client,
    base: String,
}

impl PrometheusClient {
    /// `base_url` is Prometheus' external URL, route prefix included.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        PrometheusClient { http, base: base_url.into() }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /api/v1/alerts`: every pending and firing alert. Alertmanager's `startsAt` is
    /// not known here (no rule `for`); [`PrometheusClient::rules`] gives it.
    pub async fn alerts(&self) -> Result<Vec<RuleAlert>> {
        let url = join_url(&self.base, "/api/v1/alerts");
        let data = self.get(&url, &[]).await?;
        let items = data.get("alerts").and_then(Value::as_array).ok_or_else(|| decode(&url, "no alerts array"))?;
        items.iter().map(|a| rule_alert(&url, a, None)).collect()
    }

    /// `GET /api/v1/rules?type=alert`: alerting rules with their active alerts, whose
    /// `startsAt` is set as Prometheus sends it to Alertmanager.
    pub async fn rules(&self) -> Result<Vec<RuleGroup>> {
        let url = join_url(&self.base, "/api/v1/rules");
        let data = self.get(&url, &[("type", "alert".to_string())]).await?;
        let groups = data.get("groups").and_then(Value::as_array).ok_or_else(|| decode(&url, "no groups array"))?;
        groups.iter().map(|g| rule_group(&url, g, &self.base)).collect()
    }

    /// `GET /api/v1/query_range`. `start` and `end` are inclusive evaluation times.
    pub async fn query_range(
        &self,
        expr: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        step: Duration,
    ) -> Result<Vec<Series>> {
        let url = join_url(&self.base, "/api/v1/query_range");
        let params = [
            ("query", expr.to_string()),
            ("start", unix_seconds(start)),
            ("end", unix_seconds(end)),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        let data = self.get(&url, &params).await?;
        match data.get("resultType").and_then(Value::as_str) {
            Some("matrix") => {}
            other => return Err(decode(&url, &format!("resultType {other:?}, expected matrix"))),
        }
        let result = data.get("result").and_then(Value::as_array).ok_or_else(|| decode(&url, "no result array"))?;
        result.iter().map(|s| series(&url, s)).collect()
    }

    /// A GET whose reply is Prometheus' envelope; returns its `data`.
    async fn get(&self, url: &str, params: &[(&str, String)]) -> Result<Value> {
        let reply = send_reply(url, self.http.get(url).query(params)).await?;
        parse_envelope(url, reply.status.as_u16(), &reply.body).map_err(|e| e.with_retry_after(reply.retry_after))
    }
}

/// Prometheus' reply envelope: `data` on success; `errorType`/`error` on failure, which
/// comes with 400 (bad_data), 422 (execution), 503 (timeout, unavailable) and others.
pub fn parse_envelope(url: &str, status: u16, body: &[u8]) -> Result<Value> {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) if !(200..300).contains(&status) => {
            return Err(PrometheusError::Status {
                url: url.to_string(),
                status,
                body: snippet(body),
                retry_after: None,
            })
        }
        Err(e) => return Err(decode(url, &format!("{e}: {}", snippet(body)))),
    };
    match v.get("status").and_then(Value::as_str) {
        Some("success") if (200..300).contains(&status) => {
            if let Some(w) = v.get("warnings").and_then(Value::as_array).filter(|w| !w.is_empty()) {
                tracing::warn!(url, warnings = ?w, "prometheus warnings");
            }
            v.get("data").cloned().ok_or_else(|| decode(url, "no data in a success reply"))
        }
        Some("error") => Err(PrometheusError::Api {
            url: url.to_string(),
            status,
            error_type: v.get("errorType").and_then(Value::as_str).unwrap_or("unknown").to_string(),
            message: v.get("error").and_then(Value::as_str).unwrap_or_default().to_string(),
            retry_after: None,
        }),
        _ if !(200..300).contains(&status) => {
            Err(PrometheusError::Status { url: url.to_string(), status, body: snippet(body), retry_after: None })
        }
        _ => Err(decode(url, &format!("no status in the reply: {}", snippet(body)))),
    }
}

fn decode(url: &str, message: &str) -> PrometheusError {
    PrometheusError::Decode { url: url.to_string(), message: message.to_string() }
}

fn unix_seconds(t: DateTime<Utc>) -> String {
    format!("{}.{:03}", t.timestamp(), t.timestamp_subsec_millis())
}

fn string_map(url: &str, v: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>> {
    match v {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| decode(url, &format!("{what}: {e}"))),
    }
}

fn parse_time(url: &str, v: Option<&Value>, what: &str) -> Result<DateTime<Utc>> {
    let s = v.and_then(Value::as_str).ok_or_else(|| decode(url, &format!("no {what}")))?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| decode(url, &format!("{what} '{s}': {e}")))
}

/// Prometheus writes sample values as strings, with `NaN`, `+Inf` and `-Inf`.
fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

fn truncate_to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// `fired_at`: when the alert fired, if known (see [`rule_group`]); else `activeAt`.
fn rule_alert(url: &str, v: &Value, fired_at: Option<&dyn Fn(DateTime<Utc>) -> DateTime<Utc>>) -> Result<RuleAlert> {
    let labels = string_map(url, v.get("labels"), "labels")?;
    let annotations = string_map(url, v.get("annotations"), "annotations")?;
    let active_at = parse_time(url, v.get("activeAt"), "activeAt")?;
    let state = match v.get("state").and_then(Value::as_str) {
        Some("firing") => RuleAlertState::Firing,
        Some("pending") => RuleAlertState::Pending,
        other => return Err(decode(url, &format!("alert state {other:?}"))),
    };
    let value = v.get("value").and_then(Value::as_str).and_then(parse_value).unwrap_or(f64::NAN);
    let starts = match (state, fired_at) {
        (RuleAlertState::Firing, Some(f)) => f(active_at),
        _ => active_at,
    };
    let mut alert = Alert {
        fingerprint: alertmanager_fingerprint(&labels),
        alertname: String::new(),
        status: AlertStatus::Firing,
        // Alertmanager keeps milliseconds: the same precision keeps (fingerprint, startsAt) equal.
        starts_at: truncate_to_millis(starts),
        ends_at: None,
        updated_at: None,
        labels,
        annotations,
        generator_url: None,
        service: None,
        region: None,
        instance: None,
    };
    alert.lift_labels();
    Ok(RuleAlert { state, active_at, value, alert })
}

fn rule_group(url: &str, g: &Value, base: &str) -> Result<RuleGroup> {
    let interval = Duration::from_secs_f64(g.get("interval").and_then(Value::as_f64).unwrap_or(0.0).max(0.0));
    let mut rules = Vec::new();
    for r in g.get("rules").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        if r.get("type").and_then(Value::as_str) != Some("alerting") {
            continue;
        }
        let duration = Duration::from_secs_f64(r.get("duration").and_then(Value::as_f64).unwrap_or(0.0).max(0.0));
        let query = r.get("query").and_then(Value::as_str).unwrap_or_default().to_string();
        // The rule fires at the first evaluation at least `for` after activeAt; evaluations
        // run on the group's interval grid, so that is activeAt + ceil(for / interval) ticks.
        let fired_at = |active: DateTime<Utc>| {
            if duration.is_zero() || interval.is_zero() {
                return active;
            }
            let ticks = (duration.as_nanos()).div_ceil(interval.as_nanos());
            let after = interval.as_nanos().saturating_mul(ticks);
            active + chrono::Duration::nanoseconds(i64::try_from(after).unwrap_or(i64::MAX))
        };
        let generator_url = format!("{}/graph?g0.expr={}&g0.tab=1", base.trim_end_matches('/'), query_escape(&query));
        let alerts = r
            .get("alerts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|a| {
                let mut ra = rule_alert(url, a, Some(&fired_at))?;
                ra.alert.generator_url = Some(generator_url.clone());
                Ok(ra)
            })
            .collect::<Result<Vec<_>>>()?;
        rules.push(AlertingRule {
            name: r.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
            query,
            duration,
            state: r.get("state").and_then(Value::as_str).unwrap_or_default().to_string(),
            health: r.get("health").and_then(Value::as_str).unwrap_or_default().to_string(),
            last_error: r.get("lastError").and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string),
            labels: string_map(url, r.get("labels"), "rule labels")?,
            annotations: string_map(url, r.get("annotations"), "rule annotations")?,
            alerts,
        });
    }
    Ok(RuleGroup {
        name: g.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        file: g.get("file").and_then(Value::as_str).unwrap_or_default().to_string(),
        interval,
        rules,
    })
}

/// Go's `url.QueryEscape`, which Prometheus uses for the generator URL.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn series(url: &str, s: &Value) -> Result<Series> {
    let labels = string_map(url, s.get("metric"), "metric")?;
    let values = s
        .get("values")
        .and_then(Value::as_array)
        .ok_or_else(|| decode(url, "series without values"))?
        .iter()
        .map(|pair| {
            let ts = pair.get(0).and_then(Value::as_f64);
            let v = pair.get(1).and_then(Value::as_str).and_then(parse_value);
            match (ts, v) {
                (Some(ts), Some(v)) => DateTime::from_timestamp_millis((ts * 1000.0).round() as i64)
                    .map(|t| (t, v))
                    .ok_or_else(|| decode(url, &format!("timestamp {ts} out of range"))),
                _ => Err(decode(url, &format!("bad sample {pair}"))),
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Series { labels, values })
}

/// Series labels plus `service`, `region` and `host` lifted the way alert labels are.
pub fn lift_series_labels(mut labels: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let pick = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).filter(|v| !v.is_empty()).cloned());
    let service = crate::model::service_label_in(&labels, None).map(|(_, s)| s);
    let region = crate::model::region_label(&labels).map(|(_, r)| r);
    let host = pick(&["host", "instance", "pod", "node"]);
    if let Some(s) = service {
        labels.insert("service".into(), s);
    }
    if let Some(r) = region {
        labels.insert("region".into(), r);
    }
    if let Some(h) = host {
        labels.insert("host".into(), h);
    }
    labels
}

/// Points of one range query's series, named after the query.
pub fn series_points(name: &str, series: Vec<Series>) -> Vec<MetricPoint> {
    let mut out = Vec::new();
    for s in series {
        let labels = lift_series_labels(s.labels);
        out.extend(s.values.into_iter().map(|(timestamp, value)| MetricPoint {
            name: name.to_string(),
            unit: String::new(),
            kind: MetricKind::Gauge,
            timestamp,
            value,
            count: None,
            sum: None,
            labels: labels.clone(),
        }));
    }
    out
}

/// What the source resumes from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PromCursor {
    #[serde(default)]
    pub alerts: ActiveSet,
    /// Per query name: the last evaluation time fetched, in Unix milliseconds.
    #[serde(default)]
    pub queries: BTreeMap<String, i64>,
}

impl PromCursor {
    pub fn from_cursor(cursor: Option<&str>) -> Self {
        super::feed::cursor_from_json(cursor, "prometheus")
    }

    pub fn to_cursor(&self) -> String {
        super::feed::cursor_to_json(self)
    }

    /// The next window of `q` as inclusive, step-aligned evaluation times, or `None` when
    /// no new step has settled yet. A first run starts `backfill` ago.
    pub fn window(
        &self,
        q: &RangeQuery,
        now: DateTime<Utc>,
        settle: Duration,
        backfill: Duration,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let step = i64::try_from(q.step.as_millis()).ok().filter(|s| *s > 0)?;
        let settle = i64::try_from(settle.as_millis()).unwrap_or(0);
        let backfill = i64::try_from(backfill.as_millis()).unwrap_or(0);
        let now = now.timestamp_millis();
        let start = match self.queries.get(&q.name) {
            Some(last) => last + step,
            None => now - backfill,
        };
        let start = start.div_euclid(step) * step + if start.rem_euclid(step) == 0 { 0 } else { step };
        let end = (now - settle).div_euclid(step) * step;
        let end = end.min(start + (MAX_POINTS - 1) * step);
        if end < start {
            return None;
        }
        Some((DateTime::from_timestamp_millis(start)?, DateTime::from_timestamp_millis(end)?))
    }
}

/// What the Prometheus source pulls, and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct PromSourceOptions {
    pub interval: Duration,
    /// Emit firing alerts of alerting rules (turn off when Alertmanager is pulled too and
    /// only metrics are wanted from Prometheus).
    pub alerts: bool,
    pub queries: Vec<RangeQuery>,
    /// How far back range queries start on their first run.
    pub backfill: Duration,
    /// How long after an evaluation time its data is considered complete (scrapes land late).
    pub settle: Duration,
    pub down_after_failures: u32,
    pub down_after: Duration,
}

impl PromSourceOptions {
    pub fn new(interval: Duration, queries: Vec<RangeQuery>) -> Self {
        PromSourceOptions {
            interval,
            alerts: true,
            queries,
            backfill: Duration::from_secs(15 * 60),
            settle: Duration::from_secs(5),
            down_after_failures: 5,
            down_after: Duration::from_secs(60),
        }
    }

    /// Pacing and health: retries from about a second, capped near a few intervals.
    pub fn pull(&self) -> PullOptions {
        PullOptions::alerting(self.interval, self.down_after_failures, self.down_after)
    }

    /// Rejects queries that cannot run: empty names or expressions, zero steps, duplicates.
    pub fn validate(&self) -> Result<()> {
        let mut seen = BTreeSet::new();
        for q in &self.queries {
            let bad = |m: &str| PrometheusError::Config { name: q.name.clone(), message: m.to_string() };
            if q.name.is_empty() {
                return Err(bad("name is empty"));
            }
            if q.expr.trim().is_empty() {
                return Err(bad("expr is empty"));
            }
            if q.step.as_millis() == 0 {
                return Err(bad("step must be at least 1ms"));
            }
            if !seen.insert(&q.name) {
                return Err(bad("two queries have this name"));
            }
        }
        Ok(())
    }
}

/// One poll's outcome: what to emit, and the errors of the parts that failed.
struct Poll {
    signals: Vec<Signal>,
    errors: Vec<PrometheusError>,
    parts: usize,
}

async fn poll(client: &PrometheusClient, cursor: &mut PromCursor, opts: &PromSourceOptions) -> Poll {
    let mut out = Poll { signals: Vec::new(), errors: Vec::new(), parts: 0 };
    if opts.alerts {
        out.parts += 1;
        match client.rules().await {
            Ok(groups) => {
                let firing = groups
                    .into_iter()
                    .flat_map(|g| g.rules)
                    .flat_map(|r| r.alerts)
                    .filter(|a| a.state == RuleAlertState::Firing)
                    .map(|a| a.alert)
                    .collect();
                let changed = cursor.alerts.update(firing, Utc::now(), &BTreeSet::new());
                out.signals.extend(changed.into_iter().map(Signal::Alert));
            }
            Err(e) => out.errors.push(e),
        }
    }
    for q in &opts.queries {
        let Some((start, end)) = cursor.window(q, Utc::now(), opts.settle, opts.backfill) else { continue };
        out.parts += 1;
        match client.query_range(&q.expr, start, end, q.step).await {
            Ok(series) => {
                out.signals.extend(series_points(&q.name, series).into_iter().map(Signal::Metric));
                cursor.queries.insert(q.name.clone(), end.timestamp_millis());
            }
            Err(e) => out.errors.push(PrometheusError::Query { name: q.name.clone(), source: Box::new(e) }),
        }
    }
    out
}

/// Every part of a round failed; each says why.
#[derive(Debug)]
pub struct PollErrors(Vec<PrometheusError>);

impl std::fmt::Display for PollErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    }
}

/// Prometheus as a pull source: rule alerts and range queries, resumed from a [`PromCursor`].
pub struct PrometheusSource {
    client: PrometheusClient,
    opts: PromSourceOptions,
    state: PromCursor,
}

impl PrometheusSource {
    pub fn new(client: PrometheusClient, opts: PromSourceOptions, cursor: Option<&str>) -> Self {
        PrometheusSource { client, opts, state: PromCursor::from_cursor(cursor) }
    }
}

impl Source for PrometheusSource {
    type Error = PollErrors;

    fn kind(&self) -> &'static str {
        "prometheus"
    }

    async fn fetch(&mut self) -> std::result::Result<Fetched, PollErrors> {
        let before = self.state.clone();
        let Poll { signals, errors, parts } = poll(&self.client, &mut self.state, &self.opts).await;
        // A window that brought no points still moves the cursor: saved, so a restart does not ask again.
        let cursor = (!signals.is_empty() || self.state != before).then(|| self.state.to_cursor());
        if !errors.is_empty() && errors.len() == parts {
            return Err(PollErrors(errors));
        }
        let mut fetched = Fetched::new(signals, cursor);
        fetched.partial = (!errors.is_empty()).then(|| PollErrors(errors).to_string());
        Ok(fetched)
    }

    fn retry_after(e: &PollErrors) -> Option<Duration> {
        e.0.iter().filter_map(PrometheusError::retry_after).max()
    }
}

/// The pull source: every `interval`, firing alerts and new range-query points. Runs until
/// the collector drops its receiver.
pub async fn run(
    client: PrometheusClient,
    name: String,
    opts: PromSourceOptions,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
) {
    run_until(client, name, opts, cursor, tx, std::future::pending()).await;
}

/// [`run`] that also stops at `shutdown`.
pub async fn run_until(
    client: PrometheusClient,
    name: String,
    opts: PromSourceOptions,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    if let Err(e) = opts.validate() {
        // A config error never heals by retrying: report the source down and stop.
        report(&tx, &name, Some(super::feed::Health::Down { since: Utc::now(), error: e.to_string() })).await;
        return;
    }
    let pace = opts.pull();
    let source = PrometheusSource::new(client, opts, cursor.as_deref());
    pull::run(source, &name, pace, &tx, shutdown).await;
}

/// RFC 3339 with milliseconds, as Prometheus and Alertmanager write times.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(step_s: u64) -> RangeQuery {
        RangeQuery { name: "up".into(), expr: "up".into(), step: Duration::from_secs(step_s) }
    }

    #[test]
    fn error_envelopes() {
        let body =
            br#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:4: parse error"}"#;
        let e = parse_envelope("http://p/api/v1/query_range", 400, body).unwrap_err();
        assert_eq!(
            e.to_string(),
            "http://p/api/v1/query_range: bad_data: invalid parameter \"query\": 1:4: parse error"
        );
        let e = parse_envelope("u", 502, b"<html>bad gateway</html>").unwrap_err();
        assert!(matches!(e, PrometheusError::Status { status: 502, .. }), "{e}");
        assert!(parse_envelope("u", 200, b"{}").is_err());
        let ok = parse_envelope("u", 200, br#"{"status":"success","data":{"x":1},"warnings":["w"]}"#).unwrap();
        assert_eq!(ok, serde_json::json!({"x": 1}));
    }

    #[test]
    fn rules_give_alertmanager_starts_and_skip_nothing() {
        let data = serde_json::json!({"groups": [{"name": "g", "file": "r.yml", "interval": 2, "rules": [
            {"type": "alerting", "name": "Slow", "query": "rate(x[1m]) > 1", "duration": 5, "state": "firing",
             "health": "ok", "labels": {"severity": "page"}, "annotations": {},
             "alerts": [{"labels": {"alertname": "Slow", "job": "Checkout", "instance": "h1:9100"}, "annotations": {"summary": "s"},
                         "state": "firing", "activeAt": "2026-11-23T13:41:20.981084248Z", "value": "1e+00"},
                        {"labels": {"alertname": "Slow", "job": "cart"}, "state": "pending",
                         "activeAt": "2026-11-23T13:41:20.981084248Z", "value": "NaN"}]},
            {"type": "recording", "name": "r", "query": "x"}]}]});
        let g = rule_group("u", &data["groups"][0], "http://127.0.0.1:9090/").unwrap();
        assert_eq!(g.rules.len(), 1);
        let r = &g.rules[0];
        assert_eq!(r.duration, Duration::from_secs(5));
        let firing = &r.alerts[0];
        assert_eq!(firing.state, RuleAlertState::Firing);
        // for 5s on a 2s grid fires on the third tick, 6s after activeAt; milliseconds kept.
        assert_eq!(rfc3339(firing.alert.starts_at), "2026-11-23T13:41:26.981Z");
        assert_eq!(firing.alert.service.as_deref(), Some("checkout"));
        assert_eq!(firing.alert.fingerprint, alertmanager_fingerprint(&firing.alert.labels));
        assert_eq!(
            firing.alert.generator_url.as_deref(),
            Some("http://127.0.0.1:9090/graph?g0.expr=rate%28x%5B1m%5D%29+%3E+1&g0.tab=1")
        );
        let pending = &r.alerts[1];
        assert_eq!(pending.state, RuleAlertState::Pending);
        assert_eq!(rfc3339(pending.alert.starts_at), "2026-11-23T13:41:20.981Z");
        assert!(pending.value.is_nan());
    }

    #[test]
    fn matrix_to_points() {
        let v = serde_json::json!({"metric": {"__name__": "up", "job": "Prometheus", "instance": "127.0.0.1:9090", "region": "EU-1"},
                                    "values": [[1700000000, "1"], [1700000002.5, "+Inf"]]});
        let s = series("u", &v).unwrap();
        let points = series_points("up", vec![s]);
        assert_eq!(points.len(), 2);
        assert_eq!(points[0].timestamp.timestamp(), 1_700_000_000);
        assert_eq!(points[1].timestamp.timestamp_subsec_millis(), 500);
        assert!(points[1].value.is_infinite());
        let l = &points[0].labels;
        assert_eq!(
            (l["service"].as_str(), l["region"].as_str(), l["host"].as_str()),
            ("prometheus", "eu-1", "127.0.0.1:9090")
        );
        assert_eq!(l["__name__"], "up");
        assert!(series("u", &serde_json::json!({"metric": {}, "values": [[1, 2]]})).is_err());
    }

    #[test]
    fn windows_are_aligned_and_resume_without_overlap() {
        let now = DateTime::from_timestamp(1_700_000_101, 0).unwrap();
        let mut c = PromCursor::default();
        let (s, e) = c.window(&q(10), now, Duration::from_secs(5), Duration::from_secs(60)).unwrap();
        assert_eq!((s.timestamp(), e.timestamp()), (1_700_000_050, 1_700_000_090));
        c.queries.insert("up".into(), e.timestamp_millis());
        // Nothing settled yet.
        assert!(c.window(&q(10), now, Duration::from_secs(5), Duration::from_secs(60)).is_none());
        let later = now + chrono::Duration::seconds(30);
        let (s2, e2) = c.window(&q(10), later, Duration::from_secs(5), Duration::from_secs(60)).unwrap();
        assert_eq!((s2.timestamp(), e2.timestamp()), (1_700_000_100, 1_700_000_120));
        // The cursor survives serialization; a long outage is fetched in bounded chunks.
        let c = PromCursor::from_cursor(Some(&c.to_cursor()));
        let (s3, e3) = c.window(&q(1), later + chrono::Duration::days(1), Duration::ZERO, Duration::ZERO).unwrap();
        assert_eq!(s3.timestamp(), 1_700_000_091);
        assert_eq!(e3.timestamp() - s3.timestamp(), MAX_POINTS - 1);
        assert_eq!(PromCursor::from_cursor(Some("{bad")), PromCursor::default());
    }

    #[test]
    fn options_validate() {
        let mut o = PromSourceOptions::new(Duration::from_secs(15), vec![q(10), q(10)]);
        assert!(o.validate().unwrap_err().to_string().contains("two queries"));
        o.queries = vec![RangeQuery { name: "x".into(), expr: " ".into(), step: Duration::from_secs(1) }];
        assert!(o.validate().is_err());
        o.queries = vec![q(1)];
        assert!(o.validate().is_ok());
    }
}
