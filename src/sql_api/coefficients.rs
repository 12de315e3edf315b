//! `cltv_coefficients`: one row per term, with its statistics.

use crate::catalog;
use crate::error::{raise, OrRaise};
use cltv_core::error::Error;
use cltv_core::model::ModelRef;
use pgrx::prelude::*;
use pgrx::JsonB;

type CoefficientRow = (
    name!(term, String),
    name!(estimate, f64),
    name!(std_error, Option<f64>),
    name!(t_value, Option<f64>),
    name!(p_value, Option<f64>),
    name!(ci_lower, Option<f64>),
    name!(ci_upper, Option<f64>),
);

fn rows_of(fit: &serde_json::Value) -> Vec<CoefficientRow> {
    let column = |key: &str| -> Vec<Option<f64>> {
        fit.get(key)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_else(|| {
                raise(Error::InvalidArgument {
                    what: "fit".into(),
                    reason: format!("has no \"{key}\" array; is it a cltv_linreg result?"),
                })
            })
    };
    let terms: Vec<String> = fit
        .get("terms")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let (estimate, se, t, p, lo, hi) = (
        column("estimate"),
        column("std_error"),
        column("t_value"),
        column("p_value"),
        column("ci_lower"),
        column("ci_upper"),
    );
    terms
        .into_iter()
        .enumerate()
        .map(|(i, term)| {
            (
                term,
                estimate[i].unwrap_or(f64::NAN),
                se[i],
                t[i],
                p[i],
                lo[i],
                hi[i],
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
        name!(p_value, Option<f64>),
        name!(ci_lower, Option<f64>),
        name!(ci_upper, Option<f64>),
    ),
> {
    let fit = catalog::fit_of(&ModelRef::parse(model).or_raise());
    TableIterator::new(rows_of(&fit))
}

/// The coefficients of a `cltv_linreg` result.
#[allow(clippy::type_complexity)]
#[pg_extern(immutable, parallel_safe, name = "cltv_coefficients")]
fn cltv_coefficients_fit(
    fit: JsonB,
) -> TableIterator<
    'static,
    (
        name!(term, String),
        name!(estimate, f64),
        name!(std_error, Option<f64>),
        name!(t_value, Option<f64>),
        name!(p_value, Option<f64>),
        name!(ci_lower, Option<f64>),
        name!(ci_upper, Option<f64>),
    ),
> {
    TableIterator::new(rows_of(&fit.0))
}
