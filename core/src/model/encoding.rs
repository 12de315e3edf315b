//! One-hot encoding of categorical features (text, varchar, enum columns): the vocabulary a
//! training call finds in its training rows, the model terms it makes (`channel=email`),
//! and how scoring turns a row's level back into those terms.
//!
//! A model's *inputs* are the columns it was trained on; its *terms* are its coefficients'
//! names. A numeric input is one term; a categorical input is one 0/1 term per level except
//! the reference level (the first in sort order, as R and statsmodels choose it), whose row
//! has every indicator 0.

use crate::error::{Error, Result};
use crate::model::preprocessing::Preprocessing;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;

/// The level that training levels rarer than `min_frequency` fold into.
pub const OTHER: &str = "other";
/// The default of `max_categories`.
pub const DEFAULT_MAX_CATEGORIES: usize = 100;

/// Where a level unseen in training goes at scoring time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unseen {
    /// Scored as the reference level: every indicator 0 (the default, so that a new level
    /// does not break a view a dashboard reads).
    #[default]
    Reference,
    /// An error naming the column and the level.
    Error,
}

/// The rare-level threshold: a count of training rows, or a share of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinFrequency {
    Count(u64),
    Share(f64),
}

impl MinFrequency {
    fn rows(self, n_rows: u64) -> f64 {
        match self {
            MinFrequency::Count(c) => c as f64,
            MinFrequency::Share(s) => s * n_rows as f64,
        }
    }
}

/// The vocabulary of one categorical input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Categorical {
    /// The dropped level.
    pub reference: String,
    /// One term per level, in this order; `other` last when rare levels were folded.
    pub levels: Vec<String>,
    /// Training levels rarer than `min_frequency`: scored as `other`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folded: Vec<String>,
    /// The level a NULL takes under an imputing missing-value policy: the most frequent
    /// training level (scikit-learn's `most_frequent`), ties to the first in sort order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imputed: Option<String>,
}

impl Categorical {
    /// The vocabulary of `column` from its training rows' level counts, given in the sort
    /// order that picks the reference (text by bytes, enums in declaration order).
    pub fn from_counts(
        column: &str,
        counts: &[(String, u64)],
        max_categories: usize,
        min_frequency: Option<MinFrequency>,
    ) -> Result<Categorical> {
        let n_rows: u64 = counts.iter().map(|(_, n)| n).sum();
        let threshold = min_frequency.map_or(0.0, |m| m.rows(n_rows));
        let is_kept = |n: u64| n as f64 >= threshold;
        let mut levels: Vec<String> = counts
            .iter()
            .filter(|(_, n)| is_kept(*n))
            .map(|(l, _)| l.clone())
            .collect();
        let folded: Vec<String> = counts
            .iter()
            .filter(|(_, n)| !is_kept(*n))
            .map(|(l, _)| l.clone())
            .collect();
        // A real level named like the bucket would take the rare levels in silently (or,
        // folded itself, be merged with them): refused, so that no two training values
        // share a term unannounced. A real "other" that is the only rare level is harmless.
        let others_folded = folded.iter().filter(|l| *l != OTHER).count();
        if others_folded > 0 && counts.iter().any(|(l, _)| l == OTHER) {
            return Err(Error::FoldedLevelCollision {
                column: column.to_string(),
                level: OTHER.to_string(),
                folded: others_folded,
            });
        }
        if !folded.is_empty() && !levels.iter().any(|l| l == OTHER) {
            levels.push(OTHER.to_string());
        }
        if levels.len() > max_categories {
            return Err(Error::TooManyCategories {
                column: column.to_string(),
                count: levels.len(),
                distinct: counts.len(),
                max: max_categories,
            });
        }
        if levels.len() < 2 {
            return Err(Error::InvalidArgument {
                what: format!("categorical feature \"{column}\""),
                reason: match levels.first() {
                    Some(level) => format!(
                        "has a single level (\"{level}\") in the training rows, so it cannot inform the model"
                    ),
                    None => "has no level in the training rows".to_string(),
                },
            });
        }
        let imputed = counts
            .iter()
            .fold(None::<&(String, u64)>, |best, c| match best {
                Some(b) if b.1 >= c.1 => Some(b),
                _ => Some(c),
            })
            .map(|(l, _)| l.clone());
        let reference = levels.remove(0);
        Ok(Categorical {
            reference,
            levels,
            folded,
            imputed,
        })
    }

    /// The level a training value stands for: itself, or `other` if it was folded.
    fn folds_to<'a>(&'a self, level: &'a str) -> &'a str {
        if self.folded.iter().any(|f| f == level) {
            OTHER
        } else {
            level
        }
    }
}

