//! When a deviation counts as a finding: the gate every signal of the root-cause analysis passes.
//!
//! An analysis scans hundreds of series minute by minute, so by chance alone some of them wander far from their
//! baseline. "No cause" is only an honest answer if what survives is unlikely to be such chance, so a deviation
//! must clear three bars:
//! 1. **Enough data:** ratios stand on at least [`MIN_CALLS`] calls a minute (sparser minutes are pooled), and
//!    log-event series on at least [`MIN_EVENTS`] events over the data, so one request in three failing is not
//!    a 33% error rate.
//! 2. **An effect size that matters** against the same series' own baseline ([`meaningful`]): a disk going from
//!    47% to 49% can be statistically sharp and still explain nothing.
//! 3. **A correction for how many tests were made** ([`cutoff`]): every judged minute of every series is a test,
//!    and the episodes found are kept under the Benjamini-Hochberg procedure at a false discovery rate of
//!    [`FALSE_DISCOVERY_RATE`], reading each episode's combined z ([`crate::analysis::anomaly::Anomaly::evidence`])
//!    as a one-sided normal test. With more series tested, the bar rises; with many strong findings (a real
//!    incident lights up many series at once) it relaxes, as the procedure is meant to.

use serde::Serialize;

/// Expected share of false findings among the deviations kept. Chosen as a convention, not fitted to any data.
pub const FALSE_DISCOVERY_RATE: f64 = 0.01;

/// Fewest calls one point of a region's inbound series stands on (sparser minutes are pooled).
pub const MIN_CALLS: u64 = 3;

/// Fewest warning or error lines of one log template, over the data, for its rate to be tested at all.
pub const MIN_EVENTS: usize = 10;

/// What the gate did over one analysis, for people reading `incidents`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct GateReport {
    /// Series-minutes judged: the number of tests the correction is for.
    pub tests: usize,
    /// Deviations the detectors found (episodes that cleared their own thresholds and the effect size).
    pub found: usize,
    /// Of those, how many the correction kept.
    pub kept: usize,
    /// The combined z an episode needed, `None` when none was tested.
    pub cutoff: Option<f64>,
}

impl GateReport {
    /// One line: how many deviations were kept of how many tests.
    pub fn summary(&self) -> String {
        let cut = self.cutoff.filter(|c| c.is_finite()).map_or(String::new(), |c| format!(", combined z >= {c:.1}"));
        format!(
            "significance: kept {} of {} deviations found in {} series-minutes ({:.0}% false discovery rate{cut})",
            self.kept,
            self.found,
            self.tests,
            FALSE_DISCOVERY_RATE * 100.0
        )
    }
}

/// Whether a series is a share of something (0..1): ratios, utilizations, error rates.
pub fn is_fraction(what: &str) -> bool {
    let w = what.to_ascii_lowercase();
    ["ratio", "utilization", "errors on calls", "error_rate", "error.rate", "errorrate"].iter().any(|k| w.contains(k))
}

/// Whether a deviation of the series `what` from `baseline` to `observed` is big enough to matter to an operator,
/// whatever its z. `counted` series are log events per minute.
pub fn meaningful(what: &str, counted: bool, baseline: f64, observed: f64) -> bool {
    let delta = (observed - baseline).abs();
    let error_rate = what.contains("error_rate") || what.contains("error.rate");
    if error_rate {
        // One request in a hundred failing where none did is something users see.
        delta >= 0.01
    } else if is_fraction(what) {
        delta >= 0.04
    } else if counted {
        observed >= 2.0 * baseline && delta >= 3.0
    } else {
        delta >= 0.25 * baseline.abs()
    }
}

/// The combined z the findings must reach, given each finding's combined z (`evidence`) and the number of tests
/// made: Benjamini-Hochberg at rate `q`, which keeps the `k` strongest where `k` is the largest rank whose z
/// clears the one-sided level `k q / tests`. `f64::INFINITY` when none does (nothing is kept).
pub fn cutoff(evidence: &[f64], tests: usize, q: f64) -> f64 {
    let mut zs: Vec<f64> = evidence.iter().copied().filter(|z| !z.is_nan()).collect();
    zs.sort_by(|a, b| b.total_cmp(a));
    let m = tests.max(zs.len()).max(1) as f64;
    let mut cut = f64::INFINITY;
    for (i, &z) in zs.iter().enumerate() {
        if z >= tail_z((i + 1) as f64 * q / m) {
            cut = z;
        }
    }
    cut
}

