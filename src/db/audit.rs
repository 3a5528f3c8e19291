//! The audit trail: every write records who did what to which record, with the fields it
//! changed, in the writing transaction, so a write and its record stand or fall together.
//!
//! Changes are computed here from two states of a record (`None` for "did not exist"), column
//! by column, and stored as `{field: {before, after}}`:
//! - field names are the API's camelCase; fixed-point `*_e4` amounts drop the suffix and are
//!   decimal strings (`"1250.50"`);
//! - unchanged fields are left out, and so are technical ones ([`SKIPPED_EVERYWHERE`] and the
//!   per-entity list in [`policy`]);
//! - personal data ([`policy`]'s masked fields) never reaches the table in clear: a masked
//!   value is `"***"` when present and `null` when absent, so a reader still sees that it was
//!   set (`null` → `"***"`), changed (`"***"` → `"***"`) or cleared (`"***"` → `null`).

pub use entity::audit_event::AuditAction;
use entity::audit_event::{self, AuditEntityType};
use sea_orm::{
    ActiveEnum,
    ActiveValue::Set,
    ConnectionTrait, EntityTrait, IdenStatic, Iterable, ModelTrait, Select,
    sea_query::{Expr, Value, value::sea_value_to_json_value},
};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};
use crate::{
    auth::Principal,
    domain::{money, registry_id::RegistryIdValue},
    error::AppResult,
};

/// What a masked value is stored as.
pub const MASK: &str = "***";

/// Columns no audit record shows: the record's own id (the event names it), its client (the
/// event has a column for it), and bookkeeping that changes on every write.
pub const SKIPPED_EVERYWHERE: &[&str] = &[
    "id",
    "client_id",
    "search_text",
    "version",
    "created_at",
    "updated_at",
];

/// How the audit trail treats an entity's columns besides [`SKIPPED_EVERYWHERE`].
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Personal data: recorded as [`MASK`], never in clear.
    pub masked: &'static [&'static str],
    /// Not recorded at all.
    pub skipped: &'static [&'static str],
}

/// The one list of masked and skipped columns, per entity.
#[must_use]
pub const fn policy(entity: AuditEntityType) -> Policy {
    match entity {
        AuditEntityType::Contact => Policy {
            masked: &["full_name", "email", "phone", "notes"],
            skipped: &[],
        },
        AuditEntityType::User => Policy {
            masked: &["email", "external_subject"],
            skipped: &[],
        },
        // Moved forward by recording interactions, which have their own events.
        AuditEntityType::Client => Policy {
            masked: &[],
            skipped: &["last_interaction_at"],
        },
        // The registry's answer as received: large, and kept on the check itself.
        AuditEntityType::FinancialCheck => Policy {
            masked: &[],
            skipped: &["raw_payload"],
        },
        // The event names the token by its `jti`.
        AuditEntityType::ServiceToken => Policy {
            masked: &[],
            skipped: &["jti"],
        },
        AuditEntityType::RegistryId
        | AuditEntityType::Need
        | AuditEntityType::AccountPlan
        | AuditEntityType::PlanObjective
        | AuditEntityType::PlanAction
        | AuditEntityType::Interaction => Policy {
            masked: &[],
            skipped: &[],
        },
    }
}

/// A record the audit trail can describe.
pub trait Audited: ModelTrait {
    /// The entity type events about it carry.
    const ENTITY: AuditEntityType;
    /// The record's id.
    fn audit_id(&self) -> Uuid;
    /// The client whose history shows events about it.
    fn audit_client(&self) -> Option<Uuid>;
}

macro_rules! audited {
    ($module:ident, $entity:ident, |$m:ident| $client:expr) => {
        impl Audited for entity::$module::Model {
            const ENTITY: AuditEntityType = AuditEntityType::$entity;
            fn audit_id(&self) -> Uuid {
                self.id
            }
            fn audit_client(&self) -> Option<Uuid> {
                let $m = self;
                $client
            }
        }
    };
}

