//! Explaining one prediction and its uncertainty, and the collinearity diagnostics of a fit:
//! per-feature contributions against the training means, OLS prediction intervals,
//! delta-method confidence intervals for a logistic probability, and variance inflation
//! factors.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::encoding::{Design, Input};
use crate::model::scoring::{check_score, sigmoid};
use crate::numerics::linalg::cholesky;
use crate::numerics::stats::{normal_quantile, t_quantile};
use std::cell::Cell;

/// VIF above which training warns (the usual rule of thumb).
pub const VIF_WARNING: f64 = 10.0;
/// Condition number above which training warns.
pub const CONDITION_WARNING: f64 = 1e6;

/// Variance inflation factors of the features from their `p`×`p` co-moment (or
/// covariance) matrix, row-major: VIFⱼ = 1 / (1 − Rⱼ²) = (R⁻¹)ⱼⱼ with R the correlation
/// matrix. `None` for a feature that is constant or an exact combination of the others
/// (its VIF is infinite); with one feature the VIF is 1.
pub fn vif(comoment: &[f64], p: usize) -> Vec<Option<f64>> {
    assert_eq!(comoment.len(), p * p, "vif: a {p}x{p} matrix");
    let scale: Vec<f64> = (0..p).map(|i| comoment[i * p + i].sqrt()).collect();
    let mut out = vec![None; p];
    // Constant features have no correlation; leave them out of R and give them None.
    let kept: Vec<usize> = (0..p)
        .filter(|&i| scale[i] > 0.0 && scale[i].is_finite())
        .collect();
    let k = kept.len();
    let mut corr = vec![0.0; k * k];
    for (a, &i) in kept.iter().enumerate() {
        for (b, &j) in kept.iter().enumerate() {
            corr[a * k + b] = if a == b {
                1.0
            } else {
                comoment[i * p + j] / (scale[i] * scale[j])
            };
        }
    }
    if let Ok(factor) = cholesky(&corr, k, 1e-12) {
        let inverse = factor.inverse();
        for (a, &i) in kept.iter().enumerate() {
            out[i] = Some(inverse[a * k + a]);
        }
    }
    out
}

/// One feature's share of a prediction.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Contribution {
    pub feature: String,
    pub value: f64,
    pub mean: f64,
    pub coefficient: f64,
    /// coefficient × (value − mean), on the linear-predictor scale.
    pub contribution: f64,
}

/// The linear predictor of `x` split into a baseline — the prediction at the training
/// means — and one contribution per feature: `baseline + Σ contributions` is the linear
/// predictor `b₀ + Σ bⱼ xⱼ` up to rounding.
pub fn contributions(
    names: &[String],
    estimate: &[f64],
    means: &[f64],
    x: &[f64],
) -> Result<(f64, Vec<Contribution>)> {
    let p = names.len();
    if estimate.len() != p + 1 || means.len() != p || x.len() != p {
        return Err(Error::CorruptModel {
            reason: format!(
                "{} coefficients, {} means and {} values for {p} features",
                estimate.len(),
                means.len(),
                x.len()
            ),
        });
    }
    let baseline = estimate[0] + estimate[1..].iter().zip(means).map(|(b, m)| b * m).sum::<f64>();
    let parts = (0..p)
        .map(|j| Contribution {
            feature: names[j].clone(),
            value: x[j],
            mean: means[j],
            coefficient: estimate[j + 1],
            contribution: estimate[j + 1] * (x[j] - means[j]),
        })
        .collect();
    Ok((baseline, parts))
}

/// The contributions of one input column: a numeric column's one term, or the sum over a
/// categorical column's one-hot levels.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ColumnContribution {
    pub column: String,
    /// A numeric column's value.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<f64>,
    /// A categorical column: the level the row is scored as (its reference level when no
    /// indicator is set: the reference itself, or an unseen level under "unseen": "reference").
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub level: Option<String>,
    /// The sum of the column's terms' contributions.
    pub contribution: f64,
}

/// `parts` (one per term of `design`, in its order, as [`contributions`] returns them)
/// summed into one per input column, in the design's column order: the total is unchanged.
pub fn by_column(design: &Design, parts: &[Contribution]) -> Result<Vec<ColumnContribution>> {
    if parts.len() != design.terms().len() {
        return Err(Error::CorruptModel {
            reason: format!("{} contributions for {} terms", parts.len(), design.terms().len()),
        });
    }
    Ok(design
        .inputs()
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let range = design.term_range(i);
            let terms = &parts[range];
            let (value, level) = match input {
                Input::Number { .. } => (Some(terms[0].value), None),
                Input::Category { categorical, .. } => {
                    let level = terms
                        .iter()
                        .position(|t| t.value == 1.0)
                        .map_or(&categorical.reference, |j| &categorical.levels[j]);
                    (None, Some(level.clone()))
                }
            };
            ColumnContribution {
                column: input.column().to_string(),
                value,
                level,
                contribution: terms.iter().map(|t| t.contribution).sum(),
            }
        })
        .collect())
}

