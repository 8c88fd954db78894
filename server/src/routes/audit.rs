//! The audit log, read by administrators: sign-ins and what was done to accounts and
//! devices ([`onsite_store::repo::audit`]).

use axum::Json;
use axum::extract::State;
use onsite_domain::Role;
use onsite_store::repo::audit::{AuditAction, AuditEntry, AuditEvent, AuditQuery};
use serde::Serialize;

use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

/// One page of the log, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The `after` of the next page: the last entry's `seq` (or the request's `after` when
    /// the page is empty, to ask again later).
    pub next: i64,
}

#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    tag = "admin",
    summary = "The audit log: sign-ins and account administration, oldest first",
    params(
        ("after" = Option<i64>, Query, description = "entries after this seq (the `next` of the previous page); default 0", minimum = 0),
        ("limit" = Option<u32>, Query, description = "1–1000, default 100", minimum = 1, maximum = 1000),
        ("account" = Option<String>, Query, description = "only entries of this account id, as actor or target", max_length = 100),
        ("action" = Option<String>, Query, description = "only entries of this action", pattern = r"^(sign_in|sign_in_refused|account_created|account_updated|account_disabled|account_enabled|password_reset|account_deleted|device_revoked)?$")
    ),
    responses(
        (status = 200, description = "one page of the log", body = crate::routes::audit::AuditPage),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Json<AuditPage>, ApiError> {
    user.require(&[Role::Admin])?;
    let after =
        match p.take("after") {
            None => 0,
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::bad_request("'after' must be a whole number, 0 or more")
            })?,
        };
    let codes: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    let action = p
        .one_of("action", &codes)?
        .as_deref()
        .and_then(AuditAction::parse);
    let account_id = p.take("account");
    if account_id.as_ref().is_some_and(|a| a.chars().count() > 100) {
        return Err(ApiError::bad_request("'account' is at most 100 characters"));
    }
    let query = AuditQuery {
        after,
        limit: p.number("limit", 100, 1, 1000)?,
        account_id,
        action,
    };
    p.finish()?;
    let entries = state
        .backend
        .read(move |unit| unit.audit_log(&query).map_err(ApiError::from))
        .await?;
    let next = entries.last().map_or(after, |e| e.seq);
    Ok(Json(AuditPage { entries, next }))
}

/// An entry for what `user` did to the account `target` (and its device).
pub(crate) fn by(
    user: &AuthUser,
    action: AuditAction,
    target: &str,
    device_id: Option<&str>,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        action,
        actor_id: Some(user.user_id.clone()),
        actor: user.username.clone(),
        target_id: Some(target.to_string()),
        device_id: device_id.map(str::to_string),
        address: None,
        detail,
    }
}

/// Adds `event` to the log in `unit`, the unit of what it records.
pub(crate) fn record(
    unit: &mut dyn onsite_store::Unit,
    event: &AuditEvent,
) -> Result<(), ApiError> {
    Ok(unit.record_audit(event, super::jobs::now_ms())?)
}
