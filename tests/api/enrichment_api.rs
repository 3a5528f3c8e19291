//! Registry enrichment through the GraphQL API: `enrichClient`, `registrySearch` and
//! `Client.registryProfile`, with the registries served by a local mock server from the
//! fixtures in `tests/fixtures/registries/`.

use entity::enums::Role;
use kaim::config::Settings;
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_partial_json, method, path, query_param},
};

use crate::helpers::{TestApp, error_code, error_field, json_body, registry_fixture};

pub(crate) const INN: &str = "7704123450";
const LEI: &str = "INR2EJN1ERAN0W5ZP974";

/// Points GLEIF, Companies House, DaData and Checko at `server`, with keys.
pub(crate) fn registries_at(server: &MockServer) -> impl FnOnce(&mut Settings) {
    let uri = server.uri();
    move |settings: &mut Settings| {
        let e = &mut settings.enrichment;
        let url: reqwest::Url = uri.parse().expect("mock URL");
        e.gleif_base_url = url.clone();
        e.companies_house_base_url = url.clone();
        e.dadata_base_url = url.clone();
        e.checko_base_url = url;
        e.companies_house_api_key = Some(SecretString::from("ch-test-key".to_owned()));
        e.dadata_api_key = Some(SecretString::from("dadata-test-key".to_owned()));
        e.checko_api_key = Some(SecretString::from("checko-test-key".to_owned()));
    }
}

pub(crate) async fn serve_dadata(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/findById/party"))
        .and(body_partial_json(json!({ "query": INN })))
        .respond_with(json_body(
            200,
            registry_fixture("dadata/findById_party_7704123450_example_full.json"),
        ))
        .mount(server)
        .await;
}

async fn serve_checko(server: &MockServer) {
    for (endpoint, file) in [
        ("company", "checko/company_inn_7704123450.json"),
        ("finances", "checko/finances_inn_7704123450.json"),
        ("legal-cases", "checko/legal_cases_inn_7704123450.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/{endpoint}")))
            .and(query_param("inn", INN))
            .respond_with(json_body(200, registry_fixture(file)))
            .mount(server)
            .await;
    }
    Mock::given(path("/contracts"))
        .and(query_param("law", "44"))
        .respond_with(json_body(
            200,
            registry_fixture("checko/contracts_44_supplier_inn_7704123450.json"),
        ))
        .mount(server)
        .await;
    Mock::given(path("/contracts"))
        .and(query_param("law", "223"))
        .respond_with(json_body(
            200,
            registry_fixture("checko/contracts_223_empty.json"),
        ))
        .mount(server)
        .await;
}

/// GLEIF failing on its side, whatever is asked.
async fn gleif_failing(server: &MockServer) {
    Mock::given(path(format!("/lei-records/{LEI}")))
        .respond_with(ResponseTemplate::new(500))
        .mount(server)
        .await;
}

/// An app whose registries are `server`, and a client with an INN and an LEI whose industry a
/// person already entered.
async fn app_with_client(server: &MockServer) -> (TestApp, String) {
    let app = TestApp::spawn_with(registries_at(server)).await;
    let id = app
        .create_client(json!({
            "name": "Primer",
            "industry": "Wholesale (entered by hand)",
            "registryIds": [
                { "scheme": "RU_INN", "value": INN },
                { "scheme": "LEI", "value": LEI },
            ],
        }))
        .await;
    (app, id)
}

const ENRICH: &str = r"
mutation($id: ID!, $force: Boolean) {
  enrichClient(clientId: $id, force: $force) {
    client { legalName country industry industryCode employees version }
    sources {
      source ok error cached retrievedAt
      check { source checkedAt fiscalYear currency revenue registryStatus litigationCount
              litigationAmount governmentContracts rawPayload }
    }
  }
}";

fn source<'a>(result: &'a Value, name: &str) -> &'a Value {
    result["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == name)
        .unwrap_or_else(|| panic!("no source {name} in {result:#}"))
}

