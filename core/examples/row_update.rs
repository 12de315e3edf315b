//! The per-row cost of the regression states' update, for BENCHMARKS.md (not a test):
//! `cargo run --release -p cltv-core --example row_update`.
//! For each width p it pushes the same deterministic rows into a linear-regression state
//! (`suffstats`) and a logistic pass state, and prints nanoseconds per row: the best of
//! seven runs, since other work on the machine only ever adds time.

use cltv_core::fit::logistic::{new_state as new_logit_state, LogitStateMut};
use cltv_core::fit::suffstats::{new_state, StateMut};
use std::hint::black_box;
use std::time::Instant;

fn rows(p: usize, n: usize) -> Vec<(f64, Vec<f64>)> {
    (0..n)
        .map(|i| {
            let x: Vec<f64> = (0..p).map(|j| ((i * 31 + j * 17) % 97) as f64 / 97.0).collect();
            let y = x.iter().sum::<f64>() + (i % 7) as f64;
            (y, x)
        })
        .collect()
}

fn main() {
    let n = 200_000;
    println!("{:>4}  {:>14}  {:>16}", "p", "linear ns/row", "logistic ns/row");
    for p in [8, 16, 31, 32, 40, 64, 95] {
        let data = rows(p, n);
        let beta = vec![0.01; p + 1];
        let (mut linear, mut logistic) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..7 {
            let mut state = new_state(p);
            let start = Instant::now();
            {
                let mut s = StateMut::new(&mut state).expect("a fresh state");
                for (y, x) in &data {
                    s.push(*y, x);
                }
            }
            linear = linear.min(start.elapsed().as_nanos() as f64 / n as f64);
            black_box(&state);

            let mut state = new_logit_state(p);
            let start = Instant::now();
            {
                let mut s = LogitStateMut::new(&mut state).expect("a fresh state");
                for (y, x) in &data {
                    black_box(s.push(*y > 20.0, x, &beta));
                }
            }
            logistic = logistic.min(start.elapsed().as_nanos() as f64 / n as f64);
            black_box(&state);
        }
        println!("{p:>4}  {linear:>14.1}  {logistic:>16.1}");
    }
}
