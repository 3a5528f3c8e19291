//! Account plans with their objectives and actions.

use chrono::NaiveDate;
use entity::{
    account_plan,
    enums::{PlanStatus, TaskStatus},
    plan_action, plan_objective,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use super::audit::Audited;
use crate::error::{AppError, AppResult};

/// The account plans of many clients, newest first.
///
/// # Errors
/// On a database failure.
pub async fn by_clients<C: ConnectionTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<account_plan::Model>> {
    Ok(account_plan::Entity::find()
        .filter(super::one_of(
            db.get_database_backend(),
            account_plan::Column::ClientId,
            client_ids,
        ))
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
        .filter(super::one_of(
            db.get_database_backend(),
            plan_objective::Column::PlanId,
            plan_ids,
        ))
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
        .filter(super::one_of(
            db.get_database_backend(),
            plan_action::Column::PlanId,
            plan_ids,
        ))
        .order_by_asc(plan_action::Column::Position)
        .all(db)
        .await?)
}

/// A validated new account plan, without its objectives and actions.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub client_id: Uuid,
    pub title: String,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub status: PlanStatus,
}

/// A validated new objective.
#[derive(Debug, Clone)]
pub struct NewObjective {
    pub description: String,
    pub measure: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub status: TaskStatus,
}

/// A validated new action; its objective is resolved when the plan's objectives exist.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub description: String,
    pub owner_id: Option<Uuid>,
    pub due_on: Option<NaiveDate>,
    pub status: TaskStatus,
}

/// Validated changes to a plan; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PlanChanges {
    pub title: Option<String>,
    pub period_start: Option<Option<NaiveDate>>,
    pub period_end: Option<Option<NaiveDate>>,
    pub status: Option<PlanStatus>,
}

impl PlanChanges {
    /// The period the plan would cover after the changes.
    #[must_use]
    pub fn period(&self, current: &account_plan::Model) -> (Option<NaiveDate>, Option<NaiveDate>) {
        (
            self.period_start.unwrap_or(current.period_start),
            self.period_end.unwrap_or(current.period_end),
        )
    }
}

/// Finds a plan or fails with `NOT_FOUND`.
///
/// # Errors
/// When there is no such plan, or on a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<account_plan::Model> {
    account_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound("account plan"))
}

/// Inserts a plan.
///
/// # Errors
/// On a database failure.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewPlan) -> AppResult<account_plan::Model> {
    let now = super::now();
    Ok(account_plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(new.client_id),
        title: Set(new.title),
        period_start: Set(new.period_start),
        period_end: Set(new.period_end),
        status: Set(new.status),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?)
}

/// Inserts an objective of `plan_id` at `position`.
///
/// # Errors
/// On a database failure.
pub async fn insert_objective<C: ConnectionTrait>(
    db: &C,
    plan_id: Uuid,
    position: i32,
    new: NewObjective,
) -> AppResult<plan_objective::Model> {
    Ok(plan_objective::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(plan_id),
        description: Set(new.description),
        measure: Set(new.measure),
        due_on: Set(new.due_on),
        status: Set(new.status),
        position: Set(position),
    }
    .insert(db)
    .await?)
}

