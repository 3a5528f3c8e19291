//! KAISM scoring in the database: the versioned models, the managers' ratings, the derived
//! factors computed in bulk for the whole portfolio, and the assessments written in batches.
//!
//! Re-scoring never runs a query per client: order volume and frequency are aggregated in SQL
//! for the whole portfolio, order dates and financial checks are streamed once, and scores are
//! inserted in chunks, each batch of clients in its own short transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{client, enums::InteractionKind, factor_rating, financial_check, interaction, score};
use futures::TryStreamExt;
use sea_orm::{
    ActiveEnum,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, StreamTrait,
    sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query, SelectStatement, SimpleExpr},
};
use uuid::Uuid;

use super::{
    clients::{ClientFilter, filter_condition},
    keyset::{PerParent, SortKey},
};
use crate::{
    config::ScoringSettings,
    domain::kaism::{self, Assessment, DERIVED_KEYS, FactorValues, Model, Quadrant, Source},
    error::{AppError, AppResult},
};

/// The version the default model has while no model is stored.
pub const DEFAULT_VERSION: i32 = 1;

/// Clients written per transaction when re-scoring.
const BATCH_CLIENTS: usize = 1000;

/// Score rows per `INSERT`, well within both backends' bind-parameter limits.
const INSERT_ROWS: usize = 500;

/// A model version as kaim uses it.
#[derive(Debug, Clone)]
pub struct Versioned {
    pub version: i32,
    pub model: Model,
    /// `None` for the built-in default while no model is stored.
    pub created_at: Option<DateTime<Utc>>,
}

fn default_versioned() -> AppResult<Versioned> {
    Ok(Versioned {
        version: DEFAULT_VERSION,
        model: Model::default_model()
            .validated()
            .map_err(AppError::internal)?,
        created_at: None,
    })
}

fn parse_stored(row: entity::scoring_model::Model) -> AppResult<Versioned> {
    Ok(Versioned {
        version: row.version,
        model: serde_json::from_value(row.model).map_err(AppError::internal)?,
        created_at: Some(row.created_at),
    })
}

/// The current model: the newest stored version, else the default as version 1.
///
/// # Errors
/// On a database failure or an unreadable stored model.
pub async fn current_model<C: ConnectionTrait>(db: &C) -> AppResult<Versioned> {
    let row = entity::scoring_model::Entity::find()
        .order_by_desc(entity::scoring_model::Column::Version)
        .one(db)
        .await?;
    row.map_or_else(default_versioned, parse_stored)
}

/// Models by version (the default stands in for version 1 while it is not stored).
///
/// # Errors
/// On a database failure or an unreadable stored model.
pub async fn models_by_versions<C: ConnectionTrait>(
    db: &C,
    versions: &[i32],
) -> AppResult<HashMap<i32, Versioned>> {
    let rows = entity::scoring_model::Entity::find()
        .filter(entity::scoring_model::Column::Version.is_in(versions.iter().copied()))
        .all(db)
        .await?;
    let mut models = HashMap::new();
    for row in rows {
        let model = parse_stored(row)?;
        models.insert(model.version, model);
    }
    if versions.contains(&DEFAULT_VERSION) && !models.contains_key(&DEFAULT_VERSION) {
        models.insert(DEFAULT_VERSION, default_versioned()?);
    }
    Ok(models)
}

/// Stores `model` (already validated) as the next version. The default model is stored as
/// version 1 first, so every version a score names can be read back.
///
/// # Errors
/// `CONFLICT` when another administrator saved a version at the same moment; database failures.
pub async fn save_model<C: ConnectionTrait>(
    db: &C,
    model: &Model,
    created_by: Option<Uuid>,
) -> AppResult<Versioned> {
    let current = current_model(db).await?;
    let now = super::now();
    let insert = |version: i32, model: &Model, by: Option<Uuid>| -> AppResult<_> {
        Ok(entity::scoring_model::ActiveModel {
            version: Set(version),
            model: Set(serde_json::to_value(model).map_err(AppError::internal)?),
            created_at: Set(now),
            created_by: Set(by),
        })
    };
    let conflict = |err| {
        AppError::from_db_unique(
            err,
            "another scoring model was saved at the same moment; reload it and try again",
        )
    };
    if current.created_at.is_none() {
        entity::scoring_model::Entity::insert(insert(DEFAULT_VERSION, &current.model, None)?)
            .exec(db)
            .await
            .map_err(conflict)?;
    }
    let version = current.version + 1;
    entity::scoring_model::Entity::insert(insert(version, model, created_by)?)
        .exec(db)
        .await
        .map_err(conflict)?;
    Ok(Versioned {
        version,
        model: model.clone(),
        created_at: Some(now),
    })
}

