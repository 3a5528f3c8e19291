//! Registry re-checks: clients whose latest registry check is older than
//! `KAIM_RECHECK_MAX_AGE` are enriched again, so that a company going into liquidation shows
//! up in its history (a `REGISTRY_STATUS_CHANGE` event), its solvency and its score without
//! anyone asking. `kaim recheck` runs one round; `KAIM_RECHECK_INTERVAL` runs one per interval
//! beside the HTTP server, on one instance at a time (the `recheck` lease).
//!
//! A round takes at most `KAIM_RECHECK_BATCH` due clients, longest waiting first, and enriches
//! them `KAIM_RECHECK_CONCURRENCY` at a time through the same steps as `enrichClient` (the
//! registries' rate limits, circuit breakers and cache apply), acting as the automation user.
//! Each attempt is remembered with the time the client is next due: after the full age when
//! a registry answered or every failure was definite (not found, unauthorized), after
//! `KAIM_RECHECK_RETRY_AFTER` when the failures may pass (timeouts, 5xx, rate limits).

use std::time::Duration;

use crate::{
    auth::Principal,
    db::{
        self,
        enrichment::{DueFilter, RecheckOutcome},
    },
    enrichment::ProviderError,
    error::AppResult,
    graphql::{
        AppState,
        enrichment::{Enrichment, enrich},
    },
    scheduler::{Job, LeaseClaim},
};
use entity::enums::RegistryScheme;
use futures::future::join_all;
use uuid::Uuid;

/// The name of the lease re-check rounds run under.
pub const LEASE: &str = "recheck";

/// What a re-check round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecheckSummary {
    /// Clients that were due and asked about.
    pub clients: u64,
    /// Of those, clients at least one registry answered for.
    pub answered: u64,
    /// Of those, clients no registry answered for.
    pub failed: u64,
    /// Registry status changes recorded.
    pub status_changes: u64,
}

impl std::fmt::Display for RecheckSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "re-checked {} clients: {} answered, {} failed, {} registry status changes",
            self.clients, self.answered, self.failed, self.status_changes
        )
    }
}

/// Runs one round: re-checks the clients due now, as the automation user. With a `lease`, the
/// round renews it after every `KAIM_RECHECK_CONCURRENCY` clients and stops early when another
/// instance took it over.
///
/// # Errors
/// On a database failure; what was written before it stays.
pub async fn round(state: &AppState, lease: Option<&LeaseClaim>) -> AppResult<RecheckSummary> {
    let settings = &state.enrichment;
    let now = db::now();
    let schemes: Vec<RegistryScheme> = state
        .providers
        .enabled
        .iter()
        .flat_map(|p| p.schemes().iter().copied())
        .collect();
    let sources: Vec<&str> = state
        .providers
        .enabled
        .iter()
        .map(|p| p.id().as_str())
        .collect();
    let due = db::enrichment::due_for_recheck(
        &state.db,
        &DueFilter {
            schemes: &schemes,
            sources: &sources,
            checked_since: now - chrono_duration(settings.recheck_max_age),
            now,
            limit: u64::from(settings.recheck_batch),
        },
    )
    .await?;
    let mut summary = RecheckSummary::default();
    if due.is_empty() {
        return Ok(summary);
    }
    let actor = db::users::automation(&state.db).await?;
    let concurrency = usize::try_from(settings.recheck_concurrency).unwrap_or(1);
    // Whole chunks, not a running buffer: a future left unpolled while holding a SQLite write
    // transaction would block every other write of the round.
    for chunk in due.chunks(concurrency) {
        let attempts = join_all(chunk.iter().map(|id| recheck_one(state, actor, *id))).await;
        for attempt in attempts {
            summary.clients += 1;
            match attempt? {
                Some(changes) => {
                    summary.answered += 1;
                    summary.status_changes += changes;
                }
                None => summary.failed += 1,
            }
        }
        if let Some(lease) = lease
            && !lease.hold().await?
        {
            tracing::warn!("the re-check lease was taken over; stopping this round");
            break;
        }
    }
    Ok(summary)
}

/// Re-checks one client and records the attempt: the number of status changes when a
/// registry answered, `None` when none did.
async fn recheck_one(
    state: &AppState,
    actor: Principal,
    client_id: Uuid,
) -> AppResult<Option<u64>> {
    let settings = &state.enrichment;
    let result = enrich(state, actor, client_id, false, None).await;
    let attempted_at = db::now();
    let (answered, wait, error) = match result {
        Ok(Enrichment::Done(result)) => {
            let changes = result
                .sources
                .iter()
                .filter(|s| s.status_changed_from.is_some())
                .count();
            (Some(changes as u64), settings.recheck_max_age, None)
        }
        Ok(Enrichment::NoneAnswered(errors)) => {
            let wait = if errors.iter().any(ProviderError::is_transient) {
                settings.recheck_retry_after
            } else {
                settings.recheck_max_age
            };
            let reasons = ProviderError::summary(&errors);
            tracing::info!(%client_id, %reasons, "no registry answered a re-check");
            (None, wait, Some(reasons))
        }
        Err(err) => {
            let message = err.message();
            tracing::warn!(%client_id, error = %message, "re-check failed");
            (None, settings.recheck_retry_after, Some(message))
        }
    };
    let outcome = if answered.is_some() {
        RecheckOutcome::Answered
    } else {
        RecheckOutcome::Failed
    };
    db::enrichment::record_recheck(
        &state.db,
        client_id,
        attempted_at,
        attempted_at + chrono_duration(wait),
        outcome,
        error,
    )
    .await?;
    Ok(answered)
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}

/// The registry re-checks as a scheduled job.
#[derive(Debug)]
pub struct Rechecks {
    state: AppState,
}

impl Rechecks {
    /// Re-checks with the instance's registries and settings.
    #[must_use]
    pub const fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl Job for Rechecks {
    const LEASE: &'static str = LEASE;
    const NAME: &'static str = "registry re-check";
    type Outcome = RecheckSummary;

    async fn round(&self, lease: &LeaseClaim) -> AppResult<RecheckSummary> {
        round(&self.state, Some(lease)).await
    }

    fn report(summary: &RecheckSummary) {
        if summary.clients == 0 {
            tracing::debug!("no client is due for a registry re-check");
        } else {
            tracing::info!(
                clients = summary.clients,
                answered = summary.answered,
                failed = summary.failed,
                status_changes = summary.status_changes,
                "scheduled registry re-check done"
            );
        }
    }
}

/// Runs one round on demand (`kaim recheck`), under the lease so that it never overlaps a
/// scheduled round; `None` when another instance is re-checking now.
///
/// # Errors
/// On a database failure.
pub async fn once(state: &AppState) -> AppResult<Option<RecheckSummary>> {
    // Renewed as the round goes, so a lease sized for a few minutes covers any round.
    let lease = LeaseClaim::new(state.db.clone(), LEASE, Duration::from_secs(120));
    if !lease.hold().await? {
        return Ok(None);
    }
    let result = round(state, Some(&lease)).await;
    lease.release().await;
    result.map(Some)
}
