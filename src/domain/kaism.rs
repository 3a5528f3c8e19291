//! KAISM, the key account identification and selection matrix: a scoring model of weighted
//! factors on two axes, and the arithmetic that turns factor values into an assessment.
//!
//! The arithmetic is the one `DOMAIN.md` publishes, so every client of the API can recompute a
//! score by hand:
//! - every factor value is on 0-100; a rating r of 1-10 counts as (r − 1) / 9 × 100;
//! - a factor with no data counts as 50, neutral, and is marked missing;
//! - an axis is the weighted mean of its factors, Σ wᵢ·vᵢ / Σ wᵢ;
//! - a client is high on an axis when its value is at or above that axis's threshold.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::solvency::{self, Risk};

/// The value a factor without data counts as.
pub const NEUTRAL: f64 = 50.0;

/// The two axes of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Axis {
    /// How attractive the client is to us.
    Attractiveness,
    /// How loyal the client is to us; our strength in the client's eyes.
    Loyalty,
}

/// The four cells of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Quadrant {
    /// High attractiveness, high loyalty: invest.
    Key,
    /// High attractiveness, low loyalty: win loyalty.
    Development,
    /// Low attractiveness, high loyalty: serve efficiently.
    Support,
    /// Low on both: standard terms, watch for change.
    Opportunistic,
}

impl Quadrant {
    /// The cell of a client at (`attractiveness`, `loyalty`) under `thresholds`.
    #[must_use]
    pub fn of(attractiveness: f64, loyalty: f64, thresholds: Thresholds) -> Self {
        match (
            attractiveness >= thresholds.attractiveness,
            loyalty >= thresholds.loyalty,
        ) {
            (true, true) => Self::Key,
            (true, false) => Self::Development,
            (false, true) => Self::Support,
            (false, false) => Self::Opportunistic,
        }
    }

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Key => "KEY",
            Self::Development => "DEVELOPMENT",
            Self::Support => "SUPPORT",
            Self::Opportunistic => "OPPORTUNISTIC",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Key,
            Self::Development,
            Self::Support,
            Self::Opportunistic,
        ]
        .into_iter()
        .find(|q| q.as_str() == name)
    }
}

/// Where a factor's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    /// Computed from the data kaim holds (orders, checks...).
    Derived,
    /// Rated 1-10 by the key account manager.
    Rated,
}

/// The axis thresholds: at or above is high.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub attractiveness: f64,
    pub loyalty: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            attractiveness: 50.0,
            loyalty: 50.0,
        }
    }
}

/// One factor of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    /// Stable identifier, such as `order_volume`.
    pub key: String,
    pub axis: Axis,
    pub label: String,
    pub description: String,
    /// Positive; the weights of an axis sum to 1.
    pub weight: f64,
    pub source: Source,
}

/// A scoring model: the factors of both axes and the thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub factors: Vec<Factor>,
    pub thresholds: Thresholds,
}

/// Why a model was refused; `field` names the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InvalidModel {
    pub field: String,
    pub message: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InvalidModel {
    InvalidModel {
        field: field.into(),
        message: message.into(),
    }
}

/// The derived factors kaim knows how to compute; a derived factor must be one of these.
pub const DERIVED_KEYS: [&str; 7] = [
    "order_volume",
    "order_frequency",
    "regularity",
    "financial_stability",
    "financial_reputation",
    "tenure",
    "repeat_order_rate",
];

