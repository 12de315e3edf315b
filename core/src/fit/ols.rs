//! Ordinary least squares and ridge regression from centred sufficient
//! statistics, with the same inference as statsmodels
//! `OLS(y, add_constant(X)).fit()`.
//!
//! The solve happens in correlation space: the centred cross-products are
//! scaled to unit diagonal before the Cholesky factorisation, which removes
//! the (often huge) spread in feature scales and the intercept's collinearity
//! with large means. The raw XᵀX is never formed for solving.
//!
//! Ridge (`l2 > 0`) minimises ‖y − b₀ − Xb‖² + l2·‖b‖² with the intercept
//! unpenalised and no 1/n factor, i.e. scikit-learn `Ridge(alpha=l2)`. Ridge
//! has no classical sampling distribution, so standard errors, t and p values,
//! confidence intervals, the F test and `cov_params` are `None`. Its
//! `df_model` is the effective degrees of freedom tr(X(XᵀX + l2·I)⁻¹Xᵀ) on the
//! centred data, which `df_resid`, adjusted R², AIC and BIC then use.
//! Constant features are allowed under ridge and get coefficient 0.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::suffstats::SuffStats;
use crate::numerics::linalg::{
    cholesky, singular_values, upper_triangular_extreme_singular_values, Cholesky,
};
use crate::numerics::stats::{f_sf, t_quantile, t_two_sided_p};

/// Name of the intercept in [`OlsFit::terms`].
pub const INTERCEPT_TERM: &str = "(intercept)";

/// A feature is constant when its standard deviation is zero or at most this
/// fraction of |mean|: its values then differ only in the last few digits,
/// which carry rounding, not signal.
pub const CONSTANT_REL_TOL: f64 = 1e-12;

/// A feature is collinear when less than this fraction of its variance is
/// left after regressing it on the features before it (1 − R² < 1e-10, i.e.
/// a variance inflation factor above 1e10). Solving normal equations loses
/// about log10(VIF) digits, so beyond this fewer than ~6 of 16 would remain.
pub const COLLINEAR_TOL: f64 = 1e-10;

/// Features listed as "depends on" have a standardized weight of at least
/// this fraction of the largest one in the regression of the collinear
/// feature on the earlier ones.
pub const DEPENDENCY_WEIGHT_TOL: f64 = 1e-6;

/// Up to this order (p + 1) the condition number comes from a full one-sided
/// Jacobi SVD (~1e-13 relative in our tests); beyond it, from power
/// iteration, an estimate (usually 1e-9 or better) that keeps a fit with
/// p = 1000 in seconds rather than a minute.
pub const JACOBI_MAX_ORDER: usize = 150;

