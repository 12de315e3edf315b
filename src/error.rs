//! Turns the project's one error enum (`cltv_core::Error`) into a PostgreSQL ERROR.
//!
//! The enum, its SQLSTATEs and its wording live in the core so they are unit-tested
//! without PostgreSQL; this file only hands them to `ereport`.

use cltv_core::Error;
use pgrx::pg_sys::errcodes::PgSqlErrorCode;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::PgLogLevel;

/// Encode a five-character SQLSTATE the way PostgreSQL's MAKE_SQLSTATE does.
fn sqlstate_code(sqlstate: &str) -> PgSqlErrorCode {
    let code = sqlstate.bytes().take(5).enumerate().fold(0i32, |acc, (i, ch)| {
        acc | (((ch.wrapping_sub(b'0') & 0x3F) as i32) << (6 * i))
    });
    PgSqlErrorCode::from(code)
}

/// Raise `err` as a PostgreSQL ERROR. Never returns: the transaction aborts, so a failed
/// training writes nothing.
pub fn raise(err: Error) -> ! {
    // A cancel or statement_timeout that arrived during the work wins over the work's own
    // error: the caller asked for 57014, and must not see (and act on) something else.
    pgrx::pg_sys::check_for_interrupts!();
    let mut report = ErrorReport::new(sqlstate_code(err.sqlstate()), err.message(), "cltv");
    if let Some(detail) = err.detail() {
        report = report.set_detail(detail);
    }
    if let Some(hint) = err.hint() {
        report = report.set_hint(hint);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ereport(ERROR) returned")
}

/// `result.or_raise()` reads better than a match at every call site.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T> OrRaise<T> for Result<T, Error> {
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| raise(e))
    }
}
