//! `cltv_binary_metrics(y, p [, sample_fraction [, quantiles]])`: AUC, log loss, Brier score and the
//! confusion counts of any probabilities, as a parallel aggregate.
//!
//! An exact AUC needs every score sorted, so the state keeps them: a `float8[]` of
//! `[tag, count, sample_fraction, k, q₁ … q_k, s₁, s₂, …]` (see `cltv_core::evaluation::score_state`)
//! that grows by doubling, each score
//! `sᵢ` one (p, y) pair packed in 64 bits (`cltv_core::evaluation::classification::pack_score`: 8
//! bytes a row, sorted as integers); with quantiles q, the result also has the scores'
//! quantiles (training's value-segment cut points, from the sort the AUC needs anyway).
//! With `sample_fraction` < 1 it keeps a deterministic sample of the scores, tie groups
//! whole (see `cltv_core::evaluation::classification::in_score_sample`); `cltv_train` uses that above
//! `SCORE_SAMPLE_ROWS` rows so that memory stays bounded.

use super::agg_state::{aggregate_context, append, arg, combine, new_growing, read_state, writable_state};
use super::v1_function_info;
use crate::error::{raise, OrRaise};
use crate::float8_array::Float8Array;
use cltv_core::error::{float_name, Error};
use cltv_core::evaluation::classification::{
    binary_metrics_from_packed, in_score_sample, pack_score, packed_probability,
};
use cltv_core::evaluation::score_state::{self, ScoreStateKind};
use cltv_core::model::segments::quantile_sorted_by;
use pgrx::prelude::*;
use pgrx::JsonB;

/// Above this many rows per split, `cltv_train` scores a deterministic sample of this size
/// (≈ 64 MB of state) for its metrics.
pub(crate) const SCORE_SAMPLE_ROWS: i64 = 8_000_000;

/// A `float8[]` argument (the quantiles) as a vector: NULL is none.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call; argument `n`, if passed, is a float8[] or NULL.
unsafe fn quantiles_arg(fcinfo: pg_sys::FunctionCallInfo, n: usize) -> Vec<f64> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        if (*fcinfo).nargs as usize <= n {
            return Vec::new();
        }
        match arg(fcinfo, n).map(|d| Float8Array::from_datum(d)) {
            None => Vec::new(),
            Some(Ok(q)) => q.as_slice().to_vec(),
            Some(Err(_)) => raise(Error::InvalidArgument {
                what: "quantiles".into(),
                reason: "must be a one-dimensional float8[] without NULLs".into(),
            }),
        }
    }
}

/// The state's constant arguments against this row's: the first row's are kept, a
/// different one is an error naming both (they are not silently taken from the first row).
fn check_unchanged(state: &[f64], header_len: usize, fraction: Option<f64>, quantiles: &[f64]) {
    let (kept_fraction, kept_quantiles) = (state[2], &state[score_state::FIXED_HEADER_LEN..header_len]);
    if let Some(fraction) = fraction {
        if fraction.to_bits() != kept_fraction.to_bits() {
            raise(Error::ArgumentChanged {
                argument: "sample_fraction".into(),
                first: float_name(kept_fraction),
                now: float_name(fraction),
            })
        }
    }
    if kept_quantiles.len() != quantiles.len()
        || kept_quantiles
            .iter()
            .zip(quantiles)
            .any(|(a, b)| a.to_bits() != b.to_bits())
    {
        raise(Error::ArgumentChanged {
            argument: "quantiles".into(),
            first: score_state::list(kept_quantiles),
            now: score_state::list(quantiles),
        })
    }
}

v1_function_info!(pg_finfo_cltv_binary_metrics_sfunc);

/// Transition: keep one `(p, y)` score (or skip it, outside the sample).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_binary_metrics_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        let state = arg(fcinfo, 0);
        let fraction = if (*fcinfo).nargs > 3 {
            arg(fcinfo, 3).map(|d| f64::from_bits(d.value() as u64))
        } else {
            None
        }
        .unwrap_or(1.0);
        // Rows with a NULL outcome or score are skipped, as SQL aggregates skip NULLs.
        let (Some(y), Some(p)) = (arg(fcinfo, 1), arg(fcinfo, 2)) else {
            return match state {
                Some(state) => state,
                None => {
                    (*fcinfo).isnull = true;
                    pg_sys::Datum::from(0usize)
                }
            };
        };
        let p = f64::from_bits(p.value() as u64);
        if !(0.0..=1.0).contains(&p) {
            raise(Error::InvalidArgument {
                what: format!("probability {}", float_name(p)),
                reason: "is not in [0, 1]".into(),
            })
        }
        let quantiles = quantiles_arg(fcinfo, 4);
        let state = match state {
            Some(datum) => {
                let state = writable_state(datum, agg_context);
                let (header, _) =
                    score_state::check_header(ScoreStateKind::BinaryMetrics, state.as_slice()).or_raise();
                check_unchanged(state.as_slice(), header, Some(fraction), &quantiles);
                state
            }
            None => new_growing(
                &score_state::new_header(ScoreStateKind::BinaryMetrics, fraction, &quantiles).or_raise(),
            ),
        };
        if !in_score_sample(p, fraction) {
            return state.into_datum();
        }
        let header = score_state::FIXED_HEADER_LEN + quantiles.len();
        let score = f64::from_bits(pack_score(p, y.value() != 0));
        append(state, header, COUNT_AT, &[score]).into_datum()
    }
}

/// Where the growing states keep their score count.
const COUNT_AT: usize = 1;

v1_function_info!(pg_finfo_cltv_binary_metrics_combine);

/// Combine: append a parallel worker's scores to ours.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_binary_metrics_combine(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { combine_scores(fcinfo, ScoreStateKind::BinaryMetrics) }
}

