//! The options of a logistic fit and its penalty.

use crate::error::{Error, Result};

use super::LogitPass;
/// Options of a logistic fit.
///
/// `l2` penalises the slopes, not the intercept: the fit minimises
/// −loglik(β) + (l2/2)·‖b‖², scikit-learn's `LogisticRegression(C = 1/l2)`
/// objective (½‖w‖² + C·Σ logloss) scaled by 1/C. `tol` is the convergence
/// tolerance described in the module documentation; `max_iter` the number
/// of passes (Newton iterations, step halvings included).
///
/// `penalty_scale` multiplies `l2` per slope (empty: 1 for every slope). With the
/// features' population variances there, the penalty is (l2/2)·Σ sdⱼ²·bⱼ² = (l2/2)·‖c‖²
/// for the coefficients c of the standardised features: exactly the fit on standardised
/// features mapped back, without scaling any feature.
#[derive(Debug, Clone, PartialEq)]
pub struct LogitOptions {
    pub l2: f64,
    pub tol: f64,
    pub max_iter: u32,
    pub penalty_scale: Vec<f64>,
}

impl Default for LogitOptions {
    fn default() -> Self {
        LogitOptions {
            l2: 0.0,
            tol: 1e-10,
            max_iter: 50,
            penalty_scale: Vec::new(),
        }
    }
}

impl LogitOptions {
    /// The penalty of slope `j`.
    pub(super) fn lambda(&self, j: usize) -> f64 {
        self.l2 * self.penalty_scale.get(j).copied().unwrap_or(1.0)
    }

    /// (1/2)·Σ λⱼ·bⱼ² over the slopes `slopes`.
    pub(super) fn penalty(&self, slopes: &[f64]) -> f64 {
        0.5 * slopes
            .iter()
            .enumerate()
            .map(|(j, b)| self.lambda(j) * b * b)
            .sum::<f64>()
    }

    /// The population standard deviation of each feature from a pass at β = 0, where every
    /// row weighs μ(1 − μ) = ¼ alike: the weighted co-moment is then ¼ of the plain one.
    /// A constant feature gets 1 (no scaling), as scikit-learn's StandardScaler does.
    pub fn feature_variances(first_pass: &LogitPass) -> Vec<f64> {
        let p = first_pass.p;
        (0..p)
            .map(|j| {
                let var = first_pass.comoment[j * p + j] / first_pass.weight_sum;
                if var > 0.0 && var.is_finite() {
                    var
                } else {
                    1.0
                }
            })
            .collect()
    }

    pub(super) fn validate(&self) -> Result<()> {
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(Error::InvalidOption {
                key: "l2".to_string(),
                reason: format!("must be a finite number >= 0, got {}", self.l2),
            });
        }
        if !(self.tol > 0.0 && self.tol < 1.0) {
            return Err(Error::InvalidOption {
                key: "tol".to_string(),
                reason: format!("must be in (0, 1), got {}", self.tol),
            });
        }
        if self.max_iter == 0 {
            return Err(Error::InvalidOption {
                key: "max_iter".to_string(),
                reason: "must be at least 1".to_string(),
            });
        }
        if self.penalty_scale.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(Error::InvalidArgument {
                what: "penalty_scale".to_string(),
                reason: "must hold finite positive numbers".to_string(),
            });
        }
        Ok(())
    }
}
