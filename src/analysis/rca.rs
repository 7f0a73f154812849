//! Root-cause ranking for an incident.
//!
//! Every service gets its *signals* once, over the whole data: anomalies on its metric series (per region), on its
//! error-log rate, and on the calls into it (error ratio and latency of its inbound edges), an expired certificate,
//! and the deploys it went through. For an incident, the candidates are its services and everything they call; a
//! candidate counts as anomalous when one of its signals started in the incident's onset window and was still
//! going when the incident began. The ranking then prefers, in this order of weight:
//! - the callee-most anomalous service: one whose own callees are not anomalous from before it (a failure travels
//!   up the call graph, so its callers' anomalies are symptoms);
//! - the earliest onset;
//! - the strongest deviation;
//! - supporting evidence: a deploy shortly before onset, callers' errors and failing calls naming it.
//!
//! "No cause found" is an honest answer: below `min_score` (or with no anomalous candidate) the root is `None`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::anomaly::{self, Anomaly, DetectorConfig, Direction};
use super::correlate::AlertGroup;
use super::significance::{self, is_fraction, meaningful, GateReport, MIN_CALLS, MIN_EVENTS};
use super::templates::{MinerConfig, TemplateMiner};
use super::topology::Topology;
use crate::model::{Alert, LogRecord, MetricPoint, Severity};

#[derive(Debug, Clone, PartialEq)]
pub struct RcaConfig {
    /// How long before the incident's first alert a cause may have started.
    pub lookback: Duration,
    /// How long after the first alert an onset still counts (alerts can be quicker than a slow ramp's detection).
    pub lookahead: Duration,
    /// A deploy this long before a service's onset supports it as the cause.
    pub deploy_window: Duration,
    /// A callee whose onset is at most this much later than a caller's still explains the caller.
    pub propagation_slack: Duration,
    pub min_score: f64,
}

impl Default for RcaConfig {
    fn default() -> Self {
        RcaConfig {
            lookback: Duration::minutes(60),
            lookahead: Duration::minutes(10),
            deploy_window: Duration::minutes(20),
            propagation_slack: Duration::minutes(3),
            min_score: 0.5,
        }
    }
}

/// One reason to suspect a service.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub service: String,
    pub region: Option<String>,
    /// What deviated, e.g. `db.server.query.duration` or `error logs`.
    pub what: String,
    pub onset: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    pub baseline: f64,
    pub observed: f64,
    pub score: f64,
    /// The episode's combined z when the signal is a statistical finding (see [`significance`]); `None` for
    /// facts (an expired certificate, a Kubernetes event, data that stopped).
    #[serde(skip)]
    pub evidence: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deploy {
    pub service: String,
    pub at: DateTime<Utc>,
    pub version: Option<String>,
    pub text: String,
}

/// A ranked suspect.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub service: String,
    pub region: Option<String>,
    pub score: f64,
    pub onset: Option<DateTime<Utc>>,
    pub reason: String,
    /// What it calls that went wrong before it (so it is more likely a symptom than the cause).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explained_by: Vec<String>,
    /// The signals behind it, strongest first.
    pub signals: Vec<Signal>,
    pub deploy: Option<Deploy>,
    /// Error logs of other services that name this one (peer attribute or text) after its onset.
    pub blamed_by_logs: u64,
    /// An example of those logs: when, and the line.
    pub blame_example: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ranking {
    /// Best first.
    pub candidates: Vec<Candidate>,
    /// Index into `candidates` of the suspected cause; `None` when nothing clears the threshold.
    pub root: Option<usize>,
}

impl Ranking {
    pub fn root(&self) -> Option<&Candidate> {
        self.root.and_then(|i| self.candidates.get(i))
    }
}

/// Per-service facts computed once from all the data, shared by every incident's ranking.
#[derive(Debug, Default)]
pub struct Signals {
    by_service: BTreeMap<String, Vec<Signal>>,
    deploys: Vec<Deploy>,
    /// (named service, minute) -> error logs of other services naming it.
    blame: HashMap<(String, i64), u64>,
    blame_example: HashMap<String, Vec<(DateTime<Utc>, String)>>,
    /// Series-minutes judged so far, then what the significance gate did with the findings.
    tests: usize,
    gate: GateReport,
}

