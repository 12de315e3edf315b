//! `cltv_predict`: score inside any query.
//!
//! The model, and the mapping from the row's columns to the model's features, are
//! resolved once per call site (`crate::call_site`), not once per row.

use super::conversion::Conversion;
use super::v1_function_info;
use crate::call_site::{model_reference, CallSite};
use crate::catalog::{self, LoadedModel};
use crate::error::{raise, OrRaise};
use crate::float8_array::{Float8Array, Float8ArrayIssue};
use crate::jsonb_arg::JsonbArg;
use cltv_core::error::{Error, RowColumns};
use cltv_core::model::encoding::{Design, Input};
use cltv_core::model::groups::push_key_part;
use cltv_core::model::scoring::{check_score, ModelKind, ModelRef, Scorer};
use pgrx::prelude::*;
use pgrx::FromDatum;
use std::rc::Rc;

/// How a categorical column's value becomes its level's text.
#[derive(Debug, Clone, Copy)]
enum LevelReader {
    /// text and varchar: the bytes themselves.
    Text,
    /// character(n): without the padding, as its cast to text.
    Bpchar,
    /// Anything else (enums): the type's output function.
    Output(pg_sys::Oid),
}

/// Where one bound column goes.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Number {
        attnum: i32,
        conversion: Conversion,
        term: usize,
    },
    /// Input `input` of the design: its level sets the input's indicator terms.
    Category {
        attnum: i32,
        input: usize,
        reader: LevelReader,
    },
}

/// The row type's columns bound to a design's inputs, by name.
pub(super) struct RowBinding {
    typid: pg_sys::Oid,
    typmod: i32,
    tupdesc: pg_sys::TupleDesc,
    slots: Vec<Slot>,
    /// `"group_by"` models: the group columns, read as text into the row's group key.
    group_slots: Vec<(i32, LevelReader)>,
}

/// What a scoring call site keeps between rows (its `CallSite` memo).
struct ScoringSite {
    model: Rc<LoadedModel>,
    row: Option<RowBinding>,
    values: Vec<f64>,
    /// The row's group key, for models trained per group.
    group_key: String,
}

/// The scoring memo of the current call's site, for the model reference `spec`.
///
/// # Safety
/// As `CallSite::of`.
unsafe fn scoring_site<'call>(fcinfo: pg_sys::FunctionCallInfo, spec: &[u8]) -> &'call mut ScoringSite {
    // SAFETY: the caller upholds `CallSite::of`'s contract.
    let site = unsafe { CallSite::<ScoringSite>::of(fcinfo) };
    site.get_or_make(&[spec], || {
        let model = catalog::resolve(&ModelRef::parse(model_reference(spec)).or_raise());
        let n = model.features.len();
        ScoringSite {
            model,
            row: None,
            values: vec![0.0; n],
            group_key: String::new(),
        }
    })
}