async fn checks_of(app: &TestApp, id: &str) -> Vec<Value> {
    let data = app
        .data(
            r"query($id: ID!) { node(id: $id) { ... on Client {
                financialChecks(first: 50) { nodes { source checkedAt rawPayload } } } } }",
            json!({ "id": id }),
        )
        .await;
    data["node"]["financialChecks"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone()
}

async fn requests_to(server: &MockServer, endpoint: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == endpoint)
        .count()
}

#[tokio::test]
async fn enriching_keeps_every_answer_when_one_registry_fails() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    serve_checko(&server).await;
    gleif_failing(&server).await;
    let (app, id) = app_with_client(&server).await;

    let data = app.data(ENRICH, json!({ "id": id, "force": false })).await;
    let result = &data["enrichClient"];

    let gleif = source(result, "gleif");
    assert_eq!(gleif["ok"], false);
    assert!(
        gleif["error"].as_str().unwrap().contains("HTTP 500"),
        "{gleif:#}"
    );
    assert!(gleif["check"].is_null());

    let dadata = source(result, "dadata");
    assert_eq!(dadata["ok"], true, "{dadata:#}");
    assert_eq!(dadata["cached"], false);
    assert_eq!(dadata["check"]["source"], "dadata");
    assert_eq!(dadata["check"]["checkedAt"], dadata["retrievedAt"]);
    assert_eq!(dadata["check"]["registryStatus"], "active");
    assert_eq!(dadata["check"]["fiscalYear"], 2024);
    assert_eq!(dadata["check"]["currency"], "RUB");
    assert!(dadata["check"]["rawPayload"].is_object());

    let checko = source(result, "checko");
    assert_eq!(checko["ok"], true, "{checko:#}");
    assert_eq!(checko["check"]["litigationCount"], 2);
    assert_eq!(checko["check"]["litigationAmount"], "1750000.00");
    assert!(checko["check"]["governmentContracts"].as_i64().unwrap() >= 1);
    assert!(checko["check"]["rawPayload"].is_object());

    // Empty fields are filled; the industry a person entered is kept.
    let client = &result["client"];
    assert!(client["legalName"].as_str().is_some(), "{client:#}");
    assert_eq!(client["country"], "RU");
    assert_eq!(client["employees"], 42);
    assert_eq!(client["industry"], "Wholesale (entered by hand)");
    assert!(client["industryCode"].as_str().is_some());

    let checks = checks_of(&app, &id).await;
    assert_eq!(
        checks.len(),
        2,
        "one check per answering source: {checks:#?}"
    );
    assert!(checks.iter().all(|c| c["rawPayload"].is_object()));
}

#[tokio::test]
async fn force_overwrites_values_a_person_entered() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    serve_checko(&server).await;
    gleif_failing(&server).await;
    let (app, id) = app_with_client(&server).await;

    let data = app.data(ENRICH, json!({ "id": id, "force": true })).await;
    let client = &data["enrichClient"]["client"];
    assert_ne!(client["industry"], "Wholesale (entered by hand)");
    assert!(client["industry"].as_str().is_some(), "{client:#}");
}

#[tokio::test]
async fn a_cached_answer_is_served_without_a_second_network_call() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    serve_checko(&server).await;
    gleif_failing(&server).await;
    let (app, id) = app_with_client(&server).await;

    let first = app.data(ENRICH, json!({ "id": id })).await;
    let dadata_calls = requests_to(&server, "/findById/party").await;
    let checko_calls = requests_to(&server, "/company").await;
    assert_eq!(dadata_calls, 1);
    assert_eq!(checko_calls, 1);

    let second = app.data(ENRICH, json!({ "id": id })).await;
    assert_eq!(requests_to(&server, "/findById/party").await, dadata_calls);
    assert_eq!(requests_to(&server, "/company").await, checko_calls);
    let dadata = source(&second["enrichClient"], "dadata");
    assert_eq!(dadata["cached"], true);
    assert_eq!(
        dadata["retrievedAt"],
        source(&first["enrichClient"], "dadata")["retrievedAt"]
    );
    // The same answer is not recorded twice.
    assert_eq!(checks_of(&app, &id).await.len(), 2);
}

