use super::*;

const T0: i64 = 1_700_000_000;
const STEP: i64 = 60;

/// Tiny deterministic xorshift64* generator, so tests need no crates and never vary.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal by Box-Muller.
    fn normal(&mut self) -> f64 {
        let u = self.uniform().max(1e-300);
        let v = self.uniform();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn at(i: usize) -> i64 {
    T0 + STEP * i as i64
}

fn series(values: &[f64]) -> Vec<Point> {
    values.iter().enumerate().map(|(i, &v)| (at(i), v)).collect()
}

fn noise(seed: u64, n: usize, level: f64, sigma: f64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| level + sigma * rng.normal()).collect()
}

fn index_of(t: i64) -> i64 {
    (t - T0) / STEP
}

#[test]
fn step_up_onset_at_step() {
    let mut v = noise(1, 200, 100.0, 1.0);
    v[150..].iter_mut().for_each(|x| *x += 10.0);
    let found = detect(&series(&v), &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert_eq!(index_of(a.onset), 150, "{a:?}");
    assert_eq!(a.kind, AnomalyKind::LevelShift);
    assert_eq!(a.end, None);
    assert!((a.baseline - 100.0).abs() < 1.0 && (a.observed - 110.0).abs() < 1.0, "{a:?}");
    assert!(a.score > 8.0 && a.score < 30.0, "{a:?}");
    assert!(index_of(a.peak) >= 150);
}

#[test]
fn step_down_needs_direction_down() {
    let mut v = noise(2, 200, 50.0, 1.0);
    v[120..].iter_mut().for_each(|x| *x -= 8.0);
    let down = DetectorConfig { direction: Direction::Down, ..Default::default() };
    let found = detect(&series(&v), &down);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(index_of(found[0].onset), 120);
    assert_eq!(found[0].kind, AnomalyKind::LevelShift);
    assert!(found[0].observed < found[0].baseline - 6.0, "{found:?}");
    // The same drop is not an anomaly for a detector that only watches increases.
    let up = DetectorConfig { direction: Direction::Up, ..Default::default() };
    assert!(detect(&series(&v), &up).is_empty());
}

#[test]
fn single_spike_is_short() {
    let mut v = noise(3, 200, 100.0, 1.0);
    v[120] += 15.0;
    let found = detect(&series(&v), &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert_eq!(a.kind, AnomalyKind::Spike);
    assert_eq!((a.onset, a.peak, a.end), (at(120), at(120), Some(at(121))));
    assert!(a.score > 10.0, "{a:?}");
    // Two points are still a spike; a third makes it a shift.
    let mut two = noise(3, 200, 100.0, 1.0);
    two[120] += 15.0;
    two[121] += 12.0;
    let found = detect(&series(&two), &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].kind, found[0].end), (AnomalyKind::Spike, Some(at(122))));
    two[122] += 12.0;
    let found = detect(&series(&two), &DetectorConfig::default());
    assert_eq!((found.len(), found[0].kind), (1, AnomalyKind::LevelShift), "{found:?}");
    // A spike is not a level: later points are judged against the old level. A repeat no bigger than the first
    // spike is not news (that is how chronic bursts stay quiet); a clearly bigger one is.
    let mut later = noise(3, 200, 100.0, 1.0);
    later[120] += 15.0;
    later[160] += 14.0;
    let found = detect(&series(&later), &DetectorConfig::default());
    assert_eq!(found.iter().map(|a| index_of(a.onset)).collect::<Vec<_>>(), vec![120], "{found:?}");
    later[170] += 35.0;
    let found = detect(&series(&later), &DetectorConfig::default());
    assert_eq!(found.iter().map(|a| index_of(a.onset)).collect::<Vec<_>>(), vec![120, 170], "{found:?}");
}

