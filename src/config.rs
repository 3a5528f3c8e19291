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

    /// Largest number of pooled database connections per instance (to the primary, and to
    /// each read replica).
    #[arg(long, env = "KAIM_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,

    /// Read replicas of the database, comma-separated: read-only GraphQL operations and the
    /// exports run on them in turn; writes, and a writer's reads for a while, on the primary.
    #[arg(
        long = "database-read-url",
        env = "KAIM_DATABASE_READ_URL",
        value_delimiter = ','
    )]
    pub database_read_urls: Vec<String>,

    /// How long after a user's write their reads stay on the primary, so that a replica
    /// behind by less never shows them the state before it.
    #[arg(long, env = "KAIM_READ_YOUR_WRITES", default_value = "2s", value_parser = parse_duration)]
    pub read_your_writes: Duration,

    /// Apply pending migrations when the server starts.
    #[arg(long, env = "KAIM_MIGRATE_ON_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate_on_start: bool,

    #[command(flatten)]
    pub jwt: JwtSettings,

    #[command(flatten)]
    pub api: ApiSettings,

    #[command(flatten)]
    pub limits: LimitSettings,

    #[command(flatten)]
    pub http: HttpSettings,

    #[command(flatten)]
    pub scoring: ScoringSettings,

    #[command(flatten)]
    pub enrichment: crate::enrichment::EnrichmentSettings,

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

    /// JWKS URL of an identity provider (Keycloak, Auth0...) whose public keys verify RS256 or
    /// ES256 tokens, chosen by the token's `kid`. Replaces `KAIM_JWT_PUBLIC_KEY`.
    #[arg(long = "jwt-jwks-url", env = "KAIM_JWT_JWKS_URL")]
    pub jwks_url: Option<String>,

    /// Shortest time between two fetches of the JWKS caused by unknown `kid`s, in seconds.
    #[arg(
        long = "jwt-jwks-min-refresh",
        env = "KAIM_JWT_JWKS_MIN_REFRESH_SECONDS",
        default_value_t = 5
    )]
    pub jwks_min_refresh_seconds: u64,

    /// Age after which the JWKS is fetched again on the next request, in seconds.
    #[arg(
        long = "jwt-jwks-refresh",
        env = "KAIM_JWT_JWKS_REFRESH_SECONDS",
        default_value_t = 600
    )]
    pub jwks_refresh_seconds: u64,

    /// Where tokens carry the role: a claim name, or a dotted path into nested claims
    /// (`realm_access.roles` for Keycloak), whose value is a role or a list of roles. The first
    /// kaim role found wins; a token without one acts in its user's role in kaim.
    #[arg(
        long = "jwt-role-claim",
        env = "KAIM_JWT_ROLE_CLAIM",
        default_value = "role",
        value_parser = parse_role_claim
    )]
    pub role_claim: String,

    /// The identity provider's role names that stand for kaim roles, comma-separated
    /// (`kaim-admin=ADMIN,kaim-manager=MANAGER`); kaim's own role names need no entry.
    #[arg(
        long = "jwt-role-map",
        env = "KAIM_JWT_ROLE_MAP",
        value_delimiter = ',',
        value_parser = parse_role_mapping
    )]
    pub role_map: Vec<RoleMapping>,

    /// How long a token's user and revocation check is trusted before the database is asked
    /// again: the longest a revocation, a role change or a deleted user made on another
    /// instance goes unnoticed here (on the instance that made it, it holds at once). `0s`
    /// asks on every request.
    #[arg(long = "token-recheck", env = "KAIM_TOKEN_RECHECK", default_value = "1s", value_parser = parse_duration)]
    pub recheck: Duration,
}

/// A role name of the identity provider that stands for a kaim role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    /// The provider's name, compared case-insensitively.
    pub name: String,
    pub role: entity::enums::Role,
}

fn parse_role_claim(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.split('.').any(str::is_empty) {
        return Err(format!(
            "`{text}` is not a claim name or a dotted path such as `realm_access.roles`"
        ));
    }
    Ok(text.to_owned())
}

