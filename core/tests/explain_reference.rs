//! Prediction intervals, logistic confidence intervals and VIFs against statsmodels, on
//! data sets independent of the ones the code was developed on (Stack loss, Spector).
//! The references were computed once by tests/reference/explain_reference.py.

mod common;

use cltv_core::evaluation::explain::{contributions, logistic_confidence_interval, ols_prediction_interval};
use cltv_core::fit::logistic::{new_state, Irls, LogitOptions, LogitPass, LogitStateMut, Step};
use cltv_core::fit::ols::{fit_ols, OlsOptions};
use common::{assert_rel, read_csv, Dataset};

// statsmodels 0.15.0, numpy 2.4.6: core/tests/reference/explain_reference.py
pub const STACK_VIF: [f64; 3] = [2.9064836274305046, 2.572632380318171, 1.3335874620976482];
pub const STACK_POINTS: [[f64; 3]; 3] = [[80.0, 27.0, 89.0], [58.0, 18.0, 82.0], [70.0, 20.0, 75.0]];
pub const STACK_FIT_95: [f64; 3] = [38.7653627729601, 12.428560876827259, 24.671673165468388];
pub const STACK_OBS_LOWER_95: [f64; 3] = [30.958590405346797, 5.066378406982269, 15.653779655552228];
pub const STACK_OBS_UPPER_95: [f64; 3] = [46.57213514057341, 19.79074334667225, 33.68956667538455];
pub const STACK_FIT_80: [f64; 3] = [38.7653627729601, 12.428560876827259, 24.671673165468388];
pub const STACK_OBS_LOWER_80: [f64; 3] = [33.83157164704859, 7.775745497227894, 18.972467286452645];
pub const STACK_OBS_UPPER_80: [f64; 3] = [43.699153898871614, 17.081376256426623, 30.37087904448413];
pub const SPECTOR_VIF: [f64; 3] = [1.1761582341579835, 1.1894350280708073, 1.0129022410286042];
pub const SPECTOR_POINTS: [[f64; 3]; 3] = [[3.0, 22.0, 1.0], [2.5, 19.0, 0.0], [3.9, 25.0, 1.0]];
pub const SPECTOR_P: [f64; 3] = [0.4822941891615828, 0.015549275404778745, 0.9403703834509339];
pub const SPECTOR_CI_LOWER_95: [f64; 3] = [0.19812943871450228, 0.0009953316610208831, 0.6056121500150254];
pub const SPECTOR_CI_UPPER_95: [f64; 3] = [0.7783921233713799, 0.20025507720680455, 0.9938634550208244];

fn pass_at(data: &Dataset, beta: &[f64]) -> LogitPass {
    let mut buf = new_state(data.p());
    let mut state = LogitStateMut::new(&mut buf).unwrap();
    for (y, x) in &data.rows {
        state.push(*y == 1.0, x, beta);
    }
    LogitPass::from_state(&buf).unwrap()
}

#[test]
fn ols_prediction_intervals_and_vif_match_statsmodels() {
    let model = || "reference@1".to_string();
    let name = |i: usize| format!("x{i}");
    let data = read_csv("stackloss.csv");
    let fit = fit_ols(&data.stats(), &data.features, &OlsOptions::default()).unwrap();
    for (j, want) in STACK_VIF.iter().enumerate() {
        assert_rel(fit.vif[j].unwrap(), *want, 1e-10, "stack loss VIF");
    }
    let cov = fit.cov_params.as_ref().unwrap();
    let sigma = fit.residual_std_error.unwrap();
    for (level, fitted, lower, upper) in [
        (0.95, STACK_FIT_95, STACK_OBS_LOWER_95, STACK_OBS_UPPER_95),
        (0.80, STACK_FIT_80, STACK_OBS_LOWER_80, STACK_OBS_UPPER_80),
    ] {
        for (i, x) in STACK_POINTS.iter().enumerate() {
            let (f, lo, hi) =
                ols_prediction_interval(&fit.estimate, cov, sigma, fit.df_resid, x, level, model, name)
                    .unwrap();
            assert_rel(f, fitted[i], 1e-10, "fitted value");
            assert_rel(lo, lower[i], 1e-9, "obs_ci_lower");
            assert_rel(hi, upper[i], 1e-9, "obs_ci_upper");
        }
    }
}