#[tokio::test]
async fn when_no_registry_answers_enrichment_is_upstream_unavailable_and_writes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let (app, id) = app_with_client(&server).await;

    let body = app.graphql(ENRICH, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "UPSTREAM_UNAVAILABLE", "{body:#}");

    let data = app
        .data(
            r"query($id: ID!) { node(id: $id) { ... on Client { legalName version registryProfile { legalName { value } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(data["node"]["legalName"].is_null());
    assert_eq!(data["node"]["version"], 1);
    assert!(data["node"]["registryProfile"].is_null());
    assert!(checks_of(&app, &id).await.is_empty());
}

#[tokio::test]
async fn a_client_without_a_registry_id_an_enabled_registry_serves_is_bad_input() {
    let app = TestApp::spawn().await;
    // Companies House has no key in the default test settings, so it is disabled.
    let id = app
        .create_client(json!({
            "name": "Tesco",
            "registryIds": [{ "scheme": "GB_COMPANY_NUMBER", "value": "00445790" }],
        }))
        .await;

    let body = app.graphql(ENRICH, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(error_field(&body), "clientId");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("no registry id"), "{message}");
}

#[tokio::test]
async fn an_analyst_cannot_enrich_a_client() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    let (app, id) = app_with_client(&server).await;
    let (analyst, _) = app.user_token(Role::Analyst, "Ann Analyst").await;

    let body = app.graphql_as(&analyst, ENRICH, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
    assert_eq!(requests_to(&server, "/findById/party").await, 0);
}

const SEARCH: &str = r"query($name: String!) { registrySearch(name: $name) {
    candidates { source retrievedAt scheme registryId name status { value original } country }
    sources { source ok error candidates }
} }";

#[tokio::test]
async fn registry_search_returns_candidates_and_reports_the_registries_that_failed() {
    let server = MockServer::start().await;
    Mock::given(path("/search/companies"))
        .and(query_param("q", "tesco"))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/search_companies_tesco.json"),
        ))
        .mount(&server)
        .await;
    // GLEIF fails on its side, DaData and Checko are not served at all (404): their candidates
    // are missing, and the answer says so.
    Mock::given(path("/lei-records"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let app = TestApp::spawn_with(registries_at(&server)).await;

    let data = app.data(SEARCH, json!({ "name": "tesco" })).await;
    let result = &data["registrySearch"];
    let found = result["candidates"].as_array().expect("candidates");
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found.iter().all(|c| c["source"] == "companies_house"));
    assert_eq!(found[0]["scheme"], "GB_COMPANY_NUMBER");
    assert_eq!(found[0]["registryId"], "00445790");
    assert_eq!(found[2]["status"]["value"], "DISSOLVED");

    let sources = result["sources"].as_array().expect("sources");
    let names: Vec<&str> = sources
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{sources:#?}");
    for name in ["gleif", "companies_house", "dadata", "checko"] {
        assert!(names.contains(&name), "{name} missing from {sources:#?}");
    }
    assert_eq!(
        source(result, "companies_house"),
        &json!({ "source": "companies_house", "ok": true, "error": null, "candidates": 3 })
    );
    let gleif = source(result, "gleif");
    assert_eq!(gleif["ok"], false);
    assert_eq!(gleif["candidates"], 0);
    assert!(
        gleif["error"].as_str().unwrap().contains("HTTP 500"),
        "{gleif:#}"
    );
    for name in ["dadata", "checko"] {
        assert_eq!(source(result, name)["ok"], false, "{sources:#?}");
    }

    let body = app
        .graphql(
            r#"{ registrySearch(name: "  ") { candidates { name } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_field(&body), "name");
}

#[tokio::test]
async fn a_registry_search_without_matches_is_not_a_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/search/companies"))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/search_companies_empty.json"),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/lei-records"))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_records_search_empty.json"),
        ))
        .mount(&server)
        .await;
    let app = TestApp::spawn_with(registries_at(&server)).await;

    let data = app.data(SEARCH, json!({ "name": "nothing like it" })).await;
    let result = &data["registrySearch"];
    assert_eq!(result["candidates"], json!([]));
    for name in ["gleif", "companies_house"] {
        assert_eq!(
            source(result, name),
            &json!({ "source": name, "ok": true, "error": null, "candidates": 0 })
        );
    }
}

