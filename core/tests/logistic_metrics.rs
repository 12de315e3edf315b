//! binary_metrics against scikit-learn on probabilities with many ties (one at the 0.5
//! threshold exactly), grouped as the SQL layer groups them, and on the training rows of
//! the Spector fit. The literals are the verbatim output of
//! tests/reference/logistic_reference.py, which also wrote binary_metrics_logit.csv.

mod common;

use cltv_core::evaluation::classification::{binary_metrics, binary_metrics_from_packed, pack_score};
use cltv_core::fit::logistic::{Irls, LogitOptions, LogitPass, Step};
use common::{assert_rel, read_csv};

// statsmodels 0.15.0, scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1:
// output of tests/reference/logistic_reference.py
const TIES_AUC: f64 = 0.7330354684488499;
const TIES_LOG_LOSS: f64 = 0.6396896503325118;
const TIES_BRIER: f64 = 0.21613749999999995;
const TIES_ACCURACY: f64 = 0.6875;
const TIES_PRECISION: f64 = 0.6915887850467289;
const TIES_RECALL: f64 = 0.714975845410628;
const TIES_F1: f64 = 0.7030878859857482;
const TIES_BASE_RATE: f64 = 0.5175;
const SPECTOR_TRAIN_AUC: f64 = 0.8831168831168832;
const SPECTOR_TRAIN_LOG_LOSS: f64 = 0.4028010694416067;
const SPECTOR_TRAIN_BRIER: f64 = 0.1295053381194503;
const SPECTOR_TRAIN_ACCURACY: f64 = 0.8125;
const SPECTOR_TRAIN_PRECISION: f64 = 0.7272727272727273;
const SPECTOR_TRAIN_RECALL: f64 = 0.7272727272727273;
const SPECTOR_TRAIN_F1: f64 = 0.7272727272727273;
const SPECTOR_TRAIN_BASE_RATE: f64 = 0.34375;

/// `SELECT p, count(*) FILTER (WHERE y), count(*) FILTER (WHERE NOT y) … GROUP BY p ORDER BY p`.
fn grouped(rows: &[(bool, f64)]) -> Vec<(f64, u64, u64)> {
    let mut sorted = rows.to_vec();
    sorted.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut groups: Vec<(f64, u64, u64)> = Vec::new();
    for (y, p) in sorted {
        if groups.last().is_none_or(|g| g.0 != p) {
            groups.push((p, 0, 0));
        }
        let g = groups.last_mut().unwrap();
        if y {
            g.1 += 1;
        } else {
            g.2 += 1;
        }
    }
    groups
}

#[test]
fn tied_probabilities_match_scikit_learn() {
    let data = read_csv("binary_metrics_logit.csv");
    let rows: Vec<(bool, f64)> = data.rows.iter().map(|(y, x)| (*y == 1.0, x[0])).collect();
    let groups = grouped(&rows);
    assert_eq!(groups.len(), 19, "probabilities 0.05, 0.10, …, 0.95");
    assert!(
        groups.iter().any(|g| g.0 == 0.5 && g.1 > 0 && g.2 > 0),
        "ties at the threshold"
    );
    let m = binary_metrics(&groups).unwrap();
    assert_eq!(m.n, 400);
    assert_rel(m.base_rate, TIES_BASE_RATE, 1e-15, "base rate");
    assert_rel(m.auc.unwrap(), TIES_AUC, 1e-15, "AUC");
    assert_rel(m.log_loss, TIES_LOG_LOSS, 1e-14, "log loss");
    assert_rel(m.brier, TIES_BRIER, 1e-14, "Brier");
    assert_rel(m.accuracy, TIES_ACCURACY, 1e-15, "accuracy");
    assert_rel(m.precision.unwrap(), TIES_PRECISION, 1e-15, "precision");
    assert_rel(m.recall.unwrap(), TIES_RECALL, 1e-15, "recall");
    assert_rel(m.f1.unwrap(), TIES_F1, 1e-15, "F1");
    // Order of the groups does not matter.
    let mut reversed = groups.clone();
    reversed.reverse();
    assert_eq!(binary_metrics(&reversed).unwrap(), m);
    // One packed score per row, as cltv_binary_metrics keeps them: the same metrics.
    let mut packed: Vec<u64> = rows.iter().map(|&(y, p)| pack_score(p, y)).collect();
    assert_eq!(binary_metrics_from_packed(&mut packed).unwrap(), m);
}

#[test]
fn the_pass_that_converges_is_announced_and_its_coefficients_are_the_fit() {
    // cltv_train evaluates the training metrics in the pass that Irls expects to be the
    // last; that only holds if the fit then reports that pass's own coefficients.
    let data = read_csv("spector_logit.csv");
    let mut irls = Irls::new(data.p(), &data.features, &LogitOptions::default()).unwrap();
    let mut announced = Vec::new();
    let (fit, final_beta) = loop {
        let beta = irls.beta().to_vec();
        announced.push(irls.expects_convergence());
        let rows = data.rows.iter().map(|(y, x)| (*y == 1.0, x.as_slice()));
        let pass = LogitPass::from_rows(data.p(), rows, &beta).unwrap();
        if let Step::Converged { fit } = irls.step(&pass).unwrap() {
            break (fit, beta);
        }
    };
    assert_eq!(announced.last(), Some(&true), "{announced:?}");
    assert_eq!(announced.iter().filter(|a| **a).count(), 1, "{announced:?}");
    assert_eq!(fit.estimate, final_beta);
}

