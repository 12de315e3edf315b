//! Plain-Rust math core of cltv: streaming sufficient statistics, OLS and
//! ridge regression with statsmodels-compatible inference, distribution
//! functions and the project-wide error type. No PostgreSQL types here.

#![forbid(unsafe_code)]

pub mod bgnbd;
pub mod btyd;
pub mod classification;
pub mod clv;
pub mod encoding;
pub mod error;
pub mod explain;
pub mod export;
pub mod flat_state;
pub mod gamma_gamma;
pub mod groups;
pub mod input_checks;
pub mod interrupt;
pub mod limits;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod numerics;
pub mod ols;
pub mod options;
pub mod rfm;
pub mod score_state;
pub mod scored_pass;
pub mod segments;
pub mod split;
pub mod suffstats;

pub use error::{Error, Result};
