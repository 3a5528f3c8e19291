//! Account plans: a client's long-term plan of objectives and actions.

use std::collections::HashSet;

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{account_plan, enums, plan_action, plan_objective};

use super::{
    clients::{Client, ensure_user, parse_text},
    context::ContextExt,
    guards::{RoleGuard, Target},
    needs::parse_required_text,
    node::{self, Kind},
    users::{User, parse_name},
    write::Write,
};
use crate::db::audit::{AuditAction, Event};
use crate::{
    db::plans as store,
    error::{AppError, AppResult},
};

/// Where an account plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::PlanStatus")]
pub enum PlanStatus {
    /// Being written.
    Draft,
    /// Being carried out.
    Active,
    /// Done.
    Completed,
    /// Given up.
    Abandoned,
}

/// Where an objective or action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::TaskStatus")]
pub enum TaskStatus {
    /// Not started.
    Planned,
    /// Under way.
    InProgress,
    /// Done.
    Done,
    /// Dropped.
    Cancelled,
}

/// A long-term plan for one client.
#[derive(Debug, Clone)]
pub struct AccountPlan(pub account_plan::Model);

/// A long-term plan for one client.
#[Object]
impl AccountPlan {
    /// The plan's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::AccountPlan, self.0.id)
    }

    /// The client the plan is for.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Client::load(ctx, self.0.client_id).await
    }

    /// The plan's title.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// First day the plan covers.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn period_start(&self) -> Option<NaiveDate> {
        self.0.period_start
    }

    /// Last day the plan covers.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn period_end(&self) -> Option<NaiveDate> {
        self.0.period_end
    }

    /// Where the plan stands.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn status(&self) -> PlanStatus {
        self.0.status.into()
    }

    /// What the plan sets out to reach, in order.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn objectives(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanObjective>> {
        Ok(ctx
            .loaders()
            .objectives_of(self.0.id)
            .await?
            .into_iter()
            .map(PlanObjective)
            .collect())
    }

    /// What is to be done, in order.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn actions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanAction>> {
        Ok(ctx
            .loaders()
            .actions_of(self.0.id)
            .await?
            .into_iter()
            .map(PlanAction)
            .collect())
    }

    /// When the plan was created.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the plan was last changed.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An objective of an account plan.
#[derive(Debug, Clone)]
pub struct PlanObjective(pub plan_objective::Model);

/// An objective of an account plan.
#[Object]
impl PlanObjective {
    /// The objective's place in its plan, from 0; objectives are addressed by plan and position.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// What is to be reached.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How reaching it is measured.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn measure(&self) -> Option<&str> {
        self.0.measure.as_deref()
    }

    /// When it is due.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }

    /// Where it stands.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
}

/// An action of an account plan.
#[derive(Debug, Clone)]
pub struct PlanAction(pub plan_action::Model);

/// An action of an account plan.
#[Object]
impl PlanAction {
    /// The action's place in its plan, from 0; actions are addressed by plan and position.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// What is to be done.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The objective the action serves, if any.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn objective(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlanObjective>> {
        let Some(id) = self.0.objective_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()
            .objectives_of(self.0.plan_id)
            .await?
            .into_iter()
            .find(|o| o.id == id)
            .map(PlanObjective))
    }

    /// Who does it.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.owner_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().user(id).await?.map(User))
    }

    /// When it is due.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }

    /// Where it stands.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
}

/// An objective of a new account plan.
#[derive(Debug, InputObject)]
pub struct PlanObjectiveInput {
    /// What is to be reached.
    pub description: String,
    /// How reaching it is measured.
    pub measure: Option<String>,
    /// When it is due.
    pub due_on: Option<NaiveDate>,
    /// Where it stands; default PLANNED.
    pub status: Option<TaskStatus>,
}

/// An action of a new account plan.
#[derive(Debug, InputObject)]
pub struct PlanActionInput {
    /// What is to be done.
    pub description: String,
    /// The user who does it.
    pub owner_id: Option<ID>,
    /// When it is due.
    pub due_on: Option<NaiveDate>,
    /// Where it stands; default PLANNED.
    pub status: Option<TaskStatus>,
    /// The objective the action serves: its index (from 0) in the input's `objectives`.
    pub objective_index: Option<i32>,
}

/// A new account plan with its objectives and actions.
#[derive(Debug, InputObject)]
pub struct CreateAccountPlanInput {
    /// The client the plan is for.
    pub client_id: ID,
    /// The plan's title.
    pub title: String,
    /// First day the plan covers.
    pub period_start: Option<NaiveDate>,
    /// Last day the plan covers; not before `periodStart`.
    pub period_end: Option<NaiveDate>,
    /// Where the plan stands; default DRAFT.
    pub status: Option<PlanStatus>,
    /// What the plan sets out to reach, in order.
    pub objectives: Option<Vec<PlanObjectiveInput>>,
    /// What is to be done, in order.
    pub actions: Option<Vec<PlanActionInput>>,
}

