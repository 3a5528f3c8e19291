//! Financial checks: dated readings of a client's financial position.

use chrono::{DateTime, Utc};
use entity::financial_check;
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectionTrait, EntityTrait, Select,
    sea_query::{Expr, Value},
};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};
use crate::error::AppResult;

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
