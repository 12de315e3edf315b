//! The IRLS driver: a stateless Newton step ([`newton_step`], [`finish`]) and the driver
//! with memory that halves steps ([`Irls`]).

use crate::error::{Error, Result};

use super::analysis::{
    add, analyse, check_beta, check_names, convergence_scale, diverged, final_estimate, judge,
    separating_hyperplane,
};
use super::inference::build_fit;
use super::{LogitFit, LogitOptions, LogitPass, DIVERGING_STEP};
/// Largest number of consecutive step halvings in [`Irls::step`].
pub const MAX_HALVINGS: u32 = 40;

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

/// One Newton step from the pass accumulated at `beta`: the next iterate, or
/// the fit once converged (see the module documentation for the criterion).
///
/// Stateless: `previous_loglik` is the log-likelihood of the previous pass
/// (`None` on the first), `iteration` the number of this pass (reported in the
/// fit). Converging needs a previous pass. Without the previous coefficients
/// it cannot halve a step: if the log-likelihood fell, the step from here is
/// damped by 1/(1 + λ), λ² = gᵀH⁻¹g (the Newton decrement), instead. Start it
/// at zeros or [`initial_beta`](super::initial_beta); [`Irls`] keeps the history and halves steps.
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

pub(super) fn objective(pass: &LogitPass, beta: &[f64], opts: &LogitOptions) -> f64 {
    pass.log_likelihood - opts.penalty(&beta[1..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::logistic::NEGLIGIBLE_ETA_CHANGE;

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
