//! The registry search cache: the latest answer of each registry to each name search, shared by
//! every instance, served until it expires, so that a repeated search spends no registry quota.
//!
//! One row per (provider, normalised query, country), replaced on each fresh answer. The
//! country is empty for a search in every country.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistrySearchCache::Table)
                    .col(pk_uuid(RegistrySearchCache::Id))
                    .col(string_len(RegistrySearchCache::Provider, 32))
                    // Folded names may grow under NFKC: no length limit here, the API limits
                    // the name it takes.
                    .col(text(RegistrySearchCache::Query))
                    .col(string_len(RegistrySearchCache::Country, 2))
                    .col(timestamp_with_time_zone(RegistrySearchCache::FetchedAt))
                    .col(timestamp_with_time_zone(RegistrySearchCache::ExpiresAt))
                    .col(json(RegistrySearchCache::Candidates))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_registry_search_cache_provider_query_country")
                    .table(RegistrySearchCache::Table)
                    .col(RegistrySearchCache::Provider)
                    .col(RegistrySearchCache::Query)
                    .col(RegistrySearchCache::Country)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegistrySearchCache::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum RegistrySearchCache {
    Table,
    Id,
    Provider,
    Query,
    Country,
    FetchedAt,
    ExpiresAt,
    Candidates,
}
