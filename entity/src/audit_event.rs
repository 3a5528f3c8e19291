//! One write as the audit trail keeps it: who, when, what and the field-level changes, with
//! personal data already masked. Rows are only ever inserted.

use sea_orm::entity::prelude::*;

use crate::enums::Role;

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum AuditAction {
    #[sea_orm(string_value = "CREATE")]
    Create,
    #[sea_orm(string_value = "UPDATE")]
    Update,
    #[sea_orm(string_value = "DELETE")]
    Delete,
    #[sea_orm(string_value = "ARCHIVE")]
    Archive,
    #[sea_orm(string_value = "RESTORE")]
    Restore,
    #[sea_orm(string_value = "ASSIGN_MANAGER")]
    AssignManager,
    #[sea_orm(string_value = "RECORD")]
    Record,
    #[sea_orm(string_value = "IMPORT")]
    Import,
    /// A registry reported another status for the company than it did before.
    #[sea_orm(string_value = "REGISTRY_STATUS_CHANGE")]
    RegistryStatusChange,
    /// A manager rated factors of the client (`rateClient`).
    #[sea_orm(string_value = "RATE")]
    Rate,
}

/// What kind of record a write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum AuditEntityType {
    #[sea_orm(string_value = "CLIENT")]
    Client,
    #[sea_orm(string_value = "REGISTRY_ID")]
    RegistryId,
    #[sea_orm(string_value = "CONTACT")]
    Contact,
    #[sea_orm(string_value = "NEED")]
    Need,
    #[sea_orm(string_value = "ACCOUNT_PLAN")]
    AccountPlan,
    #[sea_orm(string_value = "PLAN_OBJECTIVE")]
    PlanObjective,
    #[sea_orm(string_value = "PLAN_ACTION")]
    PlanAction,
    #[sea_orm(string_value = "FINANCIAL_CHECK")]
    FinancialCheck,
    #[sea_orm(string_value = "INTERACTION")]
    Interaction,
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "SERVICE_TOKEN")]
    ServiceToken,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// The user the request's token named.
    pub actor_id: Uuid,
    /// The role the actor acted in (as the token said then).
    pub actor_role: Role,
    pub action: AuditAction,
    pub entity_type: AuditEntityType,
    pub entity_id: Uuid,
    /// The client the record belongs to, for `Client.history`; none for users.
    pub client_id: Option<Uuid>,
    /// `{field: {before, after}}` of the fields that changed, personal data masked.
    pub changes: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
