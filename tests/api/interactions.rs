//! Interactions: recording (idempotent on source and external id), imports, the list across
//! clients, and what recording does to the client portfolio.

use chrono::{Duration, SecondsFormat, Utc};
use entity::{contact, enums::Role};
use futures::future::join_all;
use kaim::graphql::node::{self, Kind};
use sea_orm::{ActiveModelTrait, ActiveValue::Set};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, error_field};

const RECORD: &str = "mutation($input: RecordInteractionInput!) {
    recordInteraction(input: $input) {
        id kind occurredAt subject summary amount currency outcome source externalId
        client { id } contact { id }
    }
}";

const IMPORT: &str = "mutation($inputs: [RecordInteractionInput!]!) {
    importInteractions(inputs: $inputs) { created unchanged }
}";

const TOTAL: &str = "{ interactions { totalCount } }";

/// An RFC 3339 time `days` days before now, at whole seconds.
fn days_ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn order(client_id: &str, external_id: &str, days: i64) -> Value {
    json!({
        "clientId": client_id,
        "kind": "ORDER",
        "occurredAt": days_ago(days),
        "amount": "100.00",
        "currency": "EUR",
        "source": "erp",
        "externalId": external_id,
    })
}

async fn total(app: &TestApp) -> Value {
    app.data(TOTAL, json!({})).await["interactions"]["totalCount"].clone()
}

/// Stores a contact of `client_id` directly, returning its global id.
async fn insert_contact(app: &TestApp, client_id: &str) -> String {
    let Ok(client) = node::decode(&client_id.into(), Kind::Client, "clientId") else {
        panic!("{client_id} is not a client id");
    };
    let now = Utc::now();
    let model = contact::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        full_name: Set("Ирина Петрова".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap_or_else(|err| panic!("contact not stored: {err}"));
    node::encode(Kind::Contact, model.id).0
}

#[tokio::test]
async fn a_recorded_interaction_reads_back_with_its_exact_amount() {
    let app = TestApp::spawn().await;
    let client_id = app.create_client(json!({ "name": "Acme" })).await;
    let contact_id = insert_contact(&app, &client_id).await;
    let occurred_at = days_ago(3);
    let data = app
        .data(
            RECORD,
            json!({ "input": {
                "clientId": client_id,
                "contactId": contact_id,
                "kind": "ORDER",
                "occurredAt": occurred_at,
                "subject": "  Spare parts  ",
                "summary": "Quarterly order",
                "amount": "1250.50",
                "currency": "eur",
                "outcome": "won",
                "source": "erp",
                "externalId": "SO-1",
            }}),
        )
        .await;
    let recorded = &data["recordInteraction"];
    assert_eq!(recorded["amount"], "1250.50");
    assert_eq!(recorded["currency"], "EUR");
    assert_eq!(recorded["subject"], "Spare parts");
    assert_eq!(recorded["client"]["id"], client_id);
    assert_eq!(recorded["contact"]["id"], contact_id);

    let data = app
        .data(
            "query($id: ID!, $client: ID!) {
                node(id: $id) { ... on Interaction { amount currency kind source externalId occurredAt } }
                client(id: $client) {
                    lastInteractionAt
                    revenue12m { amount currency }
                    interactions { totalCount nodes { id amount } }
                }
            }",
            json!({ "id": recorded["id"], "client": client_id }),
        )
        .await;
    assert_eq!(data["node"]["amount"], "1250.50");
    assert_eq!(data["node"]["kind"], "ORDER");
    assert_eq!(data["node"]["externalId"], "SO-1");
    assert_eq!(data["node"]["occurredAt"], recorded["occurredAt"]);
    let client = &data["client"];
    assert_eq!(client["lastInteractionAt"], recorded["occurredAt"]);
    assert_eq!(
        client["revenue12m"],
        json!([{ "amount": "1250.50", "currency": "EUR" }])
    );
    assert_eq!(client["interactions"]["totalCount"], 1);
    assert_eq!(client["interactions"]["nodes"][0]["id"], recorded["id"]);
}