pub use super::series::{minute_means, SeriesKey};

fn detector(direction: Direction, counts: bool) -> DetectorConfig {
    // Per-minute data, and an incident may come 20 minutes into it: learn from a short history.
    DetectorConfig {
        window: 45,
        min_history: 12,
        threshold: 6.0,
        min_duration: 2,
        direction,
        counts,
        detect_period: false,
        ..DetectorConfig::default()
    }
}

/// Which way a metric goes when things are bad.
fn direction_of(name: &str) -> Option<Direction> {
    let n = name.to_ascii_lowercase();
    if n.contains("expiry") {
        return None;
    }
    // Bad is up for errors, latency, memory, restarts, queues and pending work; down for what is served (traffic,
    // success, hits) and what is left (free space, availability). Errors first: `errors_total` counts failures.
    if ["error", "fail", "reject", "timeout"].iter().any(|w| n.contains(w)) {
        return Some(Direction::Up);
    }
    if [".requests", "_count", "_total", "requests"].iter().any(|w| n.ends_with(w)) {
        return Some(Direction::Down);
    }
    let bad_when_up = ["latency", "duration", "time", "memory", "restart", "pending", "queue", "lag", "wait"];
    if bad_when_up.iter().any(|w| n.contains(w)) {
        return Some(Direction::Up);
    }
    let bad_when_down = ["hit.ratio", "hit_ratio", "throughput", "availab", "free", "success"];
    if n == "up" || bad_when_down.iter().any(|w| n.contains(w)) {
        return Some(Direction::Down);
    }
    Some(Direction::Up)
}

/// Scores above this say nothing more (a zero-variance baseline gives any change an unbounded z) and must not
/// outvote the other signals when the onset is read from them.
const MAX_SCORE: f64 = 100.0;

/// What a [`Signal`] says when other services' error logs naming it rose.
pub const BLAMED: &str = "error logs of its callers naming it";

/// What a [`Signal`] says when a service's metrics stopped arriving.
pub const STOPPED: &str = "metrics stopped arriving";

fn minute(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(60)
}

fn ts(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// Pushes the anomalies of one series that matter (see [`meaningful`]) as signals, and returns how many of its
/// points were judged: the tests it adds for the significance correction.
fn push_anomalies(
    out: &mut Vec<Signal>,
    service: &str,
    region: Option<&str>,
    what: &str,
    series: &[(i64, f64)],
    cfg: &DetectorConfig,
) -> usize {
    for a in anomaly::detect(series, cfg) {
        let Anomaly { onset, end, baseline, observed, score, evidence, .. } = a;
        if !meaningful(what, cfg.counts, baseline, observed) {
            continue;
        }
        out.push(Signal {
            service: service.to_string(),
            region: region.map(str::to_string),
            what: what.to_string(),
            onset: ts(onset),
            end: end.map(ts),
            baseline,
            observed,
            score: score.min(MAX_SCORE),
            evidence: Some(evidence),
        });
    }
    series.len().saturating_sub(cfg.min_history)
}

/// Names of services a log line mentions, among `names`, as whole words.
fn mentioned<'a>(body: &str, names: &'a [String]) -> impl Iterator<Item = &'a String> + 'a {
    let lower = body.to_ascii_lowercase();
    names.iter().filter(move |n| {
        lower.match_indices(n.as_str()).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + n.len()..].chars().next();
            let word = |c: Option<char>| c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            // A URL path segment (`/api/orders`) names a route, not a service; `//api:8080` names a host.
            let path = after == Some('/') || (before == Some('/') && !lower[..i].ends_with("//"));
            word(before) && word(after) && !path
        })
    })
}

/// When each version of each service was first seen in the logs.
type Versions = BTreeMap<String, BTreeMap<String, DateTime<Utc>>>;

/// Warning and error log times per (service, log template id).
type Patterns = BTreeMap<(String, u32), Vec<i64>>;

/// What one pass over the logs gathers for the log signals.
struct LogScan {
    /// The first and last log time, in seconds.
    lo: i64,
    hi: i64,
    /// Error log times per service.
    errors: BTreeMap<String, Vec<i64>>,
    miner: TemplateMiner,
    patterns: Patterns,
    versions: Versions,
}

