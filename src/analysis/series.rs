//! Metric points as per-minute series the detectors can read, whatever kind they arrived as.
//!
//! Gauges are levels: a mean per minute over the hosts that report them (memory: the largest, since each
//! container has its own limit). Sums, histogram and summary counts are
//! very often cumulative (OTLP cumulative temporality, Prometheus `_total`/`_count`): their level only says how
//! long the process has been up, so a cumulative series is turned into a per-minute rate, per host, and the hosts'
//! rates are added. Whether a series is cumulative is read from the data (it never goes down except on a reset),
//! since the temporality does not survive every exporter and Prometheus names carry none. Histograms (their
//! quantiles from bucket counters, their mean per interval from running sums and counts) and duration units are
//! read in [`super::histogram`].
//!
//! A series that stops arriving while the rest of the data goes on is a signal of its own: a scrape target that
//! went down says more than any value it could have sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::histogram::{bucket_bound, value_scale, Buckets, Pairs, Running};
use crate::model::{MetricKind, MetricPoint};

/// A metric series as the analysis reads it: its service lowercased, its region ("" when
/// none) and its name.
pub type SeriesKey = (String, String, String);

/// minute -> (sum of values, number of values, largest value)
type MinuteSums = BTreeMap<i64, (f64, u32, f64)>;

/// Whether a gauge is read at its worst instance rather than its mean: memory is limited per container, so one
/// pod climbing to its limit is the news while the mean over its healthy siblings hides it.
fn per_instance_limit(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("memory") && !n.contains("limit") && !n.contains("free") && !n.contains("available")
}

fn add(sums: &mut MinuteSums, minute: i64, v: f64) {
    let e = sums.entry(minute).or_insert((0.0, 0, f64::NEG_INFINITY));
    e.0 += v;
    e.1 += 1;
    e.2 = e.2.max(v);
}

/// Labels that name where a point came from, not what it measures: its service and region are part of the key
/// already, and the host/pod must stay apart for a counter to be differenced on its own. `skip` names a label
/// left out (a bucket's `le`, so that one histogram's buckets share an identity).
pub(super) fn identity_of(name: &str, labels: &BTreeMap<String, String>, skip: &str) -> String {
    let mut id = name.to_string();
    for (k, v) in labels.iter().filter(|(k, _)| k.as_str() != skip) {
        id.push('\u{1f}');
        id.push_str(k);
        id.push('=');
        id.push_str(v);
    }
    id
}

/// The service a point belongs to, lowercased, from the labels the data uses for it.
pub fn service_of(p: &MetricPoint) -> Option<String> {
    ["service", "service.name", "job", "app", "app.kubernetes.io/name"]
        .iter()
        .find_map(|k| p.labels.get(*k))
        .map(|s| s.to_ascii_lowercase())
}

/// The region a point belongs to ("" when none).
pub fn region_of(p: &MetricPoint) -> String {
    ["region", "cloud.region", "topology.kubernetes.io/region"]
        .iter()
        .find_map(|k| p.labels.get(*k))
        .cloned()
        .unwrap_or_default()
}

/// A summary's quantile (Prometheus `{quantile="0.99"}`, OTLP `quantileValues`) as its own series, `<name>.p99`:
/// averaging a summary's quantiles together would mix the median with the tail.
fn quantile_series(p: &MetricPoint) -> Option<MetricPoint> {
    let q: f64 = p.labels.get("quantile")?.trim().parse().ok()?;
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    let pct = format!("{:.3}", q * 100.0);
    let pct = pct.trim_end_matches('0').trim_end_matches('.');
    let mut out = p.clone();
    out.name = format!("{}.p{pct}", p.name);
    out.labels.remove("quantile");
    Some(out)
}

/// Whether a series of (time, value) only grows, resets aside: a counter read as a running total.
pub(super) fn cumulative(points: &[(i64, f64)]) -> bool {
    if points.len() < 3 {
        return false;
    }
    let (mut up, mut down) = (0usize, 0usize);
    for w in points.windows(2) {
        if w[1].1 > w[0].1 {
            up += 1;
        } else if w[1].1 < w[0].1 {
            down += 1;
        }
    }
    // A reset now and then (a restart) is fine; a series that goes down as often as it grows is a level.
    up > 0 && down * 20 <= up + down
}

/// Per-minute increase of a running total, reset-aware: after a reset the new total is the increase.
pub(super) fn rates(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| {
            let delta = if w[1].1 >= w[0].1 { w[1].1 - w[0].1 } else { w[1].1 };
            let minutes = ((w[1].0 - w[0].0) as f64 / 60.0).max(1.0);
            (w[1].0.div_euclid(60) * 60, delta / minutes)
        })
        .collect()
}

struct Raw {
    key: SeriesKey,
    points: Vec<(i64, f64)>,
}

