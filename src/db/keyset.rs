//! Keyset pagination: a page starts strictly after (or before) the sort key of a cursor row, so
//! deep pages cost the same as the first and concurrent inserts never shift a page.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Order,
    QueryFilter, QuerySelect, QueryTrait, Select, Statement,
    sea_query::{
        Alias, Asterisk, Expr, ExprTrait, Func, PostgresQueryBuilder, Query, SimpleExpr, Value,
        WindowStatement,
    },
};
use uuid::Uuid;

/// One term of an ordering. The expression must never be NULL (wrap nullable columns in
/// `COALESCE`), because NULLs order differently on SQLite and PostgreSQL.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub expr: SimpleExpr,
    pub descending: bool,
}

impl SortKey {
    #[must_use]
    pub fn new(expr: impl Into<SimpleExpr>, descending: bool) -> Self {
        Self {
            expr: expr.into(),
            descending,
        }
    }

    /// The order to sort by; `reverse` walks the ordering backwards (for `last`/`before`).
    #[must_use]
    pub const fn order(&self, reverse: bool) -> Order {
        if self.descending == reverse {
            Order::Asc
        } else {
            Order::Desc
        }
    }
}

/// What part of an ordering to fetch.
#[derive(Debug, Clone, Default)]
pub struct Window {
    /// Rows wanted; one more is fetched to learn whether more exist.
    pub limit: u64,
    /// Walk the ordering backwards from `cursor` (`last`/`before`).
    pub backward: bool,
    /// Sort-key values of the row to start after, one per key.
    pub cursor: Option<Vec<Value>>,
}

/// Rows strictly beyond `values` in the order of `keys` (walked backwards when `reverse`).
///
/// When every key sorts the same way (the common case: one term and the id), this is the
/// row-value comparison `(k1, k2, ...) > (v1, v2, ...)`, which both databases use as one
/// index range condition, so a deep page starts where the index says rather than after
/// filtering every row before it. Mixed directions need the expanded form
/// `(k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...`.
#[must_use]
pub fn beyond(keys: &[SortKey], values: &[Value], reverse: bool) -> Condition {
    let keys = &keys[..keys.len().min(values.len())];
    let values = &values[..keys.len()];
    let Some(first) = keys.first() else {
        return Condition::all();
    };
    let ascending = matches!(first.order(reverse), Order::Asc);
    if keys
        .iter()
        .all(|key| matches!(key.order(reverse), Order::Asc) == ascending)
    {
        let left = Expr::tuple(keys.iter().map(|key| key.expr.clone()));
        let right = Expr::tuple(values.iter().cloned().map(Expr::val));
        let step = if ascending {
            left.gt(right)
        } else {
            left.lt(right)
        };
        return Condition::all().add(step);
    }
    let mut any = Condition::any();
    for (i, key) in keys.iter().enumerate() {
        let mut all = Condition::all();
        for (prev, prev_value) in keys.iter().zip(values).take(i) {
            all = all.add(Expr::expr(prev.expr.clone()).eq(prev_value.clone()));
        }
        let term = Expr::expr(key.expr.clone());
        let step = if matches!(key.order(reverse), Order::Asc) {
            term.gt(values[i].clone())
        } else {
            term.lt(values[i].clone())
        };
        any = any.add(all.add(step));
    }
    any
}

