//! Service tokens: long-lived tokens for BI tools and integrations, minted and revoked by
//! administrators. The token text is shown once, when minted, and never stored.

use std::time::Duration as StdDuration;

use async_graphql::{Context, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::issued_token;

use super::{
    context::ContextExt,
    guards::RoleGuard,
    node::{self, Kind},
    pagination::{self, ConnectionFields, Page, PageArgs},
    scalars::Duration,
    users::{Role, User, parse_name},
    write::Write,
};
use crate::{
    auth::{AuthError, Principal},
    db::{
        self,
        audit::{AuditAction, Event},
        tokens as store,
    },
    error::{AppError, AppResult},
};

/// The longest a service token may live: rotate them at least this often.
const MAX_LIFETIME: StdDuration = StdDuration::from_secs(730 * 24 * 3600);

/// A token kaim issued (by `mintServiceToken` or `kaim token`). The token text itself is never
/// shown again after minting.
#[derive(Debug, Clone)]
pub struct ServiceToken(pub issued_token::Model);

/// A token kaim issued (by `mintServiceToken` or `kaim token`). The token text itself is never
/// shown again after minting.
#[Object]
impl ServiceToken {
    /// The token's global id: give it to `revokeToken`.
    pub async fn id(&self) -> ID {
        node::encode(Kind::ServiceToken, self.0.jti)
    }

    /// Name of the service (or person) the token was minted for.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the token is for.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The role the token carries.
    async fn role(&self) -> Role {
        self.0.role.into()
    }

    /// The user the token acts as; null when that user has been deleted.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(ctx.loaders().user(self.0.user_id).await?.map(User))
    }

    /// When the token was minted.
    async fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    /// When the token stops being accepted.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// When the token was revoked; null unless it was.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    /// Who revoked the token; null unless it was revoked (or that user is gone).
    async fn revoked_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.revoked_by {
            Some(id) => Ok(ctx.loaders().user(id).await?.map(User)),
            None => Ok(None),
        }
    }

    /// Whether the token is still accepted: neither revoked nor expired.
    async fn active(&self) -> bool {
        self.0.revoked_at.is_none() && self.0.expires_at > Utc::now()
    }
}

/// A service token to mint.
#[derive(Debug, InputObject)]
pub struct MintServiceTokenInput {
    /// Name of the service, such as `"Power BI"`; the token's new user is named after it.
    pub name: String,
    /// What the token is for.
    pub description: Option<String>,
    /// The role the token carries: usually ANALYST for a BI tool, INTEGRATOR for a system that
    /// records interactions.
    pub role: Role,
    /// How long the token is valid: seconds (`3600`) or a duration such as `"90d"`; at most
    /// 730 days.
    pub expires_in: Duration,
}

/// A service token just minted. `token` is shown here once: store it in the service's secret
/// store, as kaim cannot show it again.
#[derive(Debug)]
pub struct MintedServiceToken {
    token: String,
    service_token: ServiceToken,
}

/// A service token just minted. `token` is shown here once: store it in the service's secret
/// store, as kaim cannot show it again.
#[Object]
impl MintedServiceToken {
    /// The bearer token (`Authorization: Bearer <token>`). Shown only now.
    async fn token(&self) -> &str {
        &self.token
    }

    /// What is recorded about the token: its id (to revoke it), expiry and user.
    async fn service_token(&self) -> &ServiceToken {
        &self.service_token
    }
}

/// Queries about issued tokens.
#[derive(Debug, Default)]
pub struct TokenQuery;

#[Object]
impl TokenQuery {
    /// Issued tokens, newest first, revoked and expired ones included (administrators only).
    /// The token text is never listed.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn service_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<ServiceToken>> {
        let window =
            PageArgs::forward(first, after).window(ctx.max_page_size(), store::SIGNATURE)?;
        let db = ctx.db();
        let rows = store::list(db, &window).await?;
        let count_db = db.clone();
        let total = ConnectionFields::lazy(async move {
            let count = store::count(&count_db).await?;
            Ok(i64::try_from(count).unwrap_or(i64::MAX))
        });
        Ok(pagination::connection(
            rows,
            &window,
            store::SIGNATURE,
            total,
            store::sort_values,
            ServiceToken,
        ))
    }
}

