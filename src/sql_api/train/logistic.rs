//! Logistic regression: Newton/IRLS with one parallel aggregate pass per iteration
//! (`cltv_internal.logreg_state`), or linfa-logistic's L-BFGS over the rows in memory.

use super::grouped::{group_lookup, GroupedFits, Lookup};
use super::{RowCounts, TrainContext, Trained};
use crate::error::{raise, OrRaise};
use crate::sql_api::agg_state::read_state;
use crate::sql_api::binary_metrics::{metrics_json, SCORE_SAMPLE_ROWS};
use crate::trusted_sql::{cltv_function, required_cltv_function};
use cltv_core::error::Error;
use cltv_core::fit::input_checks::{self, InputCounts};
use cltv_core::fit::logistic::{
    fit_lbfgs, lbfgs_bytes_per_row, Irls, LogitFit, LogitOptions, LogitPass, Step,
};
use cltv_core::fit::scored_pass::ScoredPass;
use cltv_core::limits;
use cltv_core::model::groups::GroupKey;
use cltv_core::model::options::Solver;
use pgrx::prelude::*;
use pgrx::JsonB;
use serde_json::json;

/// Rows that count for fitting (for the in-memory solver): complete, finite, with a 0/1
/// target, on the train side.
const TRAINING_ROW: &str = "s.complete AND s.finite AND s.y IN (0, 1) AND NOT s.is_test";

pub(super) fn train(ctx: &TrainContext) -> Trained {
    if ctx.sql.is_grouped() {
        return train_grouped(ctx);
    }
    // A penalty on standardised coefficients (scikit-learn's StandardScaler +
    // LogisticRegression(C = 1/l2)): IRLS weighs each slope's penalty by its feature's
    // variance (`LogitOptions::penalty_scale`, from the first pass), which is the same fit.
    if !ctx.opts.standardizes() || ctx.opts.solver == Solver::Irls {
        let mut trained = fit(ctx);
        trained.fit["standardize"] = ctx.opts.standardizes().into();
        return trained;
    }
    // linfa's L-BFGS takes one penalty: fit on the features divided by their population
    // standard deviation (no centring needed, the intercept is not penalised), then map the
    // slopes back.
    let sd = feature_sds(ctx);
    let mut trained = fit(&ctx.with_scaled_features(&sd));
    let unit = |s: f64| if s > 0.0 && s.is_finite() { s } else { 1.0 };
    for (j, s) in sd.iter().enumerate() {
        trained.coefficients[j + 1] /= unit(*s);
    }
    let fit_json = &mut trained.fit;
    fit_json["estimate"] = json!(trained.coefficients);
    fit_json["odds_ratio"] = json!(trained.coefficients.iter().map(|b| b.exp()).collect::<Vec<_>>());
    if let Some(means) = fit_json
        .get("x_mean")
        .and_then(|m| serde_json::from_value::<Vec<f64>>(m.clone()).ok())
    {
        let means: Vec<f64> = means.iter().zip(&sd).map(|(m, s)| m * unit(*s)).collect();
        fit_json["x_mean"] = json!(means);
    }
    fit_json["standardize"] = true.into();
    trained
}

/// The population standard deviation of each feature over the training rows.
fn feature_sds(ctx: &TrainContext) -> Vec<f64> {
    let columns = (1..=ctx.features.len())
        .map(|j| format!("coalesce(stddev_pop(s.x[{j}]), 1)"))
        .collect::<Vec<_>>()
        .join(", ");
    let query = format!(
        "SELECT ARRAY[{columns}]::float8[] FROM {rows} WHERE s.complete AND s.finite AND NOT s.is_test",
        rows = ctx.sql.rows()
    );
    ctx.query_one(&query, vec![], |row| row.get::<Vec<f64>>(1))
        .unwrap_or_else(|| vec![1.0; ctx.features.len()])
}

/// The training and test metrics of a fit, and the value-segment cut points among the
/// training rows' probabilities.
type Metrics = (serde_json::Value, serde_json::Value, Option<Vec<f64>>);

