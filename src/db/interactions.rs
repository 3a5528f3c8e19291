//! Interactions: the dated history of the relationship with a client.

use chrono::{DateTime, Utc};
use entity::{enums::InteractionKind, interaction};
use sea_orm::{
    ColumnTrait, EntityTrait, QueryFilter, Select,
    sea_query::{Expr, Value},
};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};

/// Which interactions a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InteractionFilter {
    pub kinds: Vec<InteractionKind>,
    pub occurred_after: Option<DateTime<Utc>>,
    pub occurred_before: Option<DateTime<Utc>>,
}

impl InteractionFilter {
    /// The filter applied to a query of interactions.
    #[must_use]
    pub fn apply(&self, mut select: Select<interaction::Entity>) -> Select<interaction::Entity> {
        if !self.kinds.is_empty() {
            select = select.filter(interaction::Column::Kind.is_in(self.kinds.iter().copied()));
        }
        if let Some(after) = self.occurred_after {
            select = select.filter(interaction::Column::OccurredAt.gte(after));
        }
        if let Some(before) = self.occurred_before {
            select = select.filter(interaction::Column::OccurredAt.lt(before));
        }
        select
    }
}

/// The ordering of interaction lists: newest first.
#[must_use]
pub fn sort_keys() -> Vec<SortKey> {
    vec![
        SortKey::new(
            Expr::col((interaction::Entity, interaction::Column::OccurredAt)),
            true,
        ),
        SortKey::new(Expr::col((interaction::Entity, interaction::Column::Id)), true),
    ]
}

/// A row's values of [`sort_keys`].
#[must_use]
pub fn sort_values(model: &interaction::Model) -> Vec<Value> {
    vec![model.occurred_at.into(), model.id.into()]
}

/// A client's interactions, newest first.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = interaction::Entity;
    type Model = interaction::Model;
    type Filter = InteractionFilter;
    const SIGNATURE: &'static str = "interactions:occurred_at:desc";

    fn parent_column() -> interaction::Column {
        interaction::Column::ClientId
    }
    fn parent_of(model: &interaction::Model) -> Uuid {
        model.client_id
    }
    fn select(filter: &InteractionFilter) -> Select<interaction::Entity> {
        filter.apply(interaction::Entity::find())
    }
    fn sort_keys() -> Vec<SortKey> {
        sort_keys()
    }
    fn sort_values(model: &interaction::Model) -> Vec<Value> {
        sort_values(model)
    }
}
