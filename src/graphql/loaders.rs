//! Batch loading: every object reached through a relation, and every nested connection, is
//! fetched for all parents of a response level in one statement. One `DataLoader` serves every
//! key type; loaders live for one request, so nothing is cached across requests.

use std::{
    collections::HashMap,
    hash::Hash,
    marker::PhantomData,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{
    account_plan, client, contact, financial_check, interaction, need, registry_cache, registry_id,
    score, user,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{context::AppState, pagination::PageArgs};
use crate::{
    db::{
        self,
        keyset::{PerParent, Window},
    },
    error::{AppError, AppResult},
};

/// The request's loaders.
pub struct Loaders {
    loader: DataLoader<Db>,
    polls: Arc<Polls>,
    /// Clients this request has read as a page of clients, so that what hangs under them
    /// (`contacts { client { ... } }`) answers from those rows instead of reading them again.
    /// Forgotten when the request writes ([`Self::forget_read`]).
    seen_clients: std::sync::Mutex<HashMap<Uuid, client::Model>>,
}

impl std::fmt::Debug for Loaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaders").finish_non_exhaustive()
    }
}

/// The loader behind every key type.
pub struct Db {
    db: DatabaseConnection,
    max_page_size: u32,
}

fn to_gql(err: AppError) -> async_graphql::Error {
    err.into()
}

/// How often the request's execution has been polled; see [`Loaders::track`].
#[derive(Debug, Default)]
struct Polls(AtomicU64);

impl Polls {
    fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The most times a batch lets the request run first, so a request that never rests cannot
/// hold its batches back.
const MAX_BATCH_YIELDS: usize = 256;

impl Loaders {
    /// Loaders reading from `db` (the operation's [`super::context::ReadFrom`]).
    #[must_use]
    pub fn new(state: &AppState, db: DatabaseConnection) -> Self {
        let polls = Arc::new(Polls::default());
        let batch_polls = Arc::clone(&polls);
        Self {
            loader: DataLoader::new(
                Db {
                    db,
                    max_page_size: state.api.max_page_size,
                },
                // A batch waits until the resolvers of its level have all asked: it yields to
                // the request until a turn passes in which the request did not run (its task
                // rests only when every pending resolver waits on a load). async-graphql's
                // own wait (1 ms per level by default) is set to none below; a timer would
                // only add latency. Batches log under the request's span, so an error's cause
                // carries the request id its response names.
                move |batch| {
                    let polls = Arc::clone(&batch_polls);
                    let after_rest = async move {
                        for _ in 0..MAX_BATCH_YIELDS {
                            let seen = polls.count();
                            tokio::task::yield_now().await;
                            if polls.count() == seen {
                                break;
                            }
                        }
                        batch.await;
                    };
                    tokio::spawn(tracing::Instrument::in_current_span(after_rest))
                },
            )
            .delay(std::time::Duration::ZERO),
            polls,
            seen_clients: std::sync::Mutex::default(),
        }
    }

    /// Runs the request's execution, counting its polls, which tell its batches when every
    /// resolver of a level has asked.
    pub async fn track<F: Future>(&self, execution: F) -> F::Output {
        let mut execution = std::pin::pin!(execution);
        std::future::poll_fn(|cx| {
            self.polls.0.fetch_add(1, Ordering::Relaxed);
            execution.as_mut().poll(cx)
        })
        .await
    }

    /// Remembers clients the request has read, for [`Self::client`].
    pub fn saw_clients<'a>(&self, clients: impl IntoIterator<Item = &'a client::Model>) {
        if let Ok(mut seen) = self.seen_clients.lock() {
            seen.extend(clients.into_iter().map(|c| (c.id, c.clone())));
        }
    }

    /// Forgets what the request has read, once it has written: rows read before a write may
    /// be stale after it.
    pub fn forget_read(&self) {
        if let Ok(mut seen) = self.seen_clients.lock() {
            seen.clear();
        }
    }