#[test]
fn min_duration_drops_short_episodes() {
    let mut v = noise(3, 200, 100.0, 1.0);
    v[120] += 15.0;
    v[170..].iter_mut().for_each(|x| *x += 15.0);
    let cfg = DetectorConfig { min_duration: 3, ..Default::default() };
    let found = detect(&series(&v), &cfg);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((index_of(found[0].onset), found[0].kind), (170, AnomalyKind::LevelShift));
}

fn ramp(seed: u64, slope: f64) -> Vec<f64> {
    let mut v = noise(seed, 320, 100.0, 1.0);
    for (i, x) in v.iter_mut().enumerate().skip(200) {
        *x += slope * (i - 199) as f64;
    }
    v
}

#[test]
fn slow_ramp_onset_where_it_departs() {
    for seed in 0..8 {
        let found = detect(&series(&ramp(10 + seed, 0.3)), &DetectorConfig::default());
        assert_eq!(found.len(), 1, "seed {seed}: {found:?}");
        let a = &found[0];
        // The ramp is only alert-worthy ~20 points in; the onset must be where it leaves the baseline.
        assert!((index_of(a.onset) - 200).abs() <= 3, "seed {seed}: {a:?}");
        assert_eq!((a.kind, a.end), (AnomalyKind::Trend, None), "seed {seed}");
        assert!(index_of(a.peak) >= 310, "seed {seed}: peak at the top of the ramp: {a:?}");
    }
    // A ramp three times slower (0.1 sigma per point) is fuzzier, but the onset stays near its start, not
    // where it crossed the threshold (~40 points later).
    let errors: Vec<i64> = (0..20)
        .map(|seed| {
            let found = detect(&series(&ramp(90 + seed, 0.1)), &DetectorConfig::default());
            assert_eq!(found.len(), 1, "seed {seed}: {found:?}");
            assert_eq!(found[0].kind, AnomalyKind::Trend, "seed {seed}");
            (index_of(found[0].onset) - 200).abs()
        })
        .collect();
    assert!(errors.iter().all(|&e| e <= 12) && errors.iter().filter(|&&e| e <= 8).count() >= 18, "{errors:?}");
}

fn sine(seed: u64, n: usize) -> Vec<f64> {
    let mut v = noise(seed, n, 100.0, 1.0);
    for (i, x) in v.iter_mut().enumerate() {
        *x += 20.0 * (2.0 * std::f64::consts::PI * i as f64 / 60.0).sin();
    }
    v
}

#[test]
fn seasonal_sine_not_flagged() {
    for seed in 0..4 {
        let v = sine(20 + seed, 480);
        assert_eq!(estimate_period(&v), Some(60), "seed {seed}");
        assert!(detect(&series(&v), &DetectorConfig::default()).is_empty(), "seed {seed}");
        let hourly = DetectorConfig { period_secs: Some(3600), detect_period: false, ..Default::default() };
        assert!(detect(&series(&v), &hourly).is_empty(), "seed {seed}");
    }
}

/// Business hours: 50 points of night at 100, 70 of day at 300, sharp edges; period 120 points.
fn business_hours(seed: u64) -> Vec<f64> {
    let mut v = noise(seed, 600, 100.0, 3.0);
    for (i, x) in v.iter_mut().enumerate() {
        if i % 120 >= 50 {
            *x += 200.0;
        }
    }
    v
}

#[test]
fn seasonal_pattern_needs_seasonality() {
    for seed in 0..3 {
        let v = business_hours(30 + seed);
        assert!(detect(&series(&v), &DetectorConfig::default()).is_empty(), "seed {seed}");
        let configured = DetectorConfig { period_secs: Some(120 * STEP), detect_period: false, ..Default::default() };
        assert!(detect(&series(&v), &configured).is_empty(), "seed {seed}");
        // Proof that seasonality is what keeps it quiet: without it every morning is a level shift.
        let plain = DetectorConfig { detect_period: false, ..Default::default() };
        assert!(!detect(&series(&v), &plain).is_empty(), "seed {seed}");
    }
}

