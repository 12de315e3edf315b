//! Inputs the BTYD functions must refuse, each with an error that names the culprit,
//! and degenerate data that must give an error rather than NaN.

use cltv_core::error::Error;
use cltv_core::fit::bgnbd::{calibration_table, fit_bgnbd, validate_summary, BgNbdParams, FitOptions};
use cltv_core::fit::clv::{clv, ClvOptions, Discounting, MONTH_IN_WEEKS};
use cltv_core::fit::gamma_gamma::{fit_gamma_gamma, GammaGammaFitOptions, GammaGammaParams};
use cltv_core::fit::rfm::{rfm_summarize, summarize, RfmOptions};

fn weighted(rows: &[(f64, f64, f64)]) -> Vec<((f64, f64, f64), f64)> {
    rows.iter().map(|&r| (r, 1.0)).collect()
}

/// A small valid data set (its likelihood happens to have no finite maximum: a, b → ∞).
fn valid_rows() -> Vec<((f64, f64, f64), f64)> {
    weighted(&[
        (0.0, 0.0, 30.0),
        (0.0, 0.0, 38.0),
        (0.0, 0.0, 35.0),
        (1.0, 2.0, 38.0),
        (1.0, 30.0, 36.0),
        (2.0, 5.0, 37.0),
        (3.0, 33.0, 38.0),
        (5.0, 20.0, 33.0),
        (0.0, 0.0, 28.0),
        (1.0, 1.0, 29.0),
    ])
}

fn sqlstate(e: &Error) -> &'static str {
    e.sqlstate()
}

#[test]
fn dropout_probability_without_heterogeneity_is_not_identified() {
    // In these ten customers the likelihood keeps rising as a, b → ∞ with a/(a+b) fixed:
    // a dropout probability without heterogeneity, the boundary of the model.
    let e = fit_bgnbd(&valid_rows(), &FitOptions::default()).unwrap_err();
    assert!(
        matches!(&e, Error::ModelNotIdentified { parameter, value, .. } if (parameter == "a" || parameter == "b") && *value > 1e6),
        "{e:?}"
    );
    assert!(e.message().contains("runs off to infinity"), "{}", e.message());
}

#[test]
fn empty_input() {
    let e = fit_bgnbd(&[], &FitOptions::default()).unwrap_err();
    assert!(matches!(e, Error::EmptyInput { .. }), "{e:?}");
    assert_eq!(sqlstate(&e), "22000");
    // Only weight-0 rows is empty too.
    let e = fit_bgnbd(&[((1.0, 1.0, 2.0), 0.0)], &FitOptions::default()).unwrap_err();
    assert!(matches!(e, Error::EmptyInput { .. }), "{e:?}");
    let e = fit_gamma_gamma(&[], &GammaGammaFitOptions::default()).unwrap_err();
    assert!(matches!(e, Error::EmptyInput { .. }), "{e:?}");
}

#[test]
fn no_repeat_purchases() {
    let rows = weighted(&[
        (0.0, 0.0, 30.0),
        (0.0, 0.0, 20.0),
        (0.0, 0.0, 10.0),
        (0.0, 0.0, 5.0),
    ]);
    let e = fit_bgnbd(&rows, &FitOptions::default()).unwrap_err();
    assert_eq!(
        e,
        Error::NoRepeatPurchases {
            model: "BG/NBD".into(),
            customers: 4.0
        }
    );
    assert_eq!(sqlstate(&e), "22000");
    assert_eq!(
        e.message(),
        "none of the 4 customer(s) made a repeat purchase, so the BG/NBD model cannot be fitted"
    );
    assert!(e.hint().unwrap().contains("longer calibration period"));
    // Gamma-Gamma: every row has frequency 0.
    let e = fit_gamma_gamma(&[(0.0, 0.0), (0.0, 0.0)], &GammaGammaFitOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::NoRepeatPurchases { ref model, customers } if model == "Gamma-Gamma" && customers == 2.0)
    );
    assert!(e.detail().unwrap().contains("frequency > 0"));
}

