//! Linear regression (and ridge): one pass of `cltv_internal.linreg_state`, a solve, one metrics pass.

use super::grouped::{self, GroupedFits, Lookup};
use super::{RowCounts, TrainContext, Trained, TrainingSql};
use crate::error::raise;
use crate::error::OrRaise;
use crate::trusted_sql::required_cltv_function;
use cltv_core::error::Error;
use cltv_core::evaluation::metrics::regression_metrics;
use cltv_core::fit::ols::{fit_ols, fit_ols_for_group, OlsOptions};
use cltv_core::fit::suffstats::{StateMut, SuffStats};
use pgrx::prelude::*;

/// The sufficient statistics' aggregate over the rows `s`: over the feature columns where
/// the installed SQL and the feature count allow, which spares every row an array.
fn state_aggregate(ctx: &TrainContext) -> String {
    match ctx.sql.column_arguments("cltv_linreg_state_columns") {
        Some((function, columns)) => format!("{function}(s.y, {columns})"),
        None => format!("{}(s.y, s.x)", required_cltv_function("cltv_linreg_state")),
    }
}

pub(super) fn train(ctx: &TrainContext) -> Trained {
    if ctx.sql.is_grouped() {
        return train_grouped(ctx);
    }
    let query = format!(
        "SELECT {state} FILTER (WHERE s.complete AND NOT s.is_test), {counts}
           FROM {rows}",
        state = state_aggregate(ctx),
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
        groups: None,
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

/// Metrics on the train and test rows, and the value-segment cut points among the
/// training rows' predictions.
fn metrics_pass(
    ctx: &TrainContext,
    coefficients: &[f64],
    n_train: i64,
) -> (serde_json::Value, serde_json::Value, Option<Vec<f64>>) {
    metrics_query(ctx, Lookup::single(coefficients), n_train)
}

/// The metrics pass, each row scored with the coefficients `lookup` gives it: the
/// prediction is written out in SQL, so there is no function call per row.
fn metrics_query(
    ctx: &TrainContext,
    lookup: Lookup,
    n_train: i64,
) -> (serde_json::Value, serde_json::Value, Option<Vec<f64>>) {
    let sql = &ctx.sql;
    let (columns, predictor, bound) = lookup.bind_columns(&sql.features);
    let query = format!(
        "SELECT s.is_test, count(*), sum((s.y - s.p) ^ 2), sum(abs(s.y - s.p)), var_pop(s.y) * count(*), {cuts}
           FROM (SELECT r.y, {prediction} AS p, r.is_test
                   FROM (SELECT {target} AS y, {is_test} AS is_test{columns}
                           FROM {from} {join} WHERE {complete}) AS r) AS s
          GROUP BY s.is_test",
        prediction = predictor,
        join = bound.join,
        target = sql.target,
        is_test = sql.is_test,
        from = sql.from,
        complete = sql.complete,
        cuts = super::cut_points_sql(3, n_train),
    );
    let mut args = ctx.split_args();
    args.push(ctx.opts.segments.quantiles.clone().into());
    args.extend(bound.args);
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

/// `"group_by"`: one pass of `cltv_internal.linreg_state` per group (`GROUP BY`, parallel like any
/// aggregate), a fit per group, and the pooled fit over all training rows from the merged
/// states. A group that cannot be fitted is an error naming it, or uses the pooled model
/// under `"group_fallback": "pooled"`.
pub(super) fn train_grouped(ctx: &TrainContext) -> Trained {
    let query = format!(
        "SELECT {key}, {state} FILTER (WHERE s.complete AND NOT s.is_test), {counts}
           FROM {rows} GROUP BY {group_by} ORDER BY 1{limit}",
        limit = grouped::group_limit(ctx),
        state = state_aggregate(ctx),
        key = ctx.sql.group_key(),
        group_by = ctx.sql.group_by(),
        counts = TrainingSql::ROW_COUNTS,
        rows = ctx.sql.rows(),
    );
    let args = ctx.split_args();
    let groups: Vec<(String, Option<Vec<f64>>, RowCounts)> = Spi::connect(|client| {
        client
            .select(&query, None, &args)?
            .map(|row| {
                Ok((
                    row.get::<String>(1)?.unwrap_or_default(),
                    row.get::<Vec<f64>>(2)?,
                    RowCounts {
                        n_rows: row.get::<i64>(3)?.unwrap_or(0),
                        n_test: row.get::<i64>(4)?.unwrap_or(0),
                        n_incomplete: row.get::<i64>(5)?.unwrap_or(0),
                        n_nonfinite: row.get::<i64>(6)?.unwrap_or(0),
                    },
                ))
            })
            .collect::<Result<Vec<_>, pgrx::spi::SpiError>>()
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("the per-group training query failed: {e}"),
        })
    });
    grouped::check_group_count(ctx, groups.len());
    let total = RowCounts {
        n_rows: groups.iter().map(|g| g.2.n_rows).sum(),
        n_test: groups.iter().map(|g| g.2.n_test).sum(),
        n_incomplete: groups.iter().map(|g| g.2.n_incomplete).sum(),
        n_nonfinite: groups.iter().map(|g| g.2.n_nonfinite).sum(),
    };
    ctx.check(&total);
    let mut pooled_state: Option<Vec<f64>> = None;
    for (_, state, _) in &groups {
        match (&mut pooled_state, state) {
            (None, Some(state)) => pooled_state = Some(state.clone()),
            (Some(pooled), Some(state)) => StateMut::new(pooled).and_then(|mut p| p.merge(state)).or_raise(),
            (_, None) => {}
        }
    }
    let Some(pooled_state) = pooled_state else {
        ctx.too_few_rows()
    };
    let options = OlsOptions {
        l2: ctx.opts.l2,
        standardize: ctx.opts.standardizes(),
    };
    let pooled_stats = SuffStats::from_state(&pooled_state).or_raise();
    let pooled = fit_ols(&pooled_stats, ctx.features, &options).or_raise();

    // Groups with training rows; a group seen only among the test rows has no model.
    let mut fits = GroupedFits::new(ctx, groups.len());
    for (key_text, state, counts) in groups {
        let Some(state) = state else { continue };
        let key = GroupedFits::parse_key(&key_text);
        let stats = SuffStats::from_state(&state).or_raise();
        let outcome = fit_ols_for_group(&stats, ctx.features, &options).map(|fit| {
            let mut json = serde_json::to_value(&fit).expect("an OLS fit serialises");
            json["n_test"] = counts.n_test.into();
            (json, fit.estimate)
        });
        fits.push(ctx, key, stats.n, outcome);
    }
    let lookup = fits.metrics_lookup(ctx, &ctx.sql.group_columns, &pooled.estimate, 4);
    let (train_metrics, test_metrics, cut_points) = metrics_query(ctx, lookup, pooled.n as i64);
    let mut fit_json = serde_json::to_value(&pooled).expect("an OLS fit serialises");
    fit_json["kind"] = "linear".into();
    fit_json["standardize"] = ctx.opts.standardizes().into();
    fit_json["groups"] = fits.entries.into();
    Trained {
        segments: super::segments_with(ctx, cut_points),
        coefficients: pooled.estimate,
        fit: fit_json,
        train_metrics,
        test_metrics,
        n_train: pooled_stats.n as i64,
        n_test: total.n_test,
        n_dropped: total.n_incomplete,
        groups: Some(fits.stored),
    }
}
