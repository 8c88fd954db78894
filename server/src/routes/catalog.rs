//! The parts catalog: create, list, read, update. Every change reaches the devices by sync.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::reference::valid_sku;
use onsite_domain::{CatalogItem, Role};
use onsite_store::Notice;
use onsite_store::repo::reference::{CatalogFilter, CatalogPatch, catalog_table};
use serde::Deserialize;
use serde_json::json;

use super::exports::{Format, respond};
use super::jobs::now_ms;
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];
/// Highest unit price accepted: ¥10,000,000.00, far above any spare part.
const MAX_PRICE_CENTS: i64 = 1_000_000_000;

fn check_sku(sku: &str) -> Result<(), ApiError> {
    if valid_sku(sku) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "a SKU is 1–64 letters or digits and - _ . # +, without spaces or slashes",
        ))
    }
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "name is required: 1–200 characters, without control characters",
        ));
    }
    Ok(name.to_string())
}

fn check_price(cents: i64) -> Result<(), ApiError> {
    if (0..=MAX_PRICE_CENTS).contains(&cents) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "unit_price_cents must be a whole number from 0 to {MAX_PRICE_CENTS}"
        )))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    sku: String,
    name: String,
    unit_price_cents: i64,
    /// `true`: billed to the customer; `false`: covered by warranty.
    billable: bool,
    #[serde(default = "active")]
    active: bool,
}

fn active() -> bool {
    true
}

#[utoipa::path(
    post,
    path = "/v1/parts/catalog",
    tag = "parts",
    summary = "Add a part to the catalog (syncs to devices)",
    request_body = crate::routes::catalog::NewItem,
    responses(
        (status = 201, description = "added", body = onsite_domain::reference::CatalogItem),
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
    JsonBody(req): JsonBody<NewItem>,
) -> Result<(StatusCode, Json<CatalogItem>), ApiError> {
    user.require(OFFICE)?;
    check_sku(&req.sku)?;
    check_price(req.unit_price_cents)?;
    let item = CatalogItem {
        sku: req.sku,
        name: check_name(&req.name)?,
        unit_price_cents: req.unit_price_cents,
        billable: req.billable,
        active: req.active,
    };
    let now = now_ms();
    let stored = item.clone();
    let notice = Notice::reference(&user.user_id, &user.device_id, None);
    state
        .backend
        .write(move |unit| {
            unit.create_catalog_item(&stored, now)?;
            unit.notify(notice);
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok((StatusCode::CREATED, Json(item)))
}

#[utoipa::path(
    get,
    path = "/v1/parts/catalog",
    tag = "parts",
    summary = "The parts catalog by SKU",
    params(
        ("active" = Option<bool>, Query, description = "true or false"),
        ("q" = Option<String>, Query, description = "text in the SKU or name"),
        ("limit" = Option<u32>, Query, description = "1–1000, default 100", minimum = 1, maximum = 1000),
        ("offset" = Option<i64>, Query, description = "rows to skip", minimum = 0, maximum = 4_294_967_295_u64),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "one page of the catalog; format=csv or xlsx gives the table instead", content(
            (crate::openapi::bodies::CatalogPage = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
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
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let filter = CatalogFilter {
        active: p.bool("active")?,
        text: p.take("q"),
        limit: p.number("limit", 100, 1, 1000)?,
        offset: p.number("offset", 0, 0, u32::MAX)?,
    };
    let format = Format::take(&mut p)?;
    p.finish()?;
    let (limit, offset) = (filter.limit, filter.offset);
    let page = state
        .backend
        .read(move |unit| unit.catalog(&filter))
        .await?;
    let body = json!({
        "parts": page.rows, "total": page.total, "limit": limit, "offset": offset,
    });
    respond(format, "parts-catalog", body, || catalog_table(&page.rows))
}

#[utoipa::path(
    get,
    path = "/v1/parts/catalog/{sku}",
    tag = "parts",
    summary = "One part",
    params(
        ("sku" = String, Path, description = "the part's SKU")
    ),
    responses(
        (status = 200, description = "the part", body = onsite_domain::reference::CatalogItem),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
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
    Path(sku): Path<String>,
) -> Result<Json<CatalogItem>, ApiError> {
    user.require(OFFICE)?;
    state
        .backend
        .read(move |unit| unit.catalog_item(&sku))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no part with that SKU in the catalog"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    name: Option<String>,
    unit_price_cents: Option<i64>,
    billable: Option<bool>,
    active: Option<bool>,
}

/// Changes a part. A part is never deleted (old jobs name it): set `active` to false.
#[utoipa::path(
    patch,
    path = "/v1/parts/catalog/{sku}",
    tag = "parts",
    summary = "Change name, unit price, billable or active (syncs to devices)",
    params(
        ("sku" = String, Path, description = "the part's SKU")
    ),
    request_body = crate::routes::catalog::ItemPatch,
    responses(
        (status = 200, description = "the part as changed", body = onsite_domain::reference::CatalogItem),
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
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(sku): Path<String>,
    JsonBody(req): JsonBody<ItemPatch>,
) -> Result<Json<CatalogItem>, ApiError> {
    user.require(OFFICE)?;
    if let Some(cents) = req.unit_price_cents {
        check_price(cents)?;
    }
    let patch = CatalogPatch {
        name: req.name.as_deref().map(check_name).transpose()?,
        unit_price_cents: req.unit_price_cents,
        billable: req.billable,
        active: req.active,
    };
    let now = now_ms();
    let notice = Notice::reference(&user.user_id, &user.device_id, None);
    state
        .backend
        .write(move |unit| {
            let updated = unit
                .update_catalog_item(&sku, &patch, now)?
                .ok_or_else(|| ApiError::not_found("no part with that SKU in the catalog"))?;
            unit.notify(notice);
            Ok(Json(updated))
        })
        .await
}
