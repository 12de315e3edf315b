//! The one door to the `cltv.*` catalog tables: every read and write goes through here.

use crate::cache::{self, VersionKey};
use crate::error::raise;
use crate::trusted_sql::pinned;
use cltv_core::error::Error;
use cltv_core::model::encoding::Design;
use cltv_core::model::export::{self, ExportedModel};
use cltv_core::model::groups::GroupScorers;
use cltv_core::model::options::NullRule;
use cltv_core::model::preprocessing::{Preprocessing, Replay};
use cltv_core::model::scoring::{ModelKind, ModelRef, Scorer};
use cltv_core::model::segments::Segments;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::rc::Rc;

/// A model version as scoring needs it.
#[derive(Debug)]
pub struct LoadedModel {
    pub name: String,
    pub version: i32,
    /// The model's terms (its coefficients' names, `channel=email` for a level).
    pub features: Vec<String>,
    /// How the row's columns become the terms.
    pub design: Design,
    pub scorer: Scorer,
    /// How scoring treats a NULL in each feature (error, NULL result, or imputed value).
    pub null_rules: Vec<NullRule>,
    /// BTYD models: the time unit of their summaries, as written and in days.
    pub time_unit: Option<(String, f64)>,
    /// Linear and logistic models trained since 0.2.0: value tiers and their cut points.
    pub segments: Option<Segments>,
    /// Models trained with `"group_by"`: each group's scorer (`scorer` is the pooled one).
    pub groups: Option<GroupScorers>,
}

