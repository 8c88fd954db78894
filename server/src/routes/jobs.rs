//! Back-office job endpoints: create, list, read, assign, review, classify, cancel.
//!
//! The handlers parse the request and answer; what each operation does is in [`service`],
//! on one unit of work, and its rules are in `onsite_domain::office`.

pub(super) mod service;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onsite_domain::office::{CreateJob, Edit, Kind, Made, OfficeError};
use onsite_domain::{Job, Role};
use onsite_store::Unit;
use onsite_store::repo::jobs::{JobListFilter, JobSummary};
use onsite_sync::server::{Peer, valid_doc_id};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use self::service::{Editor, Failure, JobView};
use super::json::JsonBody;
use super::params::Params;
use crate::app::AppState;
use crate::auth::{API_DEVICE, AuthUser};
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl From<OfficeError> for ApiError {
    fn from(e: OfficeError) -> Self {
        let status = match e.kind {
            Kind::Invalid => StatusCode::BAD_REQUEST,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code, e.message)
    }
}

impl From<Failure> for ApiError {
    fn from(e: Failure) -> Self {
        match e {
            Failure::Refused(e) => e.into(),
            Failure::Store(e) => e.into(),
            Failure::Internal(e) => ApiError::internal(e),
        }
    }
}

/// The account's edits through the API, on the API device.
fn editor(state: &AppState, user: &AuthUser) -> Editor {
    Editor {
        peer: Peer {
            user_id: user.user_id.clone(),
            role: user.role,
            device_id: API_DEVICE.into(),
        },
        actor: state.api_actor(&user.user_id),
    }
}