#[test]
fn logistic_confidence_intervals_and_vif_match_statsmodels() {
    let model = || "reference@1".to_string();
    let name = |i: usize| format!("x{i}");
    let data = read_csv("spector_logit.csv");
    let opts = LogitOptions::default();
    let mut irls = Irls::new(data.p(), &data.features, &opts).unwrap();
    let first = pass_at(&data, irls.beta());
    let mut fit = loop {
        let pass = pass_at(&data, irls.beta());
        if let Step::Converged { fit } = irls.step(&pass).unwrap() {
            break fit;
        }
    };
    fit.describe_features(&first);
    for (j, want) in SPECTOR_VIF.iter().enumerate() {
        assert_rel(fit.vif[j].unwrap(), *want, 1e-10, "Spector VIF");
    }
    let cov = fit.cov_params.as_ref().unwrap();
    for (i, x) in SPECTOR_POINTS.iter().enumerate() {
        let (p, lo, hi) = logistic_confidence_interval(&fit.estimate, cov, x, 0.95, model, name).unwrap();
        assert_rel(p, SPECTOR_P[i], 1e-7, "probability");
        assert_rel(lo, SPECTOR_CI_LOWER_95[i], 1e-6, "mean_ci_lower");
        assert_rel(hi, SPECTOR_CI_UPPER_95[i], 1e-6, "mean_ci_upper");
    }
    // The training means: a second method, straight from the rows.
    let n = data.rows.len() as f64;
    for j in 0..data.p() {
        let mean = data.rows.iter().map(|(_, x)| x[j]).sum::<f64>() / n;
        assert_rel(fit.x_mean[j], mean, 1e-13, "training mean");
    }
    // Explanations add up to the log-odds.
    let x = SPECTOR_POINTS[0];
    let (baseline, parts) = contributions(&data.features, &fit.estimate, &fit.x_mean, &x).unwrap();
    let log_odds = baseline + parts.iter().map(|c| c.contribution).sum::<f64>();
    assert_rel(
        1.0 / (1.0 + (-log_odds).exp()),
        SPECTOR_P[0],
        1e-7,
        "explained probability",
    );
}

/// The same rows with every feature standardised (population sd), for a second method.
fn standardised(data: &Dataset) -> Dataset {
    let n = data.rows.len() as f64;
    let p = data.p();
    let mean: Vec<f64> = (0..p)
        .map(|j| data.rows.iter().map(|(_, x)| x[j]).sum::<f64>() / n)
        .collect();
    let sd: Vec<f64> = (0..p)
        .map(|j| {
            (data
                .rows
                .iter()
                .map(|(_, x)| (x[j] - mean[j]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt()
        })
        .collect();
    Dataset {
        features: data.features.clone(),
        rows: data
            .rows
            .iter()
            .map(|(y, x)| (*y, (0..p).map(|j| (x[j] - mean[j]) / sd[j]).collect()))
            .collect(),
    }
}

#[test]
fn standardised_coefficients_equal_a_fit_on_standardised_features() {
    let data = read_csv("stackloss.csv");
    let fit = fit_ols(&data.stats(), &data.features, &OlsOptions::default()).unwrap();
    let z = standardised(&data);
    let on_z = fit_ols(&z.stats(), &z.features, &OlsOptions::default()).unwrap();
    assert!(fit.std_estimate[0].is_none());
    for j in 0..data.p() {
        assert_rel(
            fit.std_estimate[j + 1].unwrap(),
            on_z.estimate[j + 1],
            1e-10,
            "OLS standardised slope",
        );
    }

    let data = read_csv("spector_logit.csv");
    let fit_of = |d: &Dataset| {
        let mut irls = Irls::new(d.p(), &d.features, &LogitOptions::default()).unwrap();
        let first = pass_at(d, irls.beta());
        let mut fit = loop {
            let pass = pass_at(d, irls.beta());
            if let Step::Converged { fit } = irls.step(&pass).unwrap() {
                break fit;
            }
        };
        fit.describe_features(&first);
        fit
    };
    let (fit, on_z) = (fit_of(&data), fit_of(&standardised(&data)));
    for j in 0..data.p() {
        assert_rel(
            fit.std_estimate[j + 1].unwrap(),
            on_z.estimate[j + 1],
            1e-8,
            "logistic standardised slope",
        );
    }
}
