//! cltv: customer-lifetime-value models inside PostgreSQL.
//!
//! The math lives in the `cltv-core` crate, which knows nothing of PostgreSQL. This crate
//! is the thin SQL layer: it converts types, reads and writes the catalog through one
//! module, and hands errors to PostgreSQL through one function.

use pgrx::prelude::*;

mod cache;
mod catalog;
mod error;
mod float8_array;
mod settings;
mod sql_api;

::pgrx::pg_module_magic!();

// The catalog tables come first: every function below may refer to them.
extension_sql_file!("../sql/catalog.sql", name = "catalog", bootstrap);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::register();
    cltv_core::interrupt::set_hook(check_for_interrupts);
}

/// The core's interrupt check (`cltv_core::interrupt`): PostgreSQL's CHECK_FOR_INTERRUPTS.
/// A pending cancel, statement_timeout or terminate raises its ERROR (or FATAL) here, which
/// unwinds out of the core's loop as a Rust panic and is re-raised as that error.
fn check_for_interrupts() {
    pg_sys::check_for_interrupts!();
}

#[cfg(any(test, feature = "pg_test"))]
mod tests; // inner `#[pg_schema] mod tests`: pgrx calls the tests in SQL schema "tests"

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    pub fn postgresql_conf_options() -> Vec<&'static str> {
        // Small tables must still be split across workers when a test forces parallelism.
        vec!["max_worker_processes = 8", "max_parallel_workers = 8"]
    }
}
