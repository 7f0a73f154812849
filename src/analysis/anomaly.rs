//! Anomaly detection on time series: metric series (latency, error ratio, CPU) and per-log-template event rates.
//!
//! Everything here is a pure, deterministic function over data: no I/O, no clock, no randomness, and no panics on
//! any input (NaN, infinities, empty, constant, unsorted or duplicated timestamps are all handled).
//!
//! Outline of [`detect`]:
//! 1. Clean the input: drop non-finite values, sort by time, average duplicate timestamps.
//! 2. Baseline per point from a trailing window of *clean* history: median level and MAD scale, or, when a
//!    seasonal period is configured or found by autocorrelation, the same phase of previous periods plus a
//!    median level correction. Points flagged as anomalous are replaced by their expected value in that history, so
//!    an incident never becomes its own baseline.
//! 3. A point opens an episode when its robust z reaches the threshold and excursions of its size are not usual in
//!    the recent history (so chronic bursts are not news), or when a run of points stays beyond half the threshold
//!    (a sustained shift). The episode lasts until the series has been back for a few points; a relapse soon after
//!    continues it. Short episodes (spikes) are put back into the history afterwards so the usual blips are learned.
//! 4. Each episode is described: onset by a change-point fit (step or ramp) over the residuals before and after the
//!    first alert, with the reference baseline re-estimated before the onset; kind; peak; score.
//!
//! Scale floors keep z finite when the MAD is 0: the median size of the deviations that exist (sparse series),
//! 0.1 % of the level (constant series), and for counts the Poisson noise `sqrt(max(expected, 1))`.
//!
//! The detector works in point indices and assumes roughly regular sampling (as produced by [`rate_series`]).

/// One sample: time in unix seconds and value.
pub type Point = (i64, f64);

/// Which deviations count as anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Only increases (errors, latency).
    Up,
    /// Only decreases (throughput, success rate).
    Down,
    /// Both.
    Both,
}

impl Direction {
    fn allows(self, sign: f64) -> bool {
        match self {
            Direction::Up => sign > 0.0,
            Direction::Down => sign < 0.0,
            Direction::Both => true,
        }
    }
}

/// Tuning of [`detect`]. `Default` suits per-minute metrics; [`DetectorConfig::for_counts`] suits event counts.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    /// Trailing baseline window, in points.
    pub window: usize,
    /// Points of history required before any point can be flagged (no anomaly is reported in the first ones).
    pub min_history: usize,
    /// Robust z (deviation / robust sigma) a point must reach to open an anomaly.
    pub threshold: f64,
    /// Minimum number of anomalous points for an episode to be reported; 1 keeps single-point spikes.
    pub min_duration: usize,
    /// Recovered episodes with at most this many anomalous points are reported as [`AnomalyKind::Spike`].
    pub spike_max_points: usize,
    /// Which deviations count.
    pub direction: Direction,
    /// Seasonal period in seconds (e.g. 86_400 for daily), converted to points with the median sampling step.
    /// Used once two full periods of history exist; with less data the detector falls back to a plain baseline.
    pub period_secs: Option<i64>,
    /// Look for a period in the data by autocorrelation when `period_secs` is `None`.
    pub detect_period: bool,
    /// Values are event counts: the scale is at least the Poisson noise `sqrt(max(expected, 1))`, so a series of
    /// zeros with an occasional 1 is not an anomaly while a burst of 20 is.
    pub counts: bool,
    /// Deviations smaller than this (in the series' units) never open an anomaly.
    pub min_abs_change: f64,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            window: 60,
            min_history: 60,
            threshold: 5.0,
            min_duration: 1,
            spike_max_points: 2,
            direction: Direction::Both,
            period_secs: None,
            detect_period: true,
            counts: false,
            min_abs_change: 0.0,
        }
    }
}

impl DetectorConfig {
    /// Defaults for event counts per bucket (e.g. from [`rate_series`]): Poisson noise floor, increases only.
    pub fn for_counts() -> Self {
        DetectorConfig { counts: true, direction: Direction::Up, ..Default::default() }
    }