    /// One client by id: as this request has read it, else loaded in a batch.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn client(&self, id: Uuid) -> async_graphql::Result<Option<client::Model>> {
        let seen = self
            .seen_clients
            .lock()
            .ok()
            .and_then(|seen| seen.get(&id).cloned());
        match seen {
            Some(client) => Ok(Some(client)),
            None => self.loader.load_one(ClientKey(id)).await,
        }
    }

    /// The underlying loader, for keys that have no shorthand here.
    #[must_use]
    pub const fn raw(&self) -> &DataLoader<Db> {
        &self.loader
    }

    /// A page of each parent's nested list; `window` has been validated from `args`.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn page<L: PerParent>(
        &self,
        parent: Uuid,
        args: PageArgs,
        filter: L::Filter,
    ) -> async_graphql::Result<Vec<L::Model>> {
        let key = PageKey::<L> {
            parent,
            args,
            filter,
            list: PhantomData,
        };
        Ok(self.loader.load_one(key).await?.unwrap_or_default())
    }

    /// How many rows each parent's nested list has.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn count<L: PerParent>(
        &self,
        parent: Uuid,
        filter: L::Filter,
    ) -> async_graphql::Result<i64> {
        let key = CountKey::<L> {
            parent,
            filter,
            list: PhantomData,
        };
        Ok(self.loader.load_one(key).await?.unwrap_or(0))
    }
}

macro_rules! by_id {
    ($key:ident, $method:ident, $entity:path, $model:ty, $column:path) => {
        #[doc = concat!("Loads `", stringify!($model), "` by id.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for Db {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $model>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = db::by_ids::<$entity, _>(&self.db, $column, &ids)
                    .await
                    .map_err(to_gql)?;
                Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
            }
        }

        impl Loaders {
            #[doc = concat!("One `", stringify!($model), "` by id.")]
            ///
            /// # Errors
            /// On a database failure.
            pub async fn $method(&self, id: Uuid) -> async_graphql::Result<Option<$model>> {
                self.loader.load_one($key(id)).await
            }
        }
    };
}

by_id!(UserKey, user, user::Entity, user::Model, user::Column::Id);
by_id!(
    ClientKey,
    load_client,
    client::Entity,
    client::Model,
    client::Column::Id
);
impl Loaders {
    /// Clients by id in one batch, in the order of `ids`; unknown ids are left out. For lists
    /// built outside the page's own query (analytics), which would otherwise load one by one.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn clients(&self, ids: &[Uuid]) -> async_graphql::Result<Vec<client::Model>> {
        let mut found = self
            .loader
            .load_many(ids.iter().map(|id| ClientKey(*id)))
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.remove(&ClientKey(*id)))
            .collect())
    }
}

by_id!(
    ContactKey,
    contact,
    contact::Entity,
    contact::Model,
    contact::Column::Id
);
by_id!(
    InteractionKey,
    interaction,
    interaction::Entity,
    interaction::Model,
    interaction::Column::Id
);
by_id!(
    FinancialCheckKey,
    financial_check,
    financial_check::Entity,
    financial_check::Model,
    financial_check::Column::Id
);
by_id!(NeedKey, need, need::Entity, need::Model, need::Column::Id);
by_id!(
    AccountPlanKey,
    account_plan,
    account_plan::Entity,
    account_plan::Model,
    account_plan::Column::Id
);

by_id!(
    ScoreKey,
    score,
    score::Entity,
    score::Model,
    score::Column::Id
);

/// A client's current KAISM score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrentScoreOf(pub Uuid);

impl Loader<CurrentScoreOf> for Db {
    type Value = score::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[CurrentScoreOf],
    ) -> Result<HashMap<CurrentScoreOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = db::scoring::current_by_clients(&self.db, &ids)
            .await
            .map_err(to_gql)?;
        Ok(rows
            .into_iter()
            .map(|row| (CurrentScoreOf(row.client_id), row))
            .collect())
    }
}

