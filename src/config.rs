//! One typed `Settings` tree, read once from the environment (or flags) in `main` and passed by
//! value. Tests build it in code.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum};
use secrecy::SecretString;

/// Everything the server needs to start. Each field is a `KAIM_*` environment variable and a
/// flag of the same name.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the HTTP server listens on (`host:port`; port 0 picks a free one).
    #[arg(long, env = "KAIM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory for the embedded database and the generated signing secret.
    #[arg(long, env = "KAIM_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL (`sqlite://...` or `postgres://...`); defaults to `kaim.db` in the data dir.
    #[arg(long, env = "KAIM_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Largest number of pooled database connections per instance.
    #[arg(long, env = "KAIM_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Apply pending migrations when the server starts.
    #[arg(long, env = "KAIM_MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate_on_start: bool,

    #[command(flatten)]
    pub jwt: JwtSettings,

    #[command(flatten)]
    pub api: ApiSettings,

    /// Log output: human-readable text or one JSON object per line.
    #[arg(long, env = "KAIM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How tokens are verified and minted.
#[derive(Debug, Clone, Args)]
pub struct JwtSettings {
    /// HS256 signing secret. When unset, one is generated on first start and kept in the data
    /// dir as `jwt-secret` (readable by its owner only).
    #[arg(long = "jwt-secret", env = "KAIM_JWT_SECRET", value_parser = parse_secret, hide_env_values = true)]
    pub secret: Option<SecretString>,

    /// Signature algorithm accepted; exactly one, so that keys cannot be confused.
    #[arg(long = "jwt-algorithm", env = "KAIM_JWT_ALGORITHM", value_enum, default_value_t = JwtAlgorithm::Hs256)]
    pub algorithm: JwtAlgorithm,

    /// PEM file with the public key for RS256 or ES256 tokens (minted elsewhere).
    #[arg(long = "jwt-public-key", env = "KAIM_JWT_PUBLIC_KEY")]
    pub public_key: Option<PathBuf>,

    /// Expected `iss` claim; tokens kaim mints carry it.
    #[arg(long = "jwt-issuer", env = "KAIM_JWT_ISSUER", default_value = "kaim")]
    pub issuer: String,

    /// Expected `aud` claim; tokens kaim mints carry it.
    #[arg(
        long = "jwt-audience",
        env = "KAIM_JWT_AUDIENCE",
        default_value = "kaim"
    )]
    pub audience: String,

    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[arg(
        long = "jwt-leeway",
        env = "KAIM_JWT_LEEWAY_SECONDS",
        default_value_t = 30
    )]
    pub leeway_seconds: u64,
}

/// Limits and switches of the GraphQL endpoint.
#[derive(Debug, Clone, Args)]
pub struct ApiSettings {
    /// Serve the GraphiQL IDE at `/`.
    #[arg(long, env = "KAIM_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,

    /// Largest `first`/`last` a connection accepts; more is an error, never a silent cut.
    #[arg(long, env = "KAIM_MAX_PAGE_SIZE", default_value_t = 100)]
    pub max_page_size: u32,

    /// Largest number of rows one `importInteractions` call accepts.
    #[arg(long, env = "KAIM_IMPORT_MAX_ROWS", default_value_t = 1000)]
    pub import_max_rows: u32,

    /// Largest request body, in bytes.
    #[arg(long, env = "KAIM_BODY_LIMIT", default_value_t = 4 * 1024 * 1024)]
    pub body_limit: usize,
}

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The one JWT signature algorithm the server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JwtAlgorithm {
    #[value(name = "HS256")]
    Hs256,
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "ES256")]
    Es256,
}

impl Settings {
    /// The database to use: the configured URL, or the embedded SQLite file in the data dir.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("kaim.db").display()
            )
        })
    }
}

/// How long a minted token lives, from a human duration such as `90d` or `12h`.
///
/// # Errors
/// When the text is not a duration.
pub fn parse_duration(text: &str) -> Result<Duration, humantime::DurationError> {
    humantime::parse_duration(text)
}

fn parse_secret(text: &str) -> Result<SecretString, String> {
    if text.len() < 32 {
        return Err("the JWT secret must be at least 32 characters".into());
    }
    Ok(SecretString::from(text.to_owned()))
}
