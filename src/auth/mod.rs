//! Bearer tokens: verifying a JWT into a `Principal` (with a shared secret, a public key or the
//! keys of a JWKS URL), finding its user (by id, or by an identity provider's subject) and
//! checking it against the revocation list, and minting tokens. No GraphQL or HTTP types here.

pub mod jwks;

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeZone as _, Utc};
use entity::enums::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use self::jwks::{JwksKeys, RefreshPolicy};
use crate::{
    config::{JwtAlgorithm, JwtSettings, RoleMapping},
    db::tokens::Standing,
};

/// Who is making a request, as proven by a valid token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub role: Role,
}

impl Principal {
    /// Whether the principal may write clients and what is recorded about them.
    #[must_use]
    pub const fn can_write_clients(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Manager)
    }

    /// Whether the principal may record interactions.
    #[must_use]
    pub const fn can_write_interactions(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Manager | Role::Integrator)
    }
}

/// Why a token was refused. The caller only learns that it was; the reason is logged at debug.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("an `Authorization: Bearer <token>` header is required")]
    Missing,
    #[error("the bearer token is invalid or expired")]
    Invalid(#[source] jsonwebtoken::errors::Error),
    #[error("the token's `{0}` claim is neither a role nor a list of roles")]
    RoleClaim(String),
    #[error("the bearer token is invalid or expired")]
    UnknownKey,
    #[error("the token has been revoked")]
    Revoked,
    /// A UUID `sub`: a deleted user's, or an identity provider's subject no user has.
    #[error(
        "the token names no kaim user: the user was deleted, or no user has the token's subject as `externalSubject`"
    )]
    UnknownUser,
    #[error(
        "no kaim user has the token's subject; an administrator sets it as the user's `externalSubject`"
    )]
    UnknownSubject,
    #[error("the token cannot be checked right now")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("tokens can only be minted with an HS256 secret")]
    CannotMint,
    #[error("cannot read or write the signing key: {0}")]
    Key(#[from] std::io::Error),
    #[error("invalid signing key: {0}")]
    BadKey(#[source] jsonwebtoken::errors::Error),
    #[error("invalid JWKS settings: {0}")]
    Jwks(String),
}

/// The claims kaim reads and writes.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    role: String,
    iss: String,
    aud: String,
    exp: i64,
    nbf: i64,
    iat: i64,
    jti: Uuid,
}

/// What kaim reads from a token it verifies; `exp`, `nbf`, `iss` and `aud` are checked by
/// the validation itself, the role is looked up in `rest` (see [`TokenService::role`]). Tokens
/// of an identity provider name their own subject, and may carry no `jti`, or one that is not a
/// UUID: such tokens are not on kaim's revocation list.
#[derive(Debug, Deserialize)]
struct VerifiedClaims {
    sub: String,
    #[serde(default)]
    jti: Option<serde_json::Value>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// A token whose signature and claims are valid, before its user is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The token's `sub`: a kaim user id, or the subject of an identity provider.
    pub subject: String,
    /// The kaim role the token carries, if any; without one the user's role applies.
    pub role: Option<Role>,
    /// The token's id, when it has one kaim could have issued.
    pub jti: Option<Uuid>,
}

/// A token just minted, with what is recorded about it.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token itself: shown once, never stored.
    pub token: String,
    pub jti: Uuid,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Where verification keys come from.
#[derive(Clone)]
enum Keys {
    /// The HS256 secret or the configured public key.
    Fixed(DecodingKey),
    /// The keys of a JWKS URL, chosen by `kid`.
    Jwks(JwksKeys),
}

/// Verifies tokens with the one configured algorithm and key, and mints HS256 tokens.
#[derive(Clone)]
pub struct TokenService {
    keys: Keys,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    /// The role claim's path: one segment per nested object.
    role_claim: String,
    role_map: Vec<RoleMapping>,
    /// Recent answers of the user and revocation lookup, shared by the service's clones;
    /// none when every request asks the database (`KAIM_TOKEN_RECHECK=0s`).
    standings: Option<moka::future::Cache<(String, Option<Uuid>), Standing>>,
}

