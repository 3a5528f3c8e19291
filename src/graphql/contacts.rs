//! Contacts: people at a client and the decision structure. Personal data.

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use entity::{contact, enums};
use uuid::Uuid;

use super::{
    clients::{Client, parse_text},
    context::ContextExt,
    guards::{ContactDetailsGuard, RoleGuard, Target},
    node::{self, Kind},
    users::{parse_email, parse_name},
    write::Write,
};
use crate::db::audit::{AuditAction, Event};
use crate::{
    db::contacts as store,
    error::{AppError, AppResult},
};

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

/// A person at a client and their place in its decision structure.
#[Object]
impl Contact {
    /// The contact's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Contact, self.0.id)
    }

    /// The client the contact works at.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Client::load(ctx, self.0.client_id).await
    }

    /// Full name.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// Job title.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }

    /// Department.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }

    /// E-mail address.
    #[graphql(guard = "ContactDetailsGuard::new(self.0.consent_at.is_some())")]
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Phone number.
    #[graphql(guard = "ContactDetailsGuard::new(self.0.consent_at.is_some())")]
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }

    /// How the contact prefers to be reached.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn preferred_channel(&self) -> Option<ContactChannel> {
        self.0.preferred_channel.map(Into::into)
    }

    /// Role in the buying centre.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn decision_role(&self) -> Option<DecisionRole> {
        self.0.decision_role.map(Into::into)
    }

    /// Influence on decisions, 1 (little) to 5 (decisive).
    #[graphql(guard = "RoleGuard::readers()")]
    async fn influence(&self) -> Option<i32> {
        self.0.influence.map(i32::from)
    }

    /// Attitude towards us.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn attitude(&self) -> Option<Attitude> {
        self.0.attitude.map(Into::into)
    }

    /// The contact this one reports to.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn reports_to(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let Some(id) = self.0.reports_to_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().contact(id).await?.map(Contact))
    }

    /// Free notes about the person.
    #[graphql(guard = "ContactDetailsGuard::new(self.0.consent_at.is_some())")]
    async fn notes(&self) -> Option<&str> {
        self.0.notes.as_deref()
    }

    /// Whether the person consented to the processing of their personal data.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn consent(&self) -> bool {
        self.0.consent_at.is_some()
    }

    /// When the person gave consent.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn consent_at(&self) -> Option<DateTime<Utc>> {
        self.0.consent_at
    }

    /// When the contact was recorded.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the contact was last changed.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A new contact at a client.
#[derive(Debug, InputObject)]
pub struct AddContactInput {
    /// The client the person works at.
    pub client_id: ID,
    /// Full name.
    pub full_name: String,
    /// Job title.
    pub position: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number, at most 50 characters.
    pub phone: Option<String>,
    /// How the person prefers to be reached.
    pub preferred_channel: Option<ContactChannel>,
    /// Role in the buying centre.
    pub decision_role: Option<DecisionRole>,
    /// Influence on decisions, 1 (little) to 5 (decisive).
    pub influence: Option<i32>,
    /// Attitude towards us.
    pub attitude: Option<Attitude>,
    /// The contact this one reports to: another contact of the same client.
    pub reports_to_id: Option<ID>,
    /// Free notes about the person.
    pub notes: Option<String>,
    /// Whether the person consents to the processing of their personal data (default false).
    pub consent: Option<bool>,
}

/// Changes to a contact; absent fields stay as they are, `null` clears an optional field.
#[derive(Debug, InputObject)]
pub struct UpdateContactInput {
    /// Full name.
    pub full_name: Option<String>,
    /// Job title.
    pub position: MaybeUndefined<String>,
    /// Department.
    pub department: MaybeUndefined<String>,
    /// E-mail address.
    pub email: MaybeUndefined<String>,
    /// Phone number, at most 50 characters.
    pub phone: MaybeUndefined<String>,
    /// How the person prefers to be reached.
    pub preferred_channel: MaybeUndefined<ContactChannel>,
    /// Role in the buying centre.
    pub decision_role: MaybeUndefined<DecisionRole>,
    /// Influence on decisions, 1 (little) to 5 (decisive).
    pub influence: MaybeUndefined<i32>,
    /// Attitude towards us.
    pub attitude: MaybeUndefined<Attitude>,
    /// The contact this one reports to: another contact of the same client, not one who
    /// reports (directly or not) to this one.
    pub reports_to_id: MaybeUndefined<ID>,
    /// Free notes about the person.
    pub notes: MaybeUndefined<String>,
    /// `true` records consent now (an earlier consent keeps its time), `false` withdraws it.
    pub consent: Option<bool>,
}

fn parse_optional_email(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse_email(field, v))
        .transpose()
}

fn parse_influence(field: &str, value: Option<i32>) -> AppResult<Option<i16>> {
    value
        .map(|v| {
            i16::try_from(v)
                .ok()
                .filter(|v| (1..=5).contains(v))
                .ok_or_else(|| AppError::bad_input(field, format!("`{field}` is from 1 to 5")))
        })
        .transpose()
}

