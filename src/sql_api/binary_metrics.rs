//! `cltv_binary_metrics(y, p [, sample_fraction [, quantiles]])`: AUC, log loss, Brier score and the
//! confusion counts of any probabilities, as a parallel aggregate.
//!
//! An exact AUC needs every score sorted, so the state keeps them: a `float8[]` of
//! `[count, sample_fraction, k, q₁ … q_k, s₁, s₂, …]` that grows by doubling, each score
//! `sᵢ` one (p, y) pair packed in 64 bits (`cltv_core::classification::pack_score`: 8
//! bytes a row, sorted as integers); with quantiles q, the result also has the scores'
//! quantiles (training's value-segment cut points, from the sort the AUC needs anyway).
//! With `sample_fraction` < 1 it keeps a deterministic sample of the scores, tie groups
//! whole (see `cltv_core::classification::in_score_sample`); `cltv_train` uses that above
//! `SCORE_SAMPLE_ROWS` rows so that memory stays bounded.

use super::agg_state::{aggregate_context, append, arg, combine, new_growing, read_state, writable_state};
use super::v1_function_info;
use crate::error::{raise, OrRaise};
use cltv_core::classification::{
    binary_metrics_from_packed, in_score_sample, pack_score, packed_probability,
};
use cltv_core::error::Error;
use cltv_core::segments::{quantile_sorted, quantile_sorted_by};
use pgrx::prelude::*;
use pgrx::JsonB;

/// Above this many rows per split, `cltv_train` scores a deterministic sample of this size
/// (≈ 64 MB of state) for its metrics.
pub(crate) const SCORE_SAMPLE_ROWS: i64 = 8_000_000;

/// Elements in front of the scores: count, sample fraction, k and the k quantiles.
fn header_len(values: &[f64]) -> usize {
    3 + values[2] as usize
}

v1_function_info!(pg_finfo_cltv_binary_metrics_sfunc);

/// Transition: keep one `(p, y)` score (or skip it, outside the sample).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_binary_metrics_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    let agg_context = aggregate_context(fcinfo);
    let state = arg(fcinfo, 0);
    let float_arg = |n: usize| {
        ((*fcinfo).nargs as usize > n)
            .then(|| arg(fcinfo, n))
            .flatten()
            .map(|d| f64::from_bits(d.value() as u64))
    };
    let fraction = float_arg(3).unwrap_or(1.0);
    if !(fraction > 0.0 && fraction <= 1.0) {
        raise(Error::InvalidArgument {
            what: format!("sample_fraction {fraction}"),
            reason: "must be in (0, 1]".into(),
        })
    }
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
            what: format!("probability {p}"),
            reason: "is not in [0, 1]".into(),
        })
    }
    let state = match state {
        Some(datum) => writable_state(datum, agg_context),
        None => {
            let quantiles = if (*fcinfo).nargs > 4 {
                arg(fcinfo, 4)
                    .map(|d| read_state(d).as_slice().to_vec())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            if quantiles.iter().any(|q| !(0.0..=1.0).contains(q)) {
                raise(Error::InvalidArgument {
                    what: format!("quantiles {quantiles:?}"),
                    reason: "must be within [0, 1]".into(),
                })
            }
            let mut header = vec![0.0, fraction, quantiles.len() as f64];
            header.extend(quantiles);
            new_growing(&header)
        }
    };
    if !in_score_sample(p, fraction) {
        return state.into_datum();
    }
    let header = header_len(state.as_slice());
    let score = f64::from_bits(pack_score(p, y.value() != 0));
    append(state, header, 0, &[score]).into_datum()
}

v1_function_info!(pg_finfo_cltv_binary_metrics_combine);

/// Combine: append a parallel worker's scores to ours.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_binary_metrics_combine(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    combine(fcinfo, |ours, theirs, _| {
        let (mine, other) = (ours.as_slice(), theirs.as_slice());
        let header = header_len(mine);
        if header != header_len(other) || mine[1..header] != other[1..header] {
            raise(Error::CorruptState {
                reason: "partial states with different sample fractions or quantiles".into(),
            })
        }
        let extra = other[0] as usize;
        append(ours, header, 0, &theirs.as_slice()[header..header + extra])
    })
}

v1_function_info!(pg_finfo_cltv_binary_metrics_final);

/// Final: sort the scores and compute the metrics as jsonb.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_binary_metrics_final(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    let Some(state) = arg(fcinfo, 0) else {
        (*fcinfo).isnull = true;
        return pg_sys::Datum::from(0usize);
    };
    let state = read_state(state);
    let values = state.as_slice();
    let (used, fraction, header) = (values[0] as usize, values[1], header_len(values));
    let mut scores: Vec<u64> = values[header..header + used]
        .iter()
        .map(|s| s.to_bits())
        .collect();
    match metrics_json(&mut scores, fraction, &values[3..header]) {
        Some(json) => JsonB(json).into_datum().expect("jsonb datum"),
        None => {
            (*fcinfo).isnull = true;
            pg_sys::Datum::from(0usize)
        }
    }
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
    let mut json = serde_json::to_value(metrics).expect("metrics serialise");
    if !quantiles.is_empty() {
        let quantiles: Vec<f64> = quantiles
            .iter()
            .map(|q| quantile_sorted_by(scores.len(), *q, |i| packed_probability(scores[i])))
            .collect();
        json["score_quantiles"] = quantiles.into();
    }
    if fraction < 1.0 {
        json["sample_fraction"] = fraction.into();
    }
    Some(json)
}

