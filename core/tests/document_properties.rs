//! Property tests of the model documents: whatever JSON reaches a parser of stored model
//! parts (an imported document, a version's preprocessing, segments, groups or options),
//! parsing and validating it returns Ok or Err and never panics. Random JSON tests the
//! shape checks; valid documents with a few parts replaced by random JSON get past them to
//! the checks of content and of how the parts agree.

use cltv_core::model::encoding::{parse_min_frequency, Categorical, Design, Unseen};
use cltv_core::model::export::ExportedModel;
use cltv_core::model::groups::{GroupFallback, GroupScorers, StoredGroups};
use cltv_core::model::options::{null_rules, TrainOptions};
use cltv_core::model::preprocessing::Preprocessing;
use cltv_core::model::scoring::{ModelKind, ModelRef, Scorer};
use cltv_core::model::segments::Segments;
use cltv_core::{Error, Result};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const KINDS: [ModelKind; 4] = [
    ModelKind::Linear,
    ModelKind::Logistic,
    ModelKind::BgNbd,
    ModelKind::GammaGamma,
];

/// Words the parsers look for, so that random objects hit their branches.
const WORDS: &[&str] = &[
    "format",
    "cltv-model",
    "format_version",
    "kind",
    "linear",
    "logistic",
    "bgnbd",
    "gamma_gamma",
    "target",
    "features",
    "coefficients",
    "fit",
    "estimate",
    "preprocessing",
    "options",
    "metrics",
    "missing",
    "missing_by_feature",
    "imputation",
    "error",
    "drop",
    "mean",
    "median",
    "zero",
    "inputs",
    "categorical",
    "unseen",
    "reference",
    "levels",
    "folded",
    "imputed",
    "other",
    "segments",
    "labels",
    "quantiles",
    "cut_points",
    "groups",
    "columns",
    "fallback",
    "keys",
    "pooled",
    "time_unit",
    "unit_days",
    "1 week",
    "1 day",
    "solver",
    "lbfgs",
    "irls",
    "l2",
    "tol",
    "max_iter",
    "group_by",
    "max_groups",
    "split",
    "test_fraction",
    "keep_versions",
    "min_frequency",
    "max_categories",
    "channel",
    "x",
    "",
];

/// The keys of a version's preprocessing, and one no reader knows.
const PREPROCESSING_KEYS: &[&str] = &[
    "missing",
    "time_unit",
    "unit_days",
    "missing_by_feature",
    "imputation",
    "inputs",
    "categorical",
    "unseen",
    "groups",
    "segments",
    "note",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => "[a-z=_ ]{0,6}",
        1 => any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<f64>().prop_filter_map("JSON numbers are finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i32..5).prop_map(Value::from),
        prop::sample::select(vec![0.0, 0.4, 0.5, 0.9, 1.0, 1e-300, 1e300, 7.0]).prop_map(Value::from),
    ]
}

/// Any JSON value, up to a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// What training's interval parser says, for the units these tests use.
fn days(unit: &str) -> Result<f64> {
    match unit {
        "1 week" => Ok(7.0),
        "1 day" => Ok(1.0),
        _ => Err(Error::InvalidOption {
            key: "time_unit".into(),
            reason: format!("\"{unit}\" is not an interval"),
        }),
    }
}