impl LoadedModel {
    pub fn display_name(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// The value to score with when feature `i` is NULL: the one imputed in training;
    /// `None` to score NULL; an error that names the feature under `"error"`.
    pub fn on_null(&self, i: usize) -> Option<f64> {
        match self.null_rules[i] {
            NullRule::Impute(value) => Some(value),
            NullRule::Drop => None,
            NullRule::Error => raise(Error::NullFeature {
                model: self.display_name(),
                feature: self.design.column_of_term(i).to_string(),
            }),
        }
    }
}

fn spi_failed(e: pgrx::spi::SpiError) -> ! {
    raise(Error::Internal {
        reason: format!("catalog query failed: {e}"),
    })
}

/// Resolve `name` or `name@N` to a loaded model: one catalog query per call, and a parse
/// only the first time this backend sees the version. The catalog is read as the caller:
/// its row-level security shows only the models they own or were granted.
pub fn resolve(model: &ModelRef) -> Rc<LoadedModel> {
    pinned(|| resolve_visible(model))
}

fn resolve_visible(model: &ModelRef) -> Rc<LoadedModel> {
    let found: Option<(i32, String)> = Spi::connect(|client| {
        let rows = client.select(
            "SELECT v.version, v.xmin::text || ':' || v.ctid::text
               FROM cltv.models m
               JOIN cltv.model_versions v
                 ON v.model = m.name AND v.version = coalesce($2, m.deployed_version)
              WHERE m.name = $1",
            Some(1),
            &[model.name.as_str().into(), model.version.into()],
        )?;
        match rows.into_iter().next() {
            None => Ok(None),
            Some(row) => Ok(Some((
                row.get::<i32>(1)?.expect("version is NOT NULL"),
                row.get::<String>(2)?.expect("identity is not null"),
            ))),
        }
    })
    .unwrap_or_else(|e| spi_failed(e));
    let Some((version, row_identity)) = found else {
        raise(unknown_model(model))
    };
    let key = VersionKey {
        model: model.name.clone(),
        version,
        row_identity,
    };
    cache::get_or_load(key, || load_version(&model.name, version))
}

/// Why `model` cannot be found: it does not exist, or the caller may not see it (the
/// existence of a model is not a secret; its contents are).
fn unknown_model(model: &ModelRef) -> Error {
    // One query, in one snapshot: two (the caller's view, then the owner's) would call a
    // model committed or dropped between them "not granted".
    let caller = caller();
    let readable: Option<bool> = as_catalog_owner(|| {
        Spi::get_one_with_args::<bool>(
            "SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.oid = $2), false)
                 OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                             WHERE r.rolname = m.created_by
                               AND pg_catalog.pg_has_role($2, r.oid, 'USAGE'))
                 OR EXISTS (SELECT 1 FROM cltv.model_grants g
                             WHERE g.model = m.name
                               AND (g.grantee = 'public'
                                    OR EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                                                WHERE r.rolname = g.grantee
                                                  AND pg_catalog.pg_has_role($2, r.oid, 'USAGE'))))
               FROM cltv.models m WHERE m.name = $1",
            &[model.name.as_str().into(), caller.oid.into()],
        )
        .or_else(|e| match e {
            pgrx::spi::SpiError::InvalidPosition => Ok(None),
            e => Err(e),
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    if readable == Some(false) {
        return Error::ModelNotGranted {
            model: model.name.clone(),
        };
    }
    let exists = model.version.is_some() && readable.is_some();
    Error::UnknownModel {
        model: match model.version {
            Some(v) => format!("{}@{v}", model.name),
            None => model.name.clone(),
        },
        known_versions: if exists {
            versions_of(&model.name)
        } else {
            Vec::new()
        },
        suggestion: if readable.is_none() {
            nearest_model(&model.name)
        } else {
            None
        },
    }
}

/// The model the caller may see whose name is nearest to `name` (a typo), if any: only
/// names within a few characters' length of it are read.
fn nearest_model(name: &str) -> Option<String> {
    let names: Vec<String> = pinned(|| {
        Spi::connect(|client| {
            client
                .select(
                    "SELECT name FROM cltv.models
                      WHERE abs(length(name) - length($1)) <= greatest(length($1) / 3, 1)
                      ORDER BY name LIMIT 10000",
                    None,
                    &[name.into()],
                )?
                .map(|r| Ok(r.get::<String>(1)?.unwrap_or_default()))
                .collect::<Result<Vec<String>, pgrx::spi::SpiError>>()
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    cltv_core::suggest::nearest(name, names.iter().map(String::as_str)).map(str::to_string)
}

fn versions_of(name: &str) -> Vec<i32> {
    pinned(|| versions_visible(name))
}

fn versions_visible(name: &str) -> Vec<i32> {
    Spi::connect(|client| {
        let rows = client.select(
            "SELECT version FROM cltv.model_versions WHERE model = $1 ORDER BY version",
            None,
            &[name.into()],
        )?;
        rows.into_iter()
            .map(|r| Ok(r.get::<i32>(1)?.unwrap_or_default()))
            .collect::<Result<Vec<i32>, pgrx::spi::SpiError>>()
    })
    .unwrap_or_else(|e| spi_failed(e))
}

fn load_version(name: &str, version: i32) -> LoadedModel {
    let (kind, features, coefficients, preprocessing) = Spi::connect(|client| {
        let row = client
            .select(
                "SELECT kind, features, coefficients, preprocessing
                   FROM cltv.model_versions WHERE model = $1 AND version = $2",
                Some(1),
                &[name.into(), version.into()],
            )?
            .first();
        Ok::<_, pgrx::spi::SpiError>((
            row.get::<String>(1)?.unwrap_or_default(),
            row.get::<Vec<String>>(2)?.unwrap_or_default(),
            row.get::<Vec<f64>>(3)?.unwrap_or_default(),
            row.get::<JsonB>(4)?.map(|j| j.0).unwrap_or_default(),
        ))
    })
    .unwrap_or_else(|e| spi_failed(e));
    let corrupt = |reason: String| Error::CorruptModel {
        reason: format!("{name}@{version}: {reason}"),
    };
    let kind = ModelKind::parse(&kind).unwrap_or_else(|e| raise(corrupt(e.message())));
    let scorer = Scorer::new(kind, &coefficients).unwrap_or_else(|e| raise(corrupt(e.message())));
    if scorer.n_features() != features.len() {
        raise(corrupt(format!(
            "{} coefficients for {} features",
            coefficients.len(),
            features.len()
        )));
    }
    let fail = |reason: String| Error::CorruptModel { reason };
    let Replay {
        design,
        null_rules,
        time_unit,
        segments,
        groups,
    } = Preprocessing::from_json(&preprocessing, &fail)
        .and_then(|p| p.validate(kind, &features, coefficients.len(), &fail))
        .unwrap_or_else(|e| match e {
            // Said once: "stored model is corrupt: m@1: preprocessing...".
            Error::CorruptModel { reason } => raise(corrupt(reason)),
            e => raise(corrupt(e.message())),
        });
    LoadedModel {
        groups,
        name: name.to_string(),
        version,
        features,
        design,
        scorer,
        null_rules,
        time_unit,
        segments,
    }
}

/// The stored statistics of a version (`fit` jsonb), for cltv_coefficients.
pub fn fit_of(model: &ModelRef) -> serde_json::Value {
    let loaded = resolve(model);
    pinned(|| {
        Spi::get_one_with_args::<JsonB>(
            "SELECT fit FROM cltv.model_versions WHERE model = $1 AND version = $2",
            &[loaded.name.as_str().into(), loaded.version.into()],
        )
        .unwrap_or_else(|e| spi_failed(e))
        .map(|j| j.0)
        .unwrap_or_default()
    })
}

/// Everything a new version row holds.
pub struct NewVersion<'a> {
    pub model: &'a str,
    pub kind: &'a str,
    pub target: Option<&'a str>,
    pub features: &'a [String],
    pub coefficients: Vec<f64>,
    pub fit: serde_json::Value,
    pub preprocessing: serde_json::Value,
    pub options: serde_json::Value,
    pub metrics: serde_json::Value,
    pub n_train: i64,
    pub n_test: i64,
    pub n_dropped: i64,
    pub source: String,
    /// The champion/challenger decision, if the training asked for one.
    pub promotion: Option<serde_json::Value>,
    /// May `cltv_retrain` repeat this version's call? Not for an import, until confirmed.
    pub source_trusted: bool,
}

/// Whether a new version is deployed when it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deploy {
    /// Only if the model has no deployed version yet (its first version), recorded as
    /// this action.
    IfFirst(&'static str),
    /// Always, recorded in the deployment history as this action.
    Yes(&'static str),
}

/// The role a call runs as (its `current_user`), taken before any switch to the catalog
/// owner: whose ownership is checked and who is recorded as having acted.
pub struct Caller {
    oid: pg_sys::Oid,
    pub name: String,
}

pub fn caller() -> Caller {
    // SAFETY: GetUserId reads the backend's current user id; it has no preconditions
    // inside a transaction, where every SQL-callable function runs.
    let oid = unsafe { pg_sys::GetUserId() };
    let name = pinned(|| {
        Spi::get_one::<String>("SELECT current_user::text")
            .unwrap_or_else(|e| spi_failed(e))
            .unwrap_or_default()
    });
    Caller { oid, name }
}

/// Run `f` as the owner of the extension, with `search_path` pinned to `pg_catalog,
/// pg_temp`: cltv's catalog writes, on the caller's behalf, are a SECURITY DEFINER section
/// scoped to the write. Only `f`'s catalog statements run elevated; the caller's own data
/// is read before, as the caller. On an error, PostgreSQL's (sub)transaction abort
/// restores the user and the setting.
fn as_catalog_owner<T>(f: impl FnOnce() -> T) -> T {
    pinned(|| {
        let owner = Spi::get_one::<pg_sys::Oid>(
            "SELECT extowner FROM pg_catalog.pg_extension WHERE extname = 'cltv'",
        )
        .unwrap_or_else(|e| spi_failed(e))
        .unwrap_or_else(|| {
            raise(Error::Internal {
                reason: "the cltv extension is not installed in this database".into(),
            })
        });
        // SAFETY: Get/SetUserIdAndSecContext switch the current user within this backend's
        // transaction; the previous user and context are restored right after `f`, and by
        // the transaction's abort if `f` raises (as for SECURITY DEFINER functions).
        unsafe {
            let (mut user, mut security) = (pg_sys::Oid::INVALID, 0);
            pg_sys::GetUserIdAndSecContext(&mut user, &mut security);
            pg_sys::SetUserIdAndSecContext(owner, security | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32);
            let out = f();
            pg_sys::SetUserIdAndSecContext(user, security);
            out
        }
    })
}

/// The owner of `model` and whether `caller` may change it (a superuser, or a role with
/// the owner's privileges); `None` if there is no such model. Read as the catalog owner
/// (every row, whatever the caller may see); with `lock`, the model row is locked first,
/// so the answer holds until the transaction ends.
fn ownership(
    client: &mut pgrx::spi::SpiClient<'_>,
    model: &str,
    caller: &Caller,
    lock: bool,
) -> Result<Option<(String, bool)>, pgrx::spi::SpiError> {
    let query = format!(
        "SELECT m.created_by::text,
                EXISTS (SELECT 1 FROM pg_catalog.pg_roles r
                         WHERE r.rolname = m.created_by AND pg_catalog.pg_has_role($2, r.oid, 'USAGE'))
                OR coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid = $2), false)
           FROM cltv.models m WHERE m.name = $1{}",
        if lock { " FOR UPDATE OF m" } else { "" }
    );
    let rows = client.update(&query, None, &[model.into(), caller.oid.into()])?;
    match rows.into_iter().next() {
        None => Ok(None),
        Some(row) => Ok(Some((
            row.get::<String>(1)?.unwrap_or_default(),
            row.get::<bool>(2)?.unwrap_or(false),
        ))),
    }
}

fn not_owner(model: &str, owner: String, action: &str) -> ! {
    raise(Error::NotModelOwner {
        model: model.to_string(),
        owner,
        action: action.to_string(),
    })
}

/// Lock the row of `model` and check that `caller` may change it: the one ownership check
/// every catalog write makes, after the lock, so no concurrent change of owner (a first
/// training committing) can slip between the check and the write. False if there is no
/// such model (dropped, or never there).
fn lock_owned(
    client: &mut pgrx::spi::SpiClient<'_>,
    model: &str,
    caller: &Caller,
    action: &str,
) -> Result<bool, pgrx::spi::SpiError> {
    match ownership(client, model, caller, true)? {
        None => Ok(false),
        Some((owner, false)) => not_owner(model, owner, action),
        Some((_, true)) => Ok(true),
    }
}

fn no_such_model(model: &str, version: Option<i32>) -> ! {
    raise(unknown_model(&ModelRef {
        name: model.to_string(),
        version,
    }))
}

/// Refuse at once a call that would change a model the caller does not own, before it
/// reads any data. (The writes check again under the model's lock.) A model that does not
/// exist yet may be created by anyone who may train.
pub fn check_may_change(model: &str, action: &str) {
    let caller = caller();
    let verdict = as_catalog_owner(|| {
        Spi::connect_mut(|client| ownership(client, model, &caller, false)).unwrap_or_else(|e| spi_failed(e))
    });
    if let Some((owner, false)) = verdict {
        not_owner(model, owner, action)
    }
}

/// Write a new version, and deploy it as `deploy` says. Runs in the caller's transaction,
/// so an error later in the same transaction, or a ROLLBACK, leaves no trace. Returns the
/// version number and whether it was deployed.
pub fn store_version(v: NewVersion, deploy: Deploy) -> (i32, bool) {
    // Bounded before the jsonb conversion, which takes several times a document's size.
    let documents = [&v.fit, &v.preprocessing, &v.options, &v.metrics];
    crate::error::OrRaise::or_raise(cltv_core::limits::check_documents(v.model, &documents));
    let caller = caller();
    as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            // Create the model row if there is none, then lock it (concurrent trainings of
            // one model number versions in turn) and check ownership under the lock: a
            // first training of the same name by another role that committed meanwhile
            // owns the model now. A drop committed between the two statements leaves no
            // row to lock: try again, then give up with a clean error.
            let mut attempts = 0;
            loop {
                client.update(
                    "INSERT INTO cltv.models (name, created_by) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                    None,
                    &[v.model.into(), caller.name.as_str().into()],
                )?;
                match ownership(client, v.model, &caller, true)? {
                    Some((_, true)) => break,
                    Some((owner, false)) => not_owner(v.model, owner, "add a version to"),
                    None if attempts < 3 => attempts += 1,
                    None => raise(Error::ModelDroppedConcurrently {
                        model: v.model.to_string(),
                    }),
                }
            }
            let first = client
                .update(
                    "SELECT deployed_version IS NULL FROM cltv.models WHERE name = $1",
                    None,
                    &[v.model.into()],
                )?
                .first()
                .get::<bool>(1)?
                .unwrap_or(true);
            // A database still at 0.1.0 (the library is updated first, the extension after
            // it) has neither the promotion column nor the deployment history; one before
            // 0.4.0 has no source_trusted column.
            let lifecycle = has_lifecycle_catalog(client)?;
            let trust = has_source_trust(client)?;
            let insert = format!(
                "INSERT INTO cltv.model_versions
                    (model, version, kind, target, features, coefficients, fit, preprocessing,
                     options, metrics, n_train, n_test, n_dropped, source, trained_by{promotion}{trusted})
                 SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9,
                        $10, $11, $12, $13, $14{promotion_value}{trusted_value}
                   FROM cltv.model_versions WHERE model = $1
                 RETURNING version",
                promotion = if lifecycle { ", promotion" } else { "" },
                promotion_value = if lifecycle { ", $15" } else { "" },
                trusted = if trust { ", source_trusted" } else { "" },
                trusted_value = match (lifecycle, trust) {
                    (_, false) => "",
                    (true, true) => ", $16",
                    (false, true) => ", $15",
                },
            );
            let mut args: Vec<pgrx::datum::DatumWithOid> = vec![
                v.model.into(),
                v.kind.into(),
                v.target.into(),
                v.features.to_vec().into(),
                v.coefficients.into(),
                JsonB(v.fit).into(),
                JsonB(v.preprocessing).into(),
                JsonB(v.options).into(),
                JsonB(v.metrics).into(),
                v.n_train.into(),
                v.n_test.into(),
                v.n_dropped.into(),
                v.source.into(),
                caller.name.as_str().into(),
            ];
            if lifecycle {
                args.push(v.promotion.map(JsonB).into());
            }
            if trust {
                args.push(v.source_trusted.into());
            }
            let version = client
                .update(&insert, None, &args)?
                .first()
                .get::<i32>(1)?
                .expect("RETURNING version");
            let action = match deploy {
                Deploy::IfFirst(action) if first => Some(action),
                Deploy::IfFirst(_) => None,
                Deploy::Yes(action) => Some(action),
            };
            if let Some(action) = action {
                set_deployed(client, v.model, version, action, &caller.name)?;
            }
            Ok::<_, pgrx::spi::SpiError>((version, action.is_some()))
        })
        .unwrap_or_else(|e| spi_failed(e))
    })
}

fn set_deployed(
    client: &mut pgrx::spi::SpiClient<'_>,
    model: &str,
    version: i32,
    action: &str,
    caller: &str,
) -> Result<(), pgrx::spi::SpiError> {
    client.update(
        "UPDATE cltv.models SET deployed_version = $2 WHERE name = $1",
        None,
        &[model.into(), version.into()],
    )?;
    if has_lifecycle_catalog(client)? {
        client.update(
            "INSERT INTO cltv.deployments (model, version, action, deployed_by) VALUES ($1, $2, $3, $4)",
            None,
            &[model.into(), version.into(), action.into(), caller.into()],
        )?;
    }
    Ok(())
}

/// Whether the catalog has 0.2.0's deployment history (and promotion column).
fn has_lifecycle_catalog(client: &mut pgrx::spi::SpiClient<'_>) -> Result<bool, pgrx::spi::SpiError> {
    Ok(client
        .update("SELECT to_regclass('cltv.deployments') IS NOT NULL", None, &[])?
        .first()
        .get::<bool>(1)?
        .unwrap_or(false))
}

/// Whether the catalog has the table `name` (`cltv.…`): the library serves databases
/// still at an older version, whose catalog lacks the newer tables.
fn catalog_has(client: &mut pgrx::spi::SpiClient<'_>, name: &str) -> Result<bool, pgrx::spi::SpiError> {
    Ok(client
        .update("SELECT to_regclass($1) IS NOT NULL", None, &[name.into()])?
        .first()
        .get::<bool>(1)?
        .unwrap_or(false))
}

/// Whether the catalog has 0.4.0's model_versions.source_trusted (and grants).
fn has_source_trust(client: &mut pgrx::spi::SpiClient<'_>) -> Result<bool, pgrx::spi::SpiError> {
    catalog_has(client, "cltv.model_grants")
}

/// Serve `version` of `model` from now on (from the commit on, for other sessions).
pub fn deploy(model: &str, version: i32) {
    let caller = caller();
    let deployed = as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            if !lock_owned(client, model, &caller, "deploy")? {
                return Ok(None);
            }
            let exists = client
                .update(
                    "SELECT EXISTS (SELECT 1 FROM cltv.model_versions WHERE model = $1 AND version = $2)",
                    None,
                    &[model.into(), version.into()],
                )?
                .first()
                .get::<bool>(1)?
                .unwrap_or(false);
            if exists {
                set_deployed(client, model, version, "deploy", &caller.name)?;
            }
            Ok::<_, pgrx::spi::SpiError>(Some(exists))
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    match deployed {
        None => no_such_model(model, None),
        Some(false) => no_such_model(model, Some(version)),
        Some(true) => {}
    }
}

/// Undo the newest deployment not yet undone: the version deployed before it serves again.
/// Returns that version.
pub fn rollback(model: &str) -> i32 {
    let caller = caller();
    let previous = as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            if !lock_owned(client, model, &caller, "roll back")? {
                return Ok(Err(()));
            }
            let live: Vec<(i64, i32)> = client
                .update(
                    "SELECT id, version FROM cltv.deployments
                      WHERE model = $1 AND rolled_back_at IS NULL ORDER BY id DESC LIMIT 2",
                    None,
                    &[model.into()],
                )?
                .map(|row| Ok((row.get::<i64>(1)?.unwrap_or(0), row.get::<i32>(2)?.unwrap_or(0))))
                .collect::<Result<_, pgrx::spi::SpiError>>()?;
            let [(current, _), (_, previous)] = live[..] else {
                return Ok(Ok(None));
            };
            client.update(
                "UPDATE cltv.deployments SET rolled_back_at = now(), rolled_back_by = $2 WHERE id = $1",
                None,
                &[current.into(), caller.name.as_str().into()],
            )?;
            client.update(
                "UPDATE cltv.models SET deployed_version = $2 WHERE name = $1",
                None,
                &[model.into(), previous.into()],
            )?;
            Ok::<_, pgrx::spi::SpiError>(Ok(Some(previous)))
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    match previous {
        Err(()) => no_such_model(model, None),
        Ok(Some(previous)) => previous,
        Ok(None) => raise(Error::NothingToRollBack {
            model: model.to_string(),
        }),
    }
}

/// Remove `model` with all its versions and history.
pub fn drop_model(model: &str) {
    let caller = caller();
    let found = as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            let found = lock_owned(client, model, &caller, "drop")?;
            client.update("DELETE FROM cltv.models WHERE name = $1", None, &[model.into()])?;
            if found && has_run_log(client)? {
                client.update(
                    "DELETE FROM cltv.training_runs WHERE model = $1",
                    None,
                    &[model.into()],
                )?;
            }
            Ok::<_, pgrx::spi::SpiError>(found)
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    if !found {
        no_such_model(model, None)
    }
}

/// The arguments a version was trained with, for `cltv_retrain`.
pub struct StoredCall {
    pub source: String,
    pub target: Option<String>,
    pub features: Vec<String>,
    pub kind: String,
    pub options: serde_json::Value,
}

/// The training call of the newest version of `model`, which `cltv_retrain` repeats. An
/// imported version's call is refused until the owner confirms it: its source may be a
/// view of anyone's, which the retraining would run with the owner's privileges.
pub fn training_call(model: &str) -> StoredCall {
    let found = pinned(|| {
        Spi::connect(|client| {
            // source_trusted is 0.4.0's; before it, an import is known by its metrics.
            let rows = client.select(
                "SELECT source, target, features,
                        kind, options, version,
                        coalesce((to_jsonb(v) ->> 'source_trusted')::boolean, NOT (metrics ? 'imported_from')),
                        preprocessing
                   FROM cltv.model_versions v
                  WHERE model = $1 ORDER BY version DESC LIMIT 1",
                None,
                &[model.into()],
            )?;
            match rows.into_iter().next() {
                None => Ok(None),
                Some(row) => Ok(Some((
                    StoredCall {
                        source: row.get::<String>(1)?.unwrap_or_default(),
                        target: row.get::<String>(2)?,
                        features: row.get::<Vec<String>>(3)?.unwrap_or_default(),
                        kind: row.get::<String>(4)?.unwrap_or_default(),
                        options: row.get::<JsonB>(5)?.map(|j| j.0).unwrap_or_default(),
                    },
                    row.get::<i32>(6)?.unwrap_or_default(),
                    row.get::<bool>(7)?.unwrap_or(false),
                    row.get::<JsonB>(8)?.map(|j| j.0).unwrap_or_default(),
                ))),
            }
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    let Some((mut call, version, trusted, preprocessing)) = found else {
        no_such_model(model, None)
    };
    // The input columns, which a categorical one's terms are not.
    let fail = |reason: String| Error::CorruptModel {
        reason: format!("{model}@{version}: {reason}"),
    };
    call.features = Preprocessing::from_json(&preprocessing, &fail)
        .unwrap_or_else(|e| raise(e))
        .input_columns(&call.features)
        .to_vec();
    if !trusted {
        raise(Error::UntrustedSource {
            model: model.to_string(),
            version,
            source: call.source,
        })
    }
    call
}

/// The owner's word that the newest version's stored call (its source above all) may be
/// repeated by `cltv_retrain`. Returns that version.
pub fn confirm_source(model: &str) -> i32 {
    let caller = caller();
    let version = as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            if !lock_owned(client, model, &caller, "confirm the source of")? {
                return Ok(None);
            }
            let version = client
                .update(
                    "UPDATE cltv.model_versions SET source_trusted = true
                      WHERE model = $1 AND version = (SELECT max(version) FROM cltv.model_versions WHERE model = $1)
                     RETURNING version",
                    None,
                    &[model.into()],
                )?
                .first()
                .get::<i32>(1)?;
            Ok::<_, pgrx::spi::SpiError>(version)
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    version.unwrap_or_else(|| no_such_model(model, None))
}

/// Give `role` (or `public`: every role) the right to score `model` and read its catalog
/// rows; only the model's owner may. Returns false if it had it already.
pub fn grant(model: &str, role: &str) -> bool {
    change_grant(model, role, true)
}

/// Take back what `grant` gave. Returns false if `role` had no grant.
pub fn revoke(model: &str, role: &str) -> bool {
    change_grant(model, role, false)
}

fn change_grant(model: &str, role: &str, give: bool) -> bool {
    let caller = caller();
    let role = if role.eq_ignore_ascii_case("public") {
        "public"
    } else {
        role
    };
    let changed = as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            let action = if give { "grant" } else { "revoke" };
            if !lock_owned(client, model, &caller, action)? {
                return Ok(None);
            }
            let known = role == "public"
                || client
                    .update(
                        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)",
                        None,
                        &[role.into()],
                    )?
                    .first()
                    .get::<bool>(1)?
                    .unwrap_or(false);
            if !known {
                raise(Error::UnknownRole {
                    role: role.to_string(),
                })
            }
            let affected = if give {
                client.update(
                    "INSERT INTO cltv.model_grants (model, grantee, owner, granted_by)
                     SELECT $1, $2, created_by, $3 FROM cltv.models WHERE name = $1
                     ON CONFLICT DO NOTHING",
                    None,
                    &[model.into(), role.into(), caller.name.as_str().into()],
                )?
            } else {
                client.update(
                    "DELETE FROM cltv.model_grants WHERE model = $1 AND grantee = $2",
                    None,
                    &[model.into(), role.into()],
                )?
            };
            Ok::<_, pgrx::spi::SpiError>(Some(!affected.is_empty()))
        })
        .unwrap_or_else(|e| spi_failed(e))
    });
    changed.unwrap_or_else(|| no_such_model(model, None))
}

