//! `cltv_explain` and `cltv_predict_interval`: why a row scores what it scores, and how
//! sure the model is. Both bind the row by name, as `cltv_predict` does, and resolve the
//! model and its stored fit once per call site.

use super::predict::RowBinding;
use super::v1_function_info;
use crate::call_site::{model_reference, CallSite};
use crate::catalog::{self, LoadedModel};
use crate::error::{raise, OrRaise};
use cltv_core::error::Error;
use cltv_core::evaluation::explain::{
    by_column, contributions, logistic_confidence_interval, ols_prediction_interval, StoredFit,
};
use cltv_core::model::scoring::{check_score, sigmoid, ModelKind, ModelRef};
use pgrx::prelude::*;
use pgrx::{JsonB, PgMemoryContexts};
use serde_json::json;
use std::rc::Rc;

/// What an explaining call site keeps between rows (its `CallSite` memo).
struct ExplainSite {
    model: Rc<LoadedModel>,
    /// The fit of the model, or of the pooled model for one trained per group.
    fit: StoredFit,
    /// Per group of a grouped model, its fit (`None`: the group uses the pooled one).
    group_fits: Vec<Option<StoredFit>>,
    group_key: String,
    /// The fit of the row being explained: a group's, or `None` for `fit`.
    row_group: Option<usize>,
    row: Option<RowBinding>,
    values: Vec<f64>,
    /// `cltv_predict_interval`'s result row type, blessed, in the call site's memory: looked
    /// up once, not per row.
    interval_desc: std::cell::Cell<pg_sys::TupleDesc>,
}

impl ExplainSite {
    fn fit(&self) -> &StoredFit {
        self.row_group
            .and_then(|i| self.group_fits[i].as_ref())
            .unwrap_or(&self.fit)
    }
}

/// The call site's model and fit, and the row's feature values; `None` when a NULL
/// feature makes the answer NULL under the model's missing-data policy.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of `cltv_explain` or `cltv_predict_interval` (argument 0 the model as text, 1 a record), and no other reference to its call-site memo is alive; the result lives no longer than the call.
unsafe fn bind<'a>(fcinfo: pg_sys::FunctionCallInfo) -> Option<&'a ExplainSite> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let args = (*fcinfo).args.as_slice(2);
        if args[0].isnull || args[1].isnull {
            return None;
        }
        let spec = pgrx::varlena::varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(
            args[0].value.cast_mut_ptr(),
        ));
        let site = CallSite::<ExplainSite>::of(fcinfo).get_or_make(&[spec], || {
            let reference = ModelRef::parse(model_reference(spec)).or_raise();
            let model = catalog::resolve(&reference);
            let kind = model.scorer.kind();
            if !matches!(kind, ModelKind::Linear | ModelKind::Logistic) {
                raise(Error::Unsupported {
                    what: format!(
                        "explaining the {} model \"{}\"",
                        kind.as_str(),
                        model.display_name()
                    ),
                    hint: "cltv_explain and cltv_predict_interval apply to linear and logistic models."
                        .into(),
                })
            }
            let pinned = ModelRef {
                name: model.name.clone(),
                version: Some(model.version),
            };
            let fit_json = catalog::fit_of(&pinned);
            let fit = StoredFit::from_json(&model.display_name(), &fit_json).or_raise();
            // A group that fell back to the pooled model stored no estimate of its own.
            let group_fits = match fit_json.get("groups").and_then(|g| g.as_array()) {
                Some(groups) if model.groups.is_some() => groups
                    .iter()
                    .map(|g| {
                        g.get("estimate")
                            .map(|_| StoredFit::from_json(&model.display_name(), g).or_raise())
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let n = model.features.len();
            ExplainSite {
                model,
                fit,
                group_fits,
                group_key: String::new(),
                row_group: None,
                row: None,
                values: vec![0.0; n],
                interval_desc: std::cell::Cell::new(std::ptr::null_mut()),
            }
        });
        let header = pg_sys::pg_detoast_datum(args[1].value.cast_mut_ptr()) as pg_sys::HeapTupleHeader;
        let model = &site.model;
        let group_columns = model.groups.as_ref().map_or(&[][..], |g| g.columns());
        let binding = RowBinding::cached(
            &mut site.row,
            header,
            &model.design,
            group_columns,
            (*(*fcinfo).flinfo).fn_mcxt,
            &|| vec![model.display_name()],
        );
        if let Some(groups) = &model.groups {
            binding.read_group_key(header, &mut site.group_key);
            site.row_group = groups
                .group_index(&site.group_key, || model.display_name())
                .or_raise();
        }
        if !binding.read_for(model, header, &mut site.values) {
            return None;
        }
        if let Some(i) = site.values.iter().position(|v| !v.is_finite()) {
            raise(Error::NonFinite {
                column: site.model.features[i].clone(),
                value: Some(site.values[i]),
                rows: 1,
            })
        }
        Some(site)
    }
}

/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call.
unsafe fn null(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        (*fcinfo).isnull = true;
        pg_sys::Datum::from(0usize)
    }
}

