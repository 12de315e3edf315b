//! Per-customer RFM summaries (frequency, recency, T, monetary value, holdout
//! purchases) from purchase days, with the conventions of the BTYD literature
//! (Fader, Hardie & Lee 2005; `data/cdnow/README.md`):
//!
//! * purchases on the same day are one purchase, with the day's total spend;
//! * **frequency** = purchase days in calibration − 1 (repeat purchases);
//! * **recency** = first → last purchase day in calibration;
//! * **T** = first purchase day → `calibration_end`;
//! * **monetary value** = mean spend of the calibration purchase days after the
//!   first (0 when frequency = 0);
//! * times in units of `unit_days` days, unrounded;
//! * calibration is every day ≤ `calibration_end` (inclusive); the holdout
//!   period is (`calibration_end`, `holdout_end`]; later purchases are ignored.
//!
//! Days are day numbers (f64 days since any fixed epoch). They are merged only
//! when exactly equal, so pass whole days (e.g. `purchase_date - DATE '1970-01-01'`),
//! not timestamps.
//!
//! The aggregate state is a flat `[day₀, spend₀, day₁, spend₁, …]` with strictly
//! increasing days; [`rfm_push`] and [`rfm_merge`] keep it so.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmOptions {
    /// Last day of the calibration period (inclusive), as a day number.
    pub calibration_end: f64,
    /// Last day of the holdout period (inclusive); `None` for no holdout.
    pub holdout_end: Option<f64>,
    /// Days per time unit: 1 for days, 7 for weeks.
    pub unit_days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RfmSummary {
    pub frequency: f64,
    pub recency: f64,
    /// T: first purchase to the end of calibration.
    pub t: f64,
    /// Mean spend of the repeat purchase days (the first excluded); 0 when frequency = 0.
    pub monetary_value: f64,
    /// Purchase days in (calibration_end, holdout_end]; `None` without a holdout.
    pub holdout_frequency: Option<f64>,
    /// Total spend of those days; `None` without a holdout.
    pub holdout_spend: Option<f64>,
}

impl RfmOptions {
    pub fn validate(&self) -> Result<()> {
        if !self.calibration_end.is_finite() {
            return Err(Error::InvalidOption {
                key: "calibration_end".into(),
                reason: format!("must be a finite day number, got {}", self.calibration_end),
            });
        }
        if !(self.unit_days.is_finite() && self.unit_days > 0.0) {
            return Err(Error::InvalidOption {
                key: "unit_days".into(),
                reason: format!(
                    "must be a positive number of days (7 for weeks), got {}",
                    self.unit_days
                ),
            });
        }
        if let Some(h) = self.holdout_end {
            if !h.is_finite() || h < self.calibration_end {
                return Err(Error::InvalidOption {
                    key: "holdout_end".into(),
                    reason: format!(
                        "must be a day number not before calibration_end ({}), got {h}",
                        self.calibration_end
                    ),
                });
            }
        }
        Ok(())
    }
}

fn check_purchase(day: f64, spend: f64) -> Result<()> {
    if !day.is_finite() {
        return Err(Error::NonFinite {
            column: "purchase day".into(),
            value: Some(day),
            rows: 1,
        });
    }
    if !spend.is_finite() {
        return Err(Error::NonFinite {
            column: "spend".into(),
            value: Some(spend),
            rows: 1,
        });
    }
    Ok(())
}

/// The summary of one customer from their purchases `(day, spend)`, in any order, a
/// day possibly repeated (its spends are added). `Ok(None)` when the customer has no
/// purchase on or before `calibration_end` (not yet acquired in calibration).
/// Errors: invalid options, a non-finite day or spend.
pub fn summarize(days: &[(f64, f64)], opts: &RfmOptions) -> Result<Option<RfmSummary>> {
    opts.validate()?;
    let mut buf = Vec::with_capacity(2 * days.len());
    for (i, &(day, spend)) in days.iter().enumerate() {
        crate::interrupt::check_every(i);
        rfm_push(&mut buf, day, spend)?;
    }
    Ok(summarize_sorted(&buf, opts))
}

