//! A page of clients with everything a front end shows costs a fixed number of statements,
//! whatever the page size.

use chrono::{Duration, SubsecRound, Utc};
use entity::{
    account_plan, contact, enums, enums::RegistryScheme, financial_check, interaction, need,
    plan_action, plan_objective,
};
use kaim::{
    db,
    domain::registry_id::RegistryIdValue,
    enrichment::{CompanyProfile, Identifier, IdentifierKind, ProviderId},
};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestApp;

const PORTFOLIO_VIEW: &str = "query($first: Int!) {
  clients(first: $first, orderBy: [{ field: NAME, direction: ASC }]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id name status country
      registryIds { scheme value }
      manager { name }
      contacts(first: 10) { totalCount nodes { fullName decisionRole reportsTo { fullName } } }
      interactions(first: 5) { nodes { kind occurredAt amount currency contact { fullName } } }
      latestFinancialCheck { revenue currency fiscalYear }
      needs { description priority }
      currentPlan { title objectives { description } actions { description owner { name } } }
      revenue12m { amount currency }
    }
  }
}";

/// The page, its total, and one batched statement per relation and level of the view (the
/// token check is remembered, see `TestApp::spawn_counting`): 15, or up to 17 when users (a
/// manager; an action's owner, deeper) and contacts by id (`reportsTo`; an interaction's
/// `contact`, which arrives with another batch) are asked at different moments and so batch
/// twice. Independent of the page size.
const MAX_STATEMENTS: usize = 17;

