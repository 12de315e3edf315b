//! Logistic regression by Newton/IRLS, one parallel aggregate pass per
//! iteration, with statsmodels-compatible inference; and linfa-logistic's
//! L-BFGS as an in-memory alternative ([`fit_lbfgs`]).
//!
//! # Objective
//!
//! With η = β₀ + bᵀx and μ = σ(η), the fit maximises
//!
//! ```text
//! Q(β) = loglik(β) − (l2/2)·‖b‖²,   loglik(β) = Σ y·η − log(1 + e^η)
//! ```
//!
//! i.e. minimises −loglik(β) + (l2/2)·‖b‖², with the intercept β₀ NOT
//! penalised and no 1/n factor. That is scikit-learn's
//! `LogisticRegression(C = 1/l2)` objective ½‖w‖² + C·Σ logloss, multiplied by
//! l2 (and `l2 = 0` is the plain maximum-likelihood fit of statsmodels'
//! `Logit`). A penalised fit has no classical sampling distribution, so its
//! standard errors, z and p values, confidence intervals and `cov_params`
//! are `None` (as for ridge in [`crate::ols`]); its `df_model` is the
//! effective number of parameters tr(H(H + l2·I)⁻¹) over the slopes, which the
//! LR test, AIC and BIC then use.
//!
//! # Driving the iterations
//!
//! Each iteration is one pass over the rows: the SQL aggregate folds every row
//! into a state buffer ([`new_state`], [`LogitStateMut::push`] at the current
//! coefficients, [`LogitStateMut::merge`] for parallel workers), then
//! [`LogitPass::from_state`] reads it and [`newton_step`] (stateless) or
//! [`Irls::step`] (keeps the history, so it can halve steps) turns it into the
//! next coefficients, or into the fit once converged.
//!
//! Convergence (both needed; scale s = |loglik| + 0.1, as R's `glm.fit` scales
//! its deviance criterion):
//! * the log-likelihood changed by at most `tol·s` since the previous pass, and
//! * the next Newton step is negligible: its predicted gain ½gᵀH⁻¹g is at most
//!   `tol·s` (the step measured in standard-error units), and no coefficient
//!   moves by more than √tol relative (for a slope, measured as the change of
//!   η across the feature's range of values, so that diverging coefficients
//!   under separation are never mistaken for convergence).
//!
//! On convergence the fit reports the coefficients of that last pass when the
//! negligible step would change no row's linear predictor by more than
//! [`NEGLIGIBLE_ETA_CHANGE`] (so the log-likelihood and standard errors are exactly
//! those of the reported coefficients, and `cltv_train` can take its training metrics
//! from the same pass); otherwise, the coefficients after that step, with standard
//! errors from the Hessian of the pass, as R's `glm.fit` does.
//!
//! # Refusals
//!
//! Every pass is checked (all O(p), from counters the state carries): no rows,
//! a single class ([`Error::SingleClass`]), fewer than p + 2 rows, and, without
//! a penalty, constant features (by their range) and separation, which leaves
//! the maximum-likelihood estimate undefined ([`Error::Separation`]):
//! * a feature whose values among y = true and y = false do not overlap, or only
//!   touch at one value (quasi-complete), is named, from the per-class minima and
//!   maxima, before any step is taken;
//! * an iterate whose linear predictor puts every row on its class's side of
//!   η = 0 proves complete separation by a combination of features;
//! * a log-likelihood that has settled while a coefficient still moves by more
//!   than [`DIVERGING_STEP`] relative and rows are fitted with probability
//!   numerically 0 or 1 ([`PERFECT_ETA`]) is quasi-complete separation; so is a
//!   Hessian that turns singular after the first pass with such rows.
//!
//! Collinearity is judged on the first pass at zero slopes, where the weights
//! are all equal and the check is exactly that of [`crate::ols`].
//! With `l2 > 0` constant and collinear features are allowed (coefficient 0 for
//! a constant one) and separation does not arise.
//!
//! # Numerics
//!
//! The state keeps the weighted (w = μ(1−μ)) means of the features and the
//! weighted co-moments about them (West's weighted Welford update, merged with
//! Chan et al.'s pairwise formula), and the gradient about the same means, so
//! features with large means (dates, amounts) do not cancel digits. In these
//! centred coordinates the Newton system is block diagonal: the intercept
//! separates, and the slopes are solved with the pivot-free Cholesky of
//! [`crate::linalg`] after scaling the Hessian to unit diagonal, as
//! [`crate::ols`] does. Log-likelihood terms use log1p/exp forms that never
//! overflow and are summed with Neumaier compensation.

use ndarray::{Array1, Array2};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::interrupt;
use crate::limits::try_vec;
use crate::linalg::{cholesky, Cholesky};
use crate::model::{linear_predictor, sigmoid};
use crate::ols::{COLLINEAR_TOL, CONFIDENCE_LEVEL, CONSTANT_REL_TOL, DEPENDENCY_WEIGHT_TOL, INTERCEPT_TERM};
use crate::stats::{chi2_sf, normal_quantile, normal_two_sided_p};
use crate::suffstats::MAX_FEATURES;

/// Tag and version of the state layout. Far from the small integers of the
/// linear-regression state, so neither can be misread as the other.
pub const LAYOUT_VERSION: f64 = 1001.0;

const VERSION_IDX: usize = 0;
const P_IDX: usize = 1;
const N_IDX: usize = 2;
const N_POS_IDX: usize = 3;
const N_CORRECT_IDX: usize = 4;
const N_PERFECT_IDX: usize = 5;
const LOGLIK_IDX: usize = 6;
const LOGLIK_COMP_IDX: usize = 7;
const WEIGHT_IDX: usize = 8;
const RESIDUAL_IDX: usize = 9;
/// Header length; the per-feature blocks follow.
pub const HEADER_LEN: usize = 10;

/// A row counts as fitted perfectly when its probability is within 10·ε of
/// its class (R's `glm.fit` warns at the same point): (2y − 1)·η ≥ ln(1/(10ε)).
pub const PERFECT_ETA: f64 = 33.738_869_901_539_5;

/// A Newton step that still moves some coefficient by more than this (relative, as in
/// the convergence test) after the log-likelihood has settled means divergence.
pub const DIVERGING_STEP: f64 = 1e-3;

/// Largest number of consecutive step halvings in [`Irls::step`].
pub const MAX_HALVINGS: u32 = 40;
/// A converged fit keeps the last pass's own coefficients when the final Newton step
/// would move no training row's linear predictor by more than this (a probability by at
/// most a quarter of it): then the log-likelihood, the Hessian and anything else the pass
/// evaluated are exactly those of the reported coefficients.
pub const NEGLIGIBLE_ETA_CHANGE: f64 = 1e-10;

/// L-BFGS iterations allowed per linfa run in [`fit_lbfgs`], per unit of `max_iter`.
pub const LBFGS_ITERATIONS_PER_MAX_ITER: u64 = 100;
/// linfa runs in [`fit_lbfgs`] (each warm-started from the previous one).
pub const LBFGS_RUNS: u32 = 3;
/// L-BFGS gradient-norm tolerance, per row (the objective is a sum over rows).
pub const LBFGS_GRADIENT_TOL_PER_ROW: f64 = 1e-10;
/// Work (rows × (features + 1)) of the L-BFGS iterations of one linfa call in
/// [`fit_lbfgs`]: linfa's solver cannot be interrupted, so a big fit runs in chunks of
/// iterations, each warm-started from the previous one, with an interrupt check between
/// them. Each iteration costs a few passes over the rows, so a chunk takes well under a
/// second even in a debug build. Fits small enough for the whole iteration budget in one
/// chunk (work × `max_iter` × 100 at most this) run exactly as one linfa call.
pub const LBFGS_CHUNK_WORK: u64 = 200_000_000;

/// The bytes the lbfgs path holds per training row with `p` features (for
/// `cltv.max_training_memory`): the row as the query returns it (a tuple of about
/// 64 + 8p bytes), as read (p values and a target), linfa's standardised copy (p) and its
/// targets and per-evaluation temporaries (about 4 values), 8 bytes each.
pub const fn lbfgs_bytes_per_row(p: usize) -> u64 {
    64 + 8 * (3 * p as u64 + 5)
}

/// Iterations of one linfa call in [`fit_lbfgs`]: the whole `max_iterations` for a small
/// fit, else as many as [`LBFGS_CHUNK_WORK`] allows (at least 1).
pub fn lbfgs_chunk_iterations(n: usize, p: usize, max_iterations: u64) -> u64 {
    chunk_iterations(n, p, max_iterations, LBFGS_CHUNK_WORK)
}

fn chunk_iterations(n: usize, p: usize, max_iterations: u64, chunk_work: u64) -> u64 {
    let per_iteration = (n as u64).saturating_mul(p as u64 + 1).max(1);
    (chunk_work / per_iteration).clamp(1, max_iterations.max(1))
}

const fn packed_len(d: usize) -> usize {
    d * (d + 1) / 2
}

const fn beta_offset() -> usize {
    HEADER_LEN
}
const fn mean_offset(p: usize) -> usize {
    HEADER_LEN + p + 1
}
const fn gradient_offset(p: usize) -> usize {
    mean_offset(p) + p
}
const fn comoment_offset(p: usize) -> usize {
    gradient_offset(p) + p
}
const fn range_offset(p: usize) -> usize {
    comoment_offset(p) + packed_len(p)
}

