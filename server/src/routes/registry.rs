//! The customer and product registries: create, list (paged, filtered), read, update.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::Role;
use onsite_store::repo::reference::{
    CustomerFilter, CustomerRecord, ProductFilter, ProductRecord, customers_table, products_table,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::exports::{Format, respond};
use super::jobs::{new_id, now_ms};
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use onsite_store::report::check_name;

const OFFICE: &[Role] = &[Role::BackOffice];

/// Ids the back office may choose (an ERP's customer number): 1–64 ASCII letters,
/// digits, `.`, `_` or `-`. Without one, the server makes a UUID.
fn check_record_id(id: &str) -> Result<(), ApiError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "an id is 1–64 letters, digits, '.', '_' or '-'",
        ))
    }
}

fn text(value: &str, what: &str, required: bool, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(ApiError::bad_request(format!("{what} is required")));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "{what} must be at most {max} characters, without control characters"
        )));
    }
    Ok(value.to_string())
}

/// The rules of a customer record, for creation and after an update.
pub(super) fn check_customer(c: &mut CustomerRecord) -> Result<(), ApiError> {
    c.name = text(&c.name, "name", true, 200)?;
    c.phone = text(&c.phone, "phone", false, 50)?;
    c.address = text(&c.address, "address", false, 500)?;
    check_name(&c.tier, "tier").map_err(ApiError::bad_request)?;
    if !c.region.is_empty() {
        check_name(&c.region, "region").map_err(ApiError::bad_request)?;
    }
    if !matches!(c.site_distance.as_str(), "near" | "far") {
        return Err(ApiError::bad_request(
            "site_distance must be 'near' or 'far'",
        ));
    }
    Ok(())
}

pub(super) fn check_purchase_date(date: &Option<String>) -> Result<(), ApiError> {
    match date {
        Some(d) if d.len() != 10 || chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() => {
            Err(ApiError::bad_request(
                "purchase_date must be a date like 2026-01-31",
            ))
        }
        _ => Ok(()),
    }
}

