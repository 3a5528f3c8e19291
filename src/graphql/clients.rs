//! Clients: the account record, its portfolio list and its life cycle.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entity::{client, enums};

use super::{
    checks::FinancialCheck,
    contacts::Contact,
    context::ContextExt,
    guards::{RoleGuard, Target, may_assign},
    interactions::{Interaction, InteractionFilter},
    loaders::{RegistryIdsOf, Revenue12mOf, nested_connection},
    money::Money,
    needs::Need,
    node::{self, Kind},
    pagination::{self, ConnectionFields, Page, PageArgs},
    plans::AccountPlan,
    scoring::{Quadrant, Score},
    solvency::Solvency,
    users::{User, parse_name},
    write::Write,
};
use crate::db::audit::{self, AuditAction, Event};
use crate::{
    db::{self, clients as store},
    domain::{registry_id::RegistryIdValue, text::fold_for_search},
    error::{AppError, AppResult},
};

/// Where a client stands in its life cycle with us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::ClientStatus")]
pub enum ClientStatus {
    /// Not yet buying; being developed.
    Prospect,
    /// Buying from us.
    Active,
    /// Has stopped buying for a while.
    Dormant,
    /// Gone to a competitor or out of business.
    Lost,
}

/// The public registry an identifier belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "enums::RegistryScheme")]
pub enum RegistryScheme {
    /// Legal Entity Identifier (ISO 17442), 20 characters.
    Lei,
    /// Russian taxpayer number (ИНН), 10 or 12 digits.
    RuInn,
    /// Russian state registration number (ОГРН), 13 or 15 digits.
    RuOgrn,
    /// UK Companies House company number, 8 characters.
    GbCompanyNumber,
    /// US SEC Central Index Key, up to 10 digits.
    UsCik,
}

/// A client's identifier in a public company registry.
#[derive(Debug, Clone)]
pub struct RegistryId(entity::registry_id::Model);

/// A client's identifier in a public company registry.
#[Object]
impl RegistryId {
    /// The registry.
    async fn scheme(&self) -> RegistryScheme {
        self.0.scheme.into()
    }

    /// The identifier in canonical form (upper case, no separators, zero-padded where the
    /// registry pads).
    async fn value(&self) -> &str {
        &self.0.value
    }
}

/// A client company: everything kaim knows about one account.
#[derive(Debug, Clone)]
pub struct Client(pub client::Model);

impl Client {
    /// The client a record belongs to, through the request's batch loader.
    ///
    /// # Errors
    /// `NOT_FOUND` when it is gone; database failures.
    pub async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> async_graphql::Result<Self> {
        let client = ctx
            .loaders()
            .client(id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        Ok(Self(client))
    }
}

/// A client company: everything kaim knows about one account.
#[Object]
impl Client {
    /// The client's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Client, self.0.id)
    }

    /// The name the client is known by.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The registered legal name.
    async fn legal_name(&self) -> Option<&str> {
        self.0.legal_name.as_deref()
    }

