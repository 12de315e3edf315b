//! The "buy till you die" models over per-customer summaries (see `cltv_rfm`):
//! BG/NBD over (frequency, recency, T) and Gamma-Gamma over (frequency, monetary_value).

use super::{RowCounts, TrainContext, Trained};
use crate::error::{raise, OrRaise};
use cltv_core::error::Error;
use cltv_core::fit::bgnbd::{fit_bgnbd, FitOptions};
use cltv_core::fit::btyd;
use cltv_core::fit::clv::check_time_unit;
use cltv_core::fit::gamma_gamma::{fit_gamma_gamma, GammaGammaFitOptions};
use cltv_core::limits;
use cltv_core::model::scoring::ModelKind;
use pgrx::prelude::*;
use serde_json::json;

/// The time unit of the summaries (the `time_unit` option, else cltv_rfm's default week),
/// and its length in days by PostgreSQL's interval arithmetic. Stored with the model so
/// that cltv_clv can tell how long a month is and refuse a days-for-weeks mix-up.
pub(super) fn time_unit(ctx: &TrainContext) -> (String, f64) {
    let unit = match &ctx.opts.time_unit {
        Some(unit) => unit.clone(),
        None => {
            notice!("time_unit not given: the summaries are taken to be in weeks, cltv_rfm's default unit");
            "1 week".to_string()
        }
    };
    let days = unit_in_days(&unit).or_raise();
    (unit, days)
}

/// A time unit's length in days by PostgreSQL's interval arithmetic (a month is 30 days),
/// in the range cltv accepts: the one parser of time units, for training and for import.
pub(crate) fn unit_in_days(unit: &str) -> Result<f64, Error> {
    let days = Spi::get_one_with_args::<f64>(
        "SELECT extract(epoch FROM $1::interval)::float8 / 86400",
        &[unit.into()],
    )
    .map_err(|e| Error::InvalidOption {
        key: "time_unit".into(),
        reason: format!("\"{unit}\" is not an interval: {e}"),
    })?
    .unwrap_or(f64::NAN);
    check_time_unit(unit, days)
}

