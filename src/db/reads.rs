//! Where read-only work runs: on a read replica (`KAIM_DATABASE_READ_URL`) when there is one,
//! each in turn, and on the primary otherwise. A user who has just written reads from the
//! primary for a while (`KAIM_READ_YOUR_WRITES`), so that a replica lagging behind never shows
//! them the state before their own change.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use sea_orm::DatabaseConnection;
use uuid::Uuid;

/// Users who wrote most recently; beyond this many, the least recent are forgotten (and read
/// from a replica sooner than their window says).
const WRITERS_KEPT: u64 = 100_000;

/// The read replicas, and who must not read from them yet.
#[derive(Debug)]
pub struct Reads {
    replicas: Vec<DatabaseConnection>,
    next: AtomicUsize,
    /// Users who wrote within the read-your-writes window, on this instance.
    writers: moka::sync::Cache<Uuid, ()>,
}

impl Reads {
    /// Reads from `replicas` (none: everything on the primary); a user's reads stay on the
    /// primary for `window` after their last write.
    #[must_use]
    pub fn new(replicas: Vec<DatabaseConnection>, window: Duration) -> Self {
        Self {
            replicas,
            next: AtomicUsize::new(0),
            writers: moka::sync::Cache::builder()
                .max_capacity(WRITERS_KEPT)
                .time_to_live(window.max(Duration::from_millis(1)))
                .build(),
        }
    }

    /// Everything on the primary.
    #[must_use]
    pub fn none() -> Self {
        Self::new(Vec::new(), Duration::ZERO)
    }

    /// The connection a read of `user` runs on: the next replica, or `primary` when there is
    /// none or the user wrote within the window.
    #[must_use]
    pub fn for_reading<'a>(
        &'a self,
        primary: &'a DatabaseConnection,
        user: Uuid,
    ) -> &'a DatabaseConnection {
        if self.replicas.is_empty() || self.writers.contains_key(&user) {
            return primary;
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed);
        &self.replicas[turn % self.replicas.len()]
    }

    /// Records that `user` has just written.
    pub fn wrote(&self, user: Uuid) {
        if !self.replicas.is_empty() {
            self.writers.insert(user, ());
        }
    }
}
