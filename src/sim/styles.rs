//! Request, memory and restart metrics in the styles of `Variety`: what a service exports
//! when it is not instrumented the simulator's own way.

use std::collections::BTreeMap;

use super::faults::LEAK_CYCLE_S;
use super::variety::{HttpConvention, MetricStyle};
use super::{FaultKind, Gen, Tier};
use crate::model::{MetricKind, MetricPoint};

/// Prometheus/Micrometer `le` bounds, in seconds.
const LE: [f64; 6] = [0.025, 0.1, 0.25, 1.0, 2.5, 10.0];
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The request duration histograms `styled_requests` writes, by HTTP convention (stable, legacy): the ones whose
/// temporality the style decides.
pub(super) const REQUEST_HISTOGRAMS: [&str; 2] = ["http.server.request.duration", "http.server.duration"];

/// One minute of an instance's requests: how many, how many failed, mean duration (s).
#[derive(Debug, Clone, Copy)]
pub(super) struct Minute {
    pub t: i64,
    pub count: u64,
    pub errors: u64,
    pub mean: f64,
}

impl Gen<'_> {
    /// A point with the instance's resource labels (as ingest adds them) and `extra`.
    // Spelled out at each call so the metric's name, unit and kind read together.
    #[allow(clippy::too_many_arguments)]
    fn point(
        &mut self,
        inst: usize,
        t: i64,
        name: &str,
        unit: &str,
        kind: MetricKind,
        value: f64,
        extra: &[(&str, &str)],
    ) {
        self.point_with(inst, t, (name, unit, kind), value, None, extra);
    }

    pub(super) fn point_with(
        &mut self,
        inst: usize,
        t: i64,
        (name, unit, kind): (&str, &str, MetricKind),
        value: f64,
        count_sum: Option<(u64, f64)>,
        extra: &[(&str, &str)],
    ) {
        let res = self.insts[inst].resource_at(t).clone();
        let mut labels: BTreeMap<String, String> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        for (k, v) in [("service", &res.service), ("region", &res.region), ("host", &res.host)] {
            if let Some(v) = v {
                labels.insert(k.to_string(), v.clone());
            }
        }
        self.metrics.push(MetricPoint {
            name: name.into(),
            unit: unit.into(),
            kind,
            timestamp: self.time(t),
            value,
            count: count_sum.map(|c| c.0),
            sum: count_sum.map(|c| c.1),
            labels,
        });
    }

    /// Adds `by` to a cumulative counter of `inst` and returns its new total.
    fn total(&mut self, inst: usize, key: &str, by: f64) -> f64 {
        let v = self.totals.entry((inst, key.to_string())).or_insert(0.0);
        *v += by;
        *v
    }

    /// The mean and (count, sum) a histogram or summary point reports for a minute of `n` requests of mean `mean`:
    /// the minute's own, or running totals and their mean since the instance started when the style is cumulative.
    fn reported(&mut self, inst: usize, key: &str, n: u64, mean: f64) -> (f64, (u64, f64)) {
        if !self.spec.variety.cumulative_histograms() {
            return (mean, (n, mean * n as f64));
        }
        let count = self.total(inst, &format!("hist.count.{key}"), n as f64);
        let sum = self.total(inst, &format!("hist.sum.{key}"), mean * n as f64);
        (if count > 0.0 { sum / count } else { 0.0 }, (count as u64, sum))
    }

    /// An app service's request metrics in the scenario's style.
    pub(super) fn styled_requests(&mut self, inst: usize, r: Minute) {
        let (name, unit, scale) = match self.spec.variety.http {
            HttpConvention::Stable => (REQUEST_HISTOGRAMS[0], "s", 1.0),
            HttpConvention::Legacy => (REQUEST_HISTOGRAMS[1], "ms", 1000.0),
        };
        let ok = r.count.saturating_sub(r.errors);
        // Failed requests end sooner than the mean when they fail fast, later when they time out.
        let by_status = [("200", ok, r.mean), ("500", r.errors, r.mean)];
        let t = r.t;
        // One histogram point for all of the minute's requests.
        let whole = |g: &mut Self| {
            let (m, count_sum) = g.reported(inst, "all", r.count, r.mean * scale);
            g.point_with(inst, t, (name, unit, MetricKind::Histogram), m, Some(count_sum), &[]);
        };
        match self.spec.variety.metrics {
            MetricStyle::OtelHistogram => {
                whole(self);
                let ratio = r.errors as f64 / r.count.max(1) as f64;
                self.point(inst, t, "request.error.ratio", "1", MetricKind::Gauge, ratio, &[]);
            }
            MetricStyle::ExponentialHistogram | MetricStyle::Summary => {
                let kind = if self.spec.variety.metrics == MetricStyle::Summary {
                    MetricKind::Summary
                } else {
                    MetricKind::Histogram
                };
                for (code, n, mean) in by_status {
                    let (m, count_sum) = self.reported(inst, code, n, mean * scale);
                    let attrs = [("http.response.status_code", code)];
                    self.point_with(inst, t, (name, unit, kind), m, Some(count_sum), &attrs);
                }
            }
            MetricStyle::DeltaSums => {
                whole(self);
                self.point(inst, t, "http.server.request.count", "{request}", MetricKind::Sum, r.count as f64, &[]);
                self.point(inst, t, "http.server.request.errors", "{request}", MetricKind::Sum, r.errors as f64, &[]);
            }
            MetricStyle::PreAggregated => {
                // An exponential distribution's p99 is ln(100) times its mean.
                let p99 = r.mean * 100f64.ln() * scale;
                self.point(inst, t, &format!("{name}.p99"), unit, MetricKind::Gauge, p99, &[]);
                let rate = r.errors as f64 / r.count.max(1) as f64;
                self.point(inst, t, "http.server.request.error_rate", "1", MetricKind::Gauge, rate, &[]);
                self.point(inst, t, "http_requests_rate", "{request}/s", MetricKind::Gauge, r.count as f64 / 60.0, &[]);
            }
            MetricStyle::Prometheus => self.micrometer(inst, t, by_status),
        }
    }

    /// Micrometer's `http.server.requests` timer as Prometheus scrapes it: cumulative.
    fn micrometer(&mut self, inst: usize, t: i64, by_status: [(&str, u64, f64); 2]) {
        for (code, n, mean) in by_status {
            let outcome = if code == "200" { "SUCCESS" } else { "SERVER_ERROR" };
            let attrs = [("status", code), ("outcome", outcome), ("uri", "/api")];
            let count = self.total(inst, &format!("count{code}"), n as f64);
            let sum = self.total(inst, &format!("sum{code}"), mean * n as f64);
            self.point(inst, t, "http_server_requests_seconds_count", "", MetricKind::Sum, count, &attrs);
            self.point(inst, t, "http_server_requests_seconds_sum", "s", MetricKind::Sum, sum, &attrs);
            if code != "200" {
                continue;
            }
            for le in LE {
                // Share of an exponential distribution with this mean under `le`.
                let under = (n as f64 * (1.0 - (-le / mean.max(1e-9)).exp())).round();
                let key = format!("le{le}");
                let total = self.total(inst, &key, under);
                let le = le.to_string();
                let attrs = [("status", code), ("outcome", outcome), ("uri", "/api"), ("le", le.as_str())];
                self.point(inst, t, "http_server_requests_seconds_bucket", "", MetricKind::Sum, total, &attrs);
            }
            let le_inf = [("status", code), ("outcome", outcome), ("uri", "/api"), ("le", "+Inf")];
            self.point(inst, t, "http_server_requests_seconds_bucket", "", MetricKind::Sum, count, &le_inf);
        }
    }

    /// Memory as cAdvisor exports it: bytes, beside the limit; `used` is the share of it.
    pub(super) fn prometheus_memory(&mut self, inst: usize, t: i64, used: f64) {
        let bytes = (used * GIB).round();
        self.point(inst, t, "container_memory_working_set_bytes", "By", MetricKind::Gauge, bytes, &[]);
        self.point(inst, t, "container_spec_memory_limit_bytes", "By", MetricKind::Gauge, GIB, &[]);
    }

    /// Kubernetes' restart counter of an app instance: one per OOM kill so far.
    pub(super) fn restarts(&mut self, inst: usize, t: i64) {
        let i = &self.insts[inst];
        let kills: i64 = self
            .faults
            .iter()
            .filter(|f| f.kind == FaultKind::MemoryLeak && f.svc == i.svc)
            .filter(|f| f.region.as_ref().is_none_or(|r| *r == i.region))
            .map(|f| {
                let until = f.end.unwrap_or(i64::MAX).min(t);
                if until < f.onset + LEAK_CYCLE_S {
                    0
                } else {
                    (until - f.onset) / LEAK_CYCLE_S
                }
            })
            .sum();
        let name = "kube_pod_container_status_restarts_total";
        self.point(inst, t, name, "", MetricKind::Sum, kills as f64, &[]);
    }

    /// Whether this instance is silent at `t`: a dead cache is no longer scraped and writes no logs.
    pub(super) fn scrape_stopped(&self, inst: usize, t: i64) -> bool {
        let Some(main) = self.faults.first() else { return false };
        self.spec.variety.silent_root
            && main.kind == FaultKind::CacheOutage
            && main.svc == self.insts[inst].svc
            && self.tier(main.svc) == Tier::Cache
            && t >= main.onset
            && main.end.is_none_or(|e| t < e)
    }
}
