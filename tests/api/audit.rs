//! The audit trail: every write leaves one event in its own transaction, `Client.history` shows
//! them newest first, and personal data never reaches the table in clear.

use entity::enums::Role;
use kaim::graphql::node::{self, Kind};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code};

const HISTORY: &str = "query($id: ID!, $first: Int, $after: String) {
    client(id: $id) {
        history(first: $first, after: $after) {
            totalCount
            pageInfo { hasNextPage endCursor }
            edges { cursor node {
                occurredAt action entityType entityId actorRole actor { name }
                changes { field before after }
            } }
        }
    }
}";

const UPDATE_CLIENT: &str = "mutation($id: ID!, $v: Int!, $input: UpdateClientInput!) {
    updateClient(id: $id, version: $v, input: $input) { version }
}";

const ADD_CONTACT: &str = "mutation($input: AddContactInput!) { addContact(input: $input) { id } }";

const RECORD: &str =
    "mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { id } }";

const IMPORT: &str = "mutation($inputs: [RecordInteractionInput!]!) {
    importInteractions(inputs: $inputs) { created unchanged }
}";

async fn history(app: &TestApp, client: &str, first: i64, after: Option<&str>) -> Value {
    app.data(
        HISTORY,
        json!({ "id": client, "first": first, "after": after }),
    )
    .await["client"]["history"]
        .clone()
}