impl RowBinding {
    /// Find each input of `design`, and each group column, among the columns of the row type
    /// (typid, typmod), by name. A row without some of them is an error that lists what
    /// `models()` read and what the row has.
    ///
    /// # Safety
    /// `typid`/`typmod` name a row type and `fn_mcxt` is the call site's memory context.
    unsafe fn new(
        typid: pg_sys::Oid,
        typmod: i32,
        design: &Design,
        group_columns: &[String],
        fn_mcxt: pg_sys::MemoryContext,
        models: &dyn Fn() -> Vec<String>,
    ) -> RowBinding {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            let shared = pg_sys::lookup_rowtype_tupdesc(typid, typmod);
            let tupdesc = {
                let _guard = pgrx::PgMemoryContexts::For(fn_mcxt).set_as_current();
                pg_sys::CreateTupleDescCopy(shared)
            };
            // ReleaseTupleDesc: a record type a parallel query registered lives in shared memory
            // and is not reference-counted.
            if (*shared).tdrefcount >= 0 {
                pg_sys::DecrTupleDescRefCount(shared);
            }
            let natts = (*tupdesc).natts as usize;
            let attrs = (*tupdesc).attrs.as_slice(natts);
            let name_of = |a: &pg_sys::FormData_pg_attribute| {
                std::ffi::CStr::from_ptr(a.attname.data.as_ptr())
                    .to_string_lossy()
                    .into_owned()
            };
            let needed: Vec<&str> = design
                .inputs()
                .iter()
                .map(|spec| spec.column())
                .chain(group_columns.iter().map(String::as_str))
                .collect();
            let has: Vec<String> = attrs.iter().filter(|a| !a.attisdropped).map(name_of).collect();
            let missing: Vec<String> = needed
                .iter()
                .filter(|c| !has.iter().any(|h| h == *c))
                .map(|c| c.to_string())
                .collect();
            if let Some(first) = missing.first() {
                let suggestion = cltv_core::suggest::nearest(
                    first,
                    has.iter().map(String::as_str).filter(|h| !needed.contains(h)),
                )
                .map(str::to_string);
                raise(Error::MissingFeatures {
                    models: models(),
                    row: Box::new(RowColumns {
                        row_type: type_name(typid),
                        needed: needed.iter().map(|c| c.to_string()).collect(),
                        has,
                        suggestion,
                    }),
                    missing,
                })
            }
            let find = |column: &str| {
                let (i, attr) = attrs
                    .iter()
                    .enumerate()
                    .find(|(_, a)| !a.attisdropped && name_of(a) == column)
                    .expect("every needed column was found above");
                (i as i32 + 1, attr)
            };
            let slots = design
                .inputs()
                .iter()
                .enumerate()
                .map(|(input, spec)| {
                    let column = spec.column();
                    let (attnum, attr) = find(column);
                    match spec {
                        Input::Number { term, .. } => Slot::Number {
                            attnum,
                            conversion: Conversion::for_type(attr.atttypid).unwrap_or_else(|| {
                                raise(Error::NonNumericColumn {
                                    column: column.to_string(),
                                    type_name: type_name(attr.atttypid),
                                })
                            }),
                            term: *term,
                        },
                        Input::Category { .. } => Slot::Category {
                            attnum,
                            input,
                            reader: LevelReader::for_type(attr.atttypid),
                        },
                    }
                })
                .collect();
            let group_slots = group_columns
                .iter()
                .map(|column| {
                    let (attnum, attr) = find(column);
                    (attnum, LevelReader::for_type(attr.atttypid))
                })
                .collect();
            RowBinding {
                typid,
                typmod,
                tupdesc,
                slots,
                group_slots,
            }
        }
    }

    /// The binding for `header`'s row type, made once per call site and row type;
    /// `models()` names the model(s) scoring it, for the error of a row that lacks a column.
    ///
    /// # Safety
    /// `header` is a valid, detoasted row datum and `fn_mcxt` the call site's memory context.
    pub(super) unsafe fn cached<'a>(
        slot: &'a mut Option<RowBinding>,
        header: pg_sys::HeapTupleHeader,
        design: &Design,
        group_columns: &[String],
        fn_mcxt: pg_sys::MemoryContext,
        models: &dyn Fn() -> Vec<String>,
    ) -> &'a RowBinding {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            let typid = pgrx::heap_tuple_header_get_type_id(header);
            let typmod = pgrx::heap_tuple_header_get_typmod(header);
            if !slot
                .as_ref()
                .is_some_and(|b| b.typid == typid && b.typmod == typmod)
            {
                *slot = Some(RowBinding::new(
                    typid,
                    typmod,
                    design,
                    group_columns,
                    fn_mcxt,
                    models,
                ));
            }
            slot.as_ref().expect("just bound")
        }
    }

    /// Read one row into `out`, in `design`'s term space. A NULL in a column sets each of its
    /// terms i to `on_null(i)`, and scores NULL (returns `false`) if that is `None`. An
    /// unseen level follows the design's policy; `model` names the model in its error.
    ///
    /// # Safety
    /// `header` is a valid, detoasted row datum of the row type this binding was made for.
    pub(super) unsafe fn read(
        &self,
        header: pg_sys::HeapTupleHeader,
        out: &mut [f64],
        design: &Design,
        model: impl Fn() -> String,
        on_null: impl Fn(usize) -> Option<f64>,
    ) -> bool {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            let mut tuple = pg_sys::HeapTupleData {
                t_len: pgrx::heap_tuple_header_get_datum_length(header) as u32,
                t_data: header,
                ..Default::default()
            };
            for slot in &self.slots {
                let attnum = match slot {
                    Slot::Number { attnum, .. } | Slot::Category { attnum, .. } => *attnum,
                };
                let mut isnull = false;
                let datum = pg_sys::heap_getattr(&mut tuple, attnum, self.tupdesc, &mut isnull);
                match slot {
                    Slot::Number { conversion, term, .. } => {
                        out[*term] = if isnull {
                            match on_null(*term) {
                                Some(value) => value,
                                None => return false,
                            }
                        } else {
                            conversion.apply(datum)
                        }
                    }
                    Slot::Category { input, .. } if isnull => {
                        for term in design.term_range(*input) {
                            match on_null(term) {
                                Some(value) => out[term] = value,
                                None => return false,
                            }
                        }
                    }
                    Slot::Category { input, reader, .. } => {
                        with_level(*reader, datum, |level| {
                            design.set_level(*input, level, out, &model)
                        })
                        .or_raise();
                    }
                }
            }
            true
        }
    }

    /// `read` under a catalog model's design and missing-value rules.
    ///
    /// # Safety
    /// `header` is a valid, detoasted row datum of the row type this binding was made for.
    pub(super) unsafe fn read_for(
        &self,
        model: &LoadedModel,
        header: pg_sys::HeapTupleHeader,
        out: &mut [f64],
    ) -> bool {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            self.read(
                header,
                out,
                &model.design,
                || model.display_name(),
                |i| model.on_null(i),
            )
        }
    }

    /// The row's group key (see `cltv_core::model::groups`) into `key`.
    ///
    /// # Safety
    /// `header` is a valid, detoasted row datum of the row type this binding was made for.
    pub(super) unsafe fn read_group_key(&self, header: pg_sys::HeapTupleHeader, key: &mut String) {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            let mut tuple = pg_sys::HeapTupleData {
                t_len: pgrx::heap_tuple_header_get_datum_length(header) as u32,
                t_data: header,
                ..Default::default()
            };
            key.clear();
            for (attnum, reader) in &self.group_slots {
                let mut isnull = false;
                let datum = pg_sys::heap_getattr(&mut tuple, *attnum, self.tupdesc, &mut isnull);
                if isnull {
                    push_key_part(key, None);
                } else {
                    with_level(*reader, datum, |value| push_key_part(key, Some(value)));
                }
            }
        }
    }
}

