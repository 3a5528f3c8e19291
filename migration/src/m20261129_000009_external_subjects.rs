//! External subjects: the `sub` an identity provider (Keycloak, Auth0, Entra ID, Okta) puts in
//! its tokens for a kaim user, so that a token of that provider signs the user in. Unique when
//! set; most users have none.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_len_null(Users::ExternalSubject, 255))
                    .to_owned(),
            )
            .await?;
        // Both databases let any number of rows hold NULL under a unique index.
        manager
            .create_index(
                Index::create()
                    .name("idx_users_external_subject")
                    .table(Users::Table)
                    .col(Users::ExternalSubject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_users_external_subject")
                    .table(Users::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::ExternalSubject)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    ExternalSubject,
}
