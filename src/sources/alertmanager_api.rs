//! Alertmanager API v2: a client (alerts, groups, silences, status) and the pull source task.
//!
//! Alertmanager lists only unresolved alerts: a resolved one simply disappears. The source
//! therefore remembers the active set (in its cursor, so across restarts too) and emits an
//! alert that vanished as `Resolved`, which ends its incident membership instead of leaving
//! it firing forever. Alertmanager keeps no alerts across its own restart (only silences),
//! so right after it restarted a vanished alert is held for [`SourceOptions::restart_grace`]
//! while senders such as Prometheus re-send it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::model::{Alert, AlertStatus, Signal};
use crate::sources::alertmanager::parse_alert;
use crate::sources::feed::SourceEvent;
use crate::sources::http::{join_url, send_reply, snippet, HttpError};
use crate::sources::pull::{self, Fetched, PullOptions, Source};

#[derive(Debug, thiserror::Error)]
pub enum AlertmanagerError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{url}: http {status}: {message}")]
    Api { url: String, status: u16, message: String, retry_after: Option<Duration> },
    #[error("{url}: unexpected response: {message}")]
    Decode { url: String, message: String },
    #[error("'{0}' is not a silence id")]
    SilenceId(String),
    #[error("invalid matcher '{0}': expected name=value, name!=value, name=~regex or name!~regex")]
    Matcher(String),
}

type Result<T> = std::result::Result<T, AlertmanagerError>;

/// Which alerts `GET /api/v2/alerts` returns. The default asks for all of them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFilter {
    pub active: bool,
    pub silenced: bool,
    pub inhibited: bool,
    pub unprocessed: bool,
    /// Label matchers in Alertmanager's syntax, e.g. `service="checkout"`.
    pub matchers: Vec<String>,
    pub receiver: Option<String>,
}

impl Default for AlertFilter {
    fn default() -> Self {
        AlertFilter {
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
            matchers: vec![],
            receiver: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertGroup {
    pub labels: BTreeMap<String, String>,
    pub receiver: String,
    pub alerts: Vec<Alert>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Matcher {
    pub name: String,
    pub value: String,
    pub is_regex: bool,
    #[serde(default = "yes")]
    pub is_equal: bool,
}

fn yes() -> bool {
    true
}

impl Matcher {
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Self {
        Matcher { name: name.into(), value: value.into(), is_regex: false, is_equal: true }
    }

    /// `name=value`, `name!=value`, `name=~regex`, `name!~regex`; the value may be quoted.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || AlertmanagerError::Matcher(text.to_string());
        let (at, op) = ["!=", "=~", "!~", "="]
            .iter()
            .filter_map(|op| text.find(op).map(|i| (i, *op)))
            .min_by_key(|(i, op)| (*i, std::cmp::Reverse(op.len())))
            .ok_or_else(bad)?;
        let name = text[..at].trim();
        let mut value = text[at + op.len()..].trim();
        if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
            value = &value[1..value.len() - 1];
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(bad());
        }
        Ok(Matcher {
            name: name.to_string(),
            value: value.to_string(),
            is_regex: op.contains('~'),
            is_equal: !op.starts_with('!'),
        })
    }
}

/// A silence to create.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSilence {
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub comment: String,
    pub status: SilenceStatus,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SilenceStatus {
    /// `active`, `pending` or `expired`.
    pub state: String,
}

/// An alert to post (`POST /api/v2/alerts`), as a sender such as Prometheus does.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

/// From `GET /api/v2/status`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerStatus {
    /// When this Alertmanager process started.
    pub uptime: DateTime<Utc>,
    pub version: String,
    pub cluster_status: String,
}

#[derive(Debug, Clone)]
pub struct AlertmanagerClient {
    http: reqwest::Client,
    base: String,
}

impl AlertmanagerClient {
    /// `base_url` is Alertmanager's external URL, route prefix included.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        AlertmanagerClient { http, base: base_url.into() }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /api/v2/alerts`. Silenced and inhibited alerts come back `Suppressed`. Malformed
    /// alerts are skipped with a warning rather than failing the whole list.
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<Alert>> {
        let mut query: Vec<(&str, String)> = vec![
            ("active", filter.active.to_string()),
            ("silenced", filter.silenced.to_string()),
            ("inhibited", filter.inhibited.to_string()),
            ("unprocessed", filter.unprocessed.to_string()),
        ];
        query.extend(filter.matchers.iter().map(|m| ("filter", m.clone())));
        if let Some(r) = &filter.receiver {
            query.push(("receiver", r.clone()));
        }
        let url = join_url(&self.base, "/api/v2/alerts");
        let v = self.json(&url, self.http.get(&url).query(&query)).await?;
        parse_alerts(&url, &v, Utc::now())
    }

