//! Solvency: how likely a client is to keep paying us, read from its financial checks.
//!
//! Checks come from several sources (a registry answer has finances and status, a litigation
//! service has lawsuits, a manual check anything), so no single check tells the whole story.
//! [`fold`] is the one place that turns a client's recent checks into the facts both the risk
//! level ([`assess`]) and the KAISM financial factors read; nothing else picks "the latest
//! check".
//!
//! The fold, over the checks newest first:
//! - **status**: the newest check with a known registry status (`unknown` is no status);
//! - **figures**: the latest fiscal year any check reports revenue or net income for (a check
//!   without a fiscal year counts only when no check names one); revenue and net income of that
//!   year and currency each from the newest check that has them, and the revenue of the year
//!   before in the same currency, so years and currencies are compared like with like;
//! - **equity**: the newest check that has it;
//! - **litigation**: count and claimed sum from the newest check that has either.
//!
//! The risk rules, each giving a reason with its own level; the client's level is the worst:
//!
//! | fact | LOW | MEDIUM | HIGH |
//! |---|---|---|---|
//! | registry status | active | inactive, or any other status that is not failed | liquidating, liquidated, bankrupt, dissolved |
//! | net income | profit or break-even | loss with a margin above −10 %, or a loss without revenue | loss margin of −10 % or worse |
//! | equity | positive | zero | negative |
//! | revenue against the year before | grew, or fell less than 10 % | fell 10 % or more; no revenue at all | fell 30 % or more |
//! | lawsuits' claims against revenue (same currency) | under 1 % | 1 % or more | 5 % or more |
//! | lawsuits without comparable revenue | fewer than 5 cases | 5 cases or more | |
//!
//! The level is UNKNOWN only when no check gives a status, finances or litigation. Thresholds
//! are compared exactly on the stored fixed-point amounts, in basis points.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::money;

/// Registry statuses that end a company's ability to pay.
pub const FAILED_STATUSES: [&str; 4] = ["liquidating", "liquidated", "bankrupt", "dissolved"];

/// A registry status that means the company does not trade, without having failed.
pub const INACTIVE_STATUS: &str = "inactive";

/// Basis points (1/100 of a percent) of a loss margin at or below which a loss is HIGH risk.
pub const HIGH_LOSS_MARGIN_BP: i128 = -1000;
/// Basis points of a fall in revenue at or above which it is MEDIUM risk.
pub const MEDIUM_REVENUE_FALL_BP: i128 = 1000;
/// Basis points of a fall in revenue at or above which it is HIGH risk.
pub const HIGH_REVENUE_FALL_BP: i128 = 3000;
/// Basis points of revenue claimed in lawsuits at or above which they are MEDIUM risk.
pub const MEDIUM_LAWSUITS_BP: i128 = 100;
/// Basis points of revenue claimed in lawsuits at or above which they are HIGH risk.
pub const HIGH_LAWSUITS_BP: i128 = 500;
/// Lawsuits that are MEDIUM risk when there is no revenue to weigh their claims against.
pub const MEDIUM_LAWSUIT_COUNT: i32 = 5;

/// How much risk there is that a client stops paying. Ordered from least to most risk;
/// [`Risk::Unknown`] sorts first, as the absence of any finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Risk {
    /// No check says anything about solvency.
    Unknown,
    /// Nothing in the checks suggests trouble.
    Low,
    /// Warning signs worth watching.
    Medium,
    /// Serious signs: the client may not pay.
    High,
}

impl Risk {
    /// The level's name in the API and in exports (`LOW`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
        }
    }
}

/// What a reason is about, as a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    /// The registry status (active, inactive, failed...).
    RegistryStatus,
    /// A net loss in the latest fiscal year.
    NetLoss,
    /// A net profit, or break-even, in the latest fiscal year.
    NetProfit,
    /// Liabilities exceed assets.
    NegativeEquity,
    /// Equity is exactly zero.
    NoEquity,
    /// Equity is positive.
    PositiveEquity,
    /// Revenue fell 10 % or more against the year before.
    FallingRevenue,
    /// Revenue fell less than 10 %, or did not change, against the year before.
    StableRevenue,
    /// Revenue grew against the year before.
    GrowingRevenue,
    /// No revenue in the latest fiscal year (nor the year before).
    NoRevenue,
    /// Revenue is known for the latest fiscal year only, so there is no trend.
    NoPriorYear,
    /// Lawsuits, weighed against revenue or counted.
    Lawsuits,
    /// No check gives a status, finances or litigation.
    NoData,
}

