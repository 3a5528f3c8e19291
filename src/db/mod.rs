//! All database access: one file per aggregate, free functions generic over a connection or a
//! transaction, so a resolver can group its writes in one transaction.

pub mod analytics;
pub mod audit;
pub mod checks;
pub mod clients;
pub mod contacts;
pub mod enrichment;
pub mod exports;
pub mod health;
pub mod interactions;
pub mod keyset;
pub mod leases;
pub mod needs;
pub mod plans;
pub mod reads;
pub mod scoring;
pub mod seed;
pub mod tokens;
pub mod users;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait, sqlx,
};

use crate::error::{AppError, AppResult};

/// Rows SQLite's `ANALYZE` reads per index. Approximate statistics are all the planner needs to
/// tell a selective index from one that matches every row, and the bound keeps an analysis to
/// milliseconds however large the database (<https://sqlite.org/lang_analyze.html#approx>).
const ANALYSIS_LIMIT: u32 = 1000;

/// The size SQLite truncates its write-ahead log back to after a checkpoint (64 MiB): the log
/// is reused rather than regrown, but one burst of writes (a large import) must not leave it at
/// gigabytes for good.
const WAL_SIZE_LIMIT: u64 = 64 * 1024 * 1024;

/// Opens the pool. SQLite runs in WAL mode so readers never wait for the writer, with
/// `synchronous=FULL` so that a commit is on disk before it is acknowledged, power loss
/// included (`NORMAL` may lose the last transactions then; BENCHMARKS.md has the cost). Each
/// SQLite connection runs `PRAGMA optimize` when it closes, as SQLite recommends for long-lived
/// databases, so statistics follow the data as it grows.
///
/// A connection handed back to the pool still inside a transaction is closed, never reused:
/// see [`reusable`].
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(15))
                .foreign_keys(true)
                .analysis_limit(ANALYSIS_LIMIT)
                .optimize_on_close(true, ANALYSIS_LIMIT)
                .pragma("journal_size_limit", WAL_SIZE_LIMIT.to_string())
        })
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_release(|conn, _| {
                Box::pin(async move {
                    // A dropped transaction queues its rollback on the connection's worker
                    // thread; the ping returns once that rollback has run (or failed).
                    sqlx::Connection::ping(conn).await?;
                    Ok(reusable(conn))
                })
            })
        })
        .map_sqlx_postgres_opts({
            let explicit_tls = url.contains("sslmode=") || std::env::var_os("PGSSLMODE").is_some();
            move |opts| without_tls_on_loopback(explicit_tls, opts)
        })
        .map_sqlx_postgres_pool_opts(|pool| {
            // PostgreSQL's driver counts a dropped transaction's queued rollback at once.
            pool.after_release(|conn, _| Box::pin(async move { Ok(reusable(conn)) }))
        });
    Database::connect(options).await
}

/// TLS to a PostgreSQL on the same host protects nothing and costs CPU on every statement (5 %
/// of a busy read path): unless the URL or `PGSSLMODE` says otherwise, loopback connections
/// go without it, where the driver's own default (`prefer`) would use it whenever the server
/// offers it. Any other host keeps the driver's default.
fn without_tls_on_loopback(
    explicit: bool,
    opts: sqlx::postgres::PgConnectOptions,
) -> sqlx::postgres::PgConnectOptions {
    let loopback = matches!(opts.get_host(), "localhost" | "::1" | "[::1]")
        || opts
            .get_host()
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback && !explicit {
        opts.ssl_mode(sqlx::postgres::PgSslMode::Disable)
    } else {
        opts
    }
}

/// Whether a connection handed back to the pool may serve the next caller: only outside any
/// transaction. A transaction whose `COMMIT` or `ROLLBACK` failed leaves the driver's count of
/// open transactions above zero (SQLite may already have rolled back by itself, after a full
/// disk for instance, so the driver's own `ROLLBACK` fails too). Reused, such a connection
/// would open the next transaction as a `SAVEPOINT` and "commit" it with a `RELEASE` that
/// commits nothing, acknowledging a write that is never saved. Closing the connection ends
/// whatever it still had open; the pool opens a fresh one.
fn reusable(conn: &impl sqlx::Connection) -> bool {
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a database connection left inside a failed transaction");
    }
    clean
}

/// The key of the PostgreSQL advisory lock that migrations run under: any fixed number, the
/// same in every instance (`kaim` in ASCII).
const MIGRATION_LOCK: i64 = 0x6b61_696d;

