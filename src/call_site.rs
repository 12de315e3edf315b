//! The call-site memo: what a SQL function works out once per call site and reuses for
//! every row, kept in the call site's `flinfo->fn_extra`.
//!
//! A call site is one `FmgrInfo`: one call of a function in one query expression. Its
//! memo lives in `fn_mcxt` (usually the query's memory), so it lasts as long as the query
//! and is dropped, with whatever Rust memory it owns, when that context goes. It is not
//! the scoring cache (`crate::cache`), which keeps loaded models across statements keyed
//! by catalog row identity; a call site's memo holds what that cache gave it and the
//! binding of its arguments (a row type's columns, a fit's scorer, column types).
//!
//! Every function that needs one uses this type: the memo is typed (a function whose
//! `fn_extra` holds another type's memo raises an internal error rather than misreading
//! it), and keyed by the bytes of the arguments it was made for, so that a model name that
//! changes from row to row (a column, not a constant) re-resolves the model.

use crate::error::raise;
use cltv_core::error::Error;
use pgrx::{pg_sys, PgMemoryContexts};
use std::any::TypeId;

/// The memo of one call site: a `T` made for arguments whose bytes are `key`.
///
/// `repr(C)` keeps `tag` first whatever `T` is, so that it can be checked before the rest
/// is read as a `CallSite<T>`.
#[repr(C)]
pub(crate) struct CallSite<T: 'static> {
    tag: TypeId,
    key: Vec<Box<[u8]>>,
    value: Option<T>,
}

impl<T: 'static> CallSite<T> {
    /// The memo of the current call's site: empty on its first call.
    ///
    /// # Safety
    /// `fcinfo` is the valid FunctionCallInfo of the current call, every user of its
    /// `fn_extra` goes through `CallSite`, and no other reference to this memo is alive while
    /// the returned one is (it must not outlive the call: `'call` is at most the call).
    pub(crate) unsafe fn of<'call>(fcinfo: pg_sys::FunctionCallInfo) -> &'call mut CallSite<T> {
        // SAFETY: `fcinfo` and its `flinfo` are valid for the call (the contract). fn_extra
        // is either NULL or a `CallSite` (only this type writes it), allocated in fn_mcxt,
        // which outlives the call; its `TypeId` comes first (`repr(C)`) and is checked
        // before the memo is read as a `CallSite<T>`.
        unsafe {
            let flinfo = (*fcinfo).flinfo;
            if (*flinfo).fn_extra.is_null() {
                let empty = CallSite::<T> {
                    tag: TypeId::of::<T>(),
                    key: Vec::new(),
                    value: None,
                };
                // Dropped, with the Rust memory it owns, when fn_mcxt is reset or deleted.
                (*flinfo).fn_extra = PgMemoryContexts::For((*flinfo).fn_mcxt)
                    .leak_and_drop_on_delete(empty)
                    .cast();
            }
            if *((*flinfo).fn_extra as *const TypeId) != TypeId::of::<T>() {
                raise(Error::Internal {
                    reason: format!("the call site's memo is not a {}", std::any::type_name::<T>()),
                })
            }
            &mut *((*flinfo).fn_extra as *mut CallSite<T>)
        }
    }

    /// The value made for the arguments `key`: made by `make` on the site's first call and
    /// whenever `key` differs from the last one's. Per row, only a byte comparison: the
    /// arguments are almost always constants. If `make` raises, the site stays empty.
    pub(crate) fn get_or_make(&mut self, key: &[&[u8]], make: impl FnOnce() -> T) -> &mut T {
        let same = self.value.is_some()
            && self.key.len() == key.len()
            && self.key.iter().zip(key).all(|(kept, given)| **kept == **given);
        if !same {
            self.value = None;
            self.key = key.iter().map(|part| Box::from(*part)).collect();
        }
        self.value.get_or_insert_with(make)
    }
}

/// A model reference argument's text. Invalid UTF-8 (possible in a SQL_ASCII database) is
/// an error rather than a lossy guess at a model's name.
pub(crate) fn model_reference(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_else(|_| {
        raise(Error::InvalidArgument {
            what: "model reference".into(),
            reason: "is not valid UTF-8".into(),
        })
    })
}