    /// Industry label.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn industry(&self) -> Option<&str> {
        self.0.industry.as_deref()
    }

    /// Industry code (NACE, OKVED, SIC...).
    #[graphql(guard = "RoleGuard::readers()")]
    async fn industry_code(&self) -> Option<&str> {
        self.0.industry_code.as_deref()
    }

    /// Country, ISO 3166-1 alpha-2.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// Region within the country.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }

    /// Number of employees.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn employees(&self) -> Option<i32> {
        self.0.employees
    }

    /// Revenue band, such as `10M-50M EUR`.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn revenue_band(&self) -> Option<&str> {
        self.0.revenue_band.as_deref()
    }

    /// Markets the client serves.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn markets(&self) -> Vec<String> {
        serde_json::from_value(self.0.markets.clone()).unwrap_or_default()
    }

    /// The client's strategic plans, as far as we know them.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn strategic_plans(&self) -> Option<&str> {
        self.0.strategic_plans.as_deref()
    }

    /// Web site.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// Life-cycle status.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn status(&self) -> ClientStatus {
        self.0.status.into()
    }

    /// Whether the client is archived (hidden from lists unless asked for).
    #[graphql(guard = "RoleGuard::readers()")]
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }

    /// When the client was archived.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// Identifiers in public company registries.
    async fn registry_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RegistryId>> {
        let rows = ctx
            .loaders()
            .raw()
            .load_one(RegistryIdsOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(RegistryId).collect())
    }

    /// The key account manager responsible for the client.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn manager(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.manager_id else {
            return Ok(None);
        };
        Ok(ctx.loaders().user(id).await?.map(User))
    }

    /// People at the client, by name.
    #[graphql(complexity = "super::pagination::connection_cost(first, None, child_complexity)")]
    async fn contacts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Contact>> {
        Ok(nested_connection::<db::contacts::OfClient, _>(
            ctx.loaders(),
            ctx.max_page_size(),
            self.0.id,
            PageArgs::forward(first, after),
            (),
            Contact,
        )
        .await?)
    }

    /// The interaction history, newest first.
    #[graphql(
        complexity = "super::pagination::connection_cost(first, None, child_complexity)",
        guard = "RoleGuard::readers()"
    )]
    async fn interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which interactions to show.")] filter: Option<InteractionFilter>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Interaction>> {
        let filter = filter.unwrap_or_default().parse()?;
        Ok(nested_connection::<db::interactions::OfClient, _>(
            ctx.loaders(),
            ctx.max_page_size(),
            self.0.id,
            PageArgs::forward(first, after),
            filter,
            Interaction,
        )
        .await?)
    }

    /// Financial checks, newest first.
    #[graphql(
        complexity = "super::pagination::connection_cost(first, None, child_complexity)",
        guard = "RoleGuard::readers()"
    )]
    async fn financial_checks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<FinancialCheck>> {
        Ok(nested_connection::<db::checks::OfClient, _>(
            ctx.loaders(),
            ctx.max_page_size(),
            self.0.id,
            PageArgs::forward(first, after),
            (),
            FinancialCheck,
        )
        .await?)
    }

    /// The audit trail of the client and what is recorded about it (contacts, needs, plans,
    /// checks, interactions), newest first: who changed which fields when, personal data
    /// masked.
    #[graphql(
        guard = "RoleGuard::readers()",
        complexity = "super::pagination::connection_cost(first, None, child_complexity)"
    )]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<super::audit::AuditEvent>> {
        Ok(nested_connection::<db::audit::OfClient, _>(
            ctx.loaders(),
            ctx.max_page_size(),
            self.0.id,
            PageArgs::forward(first, after),
            (),
            super::audit::AuditEvent,
        )
        .await?)
    }

    /// The latest automatic re-check against the client's registries (`kaim recheck`,
    /// `KAIM_RECHECK_INTERVAL`) and when the next is due; null before the first.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn registry_recheck(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::enrichment::RegistryRecheck>> {
        Ok(ctx.loaders().recheck_of(self.0.id).await?.map(Into::into))
    }

    /// What public registries say about the client, merged from their latest answers about
    /// its registry ids, each fact with its source and date; null before any registry answered.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn registry_profile(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<super::enrichment::RegistryProfile>> {
        Ok(super::enrichment::registry_profile(ctx, self.0.id).await?)
    }

    /// The most recent financial check.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn latest_financial_check(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<FinancialCheck>> {
        let rows = ctx
            .loaders()
            .page::<db::checks::OfClient>(self.0.id, PageArgs::forward(Some(1), None), ())
            .await?;
        Ok(rows.into_iter().next().map(FinancialCheck))
    }

    /// The risk that the client stops paying, with the reasons, from its recent financial
    /// checks (each fact from the newest check that has it); it feeds the financial stability
    /// factor of the KAISM score.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn solvency(&self, ctx: &Context<'_>) -> async_graphql::Result<Solvency> {
        Solvency::of(ctx, self.0.id).await
    }

    /// Current and future needs, highest priority first.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn needs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Need>> {
        Ok(ctx
            .loaders()
            .needs_of(self.0.id)
            .await?
            .into_iter()
            .map(Need)
            .collect())
    }

    /// Account plans, newest first.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn account_plans(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AccountPlan>> {
        Ok(ctx
            .loaders()
            .plans_of(self.0.id)
            .await?
            .into_iter()
            .map(AccountPlan)
            .collect())
    }

    /// The plan being worked on: the newest ACTIVE plan, else the newest DRAFT.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn current_plan(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AccountPlan>> {
        let plans = ctx.loaders().plans_of(self.0.id).await?;
        let pick = |status| plans.iter().find(|p| p.status == status).cloned();
        Ok(pick(enums::PlanStatus::Active)
            .or_else(|| pick(enums::PlanStatus::Draft))
            .map(AccountPlan))
    }

    /// The current KAISM assessment; null until the client is first scored.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn score(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Score>> {
        Ok(ctx.loaders().current_score(self.0.id).await?.map(Score))
    }

    /// Every KAISM assessment of the client, newest first (each under the model version it
    /// names), so movement between quadrants can be followed.
    #[graphql(
        guard = "RoleGuard::readers()",
        complexity = "super::pagination::connection_cost(first, None, child_complexity)"
    )]
    async fn score_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Score>> {
        Ok(nested_connection::<db::scoring::OfClient, _>(
            ctx.loaders(),
            ctx.max_page_size(),
            self.0.id,
            PageArgs::forward(first, after),
            (),
            Score,
        )
        .await?)
    }

    /// Order revenue of the trailing twelve months, per currency.
    #[graphql(name = "revenue12m", guard = "RoleGuard::readers()")]
    async fn revenue12m(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Money>> {
        let rows = ctx
            .loaders()
            .raw()
            .load_one(Revenue12mOf(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|(currency, e4)| Money::from_e4(e4, currency))
            .collect())
    }

    /// When the latest interaction took place.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn last_interaction_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_interaction_at
    }

    /// Optimistic concurrency: updates must send back the version they read.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the client was created.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the client was last changed.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// Which clients a list shows; all conditions must hold.
