//! Leases: a named, expiring claim one instance holds so that a periodic job (the scheduled
//! re-scoring) runs on one instance at a time when several share the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Leases::Table)
                    .col(string_len(Leases::Name, 64).primary_key())
                    .col(string_len(Leases::Holder, 128))
                    .col(timestamp_with_time_zone(Leases::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Leases::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Leases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}