/// The name of the term for `level` of `column`.
pub fn term_name(column: &str, level: &str) -> String {
    format!("{column}={level}")
}

/// Where one level of a categorical input puts its 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Code {
    Reference,
    /// The term at this offset within the input's block.
    Term(usize),
}

#[derive(Debug, Clone)]
pub enum Input {
    Number {
        column: String,
        term: usize,
    },
    Category {
        column: String,
        first_term: usize,
        categorical: Categorical,
        codes: HashMap<String, Code>,
    },
}

impl Input {
    pub fn column(&self) -> &str {
        match self {
            Input::Number { column, .. } | Input::Category { column, .. } => column,
        }
    }
}

/// How a model's inputs become its terms.
#[derive(Debug, Clone)]
pub struct Design {
    inputs: Vec<Input>,
    terms: Vec<String>,
    /// For each term, the input it comes from.
    term_input: Vec<usize>,
    pub unseen: Unseen,
}

impl Design {
    /// `columns` in order, each either numeric (`None`) or with its vocabulary.
    pub fn new(columns: Vec<(String, Option<Categorical>)>, unseen: Unseen) -> Design {
        let mut inputs = Vec::with_capacity(columns.len());
        let mut terms = Vec::new();
        let mut term_input = Vec::new();
        for (i, (column, categorical)) in columns.into_iter().enumerate() {
            let first_term = terms.len();
            match categorical {
                None => {
                    terms.push(column.clone());
                    inputs.push(Input::Number {
                        column,
                        term: first_term,
                    });
                }
                Some(categorical) => {
                    let mut codes: HashMap<String, Code> =
                        HashMap::from([(categorical.reference.clone(), Code::Reference)]);
                    for (j, level) in categorical.levels.iter().enumerate() {
                        terms.push(term_name(&column, level));
                        codes.insert(level.clone(), Code::Term(j));
                    }
                    for level in &categorical.folded {
                        if let Some(&code) = codes.get(OTHER) {
                            codes.insert(level.clone(), code);
                        }
                    }
                    inputs.push(Input::Category {
                        column,
                        first_term,
                        categorical,
                        codes,
                    });
                }
            }
            term_input.resize(terms.len(), i);
        }
        Design {
            inputs,
            terms,
            term_input,
            unseen,
        }
    }

    /// A design of numeric inputs only: inputs and terms are the same names.
    pub fn numeric(features: &[String]) -> Design {
        Design::new(
            features.iter().map(|f| (f.clone(), None)).collect(),
            Unseen::default(),
        )
    }

    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    pub fn has_categories(&self) -> bool {
        self.inputs.iter().any(|i| matches!(i, Input::Category { .. }))
    }

    /// The terms of input `input`: one for a number, one per non-reference level.
    pub fn term_range(&self, input: usize) -> std::ops::Range<usize> {
        match &self.inputs[input] {
            Input::Number { term, .. } => *term..*term + 1,
            Input::Category {
                first_term,
                categorical,
                ..
            } => *first_term..*first_term + categorical.levels.len(),
        }
    }

    /// The input column term `i` comes from.
    pub fn column_of_term(&self, i: usize) -> &str {
        self.inputs[self.term_input[i]].column()
    }

    /// Set the terms of categorical input `input` for `level` into `out` (term space).
    /// `model` names the model in the error an unseen level raises under `Unseen::Error`.
    pub fn set_level(
        &self,
        input: usize,
        level: &str,
        out: &mut [f64],
        model: impl Fn() -> String,
    ) -> Result<()> {
        let Input::Category {
            column,
            first_term,
            categorical,
            codes,
        } = &self.inputs[input]
        else {
            unreachable!("set_level on a numeric input")
        };
        out[*first_term..*first_term + categorical.levels.len()].fill(0.0);
        match codes.get(level) {
            Some(Code::Term(j)) => out[first_term + j] = 1.0,
            Some(Code::Reference) => {}
            None => match self.unseen {
                Unseen::Reference => {}
                Unseen::Error => {
                    return Err(Error::UnseenLevel {
                        model: model(),
                        column: column.clone(),
                        level: level.to_string(),
                        known: std::iter::once(categorical.reference.clone())
                            .chain(categorical.levels.iter().cloned())
                            .collect(),
                    })
                }
            },
        }
        Ok(())
    }

