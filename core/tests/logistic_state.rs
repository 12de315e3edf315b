//! The logistic aggregate state: merging partial states in any chunking gives the
//! single-pass state, the centred sums reproduce the textbook Xᵀ(y − μ) and XᵀWX,
//! and corrupt or mismatched states are refused.

mod common;

use cltv_core::error::Error;
use cltv_core::fit::logistic::{
    new_state, newton_step, state_len, Irls, LogitFit, LogitOptions, LogitPass, LogitStateMut, Step,
};
use common::{read_csv, Dataset};

fn rows(data: &Dataset) -> Vec<(bool, Vec<f64>)> {
    data.rows.iter().map(|(y, x)| (*y == 1.0, x.clone())).collect()
}

fn state_of(p: usize, rows: &[(bool, Vec<f64>)], beta: &[f64]) -> Vec<f64> {
    let mut buf = new_state(p);
    let mut st = LogitStateMut::new(&mut buf).unwrap();
    for (y, x) in rows {
        st.push(*y, x, beta);
    }
    buf
}

/// Splits `rows` at `cuts`, accumulates each chunk in its own state and merges them
/// left to right into an empty state.
fn merged(p: usize, rows: &[(bool, Vec<f64>)], cuts: &[usize], beta: &[f64]) -> Vec<f64> {
    let mut total = new_state(p);
    let mut start = 0;
    for &end in cuts.iter().chain(std::iter::once(&rows.len())) {
        let part = state_of(p, &rows[start..end], beta);
        LogitStateMut::new(&mut total).unwrap().merge(&part).unwrap();
        start = end;
    }
    total
}

/// Pairwise (tree) merge of single-row states, as parallel workers would combine.
fn tree_merged(p: usize, rows: &[(bool, Vec<f64>)], beta: &[f64]) -> Vec<f64> {
    let mut level: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| state_of(p, std::slice::from_ref(r), beta))
        .collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let mut a = pair[0].clone();
                if let Some(b) = pair.get(1) {
                    LogitStateMut::new(&mut a).unwrap().merge(b).unwrap();
                }
                a
            })
            .collect();
    }
    level.pop().unwrap()
}

fn close(a: f64, b: f64, scale: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * scale.max(f64::MIN_POSITIVE),
        "{what}: {a:e} vs {b:e} (scale {scale:e})"
    );
}

/// Field-by-field comparison, each on its natural scale.
fn assert_same_pass(a: &LogitPass, b: &LogitPass, tol: f64) {
    assert_eq!(
        (a.p, a.n, a.n_positive, a.n_perfect),
        (b.p, b.n, b.n_positive, b.n_perfect)
    );
    assert_eq!(a.beta, b.beta);
    assert_eq!(
        (&a.min_positive, &a.max_positive, &a.min_negative, &a.max_negative),
        (&b.min_positive, &b.max_positive, &b.min_negative, &b.max_negative)
    );
    close(
        a.log_likelihood,
        b.log_likelihood,
        b.log_likelihood.abs(),
        tol,
        "loglik",
    );
    close(a.weight_sum, b.weight_sum, b.weight_sum, tol, "W");
    // Σ(y − μ) sums terms of size ≤ 1.
    close(a.residual_sum, b.residual_sum, b.n as f64, tol, "Σr");
    let p = a.p;
    for j in 0..p {
        let sd = (b.comoment[j * p + j] / b.weight_sum).sqrt();
        close(a.mean[j], b.mean[j], b.mean[j].abs() + sd, tol, "mean");
        // |Σ r (x − m)| ≤ sqrt(n Σ(x − m)²) with weights ≥ ... judged on n·(|m| + sd).
        close(
            a.centred_gradient[j],
            b.centred_gradient[j],
            b.n as f64 * sd,
            tol,
            "centred gradient",
        );
        for k in 0..p {
            let scale = (b.comoment[j * p + j] * b.comoment[k * p + k]).sqrt();
            close(
                a.comoment[j * p + k],
                b.comoment[j * p + k],
                scale,
                tol,
                "comoment",
            );
        }
    }
}

#[test]
fn merge_in_any_chunking_equals_one_pass() {
    let data = read_csv("generated_logit.csv");
    let p = data.p();
    let rows = rows(&data);
    for beta in [
        vec![0.0; p + 1],
        vec![-1.6, -0.035, 0.032, 0.38, -0.00026],
        vec![3.0, 0.1, -0.05, 1.0, 0.001],
    ] {
        let single = LogitPass::from_state(&state_of(p, &rows, &beta)).unwrap();
        let chunkings: Vec<Vec<usize>> = vec![
            vec![],
            vec![250],
            vec![1],
            vec![499],
            vec![100, 200, 300, 400],
            vec![7, 8, 9, 200, 201, 333, 490],
            (1..500).collect(),
        ];
        for cuts in &chunkings {
            let m = LogitPass::from_state(&merged(p, &rows, cuts, &beta)).unwrap();
            assert_same_pass(&m, &single, 1e-12);
        }
        let tree = LogitPass::from_state(&tree_merged(p, &rows, &beta)).unwrap();
        assert_same_pass(&tree, &single, 1e-12);
    }
}

