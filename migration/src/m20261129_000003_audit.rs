//! The audit trail: one row per write, recorded in the writing transaction.
//!
//! No foreign keys: an audit row outlives what it describes (a removed contact, a user whose
//! token named no stored user), and it is never updated.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(pk_uuid(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .col(uuid(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::ActorRole, 16))
                    .col(string_len(AuditEvents::Action, 24))
                    .col(string_len(AuditEvents::EntityType, 32))
                    .col(uuid(AuditEvents::EntityId))
                    .col(uuid_null(AuditEvents::ClientId))
                    .col(json(AuditEvents::Changes))
                    .to_owned(),
            )
            .await?;
        // `Client.history`: a client's events, newest first, ending in `id` like every ordering.
        for (name, columns) in [
            (
                "idx_audit_events_client_occurred_at",
                &[
                    AuditEvents::ClientId,
                    AuditEvents::OccurredAt,
                    AuditEvents::Id,
                ][..],
            ),
            (
                "idx_audit_events_entity",
                &[
                    AuditEvents::EntityType,
                    AuditEvents::EntityId,
                    AuditEvents::OccurredAt,
                ],
            ),
            ("idx_audit_events_actor_id", &[AuditEvents::ActorId]),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorId,
    ActorRole,
    Action,
    EntityType,
    EntityId,
    ClientId,
    Changes,
}
