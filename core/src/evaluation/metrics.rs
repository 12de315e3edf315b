//! Goodness-of-fit metrics from sums the SQL layer aggregates itself.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct RegressionMetrics {
    pub n: u64,
    pub mse: Option<f64>,
    pub rmse: Option<f64>,
    pub mae: Option<f64>,
    /// 1 − SSE/SST; `None` when the actual values are constant (SST = 0).
    pub r_squared: Option<f64>,
}

/// Metrics from Σ(y − ŷ)², Σ|y − ŷ| and Σ(y − ȳ)² over `n` rows. With n = 0
/// every metric is `None`.
pub fn regression_metrics(
    n: u64,
    sum_sq_err: f64,
    sum_abs_err: f64,
    sum_sq_total_about_mean: f64,
) -> RegressionMetrics {
    if n == 0 {
        return RegressionMetrics {
            n,
            mse: None,
            rmse: None,
            mae: None,
            r_squared: None,
        };
    }
    let n_f = n as f64;
    let mse = sum_sq_err / n_f;
    RegressionMetrics {
        n,
        mse: Some(mse),
        rmse: Some(mse.sqrt()),
        mae: Some(sum_abs_err / n_f),
        r_squared: (sum_sq_total_about_mean > 0.0).then(|| 1.0 - sum_sq_err / sum_sq_total_about_mean),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scikit_learn() {
        // y = [3, -0.5, 2, 7], ŷ = [2.5, 0.0, 2, 8] (scikit-learn docs examples):
        // mean_squared_error = 0.375, mean_absolute_error = 0.5,
        // r2_score = 0.9486081370449679.
        let y = [3.0, -0.5, 2.0, 7.0];
        let yhat = [2.5, 0.0, 2.0, 8.0];
        let sse: f64 = y.iter().zip(&yhat).map(|(a, b)| (a - b) * (a - b)).sum();
        let sae: f64 = y.iter().zip(&yhat).map(|(a, b)| (a - b).abs()).sum();
        let mean = y.iter().sum::<f64>() / 4.0;
        let sst: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
        let m = regression_metrics(4, sse, sae, sst);
        assert_eq!(m.mse, Some(0.375));
        assert_eq!(m.mae, Some(0.5));
        assert_eq!(m.rmse, Some(0.375f64.sqrt()));
        assert!((m.r_squared.unwrap() - 0.9486081370449679).abs() < 1e-15);
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<RegressionMetrics>(&json).unwrap(), m);
    }

    #[test]
    fn degenerate_inputs() {
        let empty = regression_metrics(0, 0.0, 0.0, 0.0);
        assert_eq!(empty.mse, None);
        assert_eq!(empty.r_squared, None);
        let constant = regression_metrics(3, 1.0, 1.0, 0.0);
        assert_eq!(constant.r_squared, None);
        assert_eq!(constant.mse, Some(1.0 / 3.0));
    }
}