/// Record a champion/challenger decision on the challenger's version, and deploy it if it
/// won. Part of the training call: the version was written by it a moment ago.
pub fn record_promotion(model: &str, version: i32, promotion: serde_json::Value, promoted: bool) {
    let caller = caller().name;
    as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            client.update(
                "UPDATE cltv.model_versions SET promotion = $3 WHERE model = $1 AND version = $2",
                None,
                &[model.into(), version.into(), JsonB(promotion).into()],
            )?;
            if promoted {
                set_deployed(client, model, version, "promote", &caller)?;
            }
            Ok::<_, pgrx::spi::SpiError>(())
        })
        .unwrap_or_else(|e| spi_failed(e))
    })
}

/// The target column a version was trained on (`None` for the BTYD kinds).
pub fn target_of(model: &LoadedModel) -> Option<String> {
    pinned(|| {
        Spi::get_one_with_args::<String>(
            "SELECT target FROM cltv.model_versions WHERE model = $1 AND version = $2",
            &[model.name.as_str().into(), model.version.into()],
        )
        .unwrap_or_else(|e| spi_failed(e))
    })
}

/// The whole row of a version, as `cltv_export` writes it.
pub fn export(model: &LoadedModel) -> ExportedModel {
    pinned(|| export_visible(model))
}

