//! What the hot paths of issue 14 §5 cost, for BENCHMARKS.md (not a test):
//! `cargo run --release -p cltv-core --example hot_paths`.
//! - a prediction interval per row when its t quantile is computed anew (two models of
//!   different df alternating, so the remembered quantile never matches) and when it is
//!   remembered (one model, one level: every row of a query);
//! - the condition number of one fit at p = 95, which each group of a grouped linear fit
//!   used to compute.
//!
//! Each figure is the best of seven runs.

use cltv_core::evaluation::explain::ols_prediction_interval;
use cltv_core::fit::ols::design_condition_number;
use cltv_core::fit::suffstats::SuffStats;
use std::hint::black_box;
use std::time::Instant;

fn best_of_seven(mut run: impl FnMut() -> f64) -> f64 {
    (0..7).map(|_| run()).fold(f64::INFINITY, f64::min)
}

fn main() {
    let p = 10;
    let estimate: Vec<f64> = (0..=p).map(|j| 0.5 + j as f64).collect();
    let cov: Vec<f64> = (0..=p)
        .flat_map(|i| (0..=p).map(move |j| if i == j { 0.01 } else { 0.001 }))
        .collect();
    let x: Vec<f64> = (0..p).map(|j| j as f64 / 3.0).collect();
    let n = 100_000;
    let per_row = |dfs: [f64; 2]| {
        best_of_seven(|| {
            let start = Instant::now();
            for i in 0..n {
                let df = dfs[i % 2];
                black_box(
                    ols_prediction_interval(&estimate, &cov, 1.5, df, &x, 0.95, String::new, |j| {
                        j.to_string()
                    })
                    .unwrap(),
                );
            }
            start.elapsed().as_nanos() as f64 / n as f64
        })
    };
    println!(
        "cltv_predict_interval per row (p = {p}): quantile each row {:.0} ns, remembered {:.0} ns",
        per_row([30.0, 31.0]),
        per_row([30.0, 30.0])
    );

    let p = 95;
    let rows: Vec<(f64, Vec<f64>)> = (0..2000)
        .map(|i| {
            let x: Vec<f64> = (0..p)
                .map(|j| (((i + 1) * (j + 3) * 7919) % 1000) as f64 / 1000.0)
                .collect();
            (x.iter().sum::<f64>(), x)
        })
        .collect();
    let stats = SuffStats::from_rows(p, rows.iter().map(|(y, x)| (*y, x.as_slice())));
    let ms = best_of_seven(|| {
        let start = Instant::now();
        black_box(design_condition_number(&stats));
        start.elapsed().as_secs_f64() * 1e3
    });
    println!("condition number of one fit at p = {p}: {ms:.2} ms (no longer computed per group)");
}
