//! The offline engine: from the analysis and the interpretation of a question to a short answer that states the
//! suspected cause, the chain from cause to symptom and the confidence, citing evidence ids (`[E3]`); or that
//! says plainly that nothing in the data explains the question. Deterministic, no LLM, no I/O.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::interpret::{Interpretation, Symptom};
use crate::analysis::correlate::AlertGroup;
use crate::analysis::incidents::{Analysis, Incident};
use crate::analysis::rca::{self, Candidate, RcaConfig};
use crate::analysis::topology::Topology;

/// One piece of evidence, with the id answers cite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub id: String,
    /// alert, metric, log, deploy, pattern, trace
    pub kind: &'static str,
    pub timestamp: DateTime<Utc>,
    pub service: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskCause {
    pub service: String,
    pub summary: String,
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskCandidate {
    pub service: String,
    pub score: f64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunbookRef {
    pub id: String,
    pub title: String,
    pub score: f64,
    /// Why it fits the incident.
    pub reason: String,
}

/// The `ask --json` contract of docs/contracts.md.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answer {
    pub question: String,
    pub interpretation: Interpretation,
    pub root_cause: Option<AskCause>,
    pub candidates: Vec<AskCandidate>,
    pub evidence: Vec<Evidence>,
    pub answer: String,
    pub runbooks: Vec<RunbookRef>,
    /// The incident the answer is about, when one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
}

struct Pack {
    items: Vec<Evidence>,
}

impl Pack {
    fn add(&mut self, kind: &'static str, timestamp: DateTime<Utc>, service: Option<&str>, text: String) -> String {
        let id = format!("E{}", self.items.len() + 1);
        self.items.push(Evidence { id: id.clone(), kind, timestamp, service: service.map(str::to_string), text });
        id
    }
}

fn overlaps(inc: &Incident, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    let until = inc.resolved_at.unwrap_or(DateTime::<Utc>::MAX_UTC);
    inc.started_at <= end + Duration::minutes(10) && until >= start - Duration::minutes(15)
}

/// Whether the incident concerns what was asked: one of its services, or a root the asked service depends on.
fn concerns(inc: &Incident, asked: &[String], topo: &Topology) -> bool {
    asked.is_empty()
        || asked.iter().any(|s| inc.services.contains(s))
        || inc
            .root_cause
            .as_ref()
            .is_some_and(|rc| asked.iter().any(|s| *s == rc.service || topo.descendants(s).contains(&rc.service)))
}

/// The call path from `from` down to `to`, both included, shortest first found.
fn path(topo: &Topology, from: &str, to: &str) -> Option<Vec<String>> {
    let mut prev: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut queue = std::collections::VecDeque::from([from.to_string()]);
    while let Some(n) = queue.pop_front() {
        if n == to {
            let mut out = vec![n.clone()];
            let mut cur = n;
            while let Some(p) = prev.get(&cur) {
                out.push(p.clone());
                cur = p.clone();
            }
            out.reverse();
            return Some(out);
        }
        for c in topo.callees(&n) {
            if c != from && !prev.contains_key(c) {
                prev.insert(c.to_string(), n.clone());
                queue.push_back(c.to_string());
            }
        }
    }
    None
}

fn symptom_words(s: Option<Symptom>) -> &'static str {
    match s {
        Some(Symptom::Latency) => "slowdown",
        Some(Symptom::Errors) => "errors",
        Some(Symptom::Saturation) => "saturation",
        Some(Symptom::Availability) => "outage",
        Some(Symptom::Restarts) => "restarts",
        None => "trouble",
    }
}

/// Failed calls into `svc` from its callers during `[from, to]`, as (caller, failed, calls), worst first.
fn failing_calls(topo: &Topology, svc: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(String, u64, u64)> {
    let (a, b) = (from.timestamp().div_euclid(60), to.timestamp().div_euclid(60));
    let mut out: Vec<(String, u64, u64)> = topo
        .edges
        .iter()
        .filter(|((_, callee), _)| callee == svc)
        .map(|((caller, _), e)| {
            let (calls, errors) =
                e.minutes.by_minute.range(a..=b).fold((0, 0), |(c, f), (_, &(n, err, _))| (c + n, f + err));
            (caller.clone(), errors, calls)
        })
        .filter(|(_, errors, _)| *errors > 0)
        .collect();
    out.sort_by_key(|x| std::cmp::Reverse(x.1));
    out
}

/// The slice of the data a question needs: logs, spans and metrics from two hours before
/// its window (the baseline) to 15 minutes after it; alerts that started up to six hours
/// before it (a long incident's first alert).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scope {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub alerts_from: DateTime<Utc>,
    pub alerts_to: DateTime<Utc>,
}

