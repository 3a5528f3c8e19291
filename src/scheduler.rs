//! Jobs on a schedule beside the HTTP server, each run once per interval on one instance at a
//! time: the re-scoring ([`Rescoring`], `KAIM_RESCORE_INTERVAL`) and the registry re-checks
//! ([`crate::recheck::Rechecks`], `KAIM_RECHECK_INTERVAL`).
//!
//! Instances sharing a database coordinate through one lease per job: each tick, an instance
//! takes or renews the lease and runs a round only if it holds it; the holder renews it as the
//! round goes. A lease lasts two intervals plus 30 seconds, so a holder that dies is replaced
//! within that time, and one that stops gracefully gives the lease up at once.

use std::{
    collections::HashSet,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{
    config::ScoringSettings,
    db::{
        self,
        clients::ClientFilter,
        leases,
        scoring::{self, RescoreOutcome, Scope},
    },
    error::{AppError, AppResult},
};

/// The name of the lease the scheduled re-scoring runs under.
pub const LEASE: &str = "rescore";

/// How long past a lease's expiry another instance tries to take it, so that the expiry has
/// surely passed on the database's clock as on this one.
const EXPIRY_MARGIN: Duration = Duration::from_millis(50);

/// Clients written per transaction.
const BATCH_CLIENTS: usize = 1000;

/// How long a taken lease lasts: two intervals plus 30 seconds.
#[must_use]
pub fn lease_ttl(interval: Duration) -> Duration {
    interval
        .saturating_mul(2)
        .saturating_add(Duration::from_secs(30))
}

/// This instance's claim on the lease of a periodic job: taken or renewed before and during a
/// round, given up when the instance stops.
#[derive(Debug, Clone)]
pub struct LeaseClaim {
    db: DatabaseConnection,
    name: &'static str,
    holder: String,
    interval: Duration,
}

impl LeaseClaim {
    /// A claim on the lease `name` of a job run every `interval`, under a holder name unique
    /// to this instance.
    #[must_use]
    pub fn new(db: DatabaseConnection, name: &'static str, interval: Duration) -> Self {
        Self {
            db,
            name,
            holder: format!("kaim-{}", Uuid::now_v7().simple()),
            interval,
        }
    }

    /// Takes or renews the lease; false when another instance holds it.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn hold(&self) -> AppResult<bool> {
        let now = db::now();
        let ttl =
            chrono::Duration::from_std(lease_ttl(self.interval)).map_err(AppError::internal)?;
        leases::acquire(&self.db, self.name, &self.holder, now, now + ttl).await
    }

    /// How long until the lease, held by another instance, runs out, when that is within
    /// `horizon` (a little past the expiry, as taking it needs the expiry passed); `None` when
    /// it lasts longer or cannot be read.
    pub async fn left_before(&self, horizon: Duration) -> Option<Duration> {
        let (_, expires_at) = leases::holder(&self.db, self.name).await.ok()??;
        let left = (expires_at - db::now()).to_std().unwrap_or_default() + EXPIRY_MARGIN;
        (left < horizon).then_some(left)
    }

    /// Gives the lease up, so another instance can take over at its next tick.
    pub async fn release(&self) {
        if let Err(err) = leases::release(&self.db, self.name, &self.holder).await {
            let cause = err.into_error();
            tracing::warn!(lease = self.name, error = %cause, "could not release a lease");
        }
    }
}

/// A job run once per interval on one instance at a time.
pub trait Job: Send + Sync + 'static {
    /// The lease the job's rounds run under, one per job.
    const LEASE: &'static str;
    /// What the job is called in logs.
    const NAME: &'static str;
    /// What a round did.
    type Outcome: Send;

    /// One round, run while this instance holds `lease`; the round renews it as it goes and
    /// stops early when another instance took it over.
    fn round(&self, lease: &LeaseClaim) -> impl Future<Output = AppResult<Self::Outcome>> + Send;

    /// Logs a finished round.
    fn report(outcome: &Self::Outcome);
}

/// A [`Job`] on this instance's schedule.
#[derive(Debug)]
pub struct Scheduled<J> {
    job: Arc<J>,
    interval: Duration,
    lease: LeaseClaim,
    rounds: Arc<AtomicU64>,
}

