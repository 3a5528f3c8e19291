//! Public registries behind one [`Provider`] trait: typed HTTP clients that turn a registry's
//! answer into a [`CompanyProfile`] in which every fact carries its source and retrieval time.
//! Resilience (timeouts, retries, circuit breaker, rate limit, size cap) lives in [`http`];
//! GraphQL, caching and merging belong to the layers above.

pub mod checko;
pub mod companies_house;
pub mod dadata;
mod de;
pub mod gleif;
pub mod http;
pub mod sec_edgar;
pub mod settings;

use std::{fmt, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::RegistryScheme;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub use settings::EnrichmentSettings;

/// The registries kaim can ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderId {
    Gleif,
    CompaniesHouse,
    Dadata,
    SecEdgar,
    Checko,
}

impl ProviderId {
    /// Every provider, in a stable order.
    pub const ALL: [Self; 5] = [
        Self::Gleif,
        Self::CompaniesHouse,
        Self::Dadata,
        Self::SecEdgar,
        Self::Checko,
    ];

    /// The stable name stored as a fact's source (`gleif`, `companies_house`, ...).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Gleif => "gleif",
            Self::CompaniesHouse => "companies_house",
            Self::Dadata => "dadata",
            Self::SecEdgar => "sec_edgar",
            Self::Checko => "checko",
        }
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a registry call gave no answer. Messages never contain API keys.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The registry has no such company (or the identifier is unknown to it).
    #[error("{provider}: not found")]
    NotFound { provider: ProviderId },
    /// Credentials missing, wrong, or out of quota (401/403, e.g. DaData's daily limit).
    #[error("{provider}: unauthorized (HTTP {status}): {message}")]
    Unauthorized {
        provider: ProviderId,
        status: u16,
        message: String,
    },
    /// The registry's rate limit was hit and retries did not get through.
    #[error("{provider}: rate limited{}", retry_hint(*retry_after))]
    RateLimited {
        provider: ProviderId,
        retry_after: Option<Duration>,
    },
    /// No answer within the configured time.
    #[error("{provider}: timed out")]
    Timeout { provider: ProviderId },
    /// The registry could not be reached.
    #[error("{provider}: connection failed")]
    Connect {
        provider: ProviderId,
        #[source]
        source: reqwest::Error,
    },
    /// Any other transport failure.
    #[error("{provider}: request failed")]
    Transport {
        provider: ProviderId,
        #[source]
        source: reqwest::Error,
    },
    /// The registry failed on its side (5xx) and retries did not help.
    #[error("{provider}: upstream error HTTP {status}")]
    Upstream { provider: ProviderId, status: u16 },
    /// The registry refused the request itself (other 4xx, or an error envelope).
    #[error("{provider}: request rejected (HTTP {status}): {message}")]
    Rejected {
        provider: ProviderId,
        status: u16,
        message: String,
    },
    /// The body was not what this client understands.
    #[error("{provider}: malformed {what}: {detail}")]
    Malformed {
        provider: ProviderId,
        what: &'static str,
        detail: String,
    },
    /// The body exceeded the configured size cap; reading stopped there.
    #[error("{provider}: response larger than {limit} bytes")]
    TooLarge { provider: ProviderId, limit: usize },
    /// The registry redirected to another host, which is never followed.
    #[error("{provider}: redirect to another host refused ({location})")]
    Redirect {
        provider: ProviderId,
        location: String,
    },
    /// Too many recent failures: calls are refused until the cool-down ends.
    #[error("{provider}: circuit open, retry in {}s", retry_in.as_secs())]
    CircuitOpen {
        provider: ProviderId,
        retry_in: Duration,
    },
    /// The provider is not configured (for example a required key is missing).
    #[error("{provider}: disabled: {reason}")]
    Disabled {
        provider: ProviderId,
        reason: String,
    },
    /// The provider cannot look up this kind of identifier.
    #[error("{provider}: cannot look up {scheme:?} identifiers")]
    UnsupportedScheme {
        provider: ProviderId,
        scheme: RegistryScheme,
    },
    /// The configuration given to the client is unusable (bad base URL, bad header value).
    #[error("{provider}: invalid configuration: {reason}")]
    Config {
        provider: ProviderId,
        reason: String,
    },
}

fn retry_hint(retry_after: Option<Duration>) -> String {
    retry_after.map_or_else(String::new, |d| format!(", retry after {}s", d.as_secs()))
}