/// A scoring model by version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScoringModelVersion(pub i32);

impl Loader<ScoringModelVersion> for Db {
    type Value = Arc<db::scoring::Versioned>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ScoringModelVersion],
    ) -> Result<HashMap<ScoringModelVersion, Self::Value>, Self::Error> {
        let versions: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let models = db::scoring::models_by_versions(&self.db, &versions)
            .await
            .map_err(to_gql)?;
        Ok(models
            .into_iter()
            .map(|(version, model)| (ScoringModelVersion(version), Arc::new(model)))
            .collect())
    }
}

impl Loaders {
    /// A client's current score.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn current_score(
        &self,
        client_id: Uuid,
    ) -> async_graphql::Result<Option<score::Model>> {
        self.loader.load_one(CurrentScoreOf(client_id)).await
    }

    /// A scoring model by version.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn scoring_model(
        &self,
        version: i32,
    ) -> async_graphql::Result<Option<Arc<db::scoring::Versioned>>> {
        self.loader.load_one(ScoringModelVersion(version)).await
    }
}

/// A client's registry identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegistryIdsOf(pub Uuid);

impl Loader<RegistryIdsOf> for Db {
    type Value = Vec<registry_id::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RegistryIdsOf],
    ) -> Result<HashMap<RegistryIdsOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = db::clients::registry_ids_by_clients(&self.db, &ids)
            .await
            .map_err(to_gql)?;
        let mut grouped: HashMap<RegistryIdsOf, Self::Value> = HashMap::new();
        for row in rows {
            grouped
                .entry(RegistryIdsOf(row.client_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

/// The stored registry answers about a client's registry ids, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegistryAnswersOf(pub Uuid);

impl Loader<RegistryAnswersOf> for Db {
    type Value = Vec<registry_cache::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RegistryAnswersOf],
    ) -> Result<HashMap<RegistryAnswersOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = db::enrichment::by_clients(&self.db, &ids)
            .await
            .map_err(to_gql)?;
        let mut grouped: HashMap<RegistryAnswersOf, Self::Value> = HashMap::new();
        for (client_id, row) in rows {
            grouped
                .entry(RegistryAnswersOf(client_id))
                .or_default()
                .push(row);
        }
        Ok(grouped)
    }
}

impl Loaders {
    /// The stored registry answers about a client's registry ids, newest first.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn registry_answers_of(
        &self,
        client_id: Uuid,
    ) -> async_graphql::Result<Vec<registry_cache::Model>> {
        Ok(self
            .loader
            .load_one(RegistryAnswersOf(client_id))
            .await?
            .unwrap_or_default())
    }
}

/// A client's trailing-twelve-month order revenue per currency, as of `now` of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Revenue12mOf(pub Uuid);

impl Loader<Revenue12mOf> for Db {
    type Value = Vec<(String, i64)>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[Revenue12mOf],
    ) -> Result<HashMap<Revenue12mOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = db::clients::revenue_12m(&self.db, &ids, db::now())
            .await
            .map_err(to_gql)?;
        Ok(rows
            .into_iter()
            .map(|(id, revenue)| (Revenue12mOf(id), revenue))
            .collect())
    }
}

/// The folded recent financial checks of a client, which its solvency is assessed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SolvencyOf(pub Uuid);

impl Loader<SolvencyOf> for Db {
    type Value = crate::domain::solvency::Facts;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[SolvencyOf],
    ) -> Result<HashMap<SolvencyOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let facts = db::checks::facts_by_clients(&self.db, &ids)
            .await
            .map_err(to_gql)?;
        Ok(facts
            .into_iter()
            .map(|(id, facts)| (SolvencyOf(id), facts))
            .collect())
    }
}