async fn seed_portfolio(app: &TestApp, clients: usize) {
    let now = Utc::now();
    for i in 0..clients {
        let client = db::clients::insert(
            &app.db,
            db::clients::NewClient {
                name: format!("Client {i:03}"),
                legal_name: None,
                industry_code: None,
                industry: None,
                country: Some("GB".into()),
                region: None,
                employees: None,
                revenue_band: None,
                markets: vec![],
                strategic_plans: None,
                website: None,
                status: enums::ClientStatus::Active,
                manager_id: Some(app.admin_id),
            },
            &[],
        )
        .await
        .map_err(|e| e.message())
        .unwrap();
        let boss = Uuid::now_v7();
        let contacts = [(boss, "Boss", None), (Uuid::now_v7(), "Buyer", Some(boss))].map(
            |(id, name, reports_to)| contact::ActiveModel {
                id: Set(id),
                client_id: Set(client.id),
                full_name: Set(format!("{name} {i}")),
                position: Set(None),
                department: Set(None),
                email: Set(None),
                phone: Set(None),
                preferred_channel: Set(None),
                decision_role: Set(Some(enums::DecisionRole::DecisionMaker)),
                influence: Set(Some(3)),
                attitude: Set(None),
                reports_to_id: Set(reports_to),
                notes: Set(None),
                consent_at: Set(Some(db::now())),
                created_at: Set(db::now()),
                updated_at: Set(db::now()),
            },
        );
        contact::Entity::insert_many(contacts)
            .exec(&app.db)
            .await
            .unwrap();
        let interactions = (0..7).map(|n| interaction::ActiveModel {
            id: Set(Uuid::now_v7()),
            client_id: Set(client.id),
            contact_id: Set(Some(boss)),
            kind: Set(enums::InteractionKind::Order),
            occurred_at: Set(now - Duration::days(n * 30)),
            subject: Set(None),
            summary: Set(None),
            amount_e4: Set(Some(1_000_000)),
            currency: Set(Some("GBP".into())),
            outcome: Set(None),
            source: Set(None),
            external_id: Set(None),
            recorded_by: Set(None),
            created_at: Set(db::now()),
        });
        interaction::Entity::insert_many(interactions)
            .exec(&app.db)
            .await
            .unwrap();
        let checks = (0..2).map(|n| financial_check::ActiveModel {
            id: Set(Uuid::now_v7()),
            client_id: Set(client.id),
            source: Set("manual".into()),
            checked_at: Set(now - Duration::days(n * 365)),
            fiscal_year: Set(Some(2025 - i32::try_from(n).unwrap())),
            currency: Set(Some("GBP".into())),
            revenue_e4: Set(Some(5_000_000_000)),
            net_income_e4: Set(None),
            assets_e4: Set(None),
            equity_e4: Set(None),
            debt_e4: Set(None),
            employees: Set(None),
            registry_status: Set(None),
            litigation_count: Set(None),
            litigation_amount_e4: Set(None),
            government_contracts_count: Set(None),
            government_contracts_amount_e4: Set(None),
            raw_payload: Set(None),
            recorded_by: Set(None),
            created_at: Set(db::now()),
        });
        financial_check::Entity::insert_many(checks)
            .exec(&app.db)
            .await
            .unwrap();
        need::Entity::insert(need::ActiveModel {
            id: Set(Uuid::now_v7()),
            client_id: Set(client.id),
            kind: Set(enums::NeedKind::Current),
            spin_stage: Set(None),
            description: Set("Faster delivery".into()),
            priority: Set(1),
            status: Set(enums::NeedStatus::Open),
            created_at: Set(db::now()),
            updated_at: Set(db::now()),
        })
        .exec(&app.db)
        .await
        .unwrap();
        let plan = Uuid::now_v7();
        account_plan::Entity::insert(account_plan::ActiveModel {
            id: Set(plan),
            client_id: Set(client.id),
            title: Set("Grow".into()),
            period_start: Set(None),
            period_end: Set(None),
            status: Set(enums::PlanStatus::Active),
            created_at: Set(db::now()),
            updated_at: Set(db::now()),
        })
        .exec(&app.db)
        .await
        .unwrap();
        plan_objective::Entity::insert(plan_objective::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan),
            description: Set("Double volume".into()),
            measure: Set(None),
            due_on: Set(None),
            status: Set(enums::TaskStatus::Planned),
            position: Set(0),
        })
        .exec(&app.db)
        .await
        .unwrap();
        plan_action::Entity::insert(plan_action::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan),
            objective_id: Set(None),
            description: Set("Quarterly review".into()),
            owner_id: Set(Some(app.admin_id)),
            due_on: Set(None),
            status: Set(enums::TaskStatus::Planned),
            position: Set(0),
        })
        .exec(&app.db)
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_page_of_clients_with_everything_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn_counting().await;
    seed_portfolio(&app, 60).await;

    let mut counts = Vec::new();
    for first in [5, 50] {
        app.reset_statements();
        let data = app.data(PORTFOLIO_VIEW, json!({ "first": first })).await;
        let count = app.statement_count();
        // One statement per list or relation and level: the page, its count, and one batch per
        // relation below it, never one per row.
        assert!(
            count <= MAX_STATEMENTS,
            "a page of {first} took {count} statements: {:#?}",
            app.statements_run()
        );
        counts.push(count);
        let nodes = data["clients"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), first);
        let client = &nodes[0];
        assert_eq!(client["contacts"]["totalCount"], 2);
        assert_eq!(client["interactions"]["nodes"].as_array().unwrap().len(), 5);
        assert_eq!(client["interactions"]["nodes"][0]["amount"], "100.00");
        assert_eq!(client["latestFinancialCheck"]["fiscalYear"], 2025);
        assert_eq!(
            client["currentPlan"]["actions"][0]["owner"]["name"],
            "Test Admin"
        );
        assert_eq!(client["manager"]["name"], "Test Admin");
        // Orders inside the trailing twelve months: today and 30..330 days ago.
        assert_eq!(
            client["revenue12m"],
            json!([{ "amount": "700.00", "currency": "GBP" }])
        );
    }
    // Per-row loading would cost at least one statement per client (50 here); the budget is
    // the same for 5 clients as for 50.
    assert!(counts.iter().all(|c| *c <= MAX_STATEMENTS), "{counts:?}");
}

const REGISTRY_VIEW: &str = "query($first: Int!) {
  clients(first: $first, orderBy: [{ field: NAME, direction: ASC }]) {
    nodes {
      name
      registryProfile {
        legalName { value source }
        employees { value source }
        answers { source registryId }
      }
    }
  }
}";

/// The answer `source` gave about `looked_up`, naming the company after client `i`.
fn answer(
    source: ProviderId,
    looked_up: IdentifierKind,
    value: &RegistryIdValue,
    i: usize,
) -> CompanyProfile {
    let mut profile = CompanyProfile::new(
        source,
        Identifier {
            kind: looked_up,
            value: value.as_str().to_owned(),
        },
    );
    profile.retrieved_at = profile.retrieved_at.trunc_subsecs(6);
    profile.legal_name = Some(format!("{} {i:03}", source.as_str()));
    profile.employees = Some(u32::try_from(i).unwrap() + 1);
    profile
}

