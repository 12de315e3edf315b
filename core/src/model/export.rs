//! A model version as a self-contained JSON document (`cltv_export` / `cltv_import`), and
//! the checks an imported document must pass before it becomes a version: every field
//! present with the right type, nothing unknown, and the parts consistent with each other.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fit::clv::check_time_unit;
use crate::model::options::TrainOptions;
use crate::model::preprocessing::Preprocessing;
use crate::model::scoring::{ModelKind, Scorer};

/// The `format` field of every export.
pub const FORMAT: &str = "cltv-model";
/// Bumped when the layout changes; an import refuses versions it does not know.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExportedModel {
    pub format: String,
    pub format_version: u32,
    pub name: String,
    pub version: i32,
    pub kind: String,
    pub target: Option<String>,
    pub features: Vec<String>,
    pub coefficients: Vec<f64>,
    pub fit: Value,
    pub preprocessing: Value,
    pub options: Value,
    pub metrics: Value,
    pub n_train: i64,
    pub n_test: i64,
    pub n_dropped: i64,
    pub source: String,
    pub trained_by: String,
    pub trained_at: String,
}

fn invalid(reason: String) -> Error {
    Error::InvalidArgument {
        what: "model document".into(),
        reason,
    }
}

impl ExportedModel {
    /// Parse an export, refusing unknown fields, missing fields and wrong types by name.
    pub fn from_json(document: &Value) -> Result<ExportedModel> {
        serde_json::from_value(document.clone()).map_err(|e| invalid(e.to_string()))
    }

    /// Check that the document describes a model cltv can score exactly as it was
    /// exported, with the checks training applies to the same parts: the options parse as
    /// `cltv_train`'s for the kind, the segments and time unit are what training stores,
    /// the BTYD parameters are in the range a fit produces. `unit_days` measures a time
    /// unit (an interval's text) in days, as training does. Returns the kind.
    pub fn validate(&self, unit_days: impl Fn(&str) -> Result<f64>) -> Result<ModelKind> {
        if self.format != FORMAT {
            return Err(invalid(format!(
                "format is \"{}\", expected \"{FORMAT}\"",
                self.format
            )));
        }
        if self.format_version != FORMAT_VERSION {
            return Err(invalid(format!(
                "format_version {} is not one this cltv reads ({FORMAT_VERSION})",
                self.format_version
            )));
        }
        let kind = ModelKind::parse(&self.kind)?;
        if self.features.is_empty() || self.features.iter().any(|f| f.is_empty()) {
            return Err(invalid(
                "features must be a non-empty list of column names".into(),
            ));
        }
        for (i, f) in self.features.iter().enumerate() {
            if self.features[..i].contains(f) {
                return Err(invalid(format!("feature \"{f}\" is listed twice")));
            }
        }
        match (kind.fixed_features(), &self.target) {
            (Some(fixed), None) if fixed.len() == self.features.len() => {}
            (Some(fixed), _) => {
                return Err(invalid(format!(
                    "a {} model has no target and {} features",
                    kind.as_str(),
                    fixed.len()
                )))
            }
            (None, Some(t)) if !t.is_empty() => {}
            (None, _) => return Err(invalid(format!("a {} model needs a target", kind.as_str()))),
        }
        if let Some(v) = self.coefficients.iter().find(|v| !v.is_finite()) {
            return Err(invalid(format!("coefficient {v} is not finite")));
        }
        let scorer = Scorer::new(kind, &self.coefficients).map_err(|e| invalid(e.message()))?;
        match &scorer {
            Scorer::BgNbd(params) => params.check_fitted(),
            Scorer::GammaGamma(params) => params.check_fitted(),
            Scorer::Linear(_) | Scorer::Logistic(_) => Ok(()),
        }
        .map_err(|e| invalid(format!("coefficients: {}", e.message())))?;
        if scorer.n_features() != self.features.len() {
            return Err(invalid(format!(
                "{} coefficients do not fit {} features",
                self.coefficients.len(),
                self.features.len()
            )));
        }
        if self.fit.get("kind").and_then(Value::as_str) != Some(kind.as_str()) {
            return Err(invalid(format!("fit.kind does not say \"{}\"", kind.as_str())));
        }
        if let Some(estimate) = self.fit.get("estimate") {
            let same = estimate.as_array().is_some_and(|e| {
                e.len() == self.coefficients.len()
                    && e.iter()
                        .zip(&self.coefficients)
                        .all(|(a, b)| a.as_f64() == Some(*b))
            });
            if !same {
                return Err(invalid("fit.estimate and coefficients disagree".into()));
            }
        }
        let preprocessing = Preprocessing::from_json(&self.preprocessing, &invalid)?;
        if preprocessing.missing.is_none() {
            return Err(invalid("preprocessing.missing is missing".into()));
        }
        // The design's, the NULL rules' and the groups' errors say the part is corrupt.
        let replay = preprocessing
            .validate(kind, &self.features, self.coefficients.len(), &invalid)
            .map_err(|e| match e {
                Error::CorruptModel { .. } => invalid(e.message()),
                e => e,
            })?;
        if let (Some((unit, stored)), Some(written)) = (&replay.time_unit, &preprocessing.unit_days) {
            check_unit_days(unit, *stored, written, unit_days)?;
        }
        TrainOptions::parse(kind, &self.options).map_err(|e| invalid(format!("options: {}", e.message())))?;
        for (name, value) in [
            ("options", &self.options),
            ("metrics", &self.metrics),
            ("fit", &self.fit),
        ] {
            if !value.is_object() {
                return Err(invalid(format!("{name} must be a JSON object")));
            }
        }
        if self.n_train < 0 || self.n_test < 0 || self.n_dropped < 0 || self.version < 1 {
            return Err(invalid(
                "version must be positive and the row counts at least 0".into(),
            ));
        }
        Ok(kind)
    }
}

