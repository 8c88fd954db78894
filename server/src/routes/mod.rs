//! The HTTP surface: one router, handlers grouped by concern.

mod admin;
mod auth;
mod catalog;
mod corrective;
mod exports;
mod jobs;
mod json;
mod live;
mod params;
mod quarantine;
mod registry;
mod reports;
mod review;
mod routine_surveys;
mod stock;
mod surveys;
mod sync;
mod templates;

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
        .route("/v1/sync/live", get(live::live))
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
        .route("/v1/jobs/{id}/classify", post(jobs::classify))
        .route("/v1/jobs/{id}/cancel", post(jobs::cancel))
        .route("/v1/review/jobs", get(review::list))
        .route("/v1/review/jobs/{id}", get(review::detail))
        .route("/v1/quarantine", get(quarantine::list))
        .route("/v1/reports/satisfaction", get(reports::satisfaction))
        .route("/v1/reports/service-levels", get(reports::service_levels))
        .route("/v1/reports/parts", get(reports::parts_report))
        .route("/v1/parts/batches", post(reports::add_batch))
        .route("/v1/corrective-actions", get(corrective::list))
        .route("/v1/surveys/callback-sample", get(surveys::sample))
        .route("/v1/jobs/{id}/callback", post(surveys::record))
        .route(
            "/v1/surveys/routine",
            post(routine_surveys::create).get(routine_surveys::list),
        )
        .route("/v1/surveys/routine/{id}", get(routine_surveys::report))
        .route(
            "/v1/surveys/routine/{id}/responses",
            post(routine_surveys::record),
        )
        .route(
            "/v1/corrective-actions/{id}",
            axum::routing::patch(corrective::update),
        )
        .route(
            "/v1/customers",
            post(registry::create_customer).get(registry::list_customers),
        )
        .route(
            "/v1/customers/{id}",
            get(registry::get_customer).patch(registry::update_customer),
        )
        .route(
            "/v1/products",
            post(registry::create_product).get(registry::list_products),
        )
        .route(
            "/v1/products/{id}",
            get(registry::get_product).patch(registry::update_product),
        )
        .route(
            "/v1/parts/catalog",
            post(catalog::create).get(catalog::list),
        )
        .route(
            "/v1/parts/catalog/{sku}",
            get(catalog::get).patch(catalog::update),
        )
        .route(
            "/v1/form-templates",
            post(templates::publish).get(templates::list),
        )
        .route("/v1/form-templates/{id}/{version}", get(templates::get))
        .route("/v1/van-stock", get(stock::list))
        .route("/v1/van-stock/{technician}", get(stock::technician))
        .route("/v1/van-stock/{technician}/restock", post(stock::restock))
        .layer(DefaultBodyLimit::max(json_limit));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(openapi))
        .merge(sync_routes)
        .merge(json_routes)
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn openapi() -> Result<axum::response::Response, crate::error::ApiError> {
    use axum::response::IntoResponse;
    let body = crate::openapi::document().map_err(crate::error::ApiError::internal)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