/// Confidence level of `ci_lower` / `ci_upper`.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OlsOptions {
    /// Ridge penalty; 0 for ordinary least squares.
    pub l2: f64,
    /// Penalise the coefficients of the standardised features (scikit-learn's
    /// `make_pipeline(StandardScaler(), Ridge(alpha))`): on the original scale a penalty of
    /// l2·sd²ⱼ per coefficient, sd the population standard deviation (1 for a constant
    /// feature, as StandardScaler). No effect without `l2`.
    pub standardize: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct OlsFit {
    /// [`INTERCEPT_TERM`], then the feature names.
    pub terms: Vec<String>,
    /// Intercept first, then one coefficient per feature.
    pub estimate: Vec<f64>,
    /// `None` under ridge, or where undefined (zero standard error).
    pub std_error: Vec<Option<f64>>,
    pub t_value: Vec<Option<f64>>,
    /// Two-sided, Student t with `df_resid` degrees of freedom.
    pub p_value: Vec<Option<f64>>,
    /// 95% confidence interval, Student t with `df_resid` degrees of freedom.
    pub ci_lower: Vec<Option<f64>>,
    pub ci_upper: Vec<Option<f64>>,
    pub n: u64,
    pub df_model: f64,
    pub df_resid: f64,
    /// `None` when y is constant.
    pub r_squared: Option<f64>,
    pub adj_r_squared: Option<f64>,
    /// `None` under ridge, with no features, or for an exact fit.
    pub f_statistic: Option<f64>,
    pub f_p_value: Option<f64>,
    /// sqrt(ssr / df_resid).
    pub residual_std_error: Option<f64>,
    /// Gaussian log-likelihood; `None` for an exact fit (ssr = 0).
    pub log_likelihood: Option<f64>,
    pub aic: Option<f64>,
    pub bic: Option<f64>,
    /// σ_max/σ_min of the raw design matrix [1, X] (statsmodels'
    /// "Cond. No."); `None` when that matrix is singular.
    pub condition_number: Option<f64>,
    /// Residual sum of squares.
    pub ssr: f64,
    pub l2: f64,
    pub x_mean: Vec<f64>,
    pub y_mean: f64,
    /// Row-major (p+1)×(p+1) covariance of [intercept, b…]; `None` under ridge.
    pub cov_params: Option<Vec<f64>>,
    /// Variance inflation factor per feature (`None`: constant or an exact combination);
    /// empty in fits stored before it existed.
    #[serde(default)]
    pub vif: Vec<Option<f64>>,
    /// The coefficients on the standardised scale: bⱼ·sd(xⱼ), the change in y for one
    /// (population) standard deviation of the feature; `None` for the intercept.
    #[serde(default)]
    pub std_estimate: Vec<Option<f64>>,
}

/// Fits OLS (or ridge, if `opts.l2 > 0`) from sufficient statistics.
pub fn fit_ols(stats: &SuffStats, feature_names: &[String], opts: &OlsOptions) -> Result<OlsFit> {
    fit_ols_with(stats, feature_names, opts, true)
}

/// [`fit_ols`] for one group of a grouped fit: everything but the condition number, which
/// costs a singular value decomposition per group (11 ms at p = 95) and serves only the
/// collinearity warning, which the pooled fit gives.
pub fn fit_ols_for_group(stats: &SuffStats, feature_names: &[String], opts: &OlsOptions) -> Result<OlsFit> {
    fit_ols_with(stats, feature_names, opts, false)
}

