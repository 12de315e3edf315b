//! The life of a model after training: deploy, roll back, drop, export and import, and
//! retraining on a pg_cron schedule. Every change checks that the caller owns the model
//! and is written by `catalog`.

use crate::catalog::{self, Deploy, NewVersion};
use crate::error::{raise, OrRaise};
use crate::jsonb_arg::JsonbArg;
use crate::sql_api::required;
use crate::sql_api::train::unit_in_days;
use crate::trusted_sql::pinned;
use cltv_core::error::Error;
use cltv_core::model::export::ExportedModel;
use cltv_core::model::options::TrainOptions;
use cltv_core::model::scoring::{check_model_name, ModelKind, ModelRef};
use pgrx::prelude::*;
use pgrx::JsonB;

/// Serve `version` of `model` from now on: to new statements, once this transaction
/// commits. Returns the version.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_deploy(model: &str, version: i32) -> i32 {
    catalog::deploy(model, version);
    version
}

/// Undo the newest deployment of `model` (a training that deployed, a `cltv_deploy`, a
/// promotion): the version deployed before it serves again. Returns that version.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_rollback(model: &str) -> i32 {
    catalog::rollback(model)
}

/// Remove `model`, its versions, its deployment history and its training schedule.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_drop_model(model: &str) {
    catalog::drop_model(model);
    pinned(|| {
        if let Some(schema) = pg_cron_schema() {
            // Best effort: pg_cron shows a user only their own jobs.
            let _ = unschedule(&schema, model);
        }
    })
}

/// A model version (the deployed one, or `name@N`) as one JSON document that
/// `cltv_import` takes back, in this database or another.
#[pg_extern(stable, parallel_safe)]
fn cltv_export(model: &str) -> JsonB {
    let loaded = catalog::resolve(&ModelRef::parse(model).or_raise());
    let exported = catalog::export(&loaded);
    JsonB(serde_json::to_value(exported).unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("the export of model \"{model}\" could not be written as JSON: {e}"),
        })
    }))
}

/// Store an exported model as the next version of `name` (by default the name it was
/// exported under), after checking every field and their consistency. It is deployed if
/// the model had no deployed version. Returns the model and the new version.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_import(
    document: Option<JsonbArg>,
    name: default!(Option<&str>, "NULL"),
) -> TableIterator<'static, (name!(model, String), name!(version, i32), name!(deployed, bool))> {
    // Not STRICT (name may be NULL), so a NULL document is checked here.
    let document = required(document, "cltv_import", "document").value("document");
    let exported = ExportedModel::from_json(&document).or_raise();
    // The name it is stored under passes cltv_train's check, before anything else.
    check_model_name(name.unwrap_or(&exported.name)).or_raise();
    exported.validate(unit_in_days).or_raise();
    let model = name.unwrap_or(&exported.name).to_string();
    // Where it came from goes with the metrics: the options must stay the ones
    // cltv_retrain can repeat.
    let mut metrics = exported.metrics.clone();
    metrics["imported_from"] = serde_json::json!({
        "name": exported.name, "version": exported.version,
        "trained_by": exported.trained_by, "trained_at": exported.trained_at,
    });
    let (version, deployed) = catalog::store_version(
        NewVersion {
            model: &model,
            kind: &exported.kind,
            target: exported.target.as_deref(),
            features: &exported.features,
            coefficients: exported.coefficients.clone(),
            fit: exported.fit.clone(),
            preprocessing: exported.preprocessing.clone(),
            options: exported.options.clone(),
            metrics,
            n_train: exported.n_train,
            n_test: exported.n_test,
            n_dropped: exported.n_dropped,
            source: exported.source.clone(),
            promotion: None,
            // Whoever made the document chose its source: cltv_retrain will not read it
            // with the owner's privileges until the owner confirms it.
            source_trusted: false,
        },
        Deploy::IfFirst("import"),
    );
    TableIterator::once((model, version, deployed))
}

/// Let `cltv_retrain` repeat the stored call of `model`'s newest version, an imported one:
/// the owner has checked its source. Returns the version. Only the model's owner may.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_confirm_source(model: &str) -> i32 {
    catalog::confirm_source(model)
}

/// Give `role` (a role name, or `public` for every role) the right to score `model` and to
/// read its catalog rows and export. Only the model's owner may. Returns false if the role
/// had it already.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_grant(model: &str, role: &str) -> bool {
    catalog::grant(model, role)
}

/// Take back from `role` what `cltv_grant` gave. Returns false if it had no grant.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_revoke(model: &str, role: &str) -> bool {
    catalog::revoke(model, role)
}

/// pg_cron's schema (always `cron`, whatever its extension schema says), if pg_cron is
/// installed in this database.
fn pg_cron_schema() -> Option<String> {
    Spi::get_one::<bool>("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron')")
        .ok()
        .flatten()
        .filter(|installed| *installed)
        .map(|_| "cron".to_string())
}

/// The database pg_cron runs in (`cron.database_name`, pg_cron loaded), if it is not this one.
fn cron_database_elsewhere() -> Option<String> {
    Spi::get_one::<String>(
        "SELECT d FROM (SELECT pg_catalog.current_setting('cron.database_name', true) AS d) s
          WHERE d <> '' AND d <> pg_catalog.current_database()",
    )
    .ok()
    .flatten()
}

fn job_name(model: &str) -> String {
    format!("cltv:{model}")
}

