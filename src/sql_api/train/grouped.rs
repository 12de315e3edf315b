//! What fits with `"group_by"` share: each group's outcome as stored, and how a pass finds
//! a row's group (a hash join on the group columns, no per-row key).

use super::TrainContext;
use crate::error::{raise, OrRaise};
use cltv_core::error::Error;
use cltv_core::limits;
use cltv_core::model::groups::{describe_key, GroupFallback, GroupKey, StoredGroups};
use serde_json::json;

/// The tail of a query that returns one row per group: at most one group more than
/// `"max_groups"`, so that too many groups are seen without reading them all.
pub(super) fn group_limit(ctx: &TrainContext) -> String {
    format!(" LIMIT {}", ctx.opts.max_groups.saturating_add(1))
}

/// After a per-group query limited by [`group_limit`] returned `found` rows: more than
/// `"max_groups"` is an error that tells how many groups there are (counted only then).
pub(super) fn check_group_count(ctx: &TrainContext, found: usize) {
    let max = ctx.opts.max_groups;
    if found as u64 <= max {
        return;
    }
    let query = format!(
        "SELECT count(*) FROM (SELECT 1 FROM {rows} GROUP BY {group_by}) AS g",
        rows = ctx.sql.rows(),
        group_by = ctx.sql.group_by(),
    );
    let count = ctx.query_one(&query, vec![], |row| row.get::<i64>(1));
    raise(Error::TooManyGroups {
        columns: ctx.opts.group_by.clone(),
        count: count.map_or(found as u64, |c| c as u64),
        max,
    })
}

/// The outcome of each group of a `"group_by"` fit, as stored: its coefficients (or the
/// pooled model's), its statistics in `fit -> 'groups'`, and its key as the passes wrote it.
pub(super) struct GroupedFits {
    pub stored: StoredGroups,
    pub entries: Vec<serde_json::Value>,
    /// Groups to come (for the estimate of the stored size).
    groups: u64,
}

impl GroupedFits {
    /// For `groups` groups.
    pub fn new(ctx: &TrainContext, groups: usize) -> GroupedFits {
        GroupedFits {
            groups: groups as u64,
            stored: StoredGroups {
                columns: ctx.opts.group_by.clone(),
                fallback: ctx.opts.group_fallback,
                keys: Vec::new(),
                coefficients: Vec::new(),
            },
            entries: Vec::new(),
        }
    }

    /// A group key as a pass returns it (the JSON array text of `TrainingSql::group_key()`).
    pub fn parse_key(key_text: &str) -> GroupKey {
        serde_json::from_str(key_text).unwrap_or_else(|e| {
            raise(Error::Internal {
                reason: format!("group key {key_text}: {e}"),
            })
        })
    }

    /// Record one group: its fit (statistics and coefficients), or its error, which names
    /// the group unless `"group_fallback": "pooled"` sends it to the pooled model.
    pub fn push(
        &mut self,
        ctx: &TrainContext,
        key: GroupKey,
        n: u64,
        outcome: Result<(serde_json::Value, Vec<f64>), Error>,
    ) {
        let named: serde_json::Map<String, serde_json::Value> = self
            .stored
            .columns
            .iter()
            .cloned()
            .zip(key.iter().map(|v| json!(v)))
            .collect();
        let mut entry = json!({ "group": named });
        let coefficients = match outcome {
            Ok((mut fit, coefficients)) => {
                if let (Some(entry), Some(fit)) = (entry.as_object_mut(), fit.as_object_mut()) {
                    entry.append(fit);
                }
                Some(coefficients)
            }
            Err(error) if ctx.opts.group_fallback == GroupFallback::Pooled => {
                entry["n"] = n.into();
                entry["fallback"] = "pooled".into();
                entry["reason"] = error.message().into();
                None
            }
            Err(error) => raise(Error::InGroup {
                group: describe_key(&self.stored.columns, &key),
                error: Box::new(error),
            }),
        };
        if self.entries.is_empty() {
            // Before the documents grow: the first group's entry, key and coefficients,
            // times the groups, must fit in the stored size bound.
            let first = json!([entry, key, coefficients]);
            limits::check_grouped_documents(&ctx.model, &first, self.groups).or_raise();
        }
        self.entries.push(entry);
        self.stored.keys.push(key);
        self.stored.coefficients.push(coefficients);
    }