/// The first minute (in seconds) each (service, region) certificate's expiry metric read zero or less, if any.
fn cert_expiries(metrics: &[MetricPoint]) -> BTreeMap<(String, String), Option<i64>> {
    let mut expiry: BTreeMap<(String, String), Option<i64>> = BTreeMap::new();
    for p in metrics.iter().filter(|p| p.name.contains("expiry")) {
        let Some(svc) = p.labels.get("service") else { continue };
        let region = p.labels.get("region").cloned().unwrap_or_default();
        let m = minute(p.timestamp) * 60;
        let e = expiry.entry((svc.to_ascii_lowercase(), region)).or_default();
        if p.value <= 0.0 && e.is_none_or(|t| m < t) {
            *e = Some(m);
        }
    }
    expiry
}

impl Signals {
    /// The signals of one service (any region), in onset order.
    pub fn of(&self, service: &str) -> &[Signal] {
        self.by_service.get(service).map_or(&[], Vec::as_slice)
    }

    pub fn compute(logs: &[LogRecord], metrics: &[MetricPoint], topo: &Topology) -> Self {
        let mut out = Signals::default();
        out.add_metric_signals(metrics);
        let scan = out.scan_logs(logs, topo);
        out.add_pod_signals(logs, topo, &scan.versions);
        out.add_error_log_signals(&scan);
        out.add_blame_signals(scan.lo, scan.hi);
        out.add_pattern_signals(scan.patterns, &scan.miner, scan.lo, scan.hi);
        out.add_version_deploys(scan.versions);
        out.add_call_signals(topo);
        out.deploys.sort_by_key(|d| d.at);
        out.apply_gate();
        out
    }

    /// What the significance gate did: how many tests, findings and kept ones.
    pub fn gate(&self) -> GateReport {
        self.gate
    }

    /// Drops the statistical findings that do not survive the correction for the number of tests made; facts
    /// stay. See [`significance`].
    fn apply_gate(&mut self) {
        let evidence: Vec<f64> = self.by_service.values().flatten().filter_map(|s| s.evidence).collect();
        let cut = significance::cutoff(&evidence, self.tests, significance::FALSE_DISCOVERY_RATE);
        for sigs in self.by_service.values_mut() {
            sigs.retain(|s| s.evidence.is_none_or(|z| z >= cut));
        }
        let kept = evidence.iter().filter(|&&z| z >= cut).count();
        self.gate = GateReport {
            tests: self.tests,
            found: evidence.len(),
            kept,
            cutoff: (!evidence.is_empty()).then_some(cut),
        };
    }

    /// Anomalies of each service's metric series, metrics that stopped arriving, and expired certificates.
    fn add_metric_signals(&mut self, metrics: &[MetricPoint]) {
        let expiry = cert_expiries(metrics);
        for ((svc, region, name), s) in &minute_means(metrics) {
            let Some(dir) = direction_of(name) else { continue };
            let region = (!region.is_empty()).then_some(region.as_str());
            self.tests += push_anomalies(
                self.by_service.entry(svc.clone()).or_default(),
                svc,
                region,
                name,
                s,
                &detector(dir, false),
            );
        }
        // A source that stops reporting while the rest goes on: down, or too sick to be scraped.
        for ((svc, region), gaps) in super::series::silences(metrics, 3) {
            for g in gaps {
                self.by_service.entry(svc.clone()).or_default().push(Signal {
                    service: svc.clone(),
                    region: (!region.is_empty()).then(|| region.clone()),
                    what: STOPPED.into(),
                    onset: ts(g.from),
                    end: g.to.map(ts),
                    baseline: 1.0,
                    observed: 0.0,
                    score: 30.0,
                    evidence: None,
                });
            }
        }
        for ((svc, region), at) in expiry {
            if let Some(at) = at {
                self.by_service.entry(svc.clone()).or_default().push(Signal {
                    service: svc,
                    region: (!region.is_empty()).then_some(region),
                    what: "tls certificate expired".into(),
                    onset: ts(at),
                    end: None,
                    baseline: 1.0,
                    observed: 0.0,
                    score: 50.0,
                    evidence: None,
                });
            }
        }
    }

