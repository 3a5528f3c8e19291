//! Issued tokens: what kaim minted (service tokens and `kaim token`), so that any instance can
//! refuse a revoked one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IssuedTokens::Table)
                    // The token's `jti`: every request looks it up by this key.
                    .col(pk_uuid(IssuedTokens::Jti))
                    .col(uuid(IssuedTokens::UserId))
                    .col(string_len(IssuedTokens::Role, 16))
                    .col(string(IssuedTokens::Name))
                    .col(text_null(IssuedTokens::Description))
                    .col(timestamp_with_time_zone(IssuedTokens::IssuedAt))
                    .col(timestamp_with_time_zone(IssuedTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(IssuedTokens::RevokedAt))
                    .col(uuid_null(IssuedTokens::RevokedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IssuedTokens::Table, IssuedTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(IssuedTokens::Table, IssuedTokens::RevokedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists show the newest first; the ordering ends in the key.
        manager
            .create_index(
                Index::create()
                    .name("idx_issued_tokens_issued_at")
                    .table(IssuedTokens::Table)
                    .col(IssuedTokens::IssuedAt)
                    .col(IssuedTokens::Jti)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_issued_tokens_user_id")
                    .table(IssuedTokens::Table)
                    .col(IssuedTokens::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IssuedTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum IssuedTokens {
    Table,
    Jti,
    UserId,
    Role,
    Name,
    Description,
    IssuedAt,
    ExpiresAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}
