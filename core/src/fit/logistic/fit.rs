//! The fitted model, its prediction, and the starting coefficients.

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::model::scoring::sigmoid;

use super::LogitPass;
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LogitFit {
    /// [`INTERCEPT_TERM`](crate::fit::ols::INTERCEPT_TERM), then the feature names.
    pub terms: Vec<String>,
    /// Intercept first, then one coefficient per feature (log-odds scale).
    pub estimate: Vec<f64>,
    /// From the inverse Hessian (observed = expected information for the logit
    /// link); `None` for penalised fits (`l2 > 0`), which have no classical
    /// sampling distribution.
    pub std_error: Vec<Option<f64>>,
    /// Wald z = estimate / std_error.
    pub z_value: Vec<Option<f64>>,
    /// Two-sided, standard normal.
    pub p_value: Vec<Option<f64>>,
    /// 95% Wald interval, standard normal.
    pub ci_lower: Vec<Option<f64>>,
    pub ci_upper: Vec<Option<f64>>,
    /// exp(estimate); +∞ when that overflows (JSON has no infinity: it is written as
    /// null and read back as +∞).
    #[serde(deserialize_with = "null_as_infinity")]
    pub odds_ratio: Vec<f64>,
    /// exp of the interval bounds; `None` where undefined or overflowing.
    pub odds_ratio_ci_lower: Vec<Option<f64>>,
    pub odds_ratio_ci_upper: Vec<Option<f64>>,
    pub n: u64,
    pub n_positive: u64,
    /// At the estimate (not penalised).
    pub log_likelihood: f64,
    /// Of the intercept-only model: n₁·ln(n₁/n) + n₀·ln(n₀/n).
    pub null_log_likelihood: f64,
    /// p for an unpenalised fit; the effective number of slopes
    /// tr(H(H + l2·I)⁻¹) for a penalised one.
    pub df_model: f64,
    /// Likelihood-ratio statistic 2(loglik − null loglik) against the
    /// intercept-only model, and its χ²(df_model) p-value (1 when df_model = 0;
    /// only approximate for penalised fits).
    pub lr_chi2: f64,
    pub lr_p_value: f64,
    /// McFadden: 1 − loglik / null loglik.
    pub pseudo_r_squared: f64,
    /// −2·loglik + 2(df_model + 1) and −2·loglik + ln(n)(df_model + 1).
    pub aic: f64,
    pub bic: f64,
    /// Passes over the data (IRLS; step halvings included), or linfa runs (L-BFGS).
    pub iterations: u32,
    pub converged: bool,
    pub l2: f64,
    /// "irls" or "lbfgs".
    pub solver: String,
    /// Row-major (p+1)×(p+1) covariance of [intercept, b…]; `None` when `l2 > 0`.
    pub cov_params: Option<Vec<f64>>,
    /// The training rows' feature means and the features' variance inflation factors,
    /// from the first pass (at β = 0 every row weighs the same); empty until set.
    #[serde(default)]
    pub x_mean: Vec<f64>,
    #[serde(default)]
    pub vif: Vec<Option<f64>>,
    /// The slopes on the standardised scale, bⱼ·sd(xⱼ): the change in log-odds for one
    /// (population) standard deviation of the feature; `None` for the intercept.
    #[serde(default)]
    pub std_estimate: Vec<Option<f64>>,
}

impl LogitFit {
    /// Record the training means and VIFs of the features from a pass at β = 0, where
    /// every row has the same IRLS weight, so its weighted means and co-moments are the
    /// plain ones.
    pub fn describe_features(&mut self, first_pass: &LogitPass) {
        self.x_mean = first_pass.mean.clone();
        self.vif = crate::evaluation::explain::vif(&first_pass.comoment, first_pass.p);
        let p = first_pass.p;
        // At β = 0 the weighted co-moments are the plain ones times the common weight.
        let variance = |j: usize| first_pass.comoment[j * p + j] / first_pass.weight_sum;
        self.std_estimate = std::iter::once(None)
            .chain((0..p).map(|j| Some(self.estimate[j + 1] * variance(j).sqrt())))
            .collect();
    }

