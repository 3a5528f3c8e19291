//! The authorization matrix: every role against every mutation and every sensitive field.

use entity::enums::Role;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Who asks, in the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    /// A manager acting on a client they manage.
    OwnManager,
    /// A manager acting on another manager's client.
    OtherManager,
    Analyst,
    Integrator,
}

const EVERYONE: [Who; 5] = [
    Who::Admin,
    Who::OwnManager,
    Who::OtherManager,
    Who::Analyst,
    Who::Integrator,
];

struct Principals {
    admin: String,
    own: String,
    own_id: String,
    other: String,
    analyst: String,
    integrator: String,
}

impl Principals {
    async fn new(app: &TestApp) -> Self {
        let (own, own_id) = app.user_token(Role::Manager, "Own Manager").await;
        let (other, _) = app.user_token(Role::Manager, "Other Manager").await;
        let (analyst, _) = app.user_token(Role::Analyst, "Analyst").await;
        let (integrator, _) = app.user_token(Role::Integrator, "Integrator").await;
        Self {
            admin: app.admin_token.clone(),
            own,
            own_id,
            other,
            analyst,
            integrator,
        }
    }

    fn token(&self, who: Who) -> &str {
        match who {
            Who::Admin => &self.admin,
            Who::OwnManager => &self.own,
            Who::OtherManager => &self.other,
            Who::Analyst => &self.analyst,
            Who::Integrator => &self.integrator,
        }
    }
}

/// A client managed by the "own" manager, with one of everything, created by the admin.
struct Fixture {
    client: String,
    contact: String,
    need: String,
    plan: String,
}

