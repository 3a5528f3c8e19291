//! Registry enrichment in the API: `enrichClient` fills a client from public registries and
//! records their figures as financial checks, `registrySearch` finds a company's registry entry
//! by name, and `Client.registryProfile` shows the merged, sourced view of the registries'
//! latest answers.
//!
//! Registries are asked concurrently and outside any transaction; answers still fresh in the
//! shared database cache are served without a network call. What the answers change is then
//! written in one transaction with its audit events.

use std::{sync::Arc, time::Duration};

use async_graphql::{Context, Enum, ID, Object, OutputType, SimpleObject};
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use entity::{client, enums, registry_id};
use futures::future::join_all;
use rust_decimal::Decimal;

use super::{
    checks::FinancialCheck,
    clients::{Client, RegistryScheme, parse_country},
    context::{AppState, ContextExt},
    guards::{RoleGuard, Target, may_write},
    node::{self, Kind},
    write::Write,
};
use crate::{
    auth::Principal,
    db::{
        self,
        audit::{AuditAction, Event},
        checks::NewCheck,
        clients::ClientChanges,
        enrichment as cache,
    },
    domain::money,
    enrichment::{
        self as registries, AddressKind, Candidate, CompanyProfile, Provider, ProviderError,
        ProviderId,
    },
    error::{AppError, AppResult},
};

/// Which registry's value wins when several give one: national registers first, then GLEIF,
/// then Checko (a reseller of the Russian register).
const PREFERENCE: [ProviderId; 5] = [
    ProviderId::CompaniesHouse,
    ProviderId::Dadata,
    ProviderId::SecEdgar,
    ProviderId::Gleif,
    ProviderId::Checko,
];

/// Longest company name `registrySearch` accepts.
const MAX_SEARCH_CHARS: usize = 200;

fn preference(id: ProviderId) -> usize {
    PREFERENCE
        .iter()
        .position(|p| *p == id)
        .unwrap_or(PREFERENCE.len())
}

/// The common registry status every registry's own status is mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "registries::RegistryStatus")]
pub enum RegistryStatus {
    /// Operating normally.
    Active,
    /// In liquidation or being wound up.
    Liquidating,
    /// Liquidation completed.
    Liquidated,
    /// Declared bankrupt or in insolvency proceedings.
    Bankrupt,
    /// Struck off or dissolved.
    Dissolved,
    /// Registered but not trading (dormant, deregistered from filing, lapsed).
    Inactive,
    /// The registry's status could not be mapped.
    Unknown,
}

/// The lowercase text a financial check stores for a common status (`active`, `liquidating`...).
const fn status_text(status: registries::RegistryStatus) -> &'static str {
    match status {
        registries::RegistryStatus::Active => "active",
        registries::RegistryStatus::Liquidating => "liquidating",
        registries::RegistryStatus::Liquidated => "liquidated",
        registries::RegistryStatus::Bankrupt => "bankrupt",
        registries::RegistryStatus::Dissolved => "dissolved",
        registries::RegistryStatus::Inactive => "inactive",
        registries::RegistryStatus::Unknown => "unknown",
    }
}

// ---------------------------------------------------------------------------------------------
// Output types

/// What one registry did for an `enrichClient` call.
#[derive(Debug, Clone, SimpleObject)]
pub struct EnrichmentSourceResult {
    /// The registry: `gleif`, `companies_house`, `dadata`, `sec_edgar` or `checko`.
    pub source: String,
    /// Whether the registry answered (from the network or the cache).
    pub ok: bool,
    /// Why it did not answer, when `ok` is false (not found, unauthorized, timed out...).
    pub error: Option<String>,
    /// The financial check recorded from its answer: null when it failed or gave neither a
    /// status nor figures. An answer served again from the cache shows the check recorded
    /// when it was first received.
    pub check: Option<FinancialCheck>,
    /// Whether the answer came from the database cache rather than the registry.
    pub cached: bool,
    /// When the registry gave the answer used.
    pub retrieved_at: Option<DateTime<Utc>>,
    /// The status this registry's previous check of the client gave, when this answer
    /// changed it (for example `ACTIVE` before `LIQUIDATING`); the change is recorded in the
    /// client's history as a `REGISTRY_STATUS_CHANGE` event.
    pub status_changed_from: Option<RegistryStatus>,
}

/// The outcome of `enrichClient`: the client as it now stands and what each registry did.
#[derive(Debug, Clone, SimpleObject)]
pub struct EnrichmentResult {
    /// The client after enrichment.
    pub client: Client,
    /// One entry per registry asked, in a stable order.
    pub sources: Vec<EnrichmentSourceResult>,
}