    /// One pass over the logs: records deploys and logs blaming another service, and gathers what the log
    /// signals are computed from.
    fn scan_logs(&mut self, logs: &[LogRecord], topo: &Topology) -> LogScan {
        let names: Vec<String> = topo.services.iter().cloned().collect();
        let mut scan = LogScan {
            lo: i64::MAX,
            hi: i64::MIN,
            errors: BTreeMap::new(),
            miner: TemplateMiner::new(MinerConfig::default()),
            patterns: BTreeMap::new(),
            versions: BTreeMap::new(),
        };
        for l in logs {
            let t = l.timestamp.timestamp();
            scan.lo = scan.lo.min(t);
            scan.hi = scan.hi.max(t);
            let svc = l.resource.service.clone().unwrap_or_default();
            if let Some(v) = &l.resource.version {
                let first = scan.versions.entry(svc.clone()).or_default().entry(v.clone()).or_insert(l.timestamp);
                *first = (*first).min(l.timestamp);
            }
            let event = l.attributes.get("event.name").and_then(|v| v.as_str()).unwrap_or("");
            if event == "deployment" || event == "deploy" {
                let version = l.attributes.get("deploy.version").and_then(|v| v.as_str()).map(str::to_string);
                self.deploys.push(Deploy { service: svc.clone(), at: l.timestamp, version, text: l.body.clone() });
            }
            if l.severity < Severity::Warn {
                continue;
            }
            if l.severity >= Severity::Error {
                scan.errors.entry(svc.clone()).or_default().push(t);
            }
            scan.patterns.entry((svc.clone(), scan.miner.add(&l.body))).or_default().push(t);
            let peer = l.attributes.get("peer.service").and_then(|v| v.as_str()).map(str::to_ascii_lowercase);
            let mut named: BTreeSet<&String> = mentioned(&l.body, &names).collect();
            if let Some(p) = peer.as_ref().and_then(|p| names.iter().find(|n| *n == p)) {
                named.insert(p);
            }
            for n in named {
                if *n != svc {
                    *self.blame.entry((n.clone(), minute(l.timestamp))).or_default() += 1;
                    let ex = self.blame_example.entry(n.clone()).or_default();
                    if ex.len() < 64 {
                        ex.push((l.timestamp, l.body.clone()));
                    }
                }
            }
        }
        scan
    }

    /// Kubernetes saying a service's pods are being killed or cannot start: the service fails on its own.
    fn add_pod_signals(&mut self, logs: &[LogRecord], topo: &Topology, versions: &Versions) {
        let mut known: BTreeSet<String> = topo.services.clone();
        known.extend(versions.keys().map(|s| s.to_ascii_lowercase()));
        for b in super::events::bursts(logs, &known) {
            let onset = ts(minute(b.first) * 60);
            self.by_service.entry(b.service.clone()).or_default().push(Signal {
                service: b.service,
                region: b.region,
                what: b.event.what().into(),
                onset,
                end: Some(b.last + Duration::minutes(10)),
                baseline: 0.0,
                observed: b.count as f64,
                score: b.event.score(),
                evidence: None,
            });
        }
    }

    /// Anomalies of each service's error-log rate.
    fn add_error_log_signals(&mut self, scan: &LogScan) {
        for (svc, times) in &scan.errors {
            let s = anomaly::rate_series(times, 60, scan.lo.div_euclid(60) * 60, scan.hi + 1);
            self.tests += push_anomalies(
                self.by_service.entry(svc.clone()).or_default(),
                svc,
                None,
                "error logs",
                &s,
                &detector(Direction::Up, true),
            );
        }
    }

    /// Callers' error logs naming a service: how a dependency with no telemetry of its own (or too sick to send
    /// any) shows, and the first sign of most failures in what others call. `lo..=hi`: the logs' span, in seconds.
    fn add_blame_signals(&mut self, lo: i64, hi: i64) {
        let mut named: BTreeMap<&String, BTreeMap<i64, u64>> = BTreeMap::new();
        for ((svc, m), n) in &self.blame {
            *named.entry(svc).or_default().entry(*m).or_default() += n;
        }
        let (mut blame_signals, mut tests) = (Vec::new(), 0);
        for (svc, by_minute) in named {
            let (a, b) = (lo.div_euclid(60), hi.div_euclid(60));
            let s: Vec<(i64, f64)> =
                (a..=b).map(|m| (m * 60, by_minute.get(&m).copied().unwrap_or(0) as f64)).collect();
            let mut sigs = Vec::new();
            tests += push_anomalies(&mut sigs, svc, None, BLAMED, &s, &detector(Direction::Up, true));
            blame_signals.push((svc.clone(), sigs));
        }
        for (svc, sigs) in blame_signals {
            self.by_service.entry(svc).or_default().extend(sigs);
        }
        self.tests += tests;
    }