    /// Checks the settings. [`detect`] never fails: it clamps bad values instead, but callers taking settings from
    /// users can report them with this.
    pub fn validate(&self) -> Result<(), String> {
        if self.window < MIN_POINTS {
            return Err(format!("window must be at least {MIN_POINTS} points"));
        }
        if self.min_history < MIN_POINTS {
            return Err(format!("min_history must be at least {MIN_POINTS} points"));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err("threshold must be a positive finite number".to_string());
        }
        if self.min_duration == 0 {
            return Err("min_duration must be at least 1".to_string());
        }
        if !(self.min_abs_change.is_finite() && self.min_abs_change >= 0.0) {
            return Err("min_abs_change must be a finite number >= 0".to_string());
        }
        if matches!(self.period_secs, Some(p) if p <= 0) {
            return Err("period_secs must be positive".to_string());
        }
        Ok(())
    }
}

/// Shape of an anomalous episode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// A short excursion (at most `spike_max_points`) that came back. With `end: None` it is at the very end of
    /// the series and may still turn into a level shift.
    Spike,
    /// A step to a new level, persisting (or lasting longer than a spike before coming back).
    LevelShift,
    /// A gradual ramp away from the baseline.
    Trend,
}

impl AnomalyKind {
    /// Stable lowercase name for display and serialisation.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::Spike => "spike",
            AnomalyKind::LevelShift => "level_shift",
            AnomalyKind::Trend => "trend",
        }
    }
}

/// One anomalous episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    /// Time of the change point: the first point after a step, or where a ramp leaves the baseline.
    pub onset: i64,
    /// Time of the first point back to normal; `None` if still anomalous at the last point.
    pub end: Option<i64>,
    /// Time of the largest deviation.
    pub peak: i64,
    /// Typical value expected during the episode had nothing changed (pre-onset level, seasonally adjusted).
    pub baseline: f64,
    /// Median value during the episode.
    pub observed: f64,
    /// Severity: robust z of the peak deviation (deviation / robust sigma of the pre-onset baseline), capped at 1e6.
    pub score: f64,
    /// Shape of the episode.
    pub kind: AnomalyKind,
}

/// Smallest window or history the statistics make sense for.
const MIN_POINTS: usize = 3;
/// MAD to standard deviation for normal noise.
const MAD_TO_SIGMA: f64 = 1.4826;
/// A perfectly constant series still gets this much relative noise, so the smallest wobble is not infinite z.
const REL_SCALE_FLOOR: f64 = 1e-3;
/// Same for a constant series at zero.
const ABS_SCALE_FLOOR: f64 = 1e-9;
/// An open episode continues while points stay beyond this fraction of the threshold (avoids flapping).
const HYSTERESIS: f64 = 0.5;
/// Consecutive normal points that close an episode, and the mean robust z they must be back under.
const RECOVERY: usize = 3;
const RECOVERED_Z: f64 = 1.0;
/// Excursions count as usual (see [`is_usual`]) when one as large, or `ENVELOPE_MIN_COUNT` of similar size (at
/// least `1 / ENVELOPE_MARGIN` of the new one), happened in the last `ENVELOPE_WINDOWS` windows: in a chronically
/// bursty series a single-point burst is only news when about twice the usual ones (a sustained change is still
/// caught by `SUSTAIN`).
const ENVELOPE_WINDOWS: usize = 4;
const ENVELOPE_MARGIN: f64 = 2.0;
const ENVELOPE_MIN_COUNT: usize = 2;
/// Consecutive points beyond `HYSTERESIS * threshold` (same direction; raised for autocorrelated series, see
/// `Baseline::run_level`) that open an episode even when no single one reaches the threshold or the usual
/// excursion range: a short burst of the usual size is chronic, a sustained shift is a change. Under independent
/// normal noise 4 such points in a row have odds of about 1e-9.
const SUSTAIN: usize = 4;
/// Cap on the estimated autocorrelation, so the run level stays finite.
const MAX_RHO: f64 = 0.95;
/// An episode restarting within `window / RELAPSE_WINDOW_DIVISOR` points (at least `RECOVERY`) of the end of the
/// previous one, in the same direction, continues it.
const RELAPSE_WINDOW_DIVISOR: usize = 6;
/// Rounds of re-estimating the reference baseline before the onset.
const REFINE_ROUNDS: usize = 4;
/// Cap on scores so that a change on a perfectly constant series stays a finite, sortable number.
const MAX_SCORE: f64 = 1e6;
/// Seasonal expectations use up to this many previous periods, and need at least `MIN_SEASONS`.
const MAX_SEASONS: usize = 3;
const MIN_SEASONS: usize = 2;
/// Periods shorter than this are noise, not seasonality.
const MIN_PERIOD: usize = 4;
/// Periods this long use the neighbouring phases too, which smooths the seasonal expectation.
const NEIGHBOUR_PERIOD: usize = 12;
/// Bounds on the autocorrelation search, to keep period detection cheap on long series.
const MAX_ACF_POINTS: usize = 10_000;
const MAX_ACF_LAG: usize = 3_000;
/// Autocorrelation a period must reach, and how far it must rise above the dip before it.
const MIN_ACF_PEAK: f64 = 0.3;
const MIN_ACF_DIP: f64 = 0.3;
/// Cap on buckets from [`rate_series`], so a bogus range cannot allocate without bound.
pub const MAX_BUCKETS: usize = 1_000_000;

