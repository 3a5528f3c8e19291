//! Financial checks: dated readings of a client's financial position, by hand or from a
//! registry, each with its source and raw answer.

use async_graphql::{Context, ID, InputObject, Json, Object};
use chrono::{DateTime, Datelike, SubsecRound, Utc};
use entity::financial_check;

use super::{
    clients::{Client, parse_text},
    context::ContextExt,
    guards::{RoleGuard, Target},
    money::{decimal, parse_amount},
    node::{self, Kind},
    scalars::Decimal,
    write::Write,
};
use crate::db::audit::{AuditAction, Event};
use crate::{
    db::{self, checks as store},
    error::{AppError, AppResult},
};

/// A dated reading of a client's financial position.
#[derive(Debug, Clone)]
pub struct FinancialCheck(pub financial_check::Model);

/// A dated reading of a client's financial position.
#[Object]
impl FinancialCheck {
    /// The check's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::FinancialCheck, self.0.id)
    }

    /// The client checked.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Client::load(ctx, self.0.client_id).await
    }

    /// Where the figures come from: `manual` or a registry's name.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn source(&self) -> &str {
        &self.0.source
    }

    /// When the check was made.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn checked_at(&self) -> DateTime<Utc> {
        self.0.checked_at
    }

    /// The fiscal year the figures are for.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn fiscal_year(&self) -> Option<i32> {
        self.0.fiscal_year
    }

    /// Revenue for the fiscal year.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn revenue(&self) -> Option<Decimal> {
        decimal(self.0.revenue_e4)
    }

    /// Net income (negative: a loss).
    #[graphql(guard = "RoleGuard::readers()")]
    async fn net_income(&self) -> Option<Decimal> {
        decimal(self.0.net_income_e4)
    }

    /// Total assets.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn assets(&self) -> Option<Decimal> {
        decimal(self.0.assets_e4)
    }

    /// Equity.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn equity(&self) -> Option<Decimal> {
        decimal(self.0.equity_e4)
    }

    /// Debt.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn debt(&self) -> Option<Decimal> {
        decimal(self.0.debt_e4)
    }

    /// ISO 4217 currency of the amounts.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }

    /// Number of employees.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn employees(&self) -> Option<i32> {
        self.0.employees
    }

    /// Status in the company registry, as the source words it.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn registry_status(&self) -> Option<&str> {
        self.0.registry_status.as_deref()
    }

    /// Number of lawsuits.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn litigation_count(&self) -> Option<i32> {
        self.0.litigation_count
    }

    /// Total sum claimed in lawsuits.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn litigation_amount(&self) -> Option<Decimal> {
        decimal(self.0.litigation_amount_e4)
    }

    /// Number of government contracts.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn government_contracts(&self) -> Option<i32> {
        self.0.government_contracts_count
    }

    /// Total value of government contracts.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn government_contracts_amount(&self) -> Option<Decimal> {
        decimal(self.0.government_contracts_amount_e4)
    }

    /// The source's answer as received.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn raw_payload(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.raw_payload.clone().map(async_graphql::Json)
    }
}

/// A financial check entered by hand.
#[derive(Debug, InputObject)]
pub struct AddFinancialCheckInput {
    /// The client checked.
    pub client_id: ID,
    /// Where the figures come from (default `manual`).
    pub source: Option<String>,
    /// When the check was made (default now).
    pub checked_at: Option<DateTime<Utc>>,
    /// The fiscal year the figures are for, from 1900 to next year.
    pub fiscal_year: Option<i32>,
    /// ISO 4217 currency of all the amounts; required when any amount is given.
    pub currency: Option<String>,
    /// Revenue for the fiscal year; not negative.
    pub revenue: Option<Decimal>,
    /// Net income (negative: a loss).
    pub net_income: Option<Decimal>,
    /// Total assets; not negative.
    pub assets: Option<Decimal>,
    /// Equity (negative when liabilities exceed assets).
    pub equity: Option<Decimal>,
    /// Debt; not negative.
    pub debt: Option<Decimal>,
    /// Number of employees; not negative.
    pub employees: Option<i32>,
    /// Status in the company registry, as the source words it (`active`, `liquidating`...).
    pub registry_status: Option<String>,
    /// Number of lawsuits; not negative.
    pub litigation_count: Option<i32>,
    /// Total sum claimed in lawsuits; not negative.
    pub litigation_amount: Option<Decimal>,
    /// Number of government contracts; not negative.
    pub government_contracts: Option<i32>,
    /// Total value of government contracts; not negative.
    pub government_contracts_amount: Option<Decimal>,
    /// The source's answer as received, kept so every figure can be traced.
    pub raw_payload: Option<Json<serde_json::Value>>,
}