/// One finding behind a risk level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: Code,
    /// The risk this finding alone carries.
    pub level: Risk,
    /// A sentence with the figures, for a person.
    pub message: String,
}

/// A client's solvency risk: the worst of its reasons' levels, and the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub level: Risk,
    pub reasons: Vec<Reason>,
    /// When the newest check read was made; `None` without checks.
    pub as_of: Option<DateTime<Utc>>,
}

/// What the fold reads of one financial check; amounts are fixed point e4 in `currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckFacts {
    pub checked_at: DateTime<Utc>,
    pub fiscal_year: Option<i32>,
    pub currency: Option<String>,
    pub revenue_e4: Option<i64>,
    pub net_income_e4: Option<i64>,
    pub equity_e4: Option<i64>,
    /// As the source words it; the fold maps it with [`common_status`].
    pub registry_status: Option<String>,
    pub litigation_count: Option<i32>,
    pub litigation_amount_e4: Option<i64>,
}

/// An amount with its currency, fixed point e4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub e4: i64,
    pub currency: Option<String>,
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.currency {
            Some(currency) => write!(f, "{} {currency}", money::from_e4(self.e4)),
            None => write!(f, "{}", money::from_e4(self.e4)),
        }
    }
}

/// The figures of the latest fiscal year, in one currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub fiscal_year: Option<i32>,
    pub currency: Option<String>,
    pub revenue_e4: Option<i64>,
    pub net_income_e4: Option<i64>,
    /// Revenue of the fiscal year before, in the same currency.
    pub previous_revenue_e4: Option<i64>,
}

/// Lawsuits as the newest check that has them reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Litigation {
    pub count: Option<i32>,
    pub amount_e4: Option<i64>,
    pub currency: Option<String>,
}

/// What a client's recent checks say, each fact from the newest check that has it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// When the newest check read was made.
    pub as_of: Option<DateTime<Utc>>,
    /// Common lower-case registry status (`active`, `bankrupt`, ...).
    pub status: Option<String>,
    pub figures: Option<Figures>,
    pub equity: Option<Amount>,
    pub litigation: Option<Litigation>,
}

/// Folds a client's recent checks, newest first, into the facts the assessment and the
/// scoring engine read (the rules are in the module documentation).
#[must_use]
pub fn fold(checks: &[CheckFacts]) -> Facts {
    let status = checks
        .iter()
        .filter_map(|c| c.registry_status.as_deref().and_then(common_status))
        .find(|s| s != "unknown");
    let equity = checks.iter().find_map(|c| {
        c.equity_e4.map(|e4| Amount {
            e4,
            currency: c.currency.clone(),
        })
    });
    let litigation = checks
        .iter()
        .find(|c| c.litigation_count.is_some() || c.litigation_amount_e4.is_some())
        .map(|c| Litigation {
            count: c.litigation_count,
            amount_e4: c.litigation_amount_e4,
            currency: c.currency.clone(),
        });
    Facts {
        as_of: checks.iter().map(|c| c.checked_at).max(),
        status,
        figures: figures(checks),
        equity,
        litigation,
    }
}

fn figures(checks: &[CheckFacts]) -> Option<Figures> {
    let has_figures = |c: &&CheckFacts| c.revenue_e4.is_some() || c.net_income_e4.is_some();
    // The latest year wins; among checks for the same year, the newest (the first) wins.
    let latest = checks.iter().filter(has_figures).reduce(|best, c| {
        match c.fiscal_year.cmp(&best.fiscal_year) {
            Ordering::Greater => c,
            _ => best,
        }
    })?;
    let same_period =
        |c: &&CheckFacts| c.fiscal_year == latest.fiscal_year && c.currency == latest.currency;
    let previous_revenue_e4 = latest.fiscal_year.and_then(|year| {
        checks
            .iter()
            .filter(|c| c.fiscal_year == Some(year.saturating_sub(1)))
            .filter(|c| c.currency == latest.currency)
            .find_map(|c| c.revenue_e4)
    });
    Some(Figures {
        fiscal_year: latest.fiscal_year,
        currency: latest.currency.clone(),
        revenue_e4: checks.iter().filter(same_period).find_map(|c| c.revenue_e4),
        net_income_e4: checks
            .iter()
            .filter(same_period)
            .find_map(|c| c.net_income_e4),
        previous_revenue_e4,
    })
}

