//! The `source` of `cltv_train` and `cltv_evaluate` given as text: resolved by PostgreSQL's
//! own `regclass` input (the same search_path lookup, errors and SQLSTATEs as a `regclass`
//! argument, and no privilege check of its own: the training queries check SELECT), after
//! refusing a query string with a hint to make it a view.

use crate::error::raise;
use cltv_core::error::Error;
use pgrx::prelude::*;
use pgrx::PgRelation;

/// The relation `source` names, locked as a `regclass` argument would be.
pub(crate) fn resolve(function: &str, source: &str) -> PgRelation {
    if cltv_core::model::scoring::looks_like_query(source) {
        raise(Error::QueryAsSource {
            function: function.to_string(),
            source: source.to_string(),
        })
    }
    let name = std::ffi::CString::new(source).unwrap_or_else(|_| {
        raise(Error::InvalidArgument {
            what: "source".into(),
            reason: "must not contain a NUL character".into(),
        })
    });
    // SAFETY: regclassin takes one cstring and returns an oid, raising PostgreSQL's own
    // errors (42P01, 3F000, 42602) for a name that resolves to nothing.
    let oid = unsafe {
        pgrx::direct_function_call::<pg_sys::Oid>(
            pg_sys::regclassin,
            &[Some(pg_sys::Datum::from(name.as_ptr()))],
        )
    }
    .filter(|oid| *oid != pg_sys::InvalidOid)
    .unwrap_or_else(|| {
        raise(Error::InvalidArgument {
            what: format!("source '{source}'"),
            reason: "names no relation".into(),
        })
    });
    // SAFETY: the oid was just resolved; the lock, as pgrx takes for a regclass argument,
    // keeps the relation from going away.
    unsafe { PgRelation::with_lock(oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE) }
}