/// Every event of a client, newest first.
async fn events(app: &TestApp, client: &str) -> Vec<Value> {
    let page = history(app, client, 100, None).await;
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// Every stored audit row as text, read past the API.
async fn raw_audit_rows(app: &TestApp) -> Vec<String> {
    let backend = app.db.get_database_backend();
    let sql = "SELECT CAST(actor_role AS TEXT) AS actor_role, CAST(action AS TEXT) AS action, \
               CAST(entity_type AS TEXT) AS entity_type, CAST(changes AS TEXT) AS changes \
               FROM audit_events";
    app.db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            ["actor_role", "action", "entity_type", "changes"]
                .iter()
                .map(|column| row.try_get::<String>("", column).unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

async fn audit_row_count(app: &TestApp) -> i64 {
    let backend = app.db.get_database_backend();
    let sql = "SELECT COUNT(*) AS n FROM audit_events";
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn an_update_shows_in_the_history_with_who_changed_which_fields() {
    let app = TestApp::spawn().await;
    let (kam_token, kam) = app.user_token(Role::Manager, "Kira").await;
    let client = app
        .create_client(json!({ "name": "Acme", "country": "de", "managerId": kam }))
        .await;
    let body = app
        .graphql_as(
            &kam_token,
            UPDATE_CLIENT,
            json!({ "id": client, "v": 1, "input": {
                "name": "Acme Corp", "employees": 120, "status": "ACTIVE", "country": "DE",
            }}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");

    let events = events(&app, &client).await;
    assert_eq!(events.len(), 2, "{events:#?}");
    let update = &events[0];
    assert_eq!(update["action"], "UPDATE");
    assert_eq!(update["entityType"], "CLIENT");
    assert_eq!(update["entityId"], client);
    assert_eq!(update["actor"]["name"], "Kira");
    assert_eq!(update["actorRole"], "MANAGER");
    // The unchanged country and the bookkeeping (version, search text, times) are left out.
    assert_eq!(
        update["changes"],
        json!([
            { "field": "employees", "before": null, "after": 120 },
            { "field": "name", "before": "Acme", "after": "Acme Corp" },
            { "field": "status", "before": "PROSPECT", "after": "ACTIVE" },
        ])
    );
    let create = &events[1];
    assert_eq!(create["action"], "CREATE");
    assert_eq!(create["actor"]["name"], "Test Admin");
    assert_eq!(create["actorRole"], "ADMIN");
    let Ok(kam_uuid) = node::decode(&kam.clone().into(), Kind::User, "kam") else {
        panic!("{kam} is not a user id");
    };
    assert_eq!(
        create["changes"],
        json!([
            { "field": "country", "before": null, "after": "DE" },
            { "field": "managerId", "before": null, "after": kam_uuid.to_string() },
            { "field": "markets", "before": null, "after": [] },
            { "field": "name", "before": null, "after": "Acme" },
            { "field": "status", "before": null, "after": "PROSPECT" },
        ])
    );
    assert!(
        update["occurredAt"].as_str() >= create["occurredAt"].as_str(),
        "newest first: {events:#?}"
    );
}

#[tokio::test]
async fn contact_personal_data_is_masked_and_never_stored_in_clear() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let contact = app
        .data(
            ADD_CONTACT,
            json!({ "input": {
                "clientId": client, "fullName": "Jane Roe", "position": "CFO",
                "email": "jane.roe@acme.example", "phone": "+44 20 7946 0958",
                "notes": "Plays golf on Fridays",
            }}),
        )
        .await["addContact"]["id"]
        .clone();
    app.data(
        "mutation($id: ID!, $input: UpdateContactInput!) { updateContact(id: $id, input: $input) { id } }",
        json!({ "id": contact, "input": { "email": "j.roe@acme.example", "phone": null, "influence": 4 } }),
    )
    .await;

    let events = events(&app, &client).await;
    assert_eq!(events.len(), 3, "{events:#?}");
    let (update, create) = (&events[0], &events[1]);
    assert_eq!(create["action"], "CREATE");
    assert_eq!(create["entityType"], "CONTACT");
    assert_eq!(create["entityId"], contact);
    assert_eq!(
        create["changes"],
        json!([
            { "field": "email", "before": null, "after": "***" },
            { "field": "fullName", "before": null, "after": "***" },
            { "field": "notes", "before": null, "after": "***" },
            { "field": "phone", "before": null, "after": "***" },
            { "field": "position", "before": null, "after": "CFO" },
        ])
    );
    // Changed, cleared, and a plain field in clear.
    assert_eq!(
        update["changes"],
        json!([
            { "field": "email", "before": "***", "after": "***" },
            { "field": "influence", "before": null, "after": 4 },
            { "field": "phone", "before": "***", "after": null },
        ])
    );

    let rows = raw_audit_rows(&app).await;
    assert_eq!(rows.len(), 3, "{rows:#?}");
    for secret in [
        "jane.roe@acme.example",
        "j.roe@acme.example",
        "acme.example",
        "7946",
        "Jane Roe",
        "golf",
    ] {
        assert!(
            rows.iter().all(|row| !row.contains(secret)),
            "`{secret}` is stored in clear: {rows:#?}"
        );
    }
}

#[tokio::test]
async fn a_mutation_that_fails_midway_leaves_no_audit_event() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let before = audit_row_count(&app).await;
    assert_eq!(before, 1);
    let nobody = node::encode(Kind::User, Uuid::now_v7());
    // The plan and its objective are written (and audited) before the bad owner is found.
    let body = app
        .graphql(
            "mutation($input: CreateAccountPlanInput!) { createAccountPlan(input: $input) { id } }",
            json!({ "input": {
                "clientId": client,
                "title": "Doomed",
                "objectives": [{ "description": "Something" }],
                "actions": [{ "description": "First", "ownerId": nobody.0 }],
            }}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(audit_row_count(&app).await, before);
    assert_eq!(history(&app, &client, 10, None).await["totalCount"], 1);
}

#[tokio::test]
async fn a_replayed_interaction_records_nothing_new() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let input = |external_id: &str| {
        json!({
            "clientId": client, "kind": "ORDER", "occurredAt": "2026-01-15T10:00:00Z",
            "amount": "1250.5", "currency": "EUR", "source": "erp", "externalId": external_id,
        })
    };
    app.data(RECORD, json!({ "input": input("A-1") })).await;
    app.data(RECORD, json!({ "input": input("A-1") })).await;
    let recorded = events(&app, &client).await;
    assert_eq!(recorded.len(), 2, "{recorded:#?}");
    assert_eq!(recorded[0]["action"], "RECORD");
    assert_eq!(recorded[0]["entityType"], "INTERACTION");
    let changes = recorded[0]["changes"].as_array().unwrap();
    assert!(
        changes.contains(&json!({ "field": "amount", "before": null, "after": "1250.50" })),
        "{changes:#?}"
    );

    // An import counts only its new rows, and a replayed import records nothing.
    let batch = json!({ "inputs": [input("A-1"), input("A-2"), input("A-3")] });
    let result = app.data(IMPORT, batch.clone()).await;
    assert_eq!(result["importInteractions"]["created"], 2);
    app.data(IMPORT, batch).await;
    let imported = events(&app, &client).await;
    assert_eq!(imported.len(), 3, "{imported:#?}");
    assert_eq!(imported[0]["action"], "IMPORT");
    assert_eq!(imported[0]["entityType"], "CLIENT");
    assert_eq!(
        imported[0]["changes"],
        json!([{ "field": "interactionsCreated", "before": null, "after": 2 }])
    );
}

#[tokio::test]
async fn the_history_pages_newest_first_with_cursors() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    for version in 1..=4 {
        app.data(
            UPDATE_CLIENT,
            json!({ "id": client, "v": version, "input": { "employees": version * 10 } }),
        )
        .await;
    }

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = history(&app, &client, 2, after.as_deref()).await;
        assert_eq!(page["totalCount"], 5);
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["changes"][0]["after"].clone());
        }
        if page["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        assert!(seen.len() < 10, "paging does not end");
    }
    // Newest first: the four updates backwards, then the creation (its first change, `markets`).
    assert_eq!(
        seen,
        json!([40, 30, 20, 10, []]).as_array().unwrap().clone()
    );
}

#[tokio::test]
async fn an_integrator_cannot_read_a_client_history() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let (token, _) = app.user_token(Role::Integrator, "ERP").await;
    let body = app
        .graphql_as(
            &token,
            "query($id: ID!) { client(id: $id) { history { totalCount } } }",
            json!({ "id": client }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
}

#[tokio::test]
async fn user_administration_is_audited_without_a_client() {
    let app = TestApp::spawn().await;
    let created = app
        .data(
            "mutation { createUser(input: { name: \"Kira\", email: \"kira@corp.example\", role: MANAGER }) { id } }",
            json!({}),
        )
        .await;
    let id = created["createUser"]["id"].clone();
    app.data(
        "mutation($id: ID!) { updateUser(id: $id, input: { role: ANALYST }) { id } }",
        json!({ "id": id }),
    )
    .await;
    let rows = raw_audit_rows(&app).await;
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows.iter().all(|row| row.contains("USER")), "{rows:#?}");
    assert!(
        rows.iter().all(|row| !row.contains("kira@corp.example")),
        "{rows:#?}"
    );
    assert!(
        rows.iter()
            .any(|row| row.contains("MANAGER") && row.contains("ANALYST")),
        "{rows:#?}"
    );
}

#[tokio::test]
async fn rating_a_client_shows_in_its_history_with_the_earlier_and_the_new_ratings() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let rate = "mutation($id: ID!, $ratings: [FactorRatingInput!]!) {
        rateClient(clientId: $id, ratings: $ratings) { attractiveness }
    }";
    app.data(
        rate,
        json!({ "id": client, "ratings": [{ "key": "growth_prospects", "value": 7 }] }),
    )
    .await;
    app.data(
        rate,
        json!({ "id": client, "ratings": [
            { "key": "growth_prospects", "value": 9 },
            { "key": "service_quality", "value": 4 },
        ] }),
    )
    .await;
    // A rejected rating writes nothing, so it records nothing.
    let body = app
        .graphql(
            rate,
            json!({ "id": client, "ratings": [{ "key": "no_such_factor", "value": 5 }] }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");

    let events = events(&app, &client).await;
    assert_eq!(events.len(), 3, "{events:#?}");
    for rated in &events[..2] {
        assert_eq!(rated["action"], "RATE");
        assert_eq!(rated["entityType"], "CLIENT");
        assert_eq!(rated["entityId"], client);
        assert_eq!(rated["actorRole"], "ADMIN");
    }
    assert_eq!(
        events[0]["changes"],
        json!([
            { "field": "growth_prospects", "before": 7.0, "after": 9.0 },
            { "field": "service_quality", "before": null, "after": 4.0 },
        ])
    );
    assert_eq!(
        events[1]["changes"],
        json!([{ "field": "growth_prospects", "before": null, "after": 7.0 }])
    );
}

#[tokio::test]
async fn minting_and_revoking_a_service_token_is_audited_without_the_token_text() {
    let app = TestApp::spawn().await;
    let minted = app
        .data(
            "mutation { mintServiceToken(input: {
                name: \"Power BI\", role: ANALYST, expiresIn: \"90d\"
            }) { token serviceToken { id } } }",
            json!({}),
        )
        .await["mintServiceToken"]
        .clone();
    let token = minted["token"].as_str().unwrap().to_owned();
    let revoke = "mutation($id: ID!) { revokeToken(id: $id) { active } }";
    let id = json!({ "id": minted["serviceToken"]["id"] });
    app.data(revoke, id.clone()).await;
    // Revoking it again changes nothing, so it records nothing.
    app.data(revoke, id).await;

    let rows = raw_audit_rows(&app).await;
    assert_eq!(rows.len(), 3, "{rows:#?}");
    let created = |entity: &str| {
        rows.iter()
            .any(|row| row.starts_with(&format!("ADMIN CREATE {entity} ")))
    };
    assert!(created("USER"), "the service's user: {rows:#?}");
    assert!(created("SERVICE_TOKEN"), "{rows:#?}");
    let revoked: Vec<_> = rows
        .iter()
        .filter(|row| row.starts_with("ADMIN UPDATE SERVICE_TOKEN "))
        .collect();
    assert_eq!(revoked.len(), 1, "{rows:#?}");
    assert!(revoked[0].contains("revokedAt"), "{rows:#?}");
    assert!(revoked[0].contains("revokedBy"), "{rows:#?}");
    assert!(
        rows.iter().all(|row| !row.contains(&token)),
        "the token text is stored: {rows:#?}"
    );
}