/// `part / whole` in basis points, truncated towards zero so a threshold is reached only when
/// the exact figures reach it; `None` when `whole` is not positive.
fn basis_points(part: i128, whole: i64) -> Option<i128> {
    (whole > 0).then(|| part * 10_000 / i128::from(whole))
}

/// A non-negative share in basis points as a percentage: one decimal under 10 %.
fn percent(bp: i128) -> String {
    let bp = bp.abs();
    if bp >= 1000 {
        format!("{} %", bp / 100)
    } else {
        format!("{}.{} %", bp / 100, bp % 100 / 10)
    }
}

fn year_name(year: Option<i32>) -> String {
    year.map_or_else(
        || "the latest reported year".to_owned(),
        |y| format!("FY{y}"),
    )
}

impl Facts {
    /// Whether the registry status ends the company's ability to pay.
    #[must_use]
    pub fn failed(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| FAILED_STATUSES.contains(&s))
    }

    /// Revenue growth of the latest fiscal year against the year before (0.1 is 10 %).
    #[must_use]
    pub fn revenue_growth(&self) -> Option<f64> {
        let f = self.figures.as_ref()?;
        let (now, before) = (f.revenue_e4?, f.previous_revenue_e4?);
        (before > 0).then(|| (as_f64(now) - as_f64(before)) / as_f64(before))
    }

    /// Net margin of the latest fiscal year (−0.1 is a loss of 10 % of revenue).
    #[must_use]
    pub fn net_margin(&self) -> Option<f64> {
        let f = self.figures.as_ref()?;
        let (income, revenue) = (f.net_income_e4?, f.revenue_e4?);
        (revenue > 0).then(|| as_f64(income) / as_f64(revenue))
    }

    /// The lawsuits' claimed sum as a share of the latest fiscal year's revenue in the same
    /// currency.
    #[must_use]
    pub fn litigation_share(&self) -> Option<f64> {
        let (amount, revenue) = self.litigation_against_revenue()?;
        Some(as_f64(amount) / as_f64(revenue))
    }

    /// The lawsuits' claimed sum and the revenue it is weighed against, when both exist in one
    /// currency and the revenue is positive.
    fn litigation_against_revenue(&self) -> Option<(i64, i64)> {
        let l = self.litigation.as_ref()?;
        let f = self.figures.as_ref()?;
        let (amount, revenue) = (l.amount_e4?, f.revenue_e4?);
        (revenue > 0 && l.currency.is_some() && l.currency == f.currency)
            .then_some((amount, revenue))
    }
}

#[expect(clippy::cast_precision_loss, reason = "ratios of money amounts")]
const fn as_f64(value: i64) -> f64 {
    value as f64
}

/// Assesses the solvency risk from the folded facts: one reason per fact, the level the worst
/// of them (the rules are in the module documentation).
#[must_use]
pub fn assess(facts: &Facts) -> Assessment {
    let mut reasons = Vec::new();
    if let Some(status) = &facts.status {
        reasons.push(status_reason(status));
    }
    if let Some(figures) = &facts.figures {
        reasons.extend(income_reason(figures));
        reasons.extend(revenue_reason(figures));
    }
    if let Some(equity) = &facts.equity {
        reasons.push(equity_reason(equity));
    }
    if let Some(litigation) = &facts.litigation {
        reasons.push(litigation_reason(facts, litigation));
    }
    let level = reasons
        .iter()
        .map(|r| r.level)
        .max()
        .unwrap_or(Risk::Unknown);
    if reasons.is_empty() {
        reasons.push(Reason {
            code: Code::NoData,
            level: Risk::Unknown,
            message: "no financial check gives a registry status, finances or lawsuits".into(),
        });
    }
    Assessment {
        level,
        reasons,
        as_of: facts.as_of,
    }
}

fn reason(code: Code, level: Risk, message: String) -> Reason {
    Reason {
        code,
        level,
        message,
    }
}

