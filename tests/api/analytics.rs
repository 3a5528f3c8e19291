//! Portfolio analytics end to end over small hand-built portfolios: quadrant migration,
//! revenue concentration, manager load, prospective clients, and the scheduled re-scoring with
//! its lease.

use std::{sync::atomic::Ordering, time::Duration as StdDuration};

use chrono::{DateTime, Duration, Utc};
use entity::{account_plan, enums, factor_rating, interaction, score};
use kaim::{
    db,
    graphql::node::{Kind, encode},
    startup::Application,
};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, error_code, eventually, insert_client};

async fn insert_interaction(
    app: &TestApp,
    client: Uuid,
    kind: enums::InteractionKind,
    days_ago: i64,
    amount: Option<(i64, &str)>,
) {
    interaction::Entity::insert(interaction::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        contact_id: Set(None),
        kind: Set(kind),
        occurred_at: Set(db::now() - Duration::days(days_ago)),
        subject: Set(None),
        summary: Set(None),
        amount_e4: Set(amount.map(|(a, _)| a * 10_000)),
        currency: Set(amount.map(|(_, c)| c.to_owned())),
        outcome: Set(None),
        source: Set(None),
        external_id: Set(None),
        recorded_by: Set(None),
        created_at: Set(db::now()),
    })
    .exec(&app.db)
    .await
    .unwrap();
}

async fn insert_order(app: &TestApp, client: Uuid, days_ago: i64, amount: i64, currency: &str) {
    insert_interaction(
        app,
        client,
        enums::InteractionKind::Order,
        days_ago,
        Some((amount, currency)),
    )
    .await;
}

async fn insert_score(
    app: &TestApp,
    client: Uuid,
    quadrant: &str,
    at: DateTime<Utc>,
    current: bool,
) {
    score::Entity::insert(score::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(client),
        model_version: Set(1),
        attractiveness: Set(50.0),
        loyalty: Set(50.0),
        quadrant: Set(quadrant.into()),
        factors: Set(json!([])),
        explanation: Set(String::new()),
        assessed_at: Set(at),
        is_current: Set(current),
    })
    .exec(&app.db)
    .await
    .unwrap();
}

