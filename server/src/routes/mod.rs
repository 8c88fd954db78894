//! The HTTP surface: one router, handlers grouped by concern.

mod admin;
mod auth;
mod jobs;
mod json;
mod sync;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

use crate::app::AppState;

pub fn router(state: AppState) -> Router {
    let sync_limit = state.config.max_sync_body_bytes;
    let json_limit = state.config.max_json_body_bytes;
    let sync_routes = Router::new()
        .route("/v1/sync", post(sync::sync))
        .layer(DefaultBodyLimit::max(sync_limit));
    let json_routes = Router::new()
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/auth/refresh", post(auth::refresh))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/admin/users", post(admin::create).get(admin::list))
        .route(
            "/v1/admin/users/{id}",
            get(admin::get).patch(admin::update).delete(admin::delete),
        )
        .route("/v1/admin/users/{id}/disable", post(admin::disable))
        .route("/v1/admin/users/{id}/enable", post(admin::enable))
        .route("/v1/admin/users/{id}/password", post(admin::reset_password))
        .route("/v1/admin/users/{id}/devices", get(admin::devices))
        .route(
            "/v1/admin/users/{id}/devices/{device_id}/revoke",
            post(admin::revoke_device),
        )
        .route("/v1/jobs", post(jobs::create).get(jobs::list))
        .route("/v1/jobs/{id}", get(jobs::get))
        .route("/v1/jobs/{id}/assign", post(jobs::assign))
        .route("/v1/jobs/{id}/review", post(jobs::review))
        .layer(DefaultBodyLimit::max(json_limit));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(sync_routes)
        .merge(json_routes)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