#[derive(Debug, Default, InputObject)]
pub struct ClientFilter {
    /// Case-insensitive substring of the name or legal name, in any script (`газпром` finds
    /// `ПАО «Газпром»`).
    pub search: Option<String>,
    /// Any of these statuses.
    pub status: Option<Vec<ClientStatus>>,
    /// Any of these industries (exact labels).
    pub industry: Option<Vec<String>>,
    /// Any of these countries (ISO 3166-1 alpha-2).
    pub country: Option<Vec<String>>,
    /// Managed by this user.
    pub manager_id: Option<ID>,
    /// Has an identifier in this registry.
    pub has_registry_id: Option<RegistryScheme>,
    /// Currently in any of these KAISM quadrants (unscored clients never match).
    pub quadrant: Option<Vec<Quadrant>>,
    /// `true` lists archived clients instead of current ones.
    #[graphql(default = false)]
    pub archived: bool,
}

impl ClientFilter {
    /// The validated filter.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` naming the offending `filter` field.
    pub fn parse(self) -> AppResult<store::ClientFilter> {
        let search = self
            .search
            .map(|s| fold_for_search(s.trim()))
            .filter(|s| !s.is_empty());
        let country = self
            .country
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, c)| parse_country(&format!("filter.country[{i}]"), c))
            .collect::<AppResult<Vec<_>>>()?;
        Ok(store::ClientFilter {
            search,
            status: self
                .status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            industry: self.industry.unwrap_or_default(),
            country,
            manager_id: node::decode_opt(self.manager_id.as_ref(), Kind::User, "filter.managerId")?,
            has_registry_id: self.has_registry_id.map(Into::into),
            quadrant: self
                .quadrant
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            archived: self.archived,
        })
    }
}

/// A field clients can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ClientOrderField {
    /// The client's name.
    Name,
    /// When the client was created.
    CreatedAt,
    /// When the client was last changed.
    UpdatedAt,
    /// Order revenue of the trailing twelve months (amounts of all currencies added).
    #[graphql(name = "REVENUE_12M")]
    Revenue12m,
    /// When the latest interaction took place (never counts as earliest).
    LastInteractionAt,
    /// The current score's attractiveness (unscored clients count as -1, below any score).
    Attractiveness,
    /// The current score's loyalty (unscored clients count as -1, below any score).
    Loyalty,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// One term of a client ordering.
#[derive(Debug, Clone, Copy, InputObject)]
pub struct ClientOrder {
    /// What to order by.
    pub field: ClientOrderField,
    /// Which way.
    pub direction: OrderDirection,
}

