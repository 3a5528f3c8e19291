//! Relay connections: the `first` default and cap, opaque cursors, and turning a fetched
//! window of rows into a connection. The only place that knows about pagination arguments.

use std::{future::Future, sync::Arc};

use async_graphql::{Object, OutputType, SimpleObject};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::DateTime;
use futures::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use sea_orm::sea_query::Value;
use serde_json::json;
use uuid::Uuid;

use crate::{
    db::keyset::Window,
    error::{AppError, AppResult},
};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// The complexity of a connection field: its page size (`first`, else `last`, else the
/// default) times the complexity of what is selected under it, plus one for the field. Used by
/// `#[graphql(complexity = ...)]`; an oversized page is refused later by [`PageArgs::window`].
#[must_use]
pub fn connection_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE_SIZE, i32::unsigned_abs);
    usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// The count behind `totalCount`. It runs only when the field is asked for: a lazy future,
/// shared in case the field is selected twice.
#[derive(Clone)]
pub struct ConnectionFields {
    total: Shared<BoxFuture<'static, async_graphql::Result<i64>>>,
}

impl std::fmt::Debug for ConnectionFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionFields").finish_non_exhaustive()
    }
}

impl ConnectionFields {
    /// Counts with `count` when (and if) `totalCount` is selected.
    pub fn lazy(count: impl Future<Output = AppResult<i64>> + Send + 'static) -> Self {
        Self {
            total: count
                .map(|result| result.map_err(async_graphql::Error::from))
                .boxed()
                .shared(),
        }
    }
}

/// Where a page sits in its list.
#[derive(Debug, Clone, SimpleObject)]
pub struct PageInfo {
    /// Whether items come before this page (walk back with `last`/`before`).
    pub has_previous_page: bool,
    /// Whether items follow this page (continue with `first`/`after`).
    pub has_next_page: bool,
    /// The cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of the page.
    pub end_cursor: Option<String>,
}

/// How a page's items make their cursors: computed when a cursor is asked for (most views ask
/// for `nodes` only, or one `endCursor`), not for every row read.
struct Cursors<T> {
    signature: String,
    values: Box<SortValues<T>>,
}

/// A node's sort-key values.
type SortValues<T> = dyn Fn(&T) -> Vec<Value> + Send + Sync;

impl<T> Cursors<T> {
    fn of(&self, node: &T) -> String {
        encode_cursor(&self.signature, &(self.values)(node))
    }
}

/// The stored row behind each node type that pages are made of, for its cursor.
macro_rules! node_rows {
    ($($node:ty => $row:ty),* $(,)?) => {$(
        impl AsRef<$row> for $node {
            fn as_ref(&self) -> &$row {
                &self.0
            }
        }
    )*};
}

node_rows!(
    super::clients::Client => entity::client::Model,
    super::contacts::Contact => entity::contact::Model,
    super::interactions::Interaction => entity::interaction::Model,
    super::checks::FinancialCheck => entity::financial_check::Model,
    super::audit::AuditEvent => entity::audit_event::Model,
    super::tokens::ServiceToken => entity::issued_token::Model,
    super::scoring::Score => entity::score::Model,
);

/// One item of a page, which makes its cursor when asked.
pub struct Edge<T> {
    node: T,
    cursors: Arc<Cursors<T>>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Edge<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edge")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

/// An item of a page, with the cursor to continue from it.
#[Object(
    concrete(name = "ClientEdge", params(super::clients::Client)),
    concrete(name = "ContactEdge", params(super::contacts::Contact)),
    concrete(name = "InteractionEdge", params(super::interactions::Interaction)),
    concrete(name = "FinancialCheckEdge", params(super::checks::FinancialCheck)),
    concrete(name = "AuditEventEdge", params(super::audit::AuditEvent)),
    concrete(name = "ServiceTokenEdge", params(super::tokens::ServiceToken)),
    concrete(name = "ScoreEdge", params(super::scoring::Score))
)]
impl<T: OutputType> Edge<T> {
    /// Opaque cursor of this item.
    async fn cursor(&self) -> String {
        self.cursors.of(&self.node)
    }

