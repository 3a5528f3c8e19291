//! kaim's database migrations, one per file, each with `up` and `down`. They run at start-up
//! (`kaim serve`) or on demand (`kaim migrate`), on SQLite and PostgreSQL alike.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_initial;
mod m20261129_000002_tokens;
mod m20261129_000003_audit;
mod m20261129_000004_scoring;
mod m20261129_000005_leases;
mod m20261129_000006_registry_cache;
mod m20261129_000007_registry_rechecks;
mod m20261129_000008_export_indexes;
mod m20261129_000009_external_subjects;
mod m20261129_000010_registry_search_cache;
mod m20261204_000011_current_client_indexes;

/// Every migration, in the order it applies.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_initial::Migration),
            Box::new(m20261129_000002_tokens::Migration),
            Box::new(m20261129_000003_audit::Migration),
            Box::new(m20261129_000004_scoring::Migration),
            Box::new(m20261129_000005_leases::Migration),
            Box::new(m20261129_000006_registry_cache::Migration),
            Box::new(m20261129_000007_registry_rechecks::Migration),
            Box::new(m20261129_000008_export_indexes::Migration),
            Box::new(m20261129_000009_external_subjects::Migration),
            Box::new(m20261129_000010_registry_search_cache::Migration),
            Box::new(m20261204_000011_current_client_indexes::Migration),
        ]
    }
}
