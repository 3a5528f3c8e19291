//! BI exports: `/export/scores.csv`, `/export/scores.ndjson` and `/export/clients.csv`, streamed
//! page by page from the database, so memory stays flat whatever the portfolio's size. The
//! columns are part of the contract (README, "BI exports"): add new ones at the end, never
//! rename or reorder one.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
    web,
};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use entity::enums::{ClientStatus, Role};
use futures::{SinkExt as _, Stream, StreamExt as _, stream};
use sea_orm::ActiveEnum as _;
use serde::{Deserialize, Serialize};

use crate::{
    auth::TokenService,
    db::{
        self,
        clients::ClientFilter,
        exports::{ClientExport, ScoreRow},
    },
    domain::money,
    error::{AppError, AppResult},
    graphql::{
        AppState,
        node::{self, Kind},
    },
};

/// The roles that may export: everyone who reads the portfolio.
const EXPORTERS: [Role; 3] = [Role::Admin, Role::Manager, Role::Analyst];

/// The columns of `scores.csv`, and the keys of each `scores.ndjson` object.
pub const SCORE_COLUMNS: [&str; 13] = [
    "client_id",
    "client_name",
    "country",
    "industry",
    "manager_id",
    "manager_name",
    "model_version",
    "assessed_at",
    "attractiveness",
    "loyalty",
    "quadrant",
    "explanation",
    "factors",
];

/// The registry schemes with a column of their own in `clients.csv`, in column order.
const REGISTRY_COLUMNS: [(&str, &str); 5] = [
    ("LEI", "lei"),
    ("RU_INN", "ru_inn"),
    ("RU_OGRN", "ru_ogrn"),
    ("GB_COMPANY_NUMBER", "gb_company_number"),
    ("US_CIK", "us_cik"),
];

/// The columns of `clients.csv`.
pub const CLIENT_COLUMNS: [&str; 21] = [
    "id",
    "name",
    "legal_name",
    "industry_code",
    "industry",
    "country",
    "region",
    "status",
    "manager_id",
    "manager_name",
    "lei",
    "ru_inn",
    "ru_ogrn",
    "gb_company_number",
    "us_cik",
    "created_at",
    "updated_at",
    "last_interaction_at",
    "revenue_12m",
    "quadrant",
    "solvency_risk",
];

const CSV: &str = "text/csv; charset=utf-8";
const NDJSON: &str = "application/x-ndjson";

/// Registers the export routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/export/scores.csv", web::get().to(scores_csv))
        .route("/export/scores.ndjson", web::get().to(scores_ndjson))
        .route("/export/clients.csv", web::get().to(clients_csv));
}

async fn scores_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
) -> HttpResponse {
    let params = match admit(&req, &state, &tokens, true).await {
        Ok(params) => params,
        Err(refusal) => return refusal,
    };
    let pages = db::exports::scores(read_from(&state, &params), params.filter, params.as_of);
    let header = csv_record(SCORE_COLUMNS);
    streamed(&state, CSV, "scores.csv", header, pages, score_csv)
}

async fn scores_ndjson(
    req: HttpRequest,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
) -> HttpResponse {
    let params = match admit(&req, &state, &tokens, true).await {
        Ok(params) => params,
        Err(refusal) => return refusal,
    };
    let pages = db::exports::scores(read_from(&state, &params), params.filter, params.as_of);
    streamed(
        &state,
        NDJSON,
        "scores.ndjson",
        Ok(Vec::new()),
        pages,
        score_ndjson,
    )
}

async fn clients_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    tokens: web::Data<TokenService>,
) -> HttpResponse {
    let params = match admit(&req, &state, &tokens, false).await {
        Ok(params) => params,
        Err(refusal) => return refusal,
    };
    let pages = db::exports::clients(read_from(&state, &params), params.filter, db::now());
    let header = csv_record(CLIENT_COLUMNS);
    streamed(&state, CSV, "clients.csv", header, pages, client_csv)
}

/// What an export request asks for.
#[derive(Debug, Default)]
struct Params {
    filter: ClientFilter,
    as_of: Option<DateTime<Utc>>,
    /// Who asks, whose reads follow [`db::reads`].
    user_id: Option<uuid::Uuid>,
}

/// Authenticates like `/graphql`, checks the role, and reads the query string; or the refusal.
async fn admit(
    req: &HttpRequest,
    state: &AppState,
    tokens: &TokenService,
    scores: bool,
) -> Result<Params, HttpResponse> {
    let principal = super::principal(req, tokens, state).await?;
    if !EXPORTERS.contains(&principal.role) {
        return Err(super::request_error(
            req,
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "exports are open to administrators, managers and analysts",
        ));
    }
    let mut params = parse_params(req.query_string(), scores).map_err(|err| {
        super::request_error(
            req,
            StatusCode::BAD_REQUEST,
            err.code().as_str(),
            &err.message(),
        )
    })?;
    params.user_id = Some(principal.user_id);
    Ok(params)
}

