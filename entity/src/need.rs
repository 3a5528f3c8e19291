//! A client's current or future need, problem or expectation, as found by questioning.

use sea_orm::entity::prelude::*;

use crate::enums::{NeedKind, NeedStatus, SpinStage};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "needs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub kind: NeedKind,
    pub spin_stage: Option<SpinStage>,
    pub description: String,
    /// 1 (highest) to 5 (lowest).
    pub priority: i16,
    pub status: NeedStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