impl Loaders {
    /// The folded recent financial checks of a client (empty facts without checks).
    ///
    /// # Errors
    /// On a database failure.
    pub async fn solvency_facts(
        &self,
        client_id: Uuid,
    ) -> async_graphql::Result<crate::domain::solvency::Facts> {
        Ok(self
            .loader
            .load_one(SolvencyOf(client_id))
            .await?
            .unwrap_or_default())
    }
}

/// The latest registry re-check attempt of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecheckOf(pub Uuid);

impl Loader<RecheckOf> for Db {
    type Value = entity::registry_recheck::Model;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[RecheckOf],
    ) -> Result<HashMap<RecheckOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = db::by_ids::<entity::registry_recheck::Entity, _>(
            &self.db,
            entity::registry_recheck::Column::ClientId,
            &ids,
        )
        .await
        .map_err(to_gql)?;
        Ok(rows
            .into_iter()
            .map(|row| (RecheckOf(row.client_id), row))
            .collect())
    }
}

impl Loaders {
    /// The latest registry re-check attempt of a client, if any.
    ///
    /// # Errors
    /// On a database failure.
    pub async fn recheck_of(
        &self,
        client_id: Uuid,
    ) -> async_graphql::Result<Option<entity::registry_recheck::Model>> {
        self.loader.load_one(RecheckOf(client_id)).await
    }
}

/// One page of a parent's nested list.
pub struct PageKey<L: PerParent> {
    pub parent: Uuid,
    pub args: PageArgs,
    pub filter: L::Filter,
    list: PhantomData<fn() -> L>,
}

/// The size of a parent's nested list.
pub struct CountKey<L: PerParent> {
    pub parent: Uuid,
    pub filter: L::Filter,
    list: PhantomData<fn() -> L>,
}

// Derives would demand `L: Clone + Eq + Hash` of the marker type; only the fields matter.
impl<L: PerParent> Clone for PageKey<L> {
    fn clone(&self) -> Self {
        Self {
            parent: self.parent,
            args: self.args.clone(),
            filter: self.filter.clone(),
            list: PhantomData,
        }
    }
}
impl<L: PerParent> PartialEq for PageKey<L> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.args == other.args && self.filter == other.filter
    }
}
impl<L: PerParent> Eq for PageKey<L> {}
impl<L: PerParent> Hash for PageKey<L> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.args.hash(state);
        self.filter.hash(state);
    }
}
impl<L: PerParent> Clone for CountKey<L> {
    fn clone(&self) -> Self {
        Self {
            parent: self.parent,
            filter: self.filter.clone(),
            list: PhantomData,
        }
    }
}
impl<L: PerParent> PartialEq for CountKey<L> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.filter == other.filter
    }
}
impl<L: PerParent> Eq for CountKey<L> {}
impl<L: PerParent> Hash for CountKey<L> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.parent.hash(state);
        self.filter.hash(state);
    }
}

impl<L: PerParent> Loader<PageKey<L>> for Db {
    type Value = Vec<L::Model>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[PageKey<L>],
    ) -> Result<HashMap<PageKey<L>, Self::Value>, Self::Error> {
        // Parents asking for the same page of the same list share one statement.
        let mut groups: HashMap<(PageArgs, L::Filter), Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.args.clone(), key.filter.clone()))
                .or_default()
                .push(key.parent);
        }
        let mut pages = HashMap::new();
        for ((args, filter), parents) in groups {
            let window: Window = args
                .window(self.max_page_size, L::SIGNATURE)
                .map_err(to_gql)?;
            let rows = db::keyset::first_per_parent(
                &self.db,
                L::select(&filter),
                L::parent_column(),
                &L::sort_keys(),
                &window,
                &parents,
            )
            .await
            .map_err(|err| to_gql(err.into()))?;
            let mut by_parent: HashMap<Uuid, Vec<L::Model>> = HashMap::new();
            for row in rows {
                by_parent.entry(L::parent_of(&row)).or_default().push(row);
            }
            for parent in parents {
                let mut rows = by_parent.remove(&parent).unwrap_or_default();
                if window.backward {
                    rows.reverse();
                }
                let key = PageKey {
                    parent,
                    args: args.clone(),
                    filter: filter.clone(),
                    list: PhantomData,
                };
                pages.insert(key, rows);
            }
        }
        Ok(pages)
    }
}