#[test]
fn seasonal_sine_with_step_detected() {
    for seed in 0..4 {
        let mut v = sine(20 + seed, 480);
        v[400..].iter_mut().for_each(|x| *x += 8.0);
        let found = detect(&series(&v), &DetectorConfig::default());
        assert_eq!(found.len(), 1, "seed {seed}: {found:?}");
        let a = &found[0];
        assert!((index_of(a.onset) - 400).abs() <= 1, "seed {seed}: {a:?}");
        assert_eq!((a.kind, a.end), (AnomalyKind::LevelShift, None));
        // Seasonally adjusted: baseline and observed differ by the step, not by the sine.
        assert!((a.observed - a.baseline - 8.0).abs() < 3.0, "seed {seed}: {a:?}");
    }
}

/// Chronic error counts: noisy around 40 with an 8 % chance per minute of a burst of 20..60 more.
fn chronic(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Rng::new(7000 + seed);
    (0..n)
        .map(|_| {
            let burst = if rng.uniform() < 0.08 { 20.0 + 40.0 * rng.uniform() } else { 0.0 };
            (40.0 + 5.0 * rng.normal() + burst).max(0.0).round()
        })
        .collect()
}

#[test]
fn chronic_noisy_errors_not_flagged() {
    // Error ratio that was bad and erratic all along.
    let mut rng = Rng::new(42);
    let ratio: Vec<f64> = (0..300).map(|_| 0.2 + 0.3 * rng.uniform()).collect();
    assert!(detect(&series(&ratio), &DetectorConfig::default()).is_empty());
    // Bursty error counts: the first bursts of a series can still look new, so measure over many series.
    let noisy = (0..50).filter(|&s| !detect(&series(&chronic(s, 300)), &DetectorConfig::for_counts()).is_empty());
    let noisy: Vec<u64> = noisy.collect();
    assert!(noisy.len() <= 5, "chronic series with anomalies: {noisy:?}");
    for seed in [0, 2, 5] {
        assert!(detect(&series(&chronic(seed, 300)), &DetectorConfig::for_counts()).is_empty(), "seed {seed}");
    }
}

#[test]
fn chronic_noise_with_real_jump_detected() {
    for seed in 0..10 {
        let mut v = chronic(seed, 300);
        let before = detect(&series(&v), &DetectorConfig::for_counts()).len();
        v[220..].iter_mut().for_each(|x| *x += 100.0);
        let found = detect(&series(&v), &DetectorConfig::for_counts());
        assert_eq!(found.len(), before + 1, "seed {seed}: {found:?}");
        let a = found.last().map(|a| (index_of(a.onset), a.kind, a.end));
        assert_eq!(a, Some((220, AnomalyKind::LevelShift, None)), "seed {seed}");
    }
}

#[test]
fn sparse_counts_blips_not_flagged_burst_detected() {
    // Log template seen about once every 20 minutes, sometimes twice in a minute.
    let mut rng = Rng::new(77);
    let mut events: Vec<i64> = Vec::new();
    for minute in 0..400 {
        let u = rng.uniform();
        let k = if u < 0.01 {
            2
        } else if u < 0.05 {
            1
        } else {
            0
        };
        events.extend((0..k).map(|j| at(minute) + 7 + j));
    }
    let quiet = rate_series(&events, STEP, at(0), at(400));
    assert_eq!(quiet.len(), 400);
    assert!(quiet.iter().any(|p| p.1 == 2.0));
    assert!(detect(&quiet, &DetectorConfig::for_counts()).is_empty());
    // Then it starts firing 20 times a minute for 10 minutes, and stops.
    for minute in 300..310 {
        events.extend((0..20).map(|j| at(minute) + j));
    }
    let burst = rate_series(&events, STEP, at(0), at(400));
    let found = detect(&burst, &DetectorConfig::for_counts());
    assert_eq!(found.len(), 1, "{found:?}");
    let a = &found[0];
    assert_eq!((a.onset, a.end, a.kind), (at(300), Some(at(310)), AnomalyKind::LevelShift));
    assert!(a.baseline < 1.0 && a.observed >= 20.0 && a.score >= 5.0, "{a:?}");
}

