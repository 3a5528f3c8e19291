//! Settings of the registry providers: one `KAIM_<PROVIDER>_*` group per registry and the
//! shared resilience policy. Defaults follow each registry's documented limits.

use std::{sync::Arc, time::Duration};

use clap::Args;
use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use super::{
    Provider, ProviderError, ProviderId, ProviderSet,
    checko::Checko,
    companies_house::CompaniesHouse,
    dadata::Dadata,
    gleif::Gleif,
    http::{HttpPolicy, RateLimit},
    sec_edgar::SecEdgar,
};
use crate::config::parse_duration;

/// Everything a registry client needs: where, with which key, under which policy.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub base_url: Url,
    pub api_key: Option<SecretString>,
    pub policy: HttpPolicy,
}

/// Registry providers: base URLs, keys, and the resilience policy.
#[derive(Debug, Clone, Args)]
pub struct EnrichmentSettings {
    /// GLEIF LEI API base URL.
    #[arg(
        long,
        env = "KAIM_GLEIF_BASE_URL",
        default_value = "https://api.gleif.org/api/v1"
    )]
    pub gleif_base_url: Url,
    /// GLEIF needs no key; one set here is ignored.
    #[arg(long, env = "KAIM_GLEIF_API_KEY", value_parser = parse_key, hide_env_values = true)]
    pub gleif_api_key: Option<SecretString>,
    /// GLEIF rate limit (documented: 60 requests per minute).
    #[arg(long, env = "KAIM_GLEIF_RATE_LIMIT", default_value = "60/1m")]
    pub gleif_rate_limit: RateLimit,

    /// Companies House public data API base URL.
    #[arg(
        long,
        env = "KAIM_COMPANIES_HOUSE_BASE_URL",
        default_value = "https://api.company-information.service.gov.uk"
    )]
    pub companies_house_base_url: Url,
    /// Companies House API key (required; sent as the HTTP basic user).
    #[arg(long, env = "KAIM_COMPANIES_HOUSE_API_KEY", value_parser = parse_key, hide_env_values = true)]
    pub companies_house_api_key: Option<SecretString>,
    /// Companies House rate limit (documented: 600 requests per 5 minutes per key).
    #[arg(
        long,
        env = "KAIM_COMPANIES_HOUSE_RATE_LIMIT",
        default_value = "600/5m"
    )]
    pub companies_house_rate_limit: RateLimit,

    /// DaData suggestions API base URL.
    #[arg(
        long,
        env = "KAIM_DADATA_BASE_URL",
        default_value = "https://suggestions.dadata.ru/suggestions/api/4_1/rs"
    )]
    pub dadata_base_url: Url,
    /// DaData API key (required; `Authorization: Token <key>`).
    #[arg(long, env = "KAIM_DADATA_API_KEY", value_parser = parse_key, hide_env_values = true)]
    pub dadata_api_key: Option<SecretString>,
    /// DaData rate limit (a per-IP limit of about 30 per second is quoted, not confirmed).
    #[arg(long, env = "KAIM_DADATA_RATE_LIMIT", default_value = "20/1s")]
    pub dadata_rate_limit: RateLimit,

    /// SEC EDGAR JSON API base URL.
    #[arg(
        long,
        env = "KAIM_SEC_EDGAR_BASE_URL",
        default_value = "https://data.sec.gov"
    )]
    pub sec_edgar_base_url: Url,
    /// SEC EDGAR needs no key; one set here is ignored.
    #[arg(long, env = "KAIM_SEC_EDGAR_API_KEY", value_parser = parse_key, hide_env_values = true)]
    pub sec_edgar_api_key: Option<SecretString>,
    /// User-Agent declaring who calls, such as `Example Corp admin@example.com` (required by
    /// the SEC; the provider is disabled without it).
    #[arg(long, env = "KAIM_SEC_EDGAR_USER_AGENT")]
    pub sec_edgar_user_agent: Option<String>,
    /// SEC EDGAR rate limit (documented: 10 requests per second).
    #[arg(long, env = "KAIM_SEC_EDGAR_RATE_LIMIT", default_value = "10/1s")]
    pub sec_edgar_rate_limit: RateLimit,

    /// Checko API base URL.
    #[arg(
        long,
        env = "KAIM_CHECKO_BASE_URL",
        default_value = "https://api.checko.ru/v2"
    )]
    pub checko_base_url: Url,
    /// Checko API key (required; sent as the `key` query parameter).
    #[arg(long, env = "KAIM_CHECKO_API_KEY", value_parser = parse_key, hide_env_values = true)]
    pub checko_api_key: Option<SecretString>,
    /// Checko rate limit (documented free tier: 100 requests per day).
    #[arg(long, env = "KAIM_CHECKO_RATE_LIMIT", default_value = "100/1d")]
    pub checko_rate_limit: RateLimit,

    /// Longest wait for a registry connection, such as `5s`.
    #[arg(long, env = "KAIM_ENRICHMENT_CONNECT_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Longest one registry request may take, body included.
    #[arg(long, env = "KAIM_ENRICHMENT_REQUEST_TIMEOUT", default_value = "20s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Retries after a 5xx, a 429 or a connection error.
    #[arg(long, env = "KAIM_ENRICHMENT_MAX_RETRIES", default_value_t = 3)]
    pub max_retries: u32,
    /// First retry delay; doubled on each retry, with jitter.
    #[arg(long, env = "KAIM_ENRICHMENT_BACKOFF_BASE", default_value = "500ms", value_parser = parse_duration)]
    pub backoff_base: Duration,
    /// Longest delay between two retries.
    #[arg(long, env = "KAIM_ENRICHMENT_BACKOFF_MAX", default_value = "10s", value_parser = parse_duration)]
    pub backoff_max: Duration,
    /// Longest one registry call may take across retries and waits.
    #[arg(long, env = "KAIM_ENRICHMENT_RETRY_BUDGET", default_value = "60s", value_parser = parse_duration)]
    pub retry_budget: Duration,
    /// Consecutive failed calls after which a provider's circuit opens.
    #[arg(long, env = "KAIM_ENRICHMENT_BREAKER_THRESHOLD", default_value_t = 5)]
    pub breaker_threshold: u32,
    /// How long an open circuit refuses calls before a trial call.
    #[arg(long, env = "KAIM_ENRICHMENT_BREAKER_COOLDOWN", default_value = "60s", value_parser = parse_duration)]
    pub breaker_cooldown: Duration,
    /// Largest registry response read, in bytes (SEC company facts run to several MB).
    #[arg(long, env = "KAIM_ENRICHMENT_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// How long a registry's answer is served from the database cache, for every provider
    /// without its own `KAIM_<PROVIDER>_CACHE_TTL`.
    #[arg(long, env = "KAIM_ENRICHMENT_CACHE_TTL", default_value = "24h", value_parser = parse_duration)]
    pub cache_ttl: Duration,
    /// Cache lifetime of GLEIF answers (default `KAIM_ENRICHMENT_CACHE_TTL`).
    #[arg(long, env = "KAIM_GLEIF_CACHE_TTL", value_parser = parse_duration)]
    pub gleif_cache_ttl: Option<Duration>,
    /// Cache lifetime of Companies House answers (default `KAIM_ENRICHMENT_CACHE_TTL`).
    #[arg(long, env = "KAIM_COMPANIES_HOUSE_CACHE_TTL", value_parser = parse_duration)]
    pub companies_house_cache_ttl: Option<Duration>,
    /// Cache lifetime of DaData answers (default `KAIM_ENRICHMENT_CACHE_TTL`).
    #[arg(long, env = "KAIM_DADATA_CACHE_TTL", value_parser = parse_duration)]
    pub dadata_cache_ttl: Option<Duration>,
    /// Cache lifetime of SEC EDGAR answers (default `KAIM_ENRICHMENT_CACHE_TTL`).
    #[arg(long, env = "KAIM_SEC_EDGAR_CACHE_TTL", value_parser = parse_duration)]
    pub sec_edgar_cache_ttl: Option<Duration>,
    /// Cache lifetime of Checko answers (default `KAIM_ENRICHMENT_CACHE_TTL`).
    #[arg(long, env = "KAIM_CHECKO_CACHE_TTL", value_parser = parse_duration)]
    pub checko_cache_ttl: Option<Duration>,

    /// Re-check clients against their registries this often, such as `1h` (off when unset;
    /// `kaim recheck` runs one round on demand).
    #[arg(long, env = "KAIM_RECHECK_INTERVAL", value_parser = parse_duration)]
    pub recheck_interval: Option<Duration>,
    /// A client is due for a re-check when its latest registry check is older than this.
    #[arg(long, env = "KAIM_RECHECK_MAX_AGE", default_value = "30d", value_parser = parse_duration)]
    pub recheck_max_age: Duration,
    /// After a round in which every registry failed transiently (timeouts, 5xx, rate limits),
    /// the client is tried again after this long rather than after the full age.
    #[arg(long, env = "KAIM_RECHECK_RETRY_AFTER", default_value = "6h", value_parser = parse_duration)]
    pub recheck_retry_after: Duration,
    /// Most clients re-checked in one round, so that a round stays within registry quotas.
    #[arg(long, env = "KAIM_RECHECK_BATCH", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub recheck_batch: u32,
    /// Clients re-checked at the same time within a round (each asks its registries
    /// concurrently, under the per-registry rate limits).
    #[arg(long, env = "KAIM_RECHECK_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub recheck_concurrency: u32,
}

