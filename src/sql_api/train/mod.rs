//! `cltv_train`: fit a model over any table or view and store it as a new version.
//!
//! Every query here runs through SPI as the calling user, so table privileges and
//! row-level security apply to training exactly as to a SELECT. Identifiers are quoted with
//! `quote_identifier`; values travel as SPI arguments.

use crate::catalog::{self, Deploy, NewVersion};
use crate::error::{raise, OrRaise};
use crate::jsonb_arg::JsonbArg;
use crate::settings;
use crate::sql_api::{quote_ident, quote_literal};
use crate::trusted_sql::pinned;
use cltv_core::error::Error;
use cltv_core::model::encoding::Design;
use cltv_core::model::options::{Promote, TrainOptions};
use cltv_core::model::preprocessing::Preprocessing;
use cltv_core::model::scoring::{check_train_terms, ModelKind};
use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::json;

mod btyd;
pub(crate) use btyd::unit_in_days;
mod categorical;
mod context;
mod diagnostics;
mod evaluate;
mod grouped;
mod linear;
mod logistic;
mod missing;
mod progress;
mod source;
mod sql;

use context::{cut_points_sql, segments_with, RowCounts, TrainContext, Trained};
use diagnostics::{check_names, split_metrics, warn_collinearity};
use sql::{is_categorical, SourceColumns, TrainingSql};

fn required<T>(what: &str, value: Option<T>) -> T {
    value.unwrap_or_else(|| {
        raise(Error::InvalidArgument {
            what: what.to_string(),
            reason: "must not be NULL".into(),
        })
    })
}

/// What one training call asks for: the arguments of `cltv_train`, as stored with each
/// version so that `cltv_retrain` can repeat the call.
struct TrainCall<'a> {
    model: &'a str,
    source: PgRelation,
    target: Option<&'a str>,
    features: Vec<String>,
    kind: ModelKind,
    options: serde_json::Value,
    /// "train" or "retrain", for the run log.
    call: &'static str,
}

/// What `cltv_train` and `cltv_retrain` return.
type TrainRow = (String, i32, String, i64, i64, JsonB, bool);

