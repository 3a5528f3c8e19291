//! The one error type of the API: a closed set of codes from the contract, mapped to GraphQL
//! `extensions.code` here and nowhere else.

use std::fmt;

use async_graphql::ErrorExtensions as _;
use sea_orm::{DbErr, SqlErr};

/// An error a request can end in. Internal causes are logged once, with their chain, and the
/// caller only sees a generic message.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type into
/// an error without extensions, so `?` would silently drop `extensions.code`. Without it, the
/// only conversion is the one below, which always sets the code.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(&'static str),
    /// `field` is the path of the offending input field, such as `input.country` or
    /// `inputs[3].amount`.
    BadInput {
        field: String,
        message: String,
    },
    Conflict(String),
    UpstreamUnavailable(String),
    RateLimited(String),
    QueryTooComplex(String),
    /// The database is in transient trouble; the cause is logged, never sent.
    Unavailable(DbTrouble),
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

/// A database failure that says nothing about the request: it may pass if the same request is
/// sent again later.
#[derive(Debug)]
pub struct DbTrouble {
    /// What kind of trouble.
    pub kind: Trouble,
    /// The error as the database reported it.
    pub cause: Box<dyn std::error::Error + Send + Sync>,
}

/// Kinds of transient database trouble.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// The transaction lost a race with another one (a deadlock, a serialization failure, a
    /// lock not granted in time): running it again at once will most likely succeed.
    Contention,
    /// The database cannot serve right now (unreachable, connection lost, disk full,
    /// read-only, no free connection in the pool).
    Outage,
}

/// The contract's error codes (`extensions.code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadUserInput,
    Conflict,
    UpstreamUnavailable,
    RateLimited,
    QueryTooComplex,
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// The code as it appears in responses.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            Self::RateLimited => "RATE_LIMITED",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AppError {
    /// A `BAD_USER_INPUT` naming the field at fault.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Wraps any unexpected failure; its cause is logged, never sent.
    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }

    /// The message shown to the caller.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::UpstreamUnavailable(m)
            | Self::RateLimited(m)
            | Self::QueryTooComplex(m)
            | Self::BadInput { message: m, .. } => m.clone(),
            Self::NotFound(what) => format!("{what} not found"),
            Self::Unavailable(trouble) => match trouble.kind {
                Trouble::Contention => {
                    "the database is busy with concurrent writes; retrying later is safe".to_owned()
                }
                Trouble::Outage => {
                    "the database is temporarily unavailable; retrying later is safe".to_owned()
                }
            },
            Self::Internal(_) => "internal error".to_owned(),
        }
    }

    /// A standard error, for code outside requests (start-up, the command line): the internal
    /// cause itself, or the caller-facing message.
    #[must_use]
    pub fn into_error(self) -> Box<dyn std::error::Error + Send + Sync> {
        match self {
            Self::Internal(cause) | Self::Unavailable(DbTrouble { cause, .. }) => cause,
            other => other.message().into(),
        }
    }

    /// The error's contract code.
    #[must_use]
    pub const fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadInput { .. } => ErrorCode::BadUserInput,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::UpstreamUnavailable(_) => ErrorCode::UpstreamUnavailable,
            Self::RateLimited(_) => ErrorCode::RateLimited,
            Self::QueryTooComplex(_) => ErrorCode::QueryTooComplex,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Maps a database error, turning a unique-key violation into `CONFLICT` with `message`.
    /// The one place where storage conflicts become API conflicts.
    pub fn from_db_unique(err: DbErr, message: impl Into<String>) -> Self {
        if is_unique_violation(&err) {
            Self::Conflict(message.into())
        } else {
            Self::from(err)
        }
    }

    /// Whether running the failed transaction again at once may succeed: it lost a race.
    #[must_use]
    pub const fn is_contention(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(DbTrouble {
                kind: Trouble::Contention,
                ..
            })
        )
    }
}

/// Whether a database error is a violated unique constraint.
#[must_use]
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// SQLSTATEs of PostgreSQL for a transaction that lost a race, which the same transaction run
/// again most likely wins: `40001` serialization failure, `40P01` deadlock, `55P03` lock not
/// available.
const PG_CONTENTION: [&str; 3] = ["40001", "40P01", "55P03"];

/// SQLSTATE classes and codes of PostgreSQL that say the server cannot serve right now:
/// connection exceptions (`08`), insufficient resources such as a full disk (`53`), operator
/// intervention such as a shutdown (`57P01`-`57P03`), and a read-only transaction (`25006`,
/// a standby or `default_transaction_read_only`).
fn pg_outage(state: &str) -> bool {
    state.starts_with("08")
        || state.starts_with("53")
        || matches!(state, "57P01" | "57P02" | "57P03" | "25006")
}

/// SQLite primary result codes (<https://sqlite.org/rescode.html>): `SQLITE_BUSY` (5) and
/// `SQLITE_LOCKED` (6) are contention; `SQLITE_READONLY` (8), `SQLITE_IOERR` (10),
/// `SQLITE_FULL` (13) and `SQLITE_CANTOPEN` (14) an outage.
fn sqlite_trouble(code: i64) -> Option<Trouble> {
    match code & 0xff {
        5 | 6 => Some(Trouble::Contention),
        8 | 10 | 13 | 14 => Some(Trouble::Outage),
        _ => None,
    }
}

