//! KAISM scoring end to end: the model and its versions, ratings, re-scoring from data, the
//! matrix, quadrant filters and axis orderings, previews and the `kaim rescore` command.

use chrono::Duration;
use entity::{enums, interaction};
use kaim::{
    db,
    graphql::node::{Kind, encode},
};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, error_field, insert_client};

const SCORE_FIELDS: &str = "id attractiveness loyalty quadrant modelVersion assessedAt explanation
    factors { key axis value weight derived missing label }";

/// Orders `days_ago` days back, each of `amount` GBP.
async fn insert_orders(app: &TestApp, client: Uuid, days_ago: &[i64], amount: i64) {
    let rows = days_ago.iter().map(|days| interaction::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        contact_id: Set(None),
        kind: Set(enums::InteractionKind::Order),
        occurred_at: Set(db::now() - Duration::days(*days)),
        subject: Set(None),
        summary: Set(None),
        amount_e4: Set(Some(amount * 10_000)),
        currency: Set(Some("GBP".into())),
        outcome: Set(None),
        source: Set(None),
        external_id: Set(None),
        recorded_by: Set(None),
        created_at: Set(db::now()),
    });
    interaction::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .unwrap();
}

/// A manual check of `fiscal_year`'s figures, in whole pounds.
async fn insert_check(
    app: &TestApp,
    client: Uuid,
    days_ago: i64,
    fiscal_year: i32,
    revenue: i64,
    income: i64,
) {
    db::checks::insert(
        &app.db,
        db::checks::NewCheck {
            client_id: client,
            source: "manual".into(),
            checked_at: db::now() - Duration::days(days_ago),
            fiscal_year: Some(fiscal_year),
            currency: Some("GBP".into()),
            revenue_e4: Some(revenue * 10_000),
            net_income_e4: Some(income * 10_000),
            assets_e4: None,
            equity_e4: None,
            debt_e4: None,
            employees: None,
            registry_status: Some("Active".into()),
            litigation_count: Some(0),
            litigation_amount_e4: None,
            government_contracts_count: None,
            government_contracts_amount_e4: None,
            raw_payload: None,
            recorded_by: None,
        },
    )
    .await
    .map_err(|e| e.message())
    .unwrap();
}

/// A strong client (large, monthly orders for ten years, healthy checks), a weak one (one
/// small recent order, no checks) and a middling one.
async fn small_portfolio(app: &TestApp) -> (Uuid, Uuid, Uuid) {
    let strong = insert_client(app, "Strong Ltd", Some(app.admin_id)).await;
    let monthly: Vec<i64> = (0..12).map(|m| 5 + m * 30).collect();
    insert_orders(app, strong, &monthly, 100_000).await;
    insert_orders(app, strong, &[3700], 1_000).await;
    insert_check(app, strong, 400, 2023, 10_000_000, 1_000_000).await;
    insert_check(app, strong, 30, 2024, 12_000_000, 1_500_000).await;

    let weak = insert_client(app, "Weak Ltd", None).await;
    insert_orders(app, weak, &[10], 50).await;

    let middle = insert_client(app, "Middle Ltd", None).await;
    insert_orders(app, middle, &[20, 100, 200], 5_000).await;
    (strong, weak, middle)
}

fn id(kind: Kind, uuid: Uuid) -> String {
    encode(kind, uuid).0
}

async fn rescore(app: &TestApp, filter: Value) -> Value {
    app.data(
        "mutation($filter: ClientFilter) { rescoreClients(filter: $filter) { rescored changedQuadrant } }",
        json!({ "filter": filter }),
    )
    .await["rescoreClients"]
        .clone()
}

async fn score_of(app: &TestApp, client: Uuid) -> Value {
    let query = format!("query($id: ID!) {{ client(id: $id) {{ score {{ {SCORE_FIELDS} }} }} }}");
    app.data(&query, json!({ "id": id(Kind::Client, client) }))
        .await["client"]["score"]
        .clone()
}

