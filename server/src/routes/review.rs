//! Review (审核): the filtered list of synced jobs and one job's detail with its timeline
//! and edit history. Approving or returning is `POST /v1/jobs/{id}/review` (jobs.rs).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use onsite_domain::Role;
use serde_json::{Value, json};

use super::exports::{Format, respond};
use super::params::{Params, check_technician};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::reports::review::{self, JobFilter};
use crate::storage;

const OFFICE: &[Role] = &[Role::BackOffice];

const STATUSES: [&str; 9] = [
    "new",
    "assigned",
    "accepted",
    "en_route",
    "on_site",
    "diagnosed",
    "repaired",
    "completed",
    "cancelled",
];
const REVIEW_STATES: [&str; 4] = ["not_submitted", "pending", "approved", "returned"];
pub use onsite_domain::job::FEEDBACK_CATEGORIES;

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let filter = JobFilter {
        status: p.one_of("status", &STATUSES)?,
        review_state: p.one_of("review_state", &REVIEW_STATES)?,
        technician: p.take("technician"),
        period: p.period()?,
        complaint: p.bool("complaint")?,
        dap: p.bool("dap")?,
        feedback_category: p.one_of("feedback_category", &FEEDBACK_CATEGORIES)?,
        customer_tier: p.name("customer_tier")?,
        limit: p.number("limit", 50, 1, 500)?,
        offset: p.number("offset", 0, 0, u32::MAX)?,
    };
    let format = Format::take(&mut p)?;
    p.finish()?;
    state
        .db
        .read(move |conn| {
            check_technician(conn, &filter.technician)?;
            let (jobs, total) = review::list(conn, &filter)?;
            let body = json!({
                "jobs": jobs,
                "total": total,
                "limit": filter.limit,
                "offset": filter.offset,
            });
            respond(format, "jobs", body, || review::list_table(&jobs))
        })
        .await
}

pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    if !onsite_sync::server::valid_doc_id(&id) {
        return Err(ApiError::bad_request("job ids are lowercase UUIDs"));
    }
    state
        .db
        .read(move |conn| {
            let mut job = review::detail(conn, &id)?
                .ok_or_else(|| ApiError::not_found("no job with that id"))?;
            // The edit history is the one thing not in the query tables: it is read from
            // this one document, never per row of a list or report.
            let mut doc = storage::load_doc(conn, &id)?
                .ok_or_else(|| ApiError::not_found("no job with that id"))?;
            job["history"] = Value::Array(review::history(conn, &mut doc)?);
            Ok(Json(job))
        })
        .await
}