fn fit_ols_with(
    stats: &SuffStats,
    feature_names: &[String],
    opts: &OlsOptions,
    with_condition_number: bool,
) -> Result<OlsFit> {
    let p = stats.p;
    if feature_names.len() != p {
        return Err(Error::WrongArrayLength {
            expected: p,
            got: feature_names.len(),
        });
    }
    let l2 = opts.l2;
    if !(l2.is_finite() && l2 >= 0.0) {
        return Err(Error::InvalidOption {
            key: "l2".to_string(),
            reason: format!("must be a finite number >= 0, got {l2}"),
        });
    }
    let ridge = l2 > 0.0;
    let n = stats.n;
    if n == 0 {
        return Err(Error::EmptyInput {
            source: "the regression input".to_string(),
        });
    }
    // OLS needs df_resid = n - p - 1 >= 1; ridge only needs a centred y.
    let needed = if ridge { 2 } else { p as u64 + 2 };
    if n < needed {
        return Err(Error::TooFewRows { n, p, needed });
    }

    let n_f = n as f64;
    let x_mean = stats.x_mean().to_vec();
    let y_mean = stats.y_mean();
    let cxx = stats.cxx();
    let cxy = stats.cxy();
    let cyy = stats.cyy();

    if !ridge {
        for (i, name) in feature_names.iter().enumerate() {
            if is_constant(cxx[i * p + i], x_mean[i], n_f) {
                return Err(Error::ConstantFeature {
                    feature: name.clone(),
                });
            }
        }
    }

    // The penalty of each coefficient: l2, or l2·sd² on standardised features.
    let penalty: Vec<f64> = (0..p)
        .map(|i| {
            let variance = cxx[i * p + i] / n_f;
            if opts.standardize && variance > 0.0 {
                l2 * variance
            } else {
                l2
            }
        })
        .collect();
    // Correlation space: R = D⁻¹(Cxx + Λ)D⁻¹ with D = sqrt(diag(Cxx) + Λ), Λ = diag(penalty).
    let scale: Vec<f64> = (0..p).map(|i| (cxx[i * p + i] + penalty[i]).sqrt()).collect();
    let mut corr = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            corr[i * p + j] = if i == j {
                1.0
            } else {
                cxx[i * p + j] / (scale[i] * scale[j])
            };
        }
    }
    let chol = cholesky(&corr, p, COLLINEAR_TOL).map_err(|dep| {
        let max_w = dep.weights.iter().fold(0.0_f64, |m, w| m.max(w.abs()));
        Error::Collinear {
            feature: feature_names[dep.column].clone(),
            depends_on: dep
                .weights
                .iter()
                .enumerate()
                .filter(|(_, w)| max_w > 0.0 && w.abs() >= DEPENDENCY_WEIGHT_TOL * max_w)
                .map(|(k, _)| feature_names[k].clone())
                .collect(),
        }
    })?;
    let scaled_cxy: Vec<f64> = cxy.iter().zip(&scale).map(|(c, s)| c / s).collect();
    let z = chol.forward_substitute(scaled_cxy);
    let scaled_b = chol.back_substitute(z.clone());
    let b: Vec<f64> = scaled_b.iter().zip(&scale).map(|(v, s)| v / s).collect();
    let intercept = y_mean - x_mean.iter().zip(&b).map(|(m, c)| m * c).sum::<f64>();

    let ssr = if ridge {
        // ‖y_c − X_c b‖² = Cyy − 2bᵀCxy + bᵀCxx b.
        let mut quad = 0.0;
        for i in 0..p {
            for j in 0..p {
                quad += b[i] * cxx[i * p + j] * b[j];
            }
        }
        cyy - 2.0 * b.iter().zip(&cxy).map(|(c, s)| c * s).sum::<f64>() + quad
    } else {
        // Cyy − bᵀCxy, with bᵀCxy = ‖L⁻¹D⁻¹Cxy‖² a sum of squares.
        cyy - z.iter().map(|v| v * v).sum::<f64>()
    };
    // Rounding can leave an exact fit's SSR a few ulps of Cyy below zero; more than that,
    // and the co-moment matrix was not positive semi-definite: not from real rows.
    if ssr.is_nan() || ssr < -1e-9 * cyy.max(f64::MIN_POSITIVE) {
        return Err(Error::CorruptState {
            reason: format!(
                "the sums of squares and products are not those of any data (the residual sum of squares would be {ssr})"
            ),
        });
    }
    let ssr = ssr.max(0.0);

    let inverse_corr = chol.inverse();
    let df_model = if ridge {
        // tr(Cxx (Cxx + Λ)⁻¹) = p − tr(Λ (Cxx + Λ)⁻¹).
        p as f64
            - (0..p)
                .map(|i| penalty[i] * inverse_corr[i * p + i] / (scale[i] * scale[i]))
                .sum::<f64>()
    } else {
        p as f64
    };
    let df_resid = n_f - 1.0 - df_model;
    let k_params = df_model + 1.0;

    let r_squared = (cyy > 0.0).then(|| 1.0 - ssr / cyy);
    let adj_r_squared = r_squared
        .filter(|_| df_resid > 0.0)
        .map(|r2| 1.0 - (n_f - 1.0) / df_resid * (1.0 - r2));
    let residual_variance = (df_resid > 0.0).then(|| ssr / df_resid);
    let residual_std_error = residual_variance.map(f64::sqrt);
    let (f_statistic, f_p_value) = if ridge || p == 0 || ssr <= 0.0 {
        (None, None)
    } else {
        let f = ((cyy - ssr) / df_model) / (ssr / df_resid);
        (Some(f), Some(f_sf(f, df_model, df_resid)))
    };
    let log_likelihood =
        (ssr > 0.0).then(|| -0.5 * n_f * ((2.0 * std::f64::consts::PI).ln() + (ssr / n_f).ln() + 1.0));
    let aic = log_likelihood.map(|llf| -2.0 * llf + 2.0 * k_params);
    let bic = log_likelihood.map(|llf| -2.0 * llf + n_f.ln() * k_params);

    let mut estimate = Vec::with_capacity(p + 1);
    estimate.push(intercept);
    estimate.extend_from_slice(&b);

    let cov_params = match (ridge, residual_variance) {
        (false, Some(s2)) => Some(ols_covariance(&chol, &inverse_corr, &scale, &x_mean, n_f, s2)),
        _ => None,
    };
    let critical_t = t_quantile(0.5 + CONFIDENCE_LEVEL / 2.0, df_resid);
    let k = p + 1;
    let mut std_error = vec![None; k];
    let mut t_value = vec![None; k];
    let mut p_value = vec![None; k];
    let mut ci_lower = vec![None; k];
    let mut ci_upper = vec![None; k];
    if let Some(cov) = &cov_params {
        for i in 0..k {
            let se = cov[i * k + i].sqrt();
            std_error[i] = Some(se);
            ci_lower[i] = Some(estimate[i] - critical_t * se);
            ci_upper[i] = Some(estimate[i] + critical_t * se);
            if se > 0.0 {
                let t = estimate[i] / se;
                t_value[i] = Some(t);
                p_value[i] = Some(t_two_sided_p(t, df_resid));
            }
        }
    }

    let mut terms = Vec::with_capacity(k);
    terms.push(INTERCEPT_TERM.to_string());
    terms.extend(feature_names.iter().cloned());

    Ok(OlsFit {
        terms,
        estimate,
        std_error,
        t_value,
        p_value,
        ci_lower,
        ci_upper,
        n,
        df_model,
        df_resid,
        r_squared,
        adj_r_squared,
        f_statistic,
        f_p_value,
        residual_std_error,
        log_likelihood,
        aic,
        bic,
        condition_number: if with_condition_number {
            design_condition_number(stats)
        } else {
            None
        },
        ssr,
        l2,
        x_mean,
        y_mean,
        cov_params,
        vif: feature_vif(stats),
        std_estimate: std::iter::once(None)
            .chain((0..p).map(|j| Some(b[j] * (cxx[j * p + j] / n_f).sqrt())))
            .collect(),
    })
}

