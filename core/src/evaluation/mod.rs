//! Judging fits and predictions: binary classification metrics and their aggregate states,
//! goodness-of-fit metrics, and explanations of single predictions and collinearity.

pub mod classification;
pub mod explain;
pub mod metrics;
pub mod score_state;
