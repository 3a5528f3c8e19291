//! The only actix-web code: `/graphql` (POST and GET), GraphiQL, health probes and the BI
//! exports; CORS, security headers and request ids on every response.

use std::sync::{Arc, LazyLock};

use actix_cors::Cors;
use actix_web::{
    HttpMessage as _, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::{
        Method, StatusCode,
        header::{self, HeaderName, HeaderValue},
    },
    middleware::Next,
    web,
};
use async_graphql::{ErrorExtensions as _, ServerError, http::GraphiQLSource};
use base64::{Engine as _, prelude::BASE64_STANDARD};
use entity::enums::Role;
use sha2::{Digest as _, Sha256};
use tracing_actix_web::RequestId;

mod exports;

use crate::{
    auth::{AuthError, Principal, TokenService},
    config::LimitSettings,
    error::ErrorCode,
    graphql::{AppSchema, AppState, limits, request_data},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// The header naming the request in responses and logs.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Nothing but data: no scripts, no frames, no forms.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The GraphiQL page and its Content-Security-Policy, built once: GraphiQL loads its scripts,
/// styles and fonts from public CDNs and boots from an inline script, which the policy allows
/// by its SHA-256 hash only, so no injected script could run. Styles stay `'unsafe-inline'`:
/// the editor injects `<style>` elements at run time.
static GRAPHIQL: LazyLock<(String, String)> = LazyLock::new(|| {
    let page = GraphiQLSource::build()
        .endpoint("/graphql")
        .title("kaim")
        .finish();
    let hashes: Vec<String> = inline_scripts(&page)
        .map(|script| {
            format!(
                "'sha256-{}'",
                BASE64_STANDARD.encode(Sha256::digest(script))
            )
        })
        .collect();
    let csp = format!(
        "default-src 'none'; \
         script-src {} https://unpkg.com; \
         style-src 'unsafe-inline' https://unpkg.com https://fonts.googleapis.com; \
         font-src data: https://unpkg.com https://fonts.gstatic.com; \
         img-src data: https://unpkg.com https://graphql.org; \
         connect-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        hashes.join(" ")
    );
    (page, csp)
});

/// The text of every `<script>` element without attributes in `html`, exactly as a browser
/// hashes it for a CSP source.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</script>").map(|(script, _)| script))
}

/// Browsers may call the API from the `origins` only; an empty list allows no other origin.
/// Requests from elsewhere still reach the handlers (same-origin GraphiQL, tools without a
/// browser) but get no CORS headers, so a browser does not let the page read the answer.
pub fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([REQUEST_ID])
        .max_age(600)
}

/// Security headers and the request id on every response, refusals included. The request id is
/// `tracing-actix-web`'s, so it also names the request's log lines.
///
/// # Errors
/// An inner service's error, unchanged.
pub async fn response_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let graphql = req.path() == "/graphql";
    let id = request_id(req.request()).and_then(|id| HeaderValue::from_str(&id).ok());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, API_CSP),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if graphql {
        // Answers depend on the token: no shared or browser cache may keep them.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(id) = id {
        headers.insert(REQUEST_ID, id);
    }
    Ok(response)
}

fn request_id(req: &HttpRequest) -> Option<String> {
    req.extensions().get::<RequestId>().map(ToString::to_string)
}

/// Internal errors and database trouble show no cause; their `extensions.requestId` finds the
/// logged one.
fn tag_logged_errors(request_id: Option<&str>, errors: &mut [ServerError]) {
    let Some(id) = request_id else {
        return;
    };
    let logged = [ErrorCode::Internal, ErrorCode::Unavailable]
        .map(|code| async_graphql::Value::from(code.as_str()));
    for error in errors {
        let cause_logged = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|code| logged.contains(code));
        if cause_logged {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("requestId", id);
        }
    }
}

/// Registers the routes on an actix `App`.
pub fn routes(cfg: &mut web::ServiceConfig, graphiql: bool) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(graphql_post))
            .route(web::get().to(graphql_get))
            .route(web::route().to(method_not_allowed)),
    )
    .route("/health", web::get().to(health))
    .route("/ready", web::get().to(ready))
    .configure(exports::routes);
    if graphiql {
        cfg.route("/", web::get().to(graphiql_page));
    }
}

async fn graphql_post(
    req: HttpRequest,
    body: web::Bytes,
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
    limits: web::Data<LimitSettings>,
) -> HttpResponse {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(
        media.as_deref(),
        Some("application/json" | GRAPHQL_RESPONSE_JSON)
    ) {
        return request_error(
            &req,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            "send the GraphQL request as `Content-Type: application/json`",
        );
    }
    // A batch is a JSON array; anything else is read as one request. Deserialised straight
    // into requests: going through a `serde_json::Value` first copies every variable twice.
    let batch = body
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|first| *first == b'[');
    if batch {
        return match serde_json::from_slice::<Vec<async_graphql::Request>>(&body) {
            Ok(requests) => execute_batch(&req, requests, schema, state, tokens, limits).await,
            Err(err) => body_error(
                &req,
                &err,
                "an element of the batch is not a GraphQL request",
            ),
        };
    }
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => {
            execute(
                &req,
                Operations::One(Box::new(request)),
                schema,
                state,
                tokens,
                limits,
            )
            .await
        }
        Err(err) => body_error(&req, &err, "the body is not a GraphQL request"),
    }
}