/// Summary of a valid state (strictly increasing days, all finite).
fn summarize_sorted(buf: &[f64], opts: &RfmOptions) -> Option<RfmSummary> {
    let cal_end = opts.calibration_end;
    let mut first = None;
    let mut last = 0.0;
    let mut n_cal = 0u64;
    let mut repeat_spend = 0.0;
    let mut holdout_n = 0u64;
    let mut holdout_spend = 0.0;
    for pair in buf.chunks_exact(2) {
        let (day, spend) = (pair[0], pair[1]);
        if day <= cal_end {
            if first.is_none() {
                first = Some(day);
            } else {
                repeat_spend += spend;
            }
            last = day;
            n_cal += 1;
        } else if let Some(h) = opts.holdout_end {
            if day <= h {
                holdout_n += 1;
                holdout_spend += spend;
            } else {
                break;
            }
        } else {
            break;
        }
    }
    let first = first?;
    let frequency = (n_cal - 1) as f64;
    Some(RfmSummary {
        frequency,
        recency: (last - first) / opts.unit_days,
        t: (cal_end - first) / opts.unit_days,
        monetary_value: if n_cal > 1 { repeat_spend / frequency } else { 0.0 },
        holdout_frequency: opts.holdout_end.map(|_| holdout_n as f64),
        holdout_spend: opts.holdout_end.map(|_| holdout_spend),
    })
}

/// Adds one purchase to the state: a new day is inserted in order, a known day gets
/// the spend added. O(1) when days arrive in increasing order (ORDER BY day).
/// Errors (`NonFinite`, naming "purchase day" or "spend") on NaN or ±Infinity.
pub fn rfm_push(buf: &mut Vec<f64>, day: f64, spend: f64) -> Result<()> {
    check_purchase(day, spend)?;
    insert(buf, day, spend);
    Ok(())
}

/// [`rfm_push`] on a state with spare room, for aggregates that update their state in
/// place: `buf[..2 * used]` holds the pairs and `buf` has room for one more. Returns the
/// new number of pairs.
pub fn rfm_push_in_place(buf: &mut [f64], used: usize, day: f64, spend: f64) -> Result<usize> {
    check_purchase(day, spend)?;
    if buf.len() < 2 * (used + 1) {
        return Err(Error::CorruptState {
            reason: format!(
                "an RFM state of {} element(s) has no room after {used} pair(s)",
                buf.len()
            ),
        });
    }
    if used == 0 || buf[2 * (used - 1)] < day {
        buf[2 * used] = day;
        buf[2 * used + 1] = spend;
        return Ok(used + 1);
    }
    let at = buf[..2 * used]
        .chunks_exact(2)
        .position(|pair| pair[0] >= day)
        .unwrap_or(used);
    if buf[2 * at] == day {
        buf[2 * at + 1] += spend;
        return Ok(used);
    }
    buf.copy_within(2 * at..2 * used, 2 * at + 2);
    buf[2 * at] = day;
    buf[2 * at + 1] = spend;
    Ok(used + 1)
}