impl EnrichmentSettings {
    /// The resilience policy shared by all providers, with `rate_limit` for one of them.
    #[must_use]
    pub const fn policy(&self, rate_limit: RateLimit) -> HttpPolicy {
        HttpPolicy {
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_retries: self.max_retries,
            backoff_base: self.backoff_base,
            backoff_max: self.backoff_max,
            retry_budget: self.retry_budget,
            breaker_threshold: self.breaker_threshold,
            breaker_cooldown: self.breaker_cooldown,
            max_body_bytes: self.max_body_bytes,
            rate_limit: Some(rate_limit),
        }
    }

    /// How long an answer of `id` is served from the cache (zero: never cached).
    #[must_use]
    pub fn cache_ttl(&self, id: ProviderId) -> Duration {
        let own = match id {
            ProviderId::Gleif => self.gleif_cache_ttl,
            ProviderId::CompaniesHouse => self.companies_house_cache_ttl,
            ProviderId::Dadata => self.dadata_cache_ttl,
            ProviderId::SecEdgar => self.sec_edgar_cache_ttl,
            ProviderId::Checko => self.checko_cache_ttl,
        };
        own.unwrap_or(self.cache_ttl)
    }

    /// The configuration of one provider.
    #[must_use]
    pub fn provider_config(&self, id: ProviderId) -> ProviderConfig {
        let (base_url, api_key, rate_limit) = match id {
            ProviderId::Gleif => (
                &self.gleif_base_url,
                &self.gleif_api_key,
                self.gleif_rate_limit,
            ),
            ProviderId::CompaniesHouse => (
                &self.companies_house_base_url,
                &self.companies_house_api_key,
                self.companies_house_rate_limit,
            ),
            ProviderId::Dadata => (
                &self.dadata_base_url,
                &self.dadata_api_key,
                self.dadata_rate_limit,
            ),
            ProviderId::SecEdgar => (
                &self.sec_edgar_base_url,
                &self.sec_edgar_api_key,
                self.sec_edgar_rate_limit,
            ),
            ProviderId::Checko => (
                &self.checko_base_url,
                &self.checko_api_key,
                self.checko_rate_limit,
            ),
        };
        ProviderConfig {
            base_url: base_url.clone(),
            api_key: api_key.clone(),
            policy: self.policy(rate_limit),
        }
    }