#[tokio::test]
async fn a_registry_search_that_no_registry_answers_is_upstream_unavailable() {
    let server = MockServer::start().await;
    Mock::given(path("/search/companies"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(path("/lei-records"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let app = TestApp::spawn_with(registries_at(&server)).await;

    let body = app.graphql(SEARCH, json!({ "name": "tesco" })).await;
    assert_eq!(error_code(&body), "UPSTREAM_UNAVAILABLE", "{body:#}");
}

const CACHED_SEARCH: &str = r"query($name: String!, $country: String) {
  registrySearch(name: $name, country: $country) {
    candidates { source retrievedAt registryId }
    sources { source ok candidates cached }
} }";

/// Companies House finds three companies and GLEIF none, whatever the name; DaData and Checko
/// are not served (404), so they fail.
async fn serve_search(server: &MockServer) {
    Mock::given(path("/search/companies"))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/search_companies_tesco.json"),
        ))
        .mount(server)
        .await;
    Mock::given(path("/lei-records"))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_records_search_empty.json"),
        ))
        .mount(server)
        .await;
}

async fn search_as(app: &TestApp, name: &str, country: Option<&str>) -> Value {
    let data = app
        .data(CACHED_SEARCH, json!({ "name": name, "country": country }))
        .await;
    data["registrySearch"].clone()
}

