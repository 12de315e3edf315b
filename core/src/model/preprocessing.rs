//! A version's `preprocessing` document: what training learnt about the inputs besides the
//! coefficients (missing-value policies and imputed values, the categorical design, the
//! BTYD time unit, value segments, per-group coefficients), which scoring replays.
//!
//! Training builds a [`Preprocessing`] and stores it as jsonb; the catalog and an import read
//! it back with [`Preprocessing::from_json`] and check it with [`Preprocessing::validate`].
//! Every key is optional, as documents of earlier versions lack the later keys: a missing
//! key means what it meant when it was not written (no imputation, numeric inputs only, no
//! time unit, no segments, no groups). Keys this version does not know are kept in
//! [`Preprocessing::other`], as every earlier reader ignored them: a document is never
//! refused for them, and one read and written again loses nothing.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Result};
use crate::fit::clv::check_time_unit;
use crate::model::encoding::{Categorical, Design, Unseen};
use crate::model::groups::{GroupScorers, StoredGroups};
use crate::model::options::{null_rules, MissingPolicy, NullRule};
use crate::model::scoring::ModelKind;
use crate::model::segments::Segments;

/// A version's `preprocessing`, key for key as training writes it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Preprocessing {
    /// The default missing-value policy (`None`: never written, read as `error`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "missing"
    )]
    pub missing: Option<MissingPolicy>,
    /// BTYD models: the unit of the summaries, an interval's text (`"1 week"`) ...
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "time_unit"
    )]
    pub time_unit: Option<String>,
    /// ... and its length in days. Kept as the JSON number stored, so that a message
    /// quotes it as written.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "unit_days"
    )]
    pub unit_days: Option<Number>,
    /// Per input column, the policy overriding `missing`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "missing_by_feature"
    )]
    pub missing_by_feature: Option<BTreeMap<String, MissingPolicy>>,
    /// Per term, the finite value a NULL is replaced by (an indicator's 0 or 1 for a
    /// categorical input's level).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "imputation"
    )]
    pub imputation: Option<BTreeMap<String, f64>>,
    /// The input columns in order, when one is categorical (`None`: the terms are the
    /// inputs, all numeric).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "inputs")]
    pub inputs: Option<Vec<String>>,
    /// Per categorical input, its vocabulary.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "categorical"
    )]
    pub categorical: Option<BTreeMap<String, Categorical>>,
    /// What scoring does with a level training never saw (`None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "unseen")]
    pub unseen: Option<Unseen>,
    /// A grouped model's groups and their coefficients.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "groups")]
    pub groups: Option<StoredGroups>,
    /// Value tiers with their cut points (linear and logistic models).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "segments"
    )]
    pub segments: Option<Segments>,
    /// Keys no reader of this version knows, kept as they are.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A field read as `T`, its errors prefixed by the key.
fn keyed<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    key: &str,
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    let value = Value::deserialize(d)?;
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| D::Error::custom(format!("{key}: {e}")))
}

/// A map of `T` read entry by entry, an error naming the entry's key.
fn keyed_map<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    key: &str,
    d: D,
) -> std::result::Result<Option<BTreeMap<String, T>>, D::Error> {
    let value = Value::deserialize(d)?;
    let Value::Object(map) = value else {
        return Err(D::Error::custom(format!("{key}: must be an object, got {value}")));
    };
    map.into_iter()
        .map(|(k, v)| {
            serde_json::from_value(v)
                .map(|v| (k.clone(), v))
                .map_err(|e| D::Error::custom(format!("{key}.{k}: {e}")))
        })
        .collect::<std::result::Result<_, _>>()
        .map(Some)
}

fn missing<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<MissingPolicy>, D::Error> {
    keyed("missing", d)
}

fn missing_by_feature<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BTreeMap<String, MissingPolicy>>, D::Error> {
    keyed_map("missing_by_feature", d)
}

fn inputs<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Vec<String>>, D::Error> {
    keyed("inputs", d)
}

fn categorical<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BTreeMap<String, Categorical>>, D::Error> {
    keyed_map("categorical", d)
}

fn unseen<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Unseen>, D::Error> {
    keyed("unseen", d)
}

fn groups<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<StoredGroups>, D::Error> {
    keyed("groups", d)
}

fn time_unit<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::String(unit) => Ok(Some(unit)),
        other => Err(D::Error::custom(format!(
            "time_unit {other}: must be a text such as \"1 week\""
        ))),
    }
}