impl LevelReader {
    /// # Safety
    /// `typid` is a valid type OID (a row type's column type).
    unsafe fn for_type(typid: pg_sys::Oid) -> LevelReader {
        // SAFETY: the caller upholds this function's contract (`# Safety` above).
        unsafe {
            match typid {
                pg_sys::TEXTOID | pg_sys::VARCHAROID => LevelReader::Text,
                pg_sys::BPCHAROID => LevelReader::Bpchar,
                typid => {
                    let (mut output, mut varlena) = (pg_sys::InvalidOid, false);
                    pg_sys::getTypeOutputInfo(typid, &mut output, &mut varlena);
                    LevelReader::Output(output)
                }
            }
        }
    }
}

/// `f` of the text of a categorical value (the bytes live in the row or in this call's
/// memory context, so only for the length of the call).
///
/// # Safety
/// `datum` is a non-NULL value of the type `reader` was made for.
unsafe fn with_level<R>(reader: LevelReader, datum: pg_sys::Datum, f: impl FnOnce(&str) -> R) -> R {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let bytes: &[u8] = match reader {
            LevelReader::Text => {
                pgrx::varlena::varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr()))
            }
            LevelReader::Bpchar => {
                let padded = pgrx::varlena::varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(
                    datum.cast_mut_ptr(),
                ));
                let end = padded.iter().rposition(|b| *b != b' ').map_or(0, |i| i + 1);
                &padded[..end]
            }
            LevelReader::Output(output) => {
                std::ffi::CStr::from_ptr(pg_sys::OidOutputFunctionCall(output, datum)).to_bytes()
            }
        };
        match std::str::from_utf8(bytes) {
            Ok(level) => f(level),
            Err(_) => f(&String::from_utf8_lossy(bytes)),
        }
    }
}

