//! The schema: every domain's query and mutation parts merged into one.

use async_graphql::{EmptySubscription, MergedObject, Schema};

use super::{
    analytics::AnalyticsQuery,
    checks::CheckMutation,
    clients::{ClientMutation, ClientQuery},
    contacts::ContactMutation,
    context::AppState,
    enrichment::{EnrichmentMutation, EnrichmentQuery},
    interactions::{InteractionMutation, InteractionQuery},
    needs::NeedMutation,
    node::NodeQuery,
    plans::PlanMutation,
    scoring::{ScoringMutation, ScoringQuery},
    tokens::{TokenMutation, TokenQuery},
    users::{UserMutation, UserQuery},
};
use crate::config::LimitSettings;

/// The root query.
#[derive(MergedObject, Default, Debug)]
pub struct Query(
    NodeQuery,
    ClientQuery,
    UserQuery,
    InteractionQuery,
    TokenQuery,
    ScoringQuery,
    EnrichmentQuery,
    AnalyticsQuery,
);

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
    TokenMutation,
    ScoringMutation,
    EnrichmentMutation,
);

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema over `state`; run requests through [`super::limits::execute`], which
/// enforces the rest of `limits`.
#[must_use]
pub fn build(state: AppState, limits: &LimitSettings) -> AppSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(state)
        .limit_complexity(limits.max_complexity);
    // Suggestions ("Did you mean ...?") would let anyone map the schema without introspection.
    if limits.production {
        builder.disable_suggestions().finish()
    } else {
        builder.finish()
    }
}

/// The schema's SDL, as committed in `schema.graphql`.
#[must_use]
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}
