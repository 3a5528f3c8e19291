//! Contacts: adding, changing and removing people at a client, and the decision structure.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const ADD: &str = "mutation($input: AddContactInput!) { addContact(input: $input) { id fullName email phone influence decisionRole consent consentAt reportsTo { fullName } } }";
const UPDATE: &str = "mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { id fullName position email phone influence decisionRole attitude consent consentAt reportsTo { fullName } } }";

async fn add_contact(app: &TestApp, input: Value) -> Value {
    app.data(ADD, json!({ "input": input })).await["addContact"].clone()
}

async fn contacts_of(app: &TestApp, client: &str) -> Value {
    app.data(
        "query($id: ID!) { client(id: $id) { contacts { totalCount nodes { fullName position department email phone preferredChannel decisionRole influence attitude notes consent reportsTo { fullName } client { id } } } } }",
        json!({ "id": client }),
    )
    .await["client"]["contacts"]
        .clone()
}

#[tokio::test]
async fn added_contacts_read_back_through_their_client_with_whom_they_report_to() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let boss = add_contact(
        &app,
        json!({
            "clientId": client,
            "fullName": "  Анна Петрова ",
            "position": "CFO",
            "department": "Finance",
            "email": " anna@acme.example ",
            "phone": "+7 495 000-00-00",
            "preferredChannel": "EMAIL",
            "decisionRole": "DECISION_MAKER",
            "influence": 5,
            "attitude": "SUPPORTIVE",
            "notes": "Prefers mornings",
            "consent": true,
        }),
    )
    .await;
    assert_eq!(boss["fullName"], "Анна Петрова");
    assert_eq!(boss["email"], "anna@acme.example");
    assert_eq!(boss["consent"], true);
    assert!(boss["consentAt"].is_string());

    let clerk = add_contact(
        &app,
        json!({ "clientId": client, "fullName": "Борис", "reportsToId": boss["id"] }),
    )
    .await;
    assert_eq!(clerk["reportsTo"]["fullName"], "Анна Петрова");
    assert_eq!(clerk["consent"], false);
    assert!(clerk["consentAt"].is_null());

    let contacts = contacts_of(&app, &client).await;
    assert_eq!(contacts["totalCount"], 2);
    assert_eq!(
        contacts["nodes"][0],
        json!({
            "fullName": "Анна Петрова",
            "position": "CFO",
            "department": "Finance",
            "email": "anna@acme.example",
            "phone": "+7 495 000-00-00",
            "preferredChannel": "EMAIL",
            "decisionRole": "DECISION_MAKER",
            "influence": 5,
            "attitude": "SUPPORTIVE",
            "notes": "Prefers mornings",
            "consent": true,
            "reportsTo": null,
            "client": { "id": client },
        })
    );
    assert_eq!(contacts["nodes"][1]["fullName"], "Борис");
    assert_eq!(
        contacts["nodes"][1]["reportsTo"]["fullName"],
        "Анна Петрова"
    );
}

#[tokio::test]
async fn each_invalid_contact_field_is_named_and_nothing_is_added() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let other = app.create_client(json!({ "name": "Other" })).await;
    let stranger = add_contact(&app, json!({ "clientId": other, "fullName": "Stranger" })).await;
    let long_phone = "1".repeat(51);
    for (input, field) in [
        (
            json!({ "clientId": client, "fullName": " " }),
            "input.fullName",
        ),
        (
            json!({ "clientId": "garbage", "fullName": "A" }),
            "input.clientId",
        ),
        (
            json!({ "clientId": client, "fullName": "A", "email": "not-an-email" }),
            "input.email",
        ),
        (
            json!({ "clientId": client, "fullName": "A", "influence": 0 }),
            "input.influence",
        ),
        (
            json!({ "clientId": client, "fullName": "A", "influence": 6 }),
            "input.influence",
        ),
        (
            json!({ "clientId": client, "fullName": "A", "phone": long_phone }),
            "input.phone",
        ),
        (
            json!({ "clientId": client, "fullName": "A", "reportsToId": stranger["id"] }),
            "input.reportsToId",
        ),
        (
            json!({ "clientId": client, "fullName": "A", "reportsToId": client }),
            "input.reportsToId",
        ),
    ] {
        let body = app.graphql(ADD, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field, "{body:#}");
    }
    assert_eq!(contacts_of(&app, &client).await["totalCount"], 0);
}

