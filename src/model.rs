//! The normalized signal model every source produces and every later stage reads.
//!
//! Names follow OpenTelemetry: resource attributes (`service.name`, `cloud.region`,
//! `host.name`, `service.version`, `deployment.environment`) are lifted into typed
//! fields; Alertmanager labels (`service`, `region`, `instance`) map onto the same ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A 128-bit id derived from a record's source and content, so re-ingesting the same
/// data yields the same id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub u128);

impl RecordId {
    pub fn of(parts: &[&[u8]]) -> Self {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for p in parts {
            h.update(&(p.len() as u64).to_le_bytes());
            h.update(p);
        }
        RecordId(h.digest128())
    }
}

impl RecordId {
    /// Reads the 32 hex digits `Display` writes.
    pub fn from_hex(text: &str) -> Option<Self> {
        u128::from_str_radix(text, 16).ok().map(RecordId)
    }
}

/// Serialized as its hex text, as the JSON output has always carried it.
impl Serialize for RecordId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for RecordId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

/// OpenTelemetry severity ranges (SeverityNumber 1-24), collapsed to their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unspecified,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Severity {
    pub fn from_number(n: i64) -> Self {
        match n {
            1..=4 => Severity::Trace,
            5..=8 => Severity::Debug,
            9..=12 => Severity::Info,
            13..=16 => Severity::Warn,
            17..=20 => Severity::Error,
            21..=24 => Severity::Fatal,
            _ => Severity::Unspecified,
        }
    }

    /// The first number of the OpenTelemetry range, 0 when unspecified.
    pub fn number(self) -> u64 {
        match self {
            Severity::Unspecified => 0,
            Severity::Trace => 1,
            Severity::Debug => 5,
            Severity::Info => 9,
            Severity::Warn => 13,
            Severity::Error => 17,
            Severity::Fatal => 21,
        }
    }

    /// Recognizes the level words and abbreviations used by common loggers.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        let s = if t.len() <= 16 {
            t.to_ascii_lowercase()
        } else {
            return None;
        };
        Some(match s.as_str() {
            "trace" | "trc" | "finest" | "finer" | "v" | "verbose" => Severity::Trace,
            "debug" | "dbg" | "fine" | "d" | "config" => Severity::Debug,
            "info" | "information" | "informational" | "inf" | "i" | "notice" | "ok" => Severity::Info,
            "warn" | "warning" | "wrn" | "w" => Severity::Warn,
            "error" | "err" | "e" | "severe" | "failure" | "fail" | "failed" => Severity::Error,
            "fatal" | "critical" | "crit" | "alert" | "emerg" | "emergency" | "panic" | "f" | "a" => Severity::Fatal,
            _ => return None,
        })
    }

    /// Numeric levels of pino/bunyan (10..60) and OpenTelemetry (1..24).
    pub fn from_level_number(n: i64) -> Self {
        match n {
            10 => Severity::Trace,
            20 => Severity::Debug,
            30 => Severity::Info,
            40 => Severity::Warn,
            50 => Severity::Error,
            60 => Severity::Fatal,
            other => Severity::from_number(other),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unspecified => "unspecified",
            Severity::Trace => "trace",
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
        }
    }

    /// An alert's `severity` label read in the same vocabulary as log levels, with the
    /// two words only alerts use (`page`, `high`). Alerts rank no lower than info: a
    /// missing or unknown label is info.
    pub fn of_alert(label: &str) -> Self {
        let sev = match label.trim().to_ascii_lowercase().as_str() {
            "page" => Severity::Fatal,
            "high" => Severity::Error,
            other => Severity::parse(other).unwrap_or(Severity::Info),
        };
        sev.max(Severity::Info)
    }

    /// The word an alert's severity is shown with: critical, error, warning or info.
    pub fn alert_word(self) -> &'static str {
        match self {
            Severity::Fatal => "critical",
            Severity::Error => "error",
            Severity::Warn => "warning",
            _ => "info",
        }
    }

    /// The OpenTelemetry `severityText` spelling.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Unspecified => "",
            Severity::Trace => "TRACE",
            Severity::Debug => "DEBUG",
            Severity::Info => "INFO",
            Severity::Warn => "WARN",
            Severity::Error => "ERROR",
            Severity::Fatal => "FATAL",
        }
    }
}

/// Where a signal came from, in OpenTelemetry resource terms. Shared by every record
/// of one OTLP resource, hence `Arc` in the records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub service: Option<String>,
    pub region: Option<String>,
    pub host: Option<String>,
    pub version: Option<String>,
    pub environment: Option<String>,
    /// Every resource attribute, by its OpenTelemetry name, including the lifted ones.
    pub attributes: Map<String, Value>,
}

