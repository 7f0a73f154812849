//! Which runbooks fit an incident: its alerts' names, the symptoms they imply, and words in
//! its suspected cause and log patterns, scored, with the reason said. Suggestions only
//! ever come from the library, and their parameters go through the same validation as a
//! run: text in a log line can make a runbook show up, never change what it would do.

use std::collections::BTreeMap;

use serde::Serialize;

use super::params::{fill, Facts};
use super::{Library, Runbook};
use crate::analysis::incidents::Incident;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    /// 0..1, best first.
    pub score: f64,
    pub reason: String,
    /// The parameters the incident fills, when all of them pass validation.
    pub params: Option<BTreeMap<String, String>>,
    /// What is missing or was refused, when not.
    pub problems: Vec<String>,
}

/// The symptoms an alert name implies.
pub fn symptoms_of(alertname: &str) -> Vec<&'static str> {
    let a = alertname.to_ascii_lowercase();
    let mut out = Vec::new();
    let has = |words: &[&str]| words.iter().any(|w| a.contains(w));
    if has(&["latency", "slow", "wait", "lag", "duration"]) {
        out.push("latency");
    }
    if has(&["error", "burn", "failing", "failed", "expired", "5xx"]) {
        out.push("errors");
    }
    if has(&["down", "unreachable", "unavailable", "absent"]) {
        out.push("availability");
    }
    if has(&["crashloop", "oom", "restart"]) {
        out.push("restarts");
    }
    if has(&["full", "throttl", "limit", "exhaust", "saturat", "pressure", "fragmentation"]) {
        out.push("saturation");
    }
    out
}

/// The facts an incident offers its runbooks' parameters.
pub fn facts(incident: &Incident, known_services: &[String], known_regions: &[String]) -> Facts {
    let root = incident.root_cause.as_ref();
    let mut labels: Vec<BTreeMap<String, String>> = incident.alerts.iter().map(|a| a.labels.clone()).collect();
    // The root service's alerts first: their instance is the likelier target.
    if let Some(r) = root {
        labels.sort_by_key(|l| l.get("service") != Some(&r.service));
    }
    Facts {
        root_service: root.map(|r| r.service.clone()),
        root_region: root.and_then(|r| r.region.clone()),
        alert_labels: labels,
        known_services: known_services.to_vec(),
        known_regions: known_regions.to_vec(),
    }
}

/// What the incident says, lowercased, for keyword matching: the suspected cause, the
/// candidates' reasons and the changed log patterns (`extra`: an answer's text, say).
fn incident_text(incident: &Incident, extra: &str) -> String {
    let mut t = String::new();
    if let Some(rc) = &incident.root_cause {
        t.push_str(&rc.summary);
        t.push('\n');
    }
    for c in &incident.candidates {
        t.push_str(&c.reason);
        t.push('\n');
    }
    for p in &incident.log_patterns {
        t.push_str(&p.template);
        t.push('\n');
    }
    t.push_str(extra);
    t.to_ascii_lowercase()
}

fn score_one(rb: &Runbook, incident: &Incident, text: &str) -> Option<(f64, String)> {
    let a = &rb.applies;
    if !a.services.is_empty() {
        let root = incident.root_cause.as_ref().map(|r| r.service.as_str());
        if !a.services.iter().any(|s| Some(s.as_str()) == root || incident.services.contains(s)) {
            return None;
        }
    }
    let mut raw = 0.0;
    let mut why = Vec::new();
    let mut names: Vec<&str> = incident.alerts.iter().map(|x| x.alertname.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let alerts: Vec<&str> = names.iter().copied().filter(|n| a.alertnames.iter().any(|x| x == n)).collect();
    if !alerts.is_empty() {
        raw += 3.0 + (alerts.len().min(3) - 1) as f64;
        why.push(format!("alerts {}", alerts.join(", ")));
    }
    let mut symptoms: Vec<&str> = names.iter().flat_map(|n| symptoms_of(n)).collect();
    symptoms.sort_unstable();
    symptoms.dedup();
    let shared: Vec<&str> = symptoms.iter().copied().filter(|s| a.symptoms.iter().any(|x| x == s)).collect();
    if !shared.is_empty() {
        raw += shared.len().min(2) as f64;
        why.push(format!("symptoms {}", shared.join(", ")));
    }
    let words: Vec<&str> = a
        .keywords
        .iter()
        .map(String::as_str)
        .filter(|k| !k.is_empty() && text.contains(&k.to_ascii_lowercase()))
        .collect();
    if !words.is_empty() {
        raw += 1.5 * words.len().min(2) as f64;
        why.push(format!(
            "the evidence mentions {}",
            words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(", ")
        ));
    }
    // One weak hint (a single shared symptom) is not a suggestion.
    (raw >= 2.5).then(|| ((raw / (raw + 3.0) * 100.0).round() / 100.0, why.join("; ")))
}

/// The runbooks that fit `incident`, best first. `extra` is more text to match keywords
/// against (the copilot's answer).
pub fn suggest(lib: &Library, incident: &Incident, facts: &Facts, extra: &str) -> Vec<Suggestion> {
    let text = incident_text(incident, extra);
    let mut out: Vec<Suggestion> = lib
        .runbooks
        .iter()
        .filter_map(|rb| {
            let (score, reason) = score_one(rb, incident, &text)?;
            let (params, problems) = match fill(&rb.params, facts, &BTreeMap::new()) {
                Ok(v) => (Some(v), Vec::new()),
                Err(p) => (None, p),
            };
            Some(Suggestion { id: rb.id.clone(), title: rb.title.clone(), score, reason, params, problems })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_imply_symptoms() {
        assert_eq!(symptoms_of("PostgresQueryLatencyHigh"), vec!["latency"]);
        assert_eq!(symptoms_of("KubePodCrashLooping"), vec!["restarts"]);
        assert_eq!(symptoms_of("FilesystemFull"), vec!["saturation"]);
        assert_eq!(symptoms_of("TLSCertificateExpired"), vec!["errors"]);
    }
}
