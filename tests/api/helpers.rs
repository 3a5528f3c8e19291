//! The test harness: the real server on port 0 over a fresh database (an SQLite file, or a new
//! PostgreSQL database when `KAIM_TEST_POSTGRES_URL` is set), driven over HTTP.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use entity::enums::Role;
use kaim::{
    auth::Principal,
    config::{
        ApiSettings, HttpSettings, JwtAlgorithm, JwtSettings, LimitSettings, LogFormat, Settings,
    },
    db,
    startup::{self, Application},
};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

/// The HS256 secret every test app signs with.
pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256-0123456789";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// Statements the server has run since the last [`TestApp::reset_statements`].
    pub statements: Arc<AtomicUsize>,
    /// Their SQL, for failure messages.
    pub statement_log: Arc<std::sync::Mutex<Vec<String>>>,
    pub settings: Settings,
    /// A token of an ADMIN user.
    pub admin_token: String,
    pub admin_id: Uuid,
    _data_dir: TempDir,
}

/// Settings for a test app: port 0, a temporary data dir, a fixed secret.
pub fn test_settings(data_dir: PathBuf, database_url: Option<String>) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir,
        database_url,
        database_max_connections: 8,
        database_read_urls: Vec::new(),
        read_your_writes: Duration::from_secs(2),
        migrate_on_start: true,
        jwt: JwtSettings {
            secret: Some(SecretString::from(SECRET.to_owned())),
            algorithm: JwtAlgorithm::Hs256,
            public_key: None,
            issuer: "kaim".into(),
            audience: "kaim".into(),
            leeway_seconds: 5,
            jwks_url: None,
            jwks_min_refresh_seconds: 5,
            jwks_refresh_seconds: 600,
            role_claim: "role".into(),
            role_map: Vec::new(),
            recheck: Duration::from_secs(1),
        },
        api: ApiSettings {
            graphiql: true,
            max_page_size: 100,
            import_max_rows: 1000,
            body_limit: 4 * 1024 * 1024,
        },
        limits: LimitSettings::default(),
        http: HttpSettings::default(),
        scoring: kaim::config::ScoringSettings::default(),
        enrichment: test_enrichment_settings(),
        log_format: LogFormat::Text,
    }
}

/// Registry settings for tests: every base URL points nowhere (the discard port), no keys, so
/// only the keyless GLEIF is enabled and fails fast; tests set base URLs to a mock server.
/// Backoffs are in milliseconds so that failing registries do not slow the suite down.
pub fn test_enrichment_settings() -> kaim::enrichment::EnrichmentSettings {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        enrichment: kaim::enrichment::EnrichmentSettings,
    }
    let nowhere = "http://127.0.0.1:9";
    <Cli as clap::Parser>::try_parse_from([
        "kaim",
        "--gleif-base-url",
        nowhere,
        "--companies-house-base-url",
        nowhere,
        "--dadata-base-url",
        nowhere,
        "--sec-edgar-base-url",
        nowhere,
        "--checko-base-url",
        nowhere,
        "--connect-timeout",
        "500ms",
        "--request-timeout",
        "2s",
        "--max-retries",
        "1",
        "--backoff-base",
        "5ms",
        "--backoff-max",
        "20ms",
        "--retry-budget",
        "5s",
        "--breaker-threshold",
        "100",
    ])
    .expect("test enrichment settings")
    .enrichment
}

/// A fresh PostgreSQL database on the server of `KAIM_TEST_POSTGRES_URL`, or none.
pub async fn fresh_postgres() -> Option<String> {
    let base = std::env::var("KAIM_TEST_POSTGRES_URL").ok()?;
    let admin = sea_orm::Database::connect(&base)
        .await
        .expect("connect to PostgreSQL");
    let name = format!("kaim_test_{}", Uuid::now_v7().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    Some(format!("{prefix}/{name}"))
}

/// A server just started by [`serve`], before a test app is made of it.
struct Running {
    address: String,
    db: DatabaseConnection,
    statements: Arc<AtomicUsize>,
    statement_log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Running {
    fn into_app(
        self,
        settings: Settings,
        admin_token: String,
        admin_id: Uuid,
        data_dir: TempDir,
    ) -> TestApp {
        TestApp {
            address: self.address,
            client: reqwest::Client::new(),
            db: self.db,
            statements: self.statements,
            statement_log: self.statement_log,
            settings,
            admin_token,
            admin_id,
            _data_dir: data_dir,
        }
    }
}

/// Connects to the database of `settings` through a connection that counts statements and
/// starts a server on it.
async fn serve(settings: &Settings) -> Running {
    let mut db = startup::connect(settings).await.expect("connect");
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&statements);
    let statement_log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&statement_log);
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut log) = log.lock() {
            log.push(info.statement.sql.chars().take(160).collect());
        }
    });
    let (app, _) = Application::build_with_db(settings.clone(), db.clone())
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Running {
        address,
        db,
        statements,
        statement_log,
    }
}

impl TestApp {
    /// Starts the server with default test settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server for counting the statements of queries: the admin token's check is made
    /// once here and then trusted for an hour, so that counts are of the queries alone.
    pub async fn spawn_counting() -> Self {
        let app = Self::spawn_with(|s| s.jwt.recheck = Duration::from_secs(3600)).await;
        app.data("{ me { name } }", serde_json::json!({})).await;
        app
    }

