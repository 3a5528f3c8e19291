//! The demo seed: a realistic portfolio written in one transaction, then read through the API.

use std::{collections::HashMap, process::Command};

use kaim::{
    db::seed::{self, DemoOptions, DemoSummary},
    error::ErrorCode,
};
use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn seeded(clients: u32, seed: u64) -> (TestApp, DemoSummary) {
    let app = TestApp::spawn().await;
    let options = DemoOptions {
        clients,
        seed,
        force: false,
    };
    match seed::demo(&app.db, options).await {
        Ok(summary) => (app, summary),
        Err(err) => panic!("seeding failed: {}", err.message()),
    }
}

async fn total(app: &TestApp, filter: Value) -> Value {
    app.data(
        "query($filter: ClientFilter) { clients(filter: $filter) { totalCount } }",
        json!({ "filter": filter }),
    )
    .await["clients"]["totalCount"]
        .clone()
}

/// Every client, page by page, with `fields`.
async fn all_clients(app: &TestApp, fields: &str) -> Vec<Value> {
    let query = format!(
        "query($after: String) {{ clients(first: 100, after: $after) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {fields} }} }} }}"
    );
    let mut clients = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app.data(&query, json!({ "after": after })).await;
        let page = &data["clients"];
        let Some(nodes) = page["nodes"].as_array() else {
            panic!("no clients in {data:#}");
        };
        clients.extend(nodes.iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return clients;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn currency_of(country: &str) -> &'static str {
    match country {
        "RU" => "RUB",
        "KZ" => "KZT",
        "GB" => "GBP",
        "US" => "USD",
        _ => "EUR",
    }
}

#[tokio::test]
async fn the_demo_portfolio_is_served_by_the_api() {
    let (app, summary) = seeded(60, 7).await;
    assert_eq!(summary.clients, 60);
    assert!(summary.contacts >= 60, "{summary:?}");
    assert!(summary.interactions > 300, "{summary:?}");
    assert!(summary.financial_checks >= 60, "{summary:?}");
    assert_eq!(total(&app, json!({})).await, json!(60));

    let data = app
        .data(
            r#"{ clients(filter: { search: "ооо" }, first: 100) { totalCount nodes { name legalName country } } }"#,
            json!({}),
        )
        .await;
    assert!(data["clients"]["totalCount"].as_i64() > Some(0), "{data:#}");
    for client in data["clients"]["nodes"].as_array().expect("nodes") {
        let legal = client["legalName"].as_str().expect("legal name");
        assert!(legal.starts_with("ООО «"), "{client}");
        assert_eq!(client["country"], "RU");
    }

    let russian = total(&app, json!({ "country": ["RU"] })).await;
    assert!(russian.as_i64() > Some(0));
    assert_eq!(
        total(&app, json!({ "hasRegistryId": "RU_INN" })).await,
        russian
    );
    let data = app
        .data(
            "{ clients(filter: { hasRegistryId: RU_OGRN }, first: 100) { nodes { country registryIds { scheme value } } } }",
            json!({}),
        )
        .await;
    for client in data["clients"]["nodes"].as_array().expect("nodes") {
        assert_eq!(client["country"], "RU");
        let schemes: Vec<&str> = client["registryIds"]
            .as_array()
            .expect("registry ids")
            .iter()
            .filter_map(|id| id["scheme"].as_str())
            .collect();
        assert!(
            schemes.contains(&"RU_INN") && schemes.contains(&"RU_OGRN"),
            "{client}"
        );
    }
}

#[tokio::test]
async fn a_demo_client_has_contacts_history_and_checks() {
    let (app, _) = seeded(40, 7).await;
    let data = app
        .data(
            "{ clients(filter: { status: [ACTIVE] }, orderBy: [{ field: REVENUE_12M, direction: DESC }], first: 1) { nodes {
                name country status lastInteractionAt manager { name role }
                revenue12m { amount currency }
                contacts(first: 10) { totalCount nodes { fullName position department decisionRole influence attitude reportsTo { id } } }
                interactions(first: 50) { totalCount nodes { kind occurredAt subject amount currency } }
                latestFinancialCheck { source fiscalYear revenue netIncome assets equity debt currency employees registryStatus litigationCount governmentContracts }
            } } }",
            json!({}),
        )
        .await;
    let client = &data["clients"]["nodes"][0];
    let currency = currency_of(client["country"].as_str().expect("country"));
    assert_eq!(client["status"], "ACTIVE", "{client:#}");
    assert_eq!(client["manager"]["role"], "MANAGER", "{client:#}");
    assert_eq!(client["revenue12m"][0]["currency"], currency, "{client:#}");

    let contacts = client["contacts"]["nodes"].as_array().expect("contacts");
    assert!((1..=6).contains(&contacts.len()), "{client:#}");
    for contact in contacts {
        assert!(contact["position"].is_string() && contact["department"].is_string());
        assert!(contact["decisionRole"].is_string());
        assert!((1..=5).contains(&contact["influence"].as_i64().expect("influence")));
    }

    let interactions = client["interactions"]["nodes"].as_array().expect("history");
    assert!(!interactions.is_empty(), "{client:#}");
    assert_eq!(interactions[0]["occurredAt"], client["lastInteractionAt"]);
    let orders: Vec<&Value> = interactions
        .iter()
        .filter(|i| i["kind"] == "ORDER")
        .collect();
    assert!(!orders.is_empty(), "{client:#}");
    for order in orders {
        assert_eq!(order["currency"], currency);
        assert!(
            order["amount"]
                .as_str()
                .is_some_and(|a| !a.starts_with('-'))
        );
    }

    let check = &client["latestFinancialCheck"];
    assert_eq!(check["source"], "demo", "{client:#}");
    assert_eq!(check["currency"], currency);
    assert!(check["fiscalYear"].is_i64() && check["revenue"].is_string());
    assert!(check["employees"].is_i64() && check["registryStatus"].is_string());
}

