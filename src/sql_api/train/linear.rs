//! Linear regression (and ridge): one pass of `cltv_linreg_state`, a solve, one metrics pass.

use super::{RowCounts, TrainContext, Trained, TrainingSql};
use crate::error::OrRaise;
use cltv_core::metrics::regression_metrics;
use cltv_core::ols::{fit_ols, OlsOptions};
use cltv_core::suffstats::SuffStats;
use pgrx::prelude::*;

pub(super) fn train(ctx: &TrainContext) -> Trained {
    let query = format!(
        "SELECT cltv_linreg_state(s.y, s.x) FILTER (WHERE s.complete AND NOT s.is_test), {counts}
           FROM {rows}",
        counts = TrainingSql::ROW_COUNTS,
        rows = ctx.sql.rows(),
    );
    let (state, counts) = ctx.query_one(&query, vec![], |row| {
        Ok((row.get::<Vec<f64>>(1)?, RowCounts::read(row, 2)?))
    });
    ctx.check(&counts);
    let Some(state) = state else { ctx.too_few_rows() };
    let stats = SuffStats::from_state(&state).or_raise();
    let fit = fit_ols(
        &stats,
        ctx.features,
        &OlsOptions {
            l2: ctx.opts.l2,
            standardize: ctx.opts.standardizes(),
        },
    )
    .or_raise();
    super::warn_collinearity(ctx.features, &fit.vif, fit.condition_number);
    let (train_metrics, test_metrics, cut_points) = metrics_pass(ctx, &fit.estimate, fit.n as i64);
    let mut fit_json = serde_json::to_value(&fit).expect("an OLS fit serialises");
    fit_json["kind"] = "linear".into();
    fit_json["standardize"] = ctx.opts.standardizes().into();
    Trained {
        segments: super::segments_with(ctx, cut_points),
        coefficients: fit.estimate,
        fit: fit_json,
        train_metrics,
        test_metrics,
        n_train: stats.n as i64,
        n_test: counts.n_test,
        n_dropped: counts.n_incomplete,
    }
}

/// Error metrics of the fitted model on the train and the test rows, in one pass.
/// Metrics on the train and test rows, and the value-segment cut points among the
/// training rows' predictions.
fn metrics_pass(
    ctx: &TrainContext,
    coefficients: &[f64],
    n_train: i64,
) -> (serde_json::Value, serde_json::Value, Option<Vec<f64>>) {
    let sql = &ctx.sql;
    // The prediction is written out in SQL, coefficients as a parameter: no per-row call.
    let prediction = std::iter::once("$3[1]".to_string())
        .chain(
            sql.features
                .iter()
                .enumerate()
                .map(|(i, x)| format!("$3[{}] * {x}", i + 2)),
        )
        .collect::<Vec<_>>()
        .join(" + ");
    let query = format!(
        "SELECT s.is_test, count(*), sum((s.y - s.p) ^ 2), sum(abs(s.y - s.p)), var_pop(s.y) * count(*), {cuts}
           FROM (SELECT {target} AS y, {prediction} AS p, {is_test} AS is_test
                   FROM {from} WHERE {complete}) AS s
          GROUP BY s.is_test",
        target = sql.target,
        is_test = sql.is_test,
        from = sql.from,
        complete = sql.complete,
        cuts = super::cut_points_sql(4, n_train),
    );
    let mut args = ctx.split_args();
    args.push(coefficients.to_vec().into());
    args.push(ctx.opts.segments.quantiles.clone().into());
    Spi::connect(|client| {
        let (mut train, mut test, mut cut_points) = (serde_json::Value::Null, serde_json::Value::Null, None);
        for row in client.select(&query, None, &args)? {
            let metrics = serde_json::to_value(regression_metrics(
                row.get::<i64>(2)?.unwrap_or(0) as u64,
                row.get::<f64>(3)?.unwrap_or(0.0),
                row.get::<f64>(4)?.unwrap_or(0.0),
                row.get::<f64>(5)?.unwrap_or(0.0),
            ))
            .expect("metrics serialise");
            if row.get::<bool>(1)?.unwrap_or(false) {
                test = metrics;
            } else {
                train = metrics;
                cut_points = row.get::<Vec<f64>>(6)?;
            }
        }
        Ok::<_, pgrx::spi::SpiError>((train, test, cut_points))
    })
    .unwrap_or_else(|e| {
        crate::error::raise(cltv_core::error::Error::Internal {
            reason: format!("metrics query failed: {e}"),
        })
    })
}