/// The orderings and their cursor signature; no ordering means name ascending.
pub fn parse_orders(orders: Option<Vec<ClientOrder>>) -> (Vec<store::ClientOrder>, String) {
    let orders: Vec<store::ClientOrder> = orders
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| {
            vec![ClientOrder {
                field: ClientOrderField::Name,
                direction: OrderDirection::Asc,
            }]
        })
        .into_iter()
        .map(|o| store::ClientOrder {
            sort: match o.field {
                ClientOrderField::Name => store::ClientSort::Name,
                ClientOrderField::CreatedAt => store::ClientSort::CreatedAt,
                ClientOrderField::UpdatedAt => store::ClientSort::UpdatedAt,
                ClientOrderField::Revenue12m => store::ClientSort::Revenue12m,
                ClientOrderField::LastInteractionAt => store::ClientSort::LastInteractionAt,
                ClientOrderField::Attractiveness => store::ClientSort::Attractiveness,
                ClientOrderField::Loyalty => store::ClientSort::Loyalty,
            },
            descending: o.direction == OrderDirection::Desc,
        })
        .collect();
    let signature = orders
        .iter()
        .map(|o| format!("{:?}:{}", o.sort, if o.descending { "d" } else { "a" }))
        .collect::<Vec<_>>()
        .join(",");
    (orders, format!("clients:{signature}"))
}

/// A registry identifier given as input.
#[derive(Debug, Clone, InputObject)]
pub struct RegistryIdInput {
    /// The registry.
    pub scheme: RegistryScheme,
    /// The identifier; spaces and dashes are ignored, check digits are verified.
    pub value: String,
}

impl RegistryIdInput {
    fn parse(&self, field: &str) -> AppResult<RegistryIdValue> {
        RegistryIdValue::parse(self.scheme.into(), &self.value)
            .map_err(|err| AppError::bad_input(format!("{field}.value"), err.to_string()))
    }
}

/// A new client.
#[derive(Debug, InputObject)]
pub struct CreateClientInput {
    /// The name the client is known by.
    pub name: String,
    /// The registered legal name.
    pub legal_name: Option<String>,
    /// Industry label.
    pub industry: Option<String>,
    /// Industry code (NACE, OKVED, SIC...).
    pub industry_code: Option<String>,
    /// Country, ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Region within the country.
    pub region: Option<String>,
    /// Number of employees.
    pub employees: Option<i32>,
    /// Revenue band, such as `10M-50M EUR`.
    pub revenue_band: Option<String>,
    /// Markets the client serves.
    pub markets: Option<Vec<String>>,
    /// The client's strategic plans.
    pub strategic_plans: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Life-cycle status (default PROSPECT).
    pub status: Option<ClientStatus>,
    /// Identifiers in public registries.
    pub registry_ids: Option<Vec<RegistryIdInput>>,
    /// The responsible key account manager.
    pub manager_id: Option<ID>,
}

/// Changes to a client; absent fields stay as they are, `null` clears an optional field.
#[derive(Debug, InputObject)]
pub struct UpdateClientInput {
    /// The name the client is known by.
    pub name: Option<String>,
    /// The registered legal name.
    pub legal_name: async_graphql::MaybeUndefined<String>,
    /// Industry label.
    pub industry: async_graphql::MaybeUndefined<String>,
    /// Industry code.
    pub industry_code: async_graphql::MaybeUndefined<String>,
    /// Country, ISO 3166-1 alpha-2.
    pub country: async_graphql::MaybeUndefined<String>,
    /// Region within the country.
    pub region: async_graphql::MaybeUndefined<String>,
    /// Number of employees.
    pub employees: async_graphql::MaybeUndefined<i32>,
    /// Revenue band.
    pub revenue_band: async_graphql::MaybeUndefined<String>,
    /// Markets the client serves.
    pub markets: Option<Vec<String>>,
    /// The client's strategic plans.
    pub strategic_plans: async_graphql::MaybeUndefined<String>,
    /// Web site.
    pub website: async_graphql::MaybeUndefined<String>,
    /// Life-cycle status.
    pub status: Option<ClientStatus>,
}

/// An ISO 3166-1 alpha-2 code, upper-cased.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field`.
pub fn parse_country(field: &str, value: &str) -> AppResult<String> {
    let upper = value.trim().to_ascii_uppercase();
    if upper.len() == 2 && celes::Country::from_alpha2(&upper).is_ok() {
        Ok(upper)
    } else {
        Err(AppError::bad_input(
            field,
            format!("`{value}` is not an ISO 3166-1 alpha-2 country code"),
        ))
    }
}

/// Optional free text: trimmed, empty as absent, at most `max` characters.
///
/// # Errors
/// `BAD_USER_INPUT` naming `field` when too long.
pub fn parse_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    let Some(trimmed) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("`{field}` has at most {max} characters"),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

