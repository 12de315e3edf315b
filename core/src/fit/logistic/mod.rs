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
//! are `None` (as for ridge in [`crate::fit::ols`]); its `df_model` is the
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
//! a single class ([`Error::SingleClass`](crate::Error::SingleClass)), fewer than p + 2 rows, and, without
//! a penalty, constant features (by their range) and separation, which leaves
//! the maximum-likelihood estimate undefined ([`Error::Separation`](crate::Error::Separation)):
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
//! are all equal and the check is exactly that of [`crate::fit::ols`].
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
//! [`crate::numerics::linalg`] after scaling the Hessian to unit diagonal, as
//! [`crate::fit::ols`] does. Log-likelihood terms use log1p/exp forms that never
//! overflow and are summed with Neumaier compensation.
//!
//! # Files
//!
//! * `state`: the state layout and the per-row accumulator and merge;
//! * `pass`: one pass read from its state ([`LogitPass`]);
//! * `options`: [`LogitOptions`] and the penalty;
//! * `fit`: the fitted model and its prediction ([`LogitFit`]);
//! * `analysis`: data checks, the Newton step, convergence and separation;
//! * `irls`: the IRLS driver ([`newton_step`], [`finish`], [`Irls`]);
//! * `inference`: standard errors, tests and information criteria of a fit;
//! * `lbfgs`: the in-memory L-BFGS alternative ([`fit_lbfgs`]).

mod analysis;
mod fit;
mod inference;
mod irls;
mod lbfgs;
mod options;
mod pass;
mod state;

pub use analysis::{DIVERGING_STEP, NEGLIGIBLE_ETA_CHANGE};
pub use fit::{initial_beta, LogitFit};
pub use irls::{finish, newton_step, Irls, Step, MAX_HALVINGS};
pub use lbfgs::{
    fit_lbfgs, lbfgs_bytes_per_row, lbfgs_chunk_iterations, LBFGS_CHUNK_WORK, LBFGS_GRADIENT_TOL_PER_ROW,
    LBFGS_ITERATIONS_PER_MAX_ITER, LBFGS_RUNS,
};
pub use options::LogitOptions;
pub use pass::LogitPass;
pub use state::{
    new_state, prefix_features, state_len, LogitStateMut, HEADER_LEN, LAYOUT_VERSION, PERFECT_ETA,
};
