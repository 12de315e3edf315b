//! `cltv_rfm`: per-customer RFM summaries (frequency, recency, T, monetary value, and the
//! holdout's purchases) of an orders table, with the conventions of `cltv_core::fit::rfm`.

use super::agg_state::{aggregate_context, arg, combine, read_state, writable_state};
use super::v1_function_info;
use crate::error::{raise, OrRaise};
use crate::float8_array::Float8Array;
use crate::sql_api::{quote_ident, required};
use cltv_core::error::Error;
use cltv_core::fit::rfm::{
    rfm_check_header, rfm_merge_states, rfm_parse_state, rfm_push_in_place, rfm_state_final,
    rfm_state_header, summarize, RfmOptions, RFM_STATE_HEADER_LEN,
};
use pgrx::datum::{Date, FromDatum, Interval};
use pgrx::heap_tuple::PgHeapTuple;
use pgrx::prelude::*;
use pgrx::{AllocatedByRust, PgRelation};

type Summary = (String, f64, f64, f64, f64, Option<f64>, Option<f64>);

/// One row per customer whose first purchase falls on or before `calibration_end`.
///
/// Purchases on one day count as one purchase with the day's total spend; a purchase on
/// `calibration_end` is in calibration; the holdout is (calibration_end, holdout_end];
/// later purchases are ignored. Times are in units of `unit` (default one week).
/// NULL dates or amounts and negative amounts are errors that count them.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_restricted)]
fn cltv_rfm(
    source: Option<PgRelation>,
    customer_column: Option<&str>,
    date_column: Option<&str>,
    amount_column: Option<&str>,
    calibration_end: Option<Date>,
    holdout_end: default!(Option<Date>, "NULL"),
    unit: default!(Option<Interval>, "'1 week'"),
) -> TableIterator<
    'static,
    (
        name!(customer, String),
        name!(frequency, f64),
        name!(recency, f64),
        name!(t, f64),
        name!(monetary_value, f64),
        name!(holdout_frequency, Option<f64>),
        name!(holdout_spend, Option<f64>),
    ),
