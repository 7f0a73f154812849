//! The detector's machinery: settings resolved to points, the robust baseline, the scan for episodes and their
//! description (onset by change-point fit, kind, peak, score). See the parent module's docs for the method.

use super::*;

/// Settings after clamping, with the seasonal period resolved to points.
pub(super) struct Params {
    pub(super) window: usize,
    pub(super) min_history: usize,
    pub(super) threshold: f64,
    pub(super) min_duration: usize,
    pub(super) spike_max_points: usize,
    pub(super) direction: Direction,
    pub(super) counts: bool,
    pub(super) min_abs_change: f64,
    pub(super) period: Option<usize>,
}

impl Params {
    pub(super) fn new(cfg: &DetectorConfig, ts: &[i64], xs: &[f64]) -> Self {
        let defaults = DetectorConfig::default();
        // Beyond the series length these change nothing; clamping keeps index arithmetic far from overflow.
        let limit = xs.len().max(MIN_POINTS);
        let min_history = cfg.min_history.clamp(MIN_POINTS, limit);
        let mut p = Params {
            window: cfg.window.clamp(MIN_POINTS, limit),
            min_history,
            threshold: if cfg.threshold.is_finite() && cfg.threshold > 0.0 {
                cfg.threshold
            } else {
                defaults.threshold
            },
            min_duration: cfg.min_duration.max(1),
            spike_max_points: cfg.spike_max_points,
            direction: cfg.direction,
            counts: cfg.counts,
            min_abs_change: if cfg.min_abs_change.is_finite() { cfg.min_abs_change.max(0.0) } else { 0.0 },
            period: None,
        };
        let period = match cfg.period_secs {
            Some(secs) => period_points(ts, secs),
            None if cfg.detect_period => estimate_period(xs),
            None => None,
        };
        // Seasonality only helps once two periods of history exist before some points left to judge.
        p.period = period
            .filter(|&pp| pp >= MIN_PERIOD && pp.saturating_mul(MIN_SEASONS).saturating_add(min_history) < xs.len());
        p
    }

    /// Index of the first point that may be flagged: enough history for the baseline (seasonal if in use).
    pub(super) fn first_judged(&self) -> usize {
        match self.period {
            Some(pp) => pp * MIN_SEASONS + self.min_history,
            None => self.min_history,
        }
    }
}

/// Converts a period in seconds to points using the median positive sampling step.
pub(super) fn period_points(ts: &[i64], secs: i64) -> Option<usize> {
    if secs <= 0 {
        return None;
    }
    let mut steps: Vec<i64> = ts.windows(2).map(|w| w[1].saturating_sub(w[0])).filter(|&d| d > 0).collect();
    if steps.is_empty() {
        return None;
    }
    let mid = steps.len() / 2;
    let step = *steps.select_nth_unstable(mid).1;
    usize::try_from((i128::from(secs) + i128::from(step) / 2) / i128::from(step)).ok()
}

/// Drops non-finite values, sorts by time and averages values sharing a timestamp.
pub(super) fn sanitize(series: &[Point]) -> (Vec<i64>, Vec<f64>) {
    let mut pts: Vec<Point> = series.iter().copied().filter(|p| p.1.is_finite()).collect();
    // Stable sort keeps the input order among equal timestamps, so the result is deterministic.
    pts.sort_by_key(|p| p.0);
    let mut ts: Vec<i64> = Vec::with_capacity(pts.len());
    let mut xs: Vec<f64> = Vec::with_capacity(pts.len());
    let mut dup = 1.0;
    for (t, v) in pts {
        match (ts.last(), xs.last_mut()) {
            (Some(&last), Some(m)) if last == t => {
                dup += 1.0;
                // Running mean written so that huge values do not overflow.
                *m = *m * ((dup - 1.0) / dup) + v / dup;
            }
            _ => {
                ts.push(t);
                xs.push(v);
                dup = 1.0;
            }
        }
    }
    (ts, xs)
}

/// Median; `None` for an empty slice. Reorders `v`.
pub(super) fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mid = v.len() / 2;
    let hi = *v.select_nth_unstable_by(mid, f64::total_cmp).1;
    if v.len() % 2 == 1 {
        return Some(hi);
    }
    let lo = v[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(lo / 2.0 + hi / 2.0)
}

