//! The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005,
//! "RFM and CLV", JMR 42; Fader & Hardie, "The Gamma-Gamma Model of Monetary
//! Value", note 025): a customer's transaction values are Gamma(p, ν) with
//! ν ~ Gamma(q, γ) across customers, so the mean m̄ of their x transactions is
//! Gamma(px, νx). The parameter γ is called `v` (as in lifetimes).
//!
//! The model assumes spend is independent of purchase frequency; the fit reports
//! the correlation of the two among the repeat customers so that can be checked.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::btyd::{
    check_fit_options, maximize, standard_errors, Derivatives, Likelihood, MaximizeError,
};
use crate::interrupt;
use crate::numerics::special::{digamma, ln_beta, trigamma};

const MODEL: &str = "Gamma-Gamma";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaParams {
    pub p: f64,
    pub q: f64,
    /// γ, the scale of the Gamma mixing distribution (in money units).
    pub v: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GammaGammaFitOptions {
    /// Newton iterations at most (default 100).
    pub max_iter: u32,
    /// As [`crate::fit::bgnbd::FitOptions::tol`] (default 1e-8).
    pub tol: f64,
    /// Starting point; the default is p = 1, q = 2, γ = mean of m̄ (which matches the
    /// mean spend: E[m̄] = pγ/(q−1)).
    pub start: Option<GammaGammaParams>,
}

impl Default for GammaGammaFitOptions {
    fn default() -> Self {
        GammaGammaFitOptions {
            max_iter: 100,
            tol: 1e-8,
            start: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GammaGammaFit {
    pub params: GammaGammaParams,
    /// Standard errors of (p, q, γ) from the inverse observed information; `None` when
    /// it is not positive definite.
    pub std_errors: Option<[f64; 3]>,
    /// Σ ln f(m̄ | p, q, γ, x), the density of the mean spend (eq. 1a of note 025).
    pub log_likelihood: f64,
    pub iterations: u32,
    /// False when `max_iter` was reached first.
    pub converged: bool,
    /// Repeat customers (frequency > 0) the model was fitted on.
    pub n_customers: f64,
    /// Rows with frequency 0 that were left out.
    pub n_excluded: f64,
    /// Pearson correlation of frequency and mean spend among the repeat customers; the
    /// model assumes they are independent, so it should be near 0 (CDNOW: 0.11).
    /// `None` when undefined (constant frequency or spend).
    pub frequency_spend_correlation: Option<f64>,
}

impl GammaGammaParams {
    /// Checks that p, q, γ are all finite and positive.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("p", self.p), ("q", self.q), ("v", self.v)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidArgument {
                    what: "Gamma-Gamma parameters".into(),
                    reason: format!("{name} must be a positive number, got {v}"),
                });
            }
        }
        Ok(())
    }

    /// Checks that p, q are in the range a fit produces ([`crate::fit::btyd::SHAPE_RANGE`]) and
    /// γ in [`crate::fit::btyd::SCALE_RANGE`]: what a stored (imported) model must pass.
    pub fn check_fitted(&self) -> Result<()> {
        use crate::fit::btyd::{check_fitted_parameter, SCALE_RANGE, SHAPE_RANGE};
        check_fitted_parameter(MODEL, "p", self.p, SHAPE_RANGE)?;
        check_fitted_parameter(MODEL, "q", self.q, SHAPE_RANGE)?;
        check_fitted_parameter(MODEL, "v", self.v, SCALE_RANGE)
    }

    /// One customer's ln f(m̄ | x): lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m̄
    /// + px ln x − (px+q) ln(γ + x m̄).
    pub fn log_likelihood(&self, x: f64, m: f64) -> f64 {
        let GammaGammaParams { p, q, v } = *self;
        row_log_likelihood(-ln_beta(p * x, q), p * x, q, v, x * m, m.ln())
    }

    /// E[Z | x, m̄]: expected spend per transaction of a customer with x repeat
    /// transactions of mean value m̄ (eq. 5 of note 025), the weighted average
    /// (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄ = p(γ + x m̄)/(px + q − 1).
    /// With x = 0 this is the population mean. +∞ when px + q ≤ 1 (no finite mean).
    pub fn conditional_expected_spend(&self, x: f64, m: f64) -> f64 {
        let GammaGammaParams { p, q, v } = *self;
        let denom = p * x + q - 1.0;
        if denom <= 0.0 {
            return f64::INFINITY;
        }
        p * (v + x * m) / denom
    }

    /// The population mean spend per transaction, E\[Z\] = pγ/(q−1); +∞ when q ≤ 1.
    pub fn population_mean_spend(&self) -> f64 {
        self.conditional_expected_spend(0.0, 0.0)
    }
}

