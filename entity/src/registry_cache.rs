//! A registry's latest answer about one identifier, served until `expires_at`.

use sea_orm::entity::prelude::*;

use crate::enums::RegistryScheme;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The provider's stable name (`gleif`, `companies_house`, ...).
    pub provider: String,
    pub scheme: RegistryScheme,
    /// The identifier looked up, in canonical form.
    pub value: String,
    pub fetched_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// The provider's answer as a serialized `CompanyProfile`.
    pub profile: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
