//! "Buy till you die" customer-lifetime-value models: the shared Newton
//! maximiser, and one place to import the whole family from.
//!
//! * [`crate::fit::rfm`]: per-customer frequency / recency / T / spend summaries from transactions;
//! * [`crate::fit::bgnbd`]: the BG/NBD purchase model (Fader, Hardie & Lee 2005);
//! * [`crate::fit::gamma_gamma`]: the Gamma-Gamma spend model (Fader & Hardie, note 025);
//! * [`crate::fit::clv`]: discounted customer lifetime value from the two.
//!
//! Both models are fitted by maximum likelihood with the same optimiser:
//! Newton's method on the log-parameters φ = ln θ (so every iterate is
//! positive) with the analytic gradient and Hessian, Levenberg damping when the
//! Hessian is not negative definite, a step cap of [`MAX_STEP`] in φ and an
//! Armijo backtracking line search. It stops when an undamped Newton step
//! moves no log-parameter by more than `tol` (that step is still taken, so
//! the result is about `tol²` from the optimum), and reports the model as not
//! identified when a log-parameter wanders [`DIVERGENCE_BOUND`] from its
//! natural scale, or the fit stops unconverged [`STALLED_FAR_OUT`] from it:
//! the likelihood then has no finite maximum.

pub use crate::fit::bgnbd::{
    calibration_table, compress, fit_bgnbd, validate_summary, BgNbdFit, BgNbdParams, CalibrationBucket,
    FitOptions, Summary,
};
pub use crate::fit::gamma_gamma::{fit_gamma_gamma, GammaGammaFit, GammaGammaFitOptions, GammaGammaParams};

use crate::numerics::linalg::cholesky;

/// Memory a BTYD fit holds per distinct customer summary (for
/// `cltv.max_training_memory`): the summaries as the query returns them, the weighted
/// rows, their sorted and merged copies and the likelihood's rows, about 32 values.
pub const BYTES_PER_SUMMARY: u64 = 256;
/// Memory a Gamma-Gamma fit holds per customer: it fits one row per customer, expanded
/// from the distinct summaries, and copies them three times (about 12 values).
pub const GAMMA_GAMMA_BYTES_PER_CUSTOMER: u64 = 96;

/// Largest change of any log-parameter in one iteration (a factor e² ≈ 7.4).
pub const MAX_STEP: f64 = 2.0;
/// A log-parameter this far from its natural scale (a factor e³⁰ ≈ 1e13) means the
/// likelihood keeps rising towards the boundary: the model is not identified.
pub const DIVERGENCE_BOUND: f64 = 30.0;

/// The range a fitted shape parameter (BG/NBD r, a, b; Gamma-Gamma p, q) lies in: a fit
/// stops within a factor e³⁰ ≈ 1.1e13 of 1 ([`DIVERGENCE_BOUND`]), so [1e-14, 1e14] holds
/// every fit, with room.
pub const SHAPE_RANGE: (f64, f64) = (1e-14, 1e14);
/// The range of a fitted scale parameter (BG/NBD α in time units, Gamma-Gamma γ in money):
/// within e³⁰ of the data's own scale (mean T, mean spend), which is itself a sane number.
pub const SCALE_RANGE: (f64, f64) = (1e-30, 1e30);

/// Checks that a stored parameter is in the range a fit produces (see [`SHAPE_RANGE`],
/// [`SCALE_RANGE`]): outside it a document was not written by a fit, and scoring would
/// overflow or underflow.
pub fn check_fitted_parameter(
    model: &str,
    name: &str,
    value: f64,
    (low, high): (f64, f64),
) -> crate::error::Result<()> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(crate::error::Error::InvalidArgument {
            what: format!("{model} parameter {name} = {}", crate::error::sql_float(value)),
            reason: format!("is outside [{low:e}, {high:e}], the range a fit produces"),
        })
    }
}

/// A fit that stops unconverged with a log-parameter this far from its scale (a factor
/// e¹⁵ ≈ 3·10⁶) is also reported as not identified.
pub const STALLED_FAR_OUT: f64 = 15.0;
/// Newton steps at most this long (in every log-parameter) are in the quadratic endgame.
const ENDGAME_STEP: f64 = 1e-4;

