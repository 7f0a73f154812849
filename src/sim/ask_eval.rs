//! Scores `ask --offline` against a scenario's ground truth: for questions an on-call
//! engineer would type about the incident (from a symptom service, from the root, with no
//! service at all), is the true root named first (AC@1), among the first three (AC@3), and
//! cited with evidence from the root near the onset; and for a question about a quiet
//! window, does the answer say that nothing explains it.
//!
//! The pipeline is the one `firewatch ask` runs (interpret, scope, analyze, answer), on the
//! scenario's telemetry in memory instead of the store.

use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};

use super::{Scenario, Tier, Variety};
use crate::analysis::calibration::{self, Calibration};
use crate::analysis::incidents::{analyze, AnalysisConfig, Telemetry};
use crate::copilot::interpret::{interpret, Known};
use crate::copilot::offline::{self, Answer};

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionScore {
    pub question: String,
    /// The truth: the root service, or `None` for a quiet-window question.
    pub truth: Option<String>,
    pub named: Option<String>,
    /// The confidence given with the named cause; 0 for "no cause".
    pub confidence: f64,
    /// Candidates, best first.
    pub ranked: Vec<String>,
    /// Evidence from the root service within 15 minutes of the onset.
    pub evidence_near_onset: bool,
    pub elapsed: StdDuration,
}

impl QuestionScore {
    pub fn correct(&self) -> bool {
        self.named == self.truth
    }

    pub fn in_top(&self, k: usize) -> bool {
        match &self.truth {
            Some(t) => self.ranked.iter().take(k).any(|c| c == t),
            None => self.named.is_none(),
        }
    }
}

/// Runs one question through the `ask` pipeline as of `now`.
pub fn ask(s: &Scenario, question: &str, now: DateTime<Utc>) -> Answer {
    let mut known = Known::default();
    for svc in s
        .logs
        .iter()
        .filter_map(|l| l.resource.service.clone())
        .chain(s.alerts.iter().filter_map(|a| a.service.clone()))
    {
        if !known.services.contains(&svc) {
            known.services.push(svc);
        }
    }
    for r in s.alerts.iter().filter_map(|a| a.region.clone()) {
        if !known.regions.contains(&r) {
            known.regions.push(r);
        }
    }
    let interp = interpret(question, now, &known);
    let scope = offline::scope(&interp);
    let within = |t: DateTime<Utc>| t >= scope.from && t <= scope.to;
    let logs: Vec<_> = s.logs.iter().filter(|l| within(l.timestamp)).cloned().collect();
    let spans: Vec<_> = s.spans.iter().filter(|sp| within(sp.start)).cloned().collect();
    let metrics: Vec<_> = s.metrics.iter().filter(|m| within(m.timestamp)).cloned().collect();
    let alerts: Vec<_> = s
        .alerts
        .iter()
        .filter(|a| a.starts_at >= scope.alerts_from && a.starts_at <= scope.alerts_to)
        .cloned()
        .collect();
    let t = Telemetry { logs: &logs, spans: &spans, metrics: &metrics, alerts: &alerts };
    let analysis = analyze(&t, interp.window.end.min(now), &AnalysisConfig::default());
    offline::answer(question, interp, &analysis)
}

/// A question, what the right answer names (`None`: nothing explains it), and when it is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub text: String,
    pub truth: Option<String>,
    pub now: DateTime<Utc>,
}

/// The questions asked of one scenario: three about its main incident, and one about a
/// quiet window before anything happened.
pub fn questions(s: &Scenario) -> Vec<(String, Option<String>)> {
    let truth = &s.truth.incidents[0];
    let root = truth.root_service.clone();
    let hm = |t: DateTime<Utc>| t.format("%H:%M").to_string();
    let symptom = symptom(s);
    let region = truth.root_region.clone().map(|r| format!(" in {r}")).unwrap_or_default();
    let mut out = vec![
        (format!("why did {symptom} have errors at {}", hm(truth.onset + Duration::minutes(6))), Some(root.clone())),
        (
            format!("why is {symptom} slow{region} around {}", hm(truth.onset + Duration::minutes(4))),
            Some(root.clone()),
        ),
        (format!("what broke at {}", hm(truth.onset + Duration::minutes(8))), Some(root.clone())),
    ];
    // Quiet: a window that ends well before any incident of the scenario began (the
    // unrelated second one comes early), when the scenario leaves room for one.
    let first = s.truth.incidents.iter().map(|i| i.onset).min().unwrap_or(truth.onset);
    let (from, to) = (s.spec.start + Duration::minutes(5), first - Duration::minutes(8));
    if to - from >= Duration::minutes(5) {
        out.push((format!("why was {symptom} slow between {} and {}", hm(from), hm(to)), None));
    }
    out
}

/// A service that felt the main incident: one with an alert of it, other than the root.
fn symptom(s: &Scenario) -> String {
    let truth = &s.truth.incidents[0];
    s.alerts
        .iter()
        .filter(|a| truth.alert_fingerprints.contains(&a.fingerprint))
        .filter_map(|a| a.service.clone())
        .find(|svc| *svc != truth.root_service)
        .unwrap_or_else(|| truth.root_service.clone())
}

