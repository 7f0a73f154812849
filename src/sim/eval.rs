//! Scores the analysis stage against a scenario's ground truth: alert compression, pairwise same-incident
//! precision/recall/F1 over alert episodes, and the rank of the true root cause in each incident's ranking.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;

use super::{FaultKind, Scenario, ScenarioSpec, Variety};
use crate::analysis::incidents::{analyze, Analysis, AnalysisConfig, Telemetry};

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioScore {
    pub seed: u64,
    pub fault: FaultKind,
    pub services: usize,
    /// Alert episodes (a flapping alert counts once per firing).
    pub alerts: usize,
    pub distinct_alerts: usize,
    pub incidents: usize,
    pub truth_incidents: usize,
    /// (true positive, predicted-same, truth-same) pairs of episodes.
    pub pairs: (u64, u64, u64),
    /// 1-based rank of the true root service in the main incident's ranking; `None` when absent.
    pub main_rank: Option<usize>,
    /// Same for every truth incident (main first).
    pub ranks: Vec<Option<usize>>,
    /// Whether the main incident's suspected cause (above threshold) was named at all.
    pub main_named: bool,
    /// The confidence given with the main incident's suspected cause, and whether it was right.
    pub main_cause: Option<(f64, bool)>,
    pub elapsed: StdDuration,
    /// Per truth incident: the truth, then the top candidates with their reasons.
    pub explain: Vec<String>,
}

impl ScenarioScore {
    pub fn compression(&self) -> f64 {
        1.0 - self.incidents as f64 / self.alerts.max(1) as f64
    }

    pub fn f1(&self) -> f64 {
        f1(self.pairs)
    }
}

