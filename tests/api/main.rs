//! kaim's integration tests: one binary, the real server over HTTP, a fresh database per test.

mod helpers;

mod clients;
mod http;
mod interactions;
mod schema;