/// Fails with `BAD_USER_INPUT` on `field` unless `manager` is a contact of `client_id`.
async fn ensure_colleague<C: sea_orm::ConnectionTrait>(
    db: &C,
    manager: Uuid,
    client_id: Uuid,
    field: &str,
) -> AppResult<()> {
    match store::find(db, manager).await? {
        Some(found) if found.client_id == client_id => Ok(()),
        Some(_) => Err(AppError::bad_input(
            field,
            format!("`{field}` must be a contact of the same client"),
        )),
        None => Err(AppError::bad_input(
            field,
            format!("`{field}` names no contact"),
        )),
    }
}

/// Changes to contacts. Each mutation is one transaction.
#[derive(Debug, Default)]
pub struct ContactMutation;

#[Object]
impl ContactMutation {
    /// Adds a person to a client's contacts.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn add_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact.")] input: AddContactInput,
    ) -> async_graphql::Result<Contact> {
        let client_id = node::decode(&input.client_id, Kind::Client, "input.clientId")?;
        let new = store::NewContact {
            client_id,
            full_name: parse_name("input.fullName", &input.full_name)?,
            position: parse_text("input.position", input.position.as_deref(), 200)?,
            department: parse_text("input.department", input.department.as_deref(), 200)?,
            email: parse_optional_email("input.email", input.email.as_deref())?,
            phone: parse_text("input.phone", input.phone.as_deref(), 50)?,
            preferred_channel: input.preferred_channel.map(Into::into),
            decision_role: input.decision_role.map(Into::into),
            influence: parse_influence("input.influence", input.influence)?,
            attitude: input.attitude.map(Into::into),
            reports_to_id: node::decode_opt(
                input.reports_to_id.as_ref(),
                Kind::Contact,
                "input.reportsToId",
            )?,
            notes: parse_text("input.notes", input.notes.as_deref(), 10_000)?,
            consent: input.consent.unwrap_or(false),
        };
        let contact = Write::run(ctx, |write| {
            let new = new.clone();
            Box::pin(async move {
                write.authorize(Target::Client(client_id)).await?;
                if let Some(manager) = new.reports_to_id {
                    ensure_colleague(write.tx(), manager, client_id, "input.reportsToId").await?;
                }
                let contact = store::insert(write.tx(), new).await?;
                let event = Event::created(AuditAction::Create, &contact);
                Ok((contact, [event]))
            })
        })
        .await?;
        Ok(Contact(contact))
    }

    /// Changes a contact.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn update_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact to change.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateContactInput,
    ) -> async_graphql::Result<Contact> {
        let id = node::decode(&id, Kind::Contact, "id")?;
        let changes = store::ContactChanges {
            full_name: input
                .full_name
                .as_deref()
                .map(|n| parse_name("input.fullName", n))
                .transpose()?,
            position: Option::from(input.position)
                .map(|v: Option<String>| parse_text("input.position", v.as_deref(), 200))
                .transpose()?,
            department: Option::from(input.department)
                .map(|v: Option<String>| parse_text("input.department", v.as_deref(), 200))
                .transpose()?,
            email: Option::from(input.email)
                .map(|v: Option<String>| parse_optional_email("input.email", v.as_deref()))
                .transpose()?,
            phone: Option::from(input.phone)
                .map(|v: Option<String>| parse_text("input.phone", v.as_deref(), 50))
                .transpose()?,
            preferred_channel: Option::from(input.preferred_channel.map_value(Into::into)),
            decision_role: Option::from(input.decision_role.map_value(Into::into)),
            influence: Option::from(input.influence)
                .map(|v| parse_influence("input.influence", v))
                .transpose()?,
            attitude: Option::from(input.attitude.map_value(Into::into)),
            reports_to_id: Option::from(input.reports_to_id)
                .map(|v: Option<ID>| {
                    node::decode_opt(v.as_ref(), Kind::Contact, "input.reportsToId")
                })
                .transpose()?,
            notes: Option::from(input.notes)
                .map(|v: Option<String>| parse_text("input.notes", v.as_deref(), 10_000))
                .transpose()?,
            consent: input.consent,
        };
        let contact = Write::run(ctx, |write| {
            let changes = changes.clone();
            Box::pin(async move {
                write.authorize(Target::Contact(id)).await?;
                let current = store::get(write.tx(), id).await?;
                if let Some(Some(manager)) = changes.reports_to_id {
                    let field = "input.reportsToId";
                    ensure_colleague(write.tx(), manager, current.client_id, field).await?;
                    if store::chain_reaches(write.tx(), manager, id).await? {
                        return Err(AppError::bad_input(
                            field,
                            format!("`{field}` would make the contact report to itself"),
                        ));
                    }
                }
                let before = current.clone();
                let contact = store::update(write.tx(), current, changes).await?;
                let event = Event::changed(AuditAction::Update, &before, &contact);
                Ok((contact, [event]))
            })
        })
        .await?;
        Ok(Contact(contact))
    }

    /// Removes a contact and returns its id. Those who reported to it then report to no one;
    /// interactions with it stay in the client's history without a contact.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn remove_contact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The contact to remove.")] id: ID,
    ) -> async_graphql::Result<ID> {
        let uuid = node::decode(&id, Kind::Contact, "id")?;
        Write::run(ctx, |write| {
            Box::pin(async move {
                write.authorize(Target::Contact(uuid)).await?;
                let before = store::get(write.tx(), uuid).await?;
                store::delete(write.tx(), uuid).await?;
                Ok(((), [Event::deleted(&before)]))
            })
        })
        .await?;
        Ok(node::encode(Kind::Contact, uuid))
    }
}
