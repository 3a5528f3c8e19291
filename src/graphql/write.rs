//! The one shape of every audited mutation: a write transaction, the row-level rule checked
//! inside it, the change, and the audit events recorded in the same transaction just before
//! it commits, so a write and its record stand or fall together. A transaction that loses a
//! race with another one (a deadlock, a serialization failure, SQLite's lock not granted in
//! time) is rolled back and the work run again ([`crate::db::Retry`]), before the caller is
//! told `UNAVAILABLE`:
//!
//! ```ignore
//! let need = Write::run(ctx, |write| {
//!     let changes = changes.clone();
//!     Box::pin(async move {
//!         write.authorize(Target::Need(id)).await?;
//!         let before = store::get(write.tx(), id).await?;
//!         let need = store::update(write.tx(), id, changes).await?;
//!         let event = Event::changed(AuditAction::Update, &before, &need);
//!         Ok((need, [event]))
//!     })
//! })
//! .await?;
//! ```
//!
//! The work is a closure returning a boxed future, not an async closure, so that the
//! resolver's future stays provably `Send`; it owns what it uses (cloned per attempt).
//!
//! Enrichment, whose registry answers are consumed as they are written, opens its `Write`
//! with [`Write::begin_as`] and commits it once. Dropping a `Write` without committing it
//! rolls the transaction back, events and all.

use async_graphql::Context;
use entity::client;
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use super::{
    context::ContextExt,
    guards::{Target, authorize_write},
};
use crate::{
    auth::Principal,
    db::{
        self,
        audit::{self, Event},
    },
    error::AppResult,
};

/// A write transaction on behalf of one principal.
#[derive(Debug)]
pub struct Write {
    tx: DatabaseTransaction,
    principal: Principal,
}

impl Write {
    /// Opens a write transaction for `principal`, outside a request (re-checks run this way).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn begin_as(db: &DatabaseConnection, principal: Principal) -> AppResult<Self> {
        Ok(Self {
            tx: db::begin_write(db).await?,
            principal,
        })
    }

    /// Runs `work` in a write transaction for the request's principal and commits it with the
    /// audit events it returns. `work` may run more than once: see [`Write::run_as`].
    ///
    /// # Errors
    /// `UNAUTHENTICATED` without a principal; whatever `work` fails with; `UNAVAILABLE` when
    /// the transaction lost every race.
    pub async fn run<T, E, F>(ctx: &Context<'_>, work: F) -> AppResult<T>
    where
        E: IntoIterator<Item = Event>,
        F: for<'w> FnMut(&'w Self) -> BoxFuture<'w, AppResult<(T, E)>>,
    {
        let principal = ctx.principal()?;
        let written = Self::run_as(&ctx.state().db, principal, work).await;
        if written.is_ok() {
            ctx.loaders().forget_read();
            ctx.state().reads.wrote(principal.user_id);
        }
        written
    }

    /// Runs `work` in a write transaction for `principal` and commits it with the audit events
    /// it returns. When the transaction loses a race with another one, it is rolled back and
    /// `work` runs again in a new one, as [`db::Retry`] allows; so `work` does nothing outside
    /// the transaction that it could not do twice.
    ///
    /// # Errors
    /// Whatever `work` fails with; `UNAVAILABLE` when the transaction lost every race or the
    /// database is in other trouble.
    pub async fn run_as<T, E, F>(
        db: &DatabaseConnection,
        principal: Principal,
        mut work: F,
    ) -> AppResult<T>
    where
        E: IntoIterator<Item = Event>,
        F: for<'w> FnMut(&'w Self) -> BoxFuture<'w, AppResult<(T, E)>>,
    {
        let mut retry = db::Retry::default();
        loop {
            let outcome: AppResult<T> = async {
                let write = Self::begin_as(db, principal).await?;
                let (value, events) = work(&write).await?;
                write.commit(events).await?;
                Ok(value)
            }
            .await;
            match outcome {
                Err(err) if retry.again(&err).await => {}
                outcome => return outcome,
            }
        }
    }

    /// Checks the row-level write rule for `target` ([`authorize_write`]) and returns the
    /// client it belongs to, as read inside the transaction.
    ///
    /// # Errors
    /// `NOT_FOUND` for a missing target, `FORBIDDEN` for another manager's client; database
    /// failures.
    pub async fn authorize(&self, target: Target) -> AppResult<client::Model> {
        authorize_write(&self.tx, self.principal, target).await
    }

    /// The transaction, for the `db` functions that make the change.
    #[must_use]
    pub const fn tx(&self) -> &DatabaseTransaction {
        &self.tx
    }

    /// Who writes.
    #[must_use]
    pub const fn principal(&self) -> Principal {
        self.principal
    }

    /// Records `events`, in order, as done by the principal, then commits.
    ///
    /// # Errors
    /// On a database failure; nothing is written then.
    pub async fn commit(self, events: impl IntoIterator<Item = Event>) -> AppResult<()> {
        audit::record_all(&self.tx, self.principal, events).await?;
        self.tx.commit().await?;
        Ok(())
    }
}
