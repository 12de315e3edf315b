//! Parallel combine (Chan et al.) must agree with a single sequential pass.

mod common;

use cltv_core::error::Error;
use cltv_core::fit::ols::{fit_ols, OlsOptions};
use cltv_core::fit::suffstats::{new_state, StateMut, SuffStats};
use common::{read_csv, Dataset};

/// Means relative to their magnitude, co-moments relative to their natural
/// scale sqrt(C_ii·C_jj) (off-diagonal ones may be near zero by cancellation).
fn assert_same_stats(got: &SuffStats, want: &SuffStats, tol: f64) {
    assert_eq!(got.n, want.n);
    assert_eq!(got.p, want.p);
    for (g, w) in got.mean.iter().zip(&want.mean) {
        assert!((g - w).abs() <= tol * w.abs(), "mean {g} vs {w}");
    }
    let d = want.p + 1;
    for i in 0..d {
        for j in 0..d {
            let (g, w) = (got.comoment[i * d + j], want.comoment[i * d + j]);
            let scale = (want.comoment[i * d + i] * want.comoment[j * d + j]).sqrt();
            assert!((g - w).abs() <= tol * scale, "C[{i}][{j}] {g} vs {w}");
        }
    }
}

fn chunks(data: &Dataset, sizes: &[usize]) -> Vec<Vec<f64>> {
    let mut out = Vec::new();
    let mut start = 0;
    for &size in sizes {
        out.push(data.state_of(&data.rows[start..start + size]));
        start += size;
    }
    assert_eq!(start, data.rows.len(), "chunk sizes must cover the data");
    out
}

fn merge_into(mut target: Vec<f64>, other: &[f64]) -> Vec<f64> {
    StateMut::new(&mut target).unwrap().merge(other).unwrap();
    target
}

#[test]
fn merged_chunks_equal_single_pass() {
    let data = read_csv("generated_ols.csv");
    let single = data.stats();
    let parts = chunks(&data, &[1, 7, 50, 0, 2, 100, 40]);
    let p = data.p();

    // Left fold in order.
    let forward = parts.iter().fold(new_state(p), |acc, s| merge_into(acc, s));
    // Right fold, reversed order.
    let backward = parts.iter().rev().fold(new_state(p), |acc, s| merge_into(acc, s));
    // Balanced tree: ((0,1),(2,3)),((4,5),6).
    let pair = |a: &Vec<f64>, b: &Vec<f64>| merge_into(a.clone(), b);
    let tree = pair(
        &pair(&pair(&parts[0], &parts[1]), &pair(&parts[2], &parts[3])),
        &pair(&pair(&parts[4], &parts[5]), &parts[6]),
    );
    for state in [&forward, &backward, &tree] {
        let merged = SuffStats::from_state(state).unwrap();
        assert_same_stats(&merged, &single, 1e-12);
        let a = fit_ols(&merged, &data.features, &OlsOptions::default()).unwrap();
        let b = fit_ols(&single, &data.features, &OlsOptions::default()).unwrap();
        for (x, y) in a.estimate.iter().zip(&b.estimate) {
            assert!((x - y).abs() <= 1e-12 * y.abs(), "estimate {x} vs {y}");
        }
    }
}

#[test]
fn merging_with_an_empty_state_is_exact() {
    let data = read_csv("stackloss.csv");
    let full = data.state_of(&data.rows);
    let mut empty = new_state(data.p());
    {
        let mut st = StateMut::new(&mut empty).unwrap();
        st.note_null_row();
        st.note_nonfinite_row();
    }
    // Non-empty ⊕ empty: only the skipped-row counters change.
    let merged = merge_into(full.clone(), &empty);
    assert_eq!(&merged[5..], &full[5..]);
    assert_eq!((merged[2], merged[3]), (1.0, 1.0));
    // Empty ⊕ non-empty: takes the other state's statistics bit for bit.
    let merged = merge_into(empty, &full);
    assert_eq!(&merged[4..], &full[4..]);
    // Empty ⊕ empty stays empty.
    let merged = merge_into(new_state(3), &new_state(3));
    assert_eq!(merged, new_state(3));
}

#[test]
fn merge_rejects_mismatched_or_corrupt_states() {
    // A state of another width that has seen no complete row only carries counters
    // (the SQL layer makes one for a leading all-NULL row): it merges.
    let mut counters_only = new_state(0);
    StateMut::new(&mut counters_only).unwrap().note_null_row();
    let merged = merge_into(new_state(3), &counters_only);
    assert_eq!(SuffStats::from_state(&merged).unwrap().rows_skipped_null, 1);
    let mut three = new_state(3);
    let mut st = StateMut::new(&mut three).unwrap();
    // One that has rows does not.
    let mut two = new_state(2);
    StateMut::new(&mut two).unwrap().push(1.0, &[2.0, 3.0]);
    match st.merge(&two) {
        Err(e @ Error::CorruptState { .. }) => {
            assert!(e.message().contains("2 feature(s)"), "{}", e.message());
        }
        other => panic!("expected CorruptState, got {other:?}"),
    }
    let mut bad = new_state(3);
    bad[0] = 7.0; // unknown layout version
    assert!(matches!(st.merge(&bad), Err(Error::CorruptState { .. })));
    assert!(matches!(st.merge(&[1.0, 3.0]), Err(Error::CorruptState { .. })));
}