impl ScoringSite {
    /// The row's score; one that is not finite (an overflow) is an error naming the model
    /// and the row's values.
    #[inline]
    fn score(&self, horizon: Option<f64>) -> f64 {
        self.scorer()
            .score(
                &self.values,
                horizon,
                || self.model.display_name(),
                |i| self.model.features[i].clone(),
            )
            .or_raise()
    }

    /// The model's scorer, or for a model trained per group, that of the row's group.
    fn scorer(&self) -> &Scorer {
        match &self.model.groups {
            None => &self.model.scorer,
            Some(groups) => groups
                .scorer(&self.group_key, &self.model.scorer, || self.model.display_name())
                .or_raise(),
        }
    }

    fn check_finite(&self) {
        if let Some(i) = self.values.iter().position(|v| !v.is_finite()) {
            raise(Error::NonFinite {
                column: self.model.features[i].clone(),
                value: Some(self.values[i]),
                rows: 1,
            })
        }
    }
}

fn type_name(typid: pg_sys::Oid) -> String {
    // SAFETY: format_type_be takes any OID (an unknown one prints as ???) and returns a
    // palloc'd NUL-terminated string, copied out at once.
    unsafe { std::ffi::CStr::from_ptr(pg_sys::format_type_be(typid)) }
        .to_string_lossy()
        .into_owned()
}

/// Bind the row argument (number 1) of a call by name to the call site's model's
/// features; `None` when a NULL feature scores NULL under the model's missing-data policy.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of a row-scoring function: argument 0 the model as text, 1 a record, neither NULL (STRICT); no other reference to its call-site memo is alive; the result lives no longer than the call.
unsafe fn bind_values<'a>(fcinfo: pg_sys::FunctionCallInfo) -> Option<&'a ScoringSite> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let args = (*fcinfo).args.as_slice(2);
        let spec = pgrx::varlena::varlena_to_byte_slice(pg_sys::pg_detoast_datum_packed(
            args[0].value.cast_mut_ptr(),
        ));
        let site = scoring_site(fcinfo, spec);
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
        if !group_columns.is_empty() {
            binding.read_group_key(header, &mut site.group_key);
        }
        if !binding.read_for(model, header, &mut site.values) {
            return None;
        }
        site.check_finite();
        Some(site)
    }
}

/// # Safety
/// As for `bind_values`.
unsafe fn score_row<'a>(
    fcinfo: pg_sys::FunctionCallInfo,
    horizon: Option<f64>,
) -> Option<(f64, &'a ScoringSite)> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe { bind_values(fcinfo).map(|site| (site.score(horizon), site)) }
}

/// Argument `n` of the call, a float8.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call, which has at least `n + 1`
/// arguments, argument `n` a non-NULL float8.
unsafe fn float8_arg(fcinfo: pg_sys::FunctionCallInfo, n: usize) -> f64 {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe { f64::from_bits((*fcinfo).args.as_slice(n + 1)[n].value.value() as u64) }
}

/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call.
unsafe fn return_float8(fcinfo: pg_sys::FunctionCallInfo, value: Option<f64>) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        match value {
            Some(v) => pg_sys::Datum::from(v.to_bits() as usize),
            None => set_null(fcinfo),
        }
    }
}