    /// Number of features (terms minus the intercept).
    pub fn p(&self) -> usize {
        self.estimate.len() - 1
    }

    /// P(y = true | x), through an overflow-free sigmoid.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features; see [`Self::try_predict_proba`].
    pub fn predict_proba(&self, x: &[f64]) -> f64 {
        self.try_predict_proba(x)
            .unwrap_or_else(|e| panic!("LogitFit::predict_proba: {e}"))
    }

    /// [`Self::predict_proba`] that reports a wrong-length row as an error.
    pub fn try_predict_proba(&self, x: &[f64]) -> Result<f64> {
        if x.len() != self.p() {
            return Err(Error::WrongArrayLength {
                expected: self.p(),
                got: x.len(),
            });
        }
        let eta = self.estimate[0] + self.estimate[1..].iter().zip(x).map(|(b, v)| b * v).sum::<f64>();
        Ok(sigmoid(eta))
    }
}

fn null_as_infinity<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<f64>, D::Error> {
    let v: Vec<Option<f64>> = Vec::deserialize(d)?;
    Ok(v.into_iter().map(|x| x.unwrap_or(f64::INFINITY)).collect())
}

/// Starting coefficients: the intercept at the log-odds ln(p̂/(1 − p̂)) of the
/// positive rows, the slopes 0 (the maximum-likelihood intercept-only model).
/// All zeros when a class is empty (the first pass then reports it).
pub fn initial_beta(p: usize, n: u64, n_positive: u64) -> Vec<f64> {
    let mut beta = vec![0.0; p + 1];
    if n_positive > 0 && n_positive < n {
        beta[0] = (n_positive as f64 / (n - n_positive) as f64).ln();
    }
    beta
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn initial_beta_is_the_log_odds() {
        assert_eq!(initial_beta(2, 10, 5), vec![0.0; 3]);
        assert!((initial_beta(1, 4, 1)[0] - (1.0f64 / 3.0).ln()).abs() < 1e-15);
        assert_eq!(initial_beta(1, 4, 0), vec![0.0, 0.0]);
    }

    #[test]
    fn predict_proba_is_stable() {
        let fit = LogitFit {
            terms: names(&["(intercept)", "x"]),
            estimate: vec![0.0, 1.0],
            std_error: vec![None; 2],
            z_value: vec![None; 2],
            p_value: vec![None; 2],
            ci_lower: vec![None; 2],
            ci_upper: vec![None; 2],
            odds_ratio: vec![1.0, std::f64::consts::E],
            odds_ratio_ci_lower: vec![None; 2],
            odds_ratio_ci_upper: vec![None; 2],
            n: 2,
            n_positive: 1,
            log_likelihood: -1.0,
            null_log_likelihood: -1.0,
            df_model: 1.0,
            lr_chi2: 0.0,
            lr_p_value: 1.0,
            pseudo_r_squared: 0.0,
            aic: 0.0,
            bic: 0.0,
            iterations: 1,
            converged: true,
            l2: 0.0,
            solver: "irls".into(),
            cov_params: None,
            x_mean: Vec::new(),
            vif: Vec::new(),
            std_estimate: Vec::new(),
        };
        // An odds ratio that overflows survives the JSON round trip.
        let mut huge = fit.clone();
        huge.estimate[1] = 800.0;
        huge.odds_ratio[1] = 800f64.exp();
        let back: LogitFit = serde_json::from_str(&serde_json::to_string(&huge).unwrap()).unwrap();
        assert_eq!(back, huge);
        assert_eq!(back.odds_ratio[1], f64::INFINITY);
        assert_eq!(fit.predict_proba(&[0.0]), 0.5);
        assert_eq!(fit.predict_proba(&[-1000.0]), 0.0);
        assert_eq!(fit.predict_proba(&[1000.0]), 1.0);
        assert!(fit.predict_proba(&[-700.0]) > 0.0);
        assert!(matches!(
            fit.try_predict_proba(&[1.0, 2.0]),
            Err(Error::WrongArrayLength { expected: 1, got: 2 })
        ));
    }
}
