//! Partial indexes for the portfolio's own orderings. Lists show current clients
//! (`archived_at IS NULL`) by name, creation or last change, then id: with an index on exactly
//! those rows in exactly that order, a page, however deep its cursor, is one index range that
//! stops after the page, and `totalCount` counts the smallest index there is. The full indexes
//! of the first migration stay for archived lists.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each index: its name and the ordering it serves.
const INDEXES: [(&str, Clients); 3] = [
    ("idx_clients_current_name", Clients::Name),
    ("idx_clients_current_created_at", Clients::CreatedAt),
    ("idx_clients_current_updated_at", Clients::UpdatedAt),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Clients::Table)
                        .col(column)
                        .col(Clients::Id)
                        .and_where(Expr::col(Clients::ArchivedAt).is_null())
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Clients::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    Name,
    CreatedAt,
    UpdatedAt,
    ArchivedAt,
    Id,
}