fn fit(ctx: &TrainContext) -> Trained {
    let (fit, counts, metrics) = fit_only(ctx, true);
    let mut fit_json = serde_json::to_value(&fit).expect("a logistic fit serialises");
    fit_json["kind"] = "logistic".into();
    // Whether the metrics cost a pass of their own (the benchmark counts the passes).
    fit_json["metrics_in_last_pass"] = metrics.is_some().into();
    let (train_metrics, test_metrics, cut_points) =
        metrics.unwrap_or_else(|| metrics_pass(ctx, &fit.estimate, fit.n as i64, counts.n_test));
    Trained {
        groups: None,
        segments: super::segments_with(ctx, cut_points),
        coefficients: fit.estimate.clone(),
        fit: fit_json,
        train_metrics,
        test_metrics,
        n_train: fit.n as i64,
        n_test: counts.n_test,
        n_dropped: counts.n_incomplete,
    }
}

/// The aggregate calls of the passes: over the feature columns `s.c1, s.c2, …` where the
/// installed SQL has the `_columns` forms (0.3.0 on) and the model fits in their argument
/// count, which spares every row of every pass building an array; else over the array `s.x`.
struct PassSql {
    /// The feature columns, when the `_columns` forms serve.
    columns: Option<String>,
    /// The qualified aggregates: first pass, Newton pass, and the scored pass (columns only).
    first_pass: String,
    pass: String,
    scored_pass: Option<String>,
}

impl PassSql {
    fn new(ctx: &TrainContext) -> PassSql {
        match ctx.sql.column_arguments("cltv_logreg_state_columns") {
            Some((pass, columns)) => PassSql {
                columns: Some(columns),
                first_pass: required_cltv_function("cltv_logreg_first_pass_columns"),
                pass,
                scored_pass: cltv_function("cltv_logreg_scored_pass"),
            },
            None => PassSql {
                columns: None,
                first_pass: required_cltv_function("cltv_logreg_first_pass"),
                pass: required_cltv_function("cltv_logreg_state"),
                scored_pass: None,
            },
        }
    }

    /// The first pass at `beta` (SQL), with the row counts and input checks.
    fn first_pass(&self, beta: &str) -> String {
        let f = &self.first_pass;
        match &self.columns {
            Some(c) => format!("{f}(s.y, {beta}, s.is_test, {c})"),
            None => format!("{f}(s.y, s.x, {beta}, s.is_test)"),
        }
    }

    /// A Newton pass at `beta` over the rows it is given.
    fn pass(&self, beta: &str) -> String {
        let f = &self.pass;
        match &self.columns {
            Some(c) => format!("{f}(s.label, {beta}, {c})"),
            None => format!("{f}(s.label, s.x, {beta})"),
        }
    }

    /// The pass that also scores every row, if there is one.
    fn scored_pass(&self, beta: &str, fractions: &str) -> Option<String> {
        let (f, c) = (self.scored_pass.as_ref()?, self.columns.as_ref()?);
        Some(format!("{f}(s.label, {beta}, s.is_test, {fractions}, {c})"))
    }
}

/// The input checks and the fit over every training row, with the first pass's counts and,
/// when `with_metrics` and IRLS could evaluate them in its last pass, the fit's metrics.
fn fit_only(ctx: &TrainContext, with_metrics: bool) -> (LogitFit, RowCounts, Option<Metrics>) {
    let names = ctx.features;
    let mut opts = options(ctx);
    let p = names.len();

    // The first pass checks the input and is also the first Newton pass, from β = 0: the
    // aggregate counts what the checks need in front of its sums (see `input_checks`).
    let beta = vec![0.0; p + 1];
    let calls = PassSql::new(ctx);
    let query = format!("SELECT {} FROM {}", calls.first_pass("$3"), ctx.sql.rows());
    let state = ctx
        .query_one(&query, vec![beta.clone().into()], |row| row.get::<Vec<f64>>(1))
        .unwrap_or_else(|| {
            raise(Error::EmptyInput {
                source: ctx.source_name.clone(),
            })
        });
    let (counts, state) = state.split_at(input_checks::LEN);
    let checked = InputCounts::read(counts);
    let counts = RowCounts {
        n_rows: checked.n_rows as i64,
        n_test: checked.n_test as i64,
        n_incomplete: checked.n_incomplete as i64,
        n_nonfinite: checked.n_nonfinite as i64,
    };
    ctx.check(&counts);
    if checked.n_bad_target > 0 {
        raise(Error::NonBinaryTarget {
            column: ctx.target_name().to_string(),
            example: checked.bad_target_example.unwrap_or(f64::NAN),
            rows: checked.n_bad_target,
        })
    }
    let state = state.to_vec();
    let first_pass = LogitPass::from_state(&state).or_raise();
    if ctx.opts.standardizes() && ctx.opts.solver == Solver::Irls {
        opts.penalty_scale = LogitOptions::feature_variances(&first_pass);
    }

    let split_sizes = with_metrics.then_some((first_pass.n as i64, counts.n_test));
    let (mut fit, metrics) = match ctx.opts.solver {
        Solver::Irls => irls(ctx, &calls, state, &opts, split_sizes),
        Solver::Lbfgs => (lbfgs(ctx, &opts, first_pass.n), None),
    };
    fit.describe_features(&first_pass);
    super::warn_collinearity(names, &fit.vif, None);
    (fit, counts, metrics)
}

