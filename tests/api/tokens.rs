//! Tokens: public keys from a JWKS URL (served by a mock identity provider), the provider's
//! subjects and role claims, service tokens minted and revoked through the API, and the
//! revocation list shared by every instance.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use entity::enums::Role;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use kaim::config::JwtAlgorithm;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

use crate::helpers::{SECRET, TestApp, error_code, fixture_path};

/// A public key of the fixtures as a JWK with `kid`.
fn jwk(file: &str, kid: &str) -> Value {
    let mut jwk: Value =
        serde_json::from_slice(&std::fs::read(fixture_path(file)).unwrap()).unwrap();
    jwk["kid"] = json!(kid);
    jwk
}

fn rsa_jwk(kid: &str) -> Value {
    jwk("rs256-public.jwk.json", kid)
}

fn claims(user: uuid::Uuid, role: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": user, "role": role, "iss": "kaim", "aud": "kaim",
        "exp": now + 600, "nbf": now, "iat": now })
}

/// A token signed by the private key of the fixtures, naming `kid`.
fn signed(algorithm: Algorithm, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(algorithm);
    header.kid = Some(kid.to_owned());
    let key = match algorithm {
        Algorithm::RS256 => {
            EncodingKey::from_rsa_pem(&std::fs::read(fixture_path("rs256-private.pem")).unwrap())
        }
        _ => EncodingKey::from_ec_pem(&std::fs::read(fixture_path("es256-private.pem")).unwrap()),
    }
    .unwrap();
    encode(&header, claims, &key).unwrap()
}

/// A mock identity provider whose JWKS answer can be changed while the test runs.
struct Provider {
    server: MockServer,
    answer: Arc<Mutex<ResponseTemplate>>,
}

impl Provider {
    async fn start(keys: Value) -> Self {
        let server = MockServer::start().await;
        let answer = Arc::new(Mutex::new(
            ResponseTemplate::new(200).set_body_json(json!({ "keys": keys })),
        ));
        let current = Arc::clone(&answer);
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/realms/kaim/protocol/openid-connect/certs"))
            .respond_with(move |_: &Request| current.lock().unwrap().clone())
            .mount(&server)
            .await;
        Self { server, answer }
    }

    fn url(&self) -> String {
        format!(
            "{}/realms/kaim/protocol/openid-connect/certs",
            self.server.uri()
        )
    }

    fn answer(&self, template: ResponseTemplate) {
        *self.answer.lock().unwrap() = template;
    }

    fn serve_keys(&self, keys: &Value) {
        self.answer(ResponseTemplate::new(200).set_body_json(json!({ "keys": keys })));
    }

    /// How many times the JWKS was fetched.
    async fn fetches(&self) -> usize {
        self.server.received_requests().await.unwrap().len()
    }
}

async fn spawn_with_jwks(
    provider: &Provider,
    algorithm: JwtAlgorithm,
    min_refresh_seconds: u64,
    refresh_seconds: u64,
) -> TestApp {
    let url = provider.url();
    TestApp::spawn_with(|s| {
        s.jwt.algorithm = algorithm;
        s.jwt.secret = None;
        s.jwt.public_key = None;
        s.jwt.jwks_url = Some(url);
        s.jwt.jwks_min_refresh_seconds = min_refresh_seconds;
        s.jwt.jwks_refresh_seconds = refresh_seconds;
    })
    .await
}

async fn me_at(app: &TestApp, address: &str, token: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { name role } }" }))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    me_at(app, &app.address, token).await
}

