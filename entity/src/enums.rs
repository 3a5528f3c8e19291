//! Closed sets of values, stored as short upper-case strings so that both backends hold the same
//! text. The string values are the stored representation: never rename one.

use sea_orm::entity::prelude::*;

/// What a user may do; carried in tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "MANAGER")]
    Manager,
    #[sea_orm(string_value = "ANALYST")]
    Analyst,
    #[sea_orm(string_value = "INTEGRATOR")]
    Integrator,
}

/// Where a client stands in its life cycle with us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ClientStatus {
    #[sea_orm(string_value = "PROSPECT")]
    Prospect,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DORMANT")]
    Dormant,
    #[sea_orm(string_value = "LOST")]
    Lost,
}

/// The public registry an identifier belongs to. Serialized (in cached registry answers) as
/// its stored string.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistryScheme {
    #[sea_orm(string_value = "LEI")]
    Lei,
    #[sea_orm(string_value = "RU_INN")]
    RuInn,
    #[sea_orm(string_value = "RU_OGRN")]
    RuOgrn,
    #[sea_orm(string_value = "GB_COMPANY_NUMBER")]
    GbCompanyNumber,
    #[sea_orm(string_value = "US_CIK")]
    UsCik,
}

/// A contact's role in the client's buying centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum DecisionRole {
    #[sea_orm(string_value = "DECISION_MAKER")]
    DecisionMaker,
    #[sea_orm(string_value = "APPROVER")]
    Approver,
    #[sea_orm(string_value = "INFLUENCER")]
    Influencer,
    #[sea_orm(string_value = "GATEKEEPER")]
    Gatekeeper,
    #[sea_orm(string_value = "USER")]
    User,
    #[sea_orm(string_value = "CHAMPION")]
    Champion,
    #[sea_orm(string_value = "BLOCKER")]
    Blocker,
}

/// A contact's attitude towards us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Attitude {
    #[sea_orm(string_value = "SUPPORTIVE")]
    Supportive,
    #[sea_orm(string_value = "NEUTRAL")]
    Neutral,
    #[sea_orm(string_value = "SCEPTICAL")]
    Sceptical,
    #[sea_orm(string_value = "HOSTILE")]
    Hostile,
}

/// How a contact prefers to be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ContactChannel {
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "PHONE")]
    Phone,
    #[sea_orm(string_value = "MESSENGER")]
    Messenger,
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
}

/// What kind of event an interaction was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum InteractionKind {
    #[sea_orm(string_value = "ORDER")]
    Order,
    #[sea_orm(string_value = "MEETING")]
    Meeting,
    #[sea_orm(string_value = "CALL")]
    Call,
    #[sea_orm(string_value = "EMAIL")]
    Email,
    #[sea_orm(string_value = "NEGOTIATION")]
    Negotiation,
    #[sea_orm(string_value = "REQUEST")]
    Request,
    #[sea_orm(string_value = "PROJECT")]
    Project,
    #[sea_orm(string_value = "LOYALTY_PROGRAM")]
    LoyaltyProgram,
    #[sea_orm(string_value = "EVENT")]
    Event,
}

/// Whether a need is felt now or expected later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum NeedKind {
    #[sea_orm(string_value = "CURRENT")]
    Current,
    #[sea_orm(string_value = "FUTURE")]
    Future,
}

/// The SPIN questioning stage at which a need was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SpinStage {
    #[sea_orm(string_value = "SITUATION")]
    Situation,
    #[sea_orm(string_value = "PROBLEM")]
    Problem,
    #[sea_orm(string_value = "IMPLICATION")]
    Implication,
    #[sea_orm(string_value = "NEED_PAYOFF")]
    NeedPayoff,
}

/// Whether a need is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum NeedStatus {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "ADDRESSED")]
    Addressed,
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
}

/// Where an account plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PlanStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "ABANDONED")]
    Abandoned,
}

/// Where a plan objective or action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskStatus {
    #[sea_orm(string_value = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "DONE")]
    Done,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}