async fn fixture(app: &TestApp, manager: &str) -> Fixture {
    let client = app
        .create_client(json!({ "name": "Acme", "managerId": manager }))
        .await;
    let data = app
        .data(
            "mutation($c: ID!) {
                addContact(input: { clientId: $c, fullName: \"Pat Doe\", email: \"pat@acme.example\", consent: true }) { id }
                addNeed(input: { clientId: $c, kind: CURRENT, description: \"Faster delivery\" }) { id }
                createAccountPlan(input: { clientId: $c, title: \"Grow\", objectives: [{ description: \"More\" }], actions: [{ description: \"Visit\" }] }) { id }
            }",
            json!({ "c": client }),
        )
        .await;
    Fixture {
        contact: data["addContact"]["id"].as_str().unwrap().to_owned(),
        need: data["addNeed"]["id"].as_str().unwrap().to_owned(),
        plan: data["createAccountPlan"]["id"].as_str().unwrap().to_owned(),
        client,
    }
}

/// Each mutation, with the roles that may run it on a client managed by the "own" manager.
fn mutations(
    f: &Fixture,
    own_manager: &str,
    inn: &str,
) -> Vec<(&'static str, String, Value, Vec<Who>)> {
    use Who::{Admin, Integrator, OtherManager, OwnManager};
    let writers = vec![Admin, OwnManager];
    let interactions = vec![Admin, OwnManager, Integrator];
    let interaction = |external: &str| {
        json!({ "clientId": f.client, "kind": "ORDER", "occurredAt": "2026-01-05T10:00:00Z",
                "amount": "10.00", "currency": "EUR", "source": "erp", "externalId": external })
    };
    vec![
        ("createClient", "mutation { createClient(input: { name: \"New\" }) { id } }".into(), json!({}), vec![Admin, OwnManager, OtherManager]),
        ("updateClient", "mutation($id: ID!) { updateClient(id: $id, version: 1, input: { name: \"Renamed\" }) { id } }".into(), json!({ "id": f.client }), writers.clone()),
        ("archiveClient", "mutation($id: ID!) { archiveClient(id: $id, version: 1) { id } }".into(), json!({ "id": f.client }), writers.clone()),
        ("assignManager", "mutation($id: ID!, $m: ID) { assignManager(clientId: $id, managerId: $m, version: 1) { id } }".into(), json!({ "id": f.client, "m": own_manager }), writers.clone()),
        ("addRegistryId", "mutation($id: ID!, $inn: String!) { addRegistryId(clientId: $id, input: { scheme: RU_INN, value: $inn }) { id } }".into(), json!({ "id": f.client, "inn": inn }), writers.clone()),
        ("addContact", "mutation($c: ID!) { addContact(input: { clientId: $c, fullName: \"Kim\" }) { id } }".into(), json!({ "c": f.client }), writers.clone()),
        ("updateContact", "mutation($id: ID!) { updateContact(id: $id, input: { position: \"CFO\" }) { id } }".into(), json!({ "id": f.contact }), writers.clone()),
        ("removeContact", "mutation($id: ID!) { removeContact(id: $id) }".into(), json!({ "id": f.contact }), writers.clone()),
        ("addNeed", "mutation($c: ID!) { addNeed(input: { clientId: $c, kind: FUTURE, description: \"Export\" }) { id } }".into(), json!({ "c": f.client }), writers.clone()),
        ("updateNeed", "mutation($id: ID!) { updateNeed(id: $id, input: { priority: 1 }) { id } }".into(), json!({ "id": f.need }), writers.clone()),
        ("removeNeed", "mutation($id: ID!) { removeNeed(id: $id) }".into(), json!({ "id": f.need }), writers.clone()),
        ("createAccountPlan", "mutation($c: ID!) { createAccountPlan(input: { clientId: $c, title: \"Plan\" }) { id } }".into(), json!({ "c": f.client }), writers.clone()),
        ("updateAccountPlan", "mutation($id: ID!) { updateAccountPlan(id: $id, input: { status: ACTIVE }) { id } }".into(), json!({ "id": f.plan }), writers.clone()),
        ("setPlanObjectiveStatus", "mutation($id: ID!) { setPlanObjectiveStatus(planId: $id, position: 0, status: DONE) { id } }".into(), json!({ "id": f.plan }), writers.clone()),
        ("setPlanActionStatus", "mutation($id: ID!) { setPlanActionStatus(planId: $id, position: 0, status: DONE) { id } }".into(), json!({ "id": f.plan }), writers.clone()),
        ("removeAccountPlan", "mutation($id: ID!) { removeAccountPlan(id: $id) }".into(), json!({ "id": f.plan }), writers.clone()),
        ("addFinancialCheck", "mutation($c: ID!) { addFinancialCheck(input: { clientId: $c, fiscalYear: 2025, revenue: \"100\", currency: \"EUR\" }) { id } }".into(), json!({ "c": f.client }), writers.clone()),
        ("recordInteraction", "mutation($i: RecordInteractionInput!) { recordInteraction(input: $i) { id } }".into(), json!({ "i": interaction("A-1") }), interactions.clone()),
        ("importInteractions", "mutation($i: [RecordInteractionInput!]!) { importInteractions(inputs: $i) { created } }".into(), json!({ "i": [interaction("B-1")] }), interactions),
        ("createUser", "mutation { createUser(input: { name: \"Neo\", role: ANALYST }) { id } }".into(), json!({}), vec![Admin]),
        ("updateUser", "mutation($id: ID!) { updateUser(id: $id, input: { name: \"Own\" }) { id } }".into(), json!({ "id": own_manager }), vec![Admin]),
    ]
}

#[tokio::test]
async fn every_role_may_run_exactly_the_mutations_it_is_allowed() {
    let app = TestApp::spawn().await;
    let who = Principals::new(&app).await;
    let mut failures = Vec::new();
    // Valid, distinct INNs: an identifier can be recorded once.
    let inns = [
        "7707083893",
        "7736050003",
        "7704123450",
        "7702070139",
        "7710140679",
    ];
    for (principal, inn) in EVERYONE.into_iter().zip(inns) {
        // The "own" manager manages every fixture; the other manager does not.
        let fixture_count = mutations(&fixture(&app, &who.own_id).await, &who.own_id, inn).len();
        for index in 0..fixture_count {
            let f = fixture(&app, &who.own_id).await;
            let (name, query, variables, allowed) =
                mutations(&f, &who.own_id, inn).swap_remove(index);
            let body = app
                .graphql_as(who.token(principal), &query, variables)
                .await;
            let code = body["errors"][0]["extensions"]["code"].as_str();
            let expected_allowed = allowed.contains(&principal);
            let ok = if expected_allowed {
                body.get("errors").is_none()
            } else {
                code == Some("FORBIDDEN")
            };
            if !ok {
                failures.push(format!("{principal:?} {name}: {body}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn a_manager_creates_clients_for_themselves_and_never_takes_another_managers_client() {
    let app = TestApp::spawn().await;
    let who = Principals::new(&app).await;
    let (_, other_id) = app.user_token(Role::Manager, "Third").await;
    let body = app
        .graphql_as(
            &who.own,
            "mutation { createClient(input: { name: \"Mine\" }) { manager { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["createClient"]["manager"]["name"],
        "Own Manager"
    );
    let body = app
        .graphql_as(
            &who.own,
            "mutation($m: ID) { createClient(input: { name: \"Theirs\", managerId: $m }) { id } }",
            json!({ "m": other_id }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    let theirs = app
        .create_client(json!({ "name": "Theirs", "managerId": other_id }))
        .await;
    let body = app
        .graphql_as(
            &who.own,
            "mutation($id: ID!, $m: ID) { assignManager(clientId: $id, managerId: $m, version: 1) { id } }",
            json!({ "id": theirs, "m": who.own_id }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let unmanaged = app.create_client(json!({ "name": "Nobody's" })).await;
    let body = app
        .graphql_as(
            &who.own,
            "mutation($id: ID!, $m: ID) { assignManager(clientId: $id, managerId: $m, version: 1) { manager { name } } }",
            json!({ "id": unmanaged, "m": who.own_id }),
        )
        .await;
    assert_eq!(
        body["data"]["assignManager"]["manager"]["name"],
        "Own Manager"
    );
}

#[tokio::test]
async fn personal_contact_details_follow_role_and_consent() {
    let app = TestApp::spawn().await;
    let who = Principals::new(&app).await;
    let client = app
        .create_client(json!({ "name": "Acme", "managerId": who.own_id }))
        .await;
    for (name, consent) in [("Consenting", true), ("Refusing", false)] {
        app.data(
            "mutation($c: ID!, $n: String!, $consent: Boolean) {
                addContact(input: { clientId: $c, fullName: $n, email: \"x@acme.example\", phone: \"+44 20 7946 0000\", notes: \"likes golf\", consent: $consent }) { id } }",
            json!({ "c": client, "n": name, "consent": consent }),
        )
        .await;
    }
    let query = "query($id: ID!) { client(id: $id) { name contacts { nodes { fullName email phone notes position } } } }";
    // (who, consenting contact's details visible, refusing contact's details visible)
    for (principal, consenting, refusing) in [
        (Who::Admin, true, true),
        (Who::OwnManager, true, false),
        (Who::OtherManager, true, false),
        (Who::Analyst, false, false),
    ] {
        let body = app
            .graphql_as(who.token(principal), query, json!({ "id": client }))
            .await;
        let contacts = body["data"]["client"]["contacts"]["nodes"]
            .as_array()
            .unwrap();
        assert_eq!(
            contacts.len(),
            2,
            "{principal:?}: the rest still comes back: {body}"
        );
        for contact in contacts {
            let visible = if contact["fullName"] == "Consenting" {
                consenting
            } else {
                refusing
            };
            for field in ["email", "phone", "notes"] {
                assert_eq!(
                    !contact[field].is_null(),
                    visible,
                    "{principal:?} {} {field}",
                    contact["fullName"]
                );
            }
        }
        let forbidden = body["errors"].as_array().map_or(0, |errors| {
            errors
                .iter()
                .filter(|e| e["extensions"]["code"] == "FORBIDDEN")
                .count()
        });
        let hidden = [consenting, refusing].iter().filter(|v| !**v).count() * 3;
        assert_eq!(
            forbidden, hidden,
            "{principal:?}: one FORBIDDEN per hidden field: {body}"
        );
    }
}

#[tokio::test]
async fn an_integrator_reads_only_what_finds_clients_and_contacts() {
    let app = TestApp::spawn().await;
    let who = Principals::new(&app).await;
    let client = fixture(&app, &who.own_id).await.client;
    app.data(
        "mutation($id: ID!) {
            addRegistryId(clientId: $id, input: { scheme: GB_COMPANY_NUMBER, value: \"00445790\" }) { id }
        }",
        json!({ "id": client }),
    )
    .await;
    let body = app
        .graphql_as(
            &who.integrator,
            "query($id: ID!) { client(id: $id) { id name legalName registryIds { scheme value } contacts { nodes { id fullName } } }
                clients(filter: { hasRegistryId: GB_COMPANY_NUMBER }) { totalCount nodes { id name } } }",
            json!({ "id": client }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["clients"]["totalCount"], 1);
    for field in [
        "status",
        "country",
        "manager { name }",
        "revenue12m { amount }",
        "interactions { totalCount }",
        "financialChecks { totalCount }",
        "latestFinancialCheck { revenue }",
        "needs { description }",
        "accountPlans { title }",
        "currentPlan { title }",
        "version",
        "createdAt",
        "contacts { nodes { position } }",
        "contacts { nodes { email } }",
    ] {
        let body = app
            .graphql_as(
                &who.integrator,
                &format!("query($id: ID!) {{ client(id: $id) {{ {field} }} }}"),
                json!({ "id": client }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{field}: {body}"
        );
    }
    let body = app
        .graphql_as(&who.integrator, "{ users { name } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn an_analyst_reads_the_portfolio_but_not_users() {
    let app = TestApp::spawn().await;
    let who = Principals::new(&app).await;
    let f = fixture(&app, &who.own_id).await;
    let body = app
        .graphql_as(
            &who.analyst,
            "query($id: ID!) { client(id: $id) { name status manager { name } needs { description } currentPlan { title actions { description } } contacts { nodes { fullName position } } } }",
            json!({ "id": f.client }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["client"]["manager"]["name"], "Own Manager");
    let body = app
        .graphql_as(&who.analyst, "{ users { name } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}