/// Tokens whose standing is kept at once; beyond it the least used are dropped.
const STANDING_CAPACITY: u64 = 10_000;

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("algorithms", &self.validation.algorithms)
            .field(
                "jwks",
                &match &self.keys {
                    Keys::Jwks(keys) => Some(keys),
                    Keys::Fixed(_) => None,
                },
            )
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("role_claim", &self.role_claim)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// Builds the service from settings and the resolved HS256 secret (if HS256 is configured).
    ///
    /// # Errors
    /// When the configured public key cannot be read or parsed, or the JWKS settings do not
    /// fit the algorithm.
    pub fn new(settings: &JwtSettings, secret: Option<&SecretString>) -> Result<Self, AuthError> {
        let (algorithm, keys, encoding) = match (settings.algorithm, &settings.jwks_url) {
            (JwtAlgorithm::Hs256, Some(_)) => {
                return Err(AuthError::Jwks(
                    "KAIM_JWT_JWKS_URL needs KAIM_JWT_ALGORITHM RS256 or ES256".into(),
                ));
            }
            (JwtAlgorithm::Hs256, None) => {
                let secret = secret.ok_or(AuthError::CannotMint)?;
                let bytes = secret.expose_secret().as_bytes();
                (
                    Algorithm::HS256,
                    Keys::Fixed(DecodingKey::from_secret(bytes).map_err(AuthError::BadKey)?),
                    Some(EncodingKey::from_secret(bytes).map_err(AuthError::BadKey)?),
                )
            }
            (JwtAlgorithm::Rs256 | JwtAlgorithm::Es256, Some(url)) => {
                let algorithm = if settings.algorithm == JwtAlgorithm::Rs256 {
                    Algorithm::RS256
                } else {
                    Algorithm::ES256
                };
                (
                    algorithm,
                    Keys::Jwks(jwks_keys(settings, url, algorithm)?),
                    None,
                )
            }
            (JwtAlgorithm::Rs256, None) => {
                let pem = read_public_key(settings.public_key.as_deref())?;
                let key = DecodingKey::from_rsa_pem(&pem).map_err(AuthError::BadKey)?;
                (Algorithm::RS256, Keys::Fixed(key), None)
            }
            (JwtAlgorithm::Es256, None) => {
                let pem = read_public_key(settings.public_key.as_deref())?;
                let key = DecodingKey::from_ec_pem(&pem).map_err(AuthError::BadKey)?;
                (Algorithm::ES256, Keys::Fixed(key), None)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.validate_nbf = true;
        validation.leeway = settings.leeway_seconds;
        Ok(Self {
            keys,
            encoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            role_claim: settings.role_claim.clone(),
            role_map: settings.role_map.clone(),
            standings: (!settings.recheck.is_zero()).then(|| {
                moka::future::Cache::builder()
                    .max_capacity(STANDING_CAPACITY)
                    .time_to_live(settings.recheck)
                    .build()
            }),
        })
    }

    /// Authenticates a request's bearer token: [`Self::verify`], then the token's user and
    /// whether the token (by `jti`) is revoked, so a revocation on any instance holds on every
    /// instance. That lookup is one statement, made at most once per `KAIM_TOKEN_RECHECK` for
    /// a token (concurrent requests with the same token wait for the same lookup), so busy
    /// clients do not pay a round trip per request.
    ///
    /// The user is the one whose id is `sub`, else the one whose external subject is `sub`.
    /// The role is the token's (see [`Self::verify`]), else the user's role in kaim.
    ///
    /// # Errors
    /// As [`Self::verify`]; `Revoked`; `UnknownUser` (a UUID `sub`) or `UnknownSubject`
    /// when no user matches; `Unavailable` when the database fails (never remembered).
    pub async fn authenticate<C: ConnectionTrait>(
        &self,
        db: &C,
        token: &str,
    ) -> Result<Principal, AuthError> {
        let verified = self.verify(token).await?;
        let subject = verified.subject;
        let lookup = crate::db::tokens::standing(db, &subject, verified.jti);
        let standing = match &self.standings {
            Some(standings) => {
                standings
                    .try_get_with((subject.clone(), verified.jti), lookup)
                    .await
            }
            None => lookup.await.map_err(std::sync::Arc::new),
        };
        match standing {
            Ok(Standing::Valid { user_id, role }) => Ok(Principal {
                user_id,
                role: verified.role.unwrap_or(role),
            }),
            Ok(Standing::Revoked) => Err(AuthError::Revoked),
            Ok(Standing::UnknownUser) if Uuid::try_parse(&subject).is_ok() => {
                Err(AuthError::UnknownUser)
            }
            Ok(Standing::UnknownUser) => Err(AuthError::UnknownSubject),
            // Requests that waited for the same lookup share its error; the first owns it.
            Err(shared) => Err(AuthError::Unavailable(
                std::sync::Arc::try_unwrap(shared).map_or_else(
                    |shared| format!("{shared:?}").into(),
                    crate::error::AppError::into_error,
                ),
            )),
        }
    }

    /// Forgets every remembered standing, after a change to tokens or users on this instance,
    /// so that it holds here from the next request on.
    pub fn forget_standings(&self) {
        if let Some(standings) = &self.standings {
            standings.invalidate_all();
        }
    }

    /// Verifies a bearer token's signature and claims (without the revocation list).
    ///
    /// # Errors
    /// When the token is malformed, expired, not yet valid, wrongly signed, of another
    /// algorithm, signed by a key the JWKS does not hold, or for another issuer or audience;
    /// `RoleClaim` when the role claim holds something other than strings.
    pub async fn verify(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let data = match &self.keys {
            Keys::Fixed(key) => {
                jsonwebtoken::decode::<VerifiedClaims>(token, key, &self.validation)
            }
            Keys::Jwks(keys) => {
                let header = jsonwebtoken::decode_header(token).map_err(AuthError::Invalid)?;
                // Checked before any key lookup, so tokens of another algorithm never cause a
                // fetch; `decode` checks it again.
                if !self.validation.algorithms.contains(&header.alg) {
                    return Err(AuthError::Invalid(
                        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into(),
                    ));
                }
                let kid = header.kid.ok_or(AuthError::UnknownKey)?;
                let key = keys.key(&kid).await.ok_or(AuthError::UnknownKey)?;
                jsonwebtoken::decode::<VerifiedClaims>(token, &key, &self.validation)
            }
        }
        .map_err(AuthError::Invalid)?;
        let role = self.role(&data.claims.rest)?;
        let jti = data
            .claims
            .jti
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(|text| Uuid::try_parse(text).ok());
        Ok(VerifiedToken {
            subject: data.claims.sub,
            role,
            jti,
        })
    }

    /// The kaim role a token carries: the first value at the role claim (a string, or each
    /// string of an array) that is a kaim role name or, through the role map, stands for one.
    /// `None` when the claim is absent or null or holds no such value: other roles of the
    /// provider are ignored. A claim whose full name is the setting (`https://x.io/roles`)
    /// wins over the dotted path.
    fn role(
        &self,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<Role>, AuthError> {
        let value = claims.get(&self.role_claim).or_else(|| {
            let mut parts = self.role_claim.split('.');
            let first = claims.get(parts.next()?)?;
            parts.try_fold(first, |value, part| value.get(part))
        });
        let names: Vec<&str> = match value {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(serde_json::Value::String(name)) => vec![name],
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .map(serde_json::Value::as_str)
                .collect::<Option<_>>()
                .ok_or_else(|| AuthError::RoleClaim(self.role_claim.clone()))?,
            Some(_) => return Err(AuthError::RoleClaim(self.role_claim.clone())),
        };
        Ok(names.into_iter().find_map(|name| self.kaim_role(name)))
    }

    /// The kaim role a provider's role name stands for: its mapping, else the name itself.
    fn kaim_role(&self, name: &str) -> Option<Role> {
        self.role_map
            .iter()
            .find(|mapping| mapping.name.eq_ignore_ascii_case(name))
            .map(|mapping| mapping.role)
            .or_else(|| parse_role(name))
    }

    /// Mints a token for `principal`, valid from now for `ttl`.
    ///
    /// # Errors
    /// When the server verifies with a public key and so holds no signing key.
    pub fn mint(&self, principal: Principal, ttl: Duration) -> Result<String, AuthError> {
        self.issue(principal, ttl).map(|issued| issued.token)
    }

    /// Mints a token for `principal`, valid from now for `ttl`, with its id and times for the
    /// record of issued tokens.
    ///
    /// # Errors
    /// When the server verifies with a public key and so holds no signing key.
    pub fn issue(&self, principal: Principal, ttl: Duration) -> Result<IssuedToken, AuthError> {
        let encoding = self.encoding.as_ref().ok_or(AuthError::CannotMint)?;
        let now = Utc::now().timestamp();
        let exp = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let jti = Uuid::now_v7();
        let claims = Claims {
            sub: principal.user_id,
            role: role_name(principal.role).to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp,
            nbf: now,
            iat: now,
            jti,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, encoding)
            .map_err(AuthError::BadKey)?;
        let time = |seconds: i64| {
            Utc.timestamp_opt(seconds, 0)
                .single()
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        Ok(IssuedToken {
            token,
            jti,
            issued_at: time(now),
            expires_at: time(exp),
        })
    }
}

fn jwks_keys(
    settings: &JwtSettings,
    url: &str,
    algorithm: Algorithm,
) -> Result<JwksKeys, AuthError> {
    if settings.public_key.is_some() {
        return Err(AuthError::Jwks(
            "set KAIM_JWT_JWKS_URL or KAIM_JWT_PUBLIC_KEY, not both".into(),
        ));
    }
    let url = reqwest::Url::parse(url)
        .map_err(|err| AuthError::Jwks(format!("KAIM_JWT_JWKS_URL is not a URL: {err}")))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(AuthError::Jwks(
            "KAIM_JWT_JWKS_URL must be an https:// (or http://) URL".into(),
        ));
    }
    let policy = RefreshPolicy {
        min_interval: Duration::from_secs(settings.jwks_min_refresh_seconds),
        max_age: Duration::from_secs(settings.jwks_refresh_seconds),
    };
    JwksKeys::new(url, algorithm, policy).map_err(|err| AuthError::Jwks(err.to_string()))
}

fn read_public_key(path: Option<&Path>) -> Result<Vec<u8>, AuthError> {
    let path = path.ok_or_else(|| {
        AuthError::Key(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "KAIM_JWT_PUBLIC_KEY must name a PEM file for RS256 and ES256",
        ))
    })?;
    Ok(fs::read(path)?)
}

/// The role's name in tokens and in the API.
#[must_use]
pub const fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::Manager => "MANAGER",
        Role::Analyst => "ANALYST",
        Role::Integrator => "INTEGRATOR",
    }
}

