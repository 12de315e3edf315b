//! linfa-logistic's L-BFGS as an in-memory alternative to IRLS, run in interruptible
//! chunks, and judged by the IRLS criterion.

use ndarray::{Array1, Array2};

use crate::error::{Error, Result};
use crate::fit::flat_state::MAX_FEATURES;
use crate::interrupt;
use crate::limits::try_vec;

use super::analysis::{analyse, check_names, judge};
use super::inference::build_fit;
use super::{LogitFit, LogitOptions, LogitPass};
/// L-BFGS iterations allowed per linfa run in [`fit_lbfgs`], per unit of `max_iter`.
pub const LBFGS_ITERATIONS_PER_MAX_ITER: u64 = 100;
/// linfa runs in [`fit_lbfgs`] (each warm-started from the previous one).
pub const LBFGS_RUNS: u32 = 3;
/// L-BFGS gradient-norm tolerance, per row (the objective is a sum over rows).
pub const LBFGS_GRADIENT_TOL_PER_ROW: f64 = 1e-10;
/// Work (rows × (features + 1)) of the L-BFGS iterations of one linfa call in
/// [`fit_lbfgs`]: linfa's solver cannot be interrupted, so a big fit runs in chunks of
/// iterations, each warm-started from the previous one, with an interrupt check between
/// them. Each iteration costs a few passes over the rows, so a chunk takes well under a
/// second even in a debug build. Fits small enough for the whole iteration budget in one
/// chunk (work × `max_iter` × 100 at most this) run exactly as one linfa call.
pub const LBFGS_CHUNK_WORK: u64 = 200_000_000;

/// The bytes the lbfgs path holds per training row with `p` features (for
/// `cltv.max_training_memory`): the row as the query returns it (a tuple of about
/// 64 + 8p bytes), as read (p values and a target), linfa's standardised copy (p) and its
/// targets and per-evaluation temporaries (about 4 values), 8 bytes each.
pub const fn lbfgs_bytes_per_row(p: usize) -> u64 {
    64 + 8 * (3 * p as u64 + 5)
}

/// Iterations of one linfa call in [`fit_lbfgs`]: the whole `max_iterations` for a small
/// fit, else as many as [`LBFGS_CHUNK_WORK`] allows (at least 1).
pub fn lbfgs_chunk_iterations(n: usize, p: usize, max_iterations: u64) -> u64 {
    chunk_iterations(n, p, max_iterations, LBFGS_CHUNK_WORK)
}

fn chunk_iterations(n: usize, p: usize, max_iterations: u64, chunk_work: u64) -> u64 {
    let per_iteration = (n as u64).saturating_mul(p as u64 + 1).max(1);
    (chunk_work / per_iteration).clamp(1, max_iterations.max(1))
}

/// Fits in memory with linfa-logistic's L-BFGS, then computes the same
/// statistics as IRLS from one pass at its solution (standard errors from the
/// Hessian there), so the two solvers are comparable.
///
/// `x` is n×p row-major. linfa minimises −Σ log σ(±η) + (α/2)‖b‖², a sum over
/// rows with the intercept unpenalised, so α = l2 exactly. Unpenalised fits
/// run on standardised features (mean 0, sd 1) and penalised ones on centred
/// features (scaling would change the penalty); coefficients are mapped back.
/// linfa labels the MAJORITY class +1, so its coefficients are negated when
/// that is `false`.
///
/// The solution must pass the IRLS criterion (predicted gain of a Newton step
/// and relative step size, see the module documentation); linfa is re-run from
/// its solution up to [`LBFGS_RUNS`] times, each with at most
/// `max_iter·`[`LBFGS_ITERATIONS_PER_MAX_ITER`] iterations, else
/// [`Error::NotConverged`]. The same data checks and separation errors as IRLS
/// apply. `iterations` in the fit counts linfa runs.
///
/// Above [`LBFGS_CHUNK_WORK`] the same iteration budget runs in chunks of
/// [`lbfgs_chunk_iterations`] (linfa cannot be interrupted), each warm-started from the
/// previous chunk's solution and judged by the same criterion, with an interrupt check
/// between chunks; `iterations` then counts chunks. A warm start drops L-BFGS's curvature
/// history, so such a fit takes a slightly different path to the optimum and may stop
/// at an earlier iterate that passes the criterion: its coefficients agree with an
/// unchunked fit's within the convergence tolerance, not bit for bit.
pub fn fit_lbfgs(x: &[f64], y: &[bool], p: usize, names: &[String], opts: &LogitOptions) -> Result<LogitFit> {
    fit_lbfgs_chunked(x, y, p, names, opts, LBFGS_CHUNK_WORK)
}

