//! The IRLS pass that `cltv_train` expects to be its last: the Newton sums of the training
//! rows ([`crate::fit::logistic`]) and, in the same scan, every complete row's probability for
//! the training and test metrics, so that the metrics cost no pass of their own.
//!
//! The state is one `float8[]`:
//!
//! ```text
//! [ logistic state (state_len(p)) | count, train_fraction, test_fraction | s₁ s₂ … ]
//! ```
//!
//! Each `sᵢ` is a row's score packed by [`pack_score`], a test row's with the sign bit set:
//! read as a float8 it is still finite, so the state survives a text round trip. A split
//! whose fraction is below 1 keeps a deterministic sample of its scores
//! ([`in_score_sample`]), as `cltv_binary_metrics` does.

use crate::error::{Error, Result};
use crate::evaluation::classification::{in_score_sample, pack_score};
use crate::fit::logistic::{self, prefix_features, state_len, LogitPass, LogitStateMut};
use crate::model::scoring::{linear_predictor, sigmoid};

/// Count, training rows' sample fraction, test rows' sample fraction.
const SCORES_HEADER_LEN: usize = 3;

const TEST_ROW: u64 = 1 << 63;

/// The elements in front of the scores, for `p` features.
pub const fn header_len(p: usize) -> usize {
    state_len(p) + SCORES_HEADER_LEN
}

/// A fresh header (no rows yet). The fractions must be in (0, 1].
pub fn new_header(p: usize, train_fraction: f64, test_fraction: f64) -> Result<Vec<f64>> {
    for (what, fraction) in [("train", train_fraction), ("test", test_fraction)] {
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(Error::InvalidArgument {
                what: format!("{what} sample fraction {fraction}"),
                reason: "must be in (0, 1]".into(),
            });
        }
    }
    let mut header = logistic::new_state(p);
    header.extend([0.0, train_fraction, test_fraction]);
    Ok(header)
}

/// The feature count of a state's header; checks that the buffer holds a whole header
/// with valid sample fractions (the scores after it are not looked at).
fn read_header(state: &[f64]) -> Result<usize> {
    let p = prefix_features(state)?;
    if state.len() < header_len(p) {
        return Err(Error::CorruptState {
            reason: format!(
                "a scored pass of {} element(s) has no room for its header",
                state.len()
            ),
        });
    }
    let sums = state_len(p);
    if let Some(f) = state[sums + 1..sums + 3]
        .iter()
        .find(|f| !(**f > 0.0 && **f <= 1.0))
    {
        return Err(Error::CorruptState {
            reason: format!("sample fraction {f} is not in (0, 1]"),
        });
    }
    Ok(p)
}

/// The feature count of a state, and the number of scores it holds; checks that the
/// buffer is long enough for them.
pub fn read_sizes(state: &[f64]) -> Result<(usize, usize)> {
    let p = read_header(state)?;
    let count = state[state_len(p)];
    let used = count as usize;
    if !(count >= 0.0 && used as f64 == count && used <= state.len() - header_len(p)) {
        return Err(Error::CorruptState {
            reason: format!(
                "a scored pass of {} element(s) cannot hold {count} score(s)",
                state.len()
            ),
        });
    }
    Ok((p, used))
}

/// Folds one complete row into the header: a training row into the Newton sums at
/// `beta`; then the row's score, to be appended by the caller, unless its split's sample
/// leaves it out. The caller has checked that `x` and `beta` are finite; their lengths,
/// and that `beta` is the pass's, are checked here.
pub fn push_row(header: &mut [f64], y: bool, x: &[f64], beta: &[f64], is_test: bool) -> Result<Option<u64>> {
    let p = prefix_features(header)?;
    if header.len() < header_len(p) {
        return Err(Error::CorruptState {
            reason: format!(
                "a scored pass of {} element(s) has no room for its header",
                header.len()
            ),
        });
    }
    let mut sums = LogitStateMut::new(&mut header[..state_len(p)])?;
    let probability = if is_test {
        sums.check_beta(beta)?;
        if x.len() != p {
            return Err(Error::WrongArrayLength {
                expected: p,
                got: x.len(),
            });
        }
        sigmoid(linear_predictor(beta[0], &beta[1..], x))
    } else {
        // The same bits, from the pass's own exp.
        sums.try_push(y, x, beta)?
    };
    let fraction = header[state_len(p) + if is_test { 2 } else { 1 }];
    Ok(in_score_sample(probability, fraction)
        .then(|| pack_score(probability, y) | if is_test { TEST_ROW } else { 0 }))
}

/// Merges the sums of another state's header into `ours` (its scores are the caller's to
/// append).
/// `ours` may be the header alone: the caller appends the scores.
pub fn merge_header(ours: &mut [f64], theirs: &[f64]) -> Result<()> {
    let p = read_header(ours)?;
    let (p_theirs, _) = read_sizes(theirs)?;
    let sums = state_len(p);
    if p_theirs != p {
        return Err(Error::CorruptState {
            reason: format!("cannot merge a scored pass of {p_theirs} feature(s) into one of {p}"),
        });
    }
    if ours[sums + 1..sums + 3] != theirs[sums + 1..sums + 3] {
        return Err(Error::ArgumentChanged {
            argument: "sample_fractions".into(),
            first: crate::evaluation::score_state::list(&ours[sums + 1..sums + 3]),
            now: crate::evaluation::score_state::list(&theirs[sums + 1..sums + 3]),
        });
    }
    LogitStateMut::new(&mut ours[..sums])?.merge(&theirs[..sums])
}

