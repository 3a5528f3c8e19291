//! kaim's integration tests: one binary, the real server over HTTP, a fresh database per test.

mod helpers;

mod cli;
mod checks;
mod clients;
mod contacts;
mod needs_plans;
mod http;
mod statements;
mod interactions;
mod schema;
mod seed;
