//! `cltv_train`: fit a model over any table or view and store it as a new version.
//!
//! Every query here runs through SPI as the calling user, so table privileges and
//! row-level security apply to training exactly as to a SELECT. Identifiers are quoted with
//! `quote_identifier`; values travel as SPI arguments.

use crate::catalog::{self, NewVersion};
use crate::error::{raise, OrRaise};
use crate::settings;
use cltv_core::error::Error;
use cltv_core::metrics::{regression_metrics, RegressionMetrics};
use cltv_core::ols::{fit_ols, OlsOptions};
use cltv_core::options::{MissingPolicy, TrainOptions};
use cltv_core::suffstats::SuffStats;
use pgrx::prelude::*;
use pgrx::{JsonB, PgRelation};
use serde_json::json;
use std::ffi::{CStr, CString};

fn quote_ident(name: &str) -> String {
    let c = CString::new(name).unwrap_or_else(|_| {
        raise(Error::InvalidArgument {
            what: format!("identifier {name:?}"),
            reason: "contains a NUL byte".into(),
        })
    });
    unsafe { CStr::from_ptr(pg_sys::quote_identifier(c.as_ptr())) }
        .to_string_lossy()
        .into_owned()
}

/// A column of the source relation, as the catalog describes it.
struct Column {
    name: String,
    type_name: String,
    /// pg_type.typcategory: 'N' numeric, 'B' boolean, ...
    category: char,
}

fn relation_columns(relation: pg_sys::Oid) -> Vec<Column> {
    Spi::connect(|client| {
        let rows = client.select(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typcategory::text
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
struct TrainingSql {
    from: String,
    /// `t.col::float8` for the target and each feature.
    target: String,
    features: Vec<String>,
    /// Raw quoted column references, for NULL and non-finite diagnostics.
    columns: Vec<(String, String)>,
    /// Is this row in the test split? Uses $1 (fraction) and $2 (seed).
    is_test: String,
    complete: String,
    finite: String,
}

impl TrainingSql {
    fn new(source: &PgRelation, target: &str, features: &[String], opts: &TrainOptions) -> TrainingSql {
        let from = format!(
            "{}.{} AS t",
            quote_ident(source.namespace()),
            quote_ident(source.name())
        );
        let relation_name = format!("{}.{}", source.namespace(), source.name());
        let catalog_columns = relation_columns(source.oid());
        let find = |name: &str| -> &Column {
            catalog_columns
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| {
                    let near = catalog_columns
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(name))
                        .map(|c| c.name.clone());
                    raise(Error::UndefinedColumn {
                        relation: relation_name.clone(),
                        column: name.to_string(),
                        suggestion: near,
                    })
                })
        };
        let as_float8 = |name: &str| -> String {
            let column = find(name);
            let quoted = format!("t.{}", quote_ident(name));
            match column.category {
                'N' => format!("{quoted}::float8"),
                'B' => format!("{quoted}::int::float8"),
                _ => raise(Error::NonNumericColumn {
                    column: name.to_string(),
                    type_name: column.type_name.clone(),
                }),
            }
        };
        let target_sql = as_float8(target);
        let feature_sql: Vec<String> = features.iter().map(|f| as_float8(f)).collect();
        let mut columns = vec![(target.to_string(), target_sql.clone())];
        columns.extend(features.iter().cloned().zip(feature_sql.iter().cloned()));
        let is_test = if opts.test_fraction == 0.0 {
            "false".to_string()
        } else {
            let key = match &opts.split_key {
                Some(key) => {
                    find(key);
                    format!("t.{}::text", quote_ident(key))
                }
                // Without a key the whole row is hashed: deterministic, but any change to
                // the row moves it. A customer key keeps a customer on one side.
                None => "t::text".to_string(),
            };
            format!("((hashtextextended({key}, $2) & 16777215) < $1 * 16777216)")
        };
        let complete = columns
            .iter()
            .map(|(name, _)| format!("t.{} IS NOT NULL", quote_ident(name)))
            .collect::<Vec<_>>()
            .join(" AND ");
        // NaN compares greater than every number in PostgreSQL, so this is false for NaN too.
        let finite = columns
            .iter()
            .map(|(_, expr)| format!("abs({expr}) < 'Infinity'::float8"))
            .collect::<Vec<_>>()
            .join(" AND ");
        TrainingSql {
            from,
            target: target_sql,
            features: feature_sql,
            columns,
            is_test,
            complete,
            finite,
        }
    }

    fn feature_array(&self) -> String {
        format!("ARRAY[{}]", self.features.join(", "))
    }
}

/// What the single fitting pass returns.
struct FitPass {
    state: Option<Vec<f64>>,
    n_rows: i64,
    n_test: i64,
    n_incomplete: i64,
    n_nonfinite: i64,
}

fn split_args(opts: &TrainOptions, seed: i64) -> [pgrx::datum::DatumWithOid<'static>; 2] {
    [opts.test_fraction.into(), seed.into()]
}

fn fit_pass(sql: &TrainingSql, opts: &TrainOptions, seed: i64) -> FitPass {
    let query = format!(
        "SELECT cltv_linreg_state(s.y, s.x) FILTER (WHERE s.complete AND NOT s.is_test),
                count(*),
                count(*) FILTER (WHERE s.complete AND s.is_test),
                count(*) FILTER (WHERE NOT s.complete),
                count(*) FILTER (WHERE s.complete AND NOT s.finite)
           FROM (SELECT {target} AS y, {x} AS x, {is_test} AS is_test,
                        {complete} AS complete, {finite} AS finite
                   FROM {from}) AS s",
        target = sql.target,
        x = sql.feature_array(),
        is_test = sql.is_test,
        complete = sql.complete,
        finite = sql.finite,
        from = sql.from,
    );
    Spi::connect(|client| {
        let row = client.select(&query, Some(1), &split_args(opts, seed))?.first();
        Ok::<_, pgrx::spi::SpiError>(FitPass {
            state: row.get::<Vec<f64>>(1)?,
            n_rows: row.get::<i64>(2)?.unwrap_or(0),
            n_test: row.get::<i64>(3)?.unwrap_or(0),
            n_incomplete: row.get::<i64>(4)?.unwrap_or(0),
            n_nonfinite: row.get::<i64>(5)?.unwrap_or(0),
        })
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("training query failed: {e}"),
        })
    })
}

