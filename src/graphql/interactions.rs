//! Interactions: orders, meetings, calls and the rest of the relationship's history.

use std::collections::{BTreeMap, HashMap, HashSet};

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use entity::{contact, enums, interaction};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{
    clients::{Client, parse_text},
    contacts::Contact,
    context::ContextExt,
    guards::{RoleGuard, may_record_interactions},
    money::{decimal, parse_amount},
    node::{self, Kind},
    pagination::{self, ConnectionFields, Page, PageArgs},
    scalars::Decimal,
    write::Write,
};
use crate::db::audit::{AuditAction, Event};
use crate::{
    auth::Principal,
    db::{
        self,
        interactions::{self as store, ExternalKey, Insertion, NewInteraction},
    },
    error::{AppError, AppResult},
};

/// What kind of event an interaction was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::InteractionKind")]
pub enum InteractionKind {
    /// An order placed with us; its amount counts as revenue.
    Order,
    /// A meeting.
    Meeting,
    /// A phone or video call.
    Call,
    /// An e-mail exchange.
    Email,
    /// A negotiation round.
    Negotiation,
    /// A request from the client.
    Request,
    /// A joint project.
    Project,
    /// Participation in a loyalty programme.
    LoyaltyProgram,
    /// An event (conference, visit, reception).
    Event,
}

/// One dated event in the relationship with a client.
#[derive(Debug, Clone)]
pub struct Interaction(pub interaction::Model);

/// One dated event in the relationship with a client.
#[Object]
impl Interaction {
    /// The interaction's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Interaction, self.0.id)
    }

    /// The client.
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        let client = ctx
            .loaders()
            .client(self.0.client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Client(client))
    }

    /// The contact involved, if any.
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let Some(id) = self.0.contact_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().contact(id).await?.map(Contact))
    }

    /// What kind of event it was.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn kind(&self) -> InteractionKind {
        self.0.kind.into()
    }

    /// When it took place.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }

    /// Subject line.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }

    /// What happened.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }

    /// Money that moved (an order's value), exact.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn amount(&self) -> Option<Decimal> {
        decimal(self.0.amount_e4)
    }

    /// ISO 4217 currency of `amount`.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn currency(&self) -> Option<&str> {
        self.0.currency.as_deref()
    }

    /// How it ended.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn outcome(&self) -> Option<&str> {
        self.0.outcome.as_deref()
    }

    /// The system that wrote the record.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// The record's id in `source`.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }

    /// When kaim stored the record.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Which interactions a list shows.
#[derive(Debug, Clone, Default, InputObject)]
pub struct InteractionFilter {
    /// Any of these kinds.
    pub kind: Option<Vec<InteractionKind>>,
    /// At or after this time.
    pub occurred_after: Option<DateTime<Utc>>,
    /// Before this time.
    pub occurred_before: Option<DateTime<Utc>>,
}

impl InteractionFilter {
    /// The storage filter.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` when the range is empty.
    pub fn parse(self) -> AppResult<db::interactions::InteractionFilter> {
        if let (Some(after), Some(before)) = (self.occurred_after, self.occurred_before)
            && after >= before
        {
            return Err(AppError::bad_input(
                "filter.occurredBefore",
                "`occurredBefore` must be later than `occurredAfter`",
            ));
        }
        let mut kinds: Vec<enums::InteractionKind> = self
            .kind
            .unwrap_or_default()
            .into_iter()
            .map(Into::into)
            .collect();
        // Equal filters must hash alike so that parents share one batched statement.
        kinds.sort_by_key(|k| *k as u8);
        kinds.dedup();
        Ok(db::interactions::InteractionFilter {
            kinds,
            occurred_after: self.occurred_after,
            occurred_before: self.occurred_before,
        })
    }
}

