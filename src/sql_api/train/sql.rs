//! The SQL of one training call: the source's columns, how each feature, the target, the
//! train/test split and the row checks read in SQL, every identifier quoted once here.

use super::{quote_ident, quote_literal};
use crate::error::raise;
use crate::sql_api::agg_state::MAX_COLUMN_FEATURES;
use crate::trusted_sql::cltv_function;
use cltv_core::error::Error;
use cltv_core::model::encoding::{Categorical, OTHER};
use cltv_core::model::options::TrainOptions;
use cltv_core::split::SplitRule;
use pgrx::prelude::*;
use pgrx::PgRelation;

/// A column of the source relation, as the catalog describes it.
pub(super) struct Column {
    pub(super) name: String,
    pub(super) type_name: String,
    /// pg_type.typcategory: 'N' numeric, 'B' boolean, ...
    pub(super) category: char,
    pub(super) type_oid: pg_sys::Oid,
}

/// Whether PostgreSQL has a seeded (extended) hash for values of `type_oid`, as
/// `hash_record_extended` needs for every column (json, point and xml have none).
pub(super) fn has_extended_hash(type_oid: pg_sys::Oid) -> bool {
    // SAFETY: lookup_type_cache is called in a transaction with a type oid read from
    // pg_attribute; it returns a pointer into the backend's type cache, valid until the
    // next cache invalidation, and we read one field from it at once.
    unsafe {
        let entry = pg_sys::lookup_type_cache(type_oid, pg_sys::TYPECACHE_HASH_EXTENDED_PROC as i32);
        !entry.is_null() && (*entry).hash_extended_proc != pg_sys::InvalidOid
    }
}

pub(super) fn relation_columns(relation: pg_sys::Oid) -> Vec<Column> {
    Spi::connect(|client| {
        let rows = client.select(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text, a.atttypid
               FROM pg_catalog.pg_attribute a
               JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
              WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
              ORDER BY a.attnum",
            None,
            &[relation.into()],
        )?;
        rows.into_iter()
            .map(|r| {
                Ok(Column {
                    name: r.get::<String>(1)?.unwrap_or_default(),
                    type_name: r.get::<String>(2)?.unwrap_or_default(),
                    category: r.get::<String>(3)?.and_then(|c| c.chars().next()).unwrap_or('X'),
                    type_oid: r.get::<pg_sys::Oid>(4)?.unwrap_or(pg_sys::InvalidOid),
                })
            })
            .collect::<Result<Vec<_>, pgrx::spi::SpiError>>()
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("reading the columns of the source: {e}"),
        })
    })
}

/// The SQL pieces of one training call, every identifier quoted once here.
#[derive(Clone)]
pub(super) struct TrainingSql {
    /// `"schema"."name"` of the source.
    pub(super) quoted_source: String,
    pub(super) from: String,
    /// `t.col::float8` for the target and each feature.
    pub(super) target: String,
    /// The target as a class: a boolean target itself, a numeric one `= 1` (what the
    /// logistic passes after the first read; the first has checked the values).
    pub(super) label: String,
    pub(super) features: Vec<String>,
    /// (name, `t.col::float8`, or `t.col` if categorical) of the target and each feature,
    /// for diagnostics.
    pub(super) columns: Vec<(String, String)>,
    /// The categorical features (never NaN or Infinity).
    pub(super) categorical: Vec<String>,
    /// `"group_by"`: the group columns, `t."country"`, …; `rows()` has them as `g1`, `g2`, ….
    pub(super) group_columns: Vec<String>,
    /// Is this row in the test split? Uses $1 (fraction) and $2 (seed).
    pub(super) is_test: String,
    /// The rule `is_test` applies.
    pub(super) split_rule: SplitRule,
    pub(super) complete: String,
    pub(super) finite: String,
}

/// The columns of a source relation, looked up by name.
pub(super) struct SourceColumns {
    /// `schema.name`, for messages.
    pub(super) name: String,
    /// `"schema"."name"`, quoted, for SQL text.
    pub(super) quoted_name: String,
    pub(super) columns: Vec<Column>,
    /// The columns of its primary key, else of a unique index over NOT NULL columns (the
    /// fewest columns, then the index name): every row its own value. None for a view.
    pub(super) unique_key: Option<Vec<String>>,
}