/// The answer to a body that is not JSON, or not GraphQL requests (`what`).
fn body_error(req: &HttpRequest, err: &serde_json::Error, what: &str) -> HttpResponse {
    let message = if err.is_syntax() || err.is_eof() {
        format!("the body is not valid JSON: {err}")
    } else {
        format!("{what}: {err}")
    };
    request_error(req, StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &message)
}

async fn graphql_get(
    req: HttpRequest,
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
    limits: web::Data<LimitSettings>,
) -> HttpResponse {
    let mut request = match async_graphql::http::parse_query_string(req.query_string()) {
        Ok(request) => request,
        Err(err) => {
            return request_error(
                &req,
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("the query string is not a GraphQL request: {err}"),
            );
        }
    };
    // The document is parsed here, so its size is checked before the parser sees it.
    if let Err(err) = limits::check_size(&request.query, &limits) {
        return request_error(
            &req,
            StatusCode::BAD_REQUEST,
            err.code().as_str(),
            &err.message(),
        );
    }
    let operation = request.operation_name.clone();
    if let Ok(document) = request.parsed_query() {
        let is_mutation = limits::is_mutation(document, operation.as_deref());
        if is_mutation {
            let mut response = request_error(
                &req,
                StatusCode::METHOD_NOT_ALLOWED,
                "BAD_USER_INPUT",
                "mutations must be sent by POST",
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
    }
    execute(
        &req,
        Operations::One(Box::new(request)),
        schema,
        state,
        tokens,
        limits,
    )
    .await
}

/// The operations of one HTTP request: one, or a batch run one after the other.
enum Operations {
    One(Box<async_graphql::Request>),
    Batch(Vec<async_graphql::Request>),
}

/// What the work answered: a status and the serialised body, or why the token was refused.
type Answer = Result<(StatusCode, Vec<u8>), AuthError>;

/// Runs `operations` for the request's bearer and answers.
///
/// The work (the token check, execution and serialising the answer) runs as a task of the
/// server's multi-threaded runtime ([`AppState::runtime`]), not on the actix-web worker that
/// took the request: each worker runs a single-threaded runtime of its own, and a database
/// connection is served by the reactor of the runtime that opened it, so connections shared
/// between workers waited for whichever worker was busy elsewhere. The workers only read
/// requests and write answers.
async fn execute(
    req: &HttpRequest,
    operations: Operations,
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
    limits: web::Data<LimitSettings>,
) -> HttpResponse {
    let token = bearer(req).map(str::to_owned);
    let request_id = request_id(req);
    let graphql_media = wants_graphql_media(req);
    let runtime = state.runtime.clone();
    let work = async move {
        // A closed semaphore is never made; without a turn the operation runs anyway.
        let _turn = Arc::clone(&state.operations).acquire_owned().await.ok();
        let principal = tokens.authenticate(&state.db, &token?).await?;
        let run = |request| {
            run(
                request,
                principal,
                &schema,
                &state,
                &limits,
                request_id.as_deref(),
            )
        };
        Ok(match operations {
            Operations::One(request) => {
                let response = run(*request).await;
                // GraphQL-over-HTTP: with the GraphQL media type, a request that never
                // reached execution (it did not parse or validate) is a 400; with plain JSON,
                // every answer is a 200.
                let status = if graphql_media && is_request_error(&response) {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                };
                (status, json_bytes(&response))
            }
            Operations::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(run(request).await);
                }
                (StatusCode::OK, json_bytes(&responses))
            }
        })
    };
    let answer: Answer = match runtime
        .spawn(tracing::Instrument::in_current_span(work))
        .await
    {
        Ok(answer) => answer,
        Err(err) => {
            tracing::error!(error = %err, "a GraphQL request's task failed");
            return HttpResponse::InternalServerError().finish();
        }
    };
    match answer {
        Ok((status, body)) => respond(req, status, body),
        Err(refused) => refusal(req, &refused),
    }
}

/// A JSON array of operations, run one after the other (so that their writes happen in order),
/// when batches are enabled; the answer is the array of their responses.
async fn execute_batch(
    req: &HttpRequest,
    requests: Vec<async_graphql::Request>,
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
    limits: web::Data<LimitSettings>,
) -> HttpResponse {
    let refusal = if !limits.allow_batch {
        Some((
            "QUERY_TOO_COMPLEX",
            "batched requests are not enabled; send one operation per request".to_owned(),
        ))
    } else if requests.is_empty() {
        Some(("BAD_USER_INPUT", "the batch is empty".to_owned()))
    } else if requests.len() > limits.max_batch {
        Some((
            "QUERY_TOO_COMPLEX",
            format!(
                "the batch has {} operations; at most {} are allowed",
                requests.len(),
                limits.max_batch
            ),
        ))
    } else {
        None
    };
    if let Some((code, message)) = refusal {
        return request_error(req, StatusCode::BAD_REQUEST, code, &message);
    }
    execute(
        req,
        Operations::Batch(requests),
        schema,
        state,
        tokens,
        limits,
    )
    .await
}