impl<J> Clone for Scheduled<J> {
    fn clone(&self) -> Self {
        Self {
            job: Arc::clone(&self.job),
            interval: self.interval,
            lease: self.lease.clone(),
            rounds: Arc::clone(&self.rounds),
        }
    }
}

impl<J: Job> Scheduled<J> {
    /// `job` every `interval`, under a lease holder name unique to this instance.
    #[must_use]
    pub fn new(db: DatabaseConnection, job: J, interval: Duration) -> Self {
        Self {
            job: Arc::new(job),
            interval,
            lease: LeaseClaim::new(db, J::LEASE, interval),
            rounds: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many rounds this instance has completed (a handle that keeps counting).
    #[must_use]
    pub fn rounds(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.rounds)
    }

    /// Runs a round at once and then every interval, until the task is dropped.
    pub async fn run(self) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            loop {
                match self.round().await {
                    Ok(Some(outcome)) => J::report(&outcome),
                    Ok(None) => {
                        tracing::debug!(job = J::NAME, "another instance holds the lease");
                        // A holder that died renews nothing: try again the moment its lease
                        // runs out when that comes before the next tick, so that it is
                        // replaced within the lease's time, not the lease's time plus a tick.
                        if let Some(left) = self.lease.left_before(self.interval).await {
                            tokio::time::sleep(left).await;
                            continue;
                        }
                    }
                    Err(err) => {
                        let code = err.code().as_str();
                        let cause = err.into_error();
                        tracing::error!(job = J::NAME, error = %cause, code, "scheduled round failed");
                    }
                }
                break;
            }
        }
    }

    /// One round if this instance holds the lease; `None` when another one does.
    ///
    /// # Errors
    /// On a database failure; what the round wrote before it stays.
    pub async fn round(&self) -> AppResult<Option<J::Outcome>> {
        if !self.lease.hold().await? {
            return Ok(None);
        }
        let outcome = self.job.round(&self.lease).await?;
        self.rounds.fetch_add(1, Ordering::SeqCst);
        Ok(Some(outcome))
    }

    /// Gives the lease up, so another instance can take over at its next tick.
    pub async fn release(&self) {
        self.lease.release().await;
    }
}

/// Re-scores every current client: clients whose data changed since their current score (an
/// ORDER recorded, a financial check added) and clients never scored are written in the first
/// batches of a round.
#[derive(Debug)]
pub struct Rescoring {
    db: DatabaseConnection,
    settings: Arc<ScoringSettings>,
}

impl Rescoring {
    /// Re-scoring over `db` with `settings`.
    #[must_use]
    pub const fn new(db: DatabaseConnection, settings: Arc<ScoringSettings>) -> Self {
        Self { db, settings }
    }
}

impl Job for Rescoring {
    const LEASE: &'static str = LEASE;
    const NAME: &'static str = "re-scoring";
    type Outcome = RescoreOutcome;

    async fn round(&self, lease: &LeaseClaim) -> AppResult<RescoreOutcome> {
        let now = db::now();
        let model = scoring::current_model(&self.db).await?;
        let filter = ClientFilter::default();
        let inputs = scoring::gather(&self.db, &self.settings, Scope::Filter(&filter), now).await?;
        let stale: HashSet<Uuid> = db::analytics::stale_clients(&self.db).await?;
        let (mut ordered, fresh): (Vec<Uuid>, Vec<Uuid>) =
            inputs.targets.iter().partition(|id| stale.contains(id));
        ordered.extend(fresh);
        let mut outcome = RescoreOutcome::default();
        for batch in ordered.chunks(BATCH_CLIENTS) {
            let done = scoring::write_batch(&self.db, &model, &inputs, batch, now).await?;
            outcome.rescored += done.rescored;
            outcome.changed_quadrant += done.changed_quadrant;
            if !lease.hold().await? {
                tracing::warn!("the re-scoring lease was taken over; stopping this round");
                break;
            }
        }
        Ok(outcome)
    }

    fn report(outcome: &RescoreOutcome) {
        tracing::info!(
            rescored = outcome.rescored,
            changed_quadrant = outcome.changed_quadrant,
            "scheduled re-scoring done"
        );
    }
}