/// An interaction to record.
#[derive(Debug, Clone, InputObject)]
pub struct RecordInteractionInput {
    /// The client it happened with.
    pub client_id: ID,
    /// The contact involved; must be one of the client's contacts.
    pub contact_id: Option<ID>,
    /// What kind of event it was.
    pub kind: InteractionKind,
    /// When it took place; at most a day in the future.
    pub occurred_at: DateTime<Utc>,
    /// Subject line, at most 500 characters.
    pub subject: Option<String>,
    /// What happened, at most 10 000 characters.
    pub summary: Option<String>,
    /// Money that moved (an order's value), at most four decimal places; needs `currency`.
    pub amount: Option<Decimal>,
    /// ISO 4217 currency of `amount`.
    pub currency: Option<String>,
    /// How it ended, at most 500 characters.
    pub outcome: Option<String>,
    /// The system writing the record (at most 64 characters); given with `externalId`.
    pub source: Option<String>,
    /// The record's id in `source` (at most 128 characters); given with `source`. The pair
    /// makes the write idempotent.
    pub external_id: Option<String>,
}

/// How far ahead of now an interaction may be dated (clock skew, time zones, scheduled events).
const MAX_FUTURE: TimeDelta = TimeDelta::days(1);

impl RecordInteractionInput {
    /// The checks that need no database, with fields named under `prefix` (`input.`,
    /// `inputs[3].`).
    fn parse(
        &self,
        prefix: &str,
        now: DateTime<Utc>,
        recorded_by: Uuid,
    ) -> AppResult<NewInteraction> {
        let field = |name: &str| format!("{prefix}{name}");
        let client_id = node::decode(&self.client_id, Kind::Client, &field("clientId"))?;
        let contact_id =
            node::decode_opt(self.contact_id.as_ref(), Kind::Contact, &field("contactId"))?;
        if self.occurred_at > now + MAX_FUTURE {
            let name = field("occurredAt");
            return Err(AppError::bad_input(
                &name,
                format!("`{name}` is more than a day in the future"),
            ));
        }
        let (amount_e4, currency) =
            parse_amount(prefix, "amount", self.amount, self.currency.as_deref())?;
        let source = parse_text(&field("source"), self.source.as_deref(), 64)?;
        let external_id = parse_text(&field("externalId"), self.external_id.as_deref(), 128)?;
        let external = match (source, external_id) {
            (Some(source), Some(external_id)) => Some(ExternalKey {
                source,
                external_id,
            }),
            (None, None) => None,
            (Some(_), None) => return Err(pair_error(&field("externalId"), "source")),
            (None, Some(_)) => return Err(pair_error(&field("source"), "externalId")),
        };
        Ok(NewInteraction {
            client_id,
            contact_id,
            kind: self.kind.into(),
            // Stored at microseconds on both backends; truncating keeps the returned record
            // equal to the stored one.
            occurred_at: self.occurred_at.trunc_subsecs(6),
            subject: parse_text(&field("subject"), self.subject.as_deref(), 500)?,
            summary: parse_text(&field("summary"), self.summary.as_deref(), 10_000)?,
            amount_e4,
            currency,
            outcome: parse_text(&field("outcome"), self.outcome.as_deref(), 500)?,
            external,
            recorded_by: Some(recorded_by),
        })
    }
}

fn pair_error(missing: &str, given: &str) -> AppError {
    AppError::bad_input(
        missing,
        format!("`{missing}` is required with `{given}`: give both or neither"),
    )
}

/// The clients and contacts that rows refer to, loaded in one query each.
struct References {
    /// Client id to its manager's id.
    clients: HashMap<Uuid, Option<Uuid>>,
    /// Contact id to its client's id.
    contacts: HashMap<Uuid, Uuid>,
}

