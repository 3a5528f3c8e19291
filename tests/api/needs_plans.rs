//! Needs and account plans: recording, changing and removing them, all or nothing.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const ADD_NEED: &str = "mutation($input: AddNeedInput!) { addNeed(input: $input) { id kind spinStage description priority status } }";
const UPDATE_NEED: &str = "mutation($id: ID!, $input: UpdateNeedInput!) { updateNeed(id: $id, input: $input) { id kind spinStage description priority status } }";
const CREATE_PLAN: &str = "mutation($input: CreateAccountPlanInput!) { createAccountPlan(input: $input) { id title status periodStart periodEnd } }";
const UPDATE_PLAN: &str = "mutation($id: ID!, $input: UpdateAccountPlanInput!) { updateAccountPlan(id: $id, input: $input) { id title status periodStart periodEnd } }";
const PLAN_FIELDS: &str = "id title status periodStart periodEnd objectives { position description measure dueOn status } actions { position description dueOn status owner { name } objective { position } }";

async fn needs_of(app: &TestApp, client: &str) -> Value {
    app.data(
        "query($id: ID!) { client(id: $id) { needs { description priority status kind spinStage client { id } } } }",
        json!({ "id": client }),
    )
    .await["client"]["needs"]
        .clone()
}

async fn plans_of(app: &TestApp, client: &str) -> Value {
    app.data(
        &format!("query($id: ID!) {{ client(id: $id) {{ accountPlans {{ {PLAN_FIELDS} }} currentPlan {{ title }} }} }}"),
        json!({ "id": client }),
    )
    .await["client"]
        .clone()
}

#[tokio::test]
async fn needs_are_added_with_defaults_and_read_back_by_priority() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let first = app
        .data(
            ADD_NEED,
            json!({ "input": { "clientId": client, "kind": "CURRENT", "description": " Faster delivery " } }),
        )
        .await["addNeed"]
        .clone();
    assert_eq!(first["priority"], 3);
    assert_eq!(first["status"], "OPEN");
    assert!(first["spinStage"].is_null());
    app.data(
        ADD_NEED,
        json!({ "input": {
            "clientId": client, "kind": "FUTURE", "spinStage": "NEED_PAYOFF",
            "description": "Own warehouse in Kazan", "priority": 1, "status": "ADDRESSED",
        }}),
    )
    .await;

    assert_eq!(
        needs_of(&app, &client).await,
        json!([
            { "description": "Own warehouse in Kazan", "priority": 1, "status": "ADDRESSED",
              "kind": "FUTURE", "spinStage": "NEED_PAYOFF", "client": { "id": client } },
            { "description": "Faster delivery", "priority": 3, "status": "OPEN",
              "kind": "CURRENT", "spinStage": null, "client": { "id": client } },
        ])
    );
}

#[tokio::test]
async fn a_need_is_updated_field_by_field_and_removed_by_id() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let need = app
        .data(
            ADD_NEED,
            json!({ "input": { "clientId": client, "kind": "CURRENT", "spinStage": "PROBLEM", "description": "Late deliveries" } }),
        )
        .await["addNeed"]
        .clone();
    let updated = app
        .data(
            UPDATE_NEED,
            json!({ "id": need["id"], "input": { "priority": 2, "status": "DROPPED", "spinStage": null } }),
        )
        .await["updateNeed"]
        .clone();
    assert_eq!(updated["description"], "Late deliveries");
    assert_eq!(updated["kind"], "CURRENT");
    assert_eq!(updated["priority"], 2);
    assert_eq!(updated["status"], "DROPPED");
    assert!(updated["spinStage"].is_null());

    let remove = "mutation($id: ID!) { removeNeed(id: $id) }";
    let data = app.data(remove, json!({ "id": need["id"] })).await;
    assert_eq!(data["removeNeed"], need["id"]);
    assert_eq!(needs_of(&app, &client).await, json!([]));
    let body = app.graphql(remove, json!({ "id": need["id"] })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
}

#[tokio::test]
async fn each_invalid_need_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    for (input, field) in [
        (
            json!({ "clientId": client, "kind": "CURRENT", "description": "  " }),
            "input.description",
        ),
        (
            json!({ "clientId": client, "kind": "CURRENT", "description": "x", "priority": 0 }),
            "input.priority",
        ),
        (
            json!({ "clientId": client, "kind": "CURRENT", "description": "x", "priority": 6 }),
            "input.priority",
        ),
        (
            json!({ "clientId": "nope", "kind": "CURRENT", "description": "x" }),
            "input.clientId",
        ),
    ] {
        let body = app.graphql(ADD_NEED, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field);
    }
    let need = app
        .data(
            ADD_NEED,
            json!({ "input": { "clientId": client, "kind": "CURRENT", "description": "Kept" } }),
        )
        .await["addNeed"]
        .clone();
    for (input, field) in [
        (json!({ "priority": 7 }), "input.priority"),
        (json!({ "description": "" }), "input.description"),
    ] {
        let body = app
            .graphql(UPDATE_NEED, json!({ "id": need["id"], "input": input }))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field);
    }
    let needs = needs_of(&app, &client).await;
    assert_eq!(needs.as_array().map(Vec::len), Some(1));
    assert_eq!(needs[0]["description"], "Kept");
    assert_eq!(needs[0]["priority"], 3);
}

