//! KAISM scoring: the versioned scoring models, the managers' factor ratings and every
//! assessment ever made (scores are only inserted; the newest of a client is flagged current).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScoringModels::Table)
                    .col(integer(ScoringModels::Version).primary_key())
                    .col(json(ScoringModels::Model))
                    .col(timestamp_with_time_zone(ScoringModels::CreatedAt))
                    .col(uuid_null(ScoringModels::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FactorRatings::Table)
                    .col(uuid(FactorRatings::ClientId))
                    .col(string_len(FactorRatings::FactorKey, 64))
                    .col(double(FactorRatings::Rating))
                    .col(uuid_null(FactorRatings::RatedBy))
                    .col(timestamp_with_time_zone(FactorRatings::RatedAt))
                    .primary_key(
                        Index::create()
                            .col(FactorRatings::ClientId)
                            .col(FactorRatings::FactorKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(FactorRatings::Table, FactorRatings::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Scores::Table)
                    .col(pk_uuid(Scores::Id))
                    .col(uuid(Scores::ClientId))
                    .col(integer(Scores::ModelVersion))
                    .col(double(Scores::Attractiveness))
                    .col(double(Scores::Loyalty))
                    .col(string_len(Scores::Quadrant, 16))
                    .col(json(Scores::Factors))
                    .col(text(Scores::Explanation))
                    .col(timestamp_with_time_zone(Scores::AssessedAt))
                    .col(boolean(Scores::IsCurrent))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Scores::Table, Scores::ClientId)
                            .to(Clients::Table, Clients::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // `Client.scoreHistory` (newest first, ending in `id`) and the state of the portfolio at
        // a past date (the latest assessment at or before it).
        manager
            .create_index(
                Index::create()
                    .name("idx_scores_client_assessed_at")
                    .table(Scores::Table)
                    .col(Scores::ClientId)
                    .col(Scores::AssessedAt)
                    .col(Scores::Id)
                    .to_owned(),
            )
            .await?;
        // The matrix and the quadrant filter read current scores by quadrant.
        manager
            .create_index(
                Index::create()
                    .name("idx_scores_current_quadrant")
                    .table(Scores::Table)
                    .col(Scores::IsCurrent)
                    .col(Scores::Quadrant)
                    .col(Scores::ClientId)
                    .to_owned(),
            )
            .await?;
        // At most one current assessment per client. sea-query has no partial indexes; this
        // statement reads the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_scores_current_client ON scores (client_id) WHERE is_current",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Scores::Table.into_iden(),
            FactorRatings::Table.into_iden(),
            ScoringModels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum ScoringModels {
    Table,
    Version,
    Model,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum FactorRatings {
    Table,
    ClientId,
    FactorKey,
    Rating,
    RatedBy,
    RatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Scores {
    Table,
    Id,
    ClientId,
    ModelVersion,
    Attractiveness,
    Loyalty,
    Quadrant,
    Factors,
    Explanation,
    AssessedAt,
    IsCurrent,
}
