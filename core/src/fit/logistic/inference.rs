//! Inference at the estimate: covariance, Wald statistics, likelihood-ratio test and
//! information criteria, as statsmodels' `Logit` reports them.

use crate::fit::ols::{CONFIDENCE_LEVEL, INTERCEPT_TERM};
use crate::numerics::stats::{chi2_sf, normal_quantile, normal_two_sided_p};

use super::analysis::Analysis;
use super::{LogitFit, LogitOptions, LogitPass};
/// Inverse Hessian for [intercept, b] from the centred factor:
/// Cov(b) = D⁻¹R⁻¹D⁻¹, Var(b₀) = 1/W + mᵀCov(b)m, Cov(b₀, b) = −Cov(b)m, with
/// mᵀCov(b)m taken as the sum of squares ‖L⁻¹D⁻¹m‖² (as in [`crate::fit::ols`]).
pub(super) fn covariance(an: &Analysis, inverse_corr: &[f64], mean: &[f64], weight_sum: f64) -> Vec<f64> {
    let p = mean.len();
    let k = p + 1;
    let scale = &an.scale;
    let mut cov = vec![0.0; k * k];
    for i in 0..p {
        for j in 0..p {
            cov[(i + 1) * k + j + 1] = inverse_corr[i * p + j] / (scale[i] * scale[j]);
        }
    }
    let scaled_mean: Vec<f64> = mean.iter().zip(scale).map(|(m, s)| m / s).collect();
    let u = an.chol.forward_substitute(scaled_mean);
    cov[0] = 1.0 / weight_sum + u.iter().map(|v| v * v).sum::<f64>();
    for i in 0..p {
        let c: f64 = -(0..p).map(|j| cov[(i + 1) * k + j + 1] * mean[j]).sum::<f64>();
        cov[i + 1] = c;
        cov[(i + 1) * k] = c;
    }
    cov
}

#[allow(clippy::too_many_arguments)]
pub(super) fn build_fit(
    pass: &LogitPass,
    an: &Analysis,
    estimate: Vec<f64>,
    iterations: u32,
    converged: bool,
    names: &[String],
    opts: &LogitOptions,
    solver: &str,
) -> LogitFit {
    let p = pass.p;
    let k = p + 1;
    let l2 = opts.l2;
    let n = pass.n as f64;
    let (n1, n0) = (pass.n_positive as f64, pass.n_negative() as f64);
    let null_log_likelihood = n1 * (n1 / n).ln() + n0 * (n0 / n).ln();
    let log_likelihood = pass.log_likelihood;
    let inverse_corr = an.chol.inverse();
    let df_model = if l2 > 0.0 {
        p as f64
            - (0..p)
                .map(|i| opts.lambda(i) * inverse_corr[i * p + i] / (an.scale[i] * an.scale[i]))
                .sum::<f64>()
    } else {
        p as f64
    };
    let lr_chi2 = (2.0 * (log_likelihood - null_log_likelihood)).max(0.0);
    let lr_p_value = if df_model > 0.0 {
        chi2_sf(lr_chi2, df_model)
    } else {
        1.0
    };
    let k_params = df_model + 1.0;

    let cov_params = (l2 == 0.0).then(|| covariance(an, &inverse_corr, &pass.mean, pass.weight_sum));
    let critical_z = normal_quantile(0.5 + CONFIDENCE_LEVEL / 2.0);
    let mut std_error = vec![None; k];
    let mut z_value = vec![None; k];
    let mut p_value = vec![None; k];
    let mut ci_lower = vec![None; k];
    let mut ci_upper = vec![None; k];
    if let Some(cov) = &cov_params {
        for i in 0..k {
            let se = cov[i * k + i].sqrt();
            std_error[i] = Some(se);
            ci_lower[i] = Some(estimate[i] - critical_z * se);
            ci_upper[i] = Some(estimate[i] + critical_z * se);
            if se > 0.0 {
                let z = estimate[i] / se;
                z_value[i] = Some(z);
                p_value[i] = Some(normal_two_sided_p(z));
            }
        }
    }
    let exp_all = |v: &[Option<f64>]| {
        v.iter()
            .map(|x| x.map(f64::exp).filter(|e| e.is_finite()))
            .collect::<Vec<_>>()
    };
    let mut terms = Vec::with_capacity(k);
    terms.push(INTERCEPT_TERM.to_string());
    terms.extend(names.iter().cloned());
    LogitFit {
        terms,
        odds_ratio: estimate.iter().map(|b| b.exp()).collect(),
        odds_ratio_ci_lower: exp_all(&ci_lower),
        odds_ratio_ci_upper: exp_all(&ci_upper),
        estimate,
        std_error,
        z_value,
        p_value,
        ci_lower,
        ci_upper,
        n: pass.n,
        n_positive: pass.n_positive,
        log_likelihood,
        null_log_likelihood,
        df_model,
        lr_chi2,
        lr_p_value,
        pseudo_r_squared: 1.0 - log_likelihood / null_log_likelihood,
        aic: -2.0 * log_likelihood + 2.0 * k_params,
        bic: -2.0 * log_likelihood + n.ln() * k_params,
        iterations,
        converged,
        l2,
        solver: solver.to_string(),
        cov_params,
        x_mean: Vec::new(),
        vif: Vec::new(),
        std_estimate: Vec::new(),
    }
}
