//! Property tests of every aggregate state type: whatever array a caller passes as a state
//! (a crafted one, a truncated one, random bits), parsing, combining and finalising it
//! errors or succeeds and never panics; and merging partial states does not depend on how
//! the rows were split among them (for every state type: linear-regression sums, logistic
//! passes, first-pass counts, scored passes, binary metrics, score quantiles, RFM), whether
//! the partial states are merged left to right or right to left.

use cltv_core::evaluation::classification::pack_score;
use cltv_core::evaluation::score_state::{self, ScoreStateKind};
use cltv_core::fit::input_checks::{self, InputCounts, RowUse};
use cltv_core::fit::logistic::{self, LogitPass, LogitStateMut};
use cltv_core::fit::ols::{fit_ols, OlsOptions};
use cltv_core::fit::rfm::{
    rfm_check_header, rfm_merge_states, rfm_parse_state, rfm_push_in_place, rfm_state_final,
    rfm_state_header, RfmOptions, RFM_STATE_HEADER_LEN,
};
use cltv_core::fit::scored_pass::{self, ScoredPass};
use cltv_core::fit::suffstats::{self, StateMut, SuffStats};
use proptest::prelude::*;

/// Any double: raw bits (NaN payloads, subnormals, huge values), small numbers, the specials.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<u64>().prop_map(f64::from_bits),
        -3.0..3.0f64,
        (0u32..40).prop_map(f64::from),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(-0.0),
        Just(score_state::BINARY_METRICS_TAG),
        Just(score_state::SCORE_QUANTILES_TAG),
        Just(cltv_core::fit::rfm::RFM_STATE_TAG),
        Just(suffstats::LAYOUT_VERSION),
    ]
}

/// A valid state with some elements overwritten, possibly cut short or extended: the
/// arrays most likely to get past a header check and then mislead.
fn crafted(valid: Vec<f64>) -> impl Strategy<Value = Vec<f64>> {
    let len = valid.len();
    (
        prop::collection::vec((0..len.max(1), any_f64()), 0..4),
        0..len + 3,
        prop::collection::vec(any_f64(), 0..4),
    )
        .prop_map(move |(edits, keep, extra)| {
            let mut s = valid.clone();
            for (i, v) in edits {
                if i < s.len() {
                    s[i] = v;
                }
            }
            s.truncate(keep);
            s.extend(extra);
            s
        })
}

/// Random arrays and crafted ones.
fn state_like(valid: Vec<f64>) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![prop::collection::vec(any_f64(), 0..40), crafted(valid)]
}

fn linreg_state(rows: &[(f64, [f64; 2])]) -> Vec<f64> {
    let mut s = suffstats::new_state(2);
    let mut st = StateMut::new(&mut s).unwrap();
    for (y, x) in rows {
        st.push(*y, x);
    }
    s
}

fn logit_state(rows: &[(bool, [f64; 2])], beta: &[f64]) -> Vec<f64> {
    let mut s = logistic::new_state(2);
    let mut st = LogitStateMut::new(&mut s).unwrap();
    for (y, x) in rows {
        st.push(*y, x, beta);
    }
    s
}

fn score_state_of(kind: ScoreStateKind, fraction: f64, quantiles: &[f64], scores: &[f64]) -> Vec<f64> {
    let mut s = score_state::new_header(kind, fraction, quantiles).unwrap();
    s[1] = scores.len() as f64;
    s.extend_from_slice(scores);
    s
}

/// The combine function of the score states, as the SQL layer runs it: checked, appended.
fn merge_score_states(kind: ScoreStateKind, ours: &[f64], theirs: &[f64]) -> cltv_core::Result<Vec<f64>> {
    let extra = score_state::merge_scores(kind, ours, theirs)?;
    let (header, count) = score_state::check_header(kind, ours)?;
    let mut out = ours[..header + count].to_vec();
    out.extend_from_slice(extra);
    out[1] = (count + extra.len()) as f64;
    Ok(out)
}