/// A registry status with the registry's own words for it.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistryStatusInfo {
    /// The common status.
    pub value: RegistryStatus,
    /// The registry's own status text or code, unchanged.
    pub original: String,
    /// A finer status the registry gives beside it, unchanged.
    pub detail: Option<String>,
    /// Since when the company has this status, when the registry says.
    pub since: Option<NaiveDate>,
}

impl From<&registries::StatusInfo> for RegistryStatusInfo {
    fn from(status: &registries::StatusInfo) -> Self {
        Self {
            value: status.status.into(),
            original: status.original.clone(),
            detail: status.detail.clone(),
            since: status.since,
        }
    }
}

/// A company a registry found by name, to be linked to a client through its identifier.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistryCandidate {
    /// The registry that found it.
    pub source: String,
    /// When the registry answered.
    pub retrieved_at: DateTime<Utc>,
    /// The scheme of `registryId`.
    pub scheme: RegistryScheme,
    /// The company's identifier in that scheme, as `addRegistryId` takes it.
    pub registry_id: String,
    /// The company's name as registered.
    pub name: String,
    /// Its registry status, when the registry gives one in search results.
    pub status: Option<RegistryStatusInfo>,
    /// Its registered address in one line.
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2 country, when known.
    pub country: Option<String>,
    /// When it was incorporated, when known.
    pub founded_on: Option<NaiveDate>,
}

impl From<Candidate> for RegistryCandidate {
    fn from(c: Candidate) -> Self {
        Self {
            source: c.source.as_str().to_owned(),
            retrieved_at: c.retrieved_at,
            scheme: c.scheme.into(),
            registry_id: c.registry_id,
            name: c.name,
            status: c.status.as_ref().map(Into::into),
            address: c.address,
            country: c.country,
            founded_on: c.founded_on,
        }
    }
}

/// What one registry did for a `registrySearch` call, so a front end can tell "no company of
/// that name" from "the registry could not be asked".
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistrySearchSource {
    /// The registry: `gleif`, `companies_house`, `dadata` or `checko`.
    pub source: String,
    /// Whether the registry answered; an answer may still hold no candidate.
    pub ok: bool,
    /// Why it did not answer, when `ok` is false (unauthorized, timed out, rate limited...).
    pub error: Option<String>,
    /// How many of the candidates it gave; 0 when it failed.
    pub candidates: i32,
    /// Whether the answer came from the database cache of recent searches rather than the
    /// registry: a search repeated while the registry's cache lifetime lasts (whatever its
    /// case and spacing) costs no registry request. False when it failed.
    pub cached: bool,
}

/// The outcome of `registrySearch`: the candidates found and what each registry asked did.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistrySearchResult {
    /// Companies whose name matches, grouped by registry, in each registry's own order.
    pub candidates: Vec<RegistryCandidate>,
    /// One entry per registry asked, in a stable order; empty when no enabled registry
    /// searches by name.
    pub sources: Vec<RegistrySearchSource>,
}

/// One fact from a registry: its value, the registry it came from and when it was read.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(
    concrete(name = "SourcedString", params(String)),
    concrete(name = "SourcedInt", params(i32)),
    concrete(name = "SourcedDate", params(NaiveDate)),
    concrete(name = "SourcedStatus", params(RegistryStatusInfo)),
    concrete(name = "SourcedIndustry", params(IndustryInfo))
)]
pub struct SourcedValue<T: OutputType> {
    /// The value.
    pub value: T,
    /// The registry it came from.
    pub source: String,
    /// When the registry gave it.
    pub retrieved_at: DateTime<Utc>,
}

/// An industry classification.
#[derive(Debug, Clone, SimpleObject)]
pub struct IndustryInfo {
    /// The classification: `UK SIC 2007`, `OKVED2` or `US SIC`.
    pub scheme: String,
    /// The code in that classification.
    pub code: String,
    /// The code's description, when the registry gives it.
    pub description: Option<String>,
}

/// One stored registry answer a registry profile is built from.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistryAnswer {
    /// The registry.
    pub source: String,
    /// The scheme of the identifier looked up.
    pub scheme: RegistryScheme,
    /// The identifier looked up.
    pub registry_id: String,
    /// When the registry answered.
    pub retrieved_at: DateTime<Utc>,
    /// Until when the answer is served from the cache without asking the registry again.
    pub expires_at: DateTime<Utc>,
}

