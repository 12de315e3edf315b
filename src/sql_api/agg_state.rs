//! Helpers for aggregates whose state is a `float8[]` updated in place (see
//! `crate::float8_array`): who owns the state, and how it is copied.

use super::conversion::Conversion;
use crate::call_site::CallSite;
use crate::error::raise;
use crate::float8_array::Float8Array;
use cltv_core::error::Error;
use pgrx::pg_sys;

/// The aggregate's memory context, or `None` when called as a plain function.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call.
pub(super) unsafe fn aggregate_context(fcinfo: pg_sys::FunctionCallInfo) -> Option<pg_sys::MemoryContext> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let mut context: pg_sys::MemoryContext = std::ptr::null_mut();
        if pg_sys::AggCheckCallContext(fcinfo, &mut context) != 0 {
            Some(context)
        } else {
            None
        }
    }
}

/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call, and `n` is less than its `nargs`.
pub(super) unsafe fn arg(fcinfo: pg_sys::FunctionCallInfo, n: usize) -> Option<pg_sys::Datum> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let arg = *(*fcinfo).args.as_ptr().add(n);
        (!arg.isnull).then_some(arg.value)
    }
}

/// A state we may write: in the aggregate's context it is ours; outside an aggregate it
/// is copied first, because a direct caller's array must not change under it.
///
/// # Safety
/// `datum` is a non-NULL float8[] datum; `context` is `aggregate_context` of the current call.
pub(super) unsafe fn writable_state<'mem>(
    datum: pg_sys::Datum,
    context: Option<pg_sys::MemoryContext>,
) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let state = read_state(datum);
        match context {
            Some(_) => state,
            None => copy_state(state.as_slice()),
        }
    }
}

/// # Safety
/// `datum` is a non-NULL float8[] datum that stays valid while the result is used.
pub(super) unsafe fn read_state<'mem>(datum: pg_sys::Datum) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        Float8Array::from_datum(datum).unwrap_or_else(|_| {
            raise(Error::CorruptState {
                reason: "the state is not a one-dimensional float8[] without NULLs".into(),
            })
        })
    }
}

/// A new state holding `values`, in CurrentMemoryContext: the call's per-tuple memory.
///
/// A transition or combine function that returns a new pointer (a first state, or one
/// re-made wider) must not allocate it in the aggregate's context: the executor
/// (ExecAggTransReparent, PostgreSQL 15 nodeAgg.c) copies every new by-reference state into
/// that context itself and frees only the old one, so a state made there would stay until
/// the aggregate's context is reset: one orphan per group under a hashed `GROUP BY`. The
/// per-tuple memory is reset after the call; outside an aggregate, it is the caller's.
///
/// # Safety
/// Called from a V1 function, whose CurrentMemoryContext lives at least until it returns.
pub(super) unsafe fn copy_state<'mem>(values: &[f64]) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let mut copy = Float8Array::alloc_in(pg_sys::CurrentMemoryContext, values.len());
        copy.as_mut_slice().copy_from_slice(values);
        copy
    }
}

/// The combine function of an in-place `float8[]` aggregate: NULL handling and ownership
/// here; `merge` folds a partial state into ours (and may re-make ours).
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of a combine function: arguments 0 and 1 are float8[] states or NULL.
pub(super) unsafe fn combine(
    fcinfo: pg_sys::FunctionCallInfo,
    merge: impl for<'mem> FnOnce(Float8Array<'mem>, Float8Array<'mem>) -> Float8Array<'mem>,
) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        match (arg(fcinfo, 0), arg(fcinfo, 1)) {
            (None, None) => {
                (*fcinfo).isnull = true;
                pg_sys::Datum::from(0usize)
            }
            (Some(ours), None) => ours,
            // A new pointer: the executor copies it into the aggregate's context.
            (None, Some(theirs)) => copy_state(read_state(theirs).as_slice()).into_datum(),
            (Some(ours), Some(theirs)) => {
                merge(writable_state(ours, agg_context), read_state(theirs)).into_datum()
            }
        }
    }
}

/// A new growing state: `header`, then room for a first batch of items.
///
/// # Safety
/// CurrentMemoryContext outlives every use of the state (the call's, or the aggregate's).
pub(super) unsafe fn new_growing<'mem>(header: &[f64]) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let mut state = Float8Array::alloc_in(pg_sys::CurrentMemoryContext, header.len() + 64);
        state.as_mut_slice()[..header.len()].copy_from_slice(header);
        state
    }
}

/// Appends `items` to a growing state whose first `header` elements are its header, the
/// item count at `count_at`; when full, it moves to an array of twice the capacity, so
/// appending stays amortised O(1).
///
/// # Safety
/// `state` is writable (this aggregate's) and CurrentMemoryContext outlives the result's use.
pub(super) unsafe fn append<'mem>(
    mut state: Float8Array<'mem>,
    header: usize,
    count_at: usize,
    items: &[f64],
) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let used = state.as_slice()[count_at] as usize;
        let filled = header + used;
        if filled + items.len() > state.len() {
            let capacity = (used + items.len()).max(2 * (state.len() - header)).max(64);
            // Allocated per call; the aggregate machinery copies a new state into its own context.
            let mut grown = Float8Array::alloc_in(pg_sys::CurrentMemoryContext, header + capacity);
            grown.as_mut_slice()[..filled].copy_from_slice(&state.as_slice()[..filled]);
            state = grown;
        }
        let values = state.as_mut_slice();
        values[filled..filled + items.len()].copy_from_slice(items);
        values[count_at] = (used + items.len()) as f64;
        state
    }
}

