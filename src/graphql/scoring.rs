//! KAISM scoring: the model, the assessments, the matrix, ratings and re-scoring.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{factor_rating, score};
use rust_decimal::prelude::FromPrimitive;

use super::{
    clients::{Client, ClientFilter, ClientOrder, ClientOrderField, OrderDirection, client_page},
    context::ContextExt,
    guards::{RoleGuard, Target},
    node::{self, Kind},
    pagination::{Page, PageArgs},
    scalars::Decimal,
    write::Write,
};
use crate::{
    db::{
        self,
        audit::Event,
        clients::ClientFilter as StoreFilter,
        scoring::{self as store, Scope, Versioned},
    },
    domain::{
        kaism::{self, FactorScore, Model, Source},
        money,
    },
    error::{AppError, AppResult},
};

/// A cell of the key account identification and selection matrix (KAISM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
#[graphql(remote = "kaism::Quadrant")]
pub enum Quadrant {
    /// High attractiveness, high loyalty: invest, senior-level relationship, account plan.
    Key,
    /// High attractiveness, low loyalty: win loyalty with tailored offers and proactive support.
    Development,
    /// Low attractiveness, high loyalty: serve efficiently, keep regularity.
    Support,
    /// Low on both: serve on standard terms, watch for change.
    Opportunistic,
}

const QUADRANTS: [Quadrant; 4] = [
    Quadrant::Key,
    Quadrant::Development,
    Quadrant::Support,
    Quadrant::Opportunistic,
];

/// An axis of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "kaism::Axis")]
pub enum Axis {
    /// How attractive the client is to us (vertical axis).
    Attractiveness,
    /// How loyal the client is to us, our strength in its eyes (horizontal axis).
    Loyalty,
}

/// One assessment of a client: both axes, the quadrant and every factor behind them.
#[derive(Debug, Clone)]
pub struct Score(pub score::Model);

/// One assessment of a client: both axes, the quadrant and every factor behind them. Each
/// axis is Σ weight·value / Σ weight over its factors, so any figure can be recomputed.
#[Object]
impl Score {
    /// The assessment's global id.
    pub async fn id(&self) -> ID {
        node::encode(Kind::Score, self.0.id)
    }

    /// The client assessed.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn client(&self, ctx: &Context<'_>) -> async_graphql::Result<Client> {
        Client::load(ctx, self.0.client_id).await
    }

    /// Attractiveness of the client to us, 0-100.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn attractiveness(&self) -> f64 {
        self.0.attractiveness
    }

    /// The client's loyalty to us, 0-100.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn loyalty(&self) -> f64 {
        self.0.loyalty
    }

    /// The cell of the matrix: high on an axis means at or above its threshold.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn quadrant(&self) -> async_graphql::Result<Quadrant> {
        Ok(kaism::Quadrant::parse(&self.0.quadrant)
            .ok_or_else(|| AppError::internal(format!("stored quadrant `{}`", self.0.quadrant)))?
            .into())
    }

    /// Every factor's value, weight and origin, in the model's order.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn factors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ScoreFactor>> {
        let factors: Vec<FactorScore> =
            serde_json::from_value(self.0.factors.clone()).map_err(AppError::internal)?;
        let model = ctx.loaders().scoring_model(self.0.model_version).await?;
        Ok(factors
            .into_iter()
            .map(|factor| {
                let label = model
                    .as_ref()
                    .and_then(|m| m.model.factor(&factor.key))
                    .map_or_else(|| factor.key.clone(), |f| f.label.clone());
                ScoreFactor {
                    key: factor.key,
                    axis: factor.axis.into(),
                    value: factor.value,
                    weight: factor.weight,
                    derived: factor.derived,
                    missing: factor.missing,
                    label,
                }
            })
            .collect())
    }

    /// The version of the scoring model the assessment was made with.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn model_version(&self) -> i32 {
        self.0.model_version
    }

    /// When the assessment was made.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn assessed_at(&self) -> DateTime<Utc> {
        self.0.assessed_at
    }

    /// One line a manager can read: the quadrant, the axes, the strongest and weakest factor.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn explanation(&self) -> &str {
        &self.0.explanation
    }

    /// Whether this is the client's current assessment (false once a newer one exists).
    #[graphql(guard = "RoleGuard::readers()")]
    async fn is_current(&self) -> bool {
        self.0.is_current
    }
}

