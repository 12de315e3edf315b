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
    fn linear_scorer_is_intercept_plus_dot_product() {
        let s = LinearScorer::from_coefficients(&[1.5, 2.0, -0.5]).unwrap();
        // 1.5 + 2*3 - 0.5*4 = 5.5, by hand.
        assert_eq!(s.predict(&[3.0, 4.0]), 5.5);
        assert!(s.check_len(3).is_err());
        assert!(LinearScorer::from_coefficients(&[]).is_err());
        assert!(LinearScorer::from_coefficients(&[f64::NAN]).is_err());
    }
}
