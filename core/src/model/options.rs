//! The `options jsonb` of `cltv_train`, parsed strictly: an unknown key or a wrong type is
//! an error that names it, never silently ignored.

use crate::error::{Error, Result};
use crate::model::scoring::ModelKind;
use crate::model::segments::Segments;
use serde_json::{Map, Value};

/// What to do with a NULL target or feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Refuse to train, and say which column has how many NULLs (the default).
    Error,
    /// Leave such rows out of training and count them; scoring such a row gives NULL.
    Drop,
    /// Replace a NULL feature by the mean of the training rows' values (stored with the
    /// version, replayed by scoring). Rows with a NULL target are dropped.
    Mean,
    /// As `Mean`, with the exact median (`percentile_cont(0.5)`: the mean of the two middle
    /// values for an even count, as pandas' `median`).
    Median,
    /// As `Mean`, with 0.
    Zero,
    /// The most frequent value of the training rows (scikit-learn's `SimpleImputer`
    /// strategy of that name): a text or enum column's most frequent level, a number's mode
    /// (the smallest of tied values, as PostgreSQL's `mode()` and scikit-learn pick).
    #[serde(rename = "most_frequent")]
    MostFrequent,
}

impl MissingPolicy {
    pub fn imputes(self) -> bool {
        matches!(
            self,
            MissingPolicy::Mean | MissingPolicy::Median | MissingPolicy::Zero | MissingPolicy::MostFrequent
        )
    }

    /// Whether the policy imputes a number (mean, median, zero), which a text column has not.
    pub fn imputes_a_number(self) -> bool {
        matches!(
            self,
            MissingPolicy::Mean | MissingPolicy::Median | MissingPolicy::Zero
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MissingPolicy::Error => "error",
            MissingPolicy::Drop => "drop",
            MissingPolicy::Mean => "mean",
            MissingPolicy::Median => "median",
            MissingPolicy::Zero => "zero",
            MissingPolicy::MostFrequent => "most_frequent",
        }
    }

    fn parse(key: &str, value: &Value) -> Result<MissingPolicy> {
        one_of(
            key,
            value,
            &[
                ("error", MissingPolicy::Error),
                ("drop", MissingPolicy::Drop),
                ("mean", MissingPolicy::Mean),
                ("median", MissingPolicy::Median),
                ("zero", MissingPolicy::Zero),
                ("most_frequent", MissingPolicy::MostFrequent),
            ],
        )
    }
}

/// How scoring treats one NULL feature: replayed from the version's preprocessing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NullRule {
    Error,
    /// The prediction is NULL.
    Drop,
    /// The value imputed in training.
    Impute(f64),
}

/// The rule for each term of `design` from a version's `preprocessing`: `"missing"` (the
/// default policy), `"missing_by_feature"` (overrides, by input column) and `"imputation"`
/// (term → value; for a categorical input, each of its indicators' value).
pub fn null_rules(
    preprocessing: &crate::model::preprocessing::Preprocessing,
    design: &crate::model::encoding::Design,
) -> Result<Vec<NullRule>> {
    let default = preprocessing.missing();
    design
        .terms()
        .iter()
        .enumerate()
        .map(|(i, term)| {
            let f = design.column_of_term(i);
            if let Some(v) = preprocessing.imputation.as_ref().and_then(|m| m.get(term)) {
                // Finite: checked when the document was read.
                return Ok(NullRule::Impute(*v));
            }
            let policy = preprocessing
                .missing_by_feature
                .as_ref()
                .and_then(|m| m.get(f))
                .copied()
                .unwrap_or(default);
            match policy {
                MissingPolicy::Error => Ok(NullRule::Error),
                MissingPolicy::Drop => Ok(NullRule::Drop),
                _ => Err(Error::CorruptModel {
                    reason: format!("feature \"{f}\" is imputed, but no value is stored"),
                }),
            }
        })
        .collect()
}

/// How a logistic model is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solver {
    /// Newton/IRLS, one parallel aggregate pass per iteration: exact, any table size.
    Irls,
    /// linfa-logistic's L-BFGS over the rows in memory: small data, or a cross-check.
    Lbfgs,
}

/// Whether a new version (after a model's first, which is always deployed) is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Promote {
    /// Stored only; `cltv_deploy` serves it (the default).
    Never,
    /// Deployed at once.
    Always,
    /// Deployed if it beats the deployed version on `metric`, both scored on the new
    /// version's held-out rows.
    IfBetter,
}

