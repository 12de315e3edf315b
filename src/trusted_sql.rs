//! SQL that no caller can redirect.
//!
//! cltv runs queries on the caller's behalf (training passes, scoring's catalog lookups)
//! and as the extension's owner (catalog writes). Neither may be steered by objects the
//! caller chose: an operator `=` or a function overload planted in a schema on the
//! `search_path` would otherwise run inside another role's training, or decide an
//! ownership check. So:
//! - every entry point that runs SQL does it under [`pinned`]: `search_path` is
//!   `pg_catalog, pg_temp` for the duration, so operators, functions and types resolve to
//!   PostgreSQL's own (`pg_temp` last: temporary objects are never searched for functions
//!   or operators);
//! - cltv's own functions are called by schema-qualified name, through [`cltv_function`],
//!   from the schema `cltv_internal`, where only the extension's owner may create objects
//!   (a qualified name in a schema others can create in is still open to a better-matching
//!   overload).

use crate::error::raise;
use cltv_core::error::Error;
use pgrx::prelude::*;

/// Run `f` with `search_path` set to `pg_catalog, pg_temp`, restored when `f` returns. On
/// an error the (sub)transaction's abort restores it, as for a function's `SET` clause.
pub fn pinned<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: NewGUCNestLevel/set_config_option/AtEOXact_GUC are called in a backend, in a
    // transaction (every caller is a SQL-callable function), with NUL-terminated literals;
    // the nest level opened here is closed by the matching AtEOXact_GUC below, or by the
    // transaction's abort if `f` raises.
    unsafe {
        let nest_level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            c"pg_catalog, pg_temp".as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        let out = f();
        pg_sys::AtEOXact_GUC(true, nest_level);
        out
    }
}

/// The schema-qualified name under which cltv's own queries call the cltv function `name`
/// (`cltv_linreg_state_columns`, `cltv_predict`, …): its copy in `cltv_internal` when the
/// installed SQL has one (0.4.0 on; named without the `cltv_` prefix), else the function in
/// the extension's schema (a database not yet updated). `None` if the installed SQL has
/// neither (a function newer than the database's version).
pub fn cltv_function(name: &str) -> Option<String> {
    let internal = name.strip_prefix("cltv_").unwrap_or(name);
    // Under `pinned`, every operator and function below is PostgreSQL's own.
    pinned(|| {
        Spi::get_one_with_args::<String>(
            "SELECT pg_catalog.quote_ident(n.nspname) || '.'
                    || pg_catalog.quote_ident(p.proname)
               FROM pg_catalog.pg_extension e
               JOIN pg_catalog.pg_depend d
                 ON d.refclassid = 'pg_catalog.pg_extension'::regclass
                AND d.refobjid = e.oid AND d.deptype = 'e'
                AND d.classid = 'pg_catalog.pg_proc'::regclass
               JOIN pg_catalog.pg_proc p ON p.oid = d.objid
               JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
              WHERE e.extname = 'cltv'
                AND ((n.nspname = 'cltv_internal' AND p.proname = $2)
                  OR (n.oid = e.extnamespace AND p.proname = $1))
              ORDER BY n.nspname = 'cltv_internal' DESC
              LIMIT 1",
            &[name.into(), internal.into()],
        )
        .or_else(|e| match e {
            // No row: the installed SQL has no such function.
            pgrx::spi::SpiError::InvalidPosition => Ok(None),
            e => Err(e),
        })
        .unwrap_or_else(|e| {
            raise(Error::Internal {
                reason: format!("looking up cltv function {name}: {e}"),
            })
        })
    })
}

/// [`cltv_function`] for a function every supported database has.
pub fn required_cltv_function(name: &str) -> String {
    cltv_function(name).unwrap_or_else(|| {
        raise(Error::Internal {
            reason: format!("the installed cltv SQL has no function {name}: run ALTER EXTENSION cltv UPDATE"),
        })
    })
}