    /// `GET /api/v2/alerts/groups`: alerts as the routing tree groups them.
    pub async fn alert_groups(&self) -> Result<Vec<AlertGroup>> {
        let url = join_url(&self.base, "/api/v2/alerts/groups");
        let v = self.json(&url, self.http.get(&url)).await?;
        let groups = v.as_array().ok_or_else(|| decode(&url, "expected an array of groups"))?;
        let now = Utc::now();
        groups
            .iter()
            .map(|g| {
                let labels = serde_json::from_value(g.get("labels").cloned().unwrap_or(Value::Null))
                    .map_err(|e| decode(&url, &format!("group labels: {e}")))?;
                let receiver = g.pointer("/receiver/name").and_then(Value::as_str).unwrap_or_default().to_string();
                let alerts = parse_alerts(&url, g.get("alerts").unwrap_or(&Value::Null), now)?;
                Ok(AlertGroup { labels, receiver, alerts })
            })
            .collect()
    }

    /// `POST /api/v2/alerts`.
    pub async fn post_alerts(&self, alerts: &[PostableAlert]) -> Result<()> {
        let url = join_url(&self.base, "/api/v2/alerts");
        self.call(&url, self.http.post(&url).json(alerts)).await.map(drop)
    }

    /// `POST /api/v2/silences`; returns the new silence's id.
    pub async fn create_silence(&self, silence: &NewSilence) -> Result<String> {
        let url = join_url(&self.base, "/api/v2/silences");
        let body = serde_json::json!({
            "matchers": silence.matchers,
            "startsAt": silence.starts_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "endsAt": silence.ends_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "createdBy": silence.created_by,
            "comment": silence.comment,
        });
        let v = self.json(&url, self.http.post(&url).json(&body)).await?;
        v.get("silenceID")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| decode(&url, "no silenceID in the reply"))
    }

    /// `DELETE /api/v2/silence/{id}`: expires the silence now.
    pub async fn expire_silence(&self, id: &str) -> Result<()> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(AlertmanagerError::SilenceId(id.to_string()));
        }
        let url = join_url(&self.base, &format!("/api/v2/silence/{id}"));
        self.call(&url, self.http.delete(&url)).await.map(drop)
    }

    /// `GET /api/v2/silences`, expired ones included (Alertmanager keeps them a while).
    pub async fn silences(&self) -> Result<Vec<Silence>> {
        let url = join_url(&self.base, "/api/v2/silences");
        let v = self.json(&url, self.http.get(&url)).await?;
        serde_json::from_value(v).map_err(|e| decode(&url, &e.to_string()))
    }

    /// `GET /api/v2/status`.
    pub async fn status(&self) -> Result<AlertmanagerStatus> {
        let url = join_url(&self.base, "/api/v2/status");
        let v = self.json(&url, self.http.get(&url)).await?;
        let uptime = v
            .get("uptime")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .ok_or_else(|| decode(&url, "no uptime in the status"))?
            .with_timezone(&Utc);
        Ok(AlertmanagerStatus {
            uptime,
            version: v.pointer("/versionInfo/version").and_then(Value::as_str).unwrap_or_default().to_string(),
            cluster_status: v.pointer("/cluster/status").and_then(Value::as_str).unwrap_or_default().to_string(),
        })
    }

    async fn call(&self, url: &str, req: reqwest::RequestBuilder) -> Result<Vec<u8>> {
        let reply = send_reply(url, req).await?;
        let (status, body) = (reply.status, reply.body);
        if !status.is_success() {
            // Alertmanager answers errors with a JSON string or {"message": ...}.
            let message = match serde_json::from_slice::<Value>(&body) {
                Ok(Value::String(s)) => s,
                Ok(v) => v.get("message").and_then(Value::as_str).map_or_else(|| snippet(&body), str::to_string),
                Err(_) => snippet(&body),
            };
            let retry_after = reply.retry_after;
            return Err(AlertmanagerError::Api { url: url.to_string(), status: status.as_u16(), message, retry_after });
        }
        Ok(body)
    }

    async fn json(&self, url: &str, req: reqwest::RequestBuilder) -> Result<Value> {
        let body = self.call(url, req).await?;
        serde_json::from_slice(&body).map_err(|e| decode(url, &format!("{e}: {}", snippet(&body))))
    }
}

