//! One pass, read from its state: everything a Newton step needs.

use crate::error::{Error, Result};
use crate::fit::flat_state::corrupt;
use crate::interrupt;

use super::state::{
    beta_offset, comoment_offset, gradient_offset, mean_offset, new_state, range_offset, validate_counts,
    LogitStateMut, LOGLIK_COMP_IDX, LOGLIK_IDX, N_CORRECT_IDX, N_IDX, N_PERFECT_IDX, N_POS_IDX, RESIDUAL_IDX,
    WEIGHT_IDX,
};
/// One pass, read from a state: everything a Newton step needs.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitPass {
    pub p: usize,
    pub n: u64,
    pub n_positive: u64,
    /// Rows on their class's side of η = 0, i.e. classified correctly at threshold ½.
    /// When that is every row, β separates the classes.
    pub n_correct: u64,
    /// Rows whose fitted probability is within 10·ε of their class ([`PERFECT_ETA`](super::PERFECT_ETA)).
    pub n_perfect: u64,
    /// Σ y·η − log(1 + e^η) at `beta` (not penalised).
    pub log_likelihood: f64,
    /// The coefficients the pass was accumulated at; `None` when it saw no row.
    pub beta: Option<Vec<f64>>,
    /// W = Σ μ(1 − μ).
    pub weight_sum: f64,
    /// Σ (y − μ).
    pub residual_sum: f64,
    /// Weighted means m of the features (weights μ(1 − μ)).
    pub mean: Vec<f64>,
    /// Σ (y − μ)(x − m).
    pub centred_gradient: Vec<f64>,
    /// Σ μ(1 − μ)(x − m)(x − m)ᵀ, p×p row-major.
    pub comoment: Vec<f64>,
    /// Per feature: min and max among rows with y = true (±∞ if there are none)…
    pub min_positive: Vec<f64>,
    pub max_positive: Vec<f64>,
    /// …and among rows with y = false.
    pub min_negative: Vec<f64>,
    pub max_negative: Vec<f64>,
}

impl LogitPass {
    /// Validates the whole state and unpacks it.
    pub fn from_state(buf: &[f64]) -> Result<LogitPass> {
        let p = validate_counts(buf)?;
        let n = buf[N_IDX] as u64;
        let n_positive = buf[N_POS_IDX] as u64;
        let ranges = &buf[range_offset(p)..];
        if let Some(pos) = buf[..range_offset(p)].iter().position(|v| !v.is_finite()) {
            return Err(if pos >= gradient_offset(p) && buf[pos].is_infinite() {
                Error::NumericOverflow {
                    what: "the weighted sum of squared deviations of the features".to_string(),
                }
            } else {
                Error::CorruptState {
                    reason: format!("element {} is {}", pos + 1, buf[pos]),
                }
            });
        }
        for (class, count) in [(0, n_positive), (1, n - n_positive)] {
            let block = &ranges[2 * p * class..2 * p * (class + 1)];
            let (mins, maxs) = block.split_at(p);
            let ok = if count == 0 {
                mins.iter().all(|v| *v == f64::INFINITY) && maxs.iter().all(|v| *v == f64::NEG_INFINITY)
            } else {
                mins.iter()
                    .zip(maxs)
                    .all(|(lo, hi)| lo.is_finite() && hi.is_finite() && lo <= hi)
            };
            if !ok {
                return corrupt(format!(
                    "feature ranges of class {} do not match its {count} row(s)",
                    class == 0
                ));
            }
        }
        let weight_sum = buf[WEIGHT_IDX];
        if weight_sum < 0.0 {
            return corrupt(format!("negative weight sum {weight_sum}"));
        }
        let packed = &buf[comoment_offset(p)..range_offset(p)];
        let mut comoment = vec![0.0; p * p];
        let mut k = 0;
        for i in 0..p {
            for j in i..p {
                comoment[i * p + j] = packed[k];
                comoment[j * p + i] = packed[k];
                k += 1;
            }
            if comoment[i * p + i] < 0.0 {
                return corrupt(format!("negative weighted sum of squares for feature {}", i + 1));
            }
        }
        let slice = |offset: usize, len: usize| buf[offset..offset + len].to_vec();
        Ok(LogitPass {
            p,
            n,
            n_positive,
            n_correct: buf[N_CORRECT_IDX] as u64,
            n_perfect: buf[N_PERFECT_IDX] as u64,
            log_likelihood: buf[LOGLIK_IDX] + buf[LOGLIK_COMP_IDX],
            beta: (n > 0).then(|| slice(beta_offset(), p + 1)),
            weight_sum,
            residual_sum: buf[RESIDUAL_IDX],
            mean: slice(mean_offset(p), p),
            centred_gradient: slice(gradient_offset(p), p),
            comoment,
            min_positive: ranges[..p].to_vec(),
            max_positive: ranges[p..2 * p].to_vec(),
            min_negative: ranges[2 * p..3 * p].to_vec(),
            max_negative: ranges[3 * p..].to_vec(),
        })
    }

    /// The pass over in-memory rows at `beta` (tests, [`fit_lbfgs`](super::fit_lbfgs)).
    ///
    /// # Panics
    /// If `p > MAX_FEATURES` or a row or `beta` has the wrong length.
    pub fn from_rows<'r>(
        p: usize,
        rows: impl IntoIterator<Item = (bool, &'r [f64])>,
        beta: &[f64],
    ) -> Result<Self> {
        let mut buf = new_state(p);
        let mut state = LogitStateMut::new(&mut buf)?;
        for (i, (y, x)) in rows.into_iter().enumerate() {
            interrupt::check_every(i);
            state.push(y, x, beta);
        }
        LogitPass::from_state(&buf)
    }

    pub fn n_negative(&self) -> u64 {
        self.n - self.n_positive
    }

    /// The gradient Xᵀ(y − μ) of the log-likelihood in the raw coordinates
    /// [intercept, b…] (for inspection; the solver uses the centred form).
    pub fn gradient(&self) -> Vec<f64> {
        let mut g = Vec::with_capacity(self.p + 1);
        g.push(self.residual_sum);
        g.extend(
            self.centred_gradient
                .iter()
                .zip(&self.mean)
                .map(|(gc, m)| gc + m * self.residual_sum),
        );
        g
    }

    /// The information matrix XᵀWX in the raw coordinates, (p+1)² row-major.
    pub fn information(&self) -> Vec<f64> {
        let (p, k, w) = (self.p, self.p + 1, self.weight_sum);
        let mut h = vec![0.0; k * k];
        h[0] = w;
        for i in 0..p {
            h[i + 1] = w * self.mean[i];
            h[(i + 1) * k] = w * self.mean[i];
            for j in 0..p {
                h[(i + 1) * k + j + 1] = self.comoment[i * p + j] + w * self.mean[i] * self.mean[j];
            }
        }
        h
    }
}