#[tokio::test]
async fn replaying_a_source_and_external_id_returns_the_stored_record_unchanged() {
    let app = TestApp::spawn().await;
    let client_id = app.create_client(json!({ "name": "Acme" })).await;
    let mut input = order(&client_id, "SO-7", 2);
    input["subject"] = json!("first");
    let first = app.data(RECORD, json!({ "input": input })).await;

    input["subject"] = json!("second");
    input["amount"] = json!("999.99");
    let replay = app.data(RECORD, json!({ "input": input })).await;

    assert_eq!(
        replay["recordInteraction"]["id"],
        first["recordInteraction"]["id"]
    );
    assert_eq!(replay["recordInteraction"]["subject"], "first");
    assert_eq!(replay["recordInteraction"]["amount"], "100.00");
    assert_eq!(total(&app).await, 1);
}

#[tokio::test]
async fn ten_concurrent_identical_recordings_leave_exactly_one_record() {
    let app = TestApp::spawn().await;
    let client_id = app.create_client(json!({ "name": "Acme" })).await;
    let input = order(&client_id, "SO-RACE", 1);
    let bodies = join_all((0..10).map(|_| app.graphql(RECORD, json!({ "input": input })))).await;
    let ids: Vec<&Value> = bodies
        .iter()
        .map(|body| {
            assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
            &body["data"]["recordInteraction"]["id"]
        })
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "ids differ: {ids:?}");
    assert_eq!(total(&app).await, 1);
}

#[tokio::test]
async fn reimporting_a_batch_counts_every_row_as_unchanged() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let globex = app.create_client(json!({ "name": "Globex" })).await;
    let inputs = json!([
        order(&acme, "A-1", 10),
        order(&acme, "A-2", 5),
        order(&globex, "G-1", 1),
    ]);
    let data = app.data(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(
        data["importInteractions"],
        json!({ "created": 3, "unchanged": 0 })
    );

    let data = app.data(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(
        data["importInteractions"],
        json!({ "created": 0, "unchanged": 3 })
    );
    assert_eq!(total(&app).await, 3);

    let data = app
        .data(
            "query($id: ID!) { client(id: $id) { lastInteractionAt revenue12m { amount } } }",
            json!({ "id": acme }),
        )
        .await;
    assert_eq!(
        data["client"]["revenue12m"],
        json!([{ "amount": "200.00" }])
    );
    let last = data["client"]["lastInteractionAt"]
        .as_str()
        .expect("lastInteractionAt");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(last).expect("time"),
        chrono::DateTime::parse_from_rfc3339(inputs[1]["occurredAt"].as_str().expect("time"))
            .expect("time"),
    );
}

#[tokio::test]
async fn a_pair_repeated_inside_one_batch_counts_once() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    app.data(RECORD, json!({ "input": order(&acme, "OLD", 30) }))
        .await;
    let without_key = json!({ "clientId": acme, "kind": "CALL", "occurredAt": days_ago(1) });
    let inputs = json!([
        order(&acme, "NEW", 2),
        order(&acme, "NEW", 2),
        order(&acme, "OLD", 30),
        order(&acme, "OLD", 30),
        without_key,
    ]);
    let data = app.data(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(
        data["importInteractions"],
        json!({ "created": 2, "unchanged": 1 })
    );
    assert_eq!(total(&app).await, 3);
}

#[tokio::test]
async fn a_bad_row_rejects_the_whole_import_naming_its_index_and_field() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let mut bad = order(&acme, "A-3", 1);
    bad.as_object_mut().expect("object").remove("currency");
    let inputs = json!([order(&acme, "A-1", 3), order(&acme, "A-2", 2), bad]);
    let body = app.graphql(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_field(&body), "inputs[2].currency");
    assert_eq!(total(&app).await, 0);

    let mut unknown_client = order(&acme, "A-4", 1);
    unknown_client["clientId"] = json!(node::encode(Kind::Client, Uuid::now_v7()).0);
    let inputs = json!([order(&acme, "A-1", 3), unknown_client]);
    let body = app.graphql(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(error_field(&body), "inputs[1].clientId");
    assert_eq!(total(&app).await, 0);

    let data = app
        .data(
            "query($id: ID!) { client(id: $id) { lastInteractionAt } }",
            json!({ "id": acme }),
        )
        .await;
    assert_eq!(data["client"]["lastInteractionAt"], Value::Null);
}

