//! Customer lifetime value from a BG/NBD purchase model and a Gamma-Gamma spend model, and
//! the BG/NBD model's unconditional expected purchases.

use super::predict::RowBinding;
use super::v1_function_info;
use crate::call_site::{model_reference, CallSite};
use crate::catalog::{self, LoadedModel};
use crate::error::{raise, OrRaise};
use cltv_core::error::Error;
use cltv_core::fit::bgnbd::BgNbdParams;
use cltv_core::fit::clv::{
    check_month_in_units, check_months, clv, month_for_unit, ClvOptions, Discounting, MONTH_IN_WEEKS,
};
use cltv_core::fit::gamma_gamma::GammaGammaParams;
use cltv_core::model::encoding::Design;
use cltv_core::model::scoring::{check_score, ModelRef, Scorer};
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

/// The models of a call site, resolved once per call site (its `CallSite` memo), not per row.
///
/// # Safety
/// As `CallSite::of`.
unsafe fn models(fcinfo: pg_sys::FunctionCallInfo, specs: &[&str]) -> Vec<Rc<LoadedModel>> {
    // SAFETY: the caller upholds `CallSite::of`'s contract; the memo does not leave this call.
    let site = unsafe { CallSite::<Vec<Rc<LoadedModel>>>::of(fcinfo) };
    let key: Vec<&[u8]> = specs.iter().map(|s| s.as_bytes()).collect();
    site.get_or_make(&key, || resolve_all(specs.iter().copied()))
        .clone()
}

fn resolve_all<'a>(specs: impl Iterator<Item = &'a str>) -> Vec<Rc<LoadedModel>> {
    specs
        .map(|s| catalog::resolve(&ModelRef::parse(s).or_raise()))
        .collect()
}

/// The month length to use: the caller's, checked against the purchase model's time unit,
/// or the one of that unit (lifetimes' 4.345 for weeks; 4.345 for a model without one).
fn month_length(purchase: &LoadedModel, given: Option<f64>) -> f64 {
    match (given, &purchase.time_unit) {
        (Some(month), Some((unit, days))) => {
            check_month_in_units(month, *days, &purchase.display_name(), unit).or_raise();
            month
        }
        (Some(month), None) => month,
        (None, Some((_, days))) => month_for_unit(*days),
        (None, None) => MONTH_IN_WEEKS,
    }
}

/// CLV of one customer summary `[frequency, recency, t, monetary_value]`.
fn clv_of(
    models: &[Rc<LoadedModel>],
    summary: [f64; 4],
    months: f64,
    discount_rate: f64,
    month_in_units: Option<f64>,
    continuous: bool,
) -> f64 {
    let (bg, gg) = (bgnbd_params(&models[0]), gamma_gamma_params(&models[1]));
    check_months(months).or_raise();
    let month_in_units = month_length(&models[0], month_in_units);
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
    let [frequency, recency, t, monetary_value] = summary;
    let value = clv(&bg, &gg, frequency, recency, t, monetary_value, &opts).or_raise();
    check_score(
        value,
        "CLV",
        || {
            format!(
                "{}\" with spend model \"{}",
                models[0].display_name(),
                models[1].display_name()
            )
        },
        |i| ["frequency", "recency", "T", "monetary_value"][i].to_string(),
        &summary,
    )
    .or_raise()
}