fn parse_role_mapping(text: &str) -> Result<RoleMapping, String> {
    let invalid = || format!("`{text}` is not a role mapping such as `kaim-admin=ADMIN`");
    let (name, role) = text.trim().split_once('=').ok_or_else(invalid)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid());
    }
    let role = crate::auth::parse_role(role.trim()).ok_or_else(|| {
        format!("`{role}` in `{text}` is not one of ADMIN, MANAGER, ANALYST, INTEGRATOR")
    })?;
    Ok(RoleMapping {
        name: name.to_owned(),
        role,
    })
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

/// What one request may ask of the server, and what production hides. Every limit answers
/// `QUERY_TOO_COMPLEX` naming the limit, before any resolver runs (the deadline excepted).
#[derive(Debug, Clone, Args)]
pub struct LimitSettings {
    /// Deepest nesting of fields in a query.
    #[arg(long, env = "KAIM_MAX_DEPTH", default_value_t = LimitSettings::DEFAULT.max_depth)]
    pub max_depth: usize,

    /// Largest query complexity: each field costs 1, and a connection costs its page size
    /// (`first` or `last`, default 20) times what is selected under it.
    #[arg(long, env = "KAIM_MAX_COMPLEXITY", default_value_t = LimitSettings::DEFAULT.max_complexity)]
    pub max_complexity: usize,

    /// Most aliased fields in an operation (fragments counted where they are spread).
    #[arg(long, env = "KAIM_MAX_ALIASES", default_value_t = LimitSettings::DEFAULT.max_aliases)]
    pub max_aliases: usize,

    /// Most fields at the root of an operation.
    #[arg(long, env = "KAIM_MAX_ROOT_FIELDS", default_value_t = LimitSettings::DEFAULT.max_root_fields)]
    pub max_root_fields: usize,

    /// Most directives in an operation (fragments counted where they are spread).
    #[arg(long, env = "KAIM_MAX_DIRECTIVES", default_value_t = LimitSettings::DEFAULT.max_directives)]
    pub max_directives: usize,

    /// Most lexical tokens in a query document (comments and commas do not count).
    #[arg(long, env = "KAIM_MAX_TOKENS", default_value_t = LimitSettings::DEFAULT.max_tokens)]
    pub max_tokens: usize,

    /// Most characters in a query document.
    #[arg(long, env = "KAIM_MAX_QUERY_CHARS", default_value_t = LimitSettings::DEFAULT.max_query_chars)]
    pub max_query_chars: usize,

    /// Accept a JSON array of operations in one POST.
    #[arg(long, env = "KAIM_ALLOW_BATCH", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_batch: bool,

    /// Most operations in one batch, when batches are allowed.
    #[arg(long, env = "KAIM_MAX_BATCH", default_value_t = LimitSettings::DEFAULT.max_batch)]
    pub max_batch: usize,

    /// Longest a single operation may run, such as `10s` or `500ms`.
    #[arg(long, env = "KAIM_QUERY_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub query_timeout: Duration,

    /// Production hardening: no field suggestions in errors, and no introspection except for
    /// ADMIN tokens.
    #[arg(long, env = "KAIM_PRODUCTION", default_value_t = false, action = clap::ArgAction::Set)]
    pub production: bool,
}

impl LimitSettings {
    /// The defaults, as the environment gives them when nothing is set.
    pub const DEFAULT: Self = Self {
        max_depth: 12,
        max_complexity: 10_000,
        max_aliases: 30,
        max_root_fields: 20,
        max_directives: 50,
        max_tokens: 10_000,
        max_query_chars: 100_000,
        allow_batch: false,
        max_batch: 10,
        query_timeout: Duration::from_secs(10),
        production: false,
    };
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// HTTP-level policy: which other origins may call the API from a browser, and how long a
/// stopping server lets requests finish.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
    /// Origins allowed to call the API from a browser (CORS), comma-separated, such as
    /// `https://crm.example.com`; empty allows no cross-origin access.
    #[arg(long, env = "KAIM_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,
    /// On SIGTERM or SIGINT, how long requests in flight may still run (whole seconds, such
    /// as `30s`); new connections are refused meanwhile.
    #[arg(long, env = "KAIM_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// How many GraphQL operations run at once (default: four per core); more wait their
    /// turn, in arrival order. Past what keeps the cores and the database busy, more at once
    /// only add memory (each holds its answer being built) and latency.
    #[arg(long, env = "KAIM_MAX_OPERATIONS", default_value_t = HttpSettings::default_max_operations())]
    pub max_operations: usize,
}