v1_function_info!(pg_finfo_cltv_predict_horizon_row);

/// `cltv_predict(model, row, horizon)`: a BG/NBD model's expected purchases in the next
/// `horizon` time units (the unit the model was fitted in).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_predict_horizon_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let horizon = float8_arg(fcinfo, 2);
        return_float8(fcinfo, score_row(fcinfo, Some(horizon)).map(|(score, _)| score))
    }
}

v1_function_info!(pg_finfo_cltv_p_alive_row);

/// `cltv_p_alive(model, row)`: a BG/NBD model's probability that the customer is alive.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_p_alive_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let p_alive = bind_values(fcinfo).map(|site| {
            let p = site.model.scorer.p_alive(&site.values).or_raise();
            check_score(
                p,
                "P(alive)",
                || site.model.display_name(),
                |i| site.model.features[i].clone(),
                &site.values,
            )
            .or_raise()
        });
        return_float8(fcinfo, p_alive)
    }
}

/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call.
unsafe fn set_null(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        (*fcinfo).isnull = true;
        pg_sys::Datum::from(0usize)
    }
}

v1_function_info!(pg_finfo_cltv_predict_row);

/// Score a row with a catalog model, binding its columns to the model's features by name.
///
/// Declared over `record` (not `anyelement`), so that arrays of any numeric type resolve
/// unambiguously to the positional `cltv_predict(text, float8[])`.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_predict_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe { return_float8(fcinfo, score_row(fcinfo, None).map(|(score, _)| score)) }
}

/// The class of a probability: an error for models that do not predict one.
fn classify(score: f64, site: &ScoringSite, threshold: f64) -> bool {
    let kind = site.model.scorer.kind();
    if kind != ModelKind::Logistic {
        raise(Error::InvalidArgument {
            what: format!("model \"{}\"", site.model.display_name()),
            reason: format!(
                "is a {} model; cltv_predict_class needs a logistic one",
                kind.as_str()
            ),
        })
    }
    if !(0.0..=1.0).contains(&threshold) {
        raise(Error::InvalidArgument {
            what: format!("threshold {threshold}"),
            reason: "must be between 0 and 1".into(),
        })
    }
    score >= threshold
}

v1_function_info!(pg_finfo_cltv_segment_row);

/// `cltv_segment(model, row)`: the row's tier, from the cut points the model's training
/// predictions set (quantiles and labels stored with the version).
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_segment_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let Some((score, site)) = score_row(fcinfo, None) else {
            return set_null(fcinfo);
        };
        let Some(segments) = &site.model.segments else {
            raise(Error::Unsupported {
            what: format!("cltv_segment with model \"{}\"", site.model.display_name()),
            hint: "Value segments come with linear and logistic versions trained by cltv 0.2.0 or later: retrain the model.".into(),
        })
        };
        segments
            .label_of(score)
            .to_string()
            .into_datum()
            .expect("a text datum")
    }
}

v1_function_info!(pg_finfo_cltv_predict_class_row);

/// `cltv_predict_class(model, row, threshold)`: P(y = 1) >= threshold.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_predict_class_row(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let threshold = float8_arg(fcinfo, 2);
        match score_row(fcinfo, None) {
            Some((score, site)) => pg_sys::Datum::from(classify(score, site, threshold)),
            None => set_null(fcinfo),
        }
    }
}

extension_sql_file!("../../sql/predict_row.sql", name = "predict_row");

fn not_a_vector() -> Error {
    Error::InvalidArgument {
        what: "feature array".into(),
        reason: "must be one-dimensional".into(),
    }
}

/// Positional scoring with a catalog model: `x` in the model's feature order.
#[pg_extern(stable, parallel_safe, name = "cltv_predict")]
fn cltv_predict_array(model: &str, x: Vec<Option<f64>>, fcinfo: pg_sys::FunctionCallInfo) -> Option<f64> {
    score_array(model, x, fcinfo).map(|(score, _)| score)
}

