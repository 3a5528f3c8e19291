//! When a client was last re-checked against the public registries, and when it is next due.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_rechecks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: Uuid,
    pub attempted_at: DateTimeUtc,
    /// The round from which the client is picked again.
    pub next_due_at: DateTimeUtc,
    /// `ok` (at least one registry answered), `not_found` or `failed`.
    pub outcome: String,
    /// Why no registry answered, when none did.
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