/// Index of the log-parameter farthest from its natural scale.
fn farthest(phi: &[f64], center: &[f64]) -> usize {
    (0..phi.len())
        .max_by(|&i, &j| (phi[i] - center[i]).abs().total_cmp(&(phi[j] - center[j]).abs()))
        .unwrap_or(0)
}

/// Log-likelihood with its gradient and Hessian, all in the natural parameters.
pub(crate) struct Derivatives {
    pub ll: f64,
    pub grad: Vec<f64>,
    /// Row-major n×n.
    pub hess: Vec<f64>,
}

/// A log-likelihood in natural (positive) parameters.
pub(crate) trait Likelihood {
    fn dim(&self) -> usize;
    /// The log-likelihood alone (line searches); −∞ or NaN where undefined.
    fn value(&self, theta: &[f64]) -> f64;
    fn derivatives(&self, theta: &[f64]) -> Derivatives;
}

pub(crate) struct Maximum {
    /// Natural parameters at the end.
    pub theta: Vec<f64>,
    pub ll: f64,
    pub iterations: u32,
    pub converged: bool,
}

pub(crate) enum MaximizeError {
    /// The log-likelihood is not finite at the starting point.
    BadStart,
    /// Parameter `index` ran off to 0 or ∞ (its value when the fit stopped).
    Diverged { index: usize, value: f64 },
}

/// Gradient and Hessian with respect to φ = ln θ, from those with respect to θ:
/// ∂/∂φᵢ = θᵢ ∂/∂θᵢ and ∂²/∂φᵢ∂φⱼ = θᵢθⱼ ∂²/∂θᵢ∂θⱼ + δᵢⱼ θᵢ ∂/∂θᵢ.
fn to_log_space(theta: &[f64], d: &Derivatives) -> (Vec<f64>, Vec<f64>) {
    let n = theta.len();
    let grad: Vec<f64> = (0..n).map(|i| theta[i] * d.grad[i]).collect();
    let mut hess = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            hess[i * n + j] = theta[i] * theta[j] * d.hess[i * n + j];
        }
        hess[i * n + i] += grad[i];
    }
    (grad, hess)
}