/// A finished pass: the Newton sums, and each split's packed scores with its fraction.
pub struct ScoredPass {
    pub pass: LogitPass,
    pub train: (Vec<u64>, f64),
    pub test: (Vec<u64>, f64),
}

impl ScoredPass {
    pub fn from_state(state: &[f64]) -> Result<ScoredPass> {
        let (p, used) = read_sizes(state)?;
        let sums = state_len(p);
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for score in &state[header_len(p)..header_len(p) + used] {
            let bits = score.to_bits();
            if bits & !TEST_ROW > pack_score(1.0, true) {
                return Err(Error::CorruptState {
                    reason: format!("element {score} of a scored pass is not a score"),
                });
            }
            if bits & TEST_ROW == 0 {
                train.push(bits);
            } else {
                test.push(bits & !TEST_ROW);
            }
        }
        Ok(ScoredPass {
            pass: LogitPass::from_state(&state[..sums])?,
            train: (train, state[sums + 1]),
            test: (test, state[sums + 2]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evaluation::classification::{binary_metrics_from_packed, packed_probability};

    fn rows() -> Vec<(bool, [f64; 2], bool)> {
        (0..40)
            .map(|i| {
                let x = [(i % 7) as f64 / 2.0, ((i * 5) % 11) as f64];
                (i % 3 == 0 || i % 7 == 1, x, i % 4 == 0)
            })
            .collect()
    }

    /// The state a pass builds, split over two partial states as parallel workers would.
    fn scored_state(beta: &[f64], fractions: (f64, f64)) -> Vec<f64> {
        let mut parts = Vec::new();
        for half in rows().chunks(20) {
            let mut state = new_header(2, fractions.0, fractions.1).unwrap();
            for (y, x, is_test) in half {
                if let Some(score) = push_row(&mut state, *y, x, beta, *is_test).unwrap() {
                    state[state_len(2)] += 1.0;
                    state.push(f64::from_bits(score));
                }
            }
            parts.push(state);
        }
        let (mut ours, theirs) = (parts[0].clone(), &parts[1]);
        // As the combine function does: the header alone, then the scores appended.
        merge_header(&mut ours[..header_len(2)], theirs).unwrap();
        let (_, extra) = read_sizes(theirs).unwrap();
        ours[state_len(2)] += extra as f64;
        ours.extend_from_slice(&theirs[header_len(2)..]);
        ours
    }

    #[test]
    fn sums_are_the_training_rows_and_scores_are_every_row() {
        let beta = [0.3, -0.4, 0.05];
        let read = ScoredPass::from_state(&scored_state(&beta, (1.0, 1.0))).unwrap();
        // A second method: the plain logistic pass over the training rows only.
        let training = rows().into_iter().filter(|r| !r.2).collect::<Vec<_>>();
        let plain =
            LogitPass::from_rows(2, training.iter().map(|(y, x, _)| (*y, x.as_slice())), &beta).unwrap();
        assert_eq!(read.pass.n, plain.n);
        assert!((read.pass.log_likelihood - plain.log_likelihood).abs() < 1e-12);
        assert_eq!(read.train.0.len(), training.len());
        assert_eq!(read.test.0.len(), 10);
        // Each score is the model's probability, as cltv_predict computes it.
        let mut expected: Vec<(f64, bool)> = training
            .iter()
            .map(|(y, x, _)| (sigmoid(beta[0] + beta[1] * x[0] + beta[2] * x[1]), *y))
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut train = read.train.0.clone();
        train.sort_unstable();
        let got: Vec<(f64, bool)> = train
            .iter()
            .map(|s| (packed_probability(*s), s & 1 == 1))
            .collect();
        assert_eq!(got, expected);
        assert!(binary_metrics_from_packed(&mut read.test.0.clone()).unwrap().n == 10);
    }

    #[test]
    fn a_sample_keeps_tied_scores_together_and_the_fractions_must_match() {
        let beta = [0.0, 1.0, 0.0];
        let read = ScoredPass::from_state(&scored_state(&beta, (0.5, 1.0))).unwrap();
        assert_eq!(read.train.1, 0.5);
        assert!(read.train.0.len() < 30 && read.test.0.len() == 10);
        let kept: Vec<f64> = read.train.0.iter().map(|s| packed_probability(*s)).collect();
        for (y, x, is_test) in rows() {
            let p = sigmoid(x[0]);
            if !is_test && in_score_sample(p, 0.5) {
                assert!(kept.contains(&p), "{p} {y}");
            }
        }
        let mut other = new_header(2, 1.0, 1.0).unwrap();
        assert!(merge_header(&mut other, &scored_state(&beta, (0.5, 1.0))).is_err());
        assert!(new_header(2, 0.0, 1.0).is_err());
        assert!(read_sizes(&new_header(2, 1.0, 1.0).unwrap()[..header_len(2) - 1]).is_err());
    }
}
