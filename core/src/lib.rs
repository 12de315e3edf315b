//! Plain-Rust math core of cltv: streaming sufficient statistics, OLS and
//! ridge regression with statsmodels-compatible inference, distribution
//! functions and the project-wide error type. No PostgreSQL types here.

#![forbid(unsafe_code)]

pub mod encoding;
pub mod error;
pub mod evaluation;
pub mod export;
pub mod fit;
pub mod groups;
pub mod interrupt;
pub mod limits;
pub mod model;
pub mod numerics;
pub mod options;
pub mod segments;
pub mod split;

pub use error::{Error, Result};

// error.rs (edited in parallel) names `crate::ols::…` in two hints; this crate-private alias
// keeps that path working until the merge, when those two lines can say `crate::fit::ols`.
use fit::ols;