/// Length of the state for `p` features.
///
/// | index                  | content                                                   |
/// |------------------------|-----------------------------------------------------------|
/// | 0                      | [`LAYOUT_VERSION`]                                        |
/// | 1                      | p                                                         |
/// | 2, 3                   | n, rows with y = true                                     |
/// | 4                      | rows on their class's side of η = 0: (2y − 1)·η > 0        |
/// | 5                      | rows fitted perfectly: (2y − 1)·η ≥ [`PERFECT_ETA`]       |
/// | 6, 7                   | log-likelihood and its Neumaier compensation              |
/// | 8                      | W = Σw, w = μ(1−μ)                                        |
/// | 9                      | Σ(y − μ), the intercept's gradient                        |
/// | 10 .. 10+p+1           | β the pass was accumulated at (set by the first row)      |
/// | then p                 | weighted means m of the features                          |
/// | then p                 | centred gradient Σ(y − μ)(x − m)                          |
/// | then p(p+1)/2          | weighted co-moments Σw(x − m)(x − m)ᵀ, packed upper, row by row |
/// | then 4p                | min and max of each feature among y = true, then among y = false |
///
/// Together these are Xᵀ(y − μ) (p+1 values) and XᵀWX ((p+1)(p+2)/2 values) in
/// centred form, plus the separation diagnostics.
pub const fn state_len(p: usize) -> usize {
    range_offset(p) + 4 * p
}

/// A fresh state: header set, sums zero, minima +∞ and maxima −∞.
///
/// # Panics
/// If `p > MAX_FEATURES`; the SQL layer checks the feature count first.
pub fn new_state(p: usize) -> Vec<f64> {
    assert!(
        p <= MAX_FEATURES,
        "at most {MAX_FEATURES} features are supported, got {p}"
    );
    let mut buf = vec![0.0; state_len(p)];
    buf[VERSION_IDX] = LAYOUT_VERSION;
    buf[P_IDX] = p as f64;
    let r = range_offset(p);
    for class in 0..2 {
        let base = r + 2 * p * class;
        buf[base..base + p].fill(f64::INFINITY);
        buf[base + p..base + 2 * p].fill(f64::NEG_INFINITY);
    }
    buf
}

/// A non-negative integer below 2^53 stored as f64.
#[inline]
fn as_count(v: f64) -> Option<u64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    if (0.0..LIMIT).contains(&v) && (v as u64) as f64 == v {
        Some(v as u64)
    } else {
        None
    }
}

fn corrupt<T>(reason: String) -> Result<T> {
    Err(Error::CorruptState { reason })
}

/// Version, feature count and length; O(1), it runs on every row.
fn validate_header(buf: &[f64]) -> Result<usize> {
    if buf.len() < HEADER_LEN {
        return corrupt(format!(
            "array has {} element(s), a logistic state has at least {HEADER_LEN}",
            buf.len()
        ));
    }
    if buf[VERSION_IDX] != LAYOUT_VERSION {
        return corrupt(format!(
            "layout version is {}, expected {LAYOUT_VERSION} (a logistic regression state)",
            buf[VERSION_IDX]
        ));
    }
    let p = match as_count(buf[P_IDX]) {
        Some(p) if p <= MAX_FEATURES as u64 => p as usize,
        _ => {
            return corrupt(format!(
                "feature count {} is not an integer in 0..={MAX_FEATURES}",
                buf[P_IDX]
            ))
        }
    };
    if buf.len() != state_len(p) {
        return corrupt(format!(
            "array has {} elements, a logistic state for {p} feature(s) has {}",
            buf.len(),
            state_len(p)
        ));
    }
    Ok(p)
}

/// The feature count of a logistic state at the front of `buf`, which may go on after it
/// (as in [`crate::scored_pass`]).
pub fn prefix_features(buf: &[f64]) -> Result<usize> {
    let p = match buf.get(P_IDX).copied().and_then(as_count) {
        Some(p) if p <= MAX_FEATURES as u64 => p as usize,
        _ => return validate_header(buf),
    };
    validate_header(&buf[..state_len(p).min(buf.len())])
}

/// Header plus the counters.
fn validate_counts(buf: &[f64]) -> Result<usize> {
    let p = validate_header(buf)?;
    let mut counts = [0u64; 4];
    for (slot, (idx, name)) in counts.iter_mut().zip([
        (N_IDX, "row count"),
        (N_POS_IDX, "positive row count"),
        (N_PERFECT_IDX, "perfectly fitted row count"),
        (N_CORRECT_IDX, "correctly classified row count"),
    ]) {
        *slot = as_count(buf[idx]).ok_or_else(|| Error::CorruptState {
            reason: format!("{name} {} is not a non-negative integer", buf[idx]),
        })?;
    }
    if counts[1] > counts[0] || counts[2] > counts[3] || counts[3] > counts[0] {
        return corrupt(format!(
            "{} positive, {} perfectly fitted and {} correctly classified row(s) out of {}",
            counts[1], counts[2], counts[3], counts[0]
        ));
    }
    Ok(p)
}

/// The error for a pass whose rows (or partial states) have different coefficients.
fn beta_changed(first: &[f64], now: &[f64]) -> Error {
    let show = |beta: &[f64]| {
        if beta.len() <= 6 {
            crate::score_state::list(beta)
        } else {
            let head: Vec<String> = beta[..4].iter().map(|v| crate::error::float_name(*v)).collect();
            format!("{{{},…}} ({} coefficients)", head.join(","), beta.len())
        }
    };
    Error::ArgumentChanged {
        argument: "beta".into(),
        first: show(first),
        now: show(now),
    }
}

/// Neumaier's compensated addition of `v` to the sum `(sum, comp)`.
#[inline(always)]
fn neumaier_add(sum: &mut f64, comp: &mut f64, v: f64) {
    let t = *sum + v;
    if sum.abs() >= v.abs() {
        *comp += (*sum - t) + v;
    } else {
        *comp += (v - t) + *sum;
    }
    *sum = t;
}

/// Mutable view over a state array (typically the aggregate's own `float8[]`).
pub struct LogitStateMut<'a> {
    buf: &'a mut [f64],
    p: usize,
}

impl<'a> LogitStateMut<'a> {
    /// Validates version, feature count and length (O(1), cheap enough for
    /// every transition; [`Self::merge`] and [`LogitPass::from_state`] check the rest).
    pub fn new(buf: &'a mut [f64]) -> Result<Self> {
        let p = validate_header(buf)?;
        Ok(LogitStateMut { buf, p })
    }

    pub fn p(&self) -> usize {
        self.p
    }

    pub fn n(&self) -> u64 {
        self.buf[N_IDX] as u64
    }

    /// Checks that `beta` has p + 1 coefficients and, once the pass holds a row, that it
    /// is the `beta` the pass began with (a pass is at one point; a `beta` that varies by
    /// row is refused, not taken from the first row).
    pub fn check_beta(&self, beta: &[f64]) -> Result<()> {
        let recorded = &self.buf[beta_offset()..beta_offset() + self.p + 1];
        if beta.len() != self.p + 1 {
            return Err(Error::ArgumentChanged {
                argument: "beta".into(),
                first: format!("{} coefficient(s)", self.p + 1),
                now: format!("{} coefficient(s)", beta.len()),
            });
        }
        if self.buf[N_IDX] > 0.0 && recorded != beta {
            return Err(beta_changed(recorded, beta));
        }
        Ok(())
    }

    /// [`Self::push`] after checking the row's lengths and `beta` ([`Self::check_beta`]):
    /// for callers whose arrays come from SQL.
    pub fn try_push(&mut self, y: bool, x: &[f64], beta: &[f64]) -> Result<f64> {
        self.check_beta(beta)?;
        if x.len() != self.p {
            return Err(Error::WrongArrayLength {
                expected: self.p,
                got: x.len(),
            });
        }
        Ok(self.push(y, x, beta))
    }

    /// Folds one row into the pass at coefficients `beta = [intercept, b1..bp]`,
    /// which must be the same for every row of a pass (the first row records it,
    /// and [`Self::merge`] checks that partial states agree).
    ///
    /// Hot path: no allocation, one `exp` and one `ln`, and one pass over
    /// the packed triangle. The caller guarantees that `x` and `beta` are finite.
    ///
    /// # Panics
    /// If `x.len() != p` or `beta.len() != p + 1`.
    #[inline]
    ///
    /// Returns the row's probability μ = σ(η), bit for bit what scoring computes for it
    /// (`model::sigmoid` of `model::linear_predictor`).
    pub fn push(&mut self, y: bool, x: &[f64], beta: &[f64]) -> f64 {
        assert_eq!(x.len(), self.p, "push: expected {} feature values", self.p);
        assert_eq!(
            beta.len(),
            self.p + 1,
            "push: expected {} coefficients",
            self.p + 1
        );
        const SMALL: usize = 32;
        if self.p < SMALL {
            let mut delta = [0.0; SMALL];
            self.push_with_scratch(y, x, beta, &mut delta[..self.p])
        } else {
            let mut delta = [0.0; MAX_FEATURES];
            self.push_with_scratch(y, x, beta, &mut delta[..self.p])
        }
    }

