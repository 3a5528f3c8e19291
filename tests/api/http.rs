//! GraphQL over HTTP: authentication, methods, media types, health probes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{SECRET, TestApp, error_code, fixture_path};

async fn post_with_auth(app: &TestApp, auth: Option<&str>) -> (StatusCode, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ me { name } }" }));
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let sub = uuid::Uuid::now_v7();
    let claims = |patch: Value| {
        let mut claims = json!({ "sub": sub, "role": "ADMIN", "iss": "kaim", "aud": "kaim",
            "exp": now + 600, "nbf": now - 10, "iat": now - 10, "jti": sub });
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    };
    let none_alg = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.",
            b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(claims(json!({})).to_string())
        )
    };
    let cases = [
        ("missing", None),
        (
            "not bearer",
            Some(format!("Basic {}", sign(&claims(json!({})), SECRET))),
        ),
        ("malformed", Some("Bearer not.a.jwt".to_owned())),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                sign(&claims(json!({ "exp": now - 3600 })), SECRET)
            )),
        ),
        (
            "not yet valid",
            Some(format!(
                "Bearer {}",
                sign(&claims(json!({ "nbf": now + 3600 })), SECRET)
            )),
        ),
        (
            "no exp",
            Some(format!(
                "Bearer {}",
                sign(&claims(json!({ "exp": null })), SECRET)
            )),
        ),
        (
            "wrong secret",
            Some(format!(
                "Bearer {}",
                sign(
                    &claims(json!({})),
                    "another-secret-another-secret-another-secret"
                )
            )),
        ),
        ("alg none", Some(format!("Bearer {none_alg}"))),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                sign(&claims(json!({ "iss": "evil" })), SECRET)
            )),
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                sign(&claims(json!({ "aud": "other" })), SECRET)
            )),
        ),
        (
            "unknown role",
            Some(format!(
                "Bearer {}",
                sign(&claims(json!({ "role": "ROOT" })), SECRET)
            )),
        ),
    ];
    for (name, auth) in cases {
        let (status, body) = post_with_auth(&app, auth.as_deref()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}");
    }
    let (status, body) = post_with_auth(&app, Some(&format!("Bearer {}", app.admin_token))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["me"]["name"], "Test Admin");
}

#[tokio::test]
async fn queries_work_by_get_and_mutations_by_get_are_refused() {
    let app = TestApp::spawn().await;
    let get = |query: &str| {
        app.client
            .get(format!("{}/graphql", app.address))
            .query(&[("query", query)])
            .bearer_auth(&app.admin_token)
            .send()
    };
    let response = get("{ me { role } }").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["role"], "ADMIN");

    let response = get("mutation { createClient(input: { name: \"x\" }) { id } }")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    let data = app.data("{ clients { totalCount } }", json!({})).await;
    assert_eq!(data["clients"]["totalCount"], 0);
}

#[tokio::test]
async fn the_graphql_response_media_type_is_honoured() {
    let app = TestApp::spawn().await;
    let send = |accept: &'static str, query: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.admin_token)
            .header("Accept", accept)
            .json(&json!({ "query": query }))
            .send()
    };
    let response = send("application/graphql-response+json", "{ me { role } }")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/graphql-response+json"
    );
    let response = send("application/graphql-response+json", "{ nope }")
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a request that does not validate"
    );
    let response = send(
        "application/graphql-response+json",
        "{ client(id: \"bm9wZQ\") { name } }",
    )
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "an execution error is still a 200"
    );
    let response = send("application/json", "{ nope }").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn non_json_bodies_and_oversized_bodies_are_refused() {
    let app = TestApp::spawn_with(|s| s.api.body_limit = 1024).await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .header("Content-Type", "text/plain")
        .body(r#"{"query":"{ me { name } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = "x".repeat(4096);
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": format!("{{ me {{ name }} }} # {big}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn health_and_readiness_answer_and_graphiql_is_served() {
    let app = TestApp::spawn().await;
    for path in ["/health", "/ready"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    let page = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn graphiql_runs_only_its_own_inline_script() {
    use base64::{Engine as _, prelude::BASE64_STANDARD};
    use sha2::{Digest as _, Sha256};

    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("a script-src directive");
    assert!(!script_src.contains("unsafe-inline"), "{script_src}");
    let inline: Vec<&str> = html
        .split("<script>")
        .skip(1)
        .map(|rest| rest.split_once("</script>").unwrap().0)
        .collect();
    assert!(!inline.is_empty(), "GraphiQL boots from an inline script");
    for script in inline {
        let hash = BASE64_STANDARD.encode(Sha256::digest(script));
        assert!(
            script_src.contains(&format!("'sha256-{hash}'")),
            "{script_src} allows the inline script"
        );
    }
}

fn claims_for(user: uuid::Uuid, role: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": user, "role": role, "iss": "kaim", "aud": "kaim",
        "exp": now + 600, "nbf": now, "iat": now, "jti": uuid::Uuid::now_v7() })
}

#[tokio::test]
async fn public_key_tokens_verify_and_key_confusion_is_refused() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    use kaim::config::JwtAlgorithm;

    for (algorithm, jwt_algorithm, private, public, signing_key) in [
        (
            Algorithm::RS256,
            JwtAlgorithm::Rs256,
            "rs256-private.pem",
            "rs256-public.pem",
            EncodingKey::from_rsa_pem as fn(&[u8]) -> jsonwebtoken::errors::Result<EncodingKey>,
        ),
        (
            Algorithm::ES256,
            JwtAlgorithm::Es256,
            "es256-private.pem",
            "es256-public.pem",
            EncodingKey::from_ec_pem as fn(&[u8]) -> jsonwebtoken::errors::Result<EncodingKey>,
        ),
    ] {
        let app = TestApp::spawn_with(|s| {
            s.jwt.algorithm = jwt_algorithm;
            s.jwt.public_key = Some(fixture_path(public));
            s.jwt.secret = None;
        })
        .await;
        let private_pem = std::fs::read(fixture_path(private)).unwrap();
        let public_pem = std::fs::read(fixture_path(public)).unwrap();
        let admin_id = app.admin_id;

        let good = encode(
            &Header::new(algorithm),
            &claims_for(admin_id, "ADMIN"),
            &signing_key(&private_pem).unwrap(),
        )
        .unwrap();
        let (status, body) = post_with_auth(&app, Some(&format!("Bearer {good}"))).await;
        assert_eq!(status, StatusCode::OK, "{algorithm:?}: {body}");
        assert_eq!(body["data"]["me"]["name"], "Test Admin");

        // The classic confusion: an HS256 token "signed" with the public key as the secret.
        let confused = encode(
            &Header::new(Algorithm::HS256),
            &claims_for(admin_id, "ADMIN"),
            &EncodingKey::from_secret(&public_pem).unwrap(),
        )
        .unwrap();
        let (status, body) = post_with_auth(&app, Some(&format!("Bearer {confused}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{algorithm:?}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn operations_beyond_the_concurrency_limit_wait_their_turn_and_are_all_answered() {
    let app = TestApp::spawn_with(|s| s.http.max_operations = 1).await;
    let answers =
        futures::future::join_all((0..8).map(|_| app.graphql("{ me { name } }", json!({})))).await;
    for answer in answers {
        assert_eq!(answer["data"]["me"]["name"], "Test Admin", "{answer}");
    }
}
