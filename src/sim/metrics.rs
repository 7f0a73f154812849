//! Per-minute metrics sampled from the instances' state.

use std::collections::BTreeMap;

use super::styles::Minute;
use super::variety::{HttpConvention, MetricStyle};
use super::{f01, FaultKind, Gen, Tier};
use crate::model::{MetricKind, MetricPoint};

impl Gen<'_> {
    pub(super) fn gauge(&mut self, inst: usize, t: i64, name: &str, unit: &str, value: f64, extra: &[(&str, &str)]) {
        self.point_with(inst, t, (name, unit, MetricKind::Gauge), value, None, extra);
    }

    pub(super) fn metrics(&mut self) {
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
                self.sample(inst, m, rate, (pg, redis));
            }
        }
    }

    /// Minute `m`'s metrics of one instance; `deps` are the instances of its database and
    /// cache, when it calls them.
    fn sample(&mut self, inst: usize, m: usize, rate: f64, (pg, redis): (Option<usize>, Option<usize>)) {
        let svc = self.insts[inst].svc;
        let tier = self.tier(svc);
        let t = (m as i64 + 1) * 60;
        let mid = t - 30;
        let st = self.state[inst][m];
        if self.scrape_stopped(inst, mid) {
            return;
        }
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
        let v = self.spec.variety;
        let own_style = v.metrics == MetricStyle::OtelHistogram && v.http == HttpConvention::Stable;
        if own_style || !self.is_app(svc) {
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
        } else {
            let err = (st.err + (f01(&mut self.rng) - 0.5) * 0.002).clamp(0.0, 1.0);
            let errors = (err * count as f64).round() as u64;
            self.styled_requests(inst, Minute { t, count, errors, mean });
        }
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
        if v.metrics == MetricStyle::Prometheus {
            self.prometheus_memory(inst, t, mem.min(1.0));
        } else {
            self.gauge(inst, t, "process.memory.utilization", "1", mem.min(1.0), &[]);
        }
        if v.kube_events && self.is_app(svc) {
            self.restarts(inst, t);
        }
        if matches!(tier, Tier::Database | Tier::Queue) {
            let disk = self.disk(inst, mid);
            self.gauge(inst, t, "system.filesystem.utilization", "1", disk, &[("mountpoint", "/data")]);
        }
        if let Some(pi) = pg {
            self.pool_gauge(inst, m, pi);
        }
        if let Some(ri) = redis {
            let down = self.state[ri][m].err.min(1.0);
            let hit = (0.93 + 0.04 * f01(&mut self.rng)) * (1.0 - down);
            self.gauge(inst, t, "cache.hit.ratio", "1", hit, &[]);
        }
        // Few shops export certificate expiry; where they do not, nothing says it is near.
        if self.is_app(svc) && !v.silent_root {
            let left = (self.insts[inst].cert_expiry - t) as f64;
            self.gauge(inst, t, "tls.certificate.expiry.seconds", "s", left, &[]);
        }
    }

    /// The connection pool of an instance that calls database instance `pi`.
    fn pool_gauge(&mut self, inst: usize, m: usize, pi: usize) {
        let svc = self.insts[inst].svc;
        let t = (m as i64 + 1) * 60;
        let mid = t - 30;
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
}