> {
    // Not STRICT (holdout_end may be NULL), so NULLs are checked here.
    let source = required(source, "cltv_rfm", "source");
    let customer_column = required(customer_column, "cltv_rfm", "customer_column");
    let date_column = required(date_column, "cltv_rfm", "date_column");
    let amount_column = required(amount_column, "cltv_rfm", "amount_column");
    let calibration_end = required(calibration_end, "cltv_rfm", "calibration_end");
    // A NULL unit is the default unit, as in cltv_rfm_agg.
    let unit = unit.unwrap_or_else(|| Interval::from_days(7));
    let calibration_day = finite_day(calibration_end.to_pg_epoch_days(), "calibration_end");
    let holdout_day = holdout_end.map(|d| finite_day(d.to_pg_epoch_days(), "holdout_end"));
    let from = format!(
        "{}.{} AS o",
        quote_ident(source.namespace()),
        quote_ident(source.name())
    );
    let (customer, date, amount) = (
        format!("o.{}", quote_ident(customer_column)),
        format!("o.{}::date", quote_ident(date_column)),
        format!("o.{}::float8", quote_ident(amount_column)),
    );
    let source_name = format!("{}.{}", source.namespace(), source.name());
    // Each named column exists, or an error names it and the relation (with a near miss),
    // before any query: PostgreSQL's own would name the query's alias instead.
    let columns: Vec<String> = source
        .tuple_desc()
        .iter()
        .filter(|a| !a.is_dropped())
        .map(|a| a.name().to_string())
        .collect();
    for column in [customer_column, date_column, amount_column] {
        if !columns.iter().any(|c| c == column) {
            raise(Error::UndefinedColumn {
                relation: source_name.clone(),
                column: column.to_string(),
                suggestion: cltv_core::suggest::nearest(column, columns.iter().map(String::as_str))
                    .map(str::to_string),
            })
        }
    }
    check_rfm_dates(calibration_day, holdout_day);
    check_unit(&unit);
    let rows = crate::trusted_sql::pinned(|| {
        Spi::connect(|client| {
        // Day numbers and the unit in days, computed by PostgreSQL's own date arithmetic.
        let settings = client
            .select(
                "SELECT ($1::date - DATE '1970-01-01')::float8, ($2::date - DATE '1970-01-01')::float8,
                        extract(epoch FROM $3::interval)::float8 / 86400",
                None,
                &[calibration_end.into(), holdout_end.into(), unit.into()],
            )?
            .first();
        let opts = RfmOptions {
            calibration_end: settings.get::<f64>(1)?.unwrap_or(f64::NAN),
            holdout_end: settings.get::<f64>(2)?,
            unit_days: settings.get::<f64>(3)?.unwrap_or(f64::NAN),
        };
        let checks = client
            .select(
                &format!(
                    "SELECT count(*), count(*) FILTER (WHERE {date} IS NULL OR {amount} IS NULL),
                            count(*) FILTER (WHERE {amount} < 0),
                            count(*) FILTER (WHERE NOT isfinite({date})), min({date}::text) FILTER (WHERE NOT isfinite({date}))
                       FROM {from} WHERE {customer} IS NOT NULL"
                ),
                None,
                &[],
            )?
            .first();
        let (n, n_null, n_negative) = (
            checks.get::<i64>(1)?.unwrap_or(0),
            checks.get::<i64>(2)?.unwrap_or(0),
            checks.get::<i64>(3)?.unwrap_or(0),
        );
        if n == 0 {
            raise(Error::EmptyInput { source: source_name.clone() })
        }
        let n_infinite = checks.get::<i64>(4)?.unwrap_or(0);
        if n_infinite > 0 {
            raise(Error::InfiniteDate {
                what: format!("column \"{date_column}\" ({n_infinite} row(s))"),
                value: checks.get::<String>(5)?.unwrap_or_else(|| "infinity".into()),
            })
        }
        if n_null > 0 {
            raise(Error::NullValues {
                column: None,
                rows: n_null as u64,
                detail: Some(format!("Orders need a date ({date_column}) and an amount ({amount_column}).")),
            })
        }
        if n_negative > 0 {
            raise(Error::InvalidArgument {
                what: format!("column \"{amount_column}\""),
                reason: format!(
                    "has {n_negative} negative amount(s); returns are not purchases: filter them out or net them first"
                ),
            })
        }
        let query = format!(
            "SELECT {customer}::text, ({date} - DATE '1970-01-01')::float8, sum({amount})
               FROM {from} WHERE {customer} IS NOT NULL
              GROUP BY 1, 2 ORDER BY 1, 2"
        );
        let mut summaries: Vec<Summary> = Vec::new();
        let mut current: Option<String> = None;
        let mut days: Vec<(f64, f64)> = Vec::new();
        let mut flush = |customer: Option<String>, days: &mut Vec<(f64, f64)>| {
            if let Some(customer) = customer {
                if let Some(s) = summarize(days, &opts).or_raise() {
                    summaries.push((
                        customer,
                        s.frequency,
                        s.recency,
                        s.t,
                        s.monetary_value,
                        s.holdout_frequency,
                        s.holdout_spend,
                    ));
                }
            }
            days.clear();
        };
        for (i, row) in client.select(&query, None, &[])?.enumerate() {
            if i % 1024 == 0 {
                pg_sys::check_for_interrupts!();
            }
            let customer = row.get::<String>(1)?.unwrap_or_default();
            if current.as_deref() != Some(customer.as_str()) {
                flush(current.replace(customer), &mut days);
            }
            days.push((row.get::<f64>(2)?.unwrap_or(f64::NAN), row.get::<f64>(3)?.unwrap_or(0.0)));
        }
        flush(current, &mut days);
        Ok::<_, pgrx::spi::SpiError>(summaries)
    })
    .unwrap_or_else(|e| raise(Error::Internal { reason: format!("summarising orders: {e}") }))
    });
    TableIterator::new(rows)
}

// ---------------------------------------------------------------------------------------
// The aggregate form: `cltv_rfm_agg(order_date, amount, calibration_end, holdout_end, unit)`
// under `GROUP BY customer`, parallel with a combine function.
//
// State: `[tag, calibration_end, holdout_end (NaN: none), unit_days, pairs, day₁, spend₁, …]`
// with room to spare (see `cltv_core::fit::rfm::rfm_state_header`); days are PostgreSQL day
// numbers (days since 2000-01-01).

const RFM_HEADER: usize = RFM_STATE_HEADER_LEN;
const PAIRS_AT: usize = RFM_STATE_HEADER_LEN - 1;

/// # Safety
/// CurrentMemoryContext outlives every use of the state (the call's, or the aggregate's).
unsafe fn rfm_state_with_room<'mem>(header: &[f64], pairs: &[f64], room_pairs: usize) -> Float8Array<'mem> {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let capacity = room_pairs.max(8);
        let mut state = Float8Array::alloc_in(pg_sys::CurrentMemoryContext, RFM_HEADER + 2 * capacity);
        let values = state.as_mut_slice();
        values[..PAIRS_AT].copy_from_slice(&header[..PAIRS_AT]);
        values[PAIRS_AT] = (pairs.len() / 2) as f64;
        values[RFM_HEADER..RFM_HEADER + pairs.len()].copy_from_slice(pairs);
        state
    }
}

