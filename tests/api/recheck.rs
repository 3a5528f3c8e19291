//! Registry re-checks: a registry status change recorded in the client's history, by
//! `enrichClient`, by the schedule (`KAIM_RECHECK_INTERVAL`) and by `kaim recheck`, and which
//! clients a round picks.

use std::{process::Command, time::Duration};

use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer,
    matchers::{body_partial_json, method, path},
};

use crate::{
    enrichment_api::{INN, registries_at, serve_dadata},
    helpers::{TestApp, eventually, json_body, registry_fixture},
};

/// A valid INN no registry fixture knows.
const UNKNOWN_INN: &str = "7700000009";
/// Sberbank's INN, served failing in these tests.
const FAILING_INN: &str = "7707083893";

const ENRICH: &str = r"
mutation($id: ID!) {
  enrichClient(clientId: $id) {
    sources { source ok statusChangedFrom check { registryStatus } }
  }
}";

const HISTORY: &str = r"
query($id: ID!) { node(id: $id) { ... on Client {
  history(first: 50) { nodes { action entityType actor { name } changes { field before after } } }
} } }";

/// DaData answering about `INN` with the company in liquidation.
async fn serve_dadata_liquidating(server: &MockServer) {
    let body = registry_fixture("dadata/findById_party_7704123450_example_full.json")
        .replace(r#""status": "ACTIVE""#, r#""status": "LIQUIDATING""#);
    assert!(
        body.contains("LIQUIDATING"),
        "the fixture's status was replaced"
    );
    Mock::given(method("POST"))
        .and(path("/findById/party"))
        .and(body_partial_json(json!({ "query": INN })))
        .respond_with(json_body(200, body))
        .mount(server)
        .await;
}

/// Registries at `server`, nothing cached, so every enrichment asks again.
fn uncached(server: &MockServer) -> impl FnOnce(&mut kaim::config::Settings) {
    let registries = registries_at(server);
    move |settings| {
        registries(settings);
        settings.enrichment.cache_ttl = Duration::ZERO;
    }
}

async fn status_changes(app: &TestApp, id: &str) -> Vec<Value> {
    let data = app.data(HISTORY, json!({ "id": id })).await;
    data["node"]["history"]["nodes"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["action"] == "REGISTRY_STATUS_CHANGE")
        .cloned()
        .collect()
}

fn dadata(result: &Value) -> &Value {
    result["enrichClient"]["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == "dadata")
        .expect("a DaData source")
}

#[tokio::test]
async fn a_registry_status_change_is_reported_and_recorded_in_the_client_history() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    let app = TestApp::spawn_with(uncached(&server)).await;
    let id = app
        .create_client(json!({
            "name": "Primer",
            "registryIds": [{ "scheme": "RU_INN", "value": INN }],
        }))
        .await;

    let first = app.data(ENRICH, json!({ "id": id })).await;
    assert_eq!(dadata(&first)["check"]["registryStatus"], "active");
    assert_eq!(dadata(&first)["statusChangedFrom"], Value::Null);

    server.reset().await;
    serve_dadata_liquidating(&server).await;
    let second = app.data(ENRICH, json!({ "id": id })).await;
    assert_eq!(dadata(&second)["check"]["registryStatus"], "liquidating");
    assert_eq!(dadata(&second)["statusChangedFrom"], "ACTIVE");

    let third = app.data(ENRICH, json!({ "id": id })).await;
    assert_eq!(
        dadata(&third)["statusChangedFrom"],
        Value::Null,
        "the same status again is no change"
    );

    let changes = status_changes(&app, &id).await;
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["entityType"], "FINANCIAL_CHECK");
    assert_eq!(
        changes[0]["changes"],
        json!([{ "field": "registryStatus", "before": "active", "after": "liquidating" }])
    );
    assert_eq!(changes[0]["actor"]["name"], "Test Admin");
}

#[tokio::test]
async fn the_schedule_rechecks_clients_and_records_a_status_change() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    let configure = uncached(&server);
    let app = TestApp::spawn_with(|settings| {
        configure(settings);
        let e = &mut settings.enrichment;
        e.recheck_interval = Some(Duration::from_millis(100));
        e.recheck_max_age = Duration::ZERO;
    })
    .await;
    let id = app
        .create_client(json!({
            "name": "Primer",
            "registryIds": [{ "scheme": "RU_INN", "value": INN }],
        }))
        .await;
    let checked_as = |status: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            let data = app
                .data(
                    r"query($id: ID!) { node(id: $id) { ... on Client {
                        financialChecks(first: 1) { nodes { registryStatus } } } } }",
                    json!({ "id": id }),
                )
                .await;
            data["node"]["financialChecks"]["nodes"][0]["registryStatus"] == status
        }
    };
    // Nobody enriches the client: the schedule does.
    eventually(|| checked_as("active")).await;

    server.reset().await;
    serve_dadata_liquidating(&server).await;
    eventually(|| checked_as("liquidating")).await;
    eventually(|| async { !status_changes(&app, &id).await.is_empty() }).await;

    let changes = status_changes(&app, &id).await;
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["actor"]["name"], "kaim (automatic re-checks)");
    assert_eq!(changes[0]["changes"][0]["after"], "liquidating");
}

