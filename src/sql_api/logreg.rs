//! `cltv_logreg_state(y, x, beta)`: one IRLS/Newton pass of logistic regression as a
//! parallel aggregate. cltv_train runs it once per iteration with the current `beta`.
//!
//! Like `cltv_linreg`, the state is a `float8[]` updated in place with a combine function,
//! so each pass parallelises (and can be pushed down by Citus).

use super::agg_state::{aggregate_context, arg, combine, copy_state, writable_state};
use super::v1_function_info;
use crate::error::{raise, OrRaise};
use crate::float8_array::{Float8Array, Float8ArrayIssue};
use cltv_core::error::Error;
use cltv_core::logistic::{self, LogitStateMut};
use pgrx::prelude::*;

v1_function_info!(pg_finfo_cltv_logreg_sfunc);

/// Transition: fold one row `(y, x)` into the Newton sums at `beta`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    let agg_context = aggregate_context(fcinfo);
    let context = agg_context.unwrap_or(pg_sys::CurrentMemoryContext);
    let Some(beta) = arg(fcinfo, 3).map(|d| read_vector(d, "beta")) else {
        raise(Error::InvalidArgument {
            what: "beta".into(),
            reason: "must not be NULL".into(),
        })
    };
    let beta = beta.as_slice();
    let p = beta.len().checked_sub(1).unwrap_or_else(|| {
        raise(Error::InvalidArgument {
            what: "beta".into(),
            reason: "needs the intercept first".into(),
        })
    });
    let mut state = match arg(fcinfo, 0) {
        None => copy_state(&logistic::new_state(p), context),
        Some(datum) => writable_state(datum, agg_context),
    };
    // cltv_train filters incomplete rows out before this; a direct caller's are skipped.
    if let (Some(y), Some(x)) = (arg(fcinfo, 1), arg(fcinfo, 2)) {
        if let Ok(x) = Float8Array::from_datum(x) {
            let x = x.as_slice();
            if x.len() != p {
                raise(Error::WrongArrayLength {
                    expected: p,
                    got: x.len(),
                })
            }
            let mut stats = LogitStateMut::new(state.as_mut_slice()).or_raise();
            stats.push(y.value() != 0, x, beta);
        }
    }
    state.into_datum()
}

unsafe fn read_vector(datum: pg_sys::Datum, what: &str) -> Float8Array {
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

v1_function_info!(pg_finfo_cltv_logreg_combine);

/// Combine: merge the partial sums of a parallel worker into ours.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_logreg_combine(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    combine(fcinfo, |mut ours, theirs, _| {
        LogitStateMut::new(ours.as_mut_slice())
            .or_raise()
            .merge(theirs.as_slice())
            .or_raise();
        ours
    })
}

extension_sql!(
    r#"
CREATE FUNCTION cltv_logreg_sfunc(state float8[], y boolean, x float8[], beta float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_sfunc';
CREATE FUNCTION cltv_logreg_combine(state float8[], partial float8[]) RETURNS float8[]
    LANGUAGE c CALLED ON NULL INPUT IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'cltv_logreg_combine';
CREATE AGGREGATE cltv_logreg_state(y boolean, x float8[], beta float8[]) (
    SFUNC = cltv_logreg_sfunc,
    STYPE = float8[],
    COMBINEFUNC = cltv_logreg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE cltv_logreg_state(boolean, float8[], float8[]) IS
    'One Newton/IRLS pass of logistic regression at coefficients beta (intercept first): the gradient, XᵀWX and the log-likelihood. cltv_train runs one per iteration';
"#,
    name = "logreg_aggregate"
);
