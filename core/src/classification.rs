//! Binary classification metrics from predicted probabilities grouped by value.
//!
//! The SQL layer aggregates `SELECT p, count(*) FILTER (WHERE y), count(*)
//! FILTER (WHERE NOT y) … GROUP BY p ORDER BY p`, so the input is one row per
//! distinct probability and everything here is O(groups). Rows sharing a
//! probability stay together, which is what makes the AUC's tie rule exact.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A row is predicted positive when its probability is at least this.
pub const THRESHOLD: f64 = 0.5;

/// Probabilities are clipped to [ε, 1 − ε] for the log loss, with ε = 1e-15 as
/// scikit-learn's `log_loss` did before 1.5 (newer releases clip at the machine
/// epsilon, 2.2e-16; the two agree unless a probability is within 1e-15 of 0 or 1).
pub const LOG_LOSS_EPS: f64 = 1e-15;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct BinaryMetrics {
    pub n: u64,
    pub n_positive: u64,
    /// Share of rows with y = true.
    pub base_rate: f64,
    /// Area under the ROC curve = P(p₊ > p₋) + ½P(p₊ = p₋) over positive/negative
    /// pairs (Mann–Whitney, ties counted ½); `None` when a class is absent.
    pub auc: Option<f64>,
    /// Mean −[y·ln p + (1 − y)·ln(1 − p)], p clipped to [`LOG_LOSS_EPS`].
    pub log_loss: f64,
    /// Mean (p − y)².
    pub brier: f64,
    /// [`THRESHOLD`]; the rest is at it (p ≥ threshold is predicted positive).
    pub threshold: f64,
    pub accuracy: f64,
    /// `None` when no row is predicted positive.
    pub precision: Option<f64>,
    /// `None` when no row is positive.
    pub recall: Option<f64>,
    /// 2TP / (2TP + FP + FN); `None` when no row is positive or predicted positive.
    pub f1: Option<f64>,
    pub true_positives: u64,
    pub false_positives: u64,
    pub true_negatives: u64,
    pub false_negatives: u64,
}

/// Metrics from `(p, positives, negatives)` groups, normally sorted by `p`
/// ascending with distinct `p` (as `GROUP BY p ORDER BY p` returns them); other
/// orders and repeated values are sorted and merged first.
///
/// Errors: no rows ([`Error::EmptyInput`]), or a probability that is NaN or
/// outside [0, 1] ([`Error::InvalidArgument`]).
pub fn binary_metrics(groups: &[(f64, u64, u64)]) -> Result<BinaryMetrics> {
    if let Some(&(p, _, _)) = groups.iter().find(|(p, _, _)| !(0.0..=1.0).contains(p)) {
        return Err(Error::InvalidArgument {
            what: "predicted probability".to_string(),
            reason: format!("{p} is not in [0, 1]"),
        });
    }
    let sorted = groups.windows(2).all(|w| w[0].0 < w[1].0);
    let merged: Vec<(f64, u64, u64)> = if sorted {
        groups.to_vec()
    } else {
        let mut v = groups.to_vec();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut out: Vec<(f64, u64, u64)> = Vec::with_capacity(v.len());
        for (p, pos, neg) in v {
            match out.last_mut() {
                // -0.0 and 0.0 are one probability.
                Some(last) if last.0 == p => {
                    last.1 += pos;
                    last.2 += neg;
                }
                _ => out.push((p, pos, neg)),
            }
        }
        out
    };

    let n_pos: u64 = merged.iter().map(|g| g.1).sum();
    let n_neg: u64 = merged.iter().map(|g| g.2).sum();
    let n = n_pos + n_neg;
    if n == 0 {
        return Err(Error::EmptyInput {
            source: "the classification metrics input".to_string(),
        });
    }
    let n_f = n as f64;

    // 2U = Σ over groups of positives × (2·negatives below + negatives tied), exact in integers.
    let auc = (n_pos > 0 && n_neg > 0).then(|| {
        let mut twice_u: u128 = 0;
        let mut neg_below: u128 = 0;
        for &(_, pos, neg) in &merged {
            twice_u += pos as u128 * (2 * neg_below + neg as u128);
            neg_below += neg as u128;
        }
        twice_u as f64 / (2.0 * n_pos as f64 * n_neg as f64)
    });

    let (mut log_loss, mut log_loss_comp) = (0.0, 0.0);
    let (mut brier, mut brier_comp) = (0.0, 0.0);
    let (mut tp, mut fp) = (0u64, 0u64);
    for &(p, pos, neg) in &merged {
        let clipped = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        let loss = pos as f64 * -clipped.ln() + neg as f64 * -(-clipped).ln_1p();
        neumaier_add(&mut log_loss, &mut log_loss_comp, loss);
        let sq = pos as f64 * (1.0 - p) * (1.0 - p) + neg as f64 * p * p;
        neumaier_add(&mut brier, &mut brier_comp, sq);
        if p >= THRESHOLD {
            tp += pos;
            fp += neg;
        }
    }
    let fn_ = n_pos - tp;
    let tn = n_neg - fp;
    let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    Ok(BinaryMetrics {
        n,
        n_positive: n_pos,
        base_rate: n_pos as f64 / n_f,
        auc,
        log_loss: (log_loss + log_loss_comp) / n_f,
        brier: (brier + brier_comp) / n_f,
        threshold: THRESHOLD,
        accuracy: (tp + tn) as f64 / n_f,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, n_pos),
        f1: ratio(2 * tp, 2 * tp + fp + fn_),
        true_positives: tp,
        false_positives: fp,
        true_negatives: tn,
        false_negatives: fn_,
    })
}