pub fn scope(interp: &Interpretation) -> Scope {
    let (start, end) = (interp.window.start, interp.window.end);
    Scope {
        from: start - Duration::hours(2),
        to: end + Duration::minutes(15),
        alerts_from: start - Duration::hours(6),
        alerts_to: end,
    }
}

/// How long after the moment asked about a cause may still show (detection lags, and clocks are rough).
const LATE: Duration = Duration::minutes(10);

/// Drops the candidates that cannot explain the symptom: those whose regional signals all lie in other regions, and
/// those that began well after the moment asked about. The root stays the first one left if it clears the bar.
fn confine(
    ranking: Vec<Candidate>,
    root: Option<usize>,
    regions: &[String],
    moment: Option<DateTime<Utc>>,
) -> (Vec<Candidate>, Option<usize>) {
    let root_service = root.and_then(|i| ranking.get(i)).map(|c| c.service.clone());
    let kept: Vec<Candidate> = ranking
        .into_iter()
        .filter(|c| {
            let regional: Vec<&String> = c.signals.iter().filter_map(|s| s.region.as_ref()).collect();
            regions.is_empty() || regional.is_empty() || regional.iter().any(|r| regions.contains(r))
        })
        .filter(|c| moment.is_none_or(|m| c.onset.is_none_or(|o| o <= m + LATE)))
        .collect();
    let min = RcaConfig::default().min_score;
    let root = match (&root_service, kept.first()) {
        (Some(_), Some(first)) if first.score >= min => Some(0),
        _ => None,
    };
    (kept, root)
}

/// The incident's calibrated confidence when the root is its own, else one from the candidate's score.
fn confidence_of(c: &Candidate, incident: Option<&Incident>) -> f64 {
    incident
        .and_then(|i| i.root_cause.as_ref())
        .filter(|r| r.service == c.service)
        .map_or((c.score.min(1.0) * 0.8 * 100.0).round() / 100.0, |r| r.confidence)
}

/// Whether a signal lies in the regions asked about (any, when none was asked; a signal without a region may).
fn in_regions(s: &rca::Signal, regions: &[String]) -> bool {
    regions.is_empty() || s.region.as_ref().is_none_or(|r| regions.contains(r))
}