/// The VIFs from the features' block of the co-moment matrix (y is the last row/column).
fn feature_vif(stats: &SuffStats) -> Vec<Option<f64>> {
    let (p, d) = (stats.p, stats.p + 1);
    let block: Vec<f64> = (0..p)
        .flat_map(|i| (0..p).map(move |j| (i, j)))
        .map(|(i, j)| stats.comoment[i * d + j])
        .collect();
    crate::evaluation::explain::vif(&block, p)
}

fn is_constant(centred_sum_sq: f64, mean: f64, n: f64) -> bool {
    centred_sum_sq <= 0.0 || centred_sum_sq / n <= (CONSTANT_REL_TOL * mean).powi(2)
}

/// s²·(XᵀX)⁻¹ for [intercept, b] from the correlation-space factor:
/// Cov(b) = s²·D⁻¹R⁻¹D⁻¹, Var(b₀) = s²(1/n + x̄ᵀCxx⁻¹x̄), Cov(b₀, b) = −Cov(b)x̄.
/// x̄ᵀCxx⁻¹x̄ is taken as ‖L⁻¹D⁻¹x̄‖², a sum of squares, because the plain
/// quadratic form cancels badly when the means are large (Longley's YEAR).
fn ols_covariance(
    chol: &Cholesky,
    inverse_corr: &[f64],
    scale: &[f64],
    x_mean: &[f64],
    n: f64,
    s2: f64,
) -> Vec<f64> {
    let p = scale.len();
    let k = p + 1;
    let mut cov = vec![0.0; k * k];
    for i in 0..p {
        for j in 0..p {
            cov[(i + 1) * k + j + 1] = s2 * inverse_corr[i * p + j] / (scale[i] * scale[j]);
        }
    }
    let scaled_mean: Vec<f64> = x_mean.iter().zip(scale).map(|(m, s)| m / s).collect();
    let u = chol.forward_substitute(scaled_mean);
    cov[0] = s2 * (1.0 / n + u.iter().map(|v| v * v).sum::<f64>());
    for i in 0..p {
        let c: f64 = -(0..p).map(|j| cov[(i + 1) * k + j + 1] * x_mean[j]).sum::<f64>();
        cov[i + 1] = c;
        cov[(i + 1) * k] = c;
    }
    cov
}