/// The fitting options of the call (per-slope penalties are set from a first pass).
fn options(ctx: &TrainContext) -> LogitOptions {
    LogitOptions {
        l2: ctx.opts.l2,
        tol: ctx.opts.tol,
        max_iter: ctx.opts.max_iter,
        penalty_scale: Vec::new(),
    }
}

/// Newton iterations, each one aggregate pass over the table at the current β.
///
/// With `split_sizes` (training and test rows), the pass that `Irls` expects to be the
/// last is `cltv_logreg_scored_pass`, which also scores every row; when the fit then
/// reports that pass's own coefficients, those scores give its metrics and the separate
/// metrics pass is saved.
fn irls(
    ctx: &TrainContext,
    calls: &PassSql,
    first_pass: Vec<f64>,
    opts: &LogitOptions,
    split_sizes: Option<(i64, i64)>,
) -> (LogitFit, Option<Metrics>) {
    // The first pass proved every complete row finite with a 0/1 target, so later passes
    // skip those checks (the planner then does not compute them). Incomplete rows need no
    // filter: a NULL target or feature makes the aggregate skip the row, the same rule by
    // which the first pass counted them.
    let query = format!(
        "SELECT {} FILTER (WHERE NOT s.is_test) FROM {}",
        calls.pass("$3"),
        ctx.sql.rows()
    );
    // An extension still at 0.2.0 under this library has no scored pass.
    let scored = calls
        .scored_pass("$3", "$4")
        .map(|call| format!("SELECT {call} FROM {}", ctx.sql.rows()));
    let split_sizes = split_sizes.filter(|_| scored.is_some());
    let mut irls = Irls::new(ctx.features.len(), ctx.features, opts).or_raise();
    let mut pass = LogitPass::from_state(&first_pass).or_raise(); // at β = 0, where Irls starts
    let mut metrics: Option<Metrics> = None;
    let mut iteration = 1;
    loop {
        // The passes are queries, which check for interrupts themselves; so does each step.
        pg_sys::check_for_interrupts!();
        let pass_beta = irls.beta().to_vec();
        match irls.step(&pass) {
            Ok(Step::Converged { fit }) => {
                let metrics = metrics.filter(|_| fit.estimate == pass_beta);
                return (fit, metrics);
            }
            Ok(Step::Continue { .. }) => {}
            Err(Error::NotConverged { .. }) if ctx.opts.allow_nonconvergence => {
                return (irls.finish_unconverged().or_raise(), None)
            }
            Err(e) => raise(e),
        }
        // Each pass is a query: cancel and statement_timeout interrupt it like any other.
        let beta = irls.beta().to_vec();
        let started = std::time::Instant::now();
        let previous_log_likelihood = pass.log_likelihood;
        (pass, metrics) = match split_sizes.filter(|_| irls.expects_convergence()) {
            Some((n_train, n_test)) => {
                let query = scored.as_deref().expect("a scored pass when split_sizes is set");
                let (pass, found) = scored_pass(ctx, query, beta, n_train, n_test);
                (pass, Some(found))
            }
            None => {
                let state = ctx
                    .query_one_unreported(&query, vec![beta.into()], |row| row.get::<Vec<f64>>(1))
                    .unwrap_or_else(|| ctx.too_few_rows());
                (LogitPass::from_state(&state).or_raise(), None)
            }
        };
        iteration += 1;
        ctx.progress.pass_done(started.elapsed(), || {
            format!(
                " (IRLS iteration {iteration}: {} rows, log-likelihood {:.6}, change {:.3e})",
                pass.n,
                pass.log_likelihood,
                pass.log_likelihood - previous_log_likelihood
            )
        });
    }
}

