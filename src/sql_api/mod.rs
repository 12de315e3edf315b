//! The SQL surface: thin wrappers that convert types, call the core and raise its errors.

use crate::error::raise;
use cltv_core::error::Error;
use pgrx::pg_sys;

mod agg_state;
mod binary_metrics;
mod clv;
mod coefficients;
mod conversion;
mod explain;
mod lifecycle;
mod linreg;
mod logreg;
mod options;
mod predict;
mod rfm;
mod train;

/// PG_FUNCTION_INFO_V1 for the few functions written against the raw calling convention
/// (the in-place aggregate transition functions).
macro_rules! v1_function_info {
    ($finfo:ident) => {
        #[unsafe(no_mangle)]
        #[doc(hidden)]
        pub extern "C" fn $finfo() -> &'static ::pgrx::pg_sys::Pg_finfo_record {
            const V1: ::pgrx::pg_sys::Pg_finfo_record = ::pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1
        }
    };
}
pub(crate) use v1_function_info;

/// An identifier quoted for SQL text, by PostgreSQL's own `quote_identifier`.
/// A text value as an SQL literal, for values cltv itself found in the data (category
/// levels) that a query repeats per row.
pub(crate) fn quote_literal(value: &str) -> String {
    let c = std::ffi::CString::new(value).unwrap_or_else(|_| {
        raise(Error::InvalidArgument {
            what: format!("value {value:?}"),
            reason: "contains a NUL byte".into(),
        })
    });
    // SAFETY: quote_literal_cstr takes a NUL-terminated string (`c`) and returns a palloc'd
    // one, copied out at once.
    unsafe { std::ffi::CStr::from_ptr(pg_sys::quote_literal_cstr(c.as_ptr())) }
        .to_string_lossy()
        .into_owned()
}

pub(crate) fn quote_ident(name: &str) -> String {
    let c = std::ffi::CString::new(name).unwrap_or_else(|_| {
        raise(Error::InvalidArgument {
            what: format!("identifier {name:?}"),
            reason: "contains a NUL byte".into(),
        })
    });
    // SAFETY: quote_identifier takes a NUL-terminated string (`c`) and returns it or a
    // palloc'd quoted copy, NUL-terminated, copied out at once.
    unsafe { std::ffi::CStr::from_ptr(pg_sys::quote_identifier(c.as_ptr())) }
        .to_string_lossy()
        .into_owned()
}

/// A required argument of a function that is not STRICT (one of its arguments may be
/// NULL): a NULL here is an error naming it, not a panic inside pgrx.
pub(crate) fn required<T>(value: Option<T>, function: &str, argument: &str) -> T {
    value.unwrap_or_else(|| {
        raise(Error::NullArgument {
            function: function.into(),
            argument: argument.into(),
        })
    })
}