/// Stores a manager's ratings of a client (1-10, already checked), replacing earlier ones of
/// the same factors.
///
/// # Errors
/// On a database failure.
pub async fn upsert_ratings<C: ConnectionTrait>(
    db: &C,
    client_id: Uuid,
    ratings: &[(String, f64)],
    rated_by: Option<Uuid>,
) -> AppResult<()> {
    if ratings.is_empty() {
        return Ok(());
    }
    let now = super::now();
    let rows = ratings
        .iter()
        .map(|(key, rating)| factor_rating::ActiveModel {
            client_id: Set(client_id),
            factor_key: Set(key.clone()),
            rating: Set(*rating),
            rated_by: Set(rated_by),
            rated_at: Set(now),
        });
    factor_rating::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                factor_rating::Column::ClientId,
                factor_rating::Column::FactorKey,
            ])
            .update_columns([
                factor_rating::Column::Rating,
                factor_rating::Column::RatedBy,
                factor_rating::Column::RatedAt,
            ])
            .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Which clients to score.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// The clients of a filter (the whole current portfolio with the default filter).
    Filter(&'a ClientFilter),
    /// One client, archived or not.
    Client(Uuid),
}

impl Scope<'_> {
    fn condition(self) -> Condition {
        match self {
            Self::Filter(filter) => filter_condition(filter),
            Self::Client(id) => Condition::all().add(client::Column::Id.eq(id)),
        }
    }

    /// `SELECT id FROM clients WHERE <scope>`, for `client_id IN (...)`.
    fn client_ids(self) -> SelectStatement {
        client::Entity::find()
            .select_only()
            .column(client::Column::Id)
            .filter(self.condition())
            .into_query()
    }
}

/// The non-archived clients: the population volume-like factors are ranked in.
fn portfolio_ids() -> SelectStatement {
    client::Entity::find()
        .select_only()
        .column(client::Column::Id)
        .filter(client::Column::ArchivedAt.is_null())
        .into_query()
}

/// Everything needed to assess the clients of a scope, held compactly per client.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The clients to assess, in id order.
    pub targets: Vec<Uuid>,
    /// Derived factor values, indexed like [`DERIVED_KEYS`].
    derived: HashMap<Uuid, [Option<f64>; DERIVED_KEYS.len()]>,
    /// Ratings on the 0-100 scale.
    ratings: HashMap<Uuid, Vec<(String, f64)>>,
    /// Current quadrant of clients already scored.
    current: HashMap<Uuid, Quadrant>,
}

impl Inputs {
    /// Sets `client_id`'s ratings of the factors in `ratings` (on the 1-10 scale managers
    /// use; invalid ones are ignored), replacing what was read. `rateClient` gathers the
    /// portfolio before it takes the write lock, so the new ratings are not stored yet then.
    pub fn rate(&mut self, client_id: Uuid, ratings: &[(String, f64)]) {
        let stored = self.ratings.entry(client_id).or_default();
        for (key, rating) in ratings {
            let Ok(value) = kaism::rating_value(*rating) else {
                continue;
            };
            stored.retain(|(k, _)| k != key);
            stored.push((key.clone(), value));
        }
    }

    /// The factor values of one client.
    #[must_use]
    pub fn values(&self, client_id: Uuid) -> FactorValues {
        let mut values = FactorValues::new();
        if let Some(derived) = self.derived.get(&client_id) {
            for (key, value) in DERIVED_KEYS.iter().zip(derived) {
                values.insert((*key).to_owned(), *value);
            }
        }
        for (key, value) in self.ratings.get(&client_id).into_iter().flatten() {
            values.entry(key.clone()).or_insert(Some(*value));
        }
        values
    }