/// Only on the error path: which column holds the NULLs, and how many.
fn null_error(sql: &TrainingSql, rows: i64) -> Error {
    let counts = column_counts(sql, |quoted| format!("count(*) FILTER (WHERE {quoted} IS NULL)"));
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
    let counts = column_counts(sql, |quoted| {
        format!("count(*) FILTER (WHERE NOT abs({quoted}) < 'Infinity')")
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

fn column_counts(sql: &TrainingSql, count_expr: impl Fn(&str) -> String) -> Vec<(String, i64)> {
    let selects: Vec<String> = sql.columns.iter().map(|(_, expr)| count_expr(expr)).collect();
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

/// Second pass: error metrics of the fitted model on the train and the test rows.
fn metrics_pass(
    sql: &TrainingSql,
    opts: &TrainOptions,
    seed: i64,
    coefficients: &[f64],
) -> (Option<RegressionMetrics>, Option<RegressionMetrics>) {
    // The prediction is written out in SQL, coefficients as a parameter: no per-row call.
    let prediction = std::iter::once("$3[1]".to_string())
        .chain(
            sql.features
                .iter()
                .enumerate()
                .map(|(i, x)| format!("$3[{}] * {x}", i + 2)),
        )
        .collect::<Vec<_>>()
        .join(" + ");
    let query = format!(
        "SELECT s.is_test, count(*), sum((s.y - s.p) ^ 2), sum(abs(s.y - s.p)), var_pop(s.y) * count(*)
           FROM (SELECT {target} AS y, {prediction} AS p, {is_test} AS is_test
                   FROM {from} WHERE {complete}) AS s
          GROUP BY s.is_test",
        target = sql.target,
        is_test = sql.is_test,
        from = sql.from,
        complete = sql.complete,
    );
    let [fraction, seed] = split_args(opts, seed);
    Spi::connect(|client| {
        let (mut train, mut test) = (None, None);
        for row in client.select(&query, None, &[fraction, seed, coefficients.to_vec().into()])? {
            let metrics = regression_metrics(
                row.get::<i64>(2)?.unwrap_or(0) as u64,
                row.get::<f64>(3)?.unwrap_or(0.0),
                row.get::<f64>(4)?.unwrap_or(0.0),
                row.get::<f64>(5)?.unwrap_or(0.0),
            );
            if row.get::<bool>(1)?.unwrap_or(false) {
                test = Some(metrics);
            } else {
                train = Some(metrics);
            }
        }
        Ok::<_, pgrx::spi::SpiError>((train, test))
    })
    .unwrap_or_else(|e| {
        raise(Error::Internal {
            reason: format!("metrics query failed: {e}"),
        })
    })
}

fn check_names(model: &str, target: &str, features: &[String]) {
    let valid_model = !model.is_empty()
        && model.len() <= 200
        && model
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !valid_model {
        raise(Error::InvalidArgument {
            what: format!("model name \"{model}\""),
            reason: "must start with a letter or '_' and hold only letters, digits, '_', '.' and '-' ('@' pins versions)".into(),
        })
    }
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
        if f == target {
            raise(Error::InvalidArgument {
                what: format!("feature \"{f}\""),
                reason: "is also the target; a model cannot use its target as a feature".into(),
            })
        }
    }
}

/// Fit `kind` over `source` and store it as the next version of `model`.
#[pg_extern(volatile, parallel_unsafe)]
fn cltv_train(
    model: &str,
    source: PgRelation,
    target: &str,
    features: Vec<String>,
    kind: default!(&str, "'linear'"),
    options: default!(JsonB, "'{}'"),
) -> TableIterator<
    'static,
    (
        name!(model, String),
        name!(version, i32),
        name!(kind, String),
        name!(n_train, i64),
        name!(n_test, i64),
        name!(metrics, JsonB),
    ),
> {
    if kind != "linear" {
        raise(Error::InvalidArgument {
            what: format!("kind \"{kind}\""),
            reason: "is not a model kind cltv can train; supported: linear".into(),
        })
    }
    check_names(model, target, &features);
    let opts = TrainOptions::parse(&options.0).or_raise();
    let seed = opts.split_seed.unwrap_or(settings::SPLIT_SEED.get() as i64);
    let source_name = format!("{}.{}", source.namespace(), source.name());
    let sql = TrainingSql::new(&source, target, &features, &opts);

    let pass = fit_pass(&sql, &opts, seed);
    if pass.n_rows == 0 {
        raise(Error::EmptyInput { source: source_name })
    }
    if pass.n_incomplete > 0 && opts.missing == MissingPolicy::Error {
        raise(null_error(&sql, pass.n_incomplete))
    }
    if pass.n_nonfinite > 0 {
        raise(nonfinite_error(&sql))
    }
    let Some(state) = pass.state else {
        raise(Error::TooFewRows {
            n: 0,
            p: features.len(),
            needed: features.len() as u64 + 2,
        })
    };
    let stats = SuffStats::from_state(&state).or_raise();
    let fit = fit_ols(&stats, &features, &OlsOptions { l2: opts.l2 }).or_raise();
    let (train_metrics, test_metrics) = metrics_pass(&sql, &opts, seed, &fit.estimate);

    let mut fit_json = serde_json::to_value(&fit).expect("an OLS fit serialises");
    fit_json["kind"] = "linear".into();
    let metrics = json!({
        "train": train_metrics,
        "test": test_metrics,
        "n_dropped": pass.n_incomplete,
    });
    let mut stored_options = options.0.clone();
    if !stored_options.is_object() {
        stored_options = json!({});
    }
    stored_options["split_seed"] = seed.into();
    let n_train = stats.n as i64;
    let version = catalog::store_version(NewVersion {
        model,
        kind,
        target: Some(target),
        features: &features,
        coefficients: fit.estimate.clone(),
        fit: fit_json,
        preprocessing: json!({ "missing": opts.missing }),
        options: stored_options,
        metrics: metrics.clone(),
        n_train,
        n_test: pass.n_test,
        n_dropped: pass.n_incomplete,
        source: source_name,
    });
    TableIterator::once((
        model.to_string(),
        version,
        kind.to_string(),
        n_train,
        pass.n_test,
        JsonB(metrics),
    ))
}
