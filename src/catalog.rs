//! The one door to the `cltv.*` catalog tables: every read and write goes through here.

use crate::cache::{self, VersionKey};
use crate::error::raise;
use cltv_core::error::Error;
use cltv_core::model::{ModelKind, ModelRef, Scorer};
use cltv_core::options::MissingPolicy;
use pgrx::prelude::*;
use pgrx::JsonB;
use std::rc::Rc;

/// A model version as scoring needs it.
#[derive(Debug)]
pub struct LoadedModel {
    pub name: String,
    pub version: i32,
    pub features: Vec<String>,
    pub scorer: Scorer,
    pub missing: MissingPolicy,
    /// BTYD models: the time unit of their summaries, as written and in days.
    pub time_unit: Option<(String, f64)>,
}

impl LoadedModel {
    pub fn display_name(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

fn spi_failed(e: pgrx::spi::SpiError) -> ! {
    raise(Error::Internal {
        reason: format!("catalog query failed: {e}"),
    })
}

/// Resolve `name` or `name@N` to a loaded model: one catalog query per call, and a parse
/// only the first time this backend sees the version.
pub fn resolve(model: &ModelRef) -> Rc<LoadedModel> {
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

fn unknown_model(model: &ModelRef) -> Error {
    let exists = model.version.is_some()
        && Spi::get_one_with_args::<bool>(
            "SELECT EXISTS (SELECT 1 FROM cltv.models WHERE name = $1)",
            &[model.name.as_str().into()],
        )
        .ok()
        .flatten()
        .unwrap_or(false);
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
    }
}

fn versions_of(name: &str) -> Vec<i32> {
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
    let missing = match preprocessing.get("missing") {
        None => MissingPolicy::Error,
        Some(v) => serde_json::from_value(v.clone())
            .unwrap_or_else(|e| raise(corrupt(format!("preprocessing.missing: {e}")))),
    };
    let time_unit = match (preprocessing.get("time_unit"), preprocessing.get("unit_days")) {
        (Some(unit), Some(days)) => match (unit.as_str(), days.as_f64()) {
            (Some(unit), Some(days)) if days > 0.0 => Some((unit.to_string(), days)),
            _ => raise(corrupt(format!(
                "preprocessing.time_unit {unit} / unit_days {days}"
            ))),
        },
        _ => None,
    };
    LoadedModel {
        name: name.to_string(),
        version,
        features,
        scorer,
        missing,
        time_unit,
    }
}

/// The stored statistics of a version (`fit` jsonb), for cltv_coefficients.
pub fn fit_of(model: &ModelRef) -> serde_json::Value {
    let loaded = resolve(model);
    Spi::get_one_with_args::<JsonB>(
        "SELECT fit FROM cltv.model_versions WHERE model = $1 AND version = $2",
        &[loaded.name.as_str().into(), loaded.version.into()],
    )
    .unwrap_or_else(|e| spi_failed(e))
    .map(|j| j.0)
    .unwrap_or_default()
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
}

/// Write a new version and serve it. Runs in the caller's transaction, so an error later
/// in the same transaction, or a ROLLBACK, leaves no trace. Returns the version number.
pub fn store_version(v: NewVersion) -> i32 {
    Spi::connect_mut(|client| {
        client.update(
            "INSERT INTO cltv.models (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
            None,
            &[v.model.into()],
        )?;
        // Lock the model row so concurrent trainings of one model number versions in turn.
        client.update(
            "SELECT 1 FROM cltv.models WHERE name = $1 FOR UPDATE",
            None,
            &[v.model.into()],
        )?;
        let version = client
            .update(
                "INSERT INTO cltv.model_versions
                    (model, version, kind, target, features, coefficients, fit, preprocessing,
                     options, metrics, n_train, n_test, n_dropped, source)
                 SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9,
                        $10, $11, $12, $13
                   FROM cltv.model_versions WHERE model = $1
                 RETURNING version",
                None,
                &[
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
                ],
            )?
            .first()
            .get::<i32>(1)?
            .expect("RETURNING version");
        client.update(
            "UPDATE cltv.models SET deployed_version = $2 WHERE name = $1",
            None,
            &[v.model.into(), version.into()],
        )?;
        Ok::<_, pgrx::spi::SpiError>(version)
    })
    .unwrap_or_else(|e| spi_failed(e))
}
