//! Contacts: people at a client and the decision structure. Personal data.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::{contact, enums};

use super::{
    clients::Client,
    context::ContextExt,
    node::{self, Kind},
};
use crate::error::AppError;

/// A contact's role in the client's buying centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::DecisionRole")]
pub enum DecisionRole {
    /// Makes the buying decision.
    DecisionMaker,
    /// Must approve the decision (finance, legal, board).
    Approver,
    /// Shapes the decision without making it.
    Influencer,
    /// Controls access to the decision makers.
    Gatekeeper,
    /// Uses what we deliver.
    User,
    /// Promotes us inside the client.
    Champion,
    /// Works against us inside the client.
    Blocker,
}

/// A contact's attitude towards us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::Attitude")]
pub enum Attitude {
    /// Favours working with us.
    Supportive,
    /// Neither for nor against.
    Neutral,
    /// Doubts us.
    Sceptical,
    /// Opposes us.
    Hostile,
}

/// How a contact prefers to be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ContactChannel")]
pub enum ContactChannel {
    /// By e-mail.
    Email,
    /// By phone.
    Phone,
    /// By instant messenger.
    Messenger,
    /// In person.
    InPerson,
}

/// A person at a client and their place in its decision structure.
#[derive(Debug, Clone)]
pub struct Contact(pub contact::Model);

#[Object]
impl Contact {
    /// The contact's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Contact, self.0.id)
    }

    /// The client the contact works at.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let client = ctx
            .loaders()
            .client(self.0.client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Client(client))
    }

    /// Full name.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// Job title.
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }

    /// Department.
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    /// E-mail address.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Phone number.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// How the contact prefers to be reached.
    async fn preferred_channel(&self) -> Option<ContactChannel> {
        self.0.preferred_channel.map(Into::into)
    }

    /// Role in the buying centre.
    async fn decision_role(&self) -> Option<DecisionRole> {
        self.0.decision_role.map(Into::into)
    }

    /// Influence on decisions, 1 (little) to 5 (decisive).
    async fn influence(&self) -> Option<i32> {
        self.0.influence.map(i32::from)
    }

    /// Attitude towards us.
    async fn attitude(&self) -> Option<Attitude> {
        self.0.attitude.map(Into::into)
    }

    /// The contact this one reports to.
    async fn reports_to(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let Some(id) = self.0.reports_to_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().contact(id).await?.map(Contact))
    }

    /// Free notes about the person.
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// Whether the person consented to the processing of their personal data.
    async fn consent(&self) -> bool {
        self.0.consent_at.is_some()
    }

    /// When the person gave consent.
    async fn consent_at(&self) -> Option<DateTime<Utc>> {
        self.0.consent_at
    }

    /// When the contact was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the contact was last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