const RFM_OPTS: RfmOptions = RfmOptions {
    calibration_end: 100.0,
    holdout_end: Some(150.0),
    unit_days: 7.0,
};

fn rfm_state(purchases: &[(f64, f64)]) -> Vec<f64> {
    let mut s = rfm_state_header(&RFM_OPTS).unwrap().to_vec();
    s.resize(RFM_STATE_HEADER_LEN + 2 * purchases.len().max(1), 0.0);
    let mut used = 0;
    for &(day, spend) in purchases {
        used = rfm_push_in_place(&mut s[RFM_STATE_HEADER_LEN..], used, day, spend).unwrap();
    }
    s[RFM_STATE_HEADER_LEN - 1] = used as f64;
    s
}

fn valid_linreg() -> Vec<f64> {
    linreg_state(&[
        (1.0, [2.0, 3.0]),
        (2.0, [1.0, 5.0]),
        (0.5, [4.0, 4.0]),
        (3.0, [0.0, 1.0]),
    ])
}

fn valid_logit() -> Vec<f64> {
    logit_state(
        &[(true, [2.0, 3.0]), (false, [1.0, 5.0]), (true, [0.5, 4.0])],
        &[0.1, 0.2, -0.3],
    )
}

fn valid_scored() -> Vec<f64> {
    let mut s = scored_pass::new_header(2, 1.0, 0.5).unwrap();
    let beta = [0.1, 0.2, -0.3];
    for (y, x, test) in [(true, [2.0, 3.0], false), (false, [1.0, 5.0], true)] {
        if let Some(score) = scored_pass::push_row(&mut s, y, &x, &beta, test).unwrap() {
            s[logistic::state_len(2)] += 1.0;
            s.push(f64::from_bits(score));
        }
    }
    s
}

fn valid_first_pass() -> Vec<f64> {
    let mut s = input_checks::new_counts().to_vec();
    s.extend(valid_logit());
    s
}

fn valid_binary() -> Vec<f64> {
    let scores: Vec<f64> = [(0.2, true), (0.7, false), (0.9, true)]
        .iter()
        .map(|&(p, y)| f64::from_bits(pack_score(p, y)))
        .collect();
    score_state_of(ScoreStateKind::BinaryMetrics, 0.5, &[0.5, 0.9], &scores)
}

fn valid_quantiles() -> Vec<f64> {
    score_state_of(ScoreStateKind::ScoreQuantiles, 1.0, &[0.25], &[3.0, -1.0, 2.5])
}

