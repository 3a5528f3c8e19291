//! Indexes for the BI exports' keyset pages, which SQLite chooses with or without planner
//! statistics (see BENCHMARKS.md, "Findings"):
//!
//! - `idx_clients_archived_at_id` on `(archived_at, id)` replaces `idx_clients_archived_at`, so
//!   "current clients after this id, in id order" is one range of one index instead of every
//!   current client read and sorted for each page. Every other use (`archived_at IS NULL` in
//!   lists, counts and re-scoring) is served as before by its leading column.
//! - `idx_interactions_client_kind_occurred_at` on `(client_id, kind, occurred_at)`: a page's
//!   trailing-twelve-month ORDERs are read client by client, instead of every ORDER of the last
//!   twelve months through `idx_interactions_kind_occurred_at` for each page.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(
            manager,
            "idx_clients_archived_at_id",
            Clients::Table,
            &[Clients::ArchivedAt, Clients::Id],
        )
        .await?;
        drop_index(manager, "idx_clients_archived_at", Clients::Table).await?;
        create_index(
            manager,
            "idx_interactions_client_kind_occurred_at",
            Interactions::Table,
            &[
                Interactions::ClientId,
                Interactions::Kind,
                Interactions::OccurredAt,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(
            manager,
            "idx_interactions_client_kind_occurred_at",
            Interactions::Table,
        )
        .await?;
        create_index(
            manager,
            "idx_clients_archived_at",
            Clients::Table,
            &[Clients::ArchivedAt],
        )
        .await?;
        drop_index(manager, "idx_clients_archived_at_id", Clients::Table).await
    }
}

async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: &[C],
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden + Copy,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index).await
}

async fn drop_index<T: IntoIden>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
) -> Result<(), DbErr> {
    manager
        .drop_index(Index::drop().name(name).table(table).to_owned())
        .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    ArchivedAt,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    ClientId,
    Kind,
    OccurredAt,
}