/// The most feature columns a `_columns` aggregate takes: PostgreSQL passes at most 100
/// arguments, and the transition functions also take the state and up to four more.
pub(crate) const MAX_COLUMN_FEATURES: usize = 95;

/// Where a pass's feature values are: one `float8[]` argument, or numeric arguments from
/// an index on (the `VARIADIC "any"` forms, which spare the query an array per row).
#[derive(Clone, Copy)]
pub(super) enum Features {
    Array(usize),
    Columns(usize),
}

impl Features {
    /// Calls `f` with the row's `p` feature values, or `None` when one is NULL (an
    /// incomplete row). A wrong count is an error; so is a column that is not a number
    /// (its type is looked up once per call site).
    ///
    /// # Safety
    /// `fcinfo` is the valid FunctionCallInfo of the current call; with `Features::Array(at)` argument `at` is a float8[] or NULL, with `Features::Columns(first)` the arguments from `first` on are the feature columns.
    pub(super) unsafe fn read<R>(
        self,
        fcinfo: pg_sys::FunctionCallInfo,
        p: usize,
        f: impl FnOnce(Option<&[f64]>) -> R,
    ) -> R {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            match self {
                Features::Array(at) => match arg(fcinfo, at).map(|d| Float8Array::from_datum(d)) {
                    Some(Ok(x)) if x.len() != p => raise(Error::WrongArrayLength {
                        expected: p,
                        got: x.len(),
                    }),
                    Some(Ok(x)) => f(Some(x.as_slice())),
                    // A NULL array, or NULLs in it.
                    _ => f(None),
                },
                Features::Columns(first) => {
                    let got = ((*fcinfo).nargs as usize).saturating_sub(first);
                    if got != p {
                        raise(Error::InvalidArgument {
                            what: format!("{got} feature argument(s)"),
                            reason: format!("the coefficients have {p}, one per feature after the intercept"),
                        })
                    }
                    let conversions = column_conversions(fcinfo, first);
                    // A small buffer for the usual widths: this runs per row, and zeroing the
                    // widest buffer would cost more than reading ten columns.
                    const SMALL: usize = 16;
                    let read = |values: &mut [f64]| {
                        for (j, value) in values.iter_mut().enumerate() {
                            *value = conversions[j].apply(arg(fcinfo, first + j)?);
                        }
                        Some(())
                    };
                    if p <= SMALL {
                        let mut values = [0.0; SMALL];
                        let complete = read(&mut values[..p]).is_some();
                        f(complete.then_some(&values[..p]))
                    } else {
                        let mut values = [0.0; MAX_COLUMN_FEATURES];
                        let complete = read(&mut values[..p]).is_some();
                        f(complete.then_some(&values[..p]))
                    }
                }
            }
        }
    }
}

/// How each argument from `first` on becomes a double, found from the argument types once
/// per call site (its `CallSite` memo).
///
/// # Safety
/// As `CallSite::of`; the arguments of `fcinfo` from `first` on are the feature columns.
unsafe fn column_conversions<'call>(fcinfo: pg_sys::FunctionCallInfo, first: usize) -> &'call [Conversion] {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    let (flinfo, nargs) = unsafe { ((*fcinfo).flinfo, (*fcinfo).nargs as usize) };
    let n = nargs.saturating_sub(first);
    if n > MAX_COLUMN_FEATURES {
        raise(Error::InvalidArgument {
            what: format!("{n} feature arguments"),
            reason: format!("at most {MAX_COLUMN_FEATURES} fit in a call: pass the features as an array"),
        })
    }
    // SAFETY: the caller upholds `CallSite::of`'s contract; the memo does not outlive the call.
    let site = unsafe { CallSite::<Vec<Conversion>>::of(fcinfo) };
    // The argument count is the key: the same for every call of one call site.
    site.get_or_make(&[&n.to_ne_bytes()], || {
        (first..first + n)
            .map(|i| {
                // SAFETY: `flinfo` is the current call's; any argument number is allowed.
                let type_oid = unsafe { pg_sys::get_fn_expr_argtype(flinfo, i as i32) };
                Conversion::for_type(type_oid).unwrap_or_else(|| {
                    raise(Error::InvalidArgument {
                        what: format!("feature argument {}", i - first + 1),
                        reason: if type_oid == pg_sys::InvalidOid {
                            "has a type the function cannot determine; call it as an aggregate".into()
                        } else {
                            "must be a number (float8, float4, integer, numeric) or a boolean".into()
                        },
                    })
                })
            })
            .collect()
    })
}
