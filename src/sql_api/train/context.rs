//! What every pass of one training call shares: its SQL, options, split seed and terms, the
//! queries that run a pass, and what a fit hands back.

use super::diagnostics::{nonfinite_error, null_error};
use super::progress;
use super::sql::TrainingSql;
use crate::error::raise;
use crate::trusted_sql::cltv_function;
use cltv_core::error::Error;
use cltv_core::model::groups::StoredGroups;
use cltv_core::model::options::{MissingPolicy, TrainOptions};
use cltv_core::model::segments::Segments;
use pgrx::prelude::*;

/// What the first pass of every kind counts, read from four consecutive columns.
pub(super) struct RowCounts {
    pub(super) n_rows: i64,
    pub(super) n_test: i64,
    pub(super) n_incomplete: i64,
    pub(super) n_nonfinite: i64,
}

impl RowCounts {
    pub(super) fn read(
        row: &pgrx::spi::SpiTupleTable,
        first: usize,
    ) -> Result<RowCounts, pgrx::spi::SpiError> {
        Ok(RowCounts {
            n_rows: row.get::<i64>(first)?.unwrap_or(0),
            n_test: row.get::<i64>(first + 1)?.unwrap_or(0),
            n_incomplete: row.get::<i64>(first + 2)?.unwrap_or(0),
            n_nonfinite: row.get::<i64>(first + 3)?.unwrap_or(0),
        })
    }
}

/// One training call: what every kind's fitting needs.
pub(super) struct TrainContext<'a> {
    pub(super) sql: TrainingSql,
    pub(super) opts: TrainOptions,
    pub(super) seed: i64,
    pub(super) features: &'a [String],
    pub(super) source_name: String,
    /// The model being trained (named in errors about its stored size).
    pub(super) model: String,
    pub(super) progress: std::rc::Rc<progress::Progress>,
}

impl<'a> TrainContext<'a> {
    /// The same call over features divided by `sd` (a constant feature by 1): how penalised
    /// logistic fits standardise. The split and the completeness of rows do not change.
    pub(super) fn with_scaled_features(&self, sd: &[f64]) -> TrainContext<'a> {
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
    pub(super) fn split_args(&self) -> Vec<pgrx::datum::DatumWithOid<'static>> {
        vec![self.opts.test_fraction.into(), self.seed.into()]
    }

    /// Run a query that returns one row; SPI errors (the caller's own, e.g. a missing
    /// privilege) propagate unchanged.
    pub(super) fn query_one<T>(
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
    pub(super) fn query_one_unreported<T>(
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
    pub(super) fn check(&self, counts: &RowCounts) {
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

    pub(super) fn target_name(&self) -> &str {
        &self.sql.columns[0].0
    }

    pub(super) fn too_few_rows(&self) -> ! {
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
pub(super) fn cut_points_sql(q: usize, n_train: i64) -> String {
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
pub(super) fn segments_with(ctx: &TrainContext, cut_points: Option<Vec<f64>>) -> Option<Segments> {
    cut_points.map(|cut_points| Segments {
        cut_points,
        ..ctx.opts.segments.clone()
    })
}

/// What fitting a kind hands to the catalog.
pub(super) struct Trained {
    pub(super) coefficients: Vec<f64>,
    /// The kind's full statistics, with "kind" set.
    pub(super) fit: serde_json::Value,
    pub(super) train_metrics: serde_json::Value,
    pub(super) test_metrics: serde_json::Value,
    pub(super) n_train: i64,
    pub(super) n_test: i64,
    pub(super) n_dropped: i64,
    /// Value tiers with their cut points (linear and logistic models).
    pub(super) segments: Option<Segments>,
    /// `"group_by"`: each group's coefficients, for scoring.
    pub(super) groups: Option<StoredGroups>,
}
