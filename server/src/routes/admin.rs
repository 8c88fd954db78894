//! Account administration (admin role only).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onsite_domain::Role;
use serde::Deserialize;
use serde_json::{Value, json};

use onsite_store::repo::accounts::Account;
use onsite_store::repo::audit::AuditAction;

use super::audit;
use super::json::JsonBody;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::passwords;

const ADMIN: &[Role] = &[Role::Admin];

fn parse_role(role: &str) -> Result<Role, ApiError> {
    Role::parse(role)
        .ok_or_else(|| ApiError::bad_request("role must be technician, back_office or admin"))
}

fn no_account() -> ApiError {
    ApiError::not_found("no account with that id")
}

fn found(ok: bool) -> Result<(), ApiError> {
    if ok { Ok(()) } else { Err(no_account()) }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub(crate) username: String,
    pub(crate) display_name: Option<String>,
    #[schema(pattern = "^(technician|back_office|admin)$")]
    pub(crate) role: String,
    pub(crate) password: String,
}

#[utoipa::path(
    post,
    path = "/v1/admin/users",
    tag = "admin",
    summary = "Create an account",
    request_body = crate::routes::admin::CreateUser,
    responses(
        (status = 201, description = "created", body = onsite_store::repo::accounts::Account),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 422, description = "refused by a business rule", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<CreateUser>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    user.require(ADMIN)?;
    let account = create_account(&state, user, req).await?;
    Ok((StatusCode::CREATED, Json(account)))
}

/// Creates an account, audited (the JSON API's and the web back office's).
pub(crate) async fn create_account(
    state: &AppState,
    user: AuthUser,
    req: CreateUser,
) -> Result<Account, ApiError> {
    user.require(ADMIN)?;
    let role = parse_role(&req.role)?;
    let display = req.display_name.unwrap_or_else(|| req.username.clone());
    if display.trim().is_empty() || display.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "display_name must be 1–100 characters",
        ));
    }
    let new = passwords::new_account_off_thread(req.username, display, role, req.password).await?;
    state
        .backend
        .write(move |unit| {
            let account = unit.create_account(&new)?;
            let detail = json!({"username": account.username, "role": account.role.as_str()});
            audit::record(
                unit,
                &audit::by(
                    &user,
                    AuditAction::AccountCreated,
                    &account.id,
                    None,
                    detail,
                ),
            )?;
            Ok::<_, ApiError>(account)
        })
        .await
}

#[utoipa::path(
    get,
    path = "/v1/admin/users",
    tag = "admin",
    summary = "List accounts",
    responses(
        (status = 200, description = "every account", body = crate::openapi::bodies::UserList),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    user.require(ADMIN)?;
    let users = state
        .backend
        .read(|unit| unit.accounts().map_err(ApiError::from))
        .await?;
    Ok(Json(json!({ "users": users })))
}

#[utoipa::path(
    get,
    path = "/v1/admin/users/{id}",
    tag = "admin",
    summary = "One account",
    params(
        ("id" = String, Path, description = "account id")
    ),
    responses(
        (status = 200, description = "the account", body = onsite_store::repo::accounts::Account),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Account>, ApiError> {
    user.require(ADMIN)?;
    state
        .backend
        .read(move |unit| unit.account(&id)?.ok_or_else(no_account))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub(crate) display_name: Option<String>,
    #[schema(pattern = "^(technician|back_office|admin)$")]
    pub(crate) role: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/v1/admin/users/{id}",
    tag = "admin",
    summary = "Change display name or role",
    params(
        ("id" = String, Path, description = "account id")
    ),
    request_body = crate::routes::admin::UpdateUser,
    responses(
        (status = 200, description = "the account as changed", body = onsite_store::repo::accounts::Account),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateUser>,
) -> Result<Json<Account>, ApiError> {
    update_account(&state, user, id, req).await.map(Json)
}

/// Changes an account's display name or role, audited (the JSON API's and the web back
/// office's).
pub(crate) async fn update_account(
    state: &AppState,
    user: AuthUser,
    id: String,
    req: UpdateUser,
) -> Result<Account, ApiError> {
    user.require(ADMIN)?;
    let role = req.role.as_deref().map(parse_role).transpose()?;
    if let Some(d) = &req.display_name
        && (d.trim().is_empty() || d.chars().count() > 100)
    {
        return Err(ApiError::bad_request(
            "display_name must be 1–100 characters",
        ));
    }
    if id == user.user_id && role.is_some_and(|r| r != Role::Admin) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "self_lockout",
            "you cannot remove your own admin role",
        ));
    }
    let detail = json!({"display_name": req.display_name, "role": role.map(Role::as_str)});
    state
        .backend
        .write(move |unit| {
            let account = unit
                .update_account(&id, req.display_name.as_deref(), role)?
                .ok_or_else(no_account)?;
            audit::record(
                unit,
                &audit::by(&user, AuditAction::AccountUpdated, &id, None, detail),
            )?;
            Ok(account)
        })
        .await
}