/// ln f(m̄ | x) from −ln B(px, q) and x·m̄, written as
/// −ln B(px, q) − px·ln1p(γ/(x m̄)) − q·ln1p(x m̄/γ) − ln m̄
/// (= … + (px−1) ln m̄ + px ln x + q ln γ − (px+q) ln(γ + x m̄)), which keeps the large
/// terms apart when p and q grow.
fn row_log_likelihood(neg_ln_beta: f64, px: f64, q: f64, v: f64, xm: f64, ln_m: f64) -> f64 {
    neg_ln_beta - px * (v / xm).ln_1p() - q * (xm / v).ln_1p() - ln_m
}

/// Rows (x, m̄, weight) with the x-only parts computed per distinct x.
struct GammaGammaData {
    /// (index into xs, x, m̄, ln m̄)
    rows: Vec<(usize, f64, f64, f64)>,
    xs: Vec<f64>,
}

impl GammaGammaData {
    fn new(data: &[(f64, f64)]) -> Self {
        let mut xs: Vec<f64> = data.iter().map(|(x, _)| *x).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let rows = data
            .iter()
            .map(|&(x, m)| {
                let k = xs.binary_search_by(|v| v.total_cmp(&x)).unwrap_or(0);
                (k, x, m, m.ln())
            })
            .collect();
        GammaGammaData { rows, xs }
    }
}

impl Likelihood for GammaGammaData {
    fn dim(&self) -> usize {
        3
    }

    fn value(&self, theta: &[f64]) -> f64 {
        let (p, q, v) = (theta[0], theta[1], theta[2]);
        let per_x: Vec<f64> = self.xs.iter().map(|&x| -ln_beta(p * x, q)).collect();
        let mut ll = 0.0;
        for (i, &(k, x, m, ln_m)) in self.rows.iter().enumerate() {
            interrupt::check_every(i);
            ll += row_log_likelihood(per_x[k], p * x, q, v, x * m, ln_m);
        }
        ll
    }

    fn derivatives(&self, theta: &[f64]) -> Derivatives {
        let (p, q, v) = (theta[0], theta[1], theta[2]);
        let (dg_q, tg_q) = (digamma(q), trigamma(q));
        // Per x: (−ln B(px, q), ψ(px+q), ψ(px), ψ′(px+q), ψ′(px))
        let per_x: Vec<[f64; 5]> = self
            .xs
            .iter()
            .map(|&x| {
                let px = p * x;
                [
                    -ln_beta(px, q),
                    digamma(px + q),
                    digamma(px),
                    trigamma(px + q),
                    trigamma(px),
                ]
            })
            .collect();
        let mut ll = 0.0;
        let mut g = [0.0; 3];
        let mut h = [[0.0; 3]; 3];
        for (i, &(k, x, m, ln_m)) in self.rows.iter().enumerate() {
            interrupt::check_every(i);
            let [lg, dg_pxq, dg_px, tg_pxq, tg_px] = per_x[k];
            let px = p * x;
            let xm = x * m;
            let s = v + xm;
            ll += row_log_likelihood(lg, px, q, v, xm, ln_m);
            // ln(x m̄ / (γ + x m̄)) and ln(γ / (γ + x m̄)) via ln1p.
            g[0] += x * (dg_pxq - dg_px - (v / xm).ln_1p());
            g[1] += dg_pxq - dg_q - (xm / v).ln_1p();
            g[2] += q / v - (px + q) / s;
            h[0][0] += x * x * (tg_pxq - tg_px);
            h[0][1] += x * tg_pxq;
            h[0][2] += -x / s;
            h[1][1] += tg_pxq - tg_q;
            h[1][2] += 1.0 / v - 1.0 / s;
            h[2][2] += -q / (v * v) + (px + q) / (s * s);
        }
        let mut hess = vec![0.0; 9];
        for i in 0..3 {
            for j in i..3 {
                hess[i * 3 + j] = h[i][j];
                hess[j * 3 + i] = h[i][j];
            }
        }
        Derivatives {
            ll,
            grad: g.to_vec(),
            hess,
        }
    }
}

