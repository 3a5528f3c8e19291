//! The one resilient HTTP client every registry client goes through: connect and overall
//! timeouts, bounded retries with exponential backoff and jitter (5xx, 429 with `Retry-After`,
//! connection errors), a circuit breaker and a rate limit per provider, a response size cap,
//! and no redirects to other hosts. Everything that goes wrong becomes a [`ProviderError`].

use std::{fmt, num::NonZeroU32, str::FromStr, sync::Mutex, time::Duration};

use governor::{
    Quota, RateLimiter,
    clock::{Clock, DefaultClock},
    state::{InMemoryState, NotKeyed},
};
use rand::Rng;
use reqwest::{
    StatusCode,
    header::{HeaderMap, HeaderValue, LOCATION, RETRY_AFTER, USER_AGENT},
    redirect,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::{ProviderError, ProviderId};

/// Same-origin redirects followed before giving up.
const MAX_REDIRECTS: usize = 5;
/// Longest error text kept from a registry's error body.
const MAX_MESSAGE_CHARS: usize = 300;

/// How many requests a provider may send per period, written `60/1m`, `600/5m`, `10/1s`,
/// `100/1d`. The full count may go at once; after that requests are spread evenly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: NonZeroU32,
    pub per: Duration,
}

impl RateLimit {
    fn quota(self) -> Option<Quota> {
        Quota::with_period(self.per / self.requests.get()).map(|q| q.allow_burst(self.requests))
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("`{text}` is not a rate such as `60/1m` or `10/1s`");
        let (count, period) = text.split_once('/').ok_or_else(invalid)?;
        let requests: NonZeroU32 = count.trim().parse().map_err(|_| invalid())?;
        let per = humantime::parse_duration(period.trim()).map_err(|_| invalid())?;
        if per.is_zero() {
            return Err(invalid());
        }
        Ok(Self { requests, per })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.requests,
            humantime::format_duration(self.per)
        )
    }
}

/// Timeouts, retries, breaker and limits of one provider's client.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    /// Longest wait for the TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Longest one attempt may take, body included.
    pub request_timeout: Duration,
    /// Attempts after the first one, for retryable failures.
    pub max_retries: u32,
    /// First backoff; each retry doubles it, up to `backoff_max`, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Longest a call may take across all attempts and waits; no retry starts past it.
    pub retry_budget: Duration,
    /// Consecutive failed calls that open the circuit.
    pub breaker_threshold: u32,
    /// How long an open circuit refuses calls before letting one trial through.
    pub breaker_cooldown: Duration,
    /// Largest response body read, counted after decompression; reading stops past it.
    pub max_body_bytes: usize,
    /// `None` for no client-side limit.
    pub rate_limit: Option<RateLimit>,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(10),
            retry_budget: Duration::from_secs(60),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(60),
            max_body_bytes: 32 * 1024 * 1024,
            rate_limit: None,
        }
    }
}

/// A successful (2xx) response, body fully read.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A provider's HTTP client. Cheap to share: one per provider, used concurrently.
pub struct HttpClient {
    provider: ProviderId,
    client: reqwest::Client,
    policy: HttpPolicy,
    limiter: Option<RateLimiter<NotKeyed, InMemoryState, DefaultClock>>,
    clock: DefaultClock,
    breaker: Mutex<Breaker>,
    /// Secrets that must never reach an error message (DaData echoes the token in its 403).
    secrets: Vec<String>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.provider)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    Done(Result<RawResponse, ProviderError>),
    Retry {
        error: ProviderError,
        after: Option<Duration>,
    },
}

