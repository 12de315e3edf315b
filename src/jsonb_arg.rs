//! `jsonb` arguments, read without panicking.
//!
//! pgrx's `JsonB` parses a `jsonb` datum with serde_json and panics when that fails, and it
//! does fail on valid `jsonb`: a number beyond double precision (`1e309`; `jsonb` numbers
//! are `numeric`) or nesting deeper than serde_json's 128 levels. [`JsonbArg`] takes the
//! datum as its text (PostgreSQL's `jsonb_out`) and parses it only when the function says
//! which argument it is, so a bad document is an error (22023) that names the argument
//! and says why. Every function of cltv that takes `jsonb` takes it as this.

use crate::error::raise;
use cltv_core::error::Error;
use pgrx::callconv::{Arg, ArgAbi};
use pgrx::pg_sys;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::{FromDatum, IntoDatum};

/// A `jsonb` value as PostgreSQL prints it, not yet parsed.
pub struct JsonbArg(String);

impl JsonbArg {
    /// The document, or an error naming `argument` when serde_json cannot hold it.
    pub fn value(&self, argument: &str) -> serde_json::Value {
        parse_jsonb_text(&self.0, argument).unwrap_or_else(|e| raise(e))
    }
}

/// Parses `jsonb_out` text; the error says why serde_json cannot represent it.
pub fn parse_jsonb_text(text: &str, argument: &str) -> Result<serde_json::Value, Error> {
    serde_json::from_str(text).map_err(|e| {
        let reason = if e.to_string().starts_with("recursion limit exceeded") {
            "is nested deeper than 128 levels".to_string()
        } else if e.to_string().starts_with("number out of range") {
            format!(
                "has the number {}, which is beyond double precision",
                number_at(text, e.column())
            )
        } else {
            format!("cannot be read: {e}")
        };
        Error::InvalidArgument {
            what: format!("jsonb argument \"{argument}\""),
            reason,
        }
    })
}

/// The number that ends at (1-based) column `column` of one-line `text`, shortened if long.
fn number_at(text: &str, column: usize) -> String {
    let bytes = text.as_bytes();
    let is_num = |b: u8| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E');
    let mut end = column.min(bytes.len());
    while end < bytes.len() && is_num(bytes[end]) {
        end += 1;
    }
    let mut start = end;
    while start > 0 && is_num(bytes[start - 1]) {
        start -= 1;
    }
    let number = &text[start..end];
    if number.len() <= 24 {
        number.to_string()
    } else {
        format!("{}… ({} characters)", &number[..12], number.len())
    }
}

impl FromDatum for JsonbArg {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<JsonbArg> {
        // SAFETY: the caller upholds `FromDatum::from_polymorphic_datum`'s contract: a non-NULL `datum` is a valid jsonb datum.
        unsafe {
            if is_null {
                return None;
            }
            let varlena = datum.cast_mut_ptr();
            let detoasted = pg_sys::pg_detoast_datum_packed(varlena);
            let cstr =
                pgrx::direct_function_call::<&std::ffi::CStr>(pg_sys::jsonb_out, &[Some(detoasted.into())])?;
            let owned = cstr.to_string_lossy().into_owned();
            pg_sys::pfree(cstr.as_ptr() as *mut std::ffi::c_void);
            if detoasted != varlena {
                pg_sys::pfree(detoasted.cast());
            }
            Some(JsonbArg(owned))
        }
    }
}

impl IntoDatum for JsonbArg {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let text = std::ffi::CString::new(self.0).ok()?;
        // SAFETY: jsonb_in takes one NUL-terminated cstring, which `text` keeps alive for the call.
        unsafe { pgrx::direct_function_call_as_datum(pg_sys::jsonb_in, &[Some(text.as_ptr().into())]) }
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

// SAFETY: both methods read the argument through `FromDatum`, as pgrx's own impls do, and
// the SQL type below (jsonb) is the one `from_polymorphic_datum` reads.
unsafe impl<'fcx> ArgAbi<'fcx> for JsonbArg {
    unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
        // SAFETY: the caller upholds `ArgAbi`'s contract: `arg` is a jsonb argument of the current call.
        unsafe {
            let index = arg.index();
            arg.unbox_arg_using_from_datum().unwrap_or_else(|| {
                raise(Error::InvalidArgument {
                    what: format!("jsonb argument {}", index + 1),
                    reason: "must not be NULL".into(),
                })
            })
        }
    }

    unsafe fn unbox_nullable_arg(arg: Arg<'_, 'fcx>) -> pgrx::nullable::Nullable<Self> {
        // SAFETY: the caller upholds `ArgAbi`'s contract: `arg` is a jsonb argument of the current call.
        unsafe { arg.unbox_arg_using_from_datum().into() }
    }
}

// SAFETY: the SQL type named here, jsonb, is the one this type's datums are.
unsafe impl SqlTranslatable for JsonbArg {
    const TYPE_IDENT: &'static str = pgrx::pgrx_sql_entity_graph::pgrx_resolved_type!(JsonbArg);
    const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
    const ARGUMENT_SQL: Result<SqlMappingRef, ArgumentError> = Ok(SqlMappingRef::literal("jsonb"));
    const RETURN_SQL: Result<ReturnsRef, ReturnsError> = Ok(ReturnsRef::One(SqlMappingRef::literal("jsonb")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_beyond_double_and_deep_nesting_are_errors() {
        let e = parse_jsonb_text(r#"{"l2": 1e309}"#, "options").unwrap_err();
        assert_eq!(
            e.message(),
            "invalid jsonb argument \"options\": has the number 1e309, which is beyond double precision"
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let e = parse_jsonb_text(&deep, "fit").unwrap_err();
        assert!(
            e.message().ends_with("is nested deeper than 128 levels"),
            "{}",
            e.message()
        );
        assert_eq!(e.sqlstate(), "22023");
        let long = format!("[1{}]", "0".repeat(400));
        let e = parse_jsonb_text(&long, "document").unwrap_err();
        assert!(
            e.message().contains(
                ": has the number 100000000000… (401 characters), which is beyond double precision"
            ),
            "{}",
            e.message()
        );
        assert!(parse_jsonb_text(r#"{"a": [1, 2.5e300]}"#, "x").is_ok());
    }
}