/// The first `window.limit + 1` rows of each parent in `parents`, ordered by `keys` within each
/// parent, in one statement, so a nested connection costs one query for a whole page of
/// parents. Rows come grouped by parent, each group in walking order (display order, reversed
/// when `window.backward`).
///
/// PostgreSQL walks each parent's index range and stops after the page
/// (`unnest($n::uuid[]) CROSS JOIN LATERAL (... ORDER BY ... LIMIT ...)`, one statement shape
/// for any number of parents); SQLite, which has no `LATERAL`, numbers each parent's rows
/// (`ROW_NUMBER() OVER (PARTITION BY parent ...)`).
///
/// # Errors
/// On a database failure.
pub async fn first_per_parent<E, C>(
    db: &C,
    select: Select<E>,
    parent: E::Column,
    keys: &[SortKey],
    window: &Window,
    parents: &[Uuid],
) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let limit = i64::try_from(window.limit.saturating_add(1)).unwrap_or(i64::MAX);
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        const PARENTS: &str = "kaim_parents";
        let mut inner = select
            .filter(Expr::col(parent).equals((Alias::new(PARENTS), Alias::new("id"))))
            .into_query();
        if let Some(cursor) = &window.cursor {
            inner.cond_where(beyond(keys, cursor, window.backward));
        }
        for key in keys {
            inner.order_by_expr(key.expr.clone(), key.order(window.backward));
        }
        inner.limit(limit.unsigned_abs());
        let (sql, mut values) = inner.build(PostgresQueryBuilder);
        values.0.push(parents.to_vec().into());
        let sql = format!(
            "SELECT kaim_page.* FROM unnest(${}::uuid[]) AS {PARENTS}(id) \
             CROSS JOIN LATERAL ({sql}) AS kaim_page",
            values.0.len()
        );
        let statement = Statement::from_sql_and_values(backend, sql, values);
        return E::find().from_raw_sql(statement).all(db).await;
    }
    const ROW_NUMBER: &str = "kaim_row_number";
    let mut inner = select
        .filter(parent.is_in(parents.iter().copied()))
        .into_query();
    if let Some(cursor) = &window.cursor {
        inner.cond_where(beyond(keys, cursor, window.backward));
    }
    let mut partition = WindowStatement::partition_by(parent);
    for key in keys {
        partition.order_by_expr(key.expr.clone(), key.order(window.backward));
    }
    inner.expr_window_as(Func::cust("ROW_NUMBER"), partition, ROW_NUMBER);
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, "ranked")
        .and_where(Expr::col(ROW_NUMBER).lte(limit))
        .order_by(parent, Order::Asc)
        .order_by(ROW_NUMBER, Order::Asc)
        .to_owned();
    let statement = backend.build(&outer);
    E::find().from_raw_sql(statement).all(db).await
}

#[derive(Debug, FromQueryResult)]
struct ParentCount {
    parent: Uuid,
    total: i64,
}

/// How many rows of `select` each parent has, in one grouped statement.
///
/// # Errors
/// On a database failure.
pub async fn count_per_parent<E, C>(
    db: &C,
    select: Select<E>,
    parent: E::Column,
    parents: &[Uuid],
) -> Result<HashMap<Uuid, i64>, DbErr>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows = select
        .select_only()
        .column_as(parent, "parent")
        .column_as(Expr::col(Asterisk).count(), "total")
        .filter(super::one_of(db.get_database_backend(), parent, parents))
        .group_by(parent)
        .into_model::<ParentCount>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.parent, row.total))
        .collect())
}

/// A list nested under a parent object (a client's contacts, interactions, checks...): how to
/// select, order and group it, so that one generic batch loader serves every nested connection.
pub trait PerParent: Send + Sync + 'static {
    type Entity: EntityTrait<Model = Self::Model>;
    type Model: Clone + Send + Sync + FromQueryResult + 'static;
    /// Narrows the list (an interaction kind, a date range...); `()` when there is none.
    type Filter: Clone + std::hash::Hash + Eq + Send + Sync + 'static;

    /// Names the ordering inside cursors, so a cursor of another list is refused.
    const SIGNATURE: &'static str;

    /// The column holding the parent's id.
    fn parent_column() -> <Self::Entity as EntityTrait>::Column;
    /// The parent of a row.
    fn parent_of(model: &Self::Model) -> Uuid;
    /// The rows, filtered.
    fn select(filter: &Self::Filter) -> Select<Self::Entity>;
    /// The ordering, ending in a unique column.
    fn sort_keys() -> Vec<SortKey>;
    /// A row's values of [`Self::sort_keys`], for its cursor.
    fn sort_values(model: &Self::Model) -> Vec<Value>;
}
