//! Missing values beyond the default: per-feature policies, and imputation with the mean,
//! the exact median, zero or the most frequent value of the training rows, found in one
//! pass before fitting (a text column's most frequent level by the vocabulary pass).

use super::{SourceColumns, TrainingSql};
use crate::error::raise;
use crate::sql_api::quote_ident;
use cltv_core::error::Error;
use cltv_core::model::options::{MissingPolicy, TrainOptions};
use pgrx::prelude::*;

/// What the pre-pass found: the value imputed for each imputed numeric feature, and how
/// many values imputation replaces among the rows training uses (categorical features
/// included: their NULLs take the most frequent level, found by the vocabulary pass).
pub(super) struct Imputation {
    pub values: Vec<(String, f64)>,
    pub counts: serde_json::Map<String, serde_json::Value>,
}

/// `None` when every column follows the plain `"error"` or `"drop"` policy (no pre-pass).
/// Raises for an unknown feature in `missing_by_feature`, for NULLs in a column whose
/// policy is `"error"`, and for a feature with no value to impute from.
pub(super) fn prepare(
    columns: &SourceColumns,
    target: Option<&str>,
    features: &[String],
    opts: &TrainOptions,
    split_args: Vec<pgrx::datum::DatumWithOid<'static>>,
) -> Option<Imputation> {
    if opts.missing_by_feature.is_empty() && !opts.missing.imputes() {
        return None;
    }
    if let Some((name, _)) = opts
        .missing_by_feature
        .iter()
        .find(|(f, _)| !features.contains(f))
    {
        raise(Error::InvalidOption {
            key: format!("missing_by_feature.{name}"),
            reason: format!("\"{name}\" is not one of the features ({})", features.join(", ")),
        })
    }
    let imputed: Vec<&String> = features
        .iter()
        .filter(|f| opts.missing_for(f).imputes())
        .collect();
    // Placeholders give the completeness test of the columns that are not imputed.
    let placeholders: Vec<(String, f64)> = imputed.iter().map(|f| (f.to_string(), 0.0)).collect();
    let sql = TrainingSql::new(columns, target, features, opts, &placeholders, &[]);
    // A text column's imputation is its most frequent level: a number policy named for it
    // is a mistake. (The default "missing" policy imputes numbers as it says and text
    // columns with their most frequent level.)
    if let Some((column, policy)) = opts
        .missing_by_feature
        .iter()
        .find(|(f, p)| p.imputes_a_number() && sql.categorical.contains(f))
    {
        raise(Error::NumberPolicyOnText {
            column: column.clone(),
            policy: policy.as_str().to_string(),
            type_name: columns.find(column).type_name.clone(),
        })
    }

    let mut checked: Vec<&str> = features
        .iter()
        .filter(|f| opts.missing_for(f) == MissingPolicy::Error)
        .map(|f| f.as_str())
        .collect();
    if opts.missing == MissingPolicy::Error {
        checked.extend(target);
    }
    let mut selects: Vec<String> = checked
        .iter()
        .map(|c| format!("count(*) FILTER (WHERE t.{} IS NULL)", quote_ident(c)))
        .collect();
    for f in &imputed {
        if sql.categorical.contains(f) {
            selects.push("NULL::float8".to_string());
            selects.push(format!(
                "count(*) FILTER (WHERE t.{} IS NULL AND {complete})::float8",
                quote_ident(f),
                complete = sql.complete
            ));
            continue;
        }
        let x = columns.float8(f);
        selects.push(match opts.missing_for(f) {
            MissingPolicy::Mean => format!("avg({x}) FILTER (WHERE NOT {is_test})", is_test = sql.is_test),
            MissingPolicy::Median => format!(
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY {x}) FILTER (WHERE NOT {is_test})",
                is_test = sql.is_test
            ),
            // The smallest of the most frequent values, as scikit-learn's "most_frequent".
            MissingPolicy::MostFrequent => format!(
                "mode() WITHIN GROUP (ORDER BY {x}) FILTER (WHERE NOT {is_test})",
                is_test = sql.is_test
            ),
            _ => "0::float8".to_string(),
        });
        selects.push(format!(
            "count(*) FILTER (WHERE {x} IS NULL AND {complete})::float8",
            complete = sql.complete
        ));
    }
    let query = format!("SELECT {} FROM {}", selects.join(", "), sql.from);
    let results: Vec<Option<f64>> = Spi::connect(|client| {
        let row = client.select(&query, None, &split_args)?.first();
        let mut out = Vec::with_capacity(selects.len());
        for (i, _) in checked.iter().enumerate() {
            out.push(row.get::<i64>(i + 1)?.map(|n| n as f64));
        }
        for i in checked.len()..selects.len() {
            out.push(row.get::<f64>(i + 1)?);
        }
        Ok::<_, pgrx::spi::SpiError>(out)
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("the missing-value pass failed: {e}"),
        })
    });
    for (column, nulls) in checked.iter().zip(&results) {
        let nulls = nulls.unwrap_or(0.0) as u64;
        if nulls > 0 {
            raise(Error::NullValues {
                column: Some(column.to_string()),
                rows: nulls,
                detail: Some(if sql.categorical.iter().any(|c| c == column) {
                    format!(
                        "The missing-value policy of \"{column}\" is \"error\"; choose \"drop\" or \"most_frequent\" for it in \"missing_by_feature\"."
                    )
                } else {
                    format!(
                        "The missing-value policy of \"{column}\" is \"error\"; choose \"drop\", \"mean\", \"median\", \"zero\" or \"most_frequent\" for it in \"missing_by_feature\"."
                    )
                }),
            })
        }
    }
    let mut values = Vec::new();
    let mut counts = serde_json::Map::new();
    for (j, f) in imputed.iter().enumerate() {
        let value = results[checked.len() + 2 * j];
        let count = results[checked.len() + 2 * j + 1].unwrap_or(0.0);
        counts.insert(f.to_string(), (count as u64).into());
        if sql.categorical.contains(f) {
            continue;
        }
        let Some(value) = value else {
            raise(Error::InvalidArgument {
                what: format!("feature \"{f}\""),
                reason: "has no value in any training row to impute its NULLs from".into(),
            })
        };
        values.push((f.to_string(), value));
    }
    Some(Imputation { values, counts })
}
