//! The schema: every domain's query and mutation parts merged into one.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use super::{
    checks::CheckMutation,
    clients::{ClientMutation, ClientQuery},
    contacts::ContactMutation,
    context::AppState,
    interactions::{InteractionMutation, InteractionQuery},
    needs::NeedMutation,
    node::NodeQuery,
    plans::PlanMutation,
    users::{UserMutation, UserQuery},
};

/// The root query.
#[derive(MergedObject, Default, Debug)]
pub struct Query(NodeQuery, ClientQuery, UserQuery, InteractionQuery);

/// The root mutation.
#[derive(MergedObject, Default, Debug)]
pub struct Mutation(
    ClientMutation,
    UserMutation,
    InteractionMutation,
    ContactMutation,
    NeedMutation,
    PlanMutation,
    CheckMutation,
);

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