#[tokio::test]
async fn a_contact_of_an_unknown_client_is_not_found() {
    let app = TestApp::spawn().await;
    let missing =
        kaim::graphql::node::encode(kaim::graphql::node::Kind::Client, uuid::Uuid::now_v7());
    let body = app
        .graphql(
            ADD,
            json!({ "input": { "clientId": missing.0, "fullName": "A" } }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
}

#[tokio::test]
async fn updating_a_contact_changes_only_the_fields_given() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let boss = add_contact(&app, json!({ "clientId": client, "fullName": "Boss" })).await;
    let contact = add_contact(
        &app,
        json!({
            "clientId": client,
            "fullName": "Vera",
            "email": "vera@acme.example",
            "phone": "123",
            "influence": 2,
            "decisionRole": "USER",
        }),
    )
    .await;

    let updated = app
        .data(
            UPDATE,
            json!({ "id": contact["id"], "input": {
                "position": "Head of purchasing",
                "phone": null,
                "influence": 4,
                "reportsToId": boss["id"],
                "consent": true,
            }}),
        )
        .await["updateContact"]
        .clone();
    assert_eq!(updated["fullName"], "Vera");
    assert_eq!(updated["email"], "vera@acme.example");
    assert_eq!(updated["decisionRole"], "USER");
    assert_eq!(updated["position"], "Head of purchasing");
    assert!(updated["phone"].is_null());
    assert_eq!(updated["influence"], 4);
    assert_eq!(updated["reportsTo"]["fullName"], "Boss");
    assert_eq!(updated["consent"], true);
    let consent_at = updated["consentAt"].clone();

    let again = app
        .data(
            UPDATE,
            json!({ "id": contact["id"], "input": { "consent": true, "attitude": "NEUTRAL" } }),
        )
        .await["updateContact"]
        .clone();
    assert_eq!(
        again["consentAt"], consent_at,
        "an earlier consent keeps its time"
    );
    assert_eq!(again["attitude"], "NEUTRAL");

    let withdrawn = app
        .data(
            UPDATE,
            json!({ "id": contact["id"], "input": { "consent": false, "reportsToId": null } }),
        )
        .await["updateContact"]
        .clone();
    assert_eq!(withdrawn["consent"], false);
    assert!(withdrawn["consentAt"].is_null());
    assert!(withdrawn["reportsTo"].is_null());
    assert_eq!(withdrawn["influence"], 4);
}

#[tokio::test]
async fn a_contact_cannot_report_to_itself_or_to_someone_below_it() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let top = add_contact(&app, json!({ "clientId": client, "fullName": "Top" })).await;
    let middle = add_contact(
        &app,
        json!({ "clientId": client, "fullName": "Middle", "reportsToId": top["id"] }),
    )
    .await;
    let bottom = add_contact(
        &app,
        json!({ "clientId": client, "fullName": "Bottom", "reportsToId": middle["id"] }),
    )
    .await;
    for manager in [&top, &bottom, &middle] {
        let body = app
            .graphql(
                UPDATE,
                json!({ "id": top["id"], "input": { "reportsToId": manager["id"] } }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), "input.reportsToId");
    }
    for (input, field) in [
        (json!({ "influence": 9 }), "input.influence"),
        (json!({ "email": "@" }), "input.email"),
        (json!({ "fullName": "" }), "input.fullName"),
    ] {
        let body = app
            .graphql(UPDATE, json!({ "id": top["id"], "input": input }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field);
    }
    let contacts = contacts_of(&app, &client).await;
    assert!(
        contacts["nodes"][2]["reportsTo"].is_null(),
        "Top still reports to no one"
    );
}

#[tokio::test]
async fn removing_a_contact_returns_its_id_and_frees_those_who_reported_to_it() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let boss = add_contact(&app, json!({ "clientId": client, "fullName": "Boss" })).await;
    add_contact(
        &app,
        json!({ "clientId": client, "fullName": "Clerk", "reportsToId": boss["id"] }),
    )
    .await;
    let remove = "mutation($id: ID!) { removeContact(id: $id) }";
    let data = app.data(remove, json!({ "id": boss["id"] })).await;
    assert_eq!(data["removeContact"], boss["id"]);

    let contacts = contacts_of(&app, &client).await;
    assert_eq!(contacts["totalCount"], 1);
    assert_eq!(contacts["nodes"][0]["fullName"], "Clerk");
    assert!(contacts["nodes"][0]["reportsTo"].is_null());

    let body = app.graphql(remove, json!({ "id": boss["id"] })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
}

#[tokio::test]
async fn an_analyst_may_not_add_change_or_remove_contacts() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let contact = add_contact(&app, json!({ "clientId": client, "fullName": "Vera" })).await;
    let (token, _) = app.user_token(Role::Analyst, "Analyst").await;
    for (query, variables) in [
        (
            ADD,
            json!({ "input": { "clientId": client, "fullName": "Eve" } }),
        ),
        (
            UPDATE,
            json!({ "id": contact["id"], "input": { "fullName": "Eve" } }),
        ),
        (
            "mutation($id: ID!) { removeContact(id: $id) }",
            json!({ "id": contact["id"] }),
        ),
    ] {
        let body = app.graphql_as(&token, query, variables).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
    }
    let contacts = contacts_of(&app, &client).await;
    assert_eq!(contacts["totalCount"], 1);
    assert_eq!(contacts["nodes"][0]["fullName"], "Vera");
}