#[utoipa::path(
    post,
    path = "/v1/jobs",
    tag = "jobs",
    summary = "Create a job",
    request_body = onsite_domain::office::CreateJob,
    responses(
        (status = 201, description = "created", body = crate::routes::jobs::service::JobView),
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
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<CreateJob>,
) -> Result<(StatusCode, Json<JobView>), ApiError> {
    user.require(OFFICE)?;
    let view = create_job(&state, user, req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Creates a job as `user` (the JSON API's and the web back office's creation).
pub(crate) async fn create_job(
    state: &AppState,
    user: AuthUser,
    req: CreateJob,
) -> Result<JobView, ApiError> {
    req.validate()?;
    let editor = editor(state, &user);
    let made = Made {
        id: new_id(),
        at: now_ms(),
        by: user.user_id,
    };
    let view = state
        .backend
        .write(move |unit| service::create(unit, &editor, req, made, new_id))
        .await?;
    Ok(view)
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_doc_id(id) {
        Ok(())
    } else {
        Err(ApiError::bad_request("job ids are lowercase UUIDs"))
    }
}

#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    tag = "jobs",
    summary = "One job with its whole document",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    responses(
        (status = 200, description = "the job", body = crate::routes::jobs::service::JobView),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    user.require(OFFICE)?;
    check_id(&id)?;
    let again = id.clone();
    // Read beside the writer. Only a document found unusable is looked at again, on the
    // writer, which sets it aside.
    match state
        .backend
        .read(move |unit| service::view(unit, &id, false))
        .await?
    {
        Some(view) => Ok(Json(view)),
        None => state
            .backend
            .write(move |unit| service::view(unit, &again, true))
            .await?
            .map(Json)
            .ok_or_else(|| ApiError::internal("an unusable job was not set aside")),
    }
}

/// Loads a job, applies a back-office edit as one change, and commits it; `check` runs on
/// the job as it was, on the same unit.
///
/// A stored document that cannot be loaded or read as a job, or whose loading or edit
/// panics inside Automerge, is set aside (409 `quarantined`); the server goes on serving.
pub(super) async fn edit(
    state: AppState,
    user: AuthUser,
    id: String,
    what: &'static str,
    check: impl FnOnce(&mut dyn Unit, &Job) -> Result<(), ApiError> + Send + 'static,
    edit: impl FnOnce(&mut Job) + Send + 'static,
) -> Result<Json<Value>, ApiError> {
    check_id(&id)?;
    let editor = editor(&state, &user);
    let view = state
        .backend
        .write(move |unit| service::change(unit, &editor, &id, what, now_ms(), check, edit))
        .await?;
    serde_json::to_value(view)
        .map(Json)
        .map_err(ApiError::internal)
}

/// Applies one of the back office's own edits.
pub(crate) async fn apply(
    state: AppState,
    user: AuthUser,
    id: String,
    edit: Edit,
) -> Result<Json<JobView>, ApiError> {
    check_id(&id)?;
    let editor = editor(&state, &user);
    let view = state
        .backend
        .write(move |unit| service::apply(unit, &editor, &id, edit, now_ms(), new_id()))
        .await?;
    Ok(Json(view))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    assignee: String,
}

#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/assign",
    tag = "jobs",
    summary = "Assign or reassign",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    request_body = crate::routes::jobs::AssignRequest,
    responses(
        (status = 200, description = "the job as changed", body = crate::routes::jobs::service::JobView),
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
pub async fn assign(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<AssignRequest>,
) -> Result<Json<JobView>, ApiError> {
    user.require(OFFICE)?;
    let edit = Edit::Assign {
        assignee: req.assignee,
    };
    apply(state, user, id, edit).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    #[schema(pattern = "^(approved|returned)$")]
    decision: String,
    #[serde(default)]
    comment: String,
}

#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/review",
    tag = "review",
    summary = "Approve, or return with a comment",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    request_body = crate::routes::jobs::ReviewRequest,
    responses(
        (status = 200, description = "the job as changed", body = crate::routes::jobs::service::JobView),
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
pub async fn review(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReviewRequest>,
) -> Result<Json<JobView>, ApiError> {
    user.require(OFFICE)?;
    let edit = Edit::review(&req.decision, req.comment)?;
    apply(state, user, id, edit).await
}

/// One page of the job list.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct JobList {
    pub jobs: Vec<JobSummary>,
    pub limit: u32,
    pub offset: u32,
}

#[utoipa::path(
    get,
    path = "/v1/jobs",
    tag = "jobs",
    summary = "List jobs",
    params(
        ("status" = Option<String>, Query, description = "derived status", pattern = r"^(new|assigned|accepted|en_route|on_site|diagnosed|repaired|completed|cancelled)?$"),
        ("review_state" = Option<String>, Query, description = "review state", pattern = r"^(not_submitted|pending|approved|returned)?$"),
        ("assignee" = Option<String>, Query, description = "technician account id"),
        ("limit" = Option<u32>, Query, description = "1–500, default 50", minimum = 1, maximum = 500),
        ("offset" = Option<i64>, Query, description = "rows to skip", minimum = 0, maximum = 4_294_967_295_u64)
    ),
    responses(
        (status = 200, description = "one page of jobs", body = crate::routes::jobs::JobList),
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
) -> Result<Json<JobList>, ApiError> {
    user.require(OFFICE)?;
    // By hand, like every list: axum's `Query` answers its mistakes in plain text.
    let status = p.take("status");
    if let Some(s) = &status
        && onsite_domain::Status::parse(s).is_none()
    {
        return Err(ApiError::bad_request("unknown status"));
    }
    let filter = JobListFilter {
        status,
        // An unknown state would match no job: say so rather than answer an empty page.
        review_state: p.one_of("review_state", &super::review::REVIEW_STATES)?,
        assignee: p.take("assignee"),
        limit: p.number("limit", 50, 1, 500)?,
        offset: p.number("offset", 0, 0, u32::MAX)?,
    };
    p.finish()?;
    let (limit, offset) = (filter.limit, filter.offset);
    let jobs = state
        .backend
        .read(move |unit| unit.job_list(&filter))
        .await?;
    Ok(Json(JobList {
        jobs,
        limit,
        offset,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    #[schema(pattern = "^(product|service|process)$")]
    feedback_category: String,
    #[schema(pattern = "^(rnd|customer_service|production|quality|supply)$")]
    responsible_department: String,
}

/// Sets the feedback category (产品/服务/流程问题) and the responsible department.
#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/classify",
    tag = "jobs",
    summary = "Set the feedback category and responsible department",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    request_body = crate::routes::jobs::ClassifyRequest,
    responses(
        (status = 200, description = "the job as changed", body = crate::routes::jobs::service::JobView),
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
pub async fn classify(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ClassifyRequest>,
) -> Result<Json<JobView>, ApiError> {
    user.require(OFFICE)?;
    let edit = Edit::classify(req.feedback_category, req.responsible_department)?;
    apply(state, user, id, edit).await
}

/// Cancels a job that is not completed; the technician's device hears it by sync.
#[utoipa::path(
    post,
    path = "/v1/jobs/{id}/cancel",
    tag = "jobs",
    summary = "Cancel a job not yet completed",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    responses(
        (status = 200, description = "the job as changed", body = crate::routes::jobs::service::JobView),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 409, description = "conflicts with the current state", body = crate::error::ErrorBody),
        (status = 422, description = "refused by a business rule", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    user.require(OFFICE)?;
    apply(state, user, id, Edit::Cancel).await
}

#[cfg(test)]
mod tests {
    use onsite_domain::office::{CustomerInput, ProductInput};
    use onsite_store::StoreError;
    use onsite_store::repo::jobs::StoredDoc;

    use super::*;
    use crate::app::Config;

    fn as_role(role: Role, user_id: &str) -> AuthUser {
        AuthUser {
            user_id: user_id.into(),
            username: user_id.into(),
            role,
            device_id: "office-pc".into(),
            expires_at: i64::MAX,
        }
    }

    async fn setup() -> (tempfile::TempDir, AppState, AuthUser) {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(Config::new(dir.path())).unwrap();
        // The account is made the way an administrator makes one.
        let request = serde_json::from_value(serde_json::json!({
            "username": "office",
            "role": "back_office",
            "password": "long-password-1",
        }))
        .unwrap();
        let (_, Json(account)) = super::super::admin::create(
            State(state.clone()),
            as_role(Role::Admin, "admin"),
            JsonBody(request),
        )
        .await
        .unwrap();
        let user = AuthUser {
            username: "office".into(),
            ..as_role(Role::BackOffice, &account.id)
        };
        (dir, state, user)
    }

    async fn new_job(state: &AppState, user: &AuthUser, customer: &str) -> String {
        let req = CreateJob {
            customer: Some(CustomerInput::named(customer)),
            customer_id: None,
            product: Some(ProductInput {
                model: "AC-9000".into(),
                serial: String::new(),
                purchase_date: None,
            }),
            product_id: None,
            fault: "does not cool".into(),
            complaint: false,
            assignee: None,
        };
        let (_, Json(view)) = create(State(state.clone()), user.clone(), JsonBody(req))
            .await
            .unwrap();
        view.id
    }

    /// The job's stored bytes, and its quarantine record.
    async fn stored(state: &AppState, job: &str) -> (Option<Vec<u8>>, Option<String>) {
        let job = job.to_string();
        state
            .backend
            .read(move |unit| {
                let saved = match unit.job_doc(&job)? {
                    Some(StoredDoc::Loaded(mut doc)) => Some(doc.save()),
                    _ => None,
                };
                let reason = unit.quarantined(&job)?.map(|q| q.reason);
                Ok::<_, StoreError>((saved, reason))
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn an_edit_that_panics_sets_the_job_aside_and_the_server_goes_on() {
        let (_dir, state, user) = setup().await;
        let job = new_job(&state, &user, "Zhang").await;
        let (before, _) = stored(&state, &job).await;

        let err = edit(
            state.clone(),
            user.clone(),
            job.clone(),
            "classify",
            |_, _| Ok(()),
            |_| panic!("automerge exploded"),
        )
        .await
        .unwrap_err();
        assert_eq!(
            (err.status, err.code),
            (StatusCode::CONFLICT, "quarantined")
        );
        assert!(
            err.message
                .contains("could not be edited: automerge exploded"),
            "{}",
            err.message
        );

        let (after, reason) = stored(&state, &job).await;
        assert_eq!(
            reason.as_deref(),
            Some("could not be edited: automerge exploded")
        );
        // Nothing of the edit was stored.
        assert_eq!(before, after);

        // The job is refused from now on, without touching it again.
        let err = edit(
            state.clone(),
            user.clone(),
            job.clone(),
            "classify",
            |_, _| Ok(()),
            |job| job.feedback_category = Some("product".into()),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, "quarantined");
        let err = get(State(state.clone()), user.clone(), Path(job.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.code, "quarantined");

        // Other jobs are created and edited as before, on the same writer.
        let other = new_job(&state, &user, "Li").await;
        let Json(view) = edit(
            state.clone(),
            user.clone(),
            other.clone(),
            "classify",
            |_, _| Ok(()),
            |job| job.feedback_category = Some("product".into()),
        )
        .await
        .unwrap();
        assert_eq!(view["document"]["feedback_category"], "product");
    }
}