/// The latest scheduled (or `kaim recheck`) re-check of a client against its registries.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistryRecheck {
    /// When it ran.
    pub attempted_at: DateTime<Utc>,
    /// Whether at least one registry answered.
    pub answered: bool,
    /// Why no registry answered, when none did.
    pub error: Option<String>,
    /// From when the client is due again (earlier when every failure may pass).
    pub next_due_at: DateTime<Utc>,
}

impl From<entity::registry_recheck::Model> for RegistryRecheck {
    fn from(row: entity::registry_recheck::Model) -> Self {
        Self {
            attempted_at: row.attempted_at,
            answered: row.outcome == cache::RecheckOutcome::Answered.as_str(),
            error: row.error,
            next_due_at: row.next_due_at,
        }
    }
}

/// What public registries say about a client, merged from their latest stored answers. Each
/// fact carries the registry it came from and when; where several registries give a fact,
/// national registers win over GLEIF, and GLEIF over Checko.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistryProfile {
    /// Full registered name.
    pub legal_name: Option<SourcedValue<String>>,
    /// Short name, where the registry gives one.
    pub short_name: Option<SourcedValue<String>>,
    /// Legal form, by name (or code when the registry gives no name).
    pub legal_form: Option<SourcedValue<String>>,
    /// Registry status.
    pub status: Option<SourcedValue<RegistryStatusInfo>>,
    /// Date of incorporation.
    pub founded_on: Option<SourcedValue<NaiveDate>>,
    /// ISO 3166-1 alpha-2 country of registration.
    pub country: Option<SourcedValue<String>>,
    /// Region of the registered address.
    pub region: Option<SourcedValue<String>>,
    /// Registered address in one line.
    pub legal_address: Option<SourcedValue<String>>,
    /// Main industry classification.
    pub industry: Option<SourcedValue<IndustryInfo>>,
    /// Number of employees.
    pub employees: Option<SourcedValue<i32>>,
    /// The answers the profile is built from, newest first.
    pub answers: Vec<RegistryAnswer>,
}

// ---------------------------------------------------------------------------------------------
// Merging

/// Facts merged from several answers, each from the most preferred registry that gives it.
#[derive(Debug, Default)]
struct Merged {
    legal_name: Option<SourcedValue<String>>,
    short_name: Option<SourcedValue<String>>,
    legal_form: Option<SourcedValue<String>>,
    status: Option<SourcedValue<RegistryStatusInfo>>,
    founded_on: Option<SourcedValue<NaiveDate>>,
    country: Option<SourcedValue<String>>,
    region: Option<SourcedValue<String>>,
    legal_address: Option<SourcedValue<String>>,
    industry: Option<SourcedValue<IndustryInfo>>,
    employees: Option<SourcedValue<i32>>,
}

/// The first value `pick` finds, in preference order.
fn first<T: OutputType>(
    profiles: &[&CompanyProfile],
    pick: impl Fn(&CompanyProfile) -> Option<T>,
) -> Option<SourcedValue<T>> {
    profiles.iter().find_map(|profile| {
        pick(profile).map(|value| SourcedValue {
            value,
            source: profile.source.as_str().to_owned(),
            retrieved_at: profile.retrieved_at,
        })
    })
}

