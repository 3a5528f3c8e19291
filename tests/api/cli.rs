//! The `kaim` binary: first start on the embedded default, minting tokens, printing the schema.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use serde_json::{Value, json};

/// Kills the server when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn kaim(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kaim"));
    command
        .env("KAIM_DATA_DIR", data_dir)
        .env("KAIM_LISTEN", "127.0.0.1:0")
        .env_remove("KAIM_DATABASE_URL")
        .env_remove("KAIM_JWT_SECRET")
        .env("RUST_LOG", "warn");
    command
}

async fn me(url: &str, token: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{url}graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { name role } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Starts `kaim serve` for the first time in `command`'s data dir: the server, its URL and
/// the administrator's token it printed.
fn first_start(mut command: Command) -> (Server, String, String) {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut url = None;
    let mut token = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("GraphiQL: ") {
            url = Some(rest.trim().to_owned());
        } else if line.starts_with("ey") {
            token = Some(line.trim().to_owned());
            break;
        }
    }
    (
        server,
        url.expect("GraphiQL URL printed"),
        token.expect("token printed"),
    )
}

#[tokio::test]
async fn the_first_start_generates_a_secret_and_prints_a_working_admin_token() {
    let dir = tempfile::tempdir().unwrap();
    let (server, url, token) = first_start(kaim(dir.path()));
    let body = me(&url, &token).await;
    assert_eq!(body["data"]["me"]["role"], "ADMIN", "{body}");

    let secret = dir.path().join("jwt-secret");
    assert!(
        dir.path().join("kaim.db").exists(),
        "the SQLite file lives in the data dir"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the secret is readable by its owner only"
        );
    }

    // `kaim token` prints only a token, signed with the same stored secret.
    let output = kaim(dir.path())
        .args(["token", "--role", "ANALYST", "--ttl", "1h"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "only the token: {stdout:?}");
    let body = me(&url, stdout.trim()).await;
    assert_eq!(body["data"]["me"]["role"], "ANALYST", "{body}");
    drop(server);
}

#[tokio::test]
async fn a_configured_secret_is_never_printed_and_no_token_is_offered() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-configured-secret-of-sufficient-length-1234567890";
    let mut settings = crate::helpers::test_settings(dir.path().to_path_buf(), None);
    settings.jwt.secret = Some(secret.to_owned().into());
    let (_, first_start) = kaim::startup::Application::build(settings).await.unwrap();
    assert!(first_start.is_none());
    assert!(!dir.path().join("jwt-secret").exists());

    // Restarting on a generated secret offers no new token either.
    let settings = crate::helpers::test_settings(dir.path().to_path_buf(), None);
    let mut settings_generated = settings.clone();
    settings_generated.jwt.secret = None;
    let (_, first) = kaim::startup::Application::build(settings_generated.clone())
        .await
        .unwrap();
    assert!(first.is_some());
    let (_, again) = kaim::startup::Application::build(settings_generated)
        .await
        .unwrap();
    assert!(again.is_none(), "only the first start prints a token");
}

#[test]
fn the_schema_subcommand_prints_the_committed_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let output = kaim(dir.path()).arg("schema").output().unwrap();
    assert!(output.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), committed);
}

#[test]
fn minting_a_token_with_an_unknown_role_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let output = kaim(dir.path())
        .args(["token", "--role", "ROOT"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("ADMIN, MANAGER, ANALYST or INTEGRATOR")
    );
}

#[tokio::test]
async fn on_sigterm_requests_in_flight_finish_new_connections_are_refused_and_kaim_exits_0() {
    use wiremock::{Mock, MockServer, matchers::path};

    let registry = MockServer::start().await;
    let lei = "INR2EJN1ERAN0W5ZP974";
    Mock::given(path(format!("/lei-records/{lei}")))
        .respond_with(
            crate::helpers::json_body(
                200,
                crate::helpers::registry_fixture(&format!("gleif/lei_record_{lei}.json")),
            )
            .set_delay(std::time::Duration::from_secs(11)),
        )
        .mount(&registry)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut command = kaim(dir.path());
    command
        .env("KAIM_GLEIF_BASE_URL", registry.uri())
        .env("KAIM_QUERY_TIMEOUT", "30s")
        .env("KAIM_SHUTDOWN_GRACE", "20s");
    let (mut server, url, token) = first_start(command);
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{url}graphql"))
        .bearer_auth(&token)
        .json(&json!({
            "query": "mutation($input: CreateClientInput!) { createClient(input: $input) { id } }",
            "variables": { "input": { "name": "Slow Registry", "registryIds": [{ "scheme": "LEI", "value": lei }] } },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["createClient"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A request that takes 11 seconds, longer than actix-web's own grace, the registry being
    // slow...
    let in_flight = tokio::spawn({
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            client
                .post(format!("{url}graphql"))
                .bearer_auth(token)
                .json(&json!({
                    "query": "mutation($id: ID!) { enrichClient(clientId: $id) { sources { source ok } } }",
                    "variables": { "id": id },
                }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    // ...is running when the server is told to stop.
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let refused = reqwest::Client::new()
        .get(format!("{url}health"))
        .timeout(std::time::Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "a new connection was served: {refused:?}");

    let body = in_flight.await.unwrap();
    assert_eq!(
        body["data"]["enrichClient"]["sources"][0]["ok"], true,
        "the request in flight finished: {body}"
    );
    let status = server.0.wait().unwrap();
    assert!(status.success(), "kaim exited with {status}");
    // The write-ahead log was checkpointed into the database on the way out.
    let wal = std::fs::metadata(dir.path().join("kaim.db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "kaim.db-wal left at {wal} bytes");
}