fn export_visible(model: &LoadedModel) -> ExportedModel {
    Spi::connect(|client| {
        let row = client
            .select(
                "SELECT kind, target, features, coefficients, fit, preprocessing, options, metrics,
                        n_train, n_test, n_dropped, source, trained_by::text, trained_at::text
                   FROM cltv.model_versions WHERE model = $1 AND version = $2",
                None,
                &[model.name.as_str().into(), model.version.into()],
            )?
            .first();
        let json = |i: usize| -> Result<serde_json::Value, pgrx::spi::SpiError> {
            Ok(row.get::<JsonB>(i)?.map(|j| j.0).unwrap_or_default())
        };
        Ok::<_, pgrx::spi::SpiError>(ExportedModel {
            format: export::FORMAT.into(),
            format_version: export::FORMAT_VERSION,
            name: model.name.clone(),
            version: model.version,
            kind: row.get::<String>(1)?.unwrap_or_default(),
            target: row.get::<String>(2)?,
            features: row.get::<Vec<String>>(3)?.unwrap_or_default(),
            coefficients: row.get::<Vec<f64>>(4)?.unwrap_or_default(),
            fit: json(5)?,
            preprocessing: json(6)?,
            options: json(7)?,
            metrics: json(8)?,
            n_train: row.get::<i64>(9)?.unwrap_or(0),
            n_test: row.get::<i64>(10)?.unwrap_or(0),
            n_dropped: row.get::<i64>(11)?.unwrap_or(0),
            source: row.get::<String>(12)?.unwrap_or_default(),
            trained_by: row.get::<String>(13)?.unwrap_or_default(),
            trained_at: row.get::<String>(14)?.unwrap_or_default(),
        })
    })
    .unwrap_or_else(|e| spi_failed(e))
}