    #[inline(always)]
    fn push_with_scratch(&mut self, y: bool, x: &[f64], beta: &[f64], delta: &mut [f64]) -> f64 {
        let p = self.p;
        let buf = &mut *self.buf;
        if buf[N_IDX] == 0.0 {
            buf[beta_offset()..beta_offset() + p + 1].copy_from_slice(beta);
        }
        let eta = linear_predictor(beta[0], &beta[1..], x);

        // With e = exp(−|η|) ∈ (0, 1]: σ(|η|) = 1/(1+e), σ(−|η|) = e/(1+e),
        // w = μ(1−μ) = e/(1+e)², and log(1 + e^{±η}) = max(±η, 0) + log1p(e). μ is formed
        // as `model::sigmoid` forms it.
        let e = (-eta.abs()).exp();
        let inv = 1.0 / (1.0 + e);
        let (mu, one_minus_mu) = if eta >= 0.0 {
            (inv, e * inv)
        } else {
            (e / (1.0 + e), inv)
        };
        let w = e * inv * inv;
        // log(1 + e) as −ln(1/(1 + e)): `ln` is about twice as fast as `ln_1p`, and where
        // they differ (e below 1e-16, a row fitted with certainty) by less than 1e-16.
        let log1p_e = -inv.ln();
        let (loglik, r) = if y {
            (-((-eta).max(0.0) + log1p_e), one_minus_mu)
        } else {
            (-(eta.max(0.0) + log1p_e), -mu)
        };

        buf[N_IDX] += 1.0;
        if y {
            buf[N_POS_IDX] += 1.0;
        }
        let signed_eta = if y { eta } else { -eta };
        if signed_eta > 0.0 {
            buf[N_CORRECT_IDX] += 1.0;
            if signed_eta >= PERFECT_ETA {
                buf[N_PERFECT_IDX] += 1.0;
            }
        }
        let (mut sum, mut comp) = (buf[LOGLIK_IDX], buf[LOGLIK_COMP_IDX]);
        neumaier_add(&mut sum, &mut comp, loglik);
        buf[LOGLIK_IDX] = sum;
        buf[LOGLIK_COMP_IDX] = comp;

        let w_old = buf[WEIGHT_IDX];
        let r_old = buf[RESIDUAL_IDX];
        let w_new = w_old + w;
        buf[WEIGHT_IDX] = w_new;
        buf[RESIDUAL_IDX] = r_old + r;

        let (_, tail) = buf.split_at_mut(mean_offset(p));
        let (means, tail) = tail.split_at_mut(p);
        let (gradient, tail) = tail.split_at_mut(p);
        let (comoments, ranges) = tail.split_at_mut(packed_len(p));
        if w_new > 0.0 {
            // West (1979): δ = x − m, m' = m + (w/W')δ, C' = C + w(W/W')δδᵀ.
            // Σr(x − m) moves with m: G' = G − (m' − m)·Σr_old + r(x − m').
            let share = w / w_new;
            for (((d, &xj), m), g) in delta
                .iter_mut()
                .zip(x)
                .zip(means.iter_mut())
                .zip(gradient.iter_mut())
            {
                *d = xj - *m;
                let shift = *d * share;
                *m += shift;
                *g += r * (xj - *m) - shift * r_old;
            }
            let weight = w * (w_old / w_new);
            let mut rest: &mut [f64] = comoments;
            for i in 0..p {
                let (row, next) = rest.split_at_mut(p - i);
                rest = next;
                let scaled = delta[i] * weight;
                for (c, &dj) in row.iter_mut().zip(&delta[i..]) {
                    *c += scaled * dj;
                }
            }
        } else {
            // Every weight so far underflowed to 0: the means stay put.
            for ((g, &xj), m) in gradient.iter_mut().zip(x).zip(means.iter()) {
                *g += r * (xj - m);
            }
        }
        let class = if y { 0 } else { 2 * p };
        let (mins, maxs) = ranges[class..class + 2 * p].split_at_mut(p);
        for ((lo, hi), &xj) in mins.iter_mut().zip(maxs.iter_mut()).zip(x) {
            if xj < *lo {
                *lo = xj;
            }
            if xj > *hi {
                *hi = xj;
            }
        }
        mu
    }

    /// Combines another state, accumulated at the same coefficients, into this one
    /// (Chan, Golub & LeVeque's pairwise update, with weights).
    pub fn merge(&mut self, other: &[f64]) -> Result<()> {
        validate_counts(self.buf)?;
        let p_other = validate_counts(other)?;
        if other[N_IDX] == 0.0 {
            return Ok(());
        }
        if p_other != self.p {
            return corrupt(format!(
                "cannot merge a state for {p_other} feature(s) into one for {} feature(s)",
                self.p
            ));
        }
        let p = self.p;
        if self.buf[N_IDX] == 0.0 {
            self.buf.copy_from_slice(other);
            return Ok(());
        }
        let betas = beta_offset()..beta_offset() + p + 1;
        if self.buf[betas.clone()] != other[betas.clone()] {
            return Err(beta_changed(&self.buf[betas.clone()], &other[betas]));
        }
        let buf = &mut *self.buf;
        for idx in [N_IDX, N_POS_IDX, N_CORRECT_IDX, N_PERFECT_IDX] {
            buf[idx] += other[idx];
        }
        let (mut sum, mut comp) = (buf[LOGLIK_IDX], buf[LOGLIK_COMP_IDX] + other[LOGLIK_COMP_IDX]);
        neumaier_add(&mut sum, &mut comp, other[LOGLIK_IDX]);
        buf[LOGLIK_IDX] = sum;
        buf[LOGLIK_COMP_IDX] = comp;

        let (w_a, w_b) = (buf[WEIGHT_IDX], other[WEIGHT_IDX]);
        let (r_a, r_b) = (buf[RESIDUAL_IDX], other[RESIDUAL_IDX]);
        let w = w_a + w_b;
        buf[WEIGHT_IDX] = w;
        buf[RESIDUAL_IDX] = r_a + r_b;
        let share_b = if w > 0.0 { w_b / w } else { 0.0 };
        let cross = if w > 0.0 { w_a * (w_b / w) } else { 0.0 };

        let means_b = &other[mean_offset(p)..mean_offset(p) + p];
        let gradient_b = &other[gradient_offset(p)..gradient_offset(p) + p];
        let comoments_b = &other[comoment_offset(p)..range_offset(p)];
        let ranges_b = &other[range_offset(p)..];
        let (_, tail) = buf.split_at_mut(mean_offset(p));
        let (means_a, tail) = tail.split_at_mut(p);
        let (gradient_a, tail) = tail.split_at_mut(p);
        let (comoments_a, ranges_a) = tail.split_at_mut(packed_len(p));

        let mut k = 0;
        for i in 0..p {
            let weighted_delta_i = (means_b[i] - means_a[i]) * cross;
            for j in i..p {
                comoments_a[k] += comoments_b[k] + weighted_delta_i * (means_b[j] - means_a[j]);
                k += 1;
            }
        }
        for j in 0..p {
            let m = means_a[j] + (means_b[j] - means_a[j]) * share_b;
            gradient_a[j] += gradient_b[j] - (m - means_a[j]) * r_a - (m - means_b[j]) * r_b;
            means_a[j] = m;
        }
        for class in 0..2 {
            let base = 2 * p * class;
            for j in base..base + p {
                ranges_a[j] = ranges_a[j].min(ranges_b[j]);
            }
            for j in base + p..base + 2 * p {
                ranges_a[j] = ranges_a[j].max(ranges_b[j]);
            }
        }
        Ok(())
    }
}

/// One pass, read from a state: everything a Newton step needs.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitPass {
    pub p: usize,
    pub n: u64,
    pub n_positive: u64,
    /// Rows on their class's side of η = 0, i.e. classified correctly at threshold ½.
    /// When that is every row, β separates the classes.
    pub n_correct: u64,
    /// Rows whose fitted probability is within 10·ε of their class ([`PERFECT_ETA`]).
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

    /// The pass over in-memory rows at `beta` (tests, [`fit_lbfgs`]).
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

/// Options of a logistic fit.
///
/// `l2` penalises the slopes, not the intercept: the fit minimises
/// −loglik(β) + (l2/2)·‖b‖², scikit-learn's `LogisticRegression(C = 1/l2)`
/// objective (½‖w‖² + C·Σ logloss) scaled by 1/C. `tol` is the convergence
/// tolerance described in the module documentation; `max_iter` the number
/// of passes (Newton iterations, step halvings included).
///
/// `penalty_scale` multiplies `l2` per slope (empty: 1 for every slope). With the
/// features' population variances there, the penalty is (l2/2)·Σ sdⱼ²·bⱼ² = (l2/2)·‖c‖²
/// for the coefficients c of the standardised features: exactly the fit on standardised
/// features mapped back, without scaling any feature.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitOptions {
    pub l2: f64,
    pub tol: f64,
    pub max_iter: u32,
    pub penalty_scale: Vec<f64>,
}

impl Default for LogitOptions {
    fn default() -> Self {
        LogitOptions {
            l2: 0.0,
            tol: 1e-10,
            max_iter: 50,
            penalty_scale: Vec::new(),
        }
    }
}

impl LogitOptions {
    /// The penalty of slope `j`.
    fn lambda(&self, j: usize) -> f64 {
        self.l2 * self.penalty_scale.get(j).copied().unwrap_or(1.0)
    }

    /// (1/2)·Σ λⱼ·bⱼ² over the slopes `slopes`.
    fn penalty(&self, slopes: &[f64]) -> f64 {
        0.5 * slopes
            .iter()
            .enumerate()
            .map(|(j, b)| self.lambda(j) * b * b)
            .sum::<f64>()
    }

    /// The population standard deviation of each feature from a pass at β = 0, where every
    /// row weighs μ(1 − μ) = ¼ alike: the weighted co-moment is then ¼ of the plain one.
    /// A constant feature gets 1 (no scaling), as scikit-learn's StandardScaler does.
    pub fn feature_variances(first_pass: &LogitPass) -> Vec<f64> {
        let p = first_pass.p;
        (0..p)
            .map(|j| {
                let var = first_pass.comoment[j * p + j] / first_pass.weight_sum;
                if var > 0.0 && var.is_finite() {
                    var
                } else {
                    1.0
                }
            })
            .collect()
    }

