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

/// Whether the incident was going on when the symptom was: it began before the window ended (or just after: alerts
/// lag), and it had not ended well before the moment asked about, or before the window began when no moment was
/// named. An episode that was over before the symptom began did not cause it.
fn overlaps(inc: &Incident, start: DateTime<Utc>, end: DateTime<Utc>, moment: Option<DateTime<Utc>>) -> bool {
    let until = inc.resolved_at.unwrap_or(DateTime::<Utc>::MAX_UTC);
    let since = moment.map_or(start, |m| m - Duration::minutes(10));
    inc.started_at <= end + Duration::minutes(10) && until >= since
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

/// Whether a cause that began at `onset` can explain a symptom seen in `[start, end]`: it began in the window, or
/// shortly before it (a failure reaches callers in minutes, not in an hour).
fn timely(onset: DateTime<Utc>, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
    onset >= start - Duration::minutes(10) && onset <= end
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

/// The signals to cite, strongest first but one of each kind before a second of any: "restarts rose in three
/// regions" says less than restarts, memory and the OOM kills behind them.
fn distinct_kinds(signals: &[rca::Signal]) -> Vec<&rca::Signal> {
    let mut seen = std::collections::HashSet::new();
    let (first, rest): (Vec<&rca::Signal>, Vec<&rca::Signal>) = signals.iter().partition(|s| seen.insert(&s.what));
    first.into_iter().chain(rest).collect()
}

/// Whether a signal lies in the regions asked about (any, when none was asked; a signal without a region may).
fn in_regions(s: &rca::Signal, regions: &[String]) -> bool {
    regions.is_empty() || s.region.as_ref().is_none_or(|r| regions.contains(r))
}

/// The incident the question is about: one going on then that concerns the services and regions asked about.
fn pick_incident<'a>(interp: &Interpretation, analysis: &'a Analysis) -> Option<&'a Incident> {
    let (start, end) = (interp.window.start, interp.window.end);
    let topo = &analysis.topology;
    analysis
        .incidents
        .iter()
        .filter(|i| overlaps(i, start, end, interp.moment()) && concerns(i, &interp.services, topo))
        // Something that began well after the moment asked about did not cause what was seen then.
        .filter(|i| interp.moment().is_none_or(|m| i.started_at <= m + LATE))
        // An incident confined to other regions than the one asked about is somebody else's.
        .filter(|i| {
            interp.regions.is_empty() || i.regions.is_empty() || i.regions.iter().any(|r| interp.regions.contains(r))
        })
        .max_by_key(|i| {
            // What started around the time asked about beats what was already going on; a cause that began then
            // beats one from an earlier episode that the incident's alerts happen to span.
            let began_then = i.started_at >= start - Duration::minutes(10) && i.started_at <= end;
            let timely = i.root_cause.as_ref().is_some_and(|rc| timely(rc.onset.unwrap_or(i.started_at), start, end));
            (
                timely,
                i.root_cause.is_some(),
                i.services.iter().filter(|s| interp.services.contains(s)).count(),
                began_then,
                i.alerts.len(),
            )
        })
}

/// Whether the service asked about felt something, so that an incident elsewhere can explain it.
/// The deviations of the services asked about themselves, in the regions asked about, that began from half an
/// hour before the window to its end: the symptom as it was felt.
fn own_signals<'a>(interp: &Interpretation, analysis: &'a Analysis) -> Vec<&'a rca::Signal> {
    let (start, end) = (interp.window.start, interp.window.end);
    interp
        .services
        .iter()
        .flat_map(|s| analysis.signals.of(s))
        .filter(|g| g.onset >= start - Duration::minutes(30) && g.onset <= end && in_regions(g, &interp.regions))
        .collect()
}

fn symptom_felt(interp: &Interpretation, analysis: &Analysis, incident: Option<&Incident>) -> bool {
    let start = interp.window.start;
    let topo = &analysis.topology;
    // An incident elsewhere explains the service asked about only if that service felt
    // something: a deviation of its own in the window. A flapping alert on a callee does
    // not make a healthy frontend slow.
    let own = own_signals(interp, analysis);
    // Or when the incident's cause is something it calls: its own metrics may be too coarse to show a share of
    // failing requests, but the chain is in the traces.
    let behind = incident.and_then(|i| i.root_cause.as_ref()).is_some_and(|rc| {
        interp.services.iter().any(|s| topo.descendants(s).contains(&rc.service))
            && incident.is_some_and(|i| i.started_at >= start - Duration::minutes(10))
    });
    interp.services.is_empty() || !own.is_empty() || behind
}