/// Changes to an account plan; absent fields stay as they are, `null` clears a date.
#[derive(Debug, InputObject)]
pub struct UpdateAccountPlanInput {
    /// The plan's title.
    pub title: Option<String>,
    /// First day the plan covers.
    pub period_start: MaybeUndefined<NaiveDate>,
    /// Last day the plan covers; not before `periodStart`.
    pub period_end: MaybeUndefined<NaiveDate>,
    /// Where the plan stands.
    pub status: Option<PlanStatus>,
}

fn check_period(start: Option<NaiveDate>, end: Option<NaiveDate>) -> AppResult<()> {
    match (start, end) {
        (Some(start), Some(end)) if end < start => Err(AppError::bad_input(
            "input.periodEnd",
            "`input.periodEnd` cannot be before `input.periodStart`",
        )),
        _ => Ok(()),
    }
}

fn parse_position(field: &str, value: i32) -> AppResult<i32> {
    if value < 0 {
        Err(AppError::bad_input(
            field,
            format!("`{field}` cannot be negative"),
        ))
    } else {
        Ok(value)
    }
}

impl PlanObjectiveInput {
    fn parse(self, field: &str) -> AppResult<store::NewObjective> {
        Ok(store::NewObjective {
            description: parse_required_text(
                &format!("{field}.description"),
                &self.description,
                2000,
            )?,
            measure: parse_text(&format!("{field}.measure"), self.measure.as_deref(), 500)?,
            due_on: self.due_on,
            status: self.status.map_or(enums::TaskStatus::Planned, Into::into),
        })
    }
}

impl PlanActionInput {
    /// The action, and the index of its objective among `objectives` objectives.
    fn parse(self, field: &str, objectives: usize) -> AppResult<(store::NewAction, Option<usize>)> {
        let objective = self
            .objective_index
            .map(|i| {
                let index_field = format!("{field}.objectiveIndex");
                usize::try_from(i)
                    .ok()
                    .filter(|i| *i < objectives)
                    .ok_or_else(|| {
                        AppError::bad_input(
                            &index_field,
                            format!("`{index_field}` names no objective of the input"),
                        )
                    })
            })
            .transpose()?;
        let action = store::NewAction {
            description: parse_required_text(
                &format!("{field}.description"),
                &self.description,
                2000,
            )?,
            owner_id: node::decode_opt(
                self.owner_id.as_ref(),
                Kind::User,
                &format!("{field}.ownerId"),
            )?,
            due_on: self.due_on,
            status: self.status.map_or(enums::TaskStatus::Planned, Into::into),
        };
        Ok((action, objective))
    }
}

fn to_i32(index: usize) -> AppResult<i32> {
    i32::try_from(index).map_err(AppError::internal)
}

