//! Logistic regression on data without a maximum-likelihood estimate, and the other
//! refusals: separation (by one feature, quasi-complete, by a combination), one class,
//! non-convergence, constant and collinear features, too few rows; and step halving.
//! The numbers asserted come from tests/reference/logistic_reference.py (verbatim).

mod common;

use cltv_core::error::Error;
use cltv_core::fit::logistic::{
    finish, fit_lbfgs, initial_beta, new_state, newton_step, Irls, LogitFit, LogitOptions, LogitPass,
    LogitStateMut, Step,
};
use common::{assert_all_rel, read_csv, unwrap_all, Dataset};

// statsmodels 0.15.0, scikit-learn 1.9.1, numpy 2.4.6, scipy 1.17.1:
// output of tests/reference/logistic_reference.py
// solver="lbfgs" differs from these by at most 2.5e-07 relative
const SEPARATED_L2_L2: f64 = 1.0;
const SEPARATED_L2_ESTIMATE: &[f64] = &[-48.146667068391466, 0.9367080147906907, 0.4300569240226157];
// solver="lbfgs" differs from these by at most 2.9e-09 relative
const QUASI_L2_L2: f64 = 1.0;
const QUASI_L2_ESTIMATE: &[f64] = &[-1.0463588037101041, 2.086355067867456, 0.06308311767295949];
const HALVING_ESTIMATE: &[f64] = &[-0.14680994010945372, 0.5872397604378149];
const HALVING_STD_ERROR: &[f64] = &[0.6964795460423887, 0.5092532439831879];

fn pass_at(data: &Dataset, beta: &[f64]) -> LogitPass {
    let mut buf = new_state(data.p());
    let mut state = LogitStateMut::new(&mut buf).unwrap();
    for (y, x) in &data.rows {
        state.push(*y == 1.0, x, beta);
    }
    LogitPass::from_state(&buf).unwrap()
}

/// The SQL layer's loop around the stateless `newton_step`, from `start`.
fn irls_stateless_from(data: &Dataset, start: Vec<f64>, opts: &LogitOptions) -> Result<LogitFit, Error> {
    let mut beta = start;
    let mut previous = None;
    for iteration in 1..=opts.max_iter {
        let pass = pass_at(data, &beta);
        match newton_step(&pass, &beta, previous, iteration, &data.features, opts)? {
            Step::Converged { fit } => return Ok(fit),
            Step::Continue { beta: next } => {
                previous = Some(pass.log_likelihood);
                beta = next;
            }
        }
    }
    Err(Error::NotConverged {
        iterations: opts.max_iter,
        last_change: f64::NAN,
    })
}

fn irls_stateless(data: &Dataset, opts: &LogitOptions) -> Result<LogitFit, Error> {
    irls_stateless_from(data, vec![0.0; data.p() + 1], opts)
}

fn run(irls: &mut Irls, data: &Dataset) -> Result<LogitFit, Error> {
    loop {
        let pass = pass_at(data, irls.beta());
        if let Step::Converged { fit } = irls.step(&pass)? {
            return Ok(fit);
        }
    }
}

fn irls_driver(data: &Dataset, opts: &LogitOptions) -> Result<LogitFit, Error> {
    run(&mut Irls::new(data.p(), &data.features, opts)?, data)
}

fn lbfgs(data: &Dataset, opts: &LogitOptions) -> Result<LogitFit, Error> {
    let x: Vec<f64> = data.rows.iter().flat_map(|(_, x)| x.iter().copied()).collect();
    let y: Vec<bool> = data.rows.iter().map(|(y, _)| *y == 1.0).collect();
    fit_lbfgs(&x, &y, data.p(), &data.features, opts)
}

/// All three solvers fail alike.
fn all_fail(data: &Dataset, opts: &LogitOptions) -> Vec<Error> {
    vec![
        irls_stateless(data, opts).unwrap_err(),
        irls_driver(data, opts).unwrap_err(),
        lbfgs(data, opts).unwrap_err(),
    ]
}

fn dataset(names: &[&str], rows: Vec<(f64, Vec<f64>)>) -> Dataset {
    Dataset {
        features: names.iter().map(|s| s.to_string()).collect(),
        rows,
    }
}

