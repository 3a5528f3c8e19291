//! The `kaim` command: the server and its administration subcommands.

use std::{io::Write, time::Duration};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use kaim::{
    auth::{self, Principal},
    config::{self, Settings},
    db, graphql,
    startup::{self, Application},
    telemetry,
};

/// glibc's allocator spent about 30 % of the server's CPU on a busy read path (many small,
/// short-lived allocations across threads); mimalloc is made for that pattern.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Key-account intelligence and management: a GraphQL API over your key clients.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    settings: Settings,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Mint a JWT and print only the token.
    Token {
        /// ADMIN, MANAGER, ANALYST or INTEGRATOR.
        #[arg(long, value_parser = parse_role)]
        role: entity::enums::Role,
        /// The user's id (the UUID inside a User id); a new user is created when absent.
        #[arg(long)]
        user: Option<uuid::Uuid>,
        /// Display name of the user created when `--user` is absent.
        #[arg(long, default_value = "Token user")]
        name: String,
        /// How long the token is valid, such as `90d` or `12h`.
        #[arg(long, default_value = "30d", value_parser = config::parse_duration)]
        ttl: Duration,
    },
    /// Fill the database with sample data for trying the API.
    Seed {
        /// The demo portfolio: clients from several countries with contacts, three years of
        /// interactions, financial checks, needs, account plans and the managers who own them.
        #[arg(long)]
        demo: bool,
        /// How many clients.
        #[arg(long, default_value_t = db::seed::DEFAULT_CLIENTS, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        clients: u32,
        /// The same seed gives the same portfolio; another seed, another one.
        #[arg(long, default_value_t = db::seed::DEFAULT_SEED)]
        seed: u64,
        /// Seed even when the database already has clients (the demo clients are added).
        #[arg(long)]
        force: bool,
    },
    /// Re-score every current client under the current KAISM model (for cron).
    Rescore,
    /// Re-check the clients due now against their registries, once (for cron); see
    /// `KAIM_RECHECK_MAX_AGE` and `KAIM_RECHECK_BATCH`.
    Recheck,
}

