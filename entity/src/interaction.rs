//! One dated event in the relationship with a client: an order, a meeting, a call...

use sea_orm::entity::prelude::*;

use crate::enums::InteractionKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interactions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub kind: InteractionKind,
    pub occurred_at: DateTimeUtc,
    pub subject: Option<String>,
    pub summary: Option<String>,
    /// Fixed point, four decimal places.
    pub amount_e4: Option<i64>,
    pub currency: Option<String>,
    pub outcome: Option<String>,
    /// The writing system's name; with `external_id` it makes a write idempotent.
    pub source: Option<String>,
    pub external_id: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
