//! From signals to incidents: topology, correlation, root-cause ranking and the log patterns that changed, put
//! together in the shape `firewatch incidents --json` prints (see docs/contracts.md).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::correlate::{self, alert_end, AlertGroup, CorrelationConfig};
use super::rca::{self, Candidate, RcaConfig, Signals};
use super::templates::{MinerConfig, TemplateMiner};
use super::topology::Topology;
use crate::model::{Alert, AlertStatus, IncidentStatus, LogRecord, MetricPoint, Severity, Span};

/// Everything the analysis looks at, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Telemetry<'a> {
    pub logs: &'a [LogRecord],
    pub spans: &'a [Span],
    pub metrics: &'a [MetricPoint],
    pub alerts: &'a [Alert],
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisConfig {
    pub correlation: CorrelationConfig,
    pub rca: RcaConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentAlert {
    pub fingerprint: String,
    pub alertname: String,
    pub labels: BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    pub status: AlertStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RootCause {
    pub service: String,
    pub region: Option<String>,
    pub summary: String,
    /// 0..1, from the ranking score.
    pub confidence: f64,
    pub onset: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedCause {
    pub service: String,
    pub region: Option<String>,
    pub score: f64,
    pub reason: String,
}

/// A log template whose rate changed around the incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatternChange {
    pub template: String,
    pub services: Vec<String>,
    /// Occurrences per minute before and during the incident.
    pub rate_before: f64,
    pub rate_during: f64,
    /// Never seen before the incident window.
    pub new: bool,
    pub example: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: String,
    pub title: String,
    /// Firing while any alert fires, else resolved.
    pub status: IncidentStatus,
    pub started_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub alerts: Vec<IncidentAlert>,
    pub root_cause: Option<RootCause>,
    pub candidates: Vec<RankedCause>,
    pub log_patterns: Vec<PatternChange>,
    /// The full ranking, for the copilot and the incident view.
    #[serde(skip)]
    pub ranking: Vec<Candidate>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub topology: Topology,
    /// Newest first.
    pub incidents: Vec<Incident>,
    /// Every service's signals, for rankings asked outside any incident (the copilot's questions).
    pub signals: Signals,
    /// How the alerts' labels were read (shown under `firewatch incidents`).
    pub labels: super::labels::LabelMapping,
}

/// A stable id: the same first alert gives the same incident id on every run.
fn incident_id(first: &Alert) -> String {
    let h = xxhash_rust::xxh3::xxh3_64(format!("{}@{}", first.fingerprint, first.starts_at.timestamp()).as_bytes());
    format!("inc-{:08x}", h >> 32)
}

fn severity_rank(a: &Alert) -> Severity {
    a.labels.get("severity").map_or(Severity::Info, |s| Severity::of_alert(s))
}

fn title(g: &AlertGroup, alerts: &[Alert], root: Option<&Candidate>) -> String {
    let lead = g
        .alerts
        .iter()
        .map(|&i| &alerts[i])
        .max_by(|a, b| severity_rank(a).cmp(&severity_rank(b)).then(b.starts_at.cmp(&a.starts_at)));
    let mut t = match lead {
        Some(a) => {
            let svc = a.service.as_deref().unwrap_or("unknown service");
            format!("{} on {svc}", a.alertname)
        }
        None => "incident".to_string(),
    };
    let distinct = g.fingerprints.len();
    if distinct > 1 {
        t.push_str(&format!(" (+{} alerts)", distinct - 1));
    }
    if let Some(c) = root {
        t.push_str(&format!(", suspected cause {}", c.service));
    }
    t
}

/// One thing that happened in an incident, for its timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    /// alert, resolved, anomaly, deploy, pattern
    pub kind: &'static str,
    pub text: String,
}

/// An incident's timeline, oldest first: its alerts firing and resolving, the suspected
/// cause's strongest signals and deploy, and the log patterns that changed.
pub fn timeline(inc: &Incident) -> Vec<TimelineEvent> {
    let mut events = Vec::new();
    let mut push = |at, kind, text: String| events.push(TimelineEvent { at, kind, text });
    for a in &inc.alerts {
        let svc = a.labels.get("service").map_or("-", String::as_str);
        push(a.starts_at, "alert", format!("alert {} fired on {svc}", a.alertname));
        if let Some(e) = a.ends_at {
            push(e, "resolved", format!("alert {} on {svc} resolved", a.alertname));
        }
    }
    if let Some(top) = inc.ranking.first() {
        for s in top.signals.iter().take(5) {
            push(s.onset, "anomaly", format!("{} on {}: {}", s.what, s.service, super::rca::describe(s)));
        }
        if let Some(d) = &top.deploy {
            push(d.at, "deploy", format!("deploy: {}", d.text));
        }
    }
    for p in &inc.log_patterns {
        let label = if p.new { "new log pattern" } else { "log pattern rate changed" };
        push(
            inc.started_at,
            "pattern",
            format!("{label} ({:.1}/min before, {:.1}/min during): {}", p.rate_before, p.rate_during, p.template),
        );
    }
    events.sort_by_key(|e| e.at);
    events
}

/// Templates whose rate changed most between the hour before the incident and the incident itself, and those never
/// seen before it.
pub fn pattern_changes(logs: &[LogRecord], from: DateTime<Utc>, to: DateTime<Utc>, limit: usize) -> Vec<PatternChange> {
    let before_from = from - Duration::hours(1);
    let mut miner = TemplateMiner::new(MinerConfig::default());
    // template -> (before, during, services, example)
    let mut counts: HashMap<u32, (u64, u64, Vec<String>, String)> = HashMap::new();
    for l in logs.iter().filter(|l| l.timestamp >= before_from && l.timestamp <= to) {
        if l.severity != Severity::Unspecified && l.severity < Severity::Info {
            continue;
        }
        let id = miner.add(&l.body);
        let e = counts.entry(id).or_insert_with(|| (0, 0, Vec::new(), l.body.clone()));
        if l.timestamp < from {
            e.0 += 1;
        } else {
            e.1 += 1;
            if e.1 == 1 {
                e.3 = l.body.clone();
            }
            if let Some(s) = &l.resource.service {
                if !e.2.contains(s) && e.2.len() < 5 {
                    e.2.push(s.clone());
                }
            }
        }
    }
    // An event the miner merged later keeps its earlier ids: add its counts up under one (canonical) id.
    let mut merged: HashMap<u32, (u64, u64, Vec<String>, String)> = HashMap::new();
    for (id, (b, d, services, example)) in counts {
        let e = merged.entry(miner.canonical(id)).or_insert_with(|| (0, 0, Vec::new(), example.clone()));
        e.0 += b;
        e.1 += d;
        for s in services {
            if !e.2.contains(&s) && e.2.len() < 5 {
                e.2.push(s);
            }
        }
    }
    let before_min = 60.0;
    let during_min = ((to - from).num_seconds() as f64 / 60.0).max(1.0);
    let mut out: Vec<(f64, PatternChange)> = merged
        .into_iter()
        .filter(|(_, c)| c.1 > 0)
        .map(|(id, (b, d, services, example))| {
            let (rb, rd) = (b as f64 / before_min, d as f64 / during_min);
            // Log-ratio with a floor of one event, so new templates rank by how often they now occur.
            let change = ((rd + 1.0 / during_min) / (rb + 1.0 / before_min)).ln() * (d as f64).ln_1p();
            let template = miner.template(id);
            (change, PatternChange { template, services, rate_before: rb, rate_during: rd, new: b == 0, example })
        })
        .filter(|(c, _)| *c > 0.5)
        .collect();
    // Ties broken by template: the map's order differs from one process to the next, and the evidence (and the
    // LLM request built from it) must not.
    out.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.template.cmp(&b.1.template)));
    out.into_iter().take(limit).map(|(_, p)| p).collect()
}

