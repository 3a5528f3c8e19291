//! Reading the portfolio for BI exports: clients and their scores in pages of a fixed size,
//! walked by client id (keyset), so an export of any size holds one page in memory and each
//! statement is short (no read transaction is kept open while a slow reader downloads).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{client, registry_id, score, user};
use futures::Stream;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, FromQueryResult, Order, StreamTrait,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};
use uuid::Uuid;

use super::clients::{ClientFilter, filter_condition, revenue_12m};
use crate::{
    domain::solvency::{self, Risk},
    error::AppResult,
};

/// Rows per page: large enough that statements are few, small enough to stay a few megabytes.
pub const PAGE_SIZE: u64 = 1000;

/// One client's assessment as exported.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ScoreRow {
    pub client_id: Uuid,
    pub client_name: String,
    pub country: Option<String>,
    pub industry: Option<String>,
    pub manager_id: Option<Uuid>,
    pub manager_name: Option<String>,
    pub model_version: i32,
    pub assessed_at: DateTime<Utc>,
    pub attractiveness: f64,
    pub loyalty: f64,
    pub quadrant: String,
    pub explanation: String,
    /// The stored factor array (see `domain::kaism::FactorScore`).
    pub factors: serde_json::Value,
}

/// One client as exported, before its registry ids and revenue are attached.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ClientRow {
    pub id: Uuid,
    pub name: String,
    pub legal_name: Option<String>,
    pub industry_code: Option<String>,
    pub industry: Option<String>,
    pub country: Option<String>,
    pub region: Option<String>,
    pub status: String,
    pub manager_id: Option<Uuid>,
    pub manager_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The current score's quadrant; `None` while unscored.
    pub quadrant: Option<String>,
}

/// A client with what the export adds from other tables.
#[derive(Debug, Clone)]
pub struct ClientExport {
    pub client: ClientRow,
    /// `(scheme, value)` in scheme then value order.
    pub registry_ids: Vec<(String, String)>,
    /// Trailing-twelve-month ORDER amounts per currency (fixed point e4), in currency order.
    pub revenue_12m: Vec<(String, i64)>,
    /// The solvency risk level its recent financial checks give (`Client.solvency`).
    pub solvency: Risk,
}

fn manager_join() -> (Expr, Expr) {
    (
        Expr::col((user::Entity, user::Column::Id)),
        Expr::col((client::Entity, client::Column::ManagerId)),
    )
}

/// The clients of `filter` after `after`, in id order, `limit` of them.
fn page_of_clients(
    select: &mut SelectStatement,
    filter: &ClientFilter,
    after: Option<Uuid>,
    limit: u64,
) {
    select
        .cond_where(filter_condition(filter))
        .order_by((client::Entity, client::Column::Id), Order::Asc)
        .limit(limit);
    if let Some(after) = after {
        select.and_where(Expr::col((client::Entity, client::Column::Id)).gt(after));
    }
}

/// The assessment each client had at `as_of` (its latest at or before it), or its current one.
fn score_join(as_of: Option<DateTime<Utc>>) -> Expr {
    let same_client = Expr::col((score::Entity, score::Column::ClientId))
        .equals((client::Entity, client::Column::Id));
    match as_of {
        // The bare column matches the predicate of the partial unique index
        // `uq_scores_current_client`, so SQLite probes it; `= true` made it scan every current
        // score per client.
        None => same_client.and(Expr::col((score::Entity, score::Column::IsCurrent))),
        Some(at) => {
            // Served by the (client_id, assessed_at, id) index: one index probe per client.
            let past = Alias::new("past");
            let latest = Query::select()
                .column((past.clone(), score::Column::Id))
                .from_as(score::Entity, past.clone())
                .and_where(
                    Expr::col((past.clone(), score::Column::ClientId))
                        .equals((client::Entity, client::Column::Id)),
                )
                .and_where(Expr::col((past.clone(), score::Column::AssessedAt)).lte(at))
                .order_by((past.clone(), score::Column::AssessedAt), Order::Desc)
                .order_by((past, score::Column::Id), Order::Desc)
                .limit(1)
                .to_owned();
            same_client.and(Expr::col((score::Entity, score::Column::Id)).in_subquery(latest))
        }
    }
}