fn run_training(call: TrainCall) -> TrainRow {
    let started_at = Spi::get_one::<String>("SELECT clock_timestamp()::text")
        .ok()
        .flatten()
        .unwrap_or_default();
    let TrainCall {
        model,
        source,
        target,
        features,
        kind: model_kind,
        options,
        call,
    } = call;
    let target = match (model_kind.fixed_features(), target) {
        (None, None) => raise(Error::InvalidArgument {
            what: "target".into(),
            reason: format!("must not be NULL for a {} model", model_kind.as_str()),
        }),
        (Some(_), Some(t)) => raise(Error::InvalidArgument {
            what: format!("target \"{t}\""),
            reason: format!(
                "a {} model has no target: pass target => NULL",
                model_kind.as_str()
            ),
        }),
        (_, target) => target,
    };
    check_names(model, target, &features);
    // Before any pass over the data: each feature is at least one term.
    check_train_terms(model_kind, features.len(), 0).or_raise();
    // Before reading any data: a model someone else owns is refused at once.
    catalog::check_may_change(model, "add a version to");
    let mut opts = TrainOptions::parse(model_kind, &options).or_raise();
    if let Some(g) = opts
        .group_by
        .iter()
        .find(|g| features.contains(g) || Some(g.as_str()) == target)
    {
        raise(Error::InvalidOption {
            key: "group_by".into(),
            reason: format!("\"{g}\" is also the target or a feature; a model per group cannot use it"),
        })
    }
    if model_kind.fixed_features().is_some() {
        // Fitted on every customer's summary: there is no target to hold out.
        opts.test_fraction = 0.0;
        opts.time_split = None;
    }
    let seed = opts.split_seed.unwrap_or(settings::SPLIT_SEED.get() as i64);
    // The source's columns, looked up once for every query this call builds.
    let columns = SourceColumns::of(&source);
    let imputation = missing::prepare(
        &columns,
        target,
        &features,
        &opts,
        vec![opts.test_fraction.into(), seed.into()],
    );
    let imputed_values = imputation.as_ref().map_or(&[][..], |i| &i.values[..]);
    let vocabularies = if model_kind.fixed_features().is_some() {
        // Summaries are numbers: a text column is an error that names it.
        for f in &features {
            let _numeric = columns.float8(f);
        }
        Vec::new()
    } else {
        categorical::vocabularies(
            &columns,
            target,
            &features,
            &opts,
            imputed_values,
            vec![opts.test_fraction.into(), seed.into()],
        )
    };
    let design = Design::new(
        features
            .iter()
            .map(|f| {
                let vocabulary = vocabularies.iter().find(|(c, _)| c == f).map(|(_, v)| v.clone());
                (f.clone(), vocabulary)
            })
            .collect(),
        opts.unseen,
    );
    let terms = design.terms().to_vec();
    // With the levels known, before the fitting passes (whose queries grow with the terms).
    let numeric = features.len() - vocabularies.len();
    check_train_terms(model_kind, terms.len(), terms.len() - numeric).or_raise();
    let ctx = TrainContext {
        sql: TrainingSql::new(&columns, target, &features, &opts, imputed_values, &vocabularies),
        seed,
        features: &terms,
        source_name: format!("{}.{}", source.namespace(), source.name()),
        model: model.to_string(),
        progress: std::rc::Rc::new(progress::Progress::new(model)),
        opts,
    };
    let time_unit = model_kind.fixed_features().map(|_| btyd::time_unit(&ctx));
    let trained = match model_kind {
        ModelKind::Linear => linear::train(&ctx),
        ModelKind::Logistic => logistic::train(&ctx),
        ModelKind::BgNbd | ModelKind::GammaGamma => btyd::train(model_kind, &ctx),
    };

    let mut metrics = json!({
        "train": trained.train_metrics,
        "test": trained.test_metrics,
        "n_dropped": trained.n_dropped,
    });
    if let Some(imputation) = &imputation {
        metrics["n_imputed"] = imputation.counts.clone().into();
    }
    metrics["split"] = split_metrics(&ctx, trained.n_train, trained.n_test);
    let mut stored_options = options.clone();
    if !stored_options.is_object() {
        stored_options = json!({});
    }
    stored_options["split_seed"] = seed.into();
    let deploy = match ctx.opts.promote {
        Promote::Always => Deploy::Yes("train"),
        Promote::Never | Promote::IfBetter => Deploy::IfFirst("train"),
    };
    let (version, mut deployed) = catalog::store_version(
        NewVersion {
            model,
            kind: model_kind.as_str(),
            target,
            features: &terms,
            coefficients: trained.coefficients,
            fit: trained.fit,
            preprocessing: {
                let mut preprocessing = Preprocessing::new(ctx.opts.missing);
                if let Some((unit, days)) = time_unit {
                    preprocessing.set_time_unit(unit, days);
                }
                if !ctx.opts.missing_by_feature.is_empty() {
                    preprocessing.missing_by_feature =
                        Some(ctx.opts.missing_by_feature.iter().cloned().collect());
                }
                if let Some(imputation) = &imputation {
                    // Per term: a numeric feature's value, each indicator's for a level.
                    let categorical = (0..features.len())
                        .filter(|&i| ctx.opts.missing_for(&features[i]).imputes())
                        .filter_map(|i| design.imputed_terms(i))
                        .flatten();
                    preprocessing.imputation =
                        Some(imputation.values.iter().cloned().chain(categorical).collect());
                }
                design.to_preprocessing(&mut preprocessing);
                preprocessing.groups = trained.groups;
                preprocessing.segments = trained.segments;
                preprocessing.to_json()
            },
            options: stored_options,
            metrics: metrics.clone(),
            n_train: trained.n_train,
            n_test: trained.n_test,
            n_dropped: trained.n_dropped,
            source: ctx.sql.quoted_source.clone(),
            promotion: None,
            source_trusted: true,
        },
        deploy,
    );
    if ctx.opts.promote == Promote::IfBetter && !deployed {
        deployed = evaluate::promote_if_better(&ctx, model, model_kind, version);
    }
    if let Some(keep) = ctx.opts.keep_versions {
        let pruned = catalog::prune_versions(model, keep);
        if !pruned.is_empty() {
            notice!(
                "\"keep_versions\": {keep}: deleted version(s) {} of model \"{model}\"",
                pruned
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    catalog::record_run(catalog::Run {
        model,
        call,
        started_at: &started_at,
        failure: None,
        version: Some(version),
        deployed: Some(deployed),
    });
    (
        model.to_string(),
        version,
        model_kind.as_str().to_string(),
        trained.n_train,
        trained.n_test,
        JsonB(metrics),
        deployed,
    )
}

/// The kind of a `cltv_train` call that omits it, from the target's type: a boolean target
/// is a logistic model (with a NOTICE), a numeric one a linear model (as always). BG/NBD
/// and Gamma-Gamma models have no target and are never inferred.
fn infer_kind(source: &PgRelation, target: Option<&str>) -> ModelKind {
    let Some(target) = target else {
        raise(Error::InvalidArgument {
            what: "target".into(),
            reason: "must not be NULL when kind is omitted (a boolean target makes a logistic model, a numeric one a linear model); models of customer summaries have no target: pass kind => 'bgnbd' or 'gamma_gamma'".into(),
        })
    };
    let columns = SourceColumns::of(source);
    let column = columns.find(target);
    match column.category {
        'B' => {
            // Until 0.5.0 an omitted kind was linear: say that this one is not.
            notice!(
                "kind not given: the boolean target \"{target}\" makes a logistic model (pass kind => 'linear' for a linear probability model)"
            );
            ModelKind::Logistic
        }
        // The default of every earlier version, and the `kind` column of the result says it:
        // no NOTICE on every training of a numeric target.
        'N' => ModelKind::Linear,
        _ => raise(Error::NonNumericColumn {
            column: target.to_string(),
            type_name: column.type_name.clone(),
        }),
    }
}

/// Fit `kind` over `source` and store it as the next version of `model`. The first
/// version of a model is deployed; later ones as the `promote` option says. Without a
/// kind, the target's type decides (see `infer_kind`).
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_train(
    model: Option<&str>,
    source: Option<PgRelation>,
    target: default!(Option<&str>, "NULL"),
    features: default!(Option<Vec<Option<String>>>, "NULL"),
    kind: default!(Option<&str>, "NULL"),
    options: default!(Option<JsonbArg>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(model, String),
        name!(version, i32),
        name!(kind, String),
        name!(n_train, i64),
        name!(n_test, i64),
        name!(metrics, JsonB),
        name!(deployed, bool),
    ),
> {
    // Not STRICT: a NULL argument is an error that names it, not a silent empty result.
    let model = required("model", model);
    let source = required("source", source);
    let options = required("options", options);
    let features: Vec<String> = required("features", features)
        .into_iter()
        .map(|f| {
            f.unwrap_or_else(|| {
                raise(Error::InvalidArgument {
                    what: "features".into(),
                    reason: "must not contain NULL".into(),
                })
            })
        })
        .collect();
    let kind = kind.map(|k| ModelKind::parse(k).or_raise());
    TableIterator::once(pinned(|| {
        let kind = kind.unwrap_or_else(|| infer_kind(&source, target));
        run_training(TrainCall {
            model,
            source,
            target,
            features,
            kind,
            options: options.value("options"),
            call: "train",
        })
    }))
}

/// `cltv_train` with the source as text, which a quoted name in a call resolves to (an
/// unknown literal prefers text): resolved as a regclass argument is, before anything else
/// and under the caller's search_path; a query string is an error that says to make it a view.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe, name = "cltv_train")]
fn cltv_train_by_name(
    model: Option<&str>,
    source: Option<&str>,
    target: default!(Option<&str>, "NULL"),
    features: default!(Option<Vec<Option<String>>>, "NULL"),
    kind: default!(Option<&str>, "NULL"),
    options: default!(Option<JsonbArg>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(model, String),
        name!(version, i32),
        name!(kind, String),
        name!(n_train, i64),
        name!(n_test, i64),
        name!(metrics, JsonB),
        name!(deployed, bool),
    ),
> {
    let source = source.map(|s| source::resolve("cltv_train", s));
    cltv_train(model, source, target, features, kind, options)
}

/// Train `model` again with the arguments of its newest version: the same source, target,
/// features, kind and options (split seed included), as the caller; `promote`, if given,
/// in place of the stored promotion policy. What a schedule runs.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_retrain(
    model: Option<&str>,
    promote: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(model, String),
        name!(version, i32),
        name!(kind, String),
        name!(n_train, i64),
        name!(n_test, i64),
        name!(metrics, JsonB),
        name!(deployed, bool),
    ),
> {
    // Not STRICT (promote may be NULL), so a NULL model is checked here.
    let model = crate::sql_api::required(model, "cltv_retrain", "model");
    TableIterator::once(pinned(|| retrain(model, promote)))
}

fn retrain(model: &str, promote: Option<&str>) -> TrainRow {
    let mut stored = catalog::training_call(model);
    if let Some(promote) = promote {
        if !stored.options.is_object() {
            stored.options = serde_json::json!({});
        }
        stored.options["promote"] = promote.into();
    }
    let relation = Spi::get_one_with_args::<pg_sys::Oid>(
        "SELECT to_regclass($1)::oid",
        &[stored.source.as_str().into()],
    )
    .ok()
    .flatten()
    .unwrap_or_else(|| {
        raise(Error::InvalidArgument {
            what: format!("source {} of model \"{model}\"", stored.source),
            reason: "no longer exists; train the model again with cltv_train".into(),
        })
    });
    // SAFETY: the oid was just resolved by to_regclass; the lock keeps it from going away.
    let source = unsafe { PgRelation::with_lock(relation, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    run_training(TrainCall {
        model,
        source,
        target: stored.target.as_deref(),
        features: stored.features,
        kind: ModelKind::parse(&stored.kind).or_raise(),
        options: stored.options,
        call: "retrain",
    })
}
