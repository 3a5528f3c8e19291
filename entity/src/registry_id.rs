//! A client's identifier in a public company registry, unique per scheme and value.

use sea_orm::entity::prelude::*;

use crate::enums::RegistryScheme;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_ids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub client_id: Uuid,
    pub scheme: RegistryScheme,
    /// Canonical form (upper case, no separators), validated with its check digits.
    pub value: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