/// x̃ᵀ C x̃ with x̃ = [1, x] and C the row-major (p+1)×(p+1) covariance of the coefficients.
fn quadratic_form(cov: &[f64], x: &[f64]) -> f64 {
    let d = x.len() + 1;
    let at = |i: usize| if i == 0 { 1.0 } else { x[i - 1] };
    let mut total = 0.0;
    for i in 0..d {
        for j in 0..d {
            total += at(i) * cov[i * d + j] * at(j);
        }
    }
    total.max(0.0)
}

fn check_level(level: f64) -> Result<()> {
    if !(level > 0.0 && level < 1.0) {
        return Err(Error::InvalidArgument {
            what: format!("level {level}"),
            reason: "must be between 0 and 1, e.g. 0.95".into(),
        });
    }
    Ok(())
}

thread_local! {
    /// The last quantile an interval needed, by (probability, df) bits (df NaN: normal).
    static LAST_QUANTILE: Cell<(u64, u64, f64)> = const { Cell::new((u64::MAX, u64::MAX, f64::NAN)) };
}

/// `quantile()`, remembered for the last (probability, df): a query scores row after row at
/// one level (and a model, or a group, at one df), and a t quantile costs microseconds
/// against the interval's fraction of one. A pure memo: the same arguments give the same bits.
fn remembered_quantile(prob: f64, df: f64, quantile: impl FnOnce() -> f64) -> f64 {
    let key = (prob.to_bits(), df.to_bits());
    LAST_QUANTILE.with(|last| {
        let (p, d, value) = last.get();
        if (p, d) == key {
            return value;
        }
        let value = quantile();
        last.set((key.0, key.1, value));
        value
    })
}

/// The exact OLS prediction interval for a new observation at `x`:
/// ŷ ± t(df_resid, (1 + level)/2) · √(σ² + x̃ᵀ Cov(b) x̃), as statsmodels'
/// `get_prediction(x).summary_frame()` reports in `obs_ci_lower` / `obs_ci_upper`.
/// Returns (ŷ, lower, upper). A prediction or half-width that is not finite (values near
/// the overflow threshold) is an error naming `model()` and the row (see [`check_score`]).
#[allow(clippy::too_many_arguments)]
pub fn ols_prediction_interval(
    estimate: &[f64],
    cov: &[f64],
    sigma: f64,
    df_resid: f64,
    x: &[f64],
    level: f64,
    model: impl Fn() -> String,
    name_of: impl Fn(usize) -> String,
) -> Result<(f64, f64, f64)> {
    check_level(level)?;
    let fit = estimate[0] + estimate[1..].iter().zip(x).map(|(b, v)| b * v).sum::<f64>();
    let fit = check_score(fit, "prediction", &model, &name_of, x)?;
    let se = (sigma * sigma + quadratic_form(cov, x)).sqrt();
    let t = remembered_quantile((1.0 + level) / 2.0, df_resid, || {
        t_quantile((1.0 + level) / 2.0, df_resid)
    });
    let lower = check_score(fit - t * se, "lower prediction bound", &model, &name_of, x)?;
    let upper = check_score(fit + t * se, "upper prediction bound", &model, &name_of, x)?;
    Ok((fit, lower, upper))
}