/// A day number as PostgreSQL spells the date.
fn show_day(day: f64) -> String {
    if day.fract() == 0.0 && day.abs() < 1e8 {
        // SAFETY: any day number is a date value (a finite one, below 1e8 days).
        unsafe { Date::from_pg_epoch_days(day as i32) }.to_string()
    } else {
        format!("day {day}")
    }
}

/// A date argument or column value as a day number; infinite dates are refused.
fn finite_day(day: i32, what: &str) -> i32 {
    if day == i32::MAX || day == i32::MIN {
        raise(Error::InfiniteDate {
            what: what.into(),
            value: if day == i32::MAX { "infinity" } else { "-infinity" }.into(),
        })
    }
    day
}

/// The constant arguments of this row, as the state's header keeps them: day numbers and
/// the unit in days.
///
/// # Safety
/// `fcinfo` is the valid FunctionCallInfo of the current call of `cltv_rfm_agg`'s transition: arguments 3 and 4 dates, 5 an interval, each possibly NULL.
unsafe fn rfm_header(fcinfo: pg_sys::FunctionCallInfo) -> [f64; RFM_STATE_HEADER_LEN] {
    // SAFETY: the caller upholds this function's contract (`# Safety` above).
    unsafe {
        let date_arg = |n: usize| arg(fcinfo, n).map(|d| d.value() as i32);
        let Some(calibration_end) = date_arg(3) else {
            raise(Error::NullArgument {
                function: "cltv_rfm_agg".into(),
                argument: "calibration_end".into(),
            })
        };
        let calibration_end = finite_day(calibration_end, "calibration_end");
        let holdout_end = date_arg(4).map(|d| finite_day(d, "holdout_end"));
        let unit = arg(fcinfo, 5)
            .and_then(|d| Interval::from_polymorphic_datum(d, false, pg_sys::INTERVALOID))
            .unwrap_or_else(|| Interval::from_days(7));
        check_rfm_dates(calibration_end, holdout_end);
        let unit_days = check_unit(&unit);
        rfm_state_header(&RfmOptions {
            calibration_end: calibration_end as f64,
            holdout_end: holdout_end.map(|d| d as f64),
            unit_days,
        })
        .or_raise()
    }
}

/// This row's constant arguments against the state's: they must not change within a group.
fn check_unchanged(kept: &[f64], now: &[f64]) {
    let names = ["tag", "calibration_end", "holdout_end", "unit"];
    for i in 1..PAIRS_AT {
        if kept[i].to_bits() != now[i].to_bits() {
            let show = |v: f64| match i {
                3 => format!("{v} day(s)"),
                _ if v.is_nan() => "NULL".to_string(),
                _ => show_day(v),
            };
            raise(Error::ArgumentChanged {
                argument: names[i].into(),
                first: show(kept[i]),
                now: show(now[i]),
            })
        }
    }
}

fn interval_days(unit: &Interval) -> f64 {
    // As extract(epoch FROM interval) / 86400: a month is 30 days, a year 365.25.
    let months = unit.months() as f64;
    let years = (months / 12.0).trunc();
    (years * 365.25 + (months - years * 12.0) * 30.0) + unit.days() as f64 + unit.micros() as f64 / 86_400e6
}

/// The unit in days; it must be a positive length of time.
fn check_unit(unit: &Interval) -> f64 {
    let days = interval_days(unit);
    if !(days > 0.0 && days.is_finite()) {
        raise(Error::InvalidArgument {
            what: format!("unit '{unit}'"),
            reason: "must be a positive interval, such as '1 week' or '1 day'".into(),
        })
    }
    days
}

/// A holdout that ends before calibration is an error that shows both dates.
fn check_rfm_dates(calibration_end: i32, holdout_end: Option<i32>) {
    if let Some(holdout_end) = holdout_end {
        if holdout_end < calibration_end {
            // SAFETY: any day number is a date value (these were checked finite).
            let show = |day: i32| -> String { unsafe { Date::from_pg_epoch_days(day) }.to_string() };
            raise(Error::InvalidArgument {
                what: format!("holdout_end {}", show(holdout_end)),
                reason: format!(
                    "is before calibration_end {}; the holdout is the period after calibration",
                    show(calibration_end)
                ),
            })
        }
    }
}

v1_function_info!(pg_finfo_cltv_rfm_sfunc);