/// Median and robust sigma of `v`. The sigma is MAD-based; when more than half the values are identical (MAD = 0,
/// typical of sparse counts) it falls back to the median size of the deviations that do exist, i.e. the usual blip
/// size, so that blips of the usual size score about 1. Zero only for a constant slice.
pub(super) fn median_and_scale(v: &[f64]) -> Option<(f64, f64)> {
    let mut buf = v.to_vec();
    let med = median(&mut buf)?;
    let mut devs: Vec<f64> = v.iter().map(|x| (x - med).abs()).collect();
    let mad = median(&mut devs).unwrap_or(0.0);
    if mad > 0.0 || mad.is_nan() {
        return Some((med, MAD_TO_SIGMA * mad));
    }
    devs.retain(|&d| d > 0.0);
    Some((med, median(&mut devs).unwrap_or(0.0)))
}

/// Expected value of a point from the same phase of up to `MAX_SEASONS` previous periods (and neighbouring phases
/// for long periods); `None` without `MIN_SEASONS` periods of history.
pub(super) fn seasonal_naive(c: &[f64], j: usize, period: usize) -> Option<f64> {
    let mut vals = Vec::with_capacity(MAX_SEASONS * 3);
    let mut seasons = 0;
    for m in 1..=MAX_SEASONS {
        let Some(centre) = j.checked_sub(m * period) else { break };
        seasons += 1;
        let spread = if period >= NEIGHBOUR_PERIOD { 1 } else { 0 };
        for k in centre.saturating_sub(spread)..=(centre + spread).min(j.saturating_sub(1)) {
            if let Some(&v) = c.get(k) {
                vals.push(v);
            }
        }
    }
    if seasons < MIN_SEASONS {
        return None;
    }
    median(&mut vals)
}

/// Robust baseline built from the clean history before index `end`.
pub(super) struct Baseline {
    /// Level (plain) or level correction added to the seasonal expectation.
    pub(super) offset: f64,
    /// Period in points when the seasonal model is in use.
    pub(super) period: Option<usize>,
    /// Robust sigma of the residuals, with floors applied (the Poisson floor is added per point).
    pub(super) scale: f64,
    /// Lag-1 autocorrelation of the residuals, in [0, MAX_RHO].
    pub(super) rho: f64,
    pub(super) counts: bool,
    /// A steady linear trend of the level, per point, and the index the level is measured at (see
    /// [`steady_trend`]); 0 when there is none.
    pub(super) slope: f64,
    pub(super) centre: f64,
}

impl Baseline {
    pub(super) fn expected(&self, c: &[f64], j: usize) -> f64 {
        match self.period.and_then(|pp| seasonal_naive(c, j, pp)) {
            Some(s) => s + self.offset,
            None => self.offset + self.slope * (j as f64 - self.centre),
        }
    }

    /// Robust z a run of `SUSTAIN` points must keep. Wandering (autocorrelated) series make such runs common, so
    /// the level is raised by how much the correlation widens the spread of a run's mean:
    /// `sqrt(sum over i, j of rho^|i - j| / k)`, 1 for independent noise.
    pub(super) fn run_level(&self, threshold: f64) -> f64 {
        let k = SUSTAIN as f64;
        let cross: f64 = (1..SUSTAIN).map(|d| 2.0 * (k - d as f64) * self.rho.powi(d as i32)).sum();
        threshold * HYSTERESIS * ((k + cross) / k).sqrt()
    }

    pub(super) fn scale_at(&self, expected: f64) -> f64 {
        if self.counts {
            self.scale.max(expected.max(1.0).sqrt())
        } else {
            self.scale
        }
    }
}

