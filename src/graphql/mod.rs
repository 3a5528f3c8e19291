//! The GraphQL API: its types, queries and mutations. Only this module defines GraphQL types.

pub mod analytics;
pub mod audit;
pub mod checks;
pub mod clients;
pub mod contacts;
pub mod context;
pub mod enrichment;
pub mod guards;
pub mod interactions;
pub mod limits;
pub mod loaders;
pub mod money;
pub mod needs;
pub mod node;
pub mod pagination;
pub mod plans;
pub mod scalars;
pub mod schema;
pub mod scoring;
pub mod solvency;
pub mod tokens;
pub mod users;
pub mod write;

pub use context::{AppState, request_data};
pub use schema::{AppSchema, build};
