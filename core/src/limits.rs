//! Bounds on what one call may take: the groups of a `"group_by"` training, the size of
//! the documents stored with a model, and the memory of the in-memory training paths
//! (the lbfgs solver, the BTYD fits), with fallible allocation of their big buffers so
//! that running out of memory is an error ([`Error::OutOfMemory`], SQLSTATE 53200), not an
//! aborted server process.

use std::io;

use crate::error::{Error, Result};

/// The default of the option `"max_groups"`. A group costs about 0.3 kB of stored JSON
/// per coefficient statistic set (100,000 two-feature groups stored a 31 MB fit and took
/// 2 GB of memory to train); 10,000 groups keep a training well under 256 MB and the
/// stored fit near 3 MB, and a per-group model of more groups than that is rarely what a
/// caller meant (a customer id by mistake among the group columns).
pub const DEFAULT_MAX_GROUPS: u64 = 10_000;
/// The largest value the option `"max_groups"` accepts.
pub const MAX_MAX_GROUPS: u64 = 1_000_000;

/// The most bytes that the documents stored with one model version (fit, preprocessing,
/// metrics, as JSON text) may take together: 64 MB. PostgreSQL's jsonb takes at most
/// 255 MB, and turning a document into jsonb takes several times its size in memory.
pub const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

/// The default of the setting `cltv.max_training_memory`, in kB: 1 GB.
pub const DEFAULT_MAX_TRAINING_MEMORY_KB: i32 = 1024 * 1024;

/// An `io::Write` that only counts, and fails once past `max` bytes.
struct Counter {
    bytes: u64,
    max: u64,
}

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes += buf.len() as u64;
        if self.bytes > self.max {
            return Err(io::Error::other("document too large"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The length of `value` as JSON text, counted without building the text; stops counting
/// once past `max` (the result is then some number above `max`).
pub fn json_size(value: &serde_json::Value, max: u64) -> u64 {
    let mut counter = Counter { bytes: 0, max };
    let _ = serde_json::to_writer(&mut counter, value);
    counter.bytes
}

/// Checks the documents to store with a version of `model` against
/// [`MAX_DOCUMENT_BYTES`], before they are converted to jsonb.
pub fn check_documents(model: &str, documents: &[&serde_json::Value]) -> Result<()> {
    let mut total = 0;
    for doc in documents {
        total += json_size(doc, MAX_DOCUMENT_BYTES - total.min(MAX_DOCUMENT_BYTES));
        if total > MAX_DOCUMENT_BYTES {
            // Past the bound the count stopped early: say how large the whole is.
            let whole: u64 = documents.iter().map(|d| json_size(d, u64::MAX)).sum();
            return Err(Error::DocumentTooLarge {
                model: model.to_string(),
                bytes: whole,
                max: MAX_DOCUMENT_BYTES,
                estimated: false,
            });
        }
    }
    Ok(())
}

/// Before the documents of a grouped training are built: `groups` entries the size of
/// `first_entry` must fit in [`MAX_DOCUMENT_BYTES`].
pub fn check_grouped_documents(model: &str, first_entry: &serde_json::Value, groups: u64) -> Result<()> {
    let estimate = json_size(first_entry, u64::MAX).saturating_mul(groups);
    if estimate > MAX_DOCUMENT_BYTES {
        return Err(Error::DocumentTooLarge {
            model: model.to_string(),
            bytes: estimate,
            max: MAX_DOCUMENT_BYTES,
            estimated: true,
        });
    }
    Ok(())
}

/// Checks that an in-memory path needing `bytes` for `rows` rows fits in `limit_kb` kB
/// (the setting `cltv.max_training_memory`); `hint` names an alternative.
pub fn check_training_memory(what: &str, rows: u64, bytes: u64, limit_kb: i32, hint: &str) -> Result<()> {
    let limit = u64::try_from(limit_kb).unwrap_or(0).saturating_mul(1024);
    if bytes > limit {
        return Err(Error::MemoryLimit {
            what: what.to_string(),
            rows,
            bytes,
            limit,
            hint: hint.to_string(),
        });
    }
    Ok(())
}

/// `Vec::with_capacity(len)`, with a failed allocation as [`Error::OutOfMemory`].
pub fn try_vec<T>(len: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    try_reserve(&mut v, len, what)?;
    Ok(v)
}

/// `v.reserve_exact(additional)`, with a failed allocation as [`Error::OutOfMemory`].
pub fn try_reserve<T>(v: &mut Vec<T>, additional: usize, what: &str) -> Result<()> {
    v.try_reserve_exact(additional).map_err(|_| Error::OutOfMemory {
        what: what.to_string(),
        bytes: (additional as u64).saturating_mul(std::mem::size_of::<T>() as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_size_is_the_length_of_the_text() {
        let v = json!({"a": [1.5, 2, null], "b": "x\"y"});
        assert_eq!(
            json_size(&v, u64::MAX),
            serde_json::to_string(&v).unwrap().len() as u64
        );
        // Stopped early past the bound, but above it.
        assert!(json_size(&v, 5) > 5);
    }

    #[test]
    fn documents_over_the_bound_are_refused_with_their_size() {
        let small = json!({"estimate": [1.0, 2.0]});
        assert!(check_documents("m", &[&small, &serde_json::Value::Null]).is_ok());
        // Two halves that fit alone but not together.
        let half = serde_json::Value::String("x".repeat((MAX_DOCUMENT_BYTES / 2) as usize));
        let e = check_documents("m@2", &[&half, &small, &half]).unwrap_err();
        let Error::DocumentTooLarge { bytes, max, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*max, MAX_DOCUMENT_BYTES);
        assert_eq!(
            *bytes,
            2 * (MAX_DOCUMENT_BYTES / 2 + 2) + json_size(&small, u64::MAX)
        );
        assert_eq!(e.sqlstate(), "54000");
        assert!(e.message().contains("\"m@2\""), "{}", e.message());
    }

    #[test]
    fn grouped_documents_are_estimated_from_the_first_group() {
        let entry = json!({"group": {"g": "1"}, "estimate": [0.5, 1.25]}); // 48 bytes
        let per = json_size(&entry, u64::MAX);
        let fits = MAX_DOCUMENT_BYTES / per;
        assert!(check_grouped_documents("m", &entry, fits).is_ok());
        let e = check_grouped_documents("m", &entry, fits + 1).unwrap_err();
        assert!(
            matches!(e, Error::DocumentTooLarge { estimated: true, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn training_memory_is_bounded_by_the_setting() {
        assert!(check_training_memory("x", 1000, 1000 * 1024, 1000, "h").is_ok());
        let e = check_training_memory("the lbfgs solver", 1001, 1001 * 1024, 1000, "h").unwrap_err();
        assert_eq!(
            e,
            Error::MemoryLimit {
                what: "the lbfgs solver".into(),
                rows: 1001,
                bytes: 1001 * 1024,
                limit: 1000 * 1024,
                hint: "h".into(),
            }
        );
    }

    #[test]
    fn failed_allocations_are_errors() {
        let e = try_vec::<f64>(usize::MAX / 16, "the training rows").unwrap_err();
        assert_eq!(e.sqlstate(), "53200");
        assert!(matches!(e, Error::OutOfMemory { ref what, .. } if what == "the training rows"));
        let v: Vec<f64> = try_vec(10, "x").unwrap();
        assert!(v.capacity() >= 10);
    }
}
