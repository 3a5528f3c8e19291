//! BI exports over HTTP: `/export/scores.csv`, `/export/scores.ndjson` and
//! `/export/clients.csv`: their media types and columns, CSV quoting, one JSON object per line,
//! `asOf` reading the kept score history, filters, paging past a page, and who may export.

use entity::{client, enums, interaction};
use kaim::{
    db,
    domain::registry_id::RegistryIdValue,
    graphql::node::{Kind, encode},
};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;

const TRICKY_NAME: &str = "ООО \"Ромашка\", Москва";

struct Portfolio {
    /// Russian, ACTIVE, managed by `manager`, with an INN and orders.
    romashka: Uuid,
    /// British, DORMANT, unmanaged.
    acme: Uuid,
    manager: Uuid,
}

fn new_client(name: &str, country: &str, status: enums::ClientStatus) -> db::clients::NewClient {
    db::clients::NewClient {
        name: name.into(),
        legal_name: Some(format!("{name} (legal)")),
        industry_code: None,
        industry: Some("Retail, wholesale".into()),
        country: Some(country.into()),
        region: None,
        employees: None,
        revenue_band: None,
        markets: vec![],
        strategic_plans: None,
        website: None,
        status,
        manager_id: None,
    }
}

async fn portfolio(app: &TestApp) -> Portfolio {
    let manager = db::users::insert(
        &app.db,
        db::users::NewUser {
            name: "Иван Петров".into(),
            email: None,
            role: enums::Role::Manager,
        },
    )
    .await
    .map_err(|e| e.message())
    .unwrap()
    .id;
    let inn = RegistryIdValue::parse(enums::RegistryScheme::RuInn, "7707083893").unwrap();
    let romashka = db::clients::insert(
        &app.db,
        db::clients::NewClient {
            manager_id: Some(manager),
            ..new_client(TRICKY_NAME, "RU", enums::ClientStatus::Active)
        },
        &[inn],
    )
    .await
    .map_err(|e| e.message())
    .unwrap()
    .id;
    let acme = db::clients::insert(
        &app.db,
        new_client("Acme Ltd", "GB", enums::ClientStatus::Dormant),
        &[],
    )
    .await
    .map_err(|e| e.message())
    .unwrap()
    .id;
    let orders = [(30, 1_250_000), (60, 500)].map(|(days, amount)| interaction::ActiveModel {
        id: Set(Uuid::now_v7()),
        client_id: Set(romashka),
        contact_id: Set(None),
        kind: Set(enums::InteractionKind::Order),
        occurred_at: Set(db::now() - chrono::Duration::days(days)),
        subject: Set(None),
        summary: Set(None),
        amount_e4: Set(Some(amount * 10_000)),
        currency: Set(Some(if amount > 1000 { "RUB" } else { "EUR" }.into())),
        outcome: Set(None),
        source: Set(None),
        external_id: Set(None),
        recorded_by: Set(None),
        created_at: Set(db::now()),
    });
    interaction::Entity::insert_many(orders)
        .exec(&app.db)
        .await
        .unwrap();
    Portfolio {
        romashka,
        acme,
        manager,
    }
}

async fn rescore(app: &TestApp) {
    let data = app
        .data("mutation { rescoreClients { rescored } }", Value::Null)
        .await;
    assert!(data["rescoreClients"]["rescored"].as_u64().unwrap() > 0);
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

/// The body of a successful export, after checking its media type.
async fn export(app: &TestApp, path: &str, media: &str) -> String {
    let response = get(app, Some(&app.admin_token), path).await;
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with(media), "{path}: {content_type}");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.text().await.unwrap()
}

/// CSV records as maps from column name to value, and the header.
fn parse_csv(body: &str) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

fn client_id(uuid: Uuid) -> String {
    encode(Kind::Client, uuid).0
}