pub(super) fn train(kind: ModelKind, ctx: &TrainContext) -> Trained {
    let expected = kind.fixed_features().expect("a BTYD kind");
    if ctx.features.len() != expected.len() {
        raise(Error::InvalidArgument {
            what: format!("features {:?}", ctx.features),
            reason: format!(
                "a {} model takes {} columns, in this order: {}",
                kind.as_str(),
                expected.len(),
                expected.join(", ")
            ),
        })
    }
    // One query both checks the input and compresses identical summaries (so the fit
    // scales with distinct summaries, not with customers): incomplete and non-finite rows
    // form groups of their own, flagged. The columns are grouped as they are, no array.
    let k = expected.len();
    // The groups come back as one row of arrays: reading thousands of rows through SPI
    // would cost more than the fit.
    let arrays = (1..=k)
        .map(|i| format!("array_agg(g.x{i}) FILTER (WHERE g.ok)"))
        .collect::<Vec<_>>()
        .join(", ");
    let query = format!(
        "SELECT {arrays}, array_agg(g.n) FILTER (WHERE g.ok),
                sum(g.n), sum(g.n) FILTER (WHERE NOT g.complete), sum(g.n) FILTER (WHERE g.complete AND NOT g.ok)
           FROM (SELECT {columns}, {complete} AS complete, {complete} AND {finite} AS ok, count(*)::float8 AS n
                   FROM {from} GROUP BY {keys}) AS g",
        columns = ctx
            .sql
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| format!("{f} AS x{}", i + 1))
            .collect::<Vec<_>>()
            .join(", "),
        complete = ctx.sql.complete,
        finite = ctx.sql.finite,
        from = ctx.sql.from,
        keys = (1..=k + 2).map(|i| i.to_string()).collect::<Vec<_>>().join(", "),
    );
    let (columns, weights, counts) = ctx.query_one(&query, vec![], |row| {
        let columns = (1..=k)
            .map(|i| Ok(row.get::<Vec<f64>>(i)?.unwrap_or_default()))
            .collect::<Result<Vec<Vec<f64>>, pgrx::spi::SpiError>>()?;
        let count =
            |i: usize| -> Result<i64, pgrx::spi::SpiError> { Ok(row.get::<f64>(i)?.unwrap_or(0.0) as i64) };
        let counts = RowCounts {
            n_rows: count(k + 2)?,
            n_test: 0,
            n_incomplete: count(k + 3)?,
            n_nonfinite: count(k + 4)?,
        };
        Ok((columns, row.get::<Vec<f64>>(k + 1)?.unwrap_or_default(), counts))
    });
    ctx.check(&counts);
    // The fit's memory, bounded by cltv.max_training_memory before it is taken.
    let distinct = weights.len() as u64;
    let customers = weights.iter().sum::<f64>() as u64;
    let bytes = match kind {
        ModelKind::GammaGamma => customers.saturating_mul(btyd::GAMMA_GAMMA_BYTES_PER_CUSTOMER),
        _ => 0,
    }
    .saturating_add(distinct.saturating_mul(btyd::BYTES_PER_SUMMARY));
    limits::check_training_memory(
        &format!("the {} fit", kind.as_str()),
        if kind == ModelKind::GammaGamma { customers } else { distinct },
        bytes,
        crate::settings::MAX_TRAINING_MEMORY.get(),
        "Fit the model on a sample of the customers (e.g. a view with TABLESAMPLE or a hash filter on the customer).",
    )
    .or_raise();

    let (coefficients, terms, std_errors, mut fit, n_train) = match kind {
        ModelKind::BgNbd => {
            let mut data = limits::try_vec(weights.len(), "the customer summaries").or_raise();
            data.extend(
                weights
                    .iter()
                    .enumerate()
                    .map(|(g, &w)| ((columns[0][g], columns[1][g], columns[2][g]), w)),
            );
            let fit = fit_bgnbd(&data, &FitOptions::default()).or_raise();
            let p = fit.params;
            (
                vec![p.r, p.alpha, p.a, p.b],
                vec!["r", "alpha", "a", "b"],
                fit.std_errors.map(|s| s.to_vec()),
                serde_json::to_value(&fit).expect("a BG/NBD fit serialises"),
                fit.n_customers as i64,
            )
        }
        ModelKind::GammaGamma => {
            // One row per customer for Gamma-Gamma: expand the compressed counts.
            let mut data = limits::try_vec(customers as usize, "the customer summaries").or_raise();
            for (g, &w) in weights.iter().enumerate() {
                if g % 1024 == 0 {
                    pg_sys::check_for_interrupts!();
                }
                data.extend(std::iter::repeat_n((columns[0][g], columns[1][g]), w as usize));
            }
            let fit = fit_gamma_gamma(&data, &GammaGammaFitOptions::default()).or_raise();
            let p = fit.params;
            (
                vec![p.p, p.q, p.v],
                vec!["p", "q", "v"],
                fit.std_errors.map(|s| s.to_vec()),
                serde_json::to_value(&fit).expect("a Gamma-Gamma fit serialises"),
                fit.n_customers as i64,
            )
        }
        ModelKind::Linear | ModelKind::Logistic => unreachable!("not a BTYD kind"),
    };
    // The shape cltv_coefficients reads: one term per parameter.
    fit["kind"] = kind.as_str().into();
    fit["terms"] = json!(terms);
    fit["estimate"] = json!(coefficients);
    fit["std_error"] = json!(std_errors.unwrap_or_default());
    let log_likelihood = fit["log_likelihood"].clone();
    Trained {
        groups: None,
        segments: None,
        coefficients,
        fit,
        train_metrics: json!({ "log_likelihood": log_likelihood, "n": n_train }),
        test_metrics: serde_json::Value::Null,
        n_train,
        n_test: 0,
        n_dropped: counts.n_incomplete,
    }
}