    /// The parts of a version's `preprocessing` that describe the design; nothing for an
    /// all-numeric one (versions before categorical support read the same way).
    pub fn to_preprocessing(&self, preprocessing: &mut Preprocessing) {
        if !self.has_categories() {
            return;
        }
        preprocessing.inputs = Some(self.inputs.iter().map(|i| i.column().to_string()).collect());
        preprocessing.categorical = Some(
            self.inputs
                .iter()
                .filter_map(|i| match i {
                    Input::Category {
                        column, categorical, ..
                    } => Some((column.clone(), categorical.clone())),
                    Input::Number { .. } => None,
                })
                .collect(),
        );
        preprocessing.unseen = Some(self.unseen);
    }

    /// The design of a stored version with terms `terms`, checked against them.
    pub fn from_preprocessing(preprocessing: &Preprocessing, terms: &[String]) -> Result<Design> {
        let corrupt = |reason: String| Error::CorruptModel {
            reason: format!("preprocessing: {reason}"),
        };
        let Some(inputs) = &preprocessing.inputs else {
            return Ok(Design::numeric(terms));
        };
        let columns = inputs
            .iter()
            .map(|column| {
                let vocabulary = preprocessing
                    .categorical
                    .as_ref()
                    .and_then(|c| c.get(column))
                    .cloned();
                (column.clone(), vocabulary)
            })
            .collect();
        let design = Design::new(columns, preprocessing.unseen.unwrap_or_default());
        if design.terms != terms {
            return Err(corrupt(format!(
                "the inputs make the terms {:?}, but the version's features are {terms:?}",
                design.terms
            )));
        }
        Ok(design)
    }

    /// The value each term of categorical input `input` takes for a NULL imputed as its
    /// most frequent level; `None` for a numeric input or no imputed level.
    pub fn imputed_terms(&self, input: usize) -> Option<Vec<(String, f64)>> {
        let Input::Category {
            column, categorical, ..
        } = &self.inputs[input]
        else {
            return None;
        };
        let level = categorical.folds_to(categorical.imputed.as_deref()?);
        Some(
            categorical
                .levels
                .iter()
                .map(|l| (term_name(column, l), if l == level { 1.0 } else { 0.0 }))
                .collect(),
        )
    }
}