#[tokio::test]
async fn scores_csv_has_the_documented_header_and_one_quoted_row_per_scored_client() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app).await;
    let body = export(&app, "/export/scores.csv", "text/csv").await;
    assert_eq!(
        body,
        format!("{}\n", kaim_score_header()),
        "unscored: header only"
    );
    rescore(&app).await;

    let body = export(&app, "/export/scores.csv", "text/csv").await;
    assert!(body.contains("\"ООО \"\"Ромашка\"\", Москва\""), "{body}");
    let (header, rows) = parse_csv(&body);
    assert_eq!(header.join(","), kaim_score_header());
    assert_eq!(rows.len(), 2);
    let romashka = rows
        .iter()
        .find(|row| row["client_id"] == client_id(p.romashka))
        .expect("Romashka's row");
    assert_eq!(romashka["client_name"], TRICKY_NAME);
    assert_eq!(romashka["country"], "RU");
    assert_eq!(romashka["industry"], "Retail, wholesale");
    assert_eq!(romashka["manager_id"], encode(Kind::User, p.manager).0);
    assert_eq!(romashka["manager_name"], "Иван Петров");
    assert_eq!(romashka["model_version"], "1");
    let attractiveness: f64 = romashka["attractiveness"].parse().unwrap();
    assert!((0.0..=100.0).contains(&attractiveness));
    assert!(
        ["KEY", "DEVELOPMENT", "SUPPORT", "OPPORTUNISTIC"].contains(&romashka["quadrant"].as_str())
    );
    let factors: Vec<Value> = serde_json::from_str(&romashka["factors"]).unwrap();
    assert!(factors.iter().any(|f| f["key"] == "order_volume"));
    for factor in &factors {
        let keys: Vec<&str> = factor
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["axis", "derived", "key", "missing", "value", "weight"],
            "{factor}"
        );
    }
    let acme = rows
        .iter()
        .find(|row| row["client_id"] == client_id(p.acme))
        .unwrap();
    assert_eq!(acme["manager_id"], "");
    assert_eq!(acme["manager_name"], "");
}

fn kaim_score_header() -> &'static str {
    "client_id,client_name,country,industry,manager_id,manager_name,model_version,assessed_at,\
     attractiveness,loyalty,quadrant,explanation,factors"
}

#[tokio::test]
async fn scores_ndjson_is_one_object_per_line_with_factors_as_an_array() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app).await;
    rescore(&app).await;
    let body = export(&app, "/export/scores.ndjson", "application/x-ndjson").await;
    assert!(body.ends_with('\n'));
    let lines: Vec<Value> = body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let romashka = lines
        .iter()
        .find(|line| line["client_id"] == client_id(p.romashka))
        .unwrap();
    assert_eq!(romashka["client_name"], TRICKY_NAME);
    assert_eq!(romashka["model_version"], 1);
    assert!(romashka["attractiveness"].is_f64());
    assert!(romashka["factors"].as_array().unwrap().len() > 5);
    let keys: Vec<&str> = romashka
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected: Vec<&str> = kaim_score_header().split(',').collect();
    expected.sort_unstable();
    assert_eq!(keys, expected, "NDJSON keys are the CSV columns");
    let acme = lines
        .iter()
        .find(|line| line["client_id"] == client_id(p.acme))
        .unwrap();
    assert!(acme["manager_id"].is_null());
}