/// The z whose upper normal tail is `p`: `P(Z > z) = p`, for p in (0, 1); infinite at the ends.
///
/// Written out because it is the only statistical function the crate needs: Acklam's rational approximation
/// (relative error under 1.2e-9, down to p = 1e-300), which a dependency would not make more exact.
pub fn tail_z(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    const P_LOW: f64 = 0.024_25;
    if p.is_nan() || p >= 1.0 {
        return f64::NEG_INFINITY;
    }
    if p <= 0.0 {
        return f64::INFINITY;
    }
    // The lower-tail quantile of probability `p`, negated.
    let tail = |p: f64| {
        let q = (-2.0 * p.ln()).sqrt();
        let num = ((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5];
        let den = (((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0;
        -num / den
    };
    if p < P_LOW {
        tail(p)
    } else if p > 1.0 - P_LOW {
        -tail(1.0 - p)
    } else {
        let q = p - 0.5;
        let r = q * q;
        let num = (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q;
        let den = ((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0;
        -num / den
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_z_matches_the_normal_table() {
        for (p, z) in [
            (0.5, 0.0),
            (0.05, 1.644_853_6),
            (0.025, 1.959_964),
            (1e-3, 3.090_232),
            (1e-7, 5.199_338),
            (1e-12, 7.034_484),
        ] {
            assert!((tail_z(p) - z).abs() < 1e-5, "p {p}: {} vs {z}", tail_z(p));
        }
        assert!((tail_z(0.95) + 1.644_853_6).abs() < 1e-5);
        assert_eq!(tail_z(0.0), f64::INFINITY);
        assert!(tail_z(1e-300).is_finite());
    }

    #[test]
    fn more_tests_raise_the_bar_for_one_finding() {
        // One finding of z 5: kept among 1,000 tests, not among 10 million.
        assert!(cutoff(&[5.0], 1_000, FALSE_DISCOVERY_RATE).is_finite());
        assert_eq!(cutoff(&[5.0], 10_000_000, FALSE_DISCOVERY_RATE), f64::INFINITY);
    }

    #[test]
    fn many_strong_findings_carry_a_weaker_one() {
        // Alone, z 4.9 does not clear the level 1% / 100,000 tests (z 5.2); as the 20th of 20 findings it only
        // needs the level 20 times that (z 4.6).
        let alone = cutoff(&[4.9], 100_000, FALSE_DISCOVERY_RATE);
        assert_eq!(alone, f64::INFINITY);
        let mut crowd = vec![9.0; 19];
        crowd.push(4.9);
        assert_eq!(cutoff(&crowd, 100_000, FALSE_DISCOVERY_RATE), 4.9);
    }

    #[test]
    fn nothing_found_keeps_nothing_and_nan_is_ignored() {
        assert_eq!(cutoff(&[], 500, FALSE_DISCOVERY_RATE), f64::INFINITY);
        assert_eq!(cutoff(&[f64::NAN, 12.0], 500, FALSE_DISCOVERY_RATE), 12.0);
    }

    #[test]
    fn effect_size_is_judged_against_the_series_own_baseline() {
        assert!(!meaningful("system.filesystem.utilization", false, 0.47, 0.49));
        assert!(meaningful("system.filesystem.utilization", false, 0.47, 0.95));
        assert!(meaningful("http.server.request.error_rate", false, 0.0, 0.012));
        assert!(!meaningful("error logs", true, 2.0, 3.5));
        assert!(meaningful("error logs", true, 2.0, 9.0));
        assert!(!meaningful("http.server.request.duration.p99", false, 0.20, 0.23));
        assert!(meaningful("http.server.request.duration.p99", false, 0.20, 0.90));
    }
}
