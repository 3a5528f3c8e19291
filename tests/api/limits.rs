//! Query limits and HTTP hardening: every limit refuses with `QUERY_TOO_COMPLEX` naming itself,
//! production hides the schema from all but administrators, and every response carries the
//! security headers and a request id.

use std::time::{Duration, Instant};

use entity::enums::Role;
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code};

/// The message of the first error, after checking its code is `QUERY_TOO_COMPLEX`.
fn too_complex(body: &Value) -> &str {
    assert_eq!(error_code(body), "QUERY_TOO_COMPLEX", "{body:#}");
    assert!(body["data"].is_null(), "nothing ran: {body:#}");
    body["errors"][0]["message"].as_str().unwrap()
}

#[tokio::test]
async fn a_query_deeper_than_the_depth_limit_is_refused() {
    let app = TestApp::spawn_with(|s| s.limits.max_depth = 3).await;
    let body = app
        .graphql(
            "{ clients { nodes { contacts { nodes { fullName } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_complex(&body),
        "the query is 5 levels deep; at most 3 are allowed"
    );
    // Fragments count where they are spread.
    let body = app
        .graphql(
            "{ clients { ...Page } } fragment Page on ClientConnection { nodes { manager { name } } }",
            json!({}),
        )
        .await;
    assert!(too_complex(&body).contains("4 levels deep"));
    app.data("{ clients { nodes { name } } }", json!({})).await;
}

#[tokio::test]
async fn a_query_more_complex_than_the_limit_is_refused_counting_page_sizes() {
    let app = TestApp::spawn().await;
    let query = "query($first: Int) { clients(first: $first) { nodes { name
        contacts(first: 100) { nodes { fullName } } } } }";
    // 1 + 100 × (1 + 1 + (1 + 100 × (1 + 1))) is over the default 10 000 ...
    let body = app.graphql(query, json!({ "first": 100 })).await;
    let message = too_complex(&body);
    assert!(message.contains("10000"), "{message}");
    // ... and 1 + 10 × 203 is not: the page size comes from the variables too.
    app.data(query, json!({ "first": 10 })).await;
    // Without `first`, a connection counts as 20.
    let app = TestApp::spawn_with(|s| s.limits.max_complexity = 40).await;
    let body = app
        .graphql("{ clients { nodes { name } } }", json!({}))
        .await;
    assert!(too_complex(&body).contains("40"));
    app.data("{ clients(first: 10) { nodes { name } } }", json!({}))
        .await;
}

#[tokio::test]
async fn more_aliases_than_the_limit_are_refused() {
    let app = TestApp::spawn_with(|s| s.limits.max_aliases = 2).await;
    let body = app
        .graphql(
            "{ a: me { name } b: me { name } c: me { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_complex(&body),
        "the query has 3 aliases; at most 2 are allowed"
    );
    // A fragment's aliases count each time it is spread.
    let body = app
        .graphql(
            "{ me { ...U } clients { nodes { manager { ...U } } } } fragment U on User { x: name y: role }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_complex(&body),
        "the query has 4 aliases; at most 2 are allowed"
    );
    app.data("{ a: me { name } b: me { name } }", json!({}))
        .await;
}

#[tokio::test]
async fn more_root_fields_than_the_limit_are_refused() {
    let app = TestApp::spawn_with(|s| s.limits.max_root_fields = 2).await;
    let body = app
        .graphql(
            "{ me { name } clients { totalCount } ... on Query { interactions { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_complex(&body),
        "the query has 3 root fields; at most 2 are allowed"
    );
    app.data("{ me { name } clients { totalCount } }", json!({}))
        .await;
}