/// One factor's part in an assessment.
#[derive(Debug, Clone, SimpleObject)]
pub struct ScoreFactor {
    /// The factor's stable key, such as `order_volume`.
    pub key: String,
    /// The axis it counts on.
    pub axis: Axis,
    /// The value, 0-100: a rating r of 1-10 counts as (r − 1) / 9 × 100, a derived volume-like
    /// factor is a percentile of the portfolio; 50 when there is no data.
    pub value: f64,
    /// The weight within its axis (the weights of an axis sum to 1).
    pub weight: f64,
    /// Derived from data (true) or rated 1-10 by the manager (false).
    pub derived: bool,
    /// No data (no rating yet, no financial check...): the value is the neutral 50.
    pub missing: bool,
    /// The factor's label in the model version of the assessment.
    pub label: String,
}

/// A versioned KAISM scoring model.
#[derive(Debug, Clone)]
pub struct ScoringModel(pub Versioned);

/// A versioned KAISM scoring model: the factors of both axes and the thresholds.
#[Object]
impl ScoringModel {
    /// The version; every score names the version it was computed with.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The factors of both axes.
    async fn factors(&self) -> Vec<ScoringFactor> {
        self.0
            .model
            .factors
            .iter()
            .map(|f| ScoringFactor {
                key: f.key.clone(),
                axis: f.axis.into(),
                label: f.label.clone(),
                description: f.description.clone(),
                weight: f.weight,
                derived: f.source == Source::Derived,
            })
            .collect()
    }

    /// The thresholds: a client at or above an axis's threshold is high on that axis.
    async fn thresholds(&self) -> Thresholds {
        Thresholds {
            attractiveness: self.0.model.thresholds.attractiveness,
            loyalty: self.0.model.thresholds.loyalty,
        }
    }

    /// When the version was saved; null for the built-in default model.
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.0.created_at
    }
}

/// One factor of a scoring model.
#[derive(Debug, Clone, SimpleObject)]
pub struct ScoringFactor {
    /// Stable key, such as `order_volume`; ratings name factors by it.
    pub key: String,
    /// The axis it counts on.
    pub axis: Axis,
    /// Short name for people.
    pub label: String,
    /// What it measures and, for a derived factor, how it maps onto 0-100.
    pub description: String,
    /// Weight within its axis; the weights of an axis sum to 1.
    pub weight: f64,
    /// Derived from data (true) or rated 1-10 by the manager (false).
    pub derived: bool,
}

/// The quadrant thresholds, 0-100.
#[derive(Debug, Clone, SimpleObject)]
pub struct Thresholds {
    /// At or above: high attractiveness.
    pub attractiveness: f64,
    /// At or above: high loyalty.
    pub loyalty: f64,
}

/// A proposed scoring model.
#[derive(Debug, InputObject)]
pub struct ScoringModelInput {
    /// The factors of both axes; each axis needs at least one. Weights are normalised per axis.
    pub factors: Vec<ScoringFactorInput>,
    /// The thresholds (default 50 on each axis).
    pub thresholds: Option<ThresholdsInput>,
}

/// One factor of a proposed model.
#[derive(Debug, InputObject)]
pub struct ScoringFactorInput {
    /// Stable key: 1-64 characters of a-z, 0-9 and _. A derived factor must be one kaim can
    /// compute: order_volume, order_frequency, regularity, financial_stability,
    /// financial_reputation, tenure, repeat_order_rate.
    pub key: String,
    /// The axis it counts on.
    pub axis: Axis,
    /// Short name for people.
    pub label: String,
    /// What it measures.
    #[graphql(default)]
    pub description: String,
    /// A positive weight; each axis's weights are normalised to sum to 1.
    pub weight: f64,
    /// Derived from data (true) or rated 1-10 by managers (false).
    pub derived: bool,
}

