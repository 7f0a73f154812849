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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Maps Alertmanager's label conventions onto the resource names used everywhere else.
    pub fn lift_labels(&mut self) {
        let pick = |keys: &[&str]| keys.iter().find_map(|k| self.labels.get(*k).cloned());
        self.service = pick(&["service", "service_name", "app", "job"]).map(|s| s.to_lowercase());
        self.region = pick(&["region", "cloud_region", "cloud.region"]).map(|s| s.to_lowercase());
        self.instance = pick(&["instance", "host", "pod", "node"]);
        if let Some(name) = self.labels.get("alertname") {
            self.alertname = name.clone();
        }
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
}
