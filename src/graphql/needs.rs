//! Needs: what a client needs now or will need, found with techniques such as SPIN.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{enums, need};

use super::{
    clients::{Client, parse_text},
    guards::{RoleGuard, Target},
    node::{self, Kind},
    write::Write,
};
use crate::db::audit::{AuditAction, Event};
use crate::{
    db::needs as store,
    error::{AppError, AppResult},
};

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

/// A client's need, problem or expectation.
#[Object]
impl Need {
    /// The need's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Need, self.0.id)
    }

    /// The client with the need.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Client::load(ctx, self.0.client_id).await
    }

    /// Felt now or expected later.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn kind(&self) -> NeedKind {
        self.0.kind.into()
    }

    /// The SPIN stage it was found at.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn spin_stage(&self) -> Option<SpinStage> {
        self.0.spin_stage.map(Into::into)
    }

    /// What the client needs.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// 1 (highest) to 5 (lowest).
    #[graphql(guard = "RoleGuard::readers()")]
    async fn priority(&self) -> i32 {
        i32::from(self.0.priority)
    }

    /// Whether it is still open.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn status(&self) -> NeedStatus {
        self.0.status.into()
    }

    /// When it was recorded.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it was last changed.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A new need of a client.
#[derive(Debug, InputObject)]
pub struct AddNeedInput {
    /// The client with the need.
    pub client_id: ID,
    /// Felt now or expected later.
    pub kind: NeedKind,
    /// The SPIN stage it was found at.
    pub spin_stage: Option<SpinStage>,
    /// What the client needs.
    pub description: String,
    /// 1 (highest) to 5 (lowest); default 3.
    pub priority: Option<i32>,
    /// Whether it is still open; default OPEN.
    pub status: Option<NeedStatus>,
}

/// Changes to a need; absent fields stay as they are, `null` clears an optional field.
#[derive(Debug, InputObject)]
pub struct UpdateNeedInput {
    /// Felt now or expected later.
    pub kind: Option<NeedKind>,
    /// The SPIN stage it was found at.
    pub spin_stage: MaybeUndefined<SpinStage>,
    /// What the client needs.
    pub description: Option<String>,
    /// 1 (highest) to 5 (lowest).
    pub priority: Option<i32>,
    /// Whether it is still open.
    pub status: Option<NeedStatus>,
}

/// Required free text: trimmed, not blank, at most `max` characters.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field`.
pub fn parse_required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    parse_text(field, Some(value), max)?
        .ok_or_else(|| AppError::bad_input(field, format!("`{field}` cannot be blank")))
}

fn parse_priority(field: &str, value: i32) -> AppResult<i16> {
    i16::try_from(value)
        .ok()
        .filter(|v| (1..=5).contains(v))
        .ok_or_else(|| AppError::bad_input(field, format!("`{field}` is from 1 to 5")))
}

/// Changes to needs. Each mutation is one transaction.
#[derive(Debug, Default)]
pub struct NeedMutation;

#[Object]
impl NeedMutation {
    /// Records a need of a client.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn add_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The need.")] input: AddNeedInput,
    ) -> async_graphql::Result<Need> {
        let client_id = node::decode(&input.client_id, Kind::Client, "input.clientId")?;
        let new = store::NewNeed {
            client_id,
            kind: input.kind.into(),
            spin_stage: input.spin_stage.map(Into::into),
            description: parse_required_text("input.description", &input.description, 10_000)?,
            priority: parse_priority("input.priority", input.priority.unwrap_or(3))?,
            status: input.status.map_or(enums::NeedStatus::Open, Into::into),
        };
        let need = Write::run(ctx, |write| {
            let new = new.clone();
            Box::pin(async move {
                write.authorize(Target::Client(client_id)).await?;
                let need = store::insert(write.tx(), new).await?;
                let event = Event::created(AuditAction::Create, &need);
                Ok((need, [event]))
            })
        })
        .await?;
        Ok(Need(need))
    }

    /// Changes a need.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn update_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The need to change.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateNeedInput,
    ) -> async_graphql::Result<Need> {
        let id = node::decode(&id, Kind::Need, "id")?;
        let changes = store::NeedChanges {
            kind: input.kind.map(Into::into),
            spin_stage: Option::from(input.spin_stage.map_value(Into::into)),
            description: input
                .description
                .as_deref()
                .map(|d| parse_required_text("input.description", d, 10_000))
                .transpose()?,
            priority: input
                .priority
                .map(|p| parse_priority("input.priority", p))
                .transpose()?,
            status: input.status.map(Into::into),
        };
        let need = Write::run(ctx, |write| {
            let changes = changes.clone();
            Box::pin(async move {
                write.authorize(Target::Need(id)).await?;
                let before = store::get(write.tx(), id).await?;
                let need = store::update(write.tx(), id, changes).await?;
                let event = Event::changed(AuditAction::Update, &before, &need);
                Ok((need, [event]))
            })
        })
        .await?;
        Ok(Need(need))
    }

    /// Removes a need and returns its id.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn remove_need(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The need to remove.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let uuid = node::decode(&id, Kind::Need, "id")?;
        Write::run(ctx, |write| {
            Box::pin(async move {
                write.authorize(Target::Need(uuid)).await?;
                let before = store::get(write.tx(), uuid).await?;
                store::delete(write.tx(), uuid).await?;
                Ok(((), [Event::deleted(&before)]))
            })
        })
        .await?;
        Ok(node::encode(Kind::Need, uuid))
    }
}
