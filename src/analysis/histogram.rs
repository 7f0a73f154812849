//! Histograms as the detectors can read them: latency quantiles from bucket counters, mean latency from running
//! sums and counts, and durations in seconds whatever unit they came in.
//!
//! A bucketed histogram arrives as Prometheus exposes it (and as the OTLP decoder writes it): one counter per
//! upper bound, named `<base>_bucket` with an `le` label, cumulative over bounds. Per host the counters become
//! per-minute increases (or are taken as they are when they are deltas), the hosts' are added per bound, and the
//! quantiles are read the way Prometheus' `histogram_quantile` reads them. The per-bound counters themselves are
//! not series: a dozen noisy rates per histogram would drown the detector.
//!
//! A running `sum` and `count` (a cumulative OTLP histogram or summary, a Prometheus `_sum`/`_count` pair) give the
//! mean of each interval as Δsum/Δcount: their ratio since process start barely moves when latency jumps.

use std::collections::{BTreeMap, HashMap};

use super::series::{cumulative, identity_of, rates, SeriesKey};
use crate::model::MetricPoint;

/// What turns a duration in `unit` (UCUM, as OTLP writes it) or named so (`_milliseconds`) into seconds; 1 for
/// seconds and for anything that is not a duration.
pub fn to_seconds(unit: &str, name: &str) -> f64 {
    match unit.trim() {
        "ms" => return 1e-3,
        "us" | "µs" | "μs" => return 1e-6,
        "ns" => return 1e-9,
        "s" => return 1.0,
        "min" => return 60.0,
        "h" => return 3600.0,
        _ => {}
    }
    // Read for every metric point: matched in place, without lowercasing or formatting a copy of the name.
    let n = name.as_bytes();
    let names_it = |w: &str| {
        let w = w.as_bytes();
        (0..(n.len() + 1).saturating_sub(w.len()))
            .any(|i| n[i..i + w.len()].eq_ignore_ascii_case(w) && matches!(n.get(i + w.len()), None | Some(b'_')))
    };
    [("_milliseconds", 1e-3), ("_microseconds", 1e-6), ("_nanoseconds", 1e-9)]
        .iter()
        .find(|(w, _)| names_it(w))
        .map_or(1.0, |(_, f)| *f)
}

/// What a point's values are multiplied by: counts of requests (`_count`, `_bucket`) stay counts whatever the
/// unit of what they count.
pub(super) fn value_scale(p: &MetricPoint) -> f64 {
    if p.name.ends_with("_count") || p.name.ends_with("_bucket") {
        1.0
    } else {
        to_seconds(&p.unit, &p.name)
    }
}

/// The upper bound of a bucket counter: a `<base>_bucket` point with an `le` label.
pub(super) fn bucket_bound(p: &MetricPoint) -> Option<f64> {
    if !p.name.ends_with("_bucket") {
        return None;
    }
    let le = p.labels.get("le")?.trim();
    match le.trim_start_matches('+').to_ascii_lowercase().as_str() {
        "inf" => Some(f64::INFINITY),
        _ => le.parse::<f64>().ok().filter(|b| !b.is_nan()),
    }
}

/// The quantiles read from each bucketed histogram, as `<base>.p50` and `<base>.p99`.
const QUANTILES: [(f64, &str); 2] = [(0.5, "p50"), (0.99, "p99")];

/// One host's bucket counters of one histogram.
struct BucketGroup {
    /// Service, region and base name.
    key: SeriesKey,
    /// What turns a bound into seconds.
    scale: f64,
    /// (bound, points) per bound.
    by_bound: Vec<(f64, Vec<(i64, f64)>)>,
}

/// Bucket counters collected per host, turned into quantile series at the end.
#[derive(Default)]
pub(super) struct Buckets {
    groups: HashMap<String, BucketGroup>,
}

/// One host's minute: (bound in seconds, observations at or below it), by bound, `+Inf` last.
type Dist = Vec<(f64, f64)>;