/// Applies pending migrations, then refreshes SQLite's planner statistics (see [`optimize`]).
///
/// All pending migrations run in one transaction, under a lock that any number of instances
/// starting at once queue for: a transaction-level advisory lock on PostgreSQL, the write lock
/// of `BEGIN IMMEDIATE` on SQLite. The first applies the migrations; the others then find none
/// pending. A failing migration leaves the schema as it was.
///
/// # Errors
/// When a migration fails.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let tx = begin_write(db).await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        tx.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
            .await?;
    }
    Migrator::up(&tx, None).await?;
    tx.commit().await?;
    optimize(db).await
}

/// Copies SQLite's write-ahead log into the database and empties it (a truncating checkpoint),
/// so that a stopped server leaves one database file of its true size. Writers and readers
/// still running wait for it or make it stop short, which is harmless: the log stays valid.
/// PostgreSQL manages its own log: a no-op there.
///
/// # Errors
/// On a database failure.
pub async fn checkpoint<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    Ok(())
}

/// Gathers SQLite's planner statistics where they are missing or stale: `PRAGMA optimize` with
/// every table checked (`0x10000`), not only those queried on this connection, analyzes a table
/// whose indexes have no statistics yet or that has grown or shrunk ten-fold since, reading at
/// most [`ANALYSIS_LIMIT`] rows per index (`0x10`); otherwise it does nothing. Run after
/// migrations and after bulk writes that change the data's shape (a seed, a full re-scoring).
/// Bounded statistics are approximate: the export pages are served by indexes SQLite chooses
/// with or without them (migration `m20261129_000008_export_indexes`, BENCHMARKS.md, "Findings").
///
/// Connections already open keep the statistics they loaded until they are recycled; new
/// ones read the fresh ones. PostgreSQL's autovacuum analyzes by itself: a no-op there.
///
/// # Errors
/// On a database failure.
pub async fn optimize<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    if db.get_database_backend() == DatabaseBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize=0x10012").await?;
    }
    Ok(())
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing when
/// a read lock cannot be upgraded; PostgreSQL ignores the option.
///
/// # Errors
/// When the transaction cannot begin.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// How many times in all a write transaction runs when it keeps losing races.
const ATTEMPTS: u32 = 5;

/// The longest pause before the first re-run; it doubles with each attempt, and each pause is
/// drawn at random up to it, so that the transactions that collided do not collide again.
const BACKOFF: Duration = Duration::from_millis(10);

/// The one retry policy of write transactions: a transaction that lost a race with another one
/// (a deadlock, a serialization failure, SQLite's write lock not granted in time; see
/// [`AppError::is_contention`]) is rolled back and run again, at most [`ATTEMPTS`] times in all.
///
/// ```ignore
/// let mut retry = Retry::default();
/// loop {
///     match run_once().await {
///         Err(err) if retry.again(&err).await => {}
///         outcome => return outcome,
///     }
/// }
/// ```
#[derive(Debug, Default)]
pub struct Retry {
    attempts: u32,
}

impl Retry {
    /// Whether the transaction that failed with `err` should run again; when it should, waits
    /// a short random pause first.
    pub async fn again(&mut self, err: &AppError) -> bool {
        self.attempts += 1;
        if !err.is_contention() || self.attempts >= ATTEMPTS {
            return false;
        }
        let ceiling = BACKOFF.saturating_mul(1 << self.attempts.min(6));
        let pause = ceiling.mul_f64(rand::random::<f64>());
        tracing::debug!(
            attempt = self.attempts,
            ?pause,
            "a write lost a race; running it again"
        );
        tokio::time::sleep(pause).await;
        true
    }
}

/// The current time at the precision both backends store (microseconds), so a value read back
/// equals the value written and can serve in a cursor.
#[must_use]
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Rows of `E` whose `column` is one of `ids`: the batch query behind every by-id loader.
///
/// # Errors
/// On a database failure.
pub async fn by_ids<E, C>(db: &C, column: E::Column, ids: &[uuid::Uuid]) -> AppResult<Vec<E::Model>>
where
    E: sea_orm::EntityTrait,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::QueryFilter;
    Ok(E::find()
        .filter(one_of(db.get_database_backend(), column, ids))
        .all(db)
        .await?)
}

/// `column` holds one of `ids`. On PostgreSQL: `column = ANY($1)` with the ids as one array
/// parameter, so a batch has one statement shape however many ids it has, prepared once per
/// connection (an `IN ($1, ..., $n)` list is a new statement for every length). SQLite, which
/// prepares cheaply in process and has no array type, gets the `IN` list.
pub fn one_of<Col: sea_orm::ColumnTrait>(
    backend: DatabaseBackend,
    column: Col,
    ids: &[uuid::Uuid],
) -> sea_orm::sea_query::SimpleExpr {
    if backend == DatabaseBackend::Postgres && !ids.is_empty() {
        column.eq_any(ids.iter().copied())
    } else {
        column.is_in(ids.iter().copied())
    }
}
