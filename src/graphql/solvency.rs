//! Solvency: a client's risk of not paying, read from its recent financial checks, with the
//! reasons behind it. The rules are in `domain::solvency`; this file only presents them.

use async_graphql::{Context, Enum, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::context::ContextExt;
use crate::domain::solvency;

/// How much risk there is that a client stops paying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "solvency::Risk")]
pub enum SolvencyRisk {
    /// No financial check gives a registry status, finances or lawsuits.
    Unknown,
    /// Nothing in the checks suggests trouble.
    Low,
    /// Warning signs worth watching: a loss, an inactive status, revenue down 10 % or more,
    /// lawsuits claiming 1 % of revenue or more.
    Medium,
    /// Serious signs: a failed registry status, a loss of 10 % of revenue or more, negative
    /// equity, revenue down 30 % or more, lawsuits claiming 5 % of revenue or more.
    High,
}

/// What a solvency reason is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "solvency::Code")]
pub enum SolvencyReasonCode {
    /// The registry status: active is LOW, inactive or another non-failed status MEDIUM,
    /// liquidating, liquidated, bankrupt or dissolved HIGH.
    RegistryStatus,
    /// A net loss in the latest fiscal year: MEDIUM, HIGH at a loss of 10 % of revenue or more.
    NetLoss,
    /// A net profit, or break-even, in the latest fiscal year: LOW.
    NetProfit,
    /// Liabilities exceed assets: HIGH.
    NegativeEquity,
    /// Equity is exactly zero: MEDIUM.
    NoEquity,
    /// Equity is positive: LOW.
    PositiveEquity,
    /// Revenue fell against the fiscal year before: MEDIUM from 10 %, HIGH from 30 %.
    FallingRevenue,
    /// Revenue fell less than 10 %, or did not change, against the fiscal year before: LOW.
    StableRevenue,
    /// Revenue grew against the fiscal year before: LOW.
    GrowingRevenue,
    /// No revenue in the latest fiscal year: MEDIUM.
    NoRevenue,
    /// Revenue is known for the latest fiscal year only, in its currency: LOW, no trend.
    NoPriorYear,
    /// Lawsuits: claims against revenue in the same currency (MEDIUM from 1 %, HIGH from 5 %),
    /// or without such revenue the number of cases (MEDIUM from 5).
    Lawsuits,
    /// No financial check gives a registry status, finances or lawsuits: UNKNOWN.
    NoData,
}

/// A client's risk of not paying, from its recent financial checks: each fact (registry
/// status, the latest fiscal year's revenue and net income against the year before, equity,
/// lawsuits) from the newest check that has it.
#[derive(Debug, Clone)]
pub struct Solvency(pub solvency::Assessment);

impl Solvency {
    /// The solvency of a client, through the request's batch loader.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn of(ctx: &Context<'_>, client_id: Uuid) -> async_graphql::Result<Self> {
        let facts = ctx.loaders().solvency_facts(client_id).await?;
        Ok(Self(solvency::assess(&facts)))
    }
}

/// A client's risk of not paying, from its recent financial checks: each fact (registry
/// status, the latest fiscal year's revenue and net income against the year before, equity,
/// lawsuits) from the newest check that has it.
#[Object]
impl Solvency {
    /// The worst level among the reasons; UNKNOWN only without any usable check.
    async fn level(&self) -> SolvencyRisk {
        self.0.level.into()
    }

    /// The findings behind the level, favourable ones included, in a fixed order: status,
    /// net income, revenue trend, equity, lawsuits.
    async fn reasons(&self) -> Vec<SolvencyReason> {
        self.0.reasons.iter().cloned().map(SolvencyReason).collect()
    }

    /// When the newest financial check read was made; null without checks.
    async fn as_of(&self) -> Option<DateTime<Utc>> {
        self.0.as_of
    }
}

/// One finding behind a solvency level.
#[derive(Debug, Clone)]
pub struct SolvencyReason(pub solvency::Reason);

/// One finding behind a solvency level.
#[Object]
impl SolvencyReason {
    /// What the finding is about, as a stable code.
    async fn code(&self) -> SolvencyReasonCode {
        self.0.code.into()
    }

    /// The risk this finding alone carries.
    async fn level(&self) -> SolvencyRisk {
        self.0.level.into()
    }

    /// The finding in a sentence, with its figures (for example "revenue fell 35 % from
    /// FY2023 to FY2024").
    async fn message(&self) -> &str {
        &self.0.message
    }
}
