//! Fitting models to rows: the mergeable aggregate states a training pass folds rows into,
//! and the estimators that turn them into fits.
//!
//! * Regression: [`suffstats`] (centred sufficient statistics) and [`ols`] (OLS and ridge
//!   with statsmodels' inference); [`logistic`] (IRLS passes, one per iteration, or
//!   in-memory L-BFGS), whose first pass also counts its rows for the input checks
//!   ([`input_checks`]) and whose last pass also scores them ([`scored_pass`]).
//!   [`flat_state`] is what the two regression states share.
//! * Buy till you die: per-customer summaries ([`rfm`]), the BG/NBD purchase and
//!   Gamma-Gamma spend models ([`bgnbd`], [`gamma_gamma`]) with their shared maximiser
//!   ([`btyd`]), and customer lifetime value from the two ([`clv`]).

pub mod bgnbd;
pub mod btyd;
pub mod clv;
pub mod flat_state;
pub mod gamma_gamma;
pub mod input_checks;
pub mod logistic;
pub mod ols;
pub mod rfm;
pub mod scored_pass;
pub mod suffstats;