/// The metric series, as (minute start in seconds, value), oldest first: gauges as the mean per minute over their
/// hosts, running totals as the rate per minute summed over their hosts. A histogram or summary also gives
/// `<name>.requests` from its counts, and its mean per interval (Δsum/Δcount when its count is running); bucket
/// counters give `<base>.p50` and `<base>.p99`, a Prometheus `_sum`/`_count` pair `<base>.mean`. Durations are in
/// seconds. The certificate expiry gauges are not series (they are read as a date).
pub fn minute_means(metrics: &[MetricPoint]) -> BTreeMap<SeriesKey, Vec<(i64, f64)>> {
    let mut levels: BTreeMap<SeriesKey, MinuteSums> = BTreeMap::new();
    let mut counters: HashMap<String, Raw> = HashMap::new();
    let mut running: HashMap<String, Running> = HashMap::new();
    let mut buckets = Buckets::default();
    let mut pairs = Pairs::default();
    for p in metrics.iter().filter(|p| !p.name.contains("expiry")) {
        let quantile = quantile_series(p);
        let p = quantile.as_ref().unwrap_or(p);
        let Some(svc) = service_of(p) else { continue };
        let region = region_of(p);
        let t = p.timestamp.timestamp();
        let scale = value_scale(p);
        let histogram = matches!(p.kind, MetricKind::Histogram | MetricKind::Summary);
        if let Some(bound) = bucket_bound(p).filter(|_| !histogram) {
            buckets.add(p, &svc, &region, bound);
            continue;
        }
        let mut counter = |name: String, v: f64| {
            let id = format!("{}\u{1e}{name}", identity_of(&p.name, &p.labels, ""));
            counters
                .entry(id)
                .or_insert_with(|| Raw { key: (svc.clone(), region.clone(), name), points: Vec::new() })
                .points
                .push((t, v));
        };
        match p.kind {
            MetricKind::Gauge => pairs.add(p, &svc, &region),
            MetricKind::Sum => {
                pairs.add(p, &svc, &region);
                counter(p.name.clone(), p.value * scale);
                continue;
            }
            MetricKind::Histogram | MetricKind::Summary => {
                if let Some(c) = p.count {
                    counter(format!("{}.requests", p.name), c as f64);
                }
                // Whether the count runs is known only once all its points are in.
                if let (Some(c), Some(sum)) = (p.count, p.sum) {
                    let r = running.entry(identity_of(&p.name, &p.labels, "")).or_insert_with(|| Running {
                        key: (svc.clone(), region.clone(), p.name.clone()),
                        scale,
                        points: Vec::new(),
                    });
                    r.points.push((t, c as f64, sum, p.value * scale));
                    continue;
                }
            }
        }
        if p.value.is_finite() {
            add(levels.entry((svc, region, p.name.clone())).or_default(), t.div_euclid(60) * 60, p.value * scale);
        }
    }
    for r in running.into_values().chain(pairs.into_running()) {
        let (key, means) = r.means();
        let series = levels.entry(key).or_default();
        for (m, v) in means {
            add(series, m, v);
        }
    }
    let mut out = rates_and_levels(counters, levels);
    // A quantile the exporter computed itself (a `….p99` gauge) is kept over one read from buckets.
    for (k, v) in buckets.quantiles() {
        out.entry(k).or_insert(v);
    }
    out
}

/// Running totals become rates (summed over hosts); sums that go up and down are levels (means).
fn rates_and_levels(
    counters: HashMap<String, Raw>,
    mut levels: BTreeMap<SeriesKey, MinuteSums>,
) -> BTreeMap<SeriesKey, Vec<(i64, f64)>> {
    let mut totals: BTreeMap<SeriesKey, BTreeMap<i64, f64>> = BTreeMap::new();
    for Raw { key, mut points } in counters.into_values() {
        points.sort_by_key(|x| x.0);
        points.retain(|x| x.1.is_finite());
        if cumulative(&points) {
            let series = totals.entry(key).or_default();
            for (m, r) in rates(&points) {
                *series.entry(m).or_default() += r;
            }
        } else {
            let series = levels.entry(key).or_default();
            for (t, v) in points {
                add(series, t.div_euclid(60) * 60, v);
            }
        }
    }
    let mut out: BTreeMap<SeriesKey, Vec<(i64, f64)>> = levels
        .into_iter()
        .map(|(k, points)| {
            let worst = per_instance_limit(&k.2);
            let series = points.into_iter().map(|(t, (sum, n, max))| (t, if worst { max } else { sum / f64::from(n) }));
            (k, series.collect())
        })
        .collect();
    for (k, points) in totals {
        out.insert(k, points.into_iter().collect());
    }
    out
}

/// A stretch during which a service's metrics (in one region) stopped arriving while other services' went on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Silence {
    pub from: i64,
    /// When its data came back; `None` if it never did.
    pub to: Option<i64>,
}

/// Minimum share of recent minutes a source must have reported in to count as "regular".
const REGULAR: f64 = 0.8;