/// Baseline from the trailing window of clean values before `end`; seasonal when the period allows, plain otherwise.
/// `None` when there are fewer than `min_history` points to build it from.
pub(super) fn baseline(c: &[f64], end: usize, p: &Params) -> Option<Baseline> {
    let end = end.min(c.len());
    let seasonal_start = p.period.map(|pp| (pp, end.saturating_sub(p.window).max(pp * MIN_SEASONS)));
    let (period, resid): (Option<usize>, Vec<f64>) = match seasonal_start {
        Some((pp, s)) if end >= s + p.min_history => {
            (Some(pp), (s..end).filter_map(|k| seasonal_naive(c, k, pp).map(|e| c[k] - e)).collect())
        }
        _ => {
            let s = end.saturating_sub(p.window);
            if end < s + p.min_history {
                return None;
            }
            (None, c[s..end].to_vec())
        }
    };
    let mut buf = resid.clone();
    let offset = median(&mut buf)?;
    let detrended = detrend(&resid);
    let raw_scale = median_and_scale(&detrended)?.1;
    let mut level: Vec<f64> = c[end.saturating_sub(p.window)..end].iter().map(|v| v.abs()).collect();
    let level = median(&mut level).unwrap_or(0.0);
    let scale = raw_scale.max(REL_SCALE_FLOOR * level).max(ABS_SCALE_FLOOR);
    // A level that drifts steadily (a disk filling with the day's writes) is followed, so its drift is not news
    // and a change is judged against where the drift would have taken it. Counts and seasonal series are not.
    // The trend is read from the two windows before the latest one, so that a fault's own ramp, starting in the
    // latest window, is not taken for the drift it departs from; from the latest one while that is all there is.
    let older = &c[end.saturating_sub(3 * p.window)..end.saturating_sub(p.window)];
    let drift = if older.len() >= p.window { older } else { &resid[..] };
    let slope = if period.is_none() && !p.counts { steady_trend(drift, scale) } else { 0.0 };
    let centre = end as f64 - (resid.len() as f64 + 1.0) / 2.0;
    let rho = lag1_autocorrelation(&detrended, scale);
    Some(Baseline { offset, period, scale, rho, counts: p.counts, slope, centre })
}

/// Slope per point of a steady linear trend in `v`, or 0. The medians of its three thirds must step the same way
/// by about the same amount (a trend steps twice; a step change or a blip steps once), and the whole rise must
/// stand out of the noise `scale`.
pub(super) fn steady_trend(v: &[f64], scale: f64) -> f64 {
    let third = v.len() / 3;
    if third < 3 {
        return 0.0;
    }
    let mut parts = [v[..third].to_vec(), v[third..2 * third].to_vec(), v[v.len() - third..].to_vec()];
    let [Some(a), Some(b), Some(c)] = parts.each_mut().map(|part| median(part)) else { return 0.0 };
    let (d1, d2) = (b - a, c - b);
    let even = d1 * d2 > 0.0 && d1.abs().min(d2.abs()) >= TREND_EVENNESS * d1.abs().max(d2.abs());
    let clear = (c - a).abs() >= TREND_CLEAR * scale;
    // The first and last thirds' centres lie `len - third` points apart.
    let slope = (c - a) / (v.len() - third) as f64;
    if even && clear && slope.is_finite() {
        slope
    } else {
        0.0
    }
}

/// Removes the straight line through the medians of the two halves. The level stays the plain median (so a ramp
/// still shows as a growing residual), but the scale must come from what is left: a ramp inside the window would
/// otherwise inflate the MAD as fast as the residual grows and never be flagged.
pub(super) fn detrend(v: &[f64]) -> Vec<f64> {
    let h = v.len() / 2;
    let (mut first, mut second) = (v[..h].to_vec(), v[h..].to_vec());
    let (Some(m1), Some(m2)) = (median(&mut first), median(&mut second)) else { return v.to_vec() };
    // Half centres are (h - 1) / 2 and h + (len - h - 1) / 2 apart, i.e. len / 2.
    let slope = (m2 - m1) / (v.len() as f64 / 2.0);
    let centre = (v.len() as f64 - 1.0) / 2.0;
    let out: Vec<f64> = v.iter().enumerate().map(|(k, x)| x - slope * (k as f64 - centre)).collect();
    if out.iter().all(|x| x.is_finite()) {
        out
    } else {
        v.to_vec()
    }
}

/// Lag-1 autocorrelation of `v`, with values clipped to 4 robust sigmas (so one past spike cannot dominate) and
/// the result clamped to `[0, MAX_RHO]`; 0 when undefined.
pub(super) fn lag1_autocorrelation(v: &[f64], scale: f64) -> f64 {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let lim = 4.0 * scale;
    let y: Vec<f64> = v.iter().map(|x| (x - mean).clamp(-lim, lim)).collect();
    let var: f64 = y.iter().map(|a| a * a).sum();
    let cov: f64 = y.windows(2).map(|w| w[0] * w[1]).sum();
    let rho = cov / var;
    if rho.is_finite() {
        rho.clamp(0.0, MAX_RHO)
    } else {
        0.0
    }
}