fn check_product(p: &mut ProductRecord) -> Result<(), ApiError> {
    p.model = text(&p.model, "model", true, 100)?;
    p.serial = text(&p.serial, "serial", false, 100)?;
    check_purchase_date(&p.purchase_date)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    id: Option<String>,
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    tier: Option<String>,
    #[serde(default)]
    region: String,
    site_distance: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/customers",
    tag = "registry",
    summary = "Register a customer (id optional: a UUID is made)",
    request_body = crate::routes::registry::NewCustomer,
    responses(
        (status = 201, description = "registered", body = onsite_store::repo::reference::CustomerRecord),
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
pub async fn create_customer(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<NewCustomer>,
) -> Result<(StatusCode, Json<CustomerRecord>), ApiError> {
    user.require(OFFICE)?;
    let id = req.id.unwrap_or_else(new_id);
    check_record_id(&id)?;
    let mut record = CustomerRecord {
        id,
        name: req.name,
        phone: req.phone,
        address: req.address,
        tier: req.tier.unwrap_or_else(|| "general".into()),
        region: req.region,
        site_distance: req.site_distance.unwrap_or_else(|| "near".into()),
        created_at: 0,
        updated_at: 0,
    };
    check_customer(&mut record)?;
    let now = now_ms();
    let created = state
        .backend
        .write(move |unit| Ok::<_, ApiError>(unit.create_customer(&record, now)?))
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/v1/customers",
    tag = "registry",
    summary = "List customers by name",
    params(
        ("q" = Option<String>, Query, description = "text in the name or phone"),
        ("tier" = Option<String>, Query, description = "key, general, …", max_length = 100),
        ("region" = Option<String>, Query, max_length = 100),
        ("limit" = Option<u32>, Query, description = "1–500, default 50", minimum = 1, maximum = 500),
        ("offset" = Option<i64>, Query, description = "rows to skip", minimum = 0, maximum = 4_294_967_295_u64),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "one page of customers; format=csv or xlsx gives the table instead", content(
            (crate::openapi::bodies::CustomerPage = "application/json"),
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
pub async fn list_customers(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let filter = CustomerFilter {
        text: p.take("q"),
        tier: p.name("tier")?,
        region: p.name("region")?,
        limit: p.number("limit", 50, 1, 500)?,
        offset: p.number("offset", 0, 0, u32::MAX)?,
    };
    let format = Format::take(&mut p)?;
    p.finish()?;
    let (limit, offset) = (filter.limit, filter.offset);
    let page = state
        .backend
        .read(move |unit| unit.customers(&filter))
        .await?;
    let body = json!({
        "customers": page.rows, "total": page.total, "limit": limit, "offset": offset,
    });
    respond(format, "customers", body, || customers_table(&page.rows))
}

#[utoipa::path(
    get,
    path = "/v1/customers/{id}",
    tag = "registry",
    summary = "One customer",
    params(
        ("id" = String, Path, description = "customer id")
    ),
    responses(
        (status = 200, description = "the customer", body = onsite_store::repo::reference::CustomerRecord),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn get_customer(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<CustomerRecord>, ApiError> {
    user.require(OFFICE)?;
    state
        .backend
        .read(move |unit| unit.customer(&id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no customer with that id"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    name: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    tier: Option<String>,
    region: Option<String>,
    site_distance: Option<String>,
}

/// Changes the registry only: jobs made earlier keep the customer as it was then.
#[utoipa::path(
    patch,
    path = "/v1/customers/{id}",
    tag = "registry",
    summary = "Change a customer (jobs keep their own copy)",
    params(
        ("id" = String, Path, description = "customer id")
    ),
    request_body = crate::routes::registry::CustomerPatch,
    responses(
        (status = 200, description = "the customer as changed", body = onsite_store::repo::reference::CustomerRecord),
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
pub async fn update_customer(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CustomerPatch>,
) -> Result<Json<CustomerRecord>, ApiError> {
    user.require(OFFICE)?;
    let now = now_ms();
    // One write unit: no other write comes between the read and the update.
    state
        .backend
        .write(move |unit| {
            let mut c = unit
                .customer(&id)?
                .ok_or_else(|| ApiError::not_found("no customer with that id"))?;
            let CustomerPatch {
                name,
                phone,
                address,
                tier,
                region,
                site_distance,
            } = req;
            c.name = name.unwrap_or(c.name);
            c.phone = phone.unwrap_or(c.phone);
            c.address = address.unwrap_or(c.address);
            c.tier = tier.unwrap_or(c.tier);
            c.region = region.unwrap_or(c.region);
            c.site_distance = site_distance.unwrap_or(c.site_distance);
            c.updated_at = now;
            check_customer(&mut c)?;
            unit.update_customer(&c)?;
            Ok(Json(c))
        })
        .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProduct {
    id: Option<String>,
    customer_id: String,
    model: String,
    #[serde(default)]
    serial: String,
    purchase_date: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/products",
    tag = "registry",
    summary = "Register a customer's product (model, serial, purchase date)",
    request_body = crate::routes::registry::NewProduct,
    responses(
        (status = 201, description = "registered", body = onsite_store::repo::reference::ProductRecord),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 413, description = "the body is too large", body = crate::error::ErrorBody),
        (status = 415, description = "the body is not JSON", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 422, description = "refused by a business rule", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn create_product(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<NewProduct>,
) -> Result<(StatusCode, Json<ProductRecord>), ApiError> {
    user.require(OFFICE)?;
    let id = req.id.unwrap_or_else(new_id);
    check_record_id(&id)?;
    let mut record = ProductRecord {
        id,
        customer_id: req.customer_id,
        model: req.model,
        serial: req.serial,
        purchase_date: req.purchase_date,
        created_at: 0,
        updated_at: 0,
    };
    check_product(&mut record)?;
    let now = now_ms();
    let created = state
        .backend
        .write(move |unit| Ok::<_, ApiError>(unit.create_product(&record, now)?))
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/v1/products",
    tag = "registry",
    summary = "List products",
    params(
        ("customer" = Option<String>, Query, description = "customer id"),
        ("model" = Option<String>, Query, max_length = 100),
        ("serial" = Option<String>, Query, description = "text in the serial number"),
        ("limit" = Option<u32>, Query, description = "1–500, default 50", minimum = 1, maximum = 500),
        ("offset" = Option<i64>, Query, description = "rows to skip", minimum = 0, maximum = 4_294_967_295_u64),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "one page of products; format=csv or xlsx gives the table instead", content(
            (crate::openapi::bodies::ProductPage = "application/json"),
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
pub async fn list_products(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let filter = ProductFilter {
        customer_id: p.take("customer"),
        model: p.name("model")?,
        serial: p.take("serial"),
        limit: p.number("limit", 50, 1, 500)?,
        offset: p.number("offset", 0, 0, u32::MAX)?,
    };
    let format = Format::take(&mut p)?;
    p.finish()?;
    let (limit, offset) = (filter.limit, filter.offset);
    let page = state
        .backend
        .read(move |unit| unit.products(&filter))
        .await?;
    let body: Value = json!({
        "products": page.rows, "total": page.total, "limit": limit, "offset": offset,
    });
    respond(format, "products", body, || products_table(&page.rows))
}

#[utoipa::path(
    get,
    path = "/v1/products/{id}",
    tag = "registry",
    summary = "One product",
    params(
        ("id" = String, Path, description = "product id")
    ),
    responses(
        (status = 200, description = "the product", body = onsite_store::repo::reference::ProductRecord),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn get_product(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ProductRecord>, ApiError> {
    user.require(OFFICE)?;
    state
        .backend
        .read(move |unit| unit.product(&id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no product with that id"))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    customer_id: Option<String>,
    model: Option<String>,
    serial: Option<String>,
    purchase_date: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/v1/products/{id}",
    tag = "registry",
    summary = "Change a product",
    params(
        ("id" = String, Path, description = "product id")
    ),
    request_body = crate::routes::registry::ProductPatch,
    responses(
        (status = 200, description = "the product as changed", body = onsite_store::repo::reference::ProductRecord),
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
pub async fn update_product(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ProductPatch>,
) -> Result<Json<ProductRecord>, ApiError> {
    user.require(OFFICE)?;
    let now = now_ms();
    state
        .backend
        .write(move |unit| {
            let mut p = unit
                .product(&id)?
                .ok_or_else(|| ApiError::not_found("no product with that id"))?;
            p.customer_id = req.customer_id.unwrap_or(p.customer_id);
            p.model = req.model.unwrap_or(p.model);
            p.serial = req.serial.unwrap_or(p.serial);
            p.purchase_date = req.purchase_date.or(p.purchase_date);
            p.updated_at = now;
            check_product(&mut p)?;
            unit.update_product(&p)?;
            Ok(Json(p))
        })
        .await
}
