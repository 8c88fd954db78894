//! Corrective actions (纠正措施): list and update.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use onsite_domain::Role;
use onsite_store::report::corrective::{
    CorrectiveAction, CorrectiveList, Filter, STATUSES, Update,
};
use serde::Deserialize;

use super::exports::{Format, respond_with};
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use onsite_store::report::check_name;

const OFFICE: &[Role] = &[Role::BackOffice];

#[utoipa::path(
    get,
    path = "/v1/corrective-actions",
    tag = "corrective actions",
    summary = "Corrective actions (纠正措施)",
    params(
        ("status" = Option<String>, Query, description = "status", pattern = r"^(open|in_progress|done|verified)?$"),
        ("department" = Option<String>, Query, max_length = 100),
        ("job" = Option<String>, Query, description = "job id", pattern = r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$"),
        ("overdue" = Option<bool>, Query, description = "true: past due and not verified"),
        ("month" = Option<String>, Query, description = "a calendar month, 2026-11 (UTC); or from and to", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "first day included, 2026-11-01 (with to)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("to" = Option<String>, Query, description = "last day included, 2026-11-30 (with from; at most ten years after it)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("limit" = Option<u32>, Query, description = "1–500, default 50", minimum = 1, maximum = 500),
        ("offset" = Option<i64>, Query, description = "rows to skip", minimum = 0, maximum = 4_294_967_295_u64),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "one page of corrective actions; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::corrective::CorrectiveList = "application/json"),
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
    let job = p.take("job");
    if let Some(j) = &job
        && !onsite_sync::server::valid_doc_id(j)
    {
        return Err(ApiError::bad_request("job ids are lowercase UUIDs"));
    }
    let overdue = p.bool("overdue")?;
    let filter = Filter {
        status: p.one_of("status", &STATUSES)?,
        department: p.name("department")?,
        job,
        overdue_on: overdue
            .filter(|o| *o)
            .map(|_| chrono::Utc::now().format("%Y-%m-%d").to_string()),
        period: p.period()?,
        limit: p.number("limit", 50, 1, 500)?,
        offset: p.number("offset", 0, 0, u32::MAX)?,
    };
    let format = Format::take(&mut p)?;
    p.finish()?;
    let (limit, offset) = (filter.limit, filter.offset);
    let (corrective_actions, total) = state
        .backend
        .read(move |unit| unit.corrective_actions(&filter))
        .await?;
    let list = CorrectiveList {
        corrective_actions,
        total,
        limit,
        offset,
    };
    respond_with(format, "corrective-actions", &list, || list.table())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    pub(crate) owner: Option<String>,
    pub(crate) department: Option<String>,
    pub(crate) due_date: Option<String>,
    #[schema(pattern = "^(open|in_progress|done|verified)$")]
    pub(crate) status: Option<String>,
    pub(crate) verification: Option<String>,
}

fn short(v: Option<String>, what: &str, max: usize) -> Result<Option<String>, ApiError> {
    match v {
        Some(s) if s.chars().count() > max => Err(ApiError::bad_request(format!(
            "{what} is longer than {max} characters"
        ))),
        other => Ok(other.map(|s| s.trim().to_string())),
    }
}

#[utoipa::path(
    patch,
    path = "/v1/corrective-actions/{id}",
    tag = "corrective actions",
    summary = "Update owner, department, due date, status, verification",
    params(
        ("id" = i64, Path, description = "corrective action id", minimum = 1)
    ),
    request_body = crate::routes::corrective::UpdateRequest,
    responses(
        (status = 200, description = "the action as changed", body = onsite_store::report::corrective::CorrectiveAction),
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
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<UpdateRequest>,
) -> Result<Json<CorrectiveAction>, ApiError> {
    user.require(OFFICE)?;
    update_action(&state, &id, req).await.map(Json)
}

/// Checks and applies an update of a corrective action (the JSON API's and the web back
/// office's).
pub(crate) async fn update_action(
    state: &AppState,
    id: &str,
    req: UpdateRequest,
) -> Result<CorrectiveAction, ApiError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request("corrective action ids are positive numbers"))?;
    if let Some(s) = &req.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::bad_request(format!(
            "status must be one of {}",
            STATUSES.join(", ")
        )));
    }
    if let Some(d) = &req.due_date
        && (d.len() != 10 || chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err())
    {
        return Err(ApiError::bad_request(
            "due_date must be a date like 2026-12-31",
        ));
    }
    if let Some(d) = &req.department {
        check_name(d, "department").map_err(ApiError::bad_request)?;
    }
    let update = Update {
        owner: short(req.owner, "owner", 200)?,
        department: req.department,
        due_date: req.due_date,
        status: req.status,
        verification: short(req.verification, "verification", 5_000)?,
    };
    if update.owner.is_none()
        && update.department.is_none()
        && update.due_date.is_none()
        && update.status.is_none()
        && update.verification.is_none()
    {
        return Err(ApiError::bad_request("nothing to change"));
    }
    let now = chrono::Utc::now().timestamp_millis();
    state
        .backend
        .write(move |unit| unit.update_corrective_action(id, &update, now))
        .await?
        .ok_or_else(|| ApiError::not_found("no corrective action with that id"))
}
