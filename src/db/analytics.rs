//! Portfolio analytics over the kept score history and the interaction records: quadrant
//! migration between two dates, trailing revenue per client, per-manager load, growth signals,
//! and which clients' current scores are out of date.
//!
//! Every function here is one statement that aggregates in SQL; none runs a query per client.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    account_plan, client,
    enums::{InteractionKind, PlanStatus, Role},
    factor_rating, financial_check, interaction, score, user,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, StreamTrait,
    sea_query::{
        Alias, Asterisk, Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr, WindowStatement,
    },
};
use uuid::Uuid;

use super::clients::{ClientFilter, filter_condition};
use crate::error::AppResult;

/// What a client without an assessment at a date counts as in a migration.
pub const UNSCORED: &str = "UNSCORED";

/// The factor key whose rating is a growth signal.
pub const GROWTH_RATING_KEY: &str = "growth_prospects";

fn client_ids(filter: &ClientFilter) -> SelectStatement {
    client::Entity::find()
        .select_only()
        .column(client::Column::Id)
        .filter(filter_condition(filter))
        .into_query()
}

fn count_as(expr: SimpleExpr) -> SimpleExpr {
    Func::cast_as(Func::count(expr), "BIGINT").into()
}

fn sum_as(expr: SimpleExpr) -> SimpleExpr {
    let sum: SimpleExpr = Func::cast_as(Func::sum(expr), "BIGINT").into();
    Func::coalesce([sum, Expr::val(0i64)]).into()
}

/// 1 when `condition` holds, else 0: summed, it counts the rows it holds for.
fn one_if(condition: SimpleExpr) -> SimpleExpr {
    Expr::case(condition, Expr::val(1i64))
        .finally(Expr::val(0i64))
        .into()
}

