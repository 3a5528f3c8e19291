//! Bearer tokens: verifying a JWT into a `Principal`, and minting tokens for `kaim token`.
//! No GraphQL or HTTP types here.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use entity::enums::Role;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{JwtAlgorithm, JwtSettings};

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
    #[error("the token's role is not one of ADMIN, MANAGER, ANALYST, INTEGRATOR")]
    UnknownRole,
    #[error("tokens can only be minted with an HS256 secret")]
    CannotMint,
    #[error("cannot read or write the signing key: {0}")]
    Key(#[from] std::io::Error),
    #[error("invalid signing key: {0}")]
    BadKey(#[source] jsonwebtoken::errors::Error),
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

/// Verifies tokens with the one configured algorithm and key, and mints HS256 tokens.
#[derive(Clone)]
pub struct TokenService {
    decoding: DecodingKey,
    encoding: Option<EncodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("algorithms", &self.validation.algorithms)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// Builds the service from settings and the resolved HS256 secret (if HS256 is configured).
    ///
    /// # Errors
    /// When the configured public key cannot be read or parsed.
    pub fn new(settings: &JwtSettings, secret: Option<&SecretString>) -> Result<Self, AuthError> {
        let (algorithm, decoding, encoding) = match settings.algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = secret.ok_or(AuthError::CannotMint)?;
                let bytes = secret.expose_secret().as_bytes();
                (
                    Algorithm::HS256,
                    DecodingKey::from_secret(bytes).map_err(AuthError::BadKey)?,
                    Some(EncodingKey::from_secret(bytes).map_err(AuthError::BadKey)?),
                )
            }
            JwtAlgorithm::Rs256 => {
                let pem = read_public_key(settings.public_key.as_deref())?;
                let key = DecodingKey::from_rsa_pem(&pem).map_err(AuthError::BadKey)?;
                (Algorithm::RS256, key, None)
            }
            JwtAlgorithm::Es256 => {
                let pem = read_public_key(settings.public_key.as_deref())?;
                let key = DecodingKey::from_ec_pem(&pem).map_err(AuthError::BadKey)?;
                (Algorithm::ES256, key, None)
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.validate_nbf = true;
        validation.leeway = settings.leeway_seconds;
        Ok(Self {
            decoding,
            encoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
        })
    }

    /// Verifies a bearer token.
    ///
    /// # Errors
    /// When the token is malformed, expired, not yet valid, wrongly signed, of another
    /// algorithm, for another issuer or audience, or names no known role.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(AuthError::Invalid)?;
        let role = parse_role(&data.claims.role).ok_or(AuthError::UnknownRole)?;
        Ok(Principal {
            user_id: data.claims.sub,
            role,
        })
    }

    /// Mints a token for `principal`, valid from now for `ttl`.
    ///
    /// # Errors
    /// When the server verifies with a public key and so holds no signing key.
    pub fn mint(&self, principal: Principal, ttl: Duration) -> Result<String, AuthError> {
        let encoding = self.encoding.as_ref().ok_or(AuthError::CannotMint)?;
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: principal.user_id,
            role: role_name(principal.role).to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            nbf: now,
            iat: now,
            jti: Uuid::now_v7(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, encoding)
            .map_err(AuthError::BadKey)
    }
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
