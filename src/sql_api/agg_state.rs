//! Helpers for aggregates whose state is a `float8[]` updated in place (see
//! `crate::float8_array`): who owns the state, and how it is copied.

use crate::error::raise;
use crate::float8_array::Float8Array;
use cltv_core::error::Error;
use pgrx::pg_sys;

/// The aggregate's memory context, or `None` when called as a plain function.
pub(super) unsafe fn aggregate_context(fcinfo: pg_sys::FunctionCallInfo) -> Option<pg_sys::MemoryContext> {
    let mut context: pg_sys::MemoryContext = std::ptr::null_mut();
    if pg_sys::AggCheckCallContext(fcinfo, &mut context) != 0 {
        Some(context)
    } else {
        None
    }
}

pub(super) unsafe fn arg(fcinfo: pg_sys::FunctionCallInfo, n: usize) -> Option<pg_sys::Datum> {
    let arg = *(*fcinfo).args.as_ptr().add(n);
    (!arg.isnull).then_some(arg.value)
}

/// A state we may write: in the aggregate's context it is ours; outside an aggregate it
/// is copied first, because a direct caller's array must not change under it.
pub(super) unsafe fn writable_state(
    datum: pg_sys::Datum,
    context: Option<pg_sys::MemoryContext>,
) -> Float8Array {
    let state = read_state(datum);
    match context {
        Some(_) => state,
        None => copy_state(state.as_slice(), pg_sys::CurrentMemoryContext),
    }
}

pub(super) unsafe fn read_state(datum: pg_sys::Datum) -> Float8Array {
    Float8Array::from_datum(datum).unwrap_or_else(|_| {
        raise(Error::CorruptState {
            reason: "the state is not a one-dimensional float8[] without NULLs".into(),
        })
    })
}

pub(super) unsafe fn copy_state(values: &[f64], context: pg_sys::MemoryContext) -> Float8Array {
    let mut copy = Float8Array::alloc_in(context, values.len());
    copy.as_mut_slice().copy_from_slice(values);
    copy
}

/// The combine function of an in-place `float8[]` aggregate: NULL handling and ownership
/// here; `merge` folds a partial state into ours (and may re-make ours).
pub(super) unsafe fn combine(
    fcinfo: pg_sys::FunctionCallInfo,
    merge: impl FnOnce(Float8Array, Float8Array, pg_sys::MemoryContext) -> Float8Array,
) -> pg_sys::Datum {
    let agg_context = aggregate_context(fcinfo);
    let context = agg_context.unwrap_or(pg_sys::CurrentMemoryContext);
    match (arg(fcinfo, 0), arg(fcinfo, 1)) {
        (None, None) => {
            (*fcinfo).isnull = true;
            pg_sys::Datum::from(0usize)
        }
        (Some(ours), None) => ours,
        (None, Some(theirs)) => copy_state(read_state(theirs).as_slice(), context).into_datum(),
        (Some(ours), Some(theirs)) => {
            merge(writable_state(ours, agg_context), read_state(theirs), context).into_datum()
        }
    }
}

/// A state of `header` and `width`-element items with room for at least `needed` items,
/// holding the first `used` items of `old` (whose header it copies; `header` otherwise).
/// Capacity doubles, so appending stays amortised O(1).
pub(super) unsafe fn with_room(
    old: Option<&Float8Array>,
    header: &[f64],
    width: usize,
    used: usize,
    needed: usize,
) -> Float8Array {
    let old_capacity = old.map_or(0, |s| (s.len() - header.len()) / width);
    let capacity = needed.max(2 * old_capacity).max(64);
    // Allocated per call; the aggregate machinery copies a new state into its own context.
    let mut grown = Float8Array::alloc_in(pg_sys::CurrentMemoryContext, header.len() + width * capacity);
    let values = grown.as_mut_slice();
    let filled = header.len() + width * used;
    match old {
        Some(old) => values[..filled].copy_from_slice(&old.as_slice()[..filled]),
        None => values[..header.len()].copy_from_slice(header),
    }
    grown
}
