//! Financial checks: dated readings of a client's financial position.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::financial_check;
use futures::TryStreamExt;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QuerySelect,
    QueryTrait, Select, StreamTrait,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, Value, WindowStatement},
};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};
use crate::{
    domain::solvency::{self, CheckFacts, Facts},
    error::AppResult,
};

/// A client's financial checks, newest first.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = financial_check::Entity;
    type Model = financial_check::Model;
    type Filter = ();
    const SIGNATURE: &'static str = "checks:checked_at:desc";

    fn parent_column() -> financial_check::Column {
        financial_check::Column::ClientId
    }
    fn parent_of(model: &financial_check::Model) -> Uuid {
        model.client_id
    }
    fn select((): &()) -> Select<financial_check::Entity> {
        financial_check::Entity::find()
    }
    fn sort_keys() -> Vec<SortKey> {
        vec![
            SortKey::new(
                Expr::col((financial_check::Entity, financial_check::Column::CheckedAt)),
                true,
            ),
            SortKey::new(
                Expr::col((financial_check::Entity, financial_check::Column::Id)),
                true,
            ),
        ]
    }
    fn sort_values(model: &financial_check::Model) -> Vec<Value> {
        vec![model.checked_at.into(), model.id.into()]
    }
}

/// A validated financial check; amounts are fixed point e4 in `currency`.
#[derive(Debug, Clone)]
pub struct NewCheck {
    pub client_id: Uuid,
    pub source: String,
    pub checked_at: DateTime<Utc>,
    pub fiscal_year: Option<i32>,
    pub currency: Option<String>,
    pub revenue_e4: Option<i64>,
    pub net_income_e4: Option<i64>,
    pub assets_e4: Option<i64>,
    pub equity_e4: Option<i64>,
    pub debt_e4: Option<i64>,
    pub employees: Option<i32>,
    pub registry_status: Option<String>,
    pub litigation_count: Option<i32>,
    pub litigation_amount_e4: Option<i64>,
    pub government_contracts_count: Option<i32>,
    pub government_contracts_amount_e4: Option<i64>,
    pub raw_payload: Option<serde_json::Value>,
    /// The user who recorded the check.
    pub recorded_by: Option<Uuid>,
}

/// Inserts a financial check.
///
/// # Errors
/// On a database failure.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewCheck,
) -> AppResult<financial_check::Model> {
    Ok(financial_check::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(new.client_id),
        source: Set(new.source),
        checked_at: Set(new.checked_at),
        fiscal_year: Set(new.fiscal_year),
        currency: Set(new.currency),
        revenue_e4: Set(new.revenue_e4),
        net_income_e4: Set(new.net_income_e4),
        assets_e4: Set(new.assets_e4),
        equity_e4: Set(new.equity_e4),
        debt_e4: Set(new.debt_e4),
        employees: Set(new.employees),
        registry_status: Set(new.registry_status),
        litigation_count: Set(new.litigation_count),
        litigation_amount_e4: Set(new.litigation_amount_e4),
        government_contracts_count: Set(new.government_contracts_count),
        government_contracts_amount_e4: Set(new.government_contracts_amount_e4),
        raw_payload: Set(new.raw_payload),
        recorded_by: Set(new.recorded_by),
        created_at: Set(super::now()),
    }
    .insert(db)
    .await?)
}

/// How many of a client's latest checks the solvency fold reads: enough for a registry's,
/// a litigation service's and a manual check of two fiscal years, with room for re-checks.
pub const RECENT_PER_CLIENT: i64 = 10;

/// The columns of a check the solvency fold reads, with its rank among the client's checks.
#[derive(Debug, FromQueryResult)]
struct RecentCheck {
    client_id: Uuid,
    checked_at: DateTime<Utc>,
    fiscal_year: Option<i32>,
    currency: Option<String>,
    revenue_e4: Option<i64>,
    net_income_e4: Option<i64>,
    equity_e4: Option<i64>,
    registry_status: Option<String>,
    litigation_count: Option<i32>,
    litigation_amount_e4: Option<i64>,
}

impl RecentCheck {
    fn facts(self) -> CheckFacts {
        CheckFacts {
            checked_at: self.checked_at,
            fiscal_year: self.fiscal_year,
            currency: self.currency,
            revenue_e4: self.revenue_e4,
            net_income_e4: self.net_income_e4,
            equity_e4: self.equity_e4,
            registry_status: self.registry_status,
            litigation_count: self.litigation_count,
            litigation_amount_e4: self.litigation_amount_e4,
        }
    }
}

/// Folds the [`RECENT_PER_CLIENT`] latest checks of every client whose checks match `clients`
/// (a condition on `financial_checks`, such as `client_id IN (...)`) with
/// [`solvency::fold`], calling `each` once per client that has checks. One windowed statement,
/// streamed: memory holds one client's checks at a time.
///
/// # Errors
/// On a database failure.
pub async fn fold_recent<C: ConnectionTrait + StreamTrait>(
    db: &C,
    clients: Condition,
    mut each: impl FnMut(Uuid, Facts),
) -> AppResult<()> {
    const RANK: &str = "kaim_rank";
    let mut inner = financial_check::Entity::find()
        .select_only()
        .columns([
            financial_check::Column::ClientId,
            financial_check::Column::CheckedAt,
            financial_check::Column::FiscalYear,
            financial_check::Column::Currency,
            financial_check::Column::RevenueE4,
            financial_check::Column::NetIncomeE4,
            financial_check::Column::EquityE4,
            financial_check::Column::RegistryStatus,
            financial_check::Column::LitigationCount,
            financial_check::Column::LitigationAmountE4,
        ])
        .filter(clients)
        .into_query();
    let mut partition = WindowStatement::partition_by(financial_check::Column::ClientId);
    partition.order_by(financial_check::Column::CheckedAt, Order::Desc);
    partition.order_by(financial_check::Column::Id, Order::Desc);
    inner.expr_window_as(Func::cust("ROW_NUMBER"), partition, RANK);
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new(RANK)).lte(RECENT_PER_CLIENT))
        .order_by(Alias::new("client_id"), Order::Asc)
        .order_by(Alias::new(RANK), Order::Asc)
        .to_owned();
    let statement = ConnectionTrait::get_database_backend(db).build(&outer);
    let rows = RecentCheck::find_by_statement(statement).stream(db).await?;
    let mut rows = std::pin::pin!(rows);
    let mut current: Option<Uuid> = None;
    let mut checks: Vec<CheckFacts> = Vec::new();
    while let Some(row) = rows.try_next().await? {
        if let Some(id) = current
            && id != row.client_id
        {
            each(id, solvency::fold(&checks));
            checks.clear();
        }
        current = Some(row.client_id);
        checks.push(row.facts());
    }
    if let Some(id) = current {
        each(id, solvency::fold(&checks));
    }
    Ok(())
}

/// The folded checks of many clients; clients without checks are absent.
///
/// # Errors
/// On a database failure.
pub async fn facts_by_clients<C: ConnectionTrait + StreamTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Facts>> {
    let mut facts = HashMap::with_capacity(client_ids.len());
    fold_recent(
        db,
        Condition::all().add(super::one_of(
            ConnectionTrait::get_database_backend(db),
            financial_check::Column::ClientId,
            client_ids,
        )),
        |id, folded| {
            facts.insert(id, folded);
        },
    )
    .await?;
    Ok(facts)
}