/// Parse the `min_frequency` option: a count of rows (an integer >= 1) or a share (0, 1).
pub fn parse_min_frequency(value: &Value) -> Option<MinFrequency> {
    match value.as_u64() {
        Some(n) if n >= 1 => Some(MinFrequency::Count(n)),
        Some(_) => None,
        None => value
            .as_f64()
            .filter(|s| *s > 0.0 && *s < 1.0)
            .map(MinFrequency::Share),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn counts(levels: &[(&str, u64)]) -> Vec<(String, u64)> {
        levels.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    }

    #[test]
    fn the_first_level_is_the_reference_and_the_mode_is_imputed() {
        let c = Categorical::from_counts(
            "channel",
            &counts(&[("direct", 5), ("email", 9), ("web", 9)]),
            10,
            None,
        )
        .unwrap();
        assert_eq!(c.reference, "direct");
        assert_eq!(c.levels, vec!["email", "web"]);
        assert_eq!(
            c.imputed.as_deref(),
            Some("email"),
            "ties go to the first in sort order"
        );
        let design = Design::new(
            vec![("x".into(), None), ("channel".into(), Some(c))],
            Unseen::Reference,
        );
        assert_eq!(design.terms(), ["x", "channel=email", "channel=web"]);
        assert_eq!(design.column_of_term(2), "channel");
    }

    #[test]
    fn rare_levels_fold_into_other() {
        let levels = counts(&[("a", 50), ("b", 2), ("c", 40), ("d", 8)]);
        let c = Categorical::from_counts("k", &levels, 10, Some(MinFrequency::Count(10))).unwrap();
        assert_eq!(
            (c.reference.as_str(), c.levels.clone()),
            ("a", vec!["c".to_string(), OTHER.to_string()])
        );
        assert_eq!(c.folded, vec!["b", "d"]);
        // 10% of 100 rows is the same threshold.
        let share = Categorical::from_counts("k", &levels, 10, Some(MinFrequency::Share(0.1))).unwrap();
        assert_eq!(share, c);
        let design = Design::new(vec![("k".into(), Some(c))], Unseen::Error);
        let mut out = [9.0, 9.0];
        design.set_level(0, "d", &mut out, || "m".into()).unwrap();
        assert_eq!(out, [0.0, 1.0]);
        design.set_level(0, "a", &mut out, || "m".into()).unwrap();
        assert_eq!(out, [0.0, 0.0]);
        design.set_level(0, "c", &mut out, || "m".into()).unwrap();
        assert_eq!(out, [1.0, 0.0]);
        let err = design.set_level(0, "zzz", &mut out, || "m@1".into()).unwrap_err();
        assert!(
            err.message().contains("\"zzz\"") && err.message().contains("\"k\""),
            "{}",
            err.message()
        );
    }

    #[test]
    fn a_real_other_level_is_not_merged_with_the_folded_ones() {
        // "other" kept, "b" and "d" rare: they would become "other".
        let levels = counts(&[("a", 50), ("b", 2), ("d", 8), ("other", 40)]);
        let err = Categorical::from_counts("k", &levels, 10, Some(MinFrequency::Count(10))).unwrap_err();
        assert_eq!(
            err,
            Error::FoldedLevelCollision {
                column: "k".into(),
                level: OTHER.into(),
                folded: 2
            }
        );
        // "other" rare itself, with "b": the two would share a term.
        let levels = counts(&[("a", 50), ("b", 2), ("c", 40), ("other", 3)]);
        assert!(Categorical::from_counts("k", &levels, 10, Some(MinFrequency::Count(10))).is_err());
        // Without folding, or with "other" the only rare level, it is an ordinary level.
        let levels = counts(&[("a", 50), ("c", 40), ("other", 3)]);
        let c = Categorical::from_counts("k", &levels, 10, None).unwrap();
        assert_eq!(c.levels, vec!["c", "other"]);
        let c = Categorical::from_counts("k", &levels, 10, Some(MinFrequency::Count(10))).unwrap();
        assert_eq!(
            (c.levels, c.folded),
            (vec!["c".to_string(), OTHER.to_string()], vec![OTHER.to_string()])
        );
    }

    #[test]
    fn too_many_categories_names_the_column_and_its_count() {
        let levels: Vec<(String, u64)> = (0..12).map(|i| (format!("l{i:02}"), 1)).collect();
        let err = Categorical::from_counts("city", &levels, 10, None).unwrap_err();
        assert_eq!(err.sqlstate(), "54000");
        assert!(
            err.message().contains("\"city\"") && err.message().contains("12"),
            "{}",
            err.message()
        );
        // Folding rare levels brings it under the limit.
        let mut levels = levels;
        levels[0].1 = 100;
        levels[1].1 = 100;
        let c = Categorical::from_counts("city", &levels, 10, Some(MinFrequency::Count(2))).unwrap();
        assert_eq!(c.levels, vec!["l01", OTHER]);
    }

    #[test]
    fn a_single_level_is_refused() {
        let err = Categorical::from_counts("c", &counts(&[("only", 5)]), 10, None).unwrap_err();
        assert!(err.message().contains("single level"), "{}", err.message());
    }

    #[test]
    fn unseen_levels_score_as_the_reference_by_default() {
        let c = Categorical::from_counts("c", &counts(&[("a", 1), ("b", 1)]), 10, None).unwrap();
        let design = Design::new(vec![("c".into(), Some(c))], Unseen::default());
        let mut out = [1.0];
        design.set_level(0, "new", &mut out, || "m".into()).unwrap();
        assert_eq!(out, [0.0]);
    }

    #[test]
    fn the_preprocessing_round_trips_and_is_checked_against_the_terms() {
        let c = Categorical::from_counts("c", &counts(&[("a", 1), ("b", 3)]), 10, None).unwrap();
        let design = Design::new(vec![("x".into(), None), ("c".into(), Some(c))], Unseen::Error);
        let mut pre = Preprocessing::new(crate::model::options::MissingPolicy::Error);
        design.to_preprocessing(&mut pre);
        let back = Design::from_preprocessing(&pre, design.terms()).unwrap();
        assert_eq!(back.terms(), design.terms());
        assert_eq!(back.unseen, Unseen::Error);
        assert!(Design::from_preprocessing(&pre, &["x".into()]).is_err());
        assert_eq!(back.imputed_terms(1), Some(vec![("c=b".to_string(), 1.0)]));
        // Versions with numeric inputs only store nothing.
        let mut plain = Preprocessing::default();
        Design::numeric(&["x".into()]).to_preprocessing(&mut plain);
        assert_eq!(plain.to_json(), json!({}));
    }

    #[test]
    fn min_frequency_is_a_count_or_a_share() {
        assert_eq!(parse_min_frequency(&json!(5)), Some(MinFrequency::Count(5)));
        assert_eq!(parse_min_frequency(&json!(0.05)), Some(MinFrequency::Share(0.05)));
        assert_eq!(parse_min_frequency(&json!(0)), None);
        assert_eq!(parse_min_frequency(&json!(1.5)), None);
        assert_eq!(parse_min_frequency(&json!("5")), None);
    }
}
