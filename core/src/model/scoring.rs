//! What scoring needs of a model, and nothing else: parsed once per query, used per row.

use crate::error::{Error, Result};
use crate::fit::bgnbd::{validate_summary, BgNbdParams};
use crate::fit::gamma_gamma::GammaGammaParams;

/// A reference such as `ltv_90d` (the deployed version) or `ltv_90d@3` (version 3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    pub name: String,
    pub version: Option<i32>,
}

impl ModelRef {
    pub fn parse(spec: &str) -> Result<ModelRef> {
        let bad = |reason: &str| Error::InvalidArgument {
            what: format!("model reference \"{spec}\""),
            reason: reason.to_string(),
        };
        match spec.rsplit_once('@') {
            None if spec.is_empty() => Err(bad("is empty")),
            None => Ok(ModelRef {
                name: spec.to_string(),
                version: None,
            }),
            Some((name, version)) => {
                let version: i32 = version
                    .parse()
                    .ok()
                    .filter(|v| *v > 0)
                    .ok_or_else(|| bad("the part after '@' must be a positive version number"))?;
                if name.is_empty() {
                    return Err(bad("names no model before '@'"));
                }
                Ok(ModelRef {
                    name: name.to_string(),
                    version: Some(version),
                })
            }
        }
    }
}

/// Checks a model name as `cltv_train` and `cltv_import` take it: a letter or '_' first,
/// then letters, digits, '_', '.' and '-', at most 200 characters ('@' pins versions in a
/// reference, so it cannot be part of a name).
pub fn check_model_name(model: &str) -> Result<()> {
    let valid = !model.is_empty()
        && model.len() <= 200
        && model
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            what: format!("model name \"{model}\""),
            reason: "must start with a letter or '_' and hold only letters, digits, '_', '.' and '-' ('@' pins versions)".into(),
        })
    }
}

/// The most terms (numeric features, plus one per categorical level but the reference) a
/// linear or logistic model `cltv_train` fits may have. Training's widest query, the metrics
/// pass, selects each term and each coefficient as a column of its own (2·terms + 3), and
/// PostgreSQL allows 1664 (MaxTupleAttributeNumber): (1664 − 3) / 2 = 830, as measured for
/// both kinds (830 trains, 831 fails with 54011).
pub const MAX_TRAIN_TERMS: usize = 830;

/// Checks a model's size against [`MAX_TRAIN_TERMS`] before the work that would fail on it:
/// the feature count before any pass over the data (each feature is at least one term),
/// the terms once the categorical levels are known. `categorical_terms` of `terms` are levels.
pub fn check_train_terms(kind: ModelKind, terms: usize, categorical_terms: usize) -> Result<()> {
    if terms > MAX_TRAIN_TERMS {
        return Err(Error::TooManyTerms {
            kind: kind.as_str().to_string(),
            terms,
            max: MAX_TRAIN_TERMS,
            categorical_levels: categorical_terms,
        });
    }
    Ok(())
}

/// `value` when it is finite; otherwise [`Error::NonFiniteScore`] naming `model()` and the
/// row's values `x`, value `i` named `name_of(i)`. On the way through one comparison: the
/// names are built on the error path only.
#[inline]
pub fn check_score(
    value: f64,
    what: &str,
    model: impl FnOnce() -> String,
    name_of: impl Fn(usize) -> String,
    x: &[f64],
) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(non_finite_score(value, what, model(), &name_of, x))
    }
}

#[cold]
fn non_finite_score(
    value: f64,
    what: &str,
    model: String,
    name_of: &dyn Fn(usize) -> String,
    x: &[f64],
) -> Error {
    Error::NonFiniteScore {
        model,
        what: what.to_string(),
        value,
        inputs: x.iter().enumerate().map(|(i, v)| (name_of(i), *v)).collect(),
    }
}