// ---------------------------------------------------------------------------------------
// `cltv_score_quantiles(score, quantiles)`: exact quantiles of any scores, parallel. The
// state is `[count, k, q₁ … q_k, score₁, score₂, …]`, growing like the one above.

v1_function_info!(pg_finfo_cltv_score_quantiles_sfunc);

#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_score_quantiles_sfunc(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
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
            what: format!("score {score}"),
            reason: "is not finite".into(),
        })
    }
    let state = match state {
        Some(datum) => writable_state(datum, agg_context),
        None => {
            let quantiles = arg(fcinfo, 2)
                .map(|d| read_state(d).as_slice().to_vec())
                .unwrap_or_default();
            if quantiles.iter().any(|q| !(0.0..=1.0).contains(q)) {
                raise(Error::InvalidArgument {
                    what: format!("quantiles {quantiles:?}"),
                    reason: "must be within [0, 1]".into(),
                })
            }
            let mut header = vec![0.0, quantiles.len() as f64];
            header.extend(quantiles);
            new_growing(&header)
        }
    };
    let header_len = 2 + state.as_slice()[1] as usize;
    append(state, header_len, 0, &[score]).into_datum()
}

v1_function_info!(pg_finfo_cltv_score_quantiles_combine);

#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_score_quantiles_combine(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    combine(fcinfo, |ours, theirs, _| {
        let (mine, other) = (ours.as_slice(), theirs.as_slice());
        let header_len = 2 + mine[1] as usize;
        if mine[1..header_len] != other[1..header_len] {
            raise(Error::CorruptState {
                reason: "partial states with different quantiles".into(),
            })
        }
        let extra = other[0] as usize;
        append(
            ours,
            header_len,
            0,
            &theirs.as_slice()[header_len..header_len + extra],
        )
    })
}

v1_function_info!(pg_finfo_cltv_score_quantiles_final);

/// Final: sort and read the quantiles off (linear interpolation, as `percentile_cont`).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_score_quantiles_final(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    let Some(state) = arg(fcinfo, 0) else {
        (*fcinfo).isnull = true;
        return pg_sys::Datum::from(0usize);
    };
    let state = read_state(state);
    let values = state.as_slice();
    let k = values[1] as usize;
    let used = values[0] as usize;
    let mut scores = values[2 + k..2 + k + used].to_vec();
    scores.sort_unstable_by(f64::total_cmp);
    let quantiles: Vec<f64> = values[2..2 + k]
        .iter()
        .map(|q| quantile_sorted(&scores, *q))
        .collect();
    quantiles.into_datum().expect("a float8[] datum")
}

extension_sql!(
    r#"
CREATE FUNCTION cltv_score_quantiles_sfunc(state float8[], score float8, quantiles float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_sfunc';
CREATE FUNCTION cltv_score_quantiles_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_combine';
CREATE FUNCTION cltv_score_quantiles_final(state float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_score_quantiles_final';
CREATE AGGREGATE cltv_score_quantiles(score float8, quantiles float8[]) (
    SFUNC = cltv_score_quantiles_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_score_quantiles_combine,
    FINALFUNC = cltv_score_quantiles_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_score_quantiles(float8, float8[]) IS
    'Exact quantiles of the scores (linear interpolation between the closest ranks, as percentile_cont), in parallel; keeps 8 bytes per row until its final sort. Training uses it for the value-segment cut points';
"#,
    name = "score_quantiles_aggregate"
);

extension_sql!(
    r#"
CREATE FUNCTION cltv_binary_metrics_sfunc(state float8[], y boolean, p float8) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE FUNCTION cltv_binary_metrics_sfunc(state float8[], y boolean, p float8, sample_fraction float8) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE FUNCTION cltv_binary_metrics_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_combine';
CREATE FUNCTION cltv_binary_metrics_final(state float8[]) RETURNS jsonb
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_final';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8) (
    SFUNC = cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_binary_metrics_combine,
    FINALFUNC = cltv_binary_metrics_final,
    PARALLEL = SAFE
);
CREATE FUNCTION cltv_binary_metrics_sfunc(state float8[], y boolean, p float8, sample_fraction float8, quantiles float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_binary_metrics_sfunc';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8, sample_fraction float8, quantiles float8[]) (
    SFUNC = cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_binary_metrics_combine,
    FINALFUNC = cltv_binary_metrics_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8, float8, float8[]) IS
    'cltv_binary_metrics, with the scores'' quantiles (as percentile_cont) in "score_quantiles"';
CREATE AGGREGATE cltv_binary_metrics(y boolean, p float8, sample_fraction float8) (
    SFUNC = cltv_binary_metrics_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_binary_metrics_combine,
    FINALFUNC = cltv_binary_metrics_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8) IS
    'Classification metrics of probabilities p against outcomes y: exact AUC (ties count ½), log loss, Brier score, accuracy, precision, recall and F1 at 0.5, base rate. Keeps 16 bytes per row until the final sort';
COMMENT ON AGGREGATE cltv_binary_metrics(boolean, float8, float8) IS
    'cltv_binary_metrics over a deterministic sample of about sample_fraction of the scores (rows tied at one probability are kept or dropped together)';
"#,
    name = "binary_metrics_aggregate"
);
