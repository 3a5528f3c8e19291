//! Issued tokens: the record of what kaim minted, and the revocation list every request
//! consults.

use chrono::{DateTime, Utc};
use entity::{enums::Role, issued_token, user};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait as _, Query, SimpleExpr, Value},
};
use uuid::Uuid;

use super::keyset::{SortKey, Window, beyond};
use crate::error::{AppError, AppResult};

/// Names the newest-first ordering inside cursors.
pub const SIGNATURE: &str = "issued_tokens:issued_at:desc";

/// A token just minted, to record. Its text is never stored.
#[derive(Debug, Clone)]
pub struct NewIssuedToken {
    pub jti: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub name: String,
    pub description: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Records a minted token.
///
/// # Errors
/// On a database failure.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewIssuedToken,
) -> AppResult<issued_token::Model> {
    Ok(issued_token::ActiveModel {
        jti: Set(new.jti),
        user_id: Set(new.user_id),
        role: Set(new.role),
        name: Set(new.name),
        description: Set(new.description),
        issued_at: Set(new.issued_at),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(db)
    .await?)
}

/// Finds a recorded token by its `jti`.
///
/// # Errors
/// On a database failure.
pub async fn find<C: ConnectionTrait>(db: &C, jti: Uuid) -> AppResult<Option<issued_token::Model>> {
    Ok(issued_token::Entity::find_by_id(jti).one(db).await?)
}

/// Revokes a recorded token. Revoking it again changes nothing: the first revocation stands.
///
/// # Errors
/// `NOT_FOUND` when no token has this id; database failures.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    jti: Uuid,
    by: Uuid,
) -> AppResult<issued_token::Model> {
    let current = find(db, jti).await?.ok_or(AppError::NotFound("token"))?;
    if current.revoked_at.is_some() {
        return Ok(current);
    }
    let mut model: issued_token::ActiveModel = current.into();
    model.revoked_at = Set(Some(super::now()));
    model.revoked_by = Set(Some(by));
    Ok(model.update(db).await?)
}

/// A page of recorded tokens, newest first (`limit + 1` rows at most, in display order).
///
/// # Errors
/// On a database failure.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    window: &Window,
) -> AppResult<Vec<issued_token::Model>> {
    let keys = sort_keys();
    let mut select = issued_token::Entity::find();
    if let Some(cursor) = &window.cursor {
        select = select.filter(beyond(&keys, cursor, window.backward));
    }
    for key in &keys {
        select = select.order_by(key.expr.clone(), key.order(window.backward));
    }
    let mut rows = select.limit(window.limit + 1).all(db).await?;
    if window.backward {
        rows.reverse();
    }
    Ok(rows)
}

/// How many tokens are recorded.
///
/// # Errors
/// On a database failure.
pub async fn count<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    Ok(issued_token::Entity::find().count(db).await?)
}

/// The ordering of token lists: newest first.
#[must_use]
pub fn sort_keys() -> Vec<SortKey> {
    vec![
        SortKey::new(
            Expr::col((issued_token::Entity, issued_token::Column::IssuedAt)),
            true,
        ),
        SortKey::new(
            Expr::col((issued_token::Entity, issued_token::Column::Jti)),
            true,
        ),
    ]
}

/// A row's values of [`sort_keys`].
#[must_use]
pub fn sort_values(model: &issued_token::Model) -> Vec<Value> {
    vec![model.issued_at.into(), model.jti.into()]
}

/// Whether a verified token may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The token names this user, who holds this role in kaim.
    Valid {
        user_id: Uuid,
        role: Role,
    },
    Revoked,
    /// The token names a user that does not exist (any more), or a subject no user has.
    UnknownUser,
}

#[derive(Debug, FromQueryResult)]
struct StandingRow {
    id: Uuid,
    role: Role,
    revocations: i64,
}

/// Who a token's `sub` names and whether the token `jti` (when it has one) is revoked: one
/// statement on every request, by primary key and the unique external subject.
///
/// The user whose id is `sub` (when it is a UUID) comes first, so kaim's own tokens always name
/// the user they were minted for; otherwise the user whose external subject is `sub`.
///
/// # Errors
/// On a database failure.
pub async fn standing<C: ConnectionTrait>(
    db: &C,
    sub: &str,
    jti: Option<Uuid>,
) -> AppResult<Standing> {
    let revocations = match jti {
        Some(jti) => SimpleExpr::SubQuery(
            None,
            Box::new(
                Query::select()
                    .expr(Expr::col(issued_token::Column::Jti).count())
                    .from(issued_token::Entity)
                    .and_where(issued_token::Column::Jti.eq(jti))
                    .and_where(issued_token::Column::RevokedAt.is_not_null())
                    .take()
                    .into(),
            ),
        ),
        None => Expr::val(0i64),
    };
    let id = Uuid::try_parse(sub).ok();
    let mut names = Condition::any().add(user::Column::ExternalSubject.eq(sub));
    if let Some(id) = id {
        names = names.add(user::Column::Id.eq(id));
    }
    let rows = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Role)
        .expr_as(revocations, "revocations")
        .filter(names)
        .limit(2)
        .into_model::<StandingRow>()
        .all(db)
        .await?;
    let row = rows
        .iter()
        .find(|row| Some(row.id) == id)
        .or_else(|| rows.first());
    Ok(match row {
        None => Standing::UnknownUser,
        Some(row) if row.revocations > 0 => Standing::Revoked,
        Some(row) => Standing::Valid {
            user_id: row.id,
            role: row.role,
        },
    })
}
