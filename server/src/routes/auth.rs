//! Sign-in, token refresh and sign-out.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};

use onsite_store::Unit;
use onsite_store::repo::accounts::{Account, Refresh, WipeContact};
use onsite_store::repo::audit::{AuditAction, AuditEvent};

use super::audit::record;
use super::json::JsonBody;
use crate::app::AppState;
use crate::auth::{issue, valid_device_id};
use crate::client_address::client_address;
use crate::error::ApiError;
use crate::passwords;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
    device_id: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    access_token: String,
    /// Absent only for the last upload of a device revoked for a wipe.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    token_type: &'static str,
    expires_in: i64,
    user_id: String,
    username: String,
    role: &'static str,
}

fn tokens(
    state: &AppState,
    account: &Account,
    device_id: &str,
    refresh_token: Option<String>,
) -> Result<Json<TokenResponse>, ApiError> {
    let ttl = state.config.access_token_ttl_secs;
    Ok(Json(TokenResponse {
        access_token: issue(&state.keys, account, device_id, ttl)?,
        refresh_token,
        token_type: "Bearer",
        expires_in: ttl,
        user_id: account.id.clone(),
        username: account.username.clone(),
        role: account.role.as_str(),
    }))
}

#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    summary = "Sign in: username, password, device_id",
    request_body = crate::routes::auth::LoginRequest,
    responses(
        (status = 200, description = "signed in", body = crate::routes::auth::TokenResponse),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "invalid_credentials: wrong username or password, or a disabled account", body = crate::error::ErrorBody),
        (status = 403, description = "device_revoked: an administrator revoked this device", body = crate::error::ErrorBody),
        (status = 429, description = "too many attempts: Retry-After says when to try again", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let LoginRequest {
        username,
        password,
        device_id,
    } = req;
    let address = client_address(peer.ip(), &headers, &state.config.trusted_proxies);
    let (account, refresh) = sign_in(
        &state, address, username, password, &device_id, true, &ALL_ROLES,
    )
    .await?;
    tokens(&state, &account, &device_id, refresh)
}

const ALL_ROLES: [onsite_domain::Role; 3] = [
    onsite_domain::Role::Technician,
    onsite_domain::Role::BackOffice,
    onsite_domain::Role::Admin,
];

/// Checks a sign-in on `device_id` (limits, password, a disabled account, a revoked
/// device), records it in the audit log, and makes the session: the device is seen now
/// and, when `refresh` is asked for, a refresh token starts a new family. An account whose
/// role is not in `roles` is refused (403 `role_not_allowed`, audited as a refusal) and no
/// device is recorded. The JSON API's sign-in and the browser's (`crate::web::session`) are
/// this one.
pub(crate) async fn sign_in(
    state: &AppState,
    address: std::net::IpAddr,
    username: String,
    password: String,
    device_id: &str,
    refresh: bool,
    roles: &'static [onsite_domain::Role],
) -> Result<(Account, Option<String>), ApiError> {
    if !valid_device_id(device_id) {
        return Err(ApiError::bad_request(
            "device_id must be 1–64 characters of letters, digits, '-' or '_'",
        ));
    }
    state
        .login_limiter
        .check(&state.backend, &username, address, super::jobs::now_ms())
        .await?;
    let device_id = device_id.to_string();
    let device = device_id.clone();
    // The password is checked outside any unit of work, on the hashing threads: the
    // database never waits for Argon2.
    let who = username.clone();
    let found = state
        .backend
        .read(move |unit| unit.credentials(&who).map_err(ApiError::from))
        .await?;
    let seen_hash = found.as_ref().map(|c| c.password_hash.clone());
    let known = found.as_ref().map(|c| c.account.id.clone());
    let audit = SignInAudit {
        username: username.clone(),
        device_id: device_id.clone(),
        address: address.to_string(),
    };
    let Some(checked) = passwords::verify_off_thread(found, password).await? else {
        let reason = if known.is_some() {
            "wrong_password"
        } else {
            "unknown_user"
        };
        let refused = audit.refused(known, reason);
        state
            .backend
            .write(move |unit| record(unit, &refused))
            .await?;
        return Err(invalid_credentials());
    };
    // The session is made only on the credentials that were checked: a password reset or a
    // disable that came in between refuses it. A refusal is recorded in the same unit, which
    // is committed: the closure's own result says whether the sign-in went through.
    let lifetime = state.config.refresh_token_ttl_secs;
    state
        .backend
        .write(move |unit| {
            let current = unit.credentials(&username)?;
            let refusal = match &current {
                None => Some((None, "unknown_user", invalid_credentials())),
                Some(c)
                    if Some(&c.password_hash) != seen_hash.as_ref()
                        || c.account.id != checked.id =>
                {
                    Some((
                        Some(c.account.id.clone()),
                        "password_changed",
                        invalid_credentials(),
                    ))
                }
                Some(c) if c.account.disabled => Some((
                    Some(c.account.id.clone()),
                    "account_disabled",
                    invalid_credentials(),
                )),
                Some(c) if !roles.contains(&c.account.role) => Some((
                    Some(c.account.id.clone()),
                    "role_not_allowed",
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        "role_not_allowed",
                        "this role does not sign in here",
                    ),
                )),
                Some(c) if unit.device_state(&c.account.id, &device)?.revoked => Some((
                    Some(c.account.id.clone()),
                    "device_revoked",
                    ApiError::new(
                        StatusCode::FORBIDDEN,
                        "device_revoked",
                        "this device was revoked by an administrator",
                    ),
                )),
                Some(_) => None,
            };
            if let Some((actor_id, reason, error)) = refusal {
                record(unit, &audit.refused(actor_id, reason))?;
                return Ok(Err(error));
            }
            let Some(account) = current.map(|c| c.account) else {
                return Ok(Err(invalid_credentials()));
            };
            unit.touch_device(&account.id, &device)?;
            let refresh = if refresh {
                Some(unit.issue_refresh(&account.id, &device, lifetime)?)
            } else {
                None
            };
            record(unit, &audit.signed_in(&account))?;
            Ok::<_, ApiError>(Ok((account, refresh)))
        })
        .await?
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
        "wrong username or password, or the account is disabled",
    )
}