fn text(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The country of registration: the jurisdiction's alpha-2 part (`US-WA` → `US`), else the
/// legal address's country when it is a code.
fn country_of(profile: &CompanyProfile) -> Option<String> {
    let from_code = |code: &str| {
        let alpha2 = code.split('-').next().unwrap_or_default();
        parse_country("country", alpha2).ok()
    };
    profile
        .jurisdiction
        .as_deref()
        .and_then(from_code)
        .or_else(|| {
            legal_address(profile)
                .and_then(|a| a.country.as_deref())
                .and_then(from_code)
        })
}

fn legal_address(profile: &CompanyProfile) -> Option<&registries::Address> {
    profile
        .addresses
        .iter()
        .find(|a| a.kind == AddressKind::Legal)
        .or_else(|| profile.addresses.first())
}

fn one_line(address: &registries::Address) -> Option<String> {
    if let Some(full) = text(address.full.as_ref()) {
        return Some(full);
    }
    let parts: Vec<&str> = address
        .lines
        .iter()
        .map(String::as_str)
        .chain(address.city.as_deref())
        .chain(address.region.as_deref())
        .chain(address.postal_code.as_deref())
        .chain(address.country.as_deref())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn employees_of(profile: &CompanyProfile) -> Option<i32> {
    profile
        .employees
        .or_else(|| profile.latest_financials().and_then(|y| y.employees))
        .and_then(|n| i32::try_from(n).ok())
}

/// Merges `profiles` (any order) into one sourced view.
fn merge(profiles: &[&CompanyProfile]) -> Merged {
    let mut ordered = profiles.to_vec();
    ordered.sort_by_key(|p| preference(p.source));
    let p = ordered.as_slice();
    Merged {
        legal_name: first(p, |x| text(x.legal_name.as_ref())),
        short_name: first(p, |x| text(x.short_name.as_ref())),
        legal_form: first(p, |x| {
            x.legal_form
                .as_ref()
                .and_then(|f| text(f.name.as_ref()).or_else(|| text(f.code.as_ref())))
        }),
        status: first(p, |x| x.status.as_ref().map(Into::into)),
        founded_on: first(p, |x| x.founded_on),
        country: first(p, country_of),
        region: first(p, |x| {
            legal_address(x).and_then(|a| text(a.region.as_ref()))
        }),
        legal_address: first(p, |x| legal_address(x).and_then(one_line)),
        industry: first(p, |x| {
            x.industry_codes
                .iter()
                .find(|c| c.main)
                .or_else(|| x.industry_codes.first())
                .map(|c| IndustryInfo {
                    scheme: c.scheme.to_owned(),
                    code: c.code.clone(),
                    description: c.description.clone(),
                })
        }),
        employees: first(p, employees_of),
    }
}

/// `value` if it fits the client column's limit of `max` characters.
fn fitting(value: Option<String>, max: usize) -> Option<String> {
    value.filter(|v| v.chars().count() <= max)
}

/// The changes that fill `client` from `merged`: only empty fields, or every field that
/// differs when `force` is set.
fn fills(client: &client::Model, merged: &Merged, force: bool) -> ClientChanges {
    fn fill<T: PartialEq + Clone>(
        current: Option<&T>,
        found: Option<T>,
        force: bool,
    ) -> Option<Option<T>> {
        let found = found?;
        match current {
            None => Some(Some(found)),
            Some(current) if force && *current != found => Some(Some(found)),
            Some(_) => None,
        }
    }
    let blank = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let value = |s: &Option<SourcedValue<String>>| s.as_ref().map(|s| s.value.clone());
    let industry = merged.industry.as_ref().map(|s| &s.value);
    ClientChanges {
        legal_name: fill(
            blank(&client.legal_name).as_ref(),
            fitting(value(&merged.legal_name), 500),
            force,
        ),
        country: fill(
            blank(&client.country).as_ref(),
            value(&merged.country),
            force,
        ),
        region: fill(
            blank(&client.region).as_ref(),
            fitting(value(&merged.region), 200),
            force,
        ),
        industry_code: fill(
            blank(&client.industry_code).as_ref(),
            fitting(industry.map(|i| i.code.clone()), 32),
            force,
        ),
        industry: fill(
            blank(&client.industry).as_ref(),
            fitting(industry.and_then(|i| i.description.clone()), 200),
            force,
        ),
        employees: fill(
            client.employees.as_ref(),
            merged.employees.as_ref().map(|s| s.value),
            force,
        ),
        ..ClientChanges::default()
    }
}

fn is_empty(changes: &ClientChanges) -> bool {
    changes.legal_name.is_none()
        && changes.country.is_none()
        && changes.region.is_none()
        && changes.industry_code.is_none()
        && changes.industry.is_none()
        && changes.employees.is_none()
        && changes.website.is_none()
}

// ---------------------------------------------------------------------------------------------
// Financial checks from answers

fn e4(amount: Option<Decimal>) -> Option<i64> {
    amount.and_then(|a| money::to_e4(a.round_dp(4)).ok())
}

fn count(n: u32) -> Option<i32> {
    i32::try_from(n).ok()
}

/// The check `profile` gives for `client_id`: its status, latest fiscal year, lawsuits and
/// government contracts; none when it has neither a status nor any figure. Amounts in another
/// currency than the check's are left out.
fn check_of(profile: &CompanyProfile, client_id: uuid::Uuid, by: uuid::Uuid) -> Option<NewCheck> {
    let year = profile.latest_financials();
    let litigation = profile.litigation.as_ref();
    let contracts = &profile.government_contracts;
    let employees = employees_of(profile);
    if profile.status.is_none()
        && year.is_none()
        && litigation.is_none()
        && contracts.is_empty()
        && employees.is_none()
    {
        return None;
    }
    let currency = year
        .map(|y| y.currency.clone())
        .or_else(|| litigation.map(|l| l.currency.clone()))
        .or_else(|| contracts.first().map(|c| c.currency.clone()))
        .and_then(|c| money::parse_currency(&c).ok());
    let same = |code: &str| currency.as_deref() == Some(code);
    let contracts_total = contracts
        .iter()
        .filter(|c| same(&c.currency))
        .filter_map(|c| c.total)
        .reduce(|a, b| a + b);
    Some(NewCheck {
        client_id,
        source: profile.source.as_str().to_owned(),
        checked_at: profile.retrieved_at,
        fiscal_year: year.map(|y| y.fiscal_year),
        currency: currency.clone(),
        revenue_e4: year.and_then(|y| e4(y.revenue)),
        net_income_e4: year.and_then(|y| e4(y.net_income)),
        assets_e4: year.and_then(|y| e4(y.assets)),
        equity_e4: year.and_then(|y| e4(y.equity)),
        debt_e4: year.and_then(|y| e4(y.debt)),
        employees,
        registry_status: profile
            .status
            .as_ref()
            .map(|s| status_text(s.status).to_owned()),
        litigation_count: litigation.and_then(|l| count(l.cases)),
        litigation_amount_e4: litigation
            .filter(|l| same(&l.currency))
            .and_then(|l| e4(l.claims_total)),
        government_contracts_count: (!contracts.is_empty())
            .then(|| count(contracts.iter().map(|c| c.count).sum()))
            .flatten(),
        government_contracts_amount_e4: e4(contracts_total),
        raw_payload: Some(profile.raw.clone()),
        recorded_by: Some(by),
    })
}

// ---------------------------------------------------------------------------------------------
// Asking the registries

/// One registry asked about one of the client's identifiers.
struct Job {
    provider: Arc<dyn Provider>,
    scheme: enums::RegistryScheme,
    value: String,
}

/// For each enabled registry, the client identifier it looks up first (in the order of the
/// schemes it accepts).
fn jobs(state: &AppState, ids: &[registry_id::Model]) -> Vec<Job> {
    state
        .providers
        .enabled
        .iter()
        .filter_map(|provider| {
            provider.schemes().iter().find_map(|scheme| {
                ids.iter().find(|id| id.scheme == *scheme).map(|id| Job {
                    provider: Arc::clone(provider),
                    scheme: *scheme,
                    value: id.value.clone(),
                })
            })
        })
        .collect()
}

/// The answer of `job`'s registry: from the cache while fresh, else from the registry. The
/// second value says whether it came from the cache.
async fn ask(state: &AppState, job: &Job) -> Result<(CompanyProfile, bool), ProviderError> {
    let id = job.provider.id();
    match cache::fresh(&state.db, id, job.scheme, &job.value, db::now()).await {
        Ok(Some(profile)) => return Ok((profile, true)),
        Ok(None) => {}
        Err(error) => {
            tracing::warn!(provider = %id, error = %error.message(), "registry cache unreadable; asking the registry");
        }
    }
    let mut profile = job.provider.lookup(job.scheme, &job.value).await?;
    // Stored times keep microseconds on every backend; the check and the cache must agree.
    profile.retrieved_at = profile.retrieved_at.trunc_subsecs(6);
    Ok((profile, false))
}

/// The answer of `provider` to a search for `name` in `country`: from the cache while fresh,
/// else from the registry, then kept for the provider's cache lifetime (never when it is zero;
/// a failure is never kept). The second value says whether it came from the cache. The cache
/// is a saving, not a requirement: when the database cannot serve or keep an answer, the
/// registry's answer is still given.
async fn search(
    state: &AppState,
    provider: &dyn Provider,
    name: &str,
    country: Option<&str>,
) -> Result<(Vec<Candidate>, bool), ProviderError> {
    let id = provider.id();
    let ttl = state.enrichment.cache_ttl(id);
    if !ttl.is_zero() {
        match cache::fresh_search(&state.db, id, name, country, db::now()).await {
            Ok(Some(candidates)) => return Ok((candidates, true)),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(provider = %id, error = %error.message(), "registry search cache unreadable; asking the registry");
            }
        }
    }
    let candidates = provider.search_by_name(name, country).await?;
    if !ttl.is_zero() {
        let stored =
            cache::store_search(&state.db, id, name, country, &candidates, db::now(), ttl).await;
        if let Err(error) = stored {
            tracing::warn!(provider = %id, error = %error.message(), "registry search answer not cached");
        }
    }
    Ok((candidates, false))
}

/// Which registries could serve a client, for the error naming none.
fn served_schemes(state: &AppState) -> String {
    let mut schemes: Vec<String> = state
        .providers
        .enabled
        .iter()
        .flat_map(|p| p.schemes().iter())
        .map(sea_orm::ActiveEnum::to_value)
        .collect();
    schemes.sort_unstable();
    schemes.dedup();
    if schemes.is_empty() {
        "no registry is enabled on this server".to_owned()
    } else {
        format!("the enabled registries look up {}", schemes.join(", "))
    }
}

/// Time kept back from the registries, out of an operation's time, for writing what they
/// answered (at most a quarter of what is left).
const WRITE_RESERVE: Duration = Duration::from_secs(1);

/// What enriching a client came to.
#[derive(Debug)]
pub enum Enrichment {
    /// At least one registry answered; what it changed is written.
    Done(Box<EnrichmentResult>),
    /// No registry answered (each error says why); nothing was written.
    NoneAnswered(Vec<ProviderError>),
}

/// Enriches `client_id` from every matching registry, as `principal`; see `enrichClient`.
/// Re-checks (`kaim recheck`, `KAIM_RECHECK_INTERVAL`) run the same steps. `time_left` is
/// the operation's remaining time, when there is a deadline: the registry calls end within it.
///
/// # Errors
/// `NOT_FOUND` for an unknown client, `FORBIDDEN` for a manager of another client's,
/// `BAD_USER_INPUT` when no enabled registry looks up any of its identifiers, and database
/// failures.
pub async fn enrich(
    state: &AppState,
    principal: Principal,
    client_id: uuid::Uuid,
    force: bool,
    time_left: Option<Duration>,
) -> AppResult<Enrichment> {
    let client = db::clients::get(&state.db, client_id).await?;
    if !may_write(principal, client.manager_id) {
        return Err(AppError::Forbidden(
            "a manager may only enrich the clients they manage".into(),
        ));
    }
    let ids = db::clients::registry_ids_by_clients(&state.db, &[client_id]).await?;
    let jobs = jobs(state, &ids);
    if jobs.is_empty() {
        return Err(AppError::bad_input(
            "clientId",
            format!(
                "the client has no registry id that an enabled registry looks up ({}); add one with `addRegistryId`",
                served_schemes(state)
            ),
        ));
    }
    // Within an operation's deadline, a registry still asking when its share of the time is up
    // counts as timed out, and the others' answers are written in the time kept back.
    let budget = time_left.map(|left| left.saturating_sub(WRITE_RESERVE.min(left / 4)));
    let answers = join_all(jobs.iter().map(|job| async move {
        match budget {
            Some(budget) => tokio::time::timeout(budget, ask(state, job))
                .await
                .unwrap_or(Err(ProviderError::Timeout {
                    provider: job.provider.id(),
                })),
            None => ask(state, job).await,
        }
    }))
    .await;
    if answers.iter().all(Result::is_err) {
        return Ok(Enrichment::NoneAnswered(
            answers.into_iter().filter_map(Result::err).collect(),
        ));
    }

    let write = Write::begin_as(&state.db, principal).await?;
    let before = write.authorize(Target::Client(client_id)).await?;
    for (job, answer) in jobs.iter().zip(&answers) {
        if let Ok((profile, false)) = answer {
            let ttl = state.enrichment.cache_ttl(profile.source);
            if !ttl.is_zero() {
                cache::store(write.tx(), job.scheme, &job.value, profile, ttl).await?;
            }
        }
    }
    let profiles: Vec<&CompanyProfile> = answers
        .iter()
        .filter_map(|a| a.as_ref().ok().map(|(p, _)| p))
        .collect();
    let changes = fills(&before, &merge(&profiles), force);
    let mut events = Vec::new();
    let client = if is_empty(&changes) {
        before
    } else {
        let after = db::clients::update(write.tx(), client_id, before.version, changes).await?;
        events.push(Event::changed(AuditAction::Update, &before, &after));
        after
    };
    let mut sources = Vec::with_capacity(jobs.len());
    for (job, answer) in jobs.iter().zip(answers) {
        let source = job.provider.id().as_str().to_owned();
        let result = match answer {
            Ok((profile, cached)) => {
                let recorded =
                    record_check(write.tx(), principal, client_id, &profile, &mut events).await?;
                EnrichmentSourceResult {
                    source,
                    ok: true,
                    error: None,
                    cached,
                    retrieved_at: Some(profile.retrieved_at),
                    status_changed_from: recorded.as_ref().and_then(|r| r.changed_from),
                    check: recorded.map(|r| r.check),
                }
            }
            Err(error) => {
                tracing::info!(provider = %job.provider.id(), %error, "registry did not answer");
                EnrichmentSourceResult {
                    source,
                    ok: false,
                    error: Some(error.to_string()),
                    check: None,
                    cached: false,
                    retrieved_at: None,
                    status_changed_from: None,
                }
            }
        };
        sources.push(result);
    }
    write.commit(events).await?;
    state.reads.wrote(principal.user_id);
    Ok(Enrichment::Done(Box::new(EnrichmentResult {
        client: Client(client),
        sources,
    })))
}

/// A check recorded from an answer, and the status it changed.
struct Recorded {
    check: FinancialCheck,
    changed_from: Option<RegistryStatus>,
}

/// Records the check `profile` gives, once per answer: an answer served again from the cache
/// returns the check recorded when it arrived. When the registry's status differs from the
/// one its previous check of the client gave, the change is its own event. The events to
/// record are added to `events`.
async fn record_check<C: sea_orm::ConnectionTrait>(
    tx: &C,
    principal: Principal,
    client_id: uuid::Uuid,
    profile: &CompanyProfile,
    events: &mut Vec<Event>,
) -> AppResult<Option<Recorded>> {
    let Some(new) = check_of(profile, client_id, principal.user_id) else {
        return Ok(None);
    };
    if let Some(existing) =
        cache::recorded_check(tx, client_id, &new.source, new.checked_at).await?
    {
        return Ok(Some(Recorded {
            check: FinancialCheck(existing),
            changed_from: None,
        }));
    }
    let check = db::checks::insert(tx, new).await?;
    events.push(Event::created(AuditAction::Create, &check));
    let mut changed_from = None;
    if let Some(status) = &check.registry_status {
        let before = cache::previous_status(tx, client_id, &check.source, check.checked_at).await?;
        if let Some(before) = before.filter(|before| before != status) {
            tracing::info!(%client_id, source = %check.source, %before, after = %status, "registry status changed");
            events.push(Event::registry_status_change(&check, &before));
            changed_from = Some(status_of_text(&before));
        }
    }
    Ok(Some(Recorded {
        check: FinancialCheck(check),
        changed_from,
    }))
}

/// The common status a check's stored status text stands for.
fn status_of_text(text: &str) -> RegistryStatus {
    [
        registries::RegistryStatus::Active,
        registries::RegistryStatus::Liquidating,
        registries::RegistryStatus::Liquidated,
        registries::RegistryStatus::Bankrupt,
        registries::RegistryStatus::Dissolved,
        registries::RegistryStatus::Inactive,
    ]
    .into_iter()
    .find(|status| status_text(*status) == text)
    .unwrap_or(registries::RegistryStatus::Unknown)
    .into()
}

/// `Client.registryProfile`: the merged view of the stored answers about the client's
/// registry ids; none when no registry has answered about them. The answers come through the
/// request's loader, so a page of clients costs one statement, not one per client.
///
/// # Errors
/// On a database failure.
pub async fn registry_profile(
    ctx: &Context<'_>,
    client_id: uuid::Uuid,
) -> AppResult<Option<RegistryProfile>> {
    let rows = ctx
        .loaders()
        .registry_answers_of(client_id)
        .await
        .map_err(|err| AppError::internal(err.message))?;
    // Rows are newest first: keep each registry's latest answer.
    let mut seen = Vec::new();
    let mut answers = Vec::new();
    let mut profiles = Vec::new();
    for row in &rows {
        if seen.contains(&row.provider) {
            continue;
        }
        let Some(profile) = cache::profile_of(row) else {
            continue;
        };
        seen.push(row.provider.clone());
        answers.push(RegistryAnswer {
            source: row.provider.clone(),
            scheme: row.scheme.into(),
            registry_id: row.value.clone(),
            retrieved_at: row.fetched_at,
            expires_at: row.expires_at,
        });
        profiles.push(profile);
    }
    if profiles.is_empty() {
        return Ok(None);
    }
    let merged = merge(&profiles.iter().collect::<Vec<_>>());
    Ok(Some(RegistryProfile {
        legal_name: merged.legal_name,
        short_name: merged.short_name,
        legal_form: merged.legal_form,
        status: merged.status,
        founded_on: merged.founded_on,
        country: merged.country,
        region: merged.region,
        legal_address: merged.legal_address,
        industry: merged.industry,
        employees: merged.employees,
        answers,
    }))
}

// ---------------------------------------------------------------------------------------------
// Root fields

/// `UPSTREAM_UNAVAILABLE`, naming why each registry asked did not answer.
fn none_answered<'a>(errors: impl IntoIterator<Item = &'a ProviderError>) -> AppError {
    AppError::UpstreamUnavailable(format!(
        "no registry answered: {}",
        ProviderError::summary(errors)
    ))
}

