//! A registry's latest answer to one name search, served until `expires_at`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_search_cache")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The provider's stable name (`gleif`, `companies_house`, ...).
    pub provider: String,
    /// The name searched, folded and with its whitespace collapsed.
    #[sea_orm(column_type = "Text")]
    pub query: String,
    /// The ISO 3166-1 alpha-2 country the search was restricted to; empty for none.
    pub country: String,
    pub fetched_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// The provider's answer as a serialized list of `Candidate`s.
    pub candidates: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
