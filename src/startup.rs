//! `Application`: opens the database, builds the schema and binds the HTTP server.

use std::{
    net::TcpListener,
    sync::{Arc, atomic::AtomicU64},
    time::Duration,
};

use actix_web::{App, HttpServer, dev::Server, middleware, web};
use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use secrecy::SecretString;
use tracing_actix_web::TracingLogger;

use crate::{
    auth::{self, TokenService},
    config::{JwtAlgorithm, Settings},
    db,
    graphql::{self, AppState},
    http,
    recheck::Rechecks,
    scheduler::{Rescoring, Scheduled},
};

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    /// The scheduled re-scoring, when `KAIM_RESCORE_INTERVAL` is set.
    scheduler: Option<Scheduled<Rescoring>>,
    /// The scheduled registry re-checks, when `KAIM_RECHECK_INTERVAL` is set.
    rechecker: Option<Scheduled<Rechecks>>,
    /// The pool, checkpointed when the server stops.
    db: DatabaseConnection,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// What start-up produced besides the server: a generated secret is announced once.
#[derive(Debug)]
pub struct FirstStart {
    /// A token for the first administrator, minted because the secret was generated just now.
    pub admin_token: String,
}

impl Application {
    /// Connects to the configured database and builds the application.
    ///
    /// # Errors
    /// When the database, the keys or the listener cannot be set up.
    pub async fn build(settings: Settings) -> anyhow::Result<(Self, Option<FirstStart>)> {
        let db = connect(&settings).await?;
        Self::build_with_db(settings, db).await
    }

    /// Builds the application over an open connection (tests pass one that counts statements).
    ///
    /// # Errors
    /// When migrations, the keys or the listener fail.
    pub async fn build_with_db(
        settings: Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<(Self, Option<FirstStart>)> {
        if settings.migrate_on_start {
            db::migrate(&db).await.context("applying migrations")?;
        }
        let (tokens, generated) = token_service(&settings)?;
        let first_start = if generated {
            Some(FirstStart {
                admin_token: first_admin_token(&db, &tokens).await?,
            })
        } else {
            None
        };
        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let state_db = db.clone();
        let reads = connect_replicas(&settings).await?;
        let state = app_state(&settings, db, tokens.clone(), reads);
        let scheduler = settings.scoring.rescore_interval.map(|interval| {
            let job = Rescoring::new(state.db.clone(), Arc::clone(&state.scoring));
            Scheduled::new(state.db.clone(), job, interval)
        });
        let rechecker = settings.enrichment.recheck_interval.map(|interval| {
            Scheduled::new(state.db.clone(), Rechecks::new(state.clone()), interval)
        });
        let schema = graphql::build(state.clone(), &settings.limits);
        let body_limit = settings.api.body_limit;
        let graphiql = settings.api.graphiql;
        let limits = web::Data::new(settings.limits.clone());
        let cors_origins = settings.http.cors_origins.clone();
        let server = HttpServer::new(move || {
            // The last `wrap` is the outermost: the logger's request id exists before the
            // headers are added, and CORS refusals still get them.
            App::new()
                .wrap(http::cors(&cors_origins))
                .wrap(middleware::from_fn(http::response_headers))
                .wrap(TracingLogger::default())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::Data::new(schema.clone()))
                .app_data(web::Data::new(state.clone()))
                .app_data(web::Data::new(tokens.clone()))
                .app_data(limits.clone())
                .configure(|cfg| http::routes(cfg, graphiql))
        })
        // actix-web stops on SIGTERM and SIGINT: it closes the listener at once and lets the
        // requests in flight run this long before it drops them.
        .shutdown_timeout(settings.http.shutdown_grace.as_secs())
        .listen(listener)?
        .run();
        Ok((
            Self {
                port,
                server,
                scheduler,
                rechecker,
                db: state_db,
            },
            first_start,
        ))
    }

