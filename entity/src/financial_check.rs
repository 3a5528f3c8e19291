//! A dated reading of a client's financial position, by hand or from a registry.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "financial_checks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    /// `manual` or the registry that answered.
    pub source: String,
    pub checked_at: DateTimeUtc,
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
    /// The source's answer as received, kept so every figure can be traced.
    pub raw_payload: Option<Json>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
