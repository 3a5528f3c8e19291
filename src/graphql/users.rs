//! Users and roles: `me`, and user administration (administrators only).

use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object};
use entity::{enums, user};

use super::{
    context::ContextExt,
    guards::RoleGuard,
    node::{self, Kind},
    write::Write,
};
use crate::db::audit::{AuditAction, Event};
use crate::{
    db,
    error::{AppError, AppResult},
};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::Role")]
pub enum Role {
    /// Everything, including users and settings.
    Admin,
    /// Key account manager: manages a portfolio of clients.
    Manager,
    /// Reads the portfolio for analysis and reporting (BI tools).
    Analyst,
    /// Another system that writes interaction records.
    Integrator,
}

/// A person or system using kaim.
#[derive(Debug, Clone)]
pub struct User(pub user::Model);

/// A person or system using kaim.
#[Object]
impl User {
    /// The user's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::User, self.0.id)
    }

    /// Display name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// E-mail address, if known.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// What the user may do.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The subject (`sub`) an identity provider's tokens carry for this user, if set: such a
    /// token signs this user in (administrators only).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn external_subject(&self) -> Option<&str> {
        self.0.external_subject.as_deref()
    }
}

/// A new user.
#[derive(Debug, InputObject)]
pub struct CreateUserInput {
    /// Display name.
    pub name: String,
    /// E-mail address; unique when given.
    pub email: Option<String>,
    /// What the user may do.
    pub role: Role,
    /// The subject (`sub`) of the user at the identity provider; unique when given.
    pub external_subject: Option<String>,
}

/// Changes to a user; absent fields stay as they are.
#[derive(Debug, InputObject)]
pub struct UpdateUserInput {
    /// Display name.
    pub name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// What the user may do.
    pub role: Option<Role>,
    /// The subject (`sub`) of the user at the identity provider; `null` clears it.
    pub external_subject: MaybeUndefined<String>,
}

/// A trimmed, non-empty name.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field` when blank or over 200 characters.
pub fn parse_name(field: &str, value: &str) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` cannot be blank"),
        ));
    }
    if trimmed.chars().count() > 200 {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` has at most 200 characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// A plausible e-mail address, trimmed: one `@` with text on both sides and no spaces.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field`.
pub fn parse_email(field: &str, value: &str) -> AppResult<String> {
    let trimmed = value.trim();
    let valid = trimmed.len() <= 254
        && !trimmed.contains(char::is_whitespace)
        && trimmed.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(AppError::bad_input(
            field,
            format!("`{field}` is not an e-mail address"),
        ))
    }
}

/// An identity provider's subject, trimmed: not blank, at most 255 characters.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field`.
pub fn parse_external_subject(field: &str, value: &str) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` cannot be blank; use null for none"),
        ));
    }
    if trimmed.chars().count() > 255 {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` has at most 255 characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Queries about users.
#[derive(Debug, Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The user the request's token belongs to; `role` is the role this request acts in,
    /// which a token's role claim may set apart from the user's stored role (an identity
    /// provider's roles, a service token minted before a role change).
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let principal = ctx.principal()?;
        let mut user = ctx
            .loaders()
            .user(principal.user_id)
            .await?
            .ok_or_else(|| AppError::Unauthenticated("the token's user no longer exists".into()))?;
        user.role = principal.role;
        Ok(User(user))
    }

    /// Every user, by name (administrators only).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        Ok(db::users::list(ctx.db())
            .await?
            .into_iter()
            .map(User)
            .collect())
    }
}

/// User administration.
#[derive(Debug, Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates a user (administrators only).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new user.")] input: CreateUserInput,
    ) -> async_graphql::Result<User> {
        let new = db::users::NewUser {
            name: parse_name("input.name", &input.name)?,
            email: input
                .email
                .as_deref()
                .map(|e| parse_email("input.email", e))
                .transpose()?,
            role: input.role.into(),
        };
        let subject = input
            .external_subject
            .as_deref()
            .map(|s| parse_external_subject("input.externalSubject", s))
            .transpose()?;
        let user = Write::run(ctx, |write| {
            let (new, subject) = (new.clone(), subject.clone());
            Box::pin(async move {
                let mut user = db::users::insert(write.tx(), new).await?;
                if subject.is_some() {
                    user = db::users::set_external_subject(write.tx(), user.id, subject).await?;
                }
                let event = Event::created(AuditAction::Create, &user);
                Ok((user, [event]))
            })
        })
        .await?;
        // Tokens of an identity provider naming the new subject were refused until now.
        ctx.state().tokens.forget_standings();
        Ok(User(user))
    }

    /// Changes a user's name, e-mail, role or external subject (administrators only).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global id.")] id: ID,
        #[graphql(desc = "The changes; absent fields stay as they are.")] input: UpdateUserInput,
    ) -> async_graphql::Result<User> {
        let id = node::decode(&id, Kind::User, "id")?;
        let name = input
            .name
            .as_deref()
            .map(|n| parse_name("input.name", n))
            .transpose()?;
        let email = input
            .email
            .as_deref()
            .map(|e| parse_email("input.email", e).map(Some))
            .transpose()?;
        let subject = match input.external_subject {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(s) => {
                Some(Some(parse_external_subject("input.externalSubject", &s)?))
            }
        };
        let role = input.role.map(Into::into);
        let user = Write::run(ctx, |write| {
            let (name, email, subject) = (name.clone(), email.clone(), subject.clone());
            Box::pin(async move {
                let before = db::users::find(write.tx(), id).await?;
                let mut user = db::users::update(write.tx(), id, name, email, role).await?;
                if let Some(subject) = subject {
                    user = db::users::set_external_subject(write.tx(), id, subject).await?;
                }
                let event =
                    before.map(|before| Event::changed(AuditAction::Update, &before, &user));
                Ok((user, event))
            })
        })
        .await?;
        // A new role or subject changes what the user's tokens stand for.
        ctx.state().tokens.forget_standings();
        Ok(User(user))
    }
}