async fn insert_check(app: &TestApp, client: Uuid, days_ago: i64, fiscal_year: i32, revenue: i64) {
    db::checks::insert(
        &app.db,
        db::checks::NewCheck {
            client_id: client,
            source: "manual".into(),
            checked_at: db::now() - Duration::days(days_ago),
            fiscal_year: Some(fiscal_year),
            currency: Some("GBP".into()),
            revenue_e4: Some(revenue * 10_000),
            net_income_e4: None,
            assets_e4: None,
            equity_e4: None,
            debt_e4: None,
            employees: None,
            registry_status: None,
            litigation_count: None,
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

fn gid(uuid: Uuid) -> String {
    encode(Kind::Client, uuid).0
}

fn cell<'a>(migration: &'a Value, from: &str, to: &str) -> &'a Value {
    migration["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == from && c["to"] == to)
        .unwrap_or_else(|| panic!("no cell {from} -> {to} in {migration:#}"))
}

const MIGRATION: &str = "query($from: DateTime!, $to: DateTime!, $filter: ClientFilter) {
    quadrantMigration(from: $from, to: $to, filter: $filter, clientsPerCell: 1) {
        total moved cells { from to count clients { id } } } }";

#[tokio::test]
async fn quadrant_migration_places_clients_by_their_history_at_both_dates() {
    let app = TestApp::spawn().await;
    let now = db::now();
    let before = now - Duration::days(30);
    let between = now - Duration::days(20);
    let first = now - Duration::days(25);
    let second = now - Duration::days(5);
    let rising = insert_client(&app, "Rising", None).await;
    let rising_too = insert_client(&app, "Rising too", None).await;
    let steady = insert_client(&app, "Steady", None).await;
    let newcomer = insert_client(&app, "Newcomer", None).await;
    let never = insert_client(&app, "Never scored", None).await;
    for (client, q1, q2) in [
        (rising, "SUPPORT", "KEY"),
        (rising_too, "SUPPORT", "KEY"),
        (steady, "OPPORTUNISTIC", "OPPORTUNISTIC"),
    ] {
        insert_score(&app, client, q1, first, false).await;
        insert_score(&app, client, q2, second, true).await;
    }
    insert_score(&app, newcomer, "DEVELOPMENT", second, true).await;

    let data = app
        .data(MIGRATION, json!({ "from": between, "to": now }))
        .await;
    let migration = &data["quadrantMigration"];
    assert_eq!(migration["total"], 5);
    assert_eq!(migration["moved"], 3);
    assert_eq!(migration["cells"].as_array().unwrap().len(), 25);
    let support_key = cell(migration, "SUPPORT", "KEY");
    assert_eq!(support_key["count"], 2);
    let listed = support_key["clients"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "capped at clientsPerCell");
    assert!([gid(rising), gid(rising_too)].contains(&listed[0]["id"].as_str().unwrap().to_owned()));
    assert_eq!(
        cell(migration, "OPPORTUNISTIC", "OPPORTUNISTIC")["count"],
        1
    );
    assert_eq!(
        cell(migration, "OPPORTUNISTIC", "OPPORTUNISTIC")["clients"],
        json!([])
    );
    let new = cell(migration, "UNSCORED", "DEVELOPMENT");
    assert_eq!(new["count"], 1);
    assert_eq!(new["clients"][0]["id"], gid(newcomer));
    assert_eq!(cell(migration, "UNSCORED", "UNSCORED")["count"], 1);
    let _ = never;

    // Before any assessment everyone was unscored.
    let data = app
        .data(MIGRATION, json!({ "from": before, "to": between }))
        .await;
    let migration = &data["quadrantMigration"];
    assert_eq!(cell(migration, "UNSCORED", "SUPPORT")["count"], 2);
    assert_eq!(cell(migration, "UNSCORED", "UNSCORED")["count"], 2);

    let body = app
        .graphql(MIGRATION, json!({ "from": now, "to": before }))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn quadrant_migration_follows_two_rescorings_with_changed_data() {
    let app = TestApp::spawn().await;
    let start = db::now();
    let clients = [
        insert_client(&app, "A", None).await,
        insert_client(&app, "B", None).await,
        insert_client(&app, "C", None).await,
    ];
    insert_order(&app, clients[0], 10, 100_000, "GBP").await;
    insert_order(&app, clients[1], 10, 10, "GBP").await;
    let rescore = "mutation { rescoreClients { rescored } }";
    app.data(rescore, json!({})).await;
    tokio::time::sleep(StdDuration::from_millis(20)).await;
    let between = db::now();
    tokio::time::sleep(StdDuration::from_millis(20)).await;
    for days in [1, 2, 3, 4, 5] {
        insert_order(&app, clients[2], days, 1_000_000, "GBP").await;
    }
    app.data(rescore, json!({})).await;
    let end = db::now();

    let data = app
        .data(MIGRATION, json!({ "from": start, "to": end }))
        .await;
    assert_eq!(data["quadrantMigration"]["total"], 3);
    assert_eq!(
        data["quadrantMigration"]["moved"], 3,
        "all were unscored at the start"
    );

    // Between the rescorings each client moved from its first quadrant to its second.
    let data = app
        .data(MIGRATION, json!({ "from": between, "to": end }))
        .await;
    let migration = &data["quadrantMigration"];
    let mut expected: std::collections::HashMap<(String, String), i64> = Default::default();
    for client in clients {
        let history = app
            .data(
                "query($id: ID!) { client(id: $id) { scoreHistory(first: 5) { nodes { quadrant } } } }",
                json!({ "id": gid(client) }),
            )
            .await;
        let scores = history["client"]["scoreHistory"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(scores.len(), 2, "{history:#}");
        let to = scores[0]["quadrant"].as_str().unwrap().to_owned();
        let from = scores[1]["quadrant"].as_str().unwrap().to_owned();
        *expected.entry((from, to)).or_default() += 1;
    }
    for ((from, to), count) in expected {
        assert_eq!(cell(migration, &from, &to)["count"], count);
    }
    assert_eq!(migration["total"], 3);
}

const CONCENTRATION: &str = "query($top: Int, $filter: ClientFilter) {
    revenueConcentration(top: $top, filter: $filter) { top groups {
        currency converted totalRevenue clientCount topShare
        topClients { rank client { id } revenue share cumulativeShare }
        curve { clients clientShare revenueShare } } } }";

#[tokio::test]
async fn revenue_concentration_gives_top_shares_and_a_curve_ending_at_one() {
    let app = TestApp::spawn().await;
    let big = insert_client(&app, "Big", None).await;
    insert_order(&app, big, 10, 600, "GBP").await;
    insert_order(&app, big, 40, 200, "GBP").await;
    let mid = insert_client(&app, "Mid", None).await;
    insert_order(&app, mid, 10, 150, "GBP").await;
    let small = insert_client(&app, "Small", None).await;
    insert_order(&app, small, 10, 50, "GBP").await;
    insert_order(&app, small, 500, 10_000, "GBP").await; // outside the trailing window
    let euro = insert_client(&app, "Euro", None).await;
    insert_order(&app, euro, 5, 70, "EUR").await;
    insert_client(&app, "Idle", None).await;

    let data = app.data(CONCENTRATION, json!({ "top": 1 })).await;
    let groups = data["revenueConcentration"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "one group per currency without rates");
    let gbp = &groups[0];
    assert_eq!(gbp["currency"], "GBP");
    assert_eq!(gbp["converted"], false);
    assert_eq!(gbp["totalRevenue"], "1000.00");
    assert_eq!(gbp["clientCount"], 3);
    assert!((gbp["topShare"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    assert_eq!(gbp["topClients"][0]["client"]["id"], gid(big));
    assert_eq!(gbp["topClients"][0]["revenue"], "800.00");
    let curve = gbp["curve"].as_array().unwrap();
    assert_eq!(curve.len(), 3);
    assert!((curve[1]["revenueShare"].as_f64().unwrap() - 0.95).abs() < 1e-9);
    assert_eq!(curve[2]["clientShare"], 1.0);
    assert_eq!(curve[2]["revenueShare"], 1.0);
    assert_eq!(groups[1]["currency"], "EUR");
    assert_eq!(groups[1]["topShare"], 1.0);

    let body = app.graphql(CONCENTRATION, json!({ "top": 0 })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn revenue_concentration_converts_with_the_scoring_rates() {
    let app = TestApp::spawn_with(|s| {
        s.scoring.base_currency = "GBP".into();
        s.scoring.rates = vec![kaim::config::CurrencyRate {
            currency: "EUR".into(),
            rate: 0.5,
        }];
    })
    .await;
    let gbp = insert_client(&app, "Pounds", None).await;
    insert_order(&app, gbp, 10, 300, "GBP").await;
    let eur = insert_client(&app, "Euros", None).await;
    insert_order(&app, eur, 10, 200, "EUR").await;
    let data = app.data(CONCENTRATION, json!({ "top": 10 })).await;
    let groups = data["revenueConcentration"]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["currency"], "GBP");
    assert_eq!(groups[0]["converted"], true);
    assert_eq!(
        groups[0]["totalRevenue"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap(),
        400.0
    );
    assert!((groups[0]["topShare"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(
        groups[0]["curve"].as_array().unwrap().last().unwrap()["revenueShare"],
        1.0
    );
}

#[tokio::test]
async fn manager_load_counts_each_rule() {
    let app = TestApp::spawn().await;
    let (_, manager_gid) = app.user_token(enums::Role::Manager, "Alice Manager").await;
    let manager =
        kaim::graphql::node::decode(&async_graphql::ID(manager_gid.clone()), Kind::User, "id")
            .unwrap();
    let (_, idle_gid) = app.user_token(enums::Role::Manager, "Bob Idle").await;
    let now = db::now();

    // Key account, contacted, planned, freshly scored: no flags.
    let key = insert_client(&app, "Key", Some(manager)).await;
    insert_score(&app, key, "KEY", now - Duration::days(1), true).await;
    insert_interaction(&app, key, enums::InteractionKind::Meeting, 5, None).await;
    account_plan::Entity::insert(account_plan::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(key),
        title: Set("Grow".into()),
        period_start: Set(None),
        period_end: Set(None),
        status: Set(enums::PlanStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec(&app.db)
    .await
    .unwrap();
    // Old contact, old score, no plan.
    let old = insert_client(&app, "Old", Some(manager)).await;
    insert_score(&app, old, "SUPPORT", now - Duration::days(200), true).await;
    insert_interaction(&app, old, enums::InteractionKind::Call, 100, None).await;
    // Never contacted, never scored.
    insert_client(&app, "Fresh", Some(manager)).await;
    // Unassigned.
    insert_client(&app, "Nobody's", None).await;

    let data = app
        .data(
            "{ managerLoad(staleAfterDays: 90, noContactDays: 60) {
                manager { id name } clients keyAccounts withoutContact withoutPlan staleScores } }",
            json!({}),
        )
        .await;
    let rows = data["managerLoad"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{rows:#?}");
    assert_eq!(
        rows[0],
        json!({ "manager": { "id": manager_gid, "name": "Alice Manager" }, "clients": 3,
                "keyAccounts": 1, "withoutContact": 2, "withoutPlan": 2, "staleScores": 2 })
    );
    assert_eq!(rows[1]["manager"]["id"], idle_gid);
    assert_eq!(rows[1]["clients"], 0);
    assert_eq!(rows[2]["manager"], Value::Null);
    assert_eq!(rows[2]["clients"], 1);

    // A longer staleness window forgives the 200-day-old score.
    let data = app
        .data(
            "{ managerLoad(staleAfterDays: 365) { clients staleScores } }",
            json!({}),
        )
        .await;
    assert_eq!(data["managerLoad"][0]["staleScores"], 1);
}

#[tokio::test]
async fn prospective_clients_follow_the_published_rule() {
    let app = TestApp::spawn().await;
    // The median of (1000, 800, 100, 50, 40, 0) is 75.
    let large = insert_client(&app, "Large", None).await;
    insert_order(&app, large, 10, 1000, "GBP").await;
    let large_rated = insert_client(&app, "Large but rated", None).await;
    insert_order(&app, large_rated, 10, 800, "GBP").await;
    let rated = insert_client(&app, "Rated", None).await;
    insert_order(&app, rated, 200, 50, "GBP").await;
    let growing = insert_client(&app, "Growing orders", None).await;
    insert_order(&app, growing, 120, 10, "GBP").await;
    insert_order(&app, growing, 10, 30, "GBP").await;
    let checked = insert_client(&app, "Checked", None).await;
    insert_check(&app, checked, 400, 2024, 1_000_000).await;
    insert_check(&app, checked, 30, 2025, 1_500_000).await;
    let flat = insert_client(&app, "Flat", None).await;
    insert_order(&app, flat, 10, 100, "GBP").await;
    let rating = |client: Uuid, value: f64| factor_rating::ActiveModel {
        client_id: Set(client),
        factor_key: Set("growth_prospects".into()),
        rating: Set(value),
        rated_by: Set(None),
        rated_at: Set(db::now()),
    };
    factor_rating::Entity::insert_many([
        rating(rated, 8.0),
        rating(large_rated, 9.0),
        rating(flat, 6.0),
    ])
    .exec(&app.db)
    .await
    .unwrap();

    let data = app
        .data(
            "{ prospectiveClients(limit: 10) { medianRevenue12m totalCount nodes {
                rank client { id } revenue12m growthRating revenueTrend orderGrowth signals } } }",
            json!({}),
        )
        .await;
    let result = &data["prospectiveClients"];
    assert_eq!(result["medianRevenue12m"], "75.00");
    assert_eq!(result["totalCount"], 3, "{result:#}");
    let nodes = result["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes
        .iter()
        .map(|n| n["client"]["id"].as_str().unwrap())
        .collect();
    // Growth fractions rank first (checked +50 % and orders +200 %), then the rating.
    assert_eq!(ids, [gid(growing), gid(checked), gid(rated)]);
    assert_eq!(nodes[0]["signals"], json!(["ORDER_GROWTH"]));
    assert!((nodes[0]["orderGrowth"].as_f64().unwrap() - 2.0).abs() < 1e-9);
    assert_eq!(nodes[1]["signals"], json!(["REVENUE_TREND"]));
    assert!((nodes[1]["revenueTrend"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    assert_eq!(nodes[2]["signals"], json!(["GROWTH_RATING"]));
    assert_eq!(nodes[2]["growthRating"], 8.0);

    let page = app
        .data(
            "{ prospectiveClients(limit: 1, offset: 1) { totalCount nodes { rank client { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(page["prospectiveClients"]["nodes"][0]["rank"], 2);
    assert_eq!(
        page["prospectiveClients"]["nodes"][0]["client"]["id"],
        gid(checked)
    );
}

#[tokio::test]
async fn the_schedule_rescores_clients_without_being_asked() {
    let app = TestApp::spawn_with(|s| {
        s.scoring.rescore_interval = Some(StdDuration::from_millis(100));
    })
    .await;
    let client = insert_client(&app, "Scheduled", None).await;
    eventually(|| async {
        db::scoring::current_of(&app.db, client)
            .await
            .map_err(|e| e.message())
            .unwrap()
            .is_some()
    })
    .await;
}

#[tokio::test]
async fn a_lease_is_held_by_one_holder_until_it_expires() {
    let app = TestApp::spawn().await;
    let now = db::now();
    let later = now + Duration::seconds(60);
    let acquire = |holder: &'static str, at: DateTime<Utc>, until: DateTime<Utc>| {
        let db = app.db.clone();
        async move {
            db::leases::acquire(&db, "job", holder, at, until)
                .await
                .map_err(|e| e.message())
                .unwrap()
        }
    };
    assert!(acquire("a", now, later).await);
    assert!(!acquire("b", now, later).await);
    assert!(acquire("a", now, later).await, "the holder renews");
    assert!(
        acquire(
            "b",
            later + Duration::seconds(1),
            later + Duration::seconds(60)
        )
        .await,
        "an expired lease is taken over"
    );
    assert!(
        !acquire(
            "a",
            later + Duration::seconds(2),
            later + Duration::seconds(60)
        )
        .await
    );
    db::leases::release(&app.db, "job", "b").await.unwrap();
    assert!(acquire("a", now, later).await, "a released lease is free");
}

#[tokio::test]
async fn only_one_of_two_instances_rescores_on_a_shared_database() {
    let app = TestApp::spawn().await;
    let client = insert_client(&app, "Shared", None).await;
    let mut settings = app.settings.clone();
    settings.scoring.rescore_interval = Some(StdDuration::from_millis(100));
    let mut rounds = Vec::new();
    for _ in 0..2 {
        let (instance, _) = Application::build(settings.clone()).await.unwrap();
        rounds.push(instance.rescore_rounds().unwrap());
        tokio::spawn(instance.run_until_stopped());
    }
    eventually(|| async { rounds.iter().map(|r| r.load(Ordering::SeqCst)).sum::<u64>() >= 4 })
        .await;
    let done: Vec<u64> = rounds.iter().map(|r| r.load(Ordering::SeqCst)).collect();
    assert!(done.contains(&0), "both instances re-scored: {done:?}");
    let history = app
        .data(
            "query($id: ID!) { client(id: $id) { scoreHistory(first: 100) { nodes { assessedAt } } } }",
            json!({ "id": gid(client) }),
        )
        .await;
    let assessed = history["client"]["scoreHistory"]["nodes"]
        .as_array()
        .unwrap()
        .len();
    assert!(assessed >= 4, "{assessed} assessments");
    let (holder, _) = db::leases::holder(&app.db, kaim::scheduler::LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(holder.starts_with("kaim-"));
}