    /// Anomalies of the rate of each (service, log template) of warnings and errors: a new failure mode shows as
    /// one template's burst.
    fn add_pattern_signals(&mut self, patterns: Patterns, miner: &TemplateMiner, lo: i64, hi: i64) {
        // An event the miner merged later keeps its earlier ids: count its lines under one (canonical) id.
        let mut merged: Patterns = BTreeMap::new();
        for ((svc, id), times) in patterns {
            merged.entry((svc, miner.canonical(id))).or_default().extend(times);
        }
        for ((svc, id), times) in &mut merged {
            times.sort_unstable();
            if times.len() < MIN_EVENTS {
                continue;
            }
            let s = anomaly::rate_series(times, 60, lo.div_euclid(60) * 60, hi + 1);
            let what = format!("log pattern \"{}\"", truncate(&miner.template(*id), 80));
            self.tests += push_anomalies(
                self.by_service.entry(svc.clone()).or_default(),
                svc,
                None,
                &what,
                &s,
                &detector(Direction::Up, true),
            );
        }
    }

    /// A service version first seen after the data began is a deploy, even without a deploy event.
    fn add_version_deploys(&mut self, versions: Versions) {
        for (svc, vs) in versions {
            let first_ever = vs.values().min().copied();
            for (v, at) in vs {
                let known = self.deploys.iter().any(|d| d.service == svc && (d.at - at).num_seconds().abs() <= 120);
                if Some(at) != first_ever && !known {
                    let text = format!("{svc} started running version {v}");
                    self.deploys.push(Deploy { service: svc.clone(), at, version: Some(v), text });
                }
            }
        }
    }

    /// Calls into each service, from its callers' spans. Per region of the callers where the spans say which: a
    /// fault confined to one region shows only there.
    fn add_call_signals(&mut self, topo: &Topology) {
        let mut tests = 0;
        for svc in &topo.services {
            let mut by_region: Vec<(Option<&str>, super::topology::Minutes)> = topo
                .regional
                .range((svc.clone(), String::new())..)
                .take_while(|((s, _), _)| s == svc)
                .map(|((_, r), m)| (Some(r.as_str()), m.clone()))
                .collect();
            if by_region.is_empty() {
                by_region.push((None, topo.inbound(svc)));
            }
            let sigs = self.by_service.entry(svc.clone()).or_default();
            for (region, minutes) in by_region {
                let (err, lat) = if region.is_some() { minutes.pooled_series(MIN_CALLS) } else { minutes.series() };
                let floor = DetectorConfig { min_abs_change: 0.02, ..detector(Direction::Up, false) };
                tests += push_anomalies(sigs, svc, region, "errors on calls into it", &err, &floor);
                let latency = detector(Direction::Up, false);
                tests += push_anomalies(sigs, svc, region, "latency of calls into it", &lat, &latency);
            }
        }
        self.tests += tests;
    }

