//! Anomaly detection on time series: metric series (latency, error ratio, CPU) and per-log-template event rates.
//!
//! Everything here is a pure, deterministic function over data: no I/O, no clock, no randomness, and no panics on
//! any input (NaN, infinities, empty, constant, unsorted or duplicated timestamps are all handled).
//!
//! Outline of [`detect`]:
//! 1. Clean the input: drop non-finite values, sort by time, average duplicate timestamps.
//! 2. Baseline per point from a trailing window of *clean* history: median level and MAD scale, or, when a
//!    seasonal period is configured or found by autocorrelation, the same phase of previous periods plus a
//!    median level correction. A level that drifts steadily (the medians of the thirds of the two windows before
//!    the latest one step evenly the same way) is followed along that drift, so a disk filling with the day's
//!    writes is not news while one filling faster is. Points flagged as anomalous are replaced by their expected
//!    value in that history, so an incident never becomes its own baseline.
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
    /// Strength of the episode as a whole, as one one-sided z: the mean z of its points times the square root of
    /// how many independent points they are worth (fewer when the series wanders, see [`Anomaly::evidence`]'s
    /// computation in `describe`), capped at 1e6. What a significance test across many series reads: a long
    /// shift of 4 sigma is stronger evidence than a two-minute blip of 7.
    pub evidence: f64,
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
/// A level's trend is followed when the medians of its window's thirds step the same way, the smaller step at
/// least this share of the larger, and the whole rise is at least `TREND_CLEAR` robust sigmas.
const TREND_EVENNESS: f64 = 0.5;
const TREND_CLEAR: f64 = 4.0;
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

mod scan;
#[cfg(test)]
mod tests;

use scan::{describe, median_and_scale, sanitize, scan, Params};