/// Whether the catalog has 0.5.0's run log (an older database served by this library has
/// none, and runs are then not logged).
fn has_run_log(client: &mut pgrx::spi::SpiClient<'_>) -> Result<bool, pgrx::spi::SpiError> {
    catalog_has(client, "cltv.training_runs")
}

/// One row of `cltv.training_runs`.
pub struct Run<'a> {
    pub model: &'a str,
    /// "train" or "retrain" (a schedule retrains).
    pub call: &'a str,
    /// `clock_timestamp()` when the run began, as text.
    pub started_at: &'a str,
    /// `None` for a success; the SQLSTATE and message of a failure.
    pub failure: Option<(&'a str, &'a str)>,
    pub version: Option<i32>,
    pub deployed: Option<bool>,
}

/// Log a run, as the catalog owner, in the caller's transaction: a success commits with
/// the version it made; a failure is logged by the scheduled run's subtransaction handler.
pub fn record_run(run: Run) {
    let caller = caller().name;
    as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            if !has_run_log(client)? {
                return Ok(());
            }
            client.update(
                "INSERT INTO cltv.training_runs
                        (model, call, started_at, ended_at, outcome, sqlstate, message, version, deployed,
                         promotion, run_by)
                 SELECT $1, $2, $3::timestamptz, clock_timestamp(),
                        CASE WHEN $4::text IS NULL THEN 'succeeded' ELSE 'failed' END, $4, $5, $6, $7,
                        (SELECT v.promotion FROM cltv.model_versions v WHERE v.model = $1 AND v.version = $6),
                        $8",
                None,
                &[
                    run.model.into(),
                    run.call.into(),
                    run.started_at.into(),
                    run.failure.map(|f| f.0).into(),
                    run.failure.map(|f| f.1).into(),
                    run.version.into(),
                    run.deployed.into(),
                    caller.as_str().into(),
                ],
            )?;
            Ok::<_, pgrx::spi::SpiError>(())
        })
        .unwrap_or_else(|e| spi_failed(e))
    })
}