/// Which transient trouble a database error is, if any: the one place that reads driver codes.
#[must_use]
pub fn trouble(err: &DbErr) -> Option<Trouble> {
    use sea_orm::{
        RuntimeErr,
        sqlx::{Error as Sqlx, sqlite::SqliteError},
    };
    let runtime = match err {
        DbErr::ConnectionAcquire(_) => return Some(Trouble::Outage),
        DbErr::Conn(runtime) | DbErr::Exec(runtime) | DbErr::Query(runtime) => runtime,
        _ => return None,
    };
    let RuntimeErr::SqlxError(sqlx) = runtime else {
        return None;
    };
    match sqlx.as_ref() {
        Sqlx::Database(db) => {
            let code = db.code()?;
            if db.try_downcast_ref::<SqliteError>().is_some() {
                return code.parse().ok().and_then(sqlite_trouble);
            }
            if PG_CONTENTION.contains(&code.as_ref()) {
                Some(Trouble::Contention)
            } else {
                pg_outage(&code).then_some(Trouble::Outage)
            }
        }
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::Protocol(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => Some(Trouble::Outage),
        _ => None,
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match trouble(&err) {
            Some(kind) => Self::Unavailable(DbTrouble {
                kind,
                cause: err.into(),
            }),
            None => Self::internal(err),
        }
    }
}

impl AppError {
    /// The GraphQL error: message and `extensions.code` (and `field` for bad input). An internal
    /// cause is logged here, the one place every error passes.
    #[must_use]
    pub fn to_graphql(&self) -> async_graphql::Error {
        match self {
            Self::Internal(cause) => {
                let chain = error_chain(cause.as_ref());
                tracing::error!(error = %chain, "request failed with an internal error");
            }
            Self::Unavailable(trouble) => {
                let chain = error_chain(trouble.cause.as_ref());
                tracing::warn!(error = %chain, kind = ?trouble.kind, "request failed: the database is in trouble");
            }
            _ => {}
        }
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code().as_str());
            if let Self::BadInput { field, .. } = self {
                ext.set("field", field.as_str());
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.to_graphql()
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Result of everything that can fail in a request.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn extensions(err: &AppError) -> serde_json::Value {
        let error = err.to_graphql();
        serde_json::json!({
            "message": error.message,
            "extensions": error.extensions.map(|e| serde_json::to_value(e).unwrap_or_default()),
        })
    }

    #[test]
    fn every_error_maps_to_its_contract_code() {
        let cases = [
            (AppError::Unauthenticated("no".into()), "UNAUTHENTICATED"),
            (AppError::Forbidden("no".into()), "FORBIDDEN"),
            (AppError::NotFound("client"), "NOT_FOUND"),
            (AppError::bad_input("input.name", "blank"), "BAD_USER_INPUT"),
            (AppError::Conflict("stale".into()), "CONFLICT"),
            (
                AppError::UpstreamUnavailable("down".into()),
                "UPSTREAM_UNAVAILABLE",
            ),
            (AppError::RateLimited("slow down".into()), "RATE_LIMITED"),
            (
                AppError::QueryTooComplex("deep".into()),
                "QUERY_TOO_COMPLEX",
            ),
            (
                AppError::Unavailable(DbTrouble {
                    kind: Trouble::Outage,
                    cause: "disk full".into(),
                }),
                "UNAVAILABLE",
            ),
            (AppError::internal("secret cause"), "INTERNAL"),
        ];
        for (err, code) in cases {
            assert_eq!(extensions(&err)["extensions"]["code"], code);
        }
    }

    #[test]
    fn bad_input_names_the_field_and_internal_errors_hide_their_cause() {
        let bad = extensions(&AppError::bad_input(
            "inputs[3].currency",
            "unknown currency",
        ));
        assert_eq!(bad["extensions"]["field"], "inputs[3].currency");
        assert_eq!(bad["message"], "unknown currency");
        let internal = extensions(&AppError::internal("password=hunter2"));
        assert_eq!(internal["message"], "internal error");
        assert!(!internal.to_string().contains("hunter2"));
    }

    #[test]
    fn sqlite_codes_map_to_their_trouble_extended_codes_included() {
        assert_eq!(sqlite_trouble(5), Some(Trouble::Contention));
        assert_eq!(
            sqlite_trouble(517),
            Some(Trouble::Contention),
            "SQLITE_BUSY_SNAPSHOT"
        );
        assert_eq!(sqlite_trouble(6), Some(Trouble::Contention));
        assert_eq!(sqlite_trouble(8), Some(Trouble::Outage), "SQLITE_READONLY");
        assert_eq!(sqlite_trouble(13), Some(Trouble::Outage), "SQLITE_FULL");
        assert_eq!(
            sqlite_trouble(778),
            Some(Trouble::Outage),
            "SQLITE_IOERR_WRITE"
        );
        assert_eq!(
            sqlite_trouble(2067),
            None,
            "a unique violation is no trouble"
        );
        assert!(pg_outage("08006") && pg_outage("53100") && pg_outage("57P01"));
        assert!(!pg_outage("23505"));
    }

    #[test]
    fn a_lost_connection_is_unavailable_and_its_cause_is_not_sent() {
        let err = AppError::from(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout));
        assert_eq!(err.code(), ErrorCode::Unavailable);
        assert!(!err.is_contention());
        assert!(err.message().contains("retrying later is safe"));
    }

    #[test]
    fn a_database_error_other_than_a_unique_violation_stays_internal() {
        let err = DbErr::Exec(sea_orm::RuntimeErr::Internal("x".into()));
        assert_eq!(
            AppError::from_db_unique(err, "dup").code(),
            ErrorCode::Internal
        );
    }
}