pub(crate) async fn set_disabled(
    state: AppState,
    user: AuthUser,
    id: String,
    disabled: bool,
) -> Result<StatusCode, ApiError> {
    user.require(ADMIN)?;
    if disabled && id == user.user_id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "self_lockout",
            "you cannot disable your own account",
        ));
    }
    state
        .backend
        .write(move |unit| {
            found(unit.set_disabled(&id, disabled)?)?;
            if disabled {
                unit.revoke_sessions(&id)?;
            }
            let action = if disabled {
                AuditAction::AccountDisabled
            } else {
                AuditAction::AccountEnabled
            };
            audit::record(unit, &audit::by(&user, action, &id, None, json!({})))?;
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/disable",
    tag = "admin",
    summary = "Disable an account (its sessions end)",
    params(
        ("id" = String, Path, description = "account id")
    ),
    responses(
        (status = 204, description = "disabled"),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn disable(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(state, user, id, true).await
}

#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/enable",
    tag = "admin",
    summary = "Enable an account",
    params(
        ("id" = String, Path, description = "account id")
    ),
    responses(
        (status = 204, description = "enabled"),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn enable(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_disabled(state, user, id, false).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    password: String,
}

#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/password",
    tag = "admin",
    summary = "Reset a password (the account's sessions end)",
    params(
        ("id" = String, Path, description = "account id")
    ),
    request_body = crate::routes::admin::ResetPassword,
    responses(
        (status = 204, description = "reset"),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 422, description = "refused by a business rule", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn reset_password(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ResetPassword>,
) -> Result<StatusCode, ApiError> {
    reset(&state, user, id, req.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a new password, audited; the account's sessions end (the JSON API's and the web
/// back office's).
pub(crate) async fn reset(
    state: &AppState,
    user: AuthUser,
    id: String,
    password: String,
) -> Result<(), ApiError> {
    user.require(ADMIN)?;
    let hash = passwords::hash_off_thread(password).await?;
    state
        .backend
        .write(move |unit| {
            found(unit.set_password_hash(&id, &hash)?)?;
            unit.revoke_sessions(&id)?;
            audit::record(
                unit,
                &audit::by(&user, AuditAction::PasswordReset, &id, None, json!({})),
            )?;
            Ok::<_, ApiError>(())
        })
        .await
}

#[utoipa::path(
    delete,
    path = "/v1/admin/users/{id}",
    tag = "admin",
    summary = "Delete an account",
    params(
        ("id" = String, Path, description = "account id")
    ),
    responses(
        (status = 204, description = "deleted"),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    user.require(ADMIN)?;
    if id == user.user_id {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "self_lockout",
            "you cannot delete your own account",
        ));
    }
    state
        .backend
        .write(move |unit| {
            let gone = unit.account(&id)?;
            found(unit.delete_account(&id)?)?;
            let detail = json!({"username": gone.map(|a| a.username)});
            audit::record(
                unit,
                &audit::by(&user, AuditAction::AccountDeleted, &id, None, detail),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/v1/admin/users/{id}/devices",
    tag = "admin",
    summary = "An account's devices",
    params(
        ("id" = String, Path, description = "account id")
    ),
    responses(
        (status = 200, description = "the devices", body = crate::openapi::bodies::DeviceList),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn devices(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(ADMIN)?;
    state
        .backend
        .read(move |unit| {
            unit.account(&id)?.ok_or_else(no_account)?;
            Ok(Json(json!({ "devices": unit.devices(&id)? })))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeDevice {
    #[serde(default)]
    wipe: bool,
}

#[utoipa::path(
    post,
    path = "/v1/admin/users/{id}/devices/{device_id}/revoke",
    tag = "admin",
    summary = "Revoke a device, optionally wiping it",
    params(
        ("id" = String, Path, description = "account id"),
        ("device_id" = String, Path, description = "device id")
    ),
    request_body = crate::routes::admin::RevokeDevice,
    responses(
        (status = 204, description = "revoked"),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn revoke_device(
    State(state): State<AppState>,
    user: AuthUser,
    Path((id, device_id)): Path<(String, String)>,
    JsonBody(req): JsonBody<RevokeDevice>,
) -> Result<StatusCode, ApiError> {
    revoke(&state, user, id, device_id, req.wipe).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes a device of an account, with or without a remote wipe, audited (the JSON API's
/// and the web back office's).
pub(crate) async fn revoke(
    state: &AppState,
    user: AuthUser,
    id: String,
    device_id: String,
    wipe: bool,
) -> Result<(), ApiError> {
    user.require(ADMIN)?;
    state
        .backend
        .write(move |unit| {
            if unit.revoke_device(&id, &device_id, wipe)? {
                let detail = json!({"wipe": wipe});
                let event = audit::by(
                    &user,
                    AuditAction::DeviceRevoked,
                    &id,
                    Some(&device_id),
                    detail,
                );
                audit::record(unit, &event)
            } else {
                Err(ApiError::not_found(
                    "that account never signed in on that device",
                ))
            }
        })
        .await
}