/// Events per bucket: bucket k covers `[start + k*bucket_secs, start + (k+1)*bucket_secs)` and is stamped with its
/// start. Buckets without events are 0; events outside `[start, end)` are ignored. Returns nothing for a
/// non-positive bucket or an empty range, and at most [`MAX_BUCKETS`] buckets.
pub fn rate_series(timestamps: &[i64], bucket_secs: i64, start: i64, end: i64) -> Vec<Point> {
    if bucket_secs <= 0 || end <= start {
        return Vec::new();
    }
    // i128: `end - start` overflows i64 for extreme inputs.
    let (start_w, bucket_w) = (i128::from(start), i128::from(bucket_secs));
    let span = i128::from(end) - start_w;
    let n = usize::try_from((span + bucket_w - 1) / bucket_w).unwrap_or(MAX_BUCKETS).min(MAX_BUCKETS);
    let mut counts = vec![0u64; n];
    for &t in timestamps {
        if t < start || t >= end {
            continue;
        }
        let k = usize::try_from((i128::from(t) - start_w) / bucket_w).unwrap_or(usize::MAX);
        if let Some(c) = counts.get_mut(k) {
            *c += 1;
        }
    }
    // Bucket starts lie in [start, end), so they fit in i64.
    counts.iter().enumerate().map(|(k, &c)| ((start_w + k as i128 * bucket_w) as i64, c as f64)).collect()
}