impl Buckets {
    pub(super) fn add(&mut self, p: &MetricPoint, svc: &str, region: &str, bound: f64) {
        let base = p.name.strip_suffix("_bucket").unwrap_or(&p.name);
        let g = self.groups.entry(identity_of(&p.name, &p.labels, "le")).or_insert_with(|| BucketGroup {
            key: (svc.to_string(), region.to_string(), base.to_string()),
            scale: to_seconds(&p.unit, base),
            by_bound: Vec::new(),
        });
        let t = p.timestamp.timestamp();
        match g.by_bound.iter_mut().find(|(b, _)| b.to_bits() == bound.to_bits()) {
            Some((_, pts)) => pts.push((t, p.value)),
            None => g.by_bound.push((bound, vec![(t, p.value)])),
        }
    }

    /// `<base>.p50` and `<base>.p99` per (service, region, base), minutes without observations left out.
    pub(super) fn quantiles(self) -> BTreeMap<SeriesKey, Vec<(i64, f64)>> {
        let mut minutes: BTreeMap<SeriesKey, BTreeMap<i64, Vec<Dist>>> = BTreeMap::new();
        for g in self.groups.into_values() {
            let per_minute = minutes.entry(g.key.clone()).or_default();
            for (m, dist) in group_minutes(g) {
                per_minute.entry(m).or_default().push(dist);
            }
        }
        let mut out: BTreeMap<SeriesKey, Vec<(i64, f64)>> = BTreeMap::new();
        for ((svc, region, base), per_minute) in minutes {
            for (m, hosts) in per_minute {
                let total = combine(&hosts);
                for (q, suffix) in QUANTILES {
                    if let Some(v) = histogram_quantile(q, &total) {
                        out.entry((svc.clone(), region.clone(), format!("{base}.{suffix}"))).or_default().push((m, v));
                    }
                }
            }
        }
        out
    }
}

/// One host's observations per minute and bound: increases of running counters (judged by the `+Inf` one, or
/// the widest bound), or the counts themselves when they are deltas.
fn group_minutes(g: BucketGroup) -> BTreeMap<i64, Dist> {
    let mut by_bound = g.by_bound;
    for (_, pts) in &mut by_bound {
        pts.sort_by_key(|x| x.0);
        pts.retain(|x| x.1.is_finite());
    }
    by_bound.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Running counters all only grow; a delta `+Inf` count that creeps up (a quiet service) does too, but the
    // bounds below it wobble.
    let running =
        by_bound.last().is_some_and(|(_, pts)| cumulative(pts)) && by_bound.iter().all(|(_, pts)| rarely_falls(pts));
    let mut out: BTreeMap<i64, Dist> = BTreeMap::new();
    for (bound, pts) in by_bound {
        let mut per_minute: BTreeMap<i64, f64> = BTreeMap::new();
        let counts = if running { rates(&pts) } else { pts.iter().map(|(t, v)| (t.div_euclid(60) * 60, *v)).collect() };
        for (m, n) in counts {
            *per_minute.entry(m).or_default() += n;
        }
        for (m, n) in per_minute {
            out.entry(m).or_default().push((bound * g.scale, n));
        }
    }
    // A host's minute without its `+Inf` count says nothing of how many observations there were.
    out.retain(|_, d| d.last().is_some_and(|(b, _)| b.is_infinite()));
    out
}

/// Whether a series goes down no more often than a running total does (on a reset); a flat one does not.
fn rarely_falls(points: &[(i64, f64)]) -> bool {
    let downs = points.windows(2).filter(|w| w[1].1 < w[0].1).count();
    let moves = points.windows(2).filter(|w| w[1].1 != w[0].1).count();
    downs * 20 <= moves
}

/// The hosts' minutes added per bound. Hosts whose bounds differ (exponential histograms merged to different
/// scales) are read at every bound by linear interpolation inside their own buckets.
fn combine(hosts: &[Dist]) -> Dist {
    let mut bounds: Vec<f64> = hosts.iter().flat_map(|d| d.iter().map(|x| x.0)).collect();
    bounds.sort_by(f64::total_cmp);
    bounds.dedup_by(|a, b| a.to_bits() == b.to_bits());
    bounds.into_iter().map(|b| (b, hosts.iter().map(|d| at(d, b)).sum())).collect()
}