    /// The port actually bound (settings may ask for port 0).
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is stopped.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let scheduled = self
            .scheduler
            .map(|scheduler| (tokio::spawn(scheduler.clone().run()), scheduler));
        let rechecks = self
            .rechecker
            .map(|rechecker| (tokio::spawn(rechecker.clone().run()), rechecker));
        let result = self.server.await;
        if let Some((task, scheduler)) = scheduled {
            task.abort();
            scheduler.release().await;
        }
        if let Some((task, rechecker)) = rechecks {
            task.abort();
            rechecker.release().await;
        }
        if let Err(err) = db::checkpoint(&self.db).await {
            tracing::warn!(error = %err, "could not checkpoint the database on shutdown");
        }
        result
    }

    /// Scheduled re-scoring rounds this instance has completed: a counter that keeps counting
    /// while the server runs; `None` when no schedule is configured.
    #[must_use]
    pub fn rescore_rounds(&self) -> Option<Arc<AtomicU64>> {
        self.scheduler.as_ref().map(Scheduled::rounds)
    }

    /// Scheduled registry re-check rounds this instance has completed; `None` when no
    /// schedule is configured.
    #[must_use]
    pub fn recheck_rounds(&self) -> Option<Arc<AtomicU64>> {
        self.rechecker.as_ref().map(Scheduled::rounds)
    }
}

/// The state shared by every request and job of an instance. Registry providers are built
/// here, once, so their rate limits and circuit breakers hold across requests.
///
/// # Panics
/// Outside a Tokio runtime (the state keeps the current one).
#[must_use]
pub fn app_state(
    settings: &Settings,
    db: DatabaseConnection,
    tokens: TokenService,
    reads: db::reads::Reads,
) -> AppState {
    AppState {
        db,
        reads: Arc::new(reads),
        api: Arc::new(settings.api.clone()),
        scoring: Arc::new(settings.scoring.clone()),
        tokens,
        providers: Arc::new(settings.enrichment.build()),
        enrichment: Arc::new(settings.enrichment.clone()),
        runtime: tokio::runtime::Handle::current(),
        operations: Arc::new(tokio::sync::Semaphore::new(
            settings.http.max_operations.max(1),
        )),
    }
}

/// Opens the configured database, creating the data dir for the embedded default.
///
/// # Errors
/// When the database cannot be reached.
pub async fn connect(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    }
    let url = settings.database_url();
    let db = tokio::time::timeout(
        Duration::from_secs(30),
        db::connect(&url, settings.database_max_connections),
    )
    .await
    .context("timed out connecting to the database")?
    .context("connecting to the database")?;
    Ok(db)
}

/// Opens the read replicas of `settings` (none: every read on the primary). Migrations are the
/// primary's to apply; a replica receives them through replication.
///
/// # Errors
/// When a replica cannot be reached.
pub async fn connect_replicas(settings: &Settings) -> anyhow::Result<db::reads::Reads> {
    let mut replicas = Vec::with_capacity(settings.database_read_urls.len());
    for url in &settings.database_read_urls {
        let replica = tokio::time::timeout(
            Duration::from_secs(30),
            db::connect(url, settings.database_max_connections),
        )
        .await
        .context("timed out connecting to a read replica")?
        .context("connecting to a read replica")?;
        replicas.push(replica);
    }
    Ok(db::reads::Reads::new(replicas, settings.read_your_writes))
}

/// The token service for `settings`, and whether its secret was generated just now.
///
/// # Errors
/// When the secret or public key cannot be read or written.
pub fn token_service(settings: &Settings) -> anyhow::Result<(TokenService, bool)> {
    let (secret, generated): (Option<SecretString>, bool) = match settings.jwt.algorithm {
        JwtAlgorithm::Hs256 => {
            let (secret, generated) =
                auth::resolve_secret(settings.jwt.secret.as_ref(), &settings.data_dir)
                    .context("resolving the JWT secret")?;
            (Some(secret), generated)
        }
        JwtAlgorithm::Rs256 | JwtAlgorithm::Es256 => (None, false),
    };
    let tokens = TokenService::new(&settings.jwt, secret.as_ref()).context("loading JWT keys")?;
    Ok((tokens, generated))
}

/// A token for the oldest administrator, creating one when there is none.
async fn first_admin_token(
    db: &DatabaseConnection,
    tokens: &TokenService,
) -> anyhow::Result<String> {
    let admin = match db::users::first_admin(db).await.map_err(app_error)? {
        Some(admin) => admin,
        None => db::users::insert(
            db,
            db::users::NewUser {
                name: "Administrator".into(),
                email: None,
                role: entity::enums::Role::Admin,
            },
        )
        .await
        .map_err(app_error)?,
    };
    let token = tokens.mint(
        auth::Principal {
            user_id: admin.id,
            role: admin.role,
        },
        Duration::from_secs(30 * 24 * 3600),
    )?;
    Ok(token)
}

/// Start-up reports request-layer errors through `anyhow`.
pub fn app_error(err: crate::error::AppError) -> anyhow::Error {
    anyhow::anyhow!(err.into_error())
}