    /// Builds every provider; one that lacks a required key or cannot be built is left out,
    /// logged once with the reason, and listed in [`ProviderSet::disabled`].
    #[must_use]
    pub fn build(&self) -> ProviderSet {
        let mut set = ProviderSet::default();
        for id in ProviderId::ALL {
            let config = self.provider_config(id);
            let built: Result<Arc<dyn Provider>, ProviderError> = match id {
                ProviderId::Gleif => Gleif::new(config).map(|p| Arc::new(p) as _),
                ProviderId::CompaniesHouse => CompaniesHouse::new(config).map(|p| Arc::new(p) as _),
                ProviderId::Dadata => Dadata::new(config).map(|p| Arc::new(p) as _),
                ProviderId::SecEdgar => SecEdgar::new(config, self.sec_edgar_user_agent.as_deref())
                    .map(|p| Arc::new(p) as _),
                ProviderId::Checko => Checko::new(config).map(|p| Arc::new(p) as _),
            };
            match built {
                Ok(provider) => set.enabled.push(provider),
                Err(error) => {
                    tracing::warn!(provider = %id, reason = %error, "registry provider disabled");
                    set.disabled.push((id, error.to_string()));
                }
            }
        }
        set
    }
}

/// A key from the environment, trimmed; a blank one is refused rather than sent.
fn parse_key(text: &str) -> Result<SecretString, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the API key is empty".into());
    }
    Ok(SecretString::from(text.to_owned()))
}

/// The key of a provider that requires one, or why it is disabled.
pub(super) fn required_key(
    provider: ProviderId,
    key: Option<&SecretString>,
    variable: &str,
) -> Result<String, ProviderError> {
    key.map(|k| k.expose_secret().to_owned())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ProviderError::Disabled {
            provider,
            reason: format!("{variable} is not set"),
        })
}