#[tokio::test]
async fn an_import_over_the_row_limit_is_refused() {
    let app = TestApp::spawn_with(|s| s.api.import_max_rows = 2).await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let inputs = json!([
        order(&acme, "1", 3),
        order(&acme, "2", 2),
        order(&acme, "3", 1)
    ]);
    let body = app.graphql(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_field(&body), "inputs");
    assert_eq!(total(&app).await, 0);

    let inputs = json!([order(&acme, "1", 3), order(&acme, "2", 2)]);
    let data = app.data(IMPORT, json!({ "inputs": inputs })).await;
    assert_eq!(data["importInteractions"]["created"], 2);
}

#[tokio::test]
async fn invalid_recordings_name_the_offending_field() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let globex = app.create_client(json!({ "name": "Globex" })).await;
    let globex_contact = insert_contact(&app, &globex).await;
    let base = json!({ "clientId": acme, "kind": "MEETING", "occurredAt": days_ago(1) });
    let with = |changes: Value| {
        let mut input = base.clone();
        for (key, value) in changes.as_object().expect("object") {
            input[key] = value.clone();
        }
        input
    };
    let in_two_days = (Utc::now() + Duration::days(2)).to_rfc3339();
    for (input, field) in [
        (
            with(json!({ "clientId": node::encode(Kind::Client, Uuid::now_v7()).0 })),
            "input.clientId",
        ),
        (
            with(json!({ "clientId": globex_contact })),
            "input.clientId",
        ),
        (
            with(json!({ "contactId": globex_contact })),
            "input.contactId",
        ),
        (with(json!({ "amount": "10.00" })), "input.currency"),
        (
            with(json!({ "amount": "10", "currency": "XYZ" })),
            "input.currency",
        ),
        (
            with(json!({ "amount": "0.00001", "currency": "EUR" })),
            "input.amount",
        ),
        (with(json!({ "source": "erp" })), "input.externalId"),
        (with(json!({ "externalId": "SO-1" })), "input.source"),
        (
            with(json!({ "source": "x".repeat(65), "externalId": "1" })),
            "input.source",
        ),
        (with(json!({ "subject": "x".repeat(501) })), "input.subject"),
        (
            with(json!({ "occurredAt": in_two_days })),
            "input.occurredAt",
        ),
    ] {
        let body = app.graphql(RECORD, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}");
        assert_eq!(error_field(&body), field, "{input}");
    }
    assert_eq!(total(&app).await, 0);
}