/// Proposed thresholds.
#[derive(Debug, InputObject)]
pub struct ThresholdsInput {
    /// At or above: high attractiveness (0-100).
    pub attractiveness: f64,
    /// At or above: high loyalty (0-100).
    pub loyalty: f64,
}

impl ScoringModelInput {
    fn parse(self) -> AppResult<Model> {
        let model = Model {
            factors: self
                .factors
                .into_iter()
                .map(|f| kaism::Factor {
                    key: f.key.trim().to_owned(),
                    axis: f.axis.into(),
                    label: f.label.trim().to_owned(),
                    description: f.description.trim().to_owned(),
                    weight: f.weight,
                    source: if f.derived {
                        Source::Derived
                    } else {
                        Source::Rated
                    },
                })
                .collect(),
            thresholds: self
                .thresholds
                .map_or_else(kaism::Thresholds::default, |t| kaism::Thresholds {
                    attractiveness: t.attractiveness,
                    loyalty: t.loyalty,
                }),
        };
        model
            .validated()
            .map_err(|err| AppError::bad_input(err.field, err.message))
    }
}

/// A manager's rating of one factor.
#[derive(Debug, InputObject)]
pub struct FactorRatingInput {
    /// The key of a RATED factor of the current model.
    pub key: String,
    /// 1 (worst) to 10 (best); counts as (value − 1) / 9 × 100.
    pub value: f64,
}

/// What a re-scoring did.
#[derive(Debug, Clone, SimpleObject)]
pub struct RescoreResult {
    /// Clients assessed.
    pub rescored: i64,
    /// Of those, clients whose quadrant differs from their previous assessment (a first
    /// assessment does not count as a change).
    pub changed_quadrant: i64,
}

impl From<store::RescoreOutcome> for RescoreResult {
    fn from(outcome: store::RescoreOutcome) -> Self {
        Self {
            rescored: i64::try_from(outcome.rescored).unwrap_or(i64::MAX),
            changed_quadrant: i64::try_from(outcome.changed_quadrant).unwrap_or(i64::MAX),
        }
    }
}

/// The portfolio's matrix by current scores.
#[derive(Debug)]
pub struct KaismMatrix {
    cells: Vec<KaismCell>,
    currency: Option<String>,
}

/// The key account identification and selection matrix of a set of clients, by their current
/// scores. Unscored clients are in no cell.
#[Object]
impl KaismMatrix {
    /// The four cells, always in the order KEY, DEVELOPMENT, SUPPORT, OPPORTUNISTIC.
    async fn cells(&self) -> &[KaismCell] {
        &self.cells
    }

    /// Scored clients in all cells.
    async fn total(&self) -> i64 {
        self.cells.iter().map(|c| c.count).sum()
    }

    /// The currency of `revenue12m`: the base currency when conversion rates are configured
    /// (`KAIM_SCORING_RATES`), null when amounts of all currencies are added nominally.
    async fn currency(&self) -> Option<&str> {
        self.currency.as_deref()
    }
}

/// One cell of the matrix.
#[derive(Debug)]
pub struct KaismCell {
    quadrant: Quadrant,
    count: i64,
    revenue: rust_decimal::Decimal,
    filter: StoreFilter,
}

/// One cell of the matrix: its clients and what they bring.
#[Object]
impl KaismCell {
    /// The quadrant.
    async fn quadrant(&self) -> Quadrant {
        self.quadrant
    }

    /// How many clients are currently in it.
    async fn count(&self) -> i64 {
        self.count
    }

    /// Their ORDER revenue of the trailing twelve months. Amounts are converted into the base
    /// currency where `KAIM_SCORING_RATES` gives a rate; amounts in other currencies (all of
    /// them when no rates are configured) are added nominally.
    #[graphql(name = "revenue12m")]
    async fn revenue12m(&self) -> Decimal {
        Decimal(self.revenue)
    }

    /// The clients of the cell, most attractive first.
    #[graphql(complexity = "super::pagination::connection_cost(first, None, child_complexity)")]
    async fn clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size (default 20, at most the configured cap).")] first: Option<i32>,
        #[graphql(desc = "Cursor to continue after.")] after: Option<String>,
    ) -> async_graphql::Result<Page<Client>> {
        let order = vec![ClientOrder {
            field: ClientOrderField::Attractiveness,
            direction: OrderDirection::Desc,
        }];
        Ok(client_page(
            ctx,
            self.filter.clone(),
            Some(order),
            &PageArgs::forward(first, after),
        )
        .await?)
    }
}