fn invalid(x: f64, m: f64, reason: &str) -> Error {
    Error::InvalidCustomerSummary {
        model: MODEL.into(),
        values: vec![("frequency".into(), x), ("monetary value".into(), m)],
        reason: reason.into(),
    }
}

/// Checks one customer's (frequency x, mean repeat-purchase spend m̄): x finite and at
/// least 0; when x > 0, m̄ finite and positive (with x = 0, m̄ is not read). The one check
/// of fitting, scoring and CLV.
pub fn validate_summary(x: f64, m: f64) -> Result<()> {
    if !x.is_finite() || x < 0.0 {
        return Err(invalid(x, m, "frequency must be a finite number, at least 0"));
    }
    if x > 0.0 && !m.is_finite() {
        return Err(invalid(x, m, "monetary value must be finite"));
    }
    if x > 0.0 && m <= 0.0 {
        return Err(invalid(x, m, "monetary value must be positive"));
    }
    Ok(())
}

fn pearson(rows: &[(f64, f64)]) -> Option<f64> {
    let n = rows.len() as f64;
    if rows.len() < 2 {
        return None;
    }
    let (mx, my) = rows
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let (mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0);
    for (x, y) in rows {
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
        sxy += (x - mx) * (y - my);
    }
    let c = sxy / (sxx * syy).sqrt();
    (sxx > 0.0 && syy > 0.0 && c.is_finite()).then_some(c.clamp(-1.0, 1.0))
}