#[test]
fn training_metrics_of_the_spector_fit_match_scikit_learn() {
    let data = read_csv("spector_logit.csv");
    let opts = LogitOptions::default();
    let mut irls = Irls::new(data.p(), &data.features, &opts).unwrap();
    let fit = loop {
        let rows = data.rows.iter().map(|(y, x)| (*y == 1.0, x.as_slice()));
        let pass = LogitPass::from_rows(data.p(), rows, irls.beta()).unwrap();
        if let Step::Converged { fit } = irls.step(&pass).unwrap() {
            break fit;
        }
    };
    let rows: Vec<(bool, f64)> = data
        .rows
        .iter()
        .map(|(y, x)| (*y == 1.0, fit.predict_proba(x)))
        .collect();
    let m = binary_metrics(&grouped(&rows)).unwrap();
    // The reference scored statsmodels' probabilities, equal to ours to ~1e-15.
    assert_rel(m.auc.unwrap(), SPECTOR_TRAIN_AUC, 1e-15, "AUC");
    assert_rel(m.log_loss, SPECTOR_TRAIN_LOG_LOSS, 1e-12, "log loss");
    assert_rel(m.brier, SPECTOR_TRAIN_BRIER, 1e-12, "Brier");
    assert_rel(m.accuracy, SPECTOR_TRAIN_ACCURACY, 1e-15, "accuracy");
    assert_rel(m.precision.unwrap(), SPECTOR_TRAIN_PRECISION, 1e-15, "precision");
    assert_rel(m.recall.unwrap(), SPECTOR_TRAIN_RECALL, 1e-15, "recall");
    assert_rel(m.f1.unwrap(), SPECTOR_TRAIN_F1, 1e-15, "F1");
    assert_rel(m.base_rate, SPECTOR_TRAIN_BASE_RATE, 1e-15, "base rate");
    // The log loss on the training rows is −loglik / n.
    assert_rel(
        m.log_loss,
        -fit.log_likelihood / 32.0,
        1e-12,
        "log loss vs loglik",
    );
}

/// Fits Spector's data by IRLS over in-memory rows, features transformed by `scale`.
fn spector_fit(opts: &LogitOptions, scale: &[f64]) -> cltv_core::fit::logistic::LogitFit {
    let data = read_csv("spector_logit.csv");
    let rows: Vec<(bool, Vec<f64>)> = data
        .rows
        .iter()
        .map(|(y, x)| (*y == 1.0, x.iter().zip(scale).map(|(v, s)| v / s).collect()))
        .collect();
    let mut irls = Irls::new(data.p(), &data.features, opts).unwrap();
    loop {
        let pass = LogitPass::from_rows(
            data.p(),
            rows.iter().map(|(y, x)| (*y, x.as_slice())),
            irls.beta(),
        )
        .unwrap();
        if let Step::Converged { fit } = irls.step(&pass).unwrap() {
            return fit;
        }
    }
}

#[test]
fn per_slope_penalties_equal_the_penalised_fit_on_standardised_features() {
    let data = read_csv("spector_logit.csv");
    let p = data.p();
    let at_zero = LogitPass::from_rows(
        p,
        data.rows.iter().map(|(y, x)| (*y == 1.0, x.as_slice())),
        &vec![0.0; p + 1],
    )
    .unwrap();
    let variances = LogitOptions::feature_variances(&at_zero);
    // The variances from the pass at β = 0 are the population variances.
    for (j, var) in variances.iter().enumerate() {
        let n = data.rows.len() as f64;
        let mean = data.rows.iter().map(|(_, x)| x[j]).sum::<f64>() / n;
        let direct = data.rows.iter().map(|(_, x)| (x[j] - mean).powi(2)).sum::<f64>() / n;
        assert_rel(*var, direct, 1e-12, "population variance");
    }
    let sd: Vec<f64> = variances.iter().map(|v| v.sqrt()).collect();
    let l2 = 0.7;
    let weighted = spector_fit(
        &LogitOptions {
            l2,
            penalty_scale: variances.clone(),
            ..LogitOptions::default()
        },
        &vec![1.0; p],
    );
    let on_standardised = spector_fit(
        &LogitOptions {
            l2,
            ..LogitOptions::default()
        },
        &sd,
    );
    assert_rel(
        weighted.estimate[0],
        on_standardised.estimate[0],
        1e-8,
        "intercept",
    );
    for (j, s) in sd.iter().enumerate() {
        assert_rel(
            weighted.estimate[j + 1] * s,
            on_standardised.estimate[j + 1],
            1e-8,
            "slope",
        );
    }
    assert_rel(
        weighted.log_likelihood,
        on_standardised.log_likelihood,
        1e-10,
        "log-likelihood",
    );
}