fn decode(url: &str, message: &str) -> AlertmanagerError {
    AlertmanagerError::Decode { url: url.to_string(), message: message.to_string() }
}

fn parse_alerts(url: &str, v: &Value, now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let items = v.as_array().ok_or_else(|| decode(url, "expected an array of alerts"))?;
    Ok(items
        .iter()
        .filter_map(|a| match parse_alert(a, now) {
            Ok(alert) => Some(alert),
            Err(e) => {
                tracing::warn!(url, error = %e, "skipping a malformed alert");
                None
            }
        })
        .collect())
}

/// The alerts a source has reported as active, by fingerprint: what lets it notice that an
/// alert went away. Serialized as the source's cursor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActiveSet {
    #[serde(default)]
    pub active: BTreeMap<String, Alert>,
    /// Firings already reported resolved, for as long as the backend still lists them, so
    /// they are not reported again on every poll.
    #[serde(default)]
    pub resolved: BTreeSet<(String, DateTime<Utc>)>,
}

impl ActiveSet {
    /// An unreadable cursor starts afresh: re-sending every alert is harmless (alerts are
    /// stored by fingerprint and start), only resolutions missed meanwhile are lost.
    pub fn from_cursor(cursor: Option<&str>) -> Self {
        super::feed::cursor_from_json(cursor, "alert")
    }

    pub fn to_cursor(&self) -> String {
        super::feed::cursor_to_json(self)
    }

    /// Fingerprints active before that `current` no longer lists.
    pub fn vanished(&self, current: &[Alert]) -> Vec<String> {
        let now: BTreeSet<&str> = current.iter().map(|a| a.fingerprint.as_str()).collect();
        self.active.keys().filter(|fp| !now.contains(fp.as_str())).cloned().collect()
    }

    /// Takes the backend's full current list and returns what to emit: new firings, changes
    /// a user would notice (status, labels, annotations), and resolutions. With
    /// Fingerprints in `hold` stay active for now even when missing from `current`.
    pub fn update(&mut self, current: Vec<Alert>, now: DateTime<Utc>, hold: &BTreeSet<String>) -> Vec<Alert> {
        let mut out = Vec::new();
        let vanished: Vec<String> = self.vanished(&current).into_iter().filter(|fp| !hold.contains(fp)).collect();
        let listed: BTreeSet<(String, DateTime<Utc>)> =
            current.iter().map(|a| (a.fingerprint.clone(), a.starts_at)).collect();
        for alert in current {
            let key = (alert.fingerprint.clone(), alert.starts_at);
            let previous = self.active.remove(&alert.fingerprint);
            if let Some(prev) = &previous {
                if prev.starts_at != alert.starts_at {
                    // A new firing of the same alert: the earlier one is over.
                    out.push(resolved(prev, Some(alert.starts_at.min(now)), now));
                }
            }
            if alert.status == AlertStatus::Resolved {
                if !self.resolved.contains(&key) {
                    self.resolved.insert(key);
                    out.push(alert);
                }
                continue;
            }
            let same_firing = previous.as_ref().filter(|p| p.starts_at == alert.starts_at);
            match same_firing {
                Some(prev) if !noticeable_change(prev, &alert) => {
                    // Keep the reported version, but track endsAt for a later auto-resolve.
                    let mut kept = prev.clone();
                    kept.ends_at = alert.ends_at;
                    self.active.insert(alert.fingerprint.clone(), kept);
                }
                _ => {
                    self.resolved.remove(&key);
                    self.active.insert(alert.fingerprint.clone(), alert.clone());
                    out.push(alert);
                }
            }
        }
        for fp in vanished {
            if let Some(prev) = self.active.remove(&fp) {
                // Its endsAt if that passed (Alertmanager resolved it by timeout), else now.
                let ends = prev.ends_at.filter(|e| *e <= now);
                out.push(resolved(&prev, ends, now));
            }
        }
        self.resolved.retain(|k| listed.contains(k));
        out
    }
}

fn noticeable_change(a: &Alert, b: &Alert) -> bool {
    a.status != b.status || a.labels != b.labels || a.annotations != b.annotations || a.generator_url != b.generator_url
}