/// Condition number of the raw design [1, X], as statsmodels reports it
/// (sqrt of the eigenvalue ratio of XᵀX = σ_max/σ_min of X).
///
/// XᵀX = MᵀM with the upper-triangular M = [[√n, √n·x̄ᵀ], [0, Lᵀ]] where
/// Cxx = LLᵀ, so the singular values of M are those of X. Taking them from M
/// by one-sided Jacobi keeps σ_min to ~ε·σ_max; eigenvalues of a
/// reconstructed XᵀX would lose it entirely once κ exceeds ~1e8 (Longley's is
/// ~5e9).
pub fn design_condition_number(stats: &SuffStats) -> Option<f64> {
    let p = stats.p;
    let k = p + 1;
    let cxx = stats.cxx();
    let scale: Vec<f64> = (0..p).map(|i| cxx[i * p + i].sqrt()).collect();
    if !scale.iter().all(|s| *s > 0.0) {
        return None; // a constant column is parallel to the intercept
    }
    let mut corr = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            corr[i * p + j] = if i == j {
                1.0
            } else {
                cxx[i * p + j] / (scale[i] * scale[j])
            };
        }
    }
    let chol = cholesky(&corr, p, 0.0).ok()?;
    let l = chol.lower();
    let sqrt_n = (stats.n as f64).sqrt();
    let mut m = vec![0.0; k * k];
    m[0] = sqrt_n;
    for j in 0..p {
        m[j + 1] = sqrt_n * stats.mean[j];
    }
    for i in 0..p {
        for j in i..p {
            // (Lᵀ)_{ij} of the unscaled factor D·L_corr.
            m[(i + 1) * k + j + 1] = scale[j] * l[j * p + i];
        }
    }
    let (max, min) = if k <= JACOBI_MAX_ORDER {
        let sv = singular_values(&m, k, k);
        (sv[0], sv[k - 1])
    } else {
        upper_triangular_extreme_singular_values(&m, k, 2000)
    };
    (min > 0.0).then(|| max / min)
}

impl OlsFit {
    /// Number of features (terms minus the intercept).
    pub fn p(&self) -> usize {
        self.x_mean.len()
    }