    fn validate(&self) -> Result<()> {
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(Error::InvalidOption {
                key: "l2".to_string(),
                reason: format!("must be a finite number >= 0, got {}", self.l2),
            });
        }
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(Error::InvalidOption {
                key: "tol".to_string(),
                reason: format!("must be in (0, 1), got {}", self.tol),
            });
        }
        if self.max_iter == 0 {
            return Err(Error::InvalidOption {
                key: "max_iter".to_string(),
                reason: "must be at least 1".to_string(),
            });
        }
        if self.penalty_scale.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::InvalidArgument {
                what: "penalty_scale".to_string(),
                reason: "must hold finite positive numbers".to_string(),
            });
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LogitFit {
    /// [`INTERCEPT_TERM`], then the feature names.
    pub terms: Vec<String>,
    /// Intercept first, then one coefficient per feature (log-odds scale).
    pub estimate: Vec<f64>,
    /// From the inverse Hessian (observed = expected information for the logit
    /// link); `None` for penalised fits (`l2 > 0`), which have no classical
    /// sampling distribution.
    pub std_error: Vec<Option<f64>>,
    /// Wald z = estimate / std_error.
    pub z_value: Vec<Option<f64>>,
    /// Two-sided, standard normal.
    pub p_value: Vec<Option<f64>>,
    /// 95% Wald interval, standard normal.
    pub ci_lower: Vec<Option<f64>>,
    pub ci_upper: Vec<Option<f64>>,
    /// exp(estimate); +∞ when that overflows (JSON has no infinity: it is written as
    /// null and read back as +∞).
    #[serde(deserialize_with = "null_as_infinity")]
    pub odds_ratio: Vec<f64>,
    /// exp of the interval bounds; `None` where undefined or overflowing.
    pub odds_ratio_ci_lower: Vec<Option<f64>>,
    pub odds_ratio_ci_upper: Vec<Option<f64>>,
    pub n: u64,
    pub n_positive: u64,
    /// At the estimate (not penalised).
    pub log_likelihood: f64,
    /// Of the intercept-only model: n₁·ln(n₁/n) + n₀·ln(n₀/n).
    pub null_log_likelihood: f64,
    /// p for an unpenalised fit; the effective number of slopes
    /// tr(H(H + l2·I)⁻¹) for a penalised one.
    pub df_model: f64,
    /// Likelihood-ratio statistic 2(loglik − null loglik) against the
    /// intercept-only model, and its χ²(df_model) p-value (1 when df_model = 0;
    /// only approximate for penalised fits).
    pub lr_chi2: f64,
    pub lr_p_value: f64,
    /// McFadden: 1 − loglik / null loglik.
    pub pseudo_r_squared: f64,
    /// −2·loglik + 2(df_model + 1) and −2·loglik + ln(n)(df_model + 1).
    pub aic: f64,
    pub bic: f64,
    /// Passes over the data (IRLS; step halvings included), or linfa runs (L-BFGS).
    pub iterations: u32,
    pub converged: bool,
    pub l2: f64,
    /// "irls" or "lbfgs".
    pub solver: String,
    /// Row-major (p+1)×(p+1) covariance of [intercept, b…]; `None` when `l2 > 0`.
    pub cov_params: Option<Vec<f64>>,
    /// The training rows' feature means and the features' variance inflation factors,
    /// from the first pass (at β = 0 every row weighs the same); empty until set.
    #[serde(default)]
    pub x_mean: Vec<f64>,
    #[serde(default)]
    pub vif: Vec<Option<f64>>,
    /// The slopes on the standardised scale, bⱼ·sd(xⱼ): the change in log-odds for one
    /// (population) standard deviation of the feature; `None` for the intercept.
    #[serde(default)]
    pub std_estimate: Vec<Option<f64>>,
}

impl LogitFit {
    /// Record the training means and VIFs of the features from a pass at β = 0, where
    /// every row has the same IRLS weight, so its weighted means and co-moments are the
    /// plain ones.
    pub fn describe_features(&mut self, first_pass: &LogitPass) {
        self.x_mean = first_pass.mean.clone();
        self.vif = crate::explain::vif(&first_pass.comoment, first_pass.p);
        let p = first_pass.p;
        // At β = 0 the weighted co-moments are the plain ones times the common weight.
        let variance = |j: usize| first_pass.comoment[j * p + j] / first_pass.weight_sum;
        self.std_estimate = std::iter::once(None)
            .chain((0..p).map(|j| Some(self.estimate[j + 1] * variance(j).sqrt())))
            .collect();
    }

    /// Number of features (terms minus the intercept).
    pub fn p(&self) -> usize {
        self.estimate.len() - 1
    }

    /// P(y = true | x), through an overflow-free sigmoid.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features; see [`Self::try_predict_proba`].
    pub fn predict_proba(&self, x: &[f64]) -> f64 {
        self.try_predict_proba(x)
            .unwrap_or_else(|e| panic!("LogitFit::predict_proba: {e}"))
    }

    /// [`Self::predict_proba`] that reports a wrong-length row as an error.
    pub fn try_predict_proba(&self, x: &[f64]) -> Result<f64> {
        if x.len() != self.p() {
            return Err(Error::WrongArrayLength {
                expected: self.p(),
                got: x.len(),
            });
        }
        let eta = self.estimate[0] + self.estimate[1..].iter().zip(x).map(|(b, v)| b * v).sum::<f64>();
        Ok(sigmoid(eta))
    }
}

fn null_as_infinity<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<f64>, D::Error> {
    let v: Vec<Option<f64>> = Vec::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::INFINITY)).collect())
}

/// Starting coefficients: the intercept at the log-odds ln(p̂/(1 − p̂)) of the
/// positive rows, the slopes 0 (the maximum-likelihood intercept-only model).
/// All zeros when a class is empty (the first pass then reports it).
pub fn initial_beta(p: usize, n: u64, n_positive: u64) -> Vec<f64> {
    let mut beta = vec![0.0; p + 1];
    if n_positive > 0 && n_positive < n {
        beta[0] = (n_positive as f64 / (n - n_positive) as f64).ln();
    }
    beta
}

/// What a fit step returns.
// One per pass over the table: boxing the fit would save nothing worth an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Run another pass at these coefficients.
    Continue { beta: Vec<f64> },
    /// Done.
    Converged { fit: LogitFit },
}

/// The Newton step at one pass, and what inference needs of it.
struct Analysis {
    /// Penalised log-likelihood Q at the pass's β.
    objective: f64,
    /// Full Newton step in raw coordinates [intercept, b…].
    step: Vec<f64>,
    /// ½gᵀH⁻¹g: the gain the quadratic model predicts for `step`.
    predicted_gain: f64,
    /// The largest relative move of a coefficient (see the module documentation).
    relative_step: f64,
    /// `relative_step` is at most √tol.
    step_is_small: bool,
    chol: Cholesky,
    scale: Vec<f64>,
}

fn convergence_scale(log_likelihood: f64) -> f64 {
    log_likelihood.abs() + 0.1
}

fn check_names(p: usize, names: &[String]) -> Result<()> {
    if names.len() != p {
        return Err(Error::WrongArrayLength {
            expected: p,
            got: names.len(),
        });
    }
    Ok(())
}

fn check_beta(pass: &LogitPass, beta: &[f64]) -> Result<()> {
    if beta.len() != pass.p + 1 {
        return Err(Error::WrongArrayLength {
            expected: pass.p + 1,
            got: beta.len(),
        });
    }
    if let Some(bad) = beta.iter().find(|b| !b.is_finite()) {
        return Err(Error::InvalidArgument {
            what: "beta".to_string(),
            reason: format!("has a non-finite coefficient {bad}"),
        });
    }
    if let Some(at) = &pass.beta {
        if at.as_slice() != beta {
            return Err(Error::InvalidArgument {
                what: "beta".to_string(),
                reason: "differs from the coefficients the pass was accumulated at".to_string(),
            });
        }
    }
    Ok(())
}

/// The checks that need no solve: rows, classes, constant and separating features.
fn check_data(pass: &LogitPass, names: &[String], l2: f64) -> Result<()> {
    let (n, p) = (pass.n, pass.p);
    if n == 0 {
        return Err(Error::EmptyInput {
            source: "the logistic regression input".to_string(),
        });
    }
    if pass.n_positive == 0 || pass.n_positive == n {
        return Err(Error::SingleClass {
            class: pass.n_positive == n,
            n,
        });
    }
    let needed = if l2 > 0.0 { 2 } else { p as u64 + 2 };
    if n < needed {
        return Err(Error::TooFewRows { n, p, needed });
    }
    if l2 > 0.0 {
        return Ok(());
    }
    for (j, name) in names.iter().enumerate() {
        let lo = pass.min_positive[j].min(pass.min_negative[j]);
        let hi = pass.max_positive[j].max(pass.max_negative[j]);
        if hi - lo <= CONSTANT_REL_TOL * lo.abs().max(hi.abs()) {
            return Err(Error::ConstantFeature {
                feature: name.clone(),
            });
        }
    }
    for (j, name) in names.iter().enumerate() {
        let (pos_lo, pos_hi) = (pass.min_positive[j], pass.max_positive[j]);
        let (neg_lo, neg_hi) = (pass.min_negative[j], pass.max_negative[j]);
        let describe = |high: &str, low: &str, at_least: f64, at_most: f64| {
            format!(
                "Every row with the target {high} has \"{name}\" >= {at_least} and every row with the target \
                 {low} has \"{name}\" <= {at_most}, so the likelihood keeps increasing as its coefficient grows \
                 and the maximum-likelihood estimate does not exist."
            )
        };
        let found = if neg_hi <= pos_lo {
            Some((neg_hi == pos_lo, describe("true", "false", pos_lo, neg_hi)))
        } else if pos_hi <= neg_lo {
            Some((pos_hi == neg_lo, describe("false", "true", neg_lo, pos_hi)))
        } else {
            None
        };
        if let Some((quasi, detail)) = found {
            return Err(Error::Separation {
                feature: Some(name.clone()),
                quasi,
                detail: Some(detail),
            });
        }
    }
    Ok(())
}

