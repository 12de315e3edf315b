//! `cltv_train`: fit a model over any table or view and store it as a new version.
//!
//! Every query here runs through SPI as the calling user, so table privileges and
//! row-level security apply to training exactly as to a SELECT. Identifiers are quoted with
//! `quote_identifier`; values travel as SPI arguments.

use crate::catalog::{self, Deploy, NewVersion};
use crate::error::{raise, OrRaise};
use crate::jsonb_arg::JsonbArg;
use crate::settings;
use crate::sql_api::agg_state::MAX_COLUMN_FEATURES;
use crate::sql_api::{quote_ident, quote_literal};
use crate::trusted_sql::{cltv_function, pinned};
use cltv_core::error::Error;
use cltv_core::model::encoding::{Categorical, Design, OTHER};
use cltv_core::model::groups::StoredGroups;
use cltv_core::model::options::{MissingPolicy, Promote, TrainOptions};
use cltv_core::model::scoring::{check_model_name, check_train_terms, ModelKind};
use cltv_core::model::segments::Segments;
use cltv_core::split::SplitRule;
use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::json;

mod btyd;
pub(crate) use btyd::unit_in_days;
mod categorical;
mod evaluate;
mod grouped;
mod linear;
mod logistic;
mod missing;
mod progress;

/// A column of the source relation, as the catalog describes it.
struct Column {
    name: String,
    type_name: String,
    /// pg_type.typcategory: 'N' numeric, 'B' boolean, ...
    category: char,
    type_oid: pg_sys::Oid,
}

/// Whether PostgreSQL has a seeded (extended) hash for values of `type_oid`, as
/// `hash_record_extended` needs for every column (json, point and xml have none).
fn has_extended_hash(type_oid: pg_sys::Oid) -> bool {
    // SAFETY: lookup_type_cache is called in a transaction with a type oid read from
    // pg_attribute; it returns a pointer into the backend's type cache, valid until the
    // next cache invalidation, and we read one field from it at once.
    unsafe {
        let entry = pg_sys::lookup_type_cache(type_oid, pg_sys::TYPECACHE_HASH_EXTENDED_PROC as i32);
        !entry.is_null() && (*entry).hash_extended_proc != pg_sys::InvalidOid
    }
}