/// See [`SourceColumns::unique_key`]. Partial and expression indexes do not count, nor
/// one not yet valid.
pub(super) fn unique_key(relation: pg_sys::Oid) -> Option<Vec<String>> {
    Spi::connect(|client| {
        let rows = client.select(
            "SELECT array_agg(a.attname::text ORDER BY k.ord)
               FROM pg_catalog.pg_index i
               JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
               CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
              WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indimmediate
                AND i.indpred IS NULL AND i.indexprs IS NULL
              GROUP BY i.indexrelid, i.indisprimary, c.relname
             HAVING bool_and(a.attnotnull)
              ORDER BY i.indisprimary DESC, count(*), c.relname
              LIMIT 1",
            None,
            &[relation.into()],
        )?;
        match rows.into_iter().next() {
            None => Ok(None),
            Some(row) => row.get::<Vec<String>>(1),
        }
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("reading the unique key of the source: {e}"),
        })
    })
}

impl SourceColumns {
    pub(super) fn of(source: &PgRelation) -> SourceColumns {
        SourceColumns {
            name: format!("{}.{}", source.namespace(), source.name()),
            quoted_name: format!(
                "{}.{}",
                quote_ident(source.namespace()),
                quote_ident(source.name())
            ),
            columns: relation_columns(source.oid()),
            unique_key: unique_key(source.oid()),
        }
    }

    /// The column `name`, or an error that names it (with a near miss in case).
    pub(super) fn find(&self, name: &str) -> &Column {
        self.columns.iter().find(|c| c.name == name).unwrap_or_else(|| {
            let near = cltv_core::suggest::nearest(name, self.columns.iter().map(|c| c.name.as_str()))
                .map(str::to_string);
            raise(Error::UndefinedColumn {
                relation: self.name.clone(),
                column: name.to_string(),
                suggestion: near,
            })
        })
    }

    /// `t."name"` as float8: numbers cast, booleans as 0/1, anything else an error.
    pub(super) fn float8(&self, name: &str) -> String {
        let column = self.find(name);
        let quoted = format!("t.{}", quote_ident(name));
        match column.category {
            'N' => format!("{quoted}::float8"),
            'B' => format!("{quoted}::int::float8"),
            _ => raise(Error::NonNumericColumn {
                column: name.to_string(),
                type_name: column.type_name.clone(),
            }),
        }
    }
}

/// Text and enum columns are one-hot encoded; booleans are numbers (0/1: the one-hot
/// encoding with `false` as the reference).
pub(super) fn is_categorical(column: &Column) -> bool {
    matches!(column.category, 'S' | 'E')
}

