//! The one error type of cltv. Every variant maps to a PostgreSQL SQLSTATE so
//! the SQL layer can `ereport` it without a translation table of its own.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// No model of that name (or no such version) in the catalog. `known_versions` lists
    /// the versions the model does have, if the name exists.
    /// `suggestion` is a visible model whose name is a near miss.
    UnknownModel {
        model: String,
        known_versions: Vec<i32>,
        suggestion: Option<String>,
    },
    /// A column named in a model spec does not exist in the relation; `suggestion` is a
    /// column whose name is a near miss (see [`crate::suggest::nearest`]).
    UndefinedColumn {
        relation: String,
        column: String,
        suggestion: Option<String>,
    },
    /// A row being scored by `models` lacks the columns `missing`; `row` says what the
    /// models read and what the row has.
    MissingFeatures {
        models: Vec<String>,
        missing: Vec<String>,
        row: Box<RowColumns>,
    },
    /// A missing-value policy of `"missing_by_feature"` that imputes a number (mean, median,
    /// zero) named for a text or enum column, whose imputation is `"most_frequent"`.
    NumberPolicyOnText {
        column: String,
        policy: String,
        type_name: String,
    },
    /// A query string passed where a relation name is expected (`source` of cltv_train or
    /// cltv_evaluate).
    QueryAsSource { function: String, source: String },
    /// A feature or target column whose type cannot be read as float8.
    NonNumericColumn { column: String, type_name: String },
    /// Rows with NULL in a used column, while missing-value policy is "error".
    /// `column` is `None` when the rows were only counted, not attributed.
    NullValues {
        column: Option<String>,
        rows: u64,
        detail: Option<String>,
    },
    /// A row being scored has NULL in a feature of a model trained with "missing": "error".
    NullFeature { model: String, feature: String },
    /// NaN or ±Infinity in a used column; `value` is an example, when one is known.
    NonFinite {
        column: String,
        value: Option<f64>,
        rows: u64,
    },
    /// The input produced no usable rows.
    EmptyInput { source: String },
    /// Not enough rows to estimate the model: `n` rows for `p` features,
    /// `needed` is the minimum.
    TooFewRows { n: u64, p: usize, needed: u64 },
    /// A feature with (numerically) zero variance.
    ConstantFeature { feature: String },
    /// A feature that is (numerically) a linear combination of others.
    Collinear {
        feature: String,
        depends_on: Vec<String>,
    },
    /// An array argument (a feature array, feature names) of the wrong length.
    WrongArrayLength { expected: usize, got: usize },
    /// A bad key or value in an options object.
    InvalidOption { key: String, reason: String },
    /// An aggregate state array that fails validation.
    CorruptState { reason: String },
    /// A stored model that fails validation when it is loaded.
    CorruptModel { reason: String },
    /// Any other bad argument value.
    InvalidArgument { what: String, reason: String },
    /// The data overflowed double precision (e.g. squares of values near 1e200).
    NumericOverflow { what: String },
    /// A customer summary a BTYD model cannot take (negative recency, recency > T, a
    /// non-integer frequency, a non-positive mean spend, …); `values` are the offending
    /// summary's fields and values, in the order the model reads them.
    InvalidCustomerSummary {
        model: String,
        values: Vec<(String, f64)>,
        reason: String,
    },
    /// No customer of the input made a repeat purchase (every frequency is 0), so the model
    /// has nothing to estimate from. `customers` is the (weighted) number of customers.
    NoRepeatPurchases { model: String, customers: f64 },
    /// Fewer distinct customer summaries than the model has parameters.
    TooFewCustomers {
        model: String,
        distinct: u64,
        needed: u64,
    },
    /// The likelihood keeps increasing as a parameter runs off to 0 or infinity: there is
    /// no finite maximum-likelihood estimate. `value` is where the parameter was when the
    /// fit gave up.
    ModelNotIdentified {
        model: String,
        parameter: String,
        value: f64,
    },
    /// A failure that is not the caller's input: a catalog query that failed.
    Internal { reason: String },
    /// Logistic regression: every training row has the same target value `class`.
    SingleClass { class: bool, n: u64 },
    /// Logistic regression: the classes are (quasi-)completely separated, so the
    /// maximum-likelihood estimate does not exist (coefficients diverge). `feature` is a
    /// single feature that separates them on its own, when one does; `quasi` when its
    /// values among the two classes touch at one value instead of not overlapping at all.
    Separation {
        feature: Option<String>,
        quasi: bool,
        detail: Option<String>,
    },
    /// An iterative fit stopped at its iteration limit; `last_change` is the last change
    /// in the (penalised) log-likelihood, NaN if unknown.
    NotConverged { iterations: u32, last_change: f64 },
    /// Logistic regression: the target has values other than 0 and 1 (`example` is one).
    NonBinaryTarget { column: String, example: f64, rows: u64 },
    /// A month length that does not fit the time unit a BTYD model was fitted in (the
    /// classic days-versus-weeks mix-up).
    /// The caller may not change a model someone else owns.
    NotModelOwner {
        model: String,
        owner: String,
        action: String,
    },
    /// Something cltv does not do (yet), with what to do instead.
    Unsupported { what: String, hint: String },
    /// pg_cron is needed and not there.
    PgCronMissing { reason: String },
    /// pg_cron runs in another database (`cron.database_name`): the schedule must be made
    /// there, with `command`, which runs the retrain in this one.
    PgCronElsewhere {
        model: String,
        cron_database: String,
        command: String,
    },
    /// cltv_rollback with no earlier deployment to return to.
    NothingToRollBack { model: String },
    TimeUnitMismatch {
        model: String,
        time_unit: String,
        month_in_units: f64,
        expected: f64,
    },
    /// A categorical feature with more levels (after folding rare ones) than
    /// `max_categories`; `distinct` is its number of distinct training values.
    TooManyCategories {
        column: String,
        count: usize,
        distinct: usize,
        max: usize,
    },
    /// A row being scored has a level of a categorical feature that training never saw,
    /// under `"unseen": "error"`; `known` are the training levels.
    UnseenLevel {
        model: String,
        column: String,
        level: String,
        known: Vec<String>,
    },
    /// A row being scored by a model trained per group belongs to no trained group, under
    /// `"group_fallback": "error"`.
    UnknownGroup { model: String, group: String },
    /// One group of a `"group_by"` fit failed: the error, with the group it happened in.
    InGroup { group: String, error: Box<Error> },
    /// A `"group_by"` training whose columns form more groups than `max_groups`; `count`
    /// is the number of groups (training and test rows).
    TooManyGroups {
        columns: Vec<String>,
        count: u64,
        max: u64,
    },
    /// A document to store with a model (its fit, preprocessing, metrics) is larger than
    /// [`crate::limits::MAX_DOCUMENT_BYTES`]; `estimated` when the size was extrapolated
    /// (from the first group of a grouped fit) before the document was built.
    DocumentTooLarge {
        model: String,
        bytes: u64,
        max: u64,
        estimated: bool,
    },
    /// An in-memory training path needs more memory than the `cltv.max_training_memory`
    /// setting allows: `bytes` (estimated) for `rows` rows of `what`; `hint` says what
    /// else to do than raising the setting.
    MemoryLimit {
        what: String,
        rows: u64,
        bytes: u64,
        limit: u64,
        hint: String,
    },
    /// An allocation of `bytes` for `what` failed: the server is out of memory.
    OutOfMemory { what: String, bytes: u64 },
    /// The model exists, but the caller neither owns it nor was granted it.
    ModelNotGranted { model: String },
    /// A role named to cltv_grant / cltv_revoke that does not exist.
    UnknownRole { role: String },
    /// cltv_retrain on a version whose stored call came with an import and was not
    /// confirmed by the model's owner: its source may be anyone's view.
    UntrustedSource {
        model: String,
        version: i32,
        source: String,
    },
    /// The model was dropped by another session while this call was changing it.
    ModelDroppedConcurrently { model: String },
    /// A required argument of a SQL function is NULL.
    NullArgument { function: String, argument: String },
    /// An aggregate argument that must be the same for every row (and every partial state)
    /// changed: `first` is the value the aggregate began with, `now` the differing one.
    ArgumentChanged {
        argument: String,
        first: String,
        now: String,
    },
    /// An infinite date (`infinity` or `-infinity`) where a day is needed; `what` names the
    /// argument or column, `value` is the date as PostgreSQL spells it.
    InfiniteDate { what: String, value: String },
    /// Scoring a row of finite values gave ±Infinity or NaN: the arithmetic overflowed
    /// double precision (x = 1.7e308 times a coefficient of 2), or the model has no finite
    /// value there. `what` is the quantity ("prediction", "log-odds", "CLV", …), `inputs`
    /// the row's values the model read, by name.
    NonFiniteScore {
        model: String,
        what: String,
        value: f64,
        inputs: Vec<(String, f64)>,
    },
    /// A categorical column has a real level named like the bucket `"min_frequency"`
    /// folds rare levels into, and rare levels to fold: the two would merge silently.
    FoldedLevelCollision {
        column: String,
        level: String,
        folded: usize,
    },
    /// A model with more terms (numeric features plus one per categorical level but the
    /// reference) than training can build its queries for.
    TooManyTerms {
        kind: String,
        terms: usize,
        max: usize,
        categorical_levels: usize,
    },
}