v1_function_info!(pg_finfo_cltv_explain_row);

/// What `cltv_explain` splits a prediction by.
#[derive(Clone, Copy, PartialEq)]
enum By {
    /// One contribution per term: a numeric feature, or one level of a categorical one.
    Feature,
    /// One per input column: a categorical column's levels summed.
    Column,
}

const BY_NAMES: [&str; 2] = ["feature", "column"];

/// `cltv_explain(model, row, top_k)` and `cltv_explain(model, row, by, top_k)`: the
/// baseline (the prediction at the training means) and each feature's contribution
/// coefficient × (value − mean), on the linear-predictor scale (log-odds for logistic
/// models), largest first; `by => 'column'` sums a categorical column's one-hot levels.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_explain_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        // The three-argument form has top_k third; the four-argument form has by, then top_k.
        let nargs = (*fcinfo).nargs as usize;
        let args = (*fcinfo).args.as_slice(nargs);
        let (by_arg, top_k_arg) = if nargs >= 4 {
            (Some(args[2]), args[3])
        } else {
            (None, args[2])
        };
        let by = match by_arg.filter(|a| !a.isnull) {
            None => By::Feature,
            Some(arg) => {
                let text = pgrx::varlena::varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(
                    arg.value.cast_mut_ptr(),
                ));
                let text = String::from_utf8_lossy(text);
                match &*text {
                "feature" => By::Feature,
                "column" => By::Column,
                other => raise(Error::InvalidArgument {
                    what: format!("by '{other}'"),
                    reason: format!(
                        "must be 'feature' (one contribution per term, a level of a categorical column each) or 'column' (a categorical column's levels summed){}",
                        cltv_core::suggest::nearest(other, BY_NAMES)
                            .map(|near| format!("; did you mean '{near}'?"))
                            .unwrap_or_default()
                    ),
                }),
            }
            }
        };
        let Some(site) = bind(fcinfo) else {
            return null(fcinfo);
        };
        let top_k = (!top_k_arg.isnull).then(|| top_k_arg.value.value() as i32);
        if let Some(k) = top_k.filter(|k| *k < 1) {
            raise(Error::InvalidArgument {
                what: format!("top_k {k}"),
                reason: "must be at least 1 (or NULL for every feature)".into(),
            })
        }
        let (baseline, mut parts) = contributions(
            &site.model.features,
            &site.fit().estimate,
            &site.fit().x_mean,
            &site.values,
        )
        .or_raise();
        let is_logistic = site.model.scorer.kind() == ModelKind::Logistic;
        // JSON has no Infinity: an overflowed prediction is an error naming the row, not null.
        let linear_predictor = check_score(
            baseline + parts.iter().map(|c| c.contribution).sum::<f64>(),
            if is_logistic { "log-odds" } else { "prediction" },
            || site.model.display_name(),
            |i| site.model.features[i].clone(),
            &site.values,
        )
        .or_raise();
        let mut explanation = json!({
            "model": site.model.display_name(),
            "baseline": baseline,
        });
        let k = top_k.map(|k| k as usize);
        if by == By::Column {
            let mut columns = by_column(&site.model.design, &parts).or_raise();
            columns.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            if let Some(k) = k.filter(|k| *k < columns.len()) {
                let rest: f64 = columns[k..].iter().map(|c| c.contribution).sum();
                columns.truncate(k);
                explanation["other_columns"] = rest.into();
            }
            explanation["by"] = "column".into();
            explanation["contributions"] = serde_json::to_value(&columns).expect("contributions serialise");
        } else {
            parts.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
            if let Some(k) = k.filter(|k| *k < parts.len()) {
                let rest: f64 = parts[k..].iter().map(|c| c.contribution).sum();
                parts.truncate(k);
                explanation["other_features"] = rest.into();
            }
            explanation["contributions"] = serde_json::to_value(&parts).expect("contributions serialise");
        }
        if is_logistic {
            explanation["scale"] = "log_odds".into();
            explanation["log_odds"] = linear_predictor.into();
            explanation["probability"] = sigmoid(linear_predictor).into();
        } else {
            explanation["scale"] = "response".into();
            explanation["prediction"] = linear_predictor.into();
        }
        JsonB(explanation).into_datum().expect("jsonb datum")
    }
}