#[test]
fn merged_passes_give_the_same_fit() {
    let data = read_csv("generated_logit.csv");
    let p = data.p();
    let rows = rows(&data);
    let opts = LogitOptions::default();
    let fit_with = |chunked: bool| -> LogitFit {
        let mut irls = Irls::new(p, &data.features, &opts).unwrap();
        loop {
            let beta = irls.beta().to_vec();
            let buf = if chunked {
                tree_merged(p, &rows, &beta)
            } else {
                state_of(p, &rows, &beta)
            };
            if let Step::Converged { fit } = irls.step(&LogitPass::from_state(&buf).unwrap()).unwrap() {
                return fit;
            }
        }
    };
    let (one, many) = (fit_with(false), fit_with(true));
    assert_eq!(one.iterations, many.iterations);
    for (a, b) in one.estimate.iter().zip(&many.estimate) {
        assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
    }
    for (a, b) in one.std_error.iter().zip(&many.std_error) {
        assert!((a.unwrap() - b.unwrap()).abs() <= 1e-12 * b.unwrap());
    }
    assert!((one.log_likelihood - many.log_likelihood).abs() <= 1e-12 * one.log_likelihood.abs());
}

#[test]
fn centred_sums_reproduce_the_textbook_gradient_and_information() {
    let data = read_csv("spector_logit.csv");
    let p = data.p();
    let k = p + 1;
    let rows = rows(&data);
    let beta = [-10.0, 2.0, 0.1, 2.0];
    let pass = LogitPass::from_state(&state_of(p, &rows, &beta)).unwrap();
    // Direct sums over rows with z = [1, x].
    let mut g = vec![0.0; k];
    let mut h = vec![0.0; k * k];
    let mut ll = 0.0;
    for (y, x) in &rows {
        let z: Vec<f64> = std::iter::once(1.0).chain(x.iter().copied()).collect();
        let eta: f64 = z.iter().zip(&beta).map(|(a, b)| a * b).sum();
        let mu = 1.0 / (1.0 + (-eta).exp());
        let yv = if *y { 1.0 } else { 0.0 };
        ll += yv * mu.ln() + (1.0 - yv) * (1.0 - mu).ln();
        for i in 0..k {
            g[i] += (yv - mu) * z[i];
            for j in 0..k {
                h[i * k + j] += mu * (1.0 - mu) * z[i] * z[j];
            }
        }
    }
    let (pg, ph) = (pass.gradient(), pass.information());
    for i in 0..k {
        close(
            pg[i],
            g[i],
            g.iter().map(|v| v.abs()).fold(1.0, f64::max),
            1e-12,
            "gradient",
        );
        for j in 0..k {
            close(
                ph[i * k + j],
                h[i * k + j],
                (h[i * k + i] * h[j * k + j]).sqrt(),
                1e-12,
                "information",
            );
        }
    }
    close(pass.log_likelihood, ll, ll.abs(), 1e-13, "loglik");
    assert_eq!(pass.n_negative(), 21);
}

/// Features with large means (a date as yyyymmdd, an amount in the millions) only shift
/// the intercept: the centred state keeps the slopes and their SEs to ~1e-8 (raw sums of
/// squares would lose ~(mean/sd)² ≈ 1e15 here, i.e. every digit).
#[test]
fn large_feature_offsets_only_move_the_intercept() {
    let data = read_csv("spector_logit.csv");
    let shift = [2.0e7, 1.0e6, 0.0];
    let shifted = Dataset {
        features: data.features.clone(),
        rows: data
            .rows
            .iter()
            .map(|(y, x)| (*y, x.iter().zip(&shift).map(|(v, s)| v + s).collect()))
            .collect(),
    };
    let fit = |d: &Dataset| -> LogitFit {
        let rows = rows(d);
        let mut beta = vec![0.0; d.p() + 1];
        let mut prev = None;
        for it in 1..=50 {
            let pass = LogitPass::from_state(&state_of(d.p(), &rows, &beta)).unwrap();
            match newton_step(&pass, &beta, prev, it, &d.features, &LogitOptions::default()).unwrap() {
                Step::Converged { fit } => return fit,
                Step::Continue { beta: next } => {
                    prev = Some(pass.log_likelihood);
                    beta = next;
                }
            }
        }
        panic!("no convergence");
    };
    let (plain, moved) = (fit(&data), fit(&shifted));
    for j in 1..4 {
        let rel = ((moved.estimate[j] - plain.estimate[j]) / plain.estimate[j]).abs();
        assert!(rel < 1e-7, "slope {j}: {rel:e}");
        let se_rel =
            ((moved.std_error[j].unwrap() - plain.std_error[j].unwrap()) / plain.std_error[j].unwrap()).abs();
        assert!(se_rel < 1e-7, "se {j}: {se_rel:e}");
    }
    let b0 = plain.estimate[0] - (1..4).map(|j| plain.estimate[j] * shift[j - 1]).sum::<f64>();
    assert!(((moved.estimate[0] - b0) / b0).abs() < 1e-7);
    // Each row's η = β₀ + bᵀx is formed from the raw coefficients the SQL layer passes,
    // and β₀ ≈ −5.7e7 here, so η itself carries ε·|β₀| ≈ 1e-8 of rounding.
    assert!((moved.log_likelihood - plain.log_likelihood).abs() < 1e-7);
}