    /// Assesses one client under `model`. A rated key never overrides a derived factor, and
    /// a derived key rated by hand counts only when the model has it as RATED.
    #[must_use]
    pub fn assess(&self, model: &Model, client_id: Uuid) -> Assessment {
        let mut values = self.values(client_id);
        for factor in &model.factors {
            if factor.source == Source::Rated {
                let rated = self
                    .ratings
                    .get(&client_id)
                    .and_then(|r| r.iter().find(|(k, _)| *k == factor.key))
                    .map(|(_, v)| *v);
                values.insert(factor.key.clone(), rated);
            }
        }
        kaism::assess(model, &values)
    }

    /// The client's quadrant before this assessment, if it had one.
    #[must_use]
    pub fn current_quadrant(&self, client_id: Uuid) -> Option<Quadrant> {
        self.current.get(&client_id).copied()
    }
}

fn slot(key: &str) -> usize {
    DERIVED_KEYS.iter().position(|k| *k == key).unwrap_or(0)
}

#[derive(Debug, FromQueryResult)]
struct OrderTotals {
    client_id: Uuid,
    currency: Option<String>,
    total: i64,
    orders: i64,
}

#[expect(
    clippy::cast_precision_loss,
    reason = "money and counts as factor inputs"
)]
const fn as_f64(value: i64) -> f64 {
    value as f64
}

/// The start of the trailing window the derived factors read.
#[must_use]
pub fn window_start(settings: &ScoringSettings, now: DateTime<Utc>) -> DateTime<Utc> {
    now - chrono::Months::new(settings.window_months)
}

