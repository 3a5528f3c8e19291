//! Portfolio analytics: quadrant migration between two dates, revenue concentration, the
//! managers' load and prospective clients. Each query runs a fixed number of aggregating
//! statements, whatever the size of the portfolio.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::client;
use rust_decimal::{
    Decimal as Dec,
    prelude::{FromPrimitive, ToPrimitive},
};
use uuid::Uuid;

use super::{
    clients::{Client, ClientFilter},
    context::ContextExt,
    guards::RoleGuard,
    scalars::Decimal,
    scoring::Quadrant,
    users::User,
};
use crate::{
    config::ScoringSettings,
    db::{self, analytics as store},
    domain::{kaism, money},
    error::{AppError, AppResult},
};

/// Where a client stood at a date: a quadrant of its latest assessment at or before it, or
/// unscored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum PlacedQuadrant {
    /// High attractiveness, high loyalty.
    Key,
    /// High attractiveness, low loyalty.
    Development,
    /// Low attractiveness, high loyalty.
    Support,
    /// Low on both.
    Opportunistic,
    /// No assessment at or before the date.
    Unscored,
}

const PLACES: [PlacedQuadrant; 5] = [
    PlacedQuadrant::Key,
    PlacedQuadrant::Development,
    PlacedQuadrant::Support,
    PlacedQuadrant::Opportunistic,
    PlacedQuadrant::Unscored,
];

impl PlacedQuadrant {
    fn parse(stored: &str) -> Self {
        match kaism::Quadrant::parse(stored).map(Quadrant::from) {
            Some(Quadrant::Key) => Self::Key,
            Some(Quadrant::Development) => Self::Development,
            Some(Quadrant::Support) => Self::Support,
            Some(Quadrant::Opportunistic) => Self::Opportunistic,
            None => Self::Unscored,
        }
    }
}

/// How the clients moved between the matrix's quadrants from one date to another.
#[derive(Debug)]
pub struct QuadrantMigration {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cells: Vec<MigrationCell>,
}

/// How the clients moved between the matrix's quadrants from one date to another. Each client
/// is placed by its latest assessment at or before each date (the kept score history);
/// without one it is UNSCORED.
#[Object]
impl QuadrantMigration {
    /// The earlier date.
    async fn from(&self) -> DateTime<Utc> {
        self.from
    }

    /// The later date.
    async fn to(&self) -> DateTime<Utc> {
        self.to
    }

    /// All 25 (from, to) pairs, including UNSCORED, in the order KEY, DEVELOPMENT, SUPPORT,
    /// OPPORTUNISTIC, UNSCORED of `from`, then of `to`; pairs without clients count 0.
    async fn cells(&self) -> &[MigrationCell] {
        &self.cells
    }

    /// Clients placed (every client of the filter).
    async fn total(&self) -> i64 {
        self.cells.iter().map(|c| c.count).sum()
    }

    /// Clients whose place differs between the two dates (a first assessment counts: it
    /// moves a client out of UNSCORED).
    async fn moved(&self) -> i64 {
        self.cells
            .iter()
            .filter(|c| c.from != c.to)
            .map(|c| c.count)
            .sum()
    }
}

/// One (from, to) pair of a migration.
#[derive(Debug)]
pub struct MigrationCell {
    from: PlacedQuadrant,
    to: PlacedQuadrant,
    count: i64,
    movers: Vec<Uuid>,
}

/// The clients that were in one place at the earlier date and in another (or the same) at the
/// later one.
#[Object]
impl MigrationCell {
    /// Where they were at `from`.
    async fn from(&self) -> PlacedQuadrant {
        self.from
    }

    /// Where they are at `to`.
    async fn to(&self) -> PlacedQuadrant {
        self.to
    }

    /// How many clients.
    async fn count(&self) -> i64 {
        self.count
    }