/// The connection an export of `params` reads from: a read replica when there is one.
fn read_from(state: &AppState, params: &Params) -> sea_orm::DatabaseConnection {
    match params.user_id {
        Some(user) => state.reads.for_reading(&state.db, user).clone(),
        None => state.db.clone(),
    }
}

/// `asOf`, `status`, `country` and `manager`; lists are comma-separated or repeated.
fn parse_params(query: &str, scores: bool) -> AppResult<Params> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query)
        .map_err(|err| AppError::bad_input("query", format!("unreadable query string: {err}")))?
        .into_inner();
    let mut params = Params::default();
    for (key, value) in pairs {
        let items = value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty());
        match key.as_str() {
            "asOf" if scores => params.as_of = Some(parse_as_of(&value)?),
            "status" => {
                for item in items {
                    let status = ClientStatus::try_from_value(&item.to_ascii_uppercase())
                        .map_err(|_| {
                            AppError::bad_input(
                                "status",
                                format!(
                                    "`{item}` is not a client status (PROSPECT, ACTIVE, DORMANT, LOST)"
                                ),
                            )
                        })?;
                    params.filter.status.push(status);
                }
            }
            "country" => {
                for item in items {
                    if item.len() != 2 || !item.chars().all(|c| c.is_ascii_alphabetic()) {
                        return Err(AppError::bad_input(
                            "country",
                            format!("`{item}` is not an ISO 3166-1 alpha-2 code"),
                        ));
                    }
                    params.filter.country.push(item.to_ascii_uppercase());
                }
            }
            "manager" => {
                let id = async_graphql::ID(value.trim().to_owned());
                params.filter.manager_id = Some(node::decode(&id, Kind::User, "manager")?);
            }
            other => {
                return Err(AppError::bad_input(
                    other,
                    format!("`{other}` is not a parameter of this export"),
                ));
            }
        }
    }
    Ok(params)
}

/// An RFC 3339 date-time, or a date meaning the end of that day (UTC). A `+` of an offset that
/// arrives as a space (form encoding) is read as `+`.
fn parse_as_of(text: &str) -> AppResult<DateTime<Utc>> {
    let text = text.trim().replace(' ', "+");
    if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_micro_opt(23, 59, 59, 999_999))
        .map(|end| end.and_utc())
        .ok_or_else(|| {
            AppError::bad_input(
                "asOf",
                "`asOf` must be an RFC 3339 date (2026-01-31) or date-time (2026-01-31T18:00:00Z)",
            )
        })
}

/// Chunks read ahead of the client: enough to overlap reading the next page with sending one.
const CHUNKS_AHEAD: usize = 2;

/// The response: `header`, then each page encoded, as the client reads them. A failure after
/// the first bytes can only cut the body short; it is logged with its cause.
///
/// Pages are read and encoded by a task on the server's runtime (see `http::execute` for why
/// database work does not run on the actix worker), at most [`CHUNKS_AHEAD`] ahead of the
/// client; it stops when the client goes away.
fn streamed<T, S>(
    state: &AppState,
    content_type: &'static str,
    filename: &'static str,
    header: AppResult<Vec<u8>>,
    pages: S,
    encode: fn(&T, &mut Vec<u8>) -> AppResult<()>,
) -> HttpResponse
where
    T: Send + 'static,
    S: Stream<Item = AppResult<Vec<T>>> + Send + 'static,
{
    let chunks = stream::once(async move { header }).chain(pages.map(move |page| {
        let rows = page?;
        let mut bytes = Vec::with_capacity(rows.len() * 256);
        for row in &rows {
            encode(row, &mut bytes)?;
        }
        Ok(bytes)
    }));
    let (mut sender, body) = futures::channel::mpsc::channel(CHUNKS_AHEAD);
    state
        .runtime
        .spawn(tracing::Instrument::in_current_span(async move {
            let mut chunks = std::pin::pin!(chunks);
            while let Some(chunk) = chunks.next().await {
                if sender.send(chunk).await.is_err() {
                    break;
                }
            }
        }));
    let body = body.map(|chunk: AppResult<Vec<u8>>| {
        chunk.map(web::Bytes::from).map_err(|err| {
            let _ = err.to_graphql();
            std::io::Error::other("the export failed; see the server log")
        })
    });
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body)
}

/// One CSV record (RFC 4180 quoting, `\n` line ends).
fn csv_record<I, F>(fields: I) -> AppResult<Vec<u8>>
where
    I: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    writer.write_record(fields).map_err(AppError::internal)?;
    writer
        .into_inner()
        .map_err(|err| AppError::internal(err.into_error()))
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn user_id(id: Option<uuid::Uuid>) -> Option<String> {
    id.map(|id| node::encode(Kind::User, id).0)
}

/// One factor of an assessment, as exported: a fixed shape, whatever the stored one adds.
#[derive(Debug, Serialize, Deserialize)]
struct Factor {
    key: String,
    axis: String,
    value: f64,
    weight: f64,
    derived: bool,
    missing: bool,
}