/// One page of scored clients of `filter`, in client id order, starting after `after`.
/// Clients without an assessment (at `as_of`, or at all) are not in it.
///
/// # Errors
/// On a database failure.
pub async fn scores_page<C: ConnectionTrait>(
    db: &C,
    filter: &ClientFilter,
    as_of: Option<DateTime<Utc>>,
    after: Option<Uuid>,
    limit: u64,
) -> AppResult<Vec<ScoreRow>> {
    let (user_id, manager_id) = manager_join();
    let mut select = Query::select();
    select
        .expr_as(
            Expr::col((client::Entity, client::Column::Id)),
            Alias::new("client_id"),
        )
        .expr_as(
            Expr::col((client::Entity, client::Column::Name)),
            Alias::new("client_name"),
        )
        .column((client::Entity, client::Column::Country))
        .column((client::Entity, client::Column::Industry))
        .column((client::Entity, client::Column::ManagerId))
        .expr_as(
            Expr::col((user::Entity, user::Column::Name)),
            Alias::new("manager_name"),
        )
        .columns([
            (score::Entity, score::Column::ModelVersion),
            (score::Entity, score::Column::AssessedAt),
            (score::Entity, score::Column::Attractiveness),
            (score::Entity, score::Column::Loyalty),
            (score::Entity, score::Column::Quadrant),
            (score::Entity, score::Column::Explanation),
            (score::Entity, score::Column::Factors),
        ])
        .from(client::Entity)
        .inner_join(score::Entity, score_join(as_of))
        .left_join(user::Entity, user_id.eq(manager_id));
    page_of_clients(&mut select, filter, after, limit);
    let statement = db.get_database_backend().build(&select);
    Ok(ScoreRow::find_by_statement(statement).all(db).await?)
}

/// One page of the clients of `filter`, in id order, starting after `after`, with their
/// registry ids, trailing revenue and solvency risk: four statements per page.
///
/// # Errors
/// On a database failure.
pub async fn clients_page<C: ConnectionTrait + StreamTrait>(
    db: &C,
    filter: &ClientFilter,
    after: Option<Uuid>,
    limit: u64,
    now: DateTime<Utc>,
) -> AppResult<Vec<ClientExport>> {
    let select = clients_page_select(filter, after, limit);
    let statement = ConnectionTrait::get_database_backend(db).build(&select);
    let rows = ClientRow::find_by_statement(statement).all(db).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut registry: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    for id in super::clients::registry_ids_by_clients(db, &ids).await? {
        registry
            .entry(id.client_id)
            .or_default()
            .push((registry_scheme(&id), id.value));
    }
    let mut revenue = revenue_12m(db, &ids, now).await?;
    let facts = super::checks::facts_by_clients(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|client| ClientExport {
            registry_ids: registry.remove(&client.id).unwrap_or_default(),
            revenue_12m: revenue.remove(&client.id).unwrap_or_default(),
            solvency: facts
                .get(&client.id)
                .map_or(Risk::Unknown, |facts| solvency::assess(facts).level),
            client,
        })
        .collect())
}

/// The statement of one page of [`clients_page`], before registry ids, revenue and solvency.
fn clients_page_select(filter: &ClientFilter, after: Option<Uuid>, limit: u64) -> SelectStatement {
    let (user_id, manager_id) = manager_join();
    let mut select = Query::select();
    select
        .columns([
            (client::Entity, client::Column::Id),
            (client::Entity, client::Column::Name),
            (client::Entity, client::Column::LegalName),
            (client::Entity, client::Column::IndustryCode),
            (client::Entity, client::Column::Industry),
            (client::Entity, client::Column::Country),
            (client::Entity, client::Column::Region),
            (client::Entity, client::Column::Status),
            (client::Entity, client::Column::ManagerId),
            (client::Entity, client::Column::CreatedAt),
            (client::Entity, client::Column::UpdatedAt),
            (client::Entity, client::Column::LastInteractionAt),
        ])
        .expr_as(
            Expr::col((user::Entity, user::Column::Name)),
            Alias::new("manager_name"),
        )
        .column((score::Entity, score::Column::Quadrant))
        .from(client::Entity)
        .left_join(user::Entity, user_id.eq(manager_id))
        .left_join(score::Entity, score_join(None));
    page_of_clients(&mut select, filter, after, limit);
    select
}

