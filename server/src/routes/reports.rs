//! Reports: satisfaction, service levels, parts. JSON by default, CSV or XLSX on request.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::Role;
use onsite_domain::service::Targets;
use onsite_store::report::parts::{Batch, NewBatch, PartsReport};
use onsite_store::report::satisfaction::{Filter, Group, SatisfactionQuery, SatisfactionReport};
use onsite_store::report::service_levels::{self as sla, LevelsQuery, ServiceLevelsReport};
use serde::Deserialize;

use super::exports::{Format, respond_with};
use super::json::JsonBody;
use super::params::{Params, check_technician};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use onsite_store::report::check_name;

const OFFICE: &[Role] = &[Role::BackOffice];

#[utoipa::path(
    get,
    path = "/v1/reports/satisfaction",
    tag = "reports",
    summary = "Satisfaction degree, rate and overall (满意度)",
    params(
        ("month" = Option<String>, Query, description = "a calendar month, 2026-11 (UTC); or from and to", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "first day included, 2026-11-01 (with to)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("to" = Option<String>, Query, description = "last day included, 2026-11-30 (with from; at most ten years after it)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("group_by" = Option<String>, Query, description = "grouping", pattern = r"^(none|technician|customer_tier|product_model|region|month)?$"),
        ("technician" = Option<String>, Query, description = "technician account id"),
        ("customer_tier" = Option<String>, Query, max_length = 100),
        ("product_model" = Option<String>, Query, max_length = 100),
        ("region" = Option<String>, Query, max_length = 100),
        ("trend_months" = Option<u32>, Query, description = "1–60, default 12", minimum = 1, maximum = 60),
        ("lowest" = Option<u32>, Query, description = "1–20, default 3", minimum = 1, maximum = 20),
        ("export" = Option<String>, Query, description = "what csv or xlsx holds: groups (default), items or trend", pattern = r"^(groups|items|trend)?$"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the report; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::satisfaction::SatisfactionReport = "application/json"),
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
pub async fn satisfaction(
    State(state): State<AppState>,
    user: AuthUser,
    p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let (report, export, format) = satisfaction_report(&state, p).await?;
    satisfaction_answer(format, &report, &export)
}

/// The satisfaction report the parameters ask for, what an export of it holds (`groups`,
/// `items` or `trend`) and in which format (the JSON API's and the web back office's).
pub(crate) async fn satisfaction_report(
    state: &AppState,
    mut p: Params,
) -> Result<(SatisfactionReport, String, Format), ApiError> {
    let period = p.required_period()?;
    let group = match p.take("group_by") {
        None => Group::All,
        Some(g) => Group::parse(&g).ok_or_else(|| {
            ApiError::bad_request(
                "group_by must be one of none, technician, customer_tier, product_model, region, month",
            )
        })?,
    };
    let filter = Filter {
        technician: p.take("technician"),
        customer_tier: p.name("customer_tier")?,
        product_model: p.name("product_model")?,
        region: p.name("region")?,
    };
    let trend_months = p.number("trend_months", 12, 1, 60)?;
    let lowest = p.number("lowest", 3, 1, 20)? as usize;
    let export = p
        .one_of("export", &["groups", "items", "trend"])?
        .unwrap_or_else(|| "groups".into());
    let format = Format::take(&mut p)?;
    p.finish()?;
    let query = SatisfactionQuery {
        period,
        group,
        filter,
        trend_months,
        lowest,
    };
    let report = state
        .backend
        .read(move |unit| {
            check_technician(unit, &query.filter.technician)?;
            Ok::<_, ApiError>(SatisfactionReport::build(unit, &query)?)
        })
        .await?;
    Ok((report, export, format))
}

/// Answers a satisfaction report as JSON, or the table `export` names as a file.
pub(crate) fn satisfaction_answer(
    format: Format,
    report: &SatisfactionReport,
    export: &str,
) -> Result<Response, ApiError> {
    respond_with(format, "satisfaction", report, || match export {
        "items" => report.items_table(),
        "trend" => report.trend_table(),
        _ => report.groups_table(),
    })
}

/// The configured targets, with any the request overrides (hours, or minutes for handling).
fn targets(base: Targets, p: &mut Params) -> Result<Targets, ApiError> {
    let hours = |h: f64| (h * 3_600_000.0).round() as i64;
    let mut t = base;
    if let Some(h) = p.positive_f64("response_hours")? {
        t.response_ms = hours(h);
    }
    if let Some(h) = p.positive_f64("arrival_near_hours")? {
        t.arrival_near_ms = hours(h);
    }
    if let Some(h) = p.positive_f64("arrival_far_hours")? {
        t.arrival_far_ms = hours(h);
    }
    if let Some(h) = p.positive_f64("diagnosis_hours")? {
        t.diagnosis_ms = hours(h);
    }
    if let Some(m) = p.positive_f64("handling_minutes")? {
        t.handling_avg_ms = (m * 60_000.0).round() as i64;
    }
    Ok(t)
}

#[utoipa::path(
    get,
    path = "/v1/reports/service-levels",
    tag = "reports",
    summary = "Share of jobs meeting each clock, and jobs whose device times are in doubt",
    params(
        ("month" = Option<String>, Query, description = "a calendar month, 2026-11 (UTC); or from and to", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "first day included, 2026-11-01 (with to)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("to" = Option<String>, Query, description = "last day included, 2026-11-30 (with from; at most ten years after it)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("group_by" = Option<String>, Query, description = "grouping", pattern = r"^(none|technician|month)?$"),
        ("technician" = Option<String>, Query, description = "technician account id"),
        ("complaint" = Option<bool>, Query, description = "true or false"),
        ("response_hours" = Option<f64>, Query, description = "response target override", exclusive_minimum = 0),
        ("arrival_near_hours" = Option<f64>, Query, description = "arrival target, near sites", exclusive_minimum = 0),
        ("arrival_far_hours" = Option<f64>, Query, description = "arrival target, far sites", exclusive_minimum = 0),
        ("diagnosis_hours" = Option<f64>, Query, description = "diagnosis target", exclusive_minimum = 0),
        ("handling_minutes" = Option<f64>, Query, description = "average handling target", exclusive_minimum = 0),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the report; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::service_levels::ServiceLevelsReport = "application/json"),
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
pub async fn service_levels(
    State(state): State<AppState>,
    user: AuthUser,
    p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let (report, format) = service_levels_report(&state, p).await?;
    respond_with(format, "service-levels", &report, || report.table())
}

/// The service-level report the parameters ask for, and in which format (the JSON API's
/// and the web back office's).
pub(crate) async fn service_levels_report(
    state: &AppState,
    mut p: Params,
) -> Result<(ServiceLevelsReport, Format), ApiError> {
    let period = p.required_period()?;
    let group = match p.take("group_by") {
        None => sla::Group::All,
        Some(g) => sla::Group::parse(&g).ok_or_else(|| {
            ApiError::bad_request("group_by must be one of none, technician, month")
        })?,
    };
    let technician = p.take("technician");
    let complaint = p.bool("complaint")?;
    let targets = targets(state.config.sla_targets, &mut p)?;
    let format = Format::take(&mut p)?;
    p.finish()?;
    let query = LevelsQuery {
        period,
        group,
        technician,
        complaint,
        targets,
    };
    let report = state
        .backend
        .read(move |unit| {
            check_technician(unit, &query.technician)?;
            Ok::<_, ApiError>(ServiceLevelsReport::build(unit, &query)?)
        })
        .await?;
    Ok((report, format))
}

#[utoipa::path(
    get,
    path = "/v1/reports/parts",
    tag = "reports",
    summary = "Parts consumption and remaining coefficient (剩余系数)",
    params(
        ("month" = Option<String>, Query, description = "a calendar month, 2026-11 (UTC); or from and to", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "first day included, 2026-11-01 (with to)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("to" = Option<String>, Query, description = "last day included, 2026-11-30 (with from; at most ten years after it)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("product_model" = Option<String>, Query, max_length = 100),
        ("sku" = Option<String>, Query, max_length = 100),
        ("export" = Option<String>, Query, description = "what csv or xlsx holds: consumption (default) or remaining", pattern = r"^(consumption|remaining)?$"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the report; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::parts::PartsReport = "application/json"),
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
pub async fn parts_report(
    State(state): State<AppState>,
    user: AuthUser,
    p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let (report, export, format) = parts_of(&state, p).await?;
    parts_answer(format, &report, &export)
}

/// The parts report the parameters ask for, what an export of it holds (`consumption` or
/// `remaining`) and in which format (the JSON API's and the web back office's).
pub(crate) async fn parts_of(
    state: &AppState,
    mut p: Params,
) -> Result<(PartsReport, String, Format), ApiError> {
    let period = p.required_period()?;
    let model = p.name("product_model")?;
    let sku = p.name("sku")?;
    let export = p
        .one_of("export", &["consumption", "remaining"])?
        .unwrap_or_else(|| "consumption".into());
    let format = Format::take(&mut p)?;
    p.finish()?;
    let report = state
        .backend
        .read(move |unit| {
            let used = unit.parts_consumption(&period, model.as_deref(), sku.as_deref())?;
            let left = unit.parts_remaining(&period, model.as_deref(), sku.as_deref())?;
            Ok::<_, ApiError>(PartsReport::new(period.into(), used, left))
        })
        .await?;
    Ok((report, export, format))
}

/// Answers a parts report as JSON, or the table `export` names as a file.
pub(crate) fn parts_answer(
    format: Format,
    report: &PartsReport,
    export: &str,
) -> Result<Response, ApiError> {
    respond_with(format, "parts", report, || match export {
        "remaining" => report.remaining_table(),
        _ => report.consumption_table(),
    })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    sku: String,
    product_model: String,
    quantity: i64,
    /// The day the batch was bought (a production stage's purchase).
    bought_on: String,
}

#[utoipa::path(
    post,
    path = "/v1/parts/batches",
    tag = "reports",
    summary = "Record a purchased batch of a part for a model",
    request_body = crate::routes::reports::BatchRequest,
    responses(
        (status = 201, description = "recorded", body = onsite_store::report::parts::Batch),
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
pub async fn add_batch(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<BatchRequest>,
) -> Result<(StatusCode, Json<Batch>), ApiError> {
    user.require(OFFICE)?;
    check_name(&req.sku, "sku").map_err(ApiError::bad_request)?;
    check_name(&req.product_model, "product_model").map_err(ApiError::bad_request)?;
    if !(1..=10_000_000).contains(&req.quantity) {
        return Err(ApiError::bad_request(
            "quantity must be a whole number from 1 to 10000000",
        ));
    }
    if req.bought_on.len() != 10
        || chrono::NaiveDate::parse_from_str(&req.bought_on, "%Y-%m-%d").is_err()
    {
        return Err(ApiError::bad_request(
            "bought_on must be a date like 2026-11-30",
        ));
    }
    let batch = NewBatch {
        sku: req.sku,
        product_model: req.product_model,
        quantity: req.quantity,
        bought_on: req.bought_on,
        created_at: chrono::Utc::now().timestamp_millis(),
    };
    let batch = state
        .backend
        .write(move |unit| unit.add_parts_batch(&batch))
        .await?;
    Ok((StatusCode::CREATED, Json(batch)))
}