impl Model {
    /// Checks a proposed model and normalises each axis's weights to sum to 1.
    ///
    /// # Errors
    /// A blank or duplicate key, a non-positive or non-finite weight, an axis without factors,
    /// a derived factor kaim cannot compute, or a threshold outside 0-100.
    pub fn validated(mut self) -> Result<Self, InvalidModel> {
        let mut keys = HashSet::new();
        for (i, factor) in self.factors.iter().enumerate() {
            let field = format!("input.factors[{i}]");
            let key_ok = !factor.key.is_empty()
                && factor.key.len() <= 64
                && factor
                    .key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                return Err(invalid(
                    format!("{field}.key"),
                    "a factor key is 1-64 characters of a-z, 0-9 and _",
                ));
            }
            if !keys.insert(factor.key.as_str()) {
                return Err(invalid(
                    format!("{field}.key"),
                    format!("the factor key `{}` is used twice", factor.key),
                ));
            }
            if !(factor.weight.is_finite() && factor.weight > 0.0) {
                return Err(invalid(
                    format!("{field}.weight"),
                    "a weight is a positive number",
                ));
            }
            if factor.source == Source::Derived && !DERIVED_KEYS.contains(&factor.key.as_str()) {
                return Err(invalid(
                    format!("{field}.key"),
                    format!(
                        "`{}` is not a factor kaim can derive (one of {}); make it RATED",
                        factor.key,
                        DERIVED_KEYS.join(", ")
                    ),
                ));
            }
            if factor.label.trim().is_empty() {
                return Err(invalid(format!("{field}.label"), "a factor needs a label"));
            }
        }
        for (axis, name) in [
            (Axis::Attractiveness, "attractiveness"),
            (Axis::Loyalty, "loyalty"),
        ] {
            let total: f64 = self
                .factors
                .iter()
                .filter(|f| f.axis == axis)
                .map(|f| f.weight)
                .sum();
            if total <= 0.0 {
                return Err(invalid(
                    "input.factors",
                    format!("the {name} axis needs at least one factor"),
                ));
            }
            for factor in self.factors.iter_mut().filter(|f| f.axis == axis) {
                factor.weight /= total;
            }
        }
        for (value, field) in [
            (
                self.thresholds.attractiveness,
                "input.thresholds.attractiveness",
            ),
            (self.thresholds.loyalty, "input.thresholds.loyalty"),
        ] {
            if !(0.0..=100.0).contains(&value) {
                return Err(invalid(field, "a threshold is between 0 and 100"));
            }
        }
        Ok(self)
    }

    /// The factor with `key`.
    #[must_use]
    pub fn factor(&self, key: &str) -> Option<&Factor> {
        self.factors.iter().find(|f| f.key == key)
    }

    /// The default model: the factors named by the source article, derived where data exists.
    #[must_use]
    pub fn default_model() -> Self {
        use Axis::{Attractiveness as A, Loyalty as L};
        use Source::{Derived as D, Rated as R};
        let factor = |key: &str, axis, label: &str, description: &str, weight, source| Factor {
            key: key.to_owned(),
            axis,
            label: label.to_owned(),
            description: description.to_owned(),
            weight,
            source,
        };
        Self {
            factors: vec![
                factor(
                    "order_volume",
                    A,
                    "Order volume",
                    "Sum of ORDER amounts over the trailing window, as a percentile of the portfolio.",
                    0.20,
                    D,
                ),
                factor(
                    "order_frequency",
                    A,
                    "Order frequency",
                    "Number of orders over the trailing window, as a percentile of the portfolio.",
                    0.15,
                    D,
                ),
                factor(
                    "financial_stability",
                    A,
                    "Financial stability",
                    "From the financial checks: 50, ±25 for revenue growth against the year before (±20 % counts fully), ±25 for the net margin (±10 % counts fully), capped at 20 at HIGH solvency risk and 50 at MEDIUM; 0 for a liquidating, liquidated, bankrupt or dissolved company.",
                    0.15,
                    D,
                ),
                factor(
                    "growth_prospects",
                    A,
                    "Growth prospects",
                    "The client's own growth potential, as the manager judges it.",
                    0.10,
                    R,
                ),
                factor(
                    "transparency",
                    A,
                    "Transparency of dealings",
                    "How open and predictable dealings with the client are.",
                    0.05,
                    R,
                ),
                factor(
                    "structural_similarity",
                    A,
                    "Similar organisation",
                    "How closely the client's organisation mirrors ours.",
                    0.05,
                    R,
                ),
                factor(
                    "regularity",
                    A,
                    "Regularity of cooperation",
                    "How evenly orders are spread: 100 when the gaps between orders are equal.",
                    0.10,
                    D,
                ),
                factor(
                    "financial_reputation",
                    A,
                    "Financial reputation",
                    "From the financial checks: 100 less the lawsuits' claims against revenue (5 % of revenue or more is 0), or 10 points a case without revenue to compare; 0 for a failed company.",
                    0.10,
                    D,
                ),
                factor(
                    "behaviour_consistency",
                    A,
                    "Consistent behaviour",
                    "How consistently the client behaves as a partner.",
                    0.10,
                    R,
                ),
                factor(
                    "competitive_prices",
                    L,
                    "Our competitive prices",
                    "How the client sees our prices against competitors'.",
                    0.10,
                    R,
                ),
                factor(
                    "range_breadth",
                    L,
                    "Breadth of our range",
                    "How much of what the client needs we offer.",
                    0.10,
                    R,
                ),
                factor(
                    "service_quality",
                    L,
                    "Our service quality",
                    "How the client rates our service.",
                    0.15,
                    R,
                ),
                factor(
                    "technical_level",
                    L,
                    "Our technical level",
                    "Our production and technical level in the client's eyes.",
                    0.10,
                    R,
                ),
                factor(
                    "exclusive_offer",
                    L,
                    "Exclusive products or services",
                    "What the client can only get from us.",
                    0.10,
                    R,
                ),
                factor(
                    "fulfilment_speed",
                    L,
                    "Speed of meeting obligations",
                    "How fast we deliver on our promises.",
                    0.10,
                    R,
                ),
                factor(
                    "tenure",
                    L,
                    "Tenure",
                    "Years since the first interaction: 10 years or more is 100.",
                    0.15,
                    D,
                ),
                factor(
                    "repeat_order_rate",
                    L,
                    "Repeat-order rate",
                    "Share of the trailing window's months in which the client ordered.",
                    0.20,
                    D,
                ),
            ],
            thresholds: Thresholds::default(),
        }
    }
}