/// Every question for a scenario, asked as of its end; with `Variety`, also the ones people
/// ask in the middle of an incident: a rough "for about 10 minutes" when it began 25 minutes
/// ago, "is the edge slow?" when the root is behind it, and a region the fault is not in.
pub fn all_questions(s: &Scenario) -> Vec<Question> {
    let end = s.spec.start + Duration::seconds(s.spec.duration_secs);
    let mut out: Vec<Question> =
        questions(s).into_iter().map(|(text, truth)| Question { text, truth, now: end }).collect();
    if s.spec.variety == Variety::default() {
        return out;
    }
    let truth = &s.truth.incidents[0];
    let root = Some(truth.root_service.clone());
    let symptom = symptom(s);
    let at = |m: i64| (truth.onset + Duration::minutes(m)).min(end);
    out.push(Question {
        text: format!("{symptom} has been failing for about 10 minutes"),
        truth: root.clone(),
        now: at(25),
    });
    if let Some(entry) = s.services.iter().find(|x| x.tier == Tier::Entry && x.name != truth.root_service) {
        let text = format!("is {} slow? p99 is way up in the last 30 minutes", entry.name);
        out.push(Question { text, truth: root.clone(), now: at(20) });
        // A region the fault is not in: the edge there is fine.
        if let Some(r) = &truth.root_region {
            if let Some(other) = entry.regions.iter().find(|x| *x != r) {
                let text = format!("why is {} slow in {other} around {}", entry.name, at(6).format("%H:%M"));
                out.push(Question { text, truth: None, now: end });
            }
        }
    }
    out
}

pub fn evaluate(s: &Scenario) -> Vec<QuestionScore> {
    let onset = s.truth.incidents[0].onset;
    all_questions(s)
        .into_iter()
        .map(|Question { text: question, truth, now }| {
            let started = Instant::now();
            let a = ask(s, &question, now);
            let elapsed = started.elapsed();
            let evidence_near_onset = match &truth {
                Some(root) => a.evidence.iter().any(|e| {
                    e.service.as_deref() == Some(root.as_str()) && (e.timestamp - onset).num_minutes().abs() <= 15
                }),
                None => true,
            };
            QuestionScore {
                question,
                named: a.root_cause.as_ref().map(|r| r.service.clone()),
                confidence: a.root_cause.as_ref().map_or(0.0, |r| r.confidence),
                ranked: a.candidates.iter().map(|c| c.service.clone()).collect(),
                truth,
                evidence_near_onset,
                elapsed,
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct AskSummary {
    pub questions: usize,
    pub ac1: f64,
    pub ac3: f64,
    pub quiet: usize,
    pub quiet_correct: usize,
    pub evidence_near_onset: f64,
    pub median: StdDuration,
}

pub fn summarize(scores: &[QuestionScore]) -> AskSummary {
    let incident: Vec<&QuestionScore> = scores.iter().filter(|q| q.truth.is_some()).collect();
    let n = incident.len().max(1) as f64;
    let mut times: Vec<StdDuration> = scores.iter().map(|q| q.elapsed).collect();
    times.sort();
    AskSummary {
        questions: incident.len(),
        ac1: incident.iter().filter(|q| q.correct()).count() as f64 / n,
        ac3: incident.iter().filter(|q| q.in_top(3)).count() as f64 / n,
        quiet: scores.len() - incident.len(),
        quiet_correct: scores.iter().filter(|q| q.truth.is_none() && q.named.is_none()).count(),
        evidence_near_onset: incident.iter().filter(|q| q.evidence_near_onset).count() as f64 / n,
        median: times.get(times.len() / 2).copied().unwrap_or_default(),
    }
}

/// Calibration of the confidence given with named causes: (confidence, the named cause is
/// the truth) for every answer that named one, quiet windows included.
pub fn calibration(scores: &[QuestionScore]) -> Calibration {
    let pairs: Vec<(f64, bool)> =
        scores.iter().filter(|q| q.named.is_some()).map(|q| (q.confidence, q.correct())).collect();
    calibration::calibration(&pairs, CALIBRATION_BINS)
}

/// Bins of the reliability table.
pub const CALIBRATION_BINS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{eval::suite, generate};

    /// A small suite in the unit tests; `firewatch-sim ask-eval` runs the full one.
    #[test]
    fn offline_answers_name_the_root_and_stay_quiet_when_nothing_happened() {
        let mut scores = Vec::new();
        for spec in suite(3, 300) {
            scores.extend(evaluate(&generate(&spec)));
        }
        let sum = summarize(&scores);
        assert!(sum.ac1 >= 0.8 && sum.ac3 >= 0.95, "{sum:?}\n{scores:#?}");
        assert_eq!(sum.quiet_correct, sum.quiet, "{scores:#?}");
        assert!(sum.evidence_near_onset >= 0.95, "{sum:?}");
    }
}
