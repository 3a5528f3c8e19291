//! Interactions: the dated history of the relationship with a client.

use chrono::{DateTime, Utc};
use entity::{enums::InteractionKind, interaction};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Expr, OnConflict, Query, Value},
};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey, Window, beyond};
use crate::error::{AppError, AppResult};

/// Names the newest-first ordering inside cursors.
pub const SIGNATURE: &str = "interactions:occurred_at:desc";

/// Rows per `INSERT` of a batch: 14 columns each stays far below the bind-parameter limits of
/// SQLite (32766) and PostgreSQL (65535).
const INSERT_CHUNK: usize = 500;

/// The writer's own key of a record: its system's name and the record's id there. A record
/// carries both or neither, and the pair is unique, which makes writes idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalKey {
    pub source: String,
    pub external_id: String,
}

/// A validated new interaction.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub kind: InteractionKind,
    pub occurred_at: DateTime<Utc>,
    pub subject: Option<String>,
    pub summary: Option<String>,
    /// Fixed point, four decimal places.
    pub amount_e4: Option<i64>,
    pub currency: Option<String>,
    pub outcome: Option<String>,
    pub external: Option<ExternalKey>,
    pub recorded_by: Option<Uuid>,
}

impl NewInteraction {
    fn into_model(self, now: DateTime<Utc>) -> interaction::Model {
        let (source, external_id) = self.external.map_or((None, None), |key| {
            (Some(key.source), Some(key.external_id))
        });
        interaction::Model {
            id: Uuid::now_v7(),
            client_id: self.client_id,
            contact_id: self.contact_id,
            kind: self.kind,
            occurred_at: self.occurred_at,
            subject: self.subject,
            summary: self.summary,
            amount_e4: self.amount_e4,
            currency: self.currency,
            outcome: self.outcome,
            source,
            external_id,
            recorded_by: self.recorded_by,
            created_at: now,
        }
    }
}

fn active(model: interaction::Model) -> interaction::ActiveModel {
    interaction::ActiveModel {
        id: Set(model.id),
        client_id: Set(model.client_id),
        contact_id: Set(model.contact_id),
        kind: Set(model.kind),
        occurred_at: Set(model.occurred_at),
        subject: Set(model.subject),
        summary: Set(model.summary),
        amount_e4: Set(model.amount_e4),
        currency: Set(model.currency),
        outcome: Set(model.outcome),
        source: Set(model.source),
        external_id: Set(model.external_id),
        recorded_by: Set(model.recorded_by),
        created_at: Set(model.created_at),
    }
}

/// What [`insert`] did.
#[derive(Debug, Clone)]
pub enum Insertion {
    /// The record is new.
    Created(interaction::Model),
    /// A record with the same [`ExternalKey`] was already stored; this is it, untouched.
    Existing(interaction::Model),
}

/// What was written of a row: what moves its client's last interaction on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromQueryResult)]
pub struct Written {
    pub client_id: Uuid,
    pub occurred_at: DateTime<Utc>,
}

/// Inserts rows in one statement, skipping (not failing on) those whose [`ExternalKey`] is
/// already stored, so concurrent identical writes leave one record on both backends. Returns
/// what was written, as the database reports it (`RETURNING`), so nothing needs checking
/// beforehand and a row stored meanwhile by another writer is not counted twice.
async fn insert_skipping_stored<C: ConnectionTrait>(
    db: &C,
    rows: Vec<interaction::Model>,
) -> AppResult<Vec<Written>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert = interaction::Entity::insert_many(rows.into_iter().map(active))
        .on_conflict(
            OnConflict::columns([interaction::Column::Source, interaction::Column::ExternalId])
                .do_nothing()
                .to_owned(),
        )
        .into_query();
    insert.returning(Query::returning().columns([
        interaction::Column::ClientId,
        interaction::Column::OccurredAt,
    ]));
    let statement = db.get_database_backend().build(&insert);
    Ok(Written::find_by_statement(statement).all(db).await?)
}

/// Inserts an interaction, or returns the stored one with the same [`ExternalKey`] unchanged.
///
/// # Errors
/// On a database failure.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewInteraction) -> AppResult<Insertion> {
    let key = new.external.clone();
    let model = new.into_model(super::now());
    if !insert_skipping_stored(db, vec![model.clone()])
        .await?
        .is_empty()
    {
        return Ok(Insertion::Created(model));
    }
    let stored = match &key {
        Some(key) => by_external_key(db, key).await?,
        None => None,
    };
    stored.map(Insertion::Existing).ok_or_else(|| {
        AppError::internal("an interaction insert wrote nothing and no stored record matches")
    })
}