/// Registry look-ups by name.
#[derive(Debug, Default)]
pub struct EnrichmentQuery;

#[Object]
impl EnrichmentQuery {
    /// Companies whose name matches, from every enabled registry that searches by name (GLEIF,
    /// Companies House, DaData, Checko), asked concurrently, so a front end can link a client
    /// to its registry entry with `addRegistryId`. Each registry's answer is kept in the
    /// shared database cache for its cache lifetime (`KAIM_<PROVIDER>_CACHE_TTL`), keyed by the
    /// name regardless of case and spacing and by the country, and a repeated search is served
    /// from there without asking it again. `sources` says what each registry did: a
    /// registry that fails is reported there and its candidates are missing, so an empty
    /// list is not mistaken for "no such company". Only when every registry fails is the
    /// answer `UPSTREAM_UNAVAILABLE`.
    #[graphql(guard = "RoleGuard::readers()")]
    async fn registry_search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company name or part of it; at most 200 characters.")] name: String,
        #[graphql(desc = "Only companies of this ISO 3166-1 alpha-2 country.")] country: Option<
            String,
        >,
    ) -> async_graphql::Result<RegistrySearchResult> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_SEARCH_CHARS {
            return Err(AppError::bad_input(
                "name",
                format!("`name` has 1 to {MAX_SEARCH_CHARS} characters"),
            )
            .into());
        }
        let country = country.map(|c| parse_country("country", &c)).transpose()?;
        let searchers: Vec<&Arc<dyn Provider>> = ctx
            .state()
            .providers
            .enabled
            .iter()
            .filter(|p| p.supports_search())
            .collect();
        let answers = join_all(
            searchers
                .iter()
                .map(|p| search(ctx.state(), p.as_ref(), name, country.as_deref())),
        )
        .await;
        if !answers.is_empty() && answers.iter().all(Result::is_err) {
            return Err(none_answered(answers.iter().filter_map(|a| a.as_ref().err())).into());
        }
        let mut result = RegistrySearchResult {
            candidates: Vec::new(),
            sources: Vec::with_capacity(answers.len()),
        };
        for (searcher, answer) in searchers.iter().zip(answers) {
            let source = searcher.id().as_str().to_owned();
            match answer {
                Ok((found, cached)) => {
                    result.sources.push(RegistrySearchSource {
                        source,
                        ok: true,
                        error: None,
                        candidates: i32::try_from(found.len()).unwrap_or(i32::MAX),
                        cached,
                    });
                    result
                        .candidates
                        .extend(found.into_iter().map(RegistryCandidate::from));
                }
                Err(error) => {
                    tracing::info!(provider = %searcher.id(), %error, "registry search failed");
                    result.sources.push(RegistrySearchSource {
                        source,
                        ok: false,
                        error: Some(error.to_string()),
                        candidates: 0,
                        cached: false,
                    });
                }
            }
        }
        Ok(result)
    }
}

