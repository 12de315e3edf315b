//! The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting
//! your customers the easy way", Marketing Science 24(2)): while alive, a
//! customer buys as a Poisson process of rate λ ~ Gamma(r, α); after each
//! purchase they drop out with probability p ~ Beta(a, b).
//!
//! A customer is summarised by x (frequency: repeat purchases in calibration),
//! t_x (recency: first to last purchase) and T (first purchase to end of
//! calibration), all times in one unit (weeks, days, …); α carries that unit.
//! Formula numbers refer to FHL 2005 and Hardie's notes 004 and 021.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fit::btyd::{
    check_fit_options, maximize, standard_errors, Derivatives, Likelihood, MaximizeError,
};
use crate::interrupt;
use crate::numerics::special::{digamma, ln_gamma, trigamma};

const MODEL: &str = "BG/NBD";

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// One customer's (x, t_x, T).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub frequency: f64,
    pub recency: f64,
    pub t: f64,
}

impl Summary {
    pub fn triple(&self) -> (f64, f64, f64) {
        (self.frequency, self.recency, self.t)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FitOptions {
    /// Newton iterations at most (default 100; the CDNOW fits take about 10).
    pub max_iter: u32,
    /// Converged when an undamped Newton step changes no log-parameter by more than
    /// `tol`, i.e. every parameter by less than a factor 1 ± tol (default 1e-8; the
    /// step is taken, so the optimum is reached to about tol²).
    pub tol: f64,
    /// Starting point; the default is r = 1, α = ΣT / Σx (the inverse of the pooled
    /// purchase rate), a = 1, b = 1.
    pub start: Option<BgNbdParams>,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_iter: 100,
            tol: 1e-8,
            start: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BgNbdFit {
    pub params: BgNbdParams,
    /// Standard errors of (r, α, a, b) from the inverse observed information (the
    /// negated Hessian of the log-likelihood in the natural parameters); `None` when
    /// that matrix is not positive definite.
    pub std_errors: Option<[f64; 4]>,
    /// Σ weight · ln L(r, α, a, b | x, t_x, T), eq. (6) of FHL 2005.
    pub log_likelihood: f64,
    pub iterations: u32,
    /// False when `max_iter` was reached first; `params` is then the last iterate.
    pub converged: bool,
    /// Total weight, i.e. customers when the weights are counts.
    pub n_customers: f64,
    /// Distinct (x, t_x, T) summaries the likelihood was evaluated on.
    pub n_distinct: usize,
}

fn invalid(x: f64, t_x: f64, t: f64, reason: &str) -> Error {
    Error::InvalidCustomerSummary {
        model: MODEL.into(),
        values: vec![("frequency".into(), x), ("recency".into(), t_x), ("T".into(), t)],
        reason: reason.into(),
    }
}

/// Checks one customer summary: all finite, frequency a whole number ≥ 0,
/// 0 ≤ recency ≤ T, and recency = 0 when frequency = 0. (Frequency > 0 with
/// recency 0, i.e. repeat purchases on the first day, is accepted: the
/// likelihood is defined there, although cltv's RFM summary, which merges
/// same-day purchases, never produces it.)
pub fn validate_summary(x: f64, t_x: f64, t: f64) -> Result<()> {
    if !(x.is_finite() && t_x.is_finite() && t.is_finite()) {
        return Err(invalid(x, t_x, t, "frequency, recency and T must be finite"));
    }
    if x < 0.0 || x.fract() != 0.0 {
        return Err(invalid(x, t_x, t, "frequency must be a whole number, at least 0"));
    }
    if t_x < 0.0 {
        return Err(invalid(x, t_x, t, "recency is negative"));
    }
    if t_x > t {
        return Err(invalid(x, t_x, t, "recency exceeds T"));
    }
    if x == 0.0 && t_x != 0.0 {
        return Err(invalid(x, t_x, t, "recency must be 0 when frequency is 0"));
    }
    Ok(())
}

/// Sums the weights of identical (x, t_x, T) triples, so that a fit costs one
/// likelihood term per distinct summary. The result is sorted by (x, t_x, T);
/// rows are compared bit for bit (`total_cmp`), so compute them the same way.
pub fn compress(rows: impl IntoIterator<Item = (f64, f64, f64)>) -> Vec<((f64, f64, f64), f64)> {
    compress_weighted(rows.into_iter().map(|r| (r, 1.0)))
}

fn compress_weighted(rows: impl IntoIterator<Item = ((f64, f64, f64), f64)>) -> Vec<((f64, f64, f64), f64)> {
    let mut v: Vec<((f64, f64, f64), f64)> = rows.into_iter().collect();
    let key = |r: &(f64, f64, f64), s: &(f64, f64, f64)| {
        r.0.total_cmp(&s.0)
            .then(r.1.total_cmp(&s.1))
            .then(r.2.total_cmp(&s.2))
    };
    v.sort_by(|p, q| key(&p.0, &q.0));
    let mut out: Vec<((f64, f64, f64), f64)> = Vec::with_capacity(v.len());
    for (row, w) in v {
        match out.last_mut() {
            Some((last, lw)) if key(last, &row).is_eq() => *lw += w,
            _ => out.push((row, w)),
        }
    }
    out
}

impl BgNbdParams {
    /// Checks that r, α, a, b are all finite and positive.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [("r", self.r), ("alpha", self.alpha), ("a", self.a), ("b", self.b)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidArgument {
                    what: "BG/NBD parameters".into(),
                    reason: format!("{name} must be a positive number, got {v}"),
                });
            }
        }
        Ok(())
    }

    /// Checks that r, α, a, b are in the range a fit produces ([`crate::fit::btyd::SHAPE_RANGE`],
    /// α in [`crate::fit::btyd::SCALE_RANGE`]): what a stored (imported) model must pass.
    pub fn check_fitted(&self) -> Result<()> {
        use crate::fit::btyd::{check_fitted_parameter, SCALE_RANGE, SHAPE_RANGE};
        check_fitted_parameter(MODEL, "r", self.r, SHAPE_RANGE)?;
        check_fitted_parameter(MODEL, "alpha", self.alpha, SCALE_RANGE)?;
        check_fitted_parameter(MODEL, "a", self.a, SHAPE_RANGE)?;
        check_fitted_parameter(MODEL, "b", self.b, SHAPE_RANGE)
    }

    /// One customer's log-likelihood ln L(r, α, a, b | x, t_x, T), eq. (6) of FHL 2005:
    /// lnΓ(r+x) − lnΓ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
    /// + ln[(α+T)^−(r+x) + 1{x>0} · a/(b+x−1) · (α+t_x)^−(r+x)].
    pub fn log_likelihood(&self, x: f64, t_x: f64, t: f64) -> f64 {
        let BgNbdParams { r, alpha, a, b } = *self;
        if x == 0.0 {
            return r * (alpha / (alpha + t)).ln();
        }
        let a3 = -(r + x) * (alpha + t).ln();
        let gamma_part = r * alpha.ln() + ln_gamma(r + x) - ln_gamma(r) + ln_gamma(a + b) + ln_gamma(b + x)
            - ln_gamma(b)
            - ln_gamma(a + b + x);
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + t_x).ln();
        gamma_part + log_add_exp(a3, a4)
    }

    /// P(alive | x, t_x, T) (Hardie's note 021):
    /// 1 / (1 + 1{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
    pub fn p_alive(&self, x: f64, t_x: f64, t: f64) -> f64 {
        if x == 0.0 {
            return 1.0;
        }
        let BgNbdParams { r, alpha, a, b } = *self;
        // ln((α+T)/(α+t_x)) as ln1p for accuracy when T − t_x is small.
        let log_odds_dead = (a / (b + x - 1.0)).ln() + (r + x) * ((t - t_x) / (alpha + t_x)).ln_1p();
        1.0 / (1.0 + log_odds_dead.exp())
    }

    /// E[Y(t) | x, t_x, T]: expected purchases in the next `t_horizon` time units of a
    /// customer with summary (x, t_x, T), eq. (10) of FHL 2005:
    ///
    /// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive).
    ///
    /// The bracket is summed as a series with the factor 1/(a−1) cancelled
    /// analytically (two series, by the size of t/(α+T)), so a = 1 is no
    /// singularity and small horizons lose no digits to cancellation.
    ///
    /// Like the other predictions it takes the summary as given: check it with
    /// [`validate_summary`] and the parameters with [`BgNbdParams::validate`] first.
    /// A horizon ≤ 0 gives 0, a non-finite one NaN. The cost is about
    /// 40·(1 + t/(α+T)) series terms for t > (α+T)/2, a few dozen below.
    pub fn expected_purchases(&self, t_horizon: f64, x: f64, t_x: f64, t: f64) -> f64 {
        let alive = self.p_alive(x, t_x, t);
        if alive == 0.0 {
            return 0.0;
        }
        expected_purchases_if_alive(self, t_horizon, x, t) * alive
    }

    /// E[X(t)]: expected repeat purchases of a new customer in `t_horizon` time units
    /// after the first purchase, eq. (7) of FHL 2005:
    /// (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
    pub fn unconditional_expected_purchases(&self, t_horizon: f64) -> f64 {
        expected_purchases_if_alive(self, t_horizon, 0.0, 0.0)
    }
}