#[test]
fn a_separating_feature_is_named() {
    let data = read_csv("separated_logit.csv");
    for e in all_fail(&data, &LogitOptions::default()) {
        match &e {
            Error::Separation {
                feature: Some(f),
                quasi: false,
                detail: Some(d),
            } => {
                assert_eq!(f, "spend");
                assert!(d.contains("\"spend\" >= 51.1") && d.contains("<= 49.9"), "{d}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(e.message(), "feature \"spend\" perfectly separates the classes");
        assert_eq!(e.sqlstate(), "22000");
        assert!(e.hint().unwrap().contains("\"l2\""));
    }
}

#[test]
fn a_quasi_separating_feature_is_named() {
    let data = read_csv("quasi_separated_logit.csv");
    for e in all_fail(&data, &LogitOptions::default()) {
        assert!(
            matches!(&e, Error::Separation { feature: Some(f), quasi: true, .. } if f == "promo"),
            "{e:?}"
        );
        assert_eq!(
            e.message(),
            "feature \"promo\" quasi-completely separates the classes"
        );
    }
}

#[test]
fn with_l2_separated_data_fit() {
    for (file, l2, want) in [
        ("separated_logit.csv", SEPARATED_L2_L2, SEPARATED_L2_ESTIMATE),
        ("quasi_separated_logit.csv", QUASI_L2_L2, QUASI_L2_ESTIMATE),
    ] {
        let data = read_csv(file);
        let opts = LogitOptions {
            l2,
            ..Default::default()
        };
        for fit in [
            irls_stateless(&data, &opts).unwrap(),
            irls_driver(&data, &opts).unwrap(),
        ] {
            assert!(fit.converged);
            assert_all_rel(
                &fit.estimate,
                want,
                1e-6,
                &format!("{file}: IRLS vs scikit-learn"),
            );
        }
        let fit = lbfgs(&data, &opts).unwrap();
        assert_all_rel(
            &fit.estimate,
            want,
            1e-5,
            &format!("{file}: lbfgs vs scikit-learn"),
        );
    }
}

fn combination(boundary_rows: usize) -> Dataset {
    // y = [x1 + x2 > 0]; each feature alone overlaps between the classes.
    let mut rows: Vec<(f64, Vec<f64>)> = (0..60)
        .map(|i| {
            let x1 = ((i * 37) % 61) as f64 / 30.0 - 1.0;
            let x2 = ((i * 53 + 11) % 59) as f64 / 29.0 - 1.0;
            let x2 = if (x1 + x2).abs() < 0.05 { x2 + 0.1 } else { x2 };
            ((x1 + x2 > 0.0) as u8 as f64, vec![x1, x2])
        })
        .collect();
    // Rows on the line x1 + x2 = 0 itself, of both classes, make the separation quasi-complete.
    for k in 0..boundary_rows {
        let x1 = k as f64 / 8.0 - 0.5;
        rows.push(((k % 2) as f64, vec![x1, -x1]));
    }
    dataset(&["x1", "x2"], rows)
}

/// Separation by a combination of features is only seen while iterating.
#[test]
fn complete_separation_by_a_combination_is_proved_by_an_iterate() {
    let data = combination(0);
    let mut irls = Irls::new(2, &data.features, &LogitOptions::default()).unwrap();
    assert!(run(&mut irls, &data).is_err());
    assert!(irls.passes() <= 10, "took {} passes", irls.passes());
    for e in all_fail(&data, &LogitOptions::default()) {
        match &e {
            Error::Separation {
                feature: None,
                quasi: false,
                detail: Some(d),
            } => assert!(d.contains("all 60 row(s) on the side of their class"), "{d}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.message(),
            "the data are (quasi-)separated: the logistic regression coefficients diverge"
        );
        assert!(e.hint().unwrap().contains("\"l2\""));
    }
    // The penalised fit exists; both solvers agree on it.
    let opts = LogitOptions {
        l2: 1.0,
        ..Default::default()
    };
    let irls = irls_driver(&data, &opts).unwrap();
    let lbfgs = lbfgs(&data, &opts).unwrap();
    assert_all_rel(
        &lbfgs.estimate[1..],
        &irls.estimate[1..],
        1e-5,
        "l2 fit, lbfgs vs irls",
    );
}

#[test]
fn quasi_separation_by_a_combination_is_detected_as_divergence() {
    let data = combination(6);
    let mut irls = Irls::new(2, &data.features, &LogitOptions::default()).unwrap();
    assert!(run(&mut irls, &data).is_err());
    eprintln!(
        "quasi-separation by a combination detected after {} passes",
        irls.passes()
    );
    for e in all_fail(&data, &LogitOptions::default()) {
        match &e {
            Error::Separation {
                feature: None,
                quasi: true,
                detail: Some(d),
            } => assert!(d.contains("numerically 0 or 1"), "{d}"),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn one_class_is_refused_with_class_and_count() {
    let rows: Vec<(f64, Vec<f64>)> = (0..12).map(|i| (1.0, vec![i as f64])).collect();
    let data = dataset(&["x"], rows);
    for opts in [
        LogitOptions::default(),
        LogitOptions {
            l2: 1.0,
            ..Default::default()
        },
    ] {
        for e in all_fail(&data, &opts) {
            assert_eq!(e, Error::SingleClass { class: true, n: 12 });
            assert_eq!(e.message(), "all 12 training row(s) have the target value true");
            assert_eq!(e.sqlstate(), "22000");
            assert!(e.hint().is_some());
        }
    }
}

#[test]
fn non_convergence_is_an_error_unless_accepted() {
    let data = read_csv("generated_logit.csv");
    let opts = LogitOptions {
        max_iter: 2,
        ..Default::default()
    };
    let mut irls = Irls::new(data.p(), &data.features, &opts).unwrap();
    let e = run(&mut irls, &data).unwrap_err();
    match e {
        Error::NotConverged {
            iterations: 2,
            last_change,
        } => assert!(last_change > 0.0),
        other => panic!("{other:?}"),
    }
    assert!(e.hint().unwrap().contains("allow_nonconvergence"));
    assert!(e.hint().unwrap().contains("max_iter"));
    // Accepted: the fit at the best iterate, flagged.
    let fit = irls.finish_unconverged().unwrap();
    assert!(!fit.converged);
    assert_eq!(fit.iterations, 2);
    assert!(fit.std_error.iter().all(Option::is_some));
    // The SQL layer's path: `finish` at the last iterate of the stateless loop.
    let mut beta = vec![0.0; data.p() + 1];
    let pass = pass_at(&data, &beta);
    if let Step::Continue { beta: next } = newton_step(&pass, &beta, None, 1, &data.features, &opts).unwrap()
    {
        beta = next;
    }
    let fit = finish(&pass_at(&data, &beta), &beta, 2, false, &data.features, &opts).unwrap();
    assert!(!fit.converged);
    assert_eq!(fit.estimate, beta);
}

#[test]
fn unconverged_separated_fits_are_refused() {
    // max_iter large enough for rows to be fitted perfectly, too small to diagnose.
    let rows: Vec<(f64, Vec<f64>)> = (0..40)
        .map(|i| {
            let x1 = ((i * 37) % 41) as f64 / 20.0 - 1.0;
            let x2 = ((i * 17 + 5) % 43) as f64 / 21.0 - 1.0;
            let x2 = if (x1 - x2).abs() < 0.05 { x2 - 0.1 } else { x2 };
            ((x1 > x2) as u8 as f64, vec![x1, x2])
        })
        .collect();
    let data = dataset(&["a", "b"], rows);
    let opts = LogitOptions {
        max_iter: 12,
        ..Default::default()
    };
    let mut irls = Irls::new(2, &data.features, &opts).unwrap();
    match run(&mut irls, &data) {
        Err(Error::NotConverged { .. }) => {
            assert!(matches!(
                irls.finish_unconverged(),
                Err(Error::Separation { feature: None, .. })
            ))
        }
        Err(Error::Separation { feature: None, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn step_halving_rescues_a_bad_start() {
    let data = read_csv("halving_logit.csv");
    let opts = LogitOptions::default();
    // From slope 3 the plain Newton iterates run away (the second one has every weight
    // below 1e-9); the driver halves its way back.
    let mut irls = Irls::starting_at(vec![0.0, 3.0], &data.features, &opts).unwrap();
    let fit = run(&mut irls, &data).unwrap();
    assert!(irls.halvings() > 0, "no halving was needed");
    assert_all_rel(&fit.estimate, HALVING_ESTIMATE, 1e-9, "estimate after halving");
    assert_all_rel(
        &unwrap_all(&fit.std_error),
        HALVING_STD_ERROR,
        1e-9,
        "std_error after halving",
    );
    assert_eq!(fit.iterations, irls.passes());
    // From slope 1.5 the first full step lowers the log-likelihood (-7.441 → -7.918):
    // one halving, then the same estimate.
    let mut irls = Irls::starting_at(vec![0.0, 1.5], &data.features, &opts).unwrap();
    let fit = run(&mut irls, &data).unwrap();
    assert!(irls.halvings() >= 1);
    assert_all_rel(&fit.estimate, HALVING_ESTIMATE, 1e-9, "estimate after halving");
    // The stateless step damps instead; from 1.5 it still gets there.
    let fit = irls_stateless_from(&data, vec![0.0, 1.5], &opts).unwrap();
    assert_all_rel(&fit.estimate, HALVING_ESTIMATE, 1e-9, "stateless estimate");
    // From the usual starts no halving happens.
    let mut irls = Irls::starting_at(initial_beta(1, 10, 5), &data.features, &opts).unwrap();
    run(&mut irls, &data).unwrap();
    assert_eq!(irls.halvings(), 0);
}

#[test]
fn constant_and_collinear_features_are_named() {
    let base: Vec<(f64, Vec<f64>)> = (0..30)
        .map(|i| {
            let a = ((i * 7) % 11) as f64;
            let b = ((i * 5) % 13) as f64 / 3.0;
            (((i * 3) % 5 < 2) as u8 as f64, vec![a, b])
        })
        .collect();
    let with = |f: &dyn Fn(&[f64]) -> f64| -> Vec<(f64, Vec<f64>)> {
        base.iter().map(|(y, x)| (*y, vec![x[0], x[1], f(x)])).collect()
    };
    let constant = dataset(&["a", "b", "plan_fee"], with(&|_| 9.99));
    for e in all_fail(&constant, &LogitOptions::default()) {
        assert_eq!(
            e,
            Error::ConstantFeature {
                feature: "plan_fee".into()
            }
        );
    }
    // Under l2 a constant feature is allowed and gets coefficient 0.
    let fit = irls_driver(
        &constant,
        &LogitOptions {
            l2: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(fit.estimate[3].abs() < 1e-12, "{}", fit.estimate[3]);

    let collinear = dataset(&["a", "b", "total"], with(&|x| x[0] + 2.0 * x[1]));
    for e in all_fail(&collinear, &LogitOptions::default()) {
        assert_eq!(
            e,
            Error::Collinear {
                feature: "total".into(),
                depends_on: vec!["a".into(), "b".into()]
            }
        );
    }
    assert!(irls_driver(
        &collinear,
        &LogitOptions {
            l2: 1.0,
            ..Default::default()
        }
    )
    .is_ok());
}

#[test]
fn too_few_and_no_rows() {
    let rows = vec![
        (1.0, vec![1.0, 5.0, 2.0]),
        (0.0, vec![2.0, 3.0, 1.0]),
        (1.0, vec![3.0, 4.0, 0.0]),
        (0.0, vec![4.0, 1.0, 3.0]),
    ];
    let data = dataset(&["a", "b", "c"], rows);
    for e in all_fail(&data, &LogitOptions::default()) {
        assert_eq!(
            e,
            Error::TooFewRows {
                n: 4,
                p: 3,
                needed: 5
            }
        );
    }
    let empty = dataset(&["a"], vec![]);
    assert!(matches!(
        irls_driver(&empty, &LogitOptions::default()),
        Err(Error::EmptyInput { .. })
    ));
    assert!(matches!(
        lbfgs(&empty, &LogitOptions::default()),
        Err(Error::EmptyInput { .. })
    ));
}

#[test]
fn bad_arguments() {
    let data = read_csv("spector_logit.csv");
    let x: Vec<f64> = data.rows.iter().flat_map(|(_, x)| x.iter().copied()).collect();
    let y: Vec<bool> = data.rows.iter().map(|(y, _)| *y == 1.0).collect();
    let opts = LogitOptions::default();
    assert!(matches!(
        fit_lbfgs(&x[1..], &y, 3, &data.features, &opts),
        Err(Error::WrongArrayLength { .. })
    ));
    assert!(matches!(
        fit_lbfgs(&x, &y, 3, &data.features[..2], &opts),
        Err(Error::WrongArrayLength { expected: 3, got: 2 })
    ));
    let mut bad = x.clone();
    bad[4] = f64::NAN;
    match fit_lbfgs(&bad, &y, 3, &data.features, &opts) {
        Err(Error::NonFinite { column, rows: 1, .. }) => assert_eq!(column, "TUCE"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Irls::new(3, &data.features[..1], &opts),
        Err(Error::WrongArrayLength { .. })
    ));
    assert!(matches!(
        Irls::starting_at(vec![0.0, f64::INFINITY, 0.0, 0.0], &data.features, &opts),
        Err(Error::InvalidArgument { .. })
    ));
}