/// The regions where the services asked about deviated around the time asked about, when no region was asked
/// and every such deviation says where it was; empty otherwise.
fn felt_regions(interp: &Interpretation, analysis: &Analysis) -> Vec<String> {
    if !interp.regions.is_empty() {
        return Vec::new();
    }
    let own = own_signals(interp, analysis);
    let mut regions: Vec<String> = own.iter().filter_map(|g| g.region.clone()).collect();
    if regions.len() < own.len() {
        return Vec::new();
    }
    regions.sort();
    regions.dedup();
    regions
}

/// Puts first the candidates that could have started the symptom where it was felt: those that nothing they call
/// explains, with a signal in `regions` or no regional signals at all. Nothing is dropped (a root's own signals may
/// carry another region label than its callers', or clear the detector in some regions only); the root stays the
/// first one if it clears the bar.
fn prefer_regions(
    mut ranking: Vec<Candidate>,
    root: Option<usize>,
    regions: &[String],
) -> (Vec<Candidate>, Option<usize>) {
    if regions.is_empty() {
        return (ranking, root);
    }
    let elsewhere = |c: &Candidate| {
        let mut regional = c.signals.iter().filter_map(|s| s.region.as_ref()).peekable();
        regional.peek().is_some() && !regional.any(|r| regions.contains(r))
    };
    ranking.sort_by_key(|c| !c.explained_by.is_empty() || elsewhere(c));
    let min = RcaConfig::default().min_score;
    let root = root.and_then(|_| ranking.first()).filter(|c| c.score >= min).map(|_| 0);
    (ranking, root)
}

/// The ranking an answer speaks from, the index of its root in it, and whether the symptom was felt.
struct Ranked {
    ranking: Vec<Candidate>,
    root_index: Option<usize>,
    felt: bool,
}

/// The ranking for the question: the incident's own, else one made for what was asked, confined to the regions
/// asked about.
fn choose_ranking(interp: &Interpretation, analysis: &Analysis, incident: Option<&Incident>) -> Ranked {
    let start = interp.window.start;
    let end = interp.window.end;
    // The ranking: the incident's own, else one made for the services asked about, at the moment asked about. An
    // incident whose alerts span several episodes can have no cause for the one asked about: the symptom's own
    // ranking then speaks.
    let asked_ranking = || {
        let at = interp.moment().unwrap_or(start + Duration::minutes(30)).min(end);
        let group = AlertGroup::asked(interp.services.clone(), interp.regions.clone(), at);
        rca::rank(&group, &[], &analysis.signals, &analysis.topology, &RcaConfig::default())
    };
    let (ranking, root_index): (Vec<Candidate>, Option<usize>) = match incident {
        Some(i) if i.root_cause.is_some() => (i.ranking.clone(), Some(0)),
        _ if !interp.services.is_empty() => match (asked_ranking(), incident) {
            (r, Some(i)) if r.root.is_none() => (i.ranking.clone(), None),
            (r, _) => (r.candidates, r.root),
        },
        Some(i) => (i.ranking.clone(), None),
        None => (Vec::new(), None),
    };
    let felt = symptom_felt(interp, analysis, incident);
    let (ranking, root_index) = if felt { (ranking, root_index) } else { (Vec::new(), None) };
    // Where the symptom is: the regions asked about. (Inferring them from where the asked service deviated drops
    // a root whose own signals carry another region label than its callers'.)
    let (ranking, root_index) = confine(ranking, root_index, &interp.regions, interp.moment());
    // No region asked about: where the symptom was felt says where to look first.
    let (ranking, root_index) = prefer_regions(ranking, root_index, &felt_regions(interp, analysis));
    // The incident's cause lay elsewhere (another region, a later episode): what does the symptom itself point to?
    let (ranking, root_index) = match (root_index, incident) {
        (None, Some(_)) if felt && !interp.services.is_empty() => {
            let r = asked_ranking();
            match confine(r.candidates, r.root, &interp.regions, interp.moment()) {
                (own, Some(i)) => (own, Some(i)),
                _ => (ranking, None),
            }
        }
        _ => (ranking, root_index),
    };
    Ranked { ranking, root_index, felt }
}