impl ProviderError {
    /// The registry the error came from.
    #[must_use]
    pub const fn provider(&self) -> ProviderId {
        match self {
            Self::NotFound { provider }
            | Self::Unauthorized { provider, .. }
            | Self::RateLimited { provider, .. }
            | Self::Timeout { provider }
            | Self::Connect { provider, .. }
            | Self::Transport { provider, .. }
            | Self::Upstream { provider, .. }
            | Self::Rejected { provider, .. }
            | Self::Malformed { provider, .. }
            | Self::TooLarge { provider, .. }
            | Self::Redirect { provider, .. }
            | Self::CircuitOpen { provider, .. }
            | Self::Disabled { provider, .. }
            | Self::UnsupportedScheme { provider, .. }
            | Self::Config { provider, .. } => *provider,
        }
    }

    /// Several registries' errors in one line, `; `-separated, for a message or a log.
    pub fn summary<'a>(errors: impl IntoIterator<Item = &'a Self>) -> String {
        let reasons: Vec<String> = errors.into_iter().map(ToString::to_string).collect();
        reasons.join("; ")
    }

    /// Whether asking again later may succeed (as opposed to a definite answer or a bug).
    #[must_use]
    pub const fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Timeout { .. }
                | Self::Connect { .. }
                | Self::Transport { .. }
                | Self::Upstream { .. }
                | Self::CircuitOpen { .. }
        )
    }
}

/// The common status set every registry's status is mapped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistryStatus {
    Active,
    Liquidating,
    Liquidated,
    Bankrupt,
    Dissolved,
    Inactive,
    Unknown,
}

/// A registry status: the common value and the registry's own words for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusInfo {
    pub status: RegistryStatus,
    /// The registry's own status text or code, unchanged.
    pub original: String,
    /// A finer status the registry gives beside it (Companies House `company_status_detail`,
    /// GLEIF's LEI registration status), unchanged.
    pub detail: Option<String>,
    /// When the company ceased or its liquidation was recorded, when the registry says.
    pub since: Option<NaiveDate>,
}

/// One value with the registry it came from and when it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sourced<T> {
    pub value: T,
    pub source: ProviderId,
    pub retrieved_at: DateTime<Utc>,
}

/// Which kind of identifier a registry reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    Lei,
    RuInn,
    RuOgrn,
    RuKpp,
    GbCompanyNumber,
    UsCik,
    UsEin,
    /// A local register number with the registering authority, as GLEIF reports it
    /// (`RA000585:00445790`).
    LocalRegistration,
}

/// An identifier a registry reported for the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
}

/// A legal form: a code in the registry's scheme (ISO 20275 ELF, ОКОПФ, Companies House type)
/// and its name where given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalForm {
    pub code: Option<String>,
    pub name: Option<String>,
}

/// What an address is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressKind {
    Legal,
    Headquarters,
    Business,
    Mailing,
}

/// A postal address as the registry gives it; every part is optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub kind: AddressKind,
    pub lines: Vec<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 where the registry gives a code, its text otherwise.
    pub country: Option<String>,
    /// The whole address in one line, when the registry gives it so.
    pub full: Option<String>,
}

/// An industry classification code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndustryCode {
    /// `UK SIC 2007`, `OKVED2`, `US SIC`.
    pub scheme: &'static str,
    pub code: String,
    pub description: Option<String>,
    pub main: bool,
}

/// The industry schemes providers name, so a cached profile reads back as it was stored.
const INDUSTRY_SCHEMES: [&str; 3] = ["UK SIC 2007", "OKVED2", "US SIC"];

/// An [`IndustryCode`] as stored, before its scheme is matched to a known one.
#[derive(Deserialize)]
struct StoredIndustryCode {
    scheme: String,
    code: String,
    description: Option<String>,
    main: bool,
}

impl<'de> Deserialize<'de> for IndustryCode {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let stored = StoredIndustryCode::deserialize(de)?;
        let scheme = INDUSTRY_SCHEMES
            .into_iter()
            .find(|scheme| *scheme == stored.scheme)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown industry scheme `{}`", stored.scheme))
            })?;
        Ok(Self {
            scheme,
            code: stored.code,
            description: stored.description,
            main: stored.main,
        })
    }
}

