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
    Internal(Box<dyn std::error::Error + Send + Sync>),
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
            Self::Internal(_) => "internal error".to_owned(),
        }
    }

    /// A standard error, for code outside requests (start-up, the command line): the internal
    /// cause itself, or the caller-facing message.
    #[must_use]
    pub fn into_error(self) -> Box<dyn std::error::Error + Send + Sync> {
        match self {
            Self::Internal(cause) => cause,
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
}

/// Whether a database error is a violated unique constraint.
#[must_use]
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        Self::internal(err)
    }
}

impl AppError {
    /// The GraphQL error: message and `extensions.code` (and `field` for bad input). An internal
    /// cause is logged here, the one place every error passes.
    #[must_use]
    pub fn to_graphql(&self) -> async_graphql::Error {
        if let Self::Internal(cause) = self {
            let chain = error_chain(cause.as_ref());
            tracing::error!(error = %chain, "request failed with an internal error");
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
    fn a_database_error_other_than_a_unique_violation_stays_internal() {
        let err = DbErr::Exec(sea_orm::RuntimeErr::Internal("x".into()));
        assert_eq!(
            AppError::from_db_unique(err, "dup").code(),
            ErrorCode::Internal
        );
    }
}