impl<L: PerParent> Loader<CountKey<L>> for Db {
    type Value = i64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CountKey<L>]) -> Result<HashMap<CountKey<L>, i64>, Self::Error> {
        let mut groups: HashMap<L::Filter, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups
                .entry(key.filter.clone())
                .or_default()
                .push(key.parent);
        }
        let mut counts = HashMap::new();
        for (filter, parents) in groups {
            let found = db::keyset::count_per_parent(
                &self.db,
                L::select(&filter),
                L::parent_column(),
                &parents,
            )
            .await
            .map_err(|err| to_gql(err.into()))?;
            for parent in parents {
                let key = CountKey {
                    parent,
                    filter: filter.clone(),
                    list: PhantomData,
                };
                counts.insert(key, found.get(&parent).copied().unwrap_or(0));
            }
        }
        Ok(counts)
    }
}

/// Loads a page of a nested list and makes it a connection with a lazy `totalCount`.
///
/// # Errors
/// `BAD_USER_INPUT` for bad pagination arguments; database failures.
pub async fn nested_connection<L, T>(
    loaders: &Arc<Loaders>,
    max_page_size: u32,
    parent: Uuid,
    args: PageArgs,
    filter: L::Filter,
    node_of: impl Fn(L::Model) -> T,
) -> AppResult<super::pagination::Page<T>>
where
    L: PerParent,
    T: async_graphql::OutputType + AsRef<L::Model> + 'static,
{
    let window = args.window(max_page_size, L::SIGNATURE)?;
    let rows = loaders
        .page::<L>(parent, args, filter.clone())
        .await
        .map_err(|err| AppError::internal(err.message))?;
    let count_loaders = Arc::clone(loaders);
    let total = super::pagination::ConnectionFields::lazy(async move {
        count_loaders
            .count::<L>(parent, filter)
            .await
            .map_err(|err| AppError::internal(err.message))
    });
    Ok(super::pagination::connection(
        rows,
        &window,
        L::SIGNATURE,
        total,
        L::sort_values,
        node_of,
    ))
}

macro_rules! grouped {
    ($key:ident, $method:ident, $query:path, $model:ty, $parent:ident) => {
        #[doc = concat!("Loads every `", stringify!($model), "` of a parent.")]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for Db {
            type Value = Vec<$model>;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = $query(&self.db, &ids).await.map_err(to_gql)?;
                let mut grouped: HashMap<$key, Self::Value> = HashMap::new();
                for row in rows {
                    grouped.entry($key(row.$parent)).or_default().push(row);
                }
                Ok(grouped)
            }
        }

        impl Loaders {
            #[doc = concat!("Every `", stringify!($model), "` of a parent.")]
            ///
            /// # Errors
            /// On a database failure.
            pub async fn $method(&self, parent: Uuid) -> async_graphql::Result<Vec<$model>> {
                Ok(self
                    .loader
                    .load_one($key(parent))
                    .await?
                    .unwrap_or_default())
            }
        }
    };
}

grouped!(
    NeedsOf,
    needs_of,
    db::needs::by_clients,
    need::Model,
    client_id
);
grouped!(
    PlansOf,
    plans_of,
    db::plans::by_clients,
    account_plan::Model,
    client_id
);
grouped!(
    ObjectivesOf,
    objectives_of,
    db::plans::objectives_by_plans,
    entity::plan_objective::Model,
    plan_id
);
grouped!(
    ActionsOf,
    actions_of,
    db::plans::actions_by_plans,
    entity::plan_action::Model,
    plan_id
);