/// Answers `question` from the analysis. `interp` is the interpretation shown to the user.
pub fn answer(question: &str, interp: Interpretation, analysis: &Analysis) -> Answer {
    let (start, end) = (interp.window.start, interp.window.end);
    let topo = &analysis.topology;
    let incident = analysis
        .incidents
        .iter()
        .filter(|i| overlaps(i, start, end) && concerns(i, &interp.services, topo))
        // Something that began well after the moment asked about did not cause what was seen then.
        .filter(|i| interp.moment().is_none_or(|m| i.started_at <= m + LATE))
        // An incident confined to other regions than the one asked about is somebody else's.
        .filter(|i| {
            interp.regions.is_empty() || i.regions.is_empty() || i.regions.iter().any(|r| interp.regions.contains(r))
        })
        .max_by_key(|i| {
            // What started around the time asked about beats what was already going on.
            let began_then = i.started_at >= start - Duration::minutes(10) && i.started_at <= end;
            (
                i.root_cause.is_some(),
                i.services.iter().filter(|s| interp.services.contains(s)).count(),
                began_then,
                i.alerts.len(),
            )
        });
    // The ranking: the incident's own, else one made for the services asked about.
    let (ranking, root_index): (Vec<Candidate>, Option<usize>) = match incident {
        Some(i) => (i.ranking.clone(), i.root_cause.as_ref().map(|_| 0)),
        None if !interp.services.is_empty() => {
            let at = (start + Duration::minutes(30)).min(end);
            let group = AlertGroup::asked(interp.services.clone(), interp.regions.clone(), at);
            let r = rca::rank(&group, &[], &analysis.signals, topo, &RcaConfig::default());
            (r.candidates, r.root)
        }
        None => (Vec::new(), None),
    };
    // An incident elsewhere explains the service asked about only if that service felt
    // something: a deviation of its own in the window. A flapping alert on a callee does
    // not make a healthy frontend slow.
    let own: Vec<&rca::Signal> = interp
        .services
        .iter()
        .flat_map(|s| analysis.signals.of(s))
        .filter(|g| g.onset >= start - Duration::minutes(30) && g.onset <= end && in_regions(g, &interp.regions))
        .collect();
    // Or when the incident's cause is something it calls: its own metrics may be too coarse to show a share of
    // failing requests, but the chain is in the traces.
    let behind = incident.and_then(|i| i.root_cause.as_ref()).is_some_and(|rc| {
        interp.services.iter().any(|s| topo.descendants(s).contains(&rc.service))
            && incident.is_some_and(|i| i.started_at >= start - Duration::minutes(10))
    });
    let felt = interp.services.is_empty() || !own.is_empty() || behind;
    let (ranking, root_index) = if felt { (ranking, root_index) } else { (Vec::new(), None) };
    // Where the symptom is: the regions asked about. (Inferring them from where the asked service deviated drops
    // a root whose own signals carry another region label than its callers'.)
    let (ranking, root_index) = confine(ranking, root_index, &interp.regions, interp.moment());
    let root = root_index.and_then(|i| ranking.get(i));
    let mut pack = Pack { items: Vec::new() };
    let mut text = String::new();
    let asked = interp.services.first().cloned();
    let what = symptom_words(interp.symptom);
    let when = format!("{} to {}", start.format("%H:%M"), end.format("%H:%M UTC"));
    match root {
        None => {
            let subject = asked.clone().unwrap_or_else(|| "any service".to_string());
            text = match incident {
                Some(i) if !felt => format!(
                    "No cause found for the {what} of {subject} between {when}: its metrics, logs and calls show no deviation then. Incident {} ({}) was open at the time.",
                    i.id, i.title
                ),
                Some(i) => format!(
                    "No cause found for the {what} of {subject} between {when}: incident {} ({}) has no candidate that clears the threshold.",
                    i.id, i.title
                ),
                None => format!(
                    "No cause found for the {what} of {subject} between {when}: no alert fired and no metric, log or call deviated enough to explain it."
                ),
            };
            if let Some(i) = incident {
                for a in i.alerts.iter().take(3) {
                    let id = pack.add(
                        "alert",
                        a.starts_at,
                        a.labels.get("service").map(String::as_str),
                        format!("{} fired on {}", a.alertname, a.labels.get("service").map_or("?", String::as_str)),
                    );
                    text.push_str(&format!(" [{id}]"));
                }
            }
        }
        Some(c) => {
            let onset = c.onset.unwrap_or(start);
            let mut cites = Vec::new();
            for s in c.signals.iter().take(3) {
                cites.push(pack.add(
                    if s.what.contains("log") { "log" } else { "metric" },
                    s.onset,
                    Some(&c.service),
                    format!("{}: {}", c.service, rca::describe(s)),
                ));
            }
            let confidence = confidence_of(c, incident);
            text.push_str(&format!(
                "Suspected cause: {} (confidence {:.0}%). {} [{}].",
                c.service,
                confidence * 100.0,
                c.signals.first().map(rca::describe).unwrap_or_default(),
                cites.join("][")
            ));
            if let Some(d) = &c.deploy {
                let id = pack.add("deploy", d.at, Some(&d.service), d.text.clone());
                text.push_str(&format!(" It was deployed at {}, shortly before [{id}].", d.at.format("%H:%M")));
            }
            let failing = failing_calls(
                topo,
                &c.service,
                onset,
                (onset + Duration::minutes(15)).min(end.max(onset + Duration::minutes(5))),
            );
            if let Some((caller, errors, calls)) = failing.first() {
                let id = pack.add(
                    "trace",
                    onset,
                    Some(caller),
                    format!(
                        "{errors} of {calls} calls from {caller} to {} failed in the 15 minutes after {}",
                        c.service,
                        onset.format("%H:%M")
                    ),
                );
                text.push_str(&format!(" {errors} of {calls} calls from {caller} to it failed after that [{id}]."));
            }
            if let Some((t, line)) = &c.blame_example {
                let id = pack.add("log", *t, None, line.clone());
                text.push_str(&format!(" Its callers log errors naming it [{id}]."));
            }
            if let Some(a) = asked.as_ref().filter(|a| **a != c.service) {
                match path(topo, a, &c.service) {
                    Some(p) => text.push_str(&format!(" Chain: {} calls {}", a, p[1..].join(" which calls "))),
                    None => text.push_str(&format!(" {a} does not call {} in the traces seen", c.service)),
                }
                if let Some(sym) = ranking.iter().find(|x| x.service == *a).and_then(|x| x.signals.first()) {
                    let id = pack.add("metric", sym.onset, Some(a), format!("{a}: {}", rca::describe(sym)));
                    text.push_str(&format!(", and {a}'s {} [{id}].", rca::describe(sym)));
                } else {
                    text.push('.');
                }
            }
        }
    }
    if let Some(i) = incident {
        let mut names: Vec<String> = Vec::new();
        for a in &i.alerts {
            let n = format!("{} on {}", a.alertname, a.labels.get("service").map_or("?", String::as_str));
            if !names.contains(&n) && names.len() < 4 {
                names.push(n);
            }
        }
        if root.is_some() && !names.is_empty() {
            let first = &i.alerts[0];
            let id = pack.add(
                "alert",
                first.starts_at,
                first.labels.get("service").map(String::as_str),
                format!("incident {}: {}", i.id, names.join(", ")),
            );
            text.push_str(&format!(" Alerts: {} [{id}].", names.join(", ")));
        }
        let mut patterns = Vec::new();
        for p in i.log_patterns.iter().take(2) {
            let label = if p.new { "new log pattern" } else { "log pattern rate change" };
            let text = format!(
                "{label}: {} ({:.1}/min before, {:.1}/min during), e.g. {}",
                p.template, p.rate_before, p.rate_during, p.example
            );
            patterns.push(pack.add("pattern", i.started_at, p.services.first().map(String::as_str), text));
        }
        if root.is_some() && !patterns.is_empty() {
            text.push_str(&format!(" Log patterns that changed: [{}].", patterns.join("][")));
        }
    }
    Answer {
        question: question.to_string(),
        interpretation: interp,
        root_cause: root.map(|c| AskCause {
            service: c.service.clone(),
            summary: format!("{}: {}", c.service, c.reason),
            confidence: confidence_of(c, incident),
        }),
        candidates: ranking
            .iter()
            .take(5)
            .map(|c| AskCandidate { service: c.service.clone(), score: c.score, reason: c.reason.clone() })
            .collect(),
        evidence: pack.items,
        answer: text.trim().to_string(),
        runbooks: Vec::new(),
        incident: incident.map(|i| i.id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::rca::Signal;

    fn cand(service: &str, region: &str, score: f64, onset_min: i64) -> Candidate {
        let onset = DateTime::from_timestamp(onset_min * 60, 0).unwrap();
        let signal = Signal {
            service: service.into(),
            region: Some(region.into()),
            what: "errors on calls into it".into(),
            onset,
            end: None,
            baseline: 0.0,
            observed: 0.3,
            score: 40.0,
        };
        Candidate {
            service: service.into(),
            region: Some(region.into()),
            score,
            onset: Some(onset),
            reason: String::new(),
            signals: vec![signal],
            deploy: None,
            blamed_by_logs: 0,
            blame_example: None,
        }
    }

    #[test]
    fn a_fault_in_another_region_or_after_the_moment_asked_is_not_the_cause() {
        let ranking = vec![cand("basket", "us-east-1", 0.9, 100), cand("orders", "eu-west-1", 0.7, 100)];
        let (kept, root) = confine(ranking.clone(), Some(0), &["eu-west-1".to_string()], None);
        assert_eq!(kept.iter().map(|c| c.service.as_str()).collect::<Vec<_>>(), ["orders"]);
        assert_eq!(root, Some(0));
        // Asked about minute 80: a cause that began at minute 100 explains nothing seen then.
        let moment = DateTime::from_timestamp(80 * 60, 0);
        let (kept, root) = confine(ranking, Some(0), &[], moment);
        assert!(kept.is_empty());
        assert_eq!(root, None);
    }
}