/// Positional `cltv_predict_class`.
#[pg_extern(stable, parallel_safe, name = "cltv_predict_class")]
fn cltv_predict_class_array(
    model: &str,
    x: Vec<Option<f64>>,
    threshold: default!(f64, 0.5),
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<bool> {
    score_array(model, x, fcinfo).map(|(score, site)| classify(score, site, threshold))
}

fn score_array<'a>(
    model: &str,
    x: Vec<Option<f64>>,
    fcinfo: pg_sys::FunctionCallInfo,
) -> Option<(f64, &'a ScoringSite)> {
    // SAFETY: pgrx passes the `fcinfo` of the current call; the site is used only within it.
    let site = unsafe { scoring_site(fcinfo, model.as_bytes()) };
    if site.model.groups.is_some() {
        raise(Error::Unsupported {
            what: format!(
                "scoring model \"{}\", trained per group, from an array",
                site.model.display_name()
            ),
            hint: "Score it with a row, cltv_predict(model, row), so that it can read the group columns."
                .into(),
        })
    }
    site.model.scorer.check_len(x.len()).or_raise();
    for (i, v) in x.into_iter().enumerate() {
        site.values[i] = match v {
            Some(v) => v,
            None => site.model.on_null(i)?,
        };
    }
    site.check_finite();
    Some((site.score(None), site))
}

v1_function_info!(pg_finfo_cltv_predict_fit);

/// Score with the result of the `cltv_linreg` aggregate (no catalog involved).
///
/// Written against the raw calling convention so that the jsonb is compared as bytes per
/// row and parsed only when it changes (e.g. once per group), not converted every row.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_predict_fit(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        // Declared STRICT: neither argument is NULL here.
        let args = (*fcinfo).args.as_slice(2);
        let fit = pg_sys::pg_detoast_datum_packed(args[0].value.cast_mut_ptr());
        let fit_bytes = pgrx::varlena::varlena_to_byte_slice(fit);
        // Parsed once per distinct fit (e.g. once per group), not per row.
        let scorer = CallSite::<Scorer>::of(fcinfo).get_or_make(&[fit_bytes], || {
            let json = JsonbArg::from_polymorphic_datum(args[0].value, false, pg_sys::JSONBOID)
                .unwrap_or_else(|| raise(not_a_vector()))
                .value("fit");
            scorer_from_fit(&json)
        });
        let x = match Float8Array::from_datum(args[1].value) {
            Ok(x) => x,
            Err(Float8ArrayIssue::NotOneDimensional) => raise(not_a_vector()),
            Err(Float8ArrayIssue::HasNulls) => {
                (*fcinfo).isnull = true;
                return pg_sys::Datum::from(0usize);
            }
        };
        let x = x.as_slice();
        scorer.check_len(x.len()).or_raise();
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            raise(Error::NonFinite {
                column: format!("x[{}]", i + 1),
                value: Some(x[i]),
                rows: 1,
            })
        }
        let score = scorer
            .score(
                x,
                None,
                || "the cltv_linreg fit".into(),
                |i| format!("x[{}]", i + 1),
            )
            .or_raise();
        pg_sys::Datum::from(score.to_bits() as usize)
    }
}

extension_sql_file!("../../sql/predict_fit.sql", name = "predict_fit");

fn scorer_from_fit(fit: &serde_json::Value) -> Scorer {
    let estimate: Option<Vec<f64>> = fit
        .get("estimate")
        .and_then(|e| serde_json::from_value(e.clone()).ok());
    let kind = fit.get("kind").and_then(|k| k.as_str()).map(ModelKind::parse);
    match (kind, estimate) {
        (Some(Ok(kind)), Some(estimate)) => Scorer::new(kind, &estimate).or_raise(),
        _ => raise(Error::InvalidArgument {
            what: "fit".into(),
            reason: "is not a fit returned by a cltv aggregate (needs \"kind\" and an \"estimate\" array)"
                .into(),
        }),
    }
}