/// A logistic model with a categorical input, segments and groups, as training writes it.
fn logistic_document() -> Value {
    let counts = [
        ("email".to_string(), 5),
        ("web".to_string(), 7),
        ("shop".to_string(), 2),
    ];
    let mut channel = Categorical::from_counts("channel", &counts, 100, None).unwrap();
    channel.imputed = Some("web".into());
    let design = Design::new(
        vec![("x".to_string(), None), ("channel".to_string(), Some(channel))],
        Unseen::Reference,
    );
    let features = design.terms().to_vec();
    let coefficients: Vec<f64> = (0..=features.len()).map(|i| 0.5 - i as f64 * 0.25).collect();
    // Each term's imputed value: x's mean, and the indicators of channel's imputed level.
    let imputation: Map<String, Value> = features
        .iter()
        .map(|t| {
            (
                t.clone(),
                json!(if t == "x" {
                    1.5
                } else {
                    f64::from(t == "channel=web")
                }),
            )
        })
        .collect();
    let mut preprocessing = json!({"missing": "mean", "imputation": imputation});
    let mut design_part = Preprocessing::default();
    design.to_preprocessing(&mut design_part);
    for (key, value) in design_part.to_json().as_object().unwrap() {
        preprocessing[key] = value.clone();
    }
    let segments = Segments {
        cut_points: vec![0.2, 0.5, 0.8],
        ..Segments::default()
    };
    preprocessing["segments"] = serde_json::to_value(&segments).unwrap();
    preprocessing["groups"] = serde_json::to_value(StoredGroups {
        columns: vec!["region".into()],
        fallback: GroupFallback::Pooled,
        keys: vec![vec![Some("north".into())], vec![None]],
        coefficients: vec![Some(coefficients.clone()), None],
    })
    .unwrap();
    json!({
        "format": "cltv-model", "format_version": 1, "name": "churn", "version": 2,
        "kind": "logistic", "target": "churned", "features": features,
        "coefficients": coefficients,
        "fit": {"kind": "logistic", "estimate": coefficients},
        "preprocessing": preprocessing,
        "options": {"missing": "mean", "group_by": "region", "group_fallback": "pooled", "l2": 0.5},
        "metrics": {"auc": 0.7},
        "n_train": 80, "n_test": 20, "n_dropped": 1, "source": "public.customers",
        "trained_by": "analyst", "trained_at": "2026-11-28 10:00:00+00"
    })
}

fn bgnbd_document() -> Value {
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

/// Replaces the value at `path` (object keys, or array indices as decimal text), when the
/// parents exist; inserts it into an object at the last step.
fn replace_at(doc: &mut Value, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *doc = value;
        return;
    };
    let mut at = doc;
    for step in parents {
        at = match at {
            Value::Object(map) => match map.get_mut(step) {
                Some(v) => v,
                None => return,
            },
            Value::Array(items) => match step.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match at {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = value;
            }
        }
        _ => {}
    }
}

/// Every path of a document, parents first.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    let children: Vec<(String, &Value)> = match v {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (k, child) in children {
        prefix.push(k);
        paths(child, prefix, out);
        prefix.pop();
    }
}

/// A valid document with one to three of its parts (anywhere in it) replaced by random
/// JSON, or removed.
fn edited_document() -> impl Strategy<Value = Value> {
    let docs = [logistic_document(), bgnbd_document()];
    (
        0..2usize,
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::option::weighted(0.8, any_json()),
            ),
            1..4,
        ),
    )
        .prop_map(move |(which, edits)| {
            let mut doc = docs[which].clone();
            for (index, value) in edits {
                let mut all = Vec::new();
                paths(&doc, &mut Vec::new(), &mut all);
                let path = index.get(&all[1..]).clone();
                match value {
                    Some(v) => replace_at(&mut doc, &path, v),
                    None => remove_at(&mut doc, &path),
                }
            }
            doc
        })
}

