//! Plain-Rust math core of cltv: streaming sufficient statistics, OLS and
//! ridge regression with statsmodels-compatible inference, distribution
//! functions and the project-wide error type. No PostgreSQL types here.

pub mod classification;
pub mod error;
pub mod linalg;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod ols;
pub mod options;
pub mod stats;
pub mod suffstats;

pub use error::{Error, Result};