fn resolved(alert: &Alert, ends_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Alert {
    let mut a = alert.clone();
    a.status = AlertStatus::Resolved;
    a.ends_at = Some(ends_at.unwrap_or(now));
    // The store keeps the newest update of a firing: this one must win over the last seen.
    a.updated_at = Some(now.max(alert.updated_at.unwrap_or(now)));
    a
}

/// How the source task polls and reports.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceOptions {
    pub interval: Duration,
    /// After Alertmanager (re)started, how long a vanished alert waits for its sender to
    /// re-send it before it counts as resolved. Prometheus re-sends every
    /// `--rules.alert.resend-delay` (1m by default).
    pub restart_grace: Duration,
    pub down_after_failures: u32,
    pub down_after: Duration,
}

impl SourceOptions {
    pub fn new(interval: Duration) -> Self {
        SourceOptions {
            interval,
            restart_grace: Duration::from_secs(120),
            down_after_failures: 5,
            down_after: Duration::from_secs(60),
        }
    }

    /// Pacing and health: retries from about a second, capped near a few intervals.
    pub fn pull(&self) -> PullOptions {
        PullOptions::alerting(self.interval, self.down_after_failures, self.down_after)
    }
}

/// Alertmanager as a pull source: the active set (its cursor) against `GET /api/v2/alerts`.
pub struct AlertmanagerSource {
    client: AlertmanagerClient,
    opts: SourceOptions,
    set: ActiveSet,
    guard: RestartGuard,
}

impl AlertmanagerSource {
    pub fn new(client: AlertmanagerClient, opts: SourceOptions, cursor: Option<&str>) -> Self {
        AlertmanagerSource { client, opts, set: ActiveSet::from_cursor(cursor), guard: RestartGuard::default() }
    }
}

impl Source for AlertmanagerSource {
    type Error = AlertmanagerError;

