//! Customer lifetime value from a BG/NBD purchase model and a Gamma-Gamma spend
//! model: CLV = E[spend per purchase | x, m̄] × discounted E[purchases | x, t_x, T]
//! over a horizon (the two models are independent by assumption).
//!
//! Two discountings, both on E(s) = E[Y(s) | x, t_x, T], the expected purchases in
//! the first s time units after the end of calibration:
//!
//! * [`Discounting::PerMonth`], the convention of lifetimes'
//!   `customer_lifetime_value`: the horizon is cut into months of
//!   `month_in_units` time units, and the purchases expected in month i,
//!   E(tᵢ) − E(tᵢ₋₁) with tᵢ = i·month, are discounted by (1 + d)^i:
//!   Σᵢ spend · (E(tᵢ) − E(tᵢ₋₁)) / (1 + d)^i.
//!   A horizon that is not a whole number of months (to 1e-9) ends with a
//!   partial month, t_last = horizon, discounted by (1 + d)^(horizon/month).
//! * [`Discounting::Continuous`]: purchases are discounted continuously at rate δ
//!   per time unit: spend · ∫₀^H e^(−δs) dE(s)
//!   = spend · [e^(−δH) E(H) + δ ∫₀^H e^(−δs) E(s) ds], the integral by 10-point
//!   Gauss–Legendre on panels no longer than a month, than s + α + T (E has a
//!   branch point at s = −(α+T)) and than 2/δ; relative error below 1e-12.
//!   δ = ln(1 + d)/month discounts a whole month like `PerMonth` with rate d,
//!   but spreads the purchases over the month instead of booking them at its end.
//!
//! With d = 0 or δ = 0 both give spend · E(H).

use crate::error::{Error, Result};
use crate::fit::bgnbd::{validate_summary, BgNbdParams};
use crate::fit::gamma_gamma::GammaGammaParams;
use crate::interrupt;

/// The longest CLV horizon, in months (100 years). Each month costs one evaluation of
/// E(t), whose series grows with t, so the work of a horizon grows with its square: at
/// this bound one customer took 41 ms per month and 0.29 s with continuous discounting in
/// a debug build (a release build is several times faster), where 10⁵ months took 48 s
/// before the bound. Every loop checks for interrupts.
pub const MAX_MONTHS: f64 = 1200.0;

/// Checks a CLV horizon given in months: a number from 0 to [`MAX_MONTHS`].
pub fn check_months(months: f64) -> Result<()> {
    if !(months.is_finite() && months >= 0.0) {
        return Err(Error::InvalidArgument {
            what: format!("months {months}"),
            reason: "must be >= 0".into(),
        });
    }
    if months > MAX_MONTHS {
        return Err(Error::InvalidArgument {
            what: format!("months {months}"),
            reason: format!("the horizon is at most {MAX_MONTHS} months (100 years)"),
        });
    }
    Ok(())
}

/// lifetimes' month for weekly data (`freq = "W"`).
pub const MONTH_IN_WEEKS: f64 = 4.345;
/// A mean Gregorian month in days (365.25 / 12); lifetimes uses 30 for `freq = "D"`.
pub const MONTH_IN_DAYS: f64 = 30.4375;

/// A month in a time unit of `unit_days` days: lifetimes' 4.345 for weeks, otherwise
/// [`MONTH_IN_DAYS`] / `unit_days`.
pub fn month_for_unit(unit_days: f64) -> f64 {
    if unit_days == 7.0 {
        MONTH_IN_WEEKS
    } else {
        MONTH_IN_DAYS / unit_days
    }
}

/// The shortest time unit a BTYD model may be fitted in: one second.
pub const MIN_UNIT_DAYS: f64 = 1.0 / 86_400.0;
/// The longest: a century.
pub const MAX_UNIT_DAYS: f64 = 36_525.0;

/// Checks the length in days of a time unit (`unit`, as the option gave it), as PostgreSQL's
/// interval arithmetic measures it: between a second and a century, so that the month
/// length [`check_month_in_units`] compares with is a sane number. Returns `days`.
pub fn check_time_unit(unit: &str, days: f64) -> Result<f64> {
    if days.is_finite() && (MIN_UNIT_DAYS..=MAX_UNIT_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(Error::InvalidOption {
            key: "time_unit".into(),
            reason: format!(
                "must be an interval from 1 second to 100 years, such as \"1 week\" or \"1 day\"; \"{unit}\" is {} days",
                crate::error::sql_float(days)
            ),
        })
    }
}