fn parse_role(text: &str) -> Result<entity::enums::Role, String> {
    auth::parse_role(text)
        .ok_or_else(|| format!("`{text}` is not ADMIN, MANAGER, ANALYST or INTEGRATOR"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.settings.log_format);
    let mut stdout = std::io::stdout().lock();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listen = cli.settings.listen;
            let (app, first_start) = Application::build(cli.settings).await?;
            let url = format!("http://{}:{}/", listen.ip(), app.port());
            if let Some(first) = first_start {
                writeln!(
                    stdout,
                    "kaim generated a signing secret on first start.\n\nGraphiQL: {url}\nAdmin token (paste as the header `Authorization: Bearer <token>`):\n\n{}\n",
                    first.admin_token
                )?;
            }
            drop(stdout);
            tracing::info!(%url, "kaim is serving GraphQL at /graphql");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = startup::connect(&cli.settings).await?;
            db::migrate(&db).await.context("applying migrations")?;
            tracing::info!("migrations applied");
        }
        Command::Schema => {
            write!(stdout, "{}", graphql::schema::sdl())?;
        }
        Command::Token {
            role,
            user,
            name,
            ttl,
        } => {
            let db = startup::connect(&cli.settings).await?;
            if cli.settings.migrate_on_start {
                db::migrate(&db).await.context("applying migrations")?;
            }
            let (tokens, _) = startup::token_service(&cli.settings)?;
            let user = match user {
                Some(id) => db::users::find(&db, id)
                    .await
                    .map_err(startup::app_error)?
                    .with_context(|| format!("no user has id {id}"))?,
                None => db::users::insert(
                    &db,
                    db::users::NewUser {
                        name,
                        email: None,
                        role,
                    },
                )
                .await
                .map_err(startup::app_error)?,
            };
            let issued = tokens.issue(
                Principal {
                    user_id: user.id,
                    role,
                },
                ttl,
            )?;
            // Recorded like a service token, so that it can be listed and revoked.
            db::tokens::insert(
                &db,
                db::tokens::NewIssuedToken {
                    jti: issued.jti,
                    user_id: user.id,
                    role,
                    name: user.name,
                    description: Some("minted with `kaim token`".into()),
                    issued_at: issued.issued_at,
                    expires_at: issued.expires_at,
                },
            )
            .await
            .map_err(startup::app_error)?;
            writeln!(stdout, "{}", issued.token)?;
        }
        Command::Seed {
            demo,
            clients,
            seed,
            force,
        } => {
            if !demo {
                anyhow::bail!(
                    "nothing to seed: the demo portfolio is the only seed for now; run `kaim seed --demo`"
                );
            }
            let db = startup::connect(&cli.settings).await?;
            if cli.settings.migrate_on_start {
                db::migrate(&db).await.context("applying migrations")?;
            }
            let started = std::time::Instant::now();
            let options = db::seed::DemoOptions {
                clients,
                seed,
                force,
            };
            let summary = db::seed::demo(&db, options)
                .await
                .map_err(|err| match err {
                    kaim::error::AppError::Conflict(_) => anyhow::anyhow!(
                        "{}: run `kaim seed --demo --force` to add the demo clients anyway",
                        err.message()
                    ),
                    other => startup::app_error(other),
                })?;
            tracing::info!(
                seed,
                clients = summary.clients,
                users = summary.users,
                registry_ids = summary.registry_ids,
                contacts = summary.contacts,
                interactions = summary.interactions,
                financial_checks = summary.financial_checks,
                needs = summary.needs,
                account_plans = summary.account_plans,
                plan_objectives = summary.plan_objectives,
                plan_actions = summary.plan_actions,
                elapsed_ms = started.elapsed().as_millis(),
                "demo portfolio seeded"
            );
            writeln!(stdout, "Seeded the demo portfolio (seed {seed}): {summary}")?;
        }
        Command::Rescore => {
            let db = startup::connect(&cli.settings).await?;
            if cli.settings.migrate_on_start {
                db::migrate(&db).await.context("applying migrations")?;
            }
            let started = std::time::Instant::now();
            let filter = db::clients::ClientFilter::default();
            let outcome = db::scoring::rescore(
                &db,
                &cli.settings.scoring,
                db::scoring::Scope::Filter(&filter),
            )
            .await
            .map_err(startup::app_error)?;
            db::optimize(&db)
                .await
                .context("refreshing planner statistics")?;
            let elapsed = started.elapsed().as_millis();
            tracing::info!(
                rescored = outcome.rescored,
                changed_quadrant = outcome.changed_quadrant,
                elapsed_ms = elapsed,
                "portfolio re-scored"
            );
            writeln!(
                stdout,
                "Rescored {} clients, {} changed quadrant, in {elapsed} ms",
                outcome.rescored, outcome.changed_quadrant
            )?;
        }
        Command::Recheck => {
            let db = startup::connect(&cli.settings).await?;
            if cli.settings.migrate_on_start {
                db::migrate(&db).await.context("applying migrations")?;
            }
            let (tokens, _) = startup::token_service(&cli.settings)?;
            let state = startup::app_state(&cli.settings, db, tokens, db::reads::Reads::none());
            if state.providers.enabled.is_empty() {
                anyhow::bail!("no registry is enabled: set KAIM_<PROVIDER>_API_KEY for one");
            }
            let started = std::time::Instant::now();
            let Some(summary) = kaim::recheck::once(&state)
                .await
                .map_err(startup::app_error)?
            else {
                anyhow::bail!("another kaim instance is re-checking now; try again later");
            };
            let elapsed = started.elapsed().as_millis();
            tracing::info!(
                clients = summary.clients,
                answered = summary.answered,
                failed = summary.failed,
                status_changes = summary.status_changes,
                elapsed_ms = elapsed,
                "registry re-check done"
            );
            writeln!(stdout, "Registry re-check: {summary}, in {elapsed} ms")?;
        }
    }
    Ok(())
}