/// Reads what assessing the clients of `scope` needs, in a fixed number of statements.
///
/// # Errors
/// On a database failure.
#[expect(clippy::too_many_lines, reason = "one pass per data source, in order")]
pub async fn gather<C: ConnectionTrait + StreamTrait>(
    db: &C,
    settings: &ScoringSettings,
    scope: Scope<'_>,
    now: DateTime<Utc>,
) -> AppResult<Inputs> {
    let since = window_start(settings, now);
    let mut inputs = Inputs {
        targets: client::Entity::find()
            .select_only()
            .column(client::Column::Id)
            .filter(scope.condition())
            .order_by_asc(client::Column::Id)
            .into_tuple::<Uuid>()
            .all(db)
            .await?,
        ..Inputs::default()
    };
    if inputs.targets.is_empty() {
        return Ok(inputs);
    }
    let empty = [None; DERIVED_KEYS.len()];
    for id in &inputs.targets {
        inputs.derived.insert(*id, empty);
    }

    // Volume and frequency: one grouped statement over the whole portfolio's orders.
    let portfolio_size = client::Entity::find()
        .filter(client::Column::ArchivedAt.is_null())
        .count(db)
        .await?;
    let totals = interaction::Entity::find()
        .select_only()
        .column(interaction::Column::ClientId)
        .column(interaction::Column::Currency)
        .column_as(
            SimpleExpr::from(Func::coalesce([
                Func::cast_as(
                    Func::sum(Expr::col(interaction::Column::AmountE4)),
                    "BIGINT",
                )
                .into(),
                Expr::val(0i64),
            ])),
            "total",
        )
        .column_as(
            SimpleExpr::from(Func::cast_as(
                Func::count(Expr::col(interaction::Column::Id)),
                "BIGINT",
            )),
            "orders",
        )
        .filter(interaction::Column::Kind.eq(InteractionKind::Order))
        .filter(interaction::Column::OccurredAt.gte(since))
        .filter(interaction::Column::ClientId.in_subquery(portfolio_ids()))
        .group_by(interaction::Column::ClientId)
        .group_by(interaction::Column::Currency)
        .into_model::<OrderTotals>()
        .all(db)
        .await?;
    let mut converted: HashMap<Uuid, f64> = HashMap::new();
    let mut unconverted: HashMap<String, Vec<(Uuid, f64)>> = HashMap::new();
    let mut order_counts: HashMap<Uuid, i64> = HashMap::new();
    for row in totals {
        *order_counts.entry(row.client_id).or_default() += row.orders;
        let currency = row.currency.unwrap_or_default();
        match settings.rate(&currency) {
            Some(rate) => {
                *converted.entry(row.client_id).or_default() += as_f64(row.total) * rate;
            }
            None => unconverted
                .entry(currency)
                .or_default()
                .push((row.client_id, as_f64(row.total))),
        }
    }
    let clients_with_orders = u64::try_from(order_counts.len()).unwrap_or(u64::MAX);
    let without_orders =
        usize::try_from(portfolio_size.saturating_sub(clients_with_orders)).unwrap_or(usize::MAX);
    // Clients without orders count as zero volume in the converted population.
    let mut base: Vec<f64> = converted.values().copied().collect();
    base.extend(std::iter::repeat_n(0.0, without_orders));
    base.sort_by(f64::total_cmp);
    let mut volume: HashMap<Uuid, f64> = HashMap::new();
    for id in &inputs.targets {
        if let Some(total) = converted.get(id) {
            volume.insert(*id, kaism::percentile(*total, &base));
        } else if !order_counts.contains_key(id) {
            volume.insert(*id, kaism::percentile(0.0, &base));
        }
    }
    for rows in unconverted.values() {
        let mut population: Vec<f64> = rows.iter().map(|(_, v)| *v).collect();
        population.sort_by(f64::total_cmp);
        for (id, total) in rows {
            if inputs.derived.contains_key(id) {
                let rank = kaism::percentile(*total, &population);
                let best = volume.entry(*id).or_insert(rank);
                *best = best.max(rank);
            }
        }
    }
    let mut frequency: Vec<f64> = order_counts.values().map(|n| as_f64(*n)).collect();
    frequency.extend(std::iter::repeat_n(0.0, without_orders));
    frequency.sort_by(f64::total_cmp);
    for (id, values) in &mut inputs.derived {
        values[slot("order_volume")] = volume.get(id).copied();
        let orders = order_counts.get(id).copied().unwrap_or(0);
        values[slot("order_frequency")] = Some(kaism::percentile(as_f64(orders), &frequency));
        values[slot("repeat_order_rate")] = kaism::repeat_order_rate(0, settings.window_months);
    }

    // Regularity and repeat-order rate: the window's order dates, streamed client by client.
    {
        #[expect(clippy::cast_precision_loss, reason = "seconds of a window")]
        let window_days = Ord::max((now - since).num_seconds(), 1) as f64 / 86_400.0;
        let months = f64::from(settings.window_months);
        let stream = interaction::Entity::find()
            .select_only()
            .column(interaction::Column::ClientId)
            .column(interaction::Column::OccurredAt)
            .filter(interaction::Column::Kind.eq(InteractionKind::Order))
            .filter(interaction::Column::OccurredAt.gte(since))
            .filter(interaction::Column::ClientId.in_subquery(scope.client_ids()))
            .order_by_asc(interaction::Column::ClientId)
            .order_by_asc(interaction::Column::OccurredAt)
            .into_tuple::<(Uuid, DateTime<Utc>)>()
            .stream(db)
            .await?;
        let mut stream = std::pin::pin!(stream);
        let mut current: Option<Uuid> = None;
        let mut dates: Vec<f64> = Vec::new();
        let mut finish = |id: Option<Uuid>, dates: &mut Vec<f64>| {
            let Some(id) = id else { return };
            let gaps: Vec<f64> = dates.windows(2).map(|w| w[1] - w[0]).collect();
            let mut buckets: Vec<u32> = dates
                .iter()
                .map(|day| {
                    let bucket = (day / window_days * months)
                        .floor()
                        .clamp(0.0, months - 1.0);
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "clamped to 0..window months"
                    )]
                    let bucket = bucket as u32;
                    bucket
                })
                .collect();
            buckets.dedup();
            if let Some(values) = inputs.derived.get_mut(&id) {
                values[slot("regularity")] = kaism::regularity(&gaps);
                values[slot("repeat_order_rate")] = kaism::repeat_order_rate(
                    u32::try_from(buckets.len()).unwrap_or(u32::MAX),
                    settings.window_months,
                );
            }
            dates.clear();
        };
        while let Some((id, at)) = stream.try_next().await? {
            if current != Some(id) {
                finish(current, &mut dates);
                current = Some(id);
            }
            #[expect(clippy::cast_precision_loss, reason = "seconds within a window")]
            dates.push((at - since).num_seconds() as f64 / 86_400.0);
        }
        finish(current, &mut dates);
    }

    // Tenure: the first interaction of any kind, ever. Each stream is dropped before the next
    // statement, as a transaction's connection serves one statement at a time.
    {
        let firsts = interaction::Entity::find()
            .select_only()
            .column(interaction::Column::ClientId)
            .column_as(Expr::col(interaction::Column::OccurredAt).min(), "first_at")
            .filter(interaction::Column::ClientId.in_subquery(scope.client_ids()))
            .group_by(interaction::Column::ClientId)
            .into_tuple::<(Uuid, DateTime<Utc>)>()
            .stream(db)
            .await?;
        let mut firsts = std::pin::pin!(firsts);
        while let Some((id, first)) = firsts.try_next().await? {
            if let Some(values) = inputs.derived.get_mut(&id) {
                #[expect(clippy::cast_precision_loss, reason = "seconds of a relationship")]
                let years = Ord::max((now - first).num_seconds(), 0) as f64 / (365.25 * 86_400.0);
                values[slot("tenure")] = Some(kaism::tenure(years));
            }
        }
    }

    // Financial factors: the latest checks of each client folded into solvency facts, in one
    // windowed statement.
    super::checks::fold_recent(
        db,
        Condition::all().add(financial_check::Column::ClientId.in_subquery(scope.client_ids())),
        |id, facts| {
            if let Some(values) = inputs.derived.get_mut(&id) {
                values[slot("financial_stability")] = kaism::financial_stability(&facts);
                values[slot("financial_reputation")] = kaism::financial_reputation(&facts);
            }
        },
    )
    .await?;

    // Ratings and current quadrants.
    {
        let ratings = factor_rating::Entity::find()
            .filter(factor_rating::Column::ClientId.in_subquery(scope.client_ids()))
            .stream(db)
            .await?;
        let mut ratings = std::pin::pin!(ratings);
        while let Some(rating) = ratings.try_next().await? {
            if let Ok(value) = kaism::rating_value(rating.rating) {
                inputs
                    .ratings
                    .entry(rating.client_id)
                    .or_default()
                    .push((rating.factor_key, value));
            }
        }
    }
    let current = score::Entity::find()
        .select_only()
        .column(score::Column::ClientId)
        .column(score::Column::Quadrant)
        .filter(score::Column::IsCurrent.eq(true))
        .filter(score::Column::ClientId.in_subquery(scope.client_ids()))
        .into_tuple::<(Uuid, String)>()
        .stream(db)
        .await?;
    let mut current = std::pin::pin!(current);
    while let Some((id, quadrant)) = current.try_next().await? {
        if let Some(quadrant) = Quadrant::parse(&quadrant) {
            inputs.current.insert(id, quadrant);
        }
    }
    Ok(inputs)
}

