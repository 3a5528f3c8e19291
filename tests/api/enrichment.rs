//! Registry providers against a local mock server serving the recorded and synthetic registry
//! bodies in `tests/fixtures/registries/`, and the resilience of their shared HTTP client.

use std::{
    str::FromStr,
    time::{Duration, Instant},
};

use clap::Parser;
use entity::enums::RegistryScheme;
use kaim::enrichment::{
    AddressKind, IdentifierKind, ParentRelation, Provider, ProviderError, ProviderId,
    RegistryStatus,
    checko::Checko,
    companies_house::CompaniesHouse,
    dadata::Dadata,
    gleif::Gleif,
    http::{HttpPolicy, RateLimit},
    sec_edgar::SecEdgar,
    settings::{EnrichmentSettings, ProviderConfig},
};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_partial_json, header, header_regex, method, path, query_param},
};

use crate::helpers::{json_body, registry_fixture, registry_fixture_json};

const MICROSOFT_LEI: &str = "INR2EJN1ERAN0W5ZP974";
const CH_KEY: &str = "ch-test-key";
const DADATA_KEY: &str = "dadata-test-key";
const CHECKO_KEY: &str = "checko-test-key";
const SEC_USER_AGENT: &str = "kaim tests admin@example.com";

/// A policy fast enough for tests: millisecond backoffs, short timeouts, no rate limit.
fn fast_policy() -> HttpPolicy {
    HttpPolicy {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(2),
        max_retries: 2,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(20),
        retry_budget: Duration::from_secs(5),
        breaker_threshold: 100,
        breaker_cooldown: Duration::from_millis(200),
        max_body_bytes: 1024 * 1024,
        rate_limit: None,
    }
}

fn config(server: &MockServer, key: Option<&str>, policy: HttpPolicy) -> ProviderConfig {
    ProviderConfig {
        base_url: server.uri().parse().unwrap(),
        api_key: key.map(|k| SecretString::from(k.to_owned())),
        policy,
    }
}

fn gleif(server: &MockServer, policy: HttpPolicy) -> Gleif {
    Gleif::new(config(server, None, policy)).unwrap()
}

fn companies_house(server: &MockServer) -> CompaniesHouse {
    CompaniesHouse::new(config(server, Some(CH_KEY), fast_policy())).unwrap()
}

fn dadata(server: &MockServer) -> Dadata {
    Dadata::new(config(server, Some(DADATA_KEY), fast_policy())).unwrap()
}

fn sec(server: &MockServer) -> SecEdgar {
    SecEdgar::new(config(server, None, fast_policy()), Some(SEC_USER_AGENT)).unwrap()
}

fn checko(server: &MockServer) -> Checko {
    Checko::new(config(server, Some(CHECKO_KEY), fast_policy())).unwrap()
}

async fn serve_microsoft(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json"),
        ))
        .mount(server)
        .await;
}

// ---------------------------------------------------------------------------------------------
// GLEIF

#[tokio::test]
async fn gleif_lookup_reads_identity_legal_form_addresses_and_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .and(header("accept", "application/vnd.api+json"))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let profile = gleif(&server, fast_policy())
        .lookup(RegistryScheme::Lei, MICROSOFT_LEI)
        .await
        .unwrap();

    assert_eq!(profile.source, ProviderId::Gleif);
    assert_eq!(profile.legal_name.as_deref(), Some("MICROSOFT CORPORATION"));
    let form = profile.legal_form.as_ref().unwrap();
    assert_eq!(form.code.as_deref(), Some("NHYA"));
    let status = profile.status.as_ref().unwrap();
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(status.original, "ACTIVE");
    assert_eq!(status.detail.as_deref(), Some("LEI registration ISSUED"));
    assert_eq!(profile.founded_on.unwrap().to_string(), "1993-09-22");
    assert_eq!(profile.jurisdiction.as_deref(), Some("US-WA"));
    assert_eq!(profile.addresses.len(), 2);
    let hq = profile
        .addresses
        .iter()
        .find(|a| a.kind == AddressKind::Headquarters)
        .unwrap();
    assert_eq!(hq.city.as_deref(), Some("REDMOND"));
    assert!(
        profile
            .identifiers
            .iter()
            .any(|i| i.kind == IdentifierKind::LocalRegistration
                && i.value == "RA000641:600 413 485")
    );
    // Both parents are reporting exceptions: no parent call, no parent link.
    assert!(profile.parents.is_empty());
    assert!(profile.raw.get("lei-record").is_some());
}

#[tokio::test]
async fn gleif_lookup_follows_a_reported_parent() {
    let server = MockServer::start().await;
    let mut record = registry_fixture_json("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json");
    record["data"]["relationships"]["direct-parent"]["links"]["related"] =
        json!("https://api.gleif.org/api/v1/lei-records/INR2EJN1ERAN0W5ZP974/direct-parent");
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(json_body(200, record.to_string()))
        .mount(&server)
        .await;
    let mut tesco = registry_fixture_json("gleif/lei_records_search_registeredAs_00445790.json");
    let parent = json!({ "data": tesco["data"][0].take() });
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}/direct-parent")))
        .respond_with(json_body(200, parent.to_string()))
        .expect(1)
        .mount(&server)
        .await;

    let profile = gleif(&server, fast_policy())
        .lookup(RegistryScheme::Lei, MICROSOFT_LEI)
        .await
        .unwrap();

    assert_eq!(profile.parents.len(), 1);
    assert_eq!(profile.parents[0].relation, ParentRelation::Direct);
    assert_eq!(profile.parents[0].lei, "2138002P5RNKC5W2JZ46");
    assert_eq!(profile.parents[0].name.as_deref(), Some("TESCO PLC"));
}