/// Fits the Gamma-Gamma model to (frequency x, mean repeat-purchase spend m̄) rows.
///
/// Rows with x = 0 carry no spend information (m̄ is the mean of the repeat
/// purchases) and are **left out**, counted in `n_excluded`, so the RFM
/// summaries of all customers can be passed as they are. Errors: x negative or
/// not finite, or m̄ ≤ 0 or not finite when x > 0 (`InvalidCustomerSummary`,
/// naming the values); no row with x > 0 (`NoRepeatPurchases`); fewer than 3
/// distinct (x, m̄) rows (`TooFewCustomers`); no finite maximum
/// (`ModelNotIdentified`, e.g. when every customer has the same m̄).
pub fn fit_gamma_gamma(data: &[(f64, f64)], opts: &GammaGammaFitOptions) -> Result<GammaGammaFit> {
    check_fit_options(opts.max_iter, opts.tol)?;
    if let Some(start) = &opts.start {
        start.validate().map_err(|_| Error::InvalidOption {
            key: "start".into(),
            reason: format!("p, q, v must be positive numbers, got {start:?}"),
        })?;
    }
    let mut used = Vec::with_capacity(data.len());
    let mut excluded = 0.0;
    for (i, &(x, m)) in data.iter().enumerate() {
        interrupt::check_every(i);
        validate_summary(x, m)?;
        if x == 0.0 {
            excluded += 1.0;
            continue;
        }
        used.push((x, m));
    }
    if used.is_empty() {
        if data.is_empty() {
            return Err(Error::EmptyInput {
                source: "the Gamma-Gamma input".into(),
            });
        }
        return Err(Error::NoRepeatPurchases {
            model: MODEL.into(),
            customers: excluded,
        });
    }
    let mut distinct = used.clone();
    distinct.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(Error::TooFewCustomers {
            model: MODEL.into(),
            distinct: distinct.len() as u64,
            needed: 3,
        });
    }
    let n = used.len() as f64;
    let mean_m = used.iter().map(|(_, m)| m / n).sum::<f64>();
    let start = opts.start.unwrap_or(GammaGammaParams {
        p: 1.0,
        q: 2.0,
        v: mean_m,
    });
    let lik = GammaGammaData::new(&used);
    let max = match maximize(
        &lik,
        &[start.p, start.q, start.v],
        &[1.0, 1.0, mean_m],
        opts.max_iter,
        opts.tol,
    ) {
        Ok(m) => m,
        Err(MaximizeError::BadStart) => {
            return Err(Error::InvalidOption {
                key: "start".into(),
                reason: format!("the log-likelihood is not finite at {start:?}"),
            })
        }
        Err(MaximizeError::Diverged { index, value }) => {
            return Err(Error::ModelNotIdentified {
                model: MODEL.into(),
                parameter: ["p", "q", "v"][index].into(),
                value,
            })
        }
    };
    let d = lik.derivatives(&max.theta);
    let std_errors = standard_errors(&d, 3).map(|se| [se[0], se[1], se[2]]);
    Ok(GammaGammaFit {
        params: GammaGammaParams {
            p: max.theta[0],
            q: max.theta[1],
            v: max.theta[2],
        },
        std_errors,
        log_likelihood: max.ll,
        iterations: max.iterations,
        converged: max.converged,
        n_customers: n,
        n_excluded: excluded,
        frequency_spend_correlation: pearson(&used),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analytic_derivatives_match_finite_differences() {
        let lik = GammaGammaData::new(&[(1.0, 12.0), (3.0, 40.5), (3.0, 18.0), (9.0, 25.25)]);
        let theta = [5.0, 3.5, 14.0];
        let d = lik.derivatives(&theta);
        assert!((d.ll - lik.value(&theta)).abs() < 1e-12);
        for i in 0..3 {
            let h = 1e-5 * theta[i];
            let mut up = theta;
            let mut dn = theta;
            up[i] += h;
            dn[i] -= h;
            let fd = (lik.value(&up) - lik.value(&dn)) / (2.0 * h);
            assert!((fd - d.grad[i]).abs() < 1e-6 * (1.0 + fd.abs()), "grad {i}");
            let (gu, gd) = (lik.derivatives(&up).grad, lik.derivatives(&dn).grad);
            for j in 0..3 {
                let fd = (gu[j] - gd[j]) / (2.0 * h);
                assert!(
                    (fd - d.hess[i * 3 + j]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "hess {i}{j}"
                );
            }
        }
    }

    #[test]
    fn the_fit_checks_for_interrupts() {
        use crate::interrupt::testing;
        let data: Vec<(f64, f64)> = (0..20_000)
            .map(|i| ((i % 9 + 1) as f64, 10.0 + (i % 37) as f64 * 1.5 + (i % 5) as f64))
            .collect();
        testing::install(None);
        let fit = fit_gamma_gamma(&data, &GammaGammaFitOptions::default()).unwrap();
        assert!(
            testing::calls() >= u64::from(fit.iterations) * 19,
            "{}",
            testing::calls()
        );
        testing::assert_cancels(testing::calls() / 2, || {
            fit_gamma_gamma(&data, &GammaGammaFitOptions::default())
        });
    }

    #[test]
    fn conditional_spend_is_the_weighted_average() {
        let g = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        let (x, m) = (4.0, 50.0);
        let w = g.p * x / (g.p * x + g.q - 1.0);
        let expect = (1.0 - w) * g.population_mean_spend() + w * m;
        assert!((g.conditional_expected_spend(x, m) - expect).abs() < 1e-12);
        assert_eq!(
            GammaGammaParams { q: 0.9, ..g }.population_mean_spend(),
            f64::INFINITY
        );
    }
}
