//! The growing `float8[]` states of `cltv_binary_metrics` and `cltv_score_quantiles`: a
//! header, then one element per kept row.
//!
//! ```text
//! binary metrics:  [ BINARY_METRICS_TAG, count, sample_fraction, k, q₁ … q_k, s₁ s₂ … ]
//! score quantiles: [ SCORE_QUANTILES_TAG, count, 1,               k, q₁ … q_k, s₁ s₂ … ]
//! ```
//!
//! `count` is the number of scores held; the array may have spare room after them (it
//! grows by doubling). A binary-metrics score `sᵢ` is a `(p, y)` pair packed by
//! [`pack_score`] (finite when read as a float8, so the state survives a text round trip,
//! as Citus ships it); a score-quantiles score is the score itself. The tag names the kind
//! of state and its layout version, so an array from anywhere else is refused, not misread.

use crate::error::{float_name, Error, Result};
use crate::evaluation::classification::{
    binary_metrics_from_packed, pack_score, packed_probability, BinaryMetrics,
};
use crate::model::segments::quantile_sorted_by;

/// Tag of a `cltv_binary_metrics` state: kind 2611, layout version 1.
pub const BINARY_METRICS_TAG: f64 = 2_611_001.0;
/// Tag of a `cltv_score_quantiles` state: kind 2612, layout version 1.
pub const SCORE_QUANTILES_TAG: f64 = 2_612_001.0;
/// Tag, count, sample fraction, k.
pub const FIXED_HEADER_LEN: usize = 4;
/// The most quantiles one call may ask for.
pub const MAX_QUANTILES: usize = 10_000;

const TAG_IDX: usize = 0;
const COUNT_IDX: usize = 1;
const FRACTION_IDX: usize = 2;
const K_IDX: usize = 3;

/// Which of the two states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreStateKind {
    BinaryMetrics,
    ScoreQuantiles,
}

impl ScoreStateKind {
    fn tag(self) -> f64 {
        match self {
            ScoreStateKind::BinaryMetrics => BINARY_METRICS_TAG,
            ScoreStateKind::ScoreQuantiles => SCORE_QUANTILES_TAG,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ScoreStateKind::BinaryMetrics => "cltv_binary_metrics",
            ScoreStateKind::ScoreQuantiles => "cltv_score_quantiles",
        }
    }
}

fn corrupt<T>(reason: String) -> Result<T> {
    Err(Error::CorruptState { reason })
}

/// A non-negative integer below 2^53 stored as f64.
fn as_count(v: f64) -> Option<usize> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    ((0.0..LIMIT).contains(&v) && (v as u64) as f64 == v).then_some(v as usize)
}

/// Checks a sample fraction and the quantiles of a new state.
pub fn check_arguments(fraction: f64, quantiles: &[f64]) -> Result<()> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::InvalidArgument {
            what: format!("sample_fraction {}", float_name(fraction)),
            reason: "must be in (0, 1]".into(),
        });
    }
    if quantiles.len() > MAX_QUANTILES {
        return Err(Error::InvalidArgument {
            what: format!("quantiles ({} of them)", quantiles.len()),
            reason: format!("at most {MAX_QUANTILES} are supported"),
        });
    }
    if let Some(q) = quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return Err(Error::InvalidArgument {
            what: format!("quantile {}", float_name(*q)),
            reason: "must be within [0, 1]".into(),
        });
    }
    Ok(())
}

/// The header of a fresh state (no scores yet). A score-quantiles state keeps every
/// score: its fraction is 1 whatever is passed.
pub fn new_header(kind: ScoreStateKind, fraction: f64, quantiles: &[f64]) -> Result<Vec<f64>> {
    let fraction = match kind {
        ScoreStateKind::BinaryMetrics => fraction,
        ScoreStateKind::ScoreQuantiles => 1.0,
    };
    check_arguments(fraction, quantiles)?;
    let mut header = vec![kind.tag(), 0.0, fraction, quantiles.len() as f64];
    header.extend_from_slice(quantiles);
    Ok(header)
}

/// The parts of a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreState<'a> {
    pub fraction: f64,
    pub quantiles: &'a [f64],
    /// The scores held (the spare room after them left out).
    pub scores: &'a [f64],
    /// Elements in front of the scores.
    pub header_len: usize,
}

/// The header checks, O(1): tag, counters, lengths. Returns (header length, count); the
/// transition function runs this on every row.
pub fn check_header(kind: ScoreStateKind, buf: &[f64]) -> Result<(usize, usize)> {
    if buf.len() < FIXED_HEADER_LEN {
        return corrupt(format!(
            "array has {} element(s), a {} state has at least {FIXED_HEADER_LEN}",
            buf.len(),
            kind.name()
        ));
    }
    if buf[TAG_IDX].to_bits() != kind.tag().to_bits() {
        return corrupt(format!(
            "tag {} is not that of a {} state ({})",
            float_name(buf[TAG_IDX]),
            kind.name(),
            kind.tag()
        ));
    }
    let k = match as_count(buf[K_IDX]) {
        Some(k) if k <= MAX_QUANTILES => k,
        _ => {
            return corrupt(format!(
                "quantile count {} is not an integer in 0..={MAX_QUANTILES}",
                float_name(buf[K_IDX])
            ))
        }
    };
    let header_len = FIXED_HEADER_LEN + k;
    let count = as_count(buf[COUNT_IDX]);
    match count {
        Some(count) if header_len <= buf.len() && count <= buf.len() - header_len => Ok((header_len, count)),
        _ => corrupt(format!(
            "an array of {} element(s) cannot hold {k} quantile(s) and {} score(s)",
            buf.len(),
            float_name(buf[COUNT_IDX])
        )),
    }
}