#[tokio::test]
async fn gleif_maps_inactive_entities_by_expiration_reason_and_events() {
    let cases = [
        ("ACTIVE", None, None, RegistryStatus::Active),
        (
            "INACTIVE",
            Some("DISSOLVED"),
            None,
            RegistryStatus::Dissolved,
        ),
        (
            "INACTIVE",
            Some("CORPORATE_ACTION"),
            None,
            RegistryStatus::Inactive,
        ),
        (
            "INACTIVE",
            Some("OTHER"),
            Some("BANKRUPTCY"),
            RegistryStatus::Bankrupt,
        ),
        (
            "ACTIVE",
            None,
            Some("LIQUIDATION"),
            RegistryStatus::Liquidating,
        ),
        ("NULL", None, None, RegistryStatus::Unknown),
    ];
    for (status, reason, event, expected) in cases {
        let server = MockServer::start().await;
        let mut record = registry_fixture_json("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json");
        let entity = &mut record["data"]["attributes"]["entity"];
        entity["status"] = json!(status);
        entity["expiration"]["reason"] = json!(reason);
        if let Some(event) = event {
            entity["eventGroups"] = json!([{ "events": [{ "type": event }] }]);
        }
        Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
            .respond_with(json_body(200, record.to_string()))
            .mount(&server)
            .await;
        let profile = gleif(&server, fast_policy())
            .lookup(RegistryScheme::Lei, MICROSOFT_LEI)
            .await
            .unwrap();
        let info = profile.status.unwrap();
        assert_eq!(info.status, expected, "{status} {reason:?} {event:?}");
        assert_eq!(info.original, status);
    }
}

