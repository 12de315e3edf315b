//! Plain-Rust math core of cltv: streaming sufficient statistics, OLS and
//! ridge regression with statsmodels-compatible inference, distribution
//! functions and the project-wide error type. No PostgreSQL types here.

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