/// `me` at `address` once a change made elsewhere (on another instance, or in the database)
/// has had the time to reach it: the token check is trusted for `KAIM_TOKEN_RECHECK` (1 s in
/// tests), so the answer is asked until it is refused or a margin beyond that has passed.
async fn me_after_recheck(app: &TestApp, address: &str, token: &str) -> (StatusCode, Value) {
    let until = std::time::Instant::now()
        + app.settings.jwt.recheck
        + std::time::Duration::from_millis(500);
    loop {
        let (status, body) = me_at(app, address, token).await;
        if status == StatusCode::UNAUTHORIZED || std::time::Instant::now() > until {
            return (status, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_jwks_key_verifies_and_an_unknown_kid_refetches_the_set_at_most_once_per_window() {
    let provider = Provider::start(json!([rsa_jwk("k1")])).await;
    let app = spawn_with_jwks(&provider, JwtAlgorithm::Rs256, 2, 600).await;
    let admin = claims(app.admin_id, "ADMIN");

    let (status, body) = me(&app, &signed(Algorithm::RS256, "k1", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["name"], "Test Admin");
    let (status, _) = me(&app, &signed(Algorithm::RS256, "k1", &admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        provider.fetches().await,
        1,
        "a known kid is served from the set"
    );

    // The provider rotates in a new key; a token naming it makes the server fetch again.
    provider.serve_keys(&json!([rsa_jwk("k1"), rsa_jwk("k2")]));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = me(&app, &signed(Algorithm::RS256, "k2", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(provider.fetches().await, 2, "an unknown kid fetches once");

    // Another unknown kid inside the window does not fetch again.
    let (status, body) = me(&app, &signed(Algorithm::RS256, "k3", &admin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert_eq!(
        provider.fetches().await,
        2,
        "no second fetch inside the window"
    );

    // Many unknown kids at once, after the window: one fetch between them.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let requests = (0..8).map(|i| {
        let token = signed(Algorithm::RS256, &format!("unknown-{i}"), &admin);
        let app = &app;
        async move { me(app, &token).await.0 }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    assert_eq!(
        provider.fetches().await,
        3,
        "concurrent unknown kids share one fetch"
    );
}

#[tokio::test]
async fn the_last_good_key_set_is_kept_when_the_jwks_url_fails_or_answers_garbage() {
    let provider = Provider::start(json!([rsa_jwk("k1")])).await;
    // The set is old after a second, so every use after that tries to refresh it.
    let app = spawn_with_jwks(&provider, JwtAlgorithm::Rs256, 1, 1).await;
    let token = signed(Algorithm::RS256, "k1", &claims(app.admin_id, "ADMIN"));
    let (status, _) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(provider.fetches().await, 1);

    for (failure, template) in [
        ("a server error", ResponseTemplate::new(500)),
        (
            "garbage",
            ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
        ),
        (
            "an empty set",
            ResponseTemplate::new(200).set_body_json(json!({ "keys": [] })),
        ),
    ] {
        provider.answer(template);
        let before = provider.fetches().await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, body) = me(&app, &token).await;
        assert_eq!(status, StatusCode::OK, "after {failure}: {body}");
        assert_eq!(
            provider.fetches().await,
            before + 1,
            "a refresh was tried after {failure}"
        );
    }

    // Once the provider is back, its new keys are used.
    provider.serve_keys(&json!([rsa_jwk("k2")]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let token = signed(Algorithm::RS256, "k2", &claims(app.admin_id, "ADMIN"));
    let (status, _) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn hs256_tokens_are_refused_by_a_jwks_server_even_with_a_symmetric_key_in_the_set() {
    use base64::Engine;
    let secret = b"a-shared-secret-an-attacker-planted-in-the-set";
    let provider = Provider::start(json!([
        rsa_jwk("k1"),
        { "kty": "oct", "kid": "hmac", "alg": "HS256",
          "k": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret) },
    ]))
    .await;
    let app = spawn_with_jwks(&provider, JwtAlgorithm::Rs256, 0, 600).await;
    let admin = claims(app.admin_id, "ADMIN");
    let public_pem = std::fs::read(fixture_path("rs256-public.pem")).unwrap();
    let hs256 = |kid: &str, key: &[u8]| {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(kid.to_owned());
        encode(&header, &admin, &EncodingKey::from_secret(key).unwrap()).unwrap()
    };
    for (name, token) in [
        (
            "HS256 with the public key as secret",
            hs256("k1", &public_pem),
        ),
        ("HS256 with the symmetric JWK", hs256("hmac", secret)),
        ("HS256 with the test secret", hs256("k1", SECRET.as_bytes())),
        (
            "ES256 when RS256 is configured",
            signed(Algorithm::ES256, "k1", &admin),
        ),
    ] {
        let (status, body) = me(&app, &token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{name}");
    }
    assert_eq!(
        provider.fetches().await,
        0,
        "tokens of another algorithm never cause a fetch"
    );
    let (status, body) = me(&app, &signed(Algorithm::RS256, "hmac", &admin)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the symmetric key is not in the set: {body}"
    );
    let (status, _) = me(&app, &signed(Algorithm::RS256, "k1", &admin)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn es256_tokens_verify_through_jwks_and_rsa_keys_are_ignored() {
    let provider =
        Provider::start(json!([jwk("es256-public.jwk.json", "ec"), rsa_jwk("rsa"),])).await;
    let app = spawn_with_jwks(&provider, JwtAlgorithm::Es256, 5, 600).await;
    let admin = claims(app.admin_id, "ADMIN");
    let (status, body) = me(&app, &signed(Algorithm::ES256, "ec", &admin)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = me(&app, &signed(Algorithm::RS256, "rsa", &admin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A server behind a Keycloak-style provider: roles in `realm_access.roles`, the provider's
/// `kaim-manager` standing for MANAGER.
async fn spawn_behind_keycloak(provider: &Provider) -> TestApp {
    let url = provider.url();
    TestApp::spawn_with(|s| {
        s.jwt.algorithm = JwtAlgorithm::Rs256;
        s.jwt.secret = None;
        s.jwt.jwks_url = Some(url);
        s.jwt.role_claim = "realm_access.roles".into();
        s.jwt.role_map = vec![kaim::config::RoleMapping {
            name: "kaim-manager".into(),
            role: Role::Manager,
        }];
    })
    .await
}

/// Claims as Keycloak writes them: its own subject, realm roles, no kaim `jti`.
fn keycloak_claims(sub: &str, roles: Option<&[&str]>) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({ "sub": sub, "iss": "kaim", "aud": "kaim",
        "exp": now + 600, "nbf": now, "iat": now, "preferred_username": "maria",
        "jti": "onrtac:6f1c2d3e-keycloak-session" });
    if let Some(roles) = roles {
        claims["realm_access"] = json!({ "roles": roles });
    }
    claims
}

/// The message a role guard refuses `users` with, which names the role the request acts in.
async fn acting_role(app: &TestApp, token: &str) -> String {
    let body = app.graphql_as(token, "{ users { name } }", json!({})).await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

const CREATE_USER: &str = "mutation($input: CreateUserInput!) {
    createUser(input: $input) { id name role externalSubject }
}";

const UPDATE_USER: &str = "mutation($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) { id externalSubject }
}";

#[tokio::test]
async fn an_identity_provider_token_signs_in_the_user_with_its_subject_in_the_role_it_carries() {
    let provider = Provider::start(json!([rsa_jwk("k1")])).await;
    let app = spawn_behind_keycloak(&provider).await;
    // A token naming a kaim user id still works, its role read from the configured claim.
    let admin_id = app.admin_id.to_string();
    let admin = signed(
        Algorithm::RS256,
        "k1",
        &keycloak_claims(&admin_id, Some(&["ADMIN"])),
    );

    let subject = "f:0c3e9a4e:maria.lopez";
    let created = app
        .graphql_as(
            &admin,
            CREATE_USER,
            json!({ "input": { "name": "Maria Lopez", "role": "ANALYST",
                "externalSubject": format!("  {subject} ") } }),
        )
        .await;
    assert!(created.get("errors").is_none(), "{created:#}");
    assert_eq!(created["data"]["createUser"]["externalSubject"], subject);

    let maria = signed(
        Algorithm::RS256,
        "k1",
        &keycloak_claims(subject, Some(&["offline_access", "kaim-manager"])),
    );
    let (status, body) = me(&app, &maria).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["name"], "Maria Lopez");
    assert_eq!(
        body["data"]["me"]["role"], "MANAGER",
        "`me` shows the acting role"
    );
    assert_eq!(
        acting_role(&app, &maria).await,
        "the MANAGER role may not do this",
        "the mapped provider role wins over the user's ANALYST"
    );
    // Only administrators read external subjects.
    let own = app
        .graphql_as(&maria, "{ me { externalSubject } }", json!({}))
        .await;
    assert_eq!(error_code(&own), "FORBIDDEN");

    // Without a kaim role in the claim (absent, or only other roles), the user's role applies.
    for roles in [None, Some(&["offline_access", "uma_authorization"][..])] {
        let token = signed(Algorithm::RS256, "k1", &keycloak_claims(subject, roles));
        assert_eq!(
            acting_role(&app, &token).await,
            "the ANALYST role may not do this",
            "{roles:?}"
        );
    }

    // A subject that is a UUID but no kaim user id (Keycloak's own ids) is an external subject.
    let keycloak_id = uuid::Uuid::new_v4().to_string();
    let id = created["data"]["createUser"]["id"].clone();
    let updated = app
        .graphql_as(
            &admin,
            UPDATE_USER,
            json!({ "id": id, "input": { "externalSubject": keycloak_id } }),
        )
        .await;
    assert_eq!(
        updated["data"]["updateUser"]["externalSubject"],
        keycloak_id
    );
    let by_uuid = signed(Algorithm::RS256, "k1", &keycloak_claims(&keycloak_id, None));
    let (status, body) = me(&app, &by_uuid).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["name"], "Maria Lopez");
    let (status, _) = me(&app, &maria).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old subject no longer signs in"
    );

    // Other fields leave the subject alone; null clears it, and the token stops working.
    let renamed = app
        .graphql_as(
            &admin,
            UPDATE_USER,
            json!({ "id": id, "input": { "name": "María López" } }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateUser"]["externalSubject"],
        keycloak_id
    );
    let cleared = app
        .graphql_as(
            &admin,
            UPDATE_USER,
            json!({ "id": id, "input": { "externalSubject": null } }),
        )
        .await;
    assert!(cleared.get("errors").is_none(), "{cleared:#}");
    assert_eq!(
        cleared["data"]["updateUser"]["externalSubject"],
        Value::Null
    );
    let (status, _) = me(&app, &by_uuid).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_unmapped_subject_or_a_role_claim_that_is_no_list_of_roles_is_unauthenticated() {
    let provider = Provider::start(json!([rsa_jwk("k1")])).await;
    let app = spawn_behind_keycloak(&provider).await;
    let admin = signed(
        Algorithm::RS256,
        "k1",
        &keycloak_claims(&app.admin_id.to_string(), Some(&["ADMIN"])),
    );

    let stranger = signed(
        Algorithm::RS256,
        "k1",
        &keycloak_claims("f:0c3e9a4e:nobody", Some(&["ADMIN"])),
    );
    let (status, body) = me(&app, &stranger).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("externalSubject"), "{message}");

    let mut claims = keycloak_claims(&app.admin_id.to_string(), None);
    claims["realm_access"] = json!({ "roles": { "admin": true } });
    let (status, body) = me(&app, &signed(Algorithm::RS256, "k1", &claims)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

    // Two users cannot share a subject; a blank one is refused.
    let input = |name: &str, subject: &str| json!({ "input": { "name": name, "role": "ANALYST", "externalSubject": subject } });
    let first = app
        .graphql_as(&admin, CREATE_USER, input("First", "shared"))
        .await;
    assert!(first.get("errors").is_none(), "{first:#}");
    let second = app
        .graphql_as(&admin, CREATE_USER, input("Second", "shared"))
        .await;
    assert_eq!(error_code(&second), "CONFLICT");
    let blank = app
        .graphql_as(&admin, CREATE_USER, input("Blank", "  "))
        .await;
    assert_eq!(error_code(&blank), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_kaim_token_without_a_role_claim_acts_in_its_users_role() {
    let app = TestApp::spawn().await;
    let analyst = kaim::db::users::insert(
        &app.db,
        kaim::db::users::NewUser {
            name: "Ana".into(),
            email: None,
            role: Role::Analyst,
        },
    )
    .await
    .map_err(|e| e.message())
    .unwrap();
    let mut without_role = claims(analyst.id, "ADMIN");
    without_role.as_object_mut().unwrap().remove("role");
    let token = encode(
        &Header::new(Algorithm::HS256),
        &without_role,
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        acting_role(&app, &token).await,
        "the ANALYST role may not do this"
    );
}

#[tokio::test]
async fn a_namespaced_role_claim_with_dots_is_read_whole_from_a_public_key_token() {
    let app = TestApp::spawn_with(|s| {
        s.jwt.algorithm = JwtAlgorithm::Rs256;
        s.jwt.secret = None;
        s.jwt.public_key = Some(fixture_path("rs256-public.pem"));
        s.jwt.role_claim = "https://kaim.example.com/roles".into();
    })
    .await;
    let mut claims = keycloak_claims(&app.admin_id.to_string(), None);
    claims["https://kaim.example.com/roles"] = json!(["Manager"]);
    let token = encode(
        &Header::new(Algorithm::RS256),
        &claims,
        &EncodingKey::from_rsa_pem(&std::fs::read(fixture_path("rs256-private.pem")).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        acting_role(&app, &token).await,
        "the MANAGER role may not do this",
        "roles compare case-insensitively and win over the user's ADMIN"
    );
}

const MINT: &str = "mutation($input: MintServiceTokenInput!) {
    mintServiceToken(input: $input) {
        token
        serviceToken { id name description role active expiresAt revokedAt user { name role } }
    }
}";

const LIST: &str =
    "{ serviceTokens(first: 10) { totalCount nodes { id name role active revokedAt } } }";

const REVOKE: &str = "mutation($id: ID!) {
    revokeToken(id: $id) { id active revokedAt revokedBy { name } }
}";

/// A second instance of the application on `app`'s database and secret.
async fn second_instance(app: &TestApp) -> String {
    let (instance, first_start) = kaim::startup::Application::build(app.settings.clone())
        .await
        .unwrap();
    assert!(first_start.is_none());
    let address = format!("http://127.0.0.1:{}", instance.port());
    tokio::spawn(instance.run_until_stopped());
    address
}

#[tokio::test]
async fn a_service_token_minted_by_an_admin_works_is_listed_and_once_revoked_is_refused_by_every_instance()
 {
    let app = TestApp::spawn().await;
    let other = second_instance(&app).await;
    let minted = app
        .data(
            MINT,
            json!({ "input": { "name": " Power BI ", "description": "Monthly portfolio reports",
                "role": "ANALYST", "expiresIn": "90d" } }),
        )
        .await["mintServiceToken"]
        .clone();
    let token = minted["token"].as_str().unwrap().to_owned();
    let record = &minted["serviceToken"];
    assert_eq!(record["name"], "Power BI");
    assert_eq!(record["role"], "ANALYST");
    assert_eq!(record["active"], true);
    assert_eq!(
        record["user"],
        json!({ "name": "Power BI", "role": "ANALYST" })
    );
    let expires_at: chrono::DateTime<chrono::Utc> =
        record["expiresAt"].as_str().unwrap().parse().unwrap();
    let in_90_days = chrono::Utc::now() + chrono::TimeDelta::days(90);
    assert!((expires_at - in_90_days).num_seconds().abs() < 60);
    let id = record["id"].as_str().unwrap().to_owned();

    for address in [&app.address, &other] {
        let (status, body) = me_at(&app, address, &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["data"]["me"],
            json!({ "name": "Power BI", "role": "ANALYST" })
        );
    }

    let listed = app.graphql(LIST, json!({})).await;
    assert_eq!(listed["data"]["serviceTokens"]["totalCount"], 1);
    assert_eq!(listed["data"]["serviceTokens"]["nodes"][0]["id"], id);
    assert!(
        !listed.to_string().contains(&token),
        "the token text is never listed"
    );
    let node = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on ServiceToken { name } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["name"], "Power BI");

    let revoked = app.data(REVOKE, json!({ "id": id })).await["revokeToken"].clone();
    assert_eq!(revoked["active"], false);
    assert!(revoked["revokedAt"].is_string());
    assert_eq!(revoked["revokedBy"]["name"], "Test Admin");
    let again = app.data(REVOKE, json!({ "id": id })).await["revokeToken"].clone();
    assert_eq!(
        again["revokedAt"], revoked["revokedAt"],
        "the first revocation stands"
    );

    // At once where it was revoked; within the recheck interval on the other instance.
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let (status, body) = me_after_recheck(&app, &other, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{other}: {body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    let (status, _) = me_at(&app, &other, &app.admin_token).await;
    assert_eq!(status, StatusCode::OK, "other tokens still work");
    let listed = app.graphql(LIST, json!({})).await;
    assert_eq!(listed["data"]["serviceTokens"]["nodes"][0]["active"], false);
}

#[tokio::test]
async fn a_service_token_lifetime_is_seconds_or_a_duration_of_at_most_two_years() {
    let app = TestApp::spawn().await;
    let mint = |expires_in: Value| {
        app.graphql(
            MINT,
            json!({ "input": { "name": "ETL", "role": "INTEGRATOR", "expiresIn": expires_in } }),
        )
    };
    let body = mint(json!(3600)).await;
    assert!(body.get("errors").is_none(), "{body}");
    let token = body["data"]["mintServiceToken"]["token"].as_str().unwrap();
    let (status, _) = me(&app, token).await;
    assert_eq!(status, StatusCode::OK);
    for bad in [json!(0), json!("731d"), json!("soon"), json!(-5)] {
        let body = mint(bad.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{bad}: {body}");
    }
}

#[tokio::test]
async fn a_manager_cannot_mint_list_or_revoke_service_tokens() {
    let app = TestApp::spawn().await;
    let minted = app
        .data(
            MINT,
            json!({ "input": { "name": "BI", "role": "ANALYST", "expiresIn": "1d" } }),
        )
        .await;
    let id = minted["mintServiceToken"]["serviceToken"]["id"].clone();
    let (manager, _) = app.user_token(Role::Manager, "Manager").await;
    let attempts = [
        (
            MINT,
            json!({ "input": { "name": "Mine", "role": "ADMIN", "expiresIn": "1d" } }),
        ),
        (LIST, json!({})),
        (REVOKE, json!({ "id": id })),
    ];
    for (query, variables) in attempts {
        let body = app.graphql_as(&manager, query, variables).await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{query}: {body}");
    }
    let node = app
        .graphql_as(
            &manager,
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["data"]["node"], Value::Null, "{node}");
    let listed = app.graphql(LIST, json!({})).await;
    assert_eq!(listed["data"]["serviceTokens"]["totalCount"], 1);
}

#[tokio::test]
async fn a_token_of_a_deleted_or_unknown_user_is_unauthenticated() {
    let app = TestApp::spawn().await;
    let (token, id) = app.user_token(Role::Analyst, "Leaver").await;
    let (status, _) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    let uuid = uuid::Uuid::parse_str(
        String::from_utf8(
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &id).unwrap(),
        )
        .unwrap()
        .split_once(':')
        .unwrap()
        .1,
    )
    .unwrap();
    entity::user::Entity::delete_by_id(uuid)
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = me_after_recheck(&app, &app.address, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");

    let mut unknown = claims(uuid::Uuid::now_v7(), "ADMIN");
    unknown["jti"] = json!(uuid::Uuid::now_v7());
    let forged = encode(
        &Header::new(Algorithm::HS256),
        &unknown,
        &EncodingKey::from_secret(SECRET.as_bytes()).unwrap(),
    )
    .unwrap();
    let (status, _) = me(&app, &forged).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn kaim_token_records_what_it_mints_so_it_can_be_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::test_settings(dir.path().to_path_buf(), None);
    let (app, _) = kaim::startup::Application::build(settings.clone())
        .await
        .unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kaim"))
        .env("KAIM_DATA_DIR", dir.path())
        .env("KAIM_JWT_SECRET", SECRET)
        .env_remove("KAIM_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .args(["token", "--role", "INTEGRATOR", "--name", "Importer"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let db = kaim::startup::connect(&settings).await.unwrap();
    let recorded = entity::issued_token::Entity::find().all(&db).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].name, "Importer");
    assert_eq!(recorded[0].role, Role::Integrator);

    let client = reqwest::Client::new();
    let me = |token: String| {
        client
            .post(format!("{address}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": "{ me { name } }" }))
            .send()
    };
    assert_eq!(me(token.clone()).await.unwrap().status(), StatusCode::OK);
    let admin = kaim::db::users::insert(
        &db,
        kaim::db::users::NewUser {
            name: "Admin".into(),
            email: None,
            role: Role::Admin,
        },
    )
    .await
    .map_err(|e| e.message())
    .unwrap();
    kaim::db::tokens::revoke(&db, recorded[0].jti, admin.id)
        .await
        .map_err(|e| e.message())
        .unwrap();
    // Revoked behind the server's back: refused once its remembered check (1 s) expires.
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1500);
    let mut status = me(token.clone()).await.unwrap().status();
    while status == StatusCode::OK && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        status = me(token.clone()).await.unwrap().status();
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn with_token_recheck_zero_a_change_in_the_database_holds_from_the_next_request() {
    let app = TestApp::spawn_with(|s| s.jwt.recheck = std::time::Duration::ZERO).await;
    let (token, id) = app.user_token(Role::Analyst, "Leaver").await;
    let (status, _) = me(&app, &token).await;
    assert_eq!(status, StatusCode::OK);
    let uuid = kaim::graphql::node::decode(
        &async_graphql::ID(id),
        kaim::graphql::node::Kind::User,
        "id",
    )
    .map_err(|e| e.message())
    .unwrap();
    entity::user::Entity::delete_by_id(uuid)
        .exec(&app.db)
        .await
        .unwrap();
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}