    /// Prediction for one row; computed around the means (ȳ + Σ bᵢ(xᵢ − x̄ᵢ)),
    /// which is more accurate than b₀ + Σ bᵢxᵢ when b₀ is a big extrapolation.
    ///
    /// # Panics
    /// If `x.len()` differs from the number of features; see [`Self::try_predict`].
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.try_predict(x)
            .unwrap_or_else(|e| panic!("OlsFit::predict: {e}"))
    }

    /// [`Self::predict`] that reports a wrong-length row as an error.
    pub fn try_predict(&self, x: &[f64]) -> Result<f64> {
        if x.len() != self.p() {
            return Err(Error::WrongArrayLength {
                expected: self.p(),
                got: x.len(),
            });
        }
        Ok(self.y_mean
            + x.iter()
                .zip(&self.x_mean)
                .zip(&self.estimate[1..])
                .map(|((xi, mi), bi)| bi * (xi - mi))
                .sum::<f64>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn stats_of(rows: &[(f64, Vec<f64>)], p: usize) -> SuffStats {
        SuffStats::from_rows(p, rows.iter().map(|(y, x)| (*y, x.as_slice())))
    }

    #[test]
    fn co_moments_of_no_data_are_refused() {
        // Each pair passes Cauchy–Schwarz, but corr(x1, x2) = 0 with corr(x_i, y) = 0.9
        // would explain 162% of y's variance: no data have these moments.
        let stats = SuffStats {
            p: 2,
            n: 10,
            rows_skipped_null: 0,
            rows_nonfinite: 0,
            mean: vec![0.0; 3],
            comoment: vec![1.0, 0.0, 0.9, 0.0, 1.0, 0.9, 0.9, 0.9, 1.0],
        };
        let e = fit_ols(&stats, &names(&["x1", "x2"]), &OlsOptions::default()).unwrap_err();
        assert!(matches!(e, Error::CorruptState { .. }), "{e:?}");
    }

    #[test]
    fn simple_line_by_hand() {
        // y = 1 + 2x + e with e = (+1, -1, -1, +1) at x = 0..3.
        let rows: Vec<(f64, Vec<f64>)> = [(0.0, 2.0), (1.0, 2.0), (2.0, 4.0), (3.0, 8.0)]
            .iter()
            .map(|&(x, y)| (y, vec![x]))
            .collect();
        let fit = fit_ols(&stats_of(&rows, 1), &names(&["x"]), &OlsOptions::default()).unwrap();
        // Sxy = (-1.5)(-2) + (-0.5)(-2) + (0.5)(0) + (1.5)(4) = 10, Sxx = 5.
        assert!((fit.estimate[1] - 2.0).abs() < 1e-15);
        assert!((fit.estimate[0] - 1.0).abs() < 1e-15);
        // Residuals (+1, -1, -1, +1): SSR = 4, s² = 2.
        assert!((fit.ssr - 4.0).abs() < 1e-13);
        assert!((fit.residual_std_error.unwrap() - 2f64.sqrt()).abs() < 1e-14);
        // SE(b1) = sqrt(2/5); SE(b0) = sqrt(2(1/4 + 2.25/5)).
        assert!((fit.std_error[1].unwrap() - 0.4f64.sqrt()).abs() < 1e-14);
        assert!((fit.std_error[0].unwrap() - (2.0 * (0.25 + 0.45f64)).sqrt()).abs() < 1e-14);
        assert_eq!(fit.terms, names(&["(intercept)", "x"]));
        assert_eq!(fit.df_resid, 2.0);
        assert!((fit.predict(&[10.0]) - 21.0).abs() < 1e-13);
        assert!(matches!(
            fit.try_predict(&[1.0, 2.0]),
            Err(Error::WrongArrayLength {
                expected: 1,
                got: 2,
                ..
            })
        ));
    }

    #[test]
    fn intercept_only_model() {
        let rows: Vec<(f64, Vec<f64>)> = [1.0, 2.0, 4.0, 9.0].iter().map(|&y| (y, vec![])).collect();
        let fit = fit_ols(&stats_of(&rows, 0), &[], &OlsOptions::default()).unwrap();
        assert_eq!(fit.estimate, vec![4.0]);
        // Sample variance 38/3, SE of the mean sqrt(38/3/4).
        assert!((fit.std_error[0].unwrap() - (38.0f64 / 12.0).sqrt()).abs() < 1e-14);
        assert_eq!(fit.r_squared, Some(0.0));
        assert_eq!(fit.f_statistic, None);
        assert_eq!(fit.condition_number, Some(1.0));
    }

    #[test]
    fn invalid_options_and_names() {
        let rows: Vec<(f64, Vec<f64>)> = (0..5).map(|k| (k as f64, vec![(k * k) as f64])).collect();
        let s = stats_of(&rows, 1);
        assert!(matches!(
            fit_ols(&s, &names(&["a", "b"]), &OlsOptions::default()),
            Err(Error::WrongArrayLength {
                expected: 1,
                got: 2,
                ..
            })
        ));
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                fit_ols(
                    &s,
                    &names(&["a"]),
                    &OlsOptions {
                        l2: bad,
                        ..Default::default()
                    }
                ),
                Err(Error::InvalidOption { .. })
            ));
        }
    }

    #[test]
    fn standardised_ridge_with_one_feature_has_a_closed_form() {
        // Penalising c = b·sd: b = Sxy / (Sxx + l2·sd²) with sd² = Sxx / n.
        let rows: Vec<(f64, Vec<f64>)> = (0..40)
            .map(|k| {
                let x = (k * 7 % 13) as f64 * 3.0;
                (2.0 + 0.5 * x + ((k * 5) % 7) as f64, vec![x])
            })
            .collect();
        let n = rows.len() as f64;
        let mx = rows.iter().map(|(_, x)| x[0]).sum::<f64>() / n;
        let my = rows.iter().map(|(y, _)| *y).sum::<f64>() / n;
        let sxx: f64 = rows.iter().map(|(_, x)| (x[0] - mx).powi(2)).sum();
        let sxy: f64 = rows.iter().map(|(y, x)| (x[0] - mx) * (y - my)).sum();
        let opts = OlsOptions {
            l2: 7.0,
            standardize: true,
        };
        let fit = fit_ols(&stats_of(&rows, 1), &names(&["x"]), &opts).unwrap();
        let want = sxy / (sxx + 7.0 * sxx / n);
        assert!(
            (fit.estimate[1] - want).abs() < 1e-12 * want.abs(),
            "{} vs {want}",
            fit.estimate[1]
        );
        let raw = fit_ols(
            &stats_of(&rows, 1),
            &names(&["x"]),
            &OlsOptions {
                l2: 7.0,
                standardize: false,
            },
        )
        .unwrap();
        assert!((raw.estimate[1] - sxy / (sxx + 7.0)).abs() < 1e-12);
    }

    #[test]
    fn fit_round_trips_through_json() {
        let rows: Vec<(f64, Vec<f64>)> = (0..6)
            .map(|k| (k as f64 + (k % 2) as f64, vec![k as f64]))
            .collect();
        let fit = fit_ols(&stats_of(&rows, 1), &names(&["x"]), &OlsOptions::default()).unwrap();
        let json = serde_json::to_string(&fit).unwrap();
        let back: OlsFit = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fit);
        let ridge = fit_ols(
            &stats_of(&rows, 1),
            &names(&["x"]),
            &OlsOptions {
                l2: 1.0,
                ..Default::default()
            },
        )
        .unwrap();
        let json = serde_json::to_string(&ridge).unwrap();
        assert!(json.contains("\"std_error\":[null,null]"));
        assert!(json.contains("\"cov_params\":null"));
    }

    #[test]
    fn a_group_fit_is_the_fit_without_its_condition_number() {
        let rows: Vec<(f64, Vec<f64>)> = (0..12)
            .map(|k| {
                (
                    2.0 * k as f64 + (k % 3) as f64,
                    vec![k as f64, (k * k % 7) as f64],
                )
            })
            .collect();
        let stats = stats_of(&rows, 2);
        let full = fit_ols(&stats, &names(&["a", "b"]), &OlsOptions::default()).unwrap();
        let group = fit_ols_for_group(&stats, &names(&["a", "b"]), &OlsOptions::default()).unwrap();
        assert!(full.condition_number.is_some());
        assert_eq!(group.condition_number, None);
        assert_eq!(
            OlsFit {
                condition_number: None,
                ..full
            },
            group
        );
    }
}