#[tokio::test]
async fn a_repeated_registry_search_is_served_from_the_cache_whatever_its_case_and_spacing() {
    let server = MockServer::start().await;
    serve_search(&server).await;
    let app = TestApp::spawn_with(registries_at(&server)).await;

    let first = search_as(&app, "  ТЕСКО   Stores ", None).await;
    for name in ["companies_house", "gleif"] {
        assert_eq!(source(&first, name)["ok"], true, "{first:#}");
        assert_eq!(source(&first, name)["cached"], false, "{first:#}");
    }
    assert_eq!(requests_to(&server, "/search/companies").await, 1);
    assert_eq!(requests_to(&server, "/lei-records").await, 1);

    let second = search_as(&app, "теско stores", None).await;
    assert_eq!(requests_to(&server, "/search/companies").await, 1);
    assert_eq!(requests_to(&server, "/lei-records").await, 1);
    assert_eq!(
        source(&second, "companies_house"),
        &json!({ "source": "companies_house", "ok": true, "candidates": 3, "cached": true })
    );
    assert_eq!(
        source(&second, "gleif"),
        &json!({ "source": "gleif", "ok": true, "candidates": 0, "cached": true })
    );
    // The candidates are those of the first answer, with the time the registry gave them.
    assert_eq!(second["candidates"], first["candidates"]);

    // An entry that no longer reads as candidates counts as absent, and is replaced.
    app.db
        .execute_unprepared(r#"UPDATE registry_search_cache SET candidates = '{"old": 1}'"#)
        .await
        .expect("spoil the cache");
    let third = search_as(&app, "теско stores", None).await;
    assert_eq!(source(&third, "companies_house")["cached"], false);
    assert_eq!(source(&third, "companies_house")["candidates"], 3);
    assert_eq!(requests_to(&server, "/search/companies").await, 2);
    let fourth = search_as(&app, "ТЕСКО STORES", None).await;
    assert_eq!(source(&fourth, "companies_house")["cached"], true);
    assert_eq!(requests_to(&server, "/search/companies").await, 2);
}

#[tokio::test]
async fn a_registry_search_in_another_country_is_another_cache_entry() {
    let server = MockServer::start().await;
    serve_search(&server).await;
    let app = TestApp::spawn_with(registries_at(&server)).await;

    let in_gb = search_as(&app, "tesco", Some("GB")).await;
    assert_eq!(source(&in_gb, "gleif")["cached"], false);
    let anywhere = search_as(&app, "tesco", None).await;
    assert_eq!(source(&anywhere, "gleif")["cached"], false);
    assert_eq!(source(&anywhere, "companies_house")["cached"], false);
    assert_eq!(requests_to(&server, "/lei-records").await, 2);
    assert_eq!(requests_to(&server, "/search/companies").await, 2);

    let again = search_as(&app, "Tesco", Some("GB")).await;
    assert_eq!(source(&again, "gleif")["cached"], true);
    assert_eq!(source(&again, "companies_house")["cached"], true);
    assert_eq!(requests_to(&server, "/lei-records").await, 2);
    assert_eq!(requests_to(&server, "/search/companies").await, 2);
}

#[tokio::test]
async fn a_registry_whose_search_failed_is_asked_again_next_time() {
    let server = MockServer::start().await;
    serve_search(&server).await;
    let app = TestApp::spawn_with(registries_at(&server)).await;

    let first = search_as(&app, "tesco", None).await;
    assert_eq!(source(&first, "dadata")["ok"], false, "{first:#}");
    assert_eq!(source(&first, "checko")["ok"], false, "{first:#}");
    let dadata_calls = requests_to(&server, "/suggest/party").await;
    let checko_calls = requests_to(&server, "/search").await;
    assert!(dadata_calls > 0 && checko_calls > 0);

    let second = search_as(&app, "tesco", None).await;
    assert_eq!(source(&second, "companies_house")["cached"], true);
    for name in ["dadata", "checko"] {
        assert_eq!(source(&second, name)["ok"], false, "{second:#}");
        assert_eq!(source(&second, name)["cached"], false, "{second:#}");
    }
    assert!(requests_to(&server, "/suggest/party").await > dadata_calls);
    assert!(requests_to(&server, "/search").await > checko_calls);
}

#[tokio::test]
async fn a_registry_search_with_a_cache_lifetime_of_zero_is_never_cached() {
    let server = MockServer::start().await;
    serve_search(&server).await;
    let registries = registries_at(&server);
    let app = TestApp::spawn_with(|settings| {
        registries(settings);
        settings.enrichment.companies_house_cache_ttl = Some(std::time::Duration::ZERO);
    })
    .await;

    search_as(&app, "tesco", None).await;
    let second = search_as(&app, "tesco", None).await;
    assert_eq!(source(&second, "companies_house")["cached"], false);
    assert_eq!(source(&second, "companies_house")["candidates"], 3);
    assert_eq!(requests_to(&server, "/search/companies").await, 2);
    // GLEIF keeps the default lifetime.
    assert_eq!(source(&second, "gleif")["cached"], true);
    assert_eq!(requests_to(&server, "/lei-records").await, 1);

    let app = TestApp::spawn_with(|settings| {
        registries_at(&server)(settings);
        settings.enrichment.cache_ttl = std::time::Duration::ZERO;
    })
    .await;
    search_as(&app, "tesco", None).await;
    let again = search_as(&app, "tesco", None).await;
    assert_eq!(source(&again, "gleif")["cached"], false);
    assert_eq!(requests_to(&server, "/lei-records").await, 3);
}

#[tokio::test]
async fn registry_profile_shows_each_fact_with_its_source_and_date() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    serve_checko(&server).await;
    gleif_failing(&server).await;
    let (app, id) = app_with_client(&server).await;
    let enriched = app.data(ENRICH, json!({ "id": id })).await;
    let dadata_at = source(&enriched["enrichClient"], "dadata")["retrievedAt"].clone();

    let data = app
        .data(
            r"query($id: ID!) { node(id: $id) { ... on Client { registryProfile {
                legalName { value source retrievedAt }
                status { value { value original } source retrievedAt }
                country { value source }
                industry { value { scheme code description } source }
                employees { value source }
                answers { source scheme registryId retrievedAt expiresAt }
            } } } }",
            json!({ "id": id }),
        )
        .await;
    let profile = &data["node"]["registryProfile"];
    // DaData, the national register, wins over Checko.
    assert_eq!(profile["legalName"]["source"], "dadata", "{profile:#}");
    assert_eq!(profile["legalName"]["retrievedAt"], dadata_at);
    assert_eq!(profile["status"]["value"]["value"], "ACTIVE");
    assert!(profile["status"]["value"]["original"].as_str().is_some());
    assert_eq!(profile["country"]["value"], "RU");
    assert_eq!(profile["industry"]["value"]["scheme"], "OKVED2");
    assert_eq!(profile["employees"]["value"], 42);
    let sources: Vec<&str> = profile["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| a["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources.len(), 2);
    assert!(sources.contains(&"dadata") && sources.contains(&"checko"));
}