/// One line of `scores.ndjson`; the same names and values as `scores.csv`.
#[derive(Debug, Serialize)]
struct ScoreRecord<'a> {
    client_id: String,
    client_name: &'a str,
    country: Option<&'a str>,
    industry: Option<&'a str>,
    manager_id: Option<String>,
    manager_name: Option<&'a str>,
    model_version: i32,
    assessed_at: String,
    attractiveness: f64,
    loyalty: f64,
    quadrant: &'a str,
    explanation: &'a str,
    factors: Vec<Factor>,
}

impl<'a> ScoreRecord<'a> {
    fn new(row: &'a ScoreRow) -> AppResult<Self> {
        Ok(Self {
            client_id: node::encode(Kind::Client, row.client_id).0,
            client_name: &row.client_name,
            country: row.country.as_deref(),
            industry: row.industry.as_deref(),
            manager_id: user_id(row.manager_id),
            manager_name: row.manager_name.as_deref(),
            model_version: row.model_version,
            assessed_at: timestamp(row.assessed_at),
            attractiveness: row.attractiveness,
            loyalty: row.loyalty,
            quadrant: &row.quadrant,
            explanation: &row.explanation,
            factors: serde_json::from_value(row.factors.clone()).map_err(AppError::internal)?,
        })
    }
}

fn score_csv(row: &ScoreRow, out: &mut Vec<u8>) -> AppResult<()> {
    let record = ScoreRecord::new(row)?;
    let factors = serde_json::to_string(&record.factors).map_err(AppError::internal)?;
    out.extend(csv_record([
        record.client_id.as_str(),
        record.client_name,
        record.country.unwrap_or_default(),
        record.industry.unwrap_or_default(),
        record.manager_id.as_deref().unwrap_or_default(),
        record.manager_name.unwrap_or_default(),
        &record.model_version.to_string(),
        &record.assessed_at,
        &record.attractiveness.to_string(),
        &record.loyalty.to_string(),
        record.quadrant,
        record.explanation,
        &factors,
    ])?);
    Ok(())
}

fn score_ndjson(row: &ScoreRow, out: &mut Vec<u8>) -> AppResult<()> {
    serde_json::to_writer(&mut *out, &ScoreRecord::new(row)?).map_err(AppError::internal)?;
    out.push(b'\n');
    Ok(())
}

/// Amounts per currency, `GBP 1250.00; RUB 99000.50`, currencies in alphabetical order.
fn revenue_text(revenue: &[(String, i64)]) -> String {
    revenue
        .iter()
        .map(|(currency, e4)| format!("{currency} {}", money::from_e4(*e4)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn client_csv(row: &ClientExport, out: &mut Vec<u8>) -> AppResult<()> {
    let client = &row.client;
    let registry = REGISTRY_COLUMNS.map(|(scheme, _)| {
        row.registry_ids
            .iter()
            .filter(|(s, _)| s == scheme)
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
            .join(";")
    });
    let optional = |at: Option<DateTime<Utc>>| at.map(timestamp).unwrap_or_default();
    let [lei, inn, ogrn, gb, cik] = &registry;
    out.extend(csv_record([
        node::encode(Kind::Client, client.id).0.as_str(),
        &client.name,
        client.legal_name.as_deref().unwrap_or_default(),
        client.industry_code.as_deref().unwrap_or_default(),
        client.industry.as_deref().unwrap_or_default(),
        client.country.as_deref().unwrap_or_default(),
        client.region.as_deref().unwrap_or_default(),
        &client.status,
        user_id(client.manager_id).as_deref().unwrap_or_default(),
        client.manager_name.as_deref().unwrap_or_default(),
        lei,
        inn,
        ogrn,
        gb,
        cik,
        &timestamp(client.created_at),
        &timestamp(client.updated_at),
        &optional(client.last_interaction_at),
        &revenue_text(&row.revenue_12m),
        client.quadrant.as_deref().unwrap_or_default(),
        row.solvency.as_str(),
    ])?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_means_the_end_of_that_day_and_a_date_time_is_exact() {
        let day = parse_as_of("2026-01-31").map_err(|e| e.message()).unwrap();
        assert_eq!(timestamp(day), "2026-01-31T23:59:59.999999Z");
        let exact = parse_as_of("2026-01-31T10:00:00 03:00")
            .map_err(|e| e.message())
            .unwrap();
        assert_eq!(timestamp(exact), "2026-01-31T07:00:00.000000Z");
        assert!(parse_as_of("31.01.2026").is_err());
    }

    #[test]
    fn csv_fields_with_commas_quotes_and_cyrillic_are_quoted() {
        let line = csv_record(["ООО \"Ромашка\", Москва", "plain"]).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "\"ООО \"\"Ромашка\"\", Москва\",plain\n"
        );
    }

    #[test]
    fn unknown_parameters_and_bad_values_are_refused() {
        assert!(parse_params("colour=red", true).is_err());
        assert!(parse_params("status=HAPPY", true).is_err());
        assert!(parse_params("asOf=2026-01-01", false).is_err());
        let params = parse_params("status=active,LOST&country=ru&country=GB", true).unwrap();
        assert_eq!(
            params.filter.status,
            vec![ClientStatus::Active, ClientStatus::Lost]
        );
        assert_eq!(params.filter.country, vec!["RU", "GB"]);
    }
}