fn status_reason(status: &str) -> Reason {
    let level = if FAILED_STATUSES.contains(&status) {
        Risk::High
    } else if status == "active" {
        Risk::Low
    } else {
        Risk::Medium
    };
    let message = if level == Risk::Medium && status != INACTIVE_STATUS {
        format!("registry status is {status}: not active, though not failed")
    } else {
        format!("registry status is {status}")
    };
    reason(Code::RegistryStatus, level, message)
}

fn income_reason(f: &Figures) -> Option<Reason> {
    let income = f.net_income_e4?;
    let year = year_name(f.fiscal_year);
    let amount = Amount {
        e4: income.abs(),
        currency: f.currency.clone(),
    };
    let margin = f
        .revenue_e4
        .and_then(|revenue| basis_points(i128::from(income), revenue));
    Some(match (income.cmp(&0), margin) {
        (Ordering::Less, Some(bp)) => reason(
            Code::NetLoss,
            if bp <= HIGH_LOSS_MARGIN_BP {
                Risk::High
            } else {
                Risk::Medium
            },
            format!("net loss of {amount} in {year}, {} of revenue", percent(bp)),
        ),
        (Ordering::Less, None) => reason(
            Code::NetLoss,
            Risk::Medium,
            format!("net loss of {amount} in {year}"),
        ),
        (Ordering::Equal, _) => reason(Code::NetProfit, Risk::Low, format!("broke even in {year}")),
        (Ordering::Greater, Some(bp)) => reason(
            Code::NetProfit,
            Risk::Low,
            format!("net profit of {amount} in {year}, a {} margin", percent(bp)),
        ),
        (Ordering::Greater, None) => reason(
            Code::NetProfit,
            Risk::Low,
            format!("net profit of {amount} in {year}"),
        ),
    })
}

fn revenue_reason(f: &Figures) -> Option<Reason> {
    let now = f.revenue_e4?;
    let year = year_name(f.fiscal_year);
    let before_year = year_name(f.fiscal_year.map(|y| y.saturating_sub(1)));
    let amount = |e4| Amount {
        e4,
        currency: f.currency.clone(),
    };
    Some(match f.previous_revenue_e4 {
        Some(before) if before > 0 => {
            let change = basis_points(i128::from(now) - i128::from(before), before).unwrap_or(0);
            let fall = -change;
            if fall >= MEDIUM_REVENUE_FALL_BP {
                reason(
                    Code::FallingRevenue,
                    if fall >= HIGH_REVENUE_FALL_BP {
                        Risk::High
                    } else {
                        Risk::Medium
                    },
                    format!(
                        "revenue fell {} from {before_year} to {year}",
                        percent(fall)
                    ),
                )
            } else if change > 0 {
                reason(
                    Code::GrowingRevenue,
                    Risk::Low,
                    format!(
                        "revenue grew {} from {before_year} to {year}",
                        percent(change)
                    ),
                )
            } else if change == 0 {
                reason(
                    Code::StableRevenue,
                    Risk::Low,
                    format!("revenue held steady from {before_year} to {year}"),
                )
            } else {
                reason(
                    Code::StableRevenue,
                    Risk::Low,
                    format!(
                        "revenue fell only {} from {before_year} to {year}",
                        percent(fall)
                    ),
                )
            }
        }
        _ if now <= 0 => reason(
            Code::NoRevenue,
            Risk::Medium,
            format!("no revenue in {year}"),
        ),
        Some(_) => reason(
            Code::GrowingRevenue,
            Risk::Low,
            format!(
                "revenue grew from nothing in {before_year} to {} in {year}",
                amount(now)
            ),
        ),
        None => reason(
            Code::NoPriorYear,
            Risk::Low,
            format!(
                "revenue of {} in {year}; no {before_year} revenue in the same currency to compare with",
                amount(now)
            ),
        ),
    })
}

fn equity_reason(equity: &Amount) -> Reason {
    match equity.e4.cmp(&0) {
        Ordering::Less => reason(
            Code::NegativeEquity,
            Risk::High,
            format!("equity is negative ({equity}): liabilities exceed assets"),
        ),
        Ordering::Equal => reason(
            Code::NoEquity,
            Risk::Medium,
            "equity is zero: liabilities equal assets".into(),
        ),
        Ordering::Greater => reason(
            Code::PositiveEquity,
            Risk::Low,
            format!("equity is positive ({equity})"),
        ),
    }
}

