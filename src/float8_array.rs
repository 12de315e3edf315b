//! Raw access to one-dimensional `float8[]` values without copying them.
//!
//! The fitting aggregates keep their state in a `float8[]` and update it in place, as
//! PostgreSQL's own `float8_accum` does: no allocation per row, and a state type that
//! parallel workers and Citus can both ship. pgrx's `Array<f64>` copies, so the few
//! pointer computations live here, in one place.

use pgrx::pg_sys;
use std::marker::PhantomData;
use std::mem::size_of;

/// ARR_OVERHEAD_NONULLS(1): the header, one dimension and one lower bound, MAXALIGNed.
const HEADER_1D: usize = (size_of::<pg_sys::ArrayType>() + 2 * size_of::<i32>() + 7) & !7;

/// A detoasted, one-dimensional `float8[]` without NULL elements, in memory that stays
/// valid for `'mem` (a memory context's lifetime, usually the current call's): its slices
/// borrow it, so none can outlive that memory.
pub struct Float8Array<'mem> {
    ptr: *mut pg_sys::ArrayType,
    _mem: PhantomData<&'mem mut [f64]>,
}

/// Why an argument could not be read as a plain vector of doubles.
pub enum Float8ArrayIssue {
    HasNulls,
    NotOneDimensional,
}

impl<'mem> Float8Array<'mem> {
    /// Detoast `datum` (a no-op for the states we allocate ourselves) and check its shape.
    ///
    /// # Safety
    /// `datum` must be a non-NULL `float8[]` datum whose memory (and that of its detoasted
    /// copy, CurrentMemoryContext) stays valid for `'mem`.
    #[inline]
    pub unsafe fn from_datum(datum: pg_sys::Datum) -> Result<Self, Float8ArrayIssue> {
        let raw = datum.cast_mut_ptr::<pg_sys::varlena>();
        // SAFETY: `datum` is a non-NULL varlena (the contract), so its header can be read
        // and detoasted; the detoasted copy, if any, is palloc'd in CurrentMemoryContext.
        let ptr = unsafe {
            if pgrx::varlena::varatt_is_4b_u(raw) {
                raw
            } else {
                pg_sys::pg_detoast_datum(raw)
            }
        } as *mut pg_sys::ArrayType;
        // SAFETY: a detoasted `float8[]` starts with an ArrayType header.
        let (ndim, dataoffset, elemtype) = unsafe { ((*ptr).ndim, (*ptr).dataoffset, (*ptr).elemtype) };
        // An empty array has ndim 0; treat it as a zero-length vector.
        if ndim > 1 {
            return Err(Float8ArrayIssue::NotOneDimensional);
        }
        if dataoffset != 0 {
            return Err(Float8ArrayIssue::HasNulls);
        }
        debug_assert_eq!(elemtype, pg_sys::FLOAT8OID);
        Ok(Float8Array {
            ptr,
            _mem: PhantomData,
        })
    }

    /// A zeroed `float8[]` of `len` elements, allocated in `context`.
    ///
    /// # Safety
    /// `context` must be a valid memory context that stays alive for `'mem`.
    pub unsafe fn alloc_in(context: pg_sys::MemoryContext, len: usize) -> Self {
        let size = HEADER_1D + len * size_of::<f64>();
        // SAFETY: `context` is a live memory context (the contract); MemoryContextAllocZero
        // returns `size` zeroed, MAXALIGNed bytes or raises an ERROR, and `size` covers the
        // header, the dimension and lower bound right after it, and `len` doubles.
        unsafe {
            let ptr = pg_sys::MemoryContextAllocZero(context, size) as *mut pg_sys::ArrayType;
            pgrx::varlena::set_varsize_4b(ptr as *mut pg_sys::varlena, size as i32);
            (*ptr).ndim = 1;
            (*ptr).dataoffset = 0;
            (*ptr).elemtype = pg_sys::FLOAT8OID;
            let dims = (ptr as *mut u8).add(size_of::<pg_sys::ArrayType>()) as *mut i32;
            *dims = len as i32; // ARR_DIMS[0]
            *dims.add(1) = 1; // ARR_LBOUND[0]
            Float8Array {
                ptr,
                _mem: PhantomData,
            }
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: `ptr` is a live one-dimensional (or empty) float8[] (`from_datum`,
        // `alloc_in`); ARR_DIMS[0] follows the header when ndim is 1.
        unsafe {
            if (*self.ptr).ndim == 0 {
                0
            } else {
                *((self.ptr as *const u8).add(size_of::<pg_sys::ArrayType>()) as *const i32) as usize
            }
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[f64] {
        // SAFETY: a float8[] without NULLs keeps its `len()` doubles at HEADER_1D, aligned
        // for f64 (palloc MAXALIGNs); the borrow of `self` bounds the slice.
        unsafe {
            std::slice::from_raw_parts((self.ptr as *const u8).add(HEADER_1D) as *const f64, self.len())
        }
    }

    /// The elements, writable in place. Only for states this aggregate owns.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [f64] {
        // SAFETY: as `as_slice`; the mutable borrow of `self` makes the slice unique, and
        // callers write only states they own.
        unsafe {
            std::slice::from_raw_parts_mut((self.ptr as *mut u8).add(HEADER_1D) as *mut f64, self.len())
        }
    }

    #[inline]
    pub fn into_datum(self) -> pg_sys::Datum {
        pg_sys::Datum::from(self.ptr)
    }
}
