//! Interactions: orders, meetings, calls and the rest of the relationship's history.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{enums, interaction};
use rust_decimal::Decimal;

use super::{
    clients::Client,
    contacts::Contact,
    context::ContextExt,
    money::decimal,
    node::{self, Kind},
};
use crate::{
    db,
    error::{AppError, AppResult},
};

/// What kind of event an interaction was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::InteractionKind")]
pub enum InteractionKind {
    /// An order placed with us; its amount counts as revenue.
    Order,
    /// A meeting.
    Meeting,
    /// A phone or video call.
    Call,
    /// An e-mail exchange.
    Email,
    /// A negotiation round.
    Negotiation,
    /// A request from the client.
    Request,
    /// A joint project.
    Project,
    /// Participation in a loyalty programme.
    LoyaltyProgram,
    /// An event (conference, visit, reception).
    Event,
}

/// One dated event in the relationship with a client.
#[derive(Debug, Clone)]
pub struct Interaction(pub interaction::Model);

#[Object]
impl Interaction {
    /// The interaction's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Interaction, self.0.id)
    }

    /// The client.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let client = ctx
            .loaders()
            .client(self.0.client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Client(client))
    }

    /// The contact involved, if any.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let Some(id) = self.0.contact_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().contact(id).await?.map(Contact))
    }

    /// What kind of event it was.
    async fn kind(&self) -> InteractionKind {
        self.0.kind.into()
    }

    /// When it took place.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Subject line.
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }

    /// What happened.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Money that moved (an order's value), exact.
    async fn amount(&self) -> Option<Decimal> {
        decimal(self.0.amount_e4)
    }

    /// ISO 4217 currency of `amount`.
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }

    /// How it ended.
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }

    /// The system that wrote the record.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// The record's id in `source`.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    /// When kaim stored the record.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Which interactions a list shows.
#[derive(Debug, Clone, Default, InputObject)]
pub struct InteractionFilter {
    /// Any of these kinds.
    pub kind: Option<Vec<InteractionKind>>,
    /// At or after this time.
    pub occurred_after: Option<DateTime<Utc>>,
    /// Before this time.
    pub occurred_before: Option<DateTime<Utc>>,
}

impl InteractionFilter {
    /// The storage filter.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when the range is empty.
    pub fn parse(self) -> AppResult<db::interactions::InteractionFilter> {
        if let (Some(after), Some(before)) = (self.occurred_after, self.occurred_before) {
            if after >= before {
                return Err(AppError::bad_input(
                    "filter.occurredBefore",
                    "`occurredBefore` must be later than `occurredAfter`",
                ));
            }
        }
        let mut kinds: Vec<enums::InteractionKind> = self
            .kind
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        // Equal filters must hash alike so that parents share one batched statement.
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        Ok(db::interactions::InteractionFilter {
            kinds,
            occurred_after: self.occurred_after,
            occurred_before: self.occurred_before,
        })
    }
}