/// Dominant seasonal period of `values`, in points, found by autocorrelation; `None` when there is no clear one.
///
/// A lag counts as a period when its autocorrelation is a local maximum of at least 0.3 that rises at least 0.3
/// above the dip before it (steps and trends give high but monotone autocorrelation, so they are not mistaken for
/// seasonality) and the data holds at least 2.5 periods. Spikes are clipped first so one incident cannot dominate.
pub fn estimate_period(values: &[f64]) -> Option<usize> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let v = &finite[finite.len().saturating_sub(MAX_ACF_POINTS)..];
    let n = v.len();
    let max_lag = (n * 2 / 5).min(MAX_ACF_LAG);
    if max_lag < MIN_PERIOD + 2 {
        return None;
    }
    let (med, scale) = median_and_scale(v)?;
    let clip = 4.0 * scale;
    let clipped: Vec<f64> = v.iter().map(|&x| if clip > 0.0 { x.clamp(med - clip, med + clip) } else { x }).collect();
    let mean = clipped.iter().sum::<f64>() / n as f64;
    let y: Vec<f64> = clipped.iter().map(|x| x - mean).collect();
    let var: f64 = y.iter().map(|a| a * a).sum();
    if !(var.is_finite() && var > 0.0) {
        return None;
    }
    // Biased estimator (divide by the full sum): it favours the fundamental over its multiples.
    let acf: Vec<f64> =
        (0..=max_lag + 2).map(|l| y.iter().zip(&y[l.min(n)..]).map(|(a, b)| a * b).sum::<f64>() / var).collect();
    let mut best: Option<(usize, f64)> = None;
    let mut dip = f64::INFINITY;
    for l in 1..=max_lag {
        let a = acf[l];
        if l >= MIN_PERIOD {
            let local_max = a >= acf[l - 1] && a >= acf[l - 2] && a >= acf[l + 1] && a >= acf[l + 2];
            if local_max && a >= MIN_ACF_PEAK && a - dip >= MIN_ACF_DIP && best.is_none_or(|(_, b)| a > b) {
                best = Some((l, a));
            }
        }
        dip = dip.min(a);
    }
    best.map(|(l, _)| l)
}

/// Finds anomalous episodes in `series`, oldest first. See the module docs for the method.
pub fn detect(series: &[Point], cfg: &DetectorConfig) -> Vec<Anomaly> {
    let (ts, xs) = sanitize(series);
    let p = Params::new(cfg, &ts, &xs);
    let first = p.first_judged();
    if xs.len() <= first {
        return Vec::new();
    }
    let (episodes, clean) = scan(&xs, &p, first);
    let mut out = Vec::new();
    let mut prev_end = first;
    for ep in &episodes {
        let end_idx = ep.end.unwrap_or(xs.len());
        if ep.active >= p.min_duration {
            if let Some(a) = describe(ep, &xs, &clean, &ts, &p, prev_end) {
                out.push(a);
            }
        }
        prev_end = end_idx;
    }
    out
}

/// Settings after clamping, with the seasonal period resolved to points.
struct Params {
    window: usize,
    min_history: usize,
    threshold: f64,
    min_duration: usize,
    spike_max_points: usize,
    direction: Direction,
    counts: bool,
    min_abs_change: f64,
    period: Option<usize>,
}