    /// The clients that moved, oldest client first, at most `clientsPerCell` of the query
    /// (compare with `count` to see whether the list is complete); always empty when `from`
    /// equals `to`, since those clients stayed.
    async fn clients(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Client>> {
        let clients = ctx.loaders().clients(&self.movers).await?;
        Ok(clients.into_iter().map(Client).collect())
    }
}

/// Trailing revenue concentration of one currency (or of the base currency, converted).
#[derive(Debug, Clone, SimpleObject)]
pub struct CurrencyConcentration {
    /// ISO 4217 code of the amounts.
    pub currency: String,
    /// True when the amounts of several currencies were converted into this one with the
    /// configured rates (`KAIM_SCORING_RATES`).
    pub converted: bool,
    /// ORDER revenue of the trailing twelve months of all clients in this group.
    pub total_revenue: Decimal,
    /// Clients with positive revenue in this group; the curve ranks these.
    pub client_count: i64,
    /// Share (0-1) of `totalRevenue` that the top `top` clients bring.
    pub top_share: f64,
    /// The top clients by revenue, largest first.
    pub top_clients: Vec<RankedClient>,
    /// The Pareto curve: cumulative revenue share by client rank. One point per client for
    /// up to 20 clients, else one at each 5 % of clients; the last point is (1, 1).
    pub curve: Vec<ParetoPoint>,
}

/// One client's place in a revenue ranking.
#[derive(Debug, Clone, SimpleObject)]
pub struct RankedClient {
    /// 1 for the largest.
    pub rank: i64,
    /// The client.
    pub client: Client,
    /// Its trailing twelve-month ORDER revenue in the group's currency.
    pub revenue: Decimal,
    /// Its share (0-1) of the group's total.
    pub share: f64,
    /// The share (0-1) of this client and all larger ones.
    pub cumulative_share: f64,
}

/// A point of the Pareto curve.
#[derive(Debug, Clone, SimpleObject)]
pub struct ParetoPoint {
    /// The largest `clients` clients...
    pub clients: i64,
    /// ...which are this share (0-1) of the clients ranked...
    pub client_share: f64,
    /// ...bring this share (0-1) of the revenue.
    pub revenue_share: f64,
}

/// How much of the trailing revenue the largest clients bring.
#[derive(Debug, Clone, SimpleObject)]
pub struct RevenueConcentration {
    /// How many top clients `topShare` and `topClients` cover.
    pub top: i64,
    /// One group per currency; with conversion rates configured, the currencies with a rate
    /// form one converted group in the base currency, listed first. Then largest total first.
    pub groups: Vec<CurrencyConcentration>,
}

/// One manager's portfolio and what needs attention in it.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(complex)]
pub struct ManagerLoad {
    #[graphql(skip)]
    pub manager_id: Option<Uuid>,
    /// Current clients the manager owns.
    pub clients: i64,
    /// Of those, clients whose current quadrant is KEY.
    pub key_accounts: i64,
    /// Of those, clients with no interaction of any kind in the last `noContactDays` days.
    pub without_contact: i64,
    /// Of those, clients without an ACTIVE or DRAFT account plan.
    pub without_plan: i64,
    /// Of those, clients never scored or not assessed in the last `staleAfterDays` days.
    pub stale_scores: i64,
}

#[async_graphql::ComplexObject]
impl ManagerLoad {
    /// The manager; null for the row of the clients nobody manages.
    async fn manager(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.manager_id {
            Some(id) => Ok(ctx.loaders().user(id).await?.map(User)),
            None => Ok(None),
        }
    }
}

/// A growth signal that made a client prospective.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum GrowthSignal {
    /// The manager rated `growth_prospects` 7 or more (of 10).
    GrowthRating,
    /// The latest financial check reports revenue at least 20 % above the previous check's.
    RevenueTrend,
    /// ORDER revenue of the latest three months is at least 20 % above the three before
    /// (which must have had orders).
    OrderGrowth,
}

/// A client with low revenue today and a growth signal.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProspectiveClient {
    /// 1 for the strongest signal.
    pub rank: i64,
    /// The client.
    pub client: Client,
    /// Its ORDER revenue of the trailing twelve months (as `medianRevenue12m` counts it).
    #[graphql(name = "revenue12m")]
    pub revenue12m: Decimal,
    /// Its `growth_prospects` rating (1-10), if rated.
    pub growth_rating: Option<f64>,
    /// Revenue change from the fiscal year before to the latest in its financial checks (same
    /// currency), as a fraction (0.25 = +25 %).
    pub revenue_trend: Option<f64>,
    /// Change of ORDER revenue from the previous quarter to the latest, as a fraction.
    pub order_growth: Option<f64>,
    /// The signals that qualified it, at least one.
    pub signals: Vec<GrowthSignal>,
}