fn diverged(pass: &LogitPass) -> Error {
    Error::Separation {
        feature: None,
        quasi: pass.n_correct < pass.n,
        detail: Some(format!(
            "{} of {} row(s) are fitted with probability numerically 0 or 1 and the coefficients keep \
             growing, so the maximum-likelihood estimate does not exist.",
            pass.n_perfect, pass.n
        )),
    }
}

/// Every row on its class's side of η = 0: β itself separates the classes, and
/// the log-likelihood tends to 0 along it (a certificate, not a heuristic).
fn separating_hyperplane(pass: &LogitPass) -> Error {
    Error::Separation {
        feature: None,
        quasi: false,
        detail: Some(format!(
            "The linear predictor of the current iterate puts all {} row(s) on the side of their class, so \
             scaling it up drives the log-likelihood to 0 and the maximum-likelihood estimate does not exist.",
            pass.n
        )),
    }
}

fn analyse(pass: &LogitPass, beta: &[f64], names: &[String], opts: &LogitOptions) -> Result<Analysis> {
    opts.validate()?;
    let p = pass.p;
    check_names(p, names)?;
    check_beta(pass, beta)?;
    check_data(pass, names, opts.l2)?;
    let l2 = opts.l2;
    let lambda: Vec<f64> = (0..p).map(|j| opts.lambda(j)).collect();
    let slopes = &beta[1..];
    let slopes_are_zero = slopes.iter().all(|b| *b == 0.0);
    if l2 == 0.0 && pass.n_correct == pass.n {
        return Err(separating_hyperplane(pass));
    }
    let w = pass.weight_sum;
    if w <= 0.0 {
        // Every fitted probability is exactly 0 or 1.
        return Err(diverged(pass));
    }

    // Unit-diagonal scaling of the slopes' block C + Λ (Λ = diag λⱼ).
    let c = &pass.comoment;
    let scale: Vec<f64> = (0..p).map(|i| (c[i * p + i] + lambda[i]).sqrt()).collect();
    let singular = |column: usize, weights: Vec<f64>| -> Error {
        if !slopes_are_zero && pass.n_perfect > 0 {
            return diverged(pass);
        }
        let max_w = weights.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
        Error::Collinear {
            feature: names[column].clone(),
            depends_on: weights
                .iter()
                .enumerate()
                .filter(|(_, v)| max_w > 0.0 && v.abs() >= DEPENDENCY_WEIGHT_TOL * max_w)
                .map(|(k, _)| names[k].clone())
                .collect(),
        }
    };
    if let Some(j) = scale.iter().position(|s| *s <= 0.0) {
        // A non-constant feature whose rows all carry zero weight.
        return Err(if slopes_are_zero {
            singular(j, vec![0.0; j])
        } else {
            diverged(pass)
        });
    }
    let mut corr = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            corr[i * p + j] = if i == j {
                1.0
            } else {
                c[i * p + j] / (scale[i] * scale[j])
            };
        }
    }
    let chol = cholesky(&corr, p, COLLINEAR_TOL).map_err(|dep| singular(dep.column, dep.weights))?;

    // Centred coordinates: η = a + bᵀ(x − m), a = β₀ + bᵀm. The Hessian is
    // block diagonal there (Σw(x − m) = 0): Δa = Σr / W, (C + Λ)Δb = G − Λb.
    let a = beta[0] + slopes.iter().zip(&pass.mean).map(|(b, m)| b * m).sum::<f64>();
    let delta_a = pass.residual_sum / w;
    let scaled_gradient: Vec<f64> = (0..p)
        .map(|j| (pass.centred_gradient[j] - lambda[j] * slopes[j]) / scale[j])
        .collect();
    let z = chol.forward_substitute(scaled_gradient);
    let slope_gain: f64 = z.iter().map(|v| v * v).sum();
    let delta_b: Vec<f64> = chol
        .back_substitute(z)
        .iter()
        .zip(&scale)
        .map(|(v, s)| v / s)
        .collect();
    let predicted_gain = 0.5 * (pass.residual_sum * delta_a + slope_gain);
    let delta_b0 = delta_a - delta_b.iter().zip(&pass.mean).map(|(d, m)| d * m).sum::<f64>();
    let mut step = Vec::with_capacity(p + 1);
    step.push(delta_b0);
    step.extend_from_slice(&delta_b);
    if step.iter().any(|v| !v.is_finite()) {
        return Err(diverged(pass));
    }

    // The intercept in logits about the weighted means; a slope by the change of η
    // across the feature's range, so that a coefficient of any scale counts alike.
    let relative_step = (0..p).fold(delta_a.abs() / (a.abs() + 1.0), |worst, j| {
        let range =
            pass.max_positive[j].max(pass.max_negative[j]) - pass.min_positive[j].min(pass.min_negative[j]);
        worst.max((delta_b[j] * range).abs() / ((slopes[j] * range).abs() + 1.0))
    });
    let step_is_small = relative_step <= opts.tol.sqrt();
    let objective = pass.log_likelihood - opts.penalty(slopes);
    Ok(Analysis {
        objective,
        step,
        predicted_gain,
        relative_step,
        step_is_small,
        chol,
        scale,
    })
}

/// Whether the next step is negligible, and whether a stalled log-likelihood
/// with coefficients still on the move means separation.
fn judge(pass: &LogitPass, an: &Analysis, loglik_settled: bool, opts: &LogitOptions) -> Result<bool> {
    let settled_step =
        an.predicted_gain <= opts.tol * convergence_scale(pass.log_likelihood) && an.step_is_small;
    if loglik_settled && settled_step {
        return Ok(true);
    }
    if loglik_settled && an.relative_step > DIVERGING_STEP && opts.l2 == 0.0 && pass.n_perfect > 0 {
        return Err(diverged(pass));
    }
    Ok(false)
}

/// The coefficients a converged fit reports: the pass's own when the final step is
/// negligible ([`NEGLIGIBLE_ETA_CHANGE`]), otherwise after that step.
fn final_estimate(pass: &LogitPass, beta: &[f64], step: &[f64]) -> Vec<f64> {
    if eta_change_bound(pass, step) <= NEGLIGIBLE_ETA_CHANGE {
        beta.to_vec()
    } else {
        add(beta, step, 1.0)
    }
}

/// A bound on |δ₀ + δᵀx| over the pass's training rows, from each feature's range: the
/// step's change at the centre of the ranges plus each slope's change over half its range.
fn eta_change_bound(pass: &LogitPass, step: &[f64]) -> f64 {
    let mut at_centre = step[0];
    let mut spread = 0.0;
    for j in 0..pass.p {
        let lo = pass.min_positive[j].min(pass.min_negative[j]);
        let hi = pass.max_positive[j].max(pass.max_negative[j]);
        at_centre += step[j + 1] * (lo / 2.0 + hi / 2.0);
        spread += step[j + 1].abs() * (hi / 2.0 - lo / 2.0);
    }
    let bound = at_centre.abs() + spread;
    // No rows or a range that overflowed: no bound.
    if bound.is_finite() {
        bound
    } else {
        f64::INFINITY
    }
}

fn add(beta: &[f64], step: &[f64], t: f64) -> Vec<f64> {
    beta.iter().zip(step).map(|(b, s)| b + t * s).collect()
}

/// One Newton step from the pass accumulated at `beta`: the next iterate, or
/// the fit once converged (see the module documentation for the criterion).
///
/// Stateless: `previous_loglik` is the log-likelihood of the previous pass
/// (`None` on the first), `iteration` the number of this pass (reported in the
/// fit). Converging needs a previous pass. Without the previous coefficients
/// it cannot halve a step: if the log-likelihood fell, the step from here is
/// damped by 1/(1 + λ), λ² = gᵀH⁻¹g (the Newton decrement), instead. Start it
/// at zeros or [`initial_beta`]; [`Irls`] keeps the history and halves steps.
///
/// Errors: the data checks of the first pass (no rows, one class, too few rows,
/// constant or collinear features, a feature that separates the classes) and
/// divergence ([`Error::Separation`]) on any pass.
pub fn newton_step(
    pass: &LogitPass,
    beta: &[f64],
    previous_loglik: Option<f64>,
    iteration: u32,
    names: &[String],
    opts: &LogitOptions,
) -> Result<Step> {
    let an = analyse(pass, beta, names, opts)?;
    let tol = opts.tol * convergence_scale(pass.log_likelihood);
    let loglik_settled = previous_loglik.is_some_and(|prev| (pass.log_likelihood - prev).abs() <= tol);
    if judge(pass, &an, loglik_settled, opts)? {
        let estimate = final_estimate(pass, beta, &an.step);
        return Ok(Step::Converged {
            fit: build_fit(pass, &an, estimate, iteration, true, names, opts, "irls"),
        });
    }
    let fell = previous_loglik.is_some_and(|prev| pass.log_likelihood < prev - tol);
    let t = if fell {
        1.0 / (1.0 + (2.0 * an.predicted_gain).sqrt())
    } else {
        1.0
    };
    Ok(Step::Continue {
        beta: add(beta, &an.step, t),
    })
}