pub fn f1((tp, pred, truth): (u64, u64, u64)) -> f64 {
    let p = if pred == 0 { 1.0 } else { tp as f64 / pred as f64 };
    let r = if truth == 0 { 1.0 } else { tp as f64 / truth as f64 };
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

/// Runs the analysis on `s` as of its end and scores it.
pub fn evaluate(s: &Scenario) -> ScenarioScore {
    let now = s.spec.start + Duration::seconds(s.spec.duration_secs);
    let t = Telemetry { logs: &s.logs, spans: &s.spans, metrics: &s.metrics, alerts: &s.alerts };
    let started = Instant::now();
    let analysis = analyze(&t, now, &AnalysisConfig::default());
    let elapsed = started.elapsed();
    let mut fp_to_incident: HashMap<&str, usize> = HashMap::new();
    for (k, inc) in analysis.incidents.iter().enumerate() {
        for a in &inc.alerts {
            fp_to_incident.insert(a.fingerprint.as_str(), k);
        }
    }
    let (tp, ps, ts) = pairs(s, &fp_to_incident);
    let mut explain = Vec::new();
    let ranks: Vec<Option<usize>> = s
        .truth
        .incidents
        .iter()
        .map(|ti| {
            explain.push(format!(
                "  truth: {} on {}{} at {}",
                ti.fault,
                ti.root_service,
                ti.root_region.as_ref().map(|r| format!(" in {r}")).unwrap_or_default(),
                ti.onset.format("%H:%M")
            ));
            let mut votes: HashMap<usize, usize> = HashMap::new();
            for fp in &ti.alert_fingerprints {
                if let Some(&k) = fp_to_incident.get(fp.as_str()) {
                    *votes.entry(k).or_default() += 1;
                }
            }
            let k = votes.into_iter().max_by_key(|(k, n)| (*n, std::cmp::Reverse(*k))).map(|(k, _)| k)?;
            let inc = &analysis.incidents[k];
            explain.push(format!(
                "  incident {} ({} alerts, root {:?})",
                inc.title,
                inc.alerts.len(),
                inc.root_cause.as_ref().map(|r| &r.service)
            ));
            for c in inc.ranking.iter().take(4) {
                explain.push(format!("    {:.3} {}: {}", c.score, c.service, c.reason));
                for sig in c.signals.iter().take(6) {
                    explain.push(format!(
                        "        {} {:?} {} -> {:?} z {:.1} ({:.3} -> {:.3})",
                        sig.what,
                        sig.region,
                        sig.onset.format("%H:%M"),
                        sig.end.map(|e| e.format("%H:%M").to_string()),
                        sig.score,
                        sig.baseline,
                        sig.observed
                    ));
                }
            }
            analysis.incidents[k].ranking.iter().position(|c| c.service == ti.root_service).map(|p| p + 1)
        })
        .collect();
    let main_named = s.truth.incidents.first().is_some_and(|ti| {
        analysis.incidents.iter().any(|inc| {
            inc.alerts.iter().any(|a| ti.alert_fingerprints.contains(&a.fingerprint))
                && inc.root_cause.as_ref().is_some_and(|r| r.service == ti.root_service)
        })
    });
    let main_cause = main_cause(s, &analysis, &fp_to_incident);
    let mut distinct: Vec<&str> = s.alerts.iter().map(|a| a.fingerprint.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    ScenarioScore {
        seed: s.spec.seed,
        fault: s.spec.fault,
        services: s.services.len(),
        alerts: s.alerts.len(),
        distinct_alerts: distinct.len(),
        incidents: analysis.incidents.len(),
        truth_incidents: s.truth.incidents.len(),
        pairs: (tp, ps, ts),
        main_rank: ranks.first().copied().flatten(),
        ranks,
        main_named,
        main_cause,
        elapsed,
        explain,
    }
}

/// The confidence given with the main incident's suspected cause, and whether it was right.
fn main_cause(s: &Scenario, analysis: &Analysis, fp_to_incident: &HashMap<&str, usize>) -> Option<(f64, bool)> {
    let ti = s.truth.incidents.first()?;
    let mut votes: HashMap<usize, usize> = HashMap::new();
    for fp in &ti.alert_fingerprints {
        if let Some(&k) = fp_to_incident.get(fp.as_str()) {
            *votes.entry(k).or_default() += 1;
        }
    }
    let k = votes.into_iter().max_by_key(|(k, n)| (*n, std::cmp::Reverse(*k))).map(|(k, _)| k)?;
    let rc = analysis.incidents[k].root_cause.as_ref()?;
    Some((rc.confidence, rc.service == ti.root_service))
}

/// (true positive, predicted-same, truth-same) pairs of alert episodes, given the incident
/// each fingerprint was put in.
fn pairs(s: &Scenario, fp_to_incident: &HashMap<&str, usize>) -> (u64, u64, u64) {
    // Truth label of each episode: its truth incident, else its own fingerprint (flapping noise is one group).
    let mut truth_of: HashMap<&str, String> = HashMap::new();
    for (k, inc) in s.truth.incidents.iter().enumerate() {
        for fp in &inc.alert_fingerprints {
            truth_of.insert(fp.as_str(), format!("incident-{k}"));
        }
    }
    let truth: Vec<String> = s
        .alerts
        .iter()
        .map(|a| truth_of.get(a.fingerprint.as_str()).cloned().unwrap_or_else(|| a.fingerprint.clone()))
        .collect();
    // Predicted label of each episode: the incident holding its (fingerprint, start).
    let mut pred_of: HashMap<(String, i64), usize> = HashMap::new();
    // Episodes are reported per fingerprint (newest), so map every episode by fingerprint and start where known.
    for (i, a) in s.alerts.iter().enumerate() {
        let k = fp_to_incident.get(a.fingerprint.as_str()).copied().unwrap_or(usize::MAX - i);
        pred_of.insert((a.fingerprint.clone(), a.starts_at.timestamp()), k);
    }
    let pred: Vec<usize> =
        s.alerts.iter().map(|a| pred_of[&(a.fingerprint.clone(), a.starts_at.timestamp())]).collect();
    let (mut tp, mut ps, mut ts) = (0u64, 0u64, 0u64);
    for i in 0..s.alerts.len() {
        for j in i + 1..s.alerts.len() {
            let same_p = pred[i] == pred[j];
            let same_t = truth[i] == truth[j];
            tp += u64::from(same_p && same_t);
            ps += u64::from(same_p);
            ts += u64::from(same_t);
        }
    }
    (tp, ps, ts)
}

/// The standard evaluation set: `n` scenarios cycling through the fault kinds, with varied seeds and sizes.
pub fn suite(n: usize, seed0: u64) -> Vec<ScenarioSpec> {
    (0..n)
        .map(|i| {
            let seed = seed0 + i as u64;
            let fault = FaultKind::ALL[i % FaultKind::ALL.len()];
            ScenarioSpec { services: 6 + (seed as usize * 7 + i / 8) % 9, ..ScenarioSpec::new(seed, fault) }
        })
        .collect()
}

/// The standard set with a `Variety` drawn from each scenario's seed.
pub fn varied_suite(n: usize, seed0: u64) -> Vec<ScenarioSpec> {
    suite(n, seed0).into_iter().map(|s| ScenarioSpec { variety: Variety::draw(s.seed), ..s }).collect()
}

/// (fault kind, right, asked) for each kind present, in `FaultKind::ALL` order.
pub fn by_kind(rows: &[(FaultKind, bool)]) -> Vec<(FaultKind, usize, usize)> {
    FaultKind::ALL
        .into_iter()
        .map(|k| {
            let of: Vec<bool> = rows.iter().filter(|(f, _)| *f == k).map(|(_, ok)| *ok).collect();
            (k, of.iter().filter(|ok| **ok).count(), of.len())
        })
        .filter(|(_, _, n)| *n > 0)
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub scenarios: usize,
    pub compression: f64,
    pub f1: f64,
    pub ac1: f64,
    pub ac3: f64,
    /// Over every truth incident, the second (unrelated) ones included.
    pub ac1_all: f64,
    pub ac3_all: f64,
}

pub fn summarize(scores: &[ScenarioScore]) -> Summary {
    let n = scores.len().max(1) as f64;
    let alerts: usize = scores.iter().map(|s| s.alerts).sum();
    let incidents: usize = scores.iter().map(|s| s.incidents).sum();
    let pairs = scores.iter().fold((0, 0, 0), |acc, s| (acc.0 + s.pairs.0, acc.1 + s.pairs.1, acc.2 + s.pairs.2));
    let at = |k: usize| scores.iter().filter(|s| s.main_rank.is_some_and(|r| r <= k)).count() as f64 / n;
    let all: Vec<Option<usize>> = scores.iter().flat_map(|s| s.ranks.iter().copied()).collect();
    let all_at = |k: usize| all.iter().filter(|r| r.is_some_and(|r| r <= k)).count() as f64 / all.len().max(1) as f64;
    Summary {
        scenarios: scores.len(),
        compression: 1.0 - incidents as f64 / alerts.max(1) as f64,
        f1: f1(pairs),
        ac1: at(1),
        ac3: at(3),
        ac1_all: all_at(1),
        ac3_all: all_at(3),
    }
}
