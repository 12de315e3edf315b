//! Plain-Rust math core of cltv: streaming sufficient statistics, OLS and
//! ridge regression with statsmodels-compatible inference, distribution
//! functions and the project-wide error type. No PostgreSQL types here.
//!
//! * [`numerics`]: linear algebra, the gamma family, distribution functions;
//! * [`fit`]: the aggregate states of training passes and the estimators (OLS/ridge,
//!   logistic regression, the BTYD models and CLV);
//! * [`evaluation`]: classification and goodness-of-fit metrics, explanations;
//! * [`model`]: what a trained model is: scoring, options, encoding, groups, segments,
//!   the export document;
//! * [`split`]: the train/test split; [`suggest`]: the nearest known name ("did you mean");
//! * cross-cutting: [`error`] (the one error type), [`interrupt`] (cancellation),
//!   [`limits`] (bounds and fallible allocation).

#![forbid(unsafe_code)]

pub mod error;
pub mod evaluation;
pub mod fit;
pub mod interrupt;
pub mod limits;
pub mod model;
pub mod numerics;
pub mod split;
pub mod suggest;

pub use error::{Error, Result};
