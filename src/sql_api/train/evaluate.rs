//! Scoring a stored model against a target over rows of a table: `cltv_evaluate`, and the
//! champion/challenger comparison of `"promote": "if_better"`.

use super::{SourceColumns, TrainContext};
use crate::catalog;
use crate::error::raise;
use crate::trusted_sql::required_cltv_function;
use cltv_core::error::Error;
use cltv_core::evaluation::metrics::regression_metrics;
use cltv_core::model::options::metric_direction;
use cltv_core::model::scoring::{ModelKind, ModelRef};
use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::json;

/// The kind's metrics of `model_ref`'s predictions, `cltv_predict(model, t)` with the row
/// bound by name, against `target_sql` over the rows of `from` (aliased `t`) that pass
/// `filter`. Rows whose prediction or target is NULL are left out (and counted by `n`).
/// The model reference is the last argument.
fn metrics_of(
    kind: ModelKind,
    model_ref: &str,
    from: &str,
    target_sql: &str,
    filter: &str,
    mut args: Vec<pgrx::datum::DatumWithOid<'static>>,
) -> serde_json::Value {
    args.push(model_ref.to_string().into());
    let scored = format!(
        "(SELECT {target_sql} AS y, {predict}(${n}::text, t) AS p FROM {from} WHERE {filter}) AS s
          WHERE s.y IS NOT NULL AND s.p IS NOT NULL",
        n = args.len(),
        predict = required_cltv_function("cltv_predict"),
    );
    let run = |query: String| -> serde_json::Value {
        Spi::connect(|client| {
            let row = client.select(&query, None, &args)?.first();
            match kind {
                ModelKind::Logistic => Ok(row.get::<JsonB>(1)?.map_or(serde_json::Value::Null, |j| j.0)),
                _ => Ok(serde_json::to_value(regression_metrics(
                    row.get::<i64>(1)?.unwrap_or(0) as u64,
                    row.get::<f64>(2)?.unwrap_or(0.0),
                    row.get::<f64>(3)?.unwrap_or(0.0),
                    row.get::<f64>(4)?.unwrap_or(0.0),
                ))
                .expect("metrics serialise")),
            }
        })
        .unwrap_or_else(|e: pgrx::spi::SpiError| {
            raise(Error::Internal {
                reason: format!("evaluation query failed: {e}"),
            })
        })
    };
    match kind {
        ModelKind::Linear => run(format!(
            "SELECT count(*), sum((s.y - s.p) ^ 2), sum(abs(s.y - s.p)), var_pop(s.y) * count(*) FROM {scored}"
        )),
        ModelKind::Logistic => run(format!(
            "SELECT {}(s.y = 1, s.p) FROM {scored}",
            required_cltv_function("cltv_binary_metrics")
        )),
        other => raise(Error::Unsupported {
            what: format!("evaluating a {} model", other.as_str()),
            hint: "For BG/NBD, compare the holdout's purchases with cltv_predict(model, row, horizon), as in the calibration table.".into(),
        }),
    }
}

/// `"promote": "if_better"`: score the deployed version (the champion) and the new one (the
/// challenger) on the new version's held-out rows, deploy the challenger if it is better
/// on the chosen metric, and record both scores and the decision. Returns whether the
/// challenger was deployed.
pub(super) fn promote_if_better(ctx: &TrainContext, model: &str, kind: ModelKind, version: i32) -> bool {
    let champion = catalog::resolve(&ModelRef::parse(model).unwrap_or_else(|e| raise(e)));
    let metric = ctx.opts.metric.as_str();
    let higher_is_better = metric_direction(kind, metric).expect("checked when the options were parsed");
    let mut promotion = json!({
        "policy": "if_better",
        "metric": metric,
        "higher_is_better": higher_is_better,
        "champion_version": champion.version,
    });
    let champion_kind = champion.scorer.kind();
    let promoted = if champion_kind != kind {
        promotion["reason"] = format!(
            "the deployed version is a {} model; a {} model is not compared with it",
            champion_kind.as_str(),
            kind.as_str()
        )
        .into();
        false
    } else {
        // The challenger's held-out rows, complete in its own target and features.
        let filter = format!("{} AND {}", ctx.sql.is_test, ctx.sql.complete);
        let score = |reference: String| {
            metrics_of(
                kind,
                &reference,
                &ctx.sql.from,
                &ctx.sql.target,
                &filter,
                ctx.split_args(),
            )
        };
        let challenger_metrics = score(format!("{model}@{version}"));
        let champion_metrics = score(format!("{model}@{}", champion.version));
        let value = |m: &serde_json::Value| m.get(metric).and_then(|v| v.as_f64());
        let (challenger, champion_score) = (value(&challenger_metrics), value(&champion_metrics));
        promotion["challenger"] = json!(challenger);
        promotion["champion"] = json!(champion_score);
        promotion["rows"] = challenger_metrics.get("n").cloned().unwrap_or_default();
        match (challenger, champion_score) {
            (Some(new), Some(old)) => {
                if higher_is_better {
                    new > old
                } else {
                    new < old
                }
            }
            // A champion without a score (e.g. it scores none of these rows) loses.
            (Some(_), None) => true,
            _ => false,
        }
    };
    promotion["promoted"] = promoted.into();
    if promoted {
        notice!(
            "{model}@{version} is better on {metric} than {model}@{}: deployed",
            champion.version
        );
    } else {
        notice!(
            "{model}@{version} is not better on {metric} than {model}@{}: not deployed",
            champion.version
        );
    }
    catalog::record_promotion(model, version, promotion, promoted);
    promoted
}

/// The metrics of `model` (its deployed version, or `name@N`) on every row of `source`,
/// which must hold the model's target and features under the same names: an out-of-time
/// check on a later month, say. Reads `source` as the caller.
#[pg_extern(stable, parallel_restricted)]
fn cltv_evaluate(model: &str, source: PgRelation) -> JsonB {
    crate::trusted_sql::pinned(|| evaluate(model, source))
}

/// `cltv_evaluate` with the source as text (what a quoted name resolves to), resolved as a
/// regclass argument is; a query string is an error that says to make it a view.
#[pg_extern(stable, parallel_restricted, name = "cltv_evaluate")]
fn cltv_evaluate_by_name(model: &str, source: &str) -> JsonB {
    let source = super::source::resolve("cltv_evaluate", source);
    cltv_evaluate(model, source)
}

fn evaluate(model: &str, source: PgRelation) -> JsonB {
    let reference = ModelRef::parse(model).unwrap_or_else(|e| raise(e));
    let loaded = catalog::resolve(&reference);
    let kind = loaded.scorer.kind();
    let Some(target) = catalog::target_of(&loaded) else {
        raise(Error::Unsupported {
            what: format!("evaluating the {} model \"{}\"", kind.as_str(), loaded.display_name()),
            hint: "For BG/NBD, compare the holdout's purchases with cltv_predict(model, row, horizon), as in the calibration table.".into(),
        })
    };
    let columns = SourceColumns::of(&source);
    let target_sql = columns.float8(&target);
    let mut metrics = metrics_of(
        kind,
        &loaded.display_name(),
        &format!("{} AS t", columns.quoted_name),
        &target_sql,
        "true",
        Vec::new(),
    );
    if let Some(object) = metrics.as_object_mut() {
        object.insert("model".into(), loaded.display_name().into());
        object.insert("source".into(), columns.name.clone().into());
    }
    JsonB(metrics)
}