#[tokio::test]
async fn a_plan_is_created_with_its_objectives_and_actions_in_order() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let (_, kam) = app.user_token(Role::Manager, "Kira Manager").await;
    let plan = app
        .data(
            CREATE_PLAN,
            json!({ "input": {
                "clientId": client,
                "title": "Acme 2027",
                "periodStart": "2027-01-01",
                "periodEnd": "2027-12-31",
                "objectives": [
                    { "description": "Grow share of wallet to 30%", "measure": "share of wallet", "dueOn": "2027-12-31" },
                    { "description": "Meet the board", "status": "IN_PROGRESS" },
                ],
                "actions": [
                    { "description": "Quarterly business review", "ownerId": kam, "dueOn": "2027-03-31", "objectiveIndex": 0 },
                    { "description": "Invite to the plant tour", "objectiveIndex": 1, "status": "DONE" },
                    { "description": "Send the newsletter" },
                ],
            }}),
        )
        .await["createAccountPlan"]
        .clone();
    assert_eq!(plan["status"], "DRAFT");

    let read = plans_of(&app, &client).await;
    assert_eq!(read["currentPlan"]["title"], "Acme 2027");
    let stored = &read["accountPlans"][0];
    assert_eq!(stored["id"], plan["id"]);
    assert_eq!(stored["periodStart"], "2027-01-01");
    assert_eq!(stored["periodEnd"], "2027-12-31");
    assert_eq!(
        stored["objectives"],
        json!([
            { "position": 0, "description": "Grow share of wallet to 30%", "measure": "share of wallet",
              "dueOn": "2027-12-31", "status": "PLANNED" },
            { "position": 1, "description": "Meet the board", "measure": null, "dueOn": null,
              "status": "IN_PROGRESS" },
        ])
    );
    assert_eq!(
        stored["actions"],
        json!([
            { "position": 0, "description": "Quarterly business review", "dueOn": "2027-03-31",
              "status": "PLANNED", "owner": { "name": "Kira Manager" }, "objective": { "position": 0 } },
            { "position": 1, "description": "Invite to the plant tour", "dueOn": null,
              "status": "DONE", "owner": null, "objective": { "position": 1 } },
            { "position": 2, "description": "Send the newsletter", "dueOn": null,
              "status": "PLANNED", "owner": null, "objective": null },
        ])
    );
}

#[tokio::test]
async fn a_plan_whose_second_action_has_an_unknown_owner_leaves_no_plan() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let (_, kam) = app.user_token(Role::Manager, "Kira").await;
    let nobody = kaim::graphql::node::encode(kaim::graphql::node::Kind::User, uuid::Uuid::now_v7());
    let body = app
        .graphql(
            CREATE_PLAN,
            json!({ "input": {
                "clientId": client,
                "title": "Doomed",
                "objectives": [{ "description": "Something" }],
                "actions": [
                    { "description": "First", "ownerId": kam },
                    { "description": "Second", "ownerId": nobody.0 },
                ],
            }}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(error_field(&body), "input.actions[1].ownerId");
    let read = plans_of(&app, &client).await;
    assert_eq!(read["accountPlans"], json!([]));
    assert!(read["currentPlan"].is_null());
}

#[tokio::test]
async fn each_invalid_plan_field_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    for (input, field) in [
        (json!({ "clientId": client, "title": " " }), "input.title"),
        (
            json!({ "clientId": client, "title": "P", "periodStart": "2027-02-01", "periodEnd": "2027-01-31" }),
            "input.periodEnd",
        ),
        (
            json!({ "clientId": client, "title": "P", "objectives": [{ "description": "ok" }, { "description": "" }] }),
            "input.objectives[1].description",
        ),
        (
            json!({ "clientId": client, "title": "P", "objectives": [{ "description": "ok" }],
                    "actions": [{ "description": "a", "objectiveIndex": 1 }] }),
            "input.actions[0].objectiveIndex",
        ),
        (
            json!({ "clientId": client, "title": "P", "actions": [{ "description": "a", "objectiveIndex": -1 }] }),
            "input.actions[0].objectiveIndex",
        ),
        (
            json!({ "clientId": client, "title": "P", "actions": [{ "description": "a", "ownerId": client }] }),
            "input.actions[0].ownerId",
        ),
    ] {
        let body = app.graphql(CREATE_PLAN, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field);
    }
    assert_eq!(plans_of(&app, &client).await["accountPlans"], json!([]));
}

