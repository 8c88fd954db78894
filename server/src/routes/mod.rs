//! The HTTP surface: one router, handlers grouped by concern.
//!
//! Every route is added with `routes!`, which takes its method and path from the handler's
//! `#[utoipa::path]`: what is served and what `/openapi.json` says cannot disagree on
//! them. `openapi::tests` checks that `openapi::ApiDoc` lists exactly these handlers.

pub(crate) mod admin;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod catalog;
pub(crate) mod corrective;
pub(crate) mod exports;
pub(crate) mod jobs;
mod json;
pub(crate) mod live;
pub(crate) mod params;
pub(crate) mod quarantine;
pub(crate) mod registry;
pub(crate) mod reports;
pub(crate) mod review;
pub(crate) mod routine_surveys;
pub(crate) mod stock;
pub(crate) mod surveys;
pub(crate) mod sync;
pub(crate) mod templates;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

pub fn router(state: AppState) -> Router {
    let (router, _) = table(
        state.config.max_sync_body_bytes,
        state.config.max_json_body_bytes,
    )
    .split_for_parts();
    router
        // The web back office: pages, not part of the JSON API or its document.
        .merge(crate::web::router(state.clone()))
        .fallback(no_such_route)
        .method_not_allowed_fallback(no_such_method)
        .layer(axum::middleware::from_fn(crate::metrics::track))
        // One line a request at info: method, URI, status and latency (never a header or a
        // body, so never a token or a password).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
                )
                .on_response(
                    tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
                ),
        )
        .with_state(state)
}

/// Unknown paths answer in the API's error shape, as every other error does.
async fn no_such_route() -> crate::error::ApiError {
    crate::error::ApiError::not_found("no such route")
}

async fn no_such_method() -> crate::error::ApiError {
    crate::error::ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not answer that method",
    )
}

/// Every route, with the body limits of its group. The document that comes with it is
/// only compared with `openapi::ApiDoc` (in tests): `/openapi.json` serves the latter.
pub(crate) fn table(sync_limit: usize, json_limit: usize) -> OpenApiRouter<AppState> {
    let sync_routes = OpenApiRouter::new()
        .routes(routes!(sync::sync))
        .routes(routes!(live::live))
        .layer(DefaultBodyLimit::max(sync_limit));
    let json_routes = OpenApiRouter::new()
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(admin::create, admin::list))
        .routes(routes!(admin::get, admin::update, admin::delete))
        .routes(routes!(admin::disable))
        .routes(routes!(admin::enable))
        .routes(routes!(admin::reset_password))
        .routes(routes!(admin::devices))
        .routes(routes!(admin::revoke_device))
        .routes(routes!(audit::list))
        .routes(routes!(jobs::create, jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::assign))
        .routes(routes!(jobs::review))
        .routes(routes!(jobs::classify))
        .routes(routes!(jobs::cancel))
        .routes(routes!(review::list))
        .routes(routes!(review::detail))
        .routes(routes!(quarantine::list))
        .routes(routes!(reports::satisfaction))
        .routes(routes!(reports::service_levels))
        .routes(routes!(reports::parts_report))
        .routes(routes!(reports::add_batch))
        .routes(routes!(corrective::list))
        .routes(routes!(corrective::update))
        .routes(routes!(surveys::sample))
        .routes(routes!(surveys::record))
        .routes(routes!(routine_surveys::create, routine_surveys::list))
        .routes(routes!(routine_surveys::report))
        .routes(routes!(routine_surveys::record))
        .routes(routes!(registry::create_customer, registry::list_customers))
        .routes(routes!(registry::get_customer, registry::update_customer))
        .routes(routes!(registry::create_product, registry::list_products))
        .routes(routes!(registry::get_product, registry::update_product))
        .routes(routes!(catalog::create, catalog::list))
        .routes(routes!(catalog::get, catalog::update))
        .routes(routes!(templates::publish, templates::list))
        .routes(routes!(templates::get))
        .routes(routes!(stock::list))
        .routes(routes!(stock::technician))
        .routes(routes!(stock::restock))
        .layer(DefaultBodyLimit::max(json_limit));
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(crate::metrics::render))
        .routes(routes!(openapi))
        .merge(sync_routes)
        .merge(json_routes)
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "meta",
    summary = "Liveness",
    responses((status = 200, description = "the server is up", body = String, content_type = "text/plain"))
)]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "meta",
    summary = "Readiness: the database answers",
    responses(
        (status = 200, description = "the server can serve: its database answered a read", body = String, content_type = "text/plain"),
        (status = 503, description = "unavailable: the database does not answer", body = crate::error::ErrorBody)
    )
)]
pub(crate) async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, crate::error::ApiError> {
    state
        .backend
        .read(|unit| unit.epoch())
        .await
        .map(|_| "ready")
        .map_err(|e| {
            tracing::warn!(error = %e, "not ready: the database did not answer");
            crate::error::ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the database does not answer",
            )
        })
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    summary = "This document (OpenAPI 3.1)",
    responses(
        (status = 200, description = "the document", body = Object),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    )
)]
pub(crate) async fn openapi() -> Result<axum::response::Response, crate::error::ApiError> {
    use axum::response::IntoResponse;
    let body = crate::openapi::document().map_err(crate::error::ApiError::internal)?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}
