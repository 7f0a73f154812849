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

pub mod ask_eval;
pub mod eval;
mod otlp;
pub mod replay;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::loadgen::Rng;
use crate::model::{alertmanager_fingerprint, Alert, AlertStatus, LogRecord, MetricKind, MetricPoint, RecordId};
use crate::model::{Resource, Severity, Span, SpanKind};

pub use otlp::write_files;

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

const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"];
const MIDS: &[&str] = &[
    "checkout",
    "cart",
    "payments",
    "catalog",
    "search",
    "shipping",
    "users",
    "auth",
    "recommendations",
    "notifications",
    "inventory",
    "orders",
    "pricing",
    "reviews",
];
const POSTGRES: &[&str] = &["postgres-orders", "postgres-users", "postgres-catalog"];
const REDIS: &[&str] = &["redis-cart", "redis-session", "redis-cache"];
const PROVIDERS: &[&str] = &["stripe-api", "adyen-api"];
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

#[derive(Debug, Clone)]
struct Fault {
    kind: FaultKind,
    svc: usize,
    region: Option<String>,
    onset: i64,
    end: Option<i64>,
    strength: f64,
}

impl Fault {
    /// 0 before onset, ramping to `strength`, back to 0 within two minutes of the end.
    fn level(&self, t: i64) -> f64 {
        if t < self.onset {
            return 0.0;
        }
        let ramp = match self.kind {
            FaultKind::ExpiredCertificate => 1.0,
            FaultKind::DiskFull | FaultKind::CacheOutage => 60.0,
            _ => 150.0,
        };
        let up = ((t - self.onset) as f64 / ramp).min(1.0);
        let down = match self.end {
            Some(e) if t >= e => (1.0 - (t - e) as f64 / 120.0).max(0.0),
            _ => 1.0,
        };
        up * down * self.strength
    }

    /// Memory utilization of a leaking service: a sawtooth, each tooth ending in an OOM kill.
    fn leak_memory(&self, t: i64, base: f64) -> Option<f64> {
        if self.kind != FaultKind::MemoryLeak || t < self.onset || self.end.is_some_and(|e| t >= e) {
            return None;
        }
        let phase = ((t - self.onset) % LEAK_CYCLE_S) as f64 / LEAK_CYCLE_S as f64;
        Some(base + (1.0 - base) * phase)
    }
}

const LEAK_CYCLE_S: i64 = 900;

struct Inst {
    svc: usize,
    region: String,
    ip: String,
    /// (from second, resource) in time order: a deploy starts a new resource.
    resources: Vec<(i64, Arc<Resource>)>,
    base_mem: f64,
    base_cpu: f64,
    base_disk: f64,
    cert_expiry: i64,
}