fn unit_days<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Number>, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(days) => Ok(Some(days)),
        other => Err(D::Error::custom(format!(
            "unit_days {other}: must be a number of days"
        ))),
    }
}

fn imputation<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BTreeMap<String, f64>>, D::Error> {
    let values: Option<BTreeMap<String, Value>> = keyed_map("imputation", d)?;
    values
        .into_iter()
        .flatten()
        .map(|(term, v)| match v.as_f64().filter(|v| v.is_finite()) {
            Some(x) => Ok((term, x)),
            None => Err(D::Error::custom(format!("imputation.{term}: {v}"))),
        })
        .collect::<std::result::Result<_, _>>()
        .map(Some)
}

fn segments<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Segments>, D::Error> {
    let value = Value::deserialize(d)?;
    Segments::stored_shape(&value)
        .map(Some)
        .map_err(|e| D::Error::custom(format!("segments: {}", e.message())))
}

/// What scoring replays from a checked [`Preprocessing`].
#[derive(Debug)]
pub struct Replay {
    pub design: Design,
    pub null_rules: Vec<NullRule>,
    /// The BTYD time unit and its length in days.
    pub time_unit: Option<(String, f64)>,
    pub segments: Option<Segments>,
    pub groups: Option<GroupScorers>,
}

impl Preprocessing {
    /// What training writes before the parts that depend on the fit: the default policy.
    pub fn new(missing: MissingPolicy) -> Preprocessing {
        Preprocessing {
            missing: Some(missing),
            ..Preprocessing::default()
        }
    }

    /// Read a stored document: each key's shape, an error naming the key (`fail` makes the
    /// error from the text, `preprocessing.<key>: <why>`, as the reader reports it).
    pub fn from_json(value: &Value, fail: &dyn Fn(String) -> Error) -> Result<Preprocessing> {
        if !value.is_object() {
            return Err(fail(format!("preprocessing: must be a JSON object, got {value}")));
        }
        serde_json::from_value(value.clone()).map_err(|e| fail(format!("preprocessing.{e}")))
    }