audited!(client, Client, |m| Some(m.id));
audited!(registry_id, RegistryId, |m| Some(m.client_id));
audited!(contact, Contact, |m| Some(m.client_id));
audited!(need, Need, |m| Some(m.client_id));
audited!(account_plan, AccountPlan, |m| Some(m.client_id));
audited!(financial_check, FinancialCheck, |m| Some(m.client_id));
audited!(interaction, Interaction, |m| Some(m.client_id));
// Plan items name their plan, not its client: callers add it with `Event::for_client`.
audited!(plan_objective, PlanObjective, |_m| None);
audited!(plan_action, PlanAction, |_m| None);
audited!(user, User, |_m| None);

impl Audited for entity::issued_token::Model {
    const ENTITY: AuditEntityType = AuditEntityType::ServiceToken;
    fn audit_id(&self) -> Uuid {
        self.jti
    }
    fn audit_client(&self) -> Option<Uuid> {
        None
    }
}

/// An event about to be recorded.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: AuditAction,
    pub entity_type: AuditEntityType,
    pub entity_id: Uuid,
    pub client_id: Option<Uuid>,
    /// `{field: {before, after}}`, already masked.
    pub changes: Map<String, Json>,
}

impl Event {
    /// `after` came into being.
    #[must_use]
    pub fn created<M: Audited>(action: AuditAction, after: &M) -> Self {
        Self::of(action, after, diff(None, Some(after)))
    }

    /// `before` became `after`.
    #[must_use]
    pub fn changed<M: Audited>(action: AuditAction, before: &M, after: &M) -> Self {
        Self::of(action, after, diff(Some(before), Some(after)))
    }

    /// `before` was removed.
    #[must_use]
    pub fn deleted<M: Audited>(before: &M) -> Self {
        Self::of(AuditAction::Delete, before, diff(Some(before), None))
    }

    /// A batch of interactions was imported for a client: `created` of them were new.
    #[must_use]
    pub fn import(client_id: Uuid, created: u64) -> Self {
        let mut changes = Map::new();
        changes.insert(
            "interactionsCreated".to_owned(),
            json!({ "before": null, "after": created }),
        );
        Self {
            action: AuditAction::Import,
            entity_type: AuditEntityType::Client,
            entity_id: client_id,
            client_id: Some(client_id),
            changes,
        }
    }

    /// A client's factors were rated: each of `ratings` (factor key, rating) by its key, with
    /// the client's `earlier` rating of it (`null` for none). Unchanged ratings are left out.
    #[must_use]
    pub fn rated(
        client_id: Uuid,
        earlier: &[entity::factor_rating::Model],
        ratings: &[(String, f64)],
    ) -> Self {
        let mut event = Self {
            action: AuditAction::Rate,
            entity_type: AuditEntityType::Client,
            entity_id: client_id,
            client_id: Some(client_id),
            changes: Map::new(),
        };
        for (key, rating) in ratings {
            let before = earlier
                .iter()
                .find(|r| r.client_id == client_id && &r.factor_key == key)
                .map_or(Json::Null, |r| json!(r.rating));
            event = event.with_change(key, before, json!(rating));
        }
        event
    }

    /// A registry reported `check`'s status where its previous check of the client said
    /// `before`: shown in the client's history, naming the check that saw the change.
    #[must_use]
    pub fn registry_status_change(check: &entity::financial_check::Model, before: &str) -> Self {
        Self::of(AuditAction::RegistryStatusChange, check, Map::new()).with_change(
            "registryStatus",
            json!(before),
            json!(check.registry_status),
        )
    }

    fn of<M: Audited>(action: AuditAction, model: &M, changes: Map<String, Json>) -> Self {
        Self {
            action,
            entity_type: M::ENTITY,
            entity_id: model.audit_id(),
            client_id: model.audit_client(),
            changes,
        }
    }

