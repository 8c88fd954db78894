//! Review (审核): the filtered list of synced jobs and one job's detail with its timeline
//! and edit history. Approving or returning is `POST /v1/jobs/{id}/review` (jobs.rs).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use onsite_domain::Role;
use serde_json::{Value, json};

use super::exports::{Format, respond};
use super::params::{Params, check_technician};
use super::quarantine::{self, Loaded};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::reports::review::{self, JobFilter};

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
            check_technician(
                &mut onsite_store_sqlite::backend::SqliteUnit::new(conn),
                &filter.technician,
            )?;
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
    let again = id.clone();
    // Read beside the writer. Only a document found unusable is looked at again, on the
    // writer, which sets it aside.
    match state
        .db
        .read(move |conn| detail_of(conn, &id, false))
        .await?
    {
        Some(job) => Ok(Json(job)),
        None => state
            .db
            .write(move |conn| detail_of(conn, &again, true))
            .await?
            .map(Json)
            .ok_or_else(|| ApiError::internal("an unusable job was not set aside")),
    }
}

/// The detail from the query tables, with the edit history from the document, or with
/// `quarantined` (and no history) when the document is set aside. `None` for an unusable
/// document found on a reader (`writer` false).
fn detail_of(
    conn: &mut rusqlite::Connection,
    id: &str,
    writer: bool,
) -> Result<Option<Value>, ApiError> {
    let mut job =
        review::detail(conn, id)?.ok_or_else(|| ApiError::not_found("no job with that id"))?;
    // The edit history is the one thing not in the query tables: it is read from this one
    // document, never per row of a list or report.
    let set_aside = match quarantine::load(conn, id)? {
        Loaded::Usable(mut doc, _) => {
            job["history"] = Value::Array(review::history(conn, &mut doc)?);
            None
        }
        Loaded::SetAside(q) => Some(q),
        Loaded::Unusable(reason) if writer => Some(quarantine::record(conn, id, &reason)?),
        Loaded::Unusable(_) => return Ok(None),
    };
    job["quarantined"] = match &set_aside {
        Some(q) => {
            job["history"] = Value::Array(Vec::new());
            quarantine::json(q)
        }
        None => Value::Null,
    };
    Ok(Some(job))
}