/// Silences of at least `min_minutes` per (service, region), for sources that reported regularly before.
pub fn silences(metrics: &[MetricPoint], min_minutes: i64) -> BTreeMap<(String, String), Vec<Silence>> {
    let mut seen: BTreeMap<(String, String), BTreeSet<i64>> = BTreeMap::new();
    let mut all: BTreeSet<i64> = BTreeSet::new();
    for p in metrics {
        let Some(svc) = service_of(p) else { continue };
        let m = p.timestamp.timestamp().div_euclid(60);
        all.insert(m);
        seen.entry((svc, region_of(p))).or_default().insert(m);
    }
    let minutes: Vec<i64> = all.into_iter().collect();
    let mut out = BTreeMap::new();
    for (key, present) in seen {
        let mut found = Vec::new();
        let mut i = 0;
        while i < minutes.len() {
            if present.contains(&minutes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < minutes.len() && !present.contains(&minutes[i]) {
                i += 1;
            }
            let (from, back) = (minutes[start], minutes.get(i).copied());
            let missing = i - start;
            let before = &minutes[start.saturating_sub(20)..start];
            let regular = before.len() >= 10
                && before.iter().filter(|m| present.contains(m)).count() as f64 >= REGULAR * before.len() as f64;
            if regular && missing as i64 >= min_minutes {
                found.push(Silence { from: from * 60, to: back.map(|m| m * 60) });
            }
        }
        if !found.is_empty() {
            out.insert(key, found);
        }
    }
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use chrono::DateTime;

    /// A point of service `cache` in region `eu`, without a unit.
    pub(in crate::analysis) fn point(name: &str, kind: MetricKind, host: &str, secs: i64, value: f64) -> MetricPoint {
        let labels = [("service", "cache"), ("region", "eu"), ("host", host)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MetricPoint {
            name: name.into(),
            unit: String::new(),
            kind,
            timestamp: DateTime::from_timestamp(secs, 0).unwrap_or_default(),
            value,
            count: None,
            sum: None,
            labels,
        }
    }

    #[test]
    fn a_running_total_is_read_as_a_rate_summed_over_hosts() {
        let mut pts = Vec::new();
        for i in 0..10 {
            pts.push(point("errors_total", MetricKind::Sum, "a", i * 60, 100.0 + 5.0 * i as f64));
            pts.push(point("errors_total", MetricKind::Sum, "b", i * 60, 7.0 + 2.0 * i as f64));
        }
        let s = minute_means(&pts);
        let v = &s[&("cache".to_string(), "eu".to_string(), "errors_total".to_string())];
        assert_eq!(v.len(), 9);
        assert!(v.iter().all(|(_, r)| (*r - 7.0).abs() < 1e-9), "{v:?}");
    }

    #[test]
    fn a_sum_that_goes_up_and_down_stays_a_level() {
        let pts: Vec<MetricPoint> = (0..10)
            .map(|i| point("connections", MetricKind::Sum, "a", i * 60, if i % 2 == 0 { 4.0 } else { 6.0 }))
            .collect();
        let s = minute_means(&pts);
        let v = &s[&("cache".to_string(), "eu".to_string(), "connections".to_string())];
        assert_eq!(v.len(), 10);
        assert_eq!(v[1].1, 6.0);
    }

    #[test]
    fn a_summary_gives_each_quantile_its_own_series() {
        let mut pts = Vec::new();
        for i in 0..5 {
            for (q, v) in [("0.5", 0.1), ("0.99", 2.0)] {
                let mut p = point("rpc_latency_seconds", MetricKind::Gauge, "a", i * 60, v);
                p.labels.insert("quantile".into(), q.into());
                pts.push(p);
            }
        }
        let s = minute_means(&pts);
        let key = |n: &str| ("cache".to_string(), "eu".to_string(), n.to_string());
        assert!(s[&key("rpc_latency_seconds.p50")].iter().all(|(_, v)| *v == 0.1));
        assert!(s[&key("rpc_latency_seconds.p99")].iter().all(|(_, v)| *v == 2.0));
        assert!(!s.contains_key(&key("rpc_latency_seconds")));
    }

    #[test]
    fn a_source_that_stops_reporting_is_a_silence() {
        let mut pts = Vec::new();
        for i in 0..60 {
            if !(30..40).contains(&i) {
                pts.push(point("mem", MetricKind::Gauge, "a", i * 60, 1.0));
            }
            let mut other = point("mem", MetricKind::Gauge, "b", i * 60, 1.0);
            other.labels.insert("service".into(), "web".into());
            pts.push(other);
        }
        let s = silences(&pts, 3);
        assert_eq!(s[&("cache".to_string(), "eu".to_string())], vec![Silence { from: 1800, to: Some(2400) }]);
        assert!(!s.contains_key(&("web".to_string(), "eu".to_string())));
    }
}