fn cases(count: i32) -> String {
    if count == 1 {
        "1 lawsuit".into()
    } else {
        format!("{count} lawsuits")
    }
}

fn litigation_reason(facts: &Facts, l: &Litigation) -> Reason {
    if let Some((amount, revenue)) = facts.litigation_against_revenue() {
        let bp = basis_points(i128::from(amount), revenue).unwrap_or(0);
        let level = if bp >= HIGH_LAWSUITS_BP {
            Risk::High
        } else if bp >= MEDIUM_LAWSUITS_BP {
            Risk::Medium
        } else {
            Risk::Low
        };
        let year = year_name(facts.figures.as_ref().and_then(|f| f.fiscal_year));
        let claimed = Amount {
            e4: amount,
            currency: l.currency.clone(),
        };
        let count = l
            .count
            .map(|n| format!("{}, ", cases(n)))
            .unwrap_or_default();
        return reason(
            Code::Lawsuits,
            level,
            format!(
                "lawsuits claim {} of {year} revenue ({count}{claimed} in all)",
                percent(bp)
            ),
        );
    }
    match l.count {
        Some(0) => reason(Code::Lawsuits, Risk::Low, "no lawsuits".into()),
        Some(n) => reason(
            Code::Lawsuits,
            if n >= MEDIUM_LAWSUIT_COUNT {
                Risk::Medium
            } else {
                Risk::Low
            },
            format!(
                "{}; no revenue in the same currency to weigh the claims against",
                cases(n)
            ),
        ),
        None => reason(
            Code::Lawsuits,
            Risk::Low,
            format!(
                "lawsuits claim {}; no revenue in the same currency to weigh them against",
                Amount {
                    e4: l.amount_e4.unwrap_or(0),
                    currency: l.currency.clone(),
                }
            ),
        ),
    }
}

