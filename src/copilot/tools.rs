//! The tools the model may call for more evidence. All of them only read: the model has no
//! way to run, write or send anything. Arguments come from the model, so they are checked
//! like any untrusted input, and a bad call gets an error message back, not a crash.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tantivy::Searcher;

use super::offline::Evidence;
use super::prompts::TOOL_NAMES;
use crate::analysis::incidents::Analysis;
use crate::model::{MetricPoint, RecordKind, Severity};
use crate::store::schema::Fields;
use crate::store::search::{search, SearchRequest};

/// Most evidence items one call may return.
pub const MAX_RESULTS: usize = 20;

/// What the agent calls. Evidence comes back without ids; the agent numbers it.
pub trait Tools: Send + Sync {
    fn call(&self, name: &str, args: &Value) -> Result<Vec<Evidence>, String>;
}

/// The tools over the local store, for one question's time window.
pub struct StoreTools {
    pub fields: Fields,
    pub searcher: Searcher,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// When the question's window starts: metric values before it are the baseline.
    pub onset: DateTime<Utc>,
    pub metrics: Vec<MetricPoint>,
    pub incidents: Vec<Evidence>,
}

impl StoreTools {
    /// `incidents` are taken from `analysis` now, so the tools own what they return.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        fields: Fields,
        searcher: Searcher,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        onset: DateTime<Utc>,
        metrics: Vec<MetricPoint>,
        analysis: &Analysis,
    ) -> Self {
        let incidents = analysis
            .incidents
            .iter()
            .map(|i| {
                let cause = i.root_cause.as_ref().map_or("no cause found".to_string(), |rc| {
                    format!("suspected cause {} ({:.0}% confidence): {}", rc.service, rc.confidence * 100.0, rc.summary)
                });
                Evidence {
                    id: String::new(),
                    kind: "incident",
                    timestamp: i.started_at,
                    service: i.root_cause.as_ref().map(|rc| rc.service.clone()),
                    text: format!(
                        "incident {} \"{}\" {}, services [{}], regions [{}], {} alerts; {cause}",
                        i.id,
                        i.title,
                        i.status,
                        i.services.join(", "),
                        i.regions.join(", "),
                        i.alerts.len()
                    ),
                }
            })
            .collect();
        StoreTools { fields, searcher, from, to, onset, metrics, incidents }
    }

    fn search_logs(&self, args: &Value) -> Result<Vec<Evidence>, String> {
        let query = str_arg(args, "query")?.ok_or("search_logs needs a query")?;
        let mut q = format!("({query})");
        if let Some(svc) = str_arg(args, "service")? {
            q.push_str(&format!(" AND service:{}", simple(svc, "service")?));
        }
        if let Some(sev) = str_arg(args, "severity")? {
            let sev = match sev.to_ascii_lowercase().as_str() {
                "error" | "errors" => "error",
                "warn" | "warning" => "warn",
                "info" => "info",
                other => return Err(format!("severity '{other}' is not one of error, warn, info")),
            };
            q.push_str(&format!(" AND level:>={sev}"));
        }
        let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(10).clamp(1, MAX_RESULTS as u64) as usize;
        let req = SearchRequest { query: q, since: Some(self.from), until: Some(self.to), limit };
        let res = search(&self.fields, &self.searcher, &req).map_err(|e| e.to_string())?;
        Ok(res.hits.into_iter().map(hit_evidence).collect())
    }

    fn get_trace(&self, args: &Value) -> Result<Vec<Evidence>, String> {
        let id = str_arg(args, "trace_id")?.ok_or("get_trace needs a trace_id")?.trim().to_ascii_lowercase();
        if !(16..=32).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("'{id}' is not a trace id (16 to 32 hex digits)"));
        }
        let req = SearchRequest { query: format!("trace_id:{id}"), since: None, until: None, limit: 200 };
        let mut hits = search(&self.fields, &self.searcher, &req).map_err(|e| e.to_string())?.hits;
        if hits.is_empty() {
            return Err(format!("no spans or logs with trace id {id}"));
        }
        // The trace in time order; errors and the slowest spans first when it is long.
        hits.sort_by_key(|h| h.timestamp);
        if hits.len() > MAX_RESULTS {
            hits.sort_by_key(|h| std::cmp::Reverse((h.severity == Severity::Error, h.duration_us)));
            hits.truncate(MAX_RESULTS);
            hits.sort_by_key(|h| h.timestamp);
        }
        Ok(hits.into_iter().map(hit_evidence).collect())
    }

    fn query_metric(&self, args: &Value) -> Result<Vec<Evidence>, String> {
        let service = str_arg(args, "service")?.ok_or("query_metric needs a service")?;
        let metric = str_arg(args, "metric")?.map(str::to_ascii_lowercase);
        let region = str_arg(args, "region")?;
        let mut series: BTreeMap<(String, String), Vec<&MetricPoint>> = BTreeMap::new();
        for p in &self.metrics {
            if p.labels.get("service").map(String::as_str) != Some(service)
                || region.is_some_and(|r| p.labels.get("region").map(String::as_str) != Some(r))
                || metric.as_ref().is_some_and(|m| !p.name.to_ascii_lowercase().contains(m.as_str()))
                || p.timestamp < self.from
                || p.timestamp > self.to
            {
                continue;
            }
            let labels: Vec<String> =
                p.labels.iter().filter(|(k, _)| *k != "service").map(|(k, v)| format!("{k}={v}")).collect();
            series.entry((p.name.clone(), labels.join(","))).or_default().push(p);
        }
        if series.is_empty() {
            return Err(format!("no metric series for service '{service}' in the window"));
        }
        let mut out: Vec<(f64, Evidence)> = series
            .into_iter()
            .map(|((name, labels), mut points)| {
                points.sort_by_key(|p| p.timestamp);
                let mut before: Vec<f64> =
                    points.iter().filter(|p| p.timestamp < self.onset).map(|p| p.value).collect();
                before.sort_by(f64::total_cmp);
                let baseline = before.get(before.len() / 2).copied();
                let peak = points
                    .iter()
                    .copied()
                    .filter(|p| p.timestamp >= self.onset)
                    .max_by(|a, b| a.value.total_cmp(&b.value));
                let last = points.last().copied();
                let unit = points[0].unit.clone();
                let change = match (baseline, peak) {
                    (Some(b), Some(p)) if b.abs() > f64::EPSILON => (p.value / b).abs(),
                    (_, Some(_)) => 1.0,
                    _ => 0.0,
                };
                let fmt = |v: f64| format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
                let text = format!(
                    "{name}{{{labels}}} {unit}: before {}, peak {}, latest {}",
                    baseline.map_or("-".into(), fmt),
                    peak.map_or("-".into(), |p| format!("{} at {}", fmt(p.value), p.timestamp.format("%H:%M"))),
                    last.map_or("-".into(), |p| fmt(p.value)),
                );
                let at = peak.or(last).map_or(self.onset, |p| p.timestamp);
                (
                    change,
                    Evidence { id: String::new(), kind: "metric", timestamp: at, service: Some(service.into()), text },
                )
            })
            .collect();
        // The series that moved most first.
        out.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(out.into_iter().take(MAX_RESULTS).map(|(_, e)| e).collect())
    }
}