/// Observations at or below `b` in one host's minute.
fn at(d: &Dist, b: f64) -> f64 {
    let Some(i) = d.iter().position(|x| x.0 >= b) else {
        return d.last().map_or(0.0, |x| x.1);
    };
    let (hi, n_hi) = d[i];
    if hi == b {
        return n_hi;
    }
    let (lo, n_lo) = if i == 0 { (0.0f64.min(b), 0.0) } else { d[i - 1] };
    if hi.is_infinite() || hi <= lo {
        return n_lo;
    }
    n_lo + (n_hi - n_lo) * (b - lo) / (hi - lo)
}

/// Prometheus' `histogram_quantile` over (upper bound, cumulative count) pairs sorted by bound: `None` without
/// a `+Inf` bucket or without observations; a rank in the `+Inf` bucket reads as the highest finite bound.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let (last, total) = *buckets.last()?;
    if !last.is_infinite() || buckets.len() < 2 || total.is_nan() || total <= 0.0 || !(0.0..=1.0).contains(&q) {
        return None;
    }
    // Counters scraped a moment apart can be out of order by a count or two; Prometheus evens that out too.
    let mut cum = Vec::with_capacity(buckets.len());
    let mut most = 0.0f64;
    for (_, n) in buckets {
        most = most.max(*n);
        cum.push(most);
    }
    let total = most;
    let rank = q * total;
    let b = cum.iter().position(|n| *n >= rank).unwrap_or(cum.len() - 1);
    if b == buckets.len() - 1 {
        return Some(buckets[b - 1].0);
    }
    let end = buckets[b].0;
    if b == 0 && end <= 0.0 {
        return Some(end);
    }
    let (start, below) = if b == 0 { (0.0, 0.0) } else { (buckets[b - 1].0, cum[b - 1]) };
    let count = cum[b] - below;
    if count <= 0.0 {
        return Some(end);
    }
    Some(start + (end - start) * (rank - below) / count)
}

/// A running count and sum of one host: (time, count, sum, level), where level is what a minute reads when the
/// count turns out not to be running (the point's own mean, already in seconds).
#[derive(Default)]
pub(super) struct Running {
    pub key: SeriesKey,
    pub scale: f64,
    pub points: Vec<(i64, f64, f64, f64)>,
}

impl Running {
    /// (minute, mean in seconds) per interval: Δsum/Δcount when the count only grows (resets aside; intervals
    /// without observations left out), else each point's own level.
    pub(super) fn means(mut self) -> (SeriesKey, Vec<(i64, f64)>) {
        self.points.sort_by_key(|x| x.0);
        self.points.retain(|x| x.1.is_finite() && x.2.is_finite());
        let counts: Vec<(i64, f64)> = self.points.iter().map(|x| (x.0, x.1)).collect();
        let sums: Vec<(i64, f64)> = self.points.iter().map(|x| (x.0, x.2)).collect();
        let minute = |t: i64| t.div_euclid(60) * 60;
        // Both must run: a delta count that holds still or creeps up (a quiet service) looks running on its own,
        // while its sum of durations wobbles with latency.
        let out = if cumulative(&counts) && cumulative(&sums) {
            self.points
                .windows(2)
                .filter(|w| w[1].0 > w[0].0)
                .filter_map(|w| {
                    let (a, b) = (w[0], w[1]);
                    // After a reset the new totals are the interval's.
                    let (dc, ds) = if b.1 >= a.1 { (b.1 - a.1, b.2 - a.2) } else { (b.1, b.2) };
                    (dc > 0.0).then(|| (minute(b.0), ds / dc * self.scale))
                })
                .collect()
        } else {
            self.points.iter().filter(|x| x.3.is_finite()).map(|x| (minute(x.0), x.3)).collect()
        };
        (self.key, out)
    }
}