/// The fit at `beta` from the pass accumulated at `beta`: for convergence
/// detected elsewhere, or for the last iterate when the caller accepts
/// non-convergence (`converged = false`). An unpenalised, unconverged fit with
/// rows fitted perfectly whose Newton step would still move a coefficient by more
/// than [`DIVERGING_STEP`] is refused as [`Error::Separation`]: its coefficients
/// are on their way to infinity.
pub fn finish(
    pass: &LogitPass,
    beta: &[f64],
    iterations: u32,
    converged: bool,
    names: &[String],
    opts: &LogitOptions,
) -> Result<LogitFit> {
    let an = analyse(pass, beta, names, opts)?;
    if !converged && opts.l2 == 0.0 && pass.n_perfect > 0 && an.relative_step > DIVERGING_STEP {
        return Err(diverged(pass));
    }
    Ok(build_fit(
        pass,
        &an,
        beta.to_vec(),
        iterations,
        converged,
        names,
        opts,
        "irls",
    ))
}

/// Newton/IRLS with memory: halves the last step while the (penalised)
/// log-likelihood falls below that of the last accepted iterate.
///
/// ```text
/// let mut irls = Irls::new(p, &names, &opts)?;
/// loop {
///     let pass = /* one aggregate pass at irls.beta() */;
///     match irls.step(&pass) {
///         Ok(Step::Converged { fit }) => break fit,
///         Ok(Step::Continue { .. }) => continue,       // the same as irls.beta()
///         Err(Error::NotConverged { .. }) if allow_nonconvergence => break irls.finish_unconverged()?,
///         Err(e) => return Err(e),
///     }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Irls {
    names: Vec<String>,
    opts: LogitOptions,
    beta: Vec<f64>,
    passes: u32,
    consecutive_halvings: u32,
    halvings: u32,
    last_change: f64,
    accepted: Option<Accepted>,
    /// The last step taken was a full Newton step predicting a gain within `tol`.
    next_pass_likely_last: bool,
}

#[derive(Debug, Clone)]
struct Accepted {
    beta: Vec<f64>,
    objective: f64,
    step: Vec<f64>,
    pass: LogitPass,
}

impl Irls {
    /// Starts at β = 0.
    pub fn new(p: usize, names: &[String], opts: &LogitOptions) -> Result<Irls> {
        Irls::starting_at(vec![0.0; p + 1], names, opts)
    }

    /// Starts at `beta` (intercept first).
    pub fn starting_at(beta: Vec<f64>, names: &[String], opts: &LogitOptions) -> Result<Irls> {
        opts.validate()?;
        check_names(beta.len().saturating_sub(1), names)?;
        if beta.is_empty() || beta.iter().any(|b| !b.is_finite()) {
            return Err(Error::InvalidArgument {
                what: "beta".to_string(),
                reason: "needs a finite intercept and one finite coefficient per feature".to_string(),
            });
        }
        Ok(Irls {
            names: names.to_vec(),
            opts: opts.clone(),
            beta,
            passes: 0,
            next_pass_likely_last: false,
            consecutive_halvings: 0,
            halvings: 0,
            last_change: f64::NAN,
            accepted: None,
        })
    }

    /// The coefficients the next pass must be accumulated at.
    pub fn beta(&self) -> &[f64] {
        &self.beta
    }

    /// Passes consumed so far.
    pub fn passes(&self) -> u32 {
        self.passes
    }

    /// Step halvings so far (each costs a pass).
    pub fn halvings(&self) -> u32 {
        self.halvings
    }

    /// Consumes the pass accumulated at [`Self::beta`]. Returns
    /// [`Error::NotConverged`] once `max_iter` passes are used up without
    /// convergence; [`Self::finish_unconverged`] then builds the fit at the best
    /// iterate.
    pub fn step(&mut self, pass: &LogitPass) -> Result<Step> {
        self.passes += 1;
        let step = self.step_inner(pass)?;
        if let Step::Continue { .. } = step {
            if self.passes >= self.opts.max_iter {
                return Err(Error::NotConverged {
                    iterations: self.passes,
                    last_change: self.last_change,
                });
            }
        }
        Ok(step)
    }

    /// Whether the next pass will probably be the last: the step just taken predicted a
    /// gain within `tol`, so the next pass should find the log-likelihood settled. A caller
    /// can then evaluate in that same pass what it needs of the final coefficients.
    pub fn expects_convergence(&self) -> bool {
        self.next_pass_likely_last
    }

    fn halve(&mut self, cause: Error) -> Result<Step> {
        self.next_pass_likely_last = false;
        let acc = self.accepted.as_ref().expect("halving needs an accepted iterate");
        self.consecutive_halvings += 1;
        self.halvings += 1;
        if self.consecutive_halvings > MAX_HALVINGS {
            return Err(cause);
        }
        self.beta = add(
            &acc.beta,
            &acc.step,
            0.5_f64.powi(self.consecutive_halvings as i32),
        );
        Ok(Step::Continue {
            beta: self.beta.clone(),
        })
    }

    fn step_inner(&mut self, pass: &LogitPass) -> Result<Step> {
        check_beta(pass, &self.beta)?;
        if self.opts.l2 == 0.0 && pass.n > 0 && pass.n_correct == pass.n {
            // A proof of separation, not a bad trial point: no halving.
            return Err(separating_hyperplane(pass));
        }
        if let Some(acc) = &self.accepted {
            let q = objective(pass, &self.beta, &self.opts);
            self.last_change = q - acc.objective;
            if q < acc.objective - 1e-13 * convergence_scale(acc.objective) {
                let cause = Error::NotConverged {
                    iterations: self.passes,
                    last_change: q - acc.objective,
                };
                return self.halve(cause);
            }
        }
        let an = match analyse(pass, &self.beta, &self.names, &self.opts) {
            Ok(an) => an,
            // A Hessian that collapsed at a trial point: back off towards the last good one.
            Err(e @ (Error::Separation { feature: None, .. } | Error::Collinear { .. }))
                if self.accepted.is_some() =>
            {
                return self.halve(e)
            }
            Err(e) => return Err(e),
        };
        let settled = self.accepted.as_ref().is_some_and(|acc| {
            (an.objective - acc.objective).abs() <= self.opts.tol * convergence_scale(pass.log_likelihood)
        });
        if judge(pass, &an, settled, &self.opts)? {
            let estimate = final_estimate(pass, &self.beta, &an.step);
            return Ok(Step::Converged {
                fit: build_fit(
                    pass,
                    &an,
                    estimate,
                    self.passes,
                    true,
                    &self.names,
                    &self.opts,
                    "irls",
                ),
            });
        }
        self.consecutive_halvings = 0;
        self.next_pass_likely_last =
            an.predicted_gain <= self.opts.tol * convergence_scale(pass.log_likelihood);
        let next = add(&self.beta, &an.step, 1.0);
        self.accepted = Some(Accepted {
            beta: std::mem::replace(&mut self.beta, next),
            objective: an.objective,
            step: an.step,
            pass: pass.clone(),
        });
        Ok(Step::Continue {
            beta: self.beta.clone(),
        })
    }

    /// The fit at the best iterate so far, `converged = false` (see [`finish`]).
    pub fn finish_unconverged(&self) -> Result<LogitFit> {
        let acc = self.accepted.as_ref().ok_or(Error::NotConverged {
            iterations: self.passes,
            last_change: f64::NAN,
        })?;
        finish(&acc.pass, &acc.beta, self.passes, false, &self.names, &self.opts)
    }
}

fn objective(pass: &LogitPass, beta: &[f64], opts: &LogitOptions) -> f64 {
    pass.log_likelihood - opts.penalty(&beta[1..])
}

/// Inverse Hessian for [intercept, b] from the centred factor:
/// Cov(b) = D⁻¹R⁻¹D⁻¹, Var(b₀) = 1/W + mᵀCov(b)m, Cov(b₀, b) = −Cov(b)m, with
/// mᵀCov(b)m taken as the sum of squares ‖L⁻¹D⁻¹m‖² (as in [`crate::ols`]).
fn covariance(an: &Analysis, inverse_corr: &[f64], mean: &[f64], weight_sum: f64) -> Vec<f64> {
    let p = mean.len();
    let k = p + 1;
    let scale = &an.scale;
    let mut cov = vec![0.0; k * k];
    for i in 0..p {
        for j in 0..p {
            cov[(i + 1) * k + j + 1] = inverse_corr[i * p + j] / (scale[i] * scale[j]);
        }
    }
    let scaled_mean: Vec<f64> = mean.iter().zip(scale).map(|(m, s)| m / s).collect();
    let u = an.chol.forward_substitute(scaled_mean);
    cov[0] = 1.0 / weight_sum + u.iter().map(|v| v * v).sum::<f64>();
    for i in 0..p {
        let c: f64 = -(0..p).map(|j| cov[(i + 1) * k + j + 1] * mean[j]).sum::<f64>();
        cov[i + 1] = c;
        cov[(i + 1) * k] = c;
    }
    cov
}