impl References {
    async fn load<C: ConnectionTrait>(db: &C, rows: &[&NewInteraction]) -> AppResult<Self> {
        let mut client_ids: Vec<Uuid> = rows.iter().map(|r| r.client_id).collect();
        client_ids.sort_unstable();
        client_ids.dedup();
        let mut contact_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.contact_id).collect();
        contact_ids.sort_unstable();
        contact_ids.dedup();
        let clients = db::clients::by_ids(db, &client_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.manager_id))
            .collect();
        let contacts = if contact_ids.is_empty() {
            HashMap::new()
        } else {
            db::by_ids::<contact::Entity, _>(db, contact::Column::Id, &contact_ids)
                .await?
                .into_iter()
                .map(|c| (c.id, c.client_id))
                .collect()
        };
        Ok(Self { clients, contacts })
    }

    fn check(&self, row: &NewInteraction, prefix: &str, principal: Principal) -> AppResult<()> {
        let Some(manager) = self.clients.get(&row.client_id) else {
            let name = format!("{prefix}clientId");
            return Err(AppError::bad_input(
                &name,
                format!("`{name}` names no client"),
            ));
        };
        if !may_record_interactions(principal, *manager) {
            return Err(AppError::Forbidden(format!(
                "`{prefix}clientId`: a manager records interactions only for the clients they manage"
            )));
        }
        if let Some(contact) = row.contact_id
            && self.contacts.get(&contact) != Some(&row.client_id)
        {
            let name = format!("{prefix}contactId");
            return Err(AppError::bad_input(
                &name,
                format!("`{name}` names no contact of that client"),
            ));
        }
        Ok(())
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, SimpleObject)]
pub struct ImportResult {
    /// Records written.
    pub created: i32,
    /// Rows whose (`source`, `externalId`) was already stored, left as they were. Rows
    /// repeating a pair of the same batch are counted once, with the first of them.
    pub unchanged: i32,
}

/// Writes the checked rows of an import: those not stored yet, and each client's latest
/// interaction time. Returns how many rows were written and how many distinct rows there were,
/// with the audit events (one per client). Rows are written in the order of their external
/// keys and clients touched in the order of their ids, so concurrent imports over the same
/// clients and keys take their locks in one order and do not deadlock each other. A batch
/// costs a few statements however many clients it names: one multi-row insert per 500 rows,
/// one update of the clients, one insert of the audit events.
async fn import(
    write: &Write,
    mut rows: Vec<NewInteraction>,
) -> AppResult<((usize, usize), Vec<Event>)> {
    let mut seen = HashSet::new();
    rows.retain(|row| {
        row.external
            .as_ref()
            .is_none_or(|key| seen.insert(key.clone()))
    });
    let distinct = rows.len();
    rows.sort_by(|a, b| a.external.cmp(&b.external));
    let written = store::insert_many(write.tx(), rows).await?;
    let mut latest: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
    let mut created: BTreeMap<Uuid, u64> = BTreeMap::new();
    for row in &written {
        let at = latest.entry(row.client_id).or_insert(row.occurred_at);
        *at = (*at).max(row.occurred_at);
        *created.entry(row.client_id).or_default() += 1;
    }
    db::clients::touch_last_interactions(write.tx(), &latest).await?;
    let events = created
        .into_iter()
        .map(|(client_id, count)| Event::import(client_id, count))
        .collect();
    Ok(((written.len(), distinct), events))
}

/// Queries about interactions.
#[derive(Debug, Default)]
pub struct InteractionQuery;

#[Object]
impl InteractionQuery {
    /// Interactions with all clients, newest first.
    #[graphql(complexity = "super::pagination::connection_cost(first, None, child_complexity)")]
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which interactions to list.")] filter: Option<InteractionFilter>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Interaction>> {
        let filter = filter.unwrap_or_default().parse()?;
        let window =
            PageArgs::forward(first, after).window(ctx.max_page_size(), store::SIGNATURE)?;
        let db = ctx.db();
        let rows = store::list(db, &filter, &window).await?;
        let count_db = db.clone();
        let total = ConnectionFields::lazy(async move {
            let count = store::count(&count_db, &filter).await?;
            Ok(i64::try_from(count).unwrap_or(i64::MAX))
        });
        Ok(pagination::connection(
            rows,
            &window,
            store::SIGNATURE,
            total,
            store::sort_values,
            Interaction,
        ))
    }
}

