//! cltv: customer-lifetime-value models inside PostgreSQL.
//!
//! The math lives in the `cltv-core` crate, which knows nothing of PostgreSQL. This crate
//! is the thin SQL layer: it converts types, reads and writes the catalog through one
//! module, and hands errors to PostgreSQL through one function.

use pgrx::prelude::*;

// A Rust panic becomes a PostgreSQL ERROR only by unwinding to pgrx's guard; with
// `panic = "abort"` every panic (and every ERROR carried through Rust) would kill the
// backend and restart the server.
#[cfg(not(panic = "unwind"))]
compile_error!("cltv must be built with panic = \"unwind\" (see [profile.*] in Cargo.toml)");

mod cache;
mod call_site;
mod catalog;
mod error;
mod float8_array;
mod jsonb_arg;
mod settings;
mod sql_api;
mod trusted_sql;

::pgrx::pg_module_magic!();

// The catalog tables come first: every function below may refer to them.
extension_sql_file!("../sql/catalog.sql", name = "catalog", bootstrap);
// The copies of the aggregates that cltv's own queries call, after their state functions.
extension_sql_file!(
    "../sql/internal.sql",
    name = "internal",
    requires = [
        "linreg_aggregate",
        "linreg_columns",
        "logreg_aggregate",
        "logreg_columns",
        "binary_metrics_aggregate",
        "score_quantiles_aggregate",
    ]
);
// One line on every user-facing object that its definition does not comment, after them all.
extension_sql_file!("../sql/comments.sql", name = "comments", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    install_panic_hook();
    settings::register();
    cltv_core::interrupt::set_hook(check_for_interrupts);
}

/// The core's interrupt check (`cltv_core::interrupt`): PostgreSQL's CHECK_FOR_INTERRUPTS.
/// A pending cancel, statement_timeout or terminate raises its ERROR (or FATAL) here, which
/// unwinds out of the core's loop as a Rust panic and is re-raised as that error.
fn check_for_interrupts() {
    pg_sys::check_for_interrupts!();
}

/// The backend's main thread, where PostgreSQL runs every function call.
static MAIN_THREAD: std::sync::OnceLock<std::thread::ThreadId> = std::sync::OnceLock::new();

/// Replaces pgrx's panic hook with one that captures no backtrace.
///
/// pgrx's hook (installed when the library is loaded) captures a Rust backtrace on every
/// unwind and appends it to the DETAIL of the ERROR the client gets whenever
/// `RUST_BACKTRACE` or `RUST_LIB_BACKTRACE` is set in the server's environment; that also
/// happens to a PostgreSQL error raised inside SPI, which pgrx carries through Rust as an
/// unwind. An error raised inside cltv must reach the client as itself: its SQLSTATE,
/// message, detail and hint, nothing else. So on the main thread this hook does nothing;
/// the unwind carries the error, and pgrx's guard reports it. On any other thread (no
/// connection to report to) it keeps pgrx's behaviour, which ends in Rust's default hook
/// writing to the server log.
fn install_panic_hook() {
    let _ = MAIN_THREAD.set(std::thread::current().id());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if MAIN_THREAD.get() != Some(&std::thread::current().id()) {
            previous(info)
        }
    }));
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