#[tokio::test]
async fn more_directives_than_the_limit_are_refused() {
    let app = TestApp::spawn_with(|s| s.limits.max_directives = 2).await;
    let body = app
        .graphql(
            "query($t: Boolean = true) { me @include(if: $t) { name @include(if: $t) role @skip(if: false) } }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_complex(&body),
        "the query has 3 directives; at most 2 are allowed"
    );
    app.data(
        "{ me @include(if: true) { name @skip(if: false) } }",
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn a_document_with_more_tokens_than_the_limit_is_refused() {
    let app = TestApp::spawn_with(|s| s.limits.max_tokens = 10).await;
    // `{ me { name role email id } }`: 9 tokens; commas and comments are free.
    app.data(
        "# a comment with { many } tokens\n{ me { name, role, email, id } }",
        json!({}),
    )
    .await;
    let body = app
        .graphql(
            "{ me { name role email id } clients { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        too_complex(&body),
        "the query has 13 tokens; at most 10 are allowed"
    );
    // GET parses the query itself: the same limit applies before parsing.
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[(
            "query",
            "{ me { name role email id } clients { totalCount } }",
        )])
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(too_complex(&body).contains("13 tokens"));
}

#[tokio::test]
async fn a_document_longer_than_the_character_limit_is_refused() {
    let app = TestApp::spawn_with(|s| s.limits.max_query_chars = 40).await;
    let query = format!("{{ me {{ name }} }}{}", " ".repeat(50));
    let body = app.graphql(&query, json!({})).await;
    assert_eq!(
        too_complex(&body),
        "the query has 65 characters; at most 40 are allowed"
    );
    // Characters, not bytes: 38 characters, 58 bytes.
    let query = format!("{{ me {{ name }} }} # {}", "ж".repeat(20));
    app.data(&query, json!({})).await;
}

#[tokio::test]
async fn brackets_nested_beyond_what_the_parser_accepts_are_refused_before_parsing() {
    let app = TestApp::spawn().await;
    let query = format!("{}{}", "{ a ".repeat(3000), "}".repeat(3000));
    let body = app.graphql(&query, json!({})).await;
    assert!(too_complex(&body).contains("at most 64"));
}

#[tokio::test]
async fn the_standard_introspection_query_passes_the_default_limits() {
    let app = TestApp::spawn().await;
    let data = app.data(INTROSPECTION_QUERY, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    // Nesting the schema's lists into itself is refused whatever the depth limit.
    let body = app
        .graphql(
            "{ __type(name: \"Client\") { fields { type { fields { type { fields { name } } } } } } }",
            json!({}),
        )
        .await;
    assert!(too_complex(&body).contains("at most 2"));
}

#[tokio::test]
async fn batches_are_refused_unless_enabled_and_then_limited_in_size() {
    let batch = |n: usize| {
        (0..n)
            .map(|_| json!({ "query": "{ me { role } }" }))
            .collect::<Vec<_>>()
    };
    let post = |app: &TestApp, body: Vec<Value>| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&body)
            .send()
    };
    let app = TestApp::spawn().await;
    let response = post(&app, batch(2)).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(too_complex(&body).contains("not enabled"));

    let app = TestApp::spawn_with(|s| {
        s.limits.allow_batch = true;
        s.limits.max_batch = 2;
    })
    .await;
    let response = post(&app, batch(2)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body[0]["data"]["me"]["role"], "ADMIN", "{body:#}");
    assert_eq!(body[1]["data"]["me"]["role"], "ADMIN", "{body:#}");
    let response = post(&app, batch(3)).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        too_complex(&body),
        "the batch has 3 operations; at most 2 are allowed"
    );
}

#[tokio::test]
async fn a_write_waiting_on_a_lock_past_the_deadline_is_cut_off_as_unavailable() {
    let app = TestApp::spawn_with(|s| s.limits.query_timeout = Duration::from_millis(300)).await;
    let id = app.create_client(json!({ "name": "Locked" })).await;
    // Another writer holds the clients table: the update waits for it, past the deadline.
    let lock = kaim::db::begin_write(&app.db).await.unwrap();
    lock.execute_unprepared("UPDATE clients SET name = name")
        .await
        .unwrap();
    let started = Instant::now();
    let body = app
        .graphql(
            "mutation($id: ID!) { updateClient(id: $id, version: 1, input: { name: \"New\" }) { name } }",
            json!({ "id": id }),
        )
        .await;
    let elapsed = started.elapsed();
    lock.rollback().await.unwrap();
    // Not "ask for less": the write was waiting for the database, and may be sent again.
    assert_eq!(error_code(&body), "UNAVAILABLE", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("retrying later is safe")
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "answered after {elapsed:?}"
    );
}

