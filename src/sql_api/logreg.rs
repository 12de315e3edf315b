//! `cltv_internal.logreg_state(y, x, beta)`: one IRLS/Newton pass of logistic regression as a
//! parallel aggregate. cltv_train runs it once per iteration with the current `beta`; the
//! first pass also checks the input (`cltv_internal.logreg_first_pass`), and the pass it expects to
//! be the last also scores every row (`cltv_internal.logreg_scored_pass`).
//!
//! Like `cltv_linreg`, the state is a `float8[]` updated in place with a combine function,
//! so each pass parallelises (and can be pushed down by Citus). The `_columns` forms take
//! the features as `float8` arguments (`VARIADIC "any"`) instead of an array, which spares
//! every row of every pass building one.

use super::agg_state::{
    aggregate_context, append, arg, combine, copy_state, new_growing, read_state, writable_state, Features,
};
use super::v1_function_info;
use crate::error::{raise, OrRaise};
use crate::float8_array::{Float8Array, Float8ArrayIssue};
use cltv_core::error::Error;
use cltv_core::fit::input_checks::{self, RowUse};
use cltv_core::fit::logistic::{self, LogitPass, LogitStateMut};
use cltv_core::fit::scored_pass;
use pgrx::prelude::*;

v1_function_info!(pg_finfo_cltv_logreg_sfunc);

/// Transition of `cltv_internal.logreg_state(y, x, beta)`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { fold_pass(fcinfo, 3, Features::Array(2)) }
}

v1_function_info!(pg_finfo_cltv_logreg_columns_sfunc);

/// Transition of `cltv_internal.logreg_state_columns(y, beta, VARIADIC x)`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_columns_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { fold_pass(fcinfo, 2, Features::Columns(3)) }
}

/// Folds one row `(y, x)` into the Newton sums at `beta` (argument `beta_at`).
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of a logreg pass transition function: argument 0 the state, 1 the boolean target, `beta_at` the coefficients (float8[]), `features` as `Features::read` requires.
unsafe fn fold_pass(fcinfo: pg_sys::FunctionCallInfo, beta_at: usize, features: Features) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        let (beta, p) = beta_arg(fcinfo, beta_at);
        let beta = beta.as_slice();
        let mut state = match arg(fcinfo, 0) {
            // A new pointer: the executor copies it into the aggregate's context.
            None => copy_state(&logistic::new_state(p)),
            Some(datum) => writable_state(datum, agg_context),
        };
        // cltv_train filters incomplete rows out before this; a direct caller's are skipped.
        if let Some(y) = arg(fcinfo, 1) {
            features.read(fcinfo, p, |x| {
                if let Some(x) = x {
                    let mut stats = LogitStateMut::new(state.as_mut_slice()).or_raise();
                    stats.try_push(y.value() != 0, x, beta).or_raise();
                }
            });
        }
        state.into_datum()
    }
}

/// The coefficients argument of a pass (argument `at`), and the feature count it implies.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call; argument `at` is a float8[] or NULL.
unsafe fn beta_arg<'mem>(fcinfo: pg_sys::FunctionCallInfo, at: usize) -> (Float8Array<'mem>, usize) {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let Some(beta) = arg(fcinfo, at).map(|d| read_vector(d, "beta")) else {
            raise(Error::InvalidArgument {
                what: "beta".into(),
                reason: "must not be NULL".into(),
            })
        };
        let p = beta.len().checked_sub(1).unwrap_or_else(|| {
            raise(Error::InvalidArgument {
                what: "beta".into(),
                reason: "needs the intercept first".into(),
            })
        });
        (beta, p)
    }
}

/// # Safety
/// `datum` is a non-NULL float8[] datum that stays valid while the result is used.
unsafe fn read_vector<'mem>(datum: pg_sys::Datum, what: &str) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        Float8Array::from_datum(datum).unwrap_or_else(|issue| {
            raise(Error::InvalidArgument {
                what: what.into(),
                reason: match issue {
                    Float8ArrayIssue::HasNulls => "must not contain NULLs".into(),
                    Float8ArrayIssue::NotOneDimensional => "must be one-dimensional".into(),
                },
            })
        })
    }
}

v1_function_info!(pg_finfo_cltv_logreg_combine);

/// Combine: merge the partial sums of a parallel worker into ours.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_combine(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        combine(fcinfo, |mut ours, theirs| {
            LogitStateMut::new(ours.as_mut_slice())
                .or_raise()
                .merge(theirs.as_slice())
                .or_raise();
            ours
        })
    }
}

v1_function_info!(pg_finfo_cltv_logreg_first_sfunc);

/// Transition of `cltv_internal.logreg_first_pass(y, x, beta, is_test)`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_first_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { fold_first(fcinfo, 3, 4, Features::Array(2)) }
}

v1_function_info!(pg_finfo_cltv_logreg_first_columns_sfunc);

/// Transition of `cltv_internal.logreg_first_pass_columns(y, beta, is_test, VARIADIC x)`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_first_columns_sfunc(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { fold_first(fcinfo, 2, 3, Features::Columns(4)) }
}