fn unschedule(schema: &str, model: &str) -> Result<bool, pgrx::spi::SpiError> {
    Spi::connect_mut(|client| {
        let query = format!(
            "SELECT count({schema}.unschedule(jobid)) > 0 FROM {schema}.job WHERE jobname = $1",
            schema = crate::sql_api::quote_ident(schema)
        );
        Ok(client
            .update(&query, None, &[job_name(model).into()])?
            .first()
            .get::<bool>(1)?
            .unwrap_or(false))
    })
}

/// Retrain `model` on a pg_cron `schedule` (cron syntax, or pg_cron's `'N seconds'`): the job
/// runs `cltv_retrain(model, promote)` as the calling user, so it reads the source with the
/// caller's privileges and keeps the model's other options. `promote` defaults to
/// `"if_better"` for a model that holds rows out, else `"always"`: a scheduled retrain
/// deploys what improves. A failed run is logged in `cltv.training_runs`. Scheduling the
/// same model again replaces its schedule. Returns pg_cron's job id.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_schedule_training(
    model: Option<&str>,
    schedule: Option<&str>,
    promote: default!(Option<&str>, "NULL"),
) -> i64 {
    // Not STRICT (promote may be NULL), so NULL arguments are checked here.
    let model = required(model, "cltv_schedule_training", "model");
    let schedule = required(schedule, "cltv_schedule_training", "schedule");
    pinned(|| schedule_training(model, schedule, promote))
}

fn schedule_training(model: &str, schedule: &str, promote: Option<&str>) -> i64 {
    let cron = pg_cron_schema();
    if cron.is_none() && cron_database_elsewhere().is_none() {
        raise(Error::PgCronMissing {
            reason: "it is not installed in this database".into(),
        })
    }
    catalog::check_may_change(model, "schedule training of");
    // The model must exist, and its stored call is what the job repeats: with the
    // promotion policy, it must still parse.
    let stored = catalog::training_call(model);
    let kind = ModelKind::parse(&stored.kind).or_raise();
    let mut options = match stored.options {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let promote = promote.map(str::to_string).unwrap_or_else(|| {
        let holds_rows_out = TrainOptions::parse(kind, &serde_json::Value::Object(options.clone()))
            .map(|o| kind.fixed_features().is_none() && (o.test_fraction > 0.0 || o.time_split.is_some()))
            .unwrap_or(false);
        if holds_rows_out { "if_better" } else { "always" }.to_string()
    });
    options.insert("promote".into(), promote.clone().into());
    TrainOptions::parse(kind, &serde_json::Value::Object(options)).or_raise();
    let command = Spi::get_one_with_args::<String>(
        "SELECT format('SELECT cltv_internal.scheduled_retrain(%L::text, %L::text)', $1::text, $2::text)",
        &[model.into(), promote.as_str().into()],
    )
    .ok()
    .flatten()
    .expect("format returns text");
    let Some(cron) = cron else {
        // pg_cron runs in one database: the job is made there, to run in this one.
        let cron_database = cron_database_elsewhere().expect("checked above");
        let in_cron_database = Spi::get_one_with_args::<String>(
            "SELECT format('SELECT cron.schedule_in_database(%L, %L, %L, %L)', $1::text, $2::text, $3::text,
                           pg_catalog.current_database())",
            &[job_name(model).into(), schedule.into(), command.as_str().into()],
        )
        .ok()
        .flatten()
        .expect("format returns text");
        raise(Error::PgCronElsewhere {
            model: model.to_string(),
            cron_database,
            command: in_cron_database,
        })
    };
    let query = format!(
        "SELECT {}.schedule($1, $2, $3)",
        crate::sql_api::quote_ident(&cron)
    );
    Spi::get_one_with_args::<i64>(&query, &[job_name(model).into(), schedule.into(), command.into()])
        .unwrap_or_else(|e| {
            raise(Error::InvalidArgument {
                what: format!("schedule '{schedule}'"),
                reason: format!("pg_cron refused it: {e}"),
            })
        })
        .expect("cron.schedule returns the job id")
}

/// Log a scheduled run's failure (what `cltv_internal.scheduled_retrain` calls from its
/// exception handler); only the model's owner may.
#[pg_extern(sql = false, volatile, parallel_unsafe)]
fn cltv_record_failed_run(model: &str, started_at: &str, sqlstate: &str, message: &str) {
    pinned(|| {
        catalog::check_may_change(model, "log a run of");
        catalog::record_run(catalog::Run {
            model,
            call: "retrain",
            started_at,
            failure: Some((sqlstate, message)),
            version: None,
            deployed: None,
        })
    })
}

/// Stop retraining `model` on a schedule. Returns whether there was a schedule.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_unschedule_training(model: &str) -> bool {
    pinned(|| unschedule_training(model))
}

fn unschedule_training(model: &str) -> bool {
    let Some(cron) = pg_cron_schema() else {
        if let Some(cron_database) = cron_database_elsewhere() {
            catalog::check_may_change(model, "unschedule training of");
            let command = Spi::get_one_with_args::<String>(
                "SELECT format('SELECT cron.unschedule(%L)', $1::text)",
                &[job_name(model).into()],
            )
            .ok()
            .flatten()
            .expect("format returns text");
            raise(Error::PgCronElsewhere {
                model: model.to_string(),
                cron_database,
                command,
            })
        }
        raise(Error::PgCronMissing {
            reason: "it is not installed in this database".into(),
        })
    };
    catalog::check_may_change(model, "unschedule training of");
    unschedule(&cron, model).unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("pg_cron: {e}"),
        })
    })
}
