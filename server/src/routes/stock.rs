//! Van stock: restock a technician's van, and read the balances (negative ones flagged).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::Role;
use onsite_store::Notice;
use onsite_store::repo::reference::{Balance, RestockLine, StockFilter, stock_table};
use serde::Deserialize;
use serde_json::{Value, json};

use super::exports::{Format, respond};
use super::jobs::now_ms;
use super::json::JsonBody;
use super::params::{Params, check_technician};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];
/// Most lines in one restock, and the largest quantity of one line.
const MAX_LINES: usize = 500;
const MAX_QUANTITY: i64 = 100_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    sku: String,
    #[schema(minimum = 1, maximum = 100_000)]
    quantity: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestockRequest {
    lines: Vec<LineInput>,
    #[serde(default)]
    note: String,
}

/// Adds parts to a technician's van: one immutable ledger row per line, all or nothing.
#[utoipa::path(
    post,
    path = "/v1/van-stock/{technician}/restock",
    tag = "parts",
    summary = "Restock a van: lines of sku and quantity > 0, and a note",
    params(
        ("technician" = String, Path, description = "technician account id")
    ),
    request_body = crate::routes::stock::RestockRequest,
    responses(
        (status = 201, description = "restocked", body = crate::openapi::bodies::Restocked),
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
pub async fn restock(
    State(state): State<AppState>,
    user: AuthUser,
    Path(technician): Path<String>,
    JsonBody(req): JsonBody<RestockRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require(OFFICE)?;
    if req.lines.is_empty() || req.lines.len() > MAX_LINES {
        return Err(ApiError::bad_request(format!(
            "a restock has 1 to {MAX_LINES} lines"
        )));
    }
    if let Some(bad) = req
        .lines
        .iter()
        .find(|l| !(1..=MAX_QUANTITY).contains(&l.quantity))
    {
        return Err(ApiError::bad_request(format!(
            "quantity {} is not a whole number from 1 to {MAX_QUANTITY}; stock is taken out by \
             the parts lines of jobs, never by a restock",
            bad.quantity
        )));
    }
    let note = req.note.trim().to_string();
    if note.chars().count() > 500 {
        return Err(ApiError::bad_request("note is longer than 500 characters"));
    }
    let lines: Vec<RestockLine> = req
        .lines
        .into_iter()
        .map(|l| RestockLine {
            sku: l.sku,
            quantity: l.quantity,
        })
        .collect();
    let now = now_ms();
    let by = user.user_id.clone();
    let notice = Notice::reference(&user.user_id, &user.device_id, Some(technician.clone()));
    let body = state
        .backend
        .write(move |unit| {
            check_technician(unit, &Some(technician.clone()))?;
            let ids = unit.restock(&technician, &lines, &note, &by, now)?;
            unit.notify(notice);
            let filter = StockFilter {
                technician: Some(technician.clone()),
                ..StockFilter::default()
            };
            Ok::<_, ApiError>(json!({
                "technician_id": technician,
                "restocks": ids,
                "lines": unit.stock_balances(&filter)?,
            }))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// Every technician's balances, or one's, optionally only the negative ones.
#[utoipa::path(
    get,
    path = "/v1/van-stock",
    tag = "parts",
    summary = "Van stock of every technician, negative balances flagged",
    params(
        ("technician" = Option<String>, Query, description = "technician account id"),
        ("sku" = Option<String>, Query),
        ("negative" = Option<bool>, Query, description = "true: only negative balances"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the balances; format=csv or xlsx gives the table instead", content(
            (crate::openapi::bodies::StockList = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let (lines, format) = balances(&state, p).await?;
    let negative = lines.iter().filter(|l| l.negative).count();
    let body = json!({ "lines": lines, "negative": negative });
    respond(format, "van-stock", body, || stock_table(&lines))
}

/// The van stock balances the parameters ask for, and in which format (the JSON API's and
/// the web back office's).
pub(crate) async fn balances(
    state: &AppState,
    mut p: Params,
) -> Result<(Vec<Balance>, Format), ApiError> {
    let filter = StockFilter {
        technician: p.take("technician"),
        sku: p.take("sku"),
        negative: p.bool("negative")?,
    };
    let format = Format::take(&mut p)?;
    p.finish()?;
    let lines = state
        .backend
        .read(move |unit| {
            check_technician(unit, &filter.technician)?;
            Ok::<_, ApiError>(unit.stock_balances(&filter)?)
        })
        .await?;
    Ok((lines, format))
}

/// One technician's van: balances and the latest restocks.
#[utoipa::path(
    get,
    path = "/v1/van-stock/{technician}",
    tag = "parts",
    summary = "One technician's van stock and latest restocks",
    params(
        ("technician" = String, Path, description = "technician account id"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the stock; format=csv or xlsx gives the table instead", content(
            (crate::openapi::bodies::TechnicianStock = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn technician(
    State(state): State<AppState>,
    user: AuthUser,
    Path(technician): Path<String>,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let format = Format::take(&mut p)?;
    p.finish()?;
    let id = technician.clone();
    let (lines, restocks) = state
        .backend
        .read(move |unit| {
            check_technician(unit, &Some(id.clone()))?;
            let filter = StockFilter {
                technician: Some(id.clone()),
                ..StockFilter::default()
            };
            let lines = unit.stock_balances(&filter)?;
            let restocks = unit.restocks(&id, 100)?;
            Ok::<_, ApiError>((lines, restocks))
        })
        .await?;
    let body = json!({
        "technician_id": technician,
        "lines": lines,
        "negative": lines.iter().filter(|l| l.negative).count(),
        "restocks": restocks,
    });
    respond(format, "van-stock", body, || stock_table(&lines))
}
