//! Solvency: each client's risk level and reasons from its financial checks, batched for a
//! page of clients, and feeding the financial stability factor of the KAISM score.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code};

const ADD: &str =
    "mutation($input: AddFinancialCheckInput!) { addFinancialCheck(input: $input) { checkedAt } }";
const SOLVENCY: &str = "query($id: ID!) { client(id: $id) { solvency { level asOf reasons { code level message } } } }";

/// Records a check for `client` with `fields` (camelCase input fields) and returns its time.
async fn add_check(app: &TestApp, client: &str, fields: Value) -> String {
    let mut input = json!({ "clientId": client });
    for (key, value) in fields.as_object().unwrap() {
        input[key] = value.clone();
    }
    app.data(ADD, json!({ "input": input })).await["addFinancialCheck"]["checkedAt"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn solvency_of(app: &TestApp, client: &str) -> Value {
    app.data(SOLVENCY, json!({ "id": client })).await["client"]["solvency"].clone()
}

/// The reason with `code`, failing when there is not exactly one.
fn reason<'a>(solvency: &'a Value, code: &str) -> &'a Value {
    let found: Vec<&Value> = solvency["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] == code)
        .collect();
    assert_eq!(found.len(), 1, "one {code} in {solvency:#}");
    found[0]
}

fn codes(solvency: &Value) -> Vec<&str> {
    solvency["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect()
}

/// A registry-style check of FY2023 and a newer one of FY2024: revenue up 20 %, a 10 % margin,
/// active, positive equity, no lawsuits.
async fn healthy_checks(app: &TestApp, client: &str) -> String {
    add_check(
        app,
        client,
        json!({ "source": "dadata", "checkedAt": "2024-04-01T00:00:00Z", "fiscalYear": 2023,
                "currency": "RUB", "revenue": "1000000", "netIncome": "90000",
                "registryStatus": "Действующая" }),
    )
    .await;
    add_check(
        app,
        client,
        json!({ "source": "dadata", "checkedAt": "2025-04-01T00:00:00Z", "fiscalYear": 2024,
                "currency": "RUB", "revenue": "1200000", "netIncome": "120000",
                "equity": "500000", "registryStatus": "active", "litigationCount": 0 }),
    )
    .await
}

async fn rescore(app: &TestApp, name: &str) {
    let result = app
        .data(
            "mutation($filter: ClientFilter) { rescoreClients(filter: $filter) { rescored } }",
            json!({ "filter": { "search": name } }),
        )
        .await;
    assert_eq!(result["rescoreClients"]["rescored"], 1);
}

async fn factor(app: &TestApp, client: &str, key: &str) -> Value {
    let data = app
        .data(
            "query($id: ID!) { client(id: $id) { score { factors { key value missing } } } }",
            json!({ "id": client }),
        )
        .await;
    data["client"]["score"]["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("no factor {key} in {data:#}"))
}

#[tokio::test]
async fn a_client_without_checks_has_unknown_solvency() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Unchecked" })).await;
    let solvency = solvency_of(&app, &client).await;
    assert_eq!(solvency["level"], "UNKNOWN");
    assert_eq!(solvency["asOf"], Value::Null);
    assert_eq!(codes(&solvency), ["NO_DATA"]);
    assert_eq!(solvency["reasons"][0]["level"], "UNKNOWN");
}

#[tokio::test]
async fn a_healthy_client_is_low_risk_and_every_reason_says_why() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Healthy" })).await;
    let newest = healthy_checks(&app, &client).await;
    let solvency = solvency_of(&app, &client).await;
    assert_eq!(solvency["level"], "LOW", "{solvency:#}");
    assert_eq!(solvency["asOf"], newest);
    assert_eq!(
        codes(&solvency),
        [
            "REGISTRY_STATUS",
            "NET_PROFIT",
            "GROWING_REVENUE",
            "POSITIVE_EQUITY",
            "LAWSUITS"
        ]
    );
    assert!(
        solvency["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["level"] == "LOW")
    );
    assert_eq!(
        reason(&solvency, "GROWING_REVENUE")["message"],
        "revenue grew 20 % from FY2023 to FY2024"
    );
    assert_eq!(
        reason(&solvency, "NET_PROFIT")["message"],
        "net profit of 120000.00 RUB in FY2024, a 10 % margin"
    );
    assert_eq!(reason(&solvency, "LAWSUITS")["message"], "no lawsuits");
}

#[tokio::test]
async fn falling_revenue_and_lawsuits_from_different_sources_are_medium_risk() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Slipping" })).await;
    add_check(
        &app,
        &client,
        json!({ "source": "dadata", "checkedAt": "2024-04-01T00:00:00Z", "fiscalYear": 2023,
                "currency": "RUB", "revenue": "1000000", "netIncome": "10000" }),
    )
    .await;
    add_check(
        &app,
        &client,
        json!({ "source": "dadata", "checkedAt": "2025-04-01T00:00:00Z", "fiscalYear": 2024,
                "currency": "RUB", "revenue": "850000", "netIncome": "8500",
                "registryStatus": "active" }),
    )
    .await;
    // A litigation service's check: lawsuits only, newest; 2 % of revenue.
    add_check(
        &app,
        &client,
        json!({ "source": "checko", "checkedAt": "2025-05-01T00:00:00Z", "currency": "RUB",
                "litigationCount": 3, "litigationAmount": "17000" }),
    )
    .await;
    let solvency = solvency_of(&app, &client).await;
    assert_eq!(solvency["level"], "MEDIUM", "{solvency:#}");
    assert_eq!(solvency["asOf"], "2025-05-01T00:00:00+00:00");
    let falling = reason(&solvency, "FALLING_REVENUE");
    assert_eq!(falling["level"], "MEDIUM");
    assert_eq!(
        falling["message"],
        "revenue fell 15 % from FY2023 to FY2024"
    );
    let lawsuits = reason(&solvency, "LAWSUITS");
    assert_eq!(lawsuits["level"], "MEDIUM");
    assert_eq!(
        lawsuits["message"],
        "lawsuits claim 2.0 % of FY2024 revenue (3 lawsuits, 17000.00 RUB in all)"
    );
    assert_eq!(
        reason(&solvency, "REGISTRY_STATUS")["level"],
        "LOW",
        "the status comes from the older registry check"
    );
}

#[tokio::test]
async fn a_failed_status_is_high_risk_and_zeroes_financial_stability_after_rescoring() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Failing" })).await;
    healthy_checks(&app, &client).await;
    rescore(&app, "Failing").await;
    assert_eq!(
        factor(&app, &client, "financial_stability").await["value"],
        100.0
    );
    assert_eq!(
        factor(&app, &client, "financial_reputation").await["value"],
        100.0
    );

    add_check(
        &app,
        &client,
        json!({ "source": "dadata", "registryStatus": "Банкротство" }),
    )
    .await;
    let solvency = solvency_of(&app, &client).await;
    assert_eq!(solvency["level"], "HIGH");
    let status = reason(&solvency, "REGISTRY_STATUS");
    assert_eq!(status["level"], "HIGH");
    assert_eq!(status["message"], "registry status is bankrupt");
    assert_eq!(
        reason(&solvency, "NET_PROFIT")["level"],
        "LOW",
        "the figures still come from the older checks"
    );

    rescore(&app, "Failing").await;
    assert_eq!(
        factor(&app, &client, "financial_stability").await["value"],
        0.0
    );
    assert_eq!(
        factor(&app, &client, "financial_reputation").await["value"],
        0.0
    );
}

#[tokio::test]
async fn a_deep_loss_is_high_risk_and_caps_financial_stability_after_rescoring() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Losing" })).await;
    healthy_checks(&app, &client).await;
    rescore(&app, "Losing").await;
    let before = factor(&app, &client, "financial_stability").await["value"]
        .as_f64()
        .unwrap();

    // FY2025: revenue up 10 %, but a loss of 15 % of it.
    add_check(
        &app,
        &client,
        json!({ "fiscalYear": 2025, "currency": "RUB", "revenue": "1320000",
                "netIncome": "-198000" }),
    )
    .await;
    let solvency = solvency_of(&app, &client).await;
    assert_eq!(solvency["level"], "HIGH", "{solvency:#}");
    let loss = reason(&solvency, "NET_LOSS");
    assert_eq!(loss["level"], "HIGH");
    assert_eq!(
        loss["message"],
        "net loss of 198000.00 RUB in FY2025, 15 % of revenue"
    );
    assert_eq!(
        reason(&solvency, "GROWING_REVENUE")["message"],
        "revenue grew 10 % from FY2024 to FY2025"
    );

    rescore(&app, "Losing").await;
    let after = factor(&app, &client, "financial_stability").await;
    assert_eq!(after["missing"], false);
    let after = after["value"].as_f64().unwrap();
    assert!(after < before, "{before} -> {after}");
    assert!(after <= 20.0, "HIGH risk caps stability at 20: {after}");
}