#[tokio::test]
async fn clients_csv_lists_every_client_with_registry_ids_revenue_quadrant_and_solvency() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app).await;
    app.data(
        "mutation($input: AddFinancialCheckInput!) { addFinancialCheck(input: $input) { id } }",
        json!({ "input": {
            "clientId": client_id(p.romashka), "source": "manual", "registryStatus": "liquidating"
        } }),
    )
    .await;
    let (_, unscored) = parse_csv(&export(&app, "/export/clients.csv", "text/csv").await);
    assert_eq!(unscored.len(), 2, "unscored clients are exported too");
    assert!(unscored.iter().all(|row| row["quadrant"].is_empty()));
    rescore(&app).await;

    let body = export(&app, "/export/clients.csv", "text/csv").await;
    let (header, rows) = parse_csv(&body);
    assert_eq!(
        header.join(","),
        "id,name,legal_name,industry_code,industry,country,region,status,manager_id,\
         manager_name,lei,ru_inn,ru_ogrn,gb_company_number,us_cik,created_at,updated_at,\
         last_interaction_at,revenue_12m,quadrant,solvency_risk"
    );
    assert_eq!(rows.len(), 2);
    let romashka = rows
        .iter()
        .find(|row| row["id"] == client_id(p.romashka))
        .unwrap();
    assert_eq!(romashka["name"], TRICKY_NAME);
    assert_eq!(romashka["legal_name"], format!("{TRICKY_NAME} (legal)"));
    assert_eq!(romashka["status"], "ACTIVE");
    assert_eq!(romashka["ru_inn"], "7707083893");
    assert_eq!(romashka["lei"], "");
    assert_eq!(romashka["manager_name"], "Иван Петров");
    assert_eq!(romashka["revenue_12m"], "EUR 500.00; RUB 1250000.00");
    assert!(!romashka["quadrant"].is_empty());
    assert_eq!(romashka["solvency_risk"], "HIGH");
    assert!(romashka["created_at"].ends_with('Z'));
    let acme = rows
        .iter()
        .find(|row| row["id"] == client_id(p.acme))
        .unwrap();
    assert_eq!(acme["status"], "DORMANT");
    assert_eq!(acme["revenue_12m"], "");
    assert_eq!(acme["last_interaction_at"], "");
    assert_eq!(acme["solvency_risk"], "UNKNOWN", "no checks");
}

#[tokio::test]
async fn as_of_exports_the_scores_kept_from_before_a_rescore() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app).await;
    rescore(&app).await;
    let before = parse_csv(&export(&app, "/export/scores.csv", "text/csv").await).1;
    let first = before
        .iter()
        .find(|row| row["client_id"] == client_id(p.acme))
        .unwrap()
        .clone();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = db::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;

    // The best rating of every rated factor moves Acme's axes.
    let model = db::scoring::current_model(&app.db)
        .await
        .map_err(|e| e.message())
        .unwrap();
    let ratings: Vec<(String, f64)> = model
        .model
        .factors
        .iter()
        .filter(|f| f.source == kaim::domain::kaism::Source::Rated)
        .map(|f| (f.key.clone(), 10.0))
        .collect();
    db::scoring::upsert_ratings(&app.db, p.acme, &ratings, None)
        .await
        .map_err(|e| e.message())
        .unwrap();
    rescore(&app).await;

    let now = parse_csv(&export(&app, "/export/scores.csv", "text/csv").await).1;
    let latest = now
        .iter()
        .find(|row| row["client_id"] == client_id(p.acme))
        .unwrap();
    assert_ne!(latest["attractiveness"], first["attractiveness"]);
    assert_ne!(latest["assessed_at"], first["assessed_at"]);

    let as_of = between.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    for path in [
        format!("/export/scores.csv?asOf={as_of}"),
        format!("/export/scores.csv?asOf={}", as_of.replace('Z', "%2B00:00")),
    ] {
        let then = parse_csv(&export(&app, &path, "text/csv").await).1;
        assert_eq!(then.len(), 2, "{path}");
        let old = then
            .iter()
            .find(|row| row["client_id"] == client_id(p.acme))
            .unwrap();
        assert_eq!(old, &first, "{path}");
    }
    let ndjson = export(
        &app,
        &format!("/export/scores.ndjson?asOf={as_of}"),
        "application/x-ndjson",
    )
    .await;
    assert!(ndjson.contains(&first["assessed_at"]));

    let long_ago = export(&app, "/export/scores.csv?asOf=2000-01-01", "text/csv").await;
    assert_eq!(long_ago.lines().count(), 1, "no scores then: header only");
}