/// Maximises `f` from the natural parameters `start`; `scale` gives each
/// parameter's natural magnitude (for the divergence test).
pub(crate) fn maximize(
    f: &impl Likelihood,
    start: &[f64],
    scale: &[f64],
    max_iter: u32,
    tol: f64,
) -> Result<Maximum, MaximizeError> {
    let n = f.dim();
    let center: Vec<f64> = scale.iter().map(|s| s.ln()).collect();
    let mut phi: Vec<f64> = start.iter().map(|t| t.ln()).collect();
    let theta_of = |phi: &[f64]| -> Vec<f64> { phi.iter().map(|p| p.exp()).collect() };

    let mut theta = theta_of(&phi);
    let mut cur = f.derivatives(&theta);
    if !cur.ll.is_finite() || cur.grad.iter().chain(&cur.hess).any(|v| !v.is_finite()) {
        return Err(MaximizeError::BadStart);
    }
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iter {
        crate::interrupt::check();
        iterations += 1;
        let (grad, hess) = to_log_space(&theta, &cur);
        let neg: Vec<f64> = hess.iter().map(|v| -v).collect();
        let diag_scale = (0..n)
            .map(|i| neg[i * n + i].abs())
            .fold(0.0, f64::max)
            .max(1e-300);

        // Newton step on −LL, with Levenberg damping until −H + μI is positive definite.
        let mut mu = 0.0;
        let step = loop {
            let mut m = neg.clone();
            for i in 0..n {
                m[i * n + i] += mu;
            }
            if let Ok(ch) = cholesky(&m, n, 1e-13) {
                let s = ch.solve(&grad);
                if s.iter().all(|v| v.is_finite()) {
                    break s;
                }
            }
            mu = if mu == 0.0 { 1e-8 * diag_scale } else { mu * 10.0 };
            if mu > 1e30 * diag_scale {
                // Nothing positive definite nearby: fall back to steepest ascent.
                let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt().max(1e-300);
                break grad.iter().map(|g| g / norm).collect();
            }
        };
        let largest = step.iter().fold(0.0_f64, |m, s| m.max(s.abs()));
        let undamped = mu == 0.0;

        if undamped && largest <= tol {
            let trial: Vec<f64> = phi.iter().zip(&step).map(|(p, s)| p + s).collect();
            let trial_theta = theta_of(&trial);
            let next = f.derivatives(&trial_theta);
            if next.ll.is_finite() && next.ll >= cur.ll - 1e-12 * (1.0 + cur.ll.abs()) {
                theta = trial_theta;
                cur = next;
            }
            converged = true;
            break;
        }

        // Backtracking line search with the Armijo condition. In the quadratic endgame
        // (an undamped step that is already small) the full step is taken even when
        // rounding noise in a log-likelihood of size |LL| hides its tiny gain.
        let slope: f64 = grad.iter().zip(&step).map(|(g, s)| g * s).sum();
        let endgame = undamped && largest <= ENDGAME_STEP;
        let noise = if endgame {
            1e-12 * (1.0 + cur.ll.abs())
        } else {
            0.0
        };
        let mut t = if largest > MAX_STEP {
            MAX_STEP / largest
        } else {
            1.0
        };
        let mut accepted = None;
        for _ in 0..40 {
            crate::interrupt::check();
            let trial: Vec<f64> = phi.iter().zip(&step).map(|(p, s)| p + t * s).collect();
            let ll = f.value(&theta_of(&trial));
            if ll.is_finite() && ll >= cur.ll + 1e-4 * t * slope.max(0.0) - noise {
                accepted = Some(trial);
                break;
            }
            t *= 0.5;
        }
        let Some(trial) = accepted else {
            // No ascent along the Newton direction: the optimum up to rounding when the
            // step is already tiny, otherwise stuck (judged below).
            converged = endgame && largest <= tol.sqrt();
            break;
        };
        phi = trial;
        theta = theta_of(&phi);
        cur = f.derivatives(&theta);
        if let Some(index) = (0..n).find(|&i| (phi[i] - center[i]).abs() > DIVERGENCE_BOUND) {
            return Err(MaximizeError::Diverged {
                index,
                value: theta[index],
            });
        }
        if !cur.ll.is_finite() || cur.grad.iter().chain(&cur.hess).any(|v| !v.is_finite()) {
            // Overflow far out in parameter space: treat as running off.
            let index = farthest(&phi, &center);
            return Err(MaximizeError::Diverged {
                index,
                value: theta[index],
            });
        }
    }
    if !converged {
        // Stopped (iteration limit or no ascent) with a parameter far out: the likelihood
        // is still rising towards a boundary, where the model degenerates (e.g. a, b → ∞:
        // no heterogeneity in the dropout probability).
        let index = farthest(&phi, &center);
        if (phi[index] - center[index]).abs() > STALLED_FAR_OUT {
            return Err(MaximizeError::Diverged {
                index,
                value: theta[index],
            });
        }
    }
    Ok(Maximum {
        theta,
        ll: cur.ll,
        iterations,
        converged,
    })
}

/// Standard errors from the inverse of the observed information −H (natural
/// parameters); `None` when −H is not positive definite.
pub(crate) fn standard_errors(d: &Derivatives, n: usize) -> Option<Vec<f64>> {
    let info: Vec<f64> = d.hess.iter().map(|v| -v).collect();
    if info.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let ch = cholesky(&info, n, 1e-14).ok()?;
    let inv = ch.inverse();
    let se: Vec<f64> = (0..n).map(|i| inv[i * n + i].sqrt()).collect();
    se.iter().all(|v| v.is_finite() && *v > 0.0).then_some(se)
}

/// Validates the iteration limit and tolerance of a fit.
pub(crate) fn check_fit_options(max_iter: u32, tol: f64) -> crate::Result<()> {
    if max_iter == 0 {
        return Err(crate::Error::InvalidOption {
            key: "max_iter".into(),
            reason: "must be at least 1".into(),
        });
    }
    if !(tol.is_finite() && tol > 0.0) {
        return Err(crate::Error::InvalidOption {
            key: "tol".into(),
            reason: format!("must be a positive number, got {tol}"),
        });
    }
    Ok(())
}