    /// How a metrics pass reads each row's coefficients: a join on the group columns
    /// `columns` (see `group_lookup`, parameters from `$first` on) that brings the row's
    /// group's coefficients as columns `k.b0`, `k.b1`, …, and the SQL of each coefficient.
    /// A group without a model of its own has the pooled model's coefficients; a row of a
    /// group training never saw takes them under `"pooled"` and is not scored (an inner
    /// join) under `"error"`.
    pub fn metrics_lookup(
        &self,
        ctx: &TrainContext,
        columns: &[String],
        pooled: &[f64],
        first: usize,
    ) -> Lookup {
        let keys: Vec<&GroupKey> = self.stored.keys.iter().collect();
        let payload = (0..pooled.len())
            .map(|j| {
                let values: Vec<f64> = self
                    .stored
                    .coefficients
                    .iter()
                    .map(|c| c.as_ref().map_or(pooled[j], |c| c[j]))
                    .collect();
                (format!("b{j}"), "float8", values.into())
            })
            .collect();
        let pooled_fallback = ctx.opts.group_fallback == GroupFallback::Pooled;
        let join = if pooled_fallback { "LEFT JOIN" } else { "JOIN" };
        let (join, args) = group_lookup(columns, &keys, payload, first, join);
        let coefficients = pooled
            .iter()
            .enumerate()
            .map(|(j, b)| match pooled_fallback {
                true => format!("coalesce(k.b{j}, '{b:?}'::float8)"),
                false => format!("k.b{j}"),
            })
            .collect();
        Lookup {
            join,
            coefficients,
            args,
        }
    }
}

/// What a metrics pass needs to score each row: a join (empty for one model), the SQL of
/// each coefficient (intercept first), and the join's parameters.
pub(super) struct Lookup {
    pub join: String,
    pub coefficients: Vec<String>,
    pub args: Vec<pgrx::datum::DatumWithOid<'static>>,
}

impl Lookup {
    /// One model: its coefficients as literals (numbers cltv computed), no join.
    pub fn single(coefficients: &[f64]) -> Lookup {
        Lookup {
            join: String::new(),
            coefficients: coefficients.iter().map(|b| format!("'{b:?}'::float8")).collect(),
            args: Vec::new(),
        }
    }

    /// For a metrics pass's inner rows `r`: the select-list tail with each feature of
    /// `features` (SQL, term order) as `x0…` and each coefficient as `b0…`, and the linear
    /// predictor over those columns; the join and its parameters stay as they are.
    pub fn bind_columns(self, features: &[String]) -> (String, String, Lookup) {
        let columns: String = features
            .iter()
            .enumerate()
            .map(|(i, x)| format!(", {x} AS x{i}"))
            .chain(
                self.coefficients
                    .iter()
                    .enumerate()
                    .map(|(j, b)| format!(", {b} AS b{j}")),
            )
            .collect();
        let xs: Vec<String> = (0..features.len()).map(|i| format!("r.x{i}")).collect();
        let bound = Lookup {
            coefficients: (0..self.coefficients.len()).map(|j| format!("r.b{j}")).collect(),
            ..self
        };
        let predictor = bound.linear_predictor(&xs);
        (columns, predictor, bound)
    }

    /// The linear predictor of `features` (SQL, in term order).
    fn linear_predictor(&self, features: &[String]) -> String {
        std::iter::once(self.coefficients[0].clone())
            .chain(
                self.coefficients[1..]
                    .iter()
                    .zip(features)
                    .map(|(b, x)| format!("{b} * {x}")),
            )
            .collect::<Vec<_>>()
            .join(" + ")
    }
}

/// A join that brings each row the `payload` columns `k.<name>` of its group among `keys`:
/// the row's group columns `columns` (SQL) against one array parameter per column of the
/// keys' text values and one of their NULL flags (so that NULL, a group of its own, joins
/// as an equality and the join can hash), then one array per payload column, from
/// `$first` on.
pub(super) fn group_lookup(
    columns: &[String],
    keys: &[&GroupKey],
    payload: Vec<(String, &str, pgrx::datum::DatumWithOid<'static>)>,
    first: usize,
    join: &str,
) -> (String, Vec<pgrx::datum::DatumWithOid<'static>>) {
    let mut args: Vec<pgrx::datum::DatumWithOid<'static>> = Vec::new();
    let mut arrays = Vec::new();
    let mut names = Vec::new();
    let mut conditions = Vec::new();
    for (i, column) in columns.iter().enumerate() {
        let values: Vec<String> = keys.iter().map(|k| k[i].clone().unwrap_or_default()).collect();
        let nulls: Vec<bool> = keys.iter().map(|k| k[i].is_none()).collect();
        arrays.push(format!(
            "${}::text[], ${}::bool[]",
            first + args.len(),
            first + args.len() + 1
        ));
        names.push(format!("v{i}, n{i}"));
        conditions.push(format!(
            "coalesce(({column})::text, '') = k.v{i} AND (({column}) IS NULL) = k.n{i}"
        ));
        args.push(values.into());
        args.push(nulls.into());
    }
    for (name, sql_type, values) in payload {
        arrays.push(format!("${}::{sql_type}[]", first + args.len()));
        names.push(name);
        args.push(values);
    }
    let sql = format!(
        "{join} unnest({arrays}) AS k({names}) ON {conditions}",
        arrays = arrays.join(", "),
        names = names.join(", "),
        conditions = conditions.join(" AND "),
    );
    (sql, args)
}