/// Metrics from unsorted `(probability, outcome)` scores, one per row: sorted, grouped
/// by probability, then as [`binary_metrics`]. O(n log n) time, no extra memory.
pub fn binary_metrics_from_scores(scores: &mut [(f64, bool)]) -> Result<BinaryMetrics> {
    scores.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut groups: Vec<(f64, u64, u64)> = Vec::new();
    for &(p, positive) in scores.iter() {
        let (pos, neg) = if positive { (1, 0) } else { (0, 1) };
        match groups.last_mut() {
            // -0.0 and 0.0 are one probability; NaN never equals and is rejected below.
            Some(last) if last.0 == p => {
                last.1 += pos;
                last.2 += neg;
            }
            _ => groups.push((p, pos, neg)),
        }
    }
    binary_metrics(&groups)
}

/// Is the score `p` in a deterministic sample of about `fraction` of the scores?
///
/// The decision hashes the probability's bits, so every row tied at one probability is
/// kept or dropped together (the AUC's ties stay whole), and a rerun keeps the same rows.
pub fn in_score_sample(p: f64, fraction: f64) -> bool {
    if fraction >= 1.0 {
        return true;
    }
    // splitmix64's finaliser; +0.0 for -0.0 so that equal probabilities hash equally.
    let mut z = (p + 0.0).to_bits().wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64) * (1.0 / (1u64 << 53) as f64) < fraction
}

