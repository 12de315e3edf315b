//! `cltv_rfm`: per-customer RFM summaries (frequency, recency, T, monetary value, and the
//! holdout's purchases) of an orders table, with the conventions of `cltv_core::rfm`.

use crate::error::{raise, OrRaise};
use crate::sql_api::quote_ident;
use cltv_core::error::Error;
use cltv_core::rfm::{summarize, RfmOptions};
use pgrx::datum::{Date, Interval};
use pgrx::prelude::*;
use pgrx::PgRelation;

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
    source: PgRelation,
    customer_column: &str,
    date_column: &str,
    amount_column: &str,
    calibration_end: Date,
    holdout_end: default!(Option<Date>, "NULL"),
    unit: default!(Interval, "'1 week'"),
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
    let rows = Spi::connect(|client| {
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
                            count(*) FILTER (WHERE {amount} < 0)
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
        for row in client.select(&query, None, &[])? {
            let customer = row.get::<String>(1)?.unwrap_or_default();
            if current.as_deref() != Some(customer.as_str()) {
                flush(current.replace(customer), &mut days);
            }
            days.push((row.get::<f64>(2)?.unwrap_or(f64::NAN), row.get::<f64>(3)?.unwrap_or(0.0)));
        }
        flush(current, &mut days);
        Ok::<_, pgrx::spi::SpiError>(summaries)
    })
    .unwrap_or_else(|e| raise(Error::Internal { reason: format!("summarising orders: {e}") }));
    TableIterator::new(rows)
}