/// A metric a champion/challenger comparison can use, and which way is better.
pub fn metric_direction(kind: ModelKind, metric: &str) -> Option<bool> {
    let higher_is_better = match (kind, metric) {
        (ModelKind::Linear, "rmse" | "mse" | "mae") => false,
        (ModelKind::Linear, "r_squared") => true,
        (ModelKind::Logistic, "log_loss" | "brier") => false,
        (ModelKind::Logistic, "auc" | "accuracy" | "f1") => true,
        _ => return None,
    };
    Some(higher_is_better)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// Ridge penalty (scikit-learn `Ridge(alpha)`): intercept not penalised, no 1/n factor.
    pub l2: f64,
    /// Share of rows held out for the test metrics, chosen by a hash of `split_key`.
    pub test_fraction: f64,
    /// `"split"`: an out-of-time split by a column's value, in place of the hash split.
    pub time_split: Option<crate::split::TimeSplit>,
    /// Column whose hash decides the split; `None`: the source's unique key, else the whole
    /// row (see [`crate::split`]).
    pub split_key: Option<String>,
    /// Seed of the split hash, so a different split can be drawn on purpose; `None`
    /// takes the `cltv.split_seed` setting.
    pub split_seed: Option<i64>,
    pub missing: MissingPolicy,
    /// Per-feature overrides of `missing` (checked against the features by the caller).
    pub missing_by_feature: Vec<(String, MissingPolicy)>,
    /// Logistic only: the solver, its convergence tolerance on the change in
    /// log-likelihood, its iteration limit, and whether hitting that limit is accepted.
    pub solver: Solver,
    pub tol: f64,
    pub max_iter: u32,
    pub allow_nonconvergence: bool,
    /// BTYD only: the time unit of the summaries, as an interval (`"1 week"`); `None`
    /// means cltv_rfm's default, one week.
    pub time_unit: Option<String>,
    pub promote: Promote,
    /// The comparison metric of `Promote::IfBetter` (default rmse, or auc for logistic).
    pub metric: String,
    /// Value tiers for `cltv_segment` (linear and logistic models).
    pub segments: Segments,
    /// Penalise the coefficients of standardised features; `None`: yes (the default for
    /// ridge and penalised logistic fits; without `l2` it changes nothing).
    pub standardize: Option<bool>,
    /// Categorical features: the most levels one may have, rare levels folded into
    /// `other`, and what scoring does with a level training never saw.
    pub max_categories: usize,
    pub min_frequency: Option<crate::model::encoding::MinFrequency>,
    pub unseen: crate::model::encoding::Unseen,
    /// One model per value of these columns (linear models), and what groups that cannot
    /// be fitted, or are unknown at scoring, get.
    pub group_by: Vec<String>,
    pub group_fallback: crate::model::groups::GroupFallback,
    /// The most groups a `"group_by"` training may form (training and test rows).
    pub max_groups: u64,
    /// `"keep_versions"`: after a successful training, keep the newest this many versions
    /// (and always the deployed one and any a rollback could restore); `None` keeps all.
    pub keep_versions: Option<u64>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            l2: 0.0,
            test_fraction: 0.2,
            split_key: None,
            split_seed: None,
            time_split: None,
            missing: MissingPolicy::Error,
            missing_by_feature: Vec::new(),
            solver: Solver::Irls,
            tol: 1e-10,
            max_iter: 50,
            allow_nonconvergence: false,
            time_unit: None,
            promote: Promote::Never,
            metric: "rmse".into(),
            segments: Segments::default(),
            standardize: None,
            max_categories: crate::model::encoding::DEFAULT_MAX_CATEGORIES,
            min_frequency: None,
            unseen: crate::model::encoding::Unseen::default(),
            group_by: Vec::new(),
            group_fallback: crate::model::groups::GroupFallback::default(),
            max_groups: crate::limits::DEFAULT_MAX_GROUPS,
            keep_versions: None,
        }
    }
}

/// One key of `cltv_train`'s `options`: the table the parser validates every key against
/// (an unknown key, or a key for another kind, is an error) and that `cltv_options()`
/// returns. One source of truth: an option is documented here or it is not accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionSpec {
    pub name: &'static str,
    /// The kinds of model that accept it.
    pub kinds: &'static [ModelKind],
    /// The JSON type(s) of its value.
    pub value_type: &'static str,
    /// Its default as JSON text; `None` when the default is no value (the description says
    /// what happens then).
    pub default: Option<&'static str>,
    /// A logistic model's default, where it differs.
    pub logistic_default: Option<&'static str>,
    pub description: &'static str,
}

const ALL_KINDS: &[ModelKind] = &ModelKind::ALL;
const LINEAR_LOGISTIC: &[ModelKind] = &[ModelKind::Linear, ModelKind::Logistic];
const LOGISTIC: &[ModelKind] = &[ModelKind::Logistic];
const BTYD: &[ModelKind] = &[ModelKind::BgNbd, ModelKind::GammaGamma];

const fn spec(
    name: &'static str,
    kinds: &'static [ModelKind],
    value_type: &'static str,
    default: Option<&'static str>,
    description: &'static str,
) -> OptionSpec {
    OptionSpec {
        name,
        kinds,
        value_type,
        default,
        logistic_default: None,
        description,
    }
}