impl Resource {
    /// Lifts the well-known attributes out of an OpenTelemetry attribute map.
    pub fn from_attributes(attributes: Map<String, Value>) -> Self {
        let get = |keys: &[&str]| {
            keys.iter().find_map(|k| attributes.get(*k).and_then(value_as_string)).filter(|s| !s.is_empty())
        };
        Resource {
            service: get(&["service.name"]).map(|s| s.to_lowercase()),
            region: get(&["cloud.region", "region"]).map(|s| s.to_lowercase()),
            host: get(&["host.name", "k8s.pod.name", "host.id"]).map(|s| s.to_lowercase()),
            version: get(&["service.version"]),
            environment: get(&["deployment.environment.name", "deployment.environment"]),
            attributes,
        }
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.attributes.insert(key.to_string(), Value::String(value.to_string()));
        let v = Some(value.to_string());
        match key {
            "service.name" => self.service = v.map(|s| s.to_lowercase()),
            "cloud.region" => self.region = v.map(|s| s.to_lowercase()),
            "host.name" => self.host = v.map(|s| s.to_lowercase()),
            "service.version" => self.version = v,
            "deployment.environment" => self.environment = v,
            _ => {}
        }
    }
}

pub fn value_as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    Log,
    Span,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Log => "log",
            RecordKind::Span => "span",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogRecord {
    pub id: RecordId,
    pub timestamp: DateTime<Utc>,
    pub severity: Severity,
    pub body: String,
    /// Byte range of `body` that only repeats the timestamp: stored, not indexed as words
    /// (it would add a unique term per record and match nothing useful).
    pub time_span: Option<(usize, usize)>,
    pub resource: Arc<Resource>,
    pub trace_id: Option<String>,
    pub span_id: Option<String>,
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    pub fn from_otlp(n: i32) -> Self {
        match n {
            1 => SpanKind::Internal,
            2 => SpanKind::Server,
            3 => SpanKind::Client,
            4 => SpanKind::Producer,
            5 => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }

    /// The kind [`SpanKind::as_str`] names (as stored in a span's `span.kind` attribute); unspecified otherwise.
    pub fn from_name(name: &str) -> Self {
        match name {
            "internal" => SpanKind::Internal,
            "server" => SpanKind::Server,
            "client" => SpanKind::Client,
            "producer" => SpanKind::Producer,
            "consumer" => SpanKind::Consumer,
            _ => SpanKind::Unspecified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub id: RecordId,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub error: bool,
    pub status_message: Option<String>,
    pub resource: Arc<Resource>,
    pub attributes: Map<String, Value>,
}

impl Span {
    pub fn duration_us(&self) -> u64 {
        (self.end - self.start).num_microseconds().unwrap_or(0).max(0) as u64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    Gauge,
    Sum,
    Histogram,
    Summary,
}

impl MetricKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricKind::Gauge => "gauge",
            MetricKind::Sum => "sum",
            MetricKind::Histogram => "histogram",
            MetricKind::Summary => "summary",
        }
    }
}

/// One sample of one series. Histograms keep count and sum; `value` is their mean so
/// that every point can be plotted and compared the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPoint {
    pub name: String,
    pub unit: String,
    pub kind: MetricKind,
    pub timestamp: DateTime<Utc>,
    pub value: f64,
    pub count: Option<u64>,
    pub sum: Option<f64>,
    /// Point attributes plus `service`, `region` and `host` from the resource.
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Suppressed,
    Resolved,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Suppressed => "suppressed",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// An incident's state: firing while any of its alerts fires. Serialized as `firing` or
/// `resolved`, as the JSON output has always said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Firing,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Firing => "firing",
            IncidentStatus::Resolved => "resolved",
        }
    }
}

impl std::fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `pad`, not `write_str`: tables print it with a width (`{:<8}`).
        f.pad(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Alertmanager's fingerprint when it sent one, else computed the way it does.
    pub fingerprint: String,
    pub alertname: String,
    pub status: AlertStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub generator_url: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub instance: Option<String>,
}

impl Alert {
    /// Maps Alertmanager's label conventions onto the resource names used everywhere else: the service from the
    /// first label of [`SERVICE_LABELS`] present, the region from [`REGION_LABELS`] (a zone becomes its region).
    /// Which label the data really uses is learned later, against the services the telemetry knows
    /// ([`service_label_in`]).
    pub fn lift_labels(&mut self) {
        self.service = service_label_in(&self.labels, None).map(|(_, s)| s);
        self.region = region_label(&self.labels).map(|(_, r)| r);
        self.instance = ["instance", "host", "pod", "node"]
            .iter()
            .find_map(|k| self.labels.get(*k).filter(|v| !v.is_empty()).cloned());
        if let Some(name) = self.labels.get("alertname") {
            self.alertname = name.clone();
        }
    }
}