#[tokio::test]
async fn an_integrator_may_record_interactions_but_not_create_clients() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let (token, _) = app.user_token(Role::Integrator, "ERP bridge").await;
    // An integrator reads back only what identifies the record.
    let body = app
        .graphql_as(
            &token,
            "mutation($input: RecordInteractionInput!) {
                recordInteraction(input: $input) { id source externalId client { id name } }
            }",
            json!({ "input": order(&acme, "SO-1", 1) }),
        )
        .await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    let body = app
        .graphql_as(
            &token,
            IMPORT,
            json!({ "inputs": [order(&acme, "SO-2", 1)] }),
        )
        .await;
    assert_eq!(body["data"]["importInteractions"]["created"], 1);

    let body = app
        .graphql_as(
            &token,
            "mutation { createClient(input: { name: \"Initech\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn an_analyst_may_not_record_interactions() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let (token, _) = app.user_token(Role::Analyst, "Analyst").await;
    let body = app
        .graphql_as(&token, RECORD, json!({ "input": order(&acme, "SO-1", 1) }))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app
        .graphql_as(
            &token,
            IMPORT,
            json!({ "inputs": [order(&acme, "SO-2", 1)] }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let body = app.graphql_as(&token, TOTAL, json!({})).await;
    assert_eq!(body["data"]["interactions"]["totalCount"], 0);
}

#[tokio::test]
async fn the_interaction_list_filters_by_kind_and_pages_newest_first() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let globex = app.create_client(json!({ "name": "Globex" })).await;
    let mut inputs: Vec<Value> = (1..=5)
        .map(|day| {
            order(
                if day % 2 == 0 { &acme } else { &globex },
                &format!("O-{day}"),
                day,
            )
        })
        .collect();
    inputs.push(json!({ "clientId": acme, "kind": "MEETING", "occurredAt": days_ago(0) }));
    inputs.push(json!({ "clientId": globex, "kind": "CALL", "occurredAt": days_ago(6) }));
    app.data(IMPORT, json!({ "inputs": inputs })).await;

    let query = "query($after: String) {
        interactions(filter: { kind: [ORDER] }, first: 2, after: $after) {
            totalCount
            edges { cursor node { externalId kind } }
            pageInfo { hasNextPage endCursor }
        }
    }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(query, json!({ "after": after })).await;
        let page = &data["interactions"];
        assert_eq!(page["totalCount"], 5);
        for edge in page["edges"].as_array().expect("edges") {
            assert_eq!(edge["node"]["kind"], "ORDER");
            seen.push(
                edge["node"]["externalId"]
                    .as_str()
                    .expect("externalId")
                    .to_owned(),
            );
        }
        if page["pageInfo"]["hasNextPage"] == json!(false) {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ["O-1", "O-2", "O-3", "O-4", "O-5"]);

    let data = app
        .data("{ interactions(first: 100) { totalCount } }", json!({}))
        .await;
    assert_eq!(data["interactions"]["totalCount"], 7);
    let body = app
        .graphql("{ interactions(first: 101) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_field(&body), "first");
}

#[tokio::test]
async fn clients_ordered_by_last_interaction_follow_recorded_interactions() {
    let app = TestApp::spawn().await;
    let acme = app.create_client(json!({ "name": "Acme" })).await;
    let globex = app.create_client(json!({ "name": "Globex" })).await;
    let initech = app.create_client(json!({ "name": "Initech" })).await;
    app.data(RECORD, json!({ "input": order(&acme, "A-1", 20) }))
        .await;
    let mut big = order(&globex, "G-1", 2);
    big["amount"] = json!("1250000.00");
    app.data(RECORD, json!({ "input": big })).await;
    // An older interaction does not move the latest one back.
    app.data(RECORD, json!({ "input": order(&globex, "G-0", 40) }))
        .await;

    let query = "{
        clients(orderBy: [{ field: LAST_INTERACTION_AT, direction: DESC }]) {
            nodes { id name lastInteractionAt revenue12m { amount currency } }
        }
    }";
    let data = app.data(query, json!({})).await;
    let nodes = data["clients"]["nodes"].as_array().expect("nodes");
    let ids: Vec<&Value> = nodes.iter().map(|n| &n["id"]).collect();
    assert_eq!(ids, [&json!(globex), &json!(acme), &json!(initech)]);
    assert_eq!(
        nodes[0]["revenue12m"],
        json!([{ "amount": "1250100.00", "currency": "EUR" }])
    );
    assert_eq!(
        nodes[1]["revenue12m"],
        json!([{ "amount": "100.00", "currency": "EUR" }])
    );
    assert_eq!(nodes[2]["revenue12m"], json!([]));
    assert_eq!(nodes[2]["lastInteractionAt"], Value::Null);

    // A newer interaction at Acme moves it to the top.
    app.data(RECORD, json!({ "input": order(&acme, "A-2", 0) }))
        .await;
    let data = app.data(query, json!({})).await;
    assert_eq!(data["clients"]["nodes"][0]["id"], acme);
}
