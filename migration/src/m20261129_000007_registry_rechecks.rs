//! Registry re-checks: when each client was last re-checked against the public registries and
//! when it is next due, so a client whose registries failed or found nothing is not asked again
//! in every round, and a round serves the longest-waiting clients first.
//!
//! One row per client, replaced by each attempt; removed with the client.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistryRechecks::Table)
                    .col(uuid(RegistryRechecks::ClientId).primary_key())
                    .col(timestamp_with_time_zone(RegistryRechecks::AttemptedAt))
                    .col(timestamp_with_time_zone(RegistryRechecks::NextDueAt))
                    .col(string_len(RegistryRechecks::Outcome, 16))
                    .col(text_null(RegistryRechecks::Error))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RegistryRechecks::Table, RegistryRechecks::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A round picks the clients due soonest.
        manager
            .create_index(
                Index::create()
                    .name("idx_registry_rechecks_next_due_at")
                    .table(RegistryRechecks::Table)
                    .col(RegistryRechecks::NextDueAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegistryRechecks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RegistryRechecks {
    Table,
    ClientId,
    AttemptedAt,
    NextDueAt,
    Outcome,
    Error,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    Id,
}
