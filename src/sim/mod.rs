//! Deterministic scenario simulator: a microservice shop's logs, traces, metrics and
//! Alertmanager alerts with one injected fault and its ground truth, for testing the
//! analysis stage (correlation, root-cause ranking), the copilot and the demo.
//!
//! Everything derives from `ScenarioSpec::seed` through one splitmix64 stream, so the
//! same spec always yields the same scenario. The model is deliberately simple: every
//! (service, region) instance has a per-minute state (own latency and error rate from
//! the active faults, plus what its callees add), metrics sample that state, and
//! sampled traces walk the call graph drawing latencies and errors from it, so logs,
//! spans, metrics and alerts tell one consistent story.

mod alerts;
pub mod ask_eval;
mod emit;
pub mod eval;
mod faults;
mod metrics;
mod otlp;
pub mod replay;
mod styles;
mod topology;
mod variety;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::loadgen::Rng;
use crate::model::{Alert, LogRecord, MetricPoint, RecordId, Resource, Span};

use faults::{Fault, Noise, State};
pub use otlp::write_files;
use topology::Inst;
pub use variety::{AlertLabels, HttpConvention, MetricStyle, RegionLabel, Variety};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    SlowDatabase,
    BadDeploy,
    MemoryLeak,
    CacheOutage,
    RegionalNetwork,
    ExpiredCertificate,
    PoolExhaustion,
    DiskFull,
}

impl FaultKind {
    pub const ALL: [FaultKind; 8] = [
        FaultKind::SlowDatabase,
        FaultKind::BadDeploy,
        FaultKind::MemoryLeak,
        FaultKind::CacheOutage,
        FaultKind::RegionalNetwork,
        FaultKind::ExpiredCertificate,
        FaultKind::PoolExhaustion,
        FaultKind::DiskFull,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::SlowDatabase => "slow-database",
            FaultKind::BadDeploy => "bad-deploy",
            FaultKind::MemoryLeak => "memory-leak",
            FaultKind::CacheOutage => "cache-outage",
            FaultKind::RegionalNetwork => "regional-network",
            FaultKind::ExpiredCertificate => "expired-certificate",
            FaultKind::PoolExhaustion => "pool-exhaustion",
            FaultKind::DiskFull => "disk-full",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        FaultKind::ALL.into_iter().find(|k| k.as_str() == s.trim().to_ascii_lowercase())
    }
}

impl std::fmt::Display for FaultKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioSpec {
    pub seed: u64,
    pub fault: FaultKind,
    /// Services in the topology, datastores included; clamped to 6..=14.
    pub services: usize,
    pub duration_secs: i64,
    pub start: DateTime<Utc>,
    /// Flapping alerts, a second unrelated incident, chronic errors, an unrelated deploy
    /// and background logs.
    pub noise: bool,
    /// How the shop's telemetry looks; the default is the simulator's own style.
    pub variety: Variety,
}

