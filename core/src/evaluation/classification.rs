//! Binary classification metrics from predicted probabilities grouped by value.
//!
//! Rows sharing a probability are one group, which is what makes the AUC's tie rule
//! exact. The input is either one `(p, positives, negatives)` group per distinct
//! probability ([`binary_metrics`]) or one packed score per row
//! ([`binary_metrics_from_packed`], which `cltv_binary_metrics` keeps in its state);
//! after sorting, everything is one pass over the groups.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::flat_state::neumaier_add;

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
    let mut sums = GroupSums::default();
    if groups.windows(2).all(|w| w[0].0 < w[1].0) {
        groups.iter().for_each(|&(p, pos, neg)| sums.add(p, pos, neg));
    } else {
        let mut sorted = groups.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Repeated values (and -0.0 beside 0.0) tie: one group.
        for run in sorted.chunk_by(|a, b| a.0 == b.0) {
            let (pos, neg) = run.iter().fold((0, 0), |(p, n), g| (p + g.1, n + g.2));
            sums.add(run[0].0, pos, neg);
        }
    }
    sums.finish()
}

/// One `(probability, outcome)` score in 64 bits: the bits of p shifted left by one, the
/// outcome in the lowest bit. For p in [0, 1] the packed scores sort as (p, y) do, and
/// read as a float8 they are finite (the exponent stays below 0x7FF), so an aggregate's
/// `float8[]` state of them survives a text round trip.
pub fn pack_score(p: f64, positive: bool) -> u64 {
    // +0.0 for -0.0, so that the two are one probability.
    ((p + 0.0).to_bits() << 1) | positive as u64
}

/// The probability of a packed score.
pub fn packed_probability(score: u64) -> f64 {
    f64::from_bits(score >> 1)
}

/// Metrics from packed scores ([`pack_score`]), one per row, in any order: sorted in
/// place, then summed over runs of tied probabilities as [`binary_metrics`] does.
/// O(n log n) time, no extra memory.
pub fn binary_metrics_from_packed(scores: &mut [u64]) -> Result<BinaryMetrics> {
    scores.sort_unstable();
    if let Some(&last) = scores.last() {
        let p = packed_probability(last);
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::InvalidArgument {
                what: "predicted probability".to_string(),
                reason: format!("{p} is not in [0, 1]"),
            });
        }
    }
    let mut sums = GroupSums::default();
    for run in scores.chunk_by(|a, b| a >> 1 == b >> 1) {
        // Within a run the negatives (y = 0) sort first.
        let neg = run.partition_point(|s| s & 1 == 0) as u64;
        sums.add(packed_probability(run[0]), run.len() as u64 - neg, neg);
    }
    sums.finish()
}

/// The metrics' sums over groups of tied probabilities, fed in ascending order.
#[derive(Default)]
struct GroupSums {
    n_pos: u64,
    n_neg: u64,
    /// 2U = Σ over groups of positives × (2·negatives below + negatives tied), exact in
    /// integers.
    twice_u: u128,
    log_loss: (f64, f64),
    brier: (f64, f64),
    true_positives: u64,
    false_positives: u64,
}

impl GroupSums {
    fn add(&mut self, p: f64, pos: u64, neg: u64) {
        self.twice_u += pos as u128 * (2 * self.n_neg as u128 + neg as u128);
        self.n_pos += pos;
        self.n_neg += neg;
        let clipped = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
        // Only the logarithms a group needs: most groups are a single row.
        let mut loss = 0.0;
        if pos > 0 {
            loss += pos as f64 * -clipped.ln();
        }
        if neg > 0 {
            // ln(1 − p) as scikit-learn computes it (`xlogy(1 − y, 1 − p)`); `ln` is about
            // twice as fast as `ln_1p`, and p ≥ 1e-15 here, so nothing is lost that matters.
            loss += neg as f64 * -(1.0 - clipped).ln();
        }
        neumaier_add(&mut self.log_loss.0, &mut self.log_loss.1, loss);
        let sq = pos as f64 * (1.0 - p) * (1.0 - p) + neg as f64 * p * p;
        neumaier_add(&mut self.brier.0, &mut self.brier.1, sq);
        if p >= THRESHOLD {
            self.true_positives += pos;
            self.false_positives += neg;
        }
    }

