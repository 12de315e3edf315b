//! The checks and the Newton step of one pass: data checks (rows, classes, constant and
//! separating features), collinearity, the centred Newton system, and the convergence and
//! divergence tests (see the module documentation of [`crate::fit::logistic`]).

use crate::error::{Error, Result};
use crate::fit::ols::{COLLINEAR_TOL, CONSTANT_REL_TOL, DEPENDENCY_WEIGHT_TOL};
use crate::numerics::linalg::{cholesky, Cholesky};

use super::{LogitOptions, LogitPass};
/// A Newton step that still moves some coefficient by more than this (relative, as in
/// the convergence test) after the log-likelihood has settled means divergence.
pub const DIVERGING_STEP: f64 = 1e-3;

/// A converged fit keeps the last pass's own coefficients when the final Newton step
/// would move no training row's linear predictor by more than this (a probability by at
/// most a quarter of it): then the log-likelihood, the Hessian and anything else the pass
/// evaluated are exactly those of the reported coefficients.
pub const NEGLIGIBLE_ETA_CHANGE: f64 = 1e-10;

/// The Newton step at one pass, and what inference needs of it.
pub(super) struct Analysis {
    /// Penalised log-likelihood Q at the pass's β.
    pub(super) objective: f64,
    /// Full Newton step in raw coordinates [intercept, b…].
    pub(super) step: Vec<f64>,
    /// ½gᵀH⁻¹g: the gain the quadratic model predicts for `step`.
    pub(super) predicted_gain: f64,
    /// The largest relative move of a coefficient (see the module documentation).
    pub(super) relative_step: f64,
    /// `relative_step` is at most √tol.
    pub(super) step_is_small: bool,
    pub(super) chol: Cholesky,
    pub(super) scale: Vec<f64>,
}

pub(super) fn convergence_scale(log_likelihood: f64) -> f64 {
    log_likelihood.abs() + 0.1
}

pub(super) fn check_names(p: usize, names: &[String]) -> Result<()> {
    if names.len() != p {
        return Err(Error::WrongArrayLength {
            expected: p,
            got: names.len(),
        });
    }
    Ok(())
}

pub(super) fn check_beta(pass: &LogitPass, beta: &[f64]) -> Result<()> {
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

pub(super) fn diverged(pass: &LogitPass) -> Error {
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
pub(super) fn separating_hyperplane(pass: &LogitPass) -> Error {
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

pub(super) fn analyse(
    pass: &LogitPass,
    beta: &[f64],
    names: &[String],
    opts: &LogitOptions,
) -> Result<Analysis> {
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
pub(super) fn judge(
    pass: &LogitPass,
    an: &Analysis,
    loglik_settled: bool,
    opts: &LogitOptions,
) -> Result<bool> {
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
pub(super) fn final_estimate(pass: &LogitPass, beta: &[f64], step: &[f64]) -> Vec<f64> {
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

pub(super) fn add(beta: &[f64], step: &[f64], t: f64) -> Vec<f64> {
    beta.iter().zip(step).map(|(b, s)| b + t * s).collect()
}
