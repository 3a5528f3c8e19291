//! Global object identification: opaque, stable ids (`node(id:)` resolves any of them). Ids are
//! made and parsed here only.

use async_graphql::{Context, ID, Interface, Object};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use super::{
    checks::FinancialCheck, clients::Client, contacts::Contact, context::ContextExt,
    interactions::Interaction, needs::Need, plans::AccountPlan, scoring::Score,
    tokens::ServiceToken, users::User,
};
use crate::error::{AppError, AppResult};

/// The kinds of object an id can name. The names are part of every id: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Client,
    Contact,
    User,
    Interaction,
    FinancialCheck,
    Need,
    AccountPlan,
    ServiceToken,
    Score,
}

impl Kind {
    const ALL: [Self; 9] = [
        Self::Client,
        Self::Contact,
        Self::User,
        Self::Interaction,
        Self::FinancialCheck,
        Self::Need,
        Self::AccountPlan,
        Self::ServiceToken,
        Self::Score,
    ];

    const fn name(self) -> &'static str {
        match self {
            Self::Client => "Client",
            Self::Contact => "Contact",
            Self::User => "User",
            Self::Interaction => "Interaction",
            Self::FinancialCheck => "FinancialCheck",
            Self::Need => "Need",
            Self::AccountPlan => "AccountPlan",
            Self::ServiceToken => "ServiceToken",
            Self::Score => "Score",
        }
    }
}

/// The global id of an object.
#[must_use]
pub fn encode(kind: Kind, id: Uuid) -> ID {
    // Every object of every answer has one: built without formatting machinery.
    let mut uuid = Uuid::encode_buffer();
    let mut raw = String::with_capacity(kind.name().len() + 1 + uuid.len());
    raw.push_str(kind.name());
    raw.push(':');
    raw.push_str(id.simple().encode_lower(&mut uuid));
    ID(URL_SAFE_NO_PAD.encode(raw))
}

fn decode_any(id: &str) -> Option<(Kind, Uuid)> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(id).ok()?).ok()?;
    let (name, uuid) = text.split_once(':')?;
    let kind = Kind::ALL.into_iter().find(|k| k.name() == name)?;
    Some((kind, Uuid::try_parse(uuid).ok()?))
}

/// Parses the id of a `kind` object given in input `field`.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field` when the id is malformed or names another kind of object.
pub fn decode(id: &ID, kind: Kind, field: &str) -> AppResult<Uuid> {
    match decode_any(id) {
        Some((found, uuid)) if found == kind => Ok(uuid),
        Some((found, _)) => Err(AppError::bad_input(
            field,
            format!(
                "`{field}` must be the id of a {}, not of a {}",
                kind.name(),
                found.name()
            ),
        )),
        None => Err(AppError::bad_input(
            field,
            format!("`{field}` is not a valid id"),
        )),
    }
}

/// Parses an optional id argument.
///
/// # Errors
/// As [`decode`].
pub fn decode_opt(id: Option<&ID>, kind: Kind, field: &str) -> AppResult<Option<Uuid>> {
    id.map(|id| decode(id, kind, field)).transpose()
}

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's global id: opaque and stable."
))]
pub enum Node {
    Client(Client),
    Contact(Contact),
    User(User),
    Interaction(Interaction),
    FinancialCheck(FinancialCheck),
    Need(Need),
    AccountPlan(AccountPlan),
    ServiceToken(ServiceToken),
    Score(Score),
}

/// `node(id:)`.
#[derive(Debug, Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object by its global id; null when it does not exist.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Any global id.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let Some((kind, uuid)) = decode_any(&id) else {
            return Err(AppError::bad_input("id", "`id` is not a valid id").into());
        };
        let loaders = ctx.loaders();
        Ok(match kind {
            Kind::Client => loaders.client(uuid).await?.map(|m| Node::Client(Client(m))),
            Kind::Contact => loaders
                .contact(uuid)
                .await?
                .map(|m| Node::Contact(Contact(m))),
            Kind::User => loaders.user(uuid).await?.map(|m| Node::User(User(m))),
            Kind::Interaction => loaders
                .interaction(uuid)
                .await?
                .map(|m| Node::Interaction(Interaction(m))),
            Kind::FinancialCheck => loaders
                .financial_check(uuid)
                .await?
                .map(|m| Node::FinancialCheck(FinancialCheck(m))),
            Kind::Need => loaders.need(uuid).await?.map(|m| Node::Need(Need(m))),
            Kind::AccountPlan => loaders
                .account_plan(uuid)
                .await?
                .map(|m| Node::AccountPlan(AccountPlan(m))),
            // Issued tokens are administrators' business; to anyone else they do not exist.
            Kind::ServiceToken if ctx.principal()?.role == entity::enums::Role::Admin => {
                crate::db::tokens::find(ctx.db(), uuid)
                    .await?
                    .map(|m| Node::ServiceToken(ServiceToken(m)))
            }
            Kind::ServiceToken => None,
            Kind::Score => loaders.score(uuid).await?.map(|m| Node::Score(Score(m))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_keep_their_kind() {
        let uuid = Uuid::now_v7();
        let id = encode(Kind::Contact, uuid);
        assert_eq!(decode(&id, Kind::Contact, "id").ok(), Some(uuid));
        assert!(decode(&id, Kind::Client, "clientId").is_err());
        assert!(decode(&ID("garbage".into()), Kind::Client, "clientId").is_err());
    }
}
