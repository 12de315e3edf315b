//! Value tiers for marketing and BI: a prediction's tier comes from cut points at quantiles
//! of the training predictions, stored with the model version, so a customer's tier never
//! depends on what else is in the query.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

/// Tiers from the lowest predictions to the highest: value tiers, for the amounts a
/// linear model predicts (spend, CLV).
pub const DEFAULT_LABELS: [&str; 4] = ["bronze", "silver", "gold", "platinum"];
/// A logistic model's tiers: the probability it predicts is a risk (of churn, of
/// default), so its highest tier is the highest risk, not a "platinum" customer.
pub const DEFAULT_RISK_LABELS: [&str; 4] = ["low", "medium", "high", "very high"];
/// Cumulative shares of the training predictions at the cuts: bronze is the lowest 40%,
/// silver the next 30%, gold the next 20%, platinum the top 10%.
pub const DEFAULT_QUANTILES: [f64; 3] = [0.4, 0.7, 0.9];

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Segments {
    /// From the lowest tier to the highest; one more than `quantiles`.
    pub labels: Vec<String>,
    /// Strictly increasing shares in (0, 1).
    pub quantiles: Vec<f64>,
    /// The training predictions at `quantiles` (filled in by training).
    #[serde(default)]
    pub cut_points: Vec<f64>,
}

impl Default for Segments {
    fn default() -> Self {
        Segments {
            labels: DEFAULT_LABELS.iter().map(|s| s.to_string()).collect(),
            quantiles: DEFAULT_QUANTILES.to_vec(),
            cut_points: Vec::new(),
        }
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidOption {
        key: "segments".into(),
        reason,
    }
}

impl Segments {
    /// The default tiers of a model of `kind`: risk labels for a logistic model (see
    /// [`DEFAULT_RISK_LABELS`]), value labels otherwise; the same quantiles.
    pub fn default_for(kind: crate::model::scoring::ModelKind) -> Segments {
        let labels: &[&str] = if kind == crate::model::scoring::ModelKind::Logistic {
            &DEFAULT_RISK_LABELS
        } else {
            &DEFAULT_LABELS
        };
        Segments {
            labels: labels.iter().map(|s| s.to_string()).collect(),
            ..Segments::default()
        }
    }

    /// The `"segments"` option: `{"labels": [...], "quantiles": [...]}`, either key optional
    /// (an omitted one is `kind`'s default, see [`Segments::default_for`]).
    pub fn parse(value: &Value, kind: crate::model::scoring::ModelKind) -> Result<Segments> {
        let map = value.as_object().ok_or_else(|| {
            invalid(format!(
                "must be an object with \"labels\" and \"quantiles\", got {value}"
            ))
        })?;
        if let Some(key) = map.keys().find(|k| *k != "labels" && *k != "quantiles") {
            return Err(invalid(format!(
                "has no key \"{key}\"; it takes \"labels\" and \"quantiles\""
            )));
        }
        let mut parsed = Segments::default_for(kind);
        if let Some(labels) = map.get("labels") {
            parsed.labels = serde_json::from_value(labels.clone())
                .map_err(|_| invalid(format!("labels must be an array of strings, got {labels}")))?;
        }
        if let Some(quantiles) = map.get("quantiles") {
            parsed.quantiles = serde_json::from_value(quantiles.clone())
                .map_err(|_| invalid(format!("quantiles must be an array of numbers, got {quantiles}")))?;
        }
        parsed.validate()?;
        Ok(parsed)
    }

    pub fn validate(&self) -> Result<()> {
        if self.labels.len() != self.quantiles.len() + 1 {
            return Err(invalid(format!(
                "{} labels need {} quantiles (one cut between each two tiers), got {}",
                self.labels.len(),
                self.labels.len().saturating_sub(1),
                self.quantiles.len()
            )));
        }
        if self.labels.len() < 2 || self.labels.iter().any(|l| l.is_empty()) {
            return Err(invalid("needs at least two non-empty labels".into()));
        }
        for (i, label) in self.labels.iter().enumerate() {
            if self.labels[..i].contains(label) {
                return Err(invalid(format!("label \"{label}\" is listed twice")));
            }
        }
        let increasing = self.quantiles.windows(2).all(|w| w[0] < w[1]);
        if !increasing || self.quantiles.iter().any(|q| !(*q > 0.0 && *q < 1.0)) {
            return Err(invalid(format!(
                "quantiles must increase strictly within (0, 1), got {:?}",
                self.quantiles
            )));
        }
        Ok(())
    }