#[tokio::test]
async fn exports_need_a_token_and_a_role_that_reads_the_portfolio() {
    let app = TestApp::spawn().await;
    for path in [
        "/export/scores.csv",
        "/export/scores.ndjson",
        "/export/clients.csv",
    ] {
        let response = get(&app, None, path).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

        let response = get(&app, Some("not-a-token"), path).await;
        assert_eq!(response.status(), 401, "{path}");
    }
    let (integrator, _) = app.user_token(enums::Role::Integrator, "Importer").await;
    let response = get(&app, Some(&integrator), "/export/scores.csv").await;
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    for role in [enums::Role::Analyst, enums::Role::Manager] {
        let (token, _) = app.user_token(role, "Reader").await;
        for path in ["/export/scores.ndjson", "/export/clients.csv"] {
            assert_eq!(
                get(&app, Some(&token), path).await.status(),
                200,
                "{role:?}"
            );
        }
    }
}

#[tokio::test]
async fn exports_filter_by_status_country_and_manager_and_refuse_bad_parameters() {
    let app = TestApp::spawn().await;
    let p = portfolio(&app).await;
    rescore(&app).await;
    let manager = encode(Kind::User, p.manager).0;
    let cases = [
        ("status=ACTIVE", vec![p.romashka]),
        ("status=dormant,lost", vec![p.acme]),
        ("country=gb", vec![p.acme]),
        ("country=RU&country=GB", vec![p.romashka, p.acme]),
        (&*format!("manager={manager}"), vec![p.romashka]),
        ("status=ACTIVE&country=GB", vec![]),
    ];
    for (query, expected) in cases {
        let mut expected: Vec<String> = expected.into_iter().map(client_id).collect();
        expected.sort();
        for (path, column) in [("scores.csv", "client_id"), ("clients.csv", "id")] {
            let body = export(&app, &format!("/export/{path}?{query}"), "text/csv").await;
            let mut ids: Vec<String> = parse_csv(&body)
                .1
                .into_iter()
                .map(|row| row[column].clone())
                .collect();
            ids.sort();
            assert_eq!(ids, expected, "{path}?{query}");
        }
    }
    for path in [
        "/export/scores.csv?asOf=yesterday",
        "/export/scores.ndjson?status=HAPPY",
        "/export/clients.csv?asOf=2026-01-01",
        "/export/clients.csv?country=Russia",
        "/export/scores.csv?manager=nobody",
        "/export/scores.csv?colour=red",
    ] {
        let response = get(&app, Some(&app.admin_token), path).await;
        assert_eq!(response.status(), 400, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{path}"
        );
    }
}

#[tokio::test]
async fn exports_walk_every_page_of_a_portfolio_larger_than_one_page() {
    let app = TestApp::spawn().await;
    let total = 2_345;
    let now = db::now();
    let rows: Vec<client::ActiveModel> = (0..total)
        .map(|i| client::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(format!("Клиент {i}, \"bulk\"")),
            legal_name: Set(None),
            search_text: Set(format!("клиент {i}")),
            industry_code: Set(None),
            industry: Set(None),
            country: Set(Some("RU".into())),
            region: Set(None),
            employees: Set(None),
            revenue_band: Set(None),
            markets: Set(json!([])),
            strategic_plans: Set(None),
            website: Set(None),
            status: Set(enums::ClientStatus::Active),
            manager_id: Set(None),
            archived_at: Set(None),
            last_interaction_at: Set(None),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(500) {
        client::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .unwrap();
    }
    rescore(&app).await;
    for (path, media) in [
        ("/export/scores.csv", "text/csv"),
        ("/export/clients.csv", "text/csv"),
        ("/export/scores.ndjson", "application/x-ndjson"),
    ] {
        let body = export(&app, path, media).await;
        let records = if media == "text/csv" {
            parse_csv(&body).1.len()
        } else {
            body.lines().count()
        };
        assert_eq!(records, total, "{path}");
    }
    let ids: std::collections::HashSet<String> =
        parse_csv(&export(&app, "/export/scores.csv", "text/csv").await)
            .1
            .into_iter()
            .map(|row| row["client_id"].clone())
            .collect();
    assert_eq!(ids.len(), total, "no client twice");
}