#[tokio::test]
async fn gleif_unknown_lei_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(path("/lei-records/529900T8BM49AURSDO55"))
        .respond_with(json_body(404, registry_fixture("gleif/not_found.json")))
        .mount(&server)
        .await;
    let error = gleif(&server, fast_policy())
        .lookup(RegistryScheme::Lei, "529900T8BM49AURSDO55")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ProviderError::NotFound {
                provider: ProviderId::Gleif
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn gleif_search_by_name_returns_candidates() {
    let server = MockServer::start().await;
    Mock::given(path("/lei-records"))
        .and(query_param(
            "filter[entity.legalName]",
            "MICROSOFT CORPORATION",
        ))
        .and(query_param("filter[entity.legalAddress.country]", "US"))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_records_search_legalName_microsoft.json"),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/lei-records"))
        .and(query_param("filter[entity.legalName]", "NOBODY"))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_records_search_empty.json"),
        ))
        .mount(&server)
        .await;
    let provider = gleif(&server, fast_policy());
    assert!(provider.supports_search());

    let found = provider
        .search_by_name("MICROSOFT CORPORATION", Some("us"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].scheme, RegistryScheme::Lei);
    assert_eq!(found[0].registry_id, MICROSOFT_LEI);
    assert_eq!(found[0].name, "MICROSOFT CORPORATION");
    assert_eq!(found[0].country.as_deref(), Some("US"));
    assert!(
        provider
            .search_by_name("NOBODY", None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_provider_refuses_identifiers_of_another_registry() {
    let server = MockServer::start().await;
    let error = gleif(&server, fast_policy())
        .lookup(RegistryScheme::RuInn, "7704123450")
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::UnsupportedScheme { .. }),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Companies House

async fn serve_tesco(server: &MockServer, profile: String) {
    let auth = "Basic Y2gtdGVzdC1rZXk6"; // base64("ch-test-key:"): the key is the user
    Mock::given(method("GET"))
        .and(path("/company/00445790"))
        .and(header("authorization", auth))
        .respond_with(json_body(200, profile))
        .mount(server)
        .await;
    Mock::given(path("/company/00445790/officers"))
        .and(header("authorization", auth))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/officers_00445790_shape_only.json"),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn companies_house_lookup_reads_profile_officers_and_status() {
    let server = MockServer::start().await;
    serve_tesco(
        &server,
        registry_fixture("companies_house/company_profile_00445790.json"),
    )
    .await;
    // No insolvency history: the endpoint that 404s for every solvent company is not asked.
    Mock::given(path("/company/00445790/insolvency"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;

    let profile = companies_house(&server)
        .lookup(RegistryScheme::GbCompanyNumber, "00445790")
        .await
        .unwrap();

    assert_eq!(profile.legal_name.as_deref(), Some("TESCO PLC"));
    let status = profile.status.as_ref().unwrap();
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(status.original, "active");
    assert_eq!(
        profile.legal_form.as_ref().unwrap().code.as_deref(),
        Some("plc")
    );
    assert_eq!(profile.industry_codes[0].code, "47110");
    assert_eq!(profile.officers.len(), 3);
    assert_eq!(
        profile.officers[2].resigned_on.unwrap().to_string(),
        "2019-09-30"
    );
    assert_eq!(profile.insolvency_cases, Some(Vec::new()));
    assert_eq!(profile.addresses[0].postal_code.as_deref(), Some("AL7 1GA"));
}

#[tokio::test]
async fn companies_house_insolvency_404_means_no_cases_not_an_unknown_company() {
    let server = MockServer::start().await;
    let mut profile = registry_fixture_json("companies_house/company_profile_00445790.json");
    profile["has_insolvency_history"] = json!(true);
    serve_tesco(&server, profile.to_string()).await;
    Mock::given(path("/company/00445790/insolvency"))
        .respond_with(json_body(
            404,
            registry_fixture("companies_house/not_found_insolvency.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let profile = companies_house(&server)
        .lookup(RegistryScheme::GbCompanyNumber, "00445790")
        .await
        .unwrap();
    assert_eq!(profile.insolvency_cases, Some(Vec::new()));
}

#[tokio::test]
async fn companies_house_reads_insolvency_cases() {
    let server = MockServer::start().await;
    let mut profile = registry_fixture_json("companies_house/company_profile_00445790.json");
    profile["has_insolvency_history"] = json!(true);
    profile["company_status"] = json!("liquidation");
    serve_tesco(&server, profile.to_string()).await;
    let cases = json!({ "cases": [{ "type": "creditors-voluntary-liquidation", "number": 1,
        "dates": [{ "type": "wound-up-on", "date": "2026-01-15" }] }] });
    Mock::given(path("/company/00445790/insolvency"))
        .respond_with(json_body(200, cases.to_string()))
        .mount(&server)
        .await;

    let profile = companies_house(&server)
        .lookup(RegistryScheme::GbCompanyNumber, "00445790")
        .await
        .unwrap();
    assert_eq!(profile.status.unwrap().status, RegistryStatus::Liquidating);
    let cases = profile.insolvency_cases.unwrap();
    assert_eq!(cases[0].kind, "creditors-voluntary-liquidation");
    assert_eq!(cases[0].number.as_deref(), Some("1"));
    assert_eq!(cases[0].dates[0].0, "wound-up-on");
}

#[tokio::test]
async fn companies_house_dissolved_company_is_dissolved_since_its_cessation() {
    let server = MockServer::start().await;
    Mock::given(path("/company/00000006"))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/company_profile_00000006_dissolved.json"),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/company/00000006/officers"))
        .respond_with(json_body(404, "{}"))
        .mount(&server)
        .await;

    let profile = companies_house(&server)
        .lookup(RegistryScheme::GbCompanyNumber, "00000006")
        .await
        .unwrap();
    let status = profile.status.unwrap();
    assert_eq!(status.status, RegistryStatus::Dissolved);
    assert_eq!(status.original, "dissolved");
    assert_eq!(status.since.unwrap().to_string(), "2018-07-10");
    assert!(profile.officers.is_empty());
}

#[tokio::test]
async fn companies_house_unknown_company_is_not_found_whatever_the_body() {
    for body in [
        "companies_house/not_found_company_profile.json",
        "companies_house/not_found_company_profile_legacy.json",
    ] {
        let server = MockServer::start().await;
        Mock::given(path("/company/99999999"))
            .respond_with(json_body(404, registry_fixture(body)))
            .mount(&server)
            .await;
        let error = companies_house(&server)
            .lookup(RegistryScheme::GbCompanyNumber, "99999999")
            .await
            .unwrap_err();
        assert!(
            matches!(error, ProviderError::NotFound { .. }),
            "{body}: {error:?}"
        );
    }
}

#[tokio::test]
async fn companies_house_bad_key_is_unauthorized() {
    let server = MockServer::start().await;
    Mock::given(path("/company/00445790"))
        .respond_with(
            json_body(
                401,
                registry_fixture("companies_house/unauthorized_401.json"),
            )
            .insert_header("WWW-Authenticate", "Basic realm=\"drs\""),
        )
        .expect(1)
        .mount(&server)
        .await;
    let error = companies_house(&server)
        .lookup(RegistryScheme::GbCompanyNumber, "00445790")
        .await
        .unwrap_err();
    match error {
        ProviderError::Unauthorized {
            status, message, ..
        } => {
            assert_eq!(status, 401);
            assert_eq!(message, "Invalid Authorization");
        }
        other => panic!("expected unauthorized, got {other:?}"),
    }
}

#[tokio::test]
async fn companies_house_rate_limit_without_retry_after_is_rate_limited_after_retries() {
    let server = MockServer::start().await;
    Mock::given(path("/company/00445790"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("X-Ratelimit-Limit", "600")
                .insert_header("X-Ratelimit-Remain", "0")
                .insert_header("X-Ratelimit-Window", "5m"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let error = companies_house(&server)
        .lookup(RegistryScheme::GbCompanyNumber, "00445790")
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ProviderError::RateLimited {
                retry_after: None,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn companies_house_search_returns_candidates_with_their_status() {
    let server = MockServer::start().await;
    Mock::given(path("/search/companies"))
        .and(query_param("q", "tesco"))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/search_companies_tesco.json"),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/search/companies"))
        .and(query_param("q", "zzzz"))
        .respond_with(json_body(
            200,
            registry_fixture("companies_house/search_companies_empty.json"),
        ))
        .mount(&server)
        .await;
    let provider = companies_house(&server);

    let found = provider.search_by_name("tesco", Some("GB")).await.unwrap();
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].registry_id, "00445790");
    assert_eq!(found[0].scheme, RegistryScheme::GbCompanyNumber);
    assert_eq!(
        found[2].status.as_ref().unwrap().status,
        RegistryStatus::Dissolved
    );
    assert!(
        provider
            .search_by_name("zzzz", None)
            .await
            .unwrap()
            .is_empty()
    );
    // Another country is not searched at all.
    assert!(
        provider
            .search_by_name("tesco", Some("RU"))
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// DaData

#[tokio::test]
async fn dadata_lookup_reads_identity_management_and_finance() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/findById/party"))
        .and(header("authorization", "Token dadata-test-key"))
        .and(body_partial_json(
            json!({ "query": "7704123450", "branch_type": "MAIN" }),
        ))
        .respond_with(json_body(
            200,
            registry_fixture("dadata/findById_party_7704123450_example_full.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let profile = dadata(&server)
        .lookup(RegistryScheme::RuInn, "7704123450")
        .await
        .unwrap();

    assert_eq!(profile.short_name.as_deref(), Some("ООО \"ПРИМЕР ТОРГ\""));
    assert_eq!(
        profile.status.as_ref().unwrap().status,
        RegistryStatus::Active
    );
    assert_eq!(
        profile.legal_form.as_ref().unwrap().code.as_deref(),
        Some("12300")
    );
    assert_eq!(profile.founded_on.unwrap().to_string(), "2017-03-15");
    assert!(
        profile
            .identifiers
            .iter()
            .any(|i| i.kind == IdentifierKind::RuOgrn && i.value == "1177746123455")
    );
    assert_eq!(profile.officers[0].name, "Иванов Иван Иванович");
    assert_eq!(profile.industry_codes.len(), 2);
    assert_eq!(profile.employees, Some(42));
    let year = profile.latest_financials().unwrap();
    assert_eq!(year.fiscal_year, 2024);
    assert_eq!(year.currency, "RUB");
    assert_eq!(year.revenue, Some(Decimal::from(180_000_000)));
    assert_eq!(year.debt, Some(Decimal::ZERO));
    assert_eq!(year.net_income, None);
}

#[tokio::test]
async fn dadata_free_plan_answer_has_identity_without_finance() {
    let server = MockServer::start().await;
    Mock::given(path("/findById/party"))
        .respond_with(json_body(
            200,
            registry_fixture("dadata/findById_party_7707083893_sberbank.json"),
        ))
        .mount(&server)
        .await;
    let profile = dadata(&server)
        .lookup(RegistryScheme::RuOgrn, "1027700132195")
        .await
        .unwrap();
    assert_eq!(profile.looked_up.kind, IdentifierKind::RuOgrn);
    assert_eq!(profile.short_name.as_deref(), Some("ПАО СБЕРБАНК"));
    assert!(profile.financials.is_empty());
    assert_eq!(profile.officers.len(), 1);
    assert_eq!(
        profile.officers[0].role.as_deref(),
        Some("ПРЕЗИДЕНТ, ПРЕДСЕДАТЕЛЬ ПРАВЛЕНИЯ")
    );
}

#[tokio::test]
async fn dadata_maps_every_state_status() {
    let cases = [
        ("ACTIVE", RegistryStatus::Active),
        ("LIQUIDATING", RegistryStatus::Liquidating),
        ("LIQUIDATED", RegistryStatus::Liquidated),
        ("BANKRUPT", RegistryStatus::Bankrupt),
        ("REORGANIZING", RegistryStatus::Active),
        ("SOMETHING_NEW", RegistryStatus::Unknown),
    ];
    for (original, expected) in cases {
        let server = MockServer::start().await;
        let mut body = registry_fixture_json("dadata/findById_party_7704123450_example_full.json");
        body["suggestions"][0]["data"]["state"]["status"] = json!(original);
        body["suggestions"][0]["data"]["state"]["liquidation_date"] = json!(1_767_225_600_000_i64);
        Mock::given(path("/findById/party"))
            .respond_with(json_body(200, body.to_string()))
            .mount(&server)
            .await;
        let status = dadata(&server)
            .lookup(RegistryScheme::RuInn, "7704123450")
            .await
            .unwrap()
            .status
            .unwrap();
        assert_eq!(status.status, expected, "{original}");
        assert_eq!(status.original, original);
        assert_eq!(status.since.unwrap().to_string(), "2026-01-01");
    }
}

#[tokio::test]
async fn dadata_unknown_inn_is_not_found() {
    let server = MockServer::start().await;
    Mock::given(path("/findById/party"))
        .respond_with(json_body(
            200,
            registry_fixture("dadata/findById_party_not_found.json"),
        ))
        .mount(&server)
        .await;
    let error = dadata(&server)
        .lookup(RegistryScheme::RuInn, "7704123450")
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn dadata_daily_limit_is_unauthorized_and_never_echoes_the_key() {
    let server = MockServer::start().await;
    let body =
        registry_fixture("dadata/error_403_daily_limit.json").replace("<API_KEY>", DADATA_KEY);
    Mock::given(path("/findById/party"))
        .respond_with(json_body(403, body))
        .expect(1)
        .mount(&server)
        .await;
    let error = dadata(&server)
        .lookup(RegistryScheme::RuInn, "7704123450")
        .await
        .unwrap_err();
    let text = error.to_string();
    assert!(
        matches!(error, ProviderError::Unauthorized { status: 403, .. }),
        "{error:?}"
    );
    assert!(text.contains("Feature 'SUGGESTIONS' disabled"), "{text}");
    assert!(!text.contains(DADATA_KEY), "{text}");
}

#[tokio::test]
async fn dadata_suggest_returns_head_offices_only() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/suggest/party"))
        .and(body_partial_json(json!({ "query": "сбербанк" })))
        .respond_with(json_body(
            200,
            registry_fixture("dadata/suggest_party_sberbank.json"),
        ))
        .mount(&server)
        .await;
    let found = dadata(&server)
        .search_by_name("сбербанк", Some("RU"))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].registry_id, "7707083893");
    assert_eq!(found[0].scheme, RegistryScheme::RuInn);
    assert_eq!(
        found[0].status.as_ref().unwrap().status,
        RegistryStatus::Active
    );
}

// ---------------------------------------------------------------------------------------------
// SEC EDGAR

async fn serve_apple_submissions(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/submissions/CIK0000320193.json"))
        .and(header("user-agent", SEC_USER_AGENT))
        .respond_with(json_body(
            200,
            registry_fixture("sec_edgar/submissions_CIK0000320193.json"),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn sec_edgar_lookup_reads_identity_and_yearly_figures_deduplicated_across_filings() {
    let server = MockServer::start().await;
    serve_apple_submissions(&server).await;
    Mock::given(path("/api/xbrl/companyfacts/CIK0000320193.json"))
        .and(header("user-agent", SEC_USER_AGENT))
        .respond_with(json_body(
            200,
            registry_fixture("sec_edgar/companyfacts_CIK0000320193.json"),
        ))
        .mount(&server)
        .await;

    let profile = sec(&server)
        .lookup(RegistryScheme::UsCik, "320193")
        .await
        .unwrap();

    assert_eq!(profile.legal_name.as_deref(), Some("Apple Inc."));
    assert_eq!(profile.jurisdiction.as_deref(), Some("US-CA"));
    assert_eq!(profile.industry_codes[0].code, "3571");
    assert!(
        profile
            .identifiers
            .iter()
            .any(|i| i.kind == IdentifierKind::UsEin && i.value == "942404110")
    );
    assert!(profile.status.is_none(), "EDGAR has no company status");
    let years: Vec<_> = profile
        .financials
        .iter()
        .map(|y| (y.fiscal_year, y.revenue, y.net_income, y.assets))
        .collect();
    assert_eq!(
        years,
        vec![
            (
                2023,
                Some(Decimal::from(383_285_000_000_i64)),
                Some(Decimal::from(96_995_000_000_i64)),
                Some(Decimal::from(352_583_000_000_i64))
            ),
            (
                2024,
                Some(Decimal::from(391_035_000_000_i64)),
                Some(Decimal::from(93_736_000_000_i64)),
                Some(Decimal::from(364_980_000_000_i64))
            ),
            (
                2025,
                Some(Decimal::from(416_161_000_000_i64)),
                Some(Decimal::from(112_010_000_000_i64)),
                Some(Decimal::from(359_241_000_000_i64))
            ),
        ]
    );
    assert_eq!(
        profile.financials[2].period_end.unwrap().to_string(),
        "2025-09-27"
    );
    assert!(profile.financials.iter().all(|y| y.currency == "USD"));
}

/// `body` gzip-compressed, as the SEC sends its large JSON to clients that accept it.
fn gzipped(body: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

fn gzip_response(compressed: Vec<u8>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-encoding", "gzip")
        .set_body_raw(compressed, "application/json")
}

#[tokio::test]
async fn sec_edgar_gzip_bodies_are_decompressed() {
    let server = MockServer::start().await;
    // Served compressed only to a client that says it accepts gzip.
    for (endpoint, file) in [
        (
            "/submissions/CIK0000320193.json",
            "sec_edgar/submissions_CIK0000320193.json",
        ),
        (
            "/api/xbrl/companyfacts/CIK0000320193.json",
            "sec_edgar/companyfacts_CIK0000320193.json",
        ),
    ] {
        Mock::given(path(endpoint))
            .and(header_regex("accept-encoding", "gzip"))
            .respond_with(gzip_response(gzipped(registry_fixture(file).as_bytes())))
            .mount(&server)
            .await;
    }

    let profile = sec(&server)
        .lookup(RegistryScheme::UsCik, "320193")
        .await
        .unwrap();

    assert_eq!(profile.legal_name.as_deref(), Some("Apple Inc."));
    let latest = profile.latest_financials().unwrap();
    assert_eq!(latest.fiscal_year, 2025);
    assert_eq!(latest.revenue, Some(Decimal::from(416_161_000_000_i64)));
}

#[tokio::test]
async fn a_gzip_body_that_inflates_past_the_cap_is_too_large() {
    let server = MockServer::start().await;
    serve_apple_submissions(&server).await;
    let limit = 1024 * 1024;
    // 16 MiB of JSON whitespace compresses to a few kilobytes, well under the cap: only
    // counting the decompressed bytes catches it.
    let bomb = gzipped(&vec![b' '; 16 * limit]);
    assert!(bomb.len() < limit / 4, "{} compressed bytes", bomb.len());
    Mock::given(path("/api/xbrl/companyfacts/CIK0000320193.json"))
        .respond_with(gzip_response(bomb))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        max_body_bytes: limit,
        ..fast_policy()
    };
    let provider = SecEdgar::new(config(&server, None, policy), Some(SEC_USER_AGENT)).unwrap();

    let error = provider
        .lookup(RegistryScheme::UsCik, "320193")
        .await
        .unwrap_err();

    assert!(
        matches!(error, ProviderError::TooLarge { limit: l, .. } if l == limit),
        "{error:?}"
    );
}

#[tokio::test]
async fn sec_edgar_latest_filing_wins_for_a_restated_year() {
    let server = MockServer::start().await;
    serve_apple_submissions(&server).await;
    let mut facts = registry_fixture_json("sec_edgar/companyfacts_CIK0000320193.json");
    // The FY2025 10-K restates FY2023 revenue; the FY2023 10-K's own figure must give way.
    facts["facts"]["us-gaap"]["RevenueFromContractWithCustomerExcludingAssessedTax"]["units"]["USD"]
        [2]["val"] = json!(383_000_000_000_i64);
    Mock::given(path("/api/xbrl/companyfacts/CIK0000320193.json"))
        .respond_with(json_body(200, facts.to_string()))
        .mount(&server)
        .await;
    let profile = sec(&server)
        .lookup(RegistryScheme::UsCik, "320193")
        .await
        .unwrap();
    assert_eq!(profile.financials[0].fiscal_year, 2023);
    assert_eq!(
        profile.financials[0].revenue,
        Some(Decimal::from(383_000_000_000_i64))
    );
}

#[tokio::test]
async fn sec_edgar_company_without_facts_has_identity_only() {
    let server = MockServer::start().await;
    serve_apple_submissions(&server).await;
    Mock::given(path("/api/xbrl/companyfacts/CIK0000320193.json"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            registry_fixture("sec_edgar/not_found_companyfacts_CIK9999999999.xml"),
            "application/xml",
        ))
        .mount(&server)
        .await;
    let profile = sec(&server)
        .lookup(RegistryScheme::UsCik, "320193")
        .await
        .unwrap();
    assert_eq!(profile.legal_name.as_deref(), Some("Apple Inc."));
    assert!(profile.financials.is_empty());
}

#[tokio::test]
async fn sec_edgar_unknown_cik_is_not_found_from_an_xml_body() {
    let server = MockServer::start().await;
    Mock::given(path("/submissions/CIK9999999999.json"))
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            registry_fixture("sec_edgar/not_found_submissions_CIK9999999999.xml"),
            "application/xml",
        ))
        .mount(&server)
        .await;
    let error = sec(&server)
        .lookup(RegistryScheme::UsCik, "9999999999")
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn sec_edgar_block_page_is_rate_limited_with_403_or_200() {
    for status in [403, 200] {
        let server = MockServer::start().await;
        Mock::given(path("/submissions/CIK0000320193.json"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(
                registry_fixture("sec_edgar/error_403_undeclared_automated_tool.html"),
                "text/html",
            ))
            .mount(&server)
            .await;
        let error = sec(&server)
            .lookup(RegistryScheme::UsCik, "320193")
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                ProviderError::RateLimited {
                    retry_after: Some(_),
                    ..
                }
            ),
            "{status}: {error:?}"
        );
    }
}

#[tokio::test]
async fn sec_edgar_deregistration_form_marks_the_company_inactive() {
    let server = MockServer::start().await;
    let mut submissions = registry_fixture_json("sec_edgar/submissions_CIK0000320193.json");
    submissions["filings"]["recent"]["form"][1] = json!("15-12B");
    Mock::given(path("/submissions/CIK0000320193.json"))
        .respond_with(json_body(200, submissions.to_string()))
        .mount(&server)
        .await;
    Mock::given(path("/api/xbrl/companyfacts/CIK0000320193.json"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let status = sec(&server)
        .lookup(RegistryScheme::UsCik, "320193")
        .await
        .unwrap()
        .status
        .unwrap();
    assert_eq!(status.status, RegistryStatus::Inactive);
    assert_eq!(status.since.unwrap().to_string(), "2025-10-30");
}

// ---------------------------------------------------------------------------------------------
// Checko

async fn serve_checko(server: &MockServer, endpoint: &str, body: String) {
    Mock::given(method("GET"))
        .and(path(format!("/{endpoint}")))
        .and(query_param("key", CHECKO_KEY))
        .and(query_param("inn", "7704123450"))
        .respond_with(json_body(200, body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn checko_lookup_reads_card_finances_lawsuits_and_contracts() {
    let server = MockServer::start().await;
    serve_checko(
        &server,
        "company",
        registry_fixture("checko/company_inn_7704123450.json"),
    )
    .await;
    serve_checko(
        &server,
        "finances",
        registry_fixture("checko/finances_inn_7704123450.json"),
    )
    .await;
    serve_checko(
        &server,
        "legal-cases",
        registry_fixture("checko/legal_cases_inn_7704123450.json"),
    )
    .await;
    Mock::given(path("/contracts"))
        .and(query_param("law", "44"))
        .and(query_param("role", "supplier"))
        .respond_with(json_body(
            200,
            registry_fixture("checko/contracts_44_supplier_inn_7704123450.json"),
        ))
        .mount(&server)
        .await;
    Mock::given(path("/contracts"))
        .and(query_param("law", "223"))
        .respond_with(json_body(
            200,
            registry_fixture("checko/contracts_223_empty.json"),
        ))
        .mount(&server)
        .await;

    let profile = checko(&server)
        .lookup(RegistryScheme::RuInn, "7704123450")
        .await
        .unwrap();

    let status = profile.status.as_ref().unwrap();
    assert_eq!(status.status, RegistryStatus::Active);
    assert_eq!(status.original, "Действует");
    assert_eq!(status.detail.as_deref(), Some("code 001"));
    assert_eq!(profile.employees, Some(42));
    assert_eq!(
        profile.officers[0].role.as_deref(),
        Some("ГЕНЕРАЛЬНЫЙ ДИРЕКТОР")
    );
    let years: Vec<i32> = profile.financials.iter().map(|y| y.fiscal_year).collect();
    assert_eq!(years, vec![2023, 2024]);
    let latest = profile.latest_financials().unwrap();
    assert_eq!(latest.revenue, Some(Decimal::from(180_000_000)));
    assert_eq!(latest.net_income, Some(Decimal::from(8_400_000)));
    assert_eq!(latest.equity, Some(Decimal::from(25_800_000)));
    assert_eq!(latest.employees, Some(42));
    assert_eq!(profile.financials[0].employees, None);
    let litigation = profile.litigation.as_ref().unwrap();
    assert_eq!(litigation.cases, 2);
    assert_eq!(litigation.claims_total, Some(Decimal::from(1_750_000)));
    assert_eq!(profile.government_contracts.len(), 2);
    assert_eq!(profile.government_contracts[0].law, "44");
    assert_eq!(profile.government_contracts[0].count, 1);
    assert_eq!(
        profile.government_contracts[0].total,
        Some(Decimal::from(2_450_000))
    );
    assert_eq!(profile.government_contracts[1].count, 0);
    assert_eq!(profile.government_contracts[1].total, None);
    for endpoint in [
        "company",
        "finances",
        "legal-cases",
        "contracts-44",
        "contracts-223",
    ] {
        assert!(profile.raw.get(endpoint).is_some(), "raw {endpoint}");
    }
}

#[tokio::test]
async fn checko_empty_card_is_not_found() {
    let server = MockServer::start().await;
    serve_checko(
        &server,
        "company",
        registry_fixture("checko/company_not_found.json"),
    )
    .await;
    let error = checko(&server)
        .lookup(RegistryScheme::RuInn, "7704123450")
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::NotFound { .. }), "{error:?}");
}

#[tokio::test]
async fn checko_error_envelope_is_rejected_with_its_message() {
    for status in [200, 400] {
        let server = MockServer::start().await;
        Mock::given(path("/company"))
            .respond_with(json_body(
                status,
                registry_fixture("checko/error_meta.json"),
            ))
            .mount(&server)
            .await;
        let error = checko(&server)
            .lookup(RegistryScheme::RuInn, "7704123450")
            .await
            .unwrap_err();
        match error {
            ProviderError::Rejected { message, .. } => {
                assert_eq!(message, "<текст ошибки от Checko>");
            }
            other => panic!("{status}: expected rejected, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn checko_search_maps_every_status_text() {
    let server = MockServer::start().await;
    let mut page = registry_fixture_json("checko/search_by_name_primer.json");
    let template = page["data"]["Записи"][0].clone();
    let statuses = [
        ("Действует", RegistryStatus::Active),
        ("В стадии ликвидации", RegistryStatus::Liquidating),
        ("Ликвидировано", RegistryStatus::Liquidated),
        ("Находится в стадии банкротства", RegistryStatus::Bankrupt),
        ("Исключено из ЕГРЮЛ", RegistryStatus::Dissolved),
        (
            "Прекратило деятельность при присоединении",
            RegistryStatus::Dissolved,
        ),
        ("Недействующее", RegistryStatus::Inactive),
        ("???", RegistryStatus::Unknown),
    ];
    page["data"]["Записи"] = statuses
        .iter()
        .map(|(text, _)| {
            let mut record = template.clone();
            record["Статус"] = json!(text);
            record
        })
        .collect();
    Mock::given(path("/search"))
        .and(query_param("by", "name"))
        .and(query_param("query", "пример"))
        .and(query_param("key", CHECKO_KEY))
        .respond_with(json_body(200, page.to_string()))
        .mount(&server)
        .await;

    let found = checko(&server)
        .search_by_name("пример", None)
        .await
        .unwrap();
    assert_eq!(found.len(), statuses.len());
    for (candidate, (text, expected)) in found.iter().zip(statuses) {
        let status = candidate.status.as_ref().unwrap();
        assert_eq!(status.status, expected, "{text}");
        assert_eq!(status.original, text);
        assert_eq!(candidate.registry_id, "7704123450");
    }
}

// ---------------------------------------------------------------------------------------------
// Settings

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    enrichment: EnrichmentSettings,
}

#[test]
fn providers_missing_a_required_key_are_disabled_with_the_reason() {
    let cli = Cli::try_parse_from([
        "kaim",
        "--gleif-base-url",
        "http://127.0.0.1:9/api/v1",
        "--companies-house-api-key",
        "some-key",
    ])
    .unwrap();
    let settings = cli.enrichment;
    assert_eq!(
        settings.gleif_rate_limit,
        RateLimit::from_str("60/1m").unwrap()
    );
    assert_eq!(
        settings.companies_house_rate_limit,
        RateLimit::from_str("600/5m").unwrap()
    );
    assert_eq!(
        settings.sec_edgar_rate_limit,
        RateLimit::from_str("10/1s").unwrap()
    );

    let set = settings.build();
    let enabled: Vec<ProviderId> = set.enabled.iter().map(|p| p.id()).collect();
    assert!(enabled.contains(&ProviderId::Gleif));
    assert!(enabled.contains(&ProviderId::CompaniesHouse));
    let reason = |id| {
        set.disabled
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, reason)| reason.clone())
            .unwrap_or_default()
    };
    assert!(reason(ProviderId::Dadata).contains("KAIM_DADATA_API_KEY"));
    assert!(reason(ProviderId::Checko).contains("KAIM_CHECKO_API_KEY"));
    assert!(reason(ProviderId::SecEdgar).contains("KAIM_SEC_EDGAR_USER_AGENT"));
    assert_eq!(set.for_scheme(RegistryScheme::Lei).count(), 1);
}

#[test]
fn rate_limits_are_written_as_count_per_period() {
    let limit = RateLimit::from_str("100/1d").unwrap();
    assert_eq!(limit.requests.get(), 100);
    assert_eq!(limit.per, Duration::from_secs(86_400));
    for bad in ["", "60", "0/1m", "x/1m", "60/0s", "60/soon"] {
        assert!(RateLimit::from_str(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// Resilience (through the GLEIF client, the simplest GET)

async fn lookup_microsoft(provider: &Gleif) -> Result<(), ProviderError> {
    provider
        .lookup(RegistryScheme::Lei, MICROSOFT_LEI)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_slow_registry_times_out() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(
            json_body(
                200,
                registry_fixture("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json"),
            )
            .set_delay(Duration::from_millis(500)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        request_timeout: Duration::from_millis(100),
        ..fast_policy()
    };
    let started = Instant::now();
    let error = lookup_microsoft(&gleif(&server, policy)).await.unwrap_err();
    assert!(matches!(error, ProviderError::Timeout { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(450));
}

#[tokio::test]
async fn an_unreachable_registry_is_a_connection_error_after_bounded_retries() {
    // A port that was free a moment ago: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let provider = Gleif::new(ProviderConfig {
        base_url: format!("http://127.0.0.1:{port}/api/v1").parse().unwrap(),
        api_key: None,
        policy: fast_policy(),
    })
    .unwrap();
    let started = Instant::now();
    let error = lookup_microsoft(&provider).await.unwrap_err();
    assert!(matches!(error, ProviderError::Connect { .. }), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    serve_microsoft(&server).await;
    lookup_microsoft(&gleif(&server, fast_policy()))
        .await
        .unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(502))
        .expect(3)
        .mount(&server)
        .await;
    let error = lookup_microsoft(&gleif(&server, fast_policy()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::Upstream { status: 502, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn retries_stop_when_the_time_budget_is_spent() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        max_retries: 1000,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(40),
        retry_budget: Duration::from_millis(300),
        ..fast_policy()
    };
    let started = Instant::now();
    let error = lookup_microsoft(&gleif(&server, policy)).await.unwrap_err();
    assert!(matches!(error, ProviderError::Upstream { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
    let attempts = server.received_requests().await.unwrap().len();
    assert!((3..100).contains(&attempts), "{attempts} attempts");
}

#[tokio::test]
async fn too_many_requests_waits_as_long_as_retry_after_says() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    serve_microsoft(&server).await;
    let started = Instant::now();
    lookup_microsoft(&gleif(&server, fast_policy()))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_gives_up_at_once() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let error = lookup_microsoft(&gleif(&server, fast_policy()))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(500));
    match error {
        ProviderError::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)));
        }
        other => panic!("expected rate limited, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_bodies_are_a_clear_error_never_a_panic() {
    for body in [
        "{not json",
        r#"{"data": 5}"#,
        "",
        "<html>maintenance</html>",
    ] {
        let server = MockServer::start().await;
        Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
            .respond_with(json_body(200, body))
            .mount(&server)
            .await;
        let error = lookup_microsoft(&gleif(&server, fast_policy()))
            .await
            .unwrap_err();
        match &error {
            ProviderError::Malformed { provider, what, .. } => {
                assert_eq!(*provider, ProviderId::Gleif);
                assert_eq!(*what, "LEI record");
            }
            other => panic!("{body}: expected malformed, got {other:?}"),
        }
        assert!(
            error.to_string().starts_with("gleif: malformed LEI record"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json"),
        ))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        max_body_bytes: 1024,
        ..fast_policy()
    };
    let error = lookup_microsoft(&gleif(&server, policy)).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::TooLarge { limit: 1024, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn redirects_to_another_host_are_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "Location",
            format!("{}/lei-records/{MICROSOFT_LEI}", elsewhere.uri()),
        ))
        .mount(&server)
        .await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(json_body(
            200,
            registry_fixture("gleif/lei_record_INR2EJN1ERAN0W5ZP974.json"),
        ))
        .expect(0)
        .mount(&elsewhere)
        .await;
    let error = lookup_microsoft(&gleif(&server, fast_policy()))
        .await
        .unwrap_err();
    assert!(matches!(error, ProviderError::Redirect { .. }), "{error:?}");
}

#[tokio::test]
async fn redirects_on_the_same_host_are_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/lei-records/OLD"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", format!("/lei-records/{MICROSOFT_LEI}")),
        )
        .mount(&server)
        .await;
    serve_microsoft(&server).await;
    let profile = gleif(&server, fast_policy())
        .lookup(RegistryScheme::Lei, "OLD")
        .await
        .unwrap();
    assert_eq!(profile.legal_name.as_deref(), Some("MICROSOFT CORPORATION"));
}

#[tokio::test]
async fn the_circuit_opens_after_repeated_failures_and_half_opens_after_the_cool_down() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    serve_microsoft(&server).await;
    let policy = HttpPolicy {
        max_retries: 0,
        breaker_threshold: 2,
        breaker_cooldown: Duration::from_millis(200),
        ..fast_policy()
    };
    let provider = gleif(&server, policy);

    for _ in 0..2 {
        let error = lookup_microsoft(&provider).await.unwrap_err();
        assert!(matches!(error, ProviderError::Upstream { .. }), "{error:?}");
    }
    let error = lookup_microsoft(&provider).await.unwrap_err();
    assert!(
        matches!(error, ProviderError::CircuitOpen { .. }),
        "{error:?}"
    );
    assert!(error.is_transient());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "an open circuit sends nothing"
    );

    tokio::time::sleep(Duration::from_millis(250)).await;
    lookup_microsoft(&provider).await.unwrap();
    lookup_microsoft(&provider).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn not_found_and_unauthorized_do_not_open_the_circuit() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/lei-records/{MICROSOFT_LEI}")))
        .respond_with(json_body(404, registry_fixture("gleif/not_found.json")))
        .mount(&server)
        .await;
    let policy = HttpPolicy {
        breaker_threshold: 1,
        ..fast_policy()
    };
    let provider = gleif(&server, policy);
    for _ in 0..3 {
        let error = lookup_microsoft(&provider).await.unwrap_err();
        assert!(matches!(error, ProviderError::NotFound { .. }), "{error:?}");
    }
}

#[tokio::test]
async fn the_rate_limit_holds_across_concurrent_requests() {
    let server = MockServer::start().await;
    serve_microsoft(&server).await;
    let policy = HttpPolicy {
        rate_limit: Some(RateLimit::from_str("1/100ms").unwrap()),
        ..fast_policy()
    };
    let provider = gleif(&server, policy);
    let started = Instant::now();
    let results = futures::future::join_all((0..5).map(|_| lookup_microsoft(&provider))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // One at once, then one per 100 ms: the fifth cannot start before 400 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(380),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_rate_limit_wait_beyond_the_budget_is_rate_limited_without_a_call() {
    let server = MockServer::start().await;
    serve_microsoft(&server).await;
    let policy = HttpPolicy {
        rate_limit: Some(RateLimit::from_str("1/1h").unwrap()),
        ..fast_policy()
    };
    let provider = gleif(&server, policy);
    lookup_microsoft(&provider).await.unwrap();
    let error = lookup_microsoft(&provider).await.unwrap_err();
    assert!(
        matches!(
            error,
            ProviderError::RateLimited {
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