    /// The segments stored with a version (`preprocessing.segments`): the option's checks,
    /// and one finite cut point per quantile, in ascending order (ties allowed: training
    /// predictions can repeat).
    pub fn from_stored(value: &Value) -> Result<Segments> {
        let stored = Segments::stored_shape(value)?;
        stored.check_stored()?;
        Ok(stored)
    }

    /// The shape of stored segments: an object with the three lists, nothing checked yet.
    pub fn stored_shape(value: &Value) -> Result<Segments> {
        serde_json::from_value(value.clone()).map_err(|e| {
            invalid(format!(
                "must be an object with \"labels\", \"quantiles\" and \"cut_points\", got {value} ({e})"
            ))
        })
    }

    /// The checks of [`Segments::from_stored`] once the shape is read.
    pub fn check_stored(&self) -> Result<()> {
        let stored = self;
        stored.validate()?;
        if stored.cut_points.len() != stored.quantiles.len() {
            return Err(invalid(format!(
                "{} quantiles need {} cut points, got {}",
                stored.quantiles.len(),
                stored.quantiles.len(),
                stored.cut_points.len()
            )));
        }
        let ascending = stored.cut_points.windows(2).all(|w| w[0] <= w[1]);
        if !ascending || stored.cut_points.iter().any(|c| !c.is_finite()) {
            return Err(invalid(format!(
                "cut_points must be finite and ascending, got {:?}",
                stored.cut_points
            )));
        }
        Ok(())
    }

    /// The tier of `score`: the number of cut points at or below it picks the label.
    pub fn label_of(&self, score: f64) -> &str {
        let tier = self.cut_points.iter().take_while(|cut| **cut <= score).count();
        &self.labels[tier]
    }
}

/// The tier of `value` among `labels` (lowest first) split at ascending `cut_points`, as a
/// model's segments: at a cut point, the higher tier. For tiering any values (CLV, above
/// all) by cut points found with `cltv_score_quantiles` over a cohort. The cut points and
/// labels are checked as a stored version's are; `what` names the value in errors.
pub fn tier_of<'a>(value: f64, cut_points: &[f64], labels: &'a [String]) -> Result<&'a str> {
    let bad = |what: &str, reason: String| Error::InvalidArgument {
        what: what.to_string(),
        reason,
    };
    if labels.len() != cut_points.len() + 1 {
        return Err(bad(
            "labels",
            format!(
                "{} cut point(s) make {} tiers, but {} label(s) are given",
                cut_points.len(),
                cut_points.len() + 1,
                labels.len()
            ),
        ));
    }
    if labels.iter().any(|l| l.is_empty()) {
        return Err(bad("labels", "must not be empty strings".into()));
    }
    if let Some(twice) = labels.iter().enumerate().find(|(i, l)| labels[..*i].contains(l)) {
        return Err(bad("labels", format!("\"{}\" is listed twice", twice.1)));
    }
    if cut_points.iter().any(|c| !c.is_finite()) || cut_points.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad(
            "cut_points",
            format!("must be finite and ascending, got {cut_points:?}"),
        ));
    }
    if value.is_nan() {
        return Err(bad("value NaN", "has no tier".into()));
    }
    let tier = cut_points.iter().take_while(|cut| **cut <= value).count();
    Ok(&labels[tier])
}

/// The `q` quantile of ascending `sorted` values by linear interpolation between the
/// closest ranks (R's type 7, numpy's default, PostgreSQL's `percentile_cont`).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    quantile_sorted_by(sorted.len(), q, |i| sorted[i])
}

