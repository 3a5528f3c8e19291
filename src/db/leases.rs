//! Leases: a named claim with an expiry, held by one instance at a time, so that a periodic
//! job runs once per interval however many instances share the database.
//!
//! Each acquisition is one atomic statement, so two instances racing for a lease cannot both
//! win: an `INSERT ... ON CONFLICT DO NOTHING` for a lease nobody ever held, else an `UPDATE`
//! that succeeds only when the caller already holds the lease or it has expired.

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DeriveIden,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

use crate::error::{AppError, AppResult};

#[derive(DeriveIden, Clone, Copy)]
enum Leases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}

/// Takes or renews the lease `name` for `holder` until `expires_at`. True when `holder` now
/// holds it: nobody held it, it had expired at `now`, or `holder` held it already.
///
/// # Errors
/// On a database failure.
pub async fn acquire<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> AppResult<bool> {
    let insert = Query::insert()
        .into_table(Leases::Table)
        .columns([Leases::Name, Leases::Holder, Leases::ExpiresAt])
        .values([name.into(), holder.into(), expires_at.into()])
        .map_err(AppError::internal)?
        .on_conflict(OnConflict::column(Leases::Name).do_nothing().to_owned())
        .to_owned();
    if db.execute(&insert).await?.rows_affected() == 1 {
        return Ok(true);
    }
    let update = Query::update()
        .table(Leases::Table)
        .value(Leases::Holder, holder)
        .value(Leases::ExpiresAt, expires_at)
        .and_where(Expr::col(Leases::Name).eq(name))
        .and_where(
            Expr::col(Leases::Holder)
                .eq(holder)
                .or(Expr::col(Leases::ExpiresAt).lt(now)),
        )
        .to_owned();
    Ok(db.execute(&update).await?.rows_affected() == 1)
}

/// Gives the lease up if `holder` holds it, so another instance may take it at once.
///
/// # Errors
/// On a database failure.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str) -> AppResult<()> {
    let delete = Query::delete()
        .from_table(Leases::Table)
        .and_where(Expr::col(Leases::Name).eq(name))
        .and_where(Expr::col(Leases::Holder).eq(holder))
        .to_owned();
    db.execute(&delete).await?;
    Ok(())
}

/// Who holds the lease `name` and until when, if anyone ever took it.
///
/// # Errors
/// On a database failure.
pub async fn holder<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> AppResult<Option<(String, DateTime<Utc>)>> {
    let select = Query::select()
        .columns([Leases::Holder, Leases::ExpiresAt])
        .from(Leases::Table)
        .and_where(Expr::col(Leases::Name).eq(name))
        .to_owned();
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    let holder: String = row.try_get("", "holder")?;
    let expires_at: DateTime<Utc> = row.try_get("", "expires_at")?;
    Ok(Some((holder, expires_at)))
}