/// Changes to account plans. Each mutation is one transaction.
#[derive(Debug, Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    /// Creates an account plan with its objectives and actions, all or nothing.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn create_account_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan.")] input: CreateAccountPlanInput,
    ) -> async_graphql::Result<AccountPlan> {
        let client_id = node::decode(&input.client_id, Kind::Client, "input.clientId")?;
        check_period(input.period_start, input.period_end)?;
        let plan = store::NewPlan {
            client_id,
            title: parse_name("input.title", &input.title)?,
            period_start: input.period_start,
            period_end: input.period_end,
            status: input.status.map_or(enums::PlanStatus::Draft, Into::into),
        };
        let objectives = input
            .objectives
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.parse(&format!("input.objectives[{i}]")))
            .collect::<AppResult<Vec<_>>>()?;
        let actions = input
            .actions
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, a)| a.parse(&format!("input.actions[{i}]"), objectives.len()))
            .collect::<AppResult<Vec<_>>>()?;

        let plan = Write::run(ctx, |write| {
            let (plan, objectives, actions) = (plan.clone(), objectives.clone(), actions.clone());
            Box::pin(async move {
                write.authorize(Target::Client(client_id)).await?;
                let plan = store::insert(write.tx(), plan).await?;
                let mut events = Vec::with_capacity(1 + objectives.len() + actions.len());
                events.push(Event::created(AuditAction::Create, &plan));
                let mut objective_ids = Vec::with_capacity(objectives.len());
                for (i, objective) in objectives.into_iter().enumerate() {
                    let row =
                        store::insert_objective(write.tx(), plan.id, to_i32(i)?, objective).await?;
                    events.push(Event::created(AuditAction::Create, &row).for_client(client_id));
                    objective_ids.push(row.id);
                }
                let mut known_owners = HashSet::new();
                for (i, (action, objective)) in actions.into_iter().enumerate() {
                    if let Some(owner) = action.owner_id
                        && known_owners.insert(owner)
                    {
                        let field = format!("input.actions[{i}].ownerId");
                        ensure_user(write.tx(), owner, &field).await?;
                    }
                    let objective_id = objective.and_then(|o| objective_ids.get(o).copied());
                    let position = to_i32(i)?;
                    let row =
                        store::insert_action(write.tx(), plan.id, position, objective_id, action)
                            .await?;
                    events.push(Event::created(AuditAction::Create, &row).for_client(client_id));
                }
                Ok((plan, events))
            })
        })
        .await?;
        Ok(AccountPlan(plan))
    }

    /// Changes a plan's title, period or status.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn update_account_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan to change.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateAccountPlanInput,
    ) -> async_graphql::Result<AccountPlan> {
        let id = node::decode(&id, Kind::AccountPlan, "id")?;
        let changes = store::PlanChanges {
            title: input
                .title
                .as_deref()
                .map(|t| parse_name("input.title", t))
                .transpose()?,
            period_start: input.period_start.into(),
            period_end: input.period_end.into(),
            status: input.status.map(Into::into),
        };
        let plan = Write::run(ctx, |write| {
            let changes = changes.clone();
            Box::pin(async move {
                write.authorize(Target::AccountPlan(id)).await?;
                let current = store::get(write.tx(), id).await?;
                let (start, end) = changes.period(&current);
                check_period(start, end)?;
                let before = current.clone();
                let plan = store::update(write.tx(), current, changes).await?;
                let event = Event::changed(AuditAction::Update, &before, &plan);
                Ok((plan, [event]))
            })
        })
        .await?;
        Ok(AccountPlan(plan))
    }

    /// Sets where an objective of a plan stands, and returns the plan.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn set_plan_objective_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan.")] plan_id: ID,
        #[graphql(desc = "The objective's position in the plan, from 0.")] position: i32,
        #[graphql(desc = "Where the objective now stands.")] status: TaskStatus,
    ) -> async_graphql::Result<AccountPlan> {
        set_item_status::<plan_objective::Model>(ctx, &plan_id, position, status).await
    }

    /// Sets where an action of a plan stands, and returns the plan.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn set_plan_action_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan.")] plan_id: ID,
        #[graphql(desc = "The action's position in the plan, from 0.")] position: i32,
        #[graphql(desc = "Where the action now stands.")] status: TaskStatus,
    ) -> async_graphql::Result<AccountPlan> {
        set_item_status::<plan_action::Model>(ctx, &plan_id, position, status).await
    }

    /// Removes a plan with its objectives and actions, and returns its id.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn remove_account_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan to remove.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let uuid = node::decode(&id, Kind::AccountPlan, "id")?;
        Write::run(ctx, |write| {
            Box::pin(async move {
                write.authorize(Target::AccountPlan(uuid)).await?;
                let before = store::get(write.tx(), uuid).await?;
                store::delete(write.tx(), uuid).await?;
                Ok(((), [Event::deleted(&before)]))
            })
        })
        .await?;
        Ok(node::encode(Kind::AccountPlan, uuid))
    }
}

/// Sets where an objective or action of a plan stands, and returns the plan.
async fn set_item_status<I>(
    ctx: &Context<'_>,
    plan_id: &ID,
    position: i32,
    status: TaskStatus,
) -> async_graphql::Result<AccountPlan>
where
    // Implied by the entity's model being `I`, but not seen through it inside the boxed write.
    I: store::PlanItem + sea_orm::FromQueryResult,
    I::Entity: sea_orm::EntityTrait<Model = I>,
{
    let plan_id = node::decode(plan_id, Kind::AccountPlan, "planId")?;
    let position = parse_position("position", position)?;
    let plan = Write::run(ctx, |write| {
        Box::pin(async move {
            let client = write.authorize(Target::AccountPlan(plan_id)).await?;
            let (before, after) =
                store::set_item_status::<I, _>(write.tx(), plan_id, position, status.into())
                    .await?;
            let plan = store::get(write.tx(), plan_id).await?;
            let event = Event::changed(AuditAction::Update, &before, &after).for_client(client.id);
            Ok((plan, [event]))
        })
    })
    .await?;
    Ok(AccountPlan(plan))
}
