use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::json::JsonBody;
use crate::accounts;
use crate::app::AppState;
use crate::auth::{issue, valid_device_id};
use crate::error::ApiError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
    device_id: String,
}

#[derive(Debug, Serialize)]
pub struct LoginResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    user_id: String,
    role: &'static str,
}

pub async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    if !valid_device_id(&req.device_id) {
        return Err(ApiError::bad_request(
            "device_id must be 1–64 characters of letters, digits, '-' or '_'",
        ));
    }
    let (username, password) = (req.username, req.password);
    let account = state
        .db
        .read(move |conn| {
            accounts::verify_login(conn, &username, &password).map_err(ApiError::from)
        })
        .await?
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password, or the account is disabled",
            )
        })?;
    let ttl = state.config.access_token_ttl_secs;
    Ok(Json(LoginResponse {
        access_token: issue(&state.keys, &account.id, &req.device_id, ttl)?,
        token_type: "Bearer",
        expires_in: ttl,
        user_id: account.id,
        role: account.role.as_str(),
    }))
}