/// Labels that name a service, most specific first: OpenTelemetry's and Prometheus' own names, the Kubernetes
/// app labels, the scrape job, the workload (deployment, container, pod) and last the namespace, which often holds
/// one service per namespace but sometimes many.
pub const SERVICE_LABELS: [&str; 14] = [
    "service",
    "service_name",
    "service.name",
    "app.kubernetes.io/name",
    "app_kubernetes_io_name",
    "app",
    "k8s_app",
    "job",
    "deployment",
    "k8s.deployment.name",
    "container",
    "pod",
    "k8s.pod.name",
    "namespace",
];

/// Labels that name a region, then zones (read as their region).
pub const REGION_LABELS: [&str; 10] = [
    "region",
    "cloud_region",
    "cloud.region",
    "topology.kubernetes.io/region",
    "topology_kubernetes_io_region",
    "zone",
    "availability_zone",
    "cloud.availability_zone",
    "topology.kubernetes.io/zone",
    "topology_kubernetes_io_zone",
];

/// The service a label value names: lowercased, a Prometheus job's `namespace/` prefix dropped, and a pod's or
/// ReplicaSet's generated suffix (`checkout-7d9f8b6c5-x2kqp`, `db-0`) stripped.
pub fn service_from_label(label: &str, value: &str) -> String {
    let v = value.trim().to_lowercase();
    let v = v.rsplit('/').next().unwrap_or(&v).to_string();
    if matches!(label, "pod" | "k8s.pod.name" | "deployment" | "k8s.deployment.name" | "container") {
        workload_name(&v).to_string()
    } else {
        v
    }
}

/// The workload a pod name belongs to: what its controllers appended cut off. A Deployment's pod
/// `checkout-7d9c8b6f5-x2x9q` is `checkout`, a DaemonSet's or Job's `fluent-bit-k8xzq` is `fluent-bit`, a CronJob's
/// `backup-29471234-bz7vw` is `backup`, a StatefulSet's `postgres-0` is `postgres`, and a ReplicaSet's
/// `checkout-7d9c8b6f5` is `checkout`. A part counts as generated when it is drawn from Kubernetes' alphabet for
/// random strings (`k8s.io/apimachinery/pkg/util/rand`: no vowels, no `0 1 3`, no `y`) or mixes letters and
/// digits as a hash does, at the length its controller uses; a word like `redis` or `api-v2` is never cut.
pub fn workload_name(pod: &str) -> &str {
    // The pod's own 5-character suffix, then a ReplicaSet's template hash or a CronJob's schedule in minutes.
    if let Some(head) = cut_generated(pod, 5..=5) {
        return cut_generated(head, 6..=10)
            .or_else(|| cut_tail(head, |t| t.len() >= 8 && t.bytes().all(|b| b.is_ascii_digit())))
            .unwrap_or(head);
    }
    // A ReplicaSet named on its own, or a StatefulSet's ordinal.
    cut_generated(pod, 6..=10)
        .or_else(|| cut_tail(pod, |t| !t.is_empty() && t.len() <= 5 && t.bytes().all(|b| b.is_ascii_digit())))
        .unwrap_or(pod)
}

/// `name` without its last `-part`, when `test` says the part is generated.
fn cut_tail(name: &str, test: impl Fn(&str) -> bool) -> Option<&str> {
    match name.rsplit_once('-') {
        Some((head, tail)) if !head.is_empty() && test(tail) => Some(head),
        _ => None,
    }
}

/// `name` without its last `-part` when that part looks generated at a length in `len`.
fn cut_generated(name: &str, len: std::ops::RangeInclusive<usize>) -> Option<&str> {
    cut_tail(name, |t| {
        let alphabet = t.bytes().all(|b| b"bcdfghjklmnpqrstvwxz2456789".contains(&b));
        let lower_alnum = t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let hash = lower_alnum && t.bytes().any(|b| b.is_ascii_digit()) && t.bytes().any(|b| b.is_ascii_lowercase());
        len.contains(&t.len()) && (alphabet || hash)
    })
}

/// The service named by `labels`, with the label it came from: with `known` services (from spans, logs and
/// metrics), the first label of [`SERVICE_LABELS`] whose value names one of them; else (or when none does) the
/// first label present.
pub fn service_label_in(
    labels: &BTreeMap<String, String>,
    known: Option<&std::collections::BTreeSet<String>>,
) -> Option<(&'static str, String)> {
    let present = || {
        SERVICE_LABELS
            .iter()
            .filter_map(|k| labels.get(*k).filter(|v| !v.trim().is_empty()).map(|v| (*k, service_from_label(k, v))))
    };
    known.and_then(|known| present().find(|(_, s)| known.contains(s))).or_else(|| present().next())
}