/// ln(eᵘ + eᵛ) without overflow.
fn log_add_exp(u: f64, v: f64) -> f64 {
    let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// Terms beyond which the series of [`expected_purchases_if_alive`] stop; reached only
/// for horizons above ~10⁵·(α+T).
const MAX_SERIES_TERMS: usize = 10_000_000;

/// (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))],
/// i.e. E[Y(t) | x, t_x, T, alive]. With A = r+x, C = a+b+x−1, y = t/(α+T):
///
/// * y ≤ ½: Pfaff's transformation turns (1−z)^A ₂F₁(A, b+x; C; z) into
///   ₂F₁(A, a−1; C; −y). Every term of its series but the first carries the
///   factor (a−1)_n = (a−1)·(a)_{n−1}, so the whole is
///   −Σ_{n≥1} (A)_n (a)_{n−1} / ((C+1)_{n−1} n!) (−y)^n  (C/(C)_n = 1/(C+1)_{n−1}),
///   an alternating series with ratio → y, free of 1/(a−1) and of the
///   cancellation in "1 − …" at small t.
/// * y > ½: Euler's transformation gives (1−z)^(a−1) ₂F₁(C−A, a−1; C; z) with
///   z = y/(1+y) < 1, and the same cancellation of (a−1) yields
///   C·(1 − (1−z)^(a−1))/(a−1) − (1−z)^(a−1) Σ_{n≥1} (C−A)_n (a)_{n−1} / ((C+1)_{n−1} n!) z^n,
///   with the first part from expm1. Its terms fall like n^(a−A−2) zⁿ: about
///   40·(1+y) of them are needed.
fn expected_purchases_if_alive(p: &BgNbdParams, t_horizon: f64, x: f64, t: f64) -> f64 {
    if !t_horizon.is_finite() {
        return f64::NAN;
    }
    if t_horizon <= 0.0 {
        return 0.0;
    }
    let BgNbdParams { r, alpha, a, b } = *p;
    let big_a = r + x;
    let big_c = a + b + x - 1.0;
    let y = t_horizon / (alpha + t);
    if y <= 0.5 {
        // −Σ u_n with u_1 = A·(−y), u_{n+1} = u_n (A+n)(a+n−1)/((C+n)(n+1)) (−y).
        let w = -y;
        let mut term = big_a * w;
        let mut sum = term;
        for n in 1..MAX_SERIES_TERMS {
            interrupt::check_every(n);
            let k = n as f64;
            term *= (big_a + k) * (a + k - 1.0) / ((big_c + k) * (k + 1.0)) * w;
            sum += term;
            if term.abs() <= 1e-17 * sum.abs() {
                break;
            }
        }
        return -sum;
    }
    let z = y / (1.0 + y);
    let log_1mz = -y.ln_1p(); // ln(1 − z)
    let e = (a - 1.0) * log_1mz;
    // C·(1 − (1−z)^(a−1))/(a−1) = −C·ln(1−z)·expm1(e)/e.
    let first = if e == 0.0 {
        -big_c * log_1mz
    } else {
        -big_c * log_1mz * (e.exp_m1() / e)
    };
    let cma = big_c - big_a; // a + b − 1 − r
    let mut term = cma * z;
    let mut sum = term;
    for n in 1..MAX_SERIES_TERMS {
        interrupt::check_every(n);
        let k = n as f64;
        term *= (cma + k) * (a + k - 1.0) / ((big_c + k) * (k + 1.0)) * z;
        sum += term;
        if term == 0.0 {
            break;
        }
        // Once the term ratio ρ_k is below 1 it tends to z monotonically, so the tail is
        // at most |term|·ρ/(1−ρ) with ρ = max(ρ_{k+1}, z).
        let next_ratio = ((cma + k + 1.0) * (a + k) / ((big_c + k + 1.0) * (k + 2.0)) * z).abs();
        let rho = next_ratio.max(z);
        if rho < 1.0 && term.abs() * rho / (1.0 - rho) <= 1e-17 * sum.abs() {
            break;
        }
    }
    first - e.exp() * sum
}

/// Frequencies up to this use exact running sums for their lnΓ/ψ/ψ′ differences.
const EXACT_SUMS_UP_TO: f64 = 100_000.0;

/// x-only parts of the log-likelihood (`g` = lnΓ(r+x) − lnΓ(r) + ln B(a, b+x) − ln B(a, b),
/// `ln_bx1` = ln(b+x−1)) and of its derivatives (ψ and ψ′ differences).
#[derive(Debug, Clone, Copy, Default)]
struct PerX {
    g: f64,
    ln_bx1: f64,
    d_r: f64,
    d_b: f64,
    d_ab: f64,
    t_r: f64,
    t_b: f64,
    t_ab: f64,
}

/// The weighted BG/NBD log-likelihood on compressed data, with the parts that
/// depend only on x computed once per distinct x.
struct BgNbdData {
    /// (index into `xs`, x, t_x, T, weight)
    rows: Vec<(usize, f64, f64, f64, f64)>,
    xs: Vec<f64>,
}

impl BgNbdData {
    fn new(data: &[((f64, f64, f64), f64)]) -> Self {
        let mut xs: Vec<f64> = data.iter().map(|((x, _, _), _)| *x).collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let rows = data
            .iter()
            .map(|&((x, t_x, t), w)| {
                let k = xs.binary_search_by(|v| v.total_cmp(&x)).unwrap_or(0);
                (k, x, t_x, t, w)
            })
            .collect();
        BgNbdData { rows, xs }
    }

    /// The parts of the log-likelihood and its derivatives that depend on x alone, per
    /// distinct x. For whole x up to [`EXACT_SUMS_UP_TO`] they are sums over j < x,
    /// accumulated across the sorted x values:
    /// lnΓ(r+x) − lnΓ(r) = Σ ln(r+j), ln B(a, b+x) − ln B(a, b) = −Σ ln1p(a/(b+j)),
    /// ψ(r+x) − ψ(r) = Σ 1/(r+j), ψ′(r+x) − ψ′(r) = −Σ 1/(r+j)², and so on, which stay
    /// exact to rounding however large r, a, b get (the differences of lnΓ values
    /// lose digits of size a+b once a and b run off towards infinity).
    fn per_x(&self, r: f64, a: f64, b: f64, derivatives: bool) -> Vec<PerX> {
        let ab = a + b;
        let mut out = Vec::with_capacity(self.xs.len());
        let mut acc = PerX::default();
        let mut j = 0.0;
        for (i, &x) in self.xs.iter().enumerate() {
            interrupt::check_every(i);
            if x == 0.0 {
                out.push(PerX::default());
                continue;
            }
            if x > EXACT_SUMS_UP_TO {
                out.push(PerX {
                    g: ln_gamma(r + x) - ln_gamma(r) + ln_gamma(ab) + ln_gamma(b + x)
                        - ln_gamma(b)
                        - ln_gamma(ab + x),
                    ln_bx1: (b + x - 1.0).ln(),
                    d_r: digamma(r + x) - digamma(r),
                    d_b: digamma(b + x) - digamma(b),
                    d_ab: digamma(ab) - digamma(ab + x),
                    t_r: trigamma(r + x) - trigamma(r),
                    t_b: trigamma(b + x) - trigamma(b),
                    t_ab: trigamma(ab) - trigamma(ab + x),
                });
                continue;
            }
            while j < x {
                interrupt::check_every(j as usize);
                acc.g += (r + j).ln() - (a / (b + j)).ln_1p();
                if derivatives {
                    let (ir, ib, iab) = (1.0 / (r + j), 1.0 / (b + j), 1.0 / (ab + j));
                    acc.d_r += ir;
                    acc.d_b += ib;
                    acc.d_ab -= iab;
                    acc.t_r -= ir * ir;
                    acc.t_b -= ib * ib;
                    acc.t_ab += iab * iab;
                }
                j += 1.0;
            }
            out.push(PerX {
                ln_bx1: (b + x - 1.0).ln(),
                ..acc
            });
        }
        out
    }

    fn params(theta: &[f64]) -> BgNbdParams {
        BgNbdParams {
            r: theta[0],
            alpha: theta[1],
            a: theta[2],
            b: theta[3],
        }
    }
}

impl Likelihood for BgNbdData {
    fn dim(&self) -> usize {
        4
    }

    fn value(&self, theta: &[f64]) -> f64 {
        let BgNbdParams { r, alpha, a, b } = Self::params(theta);
        let per_x: Vec<(f64, f64)> = self
            .per_x(r, a, b, false)
            .iter()
            .map(|px| (px.g, px.ln_bx1))
            .collect();
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let mut ll = 0.0;
        for (i, &(k, x, t_x, t, w)) in self.rows.iter().enumerate() {
            interrupt::check_every(i);
            let a3 = -(r + x) * (alpha + t).ln();
            let row = if x == 0.0 {
                r * ln_alpha + a3
            } else {
                let (g, ln_bx1) = per_x[k];
                let a4 = ln_a - ln_bx1 - (r + x) * (alpha + t_x).ln();
                // As in `derivatives`: ln(1 + e) next to max(a3, a4) needs no ln_1p.
                g + r * ln_alpha + a3.max(a4) + (1.0 + (-(a3 - a4).abs()).exp()).ln()
            };
            ll += w * row;
        }
        ll
    }

    fn derivatives(&self, theta: &[f64]) -> Derivatives {
        let BgNbdParams { r, alpha, a, b } = Self::params(theta);
        let per_x = self.per_x(r, a, b, true);
        let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
        let mut ll = 0.0;
        let mut g = [0.0; 4];
        let mut h = [[0.0; 4]; 4];
        for (i, &(k, x, t_x, t, w)) in self.rows.iter().enumerate() {
            interrupt::check_every(i);
            let rx = r + x;
            let at = alpha + t;
            let l3 = at.ln();
            let a3 = -rx * l3;
            if x == 0.0 {
                // r ln α − r ln(α+T)
                ll += w * (r * ln_alpha + a3);
                g[0] += w * (ln_alpha - l3);
                g[1] += w * (r / alpha - r / at);
                h[0][1] += w * (1.0 / alpha - 1.0 / at);
                h[1][1] += w * (-r / (alpha * alpha) + r / (at * at));
                continue;
            }
            let px = &per_x[k];
            let atx = alpha + t_x;
            let l4 = atx.ln();
            let bx1 = b + x - 1.0;
            let a4 = ln_a - px.ln_bx1 - rx * l4;
            // ln(e^a3 + e^a4) and the two shares w3, w4 from one exp: with e = e^(−|a3 − a4|),
            // the larger term's share is 1/(1 + e) and the smaller's e/(1 + e).
            let e = (-(a3 - a4).abs()).exp();
            // ln(1 + e) rather than ln_1p(e): its absolute error (~1e-16) is all that counts
            // next to max(a3, a4), and it costs half as much.
            let lse = a3.max(a4) + (1.0 + e).ln();
            let (big, small) = (1.0 / (1.0 + e), e / (1.0 + e));
            let (w3, w4) = if a3 >= a4 { (big, small) } else { (small, big) };
            ll += w * (px.g + r * ln_alpha + lse);
            // Gradients of the two exponents.
            let g3 = [-l3, -rx / at, 0.0, 0.0];
            let g4 = [-l4, -rx / atx, 1.0 / a, -1.0 / bx1];
            let gamma_grad = [px.d_r + ln_alpha, r / alpha, px.d_ab, px.d_ab + px.d_b];
            for i in 0..4 {
                g[i] += w * (gamma_grad[i] + w3 * g3[i] + w4 * g4[i]);
            }
            // Hessian: gamma part + Σ w_k H_k + w3 w4 (g3 − g4)(g3 − g4)ᵀ.
            let delta = [g3[0] - g4[0], g3[1] - g4[1], g3[2] - g4[2], g3[3] - g4[3]];
            let v = w3 * w4;
            for i in 0..4 {
                for j in i..4 {
                    h[i][j] += w * v * delta[i] * delta[j];
                }
            }
            h[0][0] += w * px.t_r;
            h[0][1] += w * (1.0 / alpha - w3 / at - w4 / atx);
            h[1][1] += w * (-r / (alpha * alpha) + w3 * rx / (at * at) + w4 * rx / (atx * atx));
            h[2][2] += w * (px.t_ab - w4 / (a * a));
            h[2][3] += w * px.t_ab;
            h[3][3] += w * (px.t_ab + px.t_b + w4 / (bx1 * bx1));
        }
        let mut hess = vec![0.0; 16];
        for i in 0..4 {
            for j in i..4 {
                hess[i * 4 + j] = h[i][j];
                hess[j * 4 + i] = h[i][j];
            }
        }
        Derivatives {
            ll,
            grad: g.to_vec(),
            hess,
        }
    }
}

/// Fits the BG/NBD model by maximum likelihood to weighted (x, t_x, T) rows
/// (weights are customer counts, e.g. from [`compress`]; rows need not be
/// compressed, identical rows are merged here). Rows of weight 0 are ignored.
///
/// Errors: an invalid summary ([`validate_summary`]) or a negative or
/// non-finite weight (`InvalidCustomerSummary`/`InvalidArgument`); no rows
/// (`EmptyInput`); no repeat purchases (`NoRepeatPurchases`); fewer than 4
/// distinct summaries (`TooFewCustomers`); a likelihood without finite maximum
/// (`ModelNotIdentified`, e.g. when no customer shows any sign of dropping out).
pub fn fit_bgnbd(data: &[((f64, f64, f64), f64)], opts: &FitOptions) -> Result<BgNbdFit> {
    check_fit_options(opts.max_iter, opts.tol)?;
    if let Some(start) = &opts.start {
        start.validate().map_err(|_| Error::InvalidOption {
            key: "start".into(),
            reason: format!("r, alpha, a, b must be positive numbers, got {start:?}"),
        })?;
    }
    for (i, &((x, t_x, t), w)) in data.iter().enumerate() {
        interrupt::check_every(i);
        validate_summary(x, t_x, t)?;
        if !(w.is_finite() && w >= 0.0) {
            return Err(Error::InvalidArgument {
                what: "BG/NBD weight".into(),
                reason: format!("weights are customer counts and must be at least 0, got {w}"),
            });
        }
    }
    let data = compress_weighted(data.iter().copied().filter(|&(_, w)| w > 0.0));
    if data.is_empty() {
        return Err(Error::EmptyInput {
            source: "the BG/NBD input".into(),
        });
    }
    let n_customers: f64 = data.iter().map(|(_, w)| w).sum();
    let repeat: f64 = data.iter().map(|((x, _, _), w)| x * w).sum();
    if repeat == 0.0 {
        return Err(Error::NoRepeatPurchases {
            model: MODEL.into(),
            customers: n_customers,
        });
    }
    if data.len() < 4 {
        return Err(Error::TooFewCustomers {
            model: MODEL.into(),
            distinct: data.len() as u64,
            needed: 4,
        });
    }
    let total_t: f64 = data.iter().map(|((_, _, t), w)| t * w).sum();
    let mean_t = total_t / n_customers;
    let time_scale = if mean_t > 0.0 { mean_t } else { 1.0 };
    let start = opts.start.unwrap_or(BgNbdParams {
        r: 1.0,
        alpha: if total_t > 0.0 { total_t / repeat } else { 1.0 },
        a: 1.0,
        b: 1.0,
    });
    let lik = BgNbdData::new(&data);
    let max = match maximize(
        &lik,
        &[start.r, start.alpha, start.a, start.b],
        &[1.0, time_scale, 1.0, 1.0],
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
                parameter: ["r", "alpha", "a", "b"][index].into(),
                value,
            })
        }
    };
    let d = lik.derivatives(&max.theta);
    let std_errors = standard_errors(&d, 4).map(|se| [se[0], se[1], se[2], se[3]]);
    Ok(BgNbdFit {
        params: BgNbdData::params(&max.theta),
        std_errors,
        log_likelihood: max.ll,
        iterations: max.iterations,
        converged: max.converged,
        n_customers,
        n_distinct: data.len(),
    })
}

