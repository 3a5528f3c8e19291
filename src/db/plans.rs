//! Account plans with their objectives and actions.

use entity::{account_plan, plan_action, plan_objective};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::AppResult;

/// The account plans of many clients, newest first.
///
/// # Errors
/// On a database failure.
pub async fn by_clients<C: ConnectionTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<account_plan::Model>> {
    Ok(account_plan::Entity::find()
        .filter(account_plan::Column::ClientId.is_in(client_ids.iter().copied()))
        .order_by_desc(account_plan::Column::CreatedAt)
        .order_by_desc(account_plan::Column::Id)
        .all(db)
        .await?)
}

/// The objectives of many plans, in their order.
///
/// # Errors
/// On a database failure.
pub async fn objectives_by_plans<C: ConnectionTrait>(
    db: &C,
    plan_ids: &[Uuid],
) -> AppResult<Vec<plan_objective::Model>> {
    Ok(plan_objective::Entity::find()
        .filter(plan_objective::Column::PlanId.is_in(plan_ids.iter().copied()))
        .order_by_asc(plan_objective::Column::Position)
        .all(db)
        .await?)
}

/// The actions of many plans, in their order.
///
/// # Errors
/// On a database failure.
pub async fn actions_by_plans<C: ConnectionTrait>(
    db: &C,
    plan_ids: &[Uuid],
) -> AppResult<Vec<plan_action::Model>> {
    Ok(plan_action::Entity::find()
        .filter(plan_action::Column::PlanId.is_in(plan_ids.iter().copied()))
        .order_by_asc(plan_action::Column::Position)
        .all(db)
        .await?)
}
