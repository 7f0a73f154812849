//! The shop: services, regions, the call graph, and one instance per (service, region)
//! with its OpenTelemetry resource, which a deploy replaces.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::variety::pod_name;
use super::{chance, f01, range, shuffle, FaultKind, Gen, ServiceInfo, Tier};
use crate::loadgen::Rng;
use crate::model::{Resource, Severity};

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

impl Gen<'_> {
    pub(super) fn topology(&mut self) {
        let (services, mids) = shop(&mut self.rng, self.spec.services.clamp(6, 14));
        let calls = call_graph(&mut self.rng, &services, mids);
        let base_lat = services
            .iter()
            .map(|s| match s.tier {
                Tier::Entry => 0.004 + f01(&mut self.rng) * 0.004,
                Tier::Service => 0.008 + f01(&mut self.rng) * 0.03,
                Tier::Database => 0.003 + f01(&mut self.rng) * 0.006,
                Tier::Cache => 0.0005 + f01(&mut self.rng) * 0.001,
                Tier::Queue => 0.004 + f01(&mut self.rng) * 0.004,
                Tier::External => 0.15 + f01(&mut self.rng) * 0.15,
            })
            .collect();
        self.services = services;
        self.calls = calls;
        self.base_lat = base_lat;
    }

    pub(super) fn callers_of(&self, svc: usize) -> Vec<usize> {
        (0..self.services.len()).filter(|&c| self.calls[c].iter().any(|(x, _)| *x == svc)).collect()
    }

    pub(super) fn calls_tier(&self, svc: usize, tier: Tier) -> Option<usize> {
        self.calls[svc].iter().map(|(c, _)| *c).find(|&c| self.tier(c) == tier)
    }

    pub(super) fn pick(&mut self, candidates: &[usize]) -> Option<usize> {
        (!candidates.is_empty()).then(|| candidates[self.rng.below(candidates.len() as u64) as usize])
    }

    pub(super) fn instances(&mut self) {
        for s in 0..self.services.len() {
            let mut ids = Vec::new();
            for (ri, region) in self.services[s].regions.clone().into_iter().enumerate() {
                let info = &self.services[s];
                let host = format!("{}-{:x}-{}", info.name, 0x1000 + self.rng.below(0xefff), ri);
                let res = self.resource(s, &region, &host, &info.version.clone());
                let ip = format!("10.{}.{}.{}", 10 + ri, self.rng.below(250) + 1, self.rng.below(250) + 1);
                let pod = pod_name(&self.services[s].name, self.spec.seed, self.insts.len());
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
                    pod,
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

    pub(super) fn resource(&self, svc: usize, region: &str, host: &str, version: &str) -> Arc<Resource> {
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
    pub(super) fn deploy(&mut self, svc: usize, at: i64, version: &str) {
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
    /// region of the callee that is not cut off.
    pub(super) fn route(&self, region: &str, callee: usize) -> usize {
        let ids = &self.inst_of[callee];
        if let Some(&i) = ids.iter().find(|&&i| self.insts[i].region == region) {
            return i;
        }
        ids.iter().copied().find(|&i| Some(&self.insts[i].region) != self.avoid_region.as_ref()).unwrap_or(ids[0])
    }
}

/// The services of an `n`-service shop with their regions; also how many mid-tier services.
fn shop(rng: &mut Rng, n: usize) -> (Vec<ServiceInfo>, usize) {
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
    (services, mids)
}

/// Who calls whom, with the probability that a request makes the call.
fn call_graph(rng: &mut Rng, services: &[ServiceInfo], mids: usize) -> Vec<Vec<(usize, f64)>> {
    // Call graph: edges only go from lower to higher index, so it is a DAG.
    let first_leaf = 1 + mids;
    let mut calls: Vec<Vec<(usize, f64)>> = vec![Vec::new(); services.len()];
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
    calls
}

pub(super) struct Inst {
    pub(super) svc: usize,
    pub(super) region: String,
    pub(super) ip: String,
    /// (from second, resource) in time order: a deploy starts a new resource.
    pub(super) resources: Vec<(i64, Arc<Resource>)>,
    pub(super) base_mem: f64,
    pub(super) base_cpu: f64,
    pub(super) base_disk: f64,
    pub(super) cert_expiry: i64,
    /// Its Kubernetes pod name, for Kubernetes-style alert labels and events.
    pub(super) pod: String,
}

impl Inst {
    pub(super) fn resource_at(&self, t: i64) -> &Arc<Resource> {
        let mut r = &self.resources[0].1;
        for (from, res) in &self.resources {
            if *from <= t {
                r = res;
            }
        }
        r
    }
}

/// The next patch (or minor) version of a dotted version string.
pub(super) fn bump(version: &str, minor: bool) -> String {
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