/// A factor's value for one client, before weighting; `None` when there is no data.
pub type FactorValues = HashMap<String, Option<f64>>;

/// One factor's part in an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactorScore {
    pub key: String,
    pub axis: Axis,
    /// 0-100; [`NEUTRAL`] when missing.
    pub value: f64,
    pub weight: f64,
    pub derived: bool,
    /// No data: the value is the neutral 50.
    pub missing: bool,
}

/// A client's position in the matrix under one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub attractiveness: f64,
    pub loyalty: f64,
    pub quadrant: Quadrant,
    pub factors: Vec<FactorScore>,
    /// One line a manager can read: where the client stands and why.
    pub explanation: String,
}

/// Scores a client: `values` holds each factor's 0-100 value (`None` or absent: no data).
#[must_use]
pub fn assess(model: &Model, values: &FactorValues) -> Assessment {
    let factors: Vec<FactorScore> = model
        .factors
        .iter()
        .map(|factor| {
            let value = values
                .get(&factor.key)
                .copied()
                .flatten()
                .filter(|v| v.is_finite())
                .map(|v| v.clamp(0.0, 100.0));
            FactorScore {
                key: factor.key.clone(),
                axis: factor.axis,
                value: value.unwrap_or(NEUTRAL),
                weight: factor.weight,
                derived: factor.source == Source::Derived,
                missing: value.is_none(),
            }
        })
        .collect();
    let axis = |axis: Axis| {
        let (sum, weights) = factors
            .iter()
            .filter(|f| f.axis == axis)
            .fold((0.0, 0.0), |(s, w), f| {
                (s + f.weight * f.value, w + f.weight)
            });
        if weights > 0.0 {
            (sum / weights).clamp(0.0, 100.0)
        } else {
            NEUTRAL
        }
    };
    let attractiveness = axis(Axis::Attractiveness);
    let loyalty = axis(Axis::Loyalty);
    let quadrant = Quadrant::of(attractiveness, loyalty, model.thresholds);
    let explanation = explain(attractiveness, loyalty, quadrant, &factors);
    Assessment {
        attractiveness,
        loyalty,
        quadrant,
        factors,
        explanation,
    }
}

fn explain(
    attractiveness: f64,
    loyalty: f64,
    quadrant: Quadrant,
    factors: &[FactorScore],
) -> String {
    let strongest = factors
        .iter()
        .filter(|f| !f.missing)
        .max_by(|a, b| (a.value * a.weight).total_cmp(&(b.value * b.weight)));
    let weakest = factors
        .iter()
        .filter(|f| !f.missing)
        .min_by(|a, b| (a.value * a.weight).total_cmp(&(b.value * b.weight)));
    let missing = factors.iter().filter(|f| f.missing).count();
    let mut line = format!(
        "{} (attractiveness {attractiveness:.0}, loyalty {loyalty:.0})",
        quadrant.as_str()
    );
    if let (Some(strong), Some(weak)) = (strongest, weakest) {
        line.push_str(&format!(
            ": strongest {} {:.0}, weakest {} {:.0}",
            strong.key, strong.value, weak.key, weak.value
        ));
    }
    if missing > 0 {
        line.push_str(&format!("; {missing} factor(s) without data counted as 50"));
    }
    line
}