#[test]
fn merging_empty_states_changes_nothing() {
    let rows = vec![(true, vec![1.0]), (false, vec![2.0]), (true, vec![0.5])];
    let beta = [0.1, -0.2];
    let full = state_of(1, &rows, &beta);
    let mut a = full.clone();
    LogitStateMut::new(&mut a).unwrap().merge(&new_state(1)).unwrap();
    assert_eq!(a, full);
    // An empty state of another width (a worker that saw no row) is ignored too.
    LogitStateMut::new(&mut a).unwrap().merge(&new_state(3)).unwrap();
    assert_eq!(a, full);
    let mut empty = new_state(1);
    LogitStateMut::new(&mut empty).unwrap().merge(&full).unwrap();
    assert_eq!(empty, full);
}

#[test]
fn mismatched_and_corrupt_states_are_refused() {
    let rows = vec![(true, vec![1.0]), (false, vec![2.0])];
    let a = state_of(1, &rows, &[0.0, 1.0]);
    let other_beta = state_of(1, &rows, &[0.0, 1.5]);
    let mut m = a.clone();
    let e = LogitStateMut::new(&mut m)
        .unwrap()
        .merge(&other_beta)
        .unwrap_err();
    assert_eq!(
        e,
        Error::ArgumentChanged {
            argument: "beta".into(),
            first: "{0,1}".into(),
            now: "{0,1.5}".into()
        }
    );
    assert_eq!(e.sqlstate(), "22023");
    // Row by row too: a pass is at one beta.
    let mut m = a.clone();
    let mut st = LogitStateMut::new(&mut m).unwrap();
    assert!(matches!(
        st.try_push(true, &[1.0], &[0.0, 1.5]),
        Err(Error::ArgumentChanged { .. })
    ));
    assert!(matches!(
        st.try_push(true, &[1.0, 2.0], &[0.0, 1.0, 2.0]),
        Err(Error::ArgumentChanged { .. })
    ));
    assert!(matches!(
        st.try_push(true, &[1.0, 2.0], &[0.0, 1.0]),
        Err(Error::WrongArrayLength { .. })
    ));
    assert!(st.try_push(true, &[1.0], &[0.0, 1.0]).is_ok());

    let wider = state_of(2, &[(true, vec![1.0, 2.0])], &[0.0, 0.0, 0.0]);
    assert!(LogitStateMut::new(&mut m).unwrap().merge(&wider).is_err());

    let ols = cltv_core::fit::suffstats::new_state(1);
    assert!(LogitStateMut::new(&mut ols.clone()).is_err());
    assert!(LogitStateMut::new(&mut m).unwrap().merge(&ols).is_err());
    assert!(LogitStateMut::new(&mut a[..a.len() - 1].to_vec()).is_err());
    assert!(LogitStateMut::new(&mut [1001.0]).is_err());

    let corrupt = |idx: usize, v: f64| {
        let mut s = a.clone();
        s[idx] = v;
        s
    };
    // p, n, n, positives > n, correct > n, perfect > correct, NaN log-likelihood, W < 0.
    for (idx, v) in [
        (1, 1.5),
        (2, -1.0),
        (2, 0.5),
        (3, 3.0),
        (4, 5.0),
        (5, 2.0),
        (6, f64::NAN),
        (8, -1.0),
    ] {
        assert!(
            LogitPass::from_state(&corrupt(idx, v)).is_err(),
            "element {idx} = {v}"
        );
    }
    // A feature range that contradicts the class counts.
    let last = a.len() - 1;
    assert!(LogitPass::from_state(&corrupt(last, f64::NEG_INFINITY)).is_err());
    assert_eq!(a.len(), state_len(1));
}

#[test]
#[should_panic(expected = "expected 2 coefficients")]
fn push_checks_the_coefficient_count() {
    let mut buf = new_state(1);
    LogitStateMut::new(&mut buf).unwrap().push(true, &[1.0], &[0.0]);
}
