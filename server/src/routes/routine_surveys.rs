//! Routine surveys (定期满意度调查): open a round for a customer tier, record the forms
//! customers return, read the round's report.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::Role;
use onsite_domain::forms::{
    DEFAULT_TEMPLATE_ID, DEFAULT_TEMPLATE_VERSION, Level, template_has_item,
};
use onsite_domain::survey::Round;
use onsite_store::Refused;
use onsite_store::report::routine::{
    DUPLICATE_RESPONSE, Response as Returned, RoutineReport, SURVEY_EXISTS, Survey, SurveyInfo,
    SurveyList, SurveySummary,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::exports::{Format, respond_with};
use super::jobs::{new_id, now_ms};
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use onsite_store::report::{check_name, truncate};

const OFFICE: &[Role] = &[Role::BackOffice];
const MAX_TEXT: usize = 20_000;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSurvey {
    /// The customer tier surveyed: `key` quarterly, `general` half-yearly.
    tier: String,
    /// `2026-Q3` or `2026-H2`.
    round: String,
    #[serde(default)]
    title: String,
}

#[utoipa::path(
    post,
    path = "/v1/surveys/routine",
    tag = "surveys",
    summary = "Open a routine survey (定期满意度调查) round: tier, round (key 2026-Q3, general 2026-H2), title",
    request_body = crate::routes::routine_surveys::CreateSurvey,
    responses(
        (status = 201, description = "opened", body = onsite_store::report::routine::SurveyInfo),
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
    JsonBody(req): JsonBody<CreateSurvey>,
) -> Result<(StatusCode, Json<SurveyInfo>), ApiError> {
    user.require(OFFICE)?;
    check_name(&req.tier, "tier").map_err(ApiError::bad_request)?;
    let round = Round::parse(&req.round).map_err(bad_round)?;
    round.check_tier(&req.tier).map_err(bad_round)?;
    if req.title.chars().count() > 200 {
        return Err(ApiError::bad_request("a title has at most 200 characters"));
    }
    let survey = Survey {
        id: new_id(),
        title: if req.title.is_empty() {
            format!("{} {} 定期满意度调查", req.tier, round)
        } else {
            req.title
        },
        tier: req.tier,
        round,
        template_id: DEFAULT_TEMPLATE_ID.into(),
        template_version: DEFAULT_TEMPLATE_VERSION,
        created_at: now_ms(),
        created_by: user.user_id.clone(),
    };
    state
        .backend
        .write(move |unit| {
            unit.create_routine_survey(&survey)?;
            Ok::<_, onsite_store::RepoError>(survey)
        })
        .await
        .map(|survey| (StatusCode::CREATED, Json(SurveyInfo::from(&survey))))
        .map_err(refusal)
}

/// The refusals of this area, with the statuses they have always had.
fn refusal(e: onsite_store::RepoError) -> ApiError {
    match e {
        onsite_store::RepoError::Refused(Refused { code, message })
            if code == SURVEY_EXISTS || code == DUPLICATE_RESPONSE =>
        {
            ApiError::new(StatusCode::CONFLICT, code, message)
        }
        other => other.into(),
    }
}

fn bad_round(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_round", message)
}

#[utoipa::path(
    get,
    path = "/v1/surveys/routine",
    tag = "surveys",
    summary = "Routine survey rounds with returned forms and validity",
    params(
        ("tier" = Option<String>, Query, description = "customer tier", max_length = 100),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the rounds; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::routine::SurveyList = "application/json"),
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
    p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let (list, format) = survey_list(&state, p).await?;
    respond_with(format, "routine-surveys", &list, || list.table())
}

/// The routine survey rounds the parameters ask for, and in which format (the JSON API's
/// and the web back office's).
pub(crate) async fn survey_list(
    state: &AppState,
    mut p: Params,
) -> Result<(SurveyList, Format), ApiError> {
    let tier = p.name("tier")?;
    let format = Format::take(&mut p)?;
    p.finish()?;
    let rows = state
        .backend
        .read(move |unit| unit.routine_surveys(tier.as_deref()))
        .await?;
    let list = SurveyList {
        surveys: rows.iter().map(SurveySummary::from).collect(),
    };
    Ok((list, format))
}