    fn blame_between(&self, svc: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        (minute(from)..=minute(to)).map(|m| self.blame.get(&(svc.to_string(), m)).copied().unwrap_or(0)).sum()
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn fmt_value(v: f64, what: &str) -> String {
    // Duration series are in seconds (see `series::minute_means`), except the calls' latency, in ms.
    if ["duration", "latency", "seconds"].iter().any(|w| what.contains(w)) {
        let ms = if what.contains("latency of calls") { v } else { v * 1000.0 };
        if ms >= 1000.0 {
            format!("{:.1}s", ms / 1000.0)
        } else {
            format!("{ms:.0}ms")
        }
    } else if is_fraction(what) && v.abs() <= 1.0 {
        format!("{:.0}%", v * 100.0)
    } else if what == "error logs" || what == BLAMED || what.starts_with("log pattern") {
        format!("{v:.0}/min")
    } else {
        format!("{v:.0}")
    }
}

/// One line for people: what deviated, where, from what to what, and when.
pub fn describe(s: &Signal) -> String {
    let region = s.region.as_ref().map(|r| format!(" in {r}")).unwrap_or_default();
    if s.what == "tls certificate expired" {
        return format!("its tls certificate expired at {}{region}", s.onset.format("%H:%M"));
    }
    if s.what.starts_with("pods ") {
        return format!("{} {:.0} times{region} from {}", s.what, s.observed, s.onset.format("%H:%M"));
    }
    if s.what == STOPPED {
        return format!("its metrics{region} stopped arriving at {}", s.onset.format("%H:%M"));
    }
    format!(
        "{}{region} went from {} to {} at {}",
        s.what,
        fmt_value(s.baseline, &s.what),
        fmt_value(s.observed, &s.what),
        s.onset.format("%H:%M")
    )
}

/// The anomalous candidates of an incident and their live signals, strongest first: signals of the incident's
/// services and everything they call that began in the window and were still on when the incident surged at
/// `start` (see [`AlertGroup::surge`]).
fn active_signals(
    group: &AlertGroup,
    start: DateTime<Utc>,
    signals: &Signals,
    topo: &Topology,
    cfg: &RcaConfig,
) -> BTreeMap<String, Vec<Signal>> {
    let (lo, hi) = (start - cfg.lookback, start + cfg.lookahead);
    let mut pool: BTreeSet<String> = group.services.clone();
    for s in &group.services {
        pool.extend(topo.descendants(s));
    }
    let mut active: BTreeMap<String, Vec<Signal>> = BTreeMap::new();
    for svc in &pool {
        let Some(sigs) = signals.by_service.get(svc) else { continue };
        // A fault in another region than the one asked about explains nothing here.
        let here = |s: &Signal| group.regions.is_empty() || s.region.as_ref().is_none_or(|r| group.regions.contains(r));
        let mut live: Vec<Signal> = sigs
            .iter()
            .filter(|s| s.onset >= lo && s.onset <= hi && s.end.is_none_or(|e| e >= start - Duration::minutes(10)))
            .filter(|s| here(s))
            .cloned()
            .collect();
        if live.is_empty() {
            continue;
        }
        live.sort_by(|a, b| b.score.total_cmp(&a.score));
        active.insert(svc.clone(), live);
    }
    active
}

/// Onset: the median of the clear signals. A faint early wobble must not make a symptom look like the first
/// domino, and change-point fits of single series are off by minutes now and then.
fn onset_of(sigs: &[Signal]) -> Option<DateTime<Utc>> {
    let top = sigs.first().map_or(0.0, |s| s.score);
    let mut onsets: Vec<DateTime<Utc>> = sigs.iter().filter(|s| s.score >= 0.25 * top).map(|s| s.onset).collect();
    onsets.sort();
    onsets.get(onsets.len() / 2).copied()
}

/// What every candidate of one incident is scored against.
struct RankContext<'a> {
    signals: &'a Signals,
    topo: &'a Topology,
    cfg: &'a RcaConfig,
    /// The anomalous candidates and their live signals.
    active: BTreeMap<String, Vec<Signal>>,
    /// The earliest onset among them.
    earliest: Option<DateTime<Utc>>,
    /// The services that alerted, lowercase.
    alerted: BTreeSet<String>,
    /// The end of the onset window.
    hi: DateTime<Utc>,
}

impl RankContext<'_> {
    /// Scores one anomalous service, with its signals (strongest first); `None` without an onset.
    fn candidate(&self, svc: &String, sigs: &[Signal]) -> Option<Candidate> {
        let (signals, topo, cfg, alerted) = (self.signals, self.topo, self.cfg, &self.alerted);
        let onset = onset_of(sigs)?;
        let top = &sigs[0];
        // Callees anomalous from before us (or about the same time) explain us.
        let explained_by: Vec<&String> = topo
            .descendants(svc)
            .into_iter()
            .filter_map(|d| self.active.get_key_value(&d))
            .filter(|(_, v)| onset_of(v).is_some_and(|o| o <= onset + cfg.propagation_slack))
            .map(|(k, _)| k)
            .collect();
        let callee_most = if explained_by.is_empty() { 1.0 } else { 0.0 };
        let delay = self.earliest.map_or(0.0, |e| (onset - e).num_seconds().max(0) as f64);
        let earliness = 1.0 / (1.0 + delay / 120.0);
        let strength = (top.score.ln_1p() / 50f64.ln_1p()).min(1.0);
        let deploy = signals
            .deploys
            .iter()
            .rev()
            .find(|d| d.service == *svc && d.at <= onset + Duration::minutes(1) && onset - d.at <= cfg.deploy_window)
            .cloned();
        let blamed = signals.blame_between(svc, onset, self.hi.max(onset + Duration::minutes(10)));
        let before = signals.blame_between(svc, onset - Duration::minutes(30), onset - Duration::minutes(1));
        let blame_rose = blamed >= 5 && blamed as f64 > 3.0 * before as f64;
        let evidence = 0.08 * f64::from(u8::from(deploy.is_some()))
            + 0.08 * f64::from(u8::from(blame_rose))
            + 0.04 * f64::from(u8::from(alerted.contains(svc)))
            + 0.04 * (sigs.len().min(4) as f64 / 4.0);
        // How many of the alerting services a failure here could reach: itself and everything that calls it.
        let upstream = topo.ancestors(svc);
        let covered = alerted.iter().filter(|a| *a == svc || upstream.contains(*a)).count();
        let coverage = covered as f64 / alerted.len().max(1) as f64;
        let score = 0.4 * callee_most + 0.2 * earliness + 0.16 * strength + 0.12 * coverage + evidence;
        let mut why = vec![describe(top)];
        if callee_most > 0.0 {
            why.push("nothing it calls was failing before it".into());
        } else {
            let names: Vec<&str> = explained_by.iter().map(|s| s.as_str()).collect();
            why.push(format!("but {} it calls went wrong first", names.join(", ")));
        }
        if let Some(d) = &deploy {
            let v = d.version.as_ref().map(|v| format!(" {v}")).unwrap_or_default();
            why.push(format!(
                "deployed{v} at {}, {} min before",
                d.at.format("%H:%M"),
                (onset - d.at).num_minutes().max(0)
            ));
        }
        if blame_rose {
            why.push(format!("{blamed} error logs of its callers name it"));
        }
        if covered > 1 {
            why.push(format!("it is upstream of {covered} of the {} alerting services", alerted.len()));
        }
        let example = signals.blame_example.get(svc).and_then(|ex| ex.iter().find(|(t, _)| *t >= onset).cloned());
        Some(Candidate {
            service: svc.clone(),
            region: top.region.clone(),
            score: (score * 1000.0).round() / 1000.0,
            onset: Some(onset),
            reason: why.join("; "),
            explained_by: explained_by.into_iter().cloned().collect(),
            signals: sigs.to_vec(),
            deploy,
            blamed_by_logs: if blame_rose { blamed } else { 0 },
            blame_example: if blame_rose { example } else { None },
        })
    }
}

/// Ranks the suspects of one incident.
pub fn rank(group: &AlertGroup, alerts: &[Alert], signals: &Signals, topo: &Topology, cfg: &RcaConfig) -> Ranking {
    let start = group.surge(cfg.lookahead);
    let active = active_signals(group, start, signals, topo, cfg);
    let earliest = active.values().filter_map(|s| onset_of(s)).min();
    let alerted: BTreeSet<String> =
        group.alerts.iter().filter_map(|&i| alerts[i].service.as_deref().map(str::to_ascii_lowercase)).collect();
    let hi = start + cfg.lookahead;
    let ctx = RankContext { signals, topo, cfg, active, earliest, alerted, hi };
    let mut candidates: Vec<Candidate> = ctx.active.iter().filter_map(|(svc, sigs)| ctx.candidate(svc, sigs)).collect();
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.onset.cmp(&b.onset)).then(a.service.cmp(&b.service)));
    let root = candidates.first().filter(|c| c.score >= cfg.min_score).map(|_| 0);
    Ranking { candidates, root }
}

#[cfg(test)]
#[path = "rca_tests.rs"]
mod tests;
