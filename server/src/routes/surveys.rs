//! Callback survey (回访): the month's sample to phone, and recording what a customer said.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::forms::{
    DEFAULT_TEMPLATE_ID, DEFAULT_TEMPLATE_VERSION, Level, template_has_item,
};
use onsite_domain::{Answer, Form, Role, Status, derive_status};
use onsite_store::report::callback::CallbackSample;
use serde::Deserialize;
use serde_json::Value;

use super::exports::{Format, respond_with};
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];

#[utoipa::path(
    get,
    path = "/v1/surveys/callback-sample",
    tag = "surveys",
    summary = "The month's reproducible callback sample",
    params(
        ("month" = String, Query, description = "2026-11", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
        ("size" = Option<u32>, Query, description = "1–10000, default 100", minimum = 1, maximum = 10000),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the sample; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::callback::CallbackSample = "application/json"),
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
pub async fn sample(
    State(state): State<AppState>,
    user: AuthUser,
    p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let (sample, format) = callback_sample(&state, p).await?;
    respond_with(format, "callback-sample", &sample, || sample.table())
}

/// The month's callback sample the parameters ask for, and in which format (the JSON
/// API's and the web back office's).
pub(crate) async fn callback_sample(
    state: &AppState,
    mut p: Params,
) -> Result<(CallbackSample, Format), ApiError> {
    let month = p.month()?;
    let size = p.number("size", 100, 1, 10_000)? as usize;
    let format = Format::take(&mut p)?;
    p.finish()?;
    let sample = state
        .backend
        .read(move |unit| unit.callback_sample(&month, size))
        .await?;
    let sample = CallbackSample {
        month: month.from.format("%Y-%m").to_string(),
        size,
        sample,
    };
    Ok((sample, format))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallbackRequest {
    /// Item id → points on the scale.
    pub(crate) answers: BTreeMap<String, i64>,
    #[serde(default)]
    pub(crate) comments: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) suggestion: String,
}

#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/callback",
    tag = "surveys",
    summary = "Record a callback survey (回访) form",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    request_body = crate::routes::surveys::CallbackRequest,
    responses(
        (status = 200, description = "the job with the form", body = crate::routes::jobs::service::JobView),
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
pub async fn record(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<CallbackRequest>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    record_callback(state, user, id, req).await
}

/// Checks and records a callback form on a completed job (the JSON API's and the web back
/// office's).
pub(crate) async fn record_callback(
    state: AppState,
    user: AuthUser,
    id: String,
    req: CallbackRequest,
) -> Result<Json<Value>, ApiError> {
    if req.answers.is_empty() {
        return Err(ApiError::bad_request("answer at least one item"));
    }
    for (item, points) in &req.answers {
        if !template_has_item(DEFAULT_TEMPLATE_ID, DEFAULT_TEMPLATE_VERSION, item) {
            return Err(ApiError::bad_request(format!(
                "'{}' is not an item of {DEFAULT_TEMPLATE_ID} v{DEFAULT_TEMPLATE_VERSION}",
                onsite_store::report::truncate(item)
            )));
        }
        if Level::from_points(*points).is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "score_out_of_scale",
                format!("{item} has {points} points; the scale is 10, 8, 6, 4, 2"),
            ));
        }
    }
    if let Some(item) = req.comments.keys().find(|k| !req.answers.contains_key(*k)) {
        return Err(ApiError::bad_request(format!(
            "a comment for '{}', which has no answer",
            onsite_store::report::truncate(item)
        )));
    }
    if req.suggestion.chars().count() > 20_000
        || req.comments.values().any(|c| c.chars().count() > 20_000)
    {
        return Err(ApiError::bad_request("text longer than 20000 characters"));
    }
    let by = user.user_id.clone();
    super::jobs::edit(
        state,
        user,
        id,
        "callback survey",
        |_, job| {
            if derive_status(job) != Status::Completed {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "not_completed",
                    "a callback survey is about a completed job",
                ));
            }
            Ok(())
        },
        move |job| {
            let at = super::jobs::now_ms();
            let form_id = super::jobs::new_id();
            let answers = req
                .answers
                .iter()
                .map(|(item, points)| {
                    let comment = req.comments.get(item).cloned().unwrap_or_default();
                    (
                        item.clone(),
                        Answer {
                            points: *points,
                            comment,
                            at,
                        },
                    )
                })
                .collect();
            job.forms.insert(
                form_id.clone(),
                Form {
                    id: form_id,
                    template_id: DEFAULT_TEMPLATE_ID.into(),
                    template_version: DEFAULT_TEMPLATE_VERSION,
                    respondent: "callback".into(),
                    answers,
                    suggestion: autosurgeon::Text::with_value(req.suggestion),
                    submitted_at: Some(at),
                    by,
                },
            );
        },
    )
    .await
}
