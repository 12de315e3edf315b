//! Customer lifetime value from a BG/NBD purchase model and a Gamma-Gamma spend model, and
//! the BG/NBD model's unconditional expected purchases.

use crate::catalog::{self, LoadedModel};
use crate::error::{raise, OrRaise};
use cltv_core::bgnbd::BgNbdParams;
use cltv_core::clv::{clv, ClvOptions, Discounting};
use cltv_core::error::Error;
use cltv_core::gamma_gamma::GammaGammaParams;
use cltv_core::model::{ModelRef, Scorer};
use pgrx::prelude::*;
use std::rc::Rc;

fn bgnbd_params(model: &LoadedModel) -> BgNbdParams {
    match &model.scorer {
        Scorer::BgNbd(p) => *p,
        other => raise(wrong_kind(model, "bgnbd", other)),
    }
}

fn gamma_gamma_params(model: &LoadedModel) -> GammaGammaParams {
    match &model.scorer {
        Scorer::GammaGamma(p) => *p,
        other => raise(wrong_kind(model, "gamma_gamma", other)),
    }
}

fn wrong_kind(model: &LoadedModel, wanted: &str, got: &Scorer) -> Error {
    Error::InvalidArgument {
        what: format!("model \"{}\"", model.display_name()),
        reason: format!(
            "is a {} model where a {wanted} one is needed",
            got.kind().as_str()
        ),
    }
}

/// The models of a call site, resolved once per statement (`fn_extra`), not per row.
fn models(fcinfo: pg_sys::FunctionCallInfo, specs: &[&str]) -> Vec<Rc<LoadedModel>> {
    let extra = unsafe { pgrx::pg_func_extra(fcinfo, || None::<(Vec<String>, Vec<Rc<LoadedModel>>)>) };
    let slot = unsafe { &mut *extra.as_ptr() };
    if slot
        .as_ref()
        .is_none_or(|(names, _)| names.iter().map(String::as_str).ne(specs.iter().copied()))
    {
        let loaded = specs
            .iter()
            .map(|s| catalog::resolve(&ModelRef::parse(s).or_raise()))
            .collect();
        *slot = Some((specs.iter().map(|s| s.to_string()).collect(), loaded));
    }
    slot.as_ref().expect("just set").1.clone()
}

/// Discounted customer lifetime value over `months` months: Gamma-Gamma's expected spend per
/// purchase times the BG/NBD expected purchases, month i discounted by (1 + discount_rate)^i
/// (lifetimes' convention; `continuous => true` discounts by e^(-δs) with
/// δ = ln(1 + discount_rate) per month instead). `month_in_units` is a month in the time unit
/// the models were fitted in: 4.345 for weeks (the default), 30.4375 for days.
#[allow(clippy::too_many_arguments)]
#[pg_extern(stable, parallel_safe)]
fn cltv_clv(
    purchase_model: &str,
    spend_model: &str,
    frequency: f64,
    recency: f64,
    t: f64,
    monetary_value: f64,
    months: f64,
    discount_rate: f64,
    month_in_units: default!(f64, 4.345),
    continuous: default!(bool, false),
    fcinfo: pg_sys::FunctionCallInfo,
) -> f64 {
    let loaded = models(fcinfo, &[purchase_model, spend_model]);
    let (bg, gg) = (bgnbd_params(&loaded[0]), gamma_gamma_params(&loaded[1]));
    if !(months.is_finite() && months >= 0.0) {
        raise(Error::InvalidArgument {
            what: format!("months {months}"),
            reason: "must be >= 0".into(),
        })
    }
    let discounting = if continuous {
        Discounting::Continuous {
            rate: (1.0 + discount_rate).ln() / month_in_units,
        }
    } else {
        Discounting::PerMonth { rate: discount_rate }
    };
    let opts = ClvOptions {
        horizon: months * month_in_units,
        month_in_units,
        discounting,
    };
    opts.validate().or_raise();
    clv(&bg, &gg, frequency, recency, t, monetary_value, &opts).or_raise()
}

/// A BG/NBD model's expected purchases of a new customer in `t` time units, E[X(t)].
#[pg_extern(stable, parallel_safe)]
fn cltv_expected_purchases(model: &str, t: f64, fcinfo: pg_sys::FunctionCallInfo) -> f64 {
    let loaded = models(fcinfo, &[model]);
    if !(t.is_finite() && t >= 0.0) {
        raise(Error::InvalidArgument {
            what: format!("t {t}"),
            reason: "must be >= 0".into(),
        })
    }
    bgnbd_params(&loaded[0]).unconditional_expected_purchases(t)
}