fn valid_rfm() -> Vec<f64> {
    rfm_state(&[(10.0, 5.0), (40.0, 2.0), (120.0, 1.0)])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn linreg_states_never_panic(a in state_like(valid_linreg()), b in state_like(valid_linreg())) {
        if let Ok(stats) = SuffStats::from_state(&a) {
            let names: Vec<String> = (0..stats.p).map(|i| format!("x{i}")).collect();
            let _ = fit_ols(&stats, &names, &OlsOptions::default());
        }
        let mut ours = a.clone();
        if let Ok(mut st) = StateMut::new(&mut ours) {
            let _ = st.merge(&b);
            let p = st.p();
            st.push(1.0, &vec![0.5; p]);
        }
        let _ = suffstats::width_of(&a);
    }

    #[test]
    fn logistic_states_never_panic(a in state_like(valid_logit()), b in state_like(valid_logit()), beta_len in 0usize..5) {
        let _ = LogitPass::from_state(&a);
        let mut ours = a.clone();
        if let Ok(mut st) = LogitStateMut::new(&mut ours) {
            let _ = st.merge(&b);
            let p = st.p();
            let _ = st.try_push(true, &vec![0.5; p], &vec![0.1; beta_len]);
            let _ = st.try_push(false, &vec![0.5; p], &vec![0.1; p + 1]);
        }
    }

    #[test]
    fn first_pass_states_never_panic(a in state_like(valid_first_pass()), b in state_like(valid_first_pass())) {
        let mut ours = a.clone();
        if let Ok((counts, sums)) = input_checks::split_state_mut(&mut ours) {
            if let Ok((their_counts, their_sums)) = input_checks::split_state(&b) {
                if LogitStateMut::new(sums).and_then(|mut s| s.merge(their_sums)).is_ok() {
                    input_checks::merge_counts(counts, their_counts);
                }
            }
            let _ = input_checks::InputCounts::read(counts);
        }
        if let Ok((_, sums)) = input_checks::split_state(&a) {
            let _ = LogitPass::from_state(sums);
        }
    }

    #[test]
    fn scored_pass_states_never_panic(a in state_like(valid_scored()), b in state_like(valid_scored()), test in any::<bool>()) {
        let _ = scored_pass::read_sizes(&a);
        let _ = ScoredPass::from_state(&a);
        let mut ours = a.clone();
        let _ = scored_pass::merge_header(&mut ours, &b);
        let mut ours = a.clone();
        if let Ok(p) = logistic::prefix_features(&ours) {
            let _ = scored_pass::push_row(&mut ours, true, &vec![0.5; p], &vec![0.1; p + 1], test);
            let _ = scored_pass::push_row(&mut ours, true, &[0.5; 2], &[0.1; 3], test);
        }
    }

    #[test]
    fn score_states_never_panic(a in state_like(valid_binary()), b in state_like(valid_binary()),
                                c in state_like(valid_quantiles()), d in state_like(valid_quantiles())) {
        for (kind, x, y) in [(ScoreStateKind::BinaryMetrics, &a, &b), (ScoreStateKind::ScoreQuantiles, &c, &d),
                             (ScoreStateKind::BinaryMetrics, &c, &a), (ScoreStateKind::ScoreQuantiles, &a, &c)] {
            let _ = score_state::check_header(kind, x);
            let _ = score_state::parse(kind, x);
            let _ = merge_score_states(kind, x, y);
        }
        let _ = score_state::binary_metrics_final(&a);
        let _ = score_state::score_quantiles_final(&c);
    }

    #[test]
    fn rfm_states_never_panic(a in state_like(valid_rfm()), b in state_like(valid_rfm()), day in any_f64()) {
        let _ = rfm_state_final(&a);
        let _ = rfm_parse_state(&a);
        let _ = rfm_merge_states(&a, &b, |d| d.to_string());
        let mut ours = a.clone();
        if let Ok((_, used)) = rfm_check_header(&ours) {
            let _ = rfm_push_in_place(&mut ours[RFM_STATE_HEADER_LEN..], used, day, 1.0);
        }
    }
}

/// Rows cut into three chunks at `i <= j`.
fn chunks<T>(rows: &[T], i: usize, j: usize) -> [&[T]; 3] {
    let (i, j) = (i.min(rows.len()), j.min(rows.len()));
    let (i, j) = (i.min(j), i.max(j));
    [&rows[..i], &rows[i..j], &rows[j..]]
}