/// What the audit log says of a sign-in attempt. Attempts the rate limit refused are not
/// logged one by one (they are counted in the metrics): a flood must not fill the log.
struct SignInAudit {
    username: String,
    device_id: String,
    address: String,
}

impl SignInAudit {
    fn event(
        &self,
        action: AuditAction,
        actor_id: Option<String>,
        detail: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            action,
            target_id: actor_id.clone(),
            actor_id,
            actor: self.username.clone(),
            device_id: Some(self.device_id.clone()),
            address: Some(self.address.clone()),
            detail,
        }
    }

    fn refused(&self, actor_id: Option<String>, reason: &str) -> AuditEvent {
        self.event(
            AuditAction::SignInRefused,
            actor_id,
            serde_json::json!({"reason": reason}),
        )
    }

    fn signed_in(&self, account: &Account) -> AuditEvent {
        self.event(
            AuditAction::SignIn,
            Some(account.id.clone()),
            serde_json::json!({"role": account.role.as_str()}),
        )
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    tag = "auth",
    summary = "Rotate a refresh token (the token is in the body)",
    request_body = crate::routes::auth::RefreshRequest,
    responses(
        (status = 200, description = "the next tokens; no refresh_token while a revoked device makes its final upload", body = crate::routes::auth::TokenResponse),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "invalid_refresh, refresh_reused, account_disabled, device_revoked or device_wiped", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
)]
pub async fn refresh(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let lifetime = state.config.refresh_token_ttl_secs;
    let (account, device_id, token) = state
        .backend
        .write(move |unit| {
            match unit.wipe_contact(&req.refresh_token)? {
                Some(WipeContact::FinalUpload { user_id, device_id }) => {
                    let account = active_account(unit, &user_id)?;
                    return Ok((account, device_id, None));
                }
                Some(WipeContact::Wipe) => return Err(device_wiped()),
                None => {}
            }
            let (user_id, device_id, token) = match unit.rotate_refresh(&req.refresh_token, lifetime)? {
                Refresh::Rotated {
                    user_id,
                    device_id,
                    token,
                } => (user_id, device_id, token),
                Refresh::Reused => {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "refresh_reused",
                        "this refresh token was already used; every session of this sign-in is revoked",
                    ));
                }
                Refresh::Invalid => {
                    return Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "invalid_refresh",
                        "the refresh token is not valid; sign in again",
                    ));
                }
            };
            let account = active_account(unit, &user_id)?;
            if unit.device_state(&user_id, &device_id)?.revoked {
                return Err(ApiError::new(StatusCode::UNAUTHORIZED, "device_revoked", "this device was revoked by an administrator"));
            }
            unit.touch_device(&user_id, &device_id)?;
            Ok::<_, ApiError>((account, device_id, Some(token)))
        })
        .await?;
    tokens(&state, &account, &device_id, token)
}

fn active_account(unit: &mut dyn Unit, user_id: &str) -> Result<Account, ApiError> {
    unit.account(user_id)?
        .filter(|a| !a.disabled)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "account_disabled",
                "this account is disabled",
            )
        })
}

fn device_wiped() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "device_wiped",
        "this device was revoked by an administrator: erase its data",
    )
}

#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    summary = "End a sign-in (the refresh token is in the body)",
    request_body = crate::routes::auth::RefreshRequest,
    responses(
        (status = 204, description = "signed out, or the token was already unknown"),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .backend
        .write(move |unit| unit.logout(&req.refresh_token).map_err(ApiError::from))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
