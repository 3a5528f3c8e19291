//! Financial checks: dated readings of a client's financial position.

use entity::financial_check;
use sea_orm::{EntityTrait, Select, sea_query::{Expr, Value}};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};

/// A client's financial checks, newest first.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = financial_check::Entity;
    type Model = financial_check::Model;
    type Filter = ();
    const SIGNATURE: &'static str = "checks:checked_at:desc";

    fn parent_column() -> financial_check::Column {
        financial_check::Column::ClientId
    }
    fn parent_of(model: &financial_check::Model) -> Uuid {
        model.client_id
    }
    fn select((): &()) -> Select<financial_check::Entity> {
        financial_check::Entity::find()
    }
    fn sort_keys() -> Vec<SortKey> {
        vec![
            SortKey::new(
                Expr::col((financial_check::Entity, financial_check::Column::CheckedAt)),
                true,
            ),
            SortKey::new(
                Expr::col((financial_check::Entity, financial_check::Column::Id)),
                true,
            ),
        ]
    }
    fn sort_values(model: &financial_check::Model) -> Vec<Value> {
        vec![model.checked_at.into(), model.id.into()]
    }
}