/// The whole state, checked: the header, the fraction, the quantiles and every score (a
/// packed `(p, y)` with p in [0, 1], or a finite score). O(n).
pub fn parse(kind: ScoreStateKind, buf: &[f64]) -> Result<ScoreState<'_>> {
    let (header_len, count) = check_header(kind, buf)?;
    let fraction = buf[FRACTION_IDX];
    let quantiles = &buf[FIXED_HEADER_LEN..header_len];
    let valid_fraction = match kind {
        ScoreStateKind::BinaryMetrics => fraction > 0.0 && fraction <= 1.0,
        ScoreStateKind::ScoreQuantiles => fraction == 1.0,
    };
    if !valid_fraction {
        return corrupt(format!(
            "sample fraction {} is out of range",
            float_name(fraction)
        ));
    }
    if let Some(q) = quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
        return corrupt(format!("quantile {} is not within [0, 1]", float_name(*q)));
    }
    let scores = &buf[header_len..header_len + count];
    let bad = match kind {
        ScoreStateKind::BinaryMetrics => {
            let largest = pack_score(1.0, true);
            scores.iter().position(|s| s.to_bits() > largest)
        }
        ScoreStateKind::ScoreQuantiles => scores.iter().position(|s| !s.is_finite()),
    };
    if let Some(i) = bad {
        return corrupt(format!(
            "element {} ({}) is not a score",
            header_len + i + 1,
            float_name(scores[i])
        ));
    }
    Ok(ScoreState {
        fraction,
        quantiles,
        scores,
        header_len,
    })
}

/// The combine function's checks: both states valid, made with the same sample fraction
/// and quantiles. Returns the scores of `theirs`, which the caller appends to ours.
pub fn merge_scores<'t>(kind: ScoreStateKind, ours: &[f64], theirs: &'t [f64]) -> Result<&'t [f64]> {
    let (ours_header, _) = check_header(kind, ours)?;
    let other = parse(kind, theirs)?;
    let mine = &ours[FRACTION_IDX..ours_header];
    let their_header = &theirs[FRACTION_IDX..other.header_len];
    if mine.len() != their_header.len()
        || mine
            .iter()
            .zip(their_header)
            .any(|(a, b)| a.to_bits() != b.to_bits())
    {
        let (argument, first, now) = if mine[0].to_bits() != their_header[0].to_bits() {
            (
                "sample_fraction",
                float_name(mine[0]),
                float_name(their_header[0]),
            )
        } else {
            ("quantiles", list(&mine[2..]), list(&their_header[2..]))
        };
        return Err(Error::ArgumentChanged {
            argument: argument.into(),
            first,
            now,
        });
    }
    Ok(other.scores)
}

/// `{0.4,0.7}`, as PostgreSQL prints a float8[].
pub fn list(values: &[f64]) -> String {
    let parts: Vec<String> = values.iter().map(|v| float_name(*v)).collect();
    format!("{{{}}}", parts.join(","))
}

/// The final function of `cltv_binary_metrics`: the metrics and the scores' quantiles
/// (empty when none were asked for); `None` without scores.
pub fn binary_metrics_final(buf: &[f64]) -> Result<Option<(BinaryMetrics, Vec<f64>, f64)>> {
    let state = parse(ScoreStateKind::BinaryMetrics, buf)?;
    if state.scores.is_empty() {
        return Ok(None);
    }
    let mut scores: Vec<u64> = state.scores.iter().map(|s| s.to_bits()).collect();
    let metrics = binary_metrics_from_packed(&mut scores)?;
    let quantiles = state
        .quantiles
        .iter()
        .map(|q| quantile_sorted_by(scores.len(), *q, |i| packed_probability(scores[i])))
        .collect();
    Ok(Some((metrics, quantiles, state.fraction)))
}