/// Every option, in the order errors and `cltv_options()` list them.
pub const OPTIONS: &[OptionSpec] = &[
    spec("l2", ALL_KINDS, "number", Some("0"),
        "ridge (linear) or L2 (logistic) penalty >= 0 on the standardised coefficients, intercept not penalised, no 1/n factor; ignored by bgnbd and gamma_gamma"),
    spec("test_fraction", ALL_KINDS, "number", Some("0.2"),
        "share of rows in [0, 1) held out for the test metrics, chosen by a hash of split_key; bgnbd and gamma_gamma fit every row"),
    spec("split_key", ALL_KINDS, "string", None,
        "column whose hash puts a row in the test split; by default the source's primary key (or a unique NOT NULL index), else the whole row; ignored by bgnbd and gamma_gamma"),
    spec("split_seed", ALL_KINDS, "integer", None,
        "seed of the split hash; by default the setting cltv.split_seed; ignored by bgnbd and gamma_gamma"),
    spec("split", ALL_KINDS, "object", None,
        "out-of-time split {\"column\": ..., \"test_from\": ...}: the rows at or after test_from are the test rows, in place of test_fraction and split_key; ignored by bgnbd and gamma_gamma"),
    spec("missing", ALL_KINDS, "string", Some("\"error\""),
        "NULL target or feature: error, drop, or impute the training rows' mean, median, zero or most_frequent (text and enum columns: most_frequent; BG/NBD and Gamma-Gamma: error or drop)"),
    spec("missing_by_feature", ALL_KINDS, "object", Some("{}"),
        "per-feature overrides of missing, {\"feature\": \"policy\", ...}"),
    spec("promote", ALL_KINDS, "string", Some("\"never\""),
        "whether a new version (after the first) is deployed: never, always, or if_better than the deployed one on metric"),
    OptionSpec {
        logistic_default: Some("\"auc\""),
        ..spec("metric", LINEAR_LOGISTIC, "string", Some("\"rmse\""),
            "the comparison of promote if_better: rmse, mse, mae, r_squared (linear); auc, log_loss, brier, accuracy, f1 (logistic)")
    },
    OptionSpec {
        logistic_default: Some("{\"labels\": [\"low\", \"medium\", \"high\", \"very high\"], \"quantiles\": [0.4, 0.7, 0.9]}"),
        ..spec("segments", LINEAR_LOGISTIC, "object",
            Some("{\"labels\": [\"bronze\", \"silver\", \"gold\", \"platinum\"], \"quantiles\": [0.4, 0.7, 0.9]}"),
            "tiers of cltv_segment: labels, and the quantiles of the training predictions that separate them (a logistic model's are risk tiers)")
    },
    spec("standardize", LINEAR_LOGISTIC, "boolean", Some("true"),
        "penalise the coefficients of standardised features (only with l2 > 0); false penalises the raw coefficients"),
    spec("max_categories", LINEAR_LOGISTIC, "integer", Some("100"),
        "most levels (2..10000, after folding) a text or enum feature may have"),
    spec("min_frequency", LINEAR_LOGISTIC, "number", None,
        "levels with fewer training rows (a count >= 1, or a share below 1) fold into the level other; by default none fold"),
    spec("unseen", LINEAR_LOGISTIC, "string", Some("\"reference\""),
        "a level training never saw, at scoring: reference (all indicators 0) or error"),
    spec("group_by", LINEAR_LOGISTIC, "string or array of strings", None,
        "column(s) to fit one model per group of, plus the pooled model; by default one model"),
    spec("group_fallback", LINEAR_LOGISTIC, "string", Some("\"error\""),
        "a group that cannot be fitted, or unknown at scoring: error, or pooled (use the pooled model)"),
    spec("max_groups", LINEAR_LOGISTIC, "integer", Some("10000"),
        "most groups (1..1000000) a group_by training may form, counted before fitting"),
    spec("keep_versions", ALL_KINDS, "integer", None,
        "after a successful training, keep only the newest this many versions (never the deployed one nor one a rollback could restore); by default all"),
    spec("solver", LOGISTIC, "string", Some("\"irls\""),
        "irls (one parallel pass per Newton iteration, any size) or lbfgs (in memory, linfa-logistic)"),
    spec("tol", LOGISTIC, "number", Some("1e-10"),
        "convergence tolerance in (0, 1) on the change in log-likelihood, relative to it"),
    spec("max_iter", LOGISTIC, "integer", Some("50"),
        "most iterations (1..10000) before training fails (or stops, with allow_nonconvergence)"),
    spec("allow_nonconvergence", LOGISTIC, "boolean", Some("false"),
        "keep the last iterate at max_iter instead of failing; the fit records converged false"),
    spec("time_unit", BTYD, "string", Some("\"1 week\""),
        "the time unit of the RFM summaries, as an interval (\"1 day\", ...): horizons and cltv_clv's months count in it"),
];

impl OptionSpec {
    /// The option called `name`, whatever the kind.
    pub fn find(name: &str) -> Option<&'static OptionSpec> {
        OPTIONS.iter().find(|o| o.name == name)
    }

    /// The options a model of `kind` accepts (every option for `None`), in table order.
    pub fn for_kind(kind: Option<ModelKind>) -> impl Iterator<Item = &'static OptionSpec> {
        OPTIONS
            .iter()
            .filter(move |o| kind.is_none_or(|k| o.kinds.contains(&k)))
    }

    /// The default for a model of `kind` (`None`: the general one), as JSON text.
    pub fn default_for(&self, kind: Option<ModelKind>) -> Option<&'static str> {
        match (kind, self.logistic_default) {
            (Some(ModelKind::Logistic), Some(default)) => Some(default),
            _ => self.default,
        }
    }

    /// The error for this option given to a model of a kind that does not take it.
    fn not_for(&self, kind: ModelKind) -> Error {
        if matches!(self.name, "group_by" | "group_fallback" | "max_groups") {
            return Error::Unsupported {
                what: format!("option \"{}\" for kind \"{}\"", self.name, kind.as_str()),
                hint: "One model per group is trained for linear and logistic models; for BG/NBD or Gamma-Gamma, train one model per group on a view of its customers.".into(),
            };
        }
        let kinds = match self.kinds {
            LOGISTIC => "logistic models only".to_string(),
            BTYD => "the bgnbd and gamma_gamma models only".to_string(),
            LINEAR_LOGISTIC => "linear and logistic models".to_string(),
            kinds => {
                let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                format!("{} models", names.join(", "))
            }
        };
        invalid(
            self.name,
            format!("applies to {kinds}, not to kind \"{}\"", kind.as_str()),
        )
    }
}