#[tokio::test]
async fn a_manager_cannot_enrich_a_client_they_do_not_manage() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    let (app, id) = app_with_client(&server).await;
    let (manager, _) = app.user_token(Role::Manager, "Max Manager").await;

    let body = app.graphql_as(&manager, ENRICH, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
    assert_eq!(requests_to(&server, "/findById/party").await, 0);
}

#[tokio::test]
async fn enrichment_is_recorded_in_the_client_history() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    serve_checko(&server).await;
    gleif_failing(&server).await;
    let (app, id) = app_with_client(&server).await;
    app.data(ENRICH, json!({ "id": id })).await;

    let data = app
        .data(
            r"query($id: ID!) { node(id: $id) { ... on Client {
                history(first: 50) { nodes { action entityType changes { field } } } } } }",
            json!({ "id": id }),
        )
        .await;
    let events = data["node"]["history"]["nodes"].as_array().expect("events");
    let of = |action: &str, entity: &str| {
        events
            .iter()
            .filter(|e| e["action"] == action && e["entityType"] == entity)
            .count()
    };
    assert_eq!(of("CREATE", "FINANCIAL_CHECK"), 2, "{events:#?}");
    assert_eq!(of("UPDATE", "CLIENT"), 1, "{events:#?}");
    let update = events
        .iter()
        .find(|e| e["action"] == "UPDATE")
        .expect("update event");
    assert!(
        update["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .any(|c| c["field"] == "legalName"),
        "{update:#}"
    );
}

#[tokio::test]
async fn a_registry_slower_than_the_operation_deadline_does_not_discard_the_others() {
    let server = MockServer::start().await;
    serve_dadata(&server).await;
    serve_checko(&server).await;
    Mock::given(path(format!("/lei-records/{LEI}")))
        .respond_with(
            json_body(
                200,
                registry_fixture("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json"),
            )
            .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&server)
        .await;
    let app = TestApp::spawn_with(|settings| {
        registries_at(&server)(settings);
        settings.limits.query_timeout = std::time::Duration::from_secs(3);
        settings.enrichment.request_timeout = std::time::Duration::from_secs(20);
        settings.enrichment.retry_budget = std::time::Duration::from_secs(60);
    })
    .await;
    let id = app
        .create_client(json!({
            "name": "Primer",
            "registryIds": [
                { "scheme": "RU_INN", "value": INN },
                { "scheme": "LEI", "value": LEI },
            ],
        }))
        .await;

    let data = app.data(ENRICH, json!({ "id": id, "force": false })).await;
    let result = &data["enrichClient"];
    let gleif = source(result, "gleif");
    assert_eq!(gleif["ok"], false, "{gleif:#}");
    assert!(
        gleif["error"].as_str().unwrap().contains("timed out"),
        "{gleif:#}"
    );
    assert_eq!(source(result, "dadata")["ok"], true);
    assert_eq!(source(result, "checko")["ok"], true);
    assert_eq!(
        checks_of(&app, &id).await.len(),
        2,
        "the answers were written"
    );
}