fn remove_at(doc: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = doc;
    for step in parents {
        at = match at {
            Value::Object(map) => match map.get_mut(step) {
                Some(v) => v,
                None => return,
            },
            Value::Array(items) => match step.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    match at {
        Value::Object(map) => {
            map.remove(last);
        }
        Value::Array(items) => {
            if let Some(i) = last.parse::<usize>().ok().filter(|i| *i < items.len()) {
                items.remove(i);
            }
        }
        _ => {}
    }
}

/// Everything scoring and import read of a document, as far as each part parses.
fn read_every_part(doc: &Value) {
    if let Ok(model) = ExportedModel::from_json(doc) {
        let _ = model.validate(days);
    }
    let preprocessing = doc.get("preprocessing").cloned().unwrap_or(Value::Null);
    read_stored_parts(&preprocessing, doc.get("features"), doc.get("coefficients"));
    if let Some(options) = doc.get("options") {
        for kind in KINDS {
            let _ = TrainOptions::parse(kind, options);
        }
    }
}

/// The parsers of a version's stored parts, as scoring calls them.
fn read_stored_parts(preprocessing: &Value, features: Option<&Value>, coefficients: Option<&Value>) {
    let terms: Vec<String> = features
        .and_then(|f| serde_json::from_value(f.clone()).ok())
        .unwrap_or_else(|| vec!["x".into()]);
    let coefficient_list: Vec<f64> = coefficients
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default();
    let corrupt = |reason| Error::CorruptModel { reason };
    if let Ok(stored) = Preprocessing::from_json(preprocessing, &corrupt) {
        if let Ok(design) = Design::from_preprocessing(&stored, &terms) {
            let _ = null_rules(&stored, &design);
        }
        let _ = null_rules(&stored, &Design::numeric(&terms));
        for kind in KINDS {
            let _ = stored.validate(kind, &terms, coefficient_list.len(), &corrupt);
        }
        // Written back, the document reads the same.
        let again = Preprocessing::from_json(&stored.to_json(), &corrupt);
        assert_eq!(again.as_ref(), Ok(&stored));
    }
    if let Some(segments) = preprocessing.get("segments") {
        for kind in KINDS {
            let _ = Segments::parse(segments, kind);
        }
        if let Ok(s) = Segments::from_stored(segments) {
            for score in [f64::NEG_INFINITY, -1.0, 0.5, 1e300, f64::NAN] {
                let _ = s.label_of(score);
            }
        }
    }
    let coefficients: Vec<f64> = coefficients
        .and_then(|c| serde_json::from_value(c.clone()).ok())
        .unwrap_or_default();
    for kind in KINDS {
        let _ = Scorer::new(kind, &coefficients);
    }
    if let Some(groups) = preprocessing.get("groups") {
        if let Ok(stored) = serde_json::from_value::<StoredGroups>(groups.clone()) {
            for kind in KINDS {
                if let Ok(scorers) = GroupScorers::new(kind, stored.clone(), coefficients.len()) {
                    let _ = scorers.group_index("north", || "m".into());
                }
            }
        }
    }
}

#[test]
fn the_unedited_documents_are_valid() {
    for (doc, kind) in [
        (logistic_document(), ModelKind::Logistic),
        (bgnbd_document(), ModelKind::BgNbd),
    ] {
        let model = ExportedModel::from_json(&doc).unwrap();
        assert_eq!(model.validate(days).unwrap(), kind);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_json_never_panics(doc in any_json(), part in any_json(), text in any::<String>()) {
        read_every_part(&doc);
        read_stored_parts(&part, doc.get("features"), Some(&part));
        for kind in KINDS {
            let _ = Segments::parse(&part, kind);
        }
        let _ = Segments::from_stored(&part);
        let _ = parse_min_frequency(&part);
        for kind in KINDS {
            let _ = TrainOptions::parse(kind, &part);
        }
        let _ = serde_json::from_value::<Categorical>(part.clone());
        let _ = ModelRef::parse(&text);
        let _ = ModelKind::parse(&text);
        let mut object = Map::new();
        object.insert("preprocessing".into(), part);
        read_every_part(&Value::Object(object));
    }

    #[test]
    fn random_preprocessing_never_panics(
        entries in prop::collection::vec((prop::sample::select(PREPROCESSING_KEYS), any_json()), 0..8),
        features in prop::collection::vec(word(), 0..4),
        n_coefficients in 0usize..6,
    ) {
        let document = Value::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
        let corrupt = |reason| Error::CorruptModel { reason };
        if let Ok(stored) = Preprocessing::from_json(&document, &corrupt) {
            // Nothing read is lost: written back, it is the document.
            prop_assert_eq!(stored.to_json(), document.clone());
            for kind in KINDS {
                let _ = stored.validate(kind, &features, n_coefficients, &corrupt);
            }
        }
        read_stored_parts(&document, Some(&json!(features)), None);
    }

    #[test]
    fn edited_documents_never_panic(doc in edited_document()) {
        read_every_part(&doc);
    }

    #[test]
    fn arbitrary_coefficients_never_panic(
        coefficients in prop::collection::vec(prop_oneof![any::<f64>(), -3.0..3.0f64], 0..6),
        x in prop::collection::vec(prop_oneof![any::<f64>(), -3.0..3.0f64], 0..6),
        horizon in prop::option::of(prop_oneof![any::<f64>(), 0.0..100.0f64]),
    ) {
        for kind in KINDS {
            if let Ok(scorer) = Scorer::new(kind, &coefficients) {
                if scorer.check_len(x.len()).is_ok() {
                    let _ = scorer.predict(&x, horizon);
                    let _ = scorer.p_alive(&x);
                    let _ = scorer.score(&x, horizon, || "m".into(), |i| format!("x{i}"));
                }
            }
        }
    }
}