/// Discounted customer lifetime value over `months` months: Gamma-Gamma's expected spend per
/// purchase times the BG/NBD expected purchases, month i discounted by (1 + discount_rate)^i
/// (lifetimes' convention; `continuous => true` discounts by e^(-δs) with
/// δ = ln(1 + discount_rate) per month instead). `month_in_units` is a month in the time unit
/// the models were fitted in; by default it follows the purchase model's `time_unit`.
///
/// NULL in any argument but the last two gives NULL, as a STRICT function's would (and as
/// the row form does); a NULL `continuous` is false.
#[allow(clippy::too_many_arguments)]
#[pg_extern(stable, parallel_safe)]
fn cltv_clv(
    purchase_model: Option<&str>,
    spend_model: Option<&str>,
    frequency: Option<f64>,
    recency: Option<f64>,
    t: Option<f64>,
    monetary_value: Option<f64>,
    months: Option<f64>,
    discount_rate: Option<f64>,
    month_in_units: default!(Option<f64>, "NULL"),
    continuous: default!(Option<bool>, false),
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<f64> {
    // Not STRICT (month_in_units may be NULL): the NULL rule is applied here.
    let (purchase_model, spend_model) = (purchase_model?, spend_model?);
    let summary = [frequency?, recency?, t?, monetary_value?];
    let (months, discount_rate) = (months?, discount_rate?);
    // SAFETY: pgrx passes the `fcinfo` of the current call; the memo does not leave `models`.
    let loaded = unsafe { models(fcinfo, &[purchase_model, spend_model]) };
    Some(clv_of(
        &loaded,
        summary,
        months,
        discount_rate,
        month_in_units,
        continuous.unwrap_or(false),
    ))
}

/// What the row form of cltv_clv keeps per call site.
struct ClvRowSite {
    models: Vec<Rc<LoadedModel>>,
    /// The distinct columns both models read, as numeric inputs, and where each summary
    /// value is among them.
    design: Design,
    positions: [usize; 4],
    /// Per column, the (model, feature) whose missing-value rule a NULL in it follows: the
    /// first model that reads it (the purchase model's for frequency, which both read).
    null_rule: Vec<(usize, usize)>,
    row: Option<RowBinding>,
    values: Vec<f64>,
}

impl ClvRowSite {
    fn new(models: Vec<Rc<LoadedModel>>) -> ClvRowSite {
        // BG/NBD reads (frequency, recency, T), Gamma-Gamma (frequency, monetary_value),
        // under the column names each was trained with.
        let wanted = [(0, 0), (0, 1), (0, 2), (1, 1)];
        let mut columns: Vec<String> = Vec::new();
        let mut null_rule = Vec::new();
        let mut positions = [0; 4];
        for (slot, (m, i)) in positions.iter_mut().zip(wanted) {
            let name = models[m].features.get(i).cloned().unwrap_or_default();
            *slot = columns.iter().position(|c| *c == name).unwrap_or_else(|| {
                columns.push(name);
                null_rule.push((m, i));
                columns.len() - 1
            });
        }
        ClvRowSite {
            models,
            values: vec![0.0; columns.len()],
            design: Design::numeric(&columns),
            positions,
            null_rule,
            row: None,
        }
    }
}

v1_function_info!(pg_finfo_cltv_clv_row);

/// `cltv_clv(purchase_model, spend_model, row, months, discount_rate, month_in_units,
/// continuous)`: as the numeric form, with the summary read from the row's columns by the
/// names the two models were trained with.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_clv_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let args = (*fcinfo).args.as_slice(7);
        let null = |fcinfo: pg_sys::FunctionCallInfo| {
            (*fcinfo).isnull = true;
            pg_sys::Datum::from(0usize)
        };
        if args[..5].iter().any(|a| a.isnull) {
            return null(fcinfo);
        }
        let bytes = |d: pg_sys::Datum| {
            pgrx::varlena::varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(d.cast_mut_ptr()))
        };
        let float = |a: &pg_sys::NullableDatum| (!a.isnull).then(|| f64::from_bits(a.value.value() as u64));
        let (purchase, spend) = (bytes(args[0].value), bytes(args[1].value));
        let site = CallSite::<ClvRowSite>::of(fcinfo).get_or_make(&[purchase, spend], || {
            ClvRowSite::new(resolve_all([purchase, spend].into_iter().map(model_reference)))
        });
        let header = pg_sys::pg_detoast_datum(args[2].value.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
        let models = &site.models;
        let binding = RowBinding::cached(
            &mut site.row,
            header,
            &site.design,
            &[],
            (*(*fcinfo).flinfo).fn_mcxt,
            &|| models.iter().map(|m| m.display_name()).collect(),
        );
        let (models, null_rule) = (&site.models, &site.null_rule);
        let on_null = |i: usize| {
            let (m, j) = null_rule[i];
            models[m].on_null(j)
        };
        if !binding.read(header, &mut site.values, &site.design, String::new, on_null) {
            return null(fcinfo);
        }
        let summary = site.positions.map(|i| site.values[i]);
        let value = clv_of(
            &site.models,
            summary,
            float(&args[3]).unwrap_or(f64::NAN),
            float(&args[4]).unwrap_or(f64::NAN),
            float(&args[5]),
            !args[6].isnull && args[6].value.value() != 0,
        );
        pg_sys::Datum::from(value.to_bits() as usize)
    }
}

extension_sql_file!("../../sql/clv_row.sql", name = "clv_row", requires = [cltv_clv]);

/// A BG/NBD model's expected purchases of a new customer in `t` time units, E[X(t)].
#[pg_extern(stable, parallel_safe)]
fn cltv_expected_purchases(model: &str, t: f64, fcinfo: pg_sys::FunctionCallInfo) -> f64 {
    // SAFETY: pgrx passes the `fcinfo` of the current call; the memo does not leave `models`.
    let loaded = unsafe { models(fcinfo, &[model]) };
    if !(t.is_finite() && t >= 0.0) {
        raise(Error::InvalidArgument {
            what: format!("t {t}"),
            reason: "must be >= 0".into(),
        })
    }
    let value = bgnbd_params(&loaded[0]).unconditional_expected_purchases(t);
    check_score(
        value,
        "expected purchases",
        || loaded[0].display_name(),
        |_| "t".into(),
        &[t],
    )
    .or_raise()
}

/// The tier of `value` (a CLV, above all) among `labels`, lowest first, split at ascending
/// `cut_points`: at a cut point, the higher tier, as `cltv_segment`. The cut points come
/// from the values of a cohort, e.g. `cltv_score_quantiles(clv, ARRAY[0.4, 0.7, 0.9])`
/// over the training customers, so that a customer's tier does not depend on the query.
/// NULL in, NULL out; a NULL element of an array is an error.
#[pg_extern(immutable, parallel_safe)]
fn cltv_tier(
    value: Option<f64>,
    cut_points: Option<Vec<Option<f64>>>,
    labels: default!(
        Option<Vec<Option<String>>>,
        "ARRAY['bronze', 'silver', 'gold', 'platinum']"
    ),
) -> Option<String> {
    let (value, cut_points, labels) = (value?, cut_points?, labels?);
    fn no_nulls<T>(what: &str) -> T {
        raise(Error::InvalidArgument {
            what: what.to_string(),
            reason: "must not contain NULL".into(),
        })
    }
    let cut_points: Vec<f64> = cut_points
        .into_iter()
        .map(|c| c.unwrap_or_else(|| no_nulls("cut_points")))
        .collect();
    let labels: Vec<String> = labels
        .into_iter()
        .map(|l| l.unwrap_or_else(|| no_nulls("labels")))
        .collect();
    Some(
        cltv_core::model::segments::tier_of(value, &cut_points, &labels)
            .or_raise()
            .to_string(),
    )
}
