//! `cltv_coefficients`: one row per term, with its statistics.
//!
//! One shape for every kind: a linear model fills `t_value`, a logistic one `z_value` and
//! the odds ratios; what a kind does not have is NULL. `vif` is each feature's variance
//! inflation factor and `std_estimate` its coefficient on the standardised scale (the change
//! per standard deviation of the feature); both NULL for the intercept and for fits stored
//! before 0.2.0.

use crate::catalog;
use crate::error::{raise, OrRaise};
use crate::jsonb_arg::JsonbArg;
use cltv_core::error::Error;
use cltv_core::model::scoring::ModelRef;
use pgrx::prelude::*;

type Row = (
    String,
    f64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

fn rows_of(fit: &serde_json::Value) -> Vec<Row> {
    // An absent key is a statistic the kind does not have: all NULL.
    let column = |key: &str| -> Vec<Option<f64>> {
        fit.get(key)
            .map(|v| {
                serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                    raise(Error::InvalidArgument {
                        what: "fit".into(),
                        reason: format!("\"{key}\": {e}"),
                    })
                })
            })
            .unwrap_or_default()
    };
    let terms: Vec<String> = fit
        .get("terms")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_else(|| {
            raise(Error::InvalidArgument {
                what: "fit".into(),
                reason: "has no \"terms\" array; is it a cltv fit?".into(),
            })
        });
    let columns: Vec<Vec<Option<f64>>> = [
        "estimate",
        "std_error",
        "t_value",
        "z_value",
        "p_value",
        "ci_lower",
        "ci_upper",
        "odds_ratio",
        "odds_ratio_ci_lower",
        "odds_ratio_ci_upper",
    ]
    .iter()
    .map(|key| column(key))
    .collect();
    let at = |c: usize, i: usize| columns[c].get(i).copied().flatten();
    // One VIF per feature: none for the intercept (term 0).
    let vif = column("vif");
    let std_estimate = column("std_estimate");
    terms
        .into_iter()
        .enumerate()
        .map(|(i, term)| {
            let estimate = at(0, i).unwrap_or(f64::NAN);
            (
                term,
                estimate,
                at(1, i),
                at(2, i),
                at(3, i),
                at(4, i),
                at(5, i),
                at(6, i),
                at(7, i),
                at(8, i),
                at(9, i),
                i.checked_sub(1).and_then(|j| vif.get(j).copied().flatten()),
                std_estimate.get(i).copied().flatten(),
            )
        })
        .collect()
}

/// The coefficients of a catalog model (`name` or `name@N`).
// pgrx's name!() needs the row tuple spelled out in the signature.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe, name = "cltv_coefficients")]
fn cltv_coefficients_model(
    model: &str,
) -> TableIterator<
    'static,
    (
        name!(term, String),
        name!(estimate, f64),
        name!(std_error, Option<f64>),
        name!(t_value, Option<f64>),
        name!(z_value, Option<f64>),
        name!(p_value, Option<f64>),
        name!(ci_lower, Option<f64>),
        name!(ci_upper, Option<f64>),
        name!(odds_ratio, Option<f64>),
        name!(odds_ratio_ci_lower, Option<f64>),
        name!(odds_ratio_ci_upper, Option<f64>),
        name!(vif, Option<f64>),
        name!(std_estimate, Option<f64>),
    ),
> {
    let fit = catalog::fit_of(&ModelRef::parse(model).or_raise());
    TableIterator::new(rows_of(&fit))
}

/// The coefficients of a fit returned by a cltv aggregate (`cltv_linreg`).
#[allow(clippy::type_complexity)]
#[pg_extern(immutable, parallel_safe, name = "cltv_coefficients")]
fn cltv_coefficients_fit(
    fit: JsonbArg,
) -> TableIterator<
    'static,
    (
        name!(term, String),
        name!(estimate, f64),
        name!(std_error, Option<f64>),
        name!(t_value, Option<f64>),
        name!(z_value, Option<f64>),
        name!(p_value, Option<f64>),
        name!(ci_lower, Option<f64>),
        name!(ci_upper, Option<f64>),
        name!(odds_ratio, Option<f64>),
        name!(odds_ratio_ci_lower, Option<f64>),
        name!(odds_ratio_ci_upper, Option<f64>),
        name!(vif, Option<f64>),
        name!(std_estimate, Option<f64>),
    ),
> {
    TableIterator::new(rows_of(&fit.value("fit")))
}
