//! Needs: what a client needs now or later, as found by questioning.

use entity::{
    enums::{NeedKind, NeedStatus, SpinStage},
    need,
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// A validated new need.
#[derive(Debug, Clone)]
pub struct NewNeed {
    pub client_id: Uuid,
    pub kind: NeedKind,
    pub spin_stage: Option<SpinStage>,
    pub description: String,
    pub priority: i16,
    pub status: NeedStatus,
}

/// Validated changes to a need; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct NeedChanges {
    pub kind: Option<NeedKind>,
    pub spin_stage: Option<Option<SpinStage>>,
    pub description: Option<String>,
    pub priority: Option<i16>,
    pub status: Option<NeedStatus>,
}

/// The needs of many clients, by priority (highest first).
///
/// # Errors
/// On a database failure.
pub async fn by_clients<C: ConnectionTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<need::Model>> {
    Ok(need::Entity::find()
        .filter(super::one_of(
            db.get_database_backend(),
            need::Column::ClientId,
            client_ids,
        ))
        .order_by_asc(need::Column::Priority)
        .order_by_asc(need::Column::Id)
        .all(db)
        .await?)
}

/// Finds a need or fails with `NOT_FOUND`.
///
/// # Errors
/// When there is no such need, or on a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<need::Model> {
    need::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("need"))
}

/// Inserts a need.
///
/// # Errors
/// On a database failure.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewNeed) -> AppResult<need::Model> {
    let now = super::now();
    Ok(need::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(new.client_id),
        kind: Set(new.kind),
        spin_stage: Set(new.spin_stage),
        description: Set(new.description),
        priority: Set(new.priority),
        status: Set(new.status),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Applies `changes` to the need `id`.
///
/// # Errors
/// `NOT_FOUND` when there is no such need; database failures.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    changes: NeedChanges,
) -> AppResult<need::Model> {
    let mut model: need::ActiveModel = get(db, id).await?.into();
    if let Some(v) = changes.kind {
        model.kind = Set(v);
    }
    if let Some(v) = changes.spin_stage {
        model.spin_stage = Set(v);
    }
    if let Some(v) = changes.description {
        model.description = Set(v);
    }
    if let Some(v) = changes.priority {
        model.priority = Set(v);
    }
    if let Some(v) = changes.status {
        model.status = Set(v);
    }
    model.updated_at = Set(super::now());
    Ok(model.update(db).await?)
}

/// Deletes a need.
///
/// # Errors
/// `NOT_FOUND` when there is no such need; database failures.
pub async fn delete<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    let result = need::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound("need"));
    }
    Ok(())
}