    /// The item.
    async fn node(&self) -> &T {
        &self.node
    }
}

/// A page of a list (a Relay connection): `first`/`after` and `last`/`before` page through it
/// with opaque cursors.
#[derive(Debug)]
pub struct Page<T> {
    edges: Vec<Edge<T>>,
    has_previous_page: bool,
    has_next_page: bool,
    fields: ConnectionFields,
}

/// A page of a list (a Relay connection): page with `first`/`after` (and `last`/`before` where
/// offered) and opaque cursors.
#[Object(
    concrete(name = "ClientConnection", params(super::clients::Client)),
    concrete(name = "ContactConnection", params(super::contacts::Contact)),
    concrete(
        name = "InteractionConnection",
        params(super::interactions::Interaction)
    ),
    concrete(
        name = "FinancialCheckConnection",
        params(super::checks::FinancialCheck)
    ),
    concrete(name = "AuditEventConnection", params(super::audit::AuditEvent)),
    concrete(name = "ServiceTokenConnection", params(super::tokens::ServiceToken)),
    concrete(name = "ScoreConnection", params(super::scoring::Score))
)]
impl<T: OutputType> Page<T>
where
    Edge<T>: OutputType,
{
    /// The items with their cursors.
    async fn edges(&self) -> &[Edge<T>] {
        &self.edges
    }

    /// The items.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Where this page sits in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|e| e.cursors.of(&e.node)),
            end_cursor: self.edges.last().map(|e| e.cursors.of(&e.node)),
        }
    }

    /// How many items match, over all pages.
    async fn total_count(&self) -> async_graphql::Result<i64> {
        self.fields.total.clone().await
    }
}

/// The pagination arguments of a connection field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    /// Forward-only arguments, as nested connections take them.
    #[must_use]
    pub const fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            last: None,
            before: None,
        }
    }

    /// Validates the arguments against `max` and the ordering `signature`, into the window of
    /// rows to fetch.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the argument: a negative or too large count, `first` with
    /// `last`, a malformed cursor, or a cursor made under another ordering.
    pub fn window(&self, max: u32, signature: &str) -> AppResult<Window> {
        if self.first.is_some() && self.last.is_some() {
            return Err(AppError::bad_input(
                "last",
                "give `first` or `last`, not both",
            ));
        }
        if self.after.is_some() && self.before.is_some() {
            return Err(AppError::bad_input(
                "before",
                "give `after` or `before`, not both",
            ));
        }
        let backward = self.last.is_some() || (self.before.is_some() && self.first.is_none());
        let (name, count) = if backward {
            ("last", self.last)
        } else {
            ("first", self.first)
        };
        let limit = match count {
            None => DEFAULT_PAGE_SIZE.min(max),
            Some(n) if n < 0 => {
                return Err(AppError::bad_input(
                    name,
                    format!("`{name}` cannot be negative"),
                ));
            }
            Some(n) if n.unsigned_abs() > max => {
                return Err(AppError::bad_input(
                    name,
                    format!("`{name}` can be at most {max}; page through the rest with cursors"),
                ));
            }
            Some(n) => n.unsigned_abs(),
        };
        let (cursor_name, cursor) = if backward {
            ("before", self.before.as_deref())
        } else {
            ("after", self.after.as_deref())
        };
        let cursor = cursor
            .map(|text| {
                decode_cursor(text, signature).ok_or_else(|| {
                    AppError::bad_input(
                        cursor_name,
                        format!(
                            "`{cursor_name}` is not a cursor of this list (cursors are only valid with the same ordering)"
                        ),
                    )
                })
            })
            .transpose()?;
        Ok(Window {
            limit: u64::from(limit),
            backward,
            cursor,
        })
    }
}

/// Makes the opaque cursor of a row from its sort-key values.
#[must_use]
pub fn encode_cursor(signature: &str, values: &[Value]) -> String {
    let values: Vec<serde_json::Value> = values.iter().map(value_to_json).collect();
    URL_SAFE_NO_PAD.encode(json!([signature, values]).to_string())
}

