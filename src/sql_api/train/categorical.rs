//! The vocabulary pass: the levels of each categorical feature among the training rows,
//! with their counts, before fitting. Levels are sorted by bytes (enums in declaration
//! order), so the reference level does not depend on the database's collation.

use super::{is_categorical, SourceColumns, TrainingSql};
use crate::error::{raise, OrRaise};
use crate::sql_api::quote_ident;
use cltv_core::error::Error;
use cltv_core::model::encoding::Categorical;
use cltv_core::model::options::TrainOptions;
use pgrx::prelude::*;

/// The vocabulary of each categorical feature, in feature order; empty if there is none.
pub(super) fn vocabularies(
    columns: &SourceColumns,
    target: Option<&str>,
    features: &[String],
    opts: &TrainOptions,
    imputation: &[(String, f64)],
    split_args: Vec<pgrx::datum::DatumWithOid<'static>>,
) -> Vec<(String, Categorical)> {
    let categorical: Vec<&String> = features
        .iter()
        .filter(|f| is_categorical(columns.find(f)))
        .collect();
    if categorical.is_empty() {
        return Vec::new();
    }
    let sql = TrainingSql::new(columns, target, features, opts, imputation, &[]);
    categorical
        .into_iter()
        .map(|f| {
            let quoted = format!("t.{}", quote_ident(f));
            let order = if columns.find(f).category == 'E' {
                quoted.clone()
            } else {
                format!("{quoted} COLLATE \"C\"")
            };
            let query = format!(
                "SELECT {quoted}::text, count(*) FROM {from}
                  WHERE {quoted} IS NOT NULL AND {complete} AND NOT {is_test}
                  GROUP BY {quoted} ORDER BY {order}",
                from = sql.from,
                complete = sql.complete,
                is_test = sql.is_test,
            );
            let counts = Spi::connect(|client| {
                client
                    .select(&query, None, &split_args)?
                    .map(|row| {
                        Ok((
                            row.get::<String>(1)?.unwrap_or_default(),
                            row.get::<i64>(2)?.unwrap_or(0) as u64,
                        ))
                    })
                    .collect::<Result<Vec<_>, pgrx::spi::SpiError>>()
            })
            .unwrap_or_else(|e| {
                raise(Error::Internal {
                    reason: format!("the vocabulary pass over \"{f}\" failed: {e}"),
                })
            });
            let mut vocabulary =
                Categorical::from_counts(f, &counts, opts.max_categories, opts.min_frequency).or_raise();
            if !opts.missing_for(f).imputes() {
                vocabulary.imputed = None;
            }
            (f.clone(), vocabulary)
        })
        .collect()
}
