//! The train/test split: which rule decides a row's side, and whether the share of test
//! rows it produced is what `"test_fraction"` asked for.
//!
//! A hash split is a pure function of some of a row's values, so it is deterministic across
//! retrains and independent of the physical order of the rows. Rows with the same hashed
//! values always fall on the same side: that is the point of a customer key (no customer in
//! both sets), but when many rows share their values the realised share drifts from the
//! fraction. The rule is therefore chosen to separate as many rows as possible: the
//! caller's `"split_key"`, else the table's primary key (or a unique index over NOT NULL
//! columns), else the whole row as text, so only rows identical in every column stay
//! together.

use crate::error::{Error, Result};
use serde_json::{json, Value};

/// `"split": {"column": "first_order_date", "test_from": "2024-07-01"}`: the rows at or
/// after `test_from` are the test rows (an out-of-time split).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeSplit {
    pub column: String,
    /// A value of the column's type, as SQL text (a date, a timestamp, a number).
    pub test_from: String,
}

impl TimeSplit {
    pub fn parse(value: &Value) -> Result<TimeSplit> {
        let invalid = |reason: String| Error::InvalidOption {
            key: "split".into(),
            reason,
        };
        let map = value.as_object().ok_or_else(|| {
            invalid(format!(
                "must be an object such as {{\"column\": \"first_order_date\", \"test_from\": \"2024-07-01\"}}, got {value}"
            ))
        })?;
        if let Some(other) = map
            .keys()
            .find(|k| !["column", "test_from"].contains(&k.as_str()))
        {
            return Err(invalid(format!(
                "has an unknown field \"{other}\"; it takes \"column\" and \"test_from\""
            )));
        }
        let column = match map.get("column") {
            Some(Value::String(c)) if !c.is_empty() => c.clone(),
            other => {
                return Err(invalid(format!(
                    "\"column\" must be a column name, got {}",
                    other.map_or("nothing".to_string(), |v| v.to_string())
                )))
            }
        };
        let test_from = match map.get("test_from") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            other => {
                return Err(invalid(format!(
                    "\"test_from\" must be a value of the column's type (a date as text, a number), got {}",
                    other.map_or("nothing".to_string(), |v| v.to_string())
                )))
            }
        };
        Ok(TimeSplit { column, test_from })
    }
}

/// What decides whether a row is a test row.
#[derive(Debug, Clone, PartialEq)]
pub enum SplitRule {
    /// No test rows (`"test_fraction": 0`, or a kind without a target).
    None,
    /// A hash of the `"split_key"` column.
    SplitKey(String),
    /// A hash of the columns of the source's primary key or a unique index over NOT NULL
    /// columns (every row its own key).
    UniqueKey(Vec<String>),
    /// A hash of the whole row as text: rows that differ in any column are separated.
    WholeRow,
    /// `"split"`: the rows at or after a value of a column.
    Time(TimeSplit),
}

impl SplitRule {
    /// The rule as stored in a version's metrics.
    pub fn describe(&self) -> Value {
        match self {
            SplitRule::None => json!({"rule": "none"}),
            SplitRule::SplitKey(key) => json!({"rule": "split_key", "columns": [key]}),
            SplitRule::UniqueKey(columns) => json!({"rule": "unique_key", "columns": columns}),
            SplitRule::WholeRow => json!({"rule": "whole_row"}),
            SplitRule::Time(t) => json!({"rule": "time", "column": t.column, "test_from": t.test_from}),
        }
    }

    /// Whether the share of test rows is meant to be `"test_fraction"` (a hash rule).
    pub fn aims_at_fraction(&self) -> bool {
        matches!(
            self,
            SplitRule::SplitKey(_) | SplitRule::UniqueKey(_) | SplitRule::WholeRow
        )
    }
}

/// The largest deviation of a realised test share from `fraction` that binomial noise
/// explains for `n` rows: 3·√(f(1−f)/n) + 1/n.
pub fn share_tolerance(fraction: f64, n: i64) -> f64 {
    if n <= 0 {
        return f64::INFINITY;
    }
    let n = n as f64;
    3.0 * (fraction * (1.0 - fraction) / n).sqrt() + 1.0 / n
}

/// Whether `n_test` test rows out of `n` are further from `fraction` than noise explains.
pub fn share_deviates(fraction: f64, n_test: i64, n: i64) -> bool {
    n > 0 && ((n_test as f64 / n as f64) - fraction).abs() > share_tolerance(fraction, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tolerance_is_three_binomial_standard_errors_and_one_row() {
        // f = 0.2, n = 10,000: sd = 0.004, so 0.012 + 0.0001.
        assert!((share_tolerance(0.2, 10_000) - 0.0121).abs() < 1e-15);
        assert!(!share_deviates(0.2, 2_120, 10_000));
        assert!(share_deviates(0.2, 2_122, 10_000));
        assert!(share_deviates(0.2, 530, 10_000));
        // One row: the share is 0 or 1, and neither is more than noise for f = 0.2.
        assert!(!share_deviates(0.2, 1, 1));
        assert!(!share_deviates(0.2, 0, 0));
    }

    #[test]
    fn a_time_split_names_its_column_and_value() {
        let t = TimeSplit::parse(&json!({"column": "first_order", "test_from": "2024-07-01"})).unwrap();
        assert_eq!(t.column, "first_order");
        assert_eq!(t.test_from, "2024-07-01");
        assert_eq!(
            TimeSplit::parse(&json!({"column": "week", "test_from": 27}))
                .unwrap()
                .test_from,
            "27"
        );
        for bad in [
            json!("2024-07-01"),
            json!({"column": "d"}),
            json!({"test_from": "2024-07-01"}),
            json!({"column": "d", "test_from": "2024-07-01", "until": "2025"}),
            json!({"column": "", "test_from": "x"}),
        ] {
            let e = TimeSplit::parse(&bad).unwrap_err();
            assert_eq!(e.sqlstate(), "22023", "{bad}");
            assert!(e.message().contains("\"split\""), "{}", e.message());
        }
    }

    #[test]
    fn the_stored_description_says_which_rule() {
        assert_eq!(
            SplitRule::UniqueKey(vec!["id".into()]).describe(),
            json!({"rule": "unique_key", "columns": ["id"]})
        );
        assert!(SplitRule::WholeRow.aims_at_fraction());
        assert!(!SplitRule::Time(TimeSplit {
            column: "d".into(),
            test_from: "2024-07-01".into()
        })
        .aims_at_fraction());
    }
}