v1_function_info!(pg_finfo_cltv_predict_interval_row);

/// `cltv_predict_interval(model, row, level)`: the prediction with an interval. Linear: the
/// exact OLS prediction interval for a new observation; logistic: a confidence interval
/// for the probability, delta method on the logit scale.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_predict_interval_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let Some(site) = bind(fcinfo) else {
            return null(fcinfo);
        };
        let level = {
            let arg = (*fcinfo).args.as_slice(3)[2];
            if arg.isnull {
                return null(fcinfo);
            }
            f64::from_bits(arg.value.value() as u64)
        };
        let name = site.model.display_name();
        let cov = site.fit().covariance(&name).or_raise();
        let term = |i: usize| site.model.features[i].clone();
        let (prediction, lower, upper) = match site.model.scorer.kind() {
            ModelKind::Logistic => logistic_confidence_interval(
                &site.fit().estimate,
                cov,
                &site.values,
                level,
                || name.clone(),
                term,
            ),
            _ => {
                let (Some(sigma), Some(df)) = (site.fit().residual_std_error, site.fit().df_resid) else {
                    raise(Error::Unsupported {
                        what: format!("a prediction interval for model \"{name}\""),
                        hint: "An exact fit has no residual variance.".into(),
                    })
                };
                ols_prediction_interval(
                    &site.fit().estimate,
                    cov,
                    sigma,
                    df,
                    &site.values,
                    level,
                    || name.clone(),
                    term,
                )
            }
        }
        .or_raise();
        let mut desc = site.interval_desc.get();
        if desc.is_null() {
            let flinfo = (*fcinfo).flinfo;
            let type_oid = pg_sys::get_func_rettype((*flinfo).fn_oid);
            // In the call site's memory, which outlives every row of the query.
            desc = PgMemoryContexts::For((*flinfo).fn_mcxt)
                .switch_to(|_| pg_sys::BlessTupleDesc(pg_sys::lookup_rowtype_tupdesc_copy(type_oid, -1)));
            site.interval_desc.set(desc);
        }
        // cltv_interval is (prediction, lower, upper), all float8 (sql/explain.sql).
        let mut values = [prediction, lower, upper].map(|v| v.into_datum().expect("a float8 datum"));
        let mut nulls = [false; 3];
        let tuple = pg_sys::heap_form_tuple(desc, values.as_mut_ptr(), nulls.as_mut_ptr());
        pg_sys::HeapTupleHeaderGetDatum((*tuple).t_data)
    }
}

extension_sql_file!("../../sql/explain.sql", name = "explain");