/// The answer when no cause clears the threshold: why not, citing the incident's first alerts.
fn explain_no_cause(interp: &Interpretation, incident: Option<&Incident>, felt: bool, pack: &mut Pack) -> String {
    let (start, end) = (interp.window.start, interp.window.end);
    let what = symptom_words(interp.symptom);
    let when = format!("{} to {}", start.format("%H:%M"), end.format("%H:%M UTC"));
    let subject = interp.services.first().cloned().unwrap_or_else(|| "any service".to_string());
    let mut text = match incident {
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
    text
}

/// The answer naming cause `c`: its signals, its deploy, the calls into it that failed, its callers' logs, and the
/// chain from the service asked about to it.
fn explain_cause(
    interp: &Interpretation,
    topo: &Topology,
    c: &Candidate,
    ranking: &[Candidate],
    incident: Option<&Incident>,
    pack: &mut Pack,
) -> String {
    let (start, end) = (interp.window.start, interp.window.end);
    let mut text = String::new();
    let onset = c.onset.unwrap_or(start);
    let mut cites = Vec::new();
    for s in distinct_kinds(&c.signals).into_iter().take(3) {
        cites.push(pack.add(
            if s.what.contains("log") || s.what.starts_with("pods ") { "log" } else { "metric" },
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
    if let Some(a) = interp.services.first().filter(|a| **a != c.service) {
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
    text
}

/// Adds the incident's alerts and changed log patterns to the evidence; they are named in the text only when a
/// cause was (`named`).
fn cite_incident(i: &Incident, named: bool, pack: &mut Pack, text: &mut String) {
    let mut names: Vec<String> = Vec::new();
    for a in &i.alerts {
        let n = format!("{} on {}", a.alertname, a.labels.get("service").map_or("?", String::as_str));
        if !names.contains(&n) && names.len() < 4 {
            names.push(n);
        }
    }
    if named && !names.is_empty() {
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
    if named && !patterns.is_empty() {
        text.push_str(&format!(" Log patterns that changed: [{}].", patterns.join("][")));
    }
}

/// Answers `question` from the analysis. `interp` is the interpretation shown to the user.
pub fn answer(question: &str, interp: Interpretation, analysis: &Analysis) -> Answer {
    let incident = pick_incident(&interp, analysis);
    let Ranked { ranking, root_index, felt } = choose_ranking(&interp, analysis, incident);
    let root = root_index.and_then(|i| ranking.get(i));
    let mut pack = Pack { items: Vec::new() };
    let mut text = match root {
        None => explain_no_cause(&interp, incident, felt, &mut pack),
        Some(c) => explain_cause(&interp, &analysis.topology, c, &ranking, incident, &mut pack),
    };
    if let Some(i) = incident {
        cite_incident(i, root.is_some(), &mut pack, &mut text);
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
            evidence: None,
        };
        Candidate {
            service: service.into(),
            region: Some(region.into()),
            score,
            onset: Some(onset),
            reason: String::new(),
            explained_by: Vec::new(),
            signals: vec![signal],
            deploy: None,
            blamed_by_logs: 0,
            blame_example: None,
        }
    }

    #[test]
    fn where_the_symptom_was_felt_goes_first_unless_a_callee_explains_it() {
        let names = |r: &[Candidate]| r.iter().map(|c| c.service.clone()).collect::<Vec<_>>();
        let eu = vec!["eu".to_string()];
        // The strongest suspect failed in another region than the one the asked service felt it in.
        let ranking = vec![cand("reco", "us", 1.0, 100), cand("orders", "eu", 0.8, 105), cand("ad", "us", 0.6, 90)];
        let (r, root) = prefer_regions(ranking.clone(), Some(0), &eu);
        assert_eq!(names(&r), ["orders", "reco", "ad"]);
        assert_eq!(root, Some(0));
        // A suspect there that its own callee explains is a symptom: the order stands.
        let mut explained = ranking.clone();
        explained[1].explained_by = vec!["reco".into()];
        let (r, _) = prefer_regions(explained, Some(0), &eu);
        assert_eq!(names(&r), ["reco", "orders", "ad"]);
        // Nowhere felt, nothing moves.
        assert_eq!(names(&prefer_regions(ranking, Some(0), &[]).0), ["reco", "orders", "ad"]);
    }

    #[test]
    fn a_cause_must_begin_in_the_window_or_just_before_it() {
        let m = |min: i64| DateTime::from_timestamp(min * 60, 0).unwrap();
        let (start, end) = (m(100), m(160));
        assert!(timely(m(95), start, end));
        assert!(timely(m(150), start, end));
        // An episode from an hour before, which the incident's alerts happen to span, is not it; nor what came after.
        assert!(!timely(m(40), start, end));
        assert!(!timely(m(170), start, end));
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