/// A director, secretary or manager as the registry lists them. Personal data: never log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub name: String,
    pub role: Option<String>,
    pub appointed_on: Option<NaiveDate>,
    pub resigned_on: Option<NaiveDate>,
}

/// Which parent a [`ParentLink`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentRelation {
    Direct,
    Ultimate,
}

/// A parent company reported to GLEIF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    pub relation: ParentRelation,
    pub lei: String,
    pub name: Option<String>,
}

/// One insolvency case (Companies House `/insolvency`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsolvencyCase {
    /// The registry's case type, such as `creditors-voluntary-liquidation`.
    pub kind: String,
    pub number: Option<String>,
    /// The case's dates as the registry names them (`wound-up-on`, ...).
    pub dates: Vec<(String, NaiveDate)>,
}

/// Figures of one fiscal year, all in `currency`; fields a registry does not give are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinancialYear {
    pub fiscal_year: i32,
    pub period_end: Option<NaiveDate>,
    /// ISO 4217 code.
    pub currency: String,
    pub revenue: Option<Decimal>,
    pub net_income: Option<Decimal>,
    pub assets: Option<Decimal>,
    pub equity: Option<Decimal>,
    /// Debt the registry reports (DaData: tax arrears; Checko: short-term liabilities).
    pub debt: Option<Decimal>,
    pub employees: Option<u32>,
}

/// Court cases naming the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Litigation {
    pub cases: u32,
    /// Sum of the claims, in `currency`.
    pub claims_total: Option<Decimal>,
    pub currency: String,
}

/// Public-procurement contracts won under one procurement law.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernmentContracts {
    /// The law (`44`, `223` for Russian 44-FZ / 223-FZ).
    pub law: String,
    pub count: u32,
    /// Sum of the contract prices on the page read, in `currency`.
    pub total: Option<Decimal>,
    pub currency: String,
}

/// One registry's answer about one company, every fact from `source` at `retrieved_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompanyProfile {
    pub source: ProviderId,
    pub retrieved_at: DateTime<Utc>,
    /// The identifier that was looked up.
    pub looked_up: Identifier,
    pub identifiers: Vec<Identifier>,
    pub legal_name: Option<String>,
    pub short_name: Option<String>,
    pub legal_form: Option<LegalForm>,
    pub status: Option<StatusInfo>,
    pub founded_on: Option<NaiveDate>,
    /// ISO 3166-1 alpha-2 (or GLEIF's `US-WA` subdivision) of the registering jurisdiction.
    pub jurisdiction: Option<String>,
    pub addresses: Vec<Address>,
    pub industry_codes: Vec<IndustryCode>,
    pub officers: Vec<Officer>,
    pub parents: Vec<ParentLink>,
    /// `None` when the registry was not asked; empty when it has no cases.
    pub insolvency_cases: Option<Vec<InsolvencyCase>>,
    /// Oldest year first, one entry per fiscal year.
    pub financials: Vec<FinancialYear>,
    pub employees: Option<u32>,
    pub litigation: Option<Litigation>,
    pub government_contracts: Vec<GovernmentContracts>,
    /// The registry's answers as received, by endpoint, so every figure can be traced.
    pub raw: serde_json::Value,
}

impl CompanyProfile {
    /// An empty profile for `looked_up`, read now from `source`.
    #[must_use]
    pub fn new(source: ProviderId, looked_up: Identifier) -> Self {
        Self {
            source,
            retrieved_at: Utc::now(),
            looked_up,
            identifiers: Vec::new(),
            legal_name: None,
            short_name: None,
            legal_form: None,
            status: None,
            founded_on: None,
            jurisdiction: None,
            addresses: Vec::new(),
            industry_codes: Vec::new(),
            officers: Vec::new(),
            parents: Vec::new(),
            insolvency_cases: None,
            financials: Vec::new(),
            employees: None,
            litigation: None,
            government_contracts: Vec::new(),
            raw: serde_json::Value::Object(serde_json::Map::new()),
        }
    }

    /// `value` tagged with this profile's source and retrieval time.
    #[must_use]
    pub const fn sourced<T>(&self, value: T) -> Sourced<T> {
        Sourced {
            value,
            source: self.source,
            retrieved_at: self.retrieved_at,
        }
    }