/// The kinds of model cltv trains and scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Linear,
    Logistic,
    /// BG/NBD purchases over (frequency, recency, T); no target.
    BgNbd,
    /// Gamma-Gamma spend over (frequency, monetary_value); no target.
    GammaGamma,
}

impl ModelKind {
    pub const ALL: [ModelKind; 4] = [
        ModelKind::Linear,
        ModelKind::Logistic,
        ModelKind::BgNbd,
        ModelKind::GammaGamma,
    ];

    pub fn parse(kind: &str) -> Result<ModelKind> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind)
            .ok_or_else(|| {
                let known: Vec<&str> = ModelKind::ALL.iter().map(|k| k.as_str()).collect();
                Error::InvalidArgument {
                    what: format!("kind \"{kind}\""),
                    reason: format!(
                        "is not a model kind cltv can train; supported: {}",
                        known.join(", ")
                    ),
                }
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Logistic => "logistic",
            ModelKind::BgNbd => "bgnbd",
            ModelKind::GammaGamma => "gamma_gamma",
        }
    }

    /// The BTYD models take their inputs in a fixed order and have no target.
    pub fn fixed_features(self) -> Option<&'static [&'static str]> {
        match self {
            ModelKind::BgNbd => Some(&["frequency", "recency", "T"]),
            ModelKind::GammaGamma => Some(&["frequency", "monetary_value"]),
            ModelKind::Linear | ModelKind::Logistic => None,
        }
    }
}

/// Scores a row of feature values with a stored model.
#[derive(Debug, Clone, PartialEq)]
pub enum Scorer {
    Linear(LinearScorer),
    Logistic(LinearScorer),
    BgNbd(BgNbdParams),
    GammaGamma(GammaGammaParams),
}

impl Scorer {
    /// From the stored coefficient vector: intercept and slopes, or the BTYD parameters
    /// (r, α, a, b for BG/NBD; p, q, γ for Gamma-Gamma).
    pub fn new(kind: ModelKind, coefficients: &[f64]) -> Result<Scorer> {
        let params = |n: usize| -> Result<&[f64]> {
            (coefficients.len() == n && coefficients.iter().all(|c| c.is_finite() && *c > 0.0))
                .then_some(coefficients)
                .ok_or_else(|| Error::CorruptModel {
                    reason: format!("a {} model needs {n} positive parameters", kind.as_str()),
                })
        };
        Ok(match kind {
            ModelKind::Linear => Scorer::Linear(LinearScorer::from_coefficients(coefficients)?),
            ModelKind::Logistic => Scorer::Logistic(LinearScorer::from_coefficients(coefficients)?),
            ModelKind::BgNbd => {
                let p = params(4)?;
                Scorer::BgNbd(BgNbdParams {
                    r: p[0],
                    alpha: p[1],
                    a: p[2],
                    b: p[3],
                })
            }
            ModelKind::GammaGamma => {
                let p = params(3)?;
                Scorer::GammaGamma(GammaGammaParams {
                    p: p[0],
                    q: p[1],
                    v: p[2],
                })
            }
        })
    }

    pub fn kind(&self) -> ModelKind {
        match self {
            Scorer::Linear(_) => ModelKind::Linear,
            Scorer::Logistic(_) => ModelKind::Logistic,
            Scorer::BgNbd(_) => ModelKind::BgNbd,
            Scorer::GammaGamma(_) => ModelKind::GammaGamma,
        }
    }

    pub fn n_features(&self) -> usize {
        match self {
            Scorer::Linear(l) | Scorer::Logistic(l) => l.n_features(),
            Scorer::BgNbd(_) => 3,
            Scorer::GammaGamma(_) => 2,
        }
    }

    pub fn check_len(&self, got: usize) -> Result<()> {
        if got == self.n_features() {
            Ok(())
        } else {
            Err(Error::WrongArrayLength {
                expected: self.n_features(),
                got,
            })
        }
    }