/// Minting and revoking service tokens.
#[derive(Debug, Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// Mints a token for a service, with a new user of the given role named after it
    /// (administrators only). The token text is in the answer and nowhere else.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn mint_service_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The service, its role and the token's lifetime.")]
        input: MintServiceTokenInput,
    ) -> async_graphql::Result<MintedServiceToken> {
        let name = parse_name("input.name", &input.name)?;
        let description = input
            .description
            .as_deref()
            .map(|text| parse_description("input.description", text))
            .transpose()?
            .flatten();
        let lifetime = parse_lifetime(
            "input.expiresIn",
            input.expires_in.parse("input.expiresIn")?,
        )?;
        let role = input.role.into();
        let tokens = ctx.state().tokens.clone();
        let (token, record) = Write::run(ctx, |write| {
            let (tokens, name, description) = (tokens.clone(), name.clone(), description.clone());
            Box::pin(async move {
                let user = db::users::insert(
                    write.tx(),
                    db::users::NewUser {
                        name: name.clone(),
                        email: None,
                        role,
                    },
                )
                .await?;
                let issued = tokens
                    .issue(
                        Principal {
                            user_id: user.id,
                            role,
                        },
                        lifetime,
                    )
                    .map_err(mint_error)?;
                let record = store::insert(
                    write.tx(),
                    store::NewIssuedToken {
                        jti: issued.jti,
                        user_id: user.id,
                        role,
                        name,
                        description,
                        issued_at: issued.issued_at,
                        expires_at: issued.expires_at,
                    },
                )
                .await?;
                let events = [
                    Event::created(AuditAction::Create, &user),
                    Event::created(AuditAction::Create, &record),
                ];
                Ok(((issued.token, record), events))
            })
        })
        .await?;
        Ok(MintedServiceToken {
            token,
            service_token: ServiceToken(record),
        })
    }

    /// Revokes an issued token: this instance refuses it from the next request on, every other
    /// instance within a second. Revoking a
    /// revoked token changes nothing (administrators only).
    #[graphql(guard = "RoleGuard::admin()")]
    async fn revoke_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token's global id (`ServiceToken.id`).")] id: ID,
    ) -> async_graphql::Result<ServiceToken> {
        let jti = node::decode(&id, Kind::ServiceToken, "id")?;
        let after = Write::run(ctx, |write| {
            Box::pin(async move {
                let before = store::find(write.tx(), jti).await?;
                let after = store::revoke(write.tx(), jti, write.principal().user_id).await?;
                // Revoking a revoked token changes nothing, so it records nothing.
                let event = before
                    .filter(|before| before.revoked_at.is_none())
                    .map(|before| Event::changed(AuditAction::Update, &before, &after));
                Ok((after, event))
            })
        })
        .await?;
        ctx.state().tokens.forget_standings();
        Ok(ServiceToken(after))
    }
}

/// A trimmed description; blank is none.
fn parse_description(field: &str, value: &str) -> AppResult<Option<String>> {
    let trimmed = value.trim();
    if trimmed.chars().count() > 2000 {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` has at most 2000 characters"),
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// A lifetime between one second and [`MAX_LIFETIME`].
fn parse_lifetime(field: &str, value: StdDuration) -> AppResult<StdDuration> {
    if value.as_secs() == 0 {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` must be at least one second"),
        ));
    }
    if value > MAX_LIFETIME {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` can be at most 730 days; mint a new token before it expires"),
        ));
    }
    Ok(value)
}

fn mint_error(err: AuthError) -> AppError {
    match err {
        AuthError::CannotMint => AppError::bad_input(
            "input",
            "this server verifies tokens of another issuer (RS256/ES256) and cannot mint any",
        ),
        other => AppError::internal(other),
    }
}
