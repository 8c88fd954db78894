//! Form templates: publish a version, list, read one version.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onsite_domain::{FormItem, FormTemplate, Role};
use onsite_store::Notice;
use serde::Deserialize;
use serde_json::{Value, json};

use super::jobs::now_ms;
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    id: String,
    label_zh: String,
    label_en: String,
}

/// A template to publish. Its version is not the caller's to choose: the server gives the
/// next one, so that no published version can be overwritten.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    id: String,
    title_zh: String,
    title_en: String,
    items: Vec<ItemInput>,
    #[serde(default)]
    suggestion_zh: String,
    #[serde(default)]
    suggestion_en: String,
}

#[utoipa::path(
    post,
    path = "/v1/form-templates",
    tag = "forms",
    summary = "Publish the next version of a template, or a new template (syncs to devices)",
    request_body = crate::routes::templates::PublishRequest,
    responses(
        (status = 201, description = "published", body = onsite_domain::reference::FormTemplate),
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
pub async fn publish(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<PublishRequest>,
) -> Result<(StatusCode, Json<FormTemplate>), ApiError> {
    user.require(OFFICE)?;
    let draft = FormTemplate {
        id: req.id,
        version: 0,
        title_zh: req.title_zh,
        title_en: req.title_en,
        items: req
            .items
            .into_iter()
            .map(|i| FormItem {
                id: i.id,
                label_zh: i.label_zh,
                label_en: i.label_en,
            })
            .collect(),
        suggestion_zh: req.suggestion_zh,
        suggestion_en: req.suggestion_en,
    };
    // Checked here for a 400; the store checks again before it writes.
    draft.validate().map_err(ApiError::bad_request)?;
    let now = now_ms();
    let by = user.user_id.clone();
    let notice = Notice::reference(&user.user_id, &user.device_id, None);
    let published = state
        .backend
        .write(move |unit| {
            let published = unit.publish_template(&draft, &by, now)?;
            unit.notify(notice);
            Ok::<_, ApiError>(published)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(published)))
}

#[utoipa::path(
    get,
    path = "/v1/form-templates",
    tag = "forms",
    summary = "Every version of every template, the built-in csat-onsite v1 first",
    params(
        ("id" = Option<String>, Query, description = "one template's versions")
    ),
    responses(
        (status = 200, description = "the templates", body = crate::openapi::bodies::TemplateList),
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
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    let id = p.take("id");
    p.finish()?;
    let all = state
        .backend
        .read(move |unit| unit.templates(id.as_deref()))
        .await?;
    Ok(Json(json!({ "templates": all })))
}

#[utoipa::path(
    get,
    path = "/v1/form-templates/{id}/{version}",
    tag = "forms",
    summary = "One version of a template",
    params(
        ("id" = String, Path, description = "template id"),
        ("version" = i64, Path, description = "version number", minimum = 1)
    ),
    responses(
        (status = 200, description = "the template", body = onsite_domain::reference::FormTemplate),
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
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<FormTemplate>, ApiError> {
    user.require(OFFICE)?;
    let version: i64 = version
        .parse()
        .ok()
        .filter(|v| *v >= 1)
        .ok_or_else(|| ApiError::bad_request("a template version is a positive number"))?;
    state
        .backend
        .read(move |unit| unit.template(&id, version))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("no such template version"))
}