/// Equal to 1e-9 of `scale` (at least 1). The pairwise mean/co-moment update of Chan et al.
/// is exact in real arithmetic but rounds differently for each grouping of the rows, so
/// merged sums of squares agree with the one-pass ones to some ulps of their scale, not
/// bit for bit; 1e-9 is far above that rounding and far below what a wrong weight or a
/// dropped term in a merge formula changes (order 1 relative). Counts, classes and the
/// per-class minima and maxima are exact in any order and are compared exactly.
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * scale.max(1.0) || (a.is_infinite() && a == b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn linreg_merge_is_independent_of_chunking(
        rows in prop::collection::vec((-50.0..50.0f64, [-10.0..10.0f64, -10.0..10.0f64]), 1..40),
        i in 0usize..40, j in 0usize..40,
    ) {
        let whole = SuffStats::from_state(&linreg_state(&rows)).unwrap();
        let [a, b, c] = chunks(&rows, i, j).map(linreg_state);
        let merge = |x: &[f64], y: &[f64]| {
            let mut out = x.to_vec();
            StateMut::new(&mut out).unwrap().merge(y).unwrap();
            out
        };
        let left = SuffStats::from_state(&merge(&merge(&a, &b), &c)).unwrap();
        let right = SuffStats::from_state(&merge(&a, &merge(&b, &c))).unwrap();
        for merged in [&left, &right] {
            prop_assert_eq!(merged.n, whole.n);
            let scale = whole.comoment.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            for (x, y) in merged.comoment.iter().zip(&whole.comoment) {
                prop_assert!(close(*x, *y, scale), "{} vs {}", x, y);
            }
            for (x, y) in merged.mean.iter().zip(&whole.mean) {
                prop_assert!(close(*x, *y, 50.0), "{} vs {}", x, y);
            }
        }
    }

    #[test]
    fn logistic_merge_is_independent_of_chunking(
        rows in prop::collection::vec((any::<bool>(), [-5.0..5.0f64, -5.0..5.0f64]), 1..40),
        i in 0usize..40, j in 0usize..40,
    ) {
        let beta = [0.2, -0.4, 0.3];
        let whole = LogitPass::from_state(&logit_state(&rows, &beta)).unwrap();
        let [a, b, c] = chunks(&rows, i, j).map(|r| logit_state(r, &beta));
        let merge = |x: &[f64], y: &[f64]| {
            let mut out = x.to_vec();
            LogitStateMut::new(&mut out).unwrap().merge(y).unwrap();
            out
        };
        let left = LogitPass::from_state(&merge(&merge(&a, &b), &c)).unwrap();
        let right = LogitPass::from_state(&merge(&a, &merge(&b, &c))).unwrap();
        for merged in [&left, &right] {
            prop_assert_eq!((merged.n, merged.n_positive, merged.n_correct), (whole.n, whole.n_positive, whole.n_correct));
            let n = whole.n as f64;
            prop_assert!(close(merged.log_likelihood, whole.log_likelihood, n));
            prop_assert!(close(merged.weight_sum, whole.weight_sum, n));
            prop_assert!(close(merged.residual_sum, whole.residual_sum, n));
            for (x, y) in merged.comoment.iter().zip(&whole.comoment) {
                prop_assert!(close(*x, *y, 25.0 * n), "{} vs {}", x, y);
            }
            for (x, y) in merged.centred_gradient.iter().zip(&whole.centred_gradient) {
                prop_assert!(close(*x, *y, 5.0 * n), "{} vs {}", x, y);
            }
            prop_assert_eq!(&merged.min_positive, &whole.min_positive);
            prop_assert_eq!(&merged.max_negative, &whole.max_negative);
        }
    }

    #[test]
    fn score_merges_are_independent_of_chunking(
        rows in prop::collection::vec((0u32..=20, any::<bool>()), 1..40),
        i in 0usize..40, j in 0usize..40,
    ) {
        // Probabilities on a grid, so that many rows tie.
        let packed: Vec<f64> = rows.iter().map(|&(k, y)| f64::from_bits(pack_score(k as f64 / 20.0, y))).collect();
        let plain: Vec<f64> = rows.iter().map(|&(k, _)| k as f64 - 7.0).collect();
        for (kind, scores, quantiles) in [
            (ScoreStateKind::BinaryMetrics, &packed, vec![0.1, 0.5]),
            (ScoreStateKind::ScoreQuantiles, &plain, vec![0.0, 0.3, 1.0]),
        ] {
            let whole = score_state_of(kind, 1.0, &quantiles, scores);
            let [a, b, c] = chunks(scores, i, j).map(|s| score_state_of(kind, 1.0, &quantiles, s));
            let merge = |x: &[f64], y: &[f64]| merge_score_states(kind, x, y).unwrap();
            let left = merge(&merge(&a, &b), &c);
            let right = merge(&a, &merge(&b, &c));
            match kind {
                ScoreStateKind::BinaryMetrics => {
                    let expected = score_state::binary_metrics_final(&whole).unwrap();
                    prop_assert_eq!(score_state::binary_metrics_final(&left).unwrap(), expected.clone());
                    prop_assert_eq!(score_state::binary_metrics_final(&right).unwrap(), expected);
                }
                ScoreStateKind::ScoreQuantiles => {
                    let expected = score_state::score_quantiles_final(&whole).unwrap();
                    prop_assert_eq!(score_state::score_quantiles_final(&left).unwrap(), expected.clone());
                    prop_assert_eq!(score_state::score_quantiles_final(&right).unwrap(), expected);
                }
            }
        }
    }

    #[test]
    fn rfm_merge_is_independent_of_chunking(
        purchases in prop::collection::vec((0u32..200, 0u32..100), 1..40),
        i in 0usize..40, j in 0usize..40,
    ) {
        // Whole days and whole amounts: the sums are exact in any order.
        let purchases: Vec<(f64, f64)> = purchases.iter().map(|&(d, s)| (d as f64, s as f64)).collect();
        let whole = rfm_state_final(&rfm_state(&purchases)).unwrap();
        let [a, b, c] = chunks(&purchases, i, j).map(rfm_state);
        let merge = |x: &[f64], y: &[f64]| {
            let (opts, pairs) = rfm_merge_states(x, y, |d| d.to_string()).unwrap();
            let mut s = rfm_state_header(&opts).unwrap().to_vec();
            s[RFM_STATE_HEADER_LEN - 1] = (pairs.len() / 2) as f64;
            s.extend(pairs);
            s
        };
        prop_assert_eq!(rfm_state_final(&merge(&merge(&a, &b), &c)).unwrap(), whole);
        prop_assert_eq!(rfm_state_final(&merge(&a, &merge(&b, &c))).unwrap(), whole);
    }

    #[test]
    fn first_pass_merge_is_independent_of_chunking(
        rows in prop::collection::vec(first_pass_row(), 1..40),
        i in 0usize..40, j in 0usize..40,
    ) {
        let whole = first_pass_state(&rows);
        let [a, b, c] = chunks(&rows, i, j).map(first_pass_state);
        let merge = |x: &[f64], y: &[f64]| {
            let mut out = x.to_vec();
            let (counts, sums) = input_checks::split_state_mut(&mut out).unwrap();
            let (their_counts, their_sums) = input_checks::split_state(y).unwrap();
            LogitStateMut::new(sums).unwrap().merge(their_sums).unwrap();
            input_checks::merge_counts(counts, their_counts);
            out
        };
        let read = |s: &[f64]| {
            let (counts, sums) = input_checks::split_state(s).unwrap();
            (InputCounts::read(counts), LogitPass::from_state(sums).unwrap())
        };
        let (whole_counts, whole_pass) = read(&whole);
        for merged in [merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c))] {
            let (counts, pass) = read(&merged);
            // Counters and the smallest bad target: exact in any order.
            prop_assert_eq!(counts, whole_counts);
            prop_assert_eq!((pass.n, pass.n_positive, pass.n_correct), (whole_pass.n, whole_pass.n_positive, whole_pass.n_correct));
            let n = whole_pass.n as f64;
            prop_assert!(close(pass.log_likelihood, whole_pass.log_likelihood, n));
            prop_assert!(close(pass.weight_sum, whole_pass.weight_sum, n));
            for (x, y) in pass.comoment.iter().zip(&whole_pass.comoment) {
                prop_assert!(close(*x, *y, 25.0 * n), "{} vs {}", x, y);
            }
            prop_assert_eq!(&pass.min_positive, &whole_pass.min_positive);
            prop_assert_eq!(&pass.max_negative, &whole_pass.max_negative);
        }
    }

    #[test]
    fn scored_pass_merge_is_independent_of_chunking(
        rows in prop::collection::vec((any::<bool>(), [-5.0..5.0f64, -5.0..5.0f64], any::<bool>()), 1..40),
        i in 0usize..40, j in 0usize..40,
        fractions in prop_oneof![Just((1.0, 1.0)), Just((0.5, 0.7))],
    ) {
        let whole = ScoredPass::from_state(&scored_state(&rows, fractions)).unwrap();
        let [a, b, c] = chunks(&rows, i, j).map(|r| scored_state(r, fractions));
        // The combine function, as the SQL layer runs it: merge the headers, append the scores.
        let merge = |x: &[f64], y: &[f64]| {
            let (p, _) = scored_pass::read_sizes(x).unwrap();
            let (_, extra) = scored_pass::read_sizes(y).unwrap();
            let header = scored_pass::header_len(p);
            let mut out = x.to_vec();
            scored_pass::merge_header(&mut out[..header], y).unwrap();
            out.extend_from_slice(&y[header..header + extra]);
            out[logistic::state_len(p)] += extra as f64;
            out
        };
        let sorted = |mut v: Vec<u64>| { v.sort_unstable(); v };
        for merged in [merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c))] {
            let merged = ScoredPass::from_state(&merged).unwrap();
            // Each row's score is computed from its own row alone, so the kept scores are
            // the same bits in any chunking; only their order differs.
            prop_assert_eq!(sorted(merged.train.0.clone()), sorted(whole.train.0.clone()));
            prop_assert_eq!(sorted(merged.test.0.clone()), sorted(whole.test.0.clone()));
            prop_assert_eq!((merged.train.1, merged.test.1), (whole.train.1, whole.test.1));
            let (pass, whole_pass) = (&merged.pass, &whole.pass);
            prop_assert_eq!((pass.n, pass.n_positive, pass.n_correct), (whole_pass.n, whole_pass.n_positive, whole_pass.n_correct));
            let n = whole_pass.n as f64;
            prop_assert!(close(pass.log_likelihood, whole_pass.log_likelihood, n));
            for (x, y) in pass.comoment.iter().zip(&whole_pass.comoment) {
                prop_assert!(close(*x, *y, 25.0 * n), "{} vs {}", x, y);
            }
        }
    }
}

