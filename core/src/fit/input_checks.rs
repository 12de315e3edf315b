//! What a first training pass counts about its rows, kept in the first [`LEN`] elements of
//! a `float8[]` aggregate state so that the checks cost no extra pass and no SQL filters.

use crate::error::{Error, Result};
use crate::fit::flat_state::as_count;

/// Elements in front of the model's own state.
pub const LEN: usize = 6;

const ROWS: usize = 0;
const TEST: usize = 1;
const INCOMPLETE: usize = 2;
const NON_FINITE: usize = 3;
const BAD_TARGET: usize = 4;
/// The smallest offending target value, NaN while there is none.
const BAD_EXAMPLE: usize = 5;

/// How one row is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowUse {
    /// A NULL target or feature: dropped under `missing = drop`, an error otherwise.
    Incomplete,
    /// NaN or ±Infinity in the target or a feature: always an error.
    NonFinite,
    /// A target outside {0, 1} for a binary model: always an error.
    BadTarget,
    Test,
    Train,
}

/// A fresh counts block.
pub fn new_counts() -> [f64; LEN] {
    let mut counts = [0.0; LEN];
    counts[BAD_EXAMPLE] = f64::NAN;
    counts
}

/// Classify one row (`x = None` when a feature is NULL) and count it in `counts`.
pub fn count_row(
    counts: &mut [f64],
    y: Option<f64>,
    x: Option<&[f64]>,
    is_test: bool,
    binary: bool,
) -> RowUse {
    counts[ROWS] += 1.0;
    let use_ = match (y, x) {
        (Some(y), Some(x)) => {
            if !y.is_finite() || !x.iter().all(|v| v.is_finite()) {
                RowUse::NonFinite
            } else if binary && y != 0.0 && y != 1.0 {
                if counts[BAD_EXAMPLE].is_nan() || y < counts[BAD_EXAMPLE] {
                    counts[BAD_EXAMPLE] = y;
                }
                RowUse::BadTarget
            } else if is_test {
                RowUse::Test
            } else {
                RowUse::Train
            }
        }
        _ => RowUse::Incomplete,
    };
    match use_ {
        RowUse::Incomplete => counts[INCOMPLETE] += 1.0,
        RowUse::NonFinite => counts[NON_FINITE] += 1.0,
        RowUse::BadTarget => counts[BAD_TARGET] += 1.0,
        RowUse::Test => counts[TEST] += 1.0,
        RowUse::Train => {}
    }
    use_
}

/// Checks a counts block: [`LEN`] elements, counters that are non-negative integers, an
/// example that is NaN or finite. O(1).
pub fn check_counts(counts: &[f64]) -> Result<()> {
    if counts.len() < LEN {
        return Err(Error::CorruptState {
            reason: format!(
                "array has {} element(s), a first pass's state has at least {LEN} before its sums",
                counts.len()
            ),
        });
    }
    for i in [ROWS, TEST, INCOMPLETE, NON_FINITE, BAD_TARGET] {
        let v = counts[i];
        if as_count(v).is_none() {
            return Err(Error::CorruptState {
                reason: format!(
                    "row counter {} is not a non-negative integer",
                    crate::error::float_name(v)
                ),
            });
        }
    }
    if counts[BAD_EXAMPLE].is_infinite() {
        return Err(Error::CorruptState {
            reason: "the example of a bad target is infinite".into(),
        });
    }
    Ok(())
}

/// A first pass's state split into its checked counts block and the sums behind it.
pub fn split_state(buf: &[f64]) -> Result<(&[f64], &[f64])> {
    check_counts(buf)?;
    Ok(buf.split_at(LEN))
}

/// [`split_state`], writable.
pub fn split_state_mut(buf: &mut [f64]) -> Result<(&mut [f64], &mut [f64])> {
    check_counts(buf)?;
    Ok(buf.split_at_mut(LEN))
}

/// Fold another partial block into `counts` (both checked by [`check_counts`]).
pub fn merge_counts(counts: &mut [f64], other: &[f64]) {
    for i in [ROWS, TEST, INCOMPLETE, NON_FINITE, BAD_TARGET] {
        counts[i] += other[i];
    }
    if other[BAD_EXAMPLE] < counts[BAD_EXAMPLE] || counts[BAD_EXAMPLE].is_nan() {
        counts[BAD_EXAMPLE] = other[BAD_EXAMPLE];
    }
}

/// The counts of a finished pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputCounts {
    pub n_rows: u64,
    pub n_test: u64,
    pub n_incomplete: u64,
    pub n_nonfinite: u64,
    pub n_bad_target: u64,
    pub bad_target_example: Option<f64>,
}

impl InputCounts {
    pub fn read(counts: &[f64]) -> InputCounts {
        InputCounts {
            n_rows: counts[ROWS] as u64,
            n_test: counts[TEST] as u64,
            n_incomplete: counts[INCOMPLETE] as u64,
            n_nonfinite: counts[NON_FINITE] as u64,
            n_bad_target: counts[BAD_TARGET] as u64,
            bad_target_example: (!counts[BAD_EXAMPLE].is_nan()).then_some(counts[BAD_EXAMPLE]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (target, features, is_test)
    type Row<'a> = (Option<f64>, Option<&'a [f64]>, bool);

    #[test]
    fn every_row_is_counted_once_and_merging_is_addition() {
        let rows: [Row; 7] = [
            (Some(1.0), Some(&[0.5]), false),
            (Some(0.0), Some(&[0.5]), true),
            (None, Some(&[0.5]), false),
            (Some(1.0), None, true),
            (Some(1.0), Some(&[f64::INFINITY]), false),
            (Some(2.0), Some(&[0.5]), false),
            (Some(-3.0), Some(&[0.5]), true),
        ];
        let mut whole = new_counts();
        let uses: Vec<RowUse> = rows
            .iter()
            .map(|&(y, x, t)| count_row(&mut whole, y, x, t, true))
            .collect();
        use RowUse::*;
        assert_eq!(
            uses,
            [Train, Test, Incomplete, Incomplete, NonFinite, BadTarget, BadTarget]
        );
        let counts = InputCounts::read(&whole);
        assert_eq!(
            counts,
            InputCounts {
                n_rows: 7,
                n_test: 1,
                n_incomplete: 2,
                n_nonfinite: 1,
                n_bad_target: 2,
                bad_target_example: Some(-3.0),
            }
        );
        // Split anywhere and merged: the same counts.
        let (mut a, mut b) = (new_counts(), new_counts());
        for (i, &(y, x, t)) in rows.iter().enumerate() {
            count_row(if i < 6 { &mut a } else { &mut b }, y, x, t, true);
        }
        merge_counts(&mut a, &b);
        assert_eq!(InputCounts::read(&a), counts);
        // A continuous target is never "bad".
        let mut linear = new_counts();
        assert_eq!(
            count_row(&mut linear, Some(2.5), Some(&[1.0]), false, false),
            Train
        );
        assert_eq!(InputCounts::read(&linear).bad_target_example, None);
    }
}