impl ScenarioSpec {
    pub fn new(seed: u64, fault: FaultKind) -> Self {
        ScenarioSpec {
            seed,
            fault,
            services: 10,
            duration_secs: 7200,
            start: Utc.with_ymd_and_hms(2026, 11, 20, 14, 0, 0).single().unwrap_or_default(),
            noise: true,
            variety: Variety::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Entry,
    Service,
    Database,
    Cache,
    Queue,
    /// A third-party API: seen only through its callers' client spans.
    External,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceInfo {
    pub name: String,
    pub tier: Tier,
    pub regions: Vec<String>,
    pub version: String,
    pub port: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthIncident {
    pub root_service: String,
    pub root_region: Option<String>,
    pub fault: FaultKind,
    pub onset: DateTime<Utc>,
    /// When the fault was mitigated, if it was within the scenario.
    pub mitigated: Option<DateTime<Utc>>,
    /// Fingerprints of the alerts this incident fired, root and symptoms.
    pub alert_fingerprints: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroundTruth {
    pub root_service: String,
    pub root_region: Option<String>,
    pub fault: FaultKind,
    pub onset: DateTime<Utc>,
    /// The root's metric that shifts most clearly at onset (labels `service`, and `region`
    /// when `root_region` is set).
    pub root_metric: String,
    /// The main incident first; with noise, the unrelated smaller one second.
    pub incidents: Vec<TruthIncident>,
    /// Alerts that flap on an unrelated service and belong to no incident.
    pub flapping_fingerprints: Vec<String>,
    /// A service that logs errors at a steady rate the whole time.
    pub chronic_error_service: Option<String>,
    /// A harmless deploy (service, time), well before onset.
    pub unrelated_deploy: Option<(String, DateTime<Utc>)>,
}

#[derive(Debug, Clone)]
pub struct Scenario {
    pub spec: ScenarioSpec,
    pub services: Vec<ServiceInfo>,
    /// (caller, callee) by service name.
    pub edges: Vec<(String, String)>,
    pub logs: Vec<LogRecord>,
    pub spans: Vec<Span>,
    pub metrics: Vec<MetricPoint>,
    /// Every alert episode in start order; a flapping alert appears once per episode with
    /// the same fingerprint.
    pub alerts: Vec<Alert>,
    /// Every OpenTelemetry resource the records use (metrics name theirs by labels).
    pub resources: Vec<Arc<Resource>>,
    pub truth: GroundTruth,
}

impl Scenario {
    pub fn service(&self, name: &str) -> Option<&ServiceInfo> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Services that call `name`, directly or through others.
    pub fn ancestors(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut todo = vec![name.to_string()];
        while let Some(n) = todo.pop() {
            for (caller, callee) in &self.edges {
                if *callee == n && !out.contains(caller) {
                    out.push(caller.clone());
                    todo.push(caller.clone());
                }
            }
        }
        out
    }
}

/// Client-side timeout for calls between services.
const CALL_TIMEOUT_S: f64 = 2.0;

fn f01(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn chance(rng: &mut Rng, p: f64) -> bool {
    f01(rng) < p
}

fn range(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    lo + rng.below((hi - lo).max(0) as u64 + 1) as i64
}

fn shuffle<T>(rng: &mut Rng, v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

struct Gen<'a> {
    spec: &'a ScenarioSpec,
    rng: Rng,
    services: Vec<ServiceInfo>,
    base_lat: Vec<f64>,
    /// Callees of each service with the probability that a request calls them.
    calls: Vec<Vec<(usize, f64)>>,
    insts: Vec<Inst>,
    /// Instance ids of each service, in its region order.
    inst_of: Vec<Vec<usize>>,
    faults: Vec<Fault>,
    /// A region that cross-region calls avoid (the regional network fault's).
    avoid_region: Option<String>,
    minutes: usize,
    state: Vec<Vec<State>>,
    logs: Vec<LogRecord>,
    spans: Vec<Span>,
    metrics: Vec<MetricPoint>,
    alerts: Vec<Alert>,
    incident_alerts: Vec<Vec<String>>,
    next_id: u64,
    /// A service that exports no spans (`Variety::uninstrumented`).
    uninstrumented: Option<usize>,
    /// Running totals of cumulative counters, by (instance, series).
    totals: BTreeMap<(usize, String), f64>,
}

pub fn generate(spec: &ScenarioSpec) -> Scenario {
    let mut g = Gen {
        spec,
        rng: Rng(spec.seed ^ 0x5ce7_a710_f1e1_d00d),
        services: Vec::new(),
        base_lat: Vec::new(),
        calls: Vec::new(),
        insts: Vec::new(),
        inst_of: Vec::new(),
        faults: Vec::new(),
        avoid_region: None,
        minutes: (spec.duration_secs.max(600) / 60) as usize,
        state: Vec::new(),
        logs: Vec::new(),
        spans: Vec::new(),
        metrics: Vec::new(),
        alerts: Vec::new(),
        incident_alerts: Vec::new(),
        next_id: 0,
        uninstrumented: None,
        totals: BTreeMap::new(),
    };
    g.topology();
    g.plan_faults();
    g.instances();
    let noise = g.plan_noise();
    if spec.variety.uninstrumented {
        g.uninstrumented = g.pick_uninstrumented();
    }
    g.compute_state();
    g.traffic();
    g.metrics();
    g.fault_logs();
    if spec.noise {
        g.background_logs(&noise);
    }
    for i in 0..g.faults.len() {
        g.incident_alerts(i);
    }
    let mut flapping = Vec::new();
    if let Some(f) = noise.flapping {
        flapping.push(g.flapping_alerts(f));
    }
    g.finish(noise, flapping)
}

impl Gen<'_> {
    fn id(&mut self) -> RecordId {
        self.next_id += 1;
        RecordId::of(&[b"firewatch-sim", &self.spec.seed.to_le_bytes(), &self.next_id.to_le_bytes()])
    }

    fn hex(&mut self, bytes: usize) -> String {
        let mut s = String::with_capacity(bytes * 2);
        for _ in 0..bytes / 8 {
            s.push_str(&format!("{:016x}", self.rng.next_u64()));
        }
        s
    }

    fn time(&self, t: i64) -> DateTime<Utc> {
        self.spec.start + Duration::seconds(t)
    }

    fn time_ns(&self, ns: i64) -> DateTime<Utc> {
        self.spec.start + Duration::nanoseconds(ns)
    }

    fn duration(&self) -> i64 {
        self.minutes as i64 * 60
    }

    fn tier(&self, svc: usize) -> Tier {
        self.services[svc].tier
    }

    fn name(&self, svc: usize) -> &str {
        &self.services[svc].name
    }

    fn is_app(&self, svc: usize) -> bool {
        matches!(self.tier(svc), Tier::Entry | Tier::Service)
    }

    fn finish(mut self, noise: Noise, flapping: Vec<String>) -> Scenario {
        self.logs.sort_by_key(|l| l.timestamp);
        self.spans.sort_by_key(|s| s.start);
        self.metrics.sort_by_key(|m| m.timestamp);
        self.alerts.sort_by_key(|a| a.starts_at);
        let mut resources: Vec<Arc<Resource>> = Vec::new();
        for i in &self.insts {
            resources.extend(i.resources.iter().map(|(_, r)| r.clone()));
        }
        let incidents: Vec<TruthIncident> = self
            .faults
            .iter()
            .zip(&self.incident_alerts)
            .map(|(f, fps)| TruthIncident {
                root_service: self.services[f.svc].name.clone(),
                root_region: f.region.clone(),
                fault: f.kind,
                onset: self.time(f.onset),
                mitigated: f.end.map(|e| self.time(e)),
                alert_fingerprints: fps.clone(),
            })
            .collect();
        let main = &self.faults[0];
        let root_metric = match main.kind {
            FaultKind::SlowDatabase => "db.server.query.duration",
            FaultKind::MemoryLeak => "process.memory.utilization",
            FaultKind::RegionalNetwork => "http.server.request.duration",
            FaultKind::ExpiredCertificate => "tls.certificate.expiry.seconds",
            FaultKind::PoolExhaustion => "db.client.connections.usage",
            FaultKind::BadDeploy | FaultKind::CacheOutage | FaultKind::DiskFull => "request.error.ratio",
        };
        let truth = GroundTruth {
            root_service: self.services[main.svc].name.clone(),
            root_region: main.region.clone(),
            fault: main.kind,
            onset: self.time(main.onset),
            root_metric: root_metric.to_string(),
            incidents,
            flapping_fingerprints: flapping.into_iter().filter(|f| !f.is_empty()).collect(),
            chronic_error_service: noise.chronic.map(|s| self.services[s].name.clone()),
            unrelated_deploy: noise.deploy.map(|(s, t)| (self.services[s].name.clone(), self.time(t))),
        };
        let mut edges = Vec::new();
        for (c, cs) in self.calls.iter().enumerate() {
            for (x, _) in cs {
                edges.push((self.services[c].name.clone(), self.services[*x].name.clone()));
            }
        }
        Scenario {
            spec: self.spec.clone(),
            services: self.services,
            edges,
            logs: self.logs,
            spans: self.spans,
            metrics: self.metrics,
            alerts: self.alerts,
            resources,
            truth,
        }
    }
}

#[cfg(test)]
mod tests;