/// A 1-10 rating on the 0-100 scale.
///
/// # Errors
/// When the rating is not between 1 and 10.
pub fn rating_value(rating: f64) -> Result<f64, String> {
    if rating.is_finite() && (1.0..=10.0).contains(&rating) {
        Ok((rating - 1.0) / 9.0 * 100.0)
    } else {
        Err("a rating is between 1 and 10".into())
    }
}

/// The mid-rank percentile of `value` among `population` (0-100): the share of values below
/// it plus half the share equal to it. The same value always maps to the same percentile,
/// whatever the currency or size of the business.
#[must_use]
pub fn percentile(value: f64, sorted_population: &[f64]) -> f64 {
    if sorted_population.is_empty() {
        return NEUTRAL;
    }
    let below = sorted_population.partition_point(|v| *v < value);
    let at_or_below = sorted_population.partition_point(|v| *v <= value);
    let equal = at_or_below - below;
    #[expect(
        clippy::cast_precision_loss,
        reason = "portfolio sizes are far below 2^52"
    )]
    let share = (below as f64 + equal as f64 / 2.0) / sorted_population.len() as f64;
    share * 100.0
}

/// Regularity of orders from the gaps between them (in days): 100 when all gaps are equal,
/// falling linearly to 0 as their coefficient of variation reaches 1. `None` with fewer than
/// two gaps.
#[must_use]
pub fn regularity(gaps_days: &[f64]) -> Option<f64> {
    if gaps_days.len() < 2 {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "a handful of gaps")]
    let n = gaps_days.len() as f64;
    let mean = gaps_days.iter().sum::<f64>() / n;
    if mean <= 0.0 {
        return Some(100.0);
    }
    let variance = gaps_days.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / n;
    let cv = variance.sqrt() / mean;
    Some((1.0 - cv).clamp(0.0, 1.0) * 100.0)
}

/// Tenure from the years since the first interaction: linear, 10 years or more is 100.
#[must_use]
pub fn tenure(years: f64) -> f64 {
    (years / 10.0).clamp(0.0, 1.0) * 100.0
}

/// Repeat-order rate: the share of the window's months with at least one order.
#[must_use]
pub fn repeat_order_rate(months_with_orders: u32, window_months: u32) -> Option<f64> {
    (window_months > 0)
        .then(|| (f64::from(months_with_orders) / f64::from(window_months)).clamp(0.0, 1.0) * 100.0)
}

/// The most financial stability a client at HIGH solvency risk can have.
pub const HIGH_RISK_STABILITY_CAP: f64 = 20.0;

/// The most financial stability a client at MEDIUM solvency risk can have: neutral.
pub const MEDIUM_RISK_STABILITY_CAP: f64 = NEUTRAL;

/// Financial stability from the client's folded checks ([`solvency::fold`]): 50, plus up to
/// ±25 for revenue growth against the fiscal year before (±20 % or more counts fully) and up to
/// ±25 for the net margin (±10 % or more counts fully), then capped by the solvency risk
/// ([`solvency::assess`]): at most 20 at HIGH risk, at most 50 at MEDIUM; 0 for a failed
/// company. `None` when the solvency risk is UNKNOWN (no status, finances or litigation).
#[must_use]
pub fn financial_stability(facts: &solvency::Facts) -> Option<f64> {
    if facts.failed() {
        return Some(0.0);
    }
    let cap = match solvency::assess(facts).level {
        Risk::Unknown => return None,
        Risk::High => HIGH_RISK_STABILITY_CAP,
        Risk::Medium => MEDIUM_RISK_STABILITY_CAP,
        Risk::Low => 100.0,
    };
    let mut value = NEUTRAL;
    if let Some(growth) = facts.revenue_growth() {
        value += 25.0 * (growth / 0.2).clamp(-1.0, 1.0);
    }
    if let Some(margin) = facts.net_margin() {
        value += 25.0 * (margin / 0.1).clamp(-1.0, 1.0);
    }
    Some(value.clamp(0.0, cap))
}

