//! Jobs whose stored document the server cannot use (unreadable bytes, not a job, or an
//! edit that made Automerge panic) are set aside: recorded in the quarantine with the
//! reason, answered 409 `quarantined` by the API, listed for the back office, and sent to
//! no device. Their rows in the query tables stay, so lists and reports still show them.
//! Setting a job aside is in `jobs::service`, where the job is loaded.

use axum::Json;
use axum::extract::State;
use onsite_domain::Role;
use onsite_store::repo::jobs::Quarantined;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];

/// Why and when a job was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SetAside {
    pub reason: String,
    /// Milliseconds since the Unix epoch, like the jobs' times.
    pub at: i64,
}

impl From<&Quarantined> for SetAside {
    fn from(q: &Quarantined) -> Self {
        SetAside {
            reason: q.reason.clone(),
            at: q.at * 1000,
        }
    }
}

/// One job set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuarantinedJob {
    pub id: String,
    #[serde(flatten)]
    pub set_aside: SetAside,
}

/// Every job set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct QuarantineList {
    pub jobs: Vec<QuarantinedJob>,
}

/// `GET /v1/quarantine`: every job set aside, the latest first.
#[utoipa::path(
    get,
    path = "/v1/quarantine",
    tag = "jobs",
    summary = "Jobs set aside because their stored document cannot be used",
    responses(
        (status = 200, description = "every job set aside", body = crate::routes::quarantine::QuarantineList),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<QuarantineList>, ApiError> {
    user.require(OFFICE)?;
    let jobs = state
        .backend
        .read(|unit| unit.quarantined_jobs())
        .await?
        .iter()
        .map(|q| QuarantinedJob {
            id: q.doc_id.clone(),
            set_aside: q.into(),
        })
        .collect();
    Ok(Json(QuarantineList { jobs }))
}