/// How sure the ranking is of its first candidate: its score (capped at 1), discounted by how close the runner-up
/// came, and never certainty.
fn confidence(ranked: &[Candidate]) -> f64 {
    let Some(first) = ranked.first() else { return 0.0 };
    let second = ranked.get(1).map_or(0.0, |c| c.score);
    let margin = 1.0 - 0.5 * (second / first.score.max(1e-9)).min(1.0);
    ((first.score.min(1.0) * margin).min(0.95) * 100.0).round() / 100.0
}

/// Runs the whole analysis. `now` decides which alerts still fire.
pub fn analyze(t: &Telemetry<'_>, now: DateTime<Utc>, cfg: &AnalysisConfig) -> Analysis {
    // Alerts dated more than a day after `now` are not incidents yet, whoever loaded them: an alert dated 9999
    // would otherwise be an incident that never resolves, first in every list.
    let latest = crate::sources::timestamp::latest(now);
    let in_window: Vec<Alert>;
    let t = if t.alerts.iter().any(|a| a.starts_at > latest) {
        in_window = t.alerts.iter().filter(|a| a.starts_at <= latest).cloned().collect();
        &Telemetry { alerts: &in_window, ..*t }
    } else {
        t
    };
    let topology = Topology::from_spans(t.spans);
    // Which labels name the services and regions is learned against what the telemetry knows.
    let mut known: BTreeSet<String> = topology.services.clone();
    known.extend(t.logs.iter().filter_map(|l| l.resource.service.as_ref().map(|s| s.to_ascii_lowercase())));
    known.extend(t.metrics.iter().filter_map(super::series::service_of));
    let mut mapped: Vec<Alert> = t.alerts.to_vec();
    let labels = super::labels::learn(&mut mapped, &known);
    let t = &Telemetry { alerts: &mapped, ..*t };
    let groups = correlate::correlate(t.alerts, &topology, now, &cfg.correlation);
    let signals = Signals::compute(t.logs, t.metrics, &topology);
    let mut incidents = Vec::with_capacity(groups.len());
    for g in &groups {
        let ranking = rca::rank(g, t.alerts, &signals, &topology, &cfg.rca);
        let root = ranking.root();
        let first = &t.alerts[g.alerts[0]];
        let mut seen = std::collections::BTreeSet::new();
        // Newest episode of each fingerprint, in start order.
        let mut members: Vec<&Alert> =
            g.alerts.iter().rev().map(|&i| &t.alerts[i]).filter(|a| seen.insert(&a.fingerprint)).collect();
        members.reverse();
        let alerts = members
            .iter()
            .map(|a| {
                let end = alert_end(a, now);
                IncidentAlert {
                    fingerprint: a.fingerprint.clone(),
                    alertname: a.alertname.clone(),
                    labels: a.labels.clone(),
                    starts_at: a.starts_at,
                    status: if end.is_some() { AlertStatus::Resolved } else { a.status },
                    ends_at: end,
                    summary: a.annotations.get("summary").cloned(),
                }
            })
            .collect();
        let to = g
            .quiet_since
            .unwrap_or(now)
            .min(g.started_at + Duration::hours(2))
            .max(g.started_at + Duration::minutes(5));
        let from = root.and_then(|c| c.onset).unwrap_or(g.started_at).min(g.started_at);
        incidents.push(Incident {
            id: incident_id(first),
            title: title(g, t.alerts, root),
            status: if g.quiet_since.is_some() { IncidentStatus::Resolved } else { IncidentStatus::Firing },
            started_at: g.started_at,
            resolved_at: g.quiet_since,
            services: g.services.iter().cloned().collect(),
            regions: g.regions.iter().cloned().collect(),
            alerts,
            root_cause: root.map(|c| RootCause {
                service: c.service.clone(),
                region: c.region.clone(),
                summary: format!("{}: {}", c.service, c.reason),
                confidence: confidence(&ranking.candidates),
                onset: c.onset,
            }),
            candidates: ranking
                .candidates
                .iter()
                .take(5)
                .map(|c| RankedCause {
                    service: c.service.clone(),
                    region: c.region.clone(),
                    score: c.score,
                    reason: c.reason.clone(),
                })
                .collect(),
            log_patterns: pattern_changes(t.logs, from, to, 8),
            ranking: ranking.candidates,
        });
    }
    incidents.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
    Analysis { topology, incidents, signals, labels }
}
