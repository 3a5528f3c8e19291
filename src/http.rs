//! The only actix-web code: `/graphql` (POST and GET), GraphiQL, and health probes.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};
use async_graphql::{
    ErrorExtensions as _, ServerError, http::GraphiQLSource, parser::types::OperationType,
};
use sea_orm::ConnectionTrait;

use crate::{
    auth::{AuthError, TokenService},
    error::AppError,
    graphql::{AppSchema, AppState, request_data},
};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// Registers the routes on an actix `App`.
pub fn routes(cfg: &mut web::ServiceConfig, graphiql: bool) {
    cfg.service(
        web::resource("/graphql")
            .route(web::post().to(graphql_post))
            .route(web::get().to(graphql_get))
            .route(web::route().to(method_not_allowed)),
    )
    .route("/health", web::get().to(health))
    .route("/ready", web::get().to(ready));
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
        Ok(serde_json::Value::Array(_)) => {
            return request_error(
                &req,
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "batched requests are not enabled; send one operation per request",
            );
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
    execute(&req, request, &schema, &state, &tokens).await
}

async fn graphql_get(
    req: HttpRequest,
    schema: web::Data<AppSchema>,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
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
    let operation = request.operation_name.clone();
    if let Ok(document) = request.parsed_query() {
        let is_mutation = document.operations.iter().any(|(name, op)| {
            let selected = match (&operation, name) {
                (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
                (None, _) => true,
                (Some(_), None) => false,
            };
            selected && op.node.ty != OperationType::Query
        });
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
    execute(&req, request, &schema, &state, &tokens).await
}

async fn execute(
    req: &HttpRequest,
    request: async_graphql::Request,
    schema: &AppSchema,
    state: &AppState,
    tokens: &TokenService,
) -> HttpResponse {
    let principal = match authenticate(req, tokens) {
        Ok(principal) => principal,
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
            return response;
        }
    };
    let (principal, loaders) = request_data(state, principal);
    let response = schema.execute(request.data(principal).data(loaders)).await;
    // GraphQL-over-HTTP: with the GraphQL media type, a request that never reached execution
    // (it did not parse or validate) is a 400; with plain JSON, every answer is a 200.
    let status = if wants_graphql_media(req) && is_request_error(&response) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json_response(req, status, &response)
}

/// A request error (the document did not parse or validate) stops before execution: no data and
/// no error with a path. An execution error, even one that nulls all data, has a path.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn authenticate(
    req: &HttpRequest,
    tokens: &TokenService,
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
    tokens.verify(token.trim())
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
    let response = async_graphql::Response::from_errors(vec![error]);
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
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("kaim")
                .finish(),
        )
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.get_database_backend();
    match state
        .db
        .execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1"))
        .await
    {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(err) => {
            let _ = AppError::from(err).to_graphql();
            HttpResponse::ServiceUnavailable()
                .json(serde_json::json!({ "status": "database unavailable" }))
        }
    }
}