/// Inserts many interactions in multi-row statements of [`INSERT_CHUNK`] rows, skipping those
/// whose [`ExternalKey`] is already stored. Returns what was written.
///
/// # Errors
/// On a database failure.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    new: Vec<NewInteraction>,
) -> AppResult<Vec<Written>> {
    let now = super::now();
    let mut rows: Vec<interaction::Model> = new.into_iter().map(|n| n.into_model(now)).collect();
    let mut written = Vec::with_capacity(rows.len());
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(INSERT_CHUNK));
        written.extend(insert_skipping_stored(db, rows).await?);
        rows = rest;
    }
    Ok(written)
}

/// The stored record with `key`, if any.
///
/// # Errors
/// On a database failure.
pub async fn by_external_key<C: ConnectionTrait>(
    db: &C,
    key: &ExternalKey,
) -> AppResult<Option<interaction::Model>> {
    Ok(interaction::Entity::find()
        .filter(interaction::Column::Source.eq(key.source.as_str()))
        .filter(interaction::Column::ExternalId.eq(key.external_id.as_str()))
        .one(db)
        .await?)
}

/// One page of interactions of all clients, newest first (rows in display order even when
/// walking backwards), with one extra row when more follow.
///
/// # Errors
/// On a database failure.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &InteractionFilter,
    window: &Window,
) -> AppResult<Vec<interaction::Model>> {
    let keys = sort_keys();
    let mut select = filter.apply(interaction::Entity::find());
    if let Some(cursor) = &window.cursor {
        select = select.filter(beyond(&keys, cursor, window.backward));
    }
    for key in &keys {
        select = select.order_by(key.expr.clone(), key.order(window.backward));
    }
    let mut rows = select.limit(window.limit + 1).all(db).await?;
    if window.backward {
        rows.reverse();
    }
    Ok(rows)
}

/// How many interactions of all clients match `filter`.
///
/// # Errors
/// On a database failure.
pub async fn count<C: ConnectionTrait>(db: &C, filter: &InteractionFilter) -> AppResult<u64> {
    Ok(filter.apply(interaction::Entity::find()).count(db).await?)
}

/// Which interactions a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InteractionFilter {
    pub kinds: Vec<InteractionKind>,
    pub occurred_after: Option<DateTime<Utc>>,
    pub occurred_before: Option<DateTime<Utc>>,
}

impl InteractionFilter {
    /// The filter applied to a query of interactions.
    #[must_use]
    pub fn apply(&self, mut select: Select<interaction::Entity>) -> Select<interaction::Entity> {
        if !self.kinds.is_empty() {
            select = select.filter(interaction::Column::Kind.is_in(self.kinds.iter().copied()));
        }
        if let Some(after) = self.occurred_after {
            select = select.filter(interaction::Column::OccurredAt.gte(after));
        }
        if let Some(before) = self.occurred_before {
            select = select.filter(interaction::Column::OccurredAt.lt(before));
        }
        select
    }
}

/// The ordering of interaction lists: newest first.
#[must_use]
pub fn sort_keys() -> Vec<SortKey> {
    vec![
        SortKey::new(
            Expr::col((interaction::Entity, interaction::Column::OccurredAt)),
            true,
        ),
        SortKey::new(
            Expr::col((interaction::Entity, interaction::Column::Id)),
            true,
        ),
    ]
}

/// A row's values of [`sort_keys`].
#[must_use]
pub fn sort_values(model: &interaction::Model) -> Vec<Value> {
    vec![model.occurred_at.into(), model.id.into()]
}

/// A client's interactions, newest first.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = interaction::Entity;
    type Model = interaction::Model;
    type Filter = InteractionFilter;
    const SIGNATURE: &'static str = SIGNATURE;

    fn parent_column() -> interaction::Column {
        interaction::Column::ClientId
    }
    fn parent_of(model: &interaction::Model) -> Uuid {
        model.client_id
    }
    fn select(filter: &InteractionFilter) -> Select<interaction::Entity> {
        filter.apply(interaction::Entity::find())
    }
    fn sort_keys() -> Vec<SortKey> {
        sort_keys()
    }
    fn sort_values(model: &interaction::Model) -> Vec<Value> {
        sort_values(model)
    }
}