/// The columns behind an [`Error::MissingFeatures`].
#[derive(Debug, Clone, PartialEq)]
pub struct RowColumns {
    /// The row's type (`record` for a row built in the query).
    pub row_type: String,
    /// What the models read: their input and group columns.
    pub needed: Vec<String>,
    /// The row's columns.
    pub has: Vec<String>,
    /// A near miss for the first missing column among the row's columns.
    pub suggestion: Option<String>,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// Five-character SQLSTATE.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            Error::UnknownModel { .. } => "42704", // undefined_object
            Error::UndefinedColumn { .. } | Error::MissingFeatures { .. } => "42703", // undefined_column
            Error::QueryAsSource { .. } => "42602", // invalid_name, as regclass input says of it
            Error::NonNumericColumn { .. } => "42804", // datatype_mismatch
            Error::NullValues { .. } | Error::NullFeature { .. } => "22004", // null_value_not_allowed
            Error::NonFinite { .. }
            | Error::EmptyInput { .. }
            | Error::TooFewRows { .. }
            | Error::ConstantFeature { .. }
            | Error::Collinear { .. }
            | Error::SingleClass { .. }
            | Error::Separation { .. }
            | Error::NotConverged { .. }
            | Error::NonBinaryTarget { .. } => "22000", // data_exception
            Error::TimeUnitMismatch { .. } => "22023",
            Error::TooManyCategories { .. } => "54000", // program_limit_exceeded
            Error::UnseenLevel { .. } | Error::UnknownGroup { .. } => "22023",
            Error::InGroup { error, .. } => error.sqlstate(),
            Error::TooManyGroups { .. } | Error::DocumentTooLarge { .. } | Error::MemoryLimit { .. } => {
                "54000" // program_limit_exceeded
            }
            Error::OutOfMemory { .. } => "53200",       // out_of_memory
            Error::NullArgument { .. } => "22004",      // null_value_not_allowed
            Error::ArgumentChanged { .. } => "22023",   // invalid_parameter_value
            Error::InfiniteDate { .. } => "22008",      // datetime_field_overflow, as date arithmetic
            Error::NotModelOwner { .. } => "42501",     // insufficient_privilege
            Error::Unsupported { .. } => "0A000",       // feature_not_supported
            Error::PgCronMissing { .. } => "55000",     // object_not_in_prerequisite_state
            Error::PgCronElsewhere { .. } => "55000",   // object_not_in_prerequisite_state
            Error::NothingToRollBack { .. } => "55000", // object_not_in_prerequisite_state
            Error::WrongArrayLength { .. } => "2202E",  // array_subscript_error
            Error::InvalidOption { .. } | Error::InvalidArgument { .. } => "22023", // invalid_parameter_value
            // A state array reaches us as an ordinary float8[] argument, so a
            // bad one is a bad argument value (class 22), not an internal
            // error: XX000 would tell the DBA the server itself is broken.
            Error::CorruptState { .. } => "22023",
            // The model catalog is an ordinary table a user can edit, so a
            // bad row is bad data, not a server fault.
            Error::CorruptModel { .. } => "22000",
            Error::NumericOverflow { .. } | Error::NonFiniteScore { .. } => "22003", // numeric_value_out_of_range
            Error::FoldedLevelCollision { .. } | Error::NumberPolicyOnText { .. } => "22023", // invalid_parameter_value
            Error::TooManyTerms { .. } => "54000", // program_limit_exceeded
            Error::InvalidCustomerSummary { .. } => "22023", // invalid_parameter_value
            Error::NoRepeatPurchases { .. }
            | Error::TooFewCustomers { .. }
            | Error::ModelNotIdentified { .. } => "22000", // data_exception
            Error::Internal { .. } => "XX000",     // internal_error
            Error::ModelNotGranted { .. } => "42501", // insufficient_privilege
            Error::UnknownRole { .. } => "42704",  // undefined_object
            Error::UntrustedSource { .. } => "55000", // object_not_in_prerequisite_state
            Error::ModelDroppedConcurrently { .. } => "40001", // serialization_failure: retry
        }
    }

    /// Primary message; names the offending model, column or value.
    pub fn message(&self) -> String {
        match self {
            Error::NonFiniteScore {
                model,
                what,
                value,
                inputs,
            } => format!(
                "model \"{model}\" gives a non-finite {what} ({}) for the row with {}",
                float_name(*value),
                shown_inputs(inputs)
            ),
            Error::FoldedLevelCollision { column, level, folded } => format!(
                "categorical feature \"{column}\" has a level \"{level}\", the name of the bucket \"min_frequency\" folds its {folded} rare level(s) into"
            ),
            Error::TooManyTerms {
                kind,
                terms,
                max,
                ..
            } => format!("a {kind} model with {terms} terms is more than the {max} cltv_train can fit"),
            Error::UnknownModel { model, .. } => format!("model \"{model}\" does not exist"),
            Error::UndefinedColumn { relation, column, .. } => {
                format!("column \"{column}\" of relation \"{relation}\" does not exist")
            }
            Error::NumberPolicyOnText {
                column,
                policy,
                type_name,
            } => format!(
                "invalid option \"missing_by_feature.{column}\": \"{policy}\" imputes a number, and \"{column}\" is a {type_name} column"
            ),
            Error::QueryAsSource { function, source } => {
                let shown: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
                let shown = match shown.char_indices().nth(SHOWN_QUERY_CHARS) {
                    Some((cut, _)) => format!("{}…", shown[..cut].trim_end()),
                    None => shown,
                };
                format!("{function} reads a table or a view, not a query: \"{shown}\"")
            }
            Error::MissingFeatures { models, missing, .. } => format!(
                "the row scored with model{} {} has no column{} {}",
                if models.len() == 1 { "" } else { "s" },
                quoted_list(models),
                if missing.len() == 1 { "" } else { "s" },
                quoted_list(missing)
            ),
            Error::NonNumericColumn { column, type_name } => {
                format!("column \"{column}\" is of type {type_name}, which is not numeric")
            }
            Error::NullValues {
                column: Some(column),
                rows,
                ..
            } => format!("column \"{column}\" has NULL values in {rows} row(s)"),
            Error::NullValues {
                column: None, rows, ..
            } => {
                format!("{rows} input row(s) have NULL values")
            }
            Error::NullFeature { model, feature } => {
                format!("feature \"{feature}\" is NULL in a row scored with model \"{model}\"")
            }
            Error::NonFinite { column, value, rows } => format!(
                "column \"{column}\" has non-finite values ({}) in {rows} row(s)",
                value.map_or_else(|| "NaN or Infinity".to_string(), float_name)
            ),
            Error::EmptyInput { source } => format!("no input rows in {source}"),
            Error::TooFewRows { n, p, needed } => {
                format!("too few rows: {n} row(s) for {p} feature(s), at least {needed} are needed")
            }
            Error::ConstantFeature { feature } => format!("feature \"{feature}\" is constant"),
            Error::Collinear { feature, depends_on } => format!(
                "feature \"{feature}\" is a linear combination of {}",
                quoted_list(depends_on)
            ),
            Error::WrongArrayLength { expected, got } => {
                format!("array has {got} element(s), expected {expected} (one per feature)")
            }
            Error::InvalidOption { key, reason } => format!("invalid option \"{key}\": {reason}"),
            Error::CorruptState { reason } => format!("corrupt aggregate state: {reason}"),
            Error::CorruptModel { reason } => format!("stored model is corrupt: {reason}"),
            Error::InvalidArgument { what, reason } => format!("invalid {what}: {reason}"),
            Error::NumericOverflow { what } => format!("{what} overflows double precision"),
            Error::InvalidCustomerSummary { model, values, reason } => {
                let fields: Vec<String> = values
                    .iter()
                    .map(|(name, v)| format!("{name} = {}", float_name(*v)))
                    .collect();
                format!("invalid {model} input ({}): {reason}", fields.join(", "))
            }
            Error::NoRepeatPurchases { model, customers } => format!(
                "none of the {} customer(s) made a repeat purchase, so the {model} model cannot be fitted",
                float_name(*customers)
            ),
            Error::TooFewCustomers {
                model,
                distinct,
                needed,
            } => format!(
                "too few customers for the {model} model: {distinct} distinct customer summar{}, at least {needed} are needed",
                if *distinct == 1 { "y" } else { "ies" }
            ),
            Error::ModelNotIdentified {
                model,
                parameter,
                value,
            } => format!(
                "{model} parameter {parameter} runs off to {} (reached {value:.3e}): the data do not identify the model",
                if *value < 1.0 { "zero" } else { "infinity" },
            ),
            Error::Internal { reason } => format!("internal error: {reason}"),
            Error::SingleClass { class, n } => {
                format!("all {n} training row(s) have the target value {class}")
            }
            Error::Separation {
                feature: Some(feature),
                quasi: false,
                ..
            } => format!("feature \"{feature}\" perfectly separates the classes"),
            Error::Separation {
                feature: Some(feature),
                quasi: true,
                ..
            } => format!("feature \"{feature}\" quasi-completely separates the classes"),
            Error::Separation { feature: None, .. } => {
                "the data are (quasi-)separated: the logistic regression coefficients diverge".to_string()
            }
            Error::NotConverged { iterations, .. } => {
                format!("the fit did not converge in {iterations} iteration(s)")
            }
            Error::NonBinaryTarget { column, example, rows } => format!(
                "target column \"{column}\" has {rows} row(s) with values other than 0 and 1 (e.g. {})",
                float_name(*example)
            ),
            Error::Unsupported { what, .. } => format!("{what} is not supported"),
            Error::PgCronMissing { reason } => format!("scheduled training needs the pg_cron extension: {reason}"),
            Error::PgCronElsewhere { model, cron_database, .. } => format!(
                "pg_cron runs in database \"{cron_database}\", not this one: schedule the training of model \"{model}\" there"
            ),
            Error::NotModelOwner { model, action, .. } => {
                format!("permission denied to {action} model \"{model}\"")
            }
            Error::NothingToRollBack { model } => {
                format!("model \"{model}\" has no earlier deployment to roll back to")
            }
            Error::UnknownGroup { model, group } => {
                format!("model \"{model}\" has no model for the group {group}")
            }
            Error::InGroup { group, error } => format!("in the group {group}: {}", error.message()),
            Error::NullArgument { function, argument } => {
                format!("argument \"{argument}\" of {function} must not be NULL")
            }
            Error::ArgumentChanged { argument, first, now } => format!(
                "argument \"{argument}\" changed from {first} to {now} within one aggregate"
            ),
            Error::InfiniteDate { what, value } => {
                format!("{what} is {value}: a finite date is needed")
            }
            Error::TooManyCategories {
                column,
                count,
                distinct,
                max,
            } => format!(
                "categorical feature \"{column}\" has {count} levels ({distinct} distinct values in the training rows), more than max_categories = {max}"
            ),
            Error::UnseenLevel {
                model, column, level, ..
            } => format!(
                "level \"{level}\" of column \"{column}\" was not seen when model \"{model}\" was trained"
            ),
            Error::TooManyGroups { columns, count, max } => format!(
                "\"group_by\" {} forms {count} groups, more than max_groups = {max}",
                quoted_list(columns)
            ),
            Error::DocumentTooLarge {
                model,
                bytes,
                max,
                estimated,
            } => format!(
                "the documents of model \"{model}\" would take {}{} as JSON, more than the limit of {}",
                if *estimated { "about " } else { "" },
                size_name(*bytes),
                size_name(*max)
            ),
            Error::MemoryLimit {
                what, rows, bytes, limit, ..
            } => format!(
                "{what} needs about {} for {rows} row(s), more than cltv.max_training_memory = {}",
                size_name(*bytes),
                size_name(*limit)
            ),
            Error::OutOfMemory { what, bytes } => {
                format!("out of memory: could not allocate {} for {what}", size_name(*bytes))
            }
            Error::TimeUnitMismatch {
                model,
                time_unit,
                month_in_units,
                expected,
            } => format!(
                "month_in_units {month_in_units} does not fit model \"{model}\", fitted in units of {time_unit}: a month is about {expected:.4} of them"
            ),
            Error::ModelNotGranted { model } => format!("permission denied for model \"{model}\""),
            Error::UnknownRole { role } => format!("role \"{role}\" does not exist"),
            Error::UntrustedSource { model, version, source } => format!(
                "cltv_retrain will not repeat the call of {model}@{version}: it was imported, and its source {source} is not confirmed by the model's owner"
            ),
            Error::ModelDroppedConcurrently { model } => {
                format!("model \"{model}\" was dropped by another session during this call")
            }
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            Error::MissingFeatures { models, row, .. } => Some(format!(
                "The model{} read{} the column{} {}; the row (of type {}) has {}.",
                if models.len() == 1 { "" } else { "s" },
                if models.len() == 1 { "s" } else { "" },
                if row.needed.len() == 1 { "" } else { "s" },
                capped_list(&row.needed),
                row.row_type,
                if row.has.is_empty() {
                    "no columns".to_string()
                } else {
                    capped_list(&row.has)
                }
            )),
            Error::NonFiniteScore { inputs, .. } => Some(format!(
                "Every value of the row is finite, but the model's arithmetic on them leaves double precision (about 1.8e308){}.",
                if inputs.len() > SHOWN_INPUTS {
                    format!(
                        "; the message shows the {SHOWN_INPUTS} largest of the row's {} values",
                        inputs.len()
                    )
                } else {
                    String::new()
                }
            )),
            Error::FoldedLevelCollision { .. } => Some(
                "The rare levels would be scored as that level, and the model could not tell them apart."
                    .to_string(),
            ),
            Error::TooManyTerms {
                terms,
                categorical_levels,
                ..
            } if *categorical_levels > 0 => Some(format!(
                "Each categorical level but the reference is a term of its own: {categorical_levels} of the {terms} terms are levels."
            )),
            Error::TooManyTerms { .. } => Some(
                "Training reads every term as a column of one query, and PostgreSQL limits how many a query may have."
                    .to_string(),
            ),
            Error::NoRepeatPurchases { model, .. } if model == "Gamma-Gamma" => Some(
                "The Gamma-Gamma spend model is fitted on repeat customers (frequency > 0) only; \
                 customers with frequency 0 are left out."
                    .to_string(),
            ),
            Error::NoRepeatPurchases { .. } => Some(
                "Without repeat purchases neither the purchase rate nor the dropout probability can be estimated."
                    .to_string(),
            ),
            Error::TooFewCustomers { needed, .. } => Some(format!(
                "A model with {needed} parameters needs at least {needed} distinct customer summaries."
            )),
            Error::TooManyGroups { .. } => Some(
                "Each group is a model of its own, fitted and stored with the others in one catalog row.".to_string(),
            ),
            Error::DocumentTooLarge { .. } => Some(
                "A model's fit, preprocessing and metrics are stored as jsonb in one catalog row.".to_string(),
            ),
            Error::ModelNotIdentified { parameter, value, .. } => Some(format!(
                "The log-likelihood keeps increasing as {parameter} goes to {}, so there is no finite \
                 maximum-likelihood estimate.",
                if *value < 1.0 { "zero" } else { "infinity" }
            )),
            Error::UnknownModel {
                model, known_versions, ..
            } if !known_versions.is_empty() => {
                let name = model.split('@').next().unwrap_or(model);
                let versions: Vec<String> = known_versions.iter().map(|v| v.to_string()).collect();
                Some(format!("Model \"{name}\" has version(s) {}.", versions.join(", ")))
            }
            Error::NullValues { detail, .. } => detail.clone(),
            Error::TooFewRows { p, .. } => Some(format!(
                "A regression with an intercept and {p} feature(s) needs at least one residual degree of freedom."
            )),
            Error::ConstantFeature { .. } => Some(format!(
                "Its standard deviation is zero or at most {:e} of its mean, so its coefficient is not identifiable.",
                crate::fit::ols::CONSTANT_REL_TOL
            )),
            Error::Collinear { .. } => Some(format!(
                "Less than {:e} of its variance is left after regressing it on the features before it, so its coefficient cannot be estimated reliably.",
                crate::fit::ols::COLLINEAR_TOL
            )),
            Error::CorruptState { .. } => Some(
                "The array was not produced by this version of the cltv aggregate functions.".to_string(),
            ),
            Error::SingleClass { class, .. } => Some(format!(
                "Logistic regression needs rows of both classes; no row has the target value {}.",
                !class
            )),
            Error::Separation { detail, .. } => detail.clone(),
            Error::NotConverged { last_change, .. } if last_change.is_finite() => Some(format!(
                "The log-likelihood changed by {last_change:e} in the last iteration."
            )),
            Error::InGroup { error, .. } => error.detail(),
            Error::ArgumentChanged { .. } => Some(
                "The aggregate reads it once, from its first row; every row (and every parallel worker's partial state) must pass the same value."
                    .to_string(),
            ),
            Error::InfiniteDate { .. } => Some(
                "Recency, T and the holdout are measured in days between dates, which infinite dates do not have."
                    .to_string(),
            ),
            _ => None,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            Error::ModelNotGranted { model } => Some(format!(
                "Only the model's owner, members of the owner's role and the roles it was granted to may score it or read its catalog rows: its owner can run SELECT cltv_grant('{model}', '<role>')."
            )),
            Error::UntrustedSource { model, .. } => Some(format!(
                "An imported version carries someone else's source, which retraining would read with your privileges. Check it, then run SELECT cltv_confirm_source('{model}'), or train the model yourself with cltv_train."
            )),
            Error::ModelDroppedConcurrently { .. } => {
                Some("Retry the call: the model name is free again.".to_string())
            }
            Error::NonFiniteScore { .. } => Some(
                "Check the row for outliers or values in the wrong unit; a model scores values of the scale it was trained on."
                    .to_string(),
            ),
            Error::FoldedLevelCollision { column, level, .. } => Some(format!(
                "Rename the level in a view (e.g. CASE WHEN \"{column}\" = '{level}' THEN '{level} (own)' ELSE \"{column}\" END), or train without \"min_frequency\"."
            )),
            Error::TooManyTerms { .. } => Some(
                "Use fewer features, or fewer levels: fold rare ones with \"min_frequency\", or group them in a view."
                    .to_string(),
            ),
            Error::InvalidCustomerSummary { model, reason, .. }
                if model == "Gamma-Gamma" && reason.starts_with("frequency") =>
            {
                Some(
                    "frequency is the number of repeat purchases (a whole number, at least 0), as cltv_rfm \
                     computes it; monetary_value is the mean spend of those repeat purchases."
                        .to_string(),
                )
            }
            Error::InvalidCustomerSummary { model, .. } if model == "Gamma-Gamma" => Some(
                "The Gamma-Gamma model needs a positive mean spend of the repeat purchases: leave out \
                 customers whose repeat purchases sum to zero or less (free orders, returns)."
                    .to_string(),
            ),
            Error::InvalidCustomerSummary { .. } => Some(
                "frequency is the number of repeat purchase days (a whole number, at least 0), recency the \
                 time from the first to the last purchase, T the time from the first purchase to the end of \
                 calibration: 0 <= recency <= T, and recency = 0 when frequency = 0. cltv's RFM summary \
                 produces such values."
                    .to_string(),
            ),
            Error::NoRepeatPurchases { .. } => {
                Some("Use a longer calibration period or more customers.".to_string())
            }
            Error::TooFewCustomers { .. } => Some("Fit the model on more customers.".to_string()),
            // The spend model has no time unit: the BG/NBD advice would mislead.
            Error::ModelNotIdentified { model, .. } if model == "Gamma-Gamma" => Some(
                "Check the spend summaries (monetary_value is the mean spend of a customer's repeat purchases, \
                 in one currency); with more repeat customers, or spends that vary between customers, the \
                 estimate usually becomes finite."
                    .to_string(),
            ),
            Error::ModelNotIdentified { .. } => Some(
                "Check the customer summaries (time unit, calibration period); with more customers or a \
                 longer calibration period the estimate usually becomes finite."
                    .to_string(),
            ),
            Error::NullValues { .. } => Some(
                "Filter the NULL rows out, or pass the option \"missing\": \"drop\" to skip them."
                    .to_string(),
            ),
            Error::NonFinite { .. } => {
                Some("Filter out rows with NaN or Infinity before fitting.".to_string())
            }
            Error::TooFewRows { .. } => Some("Use more rows or fewer features.".to_string()),
            Error::ConstantFeature { feature } => Some(format!(
                "Drop \"{feature}\" from the features, or fit with an \"l2\" penalty."
            )),
            Error::Collinear { feature, .. } => Some(format!(
                "Drop \"{feature}\" (or one of the features it depends on), or fit with an \"l2\" penalty."
            )),
            Error::UnknownModel {
                known_versions,
                suggestion: None,
                ..
            } if known_versions.is_empty() => {
                Some("The trained models are listed in cltv.models.".to_string())
            }
            Error::UndefinedColumn {
                column,
                suggestion: Some(near),
                ..
            } if near.eq_ignore_ascii_case(column) => Some(format!(
                "Column names are case-sensitive: did you mean \"{near}\"?"
            )),
            Error::UndefinedColumn {
                suggestion: Some(near),
                ..
            } => Some(format!("Did you mean \"{near}\"?")),
            Error::UnknownModel {
                suggestion: Some(near),
                ..
            } => Some(format!("Did you mean \"{near}\"? The trained models are listed in cltv.models.")),
            Error::QueryAsSource { .. } => Some(
                "Make the query a view and pass its name: CREATE VIEW training_rows AS <the query>; then pass 'training_rows' (a view also lets cltv_retrain and scheduled training read fresh rows). Or CREATE TEMPORARY TABLE training_rows AS <the query>, for this session."
                    .to_string(),
            ),
            Error::MissingFeatures { missing, row, .. } if row.suggestion.is_some() => {
                let near = row.suggestion.as_deref().unwrap_or_default();
                Some(format!(
                    "Did you mean \"{near}\" for \"{}\"? Columns bind to features by name: rename them in the query, e.g. SELECT {} AS {}.",
                    missing[0],
                    quote_ident(near),
                    quote_ident(&missing[0])
                ))
            }
            Error::NumberPolicyOnText { column, .. } => Some(format!(
                "Impute a text or enum column with \"most_frequent\", its most frequent training level: \"missing_by_feature\": {{\"{column}\": \"most_frequent\"}}."
            )),
            Error::MissingFeatures { missing, .. } => Some(format!(
                "Columns bind to features by name: score a row that has {}, renaming columns in the query where needed (SELECT expression AS {}).",
                if missing.len() == 1 { "it" } else { "them" },
                quote_ident(&missing[0])
            )),
            Error::NullFeature { .. } => Some(
                "The model was trained with \"missing\": \"error\". Filter the NULL rows out, or train \
                 with \"missing\": \"drop\" to score them as NULL."
                    .to_string(),
            ),
            Error::TooManyGroups { .. } => Some(
                "Raise the option \"max_groups\" (e.g. {\"max_groups\": 50000}), or group by fewer or coarser columns."
                    .to_string(),
            ),
            Error::DocumentTooLarge { .. } => Some(
                "Train with fewer groups (\"group_by\", \"max_groups\"), fewer features, or fewer categorical levels (\"max_categories\")."
                    .to_string(),
            ),
            Error::MemoryLimit { hint, .. } => Some(format!(
                "{hint} Or raise the setting, e.g. SET cltv.max_training_memory = '4GB'."
            )),
            Error::OutOfMemory { .. } => Some(
                "Train on fewer rows, or lower cltv.max_training_memory so that such trainings are refused up front."
                    .to_string(),
            ),
            Error::CorruptModel { .. } => Some("Train the model again.".to_string()),
            Error::SingleClass { .. } => Some(
                "Check the target column and the rows selected for training (filters, the train/test split)."
                    .to_string(),
            ),
            Error::Separation {
                feature: Some(feature),
                ..
            } => Some(format!(
                "Fit with an \"l2\" penalty (e.g. {{\"l2\": 1}}), which keeps the coefficients finite, or drop \"{feature}\"."
            )),
            Error::Separation { feature: None, .. } => Some(
                "Fit with an \"l2\" penalty (e.g. {\"l2\": 1}), which keeps the coefficients finite, or drop \
                 the feature(s) that predict the target perfectly."
                    .to_string(),
            ),
            Error::NotConverged { .. } => Some(
                "Raise \"max_iter\", fit with an \"l2\" penalty, or pass \"allow_nonconvergence\": true to \
                 keep the last iterate (reported with \"converged\": false)."
                    .to_string(),
            ),
            Error::NonBinaryTarget { column, .. } => Some(format!(
                "A logistic model needs a boolean or 0/1 target: recode \"{column}\", e.g. ({column} > 0)::int."
            )),
            Error::NotModelOwner { model, owner, .. } => Some(format!(
                "Model \"{model}\" belongs to role \"{owner}\": only that role, its members and superusers may change it. Train under another model name, or ask \"{owner}\" to GRANT the role."
            )),
            Error::Unsupported { hint, .. } => Some(hint.clone()),
            Error::PgCronMissing { .. } => Some(
                "Install the postgresql-15-cron package, set shared_preload_libraries = 'pg_cron' and cron.database_name to this database in postgresql.conf, restart PostgreSQL, and run CREATE EXTENSION pg_cron."
                    .to_string(),
            ),
            Error::PgCronElsewhere {
                cron_database,
                command,
                ..
            } => Some(format!(
                "Connect to database \"{cron_database}\" as the same role and run: {command}; the job retrains in this database."
            )),
            Error::NothingToRollBack { .. } => Some(
                "cltv_rollback undoes the newest deployment; each training that deployed, each cltv_deploy and each promotion is one. Use cltv_deploy(model, version) to serve a version explicitly."
                    .to_string(),
            ),
            Error::NonNumericColumn { .. } => Some(
                "Features may be numbers, booleans (0/1), or text and enum columns (one-hot encoded); a target \
                 is a number or a boolean. Cast other types in a view."
                    .to_string(),
            ),
            Error::UnknownGroup { .. } => Some(
                "The model was trained per group and this group had no training rows. Retrain it, or train \
                 with \"group_fallback\": \"pooled\" to score unknown groups with the model of all rows."
                    .to_string(),
            ),
            Error::InGroup { error, .. } => Some(format!(
                "{}Train with \"group_fallback\": \"pooled\" to score such groups with the model of all rows.",
                error.hint().map(|h| format!("{h} ")).unwrap_or_default()
            )),
            Error::TooManyCategories { .. } => Some(
                "Raise the option \"max_categories\", or fold rare levels into \"other\" with \"min_frequency\" \
                 (a row count, or a share of the training rows below 1)."
                    .to_string(),
            ),
            Error::UnseenLevel { known, .. } => Some(format!(
                "The model knows {}. Retrain it on rows with the new level, or train with \"unseen\": \"reference\" \
                 to score unseen levels as the reference level.",
                quoted_list(known)
            )),
            Error::ArgumentChanged { argument, .. } => Some(format!(
                "Pass \"{argument}\" as a constant, or aggregate the rows of each value separately (GROUP BY it)."
            )),
            Error::InfiniteDate { .. } => Some(
                "Filter out orders with infinite dates (WHERE isfinite(order_date)) and pass finite calibration_end and holdout_end."
                    .to_string(),
            ),
            Error::TimeUnitMismatch { .. } => Some(
                "Omit month_in_units to take it from the model, or retrain with the \"time_unit\" option that matches the summaries (cltv_rfm's unit)."
                    .to_string(),
            ),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

fn quoted_list(names: &[String]) -> String {
    match names {
        [] => "other features".to_string(),
        [only] => format!("\"{only}\""),
        _ => names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// How many characters of a query an [`Error::QueryAsSource`] message shows.
const SHOWN_QUERY_CHARS: usize = 60;

/// How many names a [`capped_list`] shows.
const SHOWN_NAMES: usize = 20;

/// [`quoted_list`] of at most [`SHOWN_NAMES`] names, then how many more there are.
fn capped_list(names: &[String]) -> String {
    if names.len() <= SHOWN_NAMES {
        return quoted_list(names);
    }
    format!(
        "{} (and {} more)",
        quoted_list(&names[..SHOWN_NAMES]),
        names.len() - SHOWN_NAMES
    )
}

/// An identifier as SQL text: bare if it is lower-case letters, digits and underscores
/// (not starting with a digit), else double-quoted. For hints that show a query.
fn quote_ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// How many of a row's values a [`Error::NonFiniteScore`] message shows.
const SHOWN_INPUTS: usize = 5;

/// `name = value, …` of the row's values: at most [`SHOWN_INPUTS`], the largest in
/// magnitude (where an overflow comes from), in the model's order.
fn shown_inputs(inputs: &[(String, f64)]) -> String {
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    if inputs.len() > SHOWN_INPUTS {
        order.sort_by(|&i, &j| inputs[j].1.abs().total_cmp(&inputs[i].1.abs()).then(i.cmp(&j)));
        order.truncate(SHOWN_INPUTS);
        order.sort_unstable();
    }
    let shown: Vec<String> = order
        .iter()
        .map(|&i| format!("{} = {}", inputs[i].0, sql_float(inputs[i].1)))
        .collect();
    let more = inputs.len() - order.len();
    if more > 0 {
        format!("{} (and {more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A float8 as PostgreSQL prints it (shortest exact digits; an exponent, of at least two
/// digits with its sign, below 1e-4 and from 1e15 on): 1.7e+308, 1e-300, 0.25.
pub fn sql_float(v: f64) -> String {
    if !v.is_finite() {
        return float_name(v);
    }
    let magnitude = v.abs();
    if magnitude != 0.0 && !(1e-4..1e15).contains(&magnitude) {
        let text = format!("{v:e}");
        let (mantissa, exponent) = text.split_once('e').expect("{:e} has an exponent");
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exponent),
        };
        format!("{mantissa}e{sign}{digits:0>2}")
    } else {
        v.to_string()
    }
}

/// A byte count as PostgreSQL's pg_size_pretty writes it (units of 1024): "512 bytes",
/// "64 MB", "1.5 GB".
pub fn size_name(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    if bytes < 10 * 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {}", UNITS[unit])
    } else {
        format!("{rounded:.1} {}", UNITS[unit])
    }
}

/// PostgreSQL's spelling of float8 specials, so messages read like SQL.
pub fn float_name(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v == f64::INFINITY {
        "Infinity".to_string()
    } else if v == f64::NEG_INFINITY {
        "-Infinity".to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_are_five_characters() {
        let all = [
            Error::UnknownModel {
                model: "m".into(),
                known_versions: vec![],
                suggestion: None,
            },
            Error::MissingFeatures {
                models: vec!["m".into()],
                missing: vec!["x".into()],
                row: Box::new(RowColumns {
                    row_type: "record".into(),
                    needed: vec!["x".into()],
                    has: vec![],
                    suggestion: None,
                }),
            },
            Error::NumberPolicyOnText {
                column: "c".into(),
                policy: "mean".into(),
                type_name: "text".into(),
            },
            Error::QueryAsSource {
                function: "cltv_train".into(),
                source: "SELECT 1".into(),
            },
            Error::UndefinedColumn {
                relation: "r".into(),
                column: "c".into(),
                suggestion: None,
            },
            Error::NonNumericColumn {
                column: "c".into(),
                type_name: "text".into(),
            },
            Error::NullValues {
                column: None,
                rows: 1,
                detail: None,
            },
            Error::NullFeature {
                model: "m".into(),
                feature: "f".into(),
            },
            Error::Internal { reason: "r".into() },
            Error::ModelNotGranted { model: "m".into() },
            Error::UnknownRole { role: "r".into() },
            Error::UntrustedSource {
                model: "m".into(),
                version: 1,
                source: "s.v".into(),
            },
            Error::ModelDroppedConcurrently { model: "m".into() },
            Error::PgCronElsewhere {
                model: "m".into(),
                cron_database: "cron".into(),
                command: "SELECT 1".into(),
            },
            Error::InvalidCustomerSummary {
                model: "BG/NBD".into(),
                values: vec![("recency".into(), 2.0)],
                reason: "r".into(),
            },
            Error::NoRepeatPurchases {
                model: "BG/NBD".into(),
                customers: 3.0,
            },
            Error::TooFewCustomers {
                model: "BG/NBD".into(),
                distinct: 1,
                needed: 4,
            },
            Error::ModelNotIdentified {
                model: "BG/NBD".into(),
                parameter: "a".into(),
                value: 1e-12,
            },
            Error::NonFinite {
                column: "c".into(),
                value: Some(f64::NAN),
                rows: 1,
            },
            Error::EmptyInput { source: "s".into() },
            Error::TooFewRows {
                n: 1,
                p: 1,
                needed: 3,
            },
            Error::ConstantFeature { feature: "f".into() },
            Error::Collinear {
                feature: "f".into(),
                depends_on: vec![],
            },
            Error::WrongArrayLength { expected: 1, got: 2 },
            Error::CorruptModel { reason: "r".into() },
            Error::InvalidOption {
                key: "k".into(),
                reason: "r".into(),
            },
            Error::CorruptState { reason: "r".into() },
            Error::InvalidArgument {
                what: "w".into(),
                reason: "r".into(),
            },
            Error::NumericOverflow { what: "w".into() },
            Error::SingleClass { class: true, n: 3 },
            Error::Separation {
                feature: Some("f".into()),
                quasi: true,
                detail: None,
            },
            Error::Separation {
                feature: None,
                quasi: false,
                detail: None,
            },
            Error::NotConverged {
                iterations: 5,
                last_change: f64::NAN,
            },
            Error::NonBinaryTarget {
                column: "y".into(),
                example: 2.0,
                rows: 1,
            },
            Error::NullArgument {
                function: "f".into(),
                argument: "a".into(),
            },
            Error::ArgumentChanged {
                argument: "a".into(),
                first: "1".into(),
                now: "2".into(),
            },
            Error::InfiniteDate {
                what: "w".into(),
                value: "infinity".into(),
            },
        ];
        for e in &all {
            let code = e.sqlstate();
            assert_eq!(code.len(), 5, "{e:?}");
            assert!(code.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
            assert!(!e.message().is_empty());
            assert_eq!(e.to_string(), e.message());
        }
    }

    #[test]
    fn collinear_message_names_feature_and_dependencies() {
        let e = Error::Collinear {
            feature: "x3".into(),
            depends_on: vec!["x1".into(), "x2".into()],
        };
        assert_eq!(
            e.message(),
            "feature \"x3\" is a linear combination of \"x1\", \"x2\""
        );
        assert_eq!(e.sqlstate(), "22000");
        assert!(e.hint().unwrap().contains("l2"));
    }

    #[test]
    fn null_hint_mentions_missing_drop() {
        let e = Error::NullValues {
            column: Some("spend".into()),
            rows: 3,
            detail: None,
        };
        assert_eq!(e.sqlstate(), "22004");
        assert_eq!(e.message(), "column \"spend\" has NULL values in 3 row(s)");
        assert!(e.hint().unwrap().contains("\"missing\": \"drop\""));
    }

    #[test]
    fn non_finite_uses_postgres_spelling() {
        let e = Error::NonFinite {
            column: "x".into(),
            value: Some(f64::NEG_INFINITY),
            rows: 2,
        };
        assert_eq!(
            e.message(),
            "column \"x\" has non-finite values (-Infinity) in 2 row(s)"
        );
    }

    #[test]
    fn logistic_errors_name_the_class_feature_and_option() {
        let e = Error::SingleClass { class: false, n: 40 };
        assert_eq!(e.message(), "all 40 training row(s) have the target value false");
        assert!(e.detail().unwrap().contains("target value true"));
        assert_eq!(e.sqlstate(), "22000");
        let e = Error::Separation {
            feature: Some("tenure".into()),
            quasi: false,
            detail: None,
        };
        assert_eq!(e.message(), "feature \"tenure\" perfectly separates the classes");
        assert!(e.hint().unwrap().contains("\"l2\""));
        assert!(e.hint().unwrap().contains("\"tenure\""));
        let e = Error::NotConverged {
            iterations: 7,
            last_change: 0.5,
        };
        assert_eq!(e.message(), "the fit did not converge in 7 iteration(s)");
        assert!(e.hint().unwrap().contains("allow_nonconvergence"));
        assert!(e.detail().unwrap().contains("5e-1"));
        let e = Error::NonBinaryTarget {
            column: "churned".into(),
            example: 2.0,
            rows: 3,
        };
        assert_eq!(
            e.message(),
            "target column \"churned\" has 3 row(s) with values other than 0 and 1 (e.g. 2)"
        );
    }

    #[test]
    fn argument_errors_name_the_argument_and_values() {
        let e = Error::NullArgument {
            function: "cltv_clv".into(),
            argument: "purchase_model".into(),
        };
        assert_eq!(e.sqlstate(), "22004");
        assert_eq!(
            e.message(),
            "argument \"purchase_model\" of cltv_clv must not be NULL"
        );
        let e = Error::ArgumentChanged {
            argument: "sample_fraction".into(),
            first: "0.5".into(),
            now: "0.25".into(),
        };
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(
            e.message(),
            "argument \"sample_fraction\" changed from 0.5 to 0.25 within one aggregate"
        );
        assert!(e.hint().unwrap().contains("\"sample_fraction\""));
        let e = Error::InfiniteDate {
            what: "calibration_end".into(),
            value: "infinity".into(),
        };
        assert_eq!(e.sqlstate(), "22008");
        assert_eq!(
            e.message(),
            "calibration_end is infinity: a finite date is needed"
        );
        assert!(e.hint().unwrap().contains("isfinite"));
    }

    #[test]
    fn limit_errors_name_the_count_size_and_setting() {
        assert_eq!(size_name(512), "512 bytes");
        assert_eq!(size_name(64 * 1024 * 1024), "64 MB");
        assert_eq!(size_name(3 * 1024 * 1024 * 1024 / 2), "1.5 GB");
        let e = Error::TooManyGroups {
            columns: vec!["region".into(), "store".into()],
            count: 200_000,
            max: 10_000,
        };
        assert_eq!(e.sqlstate(), "54000");
        assert_eq!(
            e.message(),
            "\"group_by\" \"region\", \"store\" forms 200000 groups, more than max_groups = 10000"
        );
        assert!(e.hint().unwrap().contains("\"max_groups\""));
        let e = Error::DocumentTooLarge {
            model: "m".into(),
            bytes: 100 * 1024 * 1024,
            max: 64 * 1024 * 1024,
            estimated: true,
        };
        assert_eq!(e.sqlstate(), "54000");
        assert_eq!(
            e.message(),
            "the documents of model \"m\" would take about 100 MB as JSON, more than the limit of 64 MB"
        );
        let e = Error::MemoryLimit {
            what: "the lbfgs solver".into(),
            rows: 2_000_000,
            bytes: 2 * 1024 * 1024 * 1024,
            limit: 1024 * 1024 * 1024,
            hint: "Use IRLS.".into(),
        };
        assert_eq!(e.sqlstate(), "54000");
        assert_eq!(
            e.message(),
            "the lbfgs solver needs about 2 GB for 2000000 row(s), more than cltv.max_training_memory = 1 GB"
        );
        assert!(e.hint().unwrap().starts_with("Use IRLS. Or raise"));
        let e = Error::OutOfMemory {
            what: "the training rows".into(),
            bytes: 16 * 1024 * 1024,
        };
        assert_eq!(e.sqlstate(), "53200");
        assert_eq!(
            e.message(),
            "out of memory: could not allocate 16 MB for the training rows"
        );
    }

    #[test]
    fn too_few_rows_says_how_many_are_needed() {
        let e = Error::TooFewRows {
            n: 3,
            p: 4,
            needed: 6,
        };
        assert_eq!(
            e.message(),
            "too few rows: 3 row(s) for 4 feature(s), at least 6 are needed"
        );
    }

    #[test]
    fn non_finite_score_names_the_model_and_the_largest_values() {
        let e = Error::NonFiniteScore {
            model: "ltv@2".into(),
            what: "prediction".into(),
            value: f64::INFINITY,
            inputs: vec![("x".into(), 1.7e308), ("y".into(), 2.0)],
        };
        assert_eq!(e.sqlstate(), "22003");
        assert_eq!(
            e.message(),
            "model \"ltv@2\" gives a non-finite prediction (Infinity) for the row with x = 1.7e+308, y = 2"
        );
        assert!(e.detail().unwrap().contains("finite"));
        assert!(e.hint().unwrap().contains("wrong unit"));
        // Of seven values, the five largest in magnitude, in the model's order.
        let inputs: Vec<(String, f64)> = [1.0, -1e300, 3.0, 4.0, 5.0, 6.0, 0.5]
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("x{i}"), *v))
            .collect();
        let e = Error::NonFiniteScore {
            model: "m@1".into(),
            what: "log-odds".into(),
            value: f64::NAN,
            inputs,
        };
        assert_eq!(
            e.message(),
            "model \"m@1\" gives a non-finite log-odds (NaN) for the row with x1 = -1e+300, x2 = 3, x3 = 4, x4 = 5, x5 = 6 (and 2 more)"
        );
        assert!(e.detail().unwrap().contains("5 largest of the row's 7"));
    }

    #[test]
    fn sql_float_prints_like_float8out() {
        // SELECT 1.7e308::float8, 1e-300::float8, 1e15::float8, 1e14::float8, 0.0001::float8, 1e-5::float8
        assert_eq!(sql_float(1.7e308), "1.7e+308");
        assert_eq!(sql_float(-1e-300), "-1e-300");
        assert_eq!(sql_float(1e15), "1e+15");
        assert_eq!(sql_float(1e14), "100000000000000");
        assert_eq!(sql_float(0.0001), "0.0001");
        assert_eq!(sql_float(1e-5), "1e-05");
        assert_eq!(sql_float(0.0), "0");
        assert_eq!(sql_float(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn collision_and_limit_errors_say_what_to_do() {
        let e = Error::FoldedLevelCollision {
            column: "channel".into(),
            level: "other".into(),
            folded: 3,
        };
        assert_eq!(e.sqlstate(), "22023");
        assert!(
            e.message().contains("\"channel\" has a level \"other\""),
            "{}",
            e.message()
        );
        assert!(e.hint().unwrap().contains("'other (own)'"));
        let e = Error::TooManyTerms {
            kind: "linear".into(),
            terms: 1000,
            max: 800,
            categorical_levels: 900,
        };
        assert_eq!(e.sqlstate(), "54000");
        assert_eq!(
            e.message(),
            "a linear model with 1000 terms is more than the 800 cltv_train can fit"
        );
        assert!(e.detail().unwrap().contains("900 of the 1000"));
        assert!(e.hint().unwrap().contains("min_frequency"));
    }

    #[test]
    fn missing_features_list_what_the_model_needs_and_the_row_has() {
        let e = Error::MissingFeatures {
            models: vec!["churn".into()],
            missing: vec!["tenure".into()],
            row: Box::new(RowColumns {
                row_type: "record".into(),
                needed: vec!["age".into(), "tenure".into()],
                has: vec!["age".into(), "tenur".into()],
                suggestion: Some("tenur".into()),
            }),
        };
        assert_eq!(e.sqlstate(), "42703");
        assert_eq!(
            e.message(),
            "the row scored with model \"churn\" has no column \"tenure\""
        );
        assert_eq!(
            e.detail().unwrap(),
            "The model reads the columns \"age\", \"tenure\"; the row (of type record) has \"age\", \"tenur\"."
        );
        assert!(e
            .hint()
            .unwrap()
            .starts_with("Did you mean \"tenur\" for \"tenure\"?"));
        assert!(e.hint().unwrap().contains("SELECT tenur AS tenure"));
        let many: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
        let e = Error::MissingFeatures {
            models: vec!["a".into(), "b".into()],
            missing: vec!["x".into(), "Y".into()],
            row: Box::new(RowColumns {
                row_type: "orders".into(),
                needed: vec!["x".into(), "Y".into()],
                has: many,
                suggestion: None,
            }),
        };
        assert_eq!(
            e.message(),
            "the row scored with models \"a\", \"b\" has no columns \"x\", \"Y\""
        );
        assert!(e.detail().unwrap().contains("\"c19\" (and 5 more)"));
        assert!(e.hint().unwrap().contains("AS x)"));
    }

    #[test]
    fn a_number_policy_on_text_names_most_frequent() {
        let e = Error::NumberPolicyOnText {
            column: "channel".into(),
            policy: "median".into(),
            type_name: "text".into(),
        };
        assert_eq!(e.sqlstate(), "22023");
        assert_eq!(
            e.message(),
            "invalid option \"missing_by_feature.channel\": \"median\" imputes a number, and \"channel\" is a text column"
        );
        assert!(e.hint().unwrap().contains("{\"channel\": \"most_frequent\"}"));
    }

    #[test]
    fn gamma_gamma_errors_get_gamma_gamma_hints() {
        let frequency = crate::fit::gamma_gamma::validate_summary(-1.0, 5.0).unwrap_err();
        assert!(frequency
            .hint()
            .unwrap()
            .starts_with("frequency is the number of repeat purchases"));
        let spend = crate::fit::gamma_gamma::validate_summary(2.0, -5.0).unwrap_err();
        assert!(spend.hint().unwrap().contains("positive mean spend"));
        assert!(crate::fit::gamma_gamma::validate_summary(0.0, f64::NAN).is_ok());
        let stuck = Error::ModelNotIdentified {
            model: "Gamma-Gamma".into(),
            parameter: "q".into(),
            value: 1e13,
        };
        assert!(
            !stuck.hint().unwrap().contains("time unit"),
            "{}",
            stuck.hint().unwrap()
        );
        let stuck = Error::ModelNotIdentified {
            model: "BG/NBD".into(),
            parameter: "a".into(),
            value: 1e-13,
        };
        assert!(stuck.hint().unwrap().contains("time unit"));
        // No hint of either model names the other's quantities.
        for e in [frequency, spend] {
            let hint = e.hint().unwrap();
            assert!(!hint.contains("recency") && !hint.contains(" T "), "{hint}");
        }
    }

    #[test]
    fn a_query_as_source_says_to_make_it_a_view() {
        let e = Error::QueryAsSource {
            function: "cltv_train".into(),
            source: "SELECT *\n  FROM orders WHERE placed > '2026-01-01' AND amount > 0 AND country = 'DE' AND channel = 'web'".into(),
        };
        assert_eq!(e.sqlstate(), "42602");
        assert_eq!(
            e.message(),
            "cltv_train reads a table or a view, not a query: \"SELECT * FROM orders WHERE placed > '2026-01-01' AND amount…\""
        );
        assert!(e.hint().unwrap().contains("CREATE VIEW"));
        assert!(e.hint().unwrap().contains("TEMPORARY TABLE"));
    }

    #[test]
    fn near_misses_are_suggested() {
        let case_only = Error::UndefinedColumn {
            relation: "public.t".into(),
            column: "Age".into(),
            suggestion: Some("age".into()),
        };
        assert!(case_only
            .hint()
            .unwrap()
            .starts_with("Column names are case-sensitive"));
        let typo = Error::UndefinedColumn {
            relation: "public.t".into(),
            column: "tenrue".into(),
            suggestion: Some("tenure".into()),
        };
        assert_eq!(typo.hint().unwrap(), "Did you mean \"tenure\"?");
        let model = Error::UnknownModel {
            model: "chrun".into(),
            known_versions: vec![],
            suggestion: Some("churn".into()),
        };
        assert_eq!(model.sqlstate(), "42704");
        assert!(model.hint().unwrap().starts_with("Did you mean \"churn\"?"));
        let none = Error::UnknownModel {
            model: "zzz".into(),
            known_versions: vec![],
            suggestion: None,
        };
        assert_eq!(
            none.hint().unwrap(),
            "The trained models are listed in cltv.models."
        );
    }
}