/// A registry's status text in the common lower-case set; kept here for callers that found it
/// next to the scoring it feeds.
pub use crate::domain::solvency::common_status;

/// What a re-scoring did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RescoreOutcome {
    /// Clients assessed.
    pub rescored: u64,
    /// Of those, clients whose quadrant differs from their previous assessment (first
    /// assessments do not count).
    pub changed_quadrant: u64,
}

/// Assesses `ids` and writes the scores over `db`: the previous current scores are flagged
/// old, the new ones inserted as current. The clients are locked first
/// ([`super::clients::lock`]), so a concurrent scoring of the same clients waits for this one
/// and then replaces its scores, rather than both inserting a current score.
///
/// # Errors
/// On a database failure.
pub async fn write<C: ConnectionTrait>(
    db: &C,
    model: &Versioned,
    inputs: &Inputs,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<RescoreOutcome> {
    let mut outcome = RescoreOutcome::default();
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let assessment = inputs.assess(&model.model, *id);
        outcome.rescored += 1;
        if inputs
            .current_quadrant(*id)
            .is_some_and(|q| q != assessment.quadrant)
        {
            outcome.changed_quadrant += 1;
        }
        rows.push(score::ActiveModel {
            id: Set(Uuid::now_v7()),
            client_id: Set(*id),
            model_version: Set(model.version),
            attractiveness: Set(assessment.attractiveness),
            loyalty: Set(assessment.loyalty),
            quadrant: Set(assessment.quadrant.as_str().to_owned()),
            factors: Set(serde_json::to_value(&assessment.factors).map_err(AppError::internal)?),
            explanation: Set(assessment.explanation),
            assessed_at: Set(now),
            is_current: Set(true),
        });
    }
    super::clients::lock(db, ids).await?;
    score::Entity::update_many()
        .col_expr(score::Column::IsCurrent, Expr::val(false))
        .filter(score::Column::IsCurrent.eq(true))
        .filter(score::Column::ClientId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_ROWS).collect();
        score::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(outcome)
}

