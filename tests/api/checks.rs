//! Financial checks entered by hand: validation, defaults, and reading them back.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const ADD: &str = "mutation($input: AddFinancialCheckInput!) { addFinancialCheck(input: $input) { id source checkedAt fiscalYear revenue netIncome currency employees client { id } } }";
const CHECK_FIELDS: &str = "source checkedAt fiscalYear revenue netIncome assets equity debt currency employees registryStatus litigationCount litigationAmount governmentContracts governmentContractsAmount rawPayload";

async fn checks_of(app: &TestApp, client: &str) -> Value {
    app.data(
        &format!("query($id: ID!) {{ client(id: $id) {{ financialChecks {{ totalCount nodes {{ {CHECK_FIELDS} }} }} latestFinancialCheck {{ {CHECK_FIELDS} }} }} }}"),
        json!({ "id": client }),
    )
    .await["client"]
        .clone()
}

#[tokio::test]
async fn a_manual_check_reads_back_as_the_latest_with_exact_amounts() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let older = app
        .data(
            ADD,
            json!({ "input": {
                "clientId": client,
                "checkedAt": "2025-03-01T10:00:00Z",
                "fiscalYear": 2024,
                "revenue": "1000000",
                "currency": "eur",
            }}),
        )
        .await["addFinancialCheck"]
        .clone();
    assert_eq!(older["source"], "manual");
    assert_eq!(older["currency"], "EUR");
    assert_eq!(older["revenue"], "1000000.00");
    assert_eq!(older["client"]["id"], client);

    let newer = app
        .data(
            ADD,
            json!({ "input": {
                "clientId": client,
                "source": "auditor report",
                "fiscalYear": 2025,
                "currency": "RUB",
                "revenue": "1250000.50",
                "netIncome": "-300.1234",
                "assets": 5000000,
                "equity": "-10",
                "debt": "250000",
                "employees": 120,
                "registryStatus": "active",
                "litigationCount": 2,
                "litigationAmount": "15000",
                "governmentContracts": 3,
                "governmentContractsAmount": "900000.99",
                "rawPayload": { "note": "entered from the 2025 annual report" },
            }}),
        )
        .await["addFinancialCheck"]
        .clone();
    assert!(newer["checkedAt"].is_string(), "checkedAt defaults to now");

    let read = checks_of(&app, &client).await;
    let expected = json!({
        "source": "auditor report",
        "checkedAt": newer["checkedAt"],
        "fiscalYear": 2025,
        "revenue": "1250000.50",
        "netIncome": "-300.1234",
        "assets": "5000000.00",
        "equity": "-10.00",
        "debt": "250000.00",
        "currency": "RUB",
        "employees": 120,
        "registryStatus": "active",
        "litigationCount": 2,
        "litigationAmount": "15000.00",
        "governmentContracts": 3,
        "governmentContractsAmount": "900000.99",
        "rawPayload": { "note": "entered from the 2025 annual report" },
    });
    assert_eq!(read["latestFinancialCheck"], expected);
    assert_eq!(read["financialChecks"]["totalCount"], 2);
    assert_eq!(read["financialChecks"]["nodes"][0], expected);
    assert_eq!(read["financialChecks"]["nodes"][1]["fiscalYear"], 2024);
    assert_eq!(
        read["financialChecks"]["nodes"][1]["checkedAt"],
        older["checkedAt"]
    );
}

#[tokio::test]
async fn each_invalid_check_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let base = |extra: Value| {
        let mut input = json!({ "clientId": client });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        input
    };
    for (input, field) in [
        (base(json!({ "fiscalYear": 1899 })), "input.fiscalYear"),
        (base(json!({ "fiscalYear": 2999 })), "input.fiscalYear"),
        (base(json!({ "revenue": "100" })), "input.currency"),
        (base(json!({ "currency": "XYZ1" })), "input.currency"),
        (
            base(json!({ "currency": "EUR", "revenue": "-1" })),
            "input.revenue",
        ),
        (
            base(json!({ "currency": "EUR", "netIncome": "0.00001" })),
            "input.netIncome",
        ),
        (
            base(json!({ "currency": "EUR", "debt": "-5" })),
            "input.debt",
        ),
        (
            base(json!({ "currency": "EUR", "litigationAmount": "-5" })),
            "input.litigationAmount",
        ),
        (
            base(json!({ "currency": "EUR", "governmentContractsAmount": "-5" })),
            "input.governmentContractsAmount",
        ),
        (base(json!({ "employees": -1 })), "input.employees"),
        (
            base(json!({ "litigationCount": -1 })),
            "input.litigationCount",
        ),
        (
            base(json!({ "governmentContracts": -1 })),
            "input.governmentContracts",
        ),
        (base(json!({ "source": "x".repeat(65) })), "input.source"),
        (json!({ "clientId": "nope" }), "input.clientId"),
    ] {
        let body = app.graphql(ADD, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field, "{body:#}");
    }
    let read = checks_of(&app, &client).await;
    assert_eq!(read["financialChecks"]["totalCount"], 0);
    assert!(read["latestFinancialCheck"].is_null());
}

#[tokio::test]
async fn a_check_of_an_unknown_client_is_not_found() {
    let app = TestApp::spawn().await;
    let missing =
        kaim::graphql::node::encode(kaim::graphql::node::Kind::Client, uuid::Uuid::now_v7()).0;
    let body = app
        .graphql(ADD, json!({ "input": { "clientId": missing } }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
}

#[tokio::test]
async fn an_analyst_may_not_add_a_financial_check() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let (token, _) = app.user_token(Role::Analyst, "Analyst").await;
    let body = app
        .graphql_as(
            &token,
            ADD,
            json!({ "input": { "clientId": client, "employees": 5 } }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
    assert_eq!(
        checks_of(&app, &client).await["financialChecks"]["totalCount"],
        0
    );
}