/// The final function of `cltv_score_quantiles`: the quantiles (NaN without scores).
pub fn score_quantiles_final(buf: &[f64]) -> Result<Vec<f64>> {
    let state = parse(ScoreStateKind::ScoreQuantiles, buf)?;
    let mut scores = state.scores.to_vec();
    scores.sort_unstable_by(f64::total_cmp);
    Ok(state
        .quantiles
        .iter()
        .map(|q| quantile_sorted_by(scores.len(), *q, |i| scores[i]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::classification::binary_metrics;

    /// A state as the aggregate builds it: the header, then the scores.
    fn state(kind: ScoreStateKind, fraction: f64, quantiles: &[f64], scores: &[f64]) -> Vec<f64> {
        let mut s = new_header(kind, fraction, quantiles).unwrap();
        s[COUNT_IDX] = scores.len() as f64;
        s.extend_from_slice(scores);
        s.extend([0.0; 3]); // spare room
        s
    }

    fn packed(rows: &[(f64, bool)]) -> Vec<f64> {
        rows.iter()
            .map(|&(p, y)| f64::from_bits(pack_score(p, y)))
            .collect()
    }

    #[test]
    fn final_agrees_with_grouped_metrics() {
        let s = state(
            ScoreStateKind::BinaryMetrics,
            1.0,
            &[0.5],
            &packed(&[(0.8, true), (0.4, false), (0.1, false), (0.4, true)]),
        );
        let (m, q, fraction) = binary_metrics_final(&s).unwrap().unwrap();
        assert_eq!(
            m,
            binary_metrics(&[(0.1, 0, 1), (0.4, 1, 1), (0.8, 1, 0)]).unwrap()
        );
        assert_eq!((q, fraction), (vec![0.4], 1.0));
        let empty = state(ScoreStateKind::BinaryMetrics, 0.5, &[], &[]);
        assert_eq!(binary_metrics_final(&empty).unwrap(), None);
        // percentile_cont(0.25) of 1, 2, 3, 4, 5 is 2.
        let s = state(
            ScoreStateKind::ScoreQuantiles,
            1.0,
            &[0.25, 1.0],
            &[5.0, 1.0, 4.0, 2.0, 3.0],
        );
        assert_eq!(score_quantiles_final(&s).unwrap(), vec![2.0, 5.0]);
    }

    #[test]
    fn crafted_states_are_refused() {
        let good = state(
            ScoreStateKind::BinaryMetrics,
            1.0,
            &[0.5],
            &packed(&[(0.3, true)]),
        );
        assert!(parse(ScoreStateKind::BinaryMetrics, &good).is_ok());
        // The other kind's state, an empty array, a state of a regression.
        assert!(parse(ScoreStateKind::ScoreQuantiles, &good).is_err());
        assert!(binary_metrics_final(&[]).is_err());
        assert!(binary_metrics_final(&[1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0]).is_err());
        let with = |i: usize, v: f64| {
            let mut s = good.clone();
            s[i] = v;
            binary_metrics_final(&s)
        };
        for (i, v) in [
            (COUNT_IDX, 1e9),
            (COUNT_IDX, -1.0),
            (COUNT_IDX, 0.5),
            (K_IDX, 5.0),
            (K_IDX, 1e300),
            (FRACTION_IDX, 0.0),
            (FRACTION_IDX, f64::NAN),
            (FIXED_HEADER_LEN, 1.5),
            (FIXED_HEADER_LEN + 1, -0.5),
            (FIXED_HEADER_LEN + 1, f64::NAN),
        ] {
            assert!(
                matches!(with(i, v), Err(Error::CorruptState { .. })),
                "[{i}] = {v}"
            );
        }
        let s = state(ScoreStateKind::ScoreQuantiles, 1.0, &[0.5], &[f64::INFINITY]);
        assert!(score_quantiles_final(&s).is_err());
    }

    #[test]
    fn merging_needs_the_same_arguments() {
        let a = state(
            ScoreStateKind::BinaryMetrics,
            0.5,
            &[0.5],
            &packed(&[(0.3, true)]),
        );
        let b = state(
            ScoreStateKind::BinaryMetrics,
            0.5,
            &[0.5],
            &packed(&[(0.7, false)]),
        );
        assert_eq!(
            merge_scores(ScoreStateKind::BinaryMetrics, &a, &b).unwrap(),
            &packed(&[(0.7, false)])[..]
        );
        let c = state(ScoreStateKind::BinaryMetrics, 0.25, &[0.5], &[]);
        assert_eq!(
            merge_scores(ScoreStateKind::BinaryMetrics, &a, &c),
            Err(Error::ArgumentChanged {
                argument: "sample_fraction".into(),
                first: "0.5".into(),
                now: "0.25".into()
            })
        );
        let d = state(ScoreStateKind::BinaryMetrics, 0.5, &[0.5, 0.9], &[]);
        assert!(matches!(
            merge_scores(ScoreStateKind::BinaryMetrics, &a, &d),
            Err(Error::ArgumentChanged { argument, first, now })
                if argument == "quantiles" && first == "{0.5}" && now == "{0.5,0.9}"
        ));
    }

    #[test]
    fn arguments_are_checked() {
        assert!(new_header(ScoreStateKind::BinaryMetrics, 0.0, &[]).is_err());
        assert!(new_header(ScoreStateKind::BinaryMetrics, 1.0, &[1.5]).is_err());
        assert!(new_header(ScoreStateKind::BinaryMetrics, 1.0, &[f64::NAN]).is_err());
        assert!(new_header(ScoreStateKind::ScoreQuantiles, 1.0, &vec![0.5; MAX_QUANTILES + 1]).is_err());
    }
}
