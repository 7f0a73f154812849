//! The injected faults and the noise around them, and the per-minute state of every
//! instance that they produce: own latency and errors plus what callees add.

use serde_json::Map;

use super::topology::bump;
use super::{chance, range, FaultKind, Gen, Tier, CALL_TIMEOUT_S};
use crate::loadgen::Rng;
use crate::model::Severity;

#[derive(Debug, Clone)]
pub(super) struct Fault {
    pub(super) kind: FaultKind,
    pub(super) svc: usize,
    pub(super) region: Option<String>,
    pub(super) onset: i64,
    pub(super) end: Option<i64>,
    pub(super) strength: f64,
}

impl Fault {
    /// 0 before onset, ramping to `strength`, back to 0 within two minutes of the end.
    pub(super) fn level(&self, t: i64) -> f64 {
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
    pub(super) fn leak_memory(&self, t: i64, base: f64) -> Option<f64> {
        if self.kind != FaultKind::MemoryLeak || t < self.onset || self.end.is_some_and(|e| t >= e) {
            return None;
        }
        let phase = ((t - self.onset) % LEAK_CYCLE_S) as f64 / LEAK_CYCLE_S as f64;
        Some(base + (1.0 - base) * phase)
    }
}

pub(super) const LEAK_CYCLE_S: i64 = 900;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct State {
    pub(super) own_lat: f64,
    pub(super) own_err: f64,
    pub(super) lat: f64,
    pub(super) err: f64,
    /// The fault behind `own_err`, index into `Gen::faults`.
    pub(super) cause: Option<usize>,
}

impl Gen<'_> {
    pub(super) fn plan_faults(&mut self) {
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

    pub(super) fn plan_noise(&mut self) -> Noise {
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
    /// Own latency multiplier, own error rate and its cause for an instance at second `t`.
    pub(super) fn own(&self, inst: usize, t: i64) -> (f64, f64, Option<usize>) {
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
    pub(super) fn cert_expired(&self, inst: usize, t: i64) -> bool {
        self.is_app(self.insts[inst].svc) && t >= self.insts[inst].cert_expiry
    }

    // Each minute reads other instances' rows of the same column: indexing is clearer.
    #[allow(clippy::needless_range_loop)]
    pub(super) fn compute_state(&mut self) {
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
    pub(super) fn disk(&self, inst: usize, t: i64) -> f64 {
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
    pub(super) fn fault_logs(&mut self) {
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
                            if self.spec.variety.kube_events {
                                self.kube_events(i, t, &name, restarts);
                            }
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
                    FaultKind::CacheOutage | FaultKind::RegionalNetwork if self.silent(fi) => {}
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
}

impl Gen<'_> {
    /// A mid-tier service that is no fault's root, for `Variety::uninstrumented`; drawn from
    /// its own stream so the rest of the scenario stays as it is.
    pub(super) fn pick_uninstrumented(&self) -> Option<usize> {
        let mut rng = Rng(self.spec.seed ^ 0x0b5e_55ed);
        let roots: Vec<usize> = self.faults.iter().map(|f| f.svc).collect();
        let mids: Vec<usize> =
            (1..self.services.len()).filter(|&s| self.tier(s) == Tier::Service && !roots.contains(&s)).collect();
        (!mids.is_empty()).then(|| mids[rng.below(mids.len() as u64) as usize])
    }

    /// Whether fault `fi` is the main one with `Variety::silent_root`: its root writes no
    /// self-diagnosis.
    fn silent(&self, fi: usize) -> bool {
        fi == 0 && self.spec.variety.silent_root
    }

    /// Kubernetes events after an OOM kill of pod `pod` at second `t`.
    fn kube_events(&mut self, i: usize, t: i64, name: &str, restarts: i64) {
        let pod = self.insts[i].pod.clone();
        let body = format!(
            "Warning OOMKilling pod/{pod}: Memory cgroup out of memory: Killed process {} (java) in container {name}",
            1000 + restarts * 7
        );
        self.log(i, t * 1_000_000_000 + 500_000_000, Severity::Warn, body, None, Map::new());
        if restarts > 1 {
            let body = format!("Warning BackOff pod/{pod}: Back-off restarting failed container {name} in pod {pod}");
            self.log(i, (t + 20) * 1_000_000_000, Severity::Warn, body, None, Map::new());
        }
    }
}

/// How often a caller fails when this callee fails (optional dependencies degrade).
pub(super) fn propagation(tier: Tier, name: &str) -> f64 {
    match (tier, name) {
        (_, "recommendations" | "reviews" | "notifications") => 0.25,
        (Tier::Cache, _) => 0.6,
        (Tier::Queue, _) => 0.5,
        _ => 0.9,
    }
}

pub(super) struct Noise {
    pub(super) flapping: Option<usize>,
    pub(super) chronic: Option<usize>,
    pub(super) deploy: Option<(usize, i64)>,
}
