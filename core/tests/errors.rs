//! Inputs a fit must refuse, each with an error that names the culprit.

mod common;

use cltv_core::error::Error;
use cltv_core::fit::ols::{fit_ols, OlsOptions};
use cltv_core::fit::suffstats::{new_state, SuffStats};

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Deterministic, non-degenerate rows: x1, x2 and an independent x4.
fn base_rows(n: usize) -> Vec<(f64, Vec<f64>)> {
    (0..n)
        .map(|k| {
            let t = k as f64;
            let x1 = (t * 0.37).sin() * 10.0 + t;
            let x2 = (t * 1.91).cos() * 3.0;
            let x4 = ((k * 7919) % 101) as f64;
            (1.0 + x1 - 2.0 * x2 + 0.1 * x4 + (t * 2.3).sin(), vec![x1, x2, x4])
        })
        .collect()
}

fn stats(rows: &[(f64, Vec<f64>)], p: usize) -> SuffStats {
    SuffStats::from_rows(p, rows.iter().map(|(y, x)| (*y, x.as_slice())))
}

#[test]
fn constant_feature_is_named() {
    let rows: Vec<_> = base_rows(30)
        .into_iter()
        .map(|(y, x)| (y, vec![x[0], 42.5, x[1]]))
        .collect();
    let err = fit_ols(
        &stats(&rows, 3),
        &names(&["x1", "region", "x2"]),
        &OlsOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::ConstantFeature {
            feature: "region".into()
        }
    );
    assert_eq!(err.sqlstate(), "22000");
    assert!(err.hint().unwrap().contains("region"));
}

#[test]
fn nearly_constant_feature_is_named() {
    // 1e6 + 1e-7·k: the spread is 1e-13 of the mean, below CONSTANT_REL_TOL.
    let rows: Vec<_> = base_rows(30)
        .into_iter()
        .enumerate()
        .map(|(k, (y, x))| (y, vec![x[0], 1e6 + 1e-7 * (k % 3) as f64]))
        .collect();
    let err = fit_ols(&stats(&rows, 2), &names(&["x1", "flat"]), &OlsOptions::default()).unwrap_err();
    assert_eq!(
        err,
        Error::ConstantFeature {
            feature: "flat".into()
        }
    );
}

#[test]
fn ridge_accepts_a_constant_feature_with_zero_coefficient() {
    let rows: Vec<_> = base_rows(30)
        .into_iter()
        .map(|(y, x)| (y, vec![x[0], 42.5]))
        .collect();
    let fit = fit_ols(
        &stats(&rows, 2),
        &names(&["x1", "region"]),
        &OlsOptions {
            l2: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(fit.estimate[2], 0.0);
    assert_eq!(fit.condition_number, None); // [1, X] is singular
}

#[test]
fn collinear_feature_is_named_with_its_dependencies() {
    // x3 = x1 + 2·x2, placed after an unrelated x4.
    let rows: Vec<_> = base_rows(40)
        .into_iter()
        .map(|(y, x)| (y, vec![x[0], x[1], x[2], x[0] + 2.0 * x[1]]))
        .collect();
    let err = fit_ols(
        &stats(&rows, 4),
        &names(&["x1", "x2", "x4", "x3"]),
        &OlsOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::Collinear {
            feature: "x3".into(),
            depends_on: names(&["x1", "x2"]),
        }
    );
    assert_eq!(
        err.message(),
        "feature \"x3\" is a linear combination of \"x1\", \"x2\""
    );
    assert!(err.hint().unwrap().contains("l2"));
    // Ridge resolves the same data.
    let ridge = fit_ols(
        &stats(&rows, 4),
        &names(&["x1", "x2", "x4", "x3"]),
        &OlsOptions {
            l2: 0.5,
            ..Default::default()
        },
    );
    assert!(ridge.is_ok());
}

#[test]
fn too_few_rows_says_how_many_are_needed() {
    // p = 3 features need n ≥ 5 (one residual degree of freedom).
    let rows = base_rows(4);
    let err = fit_ols(
        &stats(&rows, 3),
        &names(&["x1", "x2", "x4"]),
        &OlsOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::TooFewRows {
            n: 4,
            p: 3,
            needed: 5
        }
    );
    assert!(err.message().contains("at least 5"));
    assert!(fit_ols(
        &stats(&base_rows(5), 3),
        &names(&["x1", "x2", "x4"]),
        &OlsOptions::default()
    )
    .is_ok());
    // p > n as well.
    let err = fit_ols(
        &stats(&base_rows(2), 3),
        &names(&["x1", "x2", "x4"]),
        &OlsOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::TooFewRows { n: 2, needed: 5, .. }));
}

#[test]
fn empty_input() {
    let s = SuffStats::from_state(&new_state(2)).unwrap();
    for l2 in [0.0, 1.0] {
        let err = fit_ols(
            &s,
            &names(&["a", "b"]),
            &OlsOptions {
                l2,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(matches!(err, Error::EmptyInput { .. }), "{err:?}");
        assert_eq!(err.sqlstate(), "22000");
    }
}