impl Inst {
    fn resource_at(&self, t: i64) -> &Arc<Resource> {
        let mut r = &self.resources[0].1;
        for (from, res) in &self.resources {
            if *from <= t {
                r = res;
            }
        }
        r
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct State {
    own_lat: f64,
    own_err: f64,
    lat: f64,
    err: f64,
    /// The fault behind `own_err`, index into `Gen::faults`.
    cause: Option<usize>,
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
    };
    g.topology();
    g.plan_faults();
    g.instances();
    let noise = g.plan_noise();
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

struct Noise {
    flapping: Option<usize>,
    chronic: Option<usize>,
    deploy: Option<(usize, i64)>,
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

    fn topology(&mut self) {
        let n = self.spec.services.clamp(6, 14);
        let rng = &mut self.rng;
        let mut regions: Vec<&str> = REGIONS.to_vec();
        shuffle(rng, &mut regions);
        regions.truncate(range(rng, 2, 4) as usize);
        let leaves = match n {
            6..=7 => 2,
            8..=10 => 3,
            _ => 4,
        };
        let mids = n - 1 - leaves;
        let mut mid_names: Vec<&str> = MIDS.to_vec();
        shuffle(rng, &mut mid_names);
        mid_names.truncate(mids);
        let version = |rng: &mut Rng| format!("{}.{}.{}", range(rng, 1, 4), range(rng, 0, 19), range(rng, 0, 9));
        let entry = if chance(rng, 0.5) { "frontend" } else { "gateway" };
        // The edge runs everywhere; everything else in one or two regions.
        let mut services = vec![ServiceInfo {
            name: entry.into(),
            tier: Tier::Entry,
            regions: regions.iter().map(|r| r.to_string()).collect(),
            version: version(rng),
            port: 8080,
        }];
        for m in &mid_names {
            services.push(ServiceInfo {
                name: (*m).into(),
                tier: Tier::Service,
                regions: Vec::new(),
                version: version(rng),
                port: 8080,
            });
        }
        let mut leaf: Vec<(String, Tier, u16)> = vec![
            (POSTGRES[rng.below(POSTGRES.len() as u64) as usize].into(), Tier::Database, 5432),
            (REDIS[rng.below(REDIS.len() as u64) as usize].into(), Tier::Cache, 6379),
        ];
        let mut extra = vec![
            ("kafka".to_string(), Tier::Queue, 9092),
            (PROVIDERS[rng.below(PROVIDERS.len() as u64) as usize].to_string(), Tier::External, 443),
        ];
        shuffle(rng, &mut extra);
        leaf.extend(extra.into_iter().take(leaves - 2));
        for (name, tier, port) in leaf {
            let version = match tier {
                Tier::Database => format!("16.{}", range(rng, 1, 6)),
                Tier::Cache => format!("7.2.{}", range(rng, 1, 6)),
                Tier::Queue => format!("3.{}.0", range(rng, 5, 9)),
                _ => "v1".into(),
            };
            services.push(ServiceInfo { name, tier, regions: Vec::new(), version, port });
        }
        for s in services.iter_mut().skip(1) {
            let mut r = regions.clone();
            shuffle(rng, &mut r);
            let k = if s.tier == Tier::External { 1 } else { range(rng, 1, 2) as usize };
            r.truncate(k);
            // Stable region order makes "first region" a meaningful home region.
            r.sort_by_key(|x| regions.iter().position(|y| y == x));
            s.regions = r.iter().map(|x| x.to_string()).collect();
        }
        // Call graph: edges only go from lower to higher index, so it is a DAG.
        let n = services.len();
        let first_leaf = 1 + mids;
        let mut calls: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
        let fanout = range(rng, 2, 4.min(mids as i64)) as usize;
        let mut order: Vec<usize> = (1..first_leaf).collect();
        shuffle(rng, &mut order);
        for &m in order.iter().take(fanout) {
            calls[0].push((m, 1.0));
        }
        for (m, cs) in calls.iter_mut().enumerate().take(first_leaf).skip(1) {
            for c in m + 1..first_leaf {
                if chance(rng, 0.3) {
                    cs.push((c, 0.5 + 0.1 * rng.below(5) as f64));
                }
            }
        }
        for (l, svc) in services.iter().enumerate().skip(first_leaf) {
            let mut callers: Vec<usize> = (1..first_leaf).filter(|_| chance(rng, 0.35)).collect();
            if callers.is_empty() {
                callers.push(1 + rng.below(mids as u64) as usize);
            }
            // Payments (when there is one) is the one that talks to the provider.
            if svc.tier == Tier::External {
                if let Some(p) = (1..first_leaf).find(|&m| services[m].name == "payments") {
                    callers = vec![p];
                }
            }
            for c in callers {
                let p = if svc.tier == Tier::Queue { 0.4 } else { 0.8 };
                calls[c].push((l, p));
            }
        }
        // Every service has a caller: attach orphans to the entry or an earlier service.
        for m in 1..first_leaf {
            if !calls.iter().any(|cs| cs.iter().any(|(c, _)| *c == m)) {
                let caller = rng.below(m as u64) as usize;
                calls[caller].push((m, 0.7));
            }
        }
        for cs in &mut calls {
            cs.sort_by_key(|(c, _)| *c);
        }
        let base_lat = services
            .iter()
            .map(|s| match s.tier {
                Tier::Entry => 0.004 + f01(rng) * 0.004,
                Tier::Service => 0.008 + f01(rng) * 0.03,
                Tier::Database => 0.003 + f01(rng) * 0.006,
                Tier::Cache => 0.0005 + f01(rng) * 0.001,
                Tier::Queue => 0.004 + f01(rng) * 0.004,
                Tier::External => 0.15 + f01(rng) * 0.15,
            })
            .collect();
        self.services = services;
        self.calls = calls;
        self.base_lat = base_lat;
    }

    fn callers_of(&self, svc: usize) -> Vec<usize> {
        (0..self.services.len()).filter(|&c| self.calls[c].iter().any(|(x, _)| *x == svc)).collect()
    }

    fn calls_tier(&self, svc: usize, tier: Tier) -> Option<usize> {
        self.calls[svc].iter().map(|(c, _)| *c).find(|&c| self.tier(c) == tier)
    }

    fn pick(&mut self, candidates: &[usize]) -> Option<usize> {
        (!candidates.is_empty()).then(|| candidates[self.rng.below(candidates.len() as u64) as usize])
    }

    fn plan_faults(&mut self) {
        let n = self.services.len();
        let kind = self.spec.fault;
        let mids: Vec<usize> = (1..n).filter(|&s| self.tier(s) == Tier::Service).collect();
        let with_db: Vec<usize> =
            mids.iter().copied().filter(|&s| self.calls_tier(s, Tier::Database).is_some()).collect();
        let of_tier = |g: &Self, t: &[Tier]| -> Vec<usize> { (1..n).filter(|&s| t.contains(&g.tier(s))).collect() };
        let mut region = None;
        let candidates = match kind {
            FaultKind::SlowDatabase => of_tier(self, &[Tier::Database]),
            FaultKind::CacheOutage => of_tier(self, &[Tier::Cache]),
            FaultKind::DiskFull => of_tier(self, &[Tier::Database, Tier::Queue]),
            FaultKind::PoolExhaustion if !with_db.is_empty() => with_db,
            FaultKind::RegionalNetwork => {
                // A service the edge calls, so the edge in that region feels it; it needs a
                // second region for the other regions' traffic to fail over to.
                let direct: Vec<usize> = self.calls[0].iter().map(|(c, _)| *c).collect();
                let two: Vec<usize> = direct.iter().copied().filter(|&s| self.services[s].regions.len() > 1).collect();
                if two.is_empty() {
                    let s = direct[0];
                    let extra =
                        self.services[0].regions.iter().find(|r| !self.services[s].regions.contains(r)).cloned();
                    if let Some(r) = extra {
                        self.services[s].regions.push(r);
                    }
                    vec![s]
                } else {
                    two
                }
            }
            _ => mids.clone(),
        };
        let root = self.pick(&candidates).unwrap_or(1);
        if kind == FaultKind::RegionalNetwork {
            let regions = self.services[root].regions.clone();
            let r = regions[self.rng.below(regions.len() as u64) as usize].clone();
            self.avoid_region = Some(r.clone());
            region = Some(r);
        }
        let d = self.duration();
        let onset = d / 2 + range(&mut self.rng, d / 20, d * 3 / 10);
        let end = if chance(&mut self.rng, 0.6) {
            Some(onset + range(&mut self.rng, 20 * 60, 45 * 60)).filter(|e| *e < d - 300)
        } else {
            None
        };
        self.faults.push(Fault { kind, svc: root, region, onset, end, strength: 1.0 });
    }

    fn instances(&mut self) {
        for s in 0..self.services.len() {
            let mut ids = Vec::new();
            for (ri, region) in self.services[s].regions.clone().into_iter().enumerate() {
                let info = &self.services[s];
                let host = format!("{}-{:x}-{}", info.name, 0x1000 + self.rng.below(0xefff), ri);
                let res = self.resource(s, &region, &host, &info.version.clone());
                let ip = format!("10.{}.{}.{}", 10 + ri, self.rng.below(250) + 1, self.rng.below(250) + 1);
                let rng = &mut self.rng;
                ids.push(self.insts.len());
                self.insts.push(Inst {
                    svc: s,
                    region,
                    ip,
                    resources: vec![(i64::MIN, res)],
                    base_mem: 0.3 + f01(rng) * 0.15,
                    base_cpu: 0.15 + f01(rng) * 0.2,
                    base_disk: 0.45 + f01(rng) * 0.2,
                    cert_expiry: range(rng, 20, 300) * 86_400,
                });
            }
            self.inst_of.push(ids);
        }
        let main = self.faults[0].clone();
        match main.kind {
            FaultKind::BadDeploy => {
                let at = main.onset - range(&mut self.rng, 60, 300);
                let new = bump(&self.services[main.svc].version, true);
                self.deploy(main.svc, at, &new);
                if let Some(end) = main.end {
                    let old = self.services[main.svc].version.clone();
                    self.deploy(main.svc, end, &old);
                }
            }
            FaultKind::ExpiredCertificate => {
                for &i in &self.inst_of[main.svc] {
                    self.insts[i].cert_expiry = main.onset;
                }
            }
            _ => {}
        }
    }

    fn resource(&self, svc: usize, region: &str, host: &str, version: &str) -> Arc<Resource> {
        let mut r = Resource::default();
        r.set("service.name", &self.services[svc].name);
        r.set("cloud.region", region);
        r.set("host.name", host);
        r.set("service.version", version);
        r.set("deployment.environment", "production");
        Arc::new(r)
    }

    /// Rolls every instance of `svc` to `version` at `at` (new pods, new host names) and
    /// logs the rollout.
    fn deploy(&mut self, svc: usize, at: i64, version: &str) {
        let from = self.insts[self.inst_of[svc][0]].resource_at(at).version.clone().unwrap_or_default();
        for k in 0..self.inst_of[svc].len() {
            let i = self.inst_of[svc][k];
            let region = self.insts[i].region.clone();
            let pod = 0x1000 + self.rng.below(0xefff);
            let host = format!("{}-{pod:x}-{k}", self.name(svc));
            let res = self.resource(svc, &region, &host, version);
            self.insts[i].resources.push((at, res));
            let mut attrs = Map::new();
            attrs.insert("event.name".into(), "deployment".into());
            attrs.insert("deploy.version.previous".into(), Value::String(from.clone()));
            attrs.insert("deploy.version".into(), version.into());
            let body = format!("starting {} version {version} (previous {from}), rollout by argocd", self.name(svc));
            self.log(i, at * 1_000_000_000 + 1_000_000 * k as i64, Severity::Info, body, None, attrs);
        }
    }

    fn plan_noise(&mut self) -> Noise {
        if !self.spec.noise {
            return Noise { flapping: None, chronic: None, deploy: None };
        }
        let main = self.faults[0].clone();
        let n = self.services.len();
        let d = self.duration();
        let mids: Vec<usize> = (1..n).filter(|&s| self.tier(s) == Tier::Service && s != main.svc).collect();
        // The second incident: another service, in a region the main root is not in when
        // possible, early and short.
        let root_regions = self.services[main.svc].regions.clone();
        let mut options: Vec<(usize, String)> = Vec::new();
        for &s in &mids {
            for r in &self.services[s].regions {
                if !root_regions.contains(r) && Some(r) != main.region.as_ref() {
                    options.push((s, r.clone()));
                }
            }
        }
        if options.is_empty() {
            for &s in &mids {
                for r in &self.services[s].regions {
                    if Some(r) != main.region.as_ref() && !(main.region.is_none() && root_regions.contains(r)) {
                        options.push((s, r.clone()));
                    }
                }
            }
        }
        if options.is_empty() {
            for &s in &mids {
                options.push((s, self.services[s].regions[0].clone()));
            }
        }
        let mut second = None;
        if !options.is_empty() {
            let (s, r) = options[self.rng.below(options.len() as u64) as usize].clone();
            let kind = if self.calls_tier(s, Tier::Database).is_some() && chance(&mut self.rng, 0.6) {
                FaultKind::PoolExhaustion
            } else {
                FaultKind::MemoryLeak
            };
            let onset = range(&mut self.rng, d * 15 / 100, d * 30 / 100);
            let end = onset + range(&mut self.rng, 10 * 60, 18 * 60);
            self.faults.push(Fault { kind, svc: s, region: Some(r), onset, end: Some(end), strength: 0.6 });
            second = Some(s);
        }
        let others: Vec<usize> =
            (1..n).filter(|&s| s != main.svc && Some(s) != second && self.tier(s) != Tier::External).collect();
        let flapping = self.pick(&others);
        let others: Vec<usize> = mids.iter().copied().filter(|&s| Some(s) != second && Some(s) != flapping).collect();
        let chronic = self.pick(&others);
        let others: Vec<usize> = mids.iter().copied().filter(|&s| Some(s) != second && Some(s) != chronic).collect();
        let deploy = self.pick(&others).map(|s| {
            let latest = (main.onset - 30 * 60).max(d / 10 + 60);
            let at = range(&mut self.rng, d / 10, latest);
            (s, at)
        });
        if let Some((s, at)) = deploy {
            let v = bump(&self.services[s].version, false);
            self.deploy(s, at, &v);
        }
        Noise { flapping, chronic, deploy }
    }

    /// The callee instance a caller in `region` reaches: same region, else the first
    /// region of the callee that is not cut off.
    fn route(&self, region: &str, callee: usize) -> usize {
        let ids = &self.inst_of[callee];
        if let Some(&i) = ids.iter().find(|&&i| self.insts[i].region == region) {
            return i;
        }
        ids.iter().copied().find(|&i| Some(&self.insts[i].region) != self.avoid_region.as_ref()).unwrap_or(ids[0])
    }

    /// Own latency multiplier, own error rate and its cause for an instance at second `t`.
    fn own(&self, inst: usize, t: i64) -> (f64, f64, Option<usize>) {
        let i = &self.insts[inst];
        let (mut mult, mut err, mut cause) = (1.0, 0.0, None);
        let mut add = |m: f64, e: f64, fi: usize| {
            mult *= m;
            if e > err {
                err = e;
                cause = Some(fi);
            }
        };
        for (fi, f) in self.faults.iter().enumerate() {
            if f.region.as_ref().is_some_and(|r| *r != i.region) {
                continue;
            }
            let l = f.level(t);
            if l <= 0.0 {
                continue;
            }
            if f.svc != i.svc {
                // A dead cache sends every read to the database behind its callers.
                if f.kind == FaultKind::CacheOutage
                    && self.tier(i.svc) == Tier::Database
                    && self.callers_of(f.svc).iter().any(|&c| self.calls[c].iter().any(|(x, _)| *x == i.svc))
                {
                    add(1.0 + 2.5 * l, 0.0, fi);
                }
                continue;
            }
            match f.kind {
                FaultKind::SlowDatabase => add(1.0 + 90.0 * l, 0.06 * l, fi),
                FaultKind::BadDeploy => add(1.0 + 0.6 * l, 0.4 * l, fi),
                FaultKind::MemoryLeak => {
                    let mem = f.leak_memory(t, i.base_mem).unwrap_or(0.0);
                    // GC thrash near the limit, then the OOM kill drops in-flight requests.
                    let hot = ((mem - 0.75) / 0.25).clamp(0.0, 1.0);
                    add(1.0 + 8.0 * hot * f.strength, 0.3 * hot * hot * f.strength, fi)
                }
                FaultKind::CacheOutage => add(1.0, 0.97 * l, fi),
                FaultKind::RegionalNetwork => add(1.0 + 25.0 * l, 0.3 * l, fi),
                // Handshakes fail before the server sees the request: callers feel it.
                FaultKind::ExpiredCertificate => {}
                FaultKind::PoolExhaustion => add(1.0 + 40.0 * l, 0.3 * l, fi),
                FaultKind::DiskFull => add(1.2, 0.5 * l, fi),
            }
        }
        (mult, err, cause)
    }

    /// Whether calls into this instance fail at the TLS handshake at `t`.
    fn cert_expired(&self, inst: usize, t: i64) -> bool {
        self.is_app(self.insts[inst].svc) && t >= self.insts[inst].cert_expiry
    }

    // Each minute reads other instances' rows of the same column: indexing is clearer.
    #[allow(clippy::needless_range_loop)]
    fn compute_state(&mut self) {
        let base_err = 0.002;
        let mut state = vec![vec![State::default(); self.minutes]; self.insts.len()];
        // Callees have higher indices: fill from the leaves up.
        for svc in (0..self.services.len()).rev() {
            for &inst in &self.inst_of[svc] {
                for m in 0..self.minutes {
                    let t = m as i64 * 60 + 30;
                    let (mult, own_err, cause) = self.own(inst, t);
                    let own_lat = self.base_lat[svc] * mult;
                    let mut lat = own_lat;
                    let mut ok = 1.0 - (own_err + base_err).min(1.0);
                    for &(callee, p) in &self.calls[svc] {
                        let ci = self.route(&self.insts[inst].region, callee);
                        let cs: State = state[ci][m];
                        let (clat, cerr) = if self.cert_expired(ci, t) { (0.003, 1.0) } else { (cs.lat, cs.err) };
                        lat += p * clat.min(CALL_TIMEOUT_S);
                        let timeouts = if clat > CALL_TIMEOUT_S { 0.5 } else { 0.0 };
                        ok *=
                            1.0 - p * propagation(self.tier(callee), &self.services[callee].name) * cerr.max(timeouts);
                    }
                    state[inst][m] = State { own_lat, own_err, lat, err: 1.0 - ok, cause };
                }
            }
        }
        self.state = state;
    }

    fn log(
        &mut self,
        inst: usize,
        ns: i64,
        severity: Severity,
        body: String,
        ids: Option<(&str, &str)>,
        attributes: Map<String, Value>,
    ) {
        let id = self.id();
        let resource = self.insts[inst].resource_at(ns.div_euclid(1_000_000_000)).clone();
        self.logs.push(LogRecord {
            id,
            timestamp: self.time_ns(ns),
            severity,
            body,
            time_span: None,
            resource,
            trace_id: ids.map(|(t, _)| t.to_string()),
            span_id: ids.map(|(_, s)| s.to_string()),
            attributes,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn span(
        &mut self,
        inst: usize,
        ids: (&str, &str, Option<&str>),
        name: String,
        kind: SpanKind,
        start: i64,
        end: i64,
        error: Option<String>,
        attributes: Map<String, Value>,
    ) {
        let id = self.id();
        let resource = self.insts[inst].resource_at(start.div_euclid(1_000_000_000)).clone();
        self.spans.push(Span {
            id,
            trace_id: ids.0.to_string(),
            span_id: ids.1.to_string(),
            parent_span_id: ids.2.map(str::to_string),
            name,
            kind,
            start: self.time_ns(start),
            end: self.time_ns(end),
            error: error.is_some(),
            status_message: error,
            resource,
            attributes,
        });
    }

    fn traffic(&mut self) {
        let per_minute = 2 * self.services.len() as u64;
        let entries = self.inst_of[0].clone();
        for m in 0..self.minutes {
            // A gentle daily swell so request rates are not flat.
            let swell = 1.0 + 0.15 * ((m as f64) / 97.0).sin();
            let count = (per_minute as f64 * swell) as u64;
            for _ in 0..count {
                let inst = entries[self.rng.below(entries.len() as u64) as usize];
                let ns =
                    (m as i64 * 60 + self.rng.below(60) as i64) * 1_000_000_000 + self.rng.below(1_000_000_000) as i64;
                let trace = self.hex(16);
                let route = ENTRY_ROUTES[self.rng.below(ENTRY_ROUTES.len() as u64) as usize];
                self.serve(inst, m, &trace, None, ns, route);
            }
        }
    }

    /// One server span on `inst` and everything below it; returns its end and failure.
    fn serve(
        &mut self,
        inst: usize,
        m: usize,
        trace: &str,
        parent: Option<&str>,
        start: i64,
        route: &str,
    ) -> (i64, Option<String>) {
        let svc = self.insts[inst].svc;
        let st = self.state[inst][m];
        let span_id = self.hex(8);
        let jitter = 0.6 + 0.8 * f01(&mut self.rng);
        let own = (st.own_lat * jitter * 1e9) as i64;
        let mut t = start + own / 2;
        let mut failure: Option<String> = None;
        let region = self.insts[inst].region.clone();
        for (callee, p) in self.calls[svc].clone() {
            if !chance(&mut self.rng, p) {
                continue;
            }
            let ci = self.route(&region, callee);
            let cspan = self.hex(8);
            let call_start = t + 200_000;
            let cname = self.services[callee].name.clone();
            let sec = call_start / 1_000_000_000;
            let (mut call_end, mut err) = match self.tier(callee) {
                Tier::Entry | Tier::Service if self.cert_expired(ci, sec) => {
                    let expiry = self.time(self.insts[ci].cert_expiry).to_rfc3339();
                    let now = self.time(sec).to_rfc3339();
                    let msg = format!(
                        "tls handshake with {cname}.internal:443 failed: x509: certificate has expired or is not yet valid: current time {now} is after {expiry}"
                    );
                    (call_start + 3_000_000, Some(msg))
                }
                Tier::Entry | Tier::Service => {
                    let sub = format!("/internal/{}", cname);
                    let (end, e) = self.serve(ci, m, trace, Some(&cspan), call_start + 400_000, &sub);
                    (end + 400_000, e.map(|e| upstream_message(&cname, &e)))
                }
                _ => {
                    let cs = self.state[ci][m];
                    let lat = cs.lat * (0.5 + f01(&mut self.rng));
                    let e = chance(&mut self.rng, cs.err).then(|| self.leaf_error(ci, cs.cause));
                    (call_start + (lat * 1e9) as i64, e)
                }
            };
            if call_end - call_start > (CALL_TIMEOUT_S * 1e9) as i64 {
                call_end = call_start + (CALL_TIMEOUT_S * 1e9) as i64;
                err = Some(format!("upstream {cname} timed out after {}ms", (CALL_TIMEOUT_S * 1000.0) as i64));
            }
            let mut attrs = Map::new();
            attrs.insert("peer.service".into(), Value::String(cname.clone()));
            let port = self.services[callee].port;
            attrs.insert("server.address".into(), Value::String(format!("{cname}.internal")));
            attrs.insert("server.port".into(), Value::from(port));
            let span_name = client_span_name(self.tier(callee), &cname);
            if self.tier(callee) == Tier::Database {
                attrs.insert("db.system".into(), "postgresql".into());
            }
            self.span(
                inst,
                (trace, &cspan, Some(&span_id)),
                span_name,
                SpanKind::Client,
                call_start,
                call_end,
                err.clone(),
                attrs,
            );
            if let Some(e) = err {
                let mut la = Map::new();
                la.insert("peer.service".into(), Value::String(cname.clone()));
                let prop = propagation(self.tier(callee), &cname);
                if chance(&mut self.rng, prop) {
                    self.log(inst, call_end, Severity::Error, e.clone(), Some((trace, &span_id)), la);
                    failure.get_or_insert(e);
                } else {
                    let body = format!("degraded response without {cname}: {e}");
                    self.log(inst, call_end, Severity::Warn, body, Some((trace, &span_id)), la);
                }
            }
            t = call_end;
        }
        let end = t + own / 2 + 100_000;
        if failure.is_none() && chance(&mut self.rng, st.own_err) {
            let msg = self.own_error(inst, st.cause, route);
            self.log(inst, end, Severity::Error, msg.clone(), Some((trace, &span_id)), Map::new());
            failure = Some(msg);
        } else if failure.is_none() && chance(&mut self.rng, 0.0015) {
            let msg = format!("request {route} failed: context canceled");
            self.log(inst, end, Severity::Error, msg.clone(), Some((trace, &span_id)), Map::new());
            failure = Some(msg);
        }
        let code = match &failure {
            None => 200,
            Some(f) if f.contains("timed out") => 504,
            Some(f) if f.contains("pool") || f.contains("503") || f.contains("refused") => 503,
            Some(_) => 500,
        };
        let mut attrs = Map::new();
        attrs.insert("http.route".into(), Value::String(route.to_string()));
        attrs.insert("http.request.method".into(), if route.contains("checkout") { "POST" } else { "GET" }.into());
        attrs.insert("http.response.status_code".into(), Value::from(code));
        let name = format!("{} {route}", if route.contains("checkout") { "POST" } else { "GET" });
        self.span(inst, (trace, &span_id, parent), name.clone(), SpanKind::Server, start, end, failure.clone(), attrs);
        if failure.is_none() && chance(&mut self.rng, 0.3) {
            let ms = (end - start) / 1_000_000;
            let body = format!("{name} {code} {ms}ms");
            self.log(inst, end, Severity::Info, body, Some((trace, &span_id)), Map::new());
        }
        (end, failure)
    }

    fn leaf_error(&self, inst: usize, cause: Option<usize>) -> String {
        let svc = self.insts[inst].svc;
        let name = self.name(svc);
        let port = self.services[svc].port;
        match cause.map(|c| self.faults[c].kind) {
            Some(FaultKind::SlowDatabase) => {
                format!("query on {name} failed: canceling statement due to statement timeout")
            }
            Some(FaultKind::CacheOutage) => format!("cache get failed: connection refused to {name}:{port}"),
            Some(FaultKind::DiskFull) if self.tier(svc) == Tier::Queue => {
                format!("produce to {name} failed: KafkaStorageException: Disk error when trying to access log file on the disk")
            }
            Some(FaultKind::DiskFull) => {
                format!("insert on {name} failed: could not extend file \"base/16384/24576\": No space left on device")
            }
            _ => format!("{name}:{port} connection reset by peer"),
        }
    }

    fn own_error(&mut self, inst: usize, cause: Option<usize>, route: &str) -> String {
        let svc = self.insts[inst].svc;
        match cause.map(|c| self.faults[c].kind) {
            Some(FaultKind::BadDeploy) => format!(
                "unhandled exception in {route}: TypeError: Cannot read properties of undefined (reading 'currency')"
            ),
            Some(FaultKind::MemoryLeak) => "java.lang.OutOfMemoryError: Java heap space".into(),
            Some(FaultKind::PoolExhaustion) => {
                let waiting = range(&mut self.rng, 12, 80);
                format!(
                    "could not acquire connection from pool {}-pool within 5000ms (active=50, idle=0, waiting={waiting})",
                    self.name(svc)
                )
            }
            Some(FaultKind::RegionalNetwork) => {
                let peer = self.rng.below(250) + 1;
                let from = &self.insts[inst].ip;
                format!("dial tcp 10.{}.0.{peer}:8080: i/o timeout (from {from})", 10 + self.rng.below(4))
            }
            _ => format!("request {route} failed: internal error"),
        }
    }

    fn gauge(&mut self, inst: usize, t: i64, name: &str, unit: &str, value: f64, extra: &[(&str, &str)]) {
        let res = self.insts[inst].resource_at(t).clone();
        let mut labels = BTreeMap::new();
        for (k, v) in extra {
            labels.insert(k.to_string(), v.to_string());
        }
        for (k, v) in [("service", &res.service), ("region", &res.region), ("host", &res.host)] {
            if let Some(v) = v {
                labels.insert(k.to_string(), v.clone());
            }
        }
        self.metrics.push(MetricPoint {
            name: name.into(),
            unit: unit.into(),
            kind: MetricKind::Gauge,
            timestamp: self.time(t),
            value,
            count: None,
            sum: None,
            labels,
        });
    }

    fn metrics(&mut self) {
        for inst in 0..self.insts.len() {
            let svc = self.insts[inst].svc;
            let tier = self.tier(svc);
            if tier == Tier::External {
                continue;
            }
            let rate = match tier {
                Tier::Entry => 1200.0,
                Tier::Service => 400.0,
                _ => 900.0,
            } / self.services[svc].regions.len() as f64;
            let pg = self.calls_tier(svc, Tier::Database).map(|c| self.route(&self.insts[inst].region.clone(), c));
            let redis = self.calls_tier(svc, Tier::Cache).map(|c| self.route(&self.insts[inst].region.clone(), c));
            for m in 0..self.minutes {
                let t = (m as i64 + 1) * 60;
                let mid = t - 30;
                let st = self.state[inst][m];
                let noise = |g: &mut Self| 1.0 + (f01(&mut g.rng) - 0.5) * 0.08;
                let mut count = (rate * noise(self)) as u64;
                if self.cert_expired(inst, mid) {
                    // Only probes that skip verification still get through.
                    count = count / 50 + 1;
                }
                let mean = st.lat * noise(self);
                let latency = match tier {
                    Tier::Database => "db.server.query.duration",
                    Tier::Cache => "redis.command.duration",
                    Tier::Queue => "kafka.request.duration",
                    _ => "http.server.request.duration",
                };
                let res = self.insts[inst].resource_at(t).clone();
                let mut labels = BTreeMap::new();
                for (k, v) in [("service", &res.service), ("region", &res.region), ("host", &res.host)] {
                    if let Some(v) = v {
                        labels.insert(k.to_string(), v.clone());
                    }
                }
                self.metrics.push(MetricPoint {
                    name: latency.into(),
                    unit: "s".into(),
                    kind: MetricKind::Histogram,
                    timestamp: self.time(t),
                    value: mean,
                    count: Some(count),
                    sum: Some(mean * count as f64),
                    labels,
                });
                let err = (st.err + (f01(&mut self.rng) - 0.5) * 0.002).clamp(0.0, 1.0);
                self.gauge(inst, t, "request.error.ratio", "1", err, &[]);
                let load = (st.lat / (self.base_lat[svc] * 1.0).max(1e-6)).ln().max(0.0) * 0.08;
                let cpu = (self.insts[inst].base_cpu * noise(self) + load).min(0.99);
                self.gauge(inst, t, "process.cpu.utilization", "1", cpu, &[]);
                let base_mem = self.insts[inst].base_mem;
                let region = &self.insts[inst].region;
                let leak = self
                    .faults
                    .iter()
                    .filter(|f| f.svc == svc && f.region.as_ref().is_none_or(|r| r == region))
                    .find_map(|f| f.leak_memory(mid, base_mem));
                let mem = match leak {
                    Some(m) => m,
                    None => base_mem * noise(self),
                };
                self.gauge(inst, t, "process.memory.utilization", "1", mem.min(1.0), &[]);
                if matches!(tier, Tier::Database | Tier::Queue) {
                    let disk = self.disk(inst, mid);
                    self.gauge(inst, t, "system.filesystem.utilization", "1", disk, &[("mountpoint", "/data")]);
                }
                if let Some(pi) = pg {
                    let pool = format!("{}-pool", self.name(svc));
                    let slow = self.state[pi][m].lat / self.base_lat[self.insts[pi].svc].max(1e-6);
                    let mut used = 6.0 + 6.0 * f01(&mut self.rng) + (slow.ln().max(0.0) * 6.0);
                    for f in &self.faults {
                        if f.kind == FaultKind::PoolExhaustion
                            && f.svc == svc
                            && f.region.as_ref().is_none_or(|r| *r == self.insts[inst].region)
                        {
                            used += 50.0 * f.level(mid) / f.strength.max(1e-6);
                        }
                    }
                    self.gauge(
                        inst,
                        t,
                        "db.client.connections.usage",
                        "{connection}",
                        used.min(50.0).round(),
                        &[("pool.name", &pool), ("pool.max", "50")],
                    );
                }
                if let Some(ri) = redis {
                    let down = self.state[ri][m].err.min(1.0);
                    let hit = (0.93 + 0.04 * f01(&mut self.rng)) * (1.0 - down);
                    self.gauge(inst, t, "cache.hit.ratio", "1", hit, &[]);
                }
                if self.is_app(svc) {
                    let left = (self.insts[inst].cert_expiry - t) as f64;
                    self.gauge(inst, t, "tls.certificate.expiry.seconds", "s", left, &[]);
                }
            }
        }
    }

    fn disk(&self, inst: usize, t: i64) -> f64 {
        let i = &self.insts[inst];
        let mut disk = i.base_disk + 0.02 * t as f64 / 3600.0;
        for f in &self.faults {
            if f.kind == FaultKind::DiskFull && f.svc == i.svc {
                // Fills over the half hour before onset, full from onset to mitigation.
                let fill_from = f.onset - 1800;
                if t >= fill_from && f.end.is_none_or(|e| t < e) {
                    let x = ((t - fill_from) as f64 / 1800.0).min(1.0);
                    disk = disk + (1.0 - disk) * x;
                }
            }
        }
        disk.min(1.0)
    }

    /// Logs a fault leaves outside request handling: OOM kills, disk and network events.
    fn fault_logs(&mut self) {
        for fi in 0..self.faults.len() {
            let f = self.faults[fi].clone();
            let insts: Vec<usize> = self.inst_of[f.svc]
                .iter()
                .copied()
                .filter(|&i| f.region.as_ref().is_none_or(|r| *r == self.insts[i].region))
                .collect();
            let stop = f.end.unwrap_or(self.duration()).min(self.duration());
            for &i in &insts {
                let name = self.name(f.svc).to_string();
                match f.kind {
                    FaultKind::MemoryLeak => {
                        let mut t = f.onset + LEAK_CYCLE_S;
                        let mut restarts = 1;
                        while t < stop {
                            let body = format!("container {name} OOMKilled: memory limit 1Gi exceeded, restarting (restart count {restarts})");
                            self.log(i, t * 1_000_000_000, Severity::Error, body, None, Map::new());
                            restarts += 1;
                            t += LEAK_CYCLE_S;
                        }
                    }
                    FaultKind::DiskFull => {
                        let mut t = f.onset;
                        while t < stop {
                            let body = if self.tier(f.svc) == Tier::Queue {
                                "ERROR Error while appending records to orders-3 in dir /data/kafka (kafka.server.LogDirFailureChannel): java.io.IOException: No space left on device".to_string()
                            } else {
                                "PANIC: could not write to file \"pg_wal/xlogtemp.1234\": No space left on device"
                                    .to_string()
                            };
                            self.log(i, t * 1_000_000_000, Severity::Fatal, body, None, Map::new());
                            t += 20 + self.rng.below(40) as i64;
                        }
                    }
                    FaultKind::SlowDatabase => {
                        let mut t = f.onset + 30;
                        while t < stop {
                            let ms = range(&mut self.rng, 1500, 9000);
                            let body = format!("duration: {ms}.{:03} ms  statement: SELECT * FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.customer_id = $1", self.rng.below(1000));
                            self.log(i, t * 1_000_000_000, Severity::Warn, body, None, Map::new());
                            t += 5 + self.rng.below(20) as i64;
                        }
                    }
                    FaultKind::CacheOutage => {
                        let body = "# Redis is now ready to exit, bye bye... (received SIGTERM, master unreachable)"
                            .to_string();
                        self.log(i, f.onset * 1_000_000_000, Severity::Warn, body, None, Map::new());
                    }
                    FaultKind::RegionalNetwork => {
                        let mut t = f.onset + 15;
                        let region = self.insts[i].region.clone();
                        while t < stop {
                            let body = format!(
                                "health check of peers in {region} failing: 3 of 4 unreachable (no route to host)"
                            );
                            self.log(i, t * 1_000_000_000, Severity::Warn, body, None, Map::new());
                            t += 30;
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn background_logs(&mut self, noise: &Noise) {
        for inst in 0..self.insts.len() {
            let svc = self.insts[inst].svc;
            let tier = self.tier(svc);
            if tier == Tier::External {
                continue;
            }
            for m in 0..self.minutes {
                let base = m as i64 * 60_000_000_000;
                let at = |g: &mut Self| base + (g.rng.below(60_000) as i64) * 1_000_000;
                match tier {
                    Tier::Database => {
                        if m % 5 == 0 {
                            let ns = at(self);
                            let body = format!(
                                "checkpoint complete: wrote {} buffers ({:.1}%); 0 WAL file(s) added, 0 removed, 1 recycled",
                                self.rng.below(4000),
                                f01(&mut self.rng) * 10.0
                            );
                            self.log(inst, ns, Severity::Info, body, None, Map::new());
                        }
                    }
                    Tier::Cache => {
                        if m % 10 == 0 {
                            let ns = at(self);
                            let body = "Background saving terminated with success".to_string();
                            self.log(inst, ns, Severity::Info, body, None, Map::new());
                        }
                    }
                    Tier::Queue => {
                        let ns = at(self);
                        let body = format!(
                            "[GroupCoordinator 1]: Member consumer-{} in group orders-consumers has committed offsets, lag={}",
                            self.rng.below(8),
                            self.rng.below(200)
                        );
                        self.log(inst, ns, Severity::Info, body, None, Map::new());
                    }
                    _ => {
                        for _ in 0..2 {
                            let ns = at(self);
                            self.log(inst, ns, Severity::Debug, "GET /healthz 200 0ms".into(), None, Map::new());
                        }
                        let ns = at(self);
                        let body = format!(
                            "cache refresh finished: {} entries in {}ms",
                            self.rng.below(5000),
                            self.rng.below(400)
                        );
                        self.log(inst, ns, Severity::Info, body, None, Map::new());
                    }
                }
                if Some(svc) == noise.chronic && chance(&mut self.rng, 0.8) {
                    let ns = at(self);
                    let body = "failed to refresh feature flags from flagd:8013: rpc error: code = PermissionDenied desc = 403 Forbidden".to_string();
                    self.log(inst, ns, Severity::Error, body, None, Map::new());
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn alert(
        &mut self,
        name: &str,
        inst: usize,
        severity: &str,
        starts: i64,
        ends: Option<i64>,
        summary: String,
    ) -> String {
        let svc = self.insts[inst].svc;
        let region = self.insts[inst].region.clone();
        let mut labels = BTreeMap::new();
        labels.insert("alertname".to_string(), name.to_string());
        labels.insert("service".to_string(), self.name(svc).to_string());
        labels.insert("region".to_string(), region.clone());
        labels.insert("severity".to_string(), severity.to_string());
        labels.insert("env".to_string(), "production".to_string());
        let fingerprint = alertmanager_fingerprint(&labels);
        let mut annotations = BTreeMap::new();
        annotations.insert("summary".to_string(), summary);
        annotations
            .insert("runbook_url".to_string(), format!("https://runbooks.shop.internal/{}", name.to_ascii_lowercase()));
        let d = self.duration();
        let resolved = ends.filter(|e| *e < d);
        let updated = resolved.unwrap_or(d - 15);
        self.alerts.push(Alert {
            fingerprint: fingerprint.clone(),
            alertname: name.to_string(),
            status: if resolved.is_some() { AlertStatus::Resolved } else { AlertStatus::Firing },
            starts_at: self.time(starts),
            // A firing alert's endsAt is Alertmanager's resolve timeout past its last update.
            ends_at: Some(self.time(resolved.unwrap_or(d + 240))),
            updated_at: Some(self.time(updated)),
            generator_url: Some(format!(
                "http://prometheus.{region}.shop.internal:9090/graph?g0.expr={}&g0.tab=1",
                name.to_ascii_lowercase()
            )),
            service: Some(self.name(svc).to_string()),
            region: Some(region),
            instance: None,
            labels,
            annotations,
        });
        fingerprint
    }

    /// Root and symptom alerts of fault `fi`, from the state the fault produced.
    fn incident_alerts(&mut self, fi: usize) {
        let f = self.faults[fi].clone();
        let d = self.duration();
        let mut fps = Vec::new();
        let root_insts: Vec<usize> = self.inst_of[f.svc]
            .iter()
            .copied()
            .filter(|&i| f.region.as_ref().is_none_or(|r| *r == self.insts[i].region))
            .collect();
        let root = self.name(f.svc).to_string();
        let resolve = |g: &mut Self| f.end.map(|e| e + range(&mut g.rng, 120, 420));
        for &i in &root_insts {
            let (name, lag, summary) = match f.kind {
                FaultKind::SlowDatabase => (
                    "PostgresQueryLatencyHigh",
                    range(&mut self.rng, 150, 330),
                    format!("{root} mean query time above 250ms"),
                ),
                FaultKind::BadDeploy => {
                    ("HighErrorRate", range(&mut self.rng, 150, 300), format!("{root} 5xx ratio above 5%"))
                }
                FaultKind::MemoryLeak => (
                    "ContainerMemoryNearLimit",
                    LEAK_CYCLE_S * 7 / 10 + range(&mut self.rng, 60, 180),
                    format!("{root} memory above 90% of its limit"),
                ),
                FaultKind::CacheOutage => {
                    ("RedisDown", range(&mut self.rng, 45, 120), format!("{root} is unreachable"))
                }
                FaultKind::RegionalNetwork => {
                    ("HighLatency", range(&mut self.rng, 150, 300), format!("{root} p99 latency above 1s"))
                }
                FaultKind::ExpiredCertificate => (
                    "TLSCertificateExpired",
                    range(&mut self.rng, 30, 120),
                    format!("certificate of {root}.internal:443 has expired"),
                ),
                FaultKind::PoolExhaustion => (
                    "DBConnectionPoolExhausted",
                    range(&mut self.rng, 120, 300),
                    format!("{root} connection pool at its maximum"),
                ),
                FaultKind::DiskFull => {
                    ("FilesystemFull", range(&mut self.rng, 30, 150), format!("{root} /data is 100% full"))
                }
            };
            let ends = resolve(self);
            let fp = self.alert(name, i, "page", f.onset + lag, ends, summary);
            self.keep(&mut fps, fp);
            // Real rule sets watch a failure from more than one side: a companion alert on the root.
            let companion = match f.kind {
                FaultKind::SlowDatabase => {
                    Some(("PostgresLongRunningQueries", format!("{root} has queries running over 30s")))
                }
                FaultKind::BadDeploy => {
                    Some(("KubeDeploymentRolloutErrors", format!("{root} new replicas are failing requests")))
                }
                FaultKind::CacheOutage => {
                    Some(("RedisRejectedConnections", format!("{root} is rejecting connections")))
                }
                FaultKind::RegionalNetwork => Some(("NodeNetworkErrors", format!("{root} hosts see packet loss"))),
                FaultKind::ExpiredCertificate => {
                    Some(("BlackboxProbeFailed", format!("probe of {root}.internal:443 failing")))
                }
                FaultKind::PoolExhaustion => {
                    Some(("DBConnectionWaitHigh", format!("{root} requests wait for a connection")))
                }
                FaultKind::DiskFull => Some(("FilesystemAlmostOutOfSpace", format!("{root} /data above 95%"))),
                FaultKind::MemoryLeak => None,
            };
            if let Some((name, summary)) = companion {
                let lag = lag + range(&mut self.rng, 20, 120);
                let ends = resolve(self);
                let fp = self.alert(name, i, "warning", f.onset + lag, ends, summary);
                self.keep(&mut fps, fp);
            }
            if f.kind == FaultKind::MemoryLeak && f.onset + LEAK_CYCLE_S + 120 < d {
                let ends = resolve(self);
                let summary = format!("{root} restarted after OOMKilled");
                let fp = self.alert("PodOOMKilled", i, "warning", f.onset + LEAK_CYCLE_S + 60, ends, summary);
                self.keep(&mut fps, fp);
                // Killed again within the hour: Kubernetes backs off restarting it.
                if f.onset + 2 * LEAK_CYCLE_S + 120 < d && f.end.is_none_or(|e| e > f.onset + 2 * LEAK_CYCLE_S) {
                    let ends = resolve(self);
                    let summary = format!("{root} is restarting repeatedly (CrashLoopBackOff)");
                    let at = f.onset + 2 * LEAK_CYCLE_S + 90;
                    let fp = self.alert("KubePodCrashLooping", i, "warning", at, ends, summary);
                    self.keep(&mut fps, fp);
                }
            }
        }
        // Symptoms: callers (transitively) whose error rate or latency clearly rose.
        let window = (f.onset / 60) as usize..((f.onset / 60) as usize + 30).min(self.minutes);
        let before = (f.onset / 60 - 30).max(0) as usize..(f.onset / 60) as usize;
        let mut ancestors = Vec::new();
        let mut todo = vec![f.svc];
        while let Some(s) = todo.pop() {
            for c in self.callers_of(s) {
                if !ancestors.contains(&c) {
                    ancestors.push(c);
                    todo.push(c);
                }
            }
        }
        ancestors.sort();
        let direct = self.callers_of(f.svc);
        for &s in ancestors.iter().rev() {
            for i in self.inst_of[s].clone() {
                let avg = |g: &Self, r: std::ops::Range<usize>, pick: fn(&State) -> f64| {
                    let n = r.len().max(1) as f64;
                    r.map(|m| pick(&g.state[i][m])).sum::<f64>() / n
                };
                let (e0, e1) = (avg(self, before.clone(), |s| s.err), avg(self, window.clone(), |s| s.err));
                let (l0, l1) = (avg(self, before.clone(), |s| s.lat), avg(self, window.clone(), |s| s.lat));
                let worse_err = e1 > 0.03 && e1 > 3.0 * e0;
                let worse_lat = l1 > 2.0 * l0 && l1 > 0.1;
                if !(worse_err || worse_lat) || (!direct.contains(&s) && !chance(&mut self.rng, 0.7)) {
                    continue;
                }
                let depth_lag = if direct.contains(&s) { 0 } else { 60 };
                let lag = range(&mut self.rng, 180, 420) + depth_lag;
                let name = self.name(s).to_string();
                // One alert per rule that the change crosses: error ratio, latency, and at the edge the SLO burn.
                let mut fired: Vec<(&str, String, &str)> = Vec::new();
                if s == 0 {
                    fired.push((
                        "SLOErrorBudgetBurn",
                        format!("{name} is burning its 30-day error budget 14x too fast"),
                        "page",
                    ));
                }
                if worse_err {
                    fired.push(("HighErrorRate", format!("{name} 5xx ratio above 5%"), "warning"));
                }
                if worse_lat {
                    fired.push(("HighLatency", format!("{name} p99 latency above 1s"), "warning"));
                }
                for (k, (alert, summary, sev)) in fired.into_iter().enumerate() {
                    let lag = lag + if k == 0 { 0 } else { range(&mut self.rng, 0, 90) };
                    let ends = resolve(self);
                    let fp = self.alert(alert, i, sev, f.onset + lag, ends, summary);
                    self.keep(&mut fps, fp);
                }
            }
        }
        self.incident_alerts.push(fps);
    }

    /// Keeps an incident's alert unless an earlier incident already claimed its label set.
    fn keep(&mut self, fps: &mut Vec<String>, fp: String) {
        if fps.contains(&fp) || self.incident_alerts.iter().flatten().any(|x| *x == fp) {
            self.alerts.pop();
        } else {
            fps.push(fp);
        }
    }

    /// An alert on `svc` that fires and resolves every few minutes all scenario long.
    fn flapping_alerts(&mut self, svc: usize) -> String {
        let inst = self.inst_of[svc][0];
        let d = self.duration();
        let name = match self.tier(svc) {
            Tier::Queue => "KafkaConsumerLagHigh",
            Tier::Database => "PostgresReplicationLagHigh",
            Tier::Cache => "RedisMemoryFragmentationHigh",
            _ => "HighCPUThrottling",
        };
        let summary = format!("{} {}", self.name(svc), "crossed its threshold");
        let mut t = range(&mut self.rng, 120, 900);
        let mut fp = String::new();
        while t < d - 60 {
            let len = range(&mut self.rng, 120, 360);
            fp = self.alert(name, inst, "warning", t, Some(t + len), summary.clone());
            t += len + range(&mut self.rng, 300, 1100);
        }
        fp
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

const ENTRY_ROUTES: &[&str] = &["/api/checkout", "/api/cart", "/api/products", "/api/search", "/api/users/me", "/"];

/// How often a caller fails when this callee fails (optional dependencies degrade).
fn propagation(tier: Tier, name: &str) -> f64 {
    match (tier, name) {
        (_, "recommendations" | "reviews" | "notifications") => 0.25,
        (Tier::Cache, _) => 0.6,
        (Tier::Queue, _) => 0.5,
        _ => 0.9,
    }
}

fn upstream_message(callee: &str, inner: &str) -> String {
    if inner.contains("timed out") || inner.contains("i/o timeout") {
        format!("upstream {callee} timed out: {inner}")
    } else if inner.contains("pool") || inner.contains("OutOfMemoryError") {
        format!("upstream {callee} returned 503 Service Unavailable: {inner}")
    } else {
        format!("upstream {callee} returned 500 Internal Server Error: {inner}")
    }
}

fn client_span_name(tier: Tier, callee: &str) -> String {
    match tier {
        Tier::Database => "SELECT orders".into(),
        Tier::Cache => "GET".into(),
        Tier::Queue => "orders publish".into(),
        Tier::External => "POST /v1/charges".into(),
        _ => format!("GET /internal/{callee}"),
    }
}

/// The next patch (or minor) version of a dotted version string.
fn bump(version: &str, minor: bool) -> String {
    let mut parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    if minor {
        parts[1] += 1;
        parts[2] = 0;
    } else {
        parts[2] += 1;
    }
    format!("{}.{}.{}", parts[0], parts[1], parts[2])
}

#[cfg(test)]
mod tests;
