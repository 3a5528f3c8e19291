//! Tokens kaim minted (service tokens and `kaim token`), so that a revoked one is refused by
//! every instance. The token text itself is never stored.

use sea_orm::entity::prelude::*;

use crate::enums::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "issued_tokens")]
pub struct Model {
    /// The token's `jti` claim.
    #[sea_orm(primary_key, auto_increment = false)]
    pub jti: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
    pub description: Option<String>,
    pub issued_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