/// `scores` rows of the outer client (`clients.id`).
fn scores_of_client() -> SelectStatement {
    Query::select()
        .expr(Expr::val(1i64))
        .from(score::Entity)
        .and_where(
            Expr::col((score::Entity, score::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .to_owned()
}

/// The quadrant of the outer client's latest assessment at or before `at`, else `UNSCORED`.
fn quadrant_at(at: DateTime<Utc>) -> SimpleExpr {
    let latest = Query::select()
        .column((score::Entity, score::Column::Quadrant))
        .from(score::Entity)
        .and_where(
            Expr::col((score::Entity, score::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(Expr::col((score::Entity, score::Column::AssessedAt)).lte(at))
        .order_by((score::Entity, score::Column::AssessedAt), Order::Desc)
        .order_by((score::Entity, score::Column::Id), Order::Desc)
        .limit(1)
        .to_owned();
    Func::coalesce([
        SimpleExpr::SubQuery(None, Box::new(latest.into())),
        Expr::val(UNSCORED),
    ])
    .into()
}

/// `(client_id, from_quadrant, to_quadrant)` of every client of `filter`.
fn placements(filter: &ClientFilter, from: DateTime<Utc>, to: DateTime<Utc>) -> SelectStatement {
    Query::select()
        .expr_as(
            Expr::col((client::Entity, client::Column::Id)),
            Alias::new("client_id"),
        )
        .expr_as(quadrant_at(from), Alias::new("from_quadrant"))
        .expr_as(quadrant_at(to), Alias::new("to_quadrant"))
        .from(client::Entity)
        .cond_where(filter_condition(filter))
        .to_owned()
}

/// How many clients went from one quadrant to another.
#[derive(Debug, Clone, FromQueryResult)]
pub struct MigrationCount {
    pub from_quadrant: String,
    pub to_quadrant: String,
    pub total: i64,
}

/// A client that changed quadrant.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Mover {
    pub client_id: Uuid,
    pub from_quadrant: String,
    pub to_quadrant: String,
}

/// The clients of `filter` by their quadrant as of `from` and as of `to` (the latest
/// assessment at or before each date, `UNSCORED` without one): the count of every
/// (from, to) pair present, and up to `movers_per_cell` clients of each pair that differs,
/// oldest client first. Two statements.
///
/// # Errors
/// On a database failure.
pub async fn migration<C: ConnectionTrait>(
    db: &C,
    filter: &ClientFilter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    movers_per_cell: u32,
) -> AppResult<(Vec<MigrationCount>, Vec<Mover>)> {
    let from_col = Alias::new("from_quadrant");
    let to_col = Alias::new("to_quadrant");
    let counts = Query::select()
        .column(from_col.clone())
        .column(to_col.clone())
        .expr_as(count_as(Expr::col(Asterisk)), Alias::new("total"))
        .from_subquery(placements(filter, from, to), Alias::new("placed"))
        .group_by_col(from_col.clone())
        .group_by_col(to_col.clone())
        .to_owned();
    let backend = db.get_database_backend();
    let counts = MigrationCount::find_by_statement(backend.build(&counts))
        .all(db)
        .await?;
    if movers_per_cell == 0 {
        return Ok((counts, Vec::new()));
    }
    let rank = Alias::new("kaim_rank");
    let mut window = WindowStatement::partition_by(from_col.clone());
    sea_orm::sea_query::OverStatement::partition_by(&mut window, to_col.clone());
    window.order_by(Alias::new("client_id"), Order::Asc);
    let ranked = Query::select()
        .columns([Alias::new("client_id"), from_col.clone(), to_col.clone()])
        .expr_window_as(Func::cust("ROW_NUMBER"), window, rank.clone())
        .from_subquery(placements(filter, from, to), Alias::new("placed"))
        .and_where(Expr::col(from_col.clone()).ne(Expr::col(to_col.clone())))
        .to_owned();
    let movers = Query::select()
        .columns([Alias::new("client_id"), from_col.clone(), to_col.clone()])
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank.clone()).lte(i64::from(movers_per_cell)))
        .order_by(from_col, Order::Asc)
        .order_by(to_col, Order::Asc)
        .order_by(rank, Order::Asc)
        .to_owned();
    let movers = Mover::find_by_statement(backend.build(&movers))
        .all(db)
        .await?;
    Ok((counts, movers))
}

/// A client's ORDER amounts in one currency: over the trailing window, and over the last two
/// quarters (the latest three months and the three before).
#[derive(Debug, Clone, FromQueryResult)]
pub struct OrderRevenue {
    pub client_id: Uuid,
    pub currency: Option<String>,
    /// Fixed point e4.
    pub total: i64,
    pub this_quarter: i64,
    pub previous_quarter: i64,
}

/// The ORDER revenue of the clients of `filter` since `since`, per client and currency, with
/// the last two quarters before `now` apart: one grouped statement. Clients without orders
/// with an amount are absent.
///
/// # Errors
/// On a database failure.
pub async fn order_revenue<C: ConnectionTrait>(
    db: &C,
    filter: &ClientFilter,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<Vec<OrderRevenue>> {
    let quarter = now - chrono::Months::new(3);
    let previous = now - chrono::Months::new(6);
    let amount = || Expr::col(interaction::Column::AmountE4);
    let at = || Expr::col(interaction::Column::OccurredAt);
    Ok(interaction::Entity::find()
        .select_only()
        .column(interaction::Column::ClientId)
        .column(interaction::Column::Currency)
        .column_as(sum_as(amount()), "total")
        .column_as(
            sum_as(
                Expr::case(at().gte(quarter), amount())
                    .finally(Expr::val(0i64))
                    .into(),
            ),
            "this_quarter",
        )
        .column_as(
            sum_as(
                Expr::case(at().gte(previous).and(at().lt(quarter)), amount())
                    .finally(Expr::val(0i64))
                    .into(),
            ),
            "previous_quarter",
        )
        .filter(interaction::Column::Kind.eq(InteractionKind::Order))
        .filter(interaction::Column::OccurredAt.gte(since))
        .filter(interaction::Column::AmountE4.is_not_null())
        .filter(interaction::Column::ClientId.in_subquery(client_ids(filter)))
        .group_by(interaction::Column::ClientId)
        .group_by(interaction::Column::Currency)
        .into_model::<OrderRevenue>()
        .all(db)
        .await?)
}

/// The workload of one manager (or, with no manager, of the unassigned clients).
#[derive(Debug, Clone, Default, FromQueryResult)]
pub struct LoadRow {
    pub manager_id: Option<Uuid>,
    pub clients: i64,
    pub key_accounts: i64,
    pub without_contact: i64,
    pub without_plan: i64,
    pub stale_scores: i64,
}

/// Per manager of the clients of `filter`: clients owned, KEY accounts (by current score),
/// clients with no interaction since `contact_since`, clients without an ACTIVE or DRAFT
/// account plan, and clients without an assessment since `scored_since`. One grouped
/// statement; unassigned clients form the row without a manager.
///
/// # Errors
/// On a database failure.
pub async fn manager_load<C: ConnectionTrait>(
    db: &C,
    filter: &ClientFilter,
    contact_since: DateTime<Utc>,
    scored_since: DateTime<Utc>,
) -> AppResult<Vec<LoadRow>> {
    let key = scores_of_client()
        .and_where(Expr::col((score::Entity, score::Column::IsCurrent)).eq(true))
        .and_where(
            Expr::col((score::Entity, score::Column::Quadrant))
                .eq(crate::domain::kaism::Quadrant::Key.as_str()),
        )
        .to_owned();
    let recent_scores = scores_of_client()
        .and_where(Expr::col((score::Entity, score::Column::AssessedAt)).gte(scored_since))
        .to_owned();
    let contact = Query::select()
        .expr(Expr::val(1i64))
        .from(interaction::Entity)
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::OccurredAt)).gte(contact_since),
        )
        .to_owned();
    let plan = Query::select()
        .expr(Expr::val(1i64))
        .from(account_plan::Entity)
        .and_where(
            Expr::col((account_plan::Entity, account_plan::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(
            Expr::col((account_plan::Entity, account_plan::Column::Status))
                .is_in([PlanStatus::Active.to_value(), PlanStatus::Draft.to_value()]),
        )
        .to_owned();
    let statement = Query::select()
        .column((client::Entity, client::Column::ManagerId))
        .expr_as(
            count_as(Expr::col((client::Entity, client::Column::Id))),
            Alias::new("clients"),
        )
        .expr_as(
            sum_as(one_if(Expr::exists(key))),
            Alias::new("key_accounts"),
        )
        .expr_as(
            sum_as(one_if(Expr::not_exists(contact))),
            Alias::new("without_contact"),
        )
        .expr_as(
            sum_as(one_if(Expr::not_exists(plan))),
            Alias::new("without_plan"),
        )
        .expr_as(
            sum_as(one_if(Expr::not_exists(recent_scores))),
            Alias::new("stale_scores"),
        )
        .from(client::Entity)
        .cond_where(filter_condition(filter))
        .group_by_col((client::Entity, client::Column::ManagerId))
        .to_owned();
    let backend = db.get_database_backend();
    Ok(LoadRow::find_by_statement(backend.build(&statement))
        .all(db)
        .await?)
}

/// The users with the MANAGER role, by name.
///
/// # Errors
/// On a database failure.
pub async fn managers<C: ConnectionTrait>(db: &C) -> AppResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::Manager))
        .order_by_asc(user::Column::Name)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?)
}