/// `cltv_logreg_scored_pass` at `beta`: the Newton sums, and the metrics of every
/// complete row scored at `beta` (sampled as the metrics pass samples).
fn scored_pass(
    ctx: &TrainContext,
    query: &str,
    beta: Vec<f64>,
    n_train: i64,
    n_test: i64,
) -> (LogitPass, Metrics) {
    let fractions = vec![sample_fraction(n_train), sample_fraction(n_test)];
    // The state (8 bytes a row) is read where SPI holds it, not copied into a Vec first.
    let scored = ctx
        .query_one_unreported(query, vec![beta.into(), fractions.into()], |row| {
            Ok(row
                .get_datum_by_ordinal(1)?
                // SAFETY: column 1 of this query is the score state, a non-NULL float8[]
                // here, valid while SPI holds the row (this closure).
                .map(|datum| ScoredPass::from_state(unsafe { read_state(datum) }.as_slice())))
        })
        .unwrap_or_else(|| ctx.too_few_rows());
    let ScoredPass { pass, train, test } = scored.or_raise();
    let quantiles = if cltv_function("cltv_score_quantiles").is_some() {
        ctx.opts.segments.quantiles.clone()
    } else {
        Vec::new()
    };
    let json = |(mut scores, fraction): (Vec<u64>, f64), quantiles: &[f64]| {
        metrics_json(&mut scores, fraction, quantiles).unwrap_or(serde_json::Value::Null)
    };
    let (train, cut_points) = take_cut_points(json(train, &quantiles));
    (pass, (train, json(test, &[]), cut_points))
}

/// linfa-logistic over the training rows in memory: `n` rows (the first pass's count),
/// refused above `cltv.max_training_memory` before they are read.
fn lbfgs(ctx: &TrainContext, opts: &LogitOptions, n: u64) -> LogitFit {
    let query = format!("SELECT s.y = 1, s.x FROM {} WHERE {TRAINING_ROW}", ctx.sql.rows());
    let p = ctx.features.len();
    limits::check_training_memory(
        "the lbfgs solver",
        n,
        n.saturating_mul(lbfgs_bytes_per_row(p)),
        crate::settings::MAX_TRAINING_MEMORY.get(),
        "Leave out \"solver\" to fit by IRLS, which streams the rows in passes and needs no memory per row.",
    )
    .or_raise();
    let n = usize::try_from(n).unwrap_or(usize::MAX);
    let (x, y) = Spi::connect(|client| {
        let mut x = limits::try_vec(n.saturating_mul(p), "the training rows").or_raise();
        let mut y = limits::try_vec(n, "the training targets").or_raise();
        for (i, row) in client.select(&query, None, &ctx.split_args())?.enumerate() {
            if i % 1024 == 0 {
                pg_sys::check_for_interrupts!();
            }
            y.push(row.get::<bool>(1)?.unwrap_or(false));
            x.extend(row.get::<Vec<f64>>(2)?.unwrap_or_default());
        }
        Ok::<_, pgrx::spi::SpiError>((x, y))
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("reading the training rows: {e}"),
        })
    });
    debug_assert_eq!(x.len(), y.len() * p);
    fit_lbfgs(&x, &y, p, ctx.features, opts).or_raise()
}

/// Classification metrics on the train and the test rows, by `cltv_binary_metrics` in one
/// parallel pass. Above `SCORE_SAMPLE_ROWS` rows a split is scored on a deterministic
/// sample of that size, and its metrics say so with `sample_fraction`. The same pass finds
/// the value-segment cut points among the training rows' probabilities.
fn metrics_pass(ctx: &TrainContext, estimate: &[f64], n_train: i64, n_test: i64) -> Metrics {
    metrics_query(ctx, Lookup::single(estimate), n_train, n_test)
}