impl TrainingSql {
    /// `target` is `None` for the kinds without one (BG/NBD, Gamma-Gamma): `y` is then NULL.
    /// A numeric feature in `imputation` reads `coalesce(value, imputed)`, a categorical one
    /// under an imputing policy its most frequent level; neither makes a row incomplete. The
    /// train/test split hashes the values as stored, before imputation. A categorical feature
    /// becomes one 0/1 term per level of its vocabulary; without one (the vocabulary pass
    /// itself) it has no terms yet.
    pub(super) fn new(
        source_columns: &SourceColumns,
        target: Option<&str>,
        features: &[String],
        opts: &TrainOptions,
        imputation: &[(String, f64)],
        vocabularies: &[(String, Categorical)],
    ) -> TrainingSql {
        let from = format!("{} AS t", source_columns.quoted_name);
        let find = |name: &str| source_columns.find(name);
        let as_float8 = |name: &str| source_columns.float8(name);
        let target_sql = target.map(as_float8);
        let label = match target.map(|t| (t, find(t).category)) {
            Some((t, 'B')) => format!("t.{}", quote_ident(t)),
            Some(_) => format!("{} = 1", target_sql.as_deref().unwrap_or_default()),
            None => "NULL::boolean".to_string(),
        };
        let imputed = |name: &str| imputation.iter().find(|(f, _)| f == name).map(|(_, v)| *v);
        let mut columns: Vec<(String, String)> = target
            .iter()
            .map(|t| t.to_string())
            .zip(target_sql.clone())
            .collect();
        // Per term, its SQL; the features whose NULLs are imputed.
        let mut feature_sql = Vec::new();
        let mut fills_nulls = Vec::new();
        let mut categorical = Vec::new();
        let mut numeric_values: Vec<(String, String)> = columns.clone();
        for f in features {
            let quoted = format!("t.{}", quote_ident(f));
            if is_categorical(find(f)) {
                let text = format!("{quoted}::text");
                columns.push((f.clone(), quoted));
                categorical.push(f.clone());
                let imputes = opts.missing_for(f).imputes();
                if imputes {
                    fills_nulls.push(f.clone());
                }
                let Some((_, vocabulary)) = vocabularies.iter().find(|(c, _)| c == f) else {
                    continue;
                };
                let value = match (&vocabulary.imputed, imputes) {
                    (Some(level), true) => format!("coalesce({text}, {})", quote_literal(level)),
                    _ => text,
                };
                for level in &vocabulary.levels {
                    let mut matched = vec![quote_literal(level)];
                    if level == OTHER {
                        matched.extend(vocabulary.folded.iter().map(|l| quote_literal(l)));
                    }
                    feature_sql.push(format!("(({value}) IN ({}))::int::float8", matched.join(", ")));
                }
            } else {
                let raw = as_float8(f);
                columns.push((f.clone(), raw.clone()));
                // The imputed values are numbers cltv computed, written as float8 literals.
                let value = match imputed(f) {
                    Some(v) => {
                        fills_nulls.push(f.clone());
                        format!("coalesce({raw}, '{v:?}'::float8)")
                    }
                    None => raw,
                };
                numeric_values.push((f.clone(), value.clone()));
                feature_sql.push(value);
            }
        }
        let split_rule = match (&opts.time_split, &opts.split_key, &source_columns.unique_key) {
            (Some(time), _, _) => {
                find(&time.column);
                SplitRule::Time(time.clone())
            }
            _ if opts.test_fraction == 0.0 => SplitRule::None,
            (None, Some(key), _) => {
                find(key);
                SplitRule::SplitKey(key.clone())
            }
            (None, None, Some(unique)) => SplitRule::UniqueKey(unique.clone()),
            (None, None, None) => SplitRule::WholeRow,
        };
        let hash_of = |columns: &[String]| match columns {
            [one] => format!("hashtextextended(t.{}::text, $2)", quote_ident(one)),
            many => format!(
                "hashtextextended(ROW({})::text, $2)",
                many.iter()
                    .map(|c| format!("t.{}", quote_ident(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        // A NULL key (no customer) or time puts the row on the training side, in every pass.
        let below_fraction = |key: String| format!("coalesce((({key}) & 16777215) < $1 * 16777216, false)");
        let is_test = match &split_rule {
            SplitRule::None => "false".to_string(),
            SplitRule::SplitKey(key) => below_fraction(hash_of(std::slice::from_ref(key))),
            SplitRule::UniqueKey(columns) => below_fraction(hash_of(columns)),
            // The whole row: rows that differ in any column are separated; only rows
            // identical in every column stay together. Hashing the values is several times
            // cheaper than hashing the row's text, which only types without a hash need.
            SplitRule::WholeRow => below_fraction(
                if source_columns
                    .columns
                    .iter()
                    .all(|c| has_extended_hash(c.type_oid))
                {
                    "hash_record_extended(ROW(t.*), $2)".to_string()
                } else {
                    "hashtextextended(ROW(t.*)::text, $2)".to_string()
                },
            ),
            // The value is a literal of the column's type, as PostgreSQL reads `col >= 'text'`.
            SplitRule::Time(time) => format!(
                "coalesce(t.{} >= {}, false)",
                quote_ident(&time.column),
                quote_literal(&time.test_from)
            ),
        };
        let not_null: Vec<String> = columns
            .iter()
            .filter(|(name, _)| !fills_nulls.contains(name) || Some(name.as_str()) == target)
            .map(|(name, _)| format!("t.{} IS NOT NULL", quote_ident(name)))
            .collect();
        let complete = if not_null.is_empty() {
            "true".to_string()
        } else {
            not_null.join(" AND ")
        };
        // NaN compares greater than every number in PostgreSQL, so this is false for NaN too.
        // Integers and booleans cannot hold NaN or Infinity: no per-row check for them.
        let can_be_nonfinite = |name: &str| {
            let column = find(name);
            column.category == 'N' && !["smallint", "integer", "bigint"].contains(&column.type_name.as_str())
        };
        let finite_checks: Vec<String> = numeric_values
            .iter()
            .filter(|(name, _)| can_be_nonfinite(name))
            .map(|(_, expr)| format!("abs({expr}) < 'Infinity'::float8"))
            .collect();
        let finite = if finite_checks.is_empty() {
            "true".to_string()
        } else {
            finite_checks.join(" AND ")
        };
        let group_columns = opts
            .group_by
            .iter()
            .map(|g| {
                find(g);
                format!("t.{}", quote_ident(g))
            })
            .collect();
        TrainingSql {
            group_columns,
            quoted_source: source_columns.quoted_name.clone(),
            from,
            target: target_sql.unwrap_or_else(|| "NULL::float8".to_string()),
            label,
            features: feature_sql,
            columns,
            categorical,
            is_test,
            split_rule,
            complete,
            finite,
        }
    }

    pub(super) fn is_grouped(&self) -> bool {
        !self.group_columns.is_empty()
    }

    /// `GROUP BY` of a pass over `rows()`: the group columns as they are (cheap to hash).
    pub(super) fn group_by(&self) -> String {
        (1..=self.group_columns.len())
            .map(|i| format!("s.g{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The group key of a `group_by()` pass, computed once per group: a JSON array of the
    /// columns' text values (NULL as null), which `GroupedFits::parse_key` reads.
    pub(super) fn group_key(&self) -> String {
        let parts: Vec<String> = (1..=self.group_columns.len())
            .map(|i| format!("s.g{i}::text"))
            .collect();
        format!("jsonb_build_array({})::text", parts.join(", "))
    }

    /// The `_columns` form of an aggregate, qualified, and the features one by one
    /// (`s.c1, s.c2, …`) to call it with: `None` (use the array `s.x`) if the installed SQL
    /// lacks `function` (before 0.3.0) or the model has more features than fit in a call.
    pub(super) fn column_arguments(&self, function: &str) -> Option<(String, String)> {
        let p = self.features.len();
        if p > MAX_COLUMN_FEATURES {
            return None;
        }
        let function = cltv_function(function)?;
        Some((
            function,
            (1..=p).map(|j| format!("s.c{j}")).collect::<Vec<_>>().join(", "),
        ))
    }

    pub(super) fn feature_array(&self) -> String {
        format!("ARRAY[{}]", self.features.join(", "))
    }

    /// The rows of a fitting pass as `s(y, label, x, is_test, complete, finite)` with the features
    /// also one by one as `c1`, `c2`, …, and `g1`, `g2`, …, the group columns, under
    /// `"group_by"`.
    pub(super) fn rows(&self) -> String {
        format!(
            "(SELECT {target} AS y, {label} AS label, {x} AS x, {is_test} AS is_test,
                     {complete} AS complete, {finite} AS finite{columns}{group}
                FROM {from}) AS s",
            // Each feature on its own as well, for the aggregates that take columns; a
            // query computes only what it reads of a subquery like this one.
            columns = numbered_columns(&self.features, "c"),
            group = numbered_columns(&self.group_columns, "g"),
            target = self.target,
            label = self.label,
            x = self.feature_array(),
            is_test = self.is_test,
            complete = self.complete,
            finite = self.finite,
            from = self.from,
        )
    }

    /// Aggregates over `rows()` that every kind's first pass reports (see `RowCounts`).
    pub(super) const ROW_COUNTS: &'static str = "count(*),
             count(*) FILTER (WHERE s.complete AND s.is_test),
             count(*) FILTER (WHERE NOT s.complete),
             count(*) FILTER (WHERE s.complete AND NOT s.finite)";
}

/// `, e1 AS p1, e2 AS p2, …`: select-list entries naming each expression by `prefix` and
/// its position from 1.
pub(super) fn numbered_columns(expressions: &[String], prefix: &str) -> String {
    expressions
        .iter()
        .enumerate()
        .map(|(i, e)| format!(", {e} AS {prefix}{}", i + 1))
        .collect()
}