#[test]
fn constant_series_then_change() {
    let mut v = vec![100.0; 150];
    assert!(detect(&series(&v), &DetectorConfig::default()).is_empty());
    v[100..].iter_mut().for_each(|x| *x = 103.0);
    let found = detect(&series(&v), &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((index_of(found[0].onset), found[0].kind), (100, AnomalyKind::LevelShift));
    assert!(found[0].score.is_finite() && found[0].score > 5.0);
    // Zero all along then a small value: MAD and level are both 0, the score is capped, not infinite.
    let mut z = vec![0.0; 150];
    z[120..].iter_mut().for_each(|x| *x = 0.5);
    let found = detect(&series(&z), &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((index_of(found[0].onset), found[0].score), (120, MAX_SCORE));
    // min_abs_change silences changes that are tiny in absolute terms.
    let cfg = DetectorConfig { min_abs_change: 1.0, ..Default::default() };
    assert!(detect(&series(&z), &cfg).is_empty());
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let cfgs = [
        DetectorConfig::default(),
        DetectorConfig::for_counts(),
        DetectorConfig {
            window: 0,
            min_history: 0,
            threshold: f64::NAN,
            min_duration: 0,
            spike_max_points: 0,
            period_secs: Some(-5),
            min_abs_change: f64::NAN,
            ..Default::default()
        },
        DetectorConfig { period_secs: Some(i64::MAX), ..Default::default() },
        DetectorConfig {
            window: usize::MAX,
            min_history: usize::MAX,
            threshold: f64::INFINITY,
            min_duration: usize::MAX,
            spike_max_points: usize::MAX,
            min_abs_change: f64::INFINITY,
            ..Default::default()
        },
        DetectorConfig { window: usize::MAX, min_history: 3, threshold: 1.0, ..Default::default() },
        DetectorConfig { period_secs: Some(1), ..Default::default() },
        DetectorConfig { threshold: 1e-12, window: 3, min_history: 3, ..Default::default() },
    ];
    let mut inputs: Vec<Vec<Point>> = vec![
        vec![],
        vec![(0, 1.0)],
        vec![(0, f64::NAN); 100],
        series(&[f64::INFINITY; 100]),
        series(&[0.0; 100]),
        (0..200).map(|i| (i, if i % 2 == 0 { 1e308 } else { -1e308 })).collect(),
        (0..200).map(|i| (i, if i < 150 { 0.0 } else { f64::MAX })).collect(),
        (0..200).map(|i| (i, if i < 150 { f64::MIN_POSITIVE } else { -f64::MAX })).collect(),
        (0..200).map(|i| (7, i as f64)).collect(),
        (0..200).map(|i| (if i % 2 == 0 { i64::MIN } else { i64::MAX }, i as f64)).collect(),
        (0..200).map(|i| (i64::MAX - 200 + i, (i % 7) as f64)).collect(),
    ];
    let mut mixed = series(&noise(5, 300, 10.0, 1.0));
    mixed.iter_mut().step_by(7).for_each(|p| p.1 = f64::NAN);
    mixed.iter_mut().step_by(11).for_each(|p| p.1 = f64::NEG_INFINITY);
    inputs.push(mixed);
    for input in &inputs {
        for cfg in &cfgs {
            for a in detect(input, cfg) {
                assert!(a.score.is_finite() && a.score >= 0.0, "{a:?}");
                assert!(a.onset <= a.peak && a.end.is_none_or(|e| e > a.peak), "{a:?}");
            }
        }
        let _ = estimate_period(&input.iter().map(|p| p.1).collect::<Vec<_>>());
    }
}

#[test]
fn nan_points_are_skipped() {
    let mut v = noise(6, 200, 100.0, 1.0);
    v[150..].iter_mut().for_each(|x| *x += 10.0);
    let mut s = series(&v);
    for i in [40, 90, 149, 170] {
        s[i].1 = f64::NAN;
    }
    let found = detect(&s, &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].onset, at(150));
}

#[test]
fn unsorted_and_duplicate_timestamps() {
    let mut v = noise(7, 200, 100.0, 1.0);
    v[150..].iter_mut().for_each(|x| *x += 10.0);
    let sorted = series(&v);
    let expected = detect(&sorted, &DetectorConfig::default());
    assert_eq!(expected.len(), 1);
    // Deterministic shuffle.
    let mut shuffled = sorted.clone();
    let mut rng = Rng::new(8);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    assert_eq!(detect(&shuffled, &DetectorConfig::default()), expected);
    // Each point reported twice, symmetric around its value: duplicates are averaged back.
    let doubled: Vec<Point> = sorted.iter().flat_map(|&(t, x)| [(t, x - 1.0), (t, x + 1.0)]).collect();
    let found = detect(&doubled, &DetectorConfig::default());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].onset, at(150));
}

