//! `cltv_options(kind)`: every option of `cltv_train`, from the table its parser validates
//! against (`cltv_core::model::options::OPTIONS`), so the documentation cannot drift from what
//! training accepts.

use crate::error::OrRaise;
use cltv_core::model::options::OptionSpec;
use cltv_core::model::scoring::ModelKind;
use pgrx::prelude::*;

/// Every option `cltv_train` accepts for `kind` (all of them for NULL): its name, the
/// kinds that take it, its JSON type, its default (JSON text for that kind; NULL when the
/// default is no value) and what it does. STABLE, not IMMUTABLE: it is what the installed
/// library accepts, which an update of the library may change.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn cltv_options(
    kind: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(option, String),
        name!(kinds, Vec<String>),
        name!(value_type, String),
        name!(default_value, Option<String>),
        name!(description, String),
    ),
> {
    let kind = kind.map(|k| ModelKind::parse(k).or_raise());
    let rows: Vec<_> = OptionSpec::for_kind(kind)
        .map(|o| {
            (
                o.name.to_string(),
                o.kinds.iter().map(|k| k.as_str().to_string()).collect(),
                o.value_type.to_string(),
                o.default_for(kind).map(str::to_string),
                o.description.to_string(),
            )
        })
        .collect();
    TableIterator::new(rows)
}