/// Whether residual `r` is within the series' usual excursions, judged on the residuals (of normal points and past
/// spikes) in the last `ENVELOPE_WINDOWS` windows before `end`, in the same direction: usual if one was at least as
/// large, or if `ENVELOPE_MIN_COUNT` were at least `1 / ENVELOPE_MARGIN` of it. `end` is the start of the current
/// run, which must not vouch for itself. A chronically bursty series thus makes its bursts usual, while a spike
/// clearly bigger than anything recent is news.
pub(super) fn is_usual(res: &[f64], end: usize, window: usize, r: f64) -> bool {
    let start = end.saturating_sub(window.saturating_mul(ENVELOPE_WINDOWS));
    let (mut similar, mut larger) = (0, false);
    for &v in &res[start..end] {
        // Compare in the direction of `r` (NaN compares false and is skipped).
        let (v, r) = if r > 0.0 { (v, r) } else { (-v, -r) };
        larger |= v >= r;
        similar += usize::from(v >= r / ENVELOPE_MARGIN);
    }
    larger || similar >= ENVELOPE_MIN_COUNT
}

/// An episode found by the scan, in point indices.
pub(super) struct Episode {
    /// First flagged point.
    pub(super) start: usize,
    /// First point back to normal, if any.
    pub(super) end: Option<usize>,
    /// +1 for up, -1 for down.
    pub(super) sign: f64,
    /// Points beyond the (hysteresis) threshold.
    pub(super) active: usize,
}

/// Sequential pass: flags episodes and returns the clean history (points of lasting episodes replaced by their
/// expected values).
pub(super) fn scan(x: &[f64], p: &Params, first: usize) -> (Vec<Episode>, Vec<f64>) {
    let mut st = Scan::new(x, p, first);
    for (i, &xi) in x.iter().enumerate().skip(first) {
        let Some(b) = baseline(&st.clean, i, p) else { continue };
        let e = b.expected(&st.clean, i);
        st.exp[i] = e;
        let r = xi - e;
        if st.open.is_some() {
            st.follow_open(i, e, r);
        } else {
            st.judge(i, &b, e, r);
        }
    }
    if let Some((ep, _, _)) = st.open {
        st.episodes.push(ep);
    }
    (st.episodes, st.clean)
}

/// The state of [`scan`] as it walks the series.
struct Scan<'a> {
    x: &'a [f64],
    p: &'a Params,
    /// The history baselines are computed from.
    clean: Vec<f64>,
    /// Residuals of normal points and past spikes, for the usual-excursion envelope; NaN where unknown.
    res: Vec<f64>,
    /// Expected values; NaN where unknown.
    exp: Vec<f64>,
    episodes: Vec<Episode>,
    /// Open episode with its frozen scale and the length of the current run of normal points.
    open: Option<(Episode, f64, usize)>,
    /// Start, sign and level of the current run of points beyond the run level.
    run: Option<(usize, f64, f64)>,
}

impl<'a> Scan<'a> {
    fn new(x: &'a [f64], p: &'a Params, first: usize) -> Self {
        let n = x.len();
        let mut res = vec![f64::NAN; n];
        // Warm-up points cannot be judged but do show the usual excursions (bursts in a chronically noisy series).
        let mut warm = x[..first.min(n)].to_vec();
        if let Some(m) = median(&mut warm) {
            for (r, v) in res.iter_mut().zip(&x[..first.min(n)]) {
                *r = v - m;
            }
        }
        Scan { x, p, clean: x.to_vec(), res, exp: vec![f64::NAN; n], episodes: Vec::new(), open: None, run: None }
    }

    /// Point `i` (expected `e`, residual `r`) while an episode is open: extends it, or closes it once the series is
    /// back near its baseline.
    fn follow_open(&mut self, i: usize, e: f64, r: f64) {
        let (x, p) = (self.x, self.p);
        let Some((ep, scale, quiet)) = self.open.as_mut() else { return };
        // Keep the pre-incident baseline: the incident must not become its own history.
        self.clean[i] = e;
        if ep.sign * r / *scale >= p.threshold * HYSTERESIS {
            ep.active += 1;
            *quiet = 0;
            return;
        }
        *quiet += 1;
        if *quiet < RECOVERY {
            return;
        }
        // Back to normal means back near the baseline, not just under the hysteresis level: a slow ramp hovers
        // there for a while and must not be cut into pieces.
        let end = i + 1 - RECOVERY;
        let back: f64 = (end..=i).map(|k| ep.sign * (x[k] - self.exp[k]) / *scale).sum::<f64>() / RECOVERY as f64;
        if back > RECOVERED_Z {
            return;
        }
        ep.end = Some(end);
        // Recovered points are normal history again, and so are spikes: medians shrug them off, and keeping
        // them teaches the scale and the envelope what a usual blip looks like.
        let from = if ep.active <= p.spike_max_points { ep.start } else { end };
        self.clean[from..=i].copy_from_slice(&x[from..=i]);
        for ((r, v), e) in self.res[from..=i].iter_mut().zip(&x[from..=i]).zip(&self.exp[from..=i]) {
            *r = v - e;
        }
        if let Some((ep, _, _)) = self.open.take() {
            self.episodes.push(ep);
        }
    }

