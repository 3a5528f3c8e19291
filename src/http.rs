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
fn tag_logged_errors(req: &HttpRequest, errors: &mut [ServerError]) {
    let Some(id) = request_id(req) else {
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
                .set("requestId", id.as_str());
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
    let request: async_graphql::Request = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Array(items)) => {
            return execute_batch(&req, items, &schema, &state, &tokens, &limits).await;
        }
        Ok(value) => match serde_json::from_value(value) {
            Ok(request) => request,
            Err(err) => {
                return request_error(
                    &req,
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    &format!("the body is not a GraphQL request: {err}"),
                );
            }
        },
        Err(err) => {
            return request_error(
                &req,
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("the body is not valid JSON: {err}"),
            );
        }
    };
    execute(&req, request, &schema, &state, &tokens, &limits).await
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
    execute(&req, request, &schema, &state, &tokens, &limits).await
}

async fn execute(
    req: &HttpRequest,
    request: async_graphql::Request,
    schema: &AppSchema,
    state: &AppState,
    tokens: &TokenService,
    limits: &LimitSettings,
) -> HttpResponse {
    let principal = match principal(req, tokens, state).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal,
    };
    let response = run(req, request, principal, schema, state, limits).await;
    // GraphQL-over-HTTP: with the GraphQL media type, a request that never reached execution
    // (it did not parse or validate) is a 400; with plain JSON, every answer is a 200.
    let status = if wants_graphql_media(req) && is_request_error(&response) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json_response(req, status, &response)
}

/// A JSON array of operations, run one after the other (so that their writes happen in order),
/// when batches are enabled; the answer is the array of their responses.
async fn execute_batch(
    req: &HttpRequest,
    items: Vec<serde_json::Value>,
    schema: &AppSchema,
    state: &AppState,
    tokens: &TokenService,
    limits: &LimitSettings,
) -> HttpResponse {
    let refusal = if !limits.allow_batch {
        Some((
            "QUERY_TOO_COMPLEX",
            "batched requests are not enabled; send one operation per request".to_owned(),
        ))
    } else if items.is_empty() {
        Some(("BAD_USER_INPUT", "the batch is empty".to_owned()))
    } else if items.len() > limits.max_batch {
        Some((
            "QUERY_TOO_COMPLEX",
            format!(
                "the batch has {} operations; at most {} are allowed",
                items.len(),
                limits.max_batch
            ),
        ))
    } else {
        None
    };
    if let Some((code, message)) = refusal {
        return request_error(req, StatusCode::BAD_REQUEST, code, &message);
    }
    let requests: Vec<async_graphql::Request> = match items
        .into_iter()
        .map(serde_json::from_value)
        .collect::<Result<_, _>>()
    {
        Ok(requests) => requests,
        Err(err) => {
            return request_error(
                req,
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                &format!("an element of the batch is not a GraphQL request: {err}"),
            );
        }
    };
    let principal = match principal(req, tokens, state).await {
        Ok(principal) => principal,
        Err(refusal) => return refusal,
    };
    let mut responses = Vec::with_capacity(requests.len());
    for request in requests {
        responses.push(run(req, request, principal, schema, state, limits).await);
    }
    json_response(req, StatusCode::OK, &responses)
}

/// Executes one operation for `principal`.
async fn run(
    req: &HttpRequest,
    request: async_graphql::Request,
    principal: Principal,
    schema: &AppSchema,
    state: &AppState,
    limits: &LimitSettings,
) -> async_graphql::Response {
    // In production only administrators may read the schema.
    let request = if limits.production && principal.role != Role::Admin {
        request.disable_introspection()
    } else {
        request
    };
    let (principal, loaders) = request_data(state, principal);
    let execution = limits::execute(
        schema,
        request.data(principal).data(Arc::clone(&loaders)),
        limits,
    );
    let mut response = loaders.track(execution).await;
    tag_logged_errors(req, &mut response.errors);
    response
}

/// The request's principal, or the response refusing it.
async fn principal(
    req: &HttpRequest,
    tokens: &TokenService,
    state: &AppState,
) -> Result<Principal, HttpResponse> {
    match authenticate(req, tokens, &state.db).await {
        Ok(principal) => Ok(principal),
        Err(AuthError::Unavailable(cause)) => {
            tracing::error!(error = %cause, "cannot check the token against the database");
            Err(request_error(
                req,
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable.as_str(),
                "the token cannot be checked right now: the database is temporarily unavailable; retrying later is safe",
            ))
        }
        Err(err) => {
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
            Err(response)
        }
    }
}

/// A request error (the document did not parse or validate) stops before execution: no data and
/// no error with a path. An execution error, even one that nulls all data, has a path.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

async fn authenticate(
    req: &HttpRequest,
    tokens: &TokenService,
    db: &sea_orm::DatabaseConnection,
) -> Result<crate::auth::Principal, AuthError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Missing)?;
    let (scheme, token) = header.split_once(' ').ok_or(AuthError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Missing);
    }
    tokens.authenticate(db, token.trim()).await
}

fn wants_graphql_media(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(GRAPHQL_RESPONSE_JSON))
}

fn json_response(
    req: &HttpRequest,
    status: StatusCode,
    body: &impl serde::Serialize,
) -> HttpResponse {
    let content_type = if wants_graphql_media(req) {
        GRAPHQL_RESPONSE_JSON
    } else {
        "application/json"
    };
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status)
            .content_type(content_type)
            .body(bytes),
        Err(err) => {
            tracing::error!(error = %err, "cannot serialise a response");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A GraphQL error response for a request refused before execution.
fn request_error(req: &HttpRequest, status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let mut error = ServerError::new(message, None);
    error.extensions = async_graphql::Error::new(message)
        .extend_with(|_, ext| ext.set("code", code))
        .extensions;
    let mut errors = vec![error];
    tag_logged_errors(req, &mut errors);
    let response = async_graphql::Response::from_errors(errors);
    json_response(req, status, &response)
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
    match crate::db::health::check(&state.db).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(reason) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "unavailable", "reason": reason })),
    }
}
