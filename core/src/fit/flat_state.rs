//! What the two regression states ([`crate::fit::suffstats`] for linear regression,
//! [`crate::fit::logistic`]'s IRLS pass) share (and, for its counters, the first pass's
//! [`crate::fit::input_checks`]): a flat `float8[]` that starts with its layout
//! version and its feature count, row counters stored as exact integers, the check of
//! that header on every row, the stack scratch buffer of the per-row update, and
//! Neumaier-compensated sums.

use crate::error::{Error, Result};

/// The most features a regression state holds.
pub const MAX_FEATURES: usize = 1000;

/// Index of the layout version, the first element of every regression state.
pub(crate) const VERSION_IDX: usize = 0;
/// Index of the feature count p.
pub(crate) const P_IDX: usize = 1;

/// Number of entries in the packed upper triangle of a `d`×`d` matrix.
pub(crate) const fn packed_len(d: usize) -> usize {
    d * (d + 1) / 2
}

/// A non-negative integer below 2^53 stored as f64, else `None`. Uses an
/// integer round trip, not `fract()`, which is a libm call on baseline x86-64
/// and this runs on every row.
#[inline]
pub(crate) fn as_count(v: f64) -> Option<u64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53
    if (0.0..LIMIT).contains(&v) && (v as u64) as f64 == v {
        Some(v as u64)
    } else {
        None
    }
}

/// The error for a state that is not what it claims to be.
pub(crate) fn corrupt<T>(reason: String) -> Result<T> {
    Err(Error::CorruptState { reason })
}

/// What the header check needs to know of one kind of regression state.
pub(crate) struct Layout {
    /// The value of element [`VERSION_IDX`].
    pub version: f64,
    /// Elements before the per-feature blocks.
    pub header_len: usize,
    /// The whole length for p features.
    pub state_len: fn(usize) -> usize,
    /// How the messages name the state: "a state", "a logistic state".
    pub noun: &'static str,
    /// Added to the message about a wrong version, after the expected one.
    pub version_note: &'static str,
}

/// Checks version, feature count and length; returns p. O(1): it runs on every row.
#[inline]
pub(crate) fn validate_header(buf: &[f64], layout: &Layout) -> Result<usize> {
    let Layout {
        version,
        header_len,
        state_len,
        noun,
        version_note,
    } = *layout;
    if buf.len() < header_len {
        return corrupt(format!(
            "array has {} element(s), {noun} has at least {header_len}",
            buf.len()
        ));
    }
    if buf[VERSION_IDX] != version {
        return corrupt(format!(
            "layout version is {}, expected {version}{version_note}",
            buf[VERSION_IDX]
        ));
    }
    let p = match as_count(buf[P_IDX]) {
        Some(p) if p <= MAX_FEATURES as u64 => p as usize,
        _ => {
            return corrupt(format!(
                "feature count {} is not an integer in 0..={MAX_FEATURES}",
                buf[P_IDX]
            ))
        }
    };
    if buf.len() != state_len(p) {
        return corrupt(format!(
            "array has {} elements, {noun} for {p} feature(s) has {}",
            buf.len(),
            state_len(p)
        ));
    }
    Ok(p)
}

/// The row counters at `fields` (index and name for the message), each checked to be a
/// non-negative integer.
pub(crate) fn read_counts<const N: usize>(buf: &[f64], fields: [(usize, &str); N]) -> Result<[u64; N]> {
    let mut counts = [0u64; N];
    for (slot, (idx, name)) in counts.iter_mut().zip(fields) {
        *slot = as_count(buf[idx]).ok_or_else(|| Error::CorruptState {
            reason: format!("{name} {} is not a non-negative integer", buf[idx]),
        })?;
    }
    Ok(counts)
}

/// Runs `f` on a zeroed scratch buffer of `len <= MAX_FEATURES + 1` values on the stack:
/// the per-row updates' δ vector, with a small buffer for the common case so that zeroing
/// it costs next to nothing.
///
/// # Panics
/// If `len > MAX_FEATURES + 1`.
#[inline(always)]
pub(crate) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [f64]) -> R) -> R {
    // The buffer is zeroed on every call (safe Rust has no uninitialised arrays), so it
    // comes in size classes: zeroing at most twice the width costs O(p) against the row
    // update's O(p²), where one 8 KB buffer for every width above 32 cost 10–25% of a row.
    macro_rules! scratch {
        ($n:expr) => {{
            let mut scratch = [0.0; $n];
            f(&mut scratch[..len])
        }};
    }
    match len {
        0..=32 => scratch!(32),
        33..=64 => scratch!(64),
        65..=128 => scratch!(128),
        129..=256 => scratch!(256),
        257..=512 => scratch!(512),
        _ => scratch!(MAX_FEATURES + 1),
    }
}

/// Neumaier's compensated addition of `v` to the sum `(sum, comp)`; the sum is
/// `sum + comp`.
#[inline(always)]
pub(crate) fn neumaier_add(sum: &mut f64, comp: &mut f64, v: f64) {
    let t = *sum + v;
    if sum.abs() >= v.abs() {
        *comp += (*sum - t) + v;
    } else {
        *comp += (v - t) + *sum;
    }
    *sum = t;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_non_negative_integers() {
        assert_eq!(as_count(0.0), Some(0));
        assert_eq!(as_count(9_007_199_254_740_991.0), Some((1 << 53) - 1));
        for bad in [-1.0, 0.5, 9_007_199_254_740_992.0, f64::NAN, f64::INFINITY] {
            assert_eq!(as_count(bad), None, "{bad}");
        }
        let buf = [0.0, 0.0, 3.0, 2.5];
        assert_eq!(read_counts(&buf, [(2, "rows")]).unwrap(), [3]);
        match read_counts(&buf, [(2, "rows"), (3, "positive rows")]) {
            Err(Error::CorruptState { reason }) => {
                assert_eq!(reason, "positive rows 2.5 is not a non-negative integer")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn compensated_sum_keeps_what_plain_addition_drops() {
        // 1 + 1e-16 + … (10 times) − 1: plain addition loses every 1e-16.
        let (mut sum, mut comp) = (0.0, 0.0);
        neumaier_add(&mut sum, &mut comp, 1.0);
        for _ in 0..10 {
            neumaier_add(&mut sum, &mut comp, 1e-16);
        }
        neumaier_add(&mut sum, &mut comp, -1.0);
        assert!((sum + comp - 1e-15).abs() < 1e-30, "{}", sum + comp);
    }

    #[test]
    fn scratch_is_zeroed_and_of_the_asked_length() {
        for len in [0, 1, 32, 33, MAX_FEATURES + 1] {
            with_scratch(len, |s| {
                assert_eq!(s.len(), len);
                assert!(s.iter().all(|v| *v == 0.0));
            });
        }
    }
}