fn parse_employees(field: &str, value: Option<i32>) -> AppResult<Option<i32>> {
    match value {
        Some(n) if n < 0 => Err(AppError::bad_input(
            field,
            format!("`{field}` cannot be negative"),
        )),
        other => Ok(other),
    }
}

fn parse_markets(field: &str, markets: &[String]) -> AppResult<Vec<String>> {
    markets
        .iter()
        .enumerate()
        .filter_map(|(i, m)| parse_text(&format!("{field}[{i}]"), Some(m), 100).transpose())
        .collect()
}

fn maybe<T, U>(
    value: async_graphql::MaybeUndefined<T>,
    parse: impl FnOnce(Option<T>) -> AppResult<Option<U>>,
) -> AppResult<Option<Option<U>>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => Ok(None),
        async_graphql::MaybeUndefined::Null => Ok(Some(None)),
        async_graphql::MaybeUndefined::Value(v) => parse(Some(v)).map(Some),
    }
}

/// Queries about clients.
#[derive(Debug, Default)]
pub struct ClientQuery;

#[Object]
impl ClientQuery {
    /// One client by id, archived or not; null when it does not exist.
    async fn client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] id: ID,
    ) -> async_graphql::Result<Option<Client>> {
        let id = node::decode(&id, Kind::Client, "id")?;
        Ok(ctx.loaders().client(id).await?.map(Client))
    }

    /// The portfolio: clients filtered, ordered and paged (keyset cursors both ways).
    #[expect(clippy::too_many_arguments, reason = "one per GraphQL argument")]
    #[graphql(complexity = "super::pagination::connection_cost(first, last, child_complexity)")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which clients to list.")] filter: Option<ClientFilter>,
        #[graphql(desc = "Ordering, by one or more fields (default: name ascending).")]
        order_by: Option<Vec<ClientOrder>>,
        #[graphql(desc = "Page size, forwards (default 20, at most the configured cap).")]
        first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
        #[graphql(desc = "Page size, backwards.")] last: Option<i32>,
        #[graphql(desc = "Cursor to continue before.")] before: Option<String>,
    ) -> async_graphql::Result<Page<Client>> {
        let filter = filter.unwrap_or_default().parse()?;
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        Ok(client_page(ctx, filter, order_by, &args).await?)
    }
}

/// A page of the clients of `filter` in the `order_by` order: the list behind `clients` and
/// every other connection of clients.
///
/// # Errors
/// `BAD_USER_INPUT` for bad pagination arguments; database failures.
pub async fn client_page(
    ctx: &Context<'_>,
    filter: store::ClientFilter,
    order_by: Option<Vec<ClientOrder>>,
    args: &PageArgs,
) -> AppResult<Page<Client>> {
    let (orders, signature) = parse_orders(order_by);
    let window = args.window(ctx.max_page_size(), &signature)?;
    let db = ctx.db();
    let now = db::now();
    let rows = store::list(db, &filter, &orders, &window, now).await?;
    ctx.loaders().saw_clients(&rows);
    let ids: Vec<_> = rows.iter().map(|c| c.id).collect();
    let revenue = if orders
        .iter()
        .any(|o| o.sort == store::ClientSort::Revenue12m)
    {
        store::revenue_12m(db, &ids, now).await?
    } else {
        std::collections::HashMap::new()
    };
    let scores: std::collections::HashMap<_, _> = if orders.iter().any(|o| {
        matches!(
            o.sort,
            store::ClientSort::Attractiveness | store::ClientSort::Loyalty
        )
    }) {
        db::scoring::current_by_clients(db, &ids)
            .await?
            .into_iter()
            .map(|s| (s.client_id, (s.attractiveness, s.loyalty)))
            .collect()
    } else {
        std::collections::HashMap::new()
    };
    let count_db = db.clone();
    let total = ConnectionFields::lazy(async move {
        let count = store::count(&count_db, &filter).await?;
        Ok(i64::try_from(count).unwrap_or(i64::MAX))
    });
    Ok(pagination::connection(
        rows,
        &window,
        &signature,
        total,
        move |c| {
            let score = scores.get(&c.id);
            let extras = store::SortExtras {
                revenue: store::revenue_total(revenue.get(&c.id)),
                attractiveness: score.map(|s| s.0),
                loyalty: score.map(|s| s.1),
            };
            store::sort_values(c, &orders, extras)
        },
        Client,
    ))
}