impl HttpClient {
    /// A client for `provider` sending `default_headers` on every request.
    ///
    /// # Errors
    /// [`ProviderError::Config`] when the TLS backend cannot be initialised.
    pub fn new(
        provider: ProviderId,
        policy: HttpPolicy,
        default_headers: HeaderMap,
        secrets: Vec<String>,
    ) -> Result<Self, ProviderError> {
        let mut default_headers = default_headers;
        // A provider may declare its own User-Agent (the SEC requires a contact in it).
        default_headers
            .entry(USER_AGENT)
            .or_insert(HeaderValue::from_static(concat!(
                "kaim/",
                env!("CARGO_PKG_VERSION")
            )));
        let client = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.request_timeout)
            .default_headers(default_headers)
            .redirect(same_origin_redirects())
            .build()
            .map_err(|e| ProviderError::Config {
                provider,
                reason: e.without_url().to_string(),
            })?;
        let clock = DefaultClock::default();
        let limiter = policy
            .rate_limit
            .and_then(RateLimit::quota)
            .map(|quota| RateLimiter::direct_with_clock(quota, clock.clone()));
        Ok(Self {
            provider,
            client,
            policy,
            limiter,
            clock,
            breaker: Mutex::new(Breaker::Closed { failures: 0 }),
            secrets: secrets.into_iter().filter(|s| !s.is_empty()).collect(),
        })
    }

    /// Sends the request `build` makes, with the whole resilience policy, and returns the 2xx
    /// response. `build` is called once per attempt.
    ///
    /// # Errors
    /// Every non-2xx outcome, classified (see [`ProviderError`]).
    pub async fn execute<F>(&self, build: F) -> Result<RawResponse, ProviderError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        self.admit()?;
        let result = self.execute_with_retries(&build).await;
        self.record(&result);
        result
    }

    /// Sends the request and parses a 2xx JSON body into `T`, keeping the raw JSON beside it.
    ///
    /// # Errors
    /// As [`HttpClient::execute`], and [`ProviderError::Malformed`] for a body that is not the
    /// expected JSON.
    pub async fn get_json<T, F>(
        &self,
        what: &'static str,
        build: F,
    ) -> Result<(Value, T), ProviderError>
    where
        T: DeserializeOwned,
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let response = self.execute(build).await?;
        self.parse_json(what, &response.body)
    }

    /// Parses `body` as JSON into `T`, keeping the raw JSON beside it.
    ///
    /// # Errors
    /// [`ProviderError::Malformed`] naming `what` when the body is not JSON or not shaped as `T`.
    pub fn parse_json<T: DeserializeOwned>(
        &self,
        what: &'static str,
        body: &[u8],
    ) -> Result<(Value, T), ProviderError> {
        let malformed = |detail: String| ProviderError::Malformed {
            provider: self.provider,
            what,
            detail,
        };
        let raw: Value = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
        let typed = T::deserialize(&raw).map_err(|e| malformed(e.to_string()))?;
        Ok((raw, typed))
    }

    async fn execute_with_retries<F>(&self, build: &F) -> Result<RawResponse, ProviderError>
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let deadline = Instant::now() + self.policy.retry_budget;
        let mut retries = 0;
        loop {
            self.acquire_permit(deadline).await?;
            let (error, after) = match self.attempt(build).await {
                Attempt::Done(result) => return result,
                Attempt::Retry { error, after } => (error, after),
            };
            if retries >= self.policy.max_retries {
                return Err(error);
            }
            let delay = after.unwrap_or_else(|| self.backoff(retries));
            if Instant::now() + delay > deadline {
                return Err(error);
            }
            tracing::debug!(provider = %self.provider, retry = retries + 1, delay_ms = delay.as_millis(), error = %error, "retrying registry call");
            tokio::time::sleep(delay).await;
            retries += 1;
        }
    }

    async fn attempt<F>(&self, build: &F) -> Attempt
    where
        F: Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync,
    {
        let response = match build(&self.client).send().await {
            Ok(response) => response,
            Err(error) => return self.transport_failure(error),
        };
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_redirection() {
            // Only reached when the policy stopped: the target is on another host.
            let location = headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| reqwest::Url::parse(l).ok())
                .and_then(|u| u.host_str().map(ToOwned::to_owned))
                .unwrap_or_else(|| "unknown host".to_owned());
            return Attempt::Done(Err(ProviderError::Redirect {
                provider: self.provider,
                location,
            }));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = retry_after(&headers);
            return Attempt::Retry {
                error: ProviderError::RateLimited {
                    provider: self.provider,
                    retry_after,
                },
                after: retry_after,
            };
        }
        if status.is_server_error() {
            return Attempt::Retry {
                error: ProviderError::Upstream {
                    provider: self.provider,
                    status: status.as_u16(),
                },
                after: None,
            };
        }
        let body = match self.read_capped(response).await {
            Ok(body) => body,
            Err(error) => return Attempt::Done(Err(error)),
        };
        Attempt::Done(self.classify(status, headers, body))
    }

    fn classify(
        &self,
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> Result<RawResponse, ProviderError> {
        let provider = self.provider;
        match status {
            s if s.is_success() => Ok(RawResponse {
                status,
                headers,
                body,
            }),
            StatusCode::NOT_FOUND | StatusCode::GONE => Err(ProviderError::NotFound { provider }),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(ProviderError::Unauthorized {
                provider,
                status: status.as_u16(),
                message: self.error_message(&body),
            }),
            _ => Err(ProviderError::Rejected {
                provider,
                status: status.as_u16(),
                message: self.error_message(&body),
            }),
        }
    }

    fn transport_failure(&self, error: reqwest::Error) -> Attempt {
        // The URL can carry an API key (Checko's `key=`), so it never reaches an error.
        let error = error.without_url();
        let provider = self.provider;
        if error.is_connect() {
            Attempt::Retry {
                error: ProviderError::Connect {
                    provider,
                    source: error,
                },
                after: None,
            }
        } else if error.is_timeout() {
            Attempt::Done(Err(ProviderError::Timeout { provider }))
        } else {
            Attempt::Done(Err(ProviderError::Transport {
                provider,
                source: error,
            }))
        }
    }

    /// Reads the body chunk by chunk and stops as soon as it passes the cap, so an oversized
    /// answer costs at most the cap in memory. A gzip body arrives already decompressed, in
    /// small chunks, so the cap counts decompressed bytes: a few kilobytes that inflate to
    /// gigabytes stop at the cap like any other oversized answer.
    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Vec<u8>, ProviderError> {
        let limit = self.policy.max_body_bytes;
        let too_large = ProviderError::TooLarge {
            provider: self.provider,
            limit,
        };
        // Known only for an uncompressed body; a compressed one is measured as it is read.
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large);
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > limit {
                        return Err(too_large);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(error) => {
                    return Err(if error.is_timeout() {
                        ProviderError::Timeout {
                            provider: self.provider,
                        }
                    } else {
                        ProviderError::Transport {
                            provider: self.provider,
                            source: error.without_url(),
                        }
                    });
                }
            }
        }
    }

    /// A short, secret-free text from an error body: a JSON `message`/`error`/`title`, an HTML
    /// `<title>`, or the start of the text.
    fn error_message(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let from_json = serde_json::from_str::<Value>(&text).ok().and_then(|json| {
            [
                "/message",
                "/meta/message",
                "/error",
                "/errors/0/title",
                "/errors/0/error",
                "/reason",
            ]
            .iter()
            .find_map(|pointer| {
                json.pointer(pointer)
                    .and_then(Value::as_str)
                    .map(ToOwned::to_owned)
            })
        });
        let from_html = || {
            let lower = text.to_ascii_lowercase();
            let start = lower.find("<title>")? + "<title>".len();
            let end = start + lower[start..].find("</title>")?;
            text.get(start..end).map(|t| t.trim().to_owned())
        };
        let mut message = from_json
            .or_else(from_html)
            .unwrap_or_else(|| text.trim().to_owned());
        for secret in &self.secrets {
            message = message.replace(secret.as_str(), "***");
        }
        message.chars().take(MAX_MESSAGE_CHARS).collect()
    }

    async fn acquire_permit(&self, deadline: Instant) -> Result<(), ProviderError> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        loop {
            match limiter.check() {
                Ok(()) => return Ok(()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    if Instant::now() + wait > deadline {
                        return Err(ProviderError::RateLimited {
                            provider: self.provider,
                            retry_after: Some(wait),
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Exponential backoff with "equal jitter": between half and all of the doubled delay, so
    /// that concurrent callers spread out but never retry immediately.
    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .policy
            .backoff_base
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.policy.backoff_max);
        let half = exponential / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
    }

    fn admit(&self) -> Result<(), ProviderError> {
        let mut breaker = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let cooldown = self.policy.breaker_cooldown;
        match *breaker {
            Breaker::Closed { .. } => Ok(()),
            Breaker::Open { until } if now >= until => {
                tracing::info!(provider = %self.provider, "circuit half-open: trying one call");
                *breaker = Breaker::HalfOpen { since: now };
                Ok(())
            }
            Breaker::Open { until } => Err(ProviderError::CircuitOpen {
                provider: self.provider,
                retry_in: until - now,
            }),
            // A trial whose caller went away must not keep the circuit shut for ever.
            Breaker::HalfOpen { since } if now - since >= cooldown => {
                *breaker = Breaker::HalfOpen { since: now };
                Ok(())
            }
            Breaker::HalfOpen { since } => Err(ProviderError::CircuitOpen {
                provider: self.provider,
                retry_in: cooldown.saturating_sub(now - since),
            }),
        }
    }

    fn record(&self, result: &Result<RawResponse, ProviderError>) {
        // Only failures that say the registry is unwell count; a 404 or 401 is a healthy answer
        // and a 429 is the registry protecting itself.
        let failed = matches!(
            result,
            Err(ProviderError::Upstream { .. }
                | ProviderError::Timeout { .. }
                | ProviderError::Connect { .. }
                | ProviderError::Transport { .. })
        );
        let neutral = matches!(result, Err(ProviderError::RateLimited { .. }));
        let mut breaker = self
            .breaker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if neutral {
            return;
        }
        let next = match (*breaker, failed) {
            (_, false) => Breaker::Closed { failures: 0 },
            (Breaker::Closed { failures }, true)
                if failures + 1 < self.policy.breaker_threshold =>
            {
                Breaker::Closed {
                    failures: failures + 1,
                }
            }
            (_, true) => {
                tracing::warn!(provider = %self.provider, cooldown_ms = self.policy.breaker_cooldown.as_millis(), "circuit opened after repeated failures");
                Breaker::Open {
                    until: Instant::now() + self.policy.breaker_cooldown,
                }
            }
        };
        *breaker = next;
    }

    /// The provider this client calls.
    #[must_use]
    pub const fn provider(&self) -> ProviderId {
        self.provider
    }
}

#[derive(Debug, Clone, Copy)]
enum Breaker {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { since: Instant },
}

/// Follows redirects on the same origin only: credentials and the size cap stay in force, and a
/// compromised or misconfigured registry cannot send kaim to an arbitrary host.
fn same_origin_redirects() -> redirect::Policy {
    redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// `Retry-After` in seconds; HTTP dates are rare on APIs and fall back to the backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}