/// Financial reputation from the client's folded checks: 100 less the weight of litigation,
/// either the sums claimed relative to the latest fiscal year's revenue in the same currency
/// (5 % of revenue or more is 0) or, without them, 10 points a case; 0 for a failed company;
/// 100 with a status but no litigation data. `None` without any litigation or status data.
#[must_use]
pub fn financial_reputation(facts: &solvency::Facts) -> Option<f64> {
    if facts.failed() {
        return Some(0.0);
    }
    if let Some(share) = facts.litigation_share() {
        return Some(100.0 * (1.0 - (share / 0.05).clamp(0.0, 1.0)));
    }
    if let Some(count) = facts.litigation.as_ref().and_then(|l| l.count) {
        return Some((100.0 - 10.0 * f64::from(count.max(0))).clamp(0.0, 100.0));
    }
    facts.status.as_ref().map(|_| 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values_strategy(model: &Model) -> impl Strategy<Value = FactorValues> {
        let keys: Vec<String> = model.factors.iter().map(|f| f.key.clone()).collect();
        proptest::collection::vec(proptest::option::of(0.0f64..=100.0), keys.len())
            .prop_map(move |vals| keys.iter().cloned().zip(vals).collect())
    }

    #[test]
    fn the_default_model_is_valid_and_normalised() {
        let model = Model::default_model()
            .validated()
            .unwrap_or_else(|e| panic!("{e}"));
        for axis in [Axis::Attractiveness, Axis::Loyalty] {
            let total: f64 = model
                .factors
                .iter()
                .filter(|f| f.axis == axis)
                .map(|f| f.weight)
                .sum();
            assert!((total - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn invalid_models_name_the_field() {
        let mut model = Model::default_model();
        model.factors[1].key = "order_volume".into();
        assert_eq!(
            model.validated().map_err(|e| e.field),
            Err("input.factors[1].key".into())
        );
        let mut model = Model::default_model();
        model.factors[2].weight = 0.0;
        assert_eq!(
            model.validated().map_err(|e| e.field),
            Err("input.factors[2].weight".into())
        );
        let mut model = Model::default_model();
        model.factors.retain(|f| f.axis == Axis::Attractiveness);
        assert!(model.validated().is_err());
    }

    #[test]
    fn ratings_map_onto_0_to_100() {
        assert_eq!(rating_value(1.0), Ok(0.0));
        assert_eq!(rating_value(10.0), Ok(100.0));
        assert!(rating_value(0.5).is_err());
        assert!(rating_value(11.0).is_err());
    }

    #[test]
    fn missing_factors_count_as_neutral_and_are_marked() {
        let model = Model::default_model();
        let assessment = assess(&model, &FactorValues::new());
        assert_eq!(assessment.attractiveness, NEUTRAL);
        assert_eq!(assessment.loyalty, NEUTRAL);
        assert_eq!(
            assessment.quadrant,
            Quadrant::Key,
            "50 is at the threshold: high"
        );
        assert!(assessment.factors.iter().all(|f| f.missing));
        assert!(assessment.explanation.contains("without data"));
    }

    #[test]
    fn percentiles_use_mid_ranks() {
        let population = [1.0, 2.0, 2.0, 4.0];
        assert_eq!(percentile(2.0, &population), 50.0);
        assert_eq!(percentile(1.0, &population), 12.5);
        assert_eq!(percentile(5.0, &population), 100.0);
        assert_eq!(percentile(0.0, &population), 0.0);
    }

    fn check(year: i32, revenue: i64, income: i64, status: &str) -> solvency::CheckFacts {
        solvency::CheckFacts {
            fiscal_year: Some(year),
            currency: Some("GBP".into()),
            revenue_e4: Some(revenue * 10_000),
            net_income_e4: Some(income * 10_000),
            registry_status: Some(status.into()),
            litigation_count: Some(0),
            ..solvency::CheckFacts::default()
        }
    }

    #[test]
    fn financial_factors_follow_their_documented_mappings() {
        let failed = solvency::fold(&[check(2024, 100, 10, "liquidating")]);
        assert_eq!(financial_stability(&failed), Some(0.0));
        assert_eq!(financial_reputation(&failed), Some(0.0));
        let healthy = solvency::fold(&[
            check(2024, 120, 12, "active"),
            check(2023, 100, 10, "active"),
        ]);
        assert_eq!(financial_stability(&healthy), Some(100.0));
        assert_eq!(financial_reputation(&healthy), Some(100.0));
        let empty = solvency::fold(&[]);
        assert_eq!(financial_stability(&empty), None);
        assert_eq!(financial_reputation(&empty), None);
        assert_eq!(regularity(&[30.0, 30.0, 30.0]), Some(100.0));
        assert_eq!(regularity(&[30.0]), None);
    }

    #[test]
    fn solvency_risk_caps_financial_stability() {
        // Growth of 20 % and a 1 % loss: 50 + 25 - 2.5 = 72.5, but a loss is MEDIUM risk.
        let losing = solvency::fold(&[
            check(2024, 1200, -12, "active"),
            check(2023, 1000, 10, "active"),
        ]);
        assert_eq!(
            financial_stability(&losing),
            Some(MEDIUM_RISK_STABILITY_CAP)
        );
        // A 10 % margin but revenue down 40 %: 50 - 25 + 25 = 50, capped at HIGH risk.
        let shrinking = solvency::fold(&[
            check(2024, 600, 60, "active"),
            check(2023, 1000, 10, "active"),
        ]);
        assert_eq!(
            financial_stability(&shrinking),
            Some(HIGH_RISK_STABILITY_CAP)
        );
        // Inactive: at most neutral.
        let inactive = solvency::fold(&[
            check(2024, 1200, 120, "inactive"),
            check(2023, 1000, 10, "active"),
        ]);
        assert_eq!(
            financial_stability(&inactive),
            Some(MEDIUM_RISK_STABILITY_CAP)
        );
        // Lawsuits of 6 % of revenue: HIGH risk, reputation 0.
        let mut sued = check(2024, 1000, 100, "active");
        sued.litigation_amount_e4 = Some(60 * 10_000);
        let sued = solvency::fold(&[sued]);
        assert_eq!(financial_stability(&sued), Some(HIGH_RISK_STABILITY_CAP));
        assert_eq!(financial_reputation(&sued), Some(0.0));
    }

    proptest! {
        #[test]
        fn axes_stay_within_0_and_100(values in values_strategy(&Model::default_model())) {
            let a = assess(&Model::default_model(), &values);
            prop_assert!((0.0..=100.0).contains(&a.attractiveness));
            prop_assert!((0.0..=100.0).contains(&a.loyalty));
        }

        #[test]
        fn raising_a_factor_never_lowers_its_axis(
            values in values_strategy(&Model::default_model()),
            index in 0usize..17,
            raise in 0.0f64..=100.0,
        ) {
            let model = Model::default_model();
            let factor = &model.factors[index % model.factors.len()];
            let before = assess(&model, &values);
            let mut raised = values.clone();
            let current = values.get(&factor.key).copied().flatten().unwrap_or(NEUTRAL);
            raised.insert(factor.key.clone(), Some((current + raise).min(100.0)));
            let after = assess(&model, &raised);
            let (b, a) = match factor.axis {
                Axis::Attractiveness => (before.attractiveness, after.attractiveness),
                Axis::Loyalty => (before.loyalty, after.loyalty),
            };
            prop_assert!(a >= b - 1e-9, "{} raised: {b} -> {a}", factor.key);
        }

        #[test]
        fn quadrants_follow_the_thresholds(
            attractiveness in 0.0f64..=100.0,
            loyalty in 0.0f64..=100.0,
            ta in 0.0f64..=100.0,
            tl in 0.0f64..=100.0,
        ) {
            let q = Quadrant::of(attractiveness, loyalty, Thresholds { attractiveness: ta, loyalty: tl });
            prop_assert_eq!(matches!(q, Quadrant::Key | Quadrant::Development), attractiveness >= ta);
            prop_assert_eq!(matches!(q, Quadrant::Key | Quadrant::Support), loyalty >= tl);
        }

        #[test]
        fn scoring_is_deterministic(values in values_strategy(&Model::default_model())) {
            let model = Model::default_model();
            prop_assert_eq!(assess(&model, &values), assess(&model, &values));
        }

        #[test]
        fn percentiles_stay_within_0_and_100(value in -1e9f64..1e9, mut population in proptest::collection::vec(-1e9f64..1e9, 0..50)) {
            population.sort_by(f64::total_cmp);
            let p = percentile(value, &population);
            prop_assert!((0.0..=100.0).contains(&p));
        }
    }
}