/// Recording interactions. Each mutation is one transaction.
#[derive(Debug, Default)]
pub struct InteractionMutation;

#[Object]
impl InteractionMutation {
    /// Records an interaction and moves the client's `lastInteractionAt` forward.
    ///
    /// Idempotent on (`source`, `externalId`): when a record with that pair is already stored,
    /// it is returned unchanged and nothing is written, even if the other fields of `input`
    /// differ. Concurrent identical calls leave exactly one record.
    #[graphql(guard = "RoleGuard::interaction_writers()")]
    async fn record_interaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The interaction.")] input: RecordInteractionInput,
    ) -> async_graphql::Result<Interaction> {
        let principal = ctx.principal()?;
        let new = input.parse("input.", db::now(), principal.user_id)?;
        let model = Write::run(ctx, |write| {
            let new = new.clone();
            Box::pin(async move {
                References::load(write.tx(), &[&new])
                    .await?
                    .check(&new, "input.", principal)?;
                let (client_id, occurred_at) = (new.client_id, new.occurred_at);
                Ok(match store::insert(write.tx(), new).await? {
                    Insertion::Created(model) => {
                        db::clients::touch_last_interaction(write.tx(), client_id, occurred_at)
                            .await?;
                        let event = Event::created(AuditAction::Record, &model);
                        (model, Some(event))
                    }
                    // A replay writes nothing, so it records nothing.
                    Insertion::Existing(model) => (model, None),
                })
            })
        })
        .await?;
        Ok(Interaction(model))
    }

    /// Records many interactions at once, all or nothing: every row is checked first, and one
    /// bad row rejects the whole batch with `BAD_USER_INPUT` naming it (`inputs[3].currency`).
    /// Rows whose (`source`, `externalId`) is already stored are left as they are and counted
    /// as unchanged, as with `recordInteraction`. At most the configured number of rows
    /// (1000 by default) per call.
    #[graphql(guard = "RoleGuard::interaction_writers()")]
    async fn import_interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The interactions, in any order.")] inputs: Vec<RecordInteractionInput>,
    ) -> async_graphql::Result<ImportResult> {
        let principal = ctx.principal()?;
        let max = ctx.state().api.import_max_rows;
        if inputs.len() > usize::try_from(max).unwrap_or(usize::MAX) {
            return Err(AppError::bad_input(
                "inputs",
                format!("at most {max} rows per import; split the batch"),
            )
            .into());
        }
        let now = db::now();
        // Rows up to the first that does not parse; that row's error is reported unless a row
        // before it fails a check against the database.
        let mut valid = Vec::with_capacity(inputs.len());
        let mut unparsed = None;
        for (i, input) in inputs.into_iter().enumerate() {
            match input.parse(&format!("inputs[{i}]."), now, principal.user_id) {
                Ok(row) => valid.push(row),
                Err(_) => {
                    unparsed = Some((i, input));
                    break;
                }
            }
        }
        let (created, distinct) = Write::run(ctx, |write| {
            let (valid, unparsed) = (valid.clone(), unparsed.clone());
            Box::pin(async move {
                let references =
                    References::load(write.tx(), &valid.iter().collect::<Vec<_>>()).await?;
                for (i, row) in valid.iter().enumerate() {
                    references.check(row, &format!("inputs[{i}]."), principal)?;
                }
                if let Some((i, input)) = unparsed {
                    // Parsed again, the row gives its error anew.
                    input.parse(&format!("inputs[{i}]."), now, principal.user_id)?;
                }
                import(write, valid).await
            })
        })
        .await?;
        Ok(ImportResult {
            created: i32::try_from(created).unwrap_or(i32::MAX),
            unchanged: i32::try_from(distinct.saturating_sub(created)).unwrap_or(i32::MAX),
        })
    }
}