    /// The most recent fiscal year's figures.
    #[must_use]
    pub fn latest_financials(&self) -> Option<&FinancialYear> {
        self.financials.iter().max_by_key(|year| year.fiscal_year)
    }

    fn keep_raw(&mut self, endpoint: &str, body: serde_json::Value) {
        if let serde_json::Value::Object(map) = &mut self.raw {
            map.insert(endpoint.to_owned(), body);
        }
    }
}

/// A company a name search found, to be linked to a client by its identifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub source: ProviderId,
    pub retrieved_at: DateTime<Utc>,
    pub scheme: RegistryScheme,
    pub registry_id: String,
    pub name: String,
    pub status: Option<StatusInfo>,
    pub address: Option<String>,
    /// ISO 3166-1 alpha-2 where known.
    pub country: Option<String>,
    pub founded_on: Option<NaiveDate>,
}

/// A public registry kaim can ask about a company.
#[async_trait]
pub trait Provider: Send + Sync {
    /// Which registry this is.
    fn id(&self) -> ProviderId;

    /// The identifier schemes [`Provider::lookup`] accepts.
    fn schemes(&self) -> &'static [RegistryScheme];

    /// Whether [`Provider::search_by_name`] is supported.
    fn supports_search(&self) -> bool {
        false
    }

    /// Everything the registry says about the company with this identifier.
    ///
    /// # Errors
    /// [`ProviderError::NotFound`] when the registry does not know it; the other variants for
    /// transport, quota, credential and format failures.
    async fn lookup(
        &self,
        scheme: RegistryScheme,
        id: &str,
    ) -> Result<CompanyProfile, ProviderError>;

    /// Companies whose name matches, optionally restricted to a country (ISO alpha-2); an empty
    /// list when the registry does not cover that country.
    ///
    /// # Errors
    /// As [`Provider::lookup`]. Providers without a name search answer no candidates.
    async fn search_by_name(
        &self,
        name: &str,
        country: Option<&str>,
    ) -> Result<Vec<Candidate>, ProviderError> {
        let _ = (name, country);
        Ok(Vec::new())
    }
}

/// The providers built from settings: those enabled, and why the others are not.
#[derive(Clone, Default)]
pub struct ProviderSet {
    pub enabled: Vec<Arc<dyn Provider>>,
    pub disabled: Vec<(ProviderId, String)>,
}

impl ProviderSet {
    /// The enabled provider with this id.
    #[must_use]
    pub fn get(&self, id: ProviderId) -> Option<&Arc<dyn Provider>> {
        self.enabled.iter().find(|provider| provider.id() == id)
    }

    /// The enabled providers that can look up `scheme`.
    pub fn for_scheme(&self, scheme: RegistryScheme) -> impl Iterator<Item = &Arc<dyn Provider>> {
        self.enabled
            .iter()
            .filter(move |provider| provider.schemes().contains(&scheme))
    }
}

impl fmt::Debug for ProviderSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSet")
            .field(
                "enabled",
                &self.enabled.iter().map(|p| p.id()).collect::<Vec<_>>(),
            )
            .field("disabled", &self.disabled)
            .finish()
    }
}

fn check_scheme(
    provider: ProviderId,
    accepted: &[RegistryScheme],
    scheme: RegistryScheme,
) -> Result<(), ProviderError> {
    if accepted.contains(&scheme) {
        Ok(())
    } else {
        Err(ProviderError::UnsupportedScheme { provider, scheme })
    }
}

/// Whether a search restricted to `country` should reach a registry covering `covered`.
fn covers(country: Option<&str>, covered: &[&str]) -> bool {
    country.is_none_or(|c| covered.iter().any(|code| c.eq_ignore_ascii_case(code)))
}

/// `base` with `segments` appended, each percent-encoded (identifiers come from users).
fn endpoint(
    provider: ProviderId,
    base: &reqwest::Url,
    segments: &[&str],
) -> Result<reqwest::Url, ProviderError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| ProviderError::Config {
            provider,
            reason: format!("`{base}` cannot be a base URL"),
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn a_cached_scheme_reads_as_its_stored_string() {
        for scheme in RegistryScheme::iter() {
            let json = serde_json::to_value(scheme).unwrap();
            assert_eq!(json, serde_json::Value::String(scheme.to_value()));
            assert_eq!(
                serde_json::from_value::<RegistryScheme>(json).unwrap(),
                scheme
            );
        }
    }
}