impl Params {
    fn new(cfg: &DetectorConfig, ts: &[i64], xs: &[f64]) -> Self {
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
    fn first_judged(&self) -> usize {
        match self.period {
            Some(pp) => pp * MIN_SEASONS + self.min_history,
            None => self.min_history,
        }
    }
}

/// Converts a period in seconds to points using the median positive sampling step.
fn period_points(ts: &[i64], secs: i64) -> Option<usize> {
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
fn sanitize(series: &[Point]) -> (Vec<i64>, Vec<f64>) {
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
fn median(v: &mut [f64]) -> Option<f64> {
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
fn median_and_scale(v: &[f64]) -> Option<(f64, f64)> {
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
fn seasonal_naive(c: &[f64], j: usize, period: usize) -> Option<f64> {
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
struct Baseline {
    /// Level (plain) or level correction added to the seasonal expectation.
    offset: f64,
    /// Period in points when the seasonal model is in use.
    period: Option<usize>,
    /// Robust sigma of the residuals, with floors applied (the Poisson floor is added per point).
    scale: f64,
    /// Lag-1 autocorrelation of the residuals, in [0, MAX_RHO].
    rho: f64,
    counts: bool,
}

impl Baseline {
    fn expected(&self, c: &[f64], j: usize) -> f64 {
        match self.period.and_then(|pp| seasonal_naive(c, j, pp)) {
            Some(s) => s + self.offset,
            None => self.offset,
        }
    }

    /// Robust z a run of `SUSTAIN` points must keep. Wandering (autocorrelated) series make such runs common, so
    /// the level is raised by how much the correlation widens the spread of a run's mean:
    /// `sqrt(sum over i, j of rho^|i - j| / k)`, 1 for independent noise.
    fn run_level(&self, threshold: f64) -> f64 {
        let k = SUSTAIN as f64;
        let cross: f64 = (1..SUSTAIN).map(|d| 2.0 * (k - d as f64) * self.rho.powi(d as i32)).sum();
        threshold * HYSTERESIS * ((k + cross) / k).sqrt()
    }

    fn scale_at(&self, expected: f64) -> f64 {
        if self.counts {
            self.scale.max(expected.max(1.0).sqrt())
        } else {
            self.scale
        }
    }
}

/// Baseline from the trailing window of clean values before `end`; seasonal when the period allows, plain otherwise.
/// `None` when there are fewer than `min_history` points to build it from.
fn baseline(c: &[f64], end: usize, p: &Params) -> Option<Baseline> {
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
    Some(Baseline { offset, period, scale, rho: lag1_autocorrelation(&detrended, scale), counts: p.counts })
}

/// Removes the straight line through the medians of the two halves. The level stays the plain median (so a ramp
/// still shows as a growing residual), but the scale must come from what is left: a ramp inside the window would
/// otherwise inflate the MAD as fast as the residual grows and never be flagged.
fn detrend(v: &[f64]) -> Vec<f64> {
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
fn lag1_autocorrelation(v: &[f64], scale: f64) -> f64 {
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
fn is_usual(res: &[f64], end: usize, window: usize, r: f64) -> bool {
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
struct Episode {
    /// First flagged point.
    start: usize,
    /// First point back to normal, if any.
    end: Option<usize>,
    /// +1 for up, -1 for down.
    sign: f64,
    /// Points beyond the (hysteresis) threshold.
    active: usize,
}

/// Sequential pass: flags episodes and returns the clean history (points of lasting episodes replaced by their
/// expected values).
fn scan(x: &[f64], p: &Params, first: usize) -> (Vec<Episode>, Vec<f64>) {
    let n = x.len();
    let mut clean = x.to_vec();
    // Residuals of normal points and past spikes, for the usual-excursion envelope; NaN where unknown.
    let mut res = vec![f64::NAN; n];
    let mut exp = vec![f64::NAN; n];
    // Warm-up points cannot be judged but do show the usual excursions (bursts in a chronically noisy series).
    let mut warm = x[..first.min(n)].to_vec();
    if let Some(m) = median(&mut warm) {
        for (r, v) in res.iter_mut().zip(&x[..first.min(n)]) {
            *r = v - m;
        }
    }
    let mut episodes = Vec::new();
    // Open episode with its frozen scale and the length of the current run of normal points.
    let mut open: Option<(Episode, f64, usize)> = None;
    // Start, sign and level of the current run of points beyond the run level.
    let mut run: Option<(usize, f64, f64)> = None;
    for i in first..n {
        let Some(b) = baseline(&clean, i, p) else { continue };
        let e = b.expected(&clean, i);
        exp[i] = e;
        let r = x[i] - e;
        if let Some((ep, scale, quiet)) = open.as_mut() {
            // Keep the pre-incident baseline: the incident must not become its own history.
            clean[i] = e;
            if ep.sign * r / *scale >= p.threshold * HYSTERESIS {
                ep.active += 1;
                *quiet = 0;
                continue;
            }
            *quiet += 1;
            if *quiet < RECOVERY {
                continue;
            }
            // Back to normal means back near the baseline, not just under the hysteresis level: a slow ramp hovers
            // there for a while and must not be cut into pieces.
            let end = i + 1 - RECOVERY;
            let back: f64 = (end..=i).map(|k| ep.sign * (x[k] - exp[k]) / *scale).sum::<f64>() / RECOVERY as f64;
            if back > RECOVERED_Z {
                continue;
            }
            ep.end = Some(end);
            // Recovered points are normal history again, and so are spikes: medians shrug them off, and keeping
            // them teaches the scale and the envelope what a usual blip looks like.
            let from = if ep.active <= p.spike_max_points { ep.start } else { end };
            clean[from..=i].copy_from_slice(&x[from..=i]);
            for k in from..=i {
                res[k] = x[k] - exp[k];
            }
            if let Some((ep, _, _)) = open.take() {
                episodes.push(ep);
            }
            continue;
        }
        res[i] = r;
        let scale = b.scale_at(e);
        let z = r / scale;
        let sign = if z > 0.0 { 1.0 } else { -1.0 };
        if !(p.direction.allows(sign) && r.abs() >= p.min_abs_change) {
            run = None;
            continue;
        }
        // The run level is fixed when the run starts: later baselines contain the run itself, whose own
        // persistence would read as autocorrelation and raise the bar it has to clear.
        run = match run {
            Some((s, rs, level)) if rs == sign && sign * z >= level => Some((s, sign, level)),
            _ => {
                let level = b.run_level(p.threshold);
                (sign * z >= level).then_some((i, sign, level))
            }
        };
        let run_start = run.map_or(i, |(s, _, _)| s);
        let start = if sign * z >= p.threshold && !is_usual(&res, run_start, p.window, r) {
            Some(i)
        } else if run.is_some() && i + 1 - run_start >= SUSTAIN {
            Some(run_start)
        } else {
            None
        };
        if let Some(s) = start {
            run = None;
            // A relapse soon after a recovery in the same direction is the same incident (a slow ramp can dip
            // below the hysteresis level early on, an incident can flap): reopen the previous episode.
            let gap = RECOVERY.max(p.window / RELAPSE_WINDOW_DIVISOR);
            let relapse =
                episodes.last().is_some_and(|l: &Episode| l.sign == sign && l.end.is_some_and(|e| s <= e + gap));
            let (from, active) = match episodes.pop() {
                Some(last) if relapse => (last.start, last.active),
                last => {
                    episodes.extend(last);
                    (s, 0)
                }
            };
            clean[from..=i].copy_from_slice(&exp[from..=i]);
            res[from..=i].fill(f64::NAN);
            open = Some((Episode { start: from, end: None, sign, active: active + i + 1 - s }, scale, 0));
        }
    }
    if let Some((ep, _, _)) = open {
        episodes.push(ep);
    }
    (episodes, clean)
}

/// Best change point in residuals `r` (already signed so the change is positive), searched in `0..=kmax`.
/// Compares a step (constant shift from k on) with a ramp (linear growth from k on), each fitted by least squares
/// with the pre-change mean fixed at 0; returns the change index and whether the ramp fits better.
fn fit_change(r: &[f64], kmax: usize) -> (usize, bool) {
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
        // Ramp value at j is slope * (j - k + 1).
        let num = t[k] - (k as f64 - 1.0) * s[k];
        if num > 0.0 {
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
fn describe(ep: &Episode, x: &[f64], clean: &[f64], ts: &[i64], p: &Params, prev_end: usize) -> Option<Anomaly> {
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
    let (mut peak, mut peak_z) = (a, f64::NEG_INFINITY);
    for (j, &v) in x.iter().enumerate().take(end_idx).skip(onset) {
        let e = b.expected(clean, j);
        let z = ep.sign * (v - e) / b.scale_at(e);
        if z > peak_z {
            peak_z = z;
            peak = j;
        }
        expected.push(e);
        observed.push(v);
    }
    let score = if peak_z.is_nan() { 0.0 } else { peak_z.clamp(0.0, MAX_SCORE) };
    Some(Anomaly {
        onset: ts[onset],
        end: ep.end.map(|e| ts[e]),
        peak: ts[peak],
        baseline: median(&mut expected).unwrap_or(f64::NAN),
        observed: median(&mut observed).unwrap_or(f64::NAN),
        score,
        kind,
    })
}

#[cfg(test)]
mod tests {
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
            let configured =
                DetectorConfig { period_secs: Some(120 * STEP), detect_period: false, ..Default::default() };
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
}