    fn kind(&self) -> &'static str {
        "alertmanager"
    }

    async fn fetch(&mut self) -> Result<Fetched> {
        let changed = poll(&self.client, &mut self.set, &mut self.guard, &self.opts).await?;
        // The set moves every round (each listing pushes endsAt on); it is saved with what it changed.
        let cursor = (!changed.is_empty()).then(|| self.set.to_cursor());
        Ok(Fetched::new(changed.into_iter().map(Signal::Alert).collect(), cursor))
    }

    fn retry_after(e: &AlertmanagerError) -> Option<Duration> {
        match e {
            AlertmanagerError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The pull source: polls `GET /api/v2/alerts` every `interval` and sends what changed.
/// Runs until the collector drops its receiver.
pub async fn run(
    client: AlertmanagerClient,
    name: String,
    interval: Duration,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
) {
    run_with(client, name, SourceOptions::new(interval), cursor, tx).await;
}

/// [`run`] with all its options; runs until the collector drops its receiver.
pub async fn run_with(
    client: AlertmanagerClient,
    name: String,
    opts: SourceOptions,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
) {
    run_until(client, name, opts, cursor, tx, std::future::pending()).await;
}

/// [`run_with`] that also stops at `shutdown`.
pub async fn run_until(
    client: AlertmanagerClient,
    name: String,
    opts: SourceOptions,
    cursor: Option<String>,
    tx: mpsc::Sender<SourceEvent>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let pace = opts.pull();
    let source = AlertmanagerSource::new(client, opts, cursor.as_deref());
    pull::run(source, &name, pace, &tx, shutdown).await;
}

/// Tells alerts lost by an Alertmanager restart from resolved ones. Within the grace period
/// after Alertmanager started, an alert that vanished is held unless this Alertmanager
/// instance listed it since: then it was re-sent, and its disappearance is a resolution.
#[derive(Debug, Clone, Default)]
pub struct RestartGuard {
    started: Option<DateTime<Utc>>,
    confirmed: BTreeSet<String>,
}

impl RestartGuard {
    /// `started`: the start time Alertmanager reported right after listing `current`.
    /// Returns the vanished fingerprints to hold.
    pub fn observe(
        &mut self,
        started: DateTime<Utc>,
        current: &[Alert],
        vanished: &[String],
        now: DateTime<Utc>,
        grace: Duration,
    ) -> BTreeSet<String> {
        let in_grace = (now - started).to_std().unwrap_or_default() < grace;
        if self.started != Some(started) {
            self.started = Some(started);
            self.confirmed.clear();
        }
        if !in_grace {
            self.confirmed.clear();
            return BTreeSet::new();
        }
        // (A restart between listing and asking for the status could confirm an alert the
        // old instance listed; the window is one round trip, the cost an early resolution.)
        self.confirmed.extend(current.iter().map(|a| a.fingerprint.clone()));
        vanished.iter().filter(|fp| !self.confirmed.contains(*fp)).cloned().collect()
    }
}

async fn poll(
    client: &AlertmanagerClient,
    set: &mut ActiveSet,
    guard: &mut RestartGuard,
    opts: &SourceOptions,
) -> Result<Vec<Alert>> {
    let current = client.alerts(&AlertFilter::default()).await?;
    let mut hold = BTreeSet::new();
    // With nothing listed and nothing tracked there is nothing a restart could have lost.
    if !opts.restart_grace.is_zero() && (!set.active.is_empty() || !current.is_empty()) {
        let started = client.status().await?.uptime;
        let vanished = set.vanished(&current);
        hold = guard.observe(started, &current, &vanished, Utc::now(), opts.restart_grace);
        if !hold.is_empty() {
            tracing::info!(held = hold.len(), "alertmanager restarted recently: waiting for senders to re-send");
        }
    }
    Ok(set.update(current, Utc::now(), &hold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alertmanager_fingerprint;

    fn alert(name: &str, start: i64, status: AlertStatus) -> Alert {
        let labels: BTreeMap<String, String> =
            [("alertname".to_string(), name.to_string()), ("service".to_string(), "checkout".to_string())].into();
        let mut a = Alert {
            fingerprint: alertmanager_fingerprint(&labels),
            alertname: String::new(),
            status,
            starts_at: DateTime::from_timestamp(start, 0).unwrap(),
            ends_at: Some(DateTime::from_timestamp(start + 300, 0).unwrap()),
            updated_at: Some(DateTime::from_timestamp(start, 0).unwrap()),
            labels,
            annotations: BTreeMap::new(),
            generator_url: None,
            service: None,
            region: None,
            instance: None,
        };
        a.lift_labels();
        a
    }

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    #[test]
    fn new_changed_vanished_and_refired() {
        let none = BTreeSet::new();
        let mut set = ActiveSet::default();
        let a = alert("A", 1000, AlertStatus::Firing);
        let b = alert("B", 1000, AlertStatus::Firing);
        assert_eq!(set.update(vec![a.clone(), b.clone()], at(1010), &none).len(), 2);
        // Nothing new: nothing to emit, even though endsAt moved.
        let mut a2 = a.clone();
        a2.ends_at = Some(at(2000));
        assert!(set.update(vec![a2.clone(), b.clone()], at(1020), &none).is_empty());
        // Silenced: a change a user sees.
        let mut a3 = a2.clone();
        a3.status = AlertStatus::Suppressed;
        let out = set.update(vec![a3.clone(), b.clone()], at(1030), &none);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].status, AlertStatus::Suppressed);
        // B vanished: resolved now, since its endsAt (1300) is still ahead.
        let out = set.update(vec![a3.clone()], at(1040), &none);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].fingerprint.as_str(), out[0].status), (b.fingerprint.as_str(), AlertStatus::Resolved));
        assert_eq!(out[0].ends_at, Some(at(1040)));
        assert!(set.update(vec![a3.clone()], at(1050), &none).is_empty());
        // A fires anew: the old firing resolves at the new start.
        let a_new = alert("A", 3000, AlertStatus::Firing);
        let out = set.update(vec![a_new.clone()], at(3001), &none);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].starts_at, out[0].status, out[0].ends_at),
            (at(1000), AlertStatus::Resolved, Some(at(3000)))
        );
        assert_eq!((out[1].starts_at, out[1].status), (at(3000), AlertStatus::Firing));
        // Vanished after its endsAt passed: it ended at its endsAt.
        let out = set.update(vec![], at(9000), &none);
        assert_eq!(out[0].ends_at, Some(at(3300)));
        assert!(out[0].updated_at >= Some(at(9000)));
    }

    #[test]
    fn held_alerts_survive_a_restart_and_the_cursor() {
        let none = BTreeSet::new();
        let mut set = ActiveSet::default();
        let a = alert("A", 1000, AlertStatus::Firing);
        let hold = BTreeSet::from([a.fingerprint.clone()]);
        set.update(vec![a.clone()], at(1001), &none);
        assert!(set.update(vec![], at(1002), &hold).is_empty());
        let mut set = ActiveSet::from_cursor(Some(&set.to_cursor()));
        assert!(set.update(vec![a.clone()], at(1003), &none).is_empty());
        assert_eq!(set.update(vec![], at(1004), &none)[0].status, AlertStatus::Resolved);
        assert_eq!(ActiveSet::from_cursor(Some("garbage")), ActiveSet::default());
    }

    #[test]
    fn listed_resolved_alerts_are_emitted_once() {
        let none = BTreeSet::new();
        let mut set = ActiveSet::default();
        let a = alert("A", 1000, AlertStatus::Firing);
        set.update(vec![a.clone()], at(1001), &none);
        let mut r = a.clone();
        r.status = AlertStatus::Resolved;
        assert_eq!(set.update(vec![r.clone()], at(1002), &none).len(), 1);
        assert!(set.update(vec![r.clone()], at(1003), &none).is_empty());
        assert!(set.update(vec![], at(1004), &none).is_empty());
        assert!(set.resolved.is_empty());
    }

    #[test]
    fn restart_guard_holds_only_alerts_the_new_instance_has_not_listed() {
        let grace = Duration::from_secs(120);
        let a = alert("A", 1000, AlertStatus::Firing);
        let b = alert("B", 1000, AlertStatus::Firing);
        let (fa, fb) = (a.fingerprint.clone(), b.fingerprint.clone());
        let mut g = RestartGuard::default();
        // Long-running Alertmanager: nothing is held.
        assert!(g.observe(at(0), std::slice::from_ref(&a), std::slice::from_ref(&fb), at(5000), grace).is_empty());
        // It restarted at 6000 and lists nothing yet: both are held.
        let held = g.observe(at(6000), &[], &[fa.clone(), fb.clone()], at(6001), grace);
        assert_eq!(held, BTreeSet::from([fa.clone(), fb.clone()]));
        // A is re-sent; then it goes away again: a real resolution, while B is still held.
        assert!(g.observe(at(6000), std::slice::from_ref(&a), std::slice::from_ref(&fb), at(6002), grace).len() == 1);
        let held = g.observe(at(6000), &[], &[fa.clone(), fb.clone()], at(6003), grace);
        assert_eq!(held, BTreeSet::from([fb.clone()]));
        // After the grace period B resolves too.
        assert!(g.observe(at(6000), &[], std::slice::from_ref(&fb), at(6200), grace).is_empty());
    }

    #[test]
    fn matchers() {
        assert_eq!(Matcher::parse("alertname=Foo").unwrap(), Matcher::equal("alertname", "Foo"));
        let m = Matcher::parse("service!~\"check.*\"").unwrap();
        assert_eq!((m.value.as_str(), m.is_regex, m.is_equal), ("check.*", true, false));
        let m = Matcher::parse("a!=b").unwrap();
        assert_eq!((m.is_regex, m.is_equal), (false, false));
        let m = Matcher::parse("a=~b=c").unwrap();
        assert_eq!((m.value.as_str(), m.is_regex), ("b=c", true));
        assert!(Matcher::parse("novalue").is_err());
        assert!(Matcher::parse("=x").is_err());
    }

    #[test]
    fn silences_and_groups_decode() {
        let v = serde_json::json!([{
            "id": "5d2a8d8b-1b7f-4b0e-9e0e-2b1b7f4b0e9e", "status": {"state": "active"},
            "updatedAt": "2026-11-23T13:00:00.000Z", "comment": "deploy", "createdBy": "fw",
            "startsAt": "2026-11-23T13:00:00.000Z", "endsAt": "2026-11-23T14:00:00.000Z",
            "matchers": [{"name": "service", "value": "checkout", "isRegex": false, "isEqual": true}]
        }]);
        let s: Vec<Silence> = serde_json::from_value(v).unwrap();
        assert_eq!(s[0].status.state, "active");
        assert_eq!(s[0].matchers[0], Matcher::equal("service", "checkout"));
        let posted = serde_json::to_value(PostableAlert {
            labels: [("alertname".to_string(), "X".to_string())].into(),
            ends_at: Some(at(0)),
            ..PostableAlert::default()
        })
        .unwrap();
        assert_eq!(posted, serde_json::json!({"labels": {"alertname": "X"}, "endsAt": "1970-01-01T00:00:00Z"}));
        assert!(parse_alerts("u", &serde_json::json!({"x": 1}), at(0)).is_err());
        let list = serde_json::json!([{"labels": {}, "startsAt": "2026-11-23T13:00:00Z"},
            {"labels": {"alertname": "Y"}, "startsAt": "2026-11-23T13:00:00Z", "status": {"state": "active"}}]);
        // Received after the alerts started: an alert dated past the plausible window would be refused.
        assert_eq!(parse_alerts("u", &list, Utc::now()).unwrap().len(), 1);
    }
}
