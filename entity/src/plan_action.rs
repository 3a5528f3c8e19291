//! An action of an account plan, with an owner and a due date.

use sea_orm::entity::prelude::*;

use crate::enums::TaskStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub objective_id: Option<Uuid>,
    pub description: String,
    pub owner_id: Option<Uuid>,
    pub due_on: Option<Date>,
    pub status: TaskStatus,
    pub position: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