/// A time unit's stored length against its length measured as training measures it: the
/// unit in range, and the two the same.
/// `written` is `stored` as the document writes it, for the message.
fn check_unit_days(
    unit: &str,
    stored: f64,
    written: &serde_json::Number,
    unit_days: impl Fn(&str) -> Result<f64>,
) -> Result<()> {
    let measured = unit_days(unit)
        .and_then(|d| check_time_unit(unit, d))
        .map_err(|e| {
            invalid(format!(
                "preprocessing.time_unit {}: {}",
                Value::from(unit),
                e.message()
            ))
        })?;
    if (stored / measured - 1.0).abs() > 1e-9 {
        return Err(invalid(format!(
            "preprocessing.unit_days {written} is not the length of time_unit \"{unit}\", {} days",
            crate::error::sql_float(measured)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn linear() -> Value {
        json!({
            "format": "cltv-model", "format_version": 1, "name": "ltv", "version": 3,
            "kind": "linear", "target": "spend", "features": ["recency", "frequency"],
            "coefficients": [1.5, -0.25, 2.0],
            "fit": {"kind": "linear", "estimate": [1.5, -0.25, 2.0]},
            "preprocessing": {"missing": "error"}, "options": {}, "metrics": {},
            "n_train": 80, "n_test": 20, "n_dropped": 0, "source": "public.customers",
            "trained_by": "analyst", "trained_at": "2026-11-28 10:00:00+00"
        })
    }

    /// What training's interval parser says, for the units these tests use.
    fn days(unit: &str) -> Result<f64> {
        match unit {
            "1 week" => Ok(7.0),
            "1 day" => Ok(1.0),
            "1 microsecond" => Ok(1e-6 / 86_400.0),
            _ => Err(Error::InvalidOption {
                key: "time_unit".into(),
                reason: format!("\"{unit}\" is not an interval"),
            }),
        }
    }

    fn bgnbd() -> Value {
        json!({
            "format": "cltv-model", "format_version": 1, "name": "purchases", "version": 1,
            "kind": "bgnbd", "target": null, "features": ["frequency", "recency", "T"],
            "coefficients": [0.243, 4.414, 0.793, 2.426],
            "fit": {"kind": "bgnbd"},
            "preprocessing": {"missing": "error", "time_unit": "1 week", "unit_days": 7.0},
            "options": {"time_unit": "1 week", "split_seed": 1}, "metrics": {},
            "n_train": 2357, "n_test": 0, "n_dropped": 0, "source": "public.cdnow",
            "trained_by": "analyst", "trained_at": "2026-11-28 10:00:00+00"
        })
    }

    fn refuse(document: Value, edit: &dyn Fn(&mut Value), needle: &str) {
        let mut doc = document;
        edit(&mut doc);
        let error = ExportedModel::from_json(&doc)
            .and_then(|m| m.validate(days).map(|_| m))
            .expect_err(needle);
        assert_eq!(error.sqlstate(), "22023");
        assert!(
            error.message().contains(needle),
            "{} lacks {needle}",
            error.message()
        );
    }

    #[test]
    fn a_valid_document_round_trips() {
        let model = ExportedModel::from_json(&linear()).unwrap();
        assert_eq!(model.validate(days).unwrap(), ModelKind::Linear);
        let bg = ExportedModel::from_json(&bgnbd()).unwrap();
        assert_eq!(bg.validate(days).unwrap(), ModelKind::BgNbd);
        let again = ExportedModel::from_json(&serde_json::to_value(&model).unwrap()).unwrap();
        assert_eq!(again, model);
    }

    #[test]
    fn documents_training_would_not_write_are_refused() {
        let segments = |d: &mut Value, s: Value| d["preprocessing"]["segments"] = s;
        refuse(
            linear(),
            &|d| segments(d, json!(5)),
            "preprocessing.segments: invalid option \"segments\"",
        );
        refuse(
            linear(),
            &|d| {
                segments(
                    d,
                    json!({"labels": ["a", "b", "c"], "quantiles": [0.5, 0.9], "cut_points": [9.0, 1.0]}),
                )
            },
            "cut_points must be finite and ascending, got [9.0, 1.0]",
        );
        refuse(
            linear(),
            &|d| {
                segments(
                    d,
                    json!({"labels": ["a", "b"], "quantiles": [0.5, 0.9], "cut_points": [1.0, 9.0]}),
                )
            },
            "2 labels need 1 quantiles",
        );
        refuse(
            linear(),
            &|d| d["options"] = json!({"l2": "bogus"}),
            "options: invalid option \"l2\"",
        );
        refuse(
            linear(),
            &|d| d["options"] = json!({"time_unit": "1 week"}),
            "options: invalid option \"time_unit\"",
        );
        refuse(
            linear(),
            &|d| d["preprocessing"]["time_unit"] = json!("1 week"),
            "time_unit and unit_days go together",
        );
        refuse(
            bgnbd(),
            &|d| d["preprocessing"]["time_unit"] = json!("banana"),
            "preprocessing.time_unit \"banana\": invalid option \"time_unit\": \"banana\" is not an interval",
        );
        refuse(
            bgnbd(),
            &|d| d["preprocessing"]["time_unit"] = json!("1 microsecond"),
            "from 1 second to 100 years",
        );
        refuse(
            bgnbd(),
            &|d| d["preprocessing"]["unit_days"] = json!(1e-300),
            "preprocessing.unit_days 1e-300: invalid option \"time_unit\"",
        );
        refuse(
            bgnbd(),
            &|d| d["preprocessing"]["unit_days"] = json!(1.0),
            "unit_days 1.0 is not the length of time_unit \"1 week\", 7 days",
        );
        refuse(
            bgnbd(),
            &|d| d["coefficients"] = json!([1e300, 4.414, 0.793, 2.426]),
            "coefficients: invalid BG/NBD parameter r = 1e+300: is outside [1e-14, 1e14]",
        );
        refuse(
            bgnbd(),
            &|d| d["coefficients"] = json!([0.243, 4.414, 1e-300, 2.426]),
            "parameter a = 1e-300",
        );
        refuse(
            bgnbd(),
            &|d| {
                d["preprocessing"]["segments"] =
                    json!({"labels": ["a", "b"], "quantiles": [0.5], "cut_points": [1.0]})
            },
            "a bgnbd model has no value segments",
        );
    }

    #[test]
    fn malformed_and_inconsistent_documents_are_refused() {
        let refuse = |edit: &dyn Fn(&mut Value), needle: &str| refuse(linear(), edit, needle);
        refuse(&|d| d["extra"] = json!(1), "unknown field `extra`");
        refuse(
            &|d| {
                d.as_object_mut()
                    .unwrap()
                    .remove("coefficients")
                    .map(|_| ())
                    .unwrap()
            },
            "missing field `coefficients`",
        );
        refuse(&|d| d["n_train"] = json!("many"), "invalid type");
        refuse(&|d| d["format_version"] = json!(2), "format_version 2");
        refuse(
            &|d| d["coefficients"] = json!([1.5, -0.25]),
            "coefficients do not fit",
        );
        refuse(&|d| d["fit"]["estimate"] = json!([1.5, -0.25, 2.5]), "disagree");
        refuse(&|d| d["fit"]["kind"] = json!("logistic"), "fit.kind");
        refuse(&|d| d["features"] = json!(["recency", "recency"]), "listed twice");
        refuse(&|d| d["target"] = json!(null), "needs a target");
        refuse(
            &|d| d["preprocessing"] = json!({"missing": "guess"}),
            "preprocessing.missing",
        );
        refuse(&|d| d["kind"] = json!("forest"), "forest");
    }
}