/// Enrichment from public registries.
#[derive(Debug, Default)]
pub struct EnrichmentMutation;

#[Object]
impl EnrichmentMutation {
    /// Asks every enabled registry that looks up one of the client's registry ids, concurrently
    /// (answers still fresh in the cache are not asked again), then in one transaction: fills
    /// the client's empty legal name, country, region, industry code and label and employees
    /// (a value a person entered is kept unless `force` is set), records one financial check
    /// per registry that gave a status or figures (source = registry, checked at = the
    /// answer's time, with the raw answer), and records the audit events. A failing registry
    /// is reported in `sources` without discarding the others; when none answers the call is
    /// `UPSTREAM_UNAVAILABLE` and nothing is written. ADMIN, or the client's manager.
    #[graphql(guard = "RoleGuard::client_writers()")]
    async fn enrich_client(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The client's global id; it needs a registry id an enabled registry \
                          looks up."
        )]
        client_id: ID,
        #[graphql(
            desc = "Overwrite fields that already have a value with the registries' values \
                    (null counts as false).",
            default_with = "Some(false)"
        )]
        force: Option<bool>,
    ) -> async_graphql::Result<EnrichmentResult> {
        let principal = ctx.principal()?;
        let id = node::decode(&client_id, Kind::Client, "clientId")?;
        match enrich(
            ctx.state(),
            principal,
            id,
            force.unwrap_or(false),
            ctx.time_left(),
        )
        .await?
        {
            Enrichment::Done(result) => Ok(*result),
            Enrichment::NoneAnswered(errors) => Err(none_answered(&errors).into()),
        }
    }
}
