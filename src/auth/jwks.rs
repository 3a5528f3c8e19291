//! Public keys from a JWKS URL (as Keycloak or Auth0 publish them), chosen by a token's `kid`.
//!
//! The set is fetched on first use, again when it is older than the refresh interval, and again
//! when a token names an unknown `kid`; never more than once per minimum interval, with one
//! fetch in flight per instance. A failed fetch keeps the last good set.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{
    Algorithm, DecodingKey,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse},
};
use serde::Deserialize;

/// How long one fetch of the set may take, connecting included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// A JWKS larger than this is not a key set.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a JWKS could not be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("cannot build the HTTP client for the JWKS: {0}")]
    Client(#[source] reqwest::Error),
    #[error("cannot fetch the JWKS: {0}")]
    Fetch(#[source] reqwest::Error),
    #[error("the JWKS URL answered {0}")]
    Status(reqwest::StatusCode),
    #[error("the JWKS is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the JWKS is not a JSON key set: {0}")]
    Malformed(#[source] serde_json::Error),
    #[error("the JWKS holds no {0:?} signing key")]
    NoUsableKey(Algorithm),
}

/// When to fetch the set again.
#[derive(Debug, Clone, Copy)]
pub struct RefreshPolicy {
    /// Shortest time between two fetches, however many unknown `kid`s arrive.
    pub min_interval: Duration,
    /// Age after which the set is fetched again on the next use.
    pub max_age: Duration,
}

#[derive(Default)]
struct KeySet {
    keys: HashMap<String, Arc<DecodingKey>>,
    /// When the current set was fetched (none before the first good fetch).
    fetched_at: Option<Instant>,
    /// When a fetch last started, good or bad: the minimum interval counts from here.
    attempted_at: Option<Instant>,
}

/// The keys of one JWKS URL for one algorithm. Cheap to clone; clones share the set.
#[derive(Clone)]
pub struct JwksKeys {
    inner: Arc<Inner>,
}

struct Inner {
    url: reqwest::Url,
    algorithm: Algorithm,
    policy: RefreshPolicy,
    client: reqwest::Client,
    set: RwLock<KeySet>,
    /// Held while fetching, so concurrent requests wait for one fetch instead of starting more.
    fetching: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for JwksKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksKeys")
            .field("url", &self.inner.url.as_str())
            .field("algorithm", &self.inner.algorithm)
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

impl JwksKeys {
    /// Keys of `url` usable with `algorithm`; nothing is fetched until the first token arrives.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        url: reqwest::Url,
        algorithm: Algorithm,
        policy: RefreshPolicy,
    ) -> Result<Self, JwksError> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(JwksError::Client)?;
        Ok(Self {
            inner: Arc::new(Inner {
                url,
                algorithm,
                policy,
                client,
                set: RwLock::new(KeySet::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The key named `kid`, fetching the set when it is unknown or the set is old (within the
    /// refresh limits). `None` when no usable key has that id.
    pub async fn key(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let (found, stale) = self.lookup(kid);
        if found.is_some() && !stale {
            return found;
        }
        self.refresh().await;
        self.lookup(kid).0.or(found)
    }

    fn lookup(&self, kid: &str) -> (Option<Arc<DecodingKey>>, bool) {
        let set = self
            .inner
            .set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let stale = set
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.inner.policy.max_age);
        (set.keys.get(kid).cloned(), stale)
    }

    /// Whether a fetch may start now: none started within the minimum interval.
    fn may_fetch(&self) -> bool {
        let set = self
            .inner
            .set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        set.attempted_at
            .is_none_or(|at| at.elapsed() >= self.inner.policy.min_interval)
    }

    /// Fetches the set unless a fetch started within the minimum interval. A request arriving
    /// while another fetches waits for that fetch and then uses its result.
    async fn refresh(&self) {
        if !self.may_fetch() {
            return;
        }
        let _fetching = self.inner.fetching.lock().await;
        // Whoever held the lock before may have fetched just now.
        if !self.may_fetch() {
            return;
        }
        self.write().attempted_at = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::debug!(url = %self.inner.url, keys = keys.len(), "JWKS fetched");
                let mut set = self.write();
                set.keys = keys;
                set.fetched_at = Some(Instant::now());
            }
            Err(err) => {
                let kept = self.read_len();
                tracing::warn!(
                    url = %self.inner.url,
                    error = %err,
                    kept_keys = kept,
                    "cannot refresh the JWKS; keeping the last good key set"
                );
            }
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KeySet> {
        self.inner
            .set
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn read_len(&self) -> usize {
        self.inner
            .set
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .keys
            .len()
    }

    async fn fetch(&self) -> Result<HashMap<String, Arc<DecodingKey>>, JwksError> {
        let mut response = self
            .inner
            .client
            .get(self.inner.url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(JwksError::Fetch)?;
        if !response.status().is_success() {
            return Err(JwksError::Status(response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(JwksError::Fetch)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(JwksError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        usable_keys(&body, self.inner.algorithm)
    }
}

/// A JWKS whose keys are read one by one, so that a key of a type this library does not know
/// does not spoil the others.
#[derive(Deserialize)]
struct RawSet {
    keys: Vec<serde_json::Value>,
}

/// The keys of a JWKS document that verify `algorithm` signatures, by `kid`. Keys without a
/// `kid`, of another type or algorithm, or meant for encryption are left out.
///
/// # Errors
/// When the document is not a key set, or holds no usable key (which looks like a
/// misconfiguration or a broken answer, so the last good set is better kept).
pub fn usable_keys(
    document: &[u8],
    algorithm: Algorithm,
) -> Result<HashMap<String, Arc<DecodingKey>>, JwksError> {
    let raw: RawSet = serde_json::from_slice(document).map_err(JwksError::Malformed)?;
    let keys: HashMap<_, _> = raw
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter(|jwk| fits(jwk, algorithm))
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect();
    if keys.is_empty() {
        return Err(JwksError::NoUsableKey(algorithm));
    }
    Ok(keys)
}

/// Whether a JWK may verify `algorithm` signatures: the right key type (and curve), a
/// matching `alg` when it names one, and not an encryption key.
fn fits(jwk: &Jwk, algorithm: Algorithm) -> bool {
    let type_fits = match (&jwk.algorithm, algorithm) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
        (AlgorithmParameters::EllipticCurve(params), Algorithm::ES256) => {
            params.curve == EllipticCurve::P256
        }
        _ => false,
    };
    let alg_fits = jwk.common.key_algorithm.is_none_or(|alg| {
        matches!(
            (alg, algorithm),
            (KeyAlgorithm::RS256, Algorithm::RS256) | (KeyAlgorithm::ES256, Algorithm::ES256)
        )
    });
    let use_fits = !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
    type_fits && alg_fits && use_fits
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test key of `tests/fixtures`, as a JWK.
    const RSA_JWK: &str = include_str!("../../tests/fixtures/rs256-public.jwk.json");

    fn modulus() -> String {
        serde_json::from_str::<serde_json::Value>(RSA_JWK).unwrap_or_default()["n"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn document(keys: &serde_json::Value) -> Vec<u8> {
        serde_json::json!({ "keys": keys }).to_string().into_bytes()
    }

    #[test]
    fn keys_of_another_type_algorithm_or_use_are_left_out() {
        let n = modulus();
        let doc = document(&serde_json::json!([
            { "kty": "RSA", "kid": "good", "alg": "RS256", "use": "sig", "n": n, "e": "AQAB" },
            { "kty": "RSA", "kid": "no-alg", "n": n, "e": "AQAB" },
            { "kty": "RSA", "kid": "rs512", "alg": "RS512", "n": n, "e": "AQAB" },
            { "kty": "RSA", "kid": "enc", "alg": "RSA-OAEP", "use": "enc", "n": n, "e": "AQAB" },
            { "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" },
            { "kty": "RSA", "n": n, "e": "AQAB" },
            { "kty": "weird", "kid": "weird" }
        ]));
        let keys = usable_keys(&doc, Algorithm::RS256).unwrap_or_default();
        let mut kids: Vec<_> = keys.keys().map(String::as_str).collect();
        kids.sort_unstable();
        assert_eq!(kids, ["good", "no-alg"]);
        assert!(matches!(
            usable_keys(&doc, Algorithm::ES256),
            Err(JwksError::NoUsableKey(_))
        ));
    }

    #[test]
    fn garbage_is_not_a_key_set() {
        assert!(matches!(
            usable_keys(b"<html>down</html>", Algorithm::RS256),
            Err(JwksError::Malformed(_))
        ));
        assert!(matches!(
            usable_keys(b"{\"keys\": []}", Algorithm::RS256),
            Err(JwksError::NoUsableKey(_))
        ));
    }
}