/// One row of the calibration/holdout comparison of FHL 2005, figure 3.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CalibrationBucket {
    /// Calibration-period frequency; the last bucket, [`CALIBRATION_TOP_BUCKET`], holds
    /// that frequency and above ("7+").
    pub frequency: u32,
    pub customers: u64,
    /// Mean holdout-period purchases of the bucket's customers.
    pub mean_actual: f64,
    /// Mean of E[Y(holdout_length) | x, t_x, T] over the bucket's customers.
    pub mean_predicted: f64,
}

/// Frequency buckets 0, 1, …, 6 and "7 or more".
pub const CALIBRATION_TOP_BUCKET: u32 = 7;

/// Conditional expectations vs actual holdout purchases by calibration frequency:
/// rows are (x, t_x, T, holdout purchases). Buckets without customers are left out,
/// so every mean is over at least one customer; the buckets come in ascending order.
/// Errors: invalid parameters, an invalid summary ([`validate_summary`]), a negative or
/// non-finite holdout count or horizon.
pub fn calibration_table(
    rows: &[(f64, f64, f64, f64)],
    params: &BgNbdParams,
    holdout_length: f64,
) -> Result<Vec<CalibrationBucket>> {
    params.validate()?;
    if !(holdout_length.is_finite() && holdout_length >= 0.0) {
        return Err(Error::InvalidArgument {
            what: "holdout length".into(),
            reason: format!("must be a number at least 0, got {holdout_length}"),
        });
    }
    let n = CALIBRATION_TOP_BUCKET as usize + 1;
    let mut count = vec![0u64; n];
    let mut actual = vec![0.0; n];
    let mut predicted = vec![0.0; n];
    for (i, &(x, t_x, t, holdout)) in rows.iter().enumerate() {
        interrupt::check_every(i);
        validate_summary(x, t_x, t)?;
        if !(holdout.is_finite() && holdout >= 0.0) {
            return Err(Error::InvalidArgument {
                what: "holdout purchases".into(),
                reason: format!("must be a number at least 0, got {holdout}"),
            });
        }
        let k = (x as usize).min(n - 1);
        count[k] += 1;
        actual[k] += holdout;
        predicted[k] += params.expected_purchases(holdout_length, x, t_x, t);
    }
    Ok((0..n)
        .filter(|&k| count[k] > 0)
        .map(|k| CalibrationBucket {
            frequency: k as u32,
            customers: count[k],
            mean_actual: actual[k] / count[k] as f64,
            mean_predicted: predicted[k] / count[k] as f64,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BgNbdParams = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn log_add_exp_is_stable() {
        assert_eq!(log_add_exp(1000.0, f64::NEG_INFINITY), 1000.0);
        assert!((log_add_exp(1000.0, 1000.0) - (1000.0 + 2f64.ln())).abs() < 1e-12);
    }

    #[test]
    fn single_row_likelihood_matches_the_data_form() {
        let lik = BgNbdData::new(&[((2.0, 30.43, 38.86), 1.0), ((0.0, 0.0, 38.86), 2.0)]);
        let theta = [P.r, P.alpha, P.a, P.b];
        let direct = P.log_likelihood(2.0, 30.43, 38.86) + 2.0 * P.log_likelihood(0.0, 0.0, 38.86);
        assert!((lik.value(&theta) - direct).abs() < 1e-12);
        assert!((lik.derivatives(&theta).ll - direct).abs() < 1e-12);
    }

    #[test]
    fn analytic_derivatives_match_finite_differences() {
        let rows = [
            ((0.0, 0.0, 30.0), 3.0),
            ((1.0, 2.0, 38.0), 1.0),
            ((4.0, 20.5, 21.0), 2.0),
            ((7.0, 35.0, 38.9), 1.0),
        ];
        let lik = BgNbdData::new(&rows);
        let theta = [0.4, 3.0, 0.8, 2.5];
        let d = lik.derivatives(&theta);
        for i in 0..4 {
            let h = 1e-5 * theta[i];
            let mut up = theta;
            let mut dn = theta;
            up[i] += h;
            dn[i] -= h;
            let fd = (lik.value(&up) - lik.value(&dn)) / (2.0 * h);
            assert!(
                (fd - d.grad[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "grad {i}: {fd} vs {}",
                d.grad[i]
            );
            let (gu, gd) = (lik.derivatives(&up).grad, lik.derivatives(&dn).grad);
            for j in 0..4 {
                let fd = (gu[j] - gd[j]) / (2.0 * h);
                let an = d.hess[i * 4 + j];
                assert!(
                    (fd - an).abs() < 1e-5 * (1.0 + fd.abs()),
                    "hess {i}{j}: {fd} vs {an}"
                );
            }
        }
    }

    #[test]
    fn expected_purchases_branches_agree_at_the_switch() {
        // y = t/(α+T) just below and above ½ uses the two different series.
        for &(x, t_x, t) in &[(0.0, 0.0, 10.0), (2.0, 30.43, 38.86), (12.0, 1.0, 3.0)] {
            let h = 0.5 * (P.alpha + t);
            let lo = P.expected_purchases(h * (1.0 - 1e-15), x, t_x, t);
            let hi = P.expected_purchases(h * (1.0 + 1e-15), x, t_x, t);
            assert!((lo - hi).abs() < 1e-13 * lo.abs(), "{lo} vs {hi}");
        }
    }

    #[test]
    fn a_equal_to_one_is_not_singular() {
        let near = |a: f64| BgNbdParams { a, ..P }.expected_purchases(100.0, 2.0, 30.0, 38.0);
        let at_one = near(1.0);
        assert!(at_one.is_finite());
        assert!((near(1.0 + 1e-9) - at_one).abs() < 1e-8);
        assert!((near(1.0 - 1e-9) - at_one).abs() < 1e-8);
    }

    #[test]
    fn long_series_and_fits_check_for_interrupts() {
        use crate::interrupt::testing;
        // A horizon of 10⁵·(α+T): the series runs to millions of terms.
        testing::install(None);
        let e = P.expected_purchases(1e5 * (P.alpha + 38.0), 2.0, 30.0, 38.0);
        assert!(e.is_finite());
        assert!(testing::calls() > 100, "{}", testing::calls());
        testing::assert_cancels(10, || {
            P.expected_purchases(1e5 * (P.alpha + 38.0), 2.0, 30.0, 38.0)
        });

        // A fit over many distinct summaries checks in its per-row sums and per iteration.
        // Simulated BG/NBD customers (a small LCG: exponential gaps at one of four rates,
        // dropout after each purchase with one of three probabilities), 39 weeks each.
        let mut seed = 12345_u64;
        let mut uniform = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let data: Vec<((f64, f64, f64), f64)> = (0..20_000)
            .map(|i| {
                let rate = [0.05, 0.2, 0.5, 1.0][i % 4];
                let dropout = [0.1, 0.3, 0.6][i % 3];
                let t = 39.0 - (i % 10) as f64 * 0.1;
                let (mut x, mut t_x, mut now) = (0.0, 0.0, 0.0);
                loop {
                    now += -uniform().ln() / rate;
                    if now > t {
                        break;
                    }
                    x += 1.0;
                    t_x = now;
                    if uniform() < dropout {
                        break;
                    }
                }
                ((x, t_x, t), 1.0)
            })
            .collect();
        testing::install(None);
        let fit = fit_bgnbd(&data, &FitOptions::default()).unwrap();
        let per_pass = 20_000 / crate::interrupt::CHECK_EVERY as u64;
        assert!(
            testing::calls() >= u64::from(fit.iterations) * per_pass,
            "{} calls for {} iterations",
            testing::calls(),
            fit.iterations
        );
        // A cancel in the middle of the fit unwinds out of it: it is not turned into a fit
        // error (the optimiser catches no panics).
        testing::assert_cancels(testing::calls() / 2, || fit_bgnbd(&data, &FitOptions::default()));
    }

    #[test]
    fn compress_merges_and_sorts() {
        let c = compress([(1.0, 2.0, 3.0), (0.0, 0.0, 3.0), (1.0, 2.0, 3.0)]);
        assert_eq!(c, vec![((0.0, 0.0, 3.0), 1.0), ((1.0, 2.0, 3.0), 2.0)]);
    }
}
