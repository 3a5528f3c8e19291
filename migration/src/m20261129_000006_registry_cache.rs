//! The registry cache: the latest answer of each registry about each identifier, shared by
//! every instance, served until it expires.
//!
//! One row per (provider, scheme, value), replaced on each fresh answer. No foreign key to
//! clients: an answer is about a registry identifier, which several clients may have had.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistryCache::Table)
                    .col(pk_uuid(RegistryCache::Id))
                    .col(string_len(RegistryCache::Provider, 32))
                    .col(string_len(RegistryCache::Scheme, 32))
                    .col(string_len(RegistryCache::Value, 64))
                    .col(timestamp_with_time_zone(RegistryCache::FetchedAt))
                    .col(timestamp_with_time_zone(RegistryCache::ExpiresAt))
                    .col(json(RegistryCache::Profile))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_registry_cache_provider_scheme_value")
                    .table(RegistryCache::Table)
                    .col(RegistryCache::Provider)
                    .col(RegistryCache::Scheme)
                    .col(RegistryCache::Value)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // `Client.registryProfile` reads every provider's answer about one identifier.
        manager
            .create_index(
                Index::create()
                    .name("idx_registry_cache_scheme_value")
                    .table(RegistryCache::Table)
                    .col(RegistryCache::Scheme)
                    .col(RegistryCache::Value)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegistryCache::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RegistryCache {
    Table,
    Id,
    Provider,
    Scheme,
    Value,
    FetchedAt,
    ExpiresAt,
    Profile,
}
