//! Contacts: the people at a client and its decision structure. Personal data.

use entity::contact;
use sea_orm::{EntityTrait, Select, sea_query::{Expr, Value}};
use uuid::Uuid;

use super::keyset::{PerParent, SortKey};

/// A client's contacts, by name.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = contact::Entity;
    type Model = contact::Model;
    type Filter = ();
    const SIGNATURE: &'static str = "contacts:name";

    fn parent_column() -> contact::Column {
        contact::Column::ClientId
    }
    fn parent_of(model: &contact::Model) -> Uuid {
        model.client_id
    }
    fn select((): &()) -> Select<contact::Entity> {
        contact::Entity::find()
    }
    fn sort_keys() -> Vec<SortKey> {
        vec![
            SortKey::new(Expr::col((contact::Entity, contact::Column::FullName)), false),
            SortKey::new(Expr::col((contact::Entity, contact::Column::Id)), false),
        ]
    }
    fn sort_values(model: &contact::Model) -> Vec<Value> {
        vec![model.full_name.clone().into(), model.id.into()]
    }
}