/// The first pass's row: count and check it (see `input_checks`), then fold it into the
/// Newton sums if it is a complete, finite training row with a 0/1 target.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of a first-pass logreg transition function: argument 0 the state, 1 the boolean target, `beta_at` the coefficients, `is_test_at` a boolean, `features` as `Features::read` requires.
unsafe fn fold_first(
    fcinfo: pg_sys::FunctionCallInfo,
    beta_at: usize,
    is_test_at: usize,
    features: Features,
) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        let (beta, p) = beta_arg(fcinfo, beta_at);
        let beta = beta.as_slice();
        let mut state = match arg(fcinfo, 0) {
            // A new pointer: the executor copies it into the aggregate's context.
            None => {
                let mut fresh = input_checks::new_counts().to_vec();
                fresh.extend(logistic::new_state(p));
                copy_state(&fresh)
            }
            Some(datum) => writable_state(datum, agg_context),
        };
        let y = arg(fcinfo, 1).map(|d| f64::from_bits(d.value() as u64));
        let is_test = arg(fcinfo, is_test_at).is_some_and(|d| d.value() != 0);
        let (counts, sums) = input_checks::split_state_mut(state.as_mut_slice()).or_raise();
        // The sums' header (and beta) first: a row must not be counted into a state it cannot join.
        LogitStateMut::new(sums).or_raise().check_beta(beta).or_raise();
        features.read(fcinfo, p, |x| {
            if input_checks::count_row(counts, y, x, is_test, true) == RowUse::Train {
                let mut stats = LogitStateMut::new(sums).or_raise();
                stats
                    .try_push(y == Some(1.0), x.unwrap_or_default(), beta)
                    .or_raise();
            }
        });
        state.into_datum()
    }
}

v1_function_info!(pg_finfo_cltv_logreg_first_combine);

#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_first_combine(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        if let Some(theirs) = arg(fcinfo, 1) {
            // A lone partial state is copied as it is: check it first.
            let theirs = read_state(theirs);
            let (_, their_sums) = input_checks::split_state(theirs.as_slice()).or_raise();
            LogitPass::from_state(their_sums).or_raise();
        }
        combine(fcinfo, |mut ours, theirs| {
            let (counts, sums) = input_checks::split_state_mut(ours.as_mut_slice()).or_raise();
            let (their_counts, their_sums) = input_checks::split_state(theirs.as_slice()).or_raise();
            LogitStateMut::new(sums).or_raise().merge(their_sums).or_raise();
            input_checks::merge_counts(counts, their_counts);
            ours
        })
    }
}

extension_sql_file!("../../sql/logreg_aggregate.sql", name = "logreg_aggregate");

v1_function_info!(pg_finfo_cltv_logreg_scored_sfunc);

/// Transition of `cltv_internal.logreg_scored_pass(y, beta, is_test, sample_fractions, VARIADIC x)`:
/// a complete training row into the Newton sums at `beta`, and every complete row's
/// probability into the scores (see `cltv_core::fit::scored_pass`).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_scored_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        let (beta, p) = beta_arg(fcinfo, 2);
        let beta = beta.as_slice();
        let mut state = match arg(fcinfo, 0) {
            Some(datum) => writable_state(datum, agg_context),
            None => {
                let fractions = arg(fcinfo, 4).map(|d| read_vector(d, "sample_fractions"));
                let (train, test) = match fractions.as_ref().map(|f| f.as_slice()) {
                    None => (1.0, 1.0),
                    Some(&[train, test]) => (train, test),
                    Some(_) => raise(Error::InvalidArgument {
                        what: "sample_fractions".into(),
                        reason: "needs two fractions: the training rows' and the test rows'".into(),
                    }),
                };
                let header = scored_pass::new_header(p, train, test).or_raise();
                new_growing(&header)
            }
        };
        // Incomplete rows (a NULL target, a NULL among the features) are skipped.
        let Some(y) = arg(fcinfo, 1) else {
            return state.into_datum();
        };
        let is_test = arg(fcinfo, 3).is_some_and(|d| d.value() != 0);
        // A state made by this aggregate is well formed; one a direct caller passes is checked.
        if agg_context.is_none() {
            scored_pass::read_sizes(state.as_slice()).or_raise();
        }
        let header = scored_pass::header_len(p);
        let score = Features::Columns(5).read(fcinfo, p, |x| {
            x.map(|x| {
                let sums = &mut state.as_mut_slice()[..header];
                scored_pass::push_row(sums, y.value() != 0, x, beta, is_test).or_raise()
            })
        });
        match score.flatten() {
            Some(score) => {
                append(state, header, logistic::state_len(p), &[f64::from_bits(score)]).into_datum()
            }
            None => state.into_datum(),
        }
    }
}

v1_function_info!(pg_finfo_cltv_logreg_scored_combine);

/// Combine: merge a parallel worker's sums into ours and append its scores.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_scored_combine(
    fcinfo: pg_sys::FunctionCallInfo,
) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        combine(fcinfo, |mut ours, theirs| {
            let (p, _) = scored_pass::read_sizes(ours.as_slice()).or_raise();
            let (_, extra) = scored_pass::read_sizes(theirs.as_slice()).or_raise();
            let header = scored_pass::header_len(p);
            let theirs = theirs.as_slice();
            scored_pass::merge_header(&mut ours.as_mut_slice()[..header], theirs).or_raise();
            append(
                ours,
                header,
                logistic::state_len(p),
                &theirs[header..header + extra],
            )
        })
    }
}

extension_sql_file!(
    "../../sql/logreg_columns.sql",
    name = "logreg_columns",
    requires = ["logreg_aggregate"]
);
