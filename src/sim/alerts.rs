//! Alertmanager alerts: the root's and its callers' for each fault, and a flapping one.

use std::collections::BTreeMap;

use super::faults::{Fault, LEAK_CYCLE_S};
use super::variety::{AlertLabels, RegionLabel};
use super::{chance, range, FaultKind, Gen, State, Tier};
use crate::model::{alertmanager_fingerprint, Alert, AlertStatus};

impl Gen<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alert(
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
        let own_style = self.spec.variety.alert_labels == AlertLabels::Service
            && self.spec.variety.region_label == RegionLabel::Region;
        let mut labels = BTreeMap::new();
        labels.insert("alertname".to_string(), name.to_string());
        if own_style {
            labels.insert("service".to_string(), self.name(svc).to_string());
            labels.insert("region".to_string(), region.clone());
        } else {
            self.styled_labels(&mut labels, name, inst);
        }
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
        if !own_style {
            // What ingest makes of these labels: the service and region only where a rule names them.
            if let Some(a) = self.alerts.last_mut() {
                a.lift_labels();
            }
        }
        fingerprint
    }

    /// Root and symptom alerts of fault `fi`, from the state the fault produced.
    pub(super) fn incident_alerts(&mut self, fi: usize) {
        let f = self.faults[fi].clone();
        let mut fps = Vec::new();
        self.root_alerts(&f, &mut fps);
        self.symptom_alerts(&f, &mut fps);
        self.incident_alerts.push(fps);
    }

    /// The alerts on the fault's own instances.
    fn root_alerts(&mut self, f: &Fault, fps: &mut Vec<String>) {
        let d = self.duration();
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
            // A shop that does not export certificate expiry has no rule on it either.
            let main = self.faults.first().is_some_and(|m| m.svc == f.svc && m.kind == f.kind);
            if !(main && self.spec.variety.silent_root && f.kind == FaultKind::ExpiredCertificate) {
                let fp = self.alert(name, i, "page", f.onset + lag, ends, summary);
                self.keep(fps, fp);
            }
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
                self.keep(fps, fp);
            }
            if f.kind == FaultKind::MemoryLeak && f.onset + LEAK_CYCLE_S + 120 < d {
                let ends = resolve(self);
                let summary = format!("{root} restarted after OOMKilled");
                let fp = self.alert("PodOOMKilled", i, "warning", f.onset + LEAK_CYCLE_S + 60, ends, summary);
                self.keep(fps, fp);
                // Killed again within the hour: Kubernetes backs off restarting it.
                if f.onset + 2 * LEAK_CYCLE_S + 120 < d && f.end.is_none_or(|e| e > f.onset + 2 * LEAK_CYCLE_S) {
                    let ends = resolve(self);
                    let summary = format!("{root} is restarting repeatedly (CrashLoopBackOff)");
                    let at = f.onset + 2 * LEAK_CYCLE_S + 90;
                    let fp = self.alert("KubePodCrashLooping", i, "warning", at, ends, summary);
                    self.keep(fps, fp);
                }
            }
        }
    }

    /// Symptoms: callers (transitively) whose error rate or latency clearly rose.
    fn symptom_alerts(&mut self, f: &Fault, fps: &mut Vec<String>) {
        let resolve = |g: &mut Self| f.end.map(|e| e + range(&mut g.rng, 120, 420));
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
                    self.keep(fps, fp);
                }
            }
        }
    }

    /// Keeps an incident's alert unless an earlier incident already claimed its label set.
    pub(super) fn keep(&mut self, fps: &mut Vec<String>, fp: String) {
        if fps.contains(&fp) || self.incident_alerts.iter().flatten().any(|x| *x == fp) {
            self.alerts.pop();
        } else {
            fps.push(fp);
        }
    }

    /// An alert on `svc` that fires and resolves every few minutes all scenario long.
    pub(super) fn flapping_alerts(&mut self, svc: usize) -> String {
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

    /// Labels in the scenario's style: Kubernetes rules name a pod, a scrape job or an app,
    /// by what they watch, and the region sits under whichever label the shop uses.
    fn styled_labels(&self, labels: &mut BTreeMap<String, String>, rule: &str, inst: usize) {
        let i = &self.insts[inst];
        let name = self.name(i.svc).to_string();
        match self.spec.variety.alert_labels {
            AlertLabels::Service => {
                labels.insert("service".into(), name);
            }
            AlertLabels::Kubernetes => {
                let datastore = !self.is_app(i.svc);
                let ns = if datastore { "data" } else { "shop" };
                labels.insert("namespace".into(), ns.into());
                let key = if rule.starts_with("Pod") || rule.starts_with("Container") || rule.starts_with("Kube") {
                    "pod"
                } else if datastore || self.tier(i.svc) == Tier::Entry || rule.contains("Latency") {
                    "job"
                } else {
                    "app"
                };
                let value = if key == "pod" { i.pod.clone() } else { name };
                labels.insert(key.into(), value);
            }
        }
        let zone = format!("{}{}", i.region, ['a', 'b', 'c'][inst % 3]);
        match self.spec.variety.region_label {
            RegionLabel::Region => labels.insert("region".into(), i.region.clone()),
            RegionLabel::Topology => labels.insert("topology.kubernetes.io/region".into(), i.region.clone()),
            RegionLabel::Zone => labels.insert("zone".into(), zone),
            RegionLabel::Absent => None,
        };
    }
}