    /// Shows the event in `client_id`'s history.
    #[must_use]
    pub const fn for_client(mut self, client_id: Uuid) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Adds a change that is not a column of the record (a client's registry ids at creation).
    /// Never pass personal data here: it is stored as given.
    #[must_use]
    pub fn with_change(mut self, field: &str, before: Json, after: Json) -> Self {
        if before != after {
            self.changes.insert(field.to_owned(), change(before, after));
        }
        self
    }
}

/// The registry identifiers a client was created with, as one change value
/// (`["LEI 5299…"]`, `null` for none).
#[must_use]
pub fn registry_ids(ids: &[RegistryIdValue]) -> Json {
    if ids.is_empty() {
        return Json::Null;
    }
    ids.iter()
        .map(|id| Json::String(format!("{} {}", id.scheme().to_value(), id.as_str())))
        .collect()
}

/// Records `event` as done by `actor`, in the caller's transaction.
///
/// # Errors
/// On a database failure.
pub async fn record<C: ConnectionTrait>(db: &C, actor: Principal, event: Event) -> AppResult<()> {
    record_all(db, actor, [event]).await
}

/// Events per multi-row `INSERT`: 9 columns each stays far below the bind-parameter limits.
const RECORD_CHUNK: usize = 1000;

/// Records `events`, in order, as done by `actor`, in as few statements as the parameter limits
/// allow (one for up to [`RECORD_CHUNK`] events).
///
/// # Errors
/// On a database failure.
pub async fn record_all<C: ConnectionTrait>(
    db: &C,
    actor: Principal,
    events: impl IntoIterator<Item = Event>,
) -> AppResult<()> {
    let now = super::now();
    let mut rows = events.into_iter().map(|event| audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        occurred_at: Set(now),
        actor_id: Set(actor.user_id),
        actor_role: Set(actor.role),
        action: Set(event.action),
        entity_type: Set(event.entity_type),
        entity_id: Set(event.entity_id),
        client_id: Set(event.client_id),
        changes: Set(Json::Object(event.changes)),
    });
    loop {
        let chunk: Vec<_> = rows.by_ref().take(RECORD_CHUNK).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        audit_event::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
}

/// The fields that differ between two states of a record (`None`: it did not exist), as
/// `{field: {before, after}}`, masked and skipped as [`policy`] says.
#[must_use]
pub fn diff<M: Audited>(before: Option<&M>, after: Option<&M>) -> Map<String, Json> {
    let Policy { masked, skipped } = policy(M::ENTITY);
    let mut changes = Map::new();
    for column in <<M::Entity as EntityTrait>::Column as Iterable>::iter() {
        let name = column.as_str();
        if SKIPPED_EVERYWHERE.contains(&name) || skipped.contains(&name) {
            continue;
        }
        let old = before.map_or(Json::Null, |m| to_json(&m.get(column)));
        let new = after.map_or(Json::Null, |m| to_json(&m.get(column)));
        if old == new {
            continue;
        }
        let (field, old, new) = match name.strip_suffix("_e4") {
            Some(base) => (camel_case(base), amount(&old), amount(&new)),
            None => (camel_case(name), old, new),
        };
        let (old, new) = if masked.contains(&name) {
            (mask(&old), mask(&new))
        } else {
            (old, new)
        };
        changes.insert(field, change(old, new));
    }
    changes
}

fn change(before: Json, after: Json) -> Json {
    let mut change = Map::new();
    change.insert("before".to_owned(), before);
    change.insert("after".to_owned(), after);
    Json::Object(change)
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::ChronoDateTimeUtc(Some(at)) => {
            Json::String(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        }
        Value::ChronoDate(Some(day)) => Json::String(day.to_string()),
        Value::Uuid(Some(id)) => Json::String(id.to_string()),
        Value::Bytes(_) => Json::Null,
        other => sea_value_to_json_value(other),
    }
}

fn amount(stored: &Json) -> Json {
    stored.as_i64().map_or(Json::Null, |e4| {
        Json::String(money::from_e4(e4).to_string())
    })
}

fn mask(value: &Json) -> Json {
    if value.is_null() {
        Json::Null
    } else {
        Json::String(MASK.to_owned())
    }
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A client's history, newest first.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = audit_event::Entity;
    type Model = audit_event::Model;
    type Filter = ();
    const SIGNATURE: &'static str = "audit:occurred_at:desc";

    fn parent_column() -> audit_event::Column {
        audit_event::Column::ClientId
    }
    fn parent_of(model: &audit_event::Model) -> Uuid {
        model.client_id.unwrap_or_default()
    }
    fn select((): &()) -> Select<audit_event::Entity> {
        audit_event::Entity::find()
    }
    fn sort_keys() -> Vec<SortKey> {
        vec![
            SortKey::new(
                Expr::col((audit_event::Entity, audit_event::Column::OccurredAt)),
                true,
            ),
            SortKey::new(
                Expr::col((audit_event::Entity, audit_event::Column::Id)),
                true,
            ),
        ]
    }
    fn sort_values(model: &audit_event::Model) -> Vec<Value> {
        vec![model.occurred_at.into(), model.id.into()]
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entity::{contact, financial_check};

    use super::*;

    fn contact() -> contact::Model {
        let now = Utc::now();
        contact::Model {
            id: Uuid::now_v7(),
            client_id: Uuid::now_v7(),
            full_name: "Jane Roe".into(),
            position: Some("CFO".into()),
            department: None,
            email: Some("jane@acme.example".into()),
            phone: None,
            preferred_channel: None,
            decision_role: None,
            influence: Some(4),
            attitude: None,
            reports_to_id: None,
            notes: None,
            consent_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn personal_data_is_masked_and_unchanged_fields_are_left_out() {
        let before = contact();
        let mut after = before.clone();
        after.email = None;
        after.phone = Some("+44 20 7946 0000".into());
        after.position = Some("CEO".into());
        after.updated_at = Utc::now();
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(
            Json::Object(changes),
            json!({
                "email": { "before": "***", "after": null },
                "phone": { "before": null, "after": "***" },
                "position": { "before": "CFO", "after": "CEO" },
            })
        );
    }

    #[test]
    fn a_creation_lists_the_fields_that_were_set() {
        let created = contact();
        let changes = diff(None, Some(&created));
        assert_eq!(
            Json::Object(changes),
            json!({
                "fullName": { "before": null, "after": "***" },
                "email": { "before": null, "after": "***" },
                "position": { "before": null, "after": "CFO" },
                "influence": { "before": null, "after": 4 },
            })
        );
    }

    #[test]
    fn amounts_are_decimals_under_their_api_name() {
        let check = financial_check::Model {
            id: Uuid::now_v7(),
            client_id: Uuid::now_v7(),
            source: "manual".into(),
            checked_at: "2026-01-31T10:00:00Z".parse().unwrap_or_default(),
            fiscal_year: None,
            currency: None,
            revenue_e4: Some(12_500_000),
            net_income_e4: None,
            assets_e4: None,
            equity_e4: None,
            debt_e4: None,
            employees: None,
            registry_status: None,
            litigation_count: None,
            litigation_amount_e4: None,
            government_contracts_count: None,
            government_contracts_amount_e4: None,
            raw_payload: Some(json!({ "big": "payload" })),
            recorded_by: None,
            created_at: Utc::now(),
        };
        let changes = diff(None, Some(&check));
        assert_eq!(
            Json::Object(changes),
            json!({
                "source": { "before": null, "after": "manual" },
                "checkedAt": { "before": null, "after": "2026-01-31T10:00:00Z" },
                "revenue": { "before": null, "after": "1250.00" },
            })
        );
    }
}