#[test]
fn a_single_customer() {
    // One customer, even with a large weight, cannot identify four parameters.
    for w in [1.0, 1000.0] {
        let e = fit_bgnbd(&[((2.0, 10.0, 30.0), w)], &FitOptions::default()).unwrap_err();
        assert_eq!(
            e,
            Error::TooFewCustomers {
                model: "BG/NBD".into(),
                distinct: 1,
                needed: 4
            }
        );
        assert_eq!(sqlstate(&e), "22000");
        assert!(e.message().contains("1 distinct customer summary, at least 4"));
    }
    let e = fit_gamma_gamma(
        &[(2.0, 10.0), (2.0, 10.0), (0.0, 0.0)],
        &GammaGammaFitOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::TooFewCustomers {
                distinct: 1,
                needed: 3,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn invalid_summaries_are_named() {
    let cases = [
        ((2.0, 40.0, 38.0), "recency exceeds T"),
        ((2.0, -1.0, 38.0), "recency is negative"),
        ((1.5, 3.0, 38.0), "frequency must be a whole number"),
        ((-1.0, 0.0, 38.0), "frequency must be a whole number"),
        ((0.0, 3.0, 38.0), "recency must be 0 when frequency is 0"),
        ((1.0, f64::NAN, 38.0), "must be finite"),
        ((1.0, 1.0, f64::INFINITY), "must be finite"),
    ];
    for (row, reason) in cases {
        let mut rows = valid_rows();
        rows.push((row, 1.0));
        let e = fit_bgnbd(&rows, &FitOptions::default()).unwrap_err();
        assert_eq!(sqlstate(&e), "22023", "{e:?}");
        assert!(e.message().contains(reason), "{row:?}: {}", e.message());
        assert!(e.hint().unwrap().contains("recency <= T"));
        assert_eq!(
            validate_summary(row.0, row.1, row.2).unwrap_err().message(),
            e.message()
        );
    }
    let e = fit_bgnbd(&[((2.0, 40.0, 38.5), 1.0)], &FitOptions::default()).unwrap_err();
    assert_eq!(
        e.message(),
        "invalid BG/NBD input (frequency = 2, recency = 40, T = 38.5): recency exceeds T"
    );
    // Repeat purchases on the first day only (recency 0) are accepted.
    assert!(validate_summary(2.0, 0.0, 10.0).is_ok());
    let e = fit_bgnbd(&[((2.0, 1.0, 3.0), -1.0)], &FitOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::InvalidArgument { .. }) && e.message().contains("-1"),
        "{e:?}"
    );
}

#[test]
fn no_sign_of_dropout_is_not_identified() {
    // Every repeat customer bought on the last calibration day (t_x = T): nothing in the
    // data says anyone ever drops out, so the likelihood rises as p → 0 (a → 0 or b → ∞).
    let rows = weighted(&[
        (0.0, 0.0, 30.0),
        (0.0, 0.0, 20.0),
        (1.0, 30.0, 30.0),
        (2.0, 25.0, 25.0),
        (3.0, 38.0, 38.0),
        (5.0, 33.0, 33.0),
    ]);
    let e = fit_bgnbd(&rows, &FitOptions::default()).unwrap_err();
    match &e {
        Error::ModelNotIdentified {
            model,
            parameter,
            value,
        } => {
            assert_eq!(model, "BG/NBD");
            assert!(
                (parameter == "a" && *value < 1e-6) || (parameter == "b" && *value > 1e6),
                "{e:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sqlstate(&e), "22000");
    assert!(e.detail().unwrap().contains("no finite"));
}

#[test]
fn identical_spend_is_not_identified() {
    // Every repeat customer spent exactly 20 per purchase: no spread to fit q from.
    let data: Vec<(f64, f64)> = (1..=6).map(|x| (x as f64, 20.0)).collect();
    let e = fit_gamma_gamma(&data, &GammaGammaFitOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::ModelNotIdentified { ref model, .. } if model == "Gamma-Gamma"),
        "{e:?}"
    );
}

#[test]
fn gamma_gamma_rejects_non_positive_spend() {
    let mut data = vec![
        (1.0, 10.0),
        (2.0, 30.0),
        (4.0, 22.5),
        (3.0, 14.0),
        (1.0, 50.0),
        (0.0, 0.0),
    ];
    data.push((2.0, -4.5));
    let e = fit_gamma_gamma(&data, &GammaGammaFitOptions::default()).unwrap_err();
    assert_eq!(sqlstate(&e), "22023");
    assert_eq!(
        e.message(),
        "invalid Gamma-Gamma input (frequency = 2, monetary value = -4.5): monetary value must be positive"
    );
    assert!(e.hint().unwrap().contains("positive mean spend"));
    data.pop();
    data.push((3.0, 0.0));
    assert!(fit_gamma_gamma(&data, &GammaGammaFitOptions::default())
        .unwrap_err()
        .message()
        .contains("monetary value = 0"));
    data.pop();
    data.push((3.0, f64::NAN));
    assert!(fit_gamma_gamma(&data, &GammaGammaFitOptions::default())
        .unwrap_err()
        .message()
        .contains("monetary value = NaN"));
    data.pop();
    data.push((-1.0, 3.0));
    assert!(fit_gamma_gamma(&data, &GammaGammaFitOptions::default())
        .unwrap_err()
        .message()
        .contains("frequency = -1"));
}

#[test]
fn fit_options_are_checked() {
    let bad = [
        FitOptions {
            max_iter: 0,
            ..FitOptions::default()
        },
        FitOptions {
            tol: 0.0,
            ..FitOptions::default()
        },
        FitOptions {
            tol: f64::NAN,
            ..FitOptions::default()
        },
        FitOptions {
            start: Some(BgNbdParams {
                r: -1.0,
                alpha: 1.0,
                a: 1.0,
                b: 1.0,
            }),
            ..FitOptions::default()
        },
    ];
    for opts in bad {
        let e = fit_bgnbd(&valid_rows(), &opts).unwrap_err();
        assert!(matches!(e, Error::InvalidOption { .. }), "{e:?}");
        assert_eq!(sqlstate(&e), "22023");
    }
    let e = fit_gamma_gamma(
        &[(1.0, 2.0), (2.0, 3.0), (3.0, 4.0)],
        &GammaGammaFitOptions {
            start: Some(GammaGammaParams {
                p: 1.0,
                q: 0.0,
                v: 1.0,
            }),
            ..GammaGammaFitOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::InvalidOption { ref key, .. } if key == "start"),
        "{e:?}"
    );
}

#[test]
fn iteration_limit_is_reported_not_raised() {
    let fit = fit_bgnbd(
        &valid_rows(),
        &FitOptions {
            max_iter: 1,
            ..FitOptions::default()
        },
    )
    .unwrap();
    assert!(!fit.converged);
    assert_eq!(fit.iterations, 1);
    assert!(fit.log_likelihood.is_finite());
}

#[test]
fn rfm_options_and_states_are_checked() {
    let opts = RfmOptions {
        calibration_end: 100.0,
        holdout_end: Some(50.0),
        unit_days: 7.0,
    };
    let e = summarize(&[(1.0, 2.0)], &opts).unwrap_err();
    assert!(
        matches!(e, Error::InvalidOption { ref key, .. } if key == "holdout_end"),
        "{e:?}"
    );
    let e = summarize(
        &[(1.0, 2.0)],
        &RfmOptions {
            unit_days: -7.0,
            holdout_end: None,
            ..opts
        },
    )
    .unwrap_err();
    assert!(e.message().contains("unit_days"), "{e:?}");
    let ok = RfmOptions {
        holdout_end: None,
        ..opts
    };
    let e = summarize(&[(f64::NAN, 2.0)], &ok).unwrap_err();
    assert!(
        matches!(e, Error::NonFinite { ref column, .. } if column == "purchase day"),
        "{e:?}"
    );
    let e = summarize(&[(3.0, f64::INFINITY)], &ok).unwrap_err();
    assert!(
        matches!(e, Error::NonFinite { ref column, .. } if column == "spend"),
        "{e:?}"
    );
    for bad in [&[1.0, 2.0, 3.0][..], &[5.0, 1.0, 5.0, 2.0], &[f64::NAN, 1.0]] {
        let e = rfm_summarize(bad, &ok).unwrap_err();
        assert!(matches!(e, Error::CorruptState { .. }), "{e:?}");
        assert_eq!(sqlstate(&e), "22023");
    }
    assert_eq!(rfm_summarize(&[], &ok).unwrap(), None);
}

#[test]
fn clv_options_are_checked() {
    let bg = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    let gg = GammaGammaParams {
        p: 6.25,
        q: 3.74,
        v: 15.44,
    };
    let ok = ClvOptions::lifetimes(12, 0.01, MONTH_IN_WEEKS);
    assert!(clv(&bg, &gg, 2.0, 30.0, 38.0, 20.0, &ok).unwrap() > 0.0);
    for bad in [
        ClvOptions {
            discounting: Discounting::PerMonth { rate: -0.5 },
            ..ok
        },
        ClvOptions {
            discounting: Discounting::Continuous { rate: f64::NAN },
            ..ok
        },
        ClvOptions {
            month_in_units: 0.0,
            ..ok
        },
        ClvOptions { horizon: -1.0, ..ok },
    ] {
        let e = clv(&bg, &gg, 2.0, 30.0, 38.0, 20.0, &bad).unwrap_err();
        assert!(matches!(e, Error::InvalidOption { .. }), "{e:?}");
    }
    assert!(clv(&bg, &gg, 2.0, 40.0, 38.0, 20.0, &ok).is_err());
    let bad_bg = BgNbdParams { a: 0.0, ..bg };
    assert!(clv(&bad_bg, &gg, 2.0, 30.0, 38.0, 20.0, &ok).is_err());
    // A customer without repeat purchases gets the population mean spend; m is ignored.
    let v0 = clv(&bg, &gg, 0.0, 0.0, 38.0, f64::NAN, &ok).unwrap();
    let e = cltv_core::fit::clv::expected_discounted_purchases(&bg, 0.0, 0.0, 38.0, &ok).unwrap();
    assert!((v0 - e * gg.population_mean_spend()).abs() < 1e-12 * v0);
}

#[test]
fn calibration_table_checks_its_rows() {
    let p = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };
    assert!(calibration_table(&[], &p, 39.0).unwrap().is_empty());
    let e = calibration_table(&[(1.0, 40.0, 39.0, 0.0)], &p, 39.0).unwrap_err();
    assert!(e.message().contains("recency exceeds T"), "{e:?}");
    let e = calibration_table(&[(1.0, 4.0, 39.0, -1.0)], &p, 39.0).unwrap_err();
    assert!(e.message().contains("holdout purchases"), "{e:?}");
    assert!(calibration_table(&[(1.0, 4.0, 39.0, 1.0)], &p, f64::NAN).is_err());
}