/// How many clients one quadrant would hold.
#[derive(Debug, Clone, SimpleObject)]
pub struct QuadrantCount {
    /// The quadrant.
    pub quadrant: Quadrant,
    /// How many clients.
    pub count: i64,
}

/// The matrix the portfolio would form under a proposed model; nothing is saved.
#[derive(Debug, Clone, SimpleObject)]
pub struct ScoringPreview {
    /// Clients per quadrant, in the order KEY, DEVELOPMENT, SUPPORT, OPPORTUNISTIC.
    pub cells: Vec<QuadrantCount>,
    /// Clients assessed.
    pub total: i64,
    /// Clients that would leave their current quadrant.
    pub changed_quadrant: i64,
}

fn revenue_total(
    rows: &[(String, i64)],
    settings: &crate::config::ScoringSettings,
) -> rust_decimal::Decimal {
    rows.iter()
        .map(|(currency, e4)| {
            let amount = money::from_e4(*e4);
            match (settings.rates.is_empty(), settings.rate(currency)) {
                (false, Some(rate)) => rust_decimal::Decimal::from_f64(rate)
                    .map_or(amount, |rate| (amount * rate).round_dp(4)),
                _ => amount,
            }
        })
        .sum()
}

/// Queries about scoring.
#[derive(Debug, Default)]
pub struct ScoringQuery;

#[Object]
impl ScoringQuery {
    /// The current scoring model.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn scoring_model(&self, ctx: &Context<'_>) -> async_graphql::Result<ScoringModel> {
        Ok(ScoringModel(store::current_model(ctx.db()).await?))
    }

    /// The matrix of the current portfolio by current scores: counts, trailing revenue and the
    /// clients of each cell.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn kaism_matrix(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which clients to place (default: every current client).")] filter: Option<
            ClientFilter,
        >,
    ) -> async_graphql::Result<KaismMatrix> {
        let filter = filter.unwrap_or_default().parse()?;
        let settings = &ctx.state().scoring;
        let since = db::clients::revenue_window_start(db::now());
        let mut cells = store::matrix(ctx.db(), &filter, since).await?;
        let cells = QUADRANTS
            .into_iter()
            .map(|quadrant| {
                let cell = cells.remove(&quadrant.into()).unwrap_or_default();
                let mut cell_filter = filter.clone();
                cell_filter.quadrant = vec![quadrant.into()];
                KaismCell {
                    quadrant,
                    count: cell.count,
                    revenue: revenue_total(&cell.revenue, settings),
                    filter: cell_filter,
                }
            })
            .collect();
        let currency = (!settings.rates.is_empty()).then(|| settings.base_currency.clone());
        Ok(KaismMatrix { cells, currency })
    }

    /// What the matrix of the current portfolio would look like under a proposed model,
    /// computed from today's data; nothing is saved.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn preview_scoring_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The proposed model.")] input: ScoringModelInput,
    ) -> async_graphql::Result<ScoringPreview> {
        let model = input.parse()?;
        let filter = StoreFilter::default();
        let (counts, outcome) = store::preview(
            ctx.db(),
            &ctx.state().scoring,
            &model,
            Scope::Filter(&filter),
        )
        .await?;
        let count = |q: Quadrant| {
            i64::try_from(counts.get(&q.into()).copied().unwrap_or(0)).unwrap_or(i64::MAX)
        };
        let result = RescoreResult::from(outcome);
        Ok(ScoringPreview {
            cells: QUADRANTS
                .into_iter()
                .map(|quadrant| QuadrantCount {
                    quadrant,
                    count: count(quadrant),
                })
                .collect(),
            total: result.rescored,
            changed_quadrant: result.changed_quadrant,
        })
    }
}

/// Changes to scoring. Each mutation is one transaction (re-scoring: one per batch).
#[derive(Debug, Default)]
pub struct ScoringMutation;