    /// The prediction: the value (linear), P(y = 1) (logistic), the expected purchases in
    /// the next `horizon` time units (BG/NBD), the expected mean spend (Gamma-Gamma).
    #[inline]
    pub fn predict(&self, x: &[f64], horizon: Option<f64>) -> Result<f64> {
        match (self, horizon) {
            (Scorer::Linear(l), None) => Ok(l.predict(x)),
            (Scorer::Logistic(l), None) => Ok(sigmoid(l.predict(x))),
            (Scorer::BgNbd(p), Some(h)) => {
                if !(h.is_finite() && h >= 0.0) {
                    return Err(Error::InvalidArgument {
                        what: format!("horizon {h}"),
                        reason: "must be a finite number of time units >= 0".into(),
                    });
                }
                validate_summary(x[0], x[1], x[2])?;
                Ok(p.expected_purchases(h, x[0], x[1], x[2]))
            }
            (Scorer::GammaGamma(p), None) => {
                crate::fit::gamma_gamma::validate_summary(x[0], x[1])?;
                // A customer without repeat purchases gets the population mean (x = 0 in the formula).
                Ok(p.conditional_expected_spend(x[0], x[1]))
            }
            (Scorer::BgNbd(_), None) => Err(Error::InvalidArgument {
                what: "call".into(),
                reason: "a BG/NBD model predicts purchases over a horizon: cltv_predict(model, row, horizon)"
                    .into(),
            }),
            (_, Some(_)) => Err(Error::InvalidArgument {
                what: "horizon".into(),
                reason: format!(
                    "applies to BG/NBD models only, not to a {} model: score it with cltv_predict(model, row)",
                    self.kind().as_str()
                ),
            }),
        }
    }

    /// [`Scorer::predict`], refusing a result that is not finite with an error that names
    /// `model()` and the row (value `i` of `x` named `name_of(i)`). A logistic model's log-odds are
    /// checked, not its probability: an overflowed linear predictor would otherwise score a
    /// probability of exactly 0 or 1.
    #[inline]
    pub fn score(
        &self,
        x: &[f64],
        horizon: Option<f64>,
        model: impl FnOnce() -> String,
        name_of: impl Fn(usize) -> String,
    ) -> Result<f64> {
        let what = match (self, horizon) {
            (Scorer::Logistic(l), None) => {
                let eta = check_score(l.predict(x), "log-odds", model, name_of, x)?;
                return Ok(sigmoid(eta));
            }
            (Scorer::BgNbd(_), Some(_)) => "expected purchases",
            (Scorer::GammaGamma(_), None) => "expected spend",
            _ => "prediction",
        };
        check_score(self.predict(x, horizon)?, what, model, name_of, x)
    }

    /// P(alive) of a BG/NBD model.
    pub fn p_alive(&self, x: &[f64]) -> Result<f64> {
        match self {
            Scorer::BgNbd(p) => {
                validate_summary(x[0], x[1], x[2])?;
                Ok(p.p_alive(x[0], x[1], x[2]))
            }
            other => Err(Error::InvalidArgument {
                what: format!("{} model for cltv_p_alive", other.kind().as_str()),
                reason: "the probability of being alive comes from a bgnbd model".into(),
            }),
        }
    }
}

/// 1 / (1 + e^-η), without overflow for large |η|.
#[inline]
pub fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// A fitted linear predictor: `intercept + coefficients · x`.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearScorer {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
}

impl LinearScorer {
    /// From the stored coefficient vector, intercept first.
    pub fn from_coefficients(coefficients: &[f64]) -> Result<LinearScorer> {
        let (intercept, rest) = coefficients.split_first().ok_or_else(|| Error::CorruptModel {
            reason: "the coefficient vector is empty".into(),
        })?;
        if !coefficients.iter().all(|c| c.is_finite()) {
            return Err(Error::CorruptModel {
                reason: "a coefficient is not finite".into(),
            });
        }
        Ok(LinearScorer {
            intercept: *intercept,
            coefficients: rest.to_vec(),
        })
    }

