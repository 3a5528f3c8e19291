//! sea-orm entities of kaim's database, one module per table.
//!
//! These are storage types: the GraphQL layer wraps them and never exposes them directly, so a
//! new column never leaks into the API contract. Money is stored as a fixed-point integer with
//! four decimal places (`*_e4` columns), exact on SQLite and PostgreSQL alike.

pub mod account_plan;
pub mod audit_event;
pub mod client;
pub mod contact;
pub mod enums;
pub mod factor_rating;
pub mod financial_check;
pub mod interaction;
pub mod issued_token;
pub mod need;
pub mod plan_action;
pub mod plan_objective;
pub mod registry_cache;
pub mod registry_id;
pub mod registry_recheck;
pub mod registry_search_cache;
pub mod score;
pub mod scoring_model;
pub mod user;

pub mod prelude {
    pub use super::account_plan::Entity as AccountPlan;
    pub use super::audit_event::Entity as AuditEvent;
    pub use super::client::Entity as Client;
    pub use super::contact::Entity as Contact;
    pub use super::factor_rating::Entity as FactorRating;
    pub use super::financial_check::Entity as FinancialCheck;
    pub use super::interaction::Entity as Interaction;
    pub use super::issued_token::Entity as IssuedToken;
    pub use super::need::Entity as Need;
    pub use super::plan_action::Entity as PlanAction;
    pub use super::plan_objective::Entity as PlanObjective;
    pub use super::registry_id::Entity as RegistryId;
    pub use super::score::Entity as Score;
    pub use super::scoring_model::Entity as ScoringModel;
    pub use super::user::Entity as User;
}
