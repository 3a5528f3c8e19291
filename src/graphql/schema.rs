//! The schema: every domain's query and mutation parts merged into one.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use super::{
    clients::{ClientMutation, ClientQuery},
    context::AppState,
    node::NodeQuery,
    users::{UserMutation, UserQuery},
};

/// The root query.
#[derive(MergedObject, Default)]
pub struct Query(NodeQuery, ClientQuery, UserQuery);

/// The root mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(ClientMutation, UserMutation);

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema over `state`. Testable without HTTP.
#[must_use]
pub fn build(state: AppState) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(state)
        .finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
#[must_use]
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
