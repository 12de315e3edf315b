//! Parameter recovery on data simulated from the models themselves (a fixed-seed
//! generator, so the draws and hence the outcomes are deterministic): the estimates
//! must land within 3.5 of their own standard errors of the true parameters, the
//! small samples must fit without NaN, and the standard errors must match the
//! spread of the estimates over independent replications.

use cltv_core::fit::bgnbd::{compress, fit_bgnbd, BgNbdParams, FitOptions};
use cltv_core::fit::gamma_gamma::{fit_gamma_gamma, GammaGammaFitOptions, GammaGammaParams};

/// SplitMix64: tiny, good enough for simulation, identical on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform on (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }

    /// Gamma(shape, rate) by Marsaglia & Tsang (2000), boosted for shape < 1.
    fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.uniform().powf(1.0 / shape);
            return self.gamma(shape + 1.0, rate) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let z = self.normal();
            let v = (1.0 + c * z).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                return d * v / rate;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a, 1.0);
        let y = self.gamma(b, 1.0);
        x / (x + y)
    }
}

/// BG/NBD customers (x, t_x, T): λ ~ Gamma(r, α), p ~ Beta(a, b); purchases at rate λ
/// from the first (time 0) to T; after each repeat purchase the customer drops out with
/// probability p. T is uniform on [27, 39] (weeks, as in CDNOW's 1997Q1 cohort).
fn simulate_bgnbd(n: usize, p: &BgNbdParams, seed: u64) -> Vec<(f64, f64, f64)> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let t_cal = 27.0 + 12.0 * rng.uniform();
            let lambda = rng.gamma(p.r, p.alpha);
            let drop = rng.beta(p.a, p.b);
            let (mut t, mut x, mut t_x) = (0.0, 0.0, 0.0);
            loop {
                t += rng.exponential(lambda);
                if t > t_cal {
                    break;
                }
                x += 1.0;
                t_x = t;
                if rng.uniform() < drop {
                    break;
                }
            }
            (x, t_x, t_cal)
        })
        .collect()
}

/// Gamma-Gamma customers (x, m̄): x uniform on 1..=8, ν ~ Gamma(q, γ), each of the x
/// transactions Gamma(p, ν).
fn simulate_gamma_gamma(n: usize, g: &GammaGammaParams, seed: u64) -> Vec<(f64, f64)> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let x = 1 + (rng.uniform() * 8.0) as usize;
            let nu = rng.gamma(g.q, g.v);
            let total: f64 = (0..x).map(|_| rng.gamma(g.p, nu)).sum();
            (x as f64, total / x as f64)
        })
        .collect()
}

const TRUE_BG: BgNbdParams = BgNbdParams {
    r: 0.5,
    alpha: 6.0,
    a: 0.7,
    b: 2.5,
};

const TRUE_GG: GammaGammaParams = GammaGammaParams {
    p: 6.0,
    q: 4.0,
    v: 15.0,
};

fn bg_vec(p: &BgNbdParams) -> [f64; 4] {
    [p.r, p.alpha, p.a, p.b]
}

#[test]
fn bgnbd_recovers_simulated_parameters() {
    let rows = compress(simulate_bgnbd(20_000, &TRUE_BG, 1));
    let fit = fit_bgnbd(&rows, &FitOptions::default()).unwrap();
    assert!(fit.converged);
    let se = fit.std_errors.unwrap();
    let (got, want) = (bg_vec(&fit.params), bg_vec(&TRUE_BG));
    for i in 0..4 {
        let z = (got[i] - want[i]) / se[i];
        assert!(
            z.abs() < 3.5,
            "parameter {i}: {} ± {} vs true {}",
            got[i],
            se[i],
            want[i]
        );
    }
}

#[test]
fn bgnbd_standard_errors_match_the_spread_of_replications() {
    // 40 replications of 2,000 customers: the standard deviation of the estimates of r
    // and α should match the mean reported standard error (within sampling error of a
    // standard deviation from 40 draws, about ±11% at 1 sd; allow 35%).
    let mut estimates = vec![Vec::new(); 4];
    let mut reported = [0.0; 4];
    let reps = 40;
    for seed in 0..reps {
        let rows = compress(simulate_bgnbd(2_000, &TRUE_BG, 100 + seed));
        let fit = fit_bgnbd(&rows, &FitOptions::default()).unwrap();
        let se = fit.std_errors.unwrap();
        for i in 0..4 {
            estimates[i].push(bg_vec(&fit.params)[i]);
            reported[i] += se[i] / reps as f64;
        }
    }
    for i in 0..2 {
        let n = estimates[i].len() as f64;
        let mean = estimates[i].iter().sum::<f64>() / n;
        let sd = (estimates[i].iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let ratio = sd / reported[i];
        assert!(
            (0.65..1.35).contains(&ratio),
            "parameter {i}: sd {sd} vs mean SE {}",
            reported[i]
        );
    }
}

#[test]
fn small_samples_fit_or_fail_cleanly() {
    // Small samples either fit (finite everything) or are reported as not identified;
    // never a NaN.
    let mut fitted = 0;
    for seed in 0..30 {
        let rows = compress(simulate_bgnbd(60, &TRUE_BG, 1000 + seed));
        match fit_bgnbd(&rows, &FitOptions::default()) {
            Ok(fit) => {
                fitted += 1;
                let p = bg_vec(&fit.params);
                assert!(p.iter().all(|v| v.is_finite() && *v > 0.0), "{fit:?}");
                assert!(fit.log_likelihood.is_finite());
                if let Some(se) = fit.std_errors {
                    assert!(se.iter().all(|v| v.is_finite() && *v > 0.0));
                }
                assert!(fit.converged, "seed {seed}: {fit:?}");
            }
            Err(e) => assert_eq!(e.sqlstate(), "22000", "seed {seed}: {e:?}"),
        }
    }
    assert!(fitted >= 10, "only {fitted} of 30 small samples fitted");
}

#[test]
fn gamma_gamma_recovers_simulated_parameters() {
    let mut data = simulate_gamma_gamma(5_000, &TRUE_GG, 7);
    // Customers without repeat purchases are passed too, and left out.
    data.extend([(0.0, 0.0); 25]);
    let fit = fit_gamma_gamma(&data, &GammaGammaFitOptions::default()).unwrap();
    assert!(fit.converged);
    assert_eq!((fit.n_customers, fit.n_excluded), (5_000.0, 25.0));
    let se = fit.std_errors.unwrap();
    let got = [fit.params.p, fit.params.q, fit.params.v];
    let want = [TRUE_GG.p, TRUE_GG.q, TRUE_GG.v];
    for i in 0..3 {
        let z = (got[i] - want[i]) / se[i];
        assert!(
            z.abs() < 3.5,
            "parameter {i}: {} ± {} vs true {}",
            got[i],
            se[i],
            want[i]
        );
    }
    // Frequency and spend are independent in the simulation.
    assert!(fit.frequency_spend_correlation.unwrap().abs() < 0.05);
}