fn factor<'a>(score: &'a Value, key: &str) -> &'a Value {
    score["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap_or_else(|| panic!("no factor {key} in {score:#}"))
}

/// A valid model input: one derived factor per axis and one rated.
fn model_input(weight: f64) -> Value {
    json!({
        "factors": [
            { "key": "order_volume", "axis": "ATTRACTIVENESS", "label": "Order volume", "weight": weight, "derived": true },
            { "key": "growth_prospects", "axis": "ATTRACTIVENESS", "label": "Growth", "weight": 1.0, "derived": false },
            { "key": "tenure", "axis": "LOYALTY", "label": "Tenure", "weight": 1.0, "derived": true },
        ],
        "thresholds": { "attractiveness": 50.0, "loyalty": 40.0 }
    })
}

#[tokio::test]
async fn the_default_model_is_served_as_version_one() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            "{ scoringModel { version createdAt thresholds { attractiveness loyalty }
               factors { key axis label description weight derived } } }",
            json!({}),
        )
        .await;
    let model = &data["scoringModel"];
    assert_eq!(model["version"], 1);
    assert_eq!(model["createdAt"], Value::Null);
    assert_eq!(model["thresholds"]["attractiveness"], 50.0);
    let factors = model["factors"].as_array().unwrap();
    let volume = factors.iter().find(|f| f["key"] == "order_volume").unwrap();
    assert_eq!(volume["axis"], "ATTRACTIVENESS");
    assert_eq!(volume["derived"], true);
    let prices = factors
        .iter()
        .find(|f| f["key"] == "competitive_prices")
        .unwrap();
    assert_eq!(prices["axis"], "LOYALTY");
    assert_eq!(prices["derived"], false);
    let total: f64 = factors
        .iter()
        .filter(|f| f["axis"] == "LOYALTY")
        .map(|f| f["weight"].as_f64().unwrap())
        .sum();
    assert!(
        (total - 1.0).abs() < 1e-9,
        "weights are normalised: {total}"
    );
}

#[tokio::test]
async fn updating_the_model_validates_it_and_old_scores_keep_their_version() {
    let app = TestApp::spawn().await;
    let (strong, _, _) = small_portfolio(&app).await;
    rescore(&app, Value::Null).await;
    assert_eq!(score_of(&app, strong).await["modelVersion"], 1);

    const UPDATE: &str = "mutation($input: ScoringModelInput!) {
        updateScoringModel(input: $input) { version createdAt factors { key weight } } }";
    let body = app
        .graphql(UPDATE, json!({ "input": model_input(0.0) }))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_field(&body), "input.factors[0].weight");
    let mut duplicate = model_input(1.0);
    duplicate["factors"][1]["key"] = json!("order_volume");
    duplicate["factors"][1]["derived"] = json!(true);
    let body = app.graphql(UPDATE, json!({ "input": duplicate })).await;
    assert_eq!(error_field(&body), "input.factors[1].key");
    let (manager, _) = app.user_token(enums::Role::Manager, "Manager").await;
    let body = app
        .graphql_as(&manager, UPDATE, json!({ "input": model_input(1.0) }))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");

    let data = app.data(UPDATE, json!({ "input": model_input(3.0) })).await;
    assert_eq!(data["updateScoringModel"]["version"], 2);
    assert_eq!(data["updateScoringModel"]["factors"][0]["weight"], 0.75);
    let current = app.data("{ scoringModel { version } }", json!({})).await;
    assert_eq!(current["scoringModel"]["version"], 2);

    let old = score_of(&app, strong).await;
    assert_eq!(old["modelVersion"], 1, "old scores keep their version");
    assert_eq!(old["factors"].as_array().unwrap().len(), 17);

    rescore(&app, Value::Null).await;
    let new = score_of(&app, strong).await;
    assert_eq!(new["modelVersion"], 2);
    assert_eq!(new["factors"].as_array().unwrap().len(), 3);
    assert_eq!(factor(&new, "order_volume")["label"], "Order volume");

    let history = app
        .data(
            "query($id: ID!) { client(id: $id) { scoreHistory(first: 10) {
                totalCount nodes { modelVersion isCurrent factors { key label } } } } }",
            json!({ "id": id(Kind::Client, strong) }),
        )
        .await;
    let history = &history["client"]["scoreHistory"];
    assert_eq!(history["totalCount"], 2, "every assessment is kept");
    assert_eq!(history["nodes"][0]["modelVersion"], 2, "newest first");
    assert_eq!(history["nodes"][0]["isCurrent"], true);
    assert_eq!(history["nodes"][1]["modelVersion"], 1);
    assert_eq!(history["nodes"][1]["isCurrent"], false);
    assert_eq!(
        history["nodes"][1]["factors"][0]["label"], "Order volume",
        "labels come from the score's own model version"
    );
}

