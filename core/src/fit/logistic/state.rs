//! The state of one IRLS pass: its layout in the aggregate's `float8[]`, its checks, and
//! the per-row accumulator and merge ([`LogitStateMut`]).

use crate::error::{Error, Result};
use crate::fit::flat_state::{
    as_count, packed_len, read_counts, validate_header as validate_layout, with_scratch, Layout,
    MAX_FEATURES, P_IDX, VERSION_IDX,
};
use crate::fit::flat_state::{corrupt, neumaier_add};
use crate::model::scoring::linear_predictor;
/// Tag and version of the state layout. Far from the small integers of the
/// linear-regression state, so neither can be misread as the other.
pub const LAYOUT_VERSION: f64 = 1001.0;

pub(super) const N_IDX: usize = 2;
pub(super) const N_POS_IDX: usize = 3;
pub(super) const N_CORRECT_IDX: usize = 4;
pub(super) const N_PERFECT_IDX: usize = 5;
pub(super) const LOGLIK_IDX: usize = 6;
pub(super) const LOGLIK_COMP_IDX: usize = 7;
pub(super) const WEIGHT_IDX: usize = 8;
pub(super) const RESIDUAL_IDX: usize = 9;
/// Header length; the per-feature blocks follow.
pub const HEADER_LEN: usize = 10;

/// A row counts as fitted perfectly when its probability is within 10·ε of
/// its class (R's `glm.fit` warns at the same point): (2y − 1)·η ≥ ln(1/(10ε)).
pub const PERFECT_ETA: f64 = 33.738_869_901_539_5;

pub(super) const fn beta_offset() -> usize {
    HEADER_LEN
}
pub(super) const fn mean_offset(p: usize) -> usize {
    HEADER_LEN + p + 1
}
pub(super) const fn gradient_offset(p: usize) -> usize {
    mean_offset(p) + p
}
pub(super) const fn comoment_offset(p: usize) -> usize {
    gradient_offset(p) + p
}
pub(super) const fn range_offset(p: usize) -> usize {
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

/// What [`validate_layout`] checks of a logistic state.
const LAYOUT: Layout = Layout {
    version: LAYOUT_VERSION,
    header_len: HEADER_LEN,
    state_len,
    noun: "a logistic state",
    version_note: " (a logistic regression state)",
};

/// Version, feature count and length; O(1), it runs on every row.
#[inline]
fn validate_header(buf: &[f64]) -> Result<usize> {
    validate_layout(buf, &LAYOUT)
}

/// The feature count of a logistic state at the front of `buf`, which may go on after it
/// (as in [`crate::fit::scored_pass`]).
pub fn prefix_features(buf: &[f64]) -> Result<usize> {
    let p = match buf.get(P_IDX).copied().and_then(as_count) {
        Some(p) if p <= MAX_FEATURES as u64 => p as usize,
        _ => return validate_header(buf),
    };
    validate_header(&buf[..state_len(p).min(buf.len())])
}

/// Header plus the counters.
pub(super) fn validate_counts(buf: &[f64]) -> Result<usize> {
    let p = validate_header(buf)?;
    let counts = read_counts(
        buf,
        [
            (N_IDX, "row count"),
            (N_POS_IDX, "positive row count"),
            (N_PERFECT_IDX, "perfectly fitted row count"),
            (N_CORRECT_IDX, "correctly classified row count"),
        ],
    )?;
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
            crate::evaluation::score_state::list(beta)
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

/// Mutable view over a state array (typically the aggregate's own `float8[]`).
pub struct LogitStateMut<'a> {
    buf: &'a mut [f64],
    p: usize,
}

impl<'a> LogitStateMut<'a> {
    /// Validates version, feature count and length (O(1), cheap enough for
    /// every transition; [`Self::merge`] and [`LogitPass::from_state`](super::LogitPass::from_state) check the rest).
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
        with_scratch(self.p, |delta| self.push_with_scratch(y, x, beta, delta))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::logistic::LogitPass;

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
        let ols = crate::fit::suffstats::new_state(2);
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
}
