//! Users: the people and systems that hold tokens and manage clients.

use entity::{enums::Role, user};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    auth::Principal,
    error::{AppError, AppResult},
};

/// The user kaim's own jobs (scheduled and `kaim recheck` re-checks) act as, so that what they
/// write has an author in the audit trail like every other write. No token is minted for it.
pub const AUTOMATION_USER_ID: Uuid = uuid::uuid!("00000000-0000-4000-8000-00006b61696d");

/// The name the automation user shows in histories.
const AUTOMATION_USER_NAME: &str = "kaim (automatic re-checks)";

/// A validated new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
}

/// Inserts a user.
///
/// # Errors
/// `CONFLICT` when the e-mail is taken; database failures.
pub async fn insert<C: ConnectionTrait>(db: &C, new: NewUser) -> AppResult<user::Model> {
    let now = super::now();
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(new.name),
        email: Set(new.email),
        role: Set(new.role),
        external_subject: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|err| AppError::from_db_unique(err, "a user with this e-mail already exists"))
}

/// Finds a user.
///
/// # Errors
/// On a database failure.
pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// Users by id, for batch loading.
///
/// # Errors
/// On a database failure.
pub async fn by_ids<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(super::one_of(
            db.get_database_backend(),
            user::Column::Id,
            ids,
        ))
        .all(db)
        .await?)
}

/// Every user, by name.
///
/// # Errors
/// On a database failure.
pub async fn list<C: ConnectionTrait>(db: &C) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Name)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// The principal kaim's own jobs act as, creating its user on first use.
///
/// # Errors
/// On a database failure.
pub async fn automation<C: ConnectionTrait>(db: &C) -> AppResult<Principal> {
    let now = super::now();
    user::Entity::insert(user::ActiveModel {
        id: Set(AUTOMATION_USER_ID),
        name: Set(AUTOMATION_USER_NAME.to_owned()),
        email: Set(None),
        role: Set(Role::Admin),
        external_subject: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(OnConflict::column(user::Column::Id).do_nothing().to_owned())
    .exec_without_returning(db)
    .await?;
    Ok(Principal {
        user_id: AUTOMATION_USER_ID,
        role: Role::Admin,
    })
}

/// The oldest administrator other than the automation user, if any: the account the first
/// start mints a token for.
///
/// # Errors
/// On a database failure.
pub async fn first_admin<C: ConnectionTrait>(db: &C) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin))
        .filter(user::Column::Id.ne(AUTOMATION_USER_ID))
        .order_by_asc(user::Column::CreatedAt)
        .one(db)
        .await?)
}

/// How many users exist.
///
/// # Errors
/// On a database failure.
pub async fn count<C: ConnectionTrait>(db: &C) -> AppResult<u64> {
    Ok(user::Entity::find().count(db).await?)
}

/// Changes a user's name, e-mail or role.
///
/// # Errors
/// `NOT_FOUND`, `CONFLICT` on a taken e-mail; database failures.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    name: Option<String>,
    email: Option<Option<String>>,
    role: Option<Role>,
) -> AppResult<user::Model> {
    let current = find(db, id).await?.ok_or(AppError::NotFound("user"))?;
    let mut model: user::ActiveModel = current.into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(email) = email {
        model.email = Set(email);
    }
    if let Some(role) = role {
        model.role = Set(role);
    }
    model.updated_at = Set(super::now());
    model
        .update(db)
        .await
        .map_err(|err| AppError::from_db_unique(err, "a user with this e-mail already exists"))
}

/// Sets (or with `None` clears) the subject an identity provider's tokens carry for a user.
///
/// # Errors
/// `NOT_FOUND`, `CONFLICT` when another user has this subject; database failures.
pub async fn set_external_subject<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    subject: Option<String>,
) -> AppResult<user::Model> {
    let current = find(db, id).await?.ok_or(AppError::NotFound("user"))?;
    let mut model: user::ActiveModel = current.into();
    model.external_subject = Set(subject);
    model.updated_at = Set(super::now());
    model.update(db).await.map_err(|err| {
        AppError::from_db_unique(err, "another user already has this external subject")
    })
}