fn registry_scheme(id: &registry_id::Model) -> String {
    sea_orm::ActiveEnum::to_value(&id.scheme)
}

/// Pages from `fetch` until one comes back short: keyset paging by the last row's client id.
fn paged<T, F, Fut>(
    db: DatabaseConnection,
    key: fn(&T) -> Uuid,
    fetch: F,
) -> impl Stream<Item = AppResult<Vec<T>>> + 'static
where
    T: 'static,
    F: Fn(DatabaseConnection, Option<Uuid>) -> Fut + 'static,
    Fut: Future<Output = AppResult<Vec<T>>> + 'static,
{
    futures::stream::try_unfold((db, None::<Uuid>, false), move |(db, after, done)| {
        let page = (!done).then(|| fetch(db.clone(), after));
        async move {
            let Some(page) = page else {
                return Ok(None);
            };
            let rows = page.await?;
            let Some(last) = rows.last().map(key) else {
                return Ok(None);
            };
            let full = rows.len() as u64 >= PAGE_SIZE;
            Ok(Some((rows, (db, Some(last), !full))))
        }
    })
}

/// The scored clients of `filter` as they were at `as_of` (or now), page after page.
pub fn scores(
    db: DatabaseConnection,
    filter: ClientFilter,
    as_of: Option<DateTime<Utc>>,
) -> impl Stream<Item = AppResult<Vec<ScoreRow>>> + 'static {
    let filter = std::sync::Arc::new(filter);
    paged(
        db,
        |row: &ScoreRow| row.client_id,
        move |db, after| {
            let filter = std::sync::Arc::clone(&filter);
            async move { scores_page(&db, &filter, as_of, after, PAGE_SIZE).await }
        },
    )
}

/// The clients of `filter`, page after page; revenue is the twelve months before `now`.
pub fn clients(
    db: DatabaseConnection,
    filter: ClientFilter,
    now: DateTime<Utc>,
) -> impl Stream<Item = AppResult<Vec<ClientExport>>> + 'static {
    let filter = std::sync::Arc::new(filter);
    paged(
        db,
        |row: &ClientExport| row.client.id,
        move |db, after| {
            let filter = std::sync::Arc::clone(&filter);
            async move { clients_page(&db, &filter, after, PAGE_SIZE, now).await }
        },
    )
}

#[cfg(test)]
mod tests {
    use sea_orm::{DatabaseBackend, FromQueryResult, Statement};

    use super::*;

    #[derive(FromQueryResult)]
    struct PlanStep {
        detail: String,
    }

    /// SQLite's plan of `select`, one step per line.
    async fn plan(db: &DatabaseConnection, select: &SelectStatement) -> String {
        let statement = DatabaseBackend::Sqlite.build(select);
        let explain = Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            format!("EXPLAIN QUERY PLAN {}", statement.sql),
            statement.values.map(|values| values.0).unwrap_or_default(),
        );
        let steps = PlanStep::find_by_statement(explain).all(db).await;
        steps
            .map(|steps| steps.into_iter().map(|step| step.detail + "\n").collect())
            .unwrap_or_else(|e| panic!("EXPLAIN QUERY PLAN failed: {e}"))
    }

    #[tokio::test]
    async fn an_export_page_walks_the_current_clients_in_id_order_without_sorting() {
        let db = crate::db::connect("sqlite::memory:", 1)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        crate::db::migrate(&db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let select = clients_page_select(&ClientFilter::default(), Some(Uuid::now_v7()), PAGE_SIZE);
        let plan = plan(&db, &select).await;
        assert!(
            plan.contains("idx_clients_archived_at_id (archived_at=? AND id>?)"),
            "{plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}