/// The region named by `labels`, with the label it came from; a zone (`us-east-1a`, `europe-west1-b`) is read as
/// its region.
pub fn region_label(labels: &BTreeMap<String, String>) -> Option<(&'static str, String)> {
    REGION_LABELS.iter().find_map(|k| {
        let v = labels.get(*k).map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty())?;
        Some((*k, if k.contains("zone") { region_of_zone(&v).to_string() } else { v }))
    })
}

/// `us-east-1a` -> `us-east-1`, `europe-west1-b` -> `europe-west1`; anything else is left as it is.
pub fn region_of_zone(zone: &str) -> &str {
    if let Some((head, tail)) = zone.rsplit_once('-') {
        if tail.len() == 1 && tail.chars().all(|c| c.is_ascii_lowercase()) {
            return head;
        }
    }
    let bytes = zone.as_bytes();
    match bytes {
        [.., d, l] if d.is_ascii_digit() && l.is_ascii_lowercase() => &zone[..zone.len() - 1],
        _ => zone,
    }
}

/// Alertmanager's fingerprint of a label set: FNV-1a 64 over the sorted names and
/// values, each followed by the 0xff separator (prometheus/common `labelSetToFingerprint`).
pub fn alertmanager_fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14695981039346656037;
    const PRIME: u64 = 1099511628211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for (k, v) in labels {
        add(k.as_bytes());
        add(&[0xff]);
        add(v.as_bytes());
        add(&[0xff]);
    }
    format!("{h:016x}")
}

#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    Log(LogRecord),
    Span(Span),
    Metric(MetricPoint),
    Alert(Alert),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_kind_is_read_back_from_its_name() {
        for n in 0..=5 {
            let kind = SpanKind::from_otlp(n);
            assert_eq!(SpanKind::from_name(kind.as_str()), kind);
        }
        assert_eq!(SpanKind::from_name("Server"), SpanKind::Unspecified);
    }

    #[test]
    fn fingerprint_matches_alertmanager() {
        let mut labels = BTreeMap::new();
        labels.insert("alertname".to_string(), "HighLatency".to_string());
        labels.insert("service".to_string(), "checkout".to_string());
        let fp = alertmanager_fingerprint(&labels);
        assert_eq!(fp.len(), 16);
        // Same labels in another insertion order give the same fingerprint.
        let mut again = BTreeMap::new();
        again.insert("service".to_string(), "checkout".to_string());
        again.insert("alertname".to_string(), "HighLatency".to_string());
        assert_eq!(fp, alertmanager_fingerprint(&again));
        assert_ne!(fp, alertmanager_fingerprint(&BTreeMap::new()));
        assert_eq!(alertmanager_fingerprint(&BTreeMap::new()), "cbf29ce484222325");
    }

    #[test]
    fn severity_words_and_numbers() {
        assert_eq!(Severity::parse("WARNING"), Some(Severity::Warn));
        assert_eq!(Severity::parse("Err"), Some(Severity::Error));
        assert_eq!(Severity::parse("crit"), Some(Severity::Fatal));
        assert_eq!(Severity::parse("hello"), None);
        assert_eq!(Severity::from_number(17), Severity::Error);
        assert_eq!(Severity::from_level_number(40), Severity::Warn);
    }

    #[test]
    fn alert_severities_share_the_log_vocabulary() {
        assert_eq!(Severity::of_alert("page"), Severity::Fatal);
        assert_eq!(Severity::of_alert("Critical"), Severity::Fatal);
        assert_eq!(Severity::of_alert("high"), Severity::Error);
        assert_eq!(Severity::of_alert("warning"), Severity::Warn);
        assert_eq!(Severity::of_alert("debug"), Severity::Info, "nothing ranks below info");
        assert_eq!(Severity::of_alert("whatever"), Severity::Info);
        assert!(Severity::of_alert("page") > Severity::of_alert("error"));
        assert!(Severity::of_alert("error") > Severity::of_alert("warn"));
        assert_eq!(Severity::of_alert("page").alert_word(), "critical");
        assert_eq!(Severity::of_alert("warn").alert_word(), "warning");
    }

    #[test]
    fn incident_status_serializes_as_before() {
        assert_eq!(serde_json::to_string(&IncidentStatus::Firing).unwrap(), "\"firing\"");
        assert_eq!(serde_json::to_string(&IncidentStatus::Resolved).unwrap(), "\"resolved\"");
        assert_eq!(IncidentStatus::Resolved.to_string(), "resolved");
    }
}