impl HttpSettings {
    /// Four operations per core: enough to cover the waits on the database (measured on two
    /// cores: 8 at once served the rig's Q2 a third faster than 32 at once, in less memory).
    #[must_use]
    pub fn default_max_operations() -> usize {
        std::thread::available_parallelism().map_or(8, |cores| cores.get() * 4)
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(30),
            max_operations: Self::default_max_operations(),
        }
    }
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

/// A browser origin: `http` or `https`, a host and an optional port, nothing else.
fn parse_origin(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let invalid = || format!("`{text}` is not an origin such as `https://crm.example.com`");
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(invalid)?;
    let valid = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if valid {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(invalid())
    }
}

fn parse_secret(text: &str) -> Result<SecretString, String> {
    if text.len() < 32 {
        return Err("the JWT secret must be at least 32 characters".into());
    }
    Ok(SecretString::from(text.to_owned()))
}

/// How KAISM derives factors from the data.
#[derive(Debug, Clone, Args)]
pub struct ScoringSettings {
    /// Trailing window, in months, over which orders count for the derived factors.
    #[arg(long = "scoring-window-months", env = "KAIM_SCORING_WINDOW_MONTHS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub window_months: u32,

    /// Conversion rates into the base currency, such as `EUR=1,USD=0.92,RUB=0.0101`. Order
    /// volume in a currency without a rate is ranked among the clients ordering in that
    /// currency.
    #[arg(long = "scoring-rates", env = "KAIM_SCORING_RATES", value_delimiter = ',', value_parser = parse_rate)]
    pub rates: Vec<CurrencyRate>,

    /// The currency the rates convert into.
    #[arg(
        long = "scoring-base-currency",
        env = "KAIM_SCORING_BASE_CURRENCY",
        default_value = "EUR"
    )]
    pub base_currency: String,

    /// Re-score every current client this often (`6h`, `1d`), on one instance at a time;
    /// unset (the default) never re-scores on a schedule.
    #[arg(long = "rescore-interval", env = "KAIM_RESCORE_INTERVAL", value_parser = parse_duration)]
    pub rescore_interval: Option<Duration>,
}

impl Default for ScoringSettings {
    fn default() -> Self {
        Self {
            window_months: 12,
            rates: Vec::new(),
            base_currency: "EUR".into(),
            rescore_interval: None,
        }
    }
}

impl ScoringSettings {
    /// The rate of `currency` into the base currency, if configured.
    #[must_use]
    pub fn rate(&self, currency: &str) -> Option<f64> {
        if currency.eq_ignore_ascii_case(&self.base_currency) {
            return Some(1.0);
        }
        self.rates
            .iter()
            .find(|r| r.currency.eq_ignore_ascii_case(currency))
            .map(|r| r.rate)
    }
}

/// One conversion rate: an amount in `currency` times `rate` is in the base currency.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyRate {
    pub currency: String,
    pub rate: f64,
}

fn parse_rate(text: &str) -> Result<CurrencyRate, String> {
    let invalid = || format!("`{text}` is not a rate such as `USD=0.92`");
    let (currency, rate) = text.trim().split_once('=').ok_or_else(invalid)?;
    let currency = currency.trim().to_ascii_uppercase();
    let rate: f64 = rate.trim().parse().map_err(|_| invalid())?;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid());
    }
    if !(rate.is_finite() && rate > 0.0) {
        return Err(format!("the rate of {currency} must be a positive number"));
    }
    Ok(CurrencyRate { currency, rate })
}
