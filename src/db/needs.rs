//! Needs: what a client needs now or later, as found by questioning.

use entity::need;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::AppResult;

/// The needs of many clients, by priority (highest first).
///
/// # Errors
/// On a database failure.
pub async fn by_clients<C: ConnectionTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<need::Model>> {
    Ok(need::Entity::find()
        .filter(need::Column::ClientId.is_in(client_ids.iter().copied()))
        .order_by_asc(need::Column::Priority)
        .order_by_asc(need::Column::Id)
        .all(db)
        .await?)
}