/// Changes to clients. Each mutation is one transaction.
#[derive(Debug, Default)]
pub struct ClientMutation;

#[Object]
impl ClientMutation {
    /// Creates a client with its registry identifiers.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn create_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new client.")] input: CreateClientInput,
    ) -> async_graphql::Result<Client> {
        let registry_ids = input
            .registry_ids
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(i, r)| r.parse(&format!("input.registryIds[{i}]")))
            .collect::<AppResult<Vec<_>>>()?;
        let new = store::NewClient {
            name: parse_name("input.name", &input.name)?,
            legal_name: parse_text("input.legalName", input.legal_name.as_deref(), 500)?,
            industry_code: parse_text("input.industryCode", input.industry_code.as_deref(), 32)?,
            industry: parse_text("input.industry", input.industry.as_deref(), 200)?,
            country: input
                .country
                .as_deref()
                .map(|c| parse_country("input.country", c))
                .transpose()?,
            region: parse_text("input.region", input.region.as_deref(), 200)?,
            employees: parse_employees("input.employees", input.employees)?,
            revenue_band: parse_text("input.revenueBand", input.revenue_band.as_deref(), 64)?,
            markets: parse_markets("input.markets", &input.markets.unwrap_or_default())?,
            strategic_plans: parse_text(
                "input.strategicPlans",
                input.strategic_plans.as_deref(),
                10_000,
            )?,
            website: parse_text("input.website", input.website.as_deref(), 500)?,
            status: input
                .status
                .map_or(enums::ClientStatus::Prospect, Into::into),
            manager_id: node::decode_opt(input.manager_id.as_ref(), Kind::User, "input.managerId")?,
        };
        let principal = ctx.principal()?;
        let mut new = new;
        if principal.role == enums::Role::Manager && new.manager_id.is_none() {
            new.manager_id = Some(principal.user_id);
        }
        if !may_assign(principal, None, new.manager_id) {
            return Err(AppError::Forbidden(
                "a manager creates clients for themselves, not for another manager".into(),
            )
            .into());
        }
        let client = Write::run(ctx, |write| {
            let (new, registry_ids) = (new.clone(), registry_ids.clone());
            Box::pin(async move {
                if let Some(manager) = new.manager_id {
                    ensure_user(write.tx(), manager, "input.managerId").await?;
                }
                let client = store::insert(write.tx(), new, &registry_ids).await?;
                let ids = audit::registry_ids(&registry_ids);
                let event = Event::created(AuditAction::Create, &client).with_change(
                    "registryIds",
                    serde_json::Value::Null,
                    ids,
                );
                Ok((client, [event]))
            })
        })
        .await?;
        Ok(Client(client))
    }

    /// Changes a client's fields if it is still at `version`; a stale version is `CONFLICT`.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn update_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] id: ID,
        #[graphql(desc = "The version the change was made against.")] version: i32,
        #[graphql(desc = "The changes; absent fields stay as they are.")] input: UpdateClientInput,
    ) -> async_graphql::Result<Client> {
        let id = node::decode(&id, Kind::Client, "id")?;
        let changes = store::ClientChanges {
            name: input
                .name
                .as_deref()
                .map(|n| parse_name("input.name", n))
                .transpose()?,
            legal_name: maybe(input.legal_name, |v| {
                parse_text("input.legalName", v.as_deref(), 500)
            })?,
            industry_code: maybe(input.industry_code, |v| {
                parse_text("input.industryCode", v.as_deref(), 32)
            })?,
            industry: maybe(input.industry, |v| {
                parse_text("input.industry", v.as_deref(), 200)
            })?,
            country: maybe(input.country, |v| {
                v.map(|c| parse_country("input.country", &c)).transpose()
            })?,
            region: maybe(input.region, |v| {
                parse_text("input.region", v.as_deref(), 200)
            })?,
            employees: maybe(input.employees, |v| parse_employees("input.employees", v))?,
            revenue_band: maybe(input.revenue_band, |v| {
                parse_text("input.revenueBand", v.as_deref(), 64)
            })?,
            markets: input
                .markets
                .map(|m| parse_markets("input.markets", &m))
                .transpose()?,
            strategic_plans: maybe(input.strategic_plans, |v| {
                parse_text("input.strategicPlans", v.as_deref(), 10_000)
            })?,
            website: maybe(input.website, |v| {
                parse_text("input.website", v.as_deref(), 500)
            })?,
            status: input.status.map(Into::into),
        };
        let client = Write::run(ctx, |write| {
            let changes = changes.clone();
            Box::pin(async move {
                let before = write.authorize(Target::Client(id)).await?;
                let client = store::update(write.tx(), id, version, changes).await?;
                let event = Event::changed(AuditAction::Update, &before, &client);
                Ok((client, [event]))
            })
        })
        .await?;
        Ok(Client(client))
    }

    /// Archives a client (soft delete): it leaves lists but keeps its history.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn archive_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] id: ID,
        #[graphql(desc = "The version the change was made against.")] version: i32,
    ) -> async_graphql::Result<Client> {
        set_archived(ctx, &id, version, true).await
    }

    /// Brings an archived client back into lists.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn restore_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] id: ID,
        #[graphql(desc = "The version the change was made against.")] version: i32,
    ) -> async_graphql::Result<Client> {
        set_archived(ctx, &id, version, false).await
    }

    /// Makes a user the client's key account manager (null: none).
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn assign_manager(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] client_id: ID,
        #[graphql(desc = "The manager's user id; null removes the manager.")] manager_id: Option<
            ID,
        >,
        #[graphql(desc = "The version the change was made against.")] version: i32,
    ) -> async_graphql::Result<Client> {
        let id = node::decode(&client_id, Kind::Client, "clientId")?;
        let manager = node::decode_opt(manager_id.as_ref(), Kind::User, "managerId")?;
        let client = Write::run(ctx, |write| {
            Box::pin(async move {
                if let Some(manager) = manager {
                    ensure_user(write.tx(), manager, "managerId").await?;
                }
                let current = store::get(write.tx(), id).await?;
                if !may_assign(write.principal(), current.manager_id, manager) {
                    return Err(AppError::Forbidden(
                        "a manager may take an unmanaged client or hand on their own, never take one from another manager".into(),
                    ));
                }
                let before = current.clone();
                let mut model: client::ActiveModel = current.into();
                model.manager_id = sea_orm::ActiveValue::Set(manager);
                let client = store::save_versioned(write.tx(), id, model, version).await?;
                let event = Event::changed(AuditAction::AssignManager, &before, &client);
                Ok((client, [event]))
            })
        })
        .await?;
        Ok(Client(client))
    }

    /// Adds a registry identifier to a client; one already recorded anywhere is `CONFLICT`.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn add_registry_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] client_id: ID,
        #[graphql(desc = "The identifier to add.")] input: RegistryIdInput,
    ) -> async_graphql::Result<Client> {
        let id = node::decode(&client_id, Kind::Client, "clientId")?;
        let value = input.parse("input")?;
        let client = Write::run(ctx, |write| {
            let value = value.clone();
            Box::pin(async move {
                let client = write.authorize(Target::Client(id)).await?;
                let registry_id = store::insert_registry_id(write.tx(), id, &value).await?;
                let event = Event::created(AuditAction::Create, &registry_id);
                Ok((client, [event]))
            })
        })
        .await?;
        Ok(Client(client))
    }
}