    /// Point `i` (baseline `b`, expected `e`, residual `r`) with no episode open: opens one when the point is far
    /// out and unusual, or when a run beyond the run level has lasted.
    fn judge(&mut self, i: usize, b: &Baseline, e: f64, r: f64) {
        let p = self.p;
        self.res[i] = r;
        let scale = b.scale_at(e);
        let z = r / scale;
        let sign = if z > 0.0 { 1.0 } else { -1.0 };
        if !(p.direction.allows(sign) && r.abs() >= p.min_abs_change) {
            self.run = None;
            return;
        }
        // The run level is fixed when the run starts: later baselines contain the run itself, whose own
        // persistence would read as autocorrelation and raise the bar it has to clear.
        self.run = match self.run {
            Some((s, rs, level)) if rs == sign && sign * z >= level => Some((s, sign, level)),
            _ => {
                let level = b.run_level(p.threshold);
                (sign * z >= level).then_some((i, sign, level))
            }
        };
        let run_start = self.run.map_or(i, |(s, _, _)| s);
        let start = if sign * z >= p.threshold && !is_usual(&self.res, run_start, p.window, r) {
            Some(i)
        } else if self.run.is_some() && i + 1 - run_start >= SUSTAIN {
            Some(run_start)
        } else {
            None
        };
        if let Some(s) = start {
            self.open_episode(s, i, sign, scale);
        }
    }

    /// Opens an episode that starts at point `s`, flagged at point `i`, with the frozen `scale`.
    fn open_episode(&mut self, s: usize, i: usize, sign: f64, scale: f64) {
        self.run = None;
        // A relapse soon after a recovery in the same direction is the same incident (a slow ramp can dip
        // below the hysteresis level early on, an incident can flap): reopen the previous episode.
        let gap = RECOVERY.max(self.p.window / RELAPSE_WINDOW_DIVISOR);
        let relapse =
            self.episodes.last().is_some_and(|l: &Episode| l.sign == sign && l.end.is_some_and(|e| s <= e + gap));
        let (from, active) = match self.episodes.pop() {
            Some(last) if relapse => (last.start, last.active),
            last => {
                self.episodes.extend(last);
                (s, 0)
            }
        };
        self.clean[from..=i].copy_from_slice(&self.exp[from..=i]);
        self.res[from..=i].fill(f64::NAN);
        self.open = Some((Episode { start: from, end: None, sign, active: active + i + 1 - s }, scale, 0));
    }
}

/// Best change point in residuals `r` (already signed so the change is positive), searched in `0..=kmax`.
/// Compares a step (constant shift from k on) with a ramp (linear growth from k on), each fitted by least squares
/// with the pre-change mean fixed at 0; returns the change index and whether the ramp fits better.
pub(super) fn fit_change(r: &[f64], kmax: usize) -> (usize, bool) {
    let m = r.len();
    let kmax = kmax.min(m.saturating_sub(1));
    // Suffix sums of r and j*r give both fits for every k in O(m).
    let mut s = vec![0.0; m + 1];
    let mut t = vec![0.0; m + 1];
    for j in (0..m).rev() {
        s[j] = s[j + 1] + r[j];
        t[j] = t[j + 1] + j as f64 * r[j];
    }
    let (mut step_k, mut step_gain) = (kmax, f64::NEG_INFINITY);
    let (mut ramp_k, mut ramp_gain) = (kmax, f64::NEG_INFINITY);
    for k in 0..=kmax {
        let len = (m - k) as f64;
        if s[k] > 0.0 {
            let g = s[k] * s[k] / len;
            // `>=` prefers the latest of equal fits: the change cannot precede evidence of it.
            if g >= step_gain {
                step_gain = g;
                step_k = k;
            }
        }
        // Ramp value at j is slope * (j - k + 1). A ramp cannot start where the points before the first alert sit
        // at or below the baseline: their residuals must lean up, or the fit only borrows them to tilt a line.
        let num = t[k] - (k as f64 - 1.0) * s[k];
        let leans_up = k == kmax || s[k] - s[kmax] > 0.0;
        if num > 0.0 && leans_up {
            let g = num * num / (len * (len + 1.0) * (2.0 * len + 1.0) / 6.0);
            if g >= ramp_gain {
                ramp_gain = g;
                ramp_k = k;
            }
        }
    }
    if ramp_gain > step_gain {
        (ramp_k, true)
    } else {
        (step_k, false)
    }
}