impl Tools for StoreTools {
    fn call(&self, name: &str, args: &Value) -> Result<Vec<Evidence>, String> {
        if !args.is_object() {
            return Err(format!("{name}: arguments must be a JSON object"));
        }
        match name {
            "search_logs" => self.search_logs(args),
            "get_trace" => self.get_trace(args),
            "query_metric" => self.query_metric(args),
            "list_incidents" => Ok(self.incidents.iter().take(MAX_RESULTS).cloned().collect()),
            other => Err(unknown_tool(other)),
        }
    }
}

/// The answer to a call of a tool that does not exist (a model following instructions
/// planted in a log line asks for `run_command`, say).
pub fn unknown_tool(name: &str) -> String {
    format!("there is no tool '{}'; the tools are {} and they only read", name, TOOL_NAMES.join(", "))
}

fn str_arg<'a>(args: &'a Value, key: &str) -> Result<Option<&'a str>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim())),
        Some(other) => Err(format!("{key} must be a string, not {other}")),
    }
}

/// A value spliced into a query must be one word of the names the store holds.
fn simple<'a>(v: &'a str, what: &str) -> Result<&'a str, String> {
    if v.len() <= 128 && v.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        Ok(v)
    } else {
        Err(format!("{what} '{v}' is not a plain name"))
    }
}

fn hit_evidence(h: crate::store::docs::Hit) -> Evidence {
    let text = if h.kind == RecordKind::Span {
        let status = if h.severity == Severity::Error { " ERROR" } else { "" };
        format!("span {} {}ms{status} trace_id={}", h.body, h.duration_us / 1000, h.trace_id.as_deref().unwrap_or("-"))
    } else {
        match &h.trace_id {
            Some(t) => format!("{} {} (trace_id={t})", h.severity.as_str().to_uppercase(), h.body),
            None => format!("{} {}", h.severity.as_str().to_uppercase(), h.body),
        }
    };
    Evidence { id: String::new(), kind: h.kind.as_str(), timestamp: h.timestamp, service: h.service, text }
}