#[tokio::test]
async fn the_portfolio_looks_like_a_real_one() {
    let (app, summary) = seeded(seed::DEFAULT_CLIENTS, seed::DEFAULT_SEED).await;
    assert_eq!(summary.users, 9);
    let clients = all_clients(
        &app,
        "country status industryCode manager { role } currentPlan { objectives { dueOn } actions { owner { id } dueOn } } needs { kind priority }",
    )
    .await;
    assert_eq!(clients.len(), 300);

    let mut countries: HashMap<&str, usize> = HashMap::new();
    let mut statuses: HashMap<&str, usize> = HashMap::new();
    for client in &clients {
        *countries
            .entry(client["country"].as_str().expect("country"))
            .or_default() += 1;
        *statuses
            .entry(client["status"].as_str().expect("status"))
            .or_default() += 1;
        assert!(client["industryCode"].is_string());
    }
    assert!(countries.len() >= 6, "{countries:?}");
    assert!(statuses["ACTIVE"] > 150, "{statuses:?}");
    for status in ["PROSPECT", "DORMANT", "LOST"] {
        assert!(
            statuses.get(status).copied().unwrap_or(0) > 0,
            "{statuses:?}"
        );
    }

    let managed = clients.iter().filter(|c| c["manager"]["role"] == "MANAGER");
    assert!(managed.count() > 250);
    let planned = clients
        .iter()
        .filter(|c| c["currentPlan"].is_object())
        .count();
    assert!(
        (60..=150).contains(&planned),
        "{planned} clients have a plan"
    );
    let with_needs = clients
        .iter()
        .filter(|c| c["needs"].as_array().is_some_and(|n| !n.is_empty()))
        .count();
    assert!(with_needs > 150, "{with_needs} clients have needs");

    let users = app.data("{ users { role } }", json!({})).await;
    let roles: Vec<&str> = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["role"].as_str())
        .collect();
    assert_eq!(roles.iter().filter(|r| **r == "MANAGER").count(), 7);
    assert_eq!(roles.iter().filter(|r| **r == "ANALYST").count(), 1);
    assert_eq!(roles.iter().filter(|r| **r == "INTEGRATOR").count(), 1);
}

#[tokio::test]
async fn seeding_a_database_with_clients_is_refused_unless_forced() {
    let (app, first) = seeded(30, 3).await;
    let options = DemoOptions {
        clients: 30,
        seed: 3,
        force: false,
    };
    let refused = seed::demo(&app.db, options).await;
    assert!(
        matches!(&refused, Err(e) if e.code() == ErrorCode::Conflict),
        "{:?}",
        refused.map_err(|e| e.message())
    );
    assert_eq!(total(&app, json!({})).await, json!(30));

    let forced = seed::demo(
        &app.db,
        DemoOptions {
            force: true,
            ..options
        },
    )
    .await
    .map_err(|e| e.message())
    .expect("forced seed");
    assert_eq!(forced.clients, 30);
    assert_eq!(forced.users, 0, "the demo staff is reused");
    assert_eq!(total(&app, json!({})).await, json!(60));
    // Registry ids stay unique across both portfolios, so the second one picked others.
    assert!(forced.registry_ids > 0 && first.registry_ids > 0);
}

async fn client_names(app: &TestApp) -> Vec<String> {
    all_clients(app, "name legalName country region employees")
        .await
        .into_iter()
        .map(|c| c.to_string())
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_portfolio() {
    let (one, one_summary) = seeded(50, 11).await;
    let (two, two_summary) = seeded(50, 11).await;
    let (other, _) = seeded(50, 12).await;
    let names = client_names(&one).await;
    assert_eq!(names.len(), 50);
    assert_eq!(names, client_names(&two).await);
    assert_eq!(one_summary, two_summary);
    assert_ne!(names, client_names(&other).await);
}

#[test]
fn the_command_seeds_an_empty_database_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kaim = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kaim"))
            .args(args)
            .env("KAIM_DATA_DIR", dir.path())
            .env_remove("KAIM_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run kaim")
    };

    let output = kaim(&["seed", "--demo", "--clients", "50"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains("50 clients"), "{stdout}");

    let again = kaim(&["seed", "--demo", "--clients", "50"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));

    let forced = kaim(&["seed", "--demo", "--clients", "10", "--force"]);
    assert!(forced.status.success());

    let nothing = kaim(&["seed"]);
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("--demo"));
}
