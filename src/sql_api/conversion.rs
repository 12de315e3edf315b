//! How a number of any of SQL's numeric types (and boolean, as 0/1) becomes a double: in
//! scoring, where a row's columns bind to a model's features, and in the aggregates that
//! take the features as columns.

use pgrx::pg_sys;

/// How one input value becomes a double.
#[derive(Debug, Clone, Copy)]
pub(super) enum Conversion {
    Float8,
    Float4,
    Int2,
    Int4,
    Int8,
    Numeric,
    Bool,
}

impl Conversion {
    pub(super) fn for_type(typid: pg_sys::Oid) -> Option<Conversion> {
        Some(match typid {
            pg_sys::FLOAT8OID => Conversion::Float8,
            pg_sys::FLOAT4OID => Conversion::Float4,
            pg_sys::INT2OID => Conversion::Int2,
            pg_sys::INT4OID => Conversion::Int4,
            pg_sys::INT8OID => Conversion::Int8,
            pg_sys::NUMERICOID => Conversion::Numeric,
            pg_sys::BOOLOID => Conversion::Bool,
            _ => return None,
        })
    }

    /// # Safety
    /// `datum` is a non-NULL value of the type this conversion was made for.
    #[inline]
    pub(super) unsafe fn apply(self, datum: pg_sys::Datum) -> f64 {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            match self {
                Conversion::Float8 => f64::from_bits(datum.value() as u64),
                Conversion::Float4 => f32::from_bits(datum.value() as u32) as f64,
                Conversion::Int2 => datum.value() as i16 as f64,
                Conversion::Int4 => datum.value() as i32 as f64,
                Conversion::Int8 => datum.value() as i64 as f64,
                Conversion::Bool => (datum.value() != 0) as u8 as f64,
                Conversion::Numeric => {
                    pgrx::direct_function_call::<f64>(pg_sys::numeric_float8, &[Some(datum)])
                        .unwrap_or(f64::NAN)
                }
            }
        }
    }
}