#[Object]
impl ScoringMutation {
    /// Saves a new version of the scoring model. Existing scores keep the version they were
    /// computed with; run `rescoreClients` to assess the portfolio under the new one.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn update_scoring_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new model.")] input: ScoringModelInput,
    ) -> async_graphql::Result<ScoringModel> {
        let model = Arc::new(input.parse()?);
        let saved = Write::run(ctx, |write| {
            let model = Arc::clone(&model);
            Box::pin(async move {
                let author = Some(write.principal().user_id);
                let saved = store::save_model(write.tx(), &model, author).await?;
                Ok((saved, None))
            })
        })
        .await?;
        Ok(ScoringModel(saved))
    }

    /// Stores a manager's 1-10 ratings of a client's RATED factors and re-scores the client,
    /// in one transaction. Administrators may rate any client, managers their own.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn rate_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id.")] client_id: ID,
        #[graphql(desc = "The ratings; a factor rated again replaces its earlier rating.")]
        ratings: Vec<FactorRatingInput>,
    ) -> async_graphql::Result<Score> {
        let id = node::decode(&client_id, Kind::Client, "clientId")?;
        let model = store::current_model(ctx.db()).await?;
        let mut parsed: Vec<(String, f64)> = Vec::with_capacity(ratings.len());
        for (i, rating) in ratings.iter().enumerate() {
            let key = rating.key.trim();
            let field = format!("ratings[{i}].key");
            match model.model.factor(key) {
                Some(f) if f.source == Source::Rated => {}
                Some(_) => {
                    return Err(AppError::bad_input(
                        field,
                        format!("`{key}` is derived from data and cannot be rated"),
                    )
                    .into());
                }
                None => {
                    return Err(AppError::bad_input(
                        field,
                        format!("`{key}` is not a factor of the current scoring model"),
                    )
                    .into());
                }
            }
            if parsed.iter().any(|(k, _)| k == key) {
                return Err(AppError::bad_input(field, format!("`{key}` is rated twice")).into());
            }
            kaism::rating_value(rating.value)
                .map_err(|message| AppError::bad_input(format!("ratings[{i}].value"), message))?;
            parsed.push((key.to_owned(), rating.value));
        }
        // Volume-like factors rank the client against the whole portfolio: that aggregate is
        // read before the write lock is taken, so other writers do not wait for it. An order
        // recorded meanwhile only leaves the new score stale, as any later order does.
        let now = db::now();
        let mut inputs =
            store::gather(ctx.db(), &ctx.state().scoring, Scope::Client(id), now).await?;
        inputs.rate(id, &parsed);
        let shared = Arc::new((model, inputs, parsed));
        let score = Write::run(ctx, |write| {
            let shared = Arc::clone(&shared);
            Box::pin(async move {
                let (model, inputs, parsed) = &*shared;
                write.authorize(Target::Client(id)).await?;
                let earlier = db::by_ids::<factor_rating::Entity, _>(
                    write.tx(),
                    factor_rating::Column::ClientId,
                    &[id],
                )
                .await?;
                let rated_by = Some(write.principal().user_id);
                store::upsert_ratings(write.tx(), id, parsed, rated_by).await?;
                store::write(write.tx(), model, inputs, &[id], now).await?;
                let score = store::current_of(write.tx(), id)
                    .await?
                    .ok_or_else(|| AppError::internal("the new score was not stored"))?;
                Ok((score, [Event::rated(id, &earlier, parsed)]))
            })
        })
        .await?;
        Ok(Score(score))
    }

    /// Re-scores all current clients, or those of `filter`, under the current model, in
    /// batches. Volume-like factors are ranked against the whole portfolio either way.
    #[graphql(guard = "RoleGuard::admin()")]
    async fn rescore_clients(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which clients to re-score (default: every current client).")]
        filter: Option<ClientFilter>,
    ) -> async_graphql::Result<RescoreResult> {
        let filter = filter.unwrap_or_default().parse()?;
        let outcome =
            store::rescore(ctx.db(), &ctx.state().scoring, Scope::Filter(&filter)).await?;
        Ok(outcome.into())
    }
}