    /// The document as jsonb stores it.
    pub fn to_json(&self) -> Value {
        // Cannot fail: every map's keys are strings, and a number always serialises (a
        // non-finite one as null, as `json!` wrote it).
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(Map::new()))
    }

    /// The default missing-value policy: `error` if none was written.
    pub fn missing(&self) -> MissingPolicy {
        self.missing.unwrap_or(MissingPolicy::Error)
    }

    /// The input columns, given the version's terms: the stored ones, or the terms.
    pub fn input_columns<'a>(&'a self, terms: &'a [String]) -> &'a [String] {
        self.inputs.as_deref().unwrap_or(terms)
    }

    /// Set the BTYD time unit and its length in days (finite, as training measures it).
    pub fn set_time_unit(&mut self, unit: String, days: f64) {
        self.unit_days = Number::from_f64(days);
        self.time_unit = Some(unit);
    }

    /// Check the document against the version's kind, terms and coefficient count, as the
    /// catalog and an import do, and make what scoring replays: the design of the terms,
    /// each term's NULL rule, the groups' scorers (their errors: [`Error::CorruptModel`]);
    /// the time unit (both keys or neither, a BTYD kind only, the length in range) and the
    /// segments (not for a BTYD kind, the option's checks and ascending finite cut points),
    /// whose errors `fail` makes from the text.
    pub fn validate(
        &self,
        kind: ModelKind,
        terms: &[String],
        n_coefficients: usize,
        fail: &dyn Fn(String) -> Error,
    ) -> Result<Replay> {
        let design = Design::from_preprocessing(self, terms)?;
        let null_rules = null_rules(self, &design)?;
        let groups = match &self.groups {
            Some(stored) => Some(GroupScorers::new(kind, stored.clone(), n_coefficients)?),
            None => None,
        };
        let time_unit =
            match (&self.time_unit, &self.unit_days) {
                (None, None) => None,
                (Some(unit), Some(days)) if kind.fixed_features().is_some() => {
                    let stored = days.as_f64().unwrap_or(f64::NAN);
                    check_time_unit(unit, stored)
                        .map_err(|e| fail(format!("preprocessing.unit_days {days}: {}", e.message())))?;
                    Some((unit.clone(), stored))
                }
                (Some(_), Some(_)) => {
                    return Err(fail(format!(
                        "preprocessing.time_unit: a {} model has no time unit",
                        kind.as_str()
                    )))
                }
                _ => return Err(fail(
                    "preprocessing.time_unit and unit_days go together, an interval and its length in days"
                        .into(),
                )),
            };
        let segments = match &self.segments {
            Some(_) if kind.fixed_features().is_some() => {
                return Err(fail(format!(
                    "preprocessing.segments: a {} model has no value segments",
                    kind.as_str()
                )))
            }
            Some(segments) => {
                segments
                    .check_stored()
                    .map_err(|e| fail(format!("preprocessing.segments: {}", e.message())))?;
                Some(segments.clone())
            }
            None => None,
        };
        Ok(Replay {
            design,
            null_rules,
            time_unit,
            segments,
            groups,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::encoding::Categorical;
    use crate::model::groups::GroupFallback;
    use serde_json::json;

    fn corrupt(reason: String) -> Error {
        Error::CorruptModel { reason }
    }

    fn read(document: Value) -> Preprocessing {
        Preprocessing::from_json(&document, &corrupt).unwrap()
    }

    fn terms(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    /// The document reads, writes back key for key, and checks against its version.
    fn round_trip(document: Value, kind: ModelKind, features: &[&str], n_coefficients: usize) -> Replay {
        let stored = read(document.clone());
        assert_eq!(stored.to_json(), document);
        stored
            .validate(kind, &terms(features), n_coefficients, &corrupt)
            .unwrap()
    }

    /// The message of the error `document` is refused with, for a linear model of `x, y`.
    fn refusal(document: Value, kind: ModelKind) -> String {
        let features = match kind.fixed_features() {
            Some(fixed) => fixed.iter().map(|s| s.to_string()).collect(),
            None => terms(&["x", "y"]),
        };
        let n = if kind == ModelKind::BgNbd {
            4
        } else {
            features.len() + 1
        };
        let error = Preprocessing::from_json(&document, &corrupt)
            .and_then(|p| p.validate(kind, &features, n, &corrupt))
            .unwrap_err();
        assert_eq!(error.sqlstate(), "22000");
        error.message()
    }

    #[test]
    fn documents_of_0_1_0_read_as_before() {
        // 0.1.0 wrote the policy, and a BTYD model's time unit with its length.
        let replay = round_trip(json!({"missing": "drop"}), ModelKind::Linear, &["x", "y"], 3);
        assert_eq!(replay.design.terms(), ["x", "y"]);
        assert_eq!(replay.null_rules, [NullRule::Drop; 2]);
        assert!(replay.time_unit.is_none() && replay.segments.is_none() && replay.groups.is_none());
        // The very document golden 06_btyd shows.
        let replay = round_trip(
            json!({"missing": "error", "time_unit": "1 week", "unit_days": 7.0}),
            ModelKind::BgNbd,
            &["frequency", "recency", "T"],
            4,
        );
        assert_eq!(replay.time_unit, Some(("1 week".to_string(), 7.0)));
        assert_eq!(replay.null_rules, [NullRule::Error; 3]);
        // An import may write the length as an integer: it stays one.
        let stored = read(json!({"missing": "error", "time_unit": "1 day", "unit_days": 1}));
        assert_eq!(stored.to_json()["unit_days"].to_string(), "1");
    }

    #[test]
    fn documents_of_0_2_0_to_0_4_0_read_as_before() {
        // Imputed values (golden 09_missing), an override, value segments.
        let replay = round_trip(
            json!({
                "missing": "mean",
                "missing_by_feature": {"visits": "drop"},
                "imputation": {"basket": 50.0355, "income": 50.06472303206997},
                "segments": {"labels": ["bronze", "silver", "gold", "platinum"],
                             "quantiles": [0.4, 0.7, 0.9], "cut_points": [10.5, 20.25, 40.0]}
            }),
            ModelKind::Linear,
            &["basket", "income", "visits"],
            4,
        );
        assert_eq!(
            replay.null_rules,
            [
                NullRule::Impute(50.0355),
                NullRule::Impute(50.06472303206997),
                NullRule::Drop
            ]
        );
        assert_eq!(replay.segments.unwrap().label_of(30.0), "gold");
        // A categorical design (golden 10_categorical), with its folded levels and the
        // level a NULL takes.
        let replay = round_trip(
            json!({
                "missing": "most_frequent",
                "imputation": {"x": 1.5, "channel=email": 0.0, "channel=web": 1.0, "channel=other": 0.0},
                "inputs": ["x", "channel"],
                "categorical": {"channel": {"reference": "direct", "levels": ["email", "web", "other"],
                                            "folded": ["fax", "telex"], "imputed": "web"}},
                "unseen": "error"
            }),
            ModelKind::Logistic,
            &["x", "channel=email", "channel=web", "channel=other"],
            5,
        );
        assert_eq!(replay.design.unseen, Unseen::Error);
        assert_eq!(replay.design.column_of_term(3), "channel");
        assert_eq!(replay.null_rules[2], NullRule::Impute(1.0));
        // Groups (golden 11_group_by).
        let replay = round_trip(
            json!({
                "missing": "error",
                "groups": {"columns": ["region"], "fallback": "pooled",
                           "keys": [["north"], [null]], "coefficients": [[1.0, 2.0], null]}
            }),
            ModelKind::Linear,
            &["x"],
            2,
        );
        assert_eq!(replay.groups.unwrap().columns(), ["region"]);
    }

    #[test]
    fn training_writes_the_keys_it_always_wrote() {
        let channel =
            Categorical::from_counts("channel", &[("direct".into(), 3), ("email".into(), 5)], 10, None)
                .unwrap();
        let design = Design::new(
            vec![("x".into(), None), ("channel".into(), Some(channel))],
            Unseen::Reference,
        );
        let mut built = Preprocessing::new(MissingPolicy::Mean);
        built.missing_by_feature = Some(BTreeMap::from([("x".to_string(), MissingPolicy::Median)]));
        built.imputation = Some(BTreeMap::from([
            ("x".to_string(), 2.5),
            ("channel=email".to_string(), 1.0),
        ]));
        design.to_preprocessing(&mut built);
        built.groups = Some(StoredGroups {
            columns: vec!["region".into()],
            fallback: GroupFallback::Error,
            keys: vec![vec![Some("north".into())]],
            coefficients: vec![Some(vec![0.5, 1.0, 2.0])],
        });
        built.segments = Some(Segments {
            cut_points: vec![1.0, 2.0, 3.0],
            ..Segments::default()
        });
        // What training's json! calls wrote before this struct.
        let before = json!({
            "missing": "mean",
            "missing_by_feature": {"x": "median"},
            "imputation": {"x": 2.5, "channel=email": 1.0},
            "inputs": ["x", "channel"],
            "categorical": {"channel": {"reference": "direct", "levels": ["email"], "imputed": "email"}},
            "unseen": "reference",
            "groups": {"columns": ["region"], "fallback": "error", "keys": [["north"]],
                       "coefficients": [[0.5, 1.0, 2.0]]},
            "segments": {"labels": ["bronze", "silver", "gold", "platinum"],
                         "quantiles": [0.4, 0.7, 0.9], "cut_points": [1.0, 2.0, 3.0]}
        });
        assert_eq!(built.to_json(), before);
        let mut btyd = Preprocessing::new(MissingPolicy::Error);
        btyd.set_time_unit("1 week".into(), 7.0);
        assert_eq!(
            btyd.to_json(),
            json!({"missing": "error", "time_unit": "1 week", "unit_days": 7.0})
        );
        assert_eq!(
            btyd.to_json().to_string(),
            r#"{"missing":"error","time_unit":"1 week","unit_days":7.0}"#
        );
    }

    #[test]
    fn missing_keys_read_as_before_they_were_written() {
        let stored = read(json!({}));
        assert_eq!(stored.missing(), MissingPolicy::Error);
        let replay = stored
            .validate(ModelKind::Linear, &terms(&["x"]), 2, &corrupt)
            .unwrap();
        assert_eq!(replay.null_rules, [NullRule::Error]);
        assert!(!replay.design.has_categories());
        assert_eq!(stored.input_columns(&terms(&["x"])), ["x"]);
        let categorical = read(json!({"inputs": ["channel"], "categorical": {}}));
        assert_eq!(categorical.input_columns(&terms(&["x"])), ["channel"]);
    }

    #[test]
    fn unknown_keys_are_kept() {
        let document = json!({"missing": "error", "note": {"by": "a later cltv"}, "z": [1, 2]});
        let stored = read(document.clone());
        assert_eq!(stored.other.len(), 2);
        assert_eq!(stored.to_json(), document);
        assert!(stored
            .validate(ModelKind::Linear, &terms(&["x"]), 2, &corrupt)
            .is_ok());
    }

    #[test]
    fn bad_keys_are_refused_by_name() {
        let linear = ModelKind::Linear;
        assert!(refusal(json!({"missing": "guess"}), linear)
            .starts_with("stored model is corrupt: preprocessing.missing: unknown variant `guess`"),);
        assert!(refusal(json!([1]), linear).contains("preprocessing: must be a JSON object, got [1]"));
        assert_eq!(
            refusal(json!({"imputation": {"x": "a"}}), linear),
            "stored model is corrupt: preprocessing.imputation.x: \"a\""
        );
        assert!(refusal(json!({"missing_by_feature": {"y": 3}}), linear)
            .contains("preprocessing.missing_by_feature.y: invalid type"));
        assert!(refusal(json!({"inputs": "x"}), linear).contains("preprocessing.inputs: invalid type"));
        assert!(refusal(json!({"categorical": {"c": {"levels": []}}}), linear)
            .contains("preprocessing.categorical.c: missing field `reference`"));
        assert!(refusal(json!({"unseen": "maybe"}), linear).contains("preprocessing.unseen: unknown variant"));
        assert!(refusal(json!({"groups": {"columns": []}}), linear)
            .contains("preprocessing.groups: missing field"));
        assert_eq!(
            refusal(json!({"missing": "mean"}), linear),
            "stored model is corrupt: feature \"x\" is imputed, but no value is stored"
        );
        assert_eq!(
            refusal(json!({"inputs": ["x"]}), linear),
            "stored model is corrupt: preprocessing: the inputs make the terms [\"x\"], but the version's features are [\"x\", \"y\"]"
        );
        assert_eq!(
            refusal(
                json!({"groups": {"columns": ["r"], "fallback": "error", "keys": [["a"]], "coefficients": [[1.0, 2.0]]}}),
                linear
            ),
            "stored model is corrupt: preprocessing.groups: 2 coefficients, expected 3"
        );
    }

    #[test]
    fn time_units_and_segments_are_checked_as_training_writes_them() {
        let bgnbd = ModelKind::BgNbd;
        assert!(refusal(json!({"time_unit": 7, "unit_days": 7.0}), bgnbd)
            .ends_with("preprocessing.time_unit 7: must be a text such as \"1 week\""));
        assert!(refusal(json!({"time_unit": "1 week", "unit_days": "7"}), bgnbd)
            .ends_with("preprocessing.unit_days \"7\": must be a number of days"));
        assert!(
            refusal(json!({"time_unit": "1 week"}), bgnbd).contains("time_unit and unit_days go together")
        );
        assert!(refusal(json!({"unit_days": 7.0}), bgnbd).contains("time_unit and unit_days go together"));
        assert!(refusal(
            json!({"time_unit": "1 week", "unit_days": 7.0}),
            ModelKind::Linear
        )
        .ends_with("preprocessing.time_unit: a linear model has no time unit"));
        assert_eq!(
            refusal(json!({"time_unit": "1 week", "unit_days": 1e-300}), bgnbd),
            "stored model is corrupt: preprocessing.unit_days 1e-300: invalid option \"time_unit\": must be an interval from 1 second to 100 years, such as \"1 week\" or \"1 day\"; \"1 week\" is 1e-300 days"
        );
        let segments = |s: Value| json!({"segments": s});
        assert!(refusal(segments(json!(5)), ModelKind::Linear).ends_with(
            "preprocessing.segments: invalid option \"segments\": must be an object with \"labels\", \"quantiles\" and \"cut_points\", got 5 (invalid type: integer `5`, expected struct Segments)"
        ));
        assert!(refusal(
            segments(json!({"labels": ["a", "b"], "quantiles": [0.5], "cut_points": [1.0, 2.0]})),
            ModelKind::Logistic
        )
        .ends_with("1 quantiles need 1 cut points, got 2"));
        assert!(refusal(
            segments(json!({"labels": ["a", "b"], "quantiles": [0.5], "cut_points": [1.0]})),
            bgnbd
        )
        .ends_with("preprocessing.segments: a bgnbd model has no value segments"));
    }
}