#[allow(clippy::too_many_arguments)]
fn build_fit(
    pass: &LogitPass,
    an: &Analysis,
    estimate: Vec<f64>,
    iterations: u32,
    converged: bool,
    names: &[String],
    opts: &LogitOptions,
    solver: &str,
) -> LogitFit {
    let p = pass.p;
    let k = p + 1;
    let l2 = opts.l2;
    let n = pass.n as f64;
    let (n1, n0) = (pass.n_positive as f64, pass.n_negative() as f64);
    let null_log_likelihood = n1 * (n1 / n).ln() + n0 * (n0 / n).ln();
    let log_likelihood = pass.log_likelihood;
    let inverse_corr = an.chol.inverse();
    let df_model = if l2 > 0.0 {
        p as f64
            - (0..p)
                .map(|i| opts.lambda(i) * inverse_corr[i * p + i] / (an.scale[i] * an.scale[i]))
                .sum::<f64>()
    } else {
        p as f64
    };
    let lr_chi2 = (2.0 * (log_likelihood - null_log_likelihood)).max(0.0);
    let lr_p_value = if df_model > 0.0 {
        chi2_sf(lr_chi2, df_model)
    } else {
        1.0
    };
    let k_params = df_model + 1.0;

    let cov_params = (l2 == 0.0).then(|| covariance(an, &inverse_corr, &pass.mean, pass.weight_sum));
    let critical_z = normal_quantile(0.5 + CONFIDENCE_LEVEL / 2.0);
    let mut std_error = vec![None; k];
    let mut z_value = vec![None; k];
    let mut p_value = vec![None; k];
    let mut ci_lower = vec![None; k];
    let mut ci_upper = vec![None; k];
    if let Some(cov) = &cov_params {
        for i in 0..k {
            let se = cov[i * k + i].sqrt();
            std_error[i] = Some(se);
            ci_lower[i] = Some(estimate[i] - critical_z * se);
            ci_upper[i] = Some(estimate[i] + critical_z * se);
            if se > 0.0 {
                let z = estimate[i] / se;
                z_value[i] = Some(z);
                p_value[i] = Some(normal_two_sided_p(z));
            }
        }
    }
    let exp_all = |v: &[Option<f64>]| {
        v.iter()
            .map(|x| x.map(f64::exp).filter(|e| e.is_finite()))
            .collect::<Vec<_>>()
    };
    let mut terms = Vec::with_capacity(k);
    terms.push(INTERCEPT_TERM.to_string());
    terms.extend(names.iter().cloned());
    LogitFit {
        terms,
        odds_ratio: estimate.iter().map(|b| b.exp()).collect(),
        odds_ratio_ci_lower: exp_all(&ci_lower),
        odds_ratio_ci_upper: exp_all(&ci_upper),
        estimate,
        std_error,
        z_value,
        p_value,
        ci_lower,
        ci_upper,
        n: pass.n,
        n_positive: pass.n_positive,
        log_likelihood,
        null_log_likelihood,
        df_model,
        lr_chi2,
        lr_p_value,
        pseudo_r_squared: 1.0 - log_likelihood / null_log_likelihood,
        aic: -2.0 * log_likelihood + 2.0 * k_params,
        bic: -2.0 * log_likelihood + n.ln() * k_params,
        iterations,
        converged,
        l2,
        solver: solver.to_string(),
        cov_params,
        x_mean: Vec::new(),
        vif: Vec::new(),
        std_estimate: Vec::new(),
    }
}

/// Fits in memory with linfa-logistic's L-BFGS, then computes the same
/// statistics as IRLS from one pass at its solution (standard errors from the
/// Hessian there), so the two solvers are comparable.
///
/// `x` is n×p row-major. linfa minimises −Σ log σ(±η) + (α/2)‖b‖², a sum over
/// rows with the intercept unpenalised, so α = l2 exactly. Unpenalised fits
/// run on standardised features (mean 0, sd 1) and penalised ones on centred
/// features (scaling would change the penalty); coefficients are mapped back.
/// linfa labels the MAJORITY class +1, so its coefficients are negated when
/// that is `false`.
///
/// The solution must pass the IRLS criterion (predicted gain of a Newton step
/// and relative step size, see the module documentation); linfa is re-run from
/// its solution up to [`LBFGS_RUNS`] times, each with at most
/// `max_iter·`[`LBFGS_ITERATIONS_PER_MAX_ITER`] iterations, else
/// [`Error::NotConverged`]. The same data checks and separation errors as IRLS
/// apply. `iterations` in the fit counts linfa runs.
///
/// Above [`LBFGS_CHUNK_WORK`] the same iteration budget runs in chunks of
/// [`lbfgs_chunk_iterations`] (linfa cannot be interrupted), each warm-started from the
/// previous chunk's solution and judged by the same criterion, with an interrupt check
/// between chunks; `iterations` then counts chunks. A warm start drops L-BFGS's curvature
/// history, so such a fit takes a slightly different path to the optimum and may stop
/// at an earlier iterate that passes the criterion: its coefficients agree with an
/// unchunked fit's within the convergence tolerance, not bit for bit.
pub fn fit_lbfgs(x: &[f64], y: &[bool], p: usize, names: &[String], opts: &LogitOptions) -> Result<LogitFit> {
    fit_lbfgs_chunked(x, y, p, names, opts, LBFGS_CHUNK_WORK)
}

