//! Registry enrichment storage: the shared cache of registry answers (one row per provider and
//! identifier, replaced by each fresh answer) and the look-ups enrichment needs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{enums::RegistryScheme, financial_check, registry_cache};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::{
    enrichment::{CompanyProfile, ProviderId},
    error::{AppError, AppResult},
};

/// The answer of `provider` about `(scheme, value)` if it has not expired at `now`. An entry
/// that no longer reads as a profile (written by another version) counts as absent.
///
/// # Errors
/// On a database failure.
pub async fn fresh<C: ConnectionTrait>(
    db: &C,
    provider: ProviderId,
    scheme: RegistryScheme,
    value: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<CompanyProfile>> {
    let row = registry_cache::Entity::find()
        .filter(registry_cache::Column::Provider.eq(provider.as_str()))
        .filter(registry_cache::Column::Scheme.eq(scheme))
        .filter(registry_cache::Column::Value.eq(value))
        .filter(registry_cache::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(row.and_then(|row| profile_of(&row)))
}

/// The profile a cache row holds, or `None` (logged) when it no longer reads as one.
#[must_use]
pub fn profile_of(row: &registry_cache::Model) -> Option<CompanyProfile> {
    match serde_json::from_value(row.profile.clone()) {
        Ok(profile) => Some(profile),
        Err(error) => {
            tracing::warn!(provider = %row.provider, %error, "unreadable registry cache entry ignored");
            None
        }
    }
}

/// Keeps `profile`, the answer to `(scheme, value)`, until `ttl` after its retrieval,
/// replacing the provider's previous answer about the identifier.
///
/// # Errors
/// On a database failure.
pub async fn store<C: ConnectionTrait>(
    db: &C,
    scheme: RegistryScheme,
    value: &str,
    profile: &CompanyProfile,
    ttl: Duration,
) -> AppResult<()> {
    let expires_at = profile.retrieved_at
        + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::days(36_500));
    let json = serde_json::to_value(profile).map_err(AppError::internal)?;
    registry_cache::Entity::insert(registry_cache::ActiveModel {
        id: Set(Uuid::now_v7()),
        provider: Set(profile.source.as_str().to_owned()),
        scheme: Set(scheme),
        value: Set(value.to_owned()),
        fetched_at: Set(profile.retrieved_at),
        expires_at: Set(expires_at),
        profile: Set(json),
    })
    .on_conflict(
        OnConflict::columns([
            registry_cache::Column::Provider,
            registry_cache::Column::Scheme,
            registry_cache::Column::Value,
        ])
        .update_columns([
            registry_cache::Column::FetchedAt,
            registry_cache::Column::ExpiresAt,
            registry_cache::Column::Profile,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Every stored answer about any of `ids`, expired or not, newest first.
///
/// # Errors
/// On a database failure.
pub async fn by_identifiers<C: ConnectionTrait>(
    db: &C,
    ids: &[(RegistryScheme, String)],
) -> AppResult<Vec<registry_cache::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let condition = ids.iter().fold(Condition::any(), |any, (scheme, value)| {
        any.add(
            Condition::all()
                .add(registry_cache::Column::Scheme.eq(*scheme))
                .add(registry_cache::Column::Value.eq(value.as_str())),
        )
    });
    Ok(registry_cache::Entity::find()
        .filter(condition)
        .order_by_desc(registry_cache::Column::FetchedAt)
        .all(db)
        .await?)
}

/// The check already recorded for `client_id` from `source` at `checked_at`: an answer served
/// again from the cache is not recorded twice.
///
/// # Errors
/// On a database failure.
pub async fn recorded_check<C: ConnectionTrait>(
    db: &C,
    client_id: Uuid,
    source: &str,
    checked_at: DateTime<Utc>,
) -> AppResult<Option<financial_check::Model>> {
    Ok(financial_check::Entity::find()
        .filter(financial_check::Column::ClientId.eq(client_id))
        .filter(financial_check::Column::Source.eq(source))
        .filter(financial_check::Column::CheckedAt.eq(checked_at))
        .one(db)
        .await?)
}
