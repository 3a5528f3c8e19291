//! Contacts: the people at a client and its decision structure. Personal data.

use entity::{
    contact,
    enums::{Attitude, ContactChannel, DecisionRole},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ConnectionTrait, EntityTrait, Select,
    sea_query::{Expr, Value},
};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};
use crate::error::{AppError, AppResult};

/// A client's contacts, by name.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = contact::Entity;
    type Model = contact::Model;
    type Filter = ();
    const SIGNATURE: &'static str = "contacts:name";

    fn parent_column() -> contact::Column {
        contact::Column::ClientId
    }
    fn parent_of(model: &contact::Model) -> Uuid {
        model.client_id
    }
    fn select((): &()) -> Select<contact::Entity> {
        contact::Entity::find()
    }
    fn sort_keys() -> Vec<SortKey> {
        vec![
            SortKey::new(
                Expr::col((contact::Entity, contact::Column::FullName)),
                false,
            ),
            SortKey::new(Expr::col((contact::Entity, contact::Column::Id)), false),
        ]
    }
    fn sort_values(model: &contact::Model) -> Vec<Value> {
        vec![model.full_name.clone().into(), model.id.into()]
    }
}

/// A validated new contact.
#[derive(Debug, Clone)]
pub struct NewContact {
    pub client_id: Uuid,
    pub full_name: String,
    pub position: Option<String>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferred_channel: Option<ContactChannel>,
    pub decision_role: Option<DecisionRole>,
    pub influence: Option<i16>,
    pub attitude: Option<Attitude>,
    pub reports_to_id: Option<Uuid>,
    pub notes: Option<String>,
    pub consent: bool,
}

/// Validated changes to a contact; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactChanges {
    pub full_name: Option<String>,
    pub position: Option<Option<String>>,
    pub department: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub preferred_channel: Option<Option<ContactChannel>>,
    pub decision_role: Option<Option<DecisionRole>>,
    pub influence: Option<Option<i16>>,
    pub attitude: Option<Option<Attitude>>,
    pub reports_to_id: Option<Option<Uuid>>,
    pub notes: Option<Option<String>>,
    /// `true` records consent (keeping the time of an earlier one), `false` withdraws it.
    pub consent: Option<bool>,
}

/// Finds a contact.
///
/// # Errors
/// On a database failure.
pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<contact::Model>> {
    Ok(contact::Entity::find_by_id(id).one(db).await?)
}

/// Finds a contact or fails with `NOT_FOUND`.
///
/// # Errors
/// When there is no such contact, or on a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<contact::Model> {
    find(db, id).await?.ok_or(AppError::NotFound("contact"))
}

/// Inserts a contact.
///
/// # Errors
/// On a database failure.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewContact) -> AppResult<contact::Model> {
    let now = super::now();
    Ok(contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(new.client_id),
        full_name: Set(new.full_name),
        position: Set(new.position),
        department: Set(new.department),
        email: Set(new.email),
        phone: Set(new.phone),
        preferred_channel: Set(new.preferred_channel),
        decision_role: Set(new.decision_role),
        influence: Set(new.influence),
        attitude: Set(new.attitude),
        reports_to_id: Set(new.reports_to_id),
        notes: Set(new.notes),
        consent_at: Set(new.consent.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Applies `changes` to `current`.
///
/// # Errors
/// On a database failure.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    current: contact::Model,
    changes: ContactChanges,
) -> AppResult<contact::Model> {
    let now = super::now();
    let consent_at = match changes.consent {
        None => current.consent_at,
        Some(true) => current.consent_at.or(Some(now)),
        Some(false) => None,
    };
    let mut model: contact::ActiveModel = current.into();
    if let Some(v) = changes.full_name {
        model.full_name = Set(v);
    }
    if let Some(v) = changes.position {
        model.position = Set(v);
    }
    if let Some(v) = changes.department {
        model.department = Set(v);
    }
    if let Some(v) = changes.email {
        model.email = Set(v);
    }
    if let Some(v) = changes.phone {
        model.phone = Set(v);
    }
    if let Some(v) = changes.preferred_channel {
        model.preferred_channel = Set(v);
    }
    if let Some(v) = changes.decision_role {
        model.decision_role = Set(v);
    }
    if let Some(v) = changes.influence {
        model.influence = Set(v);
    }
    if let Some(v) = changes.attitude {
        model.attitude = Set(v);
    }
    if let Some(v) = changes.reports_to_id {
        model.reports_to_id = Set(v);
    }
    if let Some(v) = changes.notes {
        model.notes = Set(v);
    }
    model.consent_at = Set(consent_at);
    model.updated_at = Set(now);
    Ok(model.update(db).await?)
}

/// Deletes a contact; those who reported to it then report to no one, and interactions with
/// it keep their record without a contact.
///
/// # Errors
/// `NOT_FOUND` when there is no such contact; database failures.
pub async fn delete<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    let result = contact::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound("contact"));
    }
    Ok(())
}

/// Whether `target` is `start` or one of the contacts `start` reports to, directly or up the
/// chain: making `target` report to `start` would then close a cycle.
///
/// # Errors
/// On a database failure.
pub async fn chain_reaches<C: ConnectionTrait>(
    db: &C,
    start: Uuid,
    target: Uuid,
) -> AppResult<bool> {
    let mut current = Some(start);
    // The chain is acyclic by construction; the bound only guards against corrupted data.
    for _ in 0..10_000 {
        let Some(id) = current else {
            return Ok(false);
        };
        if id == target {
            return Ok(true);
        }
        current = find(db, id).await?.and_then(|c| c.reports_to_id);
    }
    Ok(true)
}