/// [`fit_lbfgs`] with chunks of `chunk_work` (tests run small fits in chunks).
fn fit_lbfgs_chunked(
    x: &[f64],
    y: &[bool],
    p: usize,
    names: &[String],
    opts: &LogitOptions,
    chunk_work: u64,
) -> Result<LogitFit> {
    if !opts.penalty_scale.is_empty() {
        return Err(Error::Unsupported {
            what: "per-slope penalties with the lbfgs solver".to_string(),
            hint: "Fit on standardised features instead (cltv_train does).".to_string(),
        });
    }
    opts.validate()?;
    check_names(p, names)?;
    let n = y.len();
    if x.len() != n * p {
        return Err(Error::WrongArrayLength {
            expected: n * p,
            got: x.len(),
        });
    }
    if p > MAX_FEATURES {
        return Err(Error::InvalidArgument {
            what: "feature count".to_string(),
            reason: format!("at most {MAX_FEATURES} features are supported, got {p}"),
        });
    }
    for (j, name) in names.iter().enumerate() {
        let bad: Vec<f64> = (0..n).map(|i| x[i * p + j]).filter(|v| !v.is_finite()).collect();
        if let Some(&value) = bad.first() {
            return Err(Error::NonFinite {
                column: name.clone(),
                value: Some(value),
                rows: bad.len() as u64,
            });
        }
    }
    let pass_at =
        |beta: &[f64]| LogitPass::from_rows(p, (0..n).map(|i| (y[i], &x[i * p..(i + 1) * p])), beta);

    // The first IRLS pass's checks: rows, classes, constant/collinear/separating features.
    let zero = vec![0.0; p + 1];
    analyse(&pass_at(&zero)?, &zero, names, opts)?;

    let l2 = opts.l2;
    let n_f = n as f64;
    interrupt::check();
    let mean: Vec<f64> = (0..p)
        .map(|j| (0..n).map(|i| x[i * p + j]).sum::<f64>() / n_f)
        .collect();
    let scale: Vec<f64> = (0..p)
        .map(|j| {
            let sd = ((0..n).map(|i| (x[i * p + j] - mean[j]).powi(2)).sum::<f64>() / n_f).sqrt();
            if l2 == 0.0 && sd > 0.0 {
                sd
            } else {
                1.0
            }
        })
        .collect();
    interrupt::check();
    let mut records = try_vec::<f64>(n * p, "the standardised training rows")?;
    for i in 0..n {
        interrupt::check_every(i);
        records.extend((0..p).map(|j| (x[i * p + j] - mean[j]) / scale[j]));
    }
    let records = Array2::from_shape_vec((n, p), records).map_err(|e| Error::Internal {
        reason: format!("the training rows as a matrix: {e}"),
    })?;
    let mut targets = try_vec::<bool>(n, "the training targets")?;
    targets.extend_from_slice(y);
    let dataset = linfa::Dataset::new(records, Array1::from(targets));
    let max_iterations = u64::from(opts.max_iter) * LBFGS_ITERATIONS_PER_MAX_ITER;
    // A small fit is LBFGS_RUNS linfa calls of max_iterations each; a big one the same
    // iteration budget in chunks, judged after each, checking for interrupts between them.
    let chunk = chunk_iterations(n, p, max_iterations, chunk_work);
    let chunked = chunk < max_iterations;
    let calls = u64::from(LBFGS_RUNS) * max_iterations.div_ceil(chunk);

    let mut warm: Option<Array1<f64>> = None;
    let mut last_gain = f64::NAN;
    let mut runs = 0;
    for run in 1..=u32::try_from(calls).unwrap_or(u32::MAX) {
        interrupt::check();
        runs = run;
        let mut params = linfa_logistic::LogisticRegression::default()
            .alpha(l2)
            .with_intercept(true)
            .max_iterations(chunk)
            .gradient_tolerance(LBFGS_GRADIENT_TOL_PER_ROW * n_f.max(1.0));
        if let Some(w) = &warm {
            params = params.initial_params(w.clone());
        }
        // The inputs are validated above, so what linfa can still report is a
        // failed line search: the solver did not converge.
        let Ok(model) = linfa::traits::Fit::fit(&params, &dataset) else {
            break;
        };
        // linfa's +1 class is the majority class; cltv's is `true`.
        let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
        let mut beta = Vec::with_capacity(p + 1);
        let slopes: Vec<f64> = (0..p).map(|j| sign * model.params()[j] / scale[j]).collect();
        beta.push(sign * model.intercept() - slopes.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>());
        beta.extend_from_slice(&slopes);

        let pass = pass_at(&beta)?;
        let an = analyse(&pass, &beta, names, opts)?;
        if judge(&pass, &an, true, opts)? {
            return Ok(build_fit(&pass, &an, beta, run, true, names, opts, "lbfgs"));
        }
        last_gain = an.predicted_gain;
        let mut w = model.params().to_vec();
        w.push(model.intercept());
        let w = Array1::from(w);
        if chunked && warm.as_ref() == Some(&w) {
            // linfa made no progress: it has converged by its own criterion, or is stuck.
            break;
        }
        warm = Some(w);
    }
    Err(Error::NotConverged {
        iterations: runs,
        last_change: last_gain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// n rows of 3 features with a logistic target (a small LCG), row-major.
    fn simulated(n: usize) -> (Vec<f64>, Vec<bool>) {
        let mut seed = 7_u64;
        let mut uniform = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut x = Vec::with_capacity(3 * n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let row = [uniform() * 4.0 - 2.0, uniform() * 10.0, uniform()];
            let eta = 0.3 + 0.8 * row[0] - 0.1 * row[1] + 1.5 * row[2];
            x.extend_from_slice(&row);
            y.push(uniform() < 1.0 / (1.0 + (-eta).exp()));
        }
        (x, y)
    }

    #[test]
    fn lbfgs_in_chunks_agrees_and_checks_for_interrupts() {
        use crate::interrupt::testing;
        let (x, y) = simulated(5_000);
        let names = names(&["a", "b", "c"]);
        let opts = LogitOptions::default();
        // The whole budget in one linfa call, as every fit this small runs.
        assert_eq!(lbfgs_chunk_iterations(5_000, 3, 5_000), 5_000);
        assert!(lbfgs_chunk_iterations(2_000_000, 5, 5_000) < 5_000);
        let whole = fit_lbfgs(&x, &y, 3, &names, &opts).unwrap();
        // Chunks of 2 iterations (5,000 rows × 4 = 20,000 work each).
        testing::install(None);
        let chunked = fit_lbfgs_chunked(&x, &y, 3, &names, &opts, 40_000).unwrap();
        assert!(chunked.iterations > 1, "{} chunks", chunked.iterations);
        assert!(
            testing::calls() >= u64::from(chunked.iterations),
            "{}",
            testing::calls()
        );
        // The same optimum, to well within the standard errors.
        let se = whole.std_error.iter().map(|s| s.unwrap());
        for ((a, b), se) in whole.estimate.iter().zip(&chunked.estimate).zip(se) {
            assert!((a - b).abs() < 1e-4 * se, "{a} vs {b}");
        }
        // A cancel between chunks (after the first passes) unwinds out of the fit.
        let calls = testing::calls();
        testing::assert_cancels(calls - 2, || fit_lbfgs_chunked(&x, &y, 3, &names, &opts, 40_000));
    }

    #[test]
    fn layout_lengths_and_fresh_state() {
        assert_eq!(state_len(0), HEADER_LEN + 1);
        // header, β (p+1), gradient (p) + means (p) + packed (p(p+1)/2), ranges (4p).
        assert_eq!(state_len(3), 10 + 4 + 3 + 3 + 6 + 12);
        let s = new_state(2);
        assert_eq!(s.len(), state_len(2));
        assert_eq!(&s[..3], &[LAYOUT_VERSION, 2.0, 0.0]);
        let r = range_offset(2);
        assert_eq!(
            &s[r..],
            &[
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY
            ]
        );
        let pass = LogitPass::from_state(&s).unwrap();
        assert_eq!((pass.n, pass.beta.clone()), (0, None));
        // An OLS state is refused.
        let ols = crate::suffstats::new_state(2);
        assert!(matches!(
            LogitPass::from_state(&ols),
            Err(Error::CorruptState { .. })
        ));
    }

    #[test]
    fn one_row_by_hand() {
        // η = 0.5 + 2·1 − 1·3 = −0.5; μ = σ(−0.5); y = true.
        let mut buf = new_state(2);
        LogitStateMut::new(&mut buf)
            .unwrap()
            .push(true, &[1.0, 3.0], &[0.5, 2.0, -1.0]);
        let pass = LogitPass::from_state(&buf).unwrap();
        let mu = 1.0 / (1.0 + 0.5f64.exp());
        assert!((pass.log_likelihood - mu.ln()).abs() < 1e-15);
        assert!((pass.residual_sum - (1.0 - mu)).abs() < 1e-15);
        assert!((pass.weight_sum - mu * (1.0 - mu)).abs() < 1e-15);
        assert_eq!(pass.mean, vec![1.0, 3.0]);
        assert_eq!(pass.centred_gradient, vec![0.0, 0.0]);
        let g = pass.gradient();
        assert!((g[2] - 3.0 * (1.0 - mu)).abs() < 1e-15);
        assert_eq!(pass.min_positive, vec![1.0, 3.0]);
        assert_eq!(pass.max_negative, vec![f64::NEG_INFINITY; 2]);
        assert_eq!(pass.beta, Some(vec![0.5, 2.0, -1.0]));
    }

    #[test]
    fn extreme_eta_stays_finite() {
        let mut buf = new_state(1);
        let mut st = LogitStateMut::new(&mut buf).unwrap();
        st.push(false, &[1.0], &[0.0, 800.0]); // μ = 1 to double precision, y = 0
        st.push(true, &[1.0], &[0.0, 800.0]);
        st.push(true, &[-1.0], &[0.0, 800.0]);
        let pass = LogitPass::from_state(&buf).unwrap();
        assert_eq!(pass.log_likelihood, -1600.0);
        assert_eq!(pass.n_perfect, 1);
        assert_eq!(pass.weight_sum, 0.0);
        assert_eq!(pass.residual_sum, -1.0 + 0.0 + 1.0);
    }

    #[test]
    fn initial_beta_is_the_log_odds() {
        assert_eq!(initial_beta(2, 10, 5), vec![0.0; 3]);
        assert!((initial_beta(1, 4, 1)[0] - (1.0f64 / 3.0).ln()).abs() < 1e-15);
        assert_eq!(initial_beta(1, 4, 0), vec![0.0, 0.0]);
    }

    #[test]
    fn intercept_only_converges_to_the_log_odds() {
        // 3 of 8 positive: β₀ = ln(3/5), SE = sqrt(1/(n p̂ (1 − p̂))).
        let rows: Vec<(bool, Vec<f64>)> = (0..8).map(|i| (i < 3, vec![])).collect();
        let opts = LogitOptions::default();
        let mut beta = vec![0.0];
        let mut prev = None;
        for it in 1..10 {
            let pass = LogitPass::from_rows(0, rows.iter().map(|(y, x)| (*y, x.as_slice())), &beta).unwrap();
            match newton_step(&pass, &beta, prev, it, &[], &opts).unwrap() {
                Step::Converged { fit } => {
                    // The last pass's own coefficient: the step from it is below NEGLIGIBLE_ETA_CHANGE.
                    let error = (fit.estimate[0] - 0.6f64.ln()).abs();
                    assert!(error < NEGLIGIBLE_ETA_CHANGE, "{error}");
                    let se = (1.0 / (8.0 * 0.375 * 0.625f64)).sqrt();
                    assert!((fit.std_error[0].unwrap() - se).abs() < 1e-10 * se);
                    assert!((fit.log_likelihood - fit.null_log_likelihood).abs() < 1e-12);
                    assert_eq!(fit.lr_p_value, 1.0);
                    assert_eq!(fit.df_model, 0.0);
                    return;
                }
                Step::Continue { beta: next } => {
                    prev = Some(pass.log_likelihood);
                    beta = next;
                }
            }
        }
        panic!("did not converge");
    }

    #[test]
    fn predict_proba_is_stable() {
        let fit = LogitFit {
            terms: names(&["(intercept)", "x"]),
            estimate: vec![0.0, 1.0],
            std_error: vec![None; 2],
            z_value: vec![None; 2],
            p_value: vec![None; 2],
            ci_lower: vec![None; 2],
            ci_upper: vec![None; 2],
            odds_ratio: vec![1.0, std::f64::consts::E],
            odds_ratio_ci_lower: vec![None; 2],
            odds_ratio_ci_upper: vec![None; 2],
            n: 2,
            n_positive: 1,
            log_likelihood: -1.0,
            null_log_likelihood: -1.0,
            df_model: 1.0,
            lr_chi2: 0.0,
            lr_p_value: 1.0,
            pseudo_r_squared: 0.0,
            aic: 0.0,
            bic: 0.0,
            iterations: 1,
            converged: true,
            l2: 0.0,
            solver: "irls".into(),
            cov_params: None,
            x_mean: Vec::new(),
            vif: Vec::new(),
            std_estimate: Vec::new(),
        };
        // An odds ratio that overflows survives the JSON round trip.
        let mut huge = fit.clone();
        huge.estimate[1] = 800.0;
        huge.odds_ratio[1] = 800f64.exp();
        let back: LogitFit = serde_json::from_str(&serde_json::to_string(&huge).unwrap()).unwrap();
        assert_eq!(back, huge);
        assert_eq!(back.odds_ratio[1], f64::INFINITY);
        assert_eq!(fit.predict_proba(&[0.0]), 0.5);
        assert_eq!(fit.predict_proba(&[-1000.0]), 0.0);
        assert_eq!(fit.predict_proba(&[1000.0]), 1.0);
        assert!(fit.predict_proba(&[-700.0]) > 0.0);
        assert!(matches!(
            fit.try_predict_proba(&[1.0, 2.0]),
            Err(Error::WrongArrayLength { expected: 1, got: 2 })
        ));
    }

    #[test]
    fn invalid_options_are_named() {
        let pass = LogitPass::from_rows(0, [(true, &[][..]), (false, &[][..])], &[0.0]).unwrap();
        for (opts, key) in [
            (
                LogitOptions {
                    l2: -1.0,
                    ..Default::default()
                },
                "l2",
            ),
            (
                LogitOptions {
                    tol: 0.0,
                    ..Default::default()
                },
                "tol",
            ),
            (
                LogitOptions {
                    max_iter: 0,
                    ..Default::default()
                },
                "max_iter",
            ),
        ] {
            match newton_step(&pass, &[0.0], None, 1, &[], &opts) {
                Err(Error::InvalidOption { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{other:?}"),
            }
        }
        // β must be the one the pass was accumulated at.
        assert!(matches!(
            newton_step(&pass, &[1.0], None, 1, &[], &LogitOptions::default()),
            Err(Error::InvalidArgument { .. })
        ));
    }
}
