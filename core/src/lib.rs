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
//! * [`split`]: the train/test split;
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

pub use error::{Error, Result};

// Crate-private aliases for the old paths that files edited in parallel still name outside
// their `use` lines (error.rs: `crate::ols::…` in two hints; model/options.rs:
// `crate::encoding::…` and `crate::groups::…`). Drop them after the merge, with those
// paths spelled `crate::fit::ols`, `crate::model::encoding` and `crate::model::groups`.
use fit::ols;
use model::{encoding, groups};
