//! A person at a client and their place in its decision structure. Personal data.

use sea_orm::entity::prelude::*;

use crate::enums::{Attitude, ContactChannel, DecisionRole};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub full_name: String,
    pub position: Option<String>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferred_channel: Option<ContactChannel>,
    pub decision_role: Option<DecisionRole>,
    /// 1 (little) to 5 (decisive).
    pub influence: Option<i16>,
    pub attitude: Option<Attitude>,
    pub reports_to_id: Option<Uuid>,
    pub notes: Option<String>,
    /// When the person consented to the processing of their personal data; none means no consent.
    pub consent_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
