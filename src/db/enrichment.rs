//! Registry enrichment storage: the shared caches of registry answers (one row per provider and
//! identifier, and one per provider and name search, each replaced by a fresh answer) and the
//! look-ups enrichment needs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{
    client, enums::RegistryScheme, financial_check, registry_cache, registry_id, registry_recheck,
    registry_search_cache,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef,
    sea_query::{Expr, ExprTrait, NullOrdering, OnConflict, Order, Query},
};
use uuid::Uuid;

use crate::{
    domain::text::search_key,
    enrichment::{Candidate, CompanyProfile, ProviderId},
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
    let expires_at = expiry(profile.retrieved_at, ttl);
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

/// The end of an answer's life in a cache: `ttl` after `fetched_at`.
fn expiry(fetched_at: DateTime<Utc>, ttl: Duration) -> DateTime<Utc> {
    fetched_at + chrono::Duration::from_std(ttl).unwrap_or_else(|_| chrono::Duration::days(36_500))
}

/// The answer of `provider` to a search for `name` (compared by its search key) in `country`
/// (none: every country) if it has not expired at `now`. An entry that no longer reads as a
/// list of candidates (written by another version) counts as absent.
///
/// # Errors
/// On a database failure.
pub async fn fresh_search<C: ConnectionTrait>(
    db: &C,
    provider: ProviderId,
    name: &str,
    country: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Option<Vec<Candidate>>> {
    let row = registry_search_cache::Entity::find()
        .filter(registry_search_cache::Column::Provider.eq(provider.as_str()))
        .filter(registry_search_cache::Column::Query.eq(search_key(name)))
        .filter(registry_search_cache::Column::Country.eq(country.unwrap_or_default()))
        .filter(registry_search_cache::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(row.and_then(|row| {
        serde_json::from_value(row.candidates)
            .inspect_err(|error| {
                tracing::warn!(provider = %row.provider, %error, "unreadable registry search cache entry ignored");
            })
            .ok()
    }))
}

/// Keeps `candidates`, the answer of `provider` to a search for `name` in `country`, from
/// `fetched_at` until `ttl` later, replacing the provider's previous answer to that search.
///
/// # Errors
/// On a database failure.
pub async fn store_search<C: ConnectionTrait>(
    db: &C,
    provider: ProviderId,
    name: &str,
    country: Option<&str>,
    candidates: &[Candidate],
    fetched_at: DateTime<Utc>,
    ttl: Duration,
) -> AppResult<()> {
    let json = serde_json::to_value(candidates).map_err(AppError::internal)?;
    registry_search_cache::Entity::insert(registry_search_cache::ActiveModel {
        id: Set(Uuid::now_v7()),
        provider: Set(provider.as_str().to_owned()),
        query: Set(search_key(name)),
        country: Set(country.unwrap_or_default().to_owned()),
        fetched_at: Set(fetched_at),
        expires_at: Set(expiry(fetched_at, ttl)),
        candidates: Set(json),
    })
    .on_conflict(
        OnConflict::columns([
            registry_search_cache::Column::Provider,
            registry_search_cache::Column::Query,
            registry_search_cache::Column::Country,
        ])
        .update_columns([
            registry_search_cache::Column::FetchedAt,
            registry_search_cache::Column::ExpiresAt,
            registry_search_cache::Column::Candidates,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
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

/// Every stored answer about the registry ids of any of `client_ids`, expired or not, newest
/// first, each with the client whose identifier it answers: one statement for a whole page of
/// clients, so `Client.registryProfile` does not cost a query per client.
///
/// # Errors
/// On a database failure.
pub async fn by_clients<C: ConnectionTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<(Uuid, registry_cache::Model)>> {
    if client_ids.is_empty() {
        return Ok(Vec::new());
    }
    // The cache is keyed by identifier, not by client: join it to the clients' identifiers.
    let identifiers: RelationDef = registry_cache::Entity::belongs_to(registry_id::Entity)
        .from((
            registry_cache::Column::Scheme,
            registry_cache::Column::Value,
        ))
        .to((registry_id::Column::Scheme, registry_id::Column::Value))
        .into();
    let rows = registry_cache::Entity::find()
        .join(JoinType::InnerJoin, identifiers)
        .filter(super::one_of(
            db.get_database_backend(),
            registry_id::Column::ClientId,
            client_ids,
        ))
        .order_by_desc(registry_cache::Column::FetchedAt)
        .order_by_asc(registry_cache::Column::Id)
        .select_also(registry_id::Entity)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(answer, id)| id.map(|id| (id.client_id, answer)))
        .collect())
}

/// The status of `client_id`'s newest check from `source` before `before`: what a new check's
/// status is compared with to see a change. Each registry is compared with itself, so two
/// registries that disagree (GLEIF's entity status beside a national register's) never read as
/// a change.
///
/// # Errors
/// On a database failure.
pub async fn previous_status<C: ConnectionTrait>(
    db: &C,
    client_id: Uuid,
    source: &str,
    before: DateTime<Utc>,
) -> AppResult<Option<String>> {
    Ok(financial_check::Entity::find()
        .select_only()
        .column(financial_check::Column::RegistryStatus)
        .filter(financial_check::Column::ClientId.eq(client_id))
        .filter(financial_check::Column::Source.eq(source))
        .filter(financial_check::Column::CheckedAt.lt(before))
        .filter(financial_check::Column::RegistryStatus.is_not_null())
        .order_by_desc(financial_check::Column::CheckedAt)
        .order_by_desc(financial_check::Column::Id)
        .into_tuple::<Option<String>>()
        .one(db)
        .await?
        .flatten())
}

/// Which clients a re-check round asks about.
#[derive(Debug, Clone)]
pub struct DueFilter<'a> {
    /// The identifier schemes the enabled registries look up.
    pub schemes: &'a [RegistryScheme],
    /// The enabled registries' names, as checks record their source.
    pub sources: &'a [&'a str],
    /// A registry check at or after this time makes a client current.
    pub checked_since: DateTime<Utc>,
    /// The round's time: a client whose re-check is scheduled later is skipped.
    pub now: DateTime<Utc>,
    /// Most clients returned.
    pub limit: u64,
}

/// Current clients due for a re-check, longest waiting first: those with an identifier an
/// enabled registry looks up, no check from an enabled registry since `checked_since`, and no
/// re-check scheduled after `now`. Never attempted clients come first.
///
/// # Errors
/// On a database failure.
pub async fn due_for_recheck<C: ConnectionTrait>(
    db: &C,
    due: &DueFilter<'_>,
) -> AppResult<Vec<Uuid>> {
    if due.schemes.is_empty() || due.sources.is_empty() {
        return Ok(Vec::new());
    }
    let looked_up = Query::select()
        .expr(Expr::val(1))
        .from(registry_id::Entity)
        .and_where(
            Expr::col((registry_id::Entity, registry_id::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(registry_id::Column::Scheme.is_in(due.schemes.iter().copied()))
        .to_owned();
    let recent = Query::select()
        .expr(Expr::val(1))
        .from(financial_check::Entity)
        .and_where(
            Expr::col((financial_check::Entity, financial_check::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(financial_check::Column::Source.is_in(due.sources.iter().copied()))
        .and_where(financial_check::Column::CheckedAt.gte(due.checked_since))
        .to_owned();
    let next_due = (
        registry_recheck::Entity,
        registry_recheck::Column::NextDueAt,
    );
    let query = Query::select()
        .column((client::Entity, client::Column::Id))
        .from(client::Entity)
        .left_join(
            registry_recheck::Entity,
            Expr::col((registry_recheck::Entity, registry_recheck::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(client::Column::ArchivedAt.is_null())
        .and_where(Expr::exists(looked_up))
        .and_where(Expr::exists(recent).not())
        .cond_where(
            Condition::any()
                .add(Expr::col(next_due).is_null())
                .add(Expr::col(next_due).lte(due.now)),
        )
        .order_by_with_nulls(next_due, Order::Asc, NullOrdering::First)
        .order_by((client::Entity, client::Column::Id), Order::Asc)
        .limit(due.limit)
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    db.query_all_raw(statement)
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<Uuid>(0).map_err(Into::into))
        .collect()
}

/// How a re-check of one client went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecheckOutcome {
    /// At least one registry answered.
    Answered,
    /// No registry answered.
    Failed,
}

impl RecheckOutcome {
    /// As stored in `registry_rechecks.outcome`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "ok",
            Self::Failed => "failed",
        }
    }
}

/// Records a re-check attempt on `client_id` and when the client is due again, replacing the
/// previous attempt.
///
/// # Errors
/// On a database failure.
pub async fn record_recheck<C: ConnectionTrait>(
    db: &C,
    client_id: Uuid,
    attempted_at: DateTime<Utc>,
    next_due_at: DateTime<Utc>,
    outcome: RecheckOutcome,
    error: Option<String>,
) -> AppResult<()> {
    registry_recheck::Entity::insert(registry_recheck::ActiveModel {
        client_id: Set(client_id),
        attempted_at: Set(attempted_at),
        next_due_at: Set(next_due_at),
        outcome: Set(outcome.as_str().to_owned()),
        error: Set(error),
    })
    .on_conflict(
        OnConflict::column(registry_recheck::Column::ClientId)
            .update_columns([
                registry_recheck::Column::AttemptedAt,
                registry_recheck::Column::NextDueAt,
                registry_recheck::Column::Outcome,
                registry_recheck::Column::Error,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