#[tokio::test]
async fn introspection_is_refused_in_production_for_a_manager_and_allowed_for_an_admin() {
    let app = TestApp::spawn_with(|s| s.limits.production = true).await;
    let (manager, _) = app.user_token(Role::Manager, "Manager").await;
    for query in [
        "{ __schema { queryType { name } } }",
        "{ __type(name: \"Client\") { name } }",
        "{ ...F } fragment F on Query { __schema { types { name } } }",
    ] {
        let body = app.graphql_as(&manager, query, json!({})).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body:#}");
    }
    let body = app
        .graphql_as(&manager, "{ __typename me { role } }", json!({}))
        .await;
    assert_eq!(body["data"]["me"]["role"], "MANAGER", "{body:#}");
    let data = app.data(INTROSPECTION_QUERY, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn field_suggestions_are_absent_in_production() {
    let query = "{ clientz { totalCount } }";
    let app = TestApp::spawn().await;
    let body = app.graphql(query, json!({})).await;
    assert!(body.to_string().contains("Did you mean"), "{body:#}");
    let app = TestApp::spawn_with(|s| s.limits.production = true).await;
    let body = app.graphql(query, json!({})).await;
    assert!(body["errors"][0]["message"].is_string(), "{body:#}");
    assert!(!body.to_string().contains("Did you mean"), "{body:#}");
    assert!(!body.to_string().contains("clients"), "{body:#}");
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, format!("{}/graphql", app.address))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered() {
    let app = TestApp::spawn_with(|s| {
        s.http.cors_origins = vec!["https://crm.example.com".into()];
    })
    .await;
    let response = preflight(&app, "https://crm.example.com").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("POST"), "{methods}");
    // The actual request gets the header too, and may read the request id.
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("Origin", "https://crm.example.com")
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": "{ me { role } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://crm.example.com"
    );
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("x-request-id"), "{exposed}");
}

#[tokio::test]
async fn a_preflight_from_another_origin_is_refused() {
    let app = TestApp::spawn_with(|s| {
        s.http.cors_origins = vec!["https://crm.example.com".into()];
    })
    .await;
    let response = preflight(&app, "https://evil.example.net").await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
    // With no allow-list at all, no origin is allowed.
    let app = TestApp::spawn().await;
    let response = preflight(&app, "https://crm.example.com").await;
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = TestApp::spawn().await;
    let url = |path: &str| format!("{}{path}", app.address);
    let responses = [
        app.client
            .post(url("/graphql"))
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": "{ me { role } }" }))
            .send()
            .await
            .unwrap(),
        app.client
            .post(url("/graphql"))
            .json(&json!({ "query": "{ me { role } }" }))
            .send()
            .await
            .unwrap(),
        app.client.get(url("/health")).send().await.unwrap(),
        app.client.get(url("/nowhere")).send().await.unwrap(),
    ];
    for response in &responses {
        let headers = response.headers();
        let what = format!("{} {}", response.url(), response.status());
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    }
    for response in &responses[..2] {
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
    // GraphiQL may load its assets from the CDN, and nothing else.
    let page = app.client.get(url("/")).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains(" https://unpkg.com;"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for request in [
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .json(&json!({ "query": "{ me { role } }" })),
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&json!({ "query": "{ me { role } }" })),
        app.client.get(format!("{}/health", app.address)),
    ] {
        let response = request.send().await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        uuid::Uuid::parse_str(&id).unwrap();
        ids.push(id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 3, "each request has its own id: {ids:?}");
}

#[tokio::test]
async fn an_internal_error_carries_the_request_id_and_hides_its_cause() {
    let app = TestApp::spawn().await;
    app.db
        .execute_unprepared("ALTER TABLE interactions RENAME TO interactions_gone")
        .await
        .unwrap();
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": "{ interactions { totalCount } }" }))
        .send()
        .await
        .unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "INTERNAL", "{body:#}");
    assert_eq!(body["errors"][0]["message"], "internal error");
    assert_eq!(body["errors"][0]["extensions"]["requestId"], id.as_str());
    let text = body.to_string();
    assert!(
        !text.to_lowercase().contains("table"),
        "the cause leaked: {text}"
    );
}

#[tokio::test]
async fn form_and_multipart_bodies_are_refused() {
    let app = TestApp::spawn().await;
    for content_type in [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .header("Content-Type", content_type)
            .body("query=%7B%20me%20%7B%20role%20%7D%20%7D")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
    }
}

/// What GraphiQL (graphql-js `getIntrospectionQuery`) sends to load the schema.
const INTROSPECTION_QUERY: &str = "query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}";