#[tokio::test]
async fn figures_in_another_currency_are_not_compared() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Two currencies" })).await;
    add_check(
        &app,
        &client,
        json!({ "fiscalYear": 2023, "currency": "USD", "revenue": "5000000", "netIncome": "1" }),
    )
    .await;
    add_check(
        &app,
        &client,
        json!({ "fiscalYear": 2024, "currency": "RUB", "revenue": "1000000", "netIncome": "1" }),
    )
    .await;
    let solvency = solvency_of(&app, &client).await;
    assert_eq!(solvency["level"], "LOW", "{solvency:#}");
    assert!(!codes(&solvency).contains(&"FALLING_REVENUE"));
    assert_eq!(reason(&solvency, "NO_PRIOR_YEAR")["level"], "LOW");
}

#[tokio::test]
async fn integrators_cannot_read_solvency() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Private" })).await;
    let (integrator, _) = app.user_token(Role::Integrator, "Integrator").await;
    let body = app
        .graphql_as(&integrator, SOLVENCY, json!({ "id": client }))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
    let (analyst, _) = app.user_token(Role::Analyst, "Analyst").await;
    let body = app
        .graphql_as(&analyst, SOLVENCY, json!({ "id": client }))
        .await;
    assert_eq!(
        body["data"]["client"]["solvency"]["level"], "UNKNOWN",
        "{body:#}"
    );
}

