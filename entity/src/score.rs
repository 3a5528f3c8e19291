//! One assessment of a client under one model version. Assessments are kept forever; the
//! newest of each client has `is_current` set.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub model_version: i32,
    pub attractiveness: f64,
    pub loyalty: f64,
    /// `KEY`, `DEVELOPMENT`, `SUPPORT` or `OPPORTUNISTIC`.
    pub quadrant: String,
    /// Every factor's value, weight, source and missing flag.
    pub factors: Json,
    pub explanation: String,
    pub assessed_at: DateTimeUtc,
    pub is_current: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