/// A caller's month length must be within 5% of the month in the fit's unit: 4.345 weeks
/// and 30 days both pass for their unit, and a days-for-weeks mix-up (7×) never does.
pub fn check_month_in_units(month_in_units: f64, unit_days: f64, model: &str, time_unit: &str) -> Result<()> {
    let expected = month_for_unit(unit_days);
    if (month_in_units / expected - 1.0).abs() > 0.05 {
        return Err(Error::TimeUnitMismatch {
            model: model.to_string(),
            time_unit: time_unit.to_string(),
            month_in_units,
            expected,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discounting {
    /// Month i's expected purchases are discounted by (1 + rate)^i (lifetimes).
    PerMonth { rate: f64 },
    /// Purchases at time s are discounted by e^(−rate·s), rate per time unit of the fit.
    Continuous { rate: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvOptions {
    /// Horizon in time units of the BG/NBD fit (e.g. 12 · 4.345 weeks for a year).
    pub horizon: f64,
    /// Length of a month in time units of the fit: [`MONTH_IN_WEEKS`], [`MONTH_IN_DAYS`], …
    pub month_in_units: f64,
    pub discounting: Discounting,
}

impl ClvOptions {
    /// lifetimes' `customer_lifetime_value(time = months, discount_rate = monthly_rate)`.
    pub fn lifetimes(months: u32, monthly_rate: f64, month_in_units: f64) -> Self {
        ClvOptions {
            horizon: months as f64 * month_in_units,
            month_in_units,
            discounting: Discounting::PerMonth { rate: monthly_rate },
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.month_in_units.is_finite() && self.month_in_units > 0.0) {
            return Err(Error::InvalidOption {
                key: "month_in_units".into(),
                reason: format!("must be a positive number, got {}", self.month_in_units),
            });
        }
        if !(self.horizon.is_finite() && self.horizon >= 0.0) {
            return Err(Error::InvalidOption {
                key: "horizon".into(),
                reason: format!("must be a number at least 0, got {}", self.horizon),
            });
        }
        // A tolerance for horizons computed as months × month_in_units.
        if self.horizon > MAX_MONTHS * self.month_in_units * (1.0 + 1e-12) {
            return Err(Error::InvalidOption {
                key: "horizon".into(),
                reason: format!(
                    "must be at most {MAX_MONTHS} months (100 years) of {} time units, got {}",
                    self.month_in_units, self.horizon
                ),
            });
        }
        let rate = match self.discounting {
            Discounting::PerMonth { rate } | Discounting::Continuous { rate } => rate,
        };
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(Error::InvalidOption {
                key: "discount_rate".into(),
                reason: format!("must be a number at least 0, got {rate}"),
            });
        }
        Ok(())
    }
}

/// Gauss–Legendre nodes (positive half) and weights, 10 points on [−1, 1].
const GL_NODES: [f64; 5] = [
    0.148_874_338_981_631_2,
    0.433_395_394_129_247_2,
    0.679_409_568_299_024_4,
    0.865_063_366_688_984_5,
    0.973_906_528_517_171_7,
];
const GL_WEIGHTS: [f64; 5] = [
    0.295_524_224_714_752_9,
    0.269_266_719_309_996_3,
    0.219_086_362_515_982,
    0.149_451_349_150_580_6,
    0.066_671_344_308_688_1,
];

/// The discounted expected number of purchases over the horizon (see the module
/// documentation); CLV is this times the expected spend per purchase.
pub fn expected_discounted_purchases(
    bg: &BgNbdParams,
    x: f64,
    t_x: f64,
    t: f64,
    opts: &ClvOptions,
) -> Result<f64> {
    opts.validate()?;
    bg.validate()?;
    validate_summary(x, t_x, t)?;
    let e = |s: f64| bg.expected_purchases(s, x, t_x, t);
    let h = opts.horizon;
    let month = opts.month_in_units;
    if h == 0.0 {
        return Ok(0.0);
    }
    match opts.discounting {
        Discounting::PerMonth { rate } => {
            let months = h / month;
            let whole = (months - months.round()).abs() <= 1e-9 * months.max(1.0);
            let n = if whole { months.round() } else { months.ceil() } as u64;
            let mut total = 0.0;
            let mut prev = 0.0;
            for i in 1..=n.max(1) {
                interrupt::check();
                let (ti, periods) = if i == n && !whole {
                    (h, months)
                } else {
                    (i as f64 * month, i as f64)
                };
                let cur = e(ti);
                total += (cur - prev) / (1.0 + rate).powf(periods);
                prev = cur;
            }
            Ok(total)
        }
        Discounting::Continuous { rate } => {
            let end_term = (-rate * h).exp() * e(h);
            if rate == 0.0 {
                return Ok(end_term);
            }
            // Beyond 40/δ the discount factor is below e⁻⁴⁰.
            let upper = h.min(40.0 / rate);
            let reach = bg.alpha + t;
            let mut integral = 0.0;
            let mut s = 0.0;
            while s < upper {
                interrupt::check();
                let len = month.min(s + reach).min(2.0 / rate).min(upper - s);
                let mid = s + 0.5 * len;
                let half = 0.5 * len;
                let mut panel = 0.0;
                for (node, weight) in GL_NODES.iter().zip(&GL_WEIGHTS) {
                    for u in [mid - half * node, mid + half * node] {
                        panel += weight * (-rate * u).exp() * e(u);
                    }
                }
                integral += half * panel;
                s += len;
            }
            Ok(end_term + rate * integral)
        }
    }
}

/// Customer lifetime value: the Gamma-Gamma expected spend per purchase,
/// `gg.conditional_expected_spend(x, m)` (m = mean spend of the repeat purchases,
/// ignored when x = 0), times [`expected_discounted_purchases`].
#[allow(clippy::too_many_arguments)]
pub fn clv(
    bg: &BgNbdParams,
    gg: &GammaGammaParams,
    x: f64,
    t_x: f64,
    t: f64,
    m: f64,
    opts: &ClvOptions,
) -> Result<f64> {
    gg.validate()?;
    // A negative mean spend would make a negative CLV, NaN no number: refused as scoring
    // the spend model refuses them.
    crate::fit::gamma_gamma::validate_summary(x, m)?;
    let purchases = expected_discounted_purchases(bg, x, t_x, t, opts)?;
    if purchases == 0.0 {
        return Ok(0.0);
    }
    Ok(gg.conditional_expected_spend(x, if x > 0.0 { m } else { 0.0 }) * purchases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_units_run_from_a_second_to_a_century() {
        assert_eq!(check_time_unit("1 week", 7.0).unwrap(), 7.0);
        assert!(check_time_unit("1 second", 1.0 / 86_400.0).is_ok());
        assert!(check_time_unit("100 years", 36_525.0).is_ok());
        for days in [1e-300, 0.0, -7.0, f64::NAN, 1e300, 1.0 / 86_400.0 / 2.0] {
            let e = check_time_unit("u", days).unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
            assert!(e.message().contains("\"time_unit\""), "{}", e.message());
        }
        assert!(check_time_unit("1 microsecond", 1e-6 / 86_400.0)
            .unwrap_err()
            .message()
            .contains("\"1 microsecond\" is 1.1574074074074074e-11 days"));
    }

    #[test]
    fn fitted_parameters_have_a_range() {
        let bg = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        assert!(bg.check_fitted().is_ok());
        let e = BgNbdParams { r: 1e300, ..bg }.check_fitted().unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(
            e.message(),
            "invalid BG/NBD parameter r = 1e+300: is outside [1e-14, 1e14], the range a fit produces"
        );
        assert!(BgNbdParams { b: 1e-300, ..bg }.check_fitted().is_err());
        assert!(BgNbdParams { alpha: 1e31, ..bg }.check_fitted().is_err());
        assert!(BgNbdParams { alpha: 1e29, ..bg }.check_fitted().is_ok());
        let gg = GammaGammaParams {
            p: 6.25,
            q: 3.74,
            v: 15.44,
        };
        assert!(gg.check_fitted().is_ok());
        assert!(GammaGammaParams {
            v: f64::INFINITY,
            ..gg
        }
        .check_fitted()
        .is_err());
        assert!(GammaGammaParams { q: 1e-15, ..gg }.check_fitted().is_err());
    }

    const BG: BgNbdParams = BgNbdParams {
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
    };

    #[test]
    fn undiscounted_is_expected_purchases_at_the_horizon() {
        let e = BG.expected_purchases(52.14, 3.0, 20.0, 38.0);
        for d in [
            Discounting::PerMonth { rate: 0.0 },
            Discounting::Continuous { rate: 0.0 },
        ] {
            let opts = ClvOptions {
                horizon: 52.14,
                month_in_units: MONTH_IN_WEEKS,
                discounting: d,
            };
            let v = expected_discounted_purchases(&BG, 3.0, 20.0, 38.0, &opts).unwrap();
            assert!((v - e).abs() < 1e-13 * e, "{d:?}: {v} vs {e}");
        }
    }

    #[test]
    fn partial_month_is_the_limit_of_whole_months() {
        let opts = |h: f64| ClvOptions {
            horizon: h,
            month_in_units: 4.0,
            discounting: Discounting::PerMonth { rate: 0.05 },
        };
        let whole = expected_discounted_purchases(&BG, 1.0, 5.0, 30.0, &opts(12.0)).unwrap();
        let almost = expected_discounted_purchases(&BG, 1.0, 5.0, 30.0, &opts(12.0 - 1e-7)).unwrap();
        assert!((whole - almost).abs() < 1e-7);
    }

    #[test]
    fn months_are_bounded() {
        assert!(check_months(0.0).is_ok());
        assert!(check_months(MAX_MONTHS).is_ok());
        for bad in [MAX_MONTHS + 0.5, 1e9, f64::INFINITY, f64::NAN, -1.0] {
            let e = check_months(bad).unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
        }
        let e = check_months(1e9).unwrap_err();
        assert_eq!(
            e.message(),
            "invalid months 1000000000: the horizon is at most 1200 months (100 years)"
        );
        // The options themselves refuse a longer horizon (direct callers of the core).
        for discounting in [
            Discounting::PerMonth { rate: 0.01 },
            Discounting::Continuous { rate: 0.001 },
        ] {
            let opts = |months: f64| ClvOptions {
                horizon: months * MONTH_IN_WEEKS,
                month_in_units: MONTH_IN_WEEKS,
                discounting,
            };
            assert!(opts(MAX_MONTHS).validate().is_ok());
            let e = opts(1e5).validate().unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
            assert!(e.message().contains("1200 months"), "{}", e.message());
        }
    }

    #[test]
    fn the_longest_horizon_is_cheap() {
        // One customer at the bound, in both discountings: measured, it stays far below a
        // second even in a debug build (the release build is ~10x faster).
        for discounting in [
            Discounting::PerMonth { rate: 0.01 },
            Discounting::Continuous {
                rate: 0.01f64.ln_1p() / MONTH_IN_WEEKS,
            },
        ] {
            let opts = ClvOptions {
                horizon: MAX_MONTHS * MONTH_IN_WEEKS,
                month_in_units: MONTH_IN_WEEKS,
                discounting,
            };
            let start = std::time::Instant::now();
            let v = expected_discounted_purchases(&BG, 2.0, 30.43, 38.86, &opts).unwrap();
            let took = start.elapsed();
            assert!(v.is_finite() && v > 0.0);
            eprintln!("{discounting:?}: {took:?}");
            assert!(took.as_secs_f64() < 2.0, "{discounting:?}: {took:?}");
        }
    }

    #[test]
    fn the_month_loops_check_for_interrupts() {
        use crate::interrupt::testing;
        for discounting in [
            Discounting::PerMonth { rate: 0.01 },
            Discounting::Continuous { rate: 0.001 },
        ] {
            let opts = ClvOptions {
                horizon: 600.0 * MONTH_IN_WEEKS,
                month_in_units: MONTH_IN_WEEKS,
                discounting,
            };
            testing::install(None);
            expected_discounted_purchases(&BG, 2.0, 30.43, 38.86, &opts).unwrap();
            // At least once a month (and once per 1024 series terms).
            assert!(testing::calls() >= 600, "{discounting:?}: {}", testing::calls());
            testing::assert_cancels(100, || {
                expected_discounted_purchases(&BG, 2.0, 30.43, 38.86, &opts)
            });
        }
    }

    #[test]
    fn month_length_must_fit_the_unit() {
        assert_eq!(month_for_unit(7.0), MONTH_IN_WEEKS);
        assert_eq!(month_for_unit(1.0), MONTH_IN_DAYS);
        assert!(check_month_in_units(4.345, 7.0, "m", "1 week").is_ok());
        assert!(check_month_in_units(30.0, 1.0, "m", "1 day").is_ok()); // lifetimes' "D"
        let e = check_month_in_units(4.345, 1.0, "m@1", "1 day").unwrap_err();
        assert_eq!(e.sqlstate(), "22023");
        assert!(
            e.message().contains("m@1") && e.message().contains("1 day"),
            "{}",
            e.message()
        );
        assert!(e.hint().is_some());
        assert!(check_month_in_units(30.4375, 7.0, "m", "1 week").is_err());
    }
}
