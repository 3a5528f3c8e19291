//! kaim's integration tests: one binary, the real server over HTTP, a fresh database per test.

mod helpers;

mod clients;
mod contacts;
mod http;
mod statements;
mod interactions;
mod schema;