fn neumaier_add(sum: &mut f64, comp: &mut f64, v: f64) {
    let t = *sum + v;
    if sum.abs() >= v.abs() {
        *comp += (*sum - t) + v;
    } else {
        *comp += (v - t) + *sum;
    }
    *sum = t;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_example_by_hand() {
        // Rows (p, y): (0.1, F), (0.4, T), (0.4, F), (0.8, T).
        // Pairs (pos, neg): (0.4, 0.1) win, (0.4, 0.4) tie, (0.8, 0.1) win, (0.8, 0.4) win → AUC 3.5/4.
        let m = binary_metrics(&[(0.1, 0, 1), (0.4, 1, 1), (0.8, 1, 0)]).unwrap();
        assert_eq!(m.auc, Some(0.875));
        assert_eq!((m.n, m.n_positive, m.base_rate), (4, 2, 0.5));
        let ll = -(0.9f64.ln() + 0.4f64.ln() + 0.6f64.ln() + 0.8f64.ln()) / 4.0;
        assert!((m.log_loss - ll).abs() < 1e-15);
        assert!((m.brier - (0.01 + 0.36 + 0.16 + 0.04) / 4.0).abs() < 1e-16);
        // Only 0.8 is predicted positive: TP 1, FP 0, FN 1, TN 2.
        assert_eq!(
            (
                m.true_positives,
                m.false_positives,
                m.false_negatives,
                m.true_negatives
            ),
            (1, 0, 1, 2)
        );
        assert_eq!(m.accuracy, 0.75);
        assert_eq!(m.precision, Some(1.0));
        assert_eq!(m.recall, Some(0.5));
        assert_eq!(m.f1, Some(2.0 / 3.0));
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<BinaryMetrics>(&json).unwrap(), m);
    }

    #[test]
    fn unsorted_and_repeated_groups_are_merged() {
        let sorted = binary_metrics(&[(0.1, 0, 1), (0.4, 1, 1), (0.8, 1, 0)]).unwrap();
        let shuffled = binary_metrics(&[(0.8, 1, 0), (0.4, 0, 1), (0.1, 0, 1), (0.4, 1, 0)]).unwrap();
        assert_eq!(shuffled, sorted);
    }

    #[test]
    fn scores_one_per_row_agree_with_groups() {
        // A second method: the same rows as per-row scores in a scrambled order.
        let mut scores = vec![(0.8, true), (0.4, false), (0.1, false), (0.4, true)];
        let grouped = binary_metrics(&[(0.1, 0, 1), (0.4, 1, 1), (0.8, 1, 0)]).unwrap();
        assert_eq!(binary_metrics_from_scores(&mut scores).unwrap(), grouped);
        assert_eq!(
            binary_metrics_from_scores(&mut [(-0.0, true), (0.0, false)])
                .unwrap()
                .auc,
            Some(0.5)
        );
        assert!(binary_metrics_from_scores(&mut [(f64::NAN, true)]).is_err());
    }

    #[test]
    fn score_sample_is_deterministic_and_near_its_fraction() {
        let n = 200_000;
        let kept = (0..n)
            .filter(|i| in_score_sample(*i as f64 / n as f64, 0.25))
            .count();
        // Binomial(200000, 0.25): sd ≈ 194, so ±1% of n is over 10 sd.
        assert!((kept as f64 / n as f64 - 0.25).abs() < 0.01, "{kept}");
        assert_eq!(in_score_sample(0.3, 0.5), in_score_sample(0.3, 0.5));
        assert_eq!(in_score_sample(-0.0, 0.5), in_score_sample(0.0, 0.5));
        assert!(in_score_sample(0.3, 1.0));
        assert!(!(0..1000).any(|i| in_score_sample(i as f64, 0.0)));
    }

    #[test]
    fn degenerate_inputs() {
        let one_class = binary_metrics(&[(0.2, 0, 3), (0.7, 0, 1)]).unwrap();
        assert_eq!(one_class.auc, None);
        assert_eq!(one_class.recall, None);
        assert_eq!(one_class.precision, Some(0.0));
        assert_eq!(one_class.f1, Some(0.0));
        let none_predicted = binary_metrics(&[(0.2, 1, 3)]).unwrap();
        assert_eq!(none_predicted.precision, None);
        assert_eq!(none_predicted.recall, Some(0.0));
        assert_eq!(none_predicted.f1, Some(0.0));
        assert_eq!(none_predicted.auc, Some(0.5)); // both classes, all tied
        assert!(matches!(binary_metrics(&[]), Err(Error::EmptyInput { .. })));
        assert!(matches!(
            binary_metrics(&[(0.5, 0, 0)]),
            Err(Error::EmptyInput { .. })
        ));
        for bad in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            assert!(matches!(
                binary_metrics(&[(bad, 1, 1)]),
                Err(Error::InvalidArgument { .. })
            ));
        }
    }

    #[test]
    fn threshold_is_inclusive_and_log_loss_is_clipped() {
        // p = 0.5 exactly is predicted positive.
        let m = binary_metrics(&[(0.5, 1, 1)]).unwrap();
        assert_eq!((m.true_positives, m.false_positives), (1, 1));
        assert_eq!(m.auc, Some(0.5));
        // p = 0 for a positive and p = 1 for a negative cost −ln(1e-15) each.
        let m = binary_metrics(&[(0.0, 1, 0), (1.0, 0, 1)]).unwrap();
        // 1 − 1e-15 rounds to 1 − 9.992e-16 in double precision, as in scikit-learn's np.clip.
        let clipped = (-(1e-15f64).ln() - (1.0 - (1.0 - 1e-15f64)).ln()) / 2.0;
        assert!(
            (m.log_loss - clipped).abs() < 1e-14 * clipped,
            "{} vs {clipped}",
            m.log_loss
        );
        assert_eq!(m.auc, Some(0.0));
        assert_eq!(m.brier, 1.0);
    }
}