/// [`write`]s the scores of `ids` in a transaction of their own, run again when it lost a race
/// ([`super::Retry`]).
///
/// # Errors
/// On a database failure.
pub async fn write_batch(
    db: &DatabaseConnection,
    model: &Versioned,
    inputs: &Inputs,
    ids: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<RescoreOutcome> {
    let mut retry = super::Retry::default();
    loop {
        let attempt: AppResult<RescoreOutcome> = async {
            let tx = super::begin_write(db).await?;
            let done = write(&tx, model, inputs, ids, now).await?;
            tx.commit().await?;
            Ok(done)
        }
        .await;
        match attempt {
            Err(err) if retry.again(&err).await => {}
            attempt => return attempt,
        }
    }
}

/// Re-scores the clients of `scope` under the current model, in batches of clients, each
/// batch one transaction (so readers never wait long, and a failure keeps earlier batches),
/// run again when it lost a race ([`write_batch`]). Any number of re-scorings may run at
/// once, on any number of instances: they take turns per client, and the last one's scores
/// are current.
///
/// # Errors
/// On a database failure.
pub async fn rescore(
    db: &DatabaseConnection,
    settings: &ScoringSettings,
    scope: Scope<'_>,
) -> AppResult<RescoreOutcome> {
    let now = super::now();
    let model = current_model(db).await?;
    let inputs = gather(db, settings, scope, now).await?;
    let mut outcome = RescoreOutcome::default();
    for batch in inputs.targets.chunks(BATCH_CLIENTS) {
        let done = write_batch(db, &model, &inputs, batch, now).await?;
        outcome.rescored += done.rescored;
        outcome.changed_quadrant += done.changed_quadrant;
    }
    Ok(outcome)
}

/// The matrix the clients of `scope` would form under `model`, without writing anything:
/// the count per quadrant, and how many would leave their current quadrant.
///
/// # Errors
/// On a database failure.
pub async fn preview<C: ConnectionTrait + StreamTrait>(
    db: &C,
    settings: &ScoringSettings,
    model: &Model,
    scope: Scope<'_>,
) -> AppResult<(HashMap<Quadrant, u64>, RescoreOutcome)> {
    let inputs = gather(db, settings, scope, super::now()).await?;
    let mut counts: HashMap<Quadrant, u64> = HashMap::new();
    let mut outcome = RescoreOutcome::default();
    for id in &inputs.targets {
        let quadrant = inputs.assess(model, *id).quadrant;
        *counts.entry(quadrant).or_default() += 1;
        outcome.rescored += 1;
        if inputs.current_quadrant(*id).is_some_and(|q| q != quadrant) {
            outcome.changed_quadrant += 1;
        }
    }
    Ok((counts, outcome))
}

/// The current scores of many clients.
///
/// # Errors
/// On a database failure.
pub async fn current_by_clients<C: ConnectionTrait>(
    db: &C,
    client_ids: &[Uuid],
) -> AppResult<Vec<score::Model>> {
    Ok(score::Entity::find()
        .filter(score::Column::IsCurrent.eq(true))
        .filter(super::one_of(
            db.get_database_backend(),
            score::Column::ClientId,
            client_ids,
        ))
        .all(db)
        .await?)
}

/// A client's current score.
///
/// # Errors
/// On a database failure.
pub async fn current_of<C: ConnectionTrait>(
    db: &C,
    client_id: Uuid,
) -> AppResult<Option<score::Model>> {
    Ok(current_by_clients(db, &[client_id])
        .await?
        .into_iter()
        .next())
}

/// A client's assessments, newest first.
#[derive(Debug)]
pub struct OfClient;

impl PerParent for OfClient {
    type Entity = score::Entity;
    type Model = score::Model;
    type Filter = ();
    const SIGNATURE: &'static str = "scores:assessed_at:desc";

    fn parent_column() -> score::Column {
        score::Column::ClientId
    }
    fn parent_of(model: &score::Model) -> Uuid {
        model.client_id
    }
    fn select((): &()) -> Select<score::Entity> {
        score::Entity::find()
    }
    fn sort_keys() -> Vec<SortKey> {
        vec![
            SortKey::new(Expr::col((score::Entity, score::Column::AssessedAt)), true),
            SortKey::new(Expr::col((score::Entity, score::Column::Id)), true),
        ]
    }
    fn sort_values(model: &score::Model) -> Vec<sea_orm::sea_query::Value> {
        vec![model.assessed_at.into(), model.id.into()]
    }
}

/// One cell of the matrix as stored: how many clients, and their trailing order revenue per
/// currency (fixed point e4).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub count: i64,
    pub revenue: Vec<(String, i64)>,
}

