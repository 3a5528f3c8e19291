//! The audit trail as the API shows it: `Client.history`, one event per write.

use async_graphql::{Context, Enum, ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::audit_event;

use super::{
    context::ContextExt,
    node::{self, Kind},
    users::{Role, User},
};

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "audit_event::AuditAction")]
pub enum AuditAction {
    /// The record was created.
    Create,
    /// Fields of the record were changed.
    Update,
    /// The record was removed.
    Delete,
    /// The client was archived.
    Archive,
    /// The client was brought back from the archive.
    Restore,
    /// The client's key account manager was set or removed.
    AssignManager,
    /// An interaction was recorded (replays of an already recorded one leave no event).
    Record,
    /// A batch of interactions was imported; `interactionsCreated` counts this client's new ones.
    Import,
    /// A registry reported another status for the company than in its previous check (for
    /// example `active` → `liquidating`); the event names the financial check that saw it.
    RegistryStatusChange,
    /// Factors of the client were rated; `changes` lists each rated factor by its key, with
    /// the earlier rating (null for none) and the new one.
    Rate,
}

/// What kind of record a write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "audit_event::AuditEntityType")]
pub enum AuditEntityType {
    /// A client.
    Client,
    /// A client's registry identifier.
    RegistryId,
    /// A contact (its personal data is masked in `changes`).
    Contact,
    /// A need.
    Need,
    /// An account plan.
    AccountPlan,
    /// An objective of an account plan.
    PlanObjective,
    /// An action of an account plan.
    PlanAction,
    /// A financial check.
    FinancialCheck,
    /// An interaction.
    Interaction,
    /// A user.
    User,
    /// An issued token (`ServiceToken`); its text is never recorded.
    ServiceToken,
}

/// One field a write changed.
#[derive(Debug, Clone, SimpleObject)]
pub struct FieldChange {
    /// The field, by its API name (`legalName`; amounts without their storage suffix).
    pub field: String,
    /// The value before the write; null when there was none. Personal data reads `"***"`.
    pub before: Option<Json<serde_json::Value>>,
    /// The value after the write; null when there is none. Personal data reads `"***"`.
    pub after: Option<Json<serde_json::Value>>,
}

/// One write as the audit trail recorded it, in the same transaction as the write.
#[derive(Debug, Clone)]
pub struct AuditEvent(pub audit_event::Model);

/// One write as the audit trail recorded it, in the same transaction as the write.
#[Object]
impl AuditEvent {
    /// When the write happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Who made it; null when the token named a user that is not (or no longer) stored.
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(ctx.loaders().user(self.0.actor_id).await?.map(User))
    }

    /// The role the actor acted in.
    async fn actor_role(&self) -> Role {
        self.0.actor_role.into()
    }

    /// What the write did.
    async fn action(&self) -> AuditAction {
        self.0.action.into()
    }

    /// What kind of record it changed.
    async fn entity_type(&self) -> AuditEntityType {
        self.0.entity_type.into()
    }

    /// The record it changed: its global id where the record has one (see `entityType`),
    /// else its plain id.
    async fn entity_id(&self) -> ID {
        let id = self.0.entity_id;
        let kind = match self.0.entity_type {
            audit_event::AuditEntityType::Client => Kind::Client,
            audit_event::AuditEntityType::Contact => Kind::Contact,
            audit_event::AuditEntityType::Need => Kind::Need,
            audit_event::AuditEntityType::AccountPlan => Kind::AccountPlan,
            audit_event::AuditEntityType::FinancialCheck => Kind::FinancialCheck,
            audit_event::AuditEntityType::Interaction => Kind::Interaction,
            audit_event::AuditEntityType::User => Kind::User,
            audit_event::AuditEntityType::ServiceToken => Kind::ServiceToken,
            audit_event::AuditEntityType::RegistryId
            | audit_event::AuditEntityType::PlanObjective
            | audit_event::AuditEntityType::PlanAction => return ID(id.to_string()),
        };
        node::encode(kind, id)
    }

    /// The fields that changed, in field-name order; unchanged and bookkeeping fields are
    /// left out.
    async fn changes(&self) -> Vec<FieldChange> {
        let Some(fields) = self.0.changes.as_object() else {
            return Vec::new();
        };
        let mut changes: Vec<FieldChange> = fields
            .iter()
            .map(|(field, change)| FieldChange {
                field: field.clone(),
                before: present(&change["before"]),
                after: present(&change["after"]),
            })
            .collect();
        changes.sort_by(|a, b| a.field.cmp(&b.field));
        changes
    }
}

fn present(value: &serde_json::Value) -> Option<Json<serde_json::Value>> {
    (!value.is_null()).then(|| Json(value.clone()))
}
