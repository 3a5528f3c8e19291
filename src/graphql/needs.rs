//! Needs: what a client needs now or will need, found with techniques such as SPIN.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::{enums, need};

use super::{
    clients::Client,
    context::ContextExt,
    node::{self, Kind},
};
use crate::error::AppError;

/// Whether a need is felt now or expected later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::NeedKind")]
pub enum NeedKind {
    /// Felt now.
    Current,
    /// Expected later.
    Future,
}

/// The SPIN questioning stage at which a need was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::SpinStage")]
pub enum SpinStage {
    /// Facts about the client's situation.
    Situation,
    /// A difficulty or dissatisfaction.
    Problem,
    /// What the problem costs the client.
    Implication,
    /// The value of solving it.
    NeedPayoff,
}

/// Whether a need is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::NeedStatus")]
pub enum NeedStatus {
    /// Not yet met.
    Open,
    /// Met by us.
    Addressed,
    /// No longer relevant.
    Dropped,
}

/// A client's need, problem or expectation.
#[derive(Debug, Clone)]
pub struct Need(pub need::Model);

#[Object]
impl Need {
    /// The need's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Need, self.0.id)
    }

    /// The client with the need.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let client = ctx
            .loaders()
            .client(self.0.client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Client(client))
    }

    /// Felt now or expected later.
    async fn kind(&self) -> NeedKind {
        self.0.kind.into()
    }

    /// The SPIN stage it was found at.
    async fn spin_stage(&self) -> Option<SpinStage> {
        self.0.spin_stage.map(Into::into)
    }

    /// What the client needs.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// 1 (highest) to 5 (lowest).
    async fn priority(&self) -> i32 {
        i32::from(self.0.priority)
    }

    /// Whether it is still open.
    async fn status(&self) -> NeedStatus {
        self.0.status.into()
    }

    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
