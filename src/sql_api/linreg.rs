//! `cltv_linreg(y, x)`: exact linear regression as one parallel aggregate pass.
//!
//! The state is a `float8[]` of centred sufficient statistics (layout in
//! `cltv_core::fit::suffstats`), updated in place. With a combine function and no `internal`
//! state, PostgreSQL's parallel workers and Citus workers can both compute partial states.

use super::agg_state::{aggregate_context, arg, combine, copy_state, writable_state, Features};
use super::v1_function_info;
use crate::error::{raise, OrRaise};
use crate::float8_array::{Float8Array, Float8ArrayIssue};
use cltv_core::error::Error;
use cltv_core::fit::ols::{fit_ols, OlsOptions};
use cltv_core::fit::suffstats::{self, StateMut, SuffStats};
use pgrx::prelude::*;
use pgrx::JsonB;

/// A new state for `p` features (see `copy_state` for where it lives).
///
/// # Safety
/// As `copy_state`.
unsafe fn new_state<'mem>(p: usize) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe { copy_state(&suffstats::new_state(p)) }
}

/// Make `state` hold `p` features. A state that has seen no complete row yet (it may have
/// been created by a leading NULL row, before `p` was known) is re-made with its counters.
///
/// # Safety
/// `state` is this aggregate's writable state; as `copy_state`.
unsafe fn state_for_width<'mem>(mut state: Float8Array<'mem>, p: usize) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        if suffstats::width_of(state.as_slice()) == Some(p) {
            return state;
        }
        let current = StateMut::new(state.as_mut_slice()).or_raise();
        if current.n() > 0 {
            raise(Error::WrongArrayLength {
                expected: current.p(),
                got: p,
            });
        }
        let mut wider = new_state(p);
        StateMut::new(wider.as_mut_slice())
            .or_raise()
            .merge(state.as_slice())
            .or_raise();
        wider
    }
}

v1_function_info!(pg_finfo_cltv_linreg_sfunc);

/// Transition of `cltv_linreg(y, x float8[])`: fold one row into the state.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_linreg_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let y = arg(fcinfo, 1).map(|d| f64::from_bits(d.value() as u64));
        match arg(fcinfo, 2).map(|d| Float8Array::from_datum(d)) {
            Some(Ok(x)) => fold_row(fcinfo, x.len(), y, Some(x.as_slice())),
            Some(Err(Float8ArrayIssue::NotOneDimensional)) => raise(Error::InvalidArgument {
                what: "x".into(),
                reason: "must be a one-dimensional float8[]".into(),
            }),
            // A NULL x or a NULL element.
            _ => fold_row(fcinfo, 0, y, None),
        }
    }
}

v1_function_info!(pg_finfo_cltv_linreg_columns_sfunc);

/// Transition of `cltv_linreg_columns(y, VARIADIC x "any")` and `cltv_internal.linreg_state_columns`:
/// the features as arguments of any numeric type, no array built per row.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_linreg_columns_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let y = arg(fcinfo, 1).map(|d| f64::from_bits(d.value() as u64));
        let p = ((*fcinfo).nargs as usize).saturating_sub(2);
        Features::Columns(2).read(fcinfo, p, |x| fold_row(fcinfo, p, y, x))
    }
}

/// Folds one row `(y, x)` of `p` features into the state.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of a linreg transition function: argument 0 the state (float8[] or NULL).
unsafe fn fold_row(
    fcinfo: pg_sys::FunctionCallInfo,
    p: usize,
    y: Option<f64>,
    x: Option<&[f64]>,
) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        let state = match arg(fcinfo, 0) {
            None => new_state(p),
            Some(datum) => writable_state(datum, agg_context),
        };
        let mut state = match (x, y) {
            (Some(_), Some(_)) => state_for_width(state, p),
            _ => state,
        };
        let mut stats = StateMut::new(state.as_mut_slice()).or_raise();
        match (x, y) {
            (Some(x), Some(y)) => {
                if y.is_finite() && x.iter().all(|v| v.is_finite()) {
                    stats.push(y, x);
                } else {
                    stats.note_nonfinite_row();
                }
            }
            // A NULL y or a NULL feature: the row is skipped, as aggregates skip NULLs, and
            // counted so that cltv_train can enforce its missing-data policy.
            _ => stats.note_null_row(),
        }
        state.into_datum()
    }
}

v1_function_info!(pg_finfo_cltv_linreg_combine);

/// Combine: merge the partial state of a parallel worker into ours.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_linreg_combine(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        combine(fcinfo, |ours, theirs| {
            let their_stats = SuffStats::from_state(theirs.as_slice()).or_raise();
            let mut ours = if their_stats.n > 0 {
                state_for_width(ours, their_stats.p)
            } else {
                ours
            };
            StateMut::new(ours.as_mut_slice())
                .or_raise()
                .merge(theirs.as_slice())
                .or_raise();
            ours
        })
    }
}

/// Names for the low-level aggregate's features: `x[1]`, `x[2]`, … as they are indexed in SQL.
fn positional_names(p: usize) -> Vec<String> {
    (1..=p).map(|i| format!("x[{i}]")).collect()
}

/// Final: solve and report the model, with a statistician's summary, as `jsonb`. Declared
/// below as `cltv_internal.linreg_final` (pgrx places a function only in a schema of its own
/// making; `cltv_internal` comes from sql/catalog.sql).
#[pg_extern(sql = false)]
fn cltv_linreg_final(state: Vec<Option<f64>>) -> JsonB {
    let state: Vec<f64> = state.into_iter().collect::<Option<_>>().unwrap_or_else(|| {
        raise(Error::CorruptState {
            reason: "the state is not a one-dimensional float8[] without NULLs".into(),
        })
    });
    let stats = SuffStats::from_state(&state).or_raise();
    if stats.rows_nonfinite > 0 {
        raise(Error::NonFinite {
            column: "y or x".into(),
            value: None,
            rows: stats.rows_nonfinite,
        });
    }
    let fit = fit_ols(
        &stats,
        &positional_names(stats.p),
        &OlsOptions {
            l2: 0.0,
            ..Default::default()
        },
    )
    .or_raise();
    let mut json = serde_json::to_value(&fit).unwrap_or_default();
    json["kind"] = "linear".into();
    json["rows_skipped_null"] = stats.rows_skipped_null.into();
    JsonB(json)
}

extension_sql_file!("../../sql/linreg_aggregate.sql", name = "linreg_aggregate");

extension_sql_file!(
    "../../sql/linreg_columns.sql",
    name = "linreg_columns",
    requires = ["linreg_aggregate"]
);
