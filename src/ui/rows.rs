//! The analysis reduced to what the panes draw: one [`IncidentRow`] per incident, with its
//! detail (timeline, alerts, log patterns, call-graph edges, ranked causes) and the
//! runbooks that fit it, each step already rendered with its parameters.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::analysis::incidents::{timeline, Analysis, Incident};
use crate::model::{IncidentStatus, Severity};
use crate::runbooks::exec::action;
use crate::runbooks::params::fill;
use crate::runbooks::suggest::{facts, suggest};
use crate::runbooks::Library;

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// alert, resolved, anomaly, deploy, pattern
    pub kind: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertLine {
    pub alertname: String,
    pub service: String,
    pub severity: Severity,
    pub firing: bool,
    pub starts_at: DateTime<Utc>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatternLine {
    pub template: String,
    pub before: f64,
    pub during: f64,
    pub new: bool,
}

/// A call-graph edge touching the incident, before it and during it.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeLine {
    pub caller: String,
    pub callee: String,
    pub calls: u64,
    pub errors_before: f64,
    pub errors_during: f64,
    pub ms_before: f64,
    pub ms_during: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CauseLine {
    pub service: String,
    pub region: Option<String>,
    pub score: f64,
    pub reason: String,
    pub suspected: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepLine {
    pub title: String,
    pub kind: &'static str,
    pub read_only: bool,
    /// Exactly what runs, every parameter filled; or why it cannot be filled.
    pub exact: Result<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunbookItem {
    pub id: String,
    pub title: String,
    pub score: f64,
    pub reason: String,
    pub steps: Vec<StepLine>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Detail {
    pub summary: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub alerts: Vec<AlertLine>,
    pub patterns: Vec<PatternLine>,
    pub edges: Vec<EdgeLine>,
    pub causes: Vec<CauseLine>,
    pub runbooks: Vec<RunbookItem>,
}

/// One line of the incidents list, already reduced to what is drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub firing: bool,
    /// The worst of its alerts'.
    pub severity: Severity,
    pub services: Vec<String>,
    pub regions: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub alerts: usize,
    pub cause: Option<(String, f64)>,
    /// Shared: a refresh that changes nothing does not copy it.
    pub detail: Arc<Detail>,
}

impl IncidentRow {
    pub fn from_incident(i: &Incident) -> Self {
        let severity = i
            .alerts
            .iter()
            .filter_map(|a| a.labels.get("severity"))
            .map(|s| Severity::of_alert(s))
            .max()
            .unwrap_or(Severity::Info);
        IncidentRow {
            id: i.id.clone(),
            title: i.title.clone(),
            firing: i.status == IncidentStatus::Firing,
            severity,
            services: i.services.clone(),
            regions: i.regions.clone(),
            started_at: i.started_at,
            alerts: i.alerts.len(),
            cause: i.root_cause.as_ref().map(|r| (r.service.clone(), r.confidence)),
            detail: Arc::default(),
        }
    }
}

/// Error ratio and mean latency of an edge's calls in `[from, to)`.
fn edge_window(m: &crate::analysis::topology::Minutes, from: DateTime<Utc>, to: DateTime<Utc>) -> (u64, f64, f64) {
    let (a, b) = (from.timestamp().div_euclid(60), to.timestamp().div_euclid(60));
    let (mut calls, mut errors, mut us) = (0u64, 0u64, 0u64);
    for (_, (c, e, d)) in m.by_minute.range(a..b) {
        calls += c;
        errors += e;
        us += d;
    }
    if calls == 0 {
        return (0, 0.0, 0.0);
    }
    (calls, errors as f64 / calls as f64, us as f64 / calls as f64 / 1000.0)
}

fn edges(inc: &Incident, analysis: &Analysis, now: DateTime<Utc>) -> Vec<EdgeLine> {
    let end = inc.resolved_at.unwrap_or(now).max(inc.started_at + Duration::minutes(1));
    let before = (inc.started_at - Duration::minutes(30), inc.started_at);
    let mut involved: Vec<&str> = inc.services.iter().map(String::as_str).collect();
    involved.extend(inc.candidates.iter().map(|c| c.service.as_str()));
    let mut out: Vec<EdgeLine> = analysis
        .topology
        .edges
        .iter()
        .filter(|((a, b), _)| involved.contains(&a.as_str()) || involved.contains(&b.as_str()))
        .filter_map(|((caller, callee), stats)| {
            let (_, eb, mb) = edge_window(&stats.minutes, before.0, before.1);
            let (calls, ed, md) = edge_window(&stats.minutes, inc.started_at, end);
            (calls > 0).then(|| EdgeLine {
                caller: caller.clone(),
                callee: callee.clone(),
                calls,
                errors_before: eb,
                errors_during: ed,
                ms_before: mb,
                ms_during: md,
            })
        })
        .collect();
    // The worst first: errors that appeared, then latency that grew.
    let badness = |e: &EdgeLine| (e.errors_during - e.errors_before) * 10.0 + (e.ms_during / e.ms_before.max(1.0));
    out.sort_by(|a, b| badness(b).total_cmp(&badness(a)));
    out.truncate(8);
    out
}

fn runbooks_of(inc: &Incident, lib: &Library, known: &(Vec<String>, Vec<String>)) -> Vec<RunbookItem> {
    let f = facts(inc, &known.0, &known.1);
    suggest(lib, inc, &f, "")
        .into_iter()
        .take(3)
        .filter_map(|s| {
            let rb = lib.get(&s.id)?;
            let steps = rb
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    let exact = fill(&rb.params_of(&[i]), &f, &BTreeMap::new())
                        .map(|values| action(step, &values).describe())
                        .map_err(|p| p.join("; "));
                    StepLine { title: step.title().to_string(), kind: step.kind(), read_only: step.read_only(), exact }
                })
                .collect();
            Some(RunbookItem { id: s.id, title: s.title, score: s.score, reason: s.reason, steps })
        })
        .collect()
}

/// The rows of every incident, newest first, with detail and runbooks.
pub fn rows(
    analysis: &Analysis,
    lib: &Library,
    known: &(Vec<String>, Vec<String>),
    now: DateTime<Utc>,
) -> Vec<IncidentRow> {
    let mut out: Vec<IncidentRow> = analysis
        .incidents
        .iter()
        .map(|inc| {
            let mut row = IncidentRow::from_incident(inc);
            let detail = Detail {
                summary: inc.root_cause.as_ref().map(|r| r.summary.clone()),
                timeline: timeline(inc)
                    .into_iter()
                    .map(|e| TimelineEntry { at: e.at, kind: e.kind, text: e.text })
                    .collect(),
                alerts: inc
                    .alerts
                    .iter()
                    .map(|a| AlertLine {
                        alertname: a.alertname.clone(),
                        service: a.labels.get("service").cloned().unwrap_or_else(|| "-".into()),
                        severity: a.labels.get("severity").map_or(Severity::Info, |s| Severity::of_alert(s)),
                        firing: a.ends_at.is_none_or(|e| e > now),
                        starts_at: a.starts_at,
                        summary: a.summary.clone().unwrap_or_default(),
                    })
                    .collect(),
                patterns: inc
                    .log_patterns
                    .iter()
                    .map(|p| PatternLine {
                        template: p.template.clone(),
                        before: p.rate_before,
                        during: p.rate_during,
                        new: p.new,
                    })
                    .collect(),
                edges: edges(inc, analysis, now),
                causes: inc
                    .candidates
                    .iter()
                    .map(|c| CauseLine {
                        service: c.service.clone(),
                        region: c.region.clone(),
                        score: c.score,
                        reason: c.reason.clone(),
                        suspected: inc.root_cause.as_ref().is_some_and(|r| r.service == c.service),
                    })
                    .collect(),
                runbooks: runbooks_of(inc, lib, known),
            };
            row.detail = Arc::new(detail);
            row
        })
        .collect();
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then_with(|| a.id.cmp(&b.id)));
    out
}
