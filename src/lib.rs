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
mod trusted_sql;

::pgrx::pg_module_magic!();

// The catalog tables come first: every function below may refer to them.
extension_sql_file!("../sql/catalog.sql", name = "catalog", bootstrap);
// The copies of the aggregates that cltv's own queries call, after every function.
extension_sql_file!("../sql/internal.sql", name = "internal", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::register();
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