/// `"group_by"`: the pooled fit over every training row (which also runs the input
/// checks), then Newton/IRLS for every group at once: each pass is one `GROUP BY` query in
/// which a row reads its group's β from a parameter, over the groups still iterating.
fn train_grouped(ctx: &TrainContext) -> Trained {
    if ctx.opts.solver == Solver::Lbfgs {
        raise(Error::Unsupported {
            what: "\"group_by\" with the lbfgs solver".into(),
            hint: "Grouped logistic models are fitted by IRLS: leave out \"solver\".".into(),
        })
    }
    let names = ctx.features;
    let width = names.len() + 1;
    let (pooled, counts, _) = fit_only(ctx, false);

    // The first pass of every group, at β = 0 (where Irls starts).
    let calls = PassSql::new(ctx);
    let query = format!(
        "SELECT {key}, {first_pass} FROM {rows} GROUP BY {group_by} ORDER BY 1{limit}",
        limit = super::grouped::group_limit(ctx),
        first_pass = calls.first_pass("$3"),
        key = ctx.sql.group_key(),
        group_by = ctx.sql.group_by(),
        rows = ctx.sql.rows(),
    );
    let mut args = ctx.split_args();
    args.push(vec![0.0; width].into());
    let first: Vec<(String, Vec<f64>)> = grouped_query(&query, args);
    super::grouped::check_group_count(ctx, first.len());

    struct Group {
        key_text: String,
        key: GroupKey,
        first_pass: LogitPass,
        irls: Irls,
        outcome: Option<Result<LogitFit, Error>>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for (key_text, state) in first {
        let state = &state[input_checks::LEN..];
        let first_pass = LogitPass::from_state(state).or_raise();
        if first_pass.n == 0 {
            continue; // test rows only: no model
        }
        // Each group standardises by its own features' variances, as a pipeline fitted
        // on the group's rows would.
        let mut opts = options(ctx);
        if ctx.opts.standardizes() {
            opts.penalty_scale = LogitOptions::feature_variances(&first_pass);
        }
        groups.push(Group {
            key: GroupedFits::parse_key(&key_text),
            key_text,
            irls: Irls::new(names.len(), names, &opts).or_raise(),
            first_pass,
            outcome: None,
        });
    }
    let step = |group: &mut Group, pass: &LogitPass| match group.irls.step(pass) {
        Ok(Step::Converged { fit }) => group.outcome = Some(Ok(fit)),
        Ok(Step::Continue { .. }) => {}
        Err(Error::NotConverged { .. }) if ctx.opts.allow_nonconvergence => {
            group.outcome = Some(group.irls.finish_unconverged())
        }
        Err(e) => group.outcome = Some(Err(e)),
    };
    for group in groups.iter_mut() {
        let pass = group.first_pass.clone();
        step(group, &pass);
    }
    // A row reads its group's β at the offset the join gives it; the join leaves out the
    // groups that have finished.
    let group_columns: Vec<String> = (1..=ctx.opts.group_by.len()).map(|i| format!("s.g{i}")).collect();
    loop {
        let active: Vec<usize> = (0..groups.len())
            .filter(|&i| groups[i].outcome.is_none())
            .collect();
        if active.is_empty() {
            break;
        }
        pg_sys::check_for_interrupts!();
        let keys: Vec<&GroupKey> = active.iter().map(|&i| &groups[i].key).collect();
        let offsets: Vec<i32> = (0..active.len()).map(|j| (j * width) as i32).collect();
        let payload = vec![("o".to_string(), "int4", offsets.into())];
        let (join, lookup_args) = group_lookup(&group_columns, &keys, payload, 4, "JOIN");
        let pass_query = format!(
            "SELECT {key}, {pass}
                    FILTER (WHERE NOT s.is_test)
               FROM (SELECT s.*, k.o FROM {rows} {join}) AS s
              GROUP BY {group_by}",
            pass = calls.pass(&format!("$3[s.o + 1 : s.o + {width}]")),
            key = ctx.sql.group_key(),
            group_by = ctx.sql.group_by(),
            rows = ctx.sql.rows(),
        );
        let betas: Vec<f64> = active
            .iter()
            .flat_map(|&i| groups[i].irls.beta().to_vec())
            .collect();
        let mut args = ctx.split_args();
        args.push(betas.into());
        args.extend(lookup_args);
        // Groups by key: thousands of groups must not cost a scan of the list per group.
        let index: std::collections::HashMap<String, usize> =
            active.iter().map(|&i| (groups[i].key_text.clone(), i)).collect();
        let started = std::time::Instant::now();
        for (key_text, state) in grouped_query(&pass_query, args) {
            let Some(&i) = index.get(&key_text) else {
                continue;
            };
            let pass = LogitPass::from_state(&state).or_raise();
            step(&mut groups[i], &pass);
        }
        ctx.progress.pass_done(started.elapsed(), || {
            format!(
                " (IRLS, {} of {} groups still iterating)",
                active.len(),
                groups.len()
            )
        });
    }

    // Each group's fit, or its error (raised, or the pooled model under "pooled").
    let mut fits = GroupedFits::new(ctx, groups.len());
    for group in groups {
        let first_pass = group.first_pass;
        let outcome = group.outcome.expect("every group finished").map(|mut fit| {
            fit.describe_features(&first_pass);
            let json = serde_json::to_value(&fit).expect("a logistic fit serialises");
            (json, fit.estimate)
        });
        fits.push(ctx, group.key, first_pass.n, outcome);
    }
    let lookup = fits.metrics_lookup(ctx, &ctx.sql.group_columns, &pooled.estimate, 6);
    let (train_metrics, test_metrics, cut_points) =
        metrics_query(ctx, lookup, pooled.n as i64, counts.n_test);
    let mut fit_json = serde_json::to_value(&pooled).expect("a logistic fit serialises");
    fit_json["kind"] = "logistic".into();
    fit_json["standardize"] = ctx.opts.standardizes().into();
    fit_json["groups"] = fits.entries.into();
    Trained {
        segments: super::segments_with(ctx, cut_points),
        coefficients: pooled.estimate.clone(),
        fit: fit_json,
        train_metrics,
        test_metrics,
        n_train: pooled.n as i64,
        n_test: counts.n_test,
        n_dropped: counts.n_incomplete,
        groups: Some(fits.stored),
    }
}

/// Rows of (group key, state) from a grouped pass.
fn grouped_query(query: &str, args: Vec<pgrx::datum::DatumWithOid<'static>>) -> Vec<(String, Vec<f64>)> {
    Spi::connect(|client| {
        client
            .select(query, None, &args)?
            .filter_map(|row| match (row.get::<String>(1), row.get::<Vec<f64>>(2)) {
                (Ok(Some(key)), Ok(Some(state))) => Some(Ok((key, state))),
                (Err(e), _) | (_, Err(e)) => Some(Err(e)),
                _ => None,
            })
            .collect::<Result<Vec<_>, pgrx::spi::SpiError>>()
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("a per-group logistic pass failed: {e}"),
        })
    })
}