#[tokio::test]
async fn a_plan_is_updated_its_items_change_status_by_position_and_it_is_removed() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let plan = app
        .data(
            CREATE_PLAN,
            json!({ "input": {
                "clientId": client, "title": "Plan", "periodStart": "2027-01-01", "periodEnd": "2027-06-30",
                "objectives": [{ "description": "O" }],
                "actions": [{ "description": "A0" }, { "description": "A1" }],
            }}),
        )
        .await["createAccountPlan"]
        .clone();
    let id = &plan["id"];

    let updated = app
        .data(
            UPDATE_PLAN,
            json!({ "id": id, "input": { "status": "ACTIVE", "periodEnd": "2027-12-31" } }),
        )
        .await["updateAccountPlan"]
        .clone();
    assert_eq!(updated["title"], "Plan");
    assert_eq!(updated["status"], "ACTIVE");
    assert_eq!(updated["periodStart"], "2027-01-01");
    assert_eq!(updated["periodEnd"], "2027-12-31");

    let body = app
        .graphql(
            UPDATE_PLAN,
            json!({ "id": id, "input": { "periodStart": "2028-01-01" } }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
    assert_eq!(error_field(&body), "input.periodEnd");
    let cleared = app
        .data(
            UPDATE_PLAN,
            json!({ "id": id, "input": { "periodStart": null, "title": "Plan B" } }),
        )
        .await["updateAccountPlan"]
        .clone();
    assert!(cleared["periodStart"].is_null());
    assert_eq!(cleared["title"], "Plan B");

    let data = app
        .data(
            "mutation($id: ID!) { setPlanActionStatus(planId: $id, position: 1, status: DONE) { actions { description status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data["setPlanActionStatus"]["actions"],
        json!([{ "description": "A0", "status": "PLANNED" }, { "description": "A1", "status": "DONE" }])
    );
    let data = app
        .data(
            "mutation($id: ID!) { setPlanObjectiveStatus(planId: $id, position: 0, status: CANCELLED) { objectives { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        data["setPlanObjectiveStatus"]["objectives"],
        json!([{ "status": "CANCELLED" }])
    );

    let body = app
        .graphql(
            "mutation($id: ID!) { setPlanActionStatus(planId: $id, position: 2, status: DONE) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
    let body = app
        .graphql(
            "mutation($id: ID!) { setPlanActionStatus(planId: $id, position: -1, status: DONE) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_field(&body), "position");

    let remove = "mutation($id: ID!) { removeAccountPlan(id: $id) }";
    let data = app.data(remove, json!({ "id": id })).await;
    assert_eq!(data["removeAccountPlan"], *id);
    assert_eq!(plans_of(&app, &client).await["accountPlans"], json!([]));
    let body = app.graphql(remove, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
}

#[tokio::test]
async fn needs_and_plans_of_an_unknown_client_are_not_found() {
    let app = TestApp::spawn().await;
    let missing =
        kaim::graphql::node::encode(kaim::graphql::node::Kind::Client, uuid::Uuid::now_v7()).0;
    let body = app
        .graphql(
            ADD_NEED,
            json!({ "input": { "clientId": missing, "kind": "CURRENT", "description": "x" } }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
    let body = app
        .graphql(
            CREATE_PLAN,
            json!({ "input": { "clientId": missing, "title": "x" } }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body:#}");
}

#[tokio::test]
async fn an_analyst_may_not_write_needs_or_plans() {
    let app = TestApp::spawn().await;
    let client = app.create_client(json!({ "name": "Acme" })).await;
    let need = app
        .data(
            ADD_NEED,
            json!({ "input": { "clientId": client, "kind": "CURRENT", "description": "x" } }),
        )
        .await["addNeed"]["id"]
        .clone();
    let plan = app
        .data(CREATE_PLAN, json!({ "input": { "clientId": client, "title": "P", "actions": [{ "description": "a" }] } }))
        .await["createAccountPlan"]["id"]
        .clone();
    let (token, _) = app.user_token(Role::Analyst, "Analyst").await;
    for (query, variables) in [
        (
            ADD_NEED,
            json!({ "input": { "clientId": client, "kind": "CURRENT", "description": "y" } }),
        ),
        (
            UPDATE_NEED,
            json!({ "id": need, "input": { "priority": 1 } }),
        ),
        (
            "mutation($id: ID!) { removeNeed(id: $id) }",
            json!({ "id": need }),
        ),
        (
            CREATE_PLAN,
            json!({ "input": { "clientId": client, "title": "Q" } }),
        ),
        (
            UPDATE_PLAN,
            json!({ "id": plan, "input": { "title": "Q" } }),
        ),
        (
            "mutation($id: ID!) { setPlanActionStatus(planId: $id, position: 0, status: DONE) { id } }",
            json!({ "id": plan }),
        ),
        (
            "mutation($id: ID!) { removeAccountPlan(id: $id) }",
            json!({ "id": plan }),
        ),
    ] {
        let body = app.graphql_as(&token, query, variables).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{body:#}");
    }
    assert_eq!(needs_of(&app, &client).await[0]["priority"], 3);
    let plans = plans_of(&app, &client).await;
    assert_eq!(plans["accountPlans"][0]["title"], "P");
    assert_eq!(plans["accountPlans"][0]["actions"][0]["status"], "PLANNED");
}