impl TrainOptions {
    /// Whether the penalty applies to standardised coefficients: only a penalised fit
    /// (`l2` > 0) can tell, and it does unless `"standardize": false`.
    pub fn standardizes(&self) -> bool {
        self.l2 > 0.0 && self.standardize.unwrap_or(true)
    }

    /// The missing-value policy of `feature`.
    pub fn missing_for(&self, feature: &str) -> MissingPolicy {
        self.missing_by_feature
            .iter()
            .find(|(f, _)| f == feature)
            .map_or(self.missing, |(_, p)| *p)
    }

    /// Parse `options` for a model of `kind`; `Value::Null` means all defaults.
    pub fn parse(kind: ModelKind, options: &Value) -> Result<TrainOptions> {
        let mut parsed = TrainOptions {
            metric: if kind == ModelKind::Logistic {
                "auc"
            } else {
                "rmse"
            }
            .into(),
            segments: Segments::default_for(kind),
            ..TrainOptions::default()
        };
        let map: &Map<String, Value> = match options {
            Value::Null => return Ok(parsed),
            Value::Object(map) => map,
            other => {
                return Err(Error::InvalidOption {
                    key: "options".into(),
                    reason: format!("must be a JSON object, got {other}"),
                })
            }
        };
        for (key, value) in map {
            let spec = OptionSpec::find(key).ok_or_else(|| {
                let known: Vec<&str> = OptionSpec::for_kind(Some(kind)).map(|o| o.name).collect();
                let guess = crate::suggest::nearest(key, known.iter().copied())
                    .map(|near| format!(" (did you mean \"{near}\"?)"))
                    .unwrap_or_default();
                Error::InvalidOption {
                    key: key.clone(),
                    reason: format!(
                        "is not a known option{guess}; known options: {}",
                        known.join(", ")
                    ),
                }
            })?;
            if !spec.kinds.contains(&kind) {
                return Err(spec.not_for(kind));
            }
            match key.as_str() {
                "l2" => {
                    let l2 = number(key, value)?;
                    if !(l2 >= 0.0 && l2.is_finite()) {
                        return Err(invalid(key, format!("must be a finite number >= 0, got {value}")));
                    }
                    parsed.l2 = l2;
                }
                "test_fraction" => {
                    let f = number(key, value)?;
                    if !(0.0..1.0).contains(&f) {
                        return Err(invalid(key, format!("must be in [0, 1), got {value}")));
                    }
                    parsed.test_fraction = f;
                }
                "split_key" => parsed.split_key = Some(string(key, value)?.to_string()),
                "split" => parsed.time_split = Some(crate::split::TimeSplit::parse(value)?),
                "split_seed" => {
                    parsed.split_seed = Some(
                        value
                            .as_i64()
                            .ok_or_else(|| invalid(key, format!("must be an integer, got {value}")))?,
                    );
                }
                "missing" => parsed.missing = MissingPolicy::parse(key, value)?,
                "missing_by_feature" => {
                    let map = value.as_object().ok_or_else(|| {
                        invalid(
                            key,
                            format!("must be an object of feature names and policies, got {value}"),
                        )
                    })?;
                    for (feature, policy) in map {
                        let policy = MissingPolicy::parse(&format!("missing_by_feature.{feature}"), policy)?;
                        parsed.missing_by_feature.push((feature.clone(), policy));
                    }
                }
                "time_unit" => parsed.time_unit = Some(string(key, value)?.to_string()),
                "standardize" => {
                    parsed.standardize = Some(
                        value
                            .as_bool()
                            .ok_or_else(|| invalid(key, format!("must be true or false, got {value}")))?,
                    );
                }
                "group_by" => {
                    let columns: Vec<String> = match value {
                        Value::String(c) => vec![c.clone()],
                        Value::Array(items) => items
                            .iter()
                            .map(|c| c.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                invalid(
                                    key,
                                    format!("must be a column name or an array of them, got {value}"),
                                )
                            })?,
                        _ => {
                            return Err(invalid(
                                key,
                                format!("must be a column name or an array of them, got {value}"),
                            ))
                        }
                    };
                    if columns.is_empty()
                        || columns
                            .iter()
                            .enumerate()
                            .any(|(i, c)| c.is_empty() || columns[..i].contains(c))
                    {
                        return Err(invalid(
                            key,
                            format!("must name one or more distinct columns, got {value}"),
                        ));
                    }
                    parsed.group_by = columns;
                }
                "keep_versions" => {
                    parsed.keep_versions = Some(
                        value
                            .as_u64()
                            .filter(|n| *n >= 1 && *n <= i32::MAX as u64)
                            .ok_or_else(|| {
                                invalid(
                                    key,
                                    format!("must be a whole number of versions, at least 1, got {value}"),
                                )
                            })?,
                    );
                }
                "max_groups" => {
                    let max = crate::limits::MAX_MAX_GROUPS;
                    parsed.max_groups =
                        value.as_u64().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                            invalid(key, format!("must be an integer in 1..={max}, got {value}"))
                        })?;
                }
                "group_fallback" => {
                    parsed.group_fallback = one_of(
                        key,
                        value,
                        &[
                            ("error", crate::model::groups::GroupFallback::Error),
                            ("pooled", crate::model::groups::GroupFallback::Pooled),
                        ],
                    )?
                }
                "max_categories" => {
                    parsed.max_categories =
                        value
                            .as_u64()
                            .filter(|n| (2..=10_000).contains(n))
                            .ok_or_else(|| {
                                invalid(key, format!("must be an integer in 2..=10000, got {value}"))
                            })? as usize;
                }
                "min_frequency" => {
                    parsed.min_frequency = Some(crate::model::encoding::parse_min_frequency(value).ok_or_else(|| {
                        invalid(
                            key,
                            format!("must be a row count (an integer >= 1) or a share of the training rows in (0, 1), got {value}"),
                        )
                    })?);
                }
                "unseen" => {
                    parsed.unseen = one_of(
                        key,
                        value,
                        &[
                            ("reference", crate::model::encoding::Unseen::Reference),
                            ("error", crate::model::encoding::Unseen::Error),
                        ],
                    )?
                }
                "segments" => {
                    parsed.segments = Segments::parse(value, kind)?;
                }
                "promote" => {
                    parsed.promote = one_of(
                        key,
                        value,
                        &[
                            ("never", Promote::Never),
                            ("always", Promote::Always),
                            ("if_better", Promote::IfBetter),
                        ],
                    )?
                }
                "metric" => {
                    let metric = string(key, value)?;
                    if metric_direction(kind, metric).is_none() {
                        let known: Vec<&str> = [
                            "rmse",
                            "mse",
                            "mae",
                            "r_squared",
                            "auc",
                            "log_loss",
                            "brier",
                            "accuracy",
                            "f1",
                        ]
                        .into_iter()
                        .filter(|m| metric_direction(kind, m).is_some())
                        .collect();
                        return Err(invalid(
                            key,
                            if known.is_empty() {
                                format!("a {} model has no comparison metric", kind.as_str())
                            } else {
                                format!(
                                    "\"{metric}\" is not a metric of {} models; one of {}",
                                    kind.as_str(),
                                    known.join(", ")
                                )
                            },
                        ));
                    }
                    parsed.metric = metric.to_string();
                }
                "solver" => {
                    parsed.solver = one_of(key, value, &[("irls", Solver::Irls), ("lbfgs", Solver::Lbfgs)])?
                }
                "tol" => {
                    let tol = number(key, value)?;
                    if !(tol > 0.0 && tol < 1.0) {
                        return Err(invalid(key, format!("must be in (0, 1), got {value}")));
                    }
                    parsed.tol = tol;
                }
                "max_iter" => {
                    parsed.max_iter =
                        value
                            .as_u64()
                            .filter(|n| (1..=10_000).contains(n))
                            .ok_or_else(|| {
                                invalid(key, format!("must be an integer in 1..=10000, got {value}"))
                            })? as u32;
                }
                "allow_nonconvergence" => {
                    parsed.allow_nonconvergence = value
                        .as_bool()
                        .ok_or_else(|| invalid(key, format!("must be true or false, got {value}")))?;
                }
                // A key of the table without a parser: caught by the core's tests.
                _ => {
                    return Err(Error::Internal {
                        reason: format!("option \"{key}\" is documented but not parsed"),
                    })
                }
            }
        }
        if kind.fixed_features().is_some()
            && (parsed.missing.imputes() || parsed.missing_by_feature.iter().any(|(_, p)| p.imputes()))
        {
            return Err(invalid(
                "missing",
                format!(
                    "a {} model's summaries are not imputed: use \"error\" or \"drop\"",
                    kind.as_str()
                ),
            ));
        }
        if map.contains_key("metric") && parsed.promote != Promote::IfBetter {
            return Err(invalid(
                "metric",
                "is the comparison of \"promote\": \"if_better\"; set that too".into(),
            ));
        }
        if parsed.time_split.is_some() {
            if let Some(other) = ["test_fraction", "split_key"]
                .into_iter()
                .find(|k| map.contains_key(*k))
            {
                return Err(invalid(
                    "split",
                    format!("decides the test rows by time: it cannot be combined with \"{other}\""),
                ));
            }
        }
        if parsed.promote == Promote::IfBetter {
            if kind.fixed_features().is_some() {
                return Err(invalid(
                    "promote",
                    format!(
                        "\"if_better\" compares held-out rows, which a {} model has none of",
                        kind.as_str()
                    ),
                ));
            }
            if parsed.test_fraction == 0.0 && parsed.time_split.is_none() {
                return Err(invalid(
                    "promote",
                    "\"if_better\" compares the versions on held-out rows: test_fraction must be above 0"
                        .into(),
                ));
            }
        }
        Ok(parsed)
    }
}

