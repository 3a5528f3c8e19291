//! A client company: the account that kaim gathers knowledge about.

use sea_orm::entity::prelude::*;

use crate::enums::ClientStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub legal_name: Option<String>,
    /// Name and legal name folded for search (Unicode lower case, NFKC, `ё` as `е`), so that a
    /// case-insensitive substring search works in any script on both backends.
    pub search_text: String,
    pub industry_code: Option<String>,
    pub industry: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub region: Option<String>,
    pub employees: Option<i32>,
    pub revenue_band: Option<String>,
    /// JSON array of market names.
    pub markets: Json,
    pub strategic_plans: Option<String>,
    pub website: Option<String>,
    pub status: ClientStatus,
    pub manager_id: Option<Uuid>,
    /// Set when archived (soft delete); archived clients are hidden unless asked for.
    pub archived_at: Option<DateTimeUtc>,
    /// Denormalised from interactions so that ordering by it is an index scan.
    pub last_interaction_at: Option<DateTimeUtc>,
    /// Optimistic-concurrency counter, incremented by every update.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::ManagerId",
        to = "super::user::Column::Id"
    )]
    Manager,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Manager.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