#[tokio::test]
async fn managers_rate_their_own_clients_and_the_client_is_rescored() {
    let app = TestApp::spawn().await;
    let (manager, manager_id) = app.user_token(enums::Role::Manager, "Own Manager").await;
    let (other, _) = app.user_token(enums::Role::Manager, "Other Manager").await;
    let manager_uuid =
        kaim::graphql::node::decode(&async_graphql::ID(manager_id), Kind::User, "managerId")
            .unwrap();
    let client = insert_client(&app, "Rated Ltd", Some(manager_uuid)).await;
    let client_id = id(Kind::Client, client);
    let rate = format!(
        "mutation($id: ID!, $ratings: [FactorRatingInput!]!) {{
            rateClient(clientId: $id, ratings: $ratings) {{ {SCORE_FIELDS} client {{ name }} }} }}"
    );

    let body = app
        .graphql_as(
            &manager,
            &rate,
            json!({ "id": client_id, "ratings": [
                { "key": "growth_prospects", "value": 10 },
                { "key": "service_quality", "value": 1 },
            ] }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body:#}");
    let score = &body["data"]["rateClient"];
    assert_eq!(score["client"]["name"], "Rated Ltd");
    assert_eq!(score["modelVersion"], 1);
    let growth = factor(score, "growth_prospects");
    assert_eq!(growth["value"], 100.0);
    assert_eq!(growth["derived"], false);
    assert_eq!(growth["missing"], false);
    assert_eq!(factor(score, "service_quality")["value"], 0.0);
    assert_eq!(factor(score, "transparency")["missing"], true);

    let body = app
        .graphql_as(
            &other,
            &rate,
            json!({ "id": client_id, "ratings": [{ "key": "growth_prospects", "value": 5 }] }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");

    for (ratings, field) in [
        (
            json!([{ "key": "no_such_factor", "value": 5 }]),
            "ratings[0].key",
        ),
        (
            json!([{ "key": "order_volume", "value": 5 }]),
            "ratings[0].key",
        ),
        (
            json!([{ "key": "transparency", "value": 11 }]),
            "ratings[0].value",
        ),
        (
            json!([{ "key": "transparency", "value": 5 }, { "key": "transparency", "value": 0.5 }]),
            "ratings[1].key",
        ),
    ] {
        let body = app
            .graphql_as(
                &manager,
                &rate,
                json!({ "id": client_id, "ratings": ratings }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body:#}");
        assert_eq!(error_field(&body), field);
    }

    // Rating again replaces the earlier rating and keeps the history.
    let data = app
        .data(
            &rate,
            json!({ "id": client_id, "ratings": [{ "key": "growth_prospects", "value": 1 }] }),
        )
        .await;
    assert_eq!(
        factor(&data["rateClient"], "growth_prospects")["value"],
        0.0
    );
    assert_eq!(
        factor(&data["rateClient"], "service_quality")["value"],
        0.0,
        "earlier ratings of other factors stay"
    );
    let history = app
        .data(
            "query($id: ID!) { client(id: $id) { scoreHistory { totalCount } } }",
            json!({ "id": client_id }),
        )
        .await;
    assert_eq!(history["client"]["scoreHistory"]["totalCount"], 2);
}

#[tokio::test]
async fn rescoring_places_strong_and_weak_clients_from_their_data() {
    let app = TestApp::spawn().await;
    let (strong, weak, _) = small_portfolio(&app).await;
    assert_eq!(
        score_of(&app, strong).await,
        Value::Null,
        "unscored at first"
    );

    let result = rescore(&app, Value::Null).await;
    assert_eq!(result["rescored"], 3);
    assert_eq!(
        result["changedQuadrant"], 0,
        "first assessments are no change"
    );

    let strong_score = score_of(&app, strong).await;
    assert_eq!(strong_score["quadrant"], "KEY", "{strong_score:#}");
    let volume = factor(&strong_score, "order_volume");
    assert_eq!(volume["derived"], true);
    assert_eq!(volume["missing"], false);
    assert!(volume["value"].as_f64().unwrap() > 80.0, "{volume}");
    assert_eq!(factor(&strong_score, "tenure")["value"], 100.0);
    assert_eq!(factor(&strong_score, "repeat_order_rate")["value"], 100.0);
    assert_eq!(factor(&strong_score, "financial_stability")["value"], 100.0);
    assert_eq!(
        factor(&strong_score, "financial_reputation")["missing"],
        false
    );
    assert!(
        factor(&strong_score, "regularity")["value"]
            .as_f64()
            .unwrap()
            > 80.0
    );
    assert!(
        strong_score["explanation"]
            .as_str()
            .unwrap()
            .starts_with("KEY")
    );

    let weak_score = score_of(&app, weak).await;
    assert_eq!(weak_score["quadrant"], "OPPORTUNISTIC", "{weak_score:#}");
    for key in ["financial_stability", "financial_reputation"] {
        let f = factor(&weak_score, key);
        assert_eq!(f["missing"], true, "no check: {key} is missing");
        assert_eq!(f["value"], 50.0);
        assert_eq!(f["derived"], true);
    }
    assert_eq!(factor(&weak_score, "regularity")["missing"], true);
    assert!(
        factor(&weak_score, "order_volume")["value"]
            .as_f64()
            .unwrap()
            < 20.0
    );

    // A filtered re-scoring touches only its clients, still ranked against the portfolio.
    let result = rescore(&app, json!({ "search": "weak" })).await;
    assert_eq!(result["rescored"], 1);
    let again = score_of(&app, weak).await;
    assert_eq!(
        factor(&again, "order_volume")["value"],
        factor(&weak_score, "order_volume")["value"]
    );
    assert_ne!(again["id"], weak_score["id"]);

    // node(id:) resolves a score.
    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Score { quadrant client { name } } } }",
            json!({ "id": again["id"] }),
        )
        .await;
    assert_eq!(node["node"]["client"]["name"], "Weak Ltd");
}

#[tokio::test]
async fn the_matrix_counts_cells_and_lists_their_clients() {
    let app = TestApp::spawn().await;
    let (strong, weak, _) = small_portfolio(&app).await;
    insert_client(&app, "Other Ltd", None).await;
    rescore(&app, json!({ "search": "ltd" })).await;
    let unscored = insert_client(&app, "Never Scored Ltd", None).await;

    let data = app
        .data(
            "{ kaismMatrix { total currency cells { quadrant count revenue12m
                clients(first: 10) { totalCount nodes { name score { quadrant } } } } } }",
            json!({}),
        )
        .await;
    let matrix = &data["kaismMatrix"];
    assert_eq!(matrix["total"], 4, "unscored clients are in no cell");
    assert_eq!(matrix["currency"], Value::Null);
    let cells = matrix["cells"].as_array().unwrap();
    let quadrants: Vec<&str> = cells
        .iter()
        .map(|c| c["quadrant"].as_str().unwrap())
        .collect();
    assert_eq!(
        quadrants,
        ["KEY", "DEVELOPMENT", "SUPPORT", "OPPORTUNISTIC"]
    );
    let counted: i64 = cells.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 4);
    for cell in cells {
        assert_eq!(cell["clients"]["totalCount"], cell["count"], "{cell:#}");
        for client in cell["clients"]["nodes"].as_array().unwrap() {
            assert_eq!(client["score"]["quadrant"], cell["quadrant"]);
        }
    }
    let key = &cells[0];
    assert!(
        key["clients"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Strong Ltd")
    );
    // The strong client's twelve monthly orders of 100 000 GBP (the ten-year-old one is out).
    assert!(
        key["revenue12m"].as_str().unwrap().parse::<f64>().unwrap() >= 1_200_000.0,
        "{key:#}"
    );
    let opportunistic = &cells[3];
    assert!(
        opportunistic["clients"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "Weak Ltd")
    );

    // Filtered like the client list.
    let data = app
        .data(
            "query($m: ID) { kaismMatrix(filter: { managerId: $m }) { total } }",
            json!({ "m": id(Kind::User, app.admin_id) }),
        )
        .await;
    assert_eq!(data["kaismMatrix"]["total"], 1);

    // Clients by quadrant, ordered by attractiveness with cursors.
    let list = "query($after: String, $q: [Quadrant!]) {
        clients(filter: { quadrant: $q }, orderBy: [{ field: ATTRACTIVENESS, direction: DESC }],
                first: 1, after: $after) {
          totalCount pageInfo { hasNextPage endCursor } nodes { name score { attractiveness } } } }";
    let mut names = Vec::new();
    let mut values = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(list, json!({ "after": after })).await;
        let page = &data["clients"];
        assert_eq!(page["totalCount"], 5);
        for node in page["nodes"].as_array().unwrap() {
            names.push(node["name"].as_str().unwrap().to_owned());
            values.push(node["score"]["attractiveness"].as_f64().unwrap_or(-1.0));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(names.len(), 5, "{names:?}");
    assert_eq!(names[0], "Strong Ltd");
    assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
    assert_eq!(values[4], -1.0, "the unscored client comes last");
    let _ = unscored;

    let data = app
        .data(
            "{ clients(filter: { quadrant: [OPPORTUNISTIC] }) { nodes { name } } }",
            json!({}),
        )
        .await;
    let names: Vec<&str> = data["clients"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Weak Ltd"), "{names:?}");
    assert!(!names.contains(&"Strong Ltd"));

    let data = app
        .data(
            "{ clients(orderBy: [{ field: LOYALTY, direction: ASC }], first: 2) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["clients"]["nodes"][0]["name"], "Never Scored Ltd");
    let _ = (strong, weak);
}

#[tokio::test]
async fn previewing_a_model_changes_the_counts_without_saving() {
    let app = TestApp::spawn().await;
    small_portfolio(&app).await;
    rescore(&app, Value::Null).await;
    let before = app
        .data("{ kaismMatrix { cells { quadrant count } } }", json!({}))
        .await;

    // Loyalty threshold 0: every client is high on loyalty, so nobody is OPPORTUNISTIC.
    let mut input = model_input(1.0);
    input["thresholds"] = json!({ "attractiveness": 50.0, "loyalty": 0.0 });
    let data = app
        .data(
            "query($input: ScoringModelInput!) { previewScoringModel(input: $input) {
                total changedQuadrant cells { quadrant count } } }",
            json!({ "input": input }),
        )
        .await;
    let preview = &data["previewScoringModel"];
    assert_eq!(preview["total"], 3);
    assert_eq!(preview["cells"][3]["quadrant"], "OPPORTUNISTIC");
    assert_eq!(preview["cells"][3]["count"], 0);
    assert!(preview["changedQuadrant"].as_i64().unwrap() >= 1);
    let counted: i64 = preview["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 3);

    let after = app
        .data("{ kaismMatrix { cells { quadrant count } } }", json!({}))
        .await;
    assert_eq!(before, after, "a preview saves nothing");
    let model = app.data("{ scoringModel { version } }", json!({})).await;
    assert_eq!(model["scoringModel"]["version"], 1);
}

#[test]
fn kaim_rescore_scores_the_portfolio_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kaim"))
            .args(args)
            .env("KAIM_DATA_DIR", dir.path())
            .env_remove("KAIM_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let seeded = run(&["seed", "--demo", "--clients", "12"]);
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let output = run(&["rescore"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("Rescored 12 clients, 0 changed quadrant"),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "one line for cron: {stdout}");
}