fn parse_count(field: &str, value: Option<i32>) -> AppResult<Option<i32>> {
    match value {
        Some(n) if n < 0 => Err(AppError::bad_input(
            field,
            format!("`{field}` cannot be negative"),
        )),
        other => Ok(other),
    }
}

fn parse_fiscal_year(field: &str, value: Option<i32>) -> AppResult<Option<i32>> {
    let latest = Utc::now().year() + 1;
    match value {
        Some(year) if !(1900..=latest).contains(&year) => Err(AppError::bad_input(
            field,
            format!("`{field}` is from 1900 to {latest}"),
        )),
        other => Ok(other),
    }
}

/// Validates one amount of a check against the check's currency; `signed` amounts may be
/// negative.
fn parse_check_amount(
    name: &str,
    amount: Option<Decimal>,
    currency: Option<&str>,
    signed: bool,
) -> AppResult<Option<i64>> {
    let (e4, _) = parse_amount("input.", name, amount, currency)?;
    match e4 {
        Some(v) if v < 0 && !signed => {
            let field = format!("input.{name}");
            Err(AppError::bad_input(
                &field,
                format!("`{field}` cannot be negative"),
            ))
        }
        other => Ok(other),
    }
}

impl AddFinancialCheckInput {
    fn parse(self, client_id: uuid::Uuid, recorded_by: uuid::Uuid) -> AppResult<store::NewCheck> {
        let (_, currency) = parse_amount("input.", "currency", None, self.currency.as_deref())?;
        let code = self.currency.as_deref();
        let source = parse_text("input.source", self.source.as_deref(), 64)?
            .unwrap_or_else(|| "manual".to_owned());
        Ok(store::NewCheck {
            client_id,
            source,
            checked_at: self.checked_at.map_or_else(db::now, |t| t.trunc_subsecs(6)),
            fiscal_year: parse_fiscal_year("input.fiscalYear", self.fiscal_year)?,
            currency,
            revenue_e4: parse_check_amount("revenue", self.revenue, code, false)?,
            net_income_e4: parse_check_amount("netIncome", self.net_income, code, true)?,
            assets_e4: parse_check_amount("assets", self.assets, code, false)?,
            equity_e4: parse_check_amount("equity", self.equity, code, true)?,
            debt_e4: parse_check_amount("debt", self.debt, code, false)?,
            employees: parse_count("input.employees", self.employees)?,
            registry_status: parse_text(
                "input.registryStatus",
                self.registry_status.as_deref(),
                64,
            )?,
            litigation_count: parse_count("input.litigationCount", self.litigation_count)?,
            litigation_amount_e4: parse_check_amount(
                "litigationAmount",
                self.litigation_amount,
                code,
                false,
            )?,
            government_contracts_count: parse_count(
                "input.governmentContracts",
                self.government_contracts,
            )?,
            government_contracts_amount_e4: parse_check_amount(
                "governmentContractsAmount",
                self.government_contracts_amount,
                code,
                false,
            )?,
            raw_payload: self.raw_payload.map(|j| j.0),
            recorded_by: Some(recorded_by),
        })
    }
}

/// Changes to financial checks. Each mutation is one transaction.
#[derive(Debug, Default)]
pub struct CheckMutation;

#[Object]
impl CheckMutation {
    /// Records a financial check entered by hand.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn add_financial_check(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The check.")] input: AddFinancialCheckInput,
    ) -> async_graphql::Result<FinancialCheck> {
        let client_id = node::decode(&input.client_id, Kind::Client, "input.clientId")?;
        let new = input.parse(client_id, ctx.principal()?.user_id)?;
        let check = Write::run(ctx, |write| {
            let new = new.clone();
            Box::pin(async move {
                write.authorize(Target::Client(client_id)).await?;
                let check = store::insert(write.tx(), new).await?;
                let event = Event::created(AuditAction::Create, &check);
                Ok((check, [event]))
            })
        })
        .await?;
        Ok(FinancialCheck(check))
    }
}