/// (count, sum) per time, either missing until its point arrives.
type Joined = BTreeMap<i64, (Option<f64>, Option<f64>)>;

/// Prometheus `<base>_sum` and `<base>_count` counters of one host, joined by time: (key, scale of the sum, points).
#[derive(Default)]
pub(super) struct Pairs {
    pairs: HashMap<String, (SeriesKey, f64, Joined)>,
}

impl Pairs {
    /// Keeps `p` if it is one half of a pair.
    pub(super) fn add(&mut self, p: &MetricPoint, svc: &str, region: &str) {
        let (base, is_sum) = match (p.name.strip_suffix("_sum"), p.name.strip_suffix("_count")) {
            (Some(b), _) => (b, true),
            (_, Some(b)) => (b, false),
            _ => return,
        };
        let e = self
            .pairs
            .entry(identity_of(base, &p.labels, ""))
            .or_insert_with(|| ((svc.to_string(), region.to_string(), format!("{base}.mean")), 1.0, BTreeMap::new()));
        let slot = e.2.entry(p.timestamp.timestamp()).or_default();
        if is_sum {
            e.1 = to_seconds(&p.unit, &p.name);
            slot.1 = Some(p.value);
        } else {
            slot.0 = Some(p.value);
        }
    }

    /// Each complete pair as a running count and sum.
    pub(super) fn into_running(self) -> impl Iterator<Item = Running> {
        self.pairs.into_values().filter_map(|(key, scale, joined)| {
            let points: Vec<_> = joined
                .into_iter()
                .filter_map(|(t, cs)| match cs {
                    (Some(c), Some(s)) => Some((t, c, s, if c > 0.0 { s / c * scale } else { f64::NAN })),
                    _ => None,
                })
                .collect();
            (!points.is_empty()).then_some(Running { key, scale, points })
        })
    }
}