/// [`quantile_sorted`] of `n` ascending values that `value(i)` reads.
pub fn quantile_sorted_by(n: usize, q: f64, value: impl Fn(usize) -> f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    let position = q * (n - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(n - 1);
    let weight = position - below as f64;
    value(below) + weight * (value(above) - value(below))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantiles_interpolate_like_percentile_cont() {
        // percentile_cont(0.4) over 1..5 is 2.6; (0.9) is 4.6.
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((quantile_sorted(&v, 0.4) - 2.6).abs() < 1e-15);
        assert!((quantile_sorted(&v, 0.9) - 4.6).abs() < 1e-15);
        assert_eq!(quantile_sorted(&[7.0], 0.5), 7.0);
        assert!(quantile_sorted(&[], 0.5).is_nan());
    }

    #[test]
    fn labels_follow_the_cut_points() {
        let s = Segments {
            cut_points: vec![10.0, 20.0, 30.0],
            ..Segments::default()
        };
        assert_eq!(s.label_of(5.0), "bronze");
        assert_eq!(s.label_of(10.0), "silver"); // at a cut: the higher tier
        assert_eq!(s.label_of(25.0), "gold");
        assert_eq!(s.label_of(1e9), "platinum");
    }

    #[test]
    fn tier_of_agrees_with_the_segments_and_checks_its_arguments() {
        let s = Segments {
            cut_points: vec![10.0, 20.0, 30.0],
            ..Segments::default()
        };
        for v in [-1e300, 5.0, 10.0, 15.0, 20.0, 29.9, 30.0, f64::INFINITY] {
            assert_eq!(
                tier_of(v, &s.cut_points, &s.labels).unwrap(),
                s.label_of(v),
                "{v}"
            );
        }
        let labels: Vec<String> = DEFAULT_LABELS.iter().map(|l| l.to_string()).collect();
        assert!(tier_of(1.0, &[1.0, 2.0], &labels).is_err());
        assert!(tier_of(1.0, &[3.0, 2.0, 4.0], &labels).is_err());
        assert!(tier_of(1.0, &[1.0, f64::NAN, 4.0], &labels).is_err());
        assert!(tier_of(f64::NAN, &[1.0, 2.0, 4.0], &labels).is_err());
        let twice = vec!["a".to_string(), "a".to_string()];
        assert!(tier_of(1.0, &[1.0], &twice).is_err());
        // Tied cut points (repeated values in the cohort) leave a tier empty, not an error.
        assert_eq!(tier_of(2.0, &[1.0, 2.0, 2.0], &labels).unwrap(), "platinum");
    }

    #[test]
    fn stored_segments_are_checked() {
        let good =
            json!({"labels": ["low", "mid", "high"], "quantiles": [0.5, 0.9], "cut_points": [1.0, 1.0]});
        assert_eq!(Segments::from_stored(&good).unwrap().cut_points, [1.0, 1.0]);
        for (bad, needle) in [
            (json!(5), "got 5"),
            (
                json!({"labels": ["a", "b"], "quantiles": [0.5]}),
                "need 1 cut points, got 0",
            ),
            (
                json!({"labels": ["a", "b", "c"], "quantiles": [0.5, 0.9], "cut_points": [3.0, 1.0]}),
                "ascending",
            ),
            (
                json!({"labels": ["a", "b", "c"], "quantiles": [0.5], "cut_points": [1.0]}),
                "3 labels need 2 quantiles",
            ),
            (
                json!({"labels": ["a", "b"], "quantiles": [0.5, 0.7], "cut_points": [1.0, 2.0]}),
                "2 labels need 1",
            ),
        ] {
            let e = Segments::from_stored(&bad).unwrap_err();
            assert_eq!(e.sqlstate(), "22023");
            assert!(e.message().contains(needle), "{}", e.message());
        }
    }

    #[test]
    fn the_option_is_checked() {
        use crate::model::scoring::ModelKind;
        let s = Segments::parse(
            &json!({"labels": ["low", "high"], "quantiles": [0.5]}),
            ModelKind::Linear,
        )
        .unwrap();
        assert_eq!(s.labels, ["low", "high"]);
        assert_eq!(
            Segments::parse(&json!({}), ModelKind::Linear).unwrap(),
            Segments::default()
        );
        // A logistic model's tiers are risks; an omitted key takes the kind's default.
        let risk = Segments::parse(&json!({"quantiles": [0.5, 0.8, 0.95]}), ModelKind::Logistic).unwrap();
        assert_eq!(risk.labels, ["low", "medium", "high", "very high"]);
        assert_eq!(risk.quantiles, [0.5, 0.8, 0.95]);
        assert_eq!(Segments::default_for(ModelKind::Linear).labels, DEFAULT_LABELS);
        assert_eq!(
            Segments::default_for(ModelKind::Logistic).labels,
            DEFAULT_RISK_LABELS
        );
        for bad in [
            json!({"labels": ["a", "b"], "quantiles": [0.3, 0.6]}),
            json!({"labels": ["a", "a"], "quantiles": [0.5]}),
            json!({"quantiles": [0.7, 0.4, 0.9]}),
            json!({"quantiles": [0.0, 0.5, 0.9]}),
            json!({"labels": "abc"}),
            json!({"tiers": 3}),
            json!([1]),
        ] {
            let e = Segments::parse(&bad, ModelKind::Linear).unwrap_err();
            assert_eq!(e.sqlstate(), "22023", "{bad}");
        }
    }
}