async fn set_archived(
    ctx: &Context<'_>,
    id: &ID,
    version: i32,
    archived: bool,
) -> async_graphql::Result<Client> {
    let id = node::decode(id, Kind::Client, "id")?;
    let client = Write::run(ctx, |write| {
        Box::pin(async move {
            let current = write.authorize(Target::Client(id)).await?;
            let before = current.clone();
            let mut model: client::ActiveModel = current.into();
            model.archived_at = sea_orm::ActiveValue::Set(archived.then(db::now));
            let client = store::save_versioned(write.tx(), id, model, version).await?;
            let action = if archived {
                AuditAction::Archive
            } else {
                AuditAction::Restore
            };
            Ok((client.clone(), [Event::changed(action, &before, &client)]))
        })
    })
    .await?;
    Ok(Client(client))
}

/// Fails with `BAD_USER_INPUT` on `field` unless the user exists.
///
/// # Errors
/// As described, and on database failures.
pub async fn ensure_user<C: sea_orm::ConnectionTrait>(
    db: &C,
    id: uuid::Uuid,
    field: &str,
) -> AppResult<()> {
    if db::users::find(db, id).await?.is_some() {
        Ok(())
    } else {
        Err(AppError::bad_input(
            field,
            format!("`{field}` names no user"),
        ))
    }
}
