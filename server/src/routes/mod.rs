//! The HTTP surface: one router, handlers grouped by concern.

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