/// The combine function of both growing states: checked, then appended.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of a combine function of `kind`'s state: arguments 0 and 1 are float8[] states or NULL.
unsafe fn combine_scores(fcinfo: pg_sys::FunctionCallInfo, kind: ScoreStateKind) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        if let Some(theirs) = arg(fcinfo, 1) {
            // A lone partial state is copied as it is: check it first.
            score_state::parse(kind, read_state(theirs).as_slice()).or_raise();
        }
        combine(fcinfo, |ours, theirs| {
            let extra = score_state::merge_scores(kind, ours.as_slice(), theirs.as_slice()).or_raise();
            let (header, _) = score_state::check_header(kind, ours.as_slice()).or_raise();
            append(ours, header, COUNT_AT, extra)
        })
    }
}

v1_function_info!(pg_finfo_cltv_binary_metrics_final);

/// Final: sort the scores and compute the metrics as jsonb.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_binary_metrics_final(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let Some(state) = arg(fcinfo, 0) else {
            (*fcinfo).isnull = true;
            return pg_sys::Datum::from(0usize);
        };
        let state = read_state(state);
        match score_state::binary_metrics_final(state.as_slice()).or_raise() {
            Some((metrics, quantiles, fraction)) => {
                let json = with_extras(
                    serde_json::to_value(metrics).unwrap_or_default(),
                    &quantiles,
                    fraction,
                );
                JsonB(json).into_datum().unwrap_or_else(|| {
                    raise(Error::Internal {
                        reason: "the metrics could not be made a jsonb value".into(),
                    })
                })
            }
            None => {
                (*fcinfo).isnull = true;
                pg_sys::Datum::from(0usize)
            }
        }
    }
}

/// The metrics with the scores' `quantiles` (if any) as `score_quantiles`, and a
/// `sample_fraction` below 1.
fn with_extras(mut json: serde_json::Value, quantiles: &[f64], fraction: f64) -> serde_json::Value {
    if !quantiles.is_empty() {
        json["score_quantiles"] = quantiles.to_vec().into();
    }
    if fraction < 1.0 {
        json["sample_fraction"] = fraction.into();
    }
    json
}

/// The metrics of packed scores as `cltv_binary_metrics` returns them: with the scores'
/// `quantiles` (if any) as `score_quantiles`, and `sample_fraction` below 1. `None`
/// without scores.
pub(crate) fn metrics_json(
    scores: &mut [u64],
    fraction: f64,
    quantiles: &[f64],
) -> Option<serde_json::Value> {
    if scores.is_empty() {
        return None;
    }
    // Sorts the scores, which the quantiles then read.
    let metrics = binary_metrics_from_packed(scores).or_raise();
    let quantiles: Vec<f64> = quantiles
        .iter()
        .map(|q| quantile_sorted_by(scores.len(), *q, |i| packed_probability(scores[i])))
        .collect();
    Some(with_extras(
        serde_json::to_value(metrics).unwrap_or_default(),
        &quantiles,
        fraction,
    ))
}

// ---------------------------------------------------------------------------------------
// `cltv_score_quantiles(score, quantiles)`: exact quantiles of any scores, parallel. The
// state is `[tag, count, 1, k, q₁ … q_k, score₁, score₂, …]`, growing like the one above.

v1_function_info!(pg_finfo_cltv_score_quantiles_sfunc);

#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_score_quantiles_sfunc(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        let state = arg(fcinfo, 0);
        let Some(score) = arg(fcinfo, 1).map(|d| f64::from_bits(d.value() as u64)) else {
            return match state {
                Some(state) => state,
                None => {
                    (*fcinfo).isnull = true;
                    pg_sys::Datum::from(0usize)
                }
            };
        };
        if !score.is_finite() {
            raise(Error::InvalidArgument {
                what: format!("score {}", float_name(score)),
                reason: "is not finite".into(),
            })
        }
        let quantiles = quantiles_arg(fcinfo, 2);
        let state = match state {
            Some(datum) => {
                let state = writable_state(datum, agg_context);
                let (header, _) =
                    score_state::check_header(ScoreStateKind::ScoreQuantiles, state.as_slice()).or_raise();
                check_unchanged(state.as_slice(), header, None, &quantiles);
                state
            }
            None => new_growing(
                &score_state::new_header(ScoreStateKind::ScoreQuantiles, 1.0, &quantiles).or_raise(),
            ),
        };
        let header = score_state::FIXED_HEADER_LEN + quantiles.len();
        append(state, header, COUNT_AT, &[score]).into_datum()
    }
}

v1_function_info!(pg_finfo_cltv_score_quantiles_combine);

#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_score_quantiles_combine(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { combine_scores(fcinfo, ScoreStateKind::ScoreQuantiles) }
}

v1_function_info!(pg_finfo_cltv_score_quantiles_final);

/// Final: sort and read the quantiles off (linear interpolation, as `percentile_cont`).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_score_quantiles_final(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let Some(state) = arg(fcinfo, 0) else {
            (*fcinfo).isnull = true;
            return pg_sys::Datum::from(0usize);
        };
        let state = read_state(state);
        let quantiles = score_state::score_quantiles_final(state.as_slice()).or_raise();
        quantiles.into_datum().unwrap_or_else(|| {
            raise(Error::Internal {
                reason: "the quantiles could not be made a float8[]".into(),
            })
        })
    }
}

extension_sql_file!(
    "../../sql/score_quantiles_aggregate.sql",
    name = "score_quantiles_aggregate"
);

extension_sql_file!(
    "../../sql/binary_metrics_aggregate.sql",
    name = "binary_metrics_aggregate"
);