/// 20 clients, each with a UK company number and every third with a CIK. Companies House has
/// answered about the even clients' numbers, SEC EDGAR about the CIKs; nobody about the rest.
async fn seed_registry_answers(app: &TestApp) {
    let ttl = std::time::Duration::from_secs(3600);
    for i in 0..20 {
        let number =
            RegistryIdValue::parse(RegistryScheme::GbCompanyNumber, &format!("{}", 10_000 + i))
                .unwrap();
        let cik =
            RegistryIdValue::parse(RegistryScheme::UsCik, &format!("{}", 50_000 + i)).unwrap();
        let mut ids = vec![number.clone()];
        if i % 3 == 0 {
            ids.push(cik.clone());
        }
        db::clients::insert(
            &app.db,
            db::clients::NewClient {
                name: format!("Client {i:03}"),
                legal_name: None,
                industry_code: None,
                industry: None,
                country: Some("GB".into()),
                region: None,
                employees: None,
                revenue_band: None,
                markets: vec![],
                strategic_plans: None,
                website: None,
                status: enums::ClientStatus::Active,
                manager_id: Some(app.admin_id),
            },
            &ids,
        )
        .await
        .map_err(|e| e.message())
        .unwrap();
        if i % 2 == 0 {
            let profile = answer(
                ProviderId::CompaniesHouse,
                IdentifierKind::GbCompanyNumber,
                &number,
                i,
            );
            db::enrichment::store(&app.db, number.scheme(), number.as_str(), &profile, ttl)
                .await
                .map_err(|e| e.message())
                .unwrap();
        }
        // Every third client's CIK has an answer; so does a CIK no client holds.
        if i % 3 == 0 || i == 19 {
            let profile = answer(ProviderId::SecEdgar, IdentifierKind::UsCik, &cik, i);
            db::enrichment::store(&app.db, cik.scheme(), cik.as_str(), &profile, ttl)
                .await
                .map_err(|e| e.message())
                .unwrap();
        }
    }
}

#[tokio::test]
async fn registry_profiles_of_a_page_of_clients_cost_a_fixed_number_of_statements() {
    let app = TestApp::spawn_counting().await;
    seed_registry_answers(&app).await;

    let mut counts = Vec::new();
    for first in [5, 20] {
        app.reset_statements();
        let data = app.data(REGISTRY_VIEW, json!({ "first": first })).await;
        counts.push(app.statement_count());
        let nodes = data["clients"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), first);
        for (i, node) in nodes.iter().enumerate() {
            assert_eq!(node["name"], format!("Client {i:03}"));
            let profile = &node["registryProfile"];
            // Companies House, the national register, wins over SEC EDGAR where both answered.
            let expected = match (i % 2 == 0, i % 3 == 0) {
                (false, false) => {
                    assert!(profile.is_null(), "client {i}: {profile:#}");
                    continue;
                }
                (true, _) => "companies_house",
                (false, true) => "sec_edgar",
            };
            assert_eq!(
                profile["legalName"],
                json!({ "value": format!("{expected} {i:03}"), "source": expected }),
                "client {i}"
            );
            assert_eq!(profile["employees"]["value"], i + 1, "client {i}");
            let mut answered: Vec<&str> = profile["answers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["source"].as_str().unwrap())
                .collect();
            answered.sort_unstable();
            let mut wanted = Vec::new();
            if i % 2 == 0 {
                wanted.push("companies_house");
            }
            if i % 3 == 0 {
                wanted.push("sec_edgar");
            }
            assert_eq!(answered, wanted, "client {i}");
        }
    }
    // Per-client loading would cost two statements per client; batched, 20 clients cost what 5
    // do: the token check, the page and one statement for every profile.
    assert_eq!(
        counts[0],
        counts[1],
        "statements for 5 and 20 clients: {counts:?}: {:#?}",
        app.statements_run()
    );
    assert!(counts[1] <= 4, "{counts:?}: {:#?}", app.statements_run());
}

const SCORING_VIEW: &str = "query($first: Int!) {
  clients(first: $first, orderBy: [{ field: NAME, direction: ASC }]) {
    nodes {
      name
      score { quadrant attractiveness loyalty factors { key value } }
      scoreHistory(first: 3) { nodes { assessedAt quadrant } }
      history(first: 5) { nodes { action actor { name } } }
      solvency { level reasons { code } }
    }
  }
}";

/// The token check, the page, and one batch each for scores, the scoring model, score
/// histories, audit histories, their actors and solvency: 8, with room for batches that
/// straddle a batching window as above.
const MAX_SCORING_STATEMENTS: usize = 12;

