//! Whether the confidence given with a suspected cause means what it says: the Brier score and a reliability
//! table (confidence bins against how often the answers in them were right).
//!
//! An answer of "no cause" with a confidence is scored like any other: its confidence is the probability that the
//! suspected cause is right, so a "no cause" answer counts as confidence 0 and is right when there was no cause.

use serde::Serialize;

/// One bin of the reliability table: answers whose confidence lay in `[from, to)` (the last bin includes 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub count: usize,
    /// Mean confidence of the answers in the bin.
    pub confidence: f64,
    /// Share of them that were right.
    pub accuracy: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    pub count: usize,
    /// Mean squared difference between confidence and outcome (0 right, 1 wrong): 0 is perfect, 0.25 is what a
    /// constant 50% earns.
    pub brier: f64,
    /// Expected calibration error: the bins' |confidence - accuracy|, weighted by their share of answers.
    pub ece: f64,
    /// Non-empty bins only, lowest first.
    pub bins: Vec<Bin>,
}

/// Calibration of `(confidence, correct)` pairs over `bins` equal-width bins of confidence. Confidences are clamped
/// to [0, 1]; non-finite ones are left out.
pub fn calibration(pairs: &[(f64, bool)], bins: usize) -> Calibration {
    let bins = bins.max(1);
    let pairs: Vec<(f64, bool)> =
        pairs.iter().filter(|(c, _)| c.is_finite()).map(|&(c, ok)| (c.clamp(0.0, 1.0), ok)).collect();
    let outcome = |ok: bool| if ok { 1.0 } else { 0.0 };
    let n = pairs.len();
    let brier =
        if n == 0 { 0.0 } else { pairs.iter().map(|&(c, ok)| (c - outcome(ok)).powi(2)).sum::<f64>() / n as f64 };
    let mut sums = vec![(0usize, 0.0f64, 0.0f64); bins];
    for &(c, ok) in &pairs {
        let i = ((c * bins as f64) as usize).min(bins - 1);
        sums[i].0 += 1;
        sums[i].1 += c;
        sums[i].2 += outcome(ok);
    }
    let width = 1.0 / bins as f64;
    let out: Vec<Bin> = sums
        .iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(i, &(count, conf, right))| Bin {
            from: i as f64 * width,
            to: (i + 1) as f64 * width,
            count,
            confidence: conf / count as f64,
            accuracy: right / count as f64,
        })
        .collect();
    let ece = if n == 0 {
        0.0
    } else {
        out.iter().map(|b| b.count as f64 / n as f64 * (b.confidence - b.accuracy).abs()).sum()
    };
    Calibration { count: n, brier, ece, bins: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_perfectly_sure_and_right_ranker_scores_zero_and_an_overconfident_one_does_not() {
        let right = calibration(&[(1.0, true), (0.0, false), (1.0, true)], 10);
        assert_eq!(right.brier, 0.0);
        assert_eq!(right.ece, 0.0);
        // 90% sure and right only half the time: Brier (0.01 + 0.81) / 2, a gap of 0.4 in the top bin.
        let over = calibration(&[(0.9, true), (0.9, false)], 10);
        assert!((over.brier - 0.41).abs() < 1e-9);
        assert!((over.ece - 0.4).abs() < 1e-9);
        assert_eq!(over.bins.len(), 1);
        assert!((over.bins[0].accuracy - 0.5).abs() < 1e-9);
    }

    #[test]
    fn bins_hold_their_answers_and_odd_inputs_are_handled() {
        let c =
            calibration(&[(0.05, false), (0.55, true), (0.58, false), (1.0, true), (f64::NAN, true), (1.7, true)], 10);
        assert_eq!(c.count, 5);
        let counts: Vec<(f64, usize)> = c.bins.iter().map(|b| (b.from, b.count)).collect();
        assert_eq!(counts.len(), 3);
        assert_eq!(counts[1].1, 2);
        // Confidence 1 (and 1.7 clamped) lands in the last bin.
        assert_eq!(c.bins[2].count, 2);
        assert!((c.bins[2].to - 1.0).abs() < 1e-9);
        assert_eq!(calibration(&[], 10).count, 0);
    }
}