/// A registry's status text in the common lower-case set (`active`, `liquidating`,
/// `liquidated`, `bankrupt`, `dissolved`, `inactive`, `unknown`); other statuses are kept
/// lower-cased, and count as known, neither active nor failed.
#[must_use]
pub fn common_status(raw: &str) -> Option<String> {
    let text = raw.trim().to_lowercase();
    if text.is_empty() {
        return None;
    }
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let common = if has(&["bankrupt", "insolven", "банкрот", "несостоят"]) {
        "bankrupt"
    } else if has(&["liquidated", "ликвидирован"]) {
        "liquidated"
    } else if has(&[
        "liquidat",
        "ликвидац",
        "ликвидиру",
        "winding up",
        "wound up",
    ]) {
        "liquidating"
    } else if has(&[
        "dissolved",
        "struck off",
        "closed",
        "прекратил",
        "исключ",
        "retired",
        "lapsed",
        "annulled",
    ]) {
        "dissolved"
    } else if text == "active"
        || text == "issued"
        || text == "open"
        || text == "registered"
        || has(&["действующ"])
    {
        "active"
    } else if text == "inactive" || text == "dormant" {
        INACTIVE_STATUS
    } else {
        return Some(text);
    };
    Some(common.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GBP: Option<&str> = Some("GBP");

    fn at(days_ago: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000 - days_ago)
    }

    /// A check `days_ago` old for `year` in GBP with revenue and net income in whole units.
    fn finances(days_ago: i64, year: i32, revenue: i64, income: i64) -> CheckFacts {
        CheckFacts {
            checked_at: at(days_ago),
            fiscal_year: Some(year),
            currency: GBP.map(str::to_owned),
            revenue_e4: Some(revenue * 10_000),
            net_income_e4: Some(income * 10_000),
            ..CheckFacts::default()
        }
    }

    fn status(days_ago: i64, text: &str) -> CheckFacts {
        CheckFacts {
            checked_at: at(days_ago),
            registry_status: Some(text.to_owned()),
            ..CheckFacts::default()
        }
    }

    fn lawsuits(days_ago: i64, count: Option<i32>, amount: Option<i64>) -> CheckFacts {
        CheckFacts {
            checked_at: at(days_ago),
            currency: GBP.map(str::to_owned),
            litigation_count: count,
            litigation_amount_e4: amount.map(|a| a * 10_000),
            ..CheckFacts::default()
        }
    }

    fn assess_checks(checks: &[CheckFacts]) -> Assessment {
        assess(&fold(checks))
    }

    fn only(assessment: &Assessment, code: Code) -> &Reason {
        let found: Vec<&Reason> = assessment
            .reasons
            .iter()
            .filter(|r| r.code == code)
            .collect();
        assert_eq!(found.len(), 1, "{code:?} in {assessment:#?}");
        found[0]
    }

    #[test]
    fn without_checks_the_level_is_unknown_for_want_of_data() {
        let a = assess_checks(&[]);
        assert_eq!(a.level, Risk::Unknown);
        assert_eq!(a.reasons.len(), 1);
        assert_eq!(a.reasons[0].code, Code::NoData);
        assert_eq!(a.as_of, None);
        let a = assess_checks(&[status(1, "unknown")]);
        assert_eq!(a.level, Risk::Unknown, "an unknown status is no data");
        assert_eq!(a.as_of, Some(at(1)), "the check was still read");
    }

    #[test]
    fn registry_statuses_set_their_levels() {
        for (text, level) in [
            ("Active", Risk::Low),
            ("inactive", Risk::Medium),
            ("in administration", Risk::Medium),
            ("liquidating", Risk::High),
            ("Liquidated", Risk::High),
            ("bankrupt", Risk::High),
            ("dissolved", Risk::High),
            ("Действующая", Risk::Low),
        ] {
            let a = assess_checks(&[status(1, text)]);
            assert_eq!(a.level, level, "{text}");
            assert_eq!(only(&a, Code::RegistryStatus).level, level, "{text}");
        }
        let a = assess_checks(&[status(1, "bankrupt")]);
        assert_eq!(a.reasons[0].message, "registry status is bankrupt");
    }

    #[test]
    fn the_newest_known_status_wins() {
        let facts = fold(&[
            status(1, "unknown"),
            status(5, "liquidating"),
            status(9, "active"),
        ]);
        assert_eq!(facts.status.as_deref(), Some("liquidating"));
        assert!(facts.failed());
    }

    #[test]
    fn losses_are_medium_and_deep_losses_high() {
        let a = assess_checks(&[finances(1, 2024, 1000, -99)]);
        let loss = only(&a, Code::NetLoss);
        assert_eq!(loss.level, Risk::Medium);
        assert_eq!(
            loss.message,
            "net loss of 99.00 GBP in FY2024, 9.9 % of revenue"
        );
        let a = assess_checks(&[finances(1, 2024, 1000, -100)]);
        assert_eq!(only(&a, Code::NetLoss).level, Risk::High, "-10 % exactly");
        assert_eq!(a.level, Risk::High);
        let a = assess_checks(&[finances(1, 2024, 1000, 80)]);
        let profit = only(&a, Code::NetProfit);
        assert_eq!(profit.level, Risk::Low);
        assert_eq!(
            profit.message,
            "net profit of 80.00 GBP in FY2024, a 8.0 % margin"
        );
        let a = assess_checks(&[finances(1, 2024, 1000, 0)]);
        assert_eq!(only(&a, Code::NetProfit).message, "broke even in FY2024");
    }

    #[test]
    fn a_loss_without_revenue_is_medium() {
        let a = assess_checks(&[finances(1, 2024, 0, -50)]);
        let loss = only(&a, Code::NetLoss);
        assert_eq!(loss.level, Risk::Medium, "no margin on zero revenue");
        assert_eq!(loss.message, "net loss of 50.00 GBP in FY2024");
        assert_eq!(only(&a, Code::NoRevenue).level, Risk::Medium);
        assert_eq!(fold(&[finances(1, 2024, 0, -50)]).net_margin(), None);
    }

    #[test]
    fn negative_equity_is_high() {
        let check = |equity: i64| CheckFacts {
            checked_at: at(1),
            currency: Some("RUB".into()),
            equity_e4: Some(equity * 10_000),
            ..CheckFacts::default()
        };
        let a = assess_checks(&[check(-5)]);
        assert_eq!(a.level, Risk::High);
        assert_eq!(
            only(&a, Code::NegativeEquity).message,
            "equity is negative (-5.00 RUB): liabilities exceed assets"
        );
        assert_eq!(assess_checks(&[check(0)]).level, Risk::Medium);
        let a = assess_checks(&[check(7)]);
        assert_eq!(only(&a, Code::PositiveEquity).level, Risk::Low);
    }

    #[test]
    fn falling_revenue_is_medium_from_10_and_high_from_30_percent() {
        for (now, code, level) in [
            (1200, Code::GrowingRevenue, Risk::Low),
            (1000, Code::StableRevenue, Risk::Low),
            (901, Code::StableRevenue, Risk::Low),
            (900, Code::FallingRevenue, Risk::Medium),
            (701, Code::FallingRevenue, Risk::Medium),
            (700, Code::FallingRevenue, Risk::High),
            (0, Code::FallingRevenue, Risk::High),
        ] {
            let a = assess_checks(&[finances(1, 2024, now, 1), finances(300, 2023, 1000, 1)]);
            let r = only(&a, code);
            assert_eq!(r.level, level, "{now}: {r:?}");
        }
        let a = assess_checks(&[finances(1, 2024, 650, 1), finances(300, 2023, 1000, 1)]);
        assert_eq!(
            only(&a, Code::FallingRevenue).message,
            "revenue fell 35 % from FY2023 to FY2024"
        );
        let a = assess_checks(&[finances(1, 2024, 1200, 1), finances(300, 2023, 1000, 1)]);
        assert_eq!(
            only(&a, Code::GrowingRevenue).message,
            "revenue grew 20 % from FY2023 to FY2024"
        );
    }

    #[test]
    fn revenue_after_a_year_without_any_is_growth() {
        let a = assess_checks(&[finances(1, 2024, 500, 1), finances(300, 2023, 0, 0)]);
        assert_eq!(only(&a, Code::GrowingRevenue).level, Risk::Low);
        assert_eq!(
            fold(&[finances(1, 2024, 500, 1), finances(300, 2023, 0, 0)]).revenue_growth(),
            None
        );
        let a = assess_checks(&[finances(1, 2024, 0, 0), finances(300, 2023, 0, 0)]);
        assert_eq!(only(&a, Code::NoRevenue).level, Risk::Medium);
    }

    #[test]
    fn without_the_previous_year_there_is_no_trend() {
        let a = assess_checks(&[finances(1, 2024, 1000, 10), finances(300, 2022, 5000, 10)]);
        let r = only(&a, Code::NoPriorYear);
        assert_eq!(r.level, Risk::Low);
        assert_eq!(
            r.message,
            "revenue of 1000.00 GBP in FY2024; no FY2023 revenue in the same currency to compare with"
        );
        assert_eq!(
            fold(&[finances(1, 2024, 1000, 10), finances(300, 2022, 5000, 10)]).revenue_growth(),
            None
        );
    }

    #[test]
    fn mixed_currencies_are_never_compared() {
        let mut dollars = finances(300, 2023, 5000, 10);
        dollars.currency = Some("USD".into());
        let facts = fold(&[finances(1, 2024, 1000, 10), dollars]);
        assert_eq!(facts.revenue_growth(), None);
        let a = assess(&facts);
        assert!(
            a.reasons.iter().all(|r| r.code != Code::FallingRevenue),
            "{a:#?}"
        );
        only(&a, Code::NoPriorYear);

        // Lawsuits in another currency than revenue are only counted.
        let mut claims = lawsuits(1, Some(2), Some(900));
        claims.currency = Some("USD".into());
        let facts = fold(&[claims, finances(5, 2024, 1000, 10)]);
        assert_eq!(facts.litigation_share(), None);
        let r = only(&assess(&facts), Code::Lawsuits).clone();
        assert_eq!(r.level, Risk::Low);
        assert_eq!(
            r.message,
            "2 lawsuits; no revenue in the same currency to weigh the claims against"
        );
    }

    #[test]
    fn the_latest_fiscal_year_wins_whatever_the_check_order() {
        // A newer check restating an older year does not displace the latest year.
        let facts = fold(&[
            finances(1, 2022, 100, 1),
            finances(10, 2024, 1000, 50),
            finances(20, 2023, 800, 40),
        ]);
        let f = facts.figures.clone().unwrap_or_default();
        assert_eq!(f.fiscal_year, Some(2024));
        assert_eq!(f.revenue_e4, Some(1000 * 10_000));
        assert_eq!(f.previous_revenue_e4, Some(800 * 10_000));
        assert_eq!(facts.as_of, Some(at(1)));
    }

    #[test]
    fn each_fact_comes_from_the_newest_check_that_has_it() {
        let mut revenue_only = finances(1, 2024, 1000, 0);
        revenue_only.net_income_e4 = None;
        let mut income_only = finances(30, 2024, 0, -200);
        income_only.revenue_e4 = None;
        let facts = fold(&[
            status(2, "active"),
            revenue_only,
            lawsuits(3, Some(1), Some(5)),
            income_only,
            status(40, "bankrupt"),
            lawsuits(50, Some(9), Some(5000)),
        ]);
        assert_eq!(facts.status.as_deref(), Some("active"));
        let f = facts.figures.clone().unwrap_or_default();
        assert_eq!(f.revenue_e4, Some(1000 * 10_000));
        assert_eq!(f.net_income_e4, Some(-200 * 10_000));
        assert_eq!(
            facts.litigation.as_ref().and_then(|l| l.count),
            Some(1),
            "the newest litigation"
        );
        let a = assess(&facts);
        assert_eq!(only(&a, Code::NetLoss).level, Risk::High, "-20 % margin");
        assert_eq!(a.level, Risk::High);
    }

    #[test]
    fn lawsuits_are_weighed_against_revenue() {
        for (claimed, level) in [
            (0, Risk::Low),
            (99, Risk::Low),
            (100, Risk::Medium),
            (499, Risk::Medium),
            (500, Risk::High),
        ] {
            let a = assess_checks(&[
                lawsuits(1, Some(3), Some(claimed)),
                finances(5, 2024, 10_000, 1),
            ]);
            assert_eq!(only(&a, Code::Lawsuits).level, level, "{claimed}");
        }
        let a = assess_checks(&[
            lawsuits(1, Some(3), Some(620)),
            finances(5, 2024, 10_000, 1),
        ]);
        assert_eq!(
            only(&a, Code::Lawsuits).message,
            "lawsuits claim 6.2 % of FY2024 revenue (3 lawsuits, 620.00 GBP in all)"
        );
    }

    #[test]
    fn without_revenue_lawsuits_are_counted() {
        for (count, level) in [(0, Risk::Low), (4, Risk::Low), (5, Risk::Medium)] {
            let a = assess_checks(&[lawsuits(1, Some(count), None)]);
            assert_eq!(a.level, level, "{count}");
        }
        assert_eq!(
            assess_checks(&[lawsuits(1, Some(0), None)]).reasons[0].message,
            "no lawsuits"
        );
        let a = assess_checks(&[lawsuits(1, Some(6), Some(100)), finances(5, 2024, 0, 0)]);
        assert_eq!(only(&a, Code::Lawsuits).level, Risk::Medium, "zero revenue");
    }

    #[test]
    fn the_level_is_the_worst_reason_and_favourable_facts_explain_low() {
        let mut healthy = finances(1, 2024, 1200, 120);
        healthy.registry_status = Some("active".into());
        healthy.equity_e4 = Some(500 * 10_000);
        healthy.litigation_count = Some(0);
        let a = assess_checks(&[healthy, finances(300, 2023, 1000, 100)]);
        assert_eq!(a.level, Risk::Low);
        let codes: Vec<Code> = a.reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            [
                Code::RegistryStatus,
                Code::NetProfit,
                Code::GrowingRevenue,
                Code::PositiveEquity,
                Code::Lawsuits
            ]
        );
        assert!(a.reasons.iter().all(|r| r.level == Risk::Low));

        let a = assess_checks(&[status(1, "active"), finances(2, 2024, 1000, -5)]);
        assert_eq!(a.level, Risk::Medium);
    }

    #[test]
    fn statuses_map_onto_the_common_set() {
        assert_eq!(common_status(" Liquidation "), Some("liquidating".into()));
        assert_eq!(common_status("struck off"), Some("dissolved".into()));
        assert_eq!(common_status("Dormant"), Some("inactive".into()));
        assert_eq!(common_status("registered"), Some("active".into()));
        assert_eq!(common_status("  "), None);
    }
}