#[tokio::test]
async fn a_page_of_scored_clients_with_their_histories_costs_a_fixed_number_of_statements() {
    let app = TestApp::spawn_counting().await;
    seed_portfolio(&app, 60).await;
    let filter = db::clients::ClientFilter::default();
    for _ in 0..2 {
        db::scoring::rescore(
            &app.db,
            &app.settings.scoring,
            db::scoring::Scope::Filter(&filter),
        )
        .await
        .map_err(|e| e.message())
        .unwrap();
    }
    // Writes through the API, so each client has audit events by a user.
    let ids = app
        .data(
            "{ clients(first: 50, orderBy: [{ field: NAME, direction: ASC }]) { nodes { id version } } }",
            json!({}),
        )
        .await;
    for node in ids["clients"]["nodes"].as_array().unwrap() {
        app.data(
            "mutation($id: ID!, $version: Int!) {
                updateClient(id: $id, version: $version, input: { region: \"North\" }) { id } }",
            json!({ "id": node["id"], "version": node["version"] }),
        )
        .await;
    }

    let mut counts = Vec::new();
    for first in [5, 50] {
        app.reset_statements();
        let data = app.data(SCORING_VIEW, json!({ "first": first })).await;
        counts.push(app.statement_count());
        let nodes = data["clients"]["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), first);
        for node in nodes {
            assert!(node["score"]["quadrant"].is_string(), "{node:#}");
            assert_eq!(
                node["scoreHistory"]["nodes"].as_array().unwrap().len(),
                2,
                "{node:#}"
            );
            assert_eq!(node["history"]["nodes"][0]["action"], "UPDATE", "{node:#}");
            assert_eq!(node["history"]["nodes"][0]["actor"]["name"], "Test Admin");
            assert_eq!(node["solvency"]["level"], "LOW", "{node:#}");
        }
    }
    assert!(
        counts.iter().all(|c| *c <= MAX_SCORING_STATEMENTS),
        "{counts:?}: {:#?}",
        app.statements_run()
    );
}

/// Each analytics query, with what it lists of clients.
const ANALYTICS: [(&str, &str); 5] = [
    (
        "kaismMatrix",
        "{ kaismMatrix { total cells { quadrant } } }",
    ),
    (
        "quadrantMigration",
        "query($from: DateTime!, $to: DateTime!) { quadrantMigration(from: $from, to: $to) {
            cells { count clients { name } } } }",
    ),
    (
        "revenueConcentration",
        "{ revenueConcentration(top: 10) { groups { currency topClients { client { name } } } } }",
    ),
    (
        "managerLoad",
        "{ managerLoad { clients keyAccounts withoutContact } }",
    ),
    (
        "prospectiveClients",
        "{ prospectiveClients(limit: 10) { totalCount nodes { client { name } } } }",
    ),
];

/// The statements each analytics query costs over the current portfolio.
async fn analytics_statements(app: &TestApp) -> Vec<(&'static str, usize)> {
    let filter = db::clients::ClientFilter::default();
    db::scoring::rescore(
        &app.db,
        &app.settings.scoring,
        db::scoring::Scope::Filter(&filter),
    )
    .await
    .map_err(|e| e.message())
    .unwrap();
    let now = Utc::now();
    let dates = json!({ "from": now - Duration::days(30), "to": now });
    let mut counts = Vec::new();
    for (name, query) in ANALYTICS {
        app.reset_statements();
        app.data(query, dates.clone()).await;
        counts.push((name, app.statement_count()));
    }
    counts
}

#[tokio::test]
async fn analytics_cost_the_same_statements_whatever_the_portfolio_size() {
    let app = TestApp::spawn_counting().await;
    seed_portfolio(&app, 5).await;
    let small = analytics_statements(&app).await;
    seed_portfolio(&app, 45).await;
    let large = analytics_statements(&app).await;
    assert_eq!(small, large, "5 clients, then 50");
    for (name, count) in large {
        assert!(count <= 8, "{name} costs {count} statements");
    }
}

#[tokio::test]
async fn an_import_costs_the_same_statements_however_many_clients_it_names() {
    let app = TestApp::spawn_counting().await;
    let clients = app.create_clients("Imported", 40).await;
    let at = Utc::now().to_rfc3339();
    let mut counts = Vec::new();
    for (batch, named) in [(0, 2), (1, 40)] {
        let inputs: Vec<serde_json::Value> = (0..400)
            .map(|i| {
                json!({
                    "clientId": clients[i % named],
                    "kind": "CALL",
                    "occurredAt": at,
                    "source": "statements",
                    "externalId": format!("{batch}-{i}"),
                })
            })
            .collect();
        app.reset_statements();
        let data = app
            .data(
                "mutation($inputs: [RecordInteractionInput!]!) { importInteractions(inputs: $inputs) { created } }",
                json!({ "inputs": inputs }),
            )
            .await;
        assert_eq!(data["importInteractions"]["created"], 400);
        counts.push(app.statement_count());
    }
    assert_eq!(
        counts[0],
        counts[1],
        "2 clients vs 40: {counts:?} {:#?}",
        app.statements_run()
    );
}