fn invalid(key: &str, reason: String) -> Error {
    Error::InvalidOption {
        key: key.to_string(),
        reason,
    }
}

fn number(key: &str, value: &Value) -> Result<f64> {
    value
        .as_f64()
        .ok_or_else(|| invalid(key, format!("must be a number, got {value}")))
}

/// The value of `choices` that `value` names, or an error that lists them and suggests
/// the nearest: `must be "a", "b" or "c", got "x" (did you mean "b"?)`.
fn one_of<T: Copy>(key: &str, value: &Value, choices: &[(&str, T)]) -> Result<T> {
    let given = string(key, value)?;
    if let Some((_, v)) = choices.iter().find(|(name, _)| *name == given) {
        return Ok(*v);
    }
    let names: Vec<String> = choices.iter().map(|(name, _)| format!("\"{name}\"")).collect();
    let list = match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    let guess = crate::suggest::nearest(given, choices.iter().map(|(name, _)| *name))
        .map(|near| format!(" (did you mean \"{near}\"?)"))
        .unwrap_or_default();
    Err(invalid(key, format!("must be {list}, got \"{given}\"{guess}")))
}

fn string<'a>(key: &str, value: &'a Value) -> Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| invalid(key, format!("must be a string, got {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_when_null_or_empty() {
        assert_eq!(
            TrainOptions::parse(ModelKind::Linear, &Value::Null).unwrap(),
            TrainOptions::default()
        );
        assert_eq!(
            TrainOptions::parse(ModelKind::Linear, &json!({})).unwrap(),
            TrainOptions::default()
        );
    }

    #[test]
    fn parses_every_key() {
        let o = TrainOptions::parse(
            ModelKind::Linear,
            &json!({
                "l2": 0.5, "test_fraction": 0, "split_key": "customer_id", "split_seed": 7, "missing": "drop"
            }),
        )
        .unwrap();
        assert_eq!(o.l2, 0.5);
        assert_eq!(o.test_fraction, 0.0);
        assert_eq!(o.split_key.as_deref(), Some("customer_id"));
        assert_eq!(o.split_seed, Some(7));
        assert_eq!(o.missing, MissingPolicy::Drop);
    }

    #[test]
    fn logistic_keys_only_for_logistic_models() {
        let o = TrainOptions::parse(
            ModelKind::Logistic,
            &json!({"solver": "lbfgs", "tol": 1e-8, "max_iter": 7, "allow_nonconvergence": true}),
        )
        .unwrap();
        assert_eq!(
            (o.solver, o.tol, o.max_iter, o.allow_nonconvergence),
            (Solver::Lbfgs, 1e-8, 7, true)
        );
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"solver": "lbfgs"})).unwrap_err();
        assert!(e.message().contains("logistic models only"), "{}", e.message());
        assert!(TrainOptions::parse(ModelKind::Logistic, &json!({"max_iter": 0})).is_err());
        assert!(TrainOptions::parse(ModelKind::Logistic, &json!({"solver": "newton"})).is_err());
    }

    #[test]
    fn keep_versions_is_a_positive_count() {
        let o = TrainOptions::parse(ModelKind::BgNbd, &json!({"keep_versions": 3})).unwrap();
        assert_eq!(o.keep_versions, Some(3));
        assert_eq!(
            TrainOptions::parse(ModelKind::Linear, &json!({}))
                .unwrap()
                .keep_versions,
            None
        );
        for bad in [json!(0), json!(-1), json!(2.5), json!("3")] {
            let e = TrainOptions::parse(ModelKind::Linear, &json!({"keep_versions": bad})).unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
        }
    }

    #[test]
    fn max_groups_is_a_bounded_count_for_grouped_models() {
        let o = TrainOptions::parse(ModelKind::Linear, &json!({"group_by": "g"})).unwrap();
        assert_eq!(o.max_groups, crate::limits::DEFAULT_MAX_GROUPS);
        let o = TrainOptions::parse(ModelKind::Logistic, &json!({"group_by": "g", "max_groups": 2})).unwrap();
        assert_eq!(o.max_groups, 2);
        for bad in [json!(0), json!(-1), json!(2.5), json!("10"), json!(1_000_001)] {
            let e = TrainOptions::parse(ModelKind::Linear, &json!({ "max_groups": bad })).unwrap_err();
            assert_eq!(
                e.message(),
                format!("invalid option \"max_groups\": must be an integer in 1..=1000000, got {bad}")
            );
        }
        let e = TrainOptions::parse(ModelKind::BgNbd, &json!({"max_groups": 5})).unwrap_err();
        assert_eq!(e.sqlstate(), "0A000");
    }

    #[test]
    fn time_unit_only_for_btyd_models() {
        let o = TrainOptions::parse(ModelKind::BgNbd, &json!({"time_unit": "1 day"})).unwrap();
        assert_eq!(o.time_unit.as_deref(), Some("1 day"));
        assert!(TrainOptions::parse(ModelKind::GammaGamma, &json!({"time_unit": "1 week"})).is_ok());
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"time_unit": "1 day"})).unwrap_err();
        assert!(e.message().contains("bgnbd and gamma_gamma"), "{}", e.message());
        assert!(TrainOptions::parse(ModelKind::BgNbd, &json!({"time_unit": 7})).is_err());
    }

    #[test]
    fn missing_policies_and_overrides() {
        let o = TrainOptions::parse(
            ModelKind::Linear,
            &json!({"missing": "median", "missing_by_feature": {"income": "zero", "age": "drop"}}),
        )
        .unwrap();
        assert_eq!(o.missing_for("income"), MissingPolicy::Zero);
        assert_eq!(o.missing_for("age"), MissingPolicy::Drop);
        assert_eq!(o.missing_for("visits"), MissingPolicy::Median);
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"missing": "guess"})).is_err());
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"missing_by_feature": {"a": 1}})).is_err());
        assert!(TrainOptions::parse(ModelKind::BgNbd, &json!({"missing": "mean"})).is_err());
        assert!(TrainOptions::parse(ModelKind::BgNbd, &json!({"missing": "drop"})).is_ok());
    }

    #[test]
    fn null_rules_replay_the_stored_preprocessing() {
        let features =
            crate::model::encoding::Design::numeric(&["a".to_string(), "b".to_string(), "c".to_string()]);
        let read = |v: Value| {
            crate::model::preprocessing::Preprocessing::from_json(&v, &|reason| Error::CorruptModel {
                reason,
            })
            .unwrap()
        };
        let rules = null_rules(
            &read(json!({"missing": "mean", "missing_by_feature": {"b": "drop", "c": "error"}, "imputation": {"a": 2.5}})),
            &features,
        )
        .unwrap();
        assert_eq!(rules, [NullRule::Impute(2.5), NullRule::Drop, NullRule::Error]);
        assert_eq!(
            null_rules(&read(json!({})), &features).unwrap(),
            [NullRule::Error; 3]
        );
        assert!(null_rules(&read(json!({"missing": "mean"})), &features).is_err());
    }

    #[test]
    fn promotion_options() {
        let o = TrainOptions::parse(ModelKind::Linear, &json!({"promote": "if_better"})).unwrap();
        assert_eq!((o.promote, o.metric.as_str()), (Promote::IfBetter, "rmse"));
        let o = TrainOptions::parse(ModelKind::Logistic, &json!({"promote": "if_better"})).unwrap();
        assert_eq!(o.metric, "auc");
        let o = TrainOptions::parse(
            ModelKind::Logistic,
            &json!({"promote": "if_better", "metric": "log_loss"}),
        )
        .unwrap();
        assert_eq!(metric_direction(ModelKind::Logistic, &o.metric), Some(false));
        assert!(TrainOptions::parse(
            ModelKind::Linear,
            &json!({"promote": "if_better", "metric": "auc"})
        )
        .is_err());
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"metric": "rmse"})).is_err());
        assert!(TrainOptions::parse(
            ModelKind::Linear,
            &json!({"promote": "if_better", "test_fraction": 0})
        )
        .is_err());
        assert!(TrainOptions::parse(ModelKind::BgNbd, &json!({"promote": "if_better"})).is_err());
        assert!(TrainOptions::parse(ModelKind::BgNbd, &json!({"promote": "always"})).is_ok());
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"promote": "sometimes"})).is_err());
    }

    /// A value of the option's type that the parser accepts, for the options whose
    /// default is no value.
    fn some_value(o: &OptionSpec) -> Value {
        match o.name {
            "split_key" => json!("customer_id"),
            "split_seed" => json!(7),
            "min_frequency" => json!(5),
            "group_by" => json!(["country", "channel"]),
            "split" => json!({"column": "first_order_date", "test_from": "2024-07-01"}),
            "keep_versions" => json!(3),
            _ => {
                serde_json::from_str(o.default.expect("an option without a default has a case here")).unwrap()
            }
        }
    }

    #[test]
    fn the_option_table_is_what_the_parser_accepts() {
        let names: Vec<&str> = OPTIONS.iter().map(|o| o.name).collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} twice");
        }
        for o in OPTIONS {
            assert!(!o.kinds.is_empty() && !o.description.is_empty(), "{}", o.name);
            for kind in ModelKind::ALL {
                let mut options = json!({ o.name: some_value(o) });
                if o.name == "metric" {
                    options["promote"] = json!("if_better");
                }
                if let Some(default) = o.default_for(Some(kind)) {
                    options[o.name] = serde_json::from_str(default).unwrap();
                }
                let parsed = TrainOptions::parse(kind, &options);
                if o.kinds.contains(&kind) {
                    // Every option of the table parses (its default included) for its kinds.
                    assert!(parsed.is_ok(), "{} for {kind:?}: {:?}", o.name, parsed.err());
                } else {
                    // And is refused, by name, for the others.
                    let e = parsed.unwrap_err();
                    assert!(e.message().contains(o.name), "{}", e.message());
                    assert!(
                        e.message().contains("applies to") || e.sqlstate() == "0A000",
                        "{}",
                        e.message()
                    );
                }
            }
        }
        // A key not in the table is unknown, and the error lists the kind's options.
        let e = TrainOptions::parse(ModelKind::Logistic, &json!({"alpha": 1})).unwrap_err();
        let known: Vec<&str> = OptionSpec::for_kind(Some(ModelKind::Logistic))
            .map(|o| o.name)
            .collect();
        assert_eq!(
            e.message(),
            format!(
                "invalid option \"alpha\": is not a known option; known options: {}",
                known.join(", ")
            )
        );
        assert!(known.contains(&"solver") && !known.contains(&"time_unit"));
        assert_eq!(OptionSpec::for_kind(None).count(), OPTIONS.len());
    }

    #[test]
    fn the_documented_defaults_are_the_defaults() {
        for o in OPTIONS {
            for &kind in o.kinds {
                let Some(default) = o.default_for(Some(kind)) else {
                    continue;
                };
                let mut with_default = json!({ o.name: serde_json::from_str::<Value>(default).unwrap() });
                let mut without = json!({});
                if o.name == "metric" {
                    with_default["promote"] = json!("if_better");
                    without["promote"] = json!("if_better");
                }
                let mut a = TrainOptions::parse(kind, &with_default).unwrap();
                let b = TrainOptions::parse(kind, &without).unwrap();
                // Stated explicitly, these two are recorded as stated; their meaning is the
                // default's.
                if a.standardize == Some(true) && b.standardize.is_none() {
                    a.standardize = None;
                }
                if a.time_unit.as_deref() == Some("1 week") && b.time_unit.is_none() {
                    a.time_unit = None;
                }
                assert_eq!(a, b, "{} for {kind:?}", o.name);
            }
        }
        let metric = OptionSpec::find("metric").unwrap();
        assert_eq!(metric.default_for(Some(ModelKind::Logistic)), Some("\"auc\""));
        assert_eq!(metric.default_for(Some(ModelKind::Linear)), Some("\"rmse\""));
    }

    #[test]
    fn rejects_unknown_keys_and_wrong_types() {
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"l3": 1})).unwrap_err();
        assert!(e.message().contains("l3"), "{}", e.message());
        assert_eq!(e.sqlstate(), "22023");
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"l2": "big"})).unwrap_err();
        assert!(e.message().contains("l2"));
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"l2": -1})).is_err());
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"test_fraction": 1.0})).is_err());
        assert!(TrainOptions::parse(ModelKind::Linear, &json!({"missing": "average"})).is_err());
        assert!(TrainOptions::parse(ModelKind::Linear, &json!([1])).is_err());
    }

    #[test]
    fn unknown_names_suggest_the_nearest_known_one() {
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"test_fracton": 0.3})).unwrap_err();
        assert!(
            e.message()
                .starts_with("invalid option \"test_fracton\": is not a known option (did you mean \"test_fraction\"?); known options: l2,"),
            "{}",
            e.message()
        );
        // Logistic-only keys are known, and suggested, for logistic models only.
        let e = TrainOptions::parse(ModelKind::Logistic, &json!({"max_iters": 5})).unwrap_err();
        assert!(
            e.message().contains("(did you mean \"max_iter\"?)"),
            "{}",
            e.message()
        );
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"learning_rate": 0.1})).unwrap_err();
        assert!(!e.message().contains("did you mean"), "{}", e.message());
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"missing": "medain"})).unwrap_err();
        assert_eq!(
            e.message(),
            "invalid option \"missing\": must be \"error\", \"drop\", \"mean\", \"median\", \"zero\" or \"most_frequent\", got \"medain\" (did you mean \"median\"?)"
        );
        let e = TrainOptions::parse(ModelKind::Linear, &json!({"promote": "if-better"})).unwrap_err();
        assert!(
            e.message()
                .ends_with("got \"if-better\" (did you mean \"if_better\"?)"),
            "{}",
            e.message()
        );
        let e = TrainOptions::parse(ModelKind::Logistic, &json!({"solver": "newton"})).unwrap_err();
        assert_eq!(
            e.message(),
            "invalid option \"solver\": must be \"irls\" or \"lbfgs\", got \"newton\""
        );
    }

    #[test]
    fn most_frequent_is_a_policy_stored_by_its_name() {
        let o = TrainOptions::parse(
            ModelKind::Linear,
            &json!({"missing": "mean", "missing_by_feature": {"channel": "most_frequent"}}),
        )
        .unwrap();
        assert_eq!(o.missing_for("channel"), MissingPolicy::MostFrequent);
        assert!(MissingPolicy::MostFrequent.imputes());
        assert!(!MissingPolicy::MostFrequent.imputes_a_number());
        assert!(MissingPolicy::Median.imputes_a_number());
        assert_eq!(
            serde_json::to_value(MissingPolicy::MostFrequent).unwrap(),
            json!("most_frequent")
        );
        assert_eq!(MissingPolicy::MostFrequent.as_str(), "most_frequent");
        // Stored documents of 0.4.0 say "mean", "median", "zero": they still read.
        for (name, policy) in [
            ("mean", MissingPolicy::Mean),
            ("median", MissingPolicy::Median),
            ("zero", MissingPolicy::Zero),
            ("drop", MissingPolicy::Drop),
        ] {
            assert_eq!(
                serde_json::from_value::<MissingPolicy>(json!(name)).unwrap(),
                policy
            );
            assert_eq!(policy.as_str(), name);
        }
        assert!(TrainOptions::parse(ModelKind::BgNbd, &json!({"missing": "most_frequent"})).is_err());
    }

    #[test]
    fn logistic_models_default_to_risk_tiers() {
        let o = TrainOptions::parse(ModelKind::Logistic, &Value::Null).unwrap();
        assert_eq!(o.segments.labels, ["low", "medium", "high", "very high"]);
        let o = TrainOptions::parse(ModelKind::Logistic, &json!({"l2": 1})).unwrap();
        assert_eq!(o.segments.labels, ["low", "medium", "high", "very high"]);
        let o = TrainOptions::parse(ModelKind::Linear, &json!({})).unwrap();
        assert_eq!(o.segments.labels, ["bronze", "silver", "gold", "platinum"]);
        let o = TrainOptions::parse(
            ModelKind::Logistic,
            &json!({"segments": {"labels": ["keep", "call"], "quantiles": [0.9]}}),
        )
        .unwrap();
        assert_eq!(o.segments.labels, ["keep", "call"]);
    }
}