#[utoipa::path(
    get,
    path = "/v1/surveys/routine/{id}",
    tag = "surveys",
    summary = "A round's report: validity (100 forms), items, competitors (10 forms), previous round",
    params(
        ("id" = String, Path, description = "survey id"),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "the report; format=csv or xlsx gives the table instead", content(
            (onsite_store::report::routine::RoutineReport = "application/json"),
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
pub async fn report(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let format = Format::take(&mut p)?;
    p.finish()?;
    let report = survey_report(&state, id).await?;
    respond_with(format, "routine-survey", &report, || report.table())
}

/// One routine survey round's report (the JSON API's and the web back office's).
pub(crate) async fn survey_report(state: &AppState, id: String) -> Result<RoutineReport, ApiError> {
    state
        .backend
        .read(move |unit| {
            let survey = unit.routine_survey(&id)?.ok_or_else(|| unknown(&id))?;
            Ok::<_, ApiError>(RoutineReport::build(unit, &survey)?)
        })
        .await
}

fn unknown(id: &str) -> ApiError {
    ApiError::not_found(format!("no routine survey {:?}", truncate(id)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordResponse {
    /// Who answered: a customer id or name; one form per customer and subject per round.
    customer: String,
    /// The competitor the form is about; absent for a form about us.
    #[serde(default)]
    competitor: Option<String>,
    /// `customer` (default) or `dealer`.
    #[serde(default)]
    respondent: Option<String>,
    /// Item id → points on the scale.
    answers: BTreeMap<String, i64>,
    #[serde(default)]
    comments: BTreeMap<String, String>,
    #[serde(default)]
    suggestion: String,
}

#[utoipa::path(
    post,
    path = "/v1/surveys/routine/{id}/responses",
    tag = "surveys",
    summary = "Record a returned form: customer, competitor?, respondent?, answers, comments, suggestion",
    params(
        ("id" = String, Path, description = "survey id")
    ),
    request_body = crate::routes::routine_surveys::RecordResponse,
    responses(
        (status = 201, description = "recorded", body = crate::openapi::bodies::RecordedResponse),
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
    JsonBody(req): JsonBody<RecordResponse>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require(OFFICE)?;
    let customer = req.customer.trim().to_string();
    if customer.is_empty() || customer.chars().count() > 200 {
        return Err(ApiError::bad_request(
            "customer is required (at most 200 characters)",
        ));
    }
    if let Some(c) = &req.competitor {
        check_name(c, "competitor").map_err(ApiError::bad_request)?;
    }
    let respondent = req.respondent.unwrap_or_else(|| "customer".into());
    if !matches!(respondent.as_str(), "customer" | "dealer") {
        return Err(ApiError::bad_request(
            "respondent is 'customer' or 'dealer'",
        ));
    }
    if req.answers.is_empty() {
        return Err(ApiError::bad_request("answer at least one item"));
    }
    for (item, points) in &req.answers {
        if !template_has_item(DEFAULT_TEMPLATE_ID, DEFAULT_TEMPLATE_VERSION, item) {
            return Err(ApiError::bad_request(format!(
                "'{}' is not an item of {DEFAULT_TEMPLATE_ID} v{DEFAULT_TEMPLATE_VERSION}",
                truncate(item)
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
            truncate(item)
        )));
    }
    if req.suggestion.chars().count() > MAX_TEXT
        || req.comments.values().any(|c| c.chars().count() > MAX_TEXT)
    {
        return Err(ApiError::bad_request(format!(
            "text longer than {MAX_TEXT} characters"
        )));
    }
    let mut comments = req.comments;
    let response = Returned {
        id: new_id(),
        survey_id: id,
        customer,
        competitor: req.competitor,
        respondent,
        answers: req
            .answers
            .into_iter()
            .map(|(item, points)| {
                let comment = comments.remove(&item).unwrap_or_default();
                (item, (points, comment))
            })
            .collect(),
        suggestion: req.suggestion,
        recorded_at: now_ms(),
        by_user: user.user_id.clone(),
    };
    let (id, survey_id) = (response.id.clone(), response.survey_id.clone());
    state
        .backend
        .write(move |unit| unit.record_routine_response(&response))
        .await
        .map_err(refusal)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "survey_id": survey_id })),
    ))
}
