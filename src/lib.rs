//! kaim: key-account intelligence and management. A GraphQL API over a structured, scored
//! record of a company's most important clients.

#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod enrichment;
pub mod error;
pub mod graphql;
pub mod http;
pub mod recheck;
pub mod scheduler;
pub mod startup;
pub mod telemetry;