fn decode_cursor(text: &str, signature: &str) -> Option<Vec<Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let (sig, values): (String, Vec<serde_json::Value>) = serde_json::from_slice(&bytes).ok()?;
    if sig != signature {
        return None;
    }
    values.iter().map(json_to_value).collect()
}

/// Values are tagged with their type, so a cursor decodes without knowing the ordering.
fn value_to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::String(Some(s)) => json!(["s", s]),
        Value::BigInt(Some(n)) => json!(["i", n]),
        Value::Int(Some(n)) => json!(["i", n]),
        Value::Double(Some(x)) => json!(["f", x]),
        Value::ChronoDateTimeUtc(Some(t)) => json!(["t", t.to_rfc3339()]),
        Value::Uuid(Some(u)) => json!(["u", u]),
        _ => serde_json::Value::Null,
    }
}

fn json_to_value(json: &serde_json::Value) -> Option<Value> {
    let (tag, value): (String, serde_json::Value) = serde_json::from_value(json.clone()).ok()?;
    Some(match tag.as_str() {
        "s" => Value::from(value.as_str()?.to_owned()),
        "i" => Value::from(value.as_i64()?),
        "f" => Value::from(value.as_f64()?),
        "t" => Value::from(DateTime::parse_from_rfc3339(value.as_str()?).ok()?.to_utc()),
        "u" => Value::from(Uuid::parse_str(value.as_str()?).ok()?),
        _ => return None,
    })
}

/// Turns a fetched window (`limit + 1` rows at most, in display order) into a connection.
/// `cursor_of` gives a row's sort-key values, for the cursors that are asked for; each node
/// wraps its row (`AsRef`).
pub fn connection<R, T>(
    rows: Vec<R>,
    window: &Window,
    signature: &str,
    total_count: ConnectionFields,
    cursor_of: impl Fn(&R) -> Vec<Value> + Send + Sync + 'static,
    node_of: impl Fn(R) -> T,
) -> Page<T>
where
    T: OutputType + AsRef<R> + 'static,
    R: 'static,
{
    let limit = usize::try_from(window.limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;
    let mut rows = rows;
    if has_more {
        if window.backward {
            rows.remove(0);
        } else {
            rows.truncate(limit);
        }
    }
    let has_cursor = window.cursor.is_some();
    let (has_previous, has_next) = if window.backward {
        (has_more, has_cursor)
    } else {
        (has_cursor, has_more)
    };
    let cursors = Arc::new(Cursors {
        signature: signature.to_owned(),
        values: Box::new(move |node: &T| cursor_of(node.as_ref())),
    });
    let edges = rows
        .into_iter()
        .map(|row| Edge {
            node: node_of(row),
            cursors: Arc::clone(&cursors),
        })
        .collect();
    Page {
        edges,
        has_previous_page: has_previous,
        has_next_page: has_next,
        fields: total_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_ordering() {
        let values = vec![
            Value::from("Газпром".to_owned()),
            Value::from(42i64),
            Value::from(Uuid::nil()),
        ];
        let cursor = encode_cursor("NAME:ASC", &values);
        assert_eq!(decode_cursor(&cursor, "NAME:ASC"), Some(values));
        assert_eq!(decode_cursor(&cursor, "NAME:DESC"), None);
        assert_eq!(decode_cursor("not a cursor", "NAME:ASC"), None);
    }

    #[test]
    fn a_connection_costs_its_page_size_times_what_is_under_it() {
        assert_eq!(connection_cost(None, None, 3), 61);
        assert_eq!(connection_cost(Some(5), None, 3), 16);
        assert_eq!(connection_cost(None, Some(2), 3), 7);
        assert_eq!(connection_cost(Some(-5), None, 3), 16);
        assert_eq!(
            connection_cost(Some(i32::MAX), None, usize::MAX),
            usize::MAX
        );
    }

    #[test]
    fn asking_for_more_than_the_cap_is_an_error() {
        let args = PageArgs::forward(Some(101), None);
        assert!(args.window(100, "x").is_err());
        let args = PageArgs::forward(None, None);
        assert_eq!(args.window(100, "x").map(|w| w.limit).ok(), Some(20));
    }
}