    /// Starts the server after `configure` has adjusted the settings.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> Self {
        // Logs only when asked for (`TEST_LOG=1`), as libtest does not capture them.
        if std::env::var_os("TEST_LOG").is_some() {
            kaim::telemetry::init(LogFormat::Text);
        }
        let data_dir = tempfile::tempdir().expect("temp dir");
        let database_url = fresh_postgres().await;
        let mut settings = test_settings(data_dir.path().to_path_buf(), database_url);
        configure(&mut settings);
        let running = serve(&settings).await;
        let admin = db::users::insert(
            &running.db,
            db::users::NewUser {
                name: "Test Admin".into(),
                email: Some("admin@example.com".into()),
                role: Role::Admin,
            },
        )
        .await
        .map_err(|e| e.message())
        .expect("admin user");
        let (tokens, _) = startup::token_service(&settings).expect("tokens");
        // With public-key verification kaim cannot mint; such tests sign their own tokens.
        let admin_token = tokens
            .mint(
                Principal {
                    user_id: admin.id,
                    role: Role::Admin,
                },
                Duration::from_secs(3600),
            )
            .unwrap_or_default();
        running.into_app(settings, admin_token, admin.id, data_dir)
    }

    /// Starts another instance on this app's database, as a second server behind a load
    /// balancer would run; the same administrator's token works on both.
    pub async fn spawn_beside(&self) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = self.settings.clone();
        if settings.database_url.is_none() {
            settings.database_url = Some(self.settings.database_url());
        }
        settings.data_dir = data_dir.path().to_path_buf();
        serve(&settings)
            .await
            .into_app(settings, self.admin_token.clone(), self.admin_id, data_dir)
    }

    /// Creates a user with `role` and returns a token for them and their global id.
    pub async fn user_token(&self, role: Role, name: &str) -> (String, String) {
        let user = db::users::insert(
            &self.db,
            db::users::NewUser {
                name: name.into(),
                email: None,
                role,
            },
        )
        .await
        .map_err(|e| e.message())
        .expect("user");
        let (tokens, _) = startup::token_service(&self.settings).expect("tokens");
        let token = tokens
            .mint(
                Principal {
                    user_id: user.id,
                    role,
                },
                Duration::from_secs(3600),
            )
            .expect("mint");
        let id = kaim::graphql::node::encode(kaim::graphql::node::Kind::User, user.id).0;
        (token, id)
    }

    /// POSTs a GraphQL request with `token` and returns the JSON body.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("JSON body")
    }

    /// POSTs a GraphQL request as the administrator.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(&self.admin_token, query, variables).await
    }

    /// POSTs as the administrator and returns `data`, failing the test on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// Creates a client from `input` and returns its id.
    pub async fn create_client(&self, input: Value) -> String {
        let data = self
            .data(
                "mutation($input: CreateClientInput!) { createClient(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        data["createClient"]["id"].as_str().expect("id").to_owned()
    }

    /// Creates `count` clients named `{prefix} {i}` and returns their ids.
    pub async fn create_clients(&self, prefix: &str, count: usize) -> Vec<String> {
        let mut ids = Vec::with_capacity(count);
        for i in 0..count {
            ids.push(
                self.create_client(json!({ "name": format!("{prefix} {i}") }))
                    .await,
            );
        }
        ids
    }

    /// Starts counting statements from zero.
    pub fn reset_statements(&self) {
        self.statements.store(0, Ordering::SeqCst);
        if let Ok(mut log) = self.statement_log.lock() {
            log.clear();
        }
    }

    /// Statements run since the last reset.
    pub fn statement_count(&self) -> usize {
        self.statements.load(Ordering::SeqCst)
    }

    /// The SQL of the statements run since the last reset.
    pub fn statements_run(&self) -> Vec<String> {
        self.statement_log
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }
}

/// The `extensions.code` of the first error of a response.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body:#}"))
}

/// The `extensions.field` of the first error of a response.
pub fn error_field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field in {body:#}"))
}

/// Polls until `done` holds, for at most 20 seconds.
pub async fn eventually<F, Fut>(mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the condition did not hold within 20 seconds");
}

/// A file under `tests/fixtures/`.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A registry answer from `tests/fixtures/registries/`, as text.
pub fn registry_fixture(name: &str) -> String {
    let path = fixture_path(&format!("registries/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A registry answer from `tests/fixtures/registries/`, parsed.
pub fn registry_fixture_json(name: &str) -> Value {
    serde_json::from_str(&registry_fixture(name)).unwrap()
}

/// A mock registry response: `body` as JSON with `status`.
pub fn json_body(status: u16, body: impl Into<String>) -> wiremock::ResponseTemplate {
    wiremock::ResponseTemplate::new(status).set_body_raw(body.into(), "application/json")
}

/// A current client named `name` in GB retail, managed by `manager`, written straight to the
/// database.
pub async fn insert_client(app: &TestApp, name: &str, manager: Option<Uuid>) -> Uuid {
    insert_client_into(&app.db, name, manager).await
}

/// As [`insert_client`], into any database.
pub async fn insert_client_into(
    db: &DatabaseConnection,
    name: &str,
    manager: Option<Uuid>,
) -> Uuid {
    db::clients::insert(
        db,
        db::clients::NewClient {
            name: name.into(),
            legal_name: None,
            industry_code: None,
            industry: Some("Retail".into()),
            country: Some("GB".into()),
            region: None,
            employees: None,
            revenue_band: None,
            markets: vec![],
            strategic_plans: None,
            website: None,
            status: entity::enums::ClientStatus::Active,
            manager_id: manager,
        },
        &[],
    )
    .await
    .map_err(|e| e.message())
    .unwrap()
    .id
}
