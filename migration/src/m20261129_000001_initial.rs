//! The first schema: users, clients and what is recorded about them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string(Users::Name))
                    .col(string_null(Users::Email).unique_key())
                    .col(string_len(Users::Role, 16))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Clients::Table)
                    .col(pk_uuid(Clients::Id))
                    .col(string(Clients::Name))
                    .col(string_null(Clients::LegalName))
                    .col(text(Clients::SearchText))
                    .col(string_null(Clients::IndustryCode))
                    .col(string_null(Clients::Industry))
                    .col(char_len_null(Clients::Country, 2))
                    .col(string_null(Clients::Region))
                    .col(integer_null(Clients::Employees))
                    .col(string_null(Clients::RevenueBand))
                    .col(json(Clients::Markets))
                    .col(text_null(Clients::StrategicPlans))
                    .col(string_null(Clients::Website))
                    .col(string_len(Clients::Status, 16))
                    .col(uuid_null(Clients::ManagerId))
                    .col(timestamp_with_time_zone_null(Clients::ArchivedAt))
                    .col(timestamp_with_time_zone_null(Clients::LastInteractionAt))
                    .col(integer(Clients::Version))
                    .col(timestamp_with_time_zone(Clients::CreatedAt))
                    .col(timestamp_with_time_zone(Clients::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Clients::Table, Clients::ManagerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Every ordering ends in `id`, so each index that serves an ordering ends in it too.
        for (name, columns) in [
            ("idx_clients_name", &[Clients::Name, Clients::Id][..]),
            ("idx_clients_created_at", &[Clients::CreatedAt, Clients::Id]),
            ("idx_clients_updated_at", &[Clients::UpdatedAt, Clients::Id]),
            (
                "idx_clients_last_interaction_at",
                &[Clients::LastInteractionAt, Clients::Id],
            ),
            ("idx_clients_status", &[Clients::Status]),
            ("idx_clients_industry", &[Clients::Industry]),
            ("idx_clients_country", &[Clients::Country]),
            ("idx_clients_manager_id", &[Clients::ManagerId]),
            ("idx_clients_archived_at", &[Clients::ArchivedAt]),
        ] {
            create_index(manager, name, Clients::Table, columns, false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RegistryIds::Table)
                    .col(pk_uuid(RegistryIds::Id))
                    .col(uuid(RegistryIds::ClientId))
                    .col(string_len(RegistryIds::Scheme, 24))
                    .col(string_len(RegistryIds::Value, 32))
                    .col(timestamp_with_time_zone(RegistryIds::CreatedAt))
                    .foreign_key(&mut cascade(RegistryIds::Table, RegistryIds::ClientId))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "uq_registry_ids_scheme_value",
            RegistryIds::Table,
            &[RegistryIds::Scheme, RegistryIds::Value],
            true,
        )
        .await?;
        create_index(
            manager,
            "idx_registry_ids_client_id",
            RegistryIds::Table,
            &[RegistryIds::ClientId, RegistryIds::Scheme],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .col(pk_uuid(Contacts::Id))
                    .col(uuid(Contacts::ClientId))
                    .col(string(Contacts::FullName))
                    .col(string_null(Contacts::Position))
                    .col(string_null(Contacts::Department))
                    .col(string_null(Contacts::Email))
                    .col(string_null(Contacts::Phone))
                    .col(string_len_null(Contacts::PreferredChannel, 16))
                    .col(string_len_null(Contacts::DecisionRole, 24))
                    .col(small_integer_null(Contacts::Influence))
                    .col(string_len_null(Contacts::Attitude, 16))
                    .col(uuid_null(Contacts::ReportsToId))
                    .col(text_null(Contacts::Notes))
                    .col(timestamp_with_time_zone_null(Contacts::ConsentAt))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .foreign_key(&mut cascade(Contacts::Table, Contacts::ClientId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contacts::Table, Contacts::ReportsToId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_contacts_client_id",
            Contacts::Table,
            &[Contacts::ClientId, Contacts::FullName, Contacts::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            "idx_contacts_reports_to_id",
            Contacts::Table,
            &[Contacts::ReportsToId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Interactions::Table)
                    .col(pk_uuid(Interactions::Id))
                    .col(uuid(Interactions::ClientId))
                    .col(uuid_null(Interactions::ContactId))
                    .col(string_len(Interactions::Kind, 24))
                    .col(timestamp_with_time_zone(Interactions::OccurredAt))
                    .col(string_null(Interactions::Subject))
                    .col(text_null(Interactions::Summary))
                    .col(big_integer_null(Interactions::AmountE4))
                    .col(char_len_null(Interactions::Currency, 3))
                    .col(string_null(Interactions::Outcome))
                    .col(string_len_null(Interactions::Source, 64))
                    .col(string_len_null(Interactions::ExternalId, 128))
                    .col(uuid_null(Interactions::RecordedBy))
                    .col(timestamp_with_time_zone(Interactions::CreatedAt))
                    .foreign_key(&mut cascade(Interactions::Table, Interactions::ClientId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Interactions::Table, Interactions::ContactId)
                            .to(Contacts::Table, Contacts::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Both backends treat NULLs as distinct in a unique index, so records without a source
        // never collide.
        create_index(
            manager,
            "uq_interactions_source_external_id",
            Interactions::Table,
            &[Interactions::Source, Interactions::ExternalId],
            true,
        )
        .await?;
        for (name, columns) in [
            (
                "idx_interactions_client_occurred_at",
                &[
                    Interactions::ClientId,
                    Interactions::OccurredAt,
                    Interactions::Id,
                ][..],
            ),
            (
                "idx_interactions_occurred_at",
                &[Interactions::OccurredAt, Interactions::Id],
            ),
            (
                "idx_interactions_kind_occurred_at",
                &[Interactions::Kind, Interactions::OccurredAt],
            ),
            ("idx_interactions_contact_id", &[Interactions::ContactId]),
        ] {
            create_index(manager, name, Interactions::Table, columns, false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(FinancialChecks::Table)
                    .col(pk_uuid(FinancialChecks::Id))
                    .col(uuid(FinancialChecks::ClientId))
                    .col(string_len(FinancialChecks::Source, 64))
                    .col(timestamp_with_time_zone(FinancialChecks::CheckedAt))
                    .col(integer_null(FinancialChecks::FiscalYear))
                    .col(char_len_null(FinancialChecks::Currency, 3))
                    .col(big_integer_null(FinancialChecks::RevenueE4))
                    .col(big_integer_null(FinancialChecks::NetIncomeE4))
                    .col(big_integer_null(FinancialChecks::AssetsE4))
                    .col(big_integer_null(FinancialChecks::EquityE4))
                    .col(big_integer_null(FinancialChecks::DebtE4))
                    .col(integer_null(FinancialChecks::Employees))
                    .col(string_len_null(FinancialChecks::RegistryStatus, 64))
                    .col(integer_null(FinancialChecks::LitigationCount))
                    .col(big_integer_null(FinancialChecks::LitigationAmountE4))
                    .col(integer_null(FinancialChecks::GovernmentContractsCount))
                    .col(big_integer_null(
                        FinancialChecks::GovernmentContractsAmountE4,
                    ))
                    .col(json_null(FinancialChecks::RawPayload))
                    .col(uuid_null(FinancialChecks::RecordedBy))
                    .col(timestamp_with_time_zone(FinancialChecks::CreatedAt))
                    .foreign_key(&mut cascade(
                        FinancialChecks::Table,
                        FinancialChecks::ClientId,
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_financial_checks_client_checked_at",
            FinancialChecks::Table,
            &[
                FinancialChecks::ClientId,
                FinancialChecks::CheckedAt,
                FinancialChecks::Id,
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Needs::Table)
                    .col(pk_uuid(Needs::Id))
                    .col(uuid(Needs::ClientId))
                    .col(string_len(Needs::Kind, 16))
                    .col(string_len_null(Needs::SpinStage, 16))
                    .col(text(Needs::Description))
                    .col(small_integer(Needs::Priority))
                    .col(string_len(Needs::Status, 16))
                    .col(timestamp_with_time_zone(Needs::CreatedAt))
                    .col(timestamp_with_time_zone(Needs::UpdatedAt))
                    .foreign_key(&mut cascade(Needs::Table, Needs::ClientId))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_needs_client_id",
            Needs::Table,
            &[Needs::ClientId, Needs::Priority, Needs::Id],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountPlans::Table)
                    .col(pk_uuid(AccountPlans::Id))
                    .col(uuid(AccountPlans::ClientId))
                    .col(string(AccountPlans::Title))
                    .col(date_null(AccountPlans::PeriodStart))
                    .col(date_null(AccountPlans::PeriodEnd))
                    .col(string_len(AccountPlans::Status, 16))
                    .col(timestamp_with_time_zone(AccountPlans::CreatedAt))
                    .col(timestamp_with_time_zone(AccountPlans::UpdatedAt))
                    .foreign_key(&mut cascade(AccountPlans::Table, AccountPlans::ClientId))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_account_plans_client_id",
            AccountPlans::Table,
            &[AccountPlans::ClientId, AccountPlans::CreatedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlanObjectives::Table)
                    .col(pk_uuid(PlanObjectives::Id))
                    .col(uuid(PlanObjectives::PlanId))
                    .col(text(PlanObjectives::Description))
                    .col(string_null(PlanObjectives::Measure))
                    .col(date_null(PlanObjectives::DueOn))
                    .col(string_len(PlanObjectives::Status, 16))
                    .col(integer(PlanObjectives::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanObjectives::Table, PlanObjectives::PlanId)
                            .to(AccountPlans::Table, AccountPlans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_plan_objectives_plan_id",
            PlanObjectives::Table,
            &[PlanObjectives::PlanId, PlanObjectives::Position],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlanActions::Table)
                    .col(pk_uuid(PlanActions::Id))
                    .col(uuid(PlanActions::PlanId))
                    .col(uuid_null(PlanActions::ObjectiveId))
                    .col(text(PlanActions::Description))
                    .col(uuid_null(PlanActions::OwnerId))
                    .col(date_null(PlanActions::DueOn))
                    .col(string_len(PlanActions::Status, 16))
                    .col(integer(PlanActions::Position))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanActions::Table, PlanActions::PlanId)
                            .to(AccountPlans::Table, AccountPlans::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanActions::Table, PlanActions::ObjectiveId)
                            .to(PlanObjectives::Table, PlanObjectives::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanActions::Table, PlanActions::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            "idx_plan_actions_plan_id",
            PlanActions::Table,
            &[PlanActions::PlanId, PlanActions::Position],
            false,
        )
        .await?;
        create_index(
            manager,
            "idx_plan_actions_owner_id",
            PlanActions::Table,
            &[PlanActions::OwnerId, PlanActions::DueOn],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PlanActions::Table.into_iden(),
            PlanObjectives::Table.into_iden(),
            AccountPlans::Table.into_iden(),
            Needs::Table.into_iden(),
            FinancialChecks::Table.into_iden(),
            Interactions::Table.into_iden(),
            Contacts::Table.into_iden(),
            RegistryIds::Table.into_iden(),
            Clients::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: &[C],
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoIden,
    C: IntoIden + Copy,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index).await
}

/// A `client_id` foreign key: what is recorded about a client goes with it.
fn cascade<T: IntoIden + Copy>(table: T, column: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Clients::Table, Clients::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Name,
    Email,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Clients {
    Table,
    Id,
    Name,
    LegalName,
    SearchText,
    IndustryCode,
    Industry,
    Country,
    Region,
    Employees,
    RevenueBand,
    Markets,
    StrategicPlans,
    Website,
    Status,
    ManagerId,
    ArchivedAt,
    LastInteractionAt,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RegistryIds {
    Table,
    Id,
    ClientId,
    Scheme,
    Value,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Contacts {
    Table,
    Id,
    ClientId,
    FullName,
    Position,
    Department,
    Email,
    Phone,
    PreferredChannel,
    DecisionRole,
    Influence,
    Attitude,
    ReportsToId,
    Notes,
    ConsentAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Interactions {
    Table,
    Id,
    ClientId,
    ContactId,
    Kind,
    OccurredAt,
    Subject,
    Summary,
    AmountE4,
    Currency,
    Outcome,
    Source,
    ExternalId,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FinancialChecks {
    Table,
    Id,
    ClientId,
    Source,
    CheckedAt,
    FiscalYear,
    Currency,
    RevenueE4,
    NetIncomeE4,
    AssetsE4,
    EquityE4,
    DebtE4,
    Employees,
    RegistryStatus,
    LitigationCount,
    LitigationAmountE4,
    GovernmentContractsCount,
    GovernmentContractsAmountE4,
    RawPayload,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Needs {
    Table,
    Id,
    ClientId,
    Kind,
    SpinStage,
    Description,
    Priority,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AccountPlans {
    Table,
    Id,
    ClientId,
    Title,
    PeriodStart,
    PeriodEnd,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlanObjectives {
    Table,
    Id,
    PlanId,
    Description,
    Measure,
    DueOn,
    Status,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlanActions {
    Table,
    Id,
    PlanId,
    ObjectiveId,
    Description,
    OwnerId,
    DueOn,
    Status,
    Position,
}