/// Turns a scanned episode into an [`Anomaly`]: onset, kind, peak, baseline, observed and score.
pub(super) fn describe(
    ep: &Episode,
    x: &[f64],
    clean: &[f64],
    ts: &[i64],
    p: &Params,
    prev_end: usize,
) -> Option<Anomaly> {
    let a = ep.start;
    let end_idx = ep.end.unwrap_or(x.len());
    let mut b = baseline(clean, a, p)?;
    let mut onset = a;
    let kind = if ep.end.is_some_and(|_| ep.active <= p.spike_max_points) || end_idx - a <= p.spike_max_points {
        // Too short to tell a step from a ramp: the first flagged point is the onset.
        AnomalyKind::Spike
    } else {
        // Search back up to two windows, never into the previous episode or the unjudged start.
        let lo = prev_end.max(a.saturating_sub(2 * p.window)).min(a);
        let hi = end_idx.min(a + p.window).max(a + 1);
        let mut trend = false;
        let mut ref_end = a;
        // The baseline just before the first alert may already contain the start of a ramp; re-estimate it before
        // each new onset until the onset stops moving.
        for _ in 0..REFINE_ROUNDS {
            let Some(nb) = baseline(clean, ref_end, p) else { break };
            let r: Vec<f64> = (lo..hi).map(|j| ep.sign * (x[j] - nb.expected(clean, j))).collect();
            let (k, is_trend) = fit_change(&r, a - lo);
            b = nb;
            onset = lo + k;
            trend = is_trend;
            if onset == ref_end {
                break;
            }
            ref_end = onset;
        }
        if trend {
            AnomalyKind::Trend
        } else {
            AnomalyKind::LevelShift
        }
    };
    let mut expected = Vec::with_capacity(end_idx - onset);
    let mut observed = Vec::with_capacity(end_idx - onset);
    let (mut peak, mut peak_z, mut z_sum) = (a, f64::NEG_INFINITY, 0.0);
    for (j, &v) in x.iter().enumerate().take(end_idx).skip(onset) {
        let e = b.expected(clean, j);
        let z = ep.sign * (v - e) / b.scale_at(e);
        if z > peak_z {
            peak_z = z;
            peak = j;
        }
        if z.is_finite() {
            z_sum += z.min(MAX_SCORE);
        }
        expected.push(e);
        observed.push(v);
    }
    let score = if peak_z.is_nan() { 0.0 } else { peak_z.clamp(0.0, MAX_SCORE) };
    let evidence = episode_evidence(z_sum, end_idx - onset, b.rho);
    Some(Anomaly {
        onset: ts[onset],
        end: ep.end.map(|e| ts[e]),
        peak: ts[peak],
        baseline: median(&mut expected).unwrap_or(f64::NAN),
        observed: median(&mut observed).unwrap_or(f64::NAN),
        score,
        evidence,
        kind,
    })
}

/// One z for a whole episode of `n` points whose z's add up to `z_sum` (Stouffer's sum), with the points'
/// lag-1 autocorrelation `rho` counted: correlated points are worth `n (1 - rho) / (1 + rho)` independent ones,
/// so the sum's spread is `sqrt(n (1 + rho) / (1 - rho))` sigmas. 0 when nothing points the episode's way.
pub(super) fn episode_evidence(z_sum: f64, n: usize, rho: f64) -> f64 {
    if n == 0 || !(z_sum.is_finite() && z_sum > 0.0) {
        return 0.0;
    }
    let rho = rho.clamp(0.0, MAX_RHO);
    let spread = (n as f64 * (1.0 + rho) / (1.0 - rho)).sqrt();
    (z_sum / spread).min(MAX_SCORE)
}
