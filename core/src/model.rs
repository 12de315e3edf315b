//! What scoring needs of a model, and nothing else: parsed once per query, used per row.

use crate::error::{Error, Result};

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

/// The kinds of model cltv trains and scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Linear,
    Logistic,
}

impl ModelKind {
    pub const ALL: [ModelKind; 2] = [ModelKind::Linear, ModelKind::Logistic];

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
        }
    }
}

/// Scores on the response scale: the linear predictor through the kind's link.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorer {
    pub kind: ModelKind,
    pub linear: LinearScorer,
}

impl Scorer {
    pub fn new(kind: ModelKind, coefficients: &[f64]) -> Result<Scorer> {
        Ok(Scorer {
            kind,
            linear: LinearScorer::from_coefficients(coefficients)?,
        })
    }

    /// The prediction: the value for a linear model, P(y = 1) for a logistic one.
    #[inline]
    pub fn predict(&self, x: &[f64]) -> f64 {
        let eta = self.linear.predict(x);
        match self.kind {
            ModelKind::Linear => eta,
            ModelKind::Logistic => sigmoid(eta),
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
        self.coefficients
            .iter()
            .zip(x)
            .fold(self.intercept, |acc, (b, v)| acc + b * v)
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
        assert!(e.message().contains("linear, logistic"), "{}", e.message());
        let s = Scorer::new(ModelKind::Logistic, &[0.0, 1.0]).unwrap();
        // σ(0) = 1/2 and σ(ln 3) = 3/4 exactly, by hand.
        assert_eq!(s.predict(&[0.0]), 0.5);
        assert!((s.predict(&[3f64.ln()]) - 0.75).abs() < 1e-15);
        assert_eq!(sigmoid(-800.0), 0.0);
        assert_eq!(sigmoid(800.0), 1.0);
    }

    #[test]
    fn linear_scorer_is_intercept_plus_dot_product() {
        let s = LinearScorer::from_coefficients(&[1.5, 2.0, -0.5]).unwrap();
        // 1.5 + 2*3 - 0.5*4 = 5.5, by hand.
        assert_eq!(s.predict(&[3.0, 4.0]), 5.5);
        assert!(s.check_len(3).is_err());
        assert!(LinearScorer::from_coefficients(&[]).is_err());
        assert!(LinearScorer::from_coefficients(&[f64::NAN]).is_err());
    }
}