/// Transition: one order `(order_date, amount)` into its customer's purchase days.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_rfm_sfunc(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let agg_context = aggregate_context(fcinfo);
        // The constant arguments are checked on every row: the first row's are kept in the
        // state, and a row whose differ is an error.
        let header = rfm_header(fcinfo);
        let mut state = match arg(fcinfo, 0) {
            Some(datum) => {
                let state = writable_state(datum, agg_context);
                rfm_check_header(state.as_slice()).or_raise();
                check_unchanged(state.as_slice(), &header);
                state
            }
            None => rfm_state_with_room(&header, &[], 8),
        };
        let (Some(day), Some(amount)) = (arg(fcinfo, 1), arg(fcinfo, 2)) else {
            raise(Error::NullValues {
                column: None,
                rows: 1,
                detail: Some(
                    "cltv_rfm_agg needs a date and an amount for every order; filter NULLs out first.".into(),
                ),
            })
        };
        let day = finite_day(day.value() as i32, "order_date") as f64;
        let amount = f64::from_bits(amount.value() as u64);
        if amount < 0.0 {
            raise(Error::InvalidArgument {
                what: format!("amount {amount}"),
                reason: "is negative; returns are not purchases: filter them out or net them first".into(),
            })
        }
        let mut used = state.as_slice()[PAIRS_AT] as usize;
        if RFM_HEADER + 2 * (used + 1) > state.len() {
            let values = state.as_slice();
            state = rfm_state_with_room(values, &values[RFM_HEADER..RFM_HEADER + 2 * used], 2 * used);
        }
        let values = state.as_mut_slice();
        used = rfm_push_in_place(&mut values[RFM_HEADER..], used, day, amount).or_raise();
        values[PAIRS_AT] = used as f64;
        state.into_datum()
    }
}

v1_function_info!(pg_finfo_cltv_rfm_combine);

/// Combine: the sorted union of two partial states' days.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_rfm_combine(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        if let Some(theirs) = arg(fcinfo, 1) {
            // A lone partial state is copied as it is: check it first.
            rfm_parse_state(read_state(theirs).as_slice()).or_raise();
        }
        combine(fcinfo, |ours, theirs| {
            let (a, b) = (ours.as_slice(), theirs.as_slice());
            let (_, merged) = rfm_merge_states(a, b, show_day).or_raise();
            rfm_state_with_room(a, &merged, merged.len() / 2)
        })
    }
}

v1_function_info!(pg_finfo_cltv_rfm_final);

/// Final: the customer's summary, or NULL if they made no purchase by calibration_end.
#[pg_guard]
#[unsafe(no_mangle)]
pub unsafe extern "C-unwind" fn cltv_rfm_final(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum {
    // SAFETY: PostgreSQL calls this V1 function with the `fcinfo` of a call that matches
    // its CREATE FUNCTION, valid for the whole call.
    unsafe {
        let null = |fcinfo: pg_sys::FunctionCallInfo| {
            (*fcinfo).isnull = true;
            pg_sys::Datum::from(0usize)
        };
        let Some(state) = arg(fcinfo, 0) else {
            return null(fcinfo);
        };
        let state = read_state(state);
        let Some(summary) = rfm_state_final(state.as_slice()).or_raise() else {
            return null(fcinfo);
        };
        let type_oid = pg_sys::get_func_rettype((*(*fcinfo).flinfo).fn_oid);
        let mut tuple = PgHeapTuple::new_composite_type_by_oid(type_oid).unwrap_or_else(|e| {
            raise(Error::Internal {
                reason: format!("the cltv_rfm_summary type: {e}"),
            })
        });
        let set = |tuple: &mut PgHeapTuple<'_, AllocatedByRust>, name: &str, value: Option<f64>| {
            tuple.set_by_name(name, value).unwrap_or_else(|e| {
                raise(Error::Internal {
                    reason: format!("cltv_rfm_summary.{name}: {e}"),
                })
            })
        };
        set(&mut tuple, "frequency", Some(summary.frequency));
        set(&mut tuple, "recency", Some(summary.recency));
        set(&mut tuple, "t", Some(summary.t));
        set(&mut tuple, "monetary_value", Some(summary.monetary_value));
        set(&mut tuple, "holdout_frequency", summary.holdout_frequency);
        set(&mut tuple, "holdout_spend", summary.holdout_spend);
        tuple.into_composite_datum().unwrap_or_else(|| {
            raise(Error::Internal {
                reason: "the cltv_rfm_summary could not be made a datum".into(),
            })
        })
    }
}

extension_sql_file!("../../sql/rfm_aggregate.sql", name = "rfm_aggregate");