/// Inserts an action of `plan_id` at `position`, serving `objective_id` if any.
///
/// # Errors
/// On a database failure.
pub async fn insert_action<C: ConnectionTrait>(
    db: &C,
    plan_id: Uuid,
    position: i32,
    objective_id: Option<Uuid>,
    new: NewAction,
) -> AppResult<plan_action::Model> {
    Ok(plan_action::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(plan_id),
        objective_id: Set(objective_id),
        description: Set(new.description),
        owner_id: Set(new.owner_id),
        due_on: Set(new.due_on),
        status: Set(new.status),
        position: Set(position),
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
    current: account_plan::Model,
    changes: PlanChanges,
) -> AppResult<account_plan::Model> {
    let mut model: account_plan::ActiveModel = current.into();
    if let Some(v) = changes.title {
        model.title = Set(v);
    }
    if let Some(v) = changes.period_start {
        model.period_start = Set(v);
    }
    if let Some(v) = changes.period_end {
        model.period_end = Set(v);
    }
    if let Some(v) = changes.status {
        model.status = Set(v);
    }
    model.updated_at = Set(super::now());
    Ok(model.update(db).await?)
}

/// Records that a plan changed (one of its objectives or actions).
///
/// # Errors
/// On a database failure.
async fn touch<C: ConnectionTrait>(db: &C, plan_id: Uuid) -> AppResult<()> {
    account_plan::Entity::update_many()
        .col_expr(account_plan::Column::UpdatedAt, Expr::val(super::now()))
        .filter(account_plan::Column::Id.eq(plan_id))
        .exec(db)
        .await?;
    Ok(())
}

/// An objective or an action: the items of a plan, addressed by plan and position, each with
/// a status.
pub trait PlanItem: Audited + Clone + Send + Sync {
    /// What `NOT_FOUND` names when a plan has no item at a position.
    const NAME: &'static str;
    /// The column naming the item's plan.
    const PLAN_ID: <Self::Entity as EntityTrait>::Column;
    /// The column of its position.
    const POSITION: <Self::Entity as EntityTrait>::Column;
    /// The column of its status.
    const STATUS: <Self::Entity as EntityTrait>::Column;

    /// The item with another status.
    #[must_use]
    fn with_status(self, status: TaskStatus) -> Self;
}

impl PlanItem for plan_objective::Model {
    const NAME: &'static str = "plan objective";
    const PLAN_ID: plan_objective::Column = plan_objective::Column::PlanId;
    const POSITION: plan_objective::Column = plan_objective::Column::Position;
    const STATUS: plan_objective::Column = plan_objective::Column::Status;

    fn with_status(self, status: TaskStatus) -> Self {
        Self { status, ..self }
    }
}

impl PlanItem for plan_action::Model {
    const NAME: &'static str = "plan action";
    const PLAN_ID: plan_action::Column = plan_action::Column::PlanId;
    const POSITION: plan_action::Column = plan_action::Column::Position;
    const STATUS: plan_action::Column = plan_action::Column::Status;

    fn with_status(self, status: TaskStatus) -> Self {
        Self { status, ..self }
    }
}

/// Sets the status of the item (objective or action) at `position` of a plan, and returns
/// the item before and after.
///
/// # Errors
/// `NOT_FOUND` when the plan has no such item there; database failures.
pub async fn set_item_status<I, C>(
    db: &C,
    plan_id: Uuid,
    position: i32,
    status: TaskStatus,
) -> AppResult<(I, I)>
where
    I: PlanItem,
    I::Entity: EntityTrait<Model = I>,
    C: ConnectionTrait,
{
    let before = I::Entity::find()
        .filter(I::PLAN_ID.eq(plan_id))
        .filter(I::POSITION.eq(position))
        .one(db)
        .await?
        .ok_or(AppError::NotFound(I::NAME))?;
    I::Entity::update_many()
        .col_expr(I::STATUS, Expr::val(status.to_value()))
        .filter(I::PLAN_ID.eq(plan_id))
        .filter(I::POSITION.eq(position))
        .exec(db)
        .await?;
    touch(db, plan_id).await?;
    let after = before.clone().with_status(status);
    Ok((before, after))
}

/// Deletes a plan with its objectives and actions.
///
/// # Errors
/// `NOT_FOUND` when there is no such plan; database failures.
pub async fn delete<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<()> {
    // Children go explicitly rather than through the cascade, so the outcome does not depend
    // on the connection's foreign-key setting.
    plan_action::Entity::delete_many()
        .filter(plan_action::Column::PlanId.eq(id))
        .exec(db)
        .await?;
    plan_objective::Entity::delete_many()
        .filter(plan_objective::Column::PlanId.eq(id))
        .exec(db)
        .await?;
    let result = account_plan::Entity::delete_by_id(id).exec(db).await?;
    if result.rows_affected == 0 {
        return Err(AppError::NotFound("account plan"));
    }
    Ok(())
}