/// The `growth_prospects` ratings (1-10) of the clients of `filter`.
///
/// # Errors
/// On a database failure.
pub async fn growth_ratings<C: ConnectionTrait>(
    db: &C,
    filter: &ClientFilter,
) -> AppResult<HashMap<Uuid, f64>> {
    Ok(factor_rating::Entity::find()
        .select_only()
        .column(factor_rating::Column::ClientId)
        .column(factor_rating::Column::Rating)
        .filter(factor_rating::Column::FactorKey.eq(GROWTH_RATING_KEY))
        .filter(factor_rating::Column::ClientId.in_subquery(client_ids(filter)))
        .into_tuple::<(Uuid, f64)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The revenue trend of the clients of `filter`: (latest − previous) / previous between the
/// latest fiscal year and the one before, in the same currency, from the checks as
/// [`crate::domain::solvency::fold`] reads them; absent when the year before had no positive
/// revenue. One windowed statement.
///
/// # Errors
/// On a database failure.
pub async fn revenue_trends<C: ConnectionTrait + StreamTrait>(
    db: &C,
    filter: &ClientFilter,
) -> AppResult<HashMap<Uuid, f64>> {
    let mut trends = HashMap::new();
    let clients =
        Condition::all().add(financial_check::Column::ClientId.in_subquery(client_ids(filter)));
    super::checks::fold_recent(db, clients, |id, facts| {
        if let Some(figures) = facts.figures
            && let (Some(now), Some(then)) = (figures.revenue_e4, figures.previous_revenue_e4)
            && then > 0
        {
            #[expect(clippy::cast_precision_loss, reason = "a ratio of two revenues")]
            let trend = (now - then) as f64 / then as f64;
            trends.insert(id, trend);
        }
    })
    .await?;
    Ok(trends)
}

/// Current clients whose current score is out of date: never scored, or an ORDER
/// interaction or a financial check was recorded after it was made. One statement.
///
/// # Errors
/// On a database failure.
pub async fn stale_clients<C: ConnectionTrait>(db: &C) -> AppResult<HashSet<Uuid>> {
    let current = || Expr::col((score::Entity, score::Column::AssessedAt));
    let order_after = Query::select()
        .expr(Expr::val(1i64))
        .from(interaction::Entity)
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::Kind))
                .eq(InteractionKind::Order.to_value()),
        )
        .and_where(Expr::col((interaction::Entity, interaction::Column::CreatedAt)).gt(current()))
        .to_owned();
    let check_after = Query::select()
        .expr(Expr::val(1i64))
        .from(financial_check::Entity)
        .and_where(
            Expr::col((financial_check::Entity, financial_check::Column::ClientId))
                .equals((client::Entity, client::Column::Id)),
        )
        .and_where(
            Expr::col((financial_check::Entity, financial_check::Column::CreatedAt)).gt(current()),
        )
        .to_owned();
    let statement = Query::select()
        .column((client::Entity, client::Column::Id))
        .from(client::Entity)
        .left_join(
            score::Entity,
            Expr::col((score::Entity, score::Column::ClientId))
                .equals((client::Entity, client::Column::Id))
                .and(Expr::col((score::Entity, score::Column::IsCurrent)).eq(true)),
        )
        .and_where(Expr::col((client::Entity, client::Column::ArchivedAt)).is_null())
        .and_where(
            Expr::col((score::Entity, score::Column::Id))
                .is_null()
                .or(Expr::exists(order_after))
                .or(Expr::exists(check_after)),
        )
        .to_owned();
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(backend.build(&statement)).await?;
    let mut ids = HashSet::with_capacity(rows.len());
    for row in rows {
        ids.insert(row.try_get::<Uuid>("", "id")?);
    }
    Ok(ids)
}