#[test]
fn short_series_and_warm_up_are_never_flagged() {
    let cfg = DetectorConfig::default();
    let mut short = vec![1.0; 25];
    short[20] = 1000.0;
    assert!(detect(&series(&short), &cfg).is_empty());
    let mut v = noise(9, 200, 100.0, 1.0);
    v[10] += 50.0;
    v[55] -= 50.0;
    assert!(detect(&series(&v), &cfg).is_empty(), "no history, no verdict");
    v[80] += 50.0;
    let found = detect(&series(&v), &cfg);
    assert_eq!(found.iter().map(|a| index_of(a.onset)).collect::<Vec<_>>(), vec![80]);
    // A change just after the warm-up cannot be backdated into it.
    let mut w = noise(9, 200, 100.0, 1.0);
    w[65..].iter_mut().for_each(|x| *x += 10.0);
    assert!(detect(&series(&w), &cfg).iter().all(|a| index_of(a.onset) >= cfg.min_history as i64));
}

#[test]
fn detection_is_deterministic() {
    let mut v = sine(11, 480);
    v[300] += 40.0;
    v[420..].iter_mut().for_each(|x| *x -= 10.0);
    let a = detect(&series(&v), &DetectorConfig::default());
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!(a, detect(&series(&v), &DetectorConfig::default()));
    assert_eq!((a[0].kind, a[1].kind), (AnomalyKind::Spike, AnomalyKind::LevelShift));
}

#[test]
fn property_noise_rarely_alarms() {
    let trials = 300;
    let alarmed = (0..trials)
        .filter(|&s| !detect(&series(&noise(1000 + s, 240, 50.0, 2.0)), &DetectorConfig::default()).is_empty());
    let alarmed = alarmed.count();
    eprintln!("false positives: {alarmed}/{trials} noise series");
    assert!(alarmed * 100 <= trials as usize * 3, "{alarmed}/{trials} noise series alarmed");
}

#[test]
fn property_injected_steps_found() {
    let trials = 300;
    let mut found = 0;
    let mut exact = 0;
    for s in 0..trials {
        let mut rng = Rng::new(5000 + s);
        let pos = 70 + (rng.next_u64() % 160) as usize;
        let sign = if rng.next_u64().is_multiple_of(2) { 1.0 } else { -1.0 };
        let sigma = 0.5 + 4.0 * rng.uniform();
        let mut v = noise(1000 + s, 240, 50.0, sigma);
        v[pos..].iter_mut().for_each(|x| *x += sign * 6.0 * sigma);
        let onsets: Vec<i64> = detect(&series(&v), &DetectorConfig::default())
            .iter()
            .filter(|a| (a.observed - a.baseline) * sign > 0.0)
            .map(|a| index_of(a.onset) - pos as i64)
            .collect();
        found += usize::from(onsets.iter().any(|d| d.abs() <= 2));
        exact += usize::from(onsets.contains(&0));
    }
    eprintln!("6-sigma steps: {found}/{trials} found within 2 buckets, {exact}/{trials} exactly");
    assert!(found * 100 >= trials as usize * 95, "{found}/{trials}");
}

