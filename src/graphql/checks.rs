//! Financial checks: dated readings of a client's financial position, by hand or from a
//! registry, each with its source and raw answer.

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::financial_check;
use rust_decimal::Decimal;

use super::{
    clients::Client,
    context::ContextExt,
    money::decimal,
    node::{self, Kind},
};
use crate::error::AppError;

/// A dated reading of a client's financial position.
#[derive(Debug, Clone)]
pub struct FinancialCheck(pub financial_check::Model);

#[Object]
impl FinancialCheck {
    /// The check's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::FinancialCheck, self.0.id)
    }

    /// The client checked.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let client = ctx
            .loaders()
            .client(self.0.client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Client(client))
    }

    /// Where the figures come from: `manual` or a registry's name.
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// When the check was made.
    async fn checked_at(&self) -> DateTime<Utc> {
        self.0.checked_at
    }

    /// The fiscal year the figures are for.
    async fn fiscal_year(&self) -> Option<i32> {
        self.0.fiscal_year
    }

    /// Revenue for the fiscal year.
    async fn revenue(&self) -> Option<Decimal> {
        decimal(self.0.revenue_e4)
    }

    /// Net income (negative: a loss).
    async fn net_income(&self) -> Option<Decimal> {
        decimal(self.0.net_income_e4)
    }

    /// Total assets.
    async fn assets(&self) -> Option<Decimal> {
        decimal(self.0.assets_e4)
    }

    /// Equity.
    async fn equity(&self) -> Option<Decimal> {
        decimal(self.0.equity_e4)
    }

    /// Debt.
    async fn debt(&self) -> Option<Decimal> {
        decimal(self.0.debt_e4)
    }

    /// ISO 4217 currency of the amounts.
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }

    /// Number of employees.
    async fn employees(&self) -> Option<i32> {
        self.0.employees
    }

    /// Status in the company registry, as the source words it.
    async fn registry_status(&self) -> Option<&str> {
        self.0.registry_status.as_deref()
    }

    /// Number of lawsuits.
    async fn litigation_count(&self) -> Option<i32> {
        self.0.litigation_count
    }

    /// Total sum claimed in lawsuits.
    async fn litigation_amount(&self) -> Option<Decimal> {
        decimal(self.0.litigation_amount_e4)
    }

    /// Number of government contracts.
    async fn government_contracts(&self) -> Option<i32> {
        self.0.government_contracts_count
    }

    /// Total value of government contracts.
    async fn government_contracts_amount(&self) -> Option<Decimal> {
        decimal(self.0.government_contracts_amount_e4)
    }

    /// The source's answer as received.
    async fn raw_payload(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.raw_payload.clone().map(async_graphql::Json)
    }
}