fn insert(buf: &mut Vec<f64>, day: f64, spend: f64) {
    let n = buf.len() / 2;
    if n == 0 || buf[2 * (n - 1)] < day {
        buf.push(day);
        buf.push(spend);
        return;
    }
    // Binary search over the pairs' days.
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if buf[2 * mid] < day {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if lo < n && buf[2 * lo] == day {
        buf[2 * lo + 1] += spend;
    } else {
        buf.splice(2 * lo..2 * lo, [day, spend]);
    }
}

/// Merges two states (the combine function of a parallel aggregate): the sorted
/// union of their days, with the spends of a day present in both added.
pub fn rfm_merge(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    let mut steps = 0;
    while i + 1 < a.len() && j + 1 < b.len() {
        crate::interrupt::check_every(steps);
        steps += 1;
        let (da, db) = (a[i], b[j]);
        if da < db {
            out.extend_from_slice(&a[i..i + 2]);
            i += 2;
        } else if db < da {
            out.extend_from_slice(&b[j..j + 2]);
            j += 2;
        } else {
            out.push(da);
            out.push(a[i + 1] + b[j + 1]);
            i += 2;
            j += 2;
        }
    }
    out.extend_from_slice(&a[i.min(a.len())..]);
    out.extend_from_slice(&b[j.min(b.len())..]);
    out
}

/// Checks a state array: even length, finite values, strictly increasing days.
pub fn rfm_validate_state(buf: &[f64]) -> Result<()> {
    let corrupt = |reason: String| Err(Error::CorruptState { reason });
    if !buf.len().is_multiple_of(2) {
        return corrupt(format!(
            "an RFM state holds (day, spend) pairs, but has {} elements",
            buf.len()
        ));
    }
    if let Some(v) = buf.iter().find(|v| !v.is_finite()) {
        return corrupt(format!("an RFM state holds a non-finite value ({v})"));
    }
    for k in 1..buf.len() / 2 {
        if buf[2 * k] <= buf[2 * (k - 1)] {
            return corrupt(format!(
                "the days of an RFM state must increase strictly, but {} follows {}",
                buf[2 * k],
                buf[2 * (k - 1)]
            ));
        }
    }
    Ok(())
}

/// Tag of a `cltv_rfm_agg` state: kind 2613, layout version 1.
pub const RFM_STATE_TAG: f64 = 2_613_001.0;
/// Tag, calibration_end, holdout_end (NaN: none), unit_days, number of pairs.
pub const RFM_STATE_HEADER_LEN: usize = 5;
const PAIRS_IDX: usize = 4;

/// The header of a new `cltv_rfm_agg` state, `[tag, calibration_end, holdout_end, unit_days, 0]`,
/// followed in the state by `(day, spend)` pairs with strictly increasing days.
pub fn rfm_state_header(opts: &RfmOptions) -> Result<[f64; RFM_STATE_HEADER_LEN]> {
    opts.validate()?;
    Ok([
        RFM_STATE_TAG,
        opts.calibration_end,
        opts.holdout_end.unwrap_or(f64::NAN),
        opts.unit_days,
        0.0,
    ])
}

/// The header checks, O(1): tag, options, and a pair count the array can hold. Returns
/// the options and the number of pairs.
pub fn rfm_check_header(buf: &[f64]) -> Result<(RfmOptions, usize)> {
    let corrupt = |reason: String| Err(Error::CorruptState { reason });
    if buf.len() < RFM_STATE_HEADER_LEN || buf[0].to_bits() != RFM_STATE_TAG.to_bits() {
        return corrupt(format!(
            "an array of {} element(s) that does not begin with the tag {RFM_STATE_TAG} is not a cltv_rfm_agg state",
            buf.len()
        ));
    }
    let opts = RfmOptions {
        calibration_end: buf[1],
        holdout_end: (!buf[2].is_nan()).then_some(buf[2]),
        unit_days: buf[3],
    };
    opts.validate().map_err(|e| Error::CorruptState {
        reason: format!("its header is invalid: {}", e.message()),
    })?;
    let pairs = buf[PAIRS_IDX];
    let room = (buf.len() - RFM_STATE_HEADER_LEN) / 2;
    if !(pairs >= 0.0 && pairs <= room as f64 && pairs.fract() == 0.0) {
        return corrupt(format!(
            "an RFM state of {} element(s) cannot hold {} (day, spend) pair(s)",
            buf.len(),
            crate::error::float_name(pairs)
        ));
    }
    Ok((opts, pairs as usize))
}

/// The whole state, checked (see [`rfm_check_header`] and [`rfm_validate_state`]; spends
/// must not be negative): its options and its `(day, spend)` pairs.
pub fn rfm_parse_state(buf: &[f64]) -> Result<(RfmOptions, &[f64])> {
    let (opts, used) = rfm_check_header(buf)?;
    let pairs = &buf[RFM_STATE_HEADER_LEN..RFM_STATE_HEADER_LEN + 2 * used];
    rfm_validate_state(pairs)?;
    if let Some(spend) = pairs.iter().skip(1).step_by(2).find(|s| **s < 0.0) {
        return Err(Error::CorruptState {
            reason: format!("an RFM state holds a negative spend ({spend})"),
        });
    }
    Ok((opts, pairs))
}

/// The combine function of `cltv_rfm_agg`: both states checked, with the same options,
/// and the sorted union of their pairs. `show_day` spells a day number for the error
/// when their options differ.
pub fn rfm_merge_states(
    a: &[f64],
    b: &[f64],
    show_day: impl Fn(f64) -> String,
) -> Result<(RfmOptions, Vec<f64>)> {
    let (opts_a, pairs_a) = rfm_parse_state(a)?;
    let (opts_b, pairs_b) = rfm_parse_state(b)?;
    let show_holdout = |h: Option<f64>| h.map_or_else(|| "NULL".to_string(), &show_day);
    let changed = if opts_a.calibration_end != opts_b.calibration_end {
        Some((
            "calibration_end",
            show_day(opts_a.calibration_end),
            show_day(opts_b.calibration_end),
        ))
    } else if opts_a.holdout_end != opts_b.holdout_end {
        Some((
            "holdout_end",
            show_holdout(opts_a.holdout_end),
            show_holdout(opts_b.holdout_end),
        ))
    } else if opts_a.unit_days != opts_b.unit_days {
        Some((
            "unit",
            format!("{} day(s)", opts_a.unit_days),
            format!("{} day(s)", opts_b.unit_days),
        ))
    } else {
        None
    };
    if let Some((argument, first, now)) = changed {
        return Err(Error::ArgumentChanged {
            argument: argument.into(),
            first,
            now,
        });
    }
    Ok((opts_a, rfm_merge(pairs_a, pairs_b)))
}

/// The final function of `cltv_rfm_agg`: the summary of a checked state.
pub fn rfm_state_final(buf: &[f64]) -> Result<Option<RfmSummary>> {
    let (opts, pairs) = rfm_parse_state(buf)?;
    Ok(summarize_sorted(pairs, &opts))
}

/// The summary of an aggregate state (see [`summarize`]; an empty state gives `None`).
pub fn rfm_summarize(buf: &[f64], opts: &RfmOptions) -> Result<Option<RfmSummary>> {
    opts.validate()?;
    rfm_validate_state(buf)?;
    Ok(summarize_sorted(buf, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEKS: RfmOptions = RfmOptions {
        calibration_end: 100.0,
        holdout_end: Some(150.0),
        unit_days: 7.0,
    };

    #[test]
    fn push_keeps_days_sorted_and_merges() {
        let mut buf = Vec::new();
        for (d, s) in [(5.0, 1.0), (3.0, 2.0), (5.0, 4.0), (9.0, 1.0), (4.0, 0.5)] {
            rfm_push(&mut buf, d, s).unwrap();
        }
        assert!(rfm_push(&mut buf, f64::NAN, 1.0).is_err());
        assert_eq!(buf, vec![3.0, 2.0, 4.0, 0.5, 5.0, 5.0, 9.0, 1.0]);
        assert!(rfm_validate_state(&buf).is_ok());
    }

    #[test]
    fn push_in_place_agrees_with_push() {
        let purchases = [
            (5.0, 1.0),
            (3.0, 2.0),
            (5.0, 4.0),
            (9.0, 1.0),
            (4.0, 0.5),
            (1.0, 3.0),
        ];
        let (mut expected, mut buf, mut used) = (Vec::new(), vec![0.0; 12], 0);
        for (d, s) in purchases {
            rfm_push(&mut expected, d, s).unwrap();
            used = rfm_push_in_place(&mut buf, used, d, s).unwrap();
        }
        assert_eq!(&buf[..2 * used], expected.as_slice());
        assert!(rfm_push_in_place(&mut buf, used, 2.0, f64::INFINITY).is_err());
    }

    #[test]
    fn merge_sums_common_days() {
        let m = rfm_merge(&[1.0, 1.0, 3.0, 2.0], &[2.0, 5.0, 3.0, 1.0, 7.0, 1.0]);
        assert_eq!(m, vec![1.0, 1.0, 2.0, 5.0, 3.0, 3.0, 7.0, 1.0]);
        assert_eq!(rfm_merge(&[], &[1.0, 2.0]), vec![1.0, 2.0]);
    }

    #[test]
    fn summary_conventions() {
        // Day 100 is the last calibration day; 150 the last holdout day.
        let s = summarize(
            &[
                (30.0, 10.0),
                (16.0, 5.0),
                (30.0, 2.0),
                (100.0, 8.0),
                (101.0, 3.0),
                (150.0, 1.0),
                (151.0, 9.0),
            ],
            &WEEKS,
        )
        .unwrap()
        .unwrap();
        assert_eq!(s.frequency, 2.0);
        assert_eq!(s.recency, 84.0 / 7.0);
        assert_eq!(s.t, 12.0);
        assert_eq!(s.monetary_value, 10.0); // (12 + 8) / 2
        assert_eq!(s.holdout_frequency, Some(2.0));
        assert_eq!(s.holdout_spend, Some(4.0));
        assert_eq!(summarize(&[(101.0, 1.0)], &WEEKS).unwrap(), None);
        let one = summarize(&[(100.0, 7.0)], &WEEKS).unwrap().unwrap();
        assert_eq!(
            (one.frequency, one.recency, one.t, one.monetary_value),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn options_are_validated() {
        let bad_holdout = RfmOptions {
            holdout_end: Some(99.0),
            ..WEEKS
        };
        assert!(matches!(
            summarize(&[], &bad_holdout),
            Err(Error::InvalidOption { key, .. }) if key == "holdout_end"
        ));
        let bad_unit = RfmOptions {
            unit_days: 0.0,
            ..WEEKS
        };
        assert!(matches!(
            summarize(&[], &bad_unit),
            Err(Error::InvalidOption { key, .. }) if key == "unit_days"
        ));
        assert!(rfm_summarize(&[2.0, 1.0, 1.0, 1.0], &WEEKS).is_err());
        assert!(rfm_summarize(&[2.0], &WEEKS).is_err());
    }
}
