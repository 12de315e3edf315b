//! One model per group (`"group_by"`): the group keys a version stores, each group's
//! coefficients, and the pooled model (the fit over every training row) that groups too
//! small to fit fall back to under `"group_fallback": "pooled"`.
//!
//! A key is the group columns' values as text (NULL is a value of its own, as in GROUP BY).
//! Scoring encodes a row's key into a reusable buffer, so a lookup allocates nothing.

use crate::error::{Error, Result};
use crate::model::scoring::{ModelKind, Scorer};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What a group that cannot be fitted (too few rows, a feature constant within it, …) or a
/// group training never saw gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupFallback {
    /// An error naming the group (the default).
    #[default]
    Error,
    /// The pooled model, fitted on every training row.
    Pooled,
}

/// One group's value of each group column.
pub type GroupKey = Vec<Option<String>>;

/// The groups of a version, as `preprocessing.groups` stores them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredGroups {
    pub columns: Vec<String>,
    pub fallback: GroupFallback,
    pub keys: Vec<GroupKey>,
    /// Per key, its coefficients; `None` where the group uses the pooled model.
    pub coefficients: Vec<Option<Vec<f64>>>,
}

/// Separates values in an encoded key; NULL is a byte no text value holds.
const SEPARATOR: char = '\u{1f}';
const NULL: char = '\u{0}';

/// Append one group column's value to an encoded key.
pub fn push_key_part(buf: &mut String, value: Option<&str>) {
    if !buf.is_empty() {
        buf.push(SEPARATOR);
    }
    match value {
        Some(v) => buf.push_str(v),
        None => buf.push(NULL),
    }
}

fn encode(key: &GroupKey) -> String {
    let mut buf = String::new();
    for part in key {
        push_key_part(&mut buf, part.as_deref());
    }
    buf
}

/// `country=US, segment=b2b`, for messages.
pub fn describe_key(columns: &[String], key: &GroupKey) -> String {
    columns
        .iter()
        .zip(key)
        .map(|(c, v)| match v {
            Some(v) => format!("{c}={v}"),
            None => format!("{c}=NULL"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The scorers of a grouped version.
#[derive(Debug)]
pub struct GroupScorers {
    stored: StoredGroups,
    index: HashMap<String, usize>,
    /// Per key, its scorer; `None`: the pooled one.
    scorers: Vec<Option<Scorer>>,
}

impl GroupScorers {
    pub fn new(kind: ModelKind, stored: StoredGroups, n_coefficients: usize) -> Result<GroupScorers> {
        let corrupt = |reason: String| Error::CorruptModel {
            reason: format!("preprocessing.groups: {reason}"),
        };
        if stored.columns.is_empty() || stored.keys.len() != stored.coefficients.len() {
            return Err(corrupt(
                "needs columns, and one coefficient vector (or null) per key".into(),
            ));
        }
        let mut index = HashMap::with_capacity(stored.keys.len());
        for (i, key) in stored.keys.iter().enumerate() {
            if key.len() != stored.columns.len() || index.insert(encode(key), i).is_some() {
                return Err(corrupt(format!("key {key:?} is malformed or repeated")));
            }
        }
        let scorers = stored
            .coefficients
            .iter()
            .map(|c| match c {
                Some(c) if c.len() == n_coefficients => Scorer::new(kind, c).map(Some),
                Some(c) => Err(corrupt(format!(
                    "{} coefficients, expected {n_coefficients}",
                    c.len()
                ))),
                None => Ok(None),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(GroupScorers {
            stored,
            index,
            scorers,
        })
    }

    pub fn columns(&self) -> &[String] {
        &self.stored.columns
    }

    /// The group of the encoded key `key`: `Some(i)` for group i with a model of its own,
    /// `None` for the pooled model (a group that fell back, or an unknown group under
    /// `Pooled`); an error that names an unknown group under `Error`.
    pub fn group_index(&self, key: &str, model: impl Fn() -> String) -> Result<Option<usize>> {
        match self.index.get(key) {
            Some(&i) => Ok(self.scorers[i].as_ref().map(|_| i)),
            None if self.stored.fallback == GroupFallback::Pooled => Ok(None),
            None => {
                let parts: GroupKey = key
                    .split(SEPARATOR)
                    .map(|p| (p != NULL.to_string()).then(|| p.to_string()))
                    .collect();
                Err(Error::UnknownGroup {
                    model: model(),
                    group: describe_key(&self.stored.columns, &parts),
                })
            }
        }
    }

    /// The scorer for the encoded key `key`: its group's, or `pooled` (see `group_index`).
    pub fn scorer<'a>(
        &'a self,
        key: &str,
        pooled: &'a Scorer,
        model: impl Fn() -> String,
    ) -> Result<&'a Scorer> {
        Ok(match self.group_index(key, model)? {
            Some(i) => self.scorers[i].as_ref().expect("a group with a model"),
            None => pooled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(fallback: GroupFallback) -> StoredGroups {
        StoredGroups {
            columns: vec!["country".into()],
            fallback,
            keys: vec![vec![Some("US".into())], vec![None], vec![Some("FR".into())]],
            coefficients: vec![Some(vec![1.0, 2.0]), Some(vec![5.0, 0.0]), None],
        }
    }

    fn key(parts: &[Option<&str>]) -> String {
        let mut buf = String::new();
        for p in parts {
            push_key_part(&mut buf, *p);
        }
        buf
    }

    #[test]
    fn each_group_scores_with_its_own_coefficients() {
        let pooled = Scorer::new(ModelKind::Linear, &[10.0, 0.0]).unwrap();
        let groups = GroupScorers::new(ModelKind::Linear, stored(GroupFallback::Error), 2).unwrap();
        let score = |k: &str| {
            groups
                .scorer(k, &pooled, || "m@1".into())
                .map(|s| s.predict(&[3.0], None).unwrap())
        };
        assert_eq!(score(&key(&[Some("US")])).unwrap(), 7.0);
        assert_eq!(score(&key(&[None])).unwrap(), 5.0, "NULL is a group of its own");
        assert_eq!(
            score(&key(&[Some("FR")])).unwrap(),
            10.0,
            "a group that fell back"
        );
        let err = score(&key(&[Some("DE")])).unwrap_err();
        assert!(err.message().contains("country=DE"), "{}", err.message());
        let lenient = GroupScorers::new(ModelKind::Linear, stored(GroupFallback::Pooled), 2).unwrap();
        let pooled_score = lenient.scorer(&key(&[Some("DE")]), &pooled, String::new).unwrap();
        assert_eq!(pooled_score.predict(&[3.0], None).unwrap(), 10.0);
    }

    #[test]
    fn keys_of_several_columns_do_not_collide() {
        assert_ne!(key(&[Some("a"), Some("")]), key(&[Some("a"), None]));
        assert_ne!(
            key(&[Some("a"), Some("b")]),
            key(&[Some("a\u{1f}b")]).replace('\u{1f}', "|")
        );
        assert_eq!(
            describe_key(&["a".into(), "b".into()], &vec![Some("x".into()), None]),
            "a=x, b=NULL"
        );
    }

    #[test]
    fn malformed_groups_are_refused() {
        let mut s = stored(GroupFallback::Error);
        s.keys[1] = s.keys[0].clone();
        assert!(GroupScorers::new(ModelKind::Linear, s, 2).is_err());
        assert!(GroupScorers::new(ModelKind::Linear, stored(GroupFallback::Error), 3).is_err());
    }
}