#[tokio::test]
async fn a_page_of_clients_with_solvency_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn().await;
    for i in 0..20 {
        let client = app
            .create_client(json!({ "name": format!("Client {i:02}") }))
            .await;
        healthy_checks(&app, &client).await;
        add_check(
            &app,
            &client,
            json!({ "source": "checko", "currency": "RUB", "litigationCount": i }),
        )
        .await;
    }
    const PAGE: &str = "query($first: Int!) { clients(first: $first) { nodes { name
        solvency { level asOf reasons { code level message } } } } }";
    let mut counts = Vec::new();
    for first in [2, 20] {
        app.reset_statements();
        let data = app.data(PAGE, json!({ "first": first })).await;
        counts.push(app.statement_count());
        let nodes = data["clients"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), first);
        assert!(nodes.iter().all(|n| n["solvency"]["level"] != "UNKNOWN"));
    }
    assert_eq!(
        counts[0],
        counts[1],
        "the page size does not change the statements: {:#?}",
        app.statements_run()
    );
    assert!(
        counts[1] <= 5,
        "token check, page, solvency: {:#?}",
        app.statements_run()
    );
    // The newest check counts lawsuits without their sums, so they are counted: 5 or more is
    // MEDIUM.
    let data = app.data(PAGE, json!({ "first": 20 })).await;
    let medium = data["clients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["solvency"]["level"] == "MEDIUM")
        .count();
    assert_eq!(medium, 15, "5 to 19 lawsuits");
}
