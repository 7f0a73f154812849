//! OTLP histograms decoded and read back as series: the decoder's buckets and the analysis' quantiles together.
//! Here rather than beside the decoder, since `sources` must not depend on `analysis`.

use crate::analysis::series::minute_means;
use crate::sources::otlp_json::tests::{metrics_of, request, run};
use crate::sources::otlp_json::MAX_EXP_BUCKETS;

#[test]
fn a_cumulative_histogram_decoded_gives_a_p99_that_jumps_with_latency() {
    let bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
    // Per minute: 200 requests, 1% of them slow; from minute 20 on 5% are, and slower.
    let (fast, slow) = ([20u64, 60, 80, 30, 8, 2, 0, 0, 0, 0], [20u64, 60, 70, 30, 10, 0, 0, 4, 6, 0]);
    let mut total = [0u64; 10];
    let mut points = Vec::new();
    for m in 0..30 {
        let add = if m < 20 { fast } else { slow };
        total.iter_mut().zip(add).for_each(|(t, a)| *t += a);
        let count: u64 = total.iter().sum();
        let metric = serde_json::json!({"name": "http.server.request.duration", "unit": "s", "histogram": {
            "aggregationTemporality": 2,
            "dataPoints": [{"timeUnixNano": "MINUTE", "count": count.to_string(), "sum": count as f64 * 0.03,
                "bucketCounts": total.iter().map(u64::to_string).collect::<Vec<_>>(), "explicitBounds": bounds}],
        }});
        let d = run(&request(m, metric));
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        points.extend(metrics_of(&d));
    }
    // The main point and one counter per bound and +Inf, all of them, since each is differenced.
    assert_eq!(points.len(), 30 * (1 + bounds.len() + 1));
    let s = minute_means(&points);
    let key = |n: &str| ("cart".to_string(), String::new(), n.to_string());
    let p99 = &s[&key("http.server.request.duration.p99")];
    let (before, after): (Vec<_>, Vec<_>) = p99.iter().partition(|(t, _)| (*t - 1_763_650_800) < 20 * 60);
    assert_eq!((before.len(), after.len()), (19, 10));
    // Rank 198 of 200: 8 of (0.05, 0.1] before, all 8 needed: 0.1; after, 4 of 6 in (1, 2.5]: 2.0.
    assert!(before.iter().all(|(_, v)| (*v - 0.1).abs() < 1e-9), "{before:?}");
    assert!(after.iter().all(|(_, v)| (*v - 2.0).abs() < 1e-9), "{after:?}");
    assert!(s.contains_key(&key("http.server.request.duration.p50")));
}

#[test]
fn exponential_buckets_merged_keep_the_p99_within_a_bucket() {
    // 1000 durations spread from 10 ms to about 5 s, at a fine scale (2^(1/64) per bucket).
    let values: Vec<f64> = (0..1000).map(|i| 0.01 * (1.0065f64).powi(i)).collect();
    let scale = 6;
    let index = |v: f64| (v.log2() * f64::from(1 << scale)).ceil() as i64 - 1;
    let (lo, hi) = (index(values[0]), index(values[999]));
    let mut counts = vec![0u64; (hi - lo + 1) as usize];
    for v in &values {
        counts[(index(*v) - lo) as usize] += 1;
    }
    let metric = serde_json::json!({"name": "rpc.duration", "unit": "ms", "exponentialHistogram": {
        "aggregationTemporality": 1,
        "dataPoints": [{"timeUnixNano": "MINUTE", "count": "1000", "sum": values.iter().sum::<f64>(), "scale": scale,
            "zeroCount": "0", "positive": {"offset": lo, "bucketCounts": counts.iter().map(u64::to_string).collect::<Vec<_>>()}}],
    }});
    let points = metrics_of(&run(&request(0, metric)));
    let buckets = points.iter().filter(|p| p.name == "rpc.duration_bucket").count();
    assert!(buckets <= MAX_EXP_BUCKETS as usize + 2 && buckets > 10, "{buckets} buckets from {}", counts.len());
    let s = minute_means(&points);
    let key = ("cart".to_string(), String::new(), "rpc.duration.p99".to_string());
    let got = s[&key][0].1;
    // The true p99 in milliseconds; the merged bucket that holds it is 2^(2^(k-6)) wide for k merges.
    let truth = values[989];
    let merges = (0..).find(|k| (hi >> k) - (lo >> k) < MAX_EXP_BUCKETS).unwrap_or(0);
    let growth = 2f64.powf(2f64.powi(merges - scale));
    let width = truth * growth - truth / growth;
    assert!((got - truth / 1000.0).abs() <= width / 1000.0, "p99 {got} s, true {} s, width {width} ms", truth / 1000.0);
    assert!(merges > 0);
}