/// A confidence interval for P(y = 1 | x) of a logistic model, by the delta method on the
/// logit scale: σ(η̂ ± z · √(x̃ᵀ Cov(b) x̃)), as statsmodels' GLM (Binomial) reports in
/// `mean_ci_lower` / `mean_ci_upper`. Returns (p̂, lower, upper). Log-odds or a half-width
/// that are not finite are an error naming `model()` and the row (see [`check_score`]).
pub fn logistic_confidence_interval(
    estimate: &[f64],
    cov: &[f64],
    x: &[f64],
    level: f64,
    model: impl Fn() -> String,
    name_of: impl Fn(usize) -> String,
) -> Result<(f64, f64, f64)> {
    check_level(level)?;
    let eta = estimate[0] + estimate[1..].iter().zip(x).map(|(b, v)| b * v).sum::<f64>();
    let eta = check_score(eta, "log-odds", &model, &name_of, x)?;
    let se = quadratic_form(cov, x).sqrt();
    let z = remembered_quantile((1.0 + level) / 2.0, f64::NAN, || {
        normal_quantile((1.0 + level) / 2.0)
    });
    let half = check_score(z * se, "log-odds interval half-width", &model, &name_of, x)?;
    Ok((sigmoid(eta), sigmoid(eta - half), sigmoid(eta + half)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_quantiles_are_the_quantiles() {
        // Alternating arguments: each call must give its own quantile, never the last one.
        for _ in 0..3 {
            for (p, df) in [(0.975, 30.0), (0.95, 30.0), (0.975, 12.0), (0.975, f64::NAN)] {
                let expected = if df.is_nan() {
                    normal_quantile(p)
                } else {
                    t_quantile(p, df)
                };
                let got = remembered_quantile(p, df, || {
                    if df.is_nan() {
                        normal_quantile(p)
                    } else {
                        t_quantile(p, df)
                    }
                });
                assert_eq!(got.to_bits(), expected.to_bits());
            }
        }
    }

    #[test]
    fn vif_of_two_features_is_one_over_one_minus_r_squared() {
        // Covariance with correlation 0.6 between the first two, the third independent.
        let c = [
            4.0,
            0.6 * 2.0 * 3.0,
            0.0,
            0.6 * 2.0 * 3.0,
            9.0,
            0.0,
            0.0,
            0.0,
            1.0,
        ];
        let v = vif(&c, 3);
        assert!((v[0].unwrap() - 1.0 / (1.0 - 0.36)).abs() < 1e-12);
        assert!((v[1].unwrap() - 1.0 / (1.0 - 0.36)).abs() < 1e-12);
        assert!((v[2].unwrap() - 1.0).abs() < 1e-12);
        // A constant feature, and an exact copy.
        assert_eq!(vif(&[1.0, 0.0, 0.0, 0.0], 2), vec![Some(1.0), None]);
        assert_eq!(vif(&[1.0, 1.0, 1.0, 1.0], 2), vec![None, None]);
    }

    #[test]
    fn by_column_sums_the_levels_of_a_categorical_column() {
        use crate::model::encoding::{Categorical, Unseen};
        let counts = vec![
            ("web".to_string(), 50),
            ("email".to_string(), 30),
            ("social".to_string(), 20),
        ];
        let channel = Categorical::from_counts("channel", &counts, 100, None).unwrap();
        let reference = channel.reference.clone();
        let design = Design::new(
            vec![("age".to_string(), None), ("channel".to_string(), Some(channel))],
            Unseen::Error,
        );
        let terms = design.terms().to_vec();
        assert_eq!(terms.len(), 3, "{terms:?}");
        // age, and the two non-reference levels: the row has the second level's indicator.
        let estimate = [0.5, 2.0, -1.0, 3.0];
        let means = [40.0, 0.3, 0.2];
        let x = [45.0, 0.0, 1.0];
        let (baseline, parts) = contributions(&terms, &estimate, &means, &x).unwrap();
        let columns = by_column(&design, &parts).unwrap();
        assert_eq!(columns.len(), 2);
        assert_eq!(columns[0].column, "age");
        assert_eq!(columns[0].value, Some(45.0));
        assert_eq!(columns[0].contribution, 2.0 * 5.0);
        assert_eq!(columns[1].column, "channel");
        assert_eq!(
            columns[1].level.as_deref(),
            Some(terms[2].strip_prefix("channel=").unwrap())
        );
        // Independently: −1·(0 − 0.3) + 3·(1 − 0.2).
        assert!((columns[1].contribution - (0.3 + 2.4)).abs() < 1e-12);
        let total = baseline + columns.iter().map(|c| c.contribution).sum::<f64>();
        let prediction = 0.5 + 2.0 * 45.0 + 3.0;
        assert!((total - prediction).abs() < 1e-12);
        // No indicator set: the reference level.
        let (_, parts) = contributions(&terms, &estimate, &means, &[45.0, 0.0, 0.0]).unwrap();
        assert_eq!(
            by_column(&design, &parts).unwrap()[1].level.as_deref(),
            Some(reference.as_str())
        );
        assert!(by_column(&design, &parts[..2]).is_err());
    }

    #[test]
    fn contributions_add_up_to_the_linear_predictor() {
        let names = vec!["a".to_string(), "b".to_string()];
        let (baseline, parts) = contributions(&names, &[1.0, 2.0, -3.0], &[0.5, 1.5], &[2.0, 1.0]).unwrap();
        assert_eq!(baseline, 1.0 + 2.0 * 0.5 - 3.0 * 1.5);
        assert_eq!(parts[0].contribution, 2.0 * 1.5);
        assert_eq!(parts[1].contribution, -3.0 * -0.5);
        let total = baseline + parts.iter().map(|c| c.contribution).sum::<f64>();
        assert!((total - (1.0 + 2.0 * 2.0 - 3.0 * 1.0)).abs() < 1e-15);
        assert!(contributions(&names, &[1.0, 2.0], &[0.5, 1.5], &[2.0, 1.0]).is_err());
    }

    #[test]
    fn intervals_widen_with_the_level_and_reject_bad_levels() {
        let model = || "m@1".to_string();
        let name = |_: usize| "x".to_string();
        let cov = [0.04, 0.0, 0.0, 0.01];
        let (fit, lo90, hi90) =
            ols_prediction_interval(&[1.0, 2.0], &cov, 0.5, 30.0, &[3.0], 0.90, model, name).unwrap();
        let (_, lo99, hi99) =
            ols_prediction_interval(&[1.0, 2.0], &cov, 0.5, 30.0, &[3.0], 0.99, model, name).unwrap();
        assert_eq!(fit, 7.0);
        assert!(lo99 < lo90 && lo90 < fit && fit < hi90 && hi90 < hi99);
        assert!((fit - lo90 - (hi90 - fit)).abs() < 1e-12);
        let (p, lo, hi) = logistic_confidence_interval(&[0.0, 1.0], &cov, &[0.0], 0.95, model, name).unwrap();
        assert_eq!(p, 0.5);
        // η = 0 ± 1.96 · 0.2.
        assert!((hi - sigmoid(1.959963984540054 * 0.2)).abs() < 1e-9 && (lo - (1.0 - hi)).abs() < 1e-15);
        assert!(ols_prediction_interval(&[1.0, 2.0], &cov, 0.5, 30.0, &[3.0], 1.0, model, name).is_err());
        assert!(logistic_confidence_interval(&[0.0, 1.0], &cov, &[0.0], -0.5, model, name).is_err());
        // A finite row whose interval overflows: x² in the quadratic form.
        let e =
            ols_prediction_interval(&[1.0, 2.0], &cov, 0.5, 30.0, &[1e200], 0.95, model, name).unwrap_err();
        assert_eq!(e.sqlstate(), "22003");
        assert!(
            e.message()
                .contains("non-finite lower prediction bound (-Infinity) for the row with x = 1e+200"),
            "{}",
            e.message()
        );
        let e = logistic_confidence_interval(&[0.0, 1.0], &cov, &[1e200], 0.95, model, name).unwrap_err();
        assert!(
            e.message().contains("log-odds interval half-width (Infinity)"),
            "{}",
            e.message()
        );
        let e = logistic_confidence_interval(&[0.0, 2.0], &cov, &[1.7e308], 0.95, model, name).unwrap_err();
        assert!(
            e.message().contains("non-finite log-odds (Infinity)"),
            "{}",
            e.message()
        );
    }
}

/// What explaining and intervals need from a stored fit (`fit jsonb` of a linear or
/// logistic version).
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct StoredFit {
    pub estimate: Vec<f64>,
    #[serde(default)]
    pub x_mean: Vec<f64>,
    #[serde(default)]
    pub cov_params: Option<Vec<f64>>,
    #[serde(default)]
    pub residual_std_error: Option<f64>,
    #[serde(default)]
    pub df_resid: Option<f64>,
}

impl StoredFit {
    /// Read the fit of `model`; `Err` names what is missing.
    pub fn from_json(model: &str, fit: &serde_json::Value) -> Result<StoredFit> {
        let stored: StoredFit = serde_json::from_value(fit.clone()).map_err(|e| Error::CorruptModel {
            reason: format!("{model}: fit: {e}"),
        })?;
        if stored.x_mean.len() + 1 != stored.estimate.len() {
            return Err(Error::Unsupported {
                what: format!("explaining model \"{model}\""),
                hint: "Its version stored no training means (it was trained before cltv 0.2.0): retrain it with cltv_retrain.".into(),
            });
        }
        Ok(stored)
    }

    /// The coefficients' covariance, which penalised fits do not have.
    pub fn covariance(&self, model: &str) -> Result<&[f64]> {
        self.cov_params.as_deref().ok_or_else(|| Error::Unsupported {
            what: format!("an interval for model \"{model}\""),
            hint: "Penalised fits (\"l2\" > 0) have no classical covariance of their coefficients; train without l2 for intervals.".into(),
        })
    }
}