/// Executes one operation for `principal`.
async fn run(
    request: async_graphql::Request,
    principal: Principal,
    schema: &AppSchema,
    state: &AppState,
    limits: &LimitSettings,
    request_id: Option<&str>,
) -> async_graphql::Response {
    // In production only administrators may read the schema.
    let mut request = if limits.production && principal.role != Role::Admin {
        request.disable_introspection()
    } else {
        request
    };
    // Parsed once here (the schema reuses it); an unparsable one changes nothing.
    let operation = request.operation_name.clone();
    let writes = request
        .parsed_query()
        .is_ok_and(|document| limits::is_mutation(document, operation.as_deref()));
    let (principal, read_from, loaders) = request_data(state, principal, writes);
    let execution = limits::execute(
        schema,
        request
            .data(principal)
            .data(read_from)
            .data(Arc::clone(&loaders)),
        limits,
    );
    let mut response = loaders.track(execution).await;
    tag_logged_errors(request_id, &mut response.errors);
    response
}

/// The response refusing a request whose token was not accepted.
fn refusal(req: &HttpRequest, err: &AuthError) -> HttpResponse {
    if let AuthError::Unavailable(cause) = err {
        tracing::error!(error = %cause, "cannot check the token against the database");
        return request_error(
            req,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable.as_str(),
            "the token cannot be checked right now: the database is temporarily unavailable; retrying later is safe",
        );
    }
    tracing::debug!(error = ?err, "token refused");
    let mut response = request_error(
        req,
        StatusCode::UNAUTHORIZED,
        "UNAUTHENTICATED",
        &err.to_string(),
    );
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// A request error (the document did not parse or validate) stops before execution: no data and
/// no error with a path. An execution error, even one that nulls all data, has a path.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The request's principal, checked on the server's runtime (see [`execute`]), or the response
/// refusing it.
async fn principal(
    req: &HttpRequest,
    tokens: &TokenService,
    state: &AppState,
) -> Result<Principal, HttpResponse> {
    let token = bearer(req).map(str::to_owned);
    let (tokens, db) = (tokens.clone(), state.db.clone());
    let checked = state
        .runtime
        .spawn(async move { tokens.authenticate(&db, &token?).await })
        .await;
    match checked {
        Ok(Ok(principal)) => Ok(principal),
        Ok(Err(refused)) => Err(refusal(req, &refused)),
        Err(err) => {
            tracing::error!(error = %err, "a token check's task failed");
            Err(HttpResponse::InternalServerError().finish())
        }
    }
}

/// The bearer token of the `Authorization` header.
fn bearer(req: &HttpRequest) -> Result<&str, AuthError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Missing)?;
    let (scheme, token) = header.split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Missing);
    }
    Ok(token.trim())
}

fn wants_graphql_media(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE_JSON))
}

/// `body` as JSON; an empty body (answered as a 500) if it cannot be serialised, which no
/// GraphQL response can fail.
fn json_bytes(body: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|err| {
        tracing::error!(error = %err, "cannot serialise a response");
        Vec::new()
    })
}

/// A response with a JSON `body`, of the GraphQL media type when the client accepts it.
fn respond(req: &HttpRequest, status: StatusCode, body: Vec<u8>) -> HttpResponse {
    if body.is_empty() {
        return HttpResponse::InternalServerError().finish();
    }
    let content_type = if wants_graphql_media(req) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    HttpResponse::build(status)
        .content_type(content_type)
        .body(body)
}

/// A GraphQL error response for a request refused before execution.
fn request_error(req: &HttpRequest, status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let mut error = ServerError::new(message, None);
    error.extensions = async_graphql::Error::new(message)
        .extend_with(|_, ext| ext.set("code", code))
        .extensions;
    let mut errors = vec![error];
    tag_logged_errors(request_id(req).as_deref(), &mut errors);
    let response = async_graphql::Response::from_errors(errors);
    respond(req, status, json_bytes(&response))
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let mut response = request_error(
        &req,
        StatusCode::METHOD_NOT_ALLOWED,
        "BAD_USER_INPUT",
        "use POST (or GET for queries)",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
    response
}

async fn graphiql_page() -> HttpResponse {
    let (page, csp) = &*GRAPHIQL;
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp.as_str()))
        .body(page.clone())
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Ready means able to take writes: the database answers, and it is not read-only nor out of
/// disk space (`db::health`).
async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    // On the server's runtime, like all database work (see `execute`).
    let checked = state
        .runtime
        .spawn(async move { crate::db::health::check(&db).await })
        .await
        .unwrap_or_else(|err| Err(format!("the check's task failed: {err}")));
    match checked {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(reason) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "unavailable", "reason": reason })),
    }
}