#[test]
fn estimate_period_only_for_real_seasonality() {
    assert_eq!(estimate_period(&sine(1, 300)), Some(60));
    assert_eq!(estimate_period(&business_hours(2)), Some(120));
    assert_eq!(estimate_period(&noise(3, 500, 0.0, 1.0)), None);
    let mut step = noise(4, 500, 0.0, 1.0);
    step[250..].iter_mut().for_each(|x| *x += 20.0);
    assert_eq!(estimate_period(&step), None);
    assert_eq!(estimate_period(&ramp(5, 0.5)), None);
    assert_eq!(estimate_period(&[1.0; 500]), None);
    assert_eq!(estimate_period(&[]), None);
}

#[test]
fn rate_series_buckets() {
    let r = rate_series(&[0, 5, 59, 60, 61, 250, -1, 300, 1000], 60, 0, 300);
    assert_eq!(r, vec![(0, 3.0), (60, 2.0), (120, 0.0), (180, 0.0), (240, 1.0)]);
    // A partial last bucket is kept; unsorted input is fine.
    assert_eq!(rate_series(&[95, 10], 60, 0, 100), vec![(0, 1.0), (60, 1.0)]);
    assert!(rate_series(&[1, 2], 0, 0, 100).is_empty());
    assert!(rate_series(&[1, 2], -60, 0, 100).is_empty());
    assert!(rate_series(&[1, 2], 60, 100, 100).is_empty());
    let extreme = rate_series(&[i64::MAX - 1], i64::MAX, i64::MIN, i64::MAX);
    assert_eq!(extreme, vec![(i64::MIN, 0.0), (-1, 0.0), (i64::MAX - 1, 1.0)]);
    assert_eq!(rate_series(&[], 1, i64::MIN, i64::MAX).len(), MAX_BUCKETS);
}

#[test]
fn config_validation_messages() {
    assert_eq!(DetectorConfig::default().validate(), Ok(()));
    assert_eq!(DetectorConfig::for_counts().validate(), Ok(()));
    let bad = [
        DetectorConfig { window: 1, ..Default::default() },
        DetectorConfig { min_history: 0, ..Default::default() },
        DetectorConfig { threshold: -1.0, ..Default::default() },
        DetectorConfig { min_duration: 0, ..Default::default() },
        DetectorConfig { min_abs_change: f64::INFINITY, ..Default::default() },
        DetectorConfig { period_secs: Some(0), ..Default::default() },
    ];
    for cfg in bad {
        let err = cfg.validate().err().unwrap_or_default();
        assert!(!err.is_empty() && err == err.to_lowercase(), "{err:?}");
    }
    assert_eq!(AnomalyKind::LevelShift.as_str(), "level_shift");
}

#[test]
fn a_steady_drift_is_followed_and_a_fill_that_speeds_up_is_found() {
    for seed in 0..6 {
        // A disk filling with the day's writes, 0.3 sigma a point: a flat baseline reads it as an ever-growing
        // excursion.
        let drift: Vec<f64> =
            noise(200 + seed, 300, 100.0, 1.0).iter().enumerate().map(|(i, x)| x + 0.3 * i as f64).collect();
        let found = detect(&series(&drift), &DetectorConfig::default());
        assert!(found.is_empty(), "seed {seed}: {found:?}");
        // The same drift, then a fill four times as fast from point 220: found, and dated where it sped up.
        let fill: Vec<f64> =
            drift.iter().enumerate().map(|(i, x)| x + if i >= 220 { 1.2 * (i - 219) as f64 } else { 0.0 }).collect();
        let found = detect(&series(&fill), &DetectorConfig::default());
        assert_eq!(found.len(), 1, "seed {seed}: {found:?}");
        assert!((index_of(found[0].onset) - 220).abs() <= 5, "seed {seed}: {:?}", found[0]);
    }
}