fn relation_columns(relation: pg_sys::Oid) -> Vec<Column> {
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
struct TrainingSql {
    /// `"schema"."name"` of the source.
    quoted_source: String,
    from: String,
    /// `t.col::float8` for the target and each feature.
    target: String,
    /// The target as a class: a boolean target itself, a numeric one `= 1` (what the
    /// logistic passes after the first read; the first has checked the values).
    label: String,
    features: Vec<String>,
    /// (name, `t.col::float8`, or `t.col` if categorical) of the target and each feature,
    /// for diagnostics.
    columns: Vec<(String, String)>,
    /// The categorical features (never NaN or Infinity).
    categorical: Vec<String>,
    /// `"group_by"`: the group columns, `t."country"`, …; `rows()` has them as `g1`, `g2`, ….
    group_columns: Vec<String>,
    /// Is this row in the test split? Uses $1 (fraction) and $2 (seed).
    is_test: String,
    /// The rule `is_test` applies.
    split_rule: SplitRule,
    complete: String,
    finite: String,
}

/// The columns of a source relation, looked up by name.
struct SourceColumns {
    /// `schema.name`, for messages.
    name: String,
    /// `"schema"."name"`, quoted, for SQL text.
    quoted_name: String,
    columns: Vec<Column>,
    /// The columns of its primary key, else of a unique index over NOT NULL columns (the
    /// fewest columns, then the index name): every row its own value. None for a view.
    unique_key: Option<Vec<String>>,
}

/// See [`SourceColumns::unique_key`]. Partial and expression indexes do not count, nor
/// one not yet valid.
fn unique_key(relation: pg_sys::Oid) -> Option<Vec<String>> {
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
    fn of(source: &PgRelation) -> SourceColumns {
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
    fn find(&self, name: &str) -> &Column {
        self.columns.iter().find(|c| c.name == name).unwrap_or_else(|| {
            let near = self
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(name))
                .map(|c| c.name.clone());
            raise(Error::UndefinedColumn {
                relation: self.name.clone(),
                column: name.to_string(),
                suggestion: near,
            })
        })
    }

    /// `t."name"` as float8: numbers cast, booleans as 0/1, anything else an error.
    fn float8(&self, name: &str) -> String {
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
fn is_categorical(column: &Column) -> bool {
    matches!(column.category, 'S' | 'E')
}

impl TrainingSql {
    /// `target` is `None` for the kinds without one (BG/NBD, Gamma-Gamma): `y` is then NULL.
    /// A numeric feature in `imputation` reads `coalesce(value, imputed)`, a categorical one
    /// under an imputing policy its most frequent level; neither makes a row incomplete. The
    /// train/test split hashes the values as stored, before imputation. A categorical feature
    /// becomes one 0/1 term per level of its vocabulary; without one (the vocabulary pass
    /// itself) it has no terms yet.
    fn new(
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

    fn is_grouped(&self) -> bool {
        !self.group_columns.is_empty()
    }

    /// `GROUP BY` of a pass over `rows()`: the group columns as they are (cheap to hash).
    fn group_by(&self) -> String {
        (1..=self.group_columns.len())
            .map(|i| format!("s.g{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The group key of a `group_by()` pass, computed once per group: a JSON array of the
    /// columns' text values (NULL as null), which `GroupedFits::parse_key` reads.
    fn group_key(&self) -> String {
        let parts: Vec<String> = (1..=self.group_columns.len())
            .map(|i| format!("s.g{i}::text"))
            .collect();
        format!("jsonb_build_array({})::text", parts.join(", "))
    }

    /// The `_columns` form of an aggregate, qualified, and the features one by one
    /// (`s.c1, s.c2, …`) to call it with: `None` (use the array `s.x`) if the installed SQL
    /// lacks `function` (before 0.3.0) or the model has more features than fit in a call.
    fn column_arguments(&self, function: &str) -> Option<(String, String)> {
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

    fn feature_array(&self) -> String {
        format!("ARRAY[{}]", self.features.join(", "))
    }

    /// The rows of a fitting pass as `s(y, label, x, is_test, complete, finite)` with the features
    /// also one by one as `c1`, `c2`, …, and `g1`, `g2`, …, the group columns, under
    /// `"group_by"`.
    fn rows(&self) -> String {
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
    const ROW_COUNTS: &'static str = "count(*),
             count(*) FILTER (WHERE s.complete AND s.is_test),
             count(*) FILTER (WHERE NOT s.complete),
             count(*) FILTER (WHERE s.complete AND NOT s.finite)";
}

/// `, e1 AS p1, e2 AS p2, …`: select-list entries naming each expression by `prefix` and
/// its position from 1.
fn numbered_columns(expressions: &[String], prefix: &str) -> String {
    expressions
        .iter()
        .enumerate()
        .map(|(i, e)| format!(", {e} AS {prefix}{}", i + 1))
        .collect()
}

/// What the first pass of every kind counts, read from four consecutive columns.
struct RowCounts {
    n_rows: i64,
    n_test: i64,
    n_incomplete: i64,
    n_nonfinite: i64,
}

impl RowCounts {
    fn read(row: &pgrx::spi::SpiTupleTable, first: usize) -> Result<RowCounts, pgrx::spi::SpiError> {
        Ok(RowCounts {
            n_rows: row.get::<i64>(first)?.unwrap_or(0),
            n_test: row.get::<i64>(first + 1)?.unwrap_or(0),
            n_incomplete: row.get::<i64>(first + 2)?.unwrap_or(0),
            n_nonfinite: row.get::<i64>(first + 3)?.unwrap_or(0),
        })
    }
}

/// One training call: what every kind's fitting needs.
struct TrainContext<'a> {
    sql: TrainingSql,
    opts: TrainOptions,
    seed: i64,
    features: &'a [String],
    source_name: String,
    /// The model being trained (named in errors about its stored size).
    model: String,
    progress: std::rc::Rc<progress::Progress>,
}

impl<'a> TrainContext<'a> {
    /// The same call over features divided by `sd` (a constant feature by 1): how penalised
    /// logistic fits standardise. The split and the completeness of rows do not change.
    fn with_scaled_features(&self, sd: &[f64]) -> TrainContext<'a> {
        let mut sql = self.sql.clone();
        for (expr, s) in sql.features.iter_mut().zip(sd) {
            let s = if *s > 0.0 && s.is_finite() { *s } else { 1.0 };
            *expr = format!("(({expr}) / '{s:?}'::float8)");
        }
        TrainContext {
            sql,
            opts: self.opts.clone(),
            seed: self.seed,
            features: self.features,
            source_name: self.source_name.clone(),
            model: self.model.clone(),
            progress: self.progress.clone(),
        }
    }
}

impl TrainContext<'_> {
    /// $1 and $2 of every query that evaluates `is_test`.
    fn split_args(&self) -> Vec<pgrx::datum::DatumWithOid<'static>> {
        vec![self.opts.test_fraction.into(), self.seed.into()]
    }

    /// Run a query that returns one row; SPI errors (the caller's own, e.g. a missing
    /// privilege) propagate unchanged.
    fn query_one<T>(
        &self,
        query: &str,
        extra_args: Vec<pgrx::datum::DatumWithOid<'static>>,
        read: impl FnOnce(&pgrx::spi::SpiTupleTable) -> Result<T, pgrx::spi::SpiError>,
    ) -> T {
        let started = std::time::Instant::now();
        let found = self.query_one_unreported(query, extra_args, read);
        self.progress.pass_done(started.elapsed(), String::new);
        found
    }

    /// [`Self::query_one`] for a pass whose caller reports its progress with what it read.
    fn query_one_unreported<T>(
        &self,
        query: &str,
        extra_args: Vec<pgrx::datum::DatumWithOid<'static>>,
        read: impl FnOnce(&pgrx::spi::SpiTupleTable) -> Result<T, pgrx::spi::SpiError>,
    ) -> T {
        let mut args = self.split_args();
        args.extend(extra_args);
        // No row limit: PostgreSQL runs a plan with a tuple count without parallel workers.
        Spi::connect(|client| read(&client.select(query, None, &args)?.first())).unwrap_or_else(|e| {
            raise(Error::Internal {
                reason: format!("training query failed: {e}"),
            })
        })
    }

    /// The input checks every kind shares, on its first pass's counts.
    fn check(&self, counts: &RowCounts) {
        if counts.n_rows == 0 {
            raise(Error::EmptyInput {
                source: self.source_name.clone(),
            })
        }
        // With per-feature policies, the missing-value pass has refused the NULLs that are
        // errors; the rows still incomplete are the ones to drop.
        if counts.n_incomplete > 0
            && self.opts.missing == MissingPolicy::Error
            && self.opts.missing_by_feature.is_empty()
        {
            raise(null_error(&self.sql, counts.n_incomplete))
        }
        if counts.n_nonfinite > 0 {
            raise(nonfinite_error(&self.sql))
        }
    }

    fn target_name(&self) -> &str {
        &self.sql.columns[0].0
    }

    fn too_few_rows(&self) -> ! {
        let p = self.features.len();
        raise(Error::TooFewRows {
            n: 0,
            p,
            needed: p as u64 + 2,
        })
    }
}

/// The aggregate that finds the value-segment cut points among the training rows' scores
/// `s.p`, quantiles in parameter `$q`, sampled to `SCORE_SAMPLE_ROWS` scores above that.
fn cut_points_sql(q: usize, n_train: i64) -> String {
    let Some(score_quantiles) = cltv_function("cltv_score_quantiles") else {
        // A database still at 0.1.0 (library updated, extension not yet) has none of the
        // aggregates that find segment cut points: its versions get no segments.
        return format!("NULL::float8[] AS no_segments_{q}");
    };
    let fraction =
        (crate::sql_api::binary_metrics::SCORE_SAMPLE_ROWS as f64 / n_train.max(1) as f64).min(1.0);
    let sample = if fraction < 1.0 {
        format!(" AND (hashfloat8extended(s.p, 0) & 16777215) < {fraction} * 16777216")
    } else {
        String::new()
    };
    format!("{score_quantiles}(s.p, ${q}) FILTER (WHERE NOT s.is_test{sample})")
}

/// The configured segments with the cut points a metrics pass found.
fn segments_with(ctx: &TrainContext, cut_points: Option<Vec<f64>>) -> Option<Segments> {
    cut_points.map(|cut_points| Segments {
        cut_points,
        ..ctx.opts.segments.clone()
    })
}

/// A NOTICE when features are nearly collinear: a VIF above 10 or a condition number above
/// 1e6. The fit is still exact; its coefficients are just hard to interpret one by one.
fn warn_collinearity(names: &[String], vif: &[Option<f64>], condition_number: Option<f64>) {
    use cltv_core::evaluation::explain::{CONDITION_WARNING, VIF_WARNING};
    let high: Vec<String> = names
        .iter()
        .zip(vif)
        .filter_map(|(name, v)| v.filter(|v| *v > VIF_WARNING).map(|v| format!("{name} ({v:.1})")))
        .collect();
    if !high.is_empty() {
        notice!(
            "features with a variance inflation factor above {VIF_WARNING}: {}; their coefficients are unstable, consider dropping or combining some",
            high.join(", ")
        );
    }
    if let Some(c) = condition_number.filter(|c| *c > CONDITION_WARNING) {
        notice!("the design's condition number is {c:.3e} (above {CONDITION_WARNING:e}): rescale the features or drop near-duplicates");
    }
}

/// What fitting a kind hands to the catalog.
struct Trained {
    coefficients: Vec<f64>,
    /// The kind's full statistics, with "kind" set.
    fit: serde_json::Value,
    train_metrics: serde_json::Value,
    test_metrics: serde_json::Value,
    n_train: i64,
    n_test: i64,
    n_dropped: i64,
    /// Value tiers with their cut points (linear and logistic models).
    segments: Option<Segments>,
    /// `"group_by"`: each group's coefficients, for scoring.
    groups: Option<StoredGroups>,
}

/// The split's rule and realised share of test rows, for the metrics; a NOTICE when a hash
/// split's share is further from `"test_fraction"` than binomial noise explains.
fn split_metrics(ctx: &TrainContext, n_train: i64, n_test: i64) -> serde_json::Value {
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
fn null_error(sql: &TrainingSql, rows: i64) -> Error {
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
fn nonfinite_error(sql: &TrainingSql) -> Error {
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

fn column_counts(sql: &TrainingSql, count_expr: impl Fn(&str, &str) -> String) -> Vec<(String, i64)> {
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

fn describe_counts(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{c}: {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_names(model: &str, target: Option<&str>, features: &[String]) {
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

fn required<T>(what: &str, value: Option<T>) -> T {
    value.unwrap_or_else(|| {
        raise(Error::InvalidArgument {
            what: what.to_string(),
            reason: "must not be NULL".into(),
        })
    })
}

/// What one training call asks for: the arguments of `cltv_train`, as stored with each
/// version so that `cltv_retrain` can repeat the call.
struct TrainCall<'a> {
    model: &'a str,
    source: PgRelation,
    target: Option<&'a str>,
    features: Vec<String>,
    kind: ModelKind,
    options: serde_json::Value,
    /// "train" or "retrain", for the run log.
    call: &'static str,
}

/// What `cltv_train` and `cltv_retrain` return.
type TrainRow = (String, i32, String, i64, i64, JsonB, bool);

fn run_training(call: TrainCall) -> TrainRow {
    let started_at = Spi::get_one::<String>("SELECT clock_timestamp()::text")
        .ok()
        .flatten()
        .unwrap_or_default();
    let TrainCall {
        model,
        source,
        target,
        features,
        kind: model_kind,
        options,
        call,
    } = call;
    let target = match (model_kind.fixed_features(), target) {
        (None, None) => raise(Error::InvalidArgument {
            what: "target".into(),
            reason: format!("must not be NULL for a {} model", model_kind.as_str()),
        }),
        (Some(_), Some(t)) => raise(Error::InvalidArgument {
            what: format!("target \"{t}\""),
            reason: format!(
                "a {} model has no target: pass target => NULL",
                model_kind.as_str()
            ),
        }),
        (_, target) => target,
    };
    check_names(model, target, &features);
    // Before any pass over the data: each feature is at least one term.
    check_train_terms(model_kind, features.len(), 0).or_raise();
    // Before reading any data: a model someone else owns is refused at once.
    catalog::check_may_change(model, "add a version to");
    let mut opts = TrainOptions::parse(model_kind, &options).or_raise();
    if let Some(g) = opts
        .group_by
        .iter()
        .find(|g| features.contains(g) || Some(g.as_str()) == target)
    {
        raise(Error::InvalidOption {
            key: "group_by".into(),
            reason: format!("\"{g}\" is also the target or a feature; a model per group cannot use it"),
        })
    }
    if model_kind.fixed_features().is_some() {
        // Fitted on every customer's summary: there is no target to hold out.
        opts.test_fraction = 0.0;
        opts.time_split = None;
    }
    let seed = opts.split_seed.unwrap_or(settings::SPLIT_SEED.get() as i64);
    // The source's columns, looked up once for every query this call builds.
    let columns = SourceColumns::of(&source);
    let imputation = missing::prepare(
        &columns,
        target,
        &features,
        &opts,
        vec![opts.test_fraction.into(), seed.into()],
    );
    let imputed_values = imputation.as_ref().map_or(&[][..], |i| &i.values[..]);
    let vocabularies = if model_kind.fixed_features().is_some() {
        // Summaries are numbers: a text column is an error that names it.
        for f in &features {
            let _numeric = columns.float8(f);
        }
        Vec::new()
    } else {
        categorical::vocabularies(
            &columns,
            target,
            &features,
            &opts,
            imputed_values,
            vec![opts.test_fraction.into(), seed.into()],
        )
    };
    let design = Design::new(
        features
            .iter()
            .map(|f| {
                let vocabulary = vocabularies.iter().find(|(c, _)| c == f).map(|(_, v)| v.clone());
                (f.clone(), vocabulary)
            })
            .collect(),
        opts.unseen,
    );
    let terms = design.terms().to_vec();
    // With the levels known, before the fitting passes (whose queries grow with the terms).
    let numeric = features.len() - vocabularies.len();
    check_train_terms(model_kind, terms.len(), terms.len() - numeric).or_raise();
    let ctx = TrainContext {
        sql: TrainingSql::new(&columns, target, &features, &opts, imputed_values, &vocabularies),
        seed,
        features: &terms,
        source_name: format!("{}.{}", source.namespace(), source.name()),
        model: model.to_string(),
        progress: std::rc::Rc::new(progress::Progress::new(model)),
        opts,
    };
    let time_unit = model_kind.fixed_features().map(|_| btyd::time_unit(&ctx));
    let trained = match model_kind {
        ModelKind::Linear => linear::train(&ctx),
        ModelKind::Logistic => logistic::train(&ctx),
        ModelKind::BgNbd | ModelKind::GammaGamma => btyd::train(model_kind, &ctx),
    };

    let mut metrics = json!({
        "train": trained.train_metrics,
        "test": trained.test_metrics,
        "n_dropped": trained.n_dropped,
    });
    if let Some(imputation) = &imputation {
        metrics["n_imputed"] = imputation.counts.clone().into();
    }
    metrics["split"] = split_metrics(&ctx, trained.n_train, trained.n_test);
    let mut stored_options = options.clone();
    if !stored_options.is_object() {
        stored_options = json!({});
    }
    stored_options["split_seed"] = seed.into();
    let deploy = match ctx.opts.promote {
        Promote::Always => Deploy::Yes("train"),
        Promote::Never | Promote::IfBetter => Deploy::IfFirst("train"),
    };
    let (version, mut deployed) = catalog::store_version(
        NewVersion {
            model,
            kind: model_kind.as_str(),
            target,
            features: &terms,
            coefficients: trained.coefficients,
            fit: trained.fit,
            preprocessing: {
                let mut preprocessing = json!({ "missing": ctx.opts.missing });
                if let Some((unit, days)) = time_unit {
                    preprocessing["time_unit"] = unit.into();
                    preprocessing["unit_days"] = days.into();
                }
                if !ctx.opts.missing_by_feature.is_empty() {
                    preprocessing["missing_by_feature"] = ctx
                        .opts
                        .missing_by_feature
                        .iter()
                        .map(|(f, p)| (f.clone(), json!(p)))
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                if let Some(imputation) = &imputation {
                    // Per term: a numeric feature's value, each indicator's for a level.
                    let categorical = (0..features.len())
                        .filter(|&i| ctx.opts.missing_for(&features[i]).imputes())
                        .filter_map(|i| design.imputed_terms(i))
                        .flatten();
                    preprocessing["imputation"] = imputation
                        .values
                        .iter()
                        .cloned()
                        .chain(categorical)
                        .map(|(f, v)| (f, json!(v)))
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                design.to_preprocessing(&mut preprocessing);
                if let Some(groups) = &trained.groups {
                    preprocessing["groups"] = serde_json::to_value(groups).expect("groups serialise");
                }
                if let Some(segments) = &trained.segments {
                    preprocessing["segments"] = serde_json::to_value(segments).expect("segments serialise");
                }
                preprocessing
            },
            options: stored_options,
            metrics: metrics.clone(),
            n_train: trained.n_train,
            n_test: trained.n_test,
            n_dropped: trained.n_dropped,
            source: ctx.sql.quoted_source.clone(),
            promotion: None,
            source_trusted: true,
        },
        deploy,
    );
    if ctx.opts.promote == Promote::IfBetter && !deployed {
        deployed = evaluate::promote_if_better(&ctx, model, model_kind, version);
    }
    if let Some(keep) = ctx.opts.keep_versions {
        let pruned = catalog::prune_versions(model, keep);
        if !pruned.is_empty() {
            notice!(
                "\"keep_versions\": {keep}: deleted version(s) {} of model \"{model}\"",
                pruned
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    catalog::record_run(catalog::Run {
        model,
        call,
        started_at: &started_at,
        failure: None,
        version: Some(version),
        deployed: Some(deployed),
    });
    (
        model.to_string(),
        version,
        model_kind.as_str().to_string(),
        trained.n_train,
        trained.n_test,
        JsonB(metrics),
        deployed,
    )
}

/// Fit `kind` over `source` and store it as the next version of `model`. The first
/// version of a model is deployed; later ones as the `promote` option says.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_train(
    model: Option<&str>,
    source: Option<PgRelation>,
    target: default!(Option<&str>, "NULL"),
    features: default!(Option<Vec<Option<String>>>, "NULL"),
    kind: default!(Option<&str>, "'linear'"),
    options: default!(Option<JsonbArg>, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(model, String),
        name!(version, i32),
        name!(kind, String),
        name!(n_train, i64),
        name!(n_test, i64),
        name!(metrics, JsonB),
        name!(deployed, bool),
    ),
> {
    // Not STRICT: a NULL argument is an error that names it, not a silent empty result.
    let model = required("model", model);
    let source = required("source", source);
    let kind = required("kind", kind);
    let options = required("options", options);
    let features: Vec<String> = required("features", features)
        .into_iter()
        .map(|f| {
            f.unwrap_or_else(|| {
                raise(Error::InvalidArgument {
                    what: "features".into(),
                    reason: "must not contain NULL".into(),
                })
            })
        })
        .collect();
    let kind = ModelKind::parse(kind).or_raise();
    TableIterator::once(pinned(|| {
        run_training(TrainCall {
            model,
            source,
            target,
            features,
            kind,
            options: options.value("options"),
            call: "train",
        })
    }))
}

/// Train `model` again with the arguments of its newest version: the same source, target,
/// features, kind and options (split seed included), as the caller; `promote`, if given,
/// in place of the stored promotion policy. What a schedule runs.
#[allow(clippy::type_complexity)]
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_retrain(
    model: &str,
    promote: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(model, String),
        name!(version, i32),
        name!(kind, String),
        name!(n_train, i64),
        name!(n_test, i64),
        name!(metrics, JsonB),
        name!(deployed, bool),
    ),
> {
    TableIterator::once(pinned(|| retrain(model, promote)))
}

fn retrain(model: &str, promote: Option<&str>) -> TrainRow {
    let mut stored = catalog::training_call(model);
    if let Some(promote) = promote {
        if !stored.options.is_object() {
            stored.options = serde_json::json!({});
        }
        stored.options["promote"] = promote.into();
    }
    let relation = Spi::get_one_with_args::<pg_sys::Oid>(
        "SELECT to_regclass($1)::oid",
        &[stored.source.as_str().into()],
    )
    .ok()
    .flatten()
    .unwrap_or_else(|| {
        raise(Error::InvalidArgument {
            what: format!("source {} of model \"{model}\"", stored.source),
            reason: "no longer exists; train the model again with cltv_train".into(),
        })
    });
    // SAFETY: the oid was just resolved by to_regclass; the lock keeps it from going away.
    let source = unsafe { PgRelation::with_lock(relation, pg_sys::AccessShareLock as pg_sys::LOCKMODE) };
    run_training(TrainCall {
        model,
        source,
        target: stored.target.as_deref(),
        features: stored.features,
        kind: ModelKind::parse(&stored.kind).or_raise(),
        options: stored.options,
        call: "retrain",
    })
}
