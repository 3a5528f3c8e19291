//! kaim's integration tests: one binary, the real server over HTTP, a fresh database per test.

// A failed set-up step should fail the test loudly, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod helpers;

mod analytics;
mod audit;
mod checks;
mod cli;
mod clients;
mod connections;
mod contacts;
mod enrichment;
mod enrichment_api;
mod exports;
mod faults;
mod http;
mod interactions;
mod limits;
mod migrations;
mod needs_plans;
mod recheck;
mod replicas;
mod roles;
mod schema;
mod scoring;
mod seed;
mod solvency;
mod statements;
mod tokens;