/// The metrics pass, each row's probability from the coefficients `lookup` gives it (one
/// model's, or the row's group's), written out in SQL: no function call per row. η is
/// clamped to ±700, where the probability is 0 or 1 to double precision anyway, so that
/// `exp` cannot overflow.
fn metrics_query(ctx: &TrainContext, lookup: Lookup, n_train: i64, n_test: i64) -> Metrics {
    let sql = &ctx.sql;
    let (columns, predictor, bound) = lookup.bind_columns(&sql.features);
    let with_segments = cltv_function("cltv_score_quantiles").is_some();
    let query = format!(
        "SELECT {metrics}(s.y = 1, s.p, $3{quantiles}) FILTER (WHERE NOT s.is_test),
                {metrics}(s.y = 1, s.p, $4) FILTER (WHERE s.is_test)
           FROM (SELECT r.y, 1 / (1 + exp(-least(greatest({predictor}, -700), 700))) AS p, r.is_test
                   FROM (SELECT {target} AS y, {is_test} AS is_test{columns}
                           FROM {from} {join} WHERE {complete}) AS r) AS s",
        join = bound.join,
        target = sql.target,
        is_test = sql.is_test,
        from = sql.from,
        complete = sql.complete,
        quantiles = if with_segments { ", $5" } else { "" },
        metrics = required_cltv_function("cltv_binary_metrics"),
    );
    let mut args = vec![
        sample_fraction(n_train).into(),
        sample_fraction(n_test).into(),
        ctx.opts.segments.quantiles.clone().into(),
    ];
    args.extend(bound.args);
    ctx.query_one(&query, args, read_metrics)
}

/// The share of a split's `n` rows whose scores the metrics keep: all of them up to
/// `SCORE_SAMPLE_ROWS`, a deterministic sample of that size above.
fn sample_fraction(n: i64) -> f64 {
    (SCORE_SAMPLE_ROWS as f64 / n.max(1) as f64).min(1.0)
}

/// The train and test metrics of a metrics pass (columns 1 and 2), and the value-segment
/// cut points the training metrics carry.
fn read_metrics(row: &pgrx::spi::SpiTupleTable) -> Result<Metrics, pgrx::spi::SpiError> {
    let metrics = |i| -> Result<serde_json::Value, pgrx::spi::SpiError> {
        Ok(row.get::<JsonB>(i)?.map_or(serde_json::Value::Null, |j| j.0))
    };
    let (train, cut_points) = take_cut_points(metrics(1)?);
    Ok((train, metrics(2)?, cut_points))
}

/// The training metrics without their `score_quantiles`, which are the value segments'
/// cut points.
fn take_cut_points(mut train: serde_json::Value) -> (serde_json::Value, Option<Vec<f64>>) {
    let cut_points = train
        .as_object_mut()
        .and_then(|m| m.remove("score_quantiles"))
        .and_then(|q| serde_json::from_value::<Vec<f64>>(q).ok());
    (train, cut_points)
}
