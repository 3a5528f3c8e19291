//! Account plans: a client's long-term plan of objectives and actions.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{account_plan, enums, plan_action, plan_objective};

use super::{
    clients::Client,
    context::ContextExt,
    node::{self, Kind},
    users::User,
};
use crate::error::AppError;

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

#[Object]
impl AccountPlan {
    /// The plan's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::AccountPlan, self.0.id)
    }

    /// The client the plan is for.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let client = ctx
            .loaders()
            .client(self.0.client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Client(client))
    }

    /// The plan's title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// First day the plan covers.
    async fn period_start(&self) -> Option<NaiveDate> {
        self.0.period_start
    }

    /// Last day the plan covers.
    async fn period_end(&self) -> Option<NaiveDate> {
        self.0.period_end
    }

    /// Where the plan stands.
    async fn status(&self) -> PlanStatus {
        self.0.status.into()
    }

    /// What the plan sets out to reach, in order.
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
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the plan was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An objective of an account plan.
#[derive(Debug, Clone)]
pub struct PlanObjective(pub plan_objective::Model);

#[Object]
impl PlanObjective {
    /// What is to be reached.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// How reaching it is measured.
    async fn measure(&self) -> Option<&str> {
        self.0.measure.as_deref()
    }

    /// When it is due.
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }

    /// Where it stands.
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
}

/// An action of an account plan.
#[derive(Debug, Clone)]
pub struct PlanAction(pub plan_action::Model);

#[Object]
impl PlanAction {
    /// What is to be done.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Who does it.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.owner_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().user(id).await?.map(User))
    }

    /// When it is due.
    async fn due_on(&self) -> Option<NaiveDate> {
        self.0.due_on
    }

    /// Where it stands.
    async fn status(&self) -> TaskStatus {
        self.0.status.into()
    }
}