/// `"keep_versions"`: delete all but the newest `keep` versions of `model`, never the
/// deployed one nor one a live deployment names (a rollback could restore it). Returns the
/// versions deleted. The caller has just added a version, as the model's owner.
pub fn prune_versions(model: &str, keep: u64) -> Vec<i32> {
    let caller = caller();
    as_catalog_owner(|| {
        Spi::connect_mut(|client| {
            if !lock_owned(client, model, &caller, "prune versions of")? {
                return Ok(Vec::new());
            }
            client
                .update(
                    "DELETE FROM cltv.model_versions v
                      WHERE v.model = $1
                        AND v.version NOT IN (SELECT n.version FROM cltv.model_versions n
                                               WHERE n.model = $1 ORDER BY n.version DESC LIMIT $2)
                        AND v.version IS DISTINCT FROM (SELECT m.deployed_version FROM cltv.models m WHERE m.name = $1)
                        AND NOT EXISTS (SELECT 1 FROM cltv.deployments d
                                         WHERE d.model = $1 AND d.version = v.version AND d.rolled_back_at IS NULL)
                  RETURNING v.version",
                    None,
                    &[model.into(), (keep as i64).into()],
                )?
                .map(|row| Ok(row.get::<i32>(1)?.unwrap_or(0)))
                .collect::<Result<Vec<i32>, pgrx::spi::SpiError>>()
        })
        .unwrap_or_else(|e| spi_failed(e))
    })
}