#[derive(Debug, FromQueryResult)]
struct CellCount {
    quadrant: String,
    total: i64,
}

#[derive(Debug, FromQueryResult)]
struct CellRevenue {
    quadrant: String,
    currency: Option<String>,
    total: i64,
}

/// The matrix of the clients of `filter` by their current scores: two grouped statements.
///
/// # Errors
/// On a database failure.
pub async fn matrix<C: ConnectionTrait>(
    db: &C,
    filter: &ClientFilter,
    since: DateTime<Utc>,
) -> AppResult<HashMap<Quadrant, Cell>> {
    let clients = Scope::Filter(filter).client_ids();
    let counts = score::Entity::find()
        .select_only()
        .column(score::Column::Quadrant)
        .column_as(
            SimpleExpr::from(Func::cast_as(
                Func::count(Expr::col(score::Column::Id)),
                "BIGINT",
            )),
            "total",
        )
        .filter(score::Column::IsCurrent.eq(true))
        .filter(score::Column::ClientId.in_subquery(clients.clone()))
        .group_by(score::Column::Quadrant)
        .into_model::<CellCount>()
        .all(db)
        .await?;
    let mut cells: HashMap<Quadrant, Cell> = HashMap::new();
    for row in counts {
        if let Some(q) = Quadrant::parse(&row.quadrant) {
            cells.entry(q).or_default().count = row.total;
        }
    }
    let revenue = Query::select()
        .column((score::Entity, score::Column::Quadrant))
        .column((interaction::Entity, interaction::Column::Currency))
        .expr_as(
            Func::cast_as(
                Func::sum(Expr::col((
                    interaction::Entity,
                    interaction::Column::AmountE4,
                ))),
                "BIGINT",
            ),
            Alias::new("total"),
        )
        .from(interaction::Entity)
        .inner_join(
            score::Entity,
            Expr::col((score::Entity, score::Column::ClientId))
                .equals((interaction::Entity, interaction::Column::ClientId))
                .and(Expr::col((score::Entity, score::Column::IsCurrent)).eq(true)),
        )
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::Kind))
                .eq(InteractionKind::Order.to_value()),
        )
        .and_where(Expr::col((interaction::Entity, interaction::Column::OccurredAt)).gte(since))
        .and_where(Expr::col((interaction::Entity, interaction::Column::AmountE4)).is_not_null())
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::ClientId)).in_subquery(clients),
        )
        .group_by_col((score::Entity, score::Column::Quadrant))
        .group_by_col((interaction::Entity, interaction::Column::Currency))
        .to_owned();
    let statement = ConnectionTrait::get_database_backend(db).build(&revenue);
    for row in CellRevenue::find_by_statement(statement).all(db).await? {
        if let Some(q) = Quadrant::parse(&row.quadrant) {
            cells
                .entry(q)
                .or_default()
                .revenue
                .push((row.currency.unwrap_or_default(), row.total));
        }
    }
    Ok(cells)
}