    fn finish(self) -> Result<BinaryMetrics> {
        let (n_pos, n_neg) = (self.n_pos, self.n_neg);
        let n = n_pos + n_neg;
        if n == 0 {
            return Err(Error::EmptyInput {
                source: "the classification metrics input".to_string(),
            });
        }
        let n_f = n as f64;
        let auc = (n_pos > 0 && n_neg > 0).then(|| self.twice_u as f64 / (2.0 * n_pos as f64 * n_neg as f64));
        let (tp, fp) = (self.true_positives, self.false_positives);
        let fn_ = n_pos - tp;
        let tn = n_neg - fp;
        let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        Ok(BinaryMetrics {
            n,
            n_positive: n_pos,
            base_rate: n_pos as f64 / n_f,
            auc,
            log_loss: (self.log_loss.0 + self.log_loss.1) / n_f,
            brier: (self.brier.0 + self.brier.1) / n_f,
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
        let pack = |rows: &[(f64, bool)]| rows.iter().map(|&(p, y)| pack_score(p, y)).collect::<Vec<_>>();
        let mut scores = pack(&[(0.8, true), (0.4, false), (0.1, false), (0.4, true)]);
        let grouped = binary_metrics(&[(0.1, 0, 1), (0.4, 1, 1), (0.8, 1, 0)]).unwrap();
        assert_eq!(binary_metrics_from_packed(&mut scores).unwrap(), grouped);
        assert_eq!(
            binary_metrics_from_packed(&mut pack(&[(-0.0, true), (0.0, false)]))
                .unwrap()
                .auc,
            Some(0.5)
        );
        assert!(binary_metrics_from_packed(&mut pack(&[(f64::NAN, true)])).is_err());
        assert!(binary_metrics_from_packed(&mut pack(&[(0.3, false), (1.5, true)])).is_err());
    }

    #[test]
    fn packed_scores_sort_as_probabilities_and_stay_finite_floats() {
        let ps = [0.0, 5e-324, 1e-300, 0.25, 0.5, 0.5000000000000001, 1.0];
        let packed: Vec<u64> = ps
            .iter()
            .flat_map(|&p| [pack_score(p, false), pack_score(p, true)])
            .collect();
        assert!(packed.windows(2).all(|w| w[0] < w[1]));
        for (&p, pair) in ps.iter().zip(packed.chunks(2)) {
            assert_eq!(packed_probability(pair[0]), p);
            assert!(f64::from_bits(pair[1]).is_finite());
        }
    }

    #[test]
    fn many_scores_agree_with_pairs_counted_directly() {
        // A second method: the AUC as the share of (positive, negative) pairs ordered
        // right, ties ½, counted pair by pair; probabilities on a coarse grid so that
        // many rows tie.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        let rows: Vec<(f64, bool)> = (0..600)
            .map(|_| {
                let p = (next() * 40.0).floor() / 40.0;
                (p, next() < p)
            })
            .collect();
        let (mut wins, mut pairs) = (0.0, 0.0);
        for &(pp, yp) in &rows {
            for &(pn, yn) in &rows {
                if yp && !yn {
                    pairs += 1.0;
                    wins += if pp > pn {
                        1.0
                    } else if pp == pn {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        let mut packed: Vec<u64> = rows.iter().map(|&(p, y)| pack_score(p, y)).collect();
        let m = binary_metrics_from_packed(&mut packed).unwrap();
        assert!((m.auc.unwrap() - wins / pairs).abs() < 1e-15);
        let log_loss = rows
            .iter()
            .map(|&(p, y)| {
                let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
                -if y { p.ln() } else { (1.0 - p).ln() }
            })
            .sum::<f64>()
            / rows.len() as f64;
        assert!((m.log_loss - log_loss).abs() < 1e-12 * log_loss);
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
