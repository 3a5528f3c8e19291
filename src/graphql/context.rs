//! What resolvers reach through the GraphQL context: shared state and the request's principal.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use super::loaders::Loaders;
use crate::{
    auth::{Principal, TokenService},
    config::{ApiSettings, ScoringSettings},
    enrichment::{EnrichmentSettings, ProviderSet},
    error::{AppError, AppResult},
};

/// State shared by every request of an instance. Nothing here is mutable: any number of
/// instances may serve the same database.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The primary: every write, and reads that must see them.
    pub db: DatabaseConnection,
    /// Where read-only operations run (the read replicas, if any).
    pub reads: Arc<crate::db::reads::Reads>,
    pub api: Arc<ApiSettings>,
    /// How KAISM derives factors (window, currency rates).
    pub scoring: Arc<ScoringSettings>,
    /// Verifies and mints tokens (its JWKS key cache is the one thing shared and refreshed).
    pub tokens: TokenService,
    /// The enabled registry providers, built once at start-up.
    pub providers: Arc<ProviderSet>,
    /// Registry settings (cache lifetimes).
    pub enrichment: Arc<EnrichmentSettings>,
    /// The multi-threaded runtime the server started on, which runs GraphQL operations and so
    /// opens and serves the database connections (see `http::execute`).
    pub runtime: tokio::runtime::Handle,
    /// Turns to run a GraphQL operation (`KAIM_MAX_OPERATIONS`).
    pub operations: Arc<tokio::sync::Semaphore>,
}

/// The connection an operation reads from: the primary for a mutation (its payload shows what
/// it wrote), else a read replica when there is one (see [`crate::db::reads`]).
#[derive(Debug, Clone)]
pub struct ReadFrom(pub DatabaseConnection);

/// The per-request data the HTTP layer attaches: who asks, where the operation reads, and
/// fresh batch loaders over it (so nothing is cached across requests).
#[must_use]
pub fn request_data(
    state: &AppState,
    principal: Principal,
    writes: bool,
) -> (Principal, ReadFrom, Arc<Loaders>) {
    let db = if writes {
        state.db.clone()
    } else {
        state
            .reads
            .for_reading(&state.db, principal.user_id)
            .clone()
    };
    let loaders = Arc::new(Loaders::new(state, db.clone()));
    (principal, ReadFrom(db), loaders)
}

/// Shorthands for what every resolver needs.
pub trait ContextExt {
    /// The instance's shared state.
    fn state(&self) -> &AppState;
    /// The database the operation reads from ([`ReadFrom`]); writes go through
    /// [`super::write::Write`], always on the primary.
    fn db(&self) -> &DatabaseConnection;
    /// Who is asking; every request has one, as the HTTP layer refuses anonymous ones.
    fn principal(&self) -> AppResult<Principal>;
    /// The request's batch loaders.
    fn loaders(&self) -> &Arc<Loaders>;
    /// The largest page a connection serves.
    fn max_page_size(&self) -> u32 {
        self.state().api.max_page_size
    }
    /// The time left before the operation is cut off; `None` outside a request's execution.
    fn time_left(&self) -> Option<std::time::Duration>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn db(&self) -> &DatabaseConnection {
        self.data_opt::<ReadFrom>()
            .map_or(&self.state().db, |read| &read.0)
    }

    fn principal(&self) -> AppResult<Principal> {
        self.data_opt::<Principal>()
            .copied()
            .ok_or_else(|| AppError::Unauthenticated("a bearer token is required".into()))
    }

    fn loaders(&self) -> &Arc<Loaders> {
        self.data_unchecked::<Arc<Loaders>>()
    }

    fn time_left(&self) -> Option<std::time::Duration> {
        self.data_opt::<super::limits::Deadline>()
            .map(|deadline| deadline.remaining())
    }
}