/// `kaim recheck` against `app`'s database, with DaData at `server`; returns its output line.
fn kaim_recheck(app: &TestApp, server: &MockServer, extra: &[(&str, &str)]) -> String {
    let data_dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_kaim"));
    command
        .arg("recheck")
        .env("KAIM_DATA_DIR", data_dir.path())
        .env("KAIM_DATABASE_URL", app.settings.database_url())
        .env("KAIM_JWT_SECRET", "a-test-secret-of-at-least-32-bytes!!")
        .env("KAIM_GLEIF_BASE_URL", server.uri())
        .env("KAIM_DADATA_BASE_URL", server.uri())
        .env("KAIM_DADATA_API_KEY", "dadata-test-key")
        .env("KAIM_ENRICHMENT_MAX_RETRIES", "0")
        .env("RUST_LOG", "warn");
    for variable in [
        "KAIM_COMPANIES_HOUSE_API_KEY",
        "KAIM_CHECKO_API_KEY",
        "KAIM_SEC_EDGAR_USER_AGENT",
    ] {
        command.env_remove(variable);
    }
    for (name, value) in extra {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "kaim recheck failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[tokio::test]
async fn kaim_recheck_asks_about_due_clients_only_and_retries_passing_failures_sooner() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    Mock::given(method("POST"))
        .and(path("/findById/party"))
        .and(body_partial_json(json!({ "query": UNKNOWN_INN })))
        .respond_with(json_body(
            200,
            registry_fixture("dadata/findById_party_not_found.json"),
        ))
        .mount(&server)
        .await;
    let app = TestApp::spawn_with(registries_at(&server)).await;
    let with_inn = |name: &'static str, inn: &'static str| json!({ "name": name, "registryIds": [{ "scheme": "RU_INN", "value": inn }] });
    let primer = app.create_client(with_inn("Primer", INN)).await;
    app.create_client(with_inn("Unknown to the registry", UNKNOWN_INN))
        .await;
    let archived = app.create_client(with_inn("Archived", "7701234560")).await;
    app.data(
        "mutation($id: ID!) { archiveClient(id: $id, version: 1) { id } }",
        json!({ "id": archived }),
    )
    .await;
    // Companies House is disabled (no key): nothing looks this client up.
    app.create_client(json!({
        "name": "British",
        "registryIds": [{ "scheme": "GB_COMPANY_NUMBER", "value": "00445790" }],
    }))
    .await;

    let first = kaim_recheck(&app, &server, &[]);
    assert!(
        first.contains("re-checked 2 clients: 1 answered, 1 failed"),
        "{first}"
    );
    let again = kaim_recheck(&app, &server, &[]);
    assert!(
        again.contains("re-checked 0 clients"),
        "an answer and a definite not-found wait for the full age: {again}"
    );

    // A registry failing on its side: the client is tried again after the retry delay.
    let failing = app.create_client(with_inn("Failing", FAILING_INN)).await;
    Mock::given(method("POST"))
        .and(path("/findById/party"))
        .and(body_partial_json(json!({ "query": FAILING_INN })))
        .respond_with(json_body(503, "{}"))
        .mount(&server)
        .await;
    let failed = kaim_recheck(&app, &server, &[("KAIM_RECHECK_RETRY_AFTER", "0s")]);
    assert!(
        failed.contains("re-checked 1 clients: 0 answered, 1 failed"),
        "{failed}"
    );
    let soon = kaim_recheck(&app, &server, &[]);
    assert!(
        soon.contains("re-checked 1 clients: 0 answered, 1 failed"),
        "retried once the delay passed: {soon}"
    );
    let later = kaim_recheck(&app, &server, &[]);
    assert!(later.contains("re-checked 0 clients"), "{later}");

    // Each client shows its latest re-check.
    let recheck = |id: String| {
        let app = &app;
        async move {
            app.data(
                r"query($id: ID!) { node(id: $id) { ... on Client {
                    registryRecheck { attemptedAt answered error nextDueAt } } } }",
                json!({ "id": id }),
            )
            .await["node"]["registryRecheck"]
                .clone()
        }
    };
    let answered = recheck(primer).await;
    assert_eq!(answered["answered"], true, "{answered}");
    assert_eq!(answered["error"], Value::Null);
    let failed = recheck(failing).await;
    assert_eq!(failed["answered"], false, "{failed}");
    assert!(
        failed["error"].as_str().unwrap().contains("dadata"),
        "the failing registry is named: {failed}"
    );
    assert!(failed["nextDueAt"].as_str().unwrap() > failed["attemptedAt"].as_str().unwrap());
}