#[cfg(test)]
#[path = "histogram_otlp_tests.rs"]
mod otlp_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::series::minute_means;
    use crate::model::MetricKind;

    /// The series tests' point, of service `cart` and with a unit.
    fn point(name: &str, unit: &str, kind: MetricKind, host: &str, secs: i64, value: f64) -> MetricPoint {
        let mut p = crate::analysis::series::tests::point(name, kind, host, secs, value);
        p.unit = unit.into();
        p.labels.insert("service".into(), "cart".into());
        p
    }

    fn key(name: &str) -> SeriesKey {
        ("cart".into(), "eu".into(), name.into())
    }

    #[test]
    fn durations_are_read_in_seconds_from_their_unit_or_name() {
        let table = [
            ("ms", "http.server.duration", 1e-3),
            ("us", "rpc.latency", 1e-6),
            ("ns", "gc.pause", 1e-9),
            ("s", "http.server.request.duration", 1.0),
            ("min", "job.duration", 60.0),
            ("", "jvm_gc_pause_milliseconds", 1e-3),
            ("", "request_latency_milliseconds_sum", 1e-3),
            ("", "Request_Latency_MILLISECONDS", 1e-3),
            ("", "queue_millisecondsish", 1.0),
            ("", "http_server_requests_seconds_sum", 1.0),
            ("By", "process.memory.usage", 1.0),
            ("1", "request.error.ratio", 1.0),
            ("", "", 1.0),
        ];
        for (unit, name, want) in table {
            assert_eq!(to_seconds(unit, name), want, "{unit:?} {name:?}");
        }
        // Counts of observations stay counts whatever the histogram measures.
        let count = point("request_latency_milliseconds_count", "", MetricKind::Sum, "a", 0, 5.0);
        assert_eq!(value_scale(&count), 1.0);
        let pts: Vec<MetricPoint> =
            (0..5).map(|i| point("http.server.duration", "ms", MetricKind::Gauge, "a", i * 60, 250.0)).collect();
        assert_eq!(minute_means(&pts)[&key("http.server.duration")][0].1, 0.25);
    }

    #[test]
    fn histogram_quantile_reads_like_prometheus() {
        let b = [(0.1, 10.0), (0.5, 20.0), (1.0, 25.0), (f64::INFINITY, 26.0)];
        let q = |q: f64| histogram_quantile(q, &b).unwrap_or(f64::NAN);
        assert!((q(0.1) - 0.026).abs() < 1e-12, "{}", q(0.1));
        assert!((q(0.5) - 0.22).abs() < 1e-12, "{}", q(0.5));
        // Rank 25.74 lies beyond the last finite bound: the highest finite bound, as Prometheus answers.
        assert_eq!(q(0.99), 1.0);
        assert_eq!(histogram_quantile(0.5, &[(0.1, 0.0), (f64::INFINITY, 0.0)]), None);
        assert_eq!(histogram_quantile(0.5, &[(0.1, 3.0), (1.0, 4.0)]), None);
    }

    /// Running bucket counters of one host: per minute `normal` (cumulative over bounds 0.1, 0.5, 1, +Inf)
    /// before minute 10, `slow` from then on, and a restart at minute 15.
    fn running_buckets(host: &str, normal: [f64; 4], slow: [f64; 4]) -> Vec<MetricPoint> {
        let bounds = ["0.1", "0.5", "1", "+Inf"];
        let mut total = [0.0; 4];
        let mut out = Vec::new();
        for m in 0..30 {
            let add = if m < 10 { normal } else { slow };
            if m == 15 {
                total = [0.0; 4];
            }
            for (i, le) in bounds.iter().enumerate() {
                total[i] += add[i];
                let mut p = point("rpc_seconds_bucket", "", MetricKind::Sum, host, m * 60, total[i]);
                p.labels.insert("le".into(), le.to_string());
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn bucket_counters_become_quantiles_summed_over_hosts_across_a_restart() {
        let mut pts = running_buckets("a", [10.0, 20.0, 25.0, 26.0], [2.0, 6.0, 16.0, 20.0]);
        pts.extend(running_buckets("b", [10.0, 20.0, 25.0, 26.0], [2.0, 6.0, 16.0, 20.0]));
        let s = minute_means(&pts);
        let p50 = &s[&key("rpc_seconds.p50")];
        let p99 = &s[&key("rpc_seconds.p99")];
        assert_eq!(p50.len(), 29, "{p50:?}");
        // Before: rank 26 of 52 at 0.1 + 0.4 * (26 - 20) / 20; after: rank 20 of 40 at 0.5 + 0.5 * (20 - 12) / 20.
        for &(m, v) in p50 {
            let want = if m < 600 { 0.22 } else { 0.7 };
            assert!((v - want).abs() < 1e-9, "minute {m}: {v}, want {want}");
        }
        assert!(p99.iter().all(|(_, v)| *v == 1.0), "{p99:?}");
        // The bucket counters are read, not charted.
        assert!(!s.keys().any(|k| k.2.contains("bucket")), "{:?}", s.keys().collect::<Vec<_>>());
    }

    #[test]
    fn delta_buckets_give_each_minute_its_own_quantile() {
        let mut pts = Vec::new();
        for m in 0..6 {
            let counts = if m % 2 == 0 { [10.0, 20.0, 25.0, 26.0] } else { [2.0, 6.0, 16.0, 20.0] };
            for (le, n) in ["0.1", "0.5", "1", "+Inf"].iter().zip(counts) {
                let mut p = point("rpc_seconds_bucket", "", MetricKind::Sum, "a", m * 60, n);
                p.labels.insert("le".into(), le.to_string());
                pts.push(p);
            }
        }
        let p50 = &minute_means(&pts)[&key("rpc_seconds.p50")];
        let want: Vec<f64> = (0..6).map(|m| if m % 2 == 0 { 0.22 } else { 0.7 }).collect();
        let got: Vec<f64> = p50.iter().map(|x| x.1).collect();
        assert!(got.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-9), "{got:?}");
    }

    #[test]
    fn a_quiet_delta_histogram_whose_count_creeps_up_keeps_its_own_means() {
        let mut pts = Vec::new();
        for m in 0..12i64 {
            let (count, mean) = (if m < 6 { 3 } else { 4 }, if m % 2 == 0 { 0.2 } else { 0.3 });
            let mut p = point("rpc.duration", "s", MetricKind::Histogram, "a", m * 60, mean);
            (p.count, p.sum) = (Some(count), Some(mean * count as f64));
            pts.push(p);
            for (le, n) in [("0.25", if m % 2 == 0 { count } else { 0 }), ("0.5", count), ("+Inf", count)] {
                let mut b = point("rpc.duration_bucket", "s", MetricKind::Sum, "a", m * 60, n as f64);
                b.labels.insert("le".into(), le.into());
                pts.push(b);
            }
        }
        let s = minute_means(&pts);
        let means: Vec<f64> = s[&key("rpc.duration")].iter().map(|x| x.1).collect();
        assert_eq!(means, (0..12).map(|m| if m % 2 == 0 { 0.2 } else { 0.3 }).collect::<Vec<_>>());
        let p50: Vec<f64> = s[&key("rpc.duration.p50")].iter().map(|x| x.1).collect();
        assert_eq!(p50.len(), 12, "{p50:?}");
        assert_eq!(p50, (0..12).map(|m| if m % 2 == 0 { 0.125 } else { 0.375 }).collect::<Vec<_>>());
    }

    #[test]
    fn a_cumulative_histogram_shows_the_latency_jump_in_its_mean() {
        let mut pts = Vec::new();
        for host in ["a", "b"] {
            let (mut count, mut sum) = (0u64, 0.0);
            for m in 0..40i64 {
                if host == "b" && m == 35 {
                    (count, sum) = (0, 0.0); // restarted
                }
                let mean = if m >= 30 { 0.5 } else { 0.1 };
                count += 100;
                sum += 100.0 * mean;
                let mut p = point("http.server.request.duration", "s", MetricKind::Histogram, host, m * 60, 0.0);
                (p.value, p.count, p.sum) = (sum / count as f64, Some(count), Some(sum));
                pts.push(p);
            }
        }
        let s = minute_means(&pts);
        let mean = &s[&key("http.server.request.duration")];
        let at = |m: i64| mean.iter().find(|x| x.0 == m * 60).map(|x| x.1);
        assert_eq!(at(0), None, "no interval ends at the first point");
        assert!((at(29).unwrap_or(0.0) - 0.1).abs() < 1e-9);
        for m in 30..40 {
            assert!((at(m).unwrap_or(0.0) - 0.5).abs() < 1e-9, "minute {m}: {:?}", at(m));
        }
        let requests = &s[&key("http.server.request.duration.requests")];
        assert!(requests.iter().all(|x| x.1 == 200.0), "{requests:?}");
    }

    #[test]
    fn a_sum_and_count_pair_gives_the_mean_of_each_minute() {
        let mut pts = Vec::new();
        let (mut count, mut sum) = (0.0, 0.0);
        for m in 0..20 {
            let mean_ms = if m >= 15 { 900.0 } else { 30.0 };
            count += 50.0;
            sum += 50.0 * mean_ms;
            pts.push(point("rpc_latency_milliseconds_count", "", MetricKind::Sum, "a", m * 60, count));
            pts.push(point("rpc_latency_milliseconds_sum", "", MetricKind::Sum, "a", m * 60, sum));
        }
        let s = minute_means(&pts);
        let mean = &s[&key("rpc_latency_milliseconds.mean")];
        assert_eq!(mean.len(), 19);
        assert!(mean.iter().all(|(m, v)| (v - if *m >= 900 { 0.9 } else { 0.03 }).abs() < 1e-9), "{mean:?}");
        // The count stays a rate of requests.
        assert!(s[&key("rpc_latency_milliseconds_count")].iter().all(|x| x.1 == 50.0));
    }
}