    pub fn n_features(&self) -> usize {
        self.coefficients.len()
    }

    /// The caller has checked `x.len() == n_features()`.
    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        linear_predictor(self.intercept, &self.coefficients, x)
    }
}

/// `intercept + coefficients · x`, summed from the intercept on: every scoring path adds in
/// this order, so the same model gives the same bits wherever it scores a row.
#[inline]
pub fn linear_predictor(intercept: f64, coefficients: &[f64], x: &[f64]) -> f64 {
    coefficients
        .iter()
        .zip(x)
        .fold(intercept, |acc, (b, v)| acc + b * v)
}

/// Does `source` read as a query rather than a relation name: its first word (after any
/// opening parentheses) a keyword that starts a query, followed by more text? A relation
/// really named so is written quoted ('"select x"'), which this never matches.
pub fn looks_like_query(source: &str) -> bool {
    let text = source
        .trim_start()
        .trim_start_matches(['(', ' ', '\t', '\n', '\r']);
    let word: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    let rest = &text[word.len()..];
    matches!(word.as_str(), "select" | "with" | "values" | "table")
        && rest.starts_with(|c: char| c.is_whitespace() || c == '(' || c == '*')
        && !rest.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_model_references() {
        assert_eq!(
            ModelRef::parse("ltv").unwrap(),
            ModelRef {
                name: "ltv".into(),
                version: None
            }
        );
        assert_eq!(
            ModelRef::parse("ltv_90d@3").unwrap(),
            ModelRef {
                name: "ltv_90d".into(),
                version: Some(3)
            }
        );
        assert!(ModelRef::parse("ltv@").is_err());
        assert!(ModelRef::parse("ltv@0").is_err());
        assert!(ModelRef::parse("ltv@x").is_err());
        assert!(ModelRef::parse("@2").is_err());
        assert!(ModelRef::parse("").is_err());
    }

    #[test]
    fn kinds_parse_and_logistic_scores_probabilities() {
        assert_eq!(ModelKind::parse("logistic").unwrap(), ModelKind::Logistic);
        let e = ModelKind::parse("forest").unwrap_err();
        assert!(
            e.message().contains("linear, logistic, bgnbd, gamma_gamma"),
            "{}",
            e.message()
        );
        let s = Scorer::new(ModelKind::Logistic, &[0.0, 1.0]).unwrap();
        // σ(0) = 1/2 and σ(ln 3) = 3/4 exactly, by hand.
        assert_eq!(s.predict(&[0.0], None).unwrap(), 0.5);
        assert!((s.predict(&[3f64.ln()], None).unwrap() - 0.75).abs() < 1e-15);
        assert!(s.predict(&[0.0], Some(1.0)).is_err());
        let bg = Scorer::new(ModelKind::BgNbd, &[0.243, 4.414, 0.793, 2.426]).unwrap();
        assert!(bg.predict(&[2.0, 30.43, 38.86], None).is_err());
        // Hardie's worked example: x = 2, t_x = 30.43, T = 38.86, 39 weeks -> 1.226.
        assert!((bg.predict(&[2.0, 30.43, 38.86], Some(39.0)).unwrap() - 1.226).abs() < 5e-4);
        assert!(bg.predict(&[2.0, 40.0, 38.86], Some(39.0)).is_err());
        assert!(Scorer::new(ModelKind::BgNbd, &[1.0, 2.0, 3.0]).is_err());
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
    }

    #[test]
    fn the_term_limit_is_checked() {
        assert!(check_train_terms(ModelKind::Linear, MAX_TRAIN_TERMS, 0).is_ok());
        let e = check_train_terms(ModelKind::Logistic, MAX_TRAIN_TERMS + 1, 900).unwrap_err();
        assert_eq!(e.sqlstate(), "54000");
        assert_eq!(
            e.message(),
            "a logistic model with 831 terms is more than the 830 cltv_train can fit"
        );
        // The limit is what the widest training query's select list allows.
        const { assert!(2 * MAX_TRAIN_TERMS + 3 <= 1664 && 2 * (MAX_TRAIN_TERMS + 1) + 3 > 1664) };
    }

    #[test]
    fn model_names_are_checked() {
        for good in ["ltv", "_x", "ltv_90d.v2-b", &"a".repeat(200)] {
            assert!(check_model_name(good).is_ok(), "{good}");
        }
        for bad in ["", "9lives", "ltv@2", "a b", "é", &"a".repeat(201)] {
            let e = check_model_name(bad).unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
            assert!(e.message().contains("model name"), "{}", e.message());
        }
    }

    #[test]
    fn non_finite_scores_are_errors_naming_model_and_row() {
        let names = |_: usize| "x".to_string();
        let lin = Scorer::new(ModelKind::Linear, &[0.0, 2.0]).unwrap();
        // 2 * 1.7e308 overflows; 1.7e308 itself is finite.
        let e = lin.score(&[1.7e308], None, || "m@1".into(), names).unwrap_err();
        assert_eq!(e.sqlstate(), "22003");
        assert!(e
            .message()
            .contains("\"m@1\" gives a non-finite prediction (Infinity)"));
        assert!(e.message().contains("x = 1.7e+308"), "{}", e.message());
        assert_eq!(lin.score(&[1.5], None, || unreachable!(), names).unwrap(), 3.0);
        // Logistic: the log-odds are checked, not the probability (which would be 1).
        let logit = Scorer::new(ModelKind::Logistic, &[0.0, 2.0]).unwrap();
        assert_eq!(logit.predict(&[-1.7e308], None).unwrap(), 0.0);
        let e = logit
            .score(&[-1.7e308], None, || "c@1".into(), names)
            .unwrap_err();
        assert!(
            e.message().contains("non-finite log-odds (-Infinity)"),
            "{}",
            e.message()
        );
        // Gamma-Gamma at 1e300: p(γ + x m̄) overflows (x m̄ = 1e309).
        let gg = Scorer::new(ModelKind::GammaGamma, &[6.25, 3.74, 15.44]).unwrap();
        let gg_names = |i: usize| ["frequency", "monetary_value"][i].to_string();
        let e = gg
            .score(&[1e9, 1e300], None, || "spend@1".into(), gg_names)
            .unwrap_err();
        assert!(
            e.message().contains(
                "expected spend (Infinity) for the row with frequency = 1000000000, monetary_value = 1e+300"
            ),
            "{}",
            e.message()
        );
        assert!(gg.score(&[2.0, 30.0], None, || unreachable!(), gg_names).is_ok());
    }

    #[test]
    fn linear_scorer_is_intercept_plus_dot_product() {
        let s = LinearScorer::from_coefficients(&[1.5, 2.0, -0.5]).unwrap();
        // 1.5 + 2*3 - 0.5*4 = 5.5, by hand.
        assert_eq!(s.predict(&[3.0, 4.0]), 5.5);
        assert!(Scorer::Linear(s).check_len(3).is_err());
        assert!(LinearScorer::from_coefficients(&[]).is_err());
        assert!(LinearScorer::from_coefficients(&[f64::NAN]).is_err());
    }

    #[test]
    fn queries_are_told_from_relation_names() {
        for query in [
            "SELECT * FROM t",
            "select a, b from t where a > 1",
            "  (SELECT 1)",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "VALUES (1, 2)",
            "TABLE customers",
            "select*from t",
        ] {
            assert!(looks_like_query(query), "{query}");
        }
        for name in [
            "customers",
            "public.customers",
            "select",
            "\"select x\"",
            "selection",
            "tables.t",
            "with_data",
            "",
        ] {
            assert!(!looks_like_query(name), "{name}");
        }
    }
}