/// Parses a role name as written in tokens and on the command line.
#[must_use]
pub fn parse_role(name: &str) -> Option<Role> {
    match name.to_ascii_uppercase().as_str() {
        "ADMIN" => Some(Role::Admin),
        "MANAGER" => Some(Role::Manager),
        "ANALYST" => Some(Role::Analyst),
        "INTEGRATOR" => Some(Role::Integrator),
        _ => None,
    }
}

/// Where a generated secret is kept: beside the embedded database.
#[must_use]
pub fn secret_path(data_dir: &Path) -> PathBuf {
    data_dir.join("jwt-secret")
}

/// The HS256 secret to use: the configured one, or the one stored in the data dir, generating
/// and storing it (mode 0600) on first use. The flag says whether it was generated just now.
///
/// # Errors
/// When the data dir cannot be read or written.
pub fn resolve_secret(
    configured: Option<&SecretString>,
    data_dir: &Path,
) -> Result<(SecretString, bool), AuthError> {
    if let Some(secret) = configured {
        return Ok((secret.clone(), false));
    }
    let path = secret_path(data_dir);
    match fs::read_to_string(&path) {
        Ok(stored) => return Ok((SecretString::from(stored.trim().to_owned()), false)),
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
        Err(_) => {}
    }
    fs::create_dir_all(data_dir)?;
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())?;
            Ok((SecretString::from(secret), true))
        }
        // Another instance sharing the data dir won the race: use its secret.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let stored = fs::read_to_string(&path)?;
            Ok((SecretString::from(stored.trim().to_owned()), false))
        }
        Err(err) => Err(err.into()),
    }
}