/// The prospective clients of a portfolio, ranked.
#[derive(Debug, Clone, SimpleObject)]
pub struct ProspectiveClients {
    /// The portfolio's median trailing twelve-month ORDER revenue (clients without orders count
    /// as 0); prospective clients are below it.
    #[graphql(name = "medianRevenue12m")]
    pub median_revenue12m: Decimal,
    /// The currency of the revenue figures when conversion rates are configured; null when
    /// amounts of all currencies are added nominally.
    pub currency: Option<String>,
    /// How many clients qualify.
    pub total_count: i64,
    /// The page asked for, strongest signal first.
    pub nodes: Vec<ProspectiveClient>,
}

/// The share `part / whole` as a float, 0 when `whole` is 0.
fn share(part: Dec, whole: Dec) -> f64 {
    if whole.is_zero() {
        return 0.0;
    }
    (part / whole).to_f64().unwrap_or(0.0)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn convert(settings: &ScoringSettings, currency: &str, amount: Dec) -> Option<Dec> {
    if settings.rates.is_empty() {
        return None;
    }
    let rate = Dec::from_f64(settings.rate(currency)?)?;
    Some((amount * rate).round_dp(4))
}

/// One client's amount in the figure `kaismMatrix` uses: converted where a rate exists,
/// otherwise added nominally.
fn combined(settings: &ScoringSettings, currency: &str, e4: i64) -> Dec {
    let amount = money::from_e4(e4);
    convert(settings, currency, amount).unwrap_or(amount)
}

/// The Pareto curve of `amounts` (sorted largest first) over `total`.
fn pareto(amounts: &[Dec], total: Dec) -> Vec<ParetoPoint> {
    let n = amounts.len();
    let ranks: Vec<usize> = if n <= 20 {
        (1..=n).collect()
    } else {
        (1..=20).map(|p| (p * n).div_ceil(20)).collect()
    };
    let mut cumulative = Dec::ZERO;
    let mut taken = 0;
    let mut points = Vec::with_capacity(ranks.len());
    for k in ranks {
        for amount in &amounts[taken..k] {
            cumulative += *amount;
        }
        taken = k;
        #[expect(clippy::cast_precision_loss, reason = "client counts as a share")]
        let client_share = k as f64 / n as f64;
        points.push(ParetoPoint {
            clients: count(k),
            client_share,
            revenue_share: share(cumulative, total),
        });
    }
    points
}

/// One currency group's figures from its clients' amounts, and its top clients with their
/// amounts, largest first.
fn concentration_group(
    currency: String,
    converted: bool,
    mut rows: Vec<(Uuid, Dec)>,
    top: usize,
) -> (Vec<(Uuid, Dec)>, CurrencyConcentration) {
    rows.retain(|(_, amount)| amount.is_sign_positive() && !amount.is_zero());
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let amounts: Vec<Dec> = rows.iter().map(|(_, a)| *a).collect();
    let total: Dec = amounts.iter().copied().sum();
    let top_total: Dec = amounts.iter().take(top).copied().sum();
    let group = CurrencyConcentration {
        currency,
        converted,
        total_revenue: Decimal(total),
        client_count: count(rows.len()),
        top_share: share(top_total, total),
        top_clients: Vec::new(),
        curve: pareto(&amounts, total),
    };
    rows.truncate(top);
    (rows, group)
}

/// The median of `population` amounts, of which `amounts` are the non-zero ones.
fn median(amounts: impl Iterator<Item = Dec>, population: u64) -> Dec {
    let mut values: Vec<Dec> = amounts.collect();
    let n = usize::try_from(population)
        .unwrap_or(usize::MAX)
        .max(values.len());
    values.extend(std::iter::repeat_n(Dec::ZERO, n - values.len()));
    values.sort_unstable();
    match n {
        0 => Dec::ZERO,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / Dec::TWO,
    }
}

fn check_days(field: &str, days: i32) -> AppResult<i64> {
    if (1..=3650).contains(&days) {
        Ok(i64::from(days))
    } else {
        Err(AppError::bad_input(
            field,
            "must be between 1 and 3650 days",
        ))
    }
}

/// Queries of portfolio analytics.
#[derive(Debug, Default)]
pub struct AnalyticsQuery;

#[Object]
impl AnalyticsQuery {
    /// How the clients moved between quadrants from `from` to `to`: a from × to matrix of
    /// counts with the clients that moved. Each client of the filter is placed by its latest
    /// assessment at or before each date; a client without one is UNSCORED. Two statements.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn quadrant_migration(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The earlier date.")] from: DateTime<Utc>,
        #[graphql(desc = "The later date, not before `from`.")] to: DateTime<Utc>,
        #[graphql(desc = "Which clients to place (default: every current client).")] filter: Option<
            ClientFilter,
        >,
        #[graphql(
            desc = "Most clients listed per cell that moved (0-100).",
            default = 20
        )]
        clients_per_cell: i32,
    ) -> async_graphql::Result<QuadrantMigration> {
        if to < from {
            return Err(AppError::bad_input("to", "`to` must not be before `from`").into());
        }
        let per_cell = u32::try_from(clients_per_cell)
            .ok()
            .filter(|n| *n <= 100)
            .ok_or_else(|| AppError::bad_input("clientsPerCell", "must be between 0 and 100"))?;
        let filter = filter.unwrap_or_default().parse()?;
        let (counts, movers) = store::migration(ctx.db(), &filter, from, to, per_cell).await?;
        let mut totals: HashMap<(PlacedQuadrant, PlacedQuadrant), i64> = HashMap::new();
        for row in counts {
            *totals
                .entry((
                    PlacedQuadrant::parse(&row.from_quadrant),
                    PlacedQuadrant::parse(&row.to_quadrant),
                ))
                .or_default() += row.total;
        }
        let mut moved: HashMap<(PlacedQuadrant, PlacedQuadrant), Vec<Uuid>> = HashMap::new();
        for row in movers {
            moved
                .entry((
                    PlacedQuadrant::parse(&row.from_quadrant),
                    PlacedQuadrant::parse(&row.to_quadrant),
                ))
                .or_default()
                .push(row.client_id);
        }
        let mut cells = Vec::with_capacity(PLACES.len() * PLACES.len());
        for from in PLACES {
            for to in PLACES {
                cells.push(MigrationCell {
                    from,
                    to,
                    count: totals.get(&(from, to)).copied().unwrap_or(0),
                    movers: if from == to {
                        Vec::new()
                    } else {
                        moved.remove(&(from, to)).unwrap_or_default()
                    },
                });
            }
        }
        Ok(QuadrantMigration { from, to, cells })
    }

    /// How concentrated the trailing twelve-month ORDER revenue is: the share of the top
    /// clients and the Pareto curve, per currency, or in the base currency for the currencies
    /// `KAIM_SCORING_RATES` converts. One statement, plus one to load the top clients.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn revenue_concentration(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many top clients to list and measure (1-100).",
            default = 10
        )]
        top: i32,
        #[graphql(desc = "Which clients to count (default: every current client).")] filter: Option<
            ClientFilter,
        >,
    ) -> async_graphql::Result<RevenueConcentration> {
        let top_n = usize::try_from(top)
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| AppError::bad_input("top", "must be between 1 and 100"))?;
        let filter = filter.unwrap_or_default().parse()?;
        let settings = &ctx.state().scoring;
        let now = db::now();
        let rows = store::order_revenue(
            ctx.db(),
            &filter,
            db::clients::revenue_window_start(now),
            now,
        )
        .await?;
        let mut by_group: HashMap<(String, bool), HashMap<Uuid, Dec>> = HashMap::new();
        for row in rows {
            let currency = row.currency.unwrap_or_default();
            let amount = money::from_e4(row.total);
            let (key, amount) = match convert(settings, &currency, amount) {
                Some(converted) => ((settings.base_currency.clone(), true), converted),
                None => ((currency, false), amount),
            };
            *by_group
                .entry(key)
                .or_default()
                .entry(row.client_id)
                .or_default() += amount;
        }
        let ranked: Vec<_> = by_group
            .into_iter()
            .map(|((currency, converted), clients)| {
                concentration_group(currency, converted, clients.into_iter().collect(), top_n)
            })
            .collect();
        // Every group's top clients in one batch.
        let ids: Vec<Uuid> = ranked
            .iter()
            .flat_map(|(top_rows, _)| top_rows.iter().map(|(id, _)| *id))
            .collect();
        // A client with orders in several unconverted currencies tops several groups.
        let models: HashMap<Uuid, client::Model> = ctx
            .loaders()
            .clients(&ids)
            .await?
            .into_iter()
            .map(|model| (model.id, model))
            .collect();
        let mut groups = Vec::with_capacity(ranked.len());
        for (top_rows, mut group) in ranked {
            let total = group.total_revenue.0;
            let mut cumulative = Dec::ZERO;
            for (rank, (id, revenue)) in top_rows.into_iter().enumerate() {
                cumulative += revenue;
                let Some(model) = models.get(&id).cloned() else {
                    continue;
                };
                group.top_clients.push(RankedClient {
                    rank: count(rank + 1),
                    client: Client(model),
                    revenue: Decimal(revenue),
                    share: share(revenue, total),
                    cumulative_share: share(cumulative, total),
                });
            }
            groups.push(group);
        }
        groups.sort_by(|a, b| {
            b.converted
                .cmp(&a.converted)
                .then(b.total_revenue.0.cmp(&a.total_revenue.0))
                .then(a.currency.cmp(&b.currency))
        });
        Ok(RevenueConcentration {
            top: i64::from(top),
            groups,
        })
    }

    /// Each manager's load: clients and KEY accounts owned, and how many lack recent contact,
    /// a current account plan or a recent score. Every MANAGER user is listed (by name, with
    /// zeros when they own nothing), then any other user owning clients, then the unassigned
    /// clients as the row without a manager. Two statements.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn manager_load(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "A score older than this many days (or none) is stale (1-3650).",
            default = 90
        )]
        stale_after_days: i32,
        #[graphql(
            desc = "No interaction in this many days counts as no contact (1-3650).",
            default = 60
        )]
        no_contact_days: i32,
        #[graphql(desc = "Which clients to count (default: every current client).")] filter: Option<
            ClientFilter,
        >,
    ) -> async_graphql::Result<Vec<ManagerLoad>> {
        let stale = check_days("staleAfterDays", stale_after_days)?;
        let contact = check_days("noContactDays", no_contact_days)?;
        let filter = filter.unwrap_or_default().parse()?;
        let now = db::now();
        let rows = store::manager_load(
            ctx.db(),
            &filter,
            now - chrono::Duration::days(contact),
            now - chrono::Duration::days(stale),
        )
        .await?;
        let mut by_manager: HashMap<Option<Uuid>, store::LoadRow> =
            rows.into_iter().map(|r| (r.manager_id, r)).collect();
        let mut loads = Vec::new();
        let into_load = |row: store::LoadRow| ManagerLoad {
            manager_id: row.manager_id,
            clients: row.clients,
            key_accounts: row.key_accounts,
            without_contact: row.without_contact,
            without_plan: row.without_plan,
            stale_scores: row.stale_scores,
        };
        for manager in store::managers(ctx.db()).await? {
            if filter.manager_id.is_some_and(|id| id != manager.id) {
                continue;
            }
            let row = by_manager
                .remove(&Some(manager.id))
                .unwrap_or(store::LoadRow {
                    manager_id: Some(manager.id),
                    ..store::LoadRow::default()
                });
            loads.push(into_load(row));
        }
        let unassigned = by_manager.remove(&None);
        let mut others: Vec<store::LoadRow> = by_manager.into_values().collect();
        others.sort_by_key(|r| r.manager_id);
        loads.extend(others.into_iter().map(into_load));
        loads.extend(unassigned.map(into_load));
        Ok(loads)
    }

    /// Prospective clients: low revenue today, high growth signals. A client qualifies when
    /// its trailing twelve-month ORDER revenue is below the median of the clients of the filter
    /// and at least one signal holds: a `growth_prospects` rating of 7 or more, a revenue rise
    /// of 20 % or more from one fiscal year to the next in its financial checks, or ORDER revenue of the latest
    /// three months 20 % or more above the three months before (which must have had orders).
    /// Ranked by the number of signals, then the strongest growth fraction, then the rating,
    /// then the lower revenue. Five statements, plus one to load the page's clients.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn prospective_clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which clients to consider (default: every current client).")]
        filter: Option<ClientFilter>,
        #[graphql(
            desc = "Page size (default 20, at most the configured cap).",
            default = 20
        )]
        limit: i32,
        #[graphql(desc = "How many ranked clients to skip.", default = 0)] offset: i32,
    ) -> async_graphql::Result<ProspectiveClients> {
        let limit = usize::try_from(limit)
            .ok()
            .filter(|n| *n >= 1 && u32::try_from(*n).is_ok_and(|n| n <= ctx.max_page_size()))
            .ok_or_else(|| {
                AppError::bad_input(
                    "limit",
                    format!("must be between 1 and {}", ctx.max_page_size()),
                )
            })?;
        let offset = usize::try_from(offset)
            .map_err(|_| AppError::bad_input("offset", "must not be negative"))?;
        let filter = filter.unwrap_or_default().parse()?;
        let settings = &ctx.state().scoring;
        let now = db::now();
        let population = db::clients::count(ctx.db(), &filter).await?;
        let rows = store::order_revenue(
            ctx.db(),
            &filter,
            db::clients::revenue_window_start(now),
            now,
        )
        .await?;
        let ratings = store::growth_ratings(ctx.db(), &filter).await?;
        let trends = store::revenue_trends(ctx.db(), &filter).await?;

        let mut revenue: HashMap<Uuid, Dec> = HashMap::new();
        let mut quarters: HashMap<Uuid, (Dec, Dec)> = HashMap::new();
        for row in &rows {
            let currency = row.currency.as_deref().unwrap_or_default();
            *revenue.entry(row.client_id).or_default() += combined(settings, currency, row.total);
            let q = quarters.entry(row.client_id).or_default();
            q.0 += combined(settings, currency, row.this_quarter);
            q.1 += combined(settings, currency, row.previous_quarter);
        }
        let median = median(revenue.values().copied(), population);
        let mut candidates: Vec<Uuid> = ratings
            .keys()
            .chain(trends.keys())
            .chain(quarters.keys())
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut qualified = Vec::new();
        for id in candidates {
            let income = revenue.get(&id).copied().unwrap_or_default();
            if income >= median {
                continue;
            }
            let rating = ratings.get(&id).copied();
            let trend = trends.get(&id).copied();
            let growth = quarters
                .get(&id)
                .filter(|(_, before)| before.is_sign_positive() && !before.is_zero())
                .map(|(latest, before)| share(*latest - *before, *before));
            let mut signals = Vec::new();
            if rating.is_some_and(|r| r >= 7.0) {
                signals.push(GrowthSignal::GrowthRating);
            }
            if trend.is_some_and(|t| t >= 0.2) {
                signals.push(GrowthSignal::RevenueTrend);
            }
            if growth.is_some_and(|g| g >= 0.2) {
                signals.push(GrowthSignal::OrderGrowth);
            }
            if !signals.is_empty() {
                qualified.push((id, income, rating, trend, growth, signals));
            }
        }
        let strongest = |t: Option<f64>, g: Option<f64>| {
            t.into_iter().chain(g).fold(f64::NEG_INFINITY, f64::max)
        };
        qualified.sort_by(|a, b| {
            b.5.len()
                .cmp(&a.5.len())
                .then(strongest(b.3, b.4).total_cmp(&strongest(a.3, a.4)))
                .then(b.2.unwrap_or(0.0).total_cmp(&a.2.unwrap_or(0.0)))
                .then(a.1.cmp(&b.1))
                .then(a.0.cmp(&b.0))
        });
        let total_count = count(qualified.len());
        let page: Vec<_> = qualified
            .into_iter()
            .enumerate()
            .skip(offset)
            .take(limit)
            .collect();
        let ids: Vec<Uuid> = page.iter().map(|(_, row)| row.0).collect();
        let mut models: HashMap<Uuid, client::Model> = ctx
            .loaders()
            .clients(&ids)
            .await?
            .into_iter()
            .map(|model| (model.id, model))
            .collect();
        let mut nodes = Vec::with_capacity(limit);
        for (i, (id, income, rating, trend, growth, signals)) in page {
            let Some(model) = models.remove(&id) else {
                continue;
            };
            nodes.push(ProspectiveClient {
                rank: count(i + 1),
                client: Client(model),
                revenue12m: Decimal(income),
                growth_rating: rating,
                revenue_trend: trend,
                order_growth: growth,
                signals,
            });
        }
        Ok(ProspectiveClients {
            median_revenue12m: Decimal(median),
            currency: (!settings.rates.is_empty()).then(|| settings.base_currency.clone()),
            total_count,
            nodes,
        })
    }
}