/// [`fit_lbfgs`] with chunks of `chunk_work` (tests run small fits in chunks).
fn fit_lbfgs_chunked(
    x: &[f64],
    y: &[bool],
    p: usize,
    names: &[String],
    opts: &LogitOptions,
    chunk_work: u64,
) -> Result<LogitFit> {
    if !opts.penalty_scale.is_empty() {
        return Err(Error::Unsupported {
            what: "per-slope penalties with the lbfgs solver".to_string(),
            hint: "Fit on standardised features instead (cltv_train does).".to_string(),
        });
    }
    opts.validate()?;
    check_names(p, names)?;
    let n = y.len();
    if x.len() != n * p {
        return Err(Error::WrongArrayLength {
            expected: n * p,
            got: x.len(),
        });
    }
    if p > MAX_FEATURES {
        return Err(Error::InvalidArgument {
            what: "feature count".to_string(),
            reason: format!("at most {MAX_FEATURES} features are supported, got {p}"),
        });
    }
    for (j, name) in names.iter().enumerate() {
        let bad: Vec<f64> = (0..n).map(|i| x[i * p + j]).filter(|v| !v.is_finite()).collect();
        if let Some(&value) = bad.first() {
            return Err(Error::NonFinite {
                column: name.clone(),
                value: Some(value),
                rows: bad.len() as u64,
            });
        }
    }
    let pass_at =
        |beta: &[f64]| LogitPass::from_rows(p, (0..n).map(|i| (y[i], &x[i * p..(i + 1) * p])), beta);

    // The first IRLS pass's checks: rows, classes, constant/collinear/separating features.
    let zero = vec![0.0; p + 1];
    analyse(&pass_at(&zero)?, &zero, names, opts)?;

    let l2 = opts.l2;
    let n_f = n as f64;
    interrupt::check();
    let mean: Vec<f64> = (0..p)
        .map(|j| (0..n).map(|i| x[i * p + j]).sum::<f64>() / n_f)
        .collect();
    let scale: Vec<f64> = (0..p)
        .map(|j| {
            let sd = ((0..n).map(|i| (x[i * p + j] - mean[j]).powi(2)).sum::<f64>() / n_f).sqrt();
            if l2 == 0.0 && sd > 0.0 {
                sd
            } else {
                1.0
            }
        })
        .collect();
    interrupt::check();
    let mut records = try_vec::<f64>(n * p, "the standardised training rows")?;
    for i in 0..n {
        interrupt::check_every(i);
        records.extend((0..p).map(|j| (x[i * p + j] - mean[j]) / scale[j]));
    }
    let records = Array2::from_shape_vec((n, p), records).map_err(|e| Error::Internal {
        reason: format!("the training rows as a matrix: {e}"),
    })?;
    let mut targets = try_vec::<bool>(n, "the training targets")?;
    targets.extend_from_slice(y);
    let dataset = linfa::Dataset::new(records, Array1::from(targets));
    let max_iterations = u64::from(opts.max_iter) * LBFGS_ITERATIONS_PER_MAX_ITER;
    // A small fit is LBFGS_RUNS linfa calls of max_iterations each; a big one the same
    // iteration budget in chunks, judged after each, checking for interrupts between them.
    let chunk = chunk_iterations(n, p, max_iterations, chunk_work);
    let chunked = chunk < max_iterations;
    let calls = u64::from(LBFGS_RUNS) * max_iterations.div_ceil(chunk);

    let mut warm: Option<Array1<f64>> = None;
    let mut last_gain = f64::NAN;
    let mut runs = 0;
    for run in 1..=u32::try_from(calls).unwrap_or(u32::MAX) {
        interrupt::check();
        runs = run;
        let mut params = linfa_logistic::LogisticRegression::default()
            .alpha(l2)
            .with_intercept(true)
            .max_iterations(chunk)
            .gradient_tolerance(LBFGS_GRADIENT_TOL_PER_ROW * n_f.max(1.0));
        if let Some(w) = &warm {
            params = params.initial_params(w.clone());
        }
        // The inputs are validated above, so what linfa can still report is a
        // failed line search: the solver did not converge.
        let Ok(model) = linfa::traits::Fit::fit(&params, &dataset) else {
            break;
        };
        // linfa's +1 class is the majority class; cltv's is `true`.
        let sign = if model.labels().pos.class { 1.0 } else { -1.0 };
        let mut beta = Vec::with_capacity(p + 1);
        let slopes: Vec<f64> = (0..p).map(|j| sign * model.params()[j] / scale[j]).collect();
        beta.push(sign * model.intercept() - slopes.iter().zip(&mean).map(|(b, m)| b * m).sum::<f64>());
        beta.extend_from_slice(&slopes);

        let pass = pass_at(&beta)?;
        let an = analyse(&pass, &beta, names, opts)?;
        if judge(&pass, &an, true, opts)? {
            return Ok(build_fit(&pass, &an, beta, run, true, names, opts, "lbfgs"));
        }
        last_gain = an.predicted_gain;
        let mut w = model.params().to_vec();
        w.push(model.intercept());
        let w = Array1::from(w);
        if chunked && warm.as_ref() == Some(&w) {
            // linfa made no progress: it has converged by its own criterion, or is stuck.
            break;
        }
        warm = Some(w);
    }
    Err(Error::NotConverged {
        iterations: runs,
        last_change: last_gain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// n rows of 3 features with a logistic target (a small LCG), row-major.
    fn simulated(n: usize) -> (Vec<f64>, Vec<bool>) {
        let mut seed = 7_u64;
        let mut uniform = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let mut x = Vec::with_capacity(3 * n);
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let row = [uniform() * 4.0 - 2.0, uniform() * 10.0, uniform()];
            let eta = 0.3 + 0.8 * row[0] - 0.1 * row[1] + 1.5 * row[2];
            x.extend_from_slice(&row);
            y.push(uniform() < 1.0 / (1.0 + (-eta).exp()));
        }
        (x, y)
    }

    #[test]
    fn lbfgs_in_chunks_agrees_and_checks_for_interrupts() {
        use crate::interrupt::testing;
        let (x, y) = simulated(5_000);
        let names = names(&["a", "b", "c"]);
        let opts = LogitOptions::default();
        // The whole budget in one linfa call, as every fit this small runs.
        assert_eq!(lbfgs_chunk_iterations(5_000, 3, 5_000), 5_000);
        assert!(lbfgs_chunk_iterations(2_000_000, 5, 5_000) < 5_000);
        let whole = fit_lbfgs(&x, &y, 3, &names, &opts).unwrap();
        // Chunks of 2 iterations (5,000 rows × 4 = 20,000 work each).
        testing::install(None);
        let chunked = fit_lbfgs_chunked(&x, &y, 3, &names, &opts, 40_000).unwrap();
        assert!(chunked.iterations > 1, "{} chunks", chunked.iterations);
        assert!(
            testing::calls() >= u64::from(chunked.iterations),
            "{}",
            testing::calls()
        );
        // The same optimum, to well within the standard errors.
        let se = whole.std_error.iter().map(|s| s.unwrap());
        for ((a, b), se) in whole.estimate.iter().zip(&chunked.estimate).zip(se) {
            assert!((a - b).abs() < 1e-4 * se, "{a} vs {b}");
        }
        // A cancel between chunks (after the first passes) unwinds out of the fit.
        let calls = testing::calls();
        testing::assert_cancels(calls - 2, || fit_lbfgs_chunked(&x, &y, 3, &names, &opts, 40_000));
    }
}