/// Target, features and split of a first-pass row.
type FirstPassRow = (Option<f64>, Option<[f64; 2]>, bool);

/// A first-pass row: target (NULL, 0, 1, out of range, NaN), features (NULL, finite,
/// non-finite), and its split.
fn first_pass_row() -> impl Strategy<Value = FirstPassRow> {
    (
        prop_oneof![
            Just(None),
            Just(Some(0.0)),
            Just(Some(1.0)),
            Just(Some(1.0)),
            (-3i32..5).prop_map(|v| Some(f64::from(v))),
            Just(Some(f64::NAN)),
        ],
        prop_oneof![
            Just(None),
            [-5.0..5.0f64, -5.0..5.0f64].prop_map(Some),
            [-5.0..5.0f64, -5.0..5.0f64].prop_map(Some),
            Just(Some([f64::INFINITY, 0.0])),
        ],
        any::<bool>(),
    )
}

/// A first pass's state over `rows`, as its transition function builds it.
fn first_pass_state(rows: &[FirstPassRow]) -> Vec<f64> {
    let beta = [0.2, -0.4, 0.3];
    let mut s = input_checks::new_counts().to_vec();
    s.extend(logistic::new_state(2));
    let (counts, sums) = input_checks::split_state_mut(&mut s).unwrap();
    for (y, x, is_test) in rows {
        if input_checks::count_row(counts, *y, x.as_ref().map(|x| &x[..]), *is_test, true) == RowUse::Train {
            LogitStateMut::new(sums)
                .unwrap()
                .try_push(*y == Some(1.0), &x.unwrap(), &beta)
                .unwrap();
        }
    }
    s
}

/// A scored pass's state over `rows` (target, features, is_test).
fn scored_state(rows: &[(bool, [f64; 2], bool)], fractions: (f64, f64)) -> Vec<f64> {
    let beta = [0.1, 0.2, -0.3];
    let mut s = scored_pass::new_header(2, fractions.0, fractions.1).unwrap();
    for (y, x, test) in rows {
        if let Some(score) = scored_pass::push_row(&mut s, *y, x, &beta, *test).unwrap() {
            s[logistic::state_len(2)] += 1.0;
            s.push(f64::from_bits(score));
        }
    }
    s
}
