//! What a training call tells its user besides the model: NOTICEs (collinearity, a skewed
//! split), the errors that name a column and count its rows, the argument checks.

use super::context::TrainContext;
use super::sql::TrainingSql;
use crate::error::{raise, OrRaise};
use cltv_core::error::Error;
use cltv_core::model::scoring::check_model_name;
use cltv_core::split::SplitRule;
use pgrx::prelude::*;

/// A NOTICE when features are nearly collinear: a VIF above 10 or a condition number above
/// 1e6. The fit is still exact; its coefficients are just hard to interpret one by one.
pub(super) fn warn_collinearity(names: &[String], vif: &[Option<f64>], condition_number: Option<f64>) {
    use cltv_core::evaluation::explain::{CONDITION_WARNING, VIF_WARNING};
    // At most SHOWN features, the largest VIFs, in the model's order: a wide model can have
    // hundreds, and cltv_coefficients lists every one.
    const SHOWN: usize = 10;
    let mut high: Vec<(usize, &String, f64)> = names
        .iter()
        .zip(vif)
        .enumerate()
        .filter_map(|(i, (name, v))| v.filter(|v| *v > VIF_WARNING).map(|v| (i, name, v)))
        .collect();
    let more = high.len().saturating_sub(SHOWN);
    if more > 0 {
        high.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        high.truncate(SHOWN);
        high.sort_by_key(|h| h.0);
    }
    if !high.is_empty() {
        let listed: Vec<String> = high
            .iter()
            .map(|(_, name, v)| format!("{name} ({v:.1})"))
            .collect();
        let rest = if more > 0 {
            format!(" and {more} more (cltv_coefficients lists every VIF)")
        } else {
            String::new()
        };
        notice!(
            "features with a variance inflation factor above {VIF_WARNING}: {}{rest}; their coefficients are unstable, consider dropping or combining some",
            listed.join(", ")
        );
    }
    if let Some(c) = condition_number.filter(|c| *c > CONDITION_WARNING) {
        notice!("the design's condition number is {c:.3e} (above {CONDITION_WARNING:e}): rescale the features or drop near-duplicates");
    }
}

/// The split's rule and realised share of test rows, for the metrics; a NOTICE when a hash
/// split's share is further from `"test_fraction"` than binomial noise explains.
pub(super) fn split_metrics(ctx: &TrainContext, n_train: i64, n_test: i64) -> serde_json::Value {
    let rule = &ctx.sql.split_rule;
    let mut split = rule.describe();
    let n = n_train + n_test;
    if *rule == SplitRule::None || n == 0 {
        return split;
    }
    let share = n_test as f64 / n as f64;
    split["test_share"] = share.into();
    if rule.aims_at_fraction() {
        let fraction = ctx.opts.test_fraction;
        split["test_fraction"] = fraction.into();
        // Only rows identical in every column can skew a whole-row split; rows sharing a
        // "split_key" stay together by the caller's choice.
        if *rule == SplitRule::WholeRow && cltv_core::split::share_deviates(fraction, n_test, n) {
            notice!(
                "the test split holds {:.1}% of the {n} rows, not the {:.1}% of \"test_fraction\": rows identical in every column fall on the same side, and the source has no primary key; give \"split_key\" a column that tells the rows apart",
                share * 100.0,
                fraction * 100.0
            );
        }
    }
    split
}

/// Only on the error path: which column holds the NULLs, and how many.
pub(super) fn null_error(sql: &TrainingSql, rows: i64) -> Error {
    let counts = column_counts(sql, |_, quoted| {
        format!("count(*) FILTER (WHERE {quoted} IS NULL)")
    });
    let (column, count) = counts.iter().find(|(_, n)| *n > 0).cloned().unwrap_or_default();
    Error::NullValues {
        column: Some(column),
        rows: count as u64,
        detail: Some(format!(
            "{rows} rows have a NULL target or feature: {}",
            describe_counts(&counts)
        )),
    }
}

/// Only on the error path: which column holds NaN or Infinity, with an example.
pub(super) fn nonfinite_error(sql: &TrainingSql) -> Error {
    let counts = column_counts(sql, |name, quoted| {
        if sql.categorical.iter().any(|c| c == name) {
            "0".to_string()
        } else {
            format!("count(*) FILTER (WHERE NOT abs({quoted}) < 'Infinity')")
        }
    });
    let (column, count) = counts.iter().find(|(_, n)| *n > 0).cloned().unwrap_or_default();
    let expr = &sql
        .columns
        .iter()
        .find(|(name, _)| *name == column)
        .expect("counted column")
        .1;
    let example = Spi::get_one::<String>(&format!(
        "SELECT ({expr})::text FROM {} WHERE NOT abs({expr}) < 'Infinity' LIMIT 1",
        sql.from
    ))
    .ok()
    .flatten()
    .and_then(|text| text.parse::<f64>().ok());
    Error::NonFinite {
        column,
        value: example,
        rows: count as u64,
    }
}

pub(super) fn column_counts(
    sql: &TrainingSql,
    count_expr: impl Fn(&str, &str) -> String,
) -> Vec<(String, i64)> {
    let selects: Vec<String> = sql
        .columns
        .iter()
        .map(|(name, expr)| count_expr(name, expr))
        .collect();
    let query = format!("SELECT ARRAY[{}]::int8[] FROM {}", selects.join(", "), sql.from);
    let counts = Spi::get_one::<Vec<i64>>(&query)
        .ok()
        .flatten()
        .unwrap_or_default();
    sql.columns
        .iter()
        .map(|(name, _)| name.clone())
        .zip(counts)
        .collect()
}

pub(super) fn describe_counts(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{c}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn check_names(model: &str, target: Option<&str>, features: &[String]) {
    check_model_name(model).or_raise();
    if features.is_empty() {
        raise(Error::InvalidArgument {
            what: "features".into(),
            reason: "must name at least one column".into(),
        })
    }
    for (i, f) in features.iter().enumerate() {
        if features[..i].contains(f) {
            raise(Error::InvalidArgument {
                what: format!("feature \"{f}\""),
                reason: "is listed twice".into(),
            })
        }
        if Some(f.as_str()) == target {
            raise(Error::InvalidArgument {
                what: format!("feature \"{f}\""),
                reason: "is also the target; a model cannot use its target as a feature".into(),
            })
        }
    }
}
