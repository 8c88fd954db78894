//! Sign-in and the `AuthUser` extractor: short-lived JWT access tokens bound to a device.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use onsite_domain::Role;
use serde::{Deserialize, Serialize};

use onsite_store::repo::accounts::{Account, DeviceState};

use crate::app::AppState;
use crate::error::ApiError;

/// Signing keys of this server. `Debug` hides them.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    /// The current key first, then the previous one (during a rotation), if any.
    decoding: Vec<DecodingKey>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(..)")
    }
}

impl Keys {
    pub fn from_secret(secret: &[u8]) -> Keys {
        Keys::rotating(secret, None)
    }

    /// Signs with `current`; accepts tokens signed with `current` or with `previous`, so
    /// that after a rotation the tokens already handed out stay good until they expire.
    pub fn rotating(current: &[u8], previous: Option<&[u8]>) -> Keys {
        Keys {
            encoding: EncodingKey::from_secret(current),
            decoding: std::iter::once(current)
                .chain(previous)
                .map(DecodingKey::from_secret)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// Account id.
    pub sub: String,
    /// Device id the login is bound to.
    pub dev: String,
    /// The account's token version when the token was issued.
    pub ver: i64,
    pub iat: i64,
    pub exp: i64,
    /// The CSRF token of a browser session (`crate::web::session`); absent in the JSON
    /// API's access tokens. A token that carries one is a session cookie's, and the JSON
    /// API refuses it as a bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
}

pub fn issue(
    keys: &Keys,
    account: &Account,
    device_id: &str,
    ttl_secs: i64,
) -> Result<String, ApiError> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: account.id.clone(),
        dev: device_id.to_string(),
        ver: account.token_version,
        iat: now,
        exp: now + ttl_secs,
        csrf: None,
    };
    sign(keys, &claims)
}

/// Signs `claims` (HS256 with the current key).
pub fn sign(keys: &Keys, claims: &Claims) -> Result<String, ApiError> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &keys.encoding)
        .map_err(ApiError::internal)
}

pub fn verify(keys: &Keys, token: &str) -> Result<Claims, ApiError> {
    // Only HS256 is accepted: `alg: none` and algorithm confusion fail here.
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let mut outcome = Err(jsonwebtoken::errors::ErrorKind::InvalidSignature.into());
    for key in &keys.decoding {
        outcome = jsonwebtoken::decode::<Claims>(token, key, &validation);
        // Only a signature that does not match this key is worth trying the next one for.
        let wrong_key = matches!(
            &outcome,
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature)
        );
        if !wrong_key {
            break;
        }
    }
    outcome
        .map(|d| d.claims)
        .map_err(|e: jsonwebtoken::errors::Error| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "token_expired",
                "the access token has expired; sign in again",
            ),
            _ => ApiError::unauthorized("the access token is not valid"),
        })
}

/// The signed-in caller of a request, checked against the accounts table on every request
/// so that disabling an account takes effect at once.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub device_id: String,
    /// When the access token expires (Unix seconds): a live connection ends then.
    pub expires_at: i64,
}

impl AuthUser {
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this needs the role {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }
}

/// Checks the bearer token and the account and device behind it, on every request, so
/// that disabling an account or revoking a device takes effect at once.
pub async fn authenticate(
    parts: &Parts,
    state: &AppState,
) -> Result<(AuthUser, DeviceState), ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("missing Authorization: Bearer token"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be 'Bearer <token>'")
        })?;
    let claims = verify(&state.keys, token.trim())?;
    if claims.csrf.is_some() {
        return Err(ApiError::unauthorized(
            "a browser session is not an access token of the API",
        ));
    }
    let (user, device) = caller(state, &claims).await?;
    Ok((user, device))
}

/// The account and device behind verified `claims`, read on every request: a disabled
/// account or a token older than the account's last change is refused here.
pub async fn caller(
    state: &AppState,
    claims: &Claims,
) -> Result<(AuthUser, DeviceState), ApiError> {
    let claims = claims.clone();
    state
        .backend
        .read(move |unit| {
            let account = unit
                .account(&claims.sub)?
                .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
            if account.disabled {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "account_disabled",
                    "this account is disabled",
                ));
            }
            if account.token_version != claims.ver {
                return Err(ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "token_revoked",
                    "the account changed since this token was issued; sign in again",
                ));
            }
            let device = unit.device_state(&account.id, &claims.dev)?;
            Ok((
                AuthUser {
                    user_id: account.id,
                    username: account.username,
                    role: account.role,
                    device_id: claims.dev,
                    expires_at: claims.exp,
                },
                device,
            ))
        })
        .await
}

pub fn revoked_error(device: DeviceState) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::UNAUTHORIZED,
        if device.wipe {
            "device_wiped"
        } else {
            "device_revoked"
        },
        "this device was revoked by an administrator",
    )
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let (user, device) = authenticate(parts, &AppState::from_ref(state)).await?;
        if device.revoked {
            return Err(revoked_error(device));
        }
        Ok(user)
    }
}

/// The device of edits made through the back-office JSON API, in the feed, the actor
/// owners and the edit history. No device can sign in with it: it is not a valid device id.
pub const API_DEVICE: &str = "@api";

pub fn valid_device_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_device_can_take_the_api_device_id() {
        assert!(!valid_device_id(API_DEVICE));
        assert!(valid_device_id("api"));
        assert!(valid_device_id("phone-1_a"));
        assert!(!valid_device_id(""));
        assert!(!valid_device_id(&"a".repeat(65)));
    }
}
