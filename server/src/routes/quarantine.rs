//! Jobs whose stored document the server cannot use (unreadable bytes, not a job, or an
//! edit that made Automerge panic) are set aside: recorded in the quarantine with the
//! reason, answered 409 `quarantined` by the API, listed for the back office, and sent to
//! no device. Their rows in the query tables stay, so lists and reports still show them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use onsite_domain::{DocError, Job, JobDoc, Role};
use onsite_sync::server::ServerStore;
use rusqlite::Connection;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::storage::{self, Quarantined, SqliteError, SqliteStore};

const OFFICE: &[Role] = &[Role::BackOffice];

/// A stored job, as the API finds it.
pub(super) enum Loaded {
    Usable(Box<JobDoc>, Box<Job>),
    /// Set aside before.
    SetAside(Quarantined),
    /// Found unusable now, for this reason; not set aside yet (that takes the writer).
    Unusable(String),
}

/// Loads a job's document and its typed view; 404 when there is no such job.
pub(super) fn load(conn: &Connection, doc_id: &str) -> Result<Loaded, ApiError> {
    if let Some(q) = storage::quarantined(conn, doc_id)? {
        return Ok(Loaded::SetAside(q));
    }
    let doc = match storage::load_doc(conn, doc_id) {
        Ok(Some(doc)) => doc,
        Ok(None) => return Err(ApiError::not_found("no job with that id")),
        Err(SqliteError::Corrupt(_, e)) => {
            return Ok(Loaded::Unusable(format!(
                "the stored document could not be loaded: {e}"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    match doc.job() {
        Ok(job) => Ok(Loaded::Usable(Box::new(doc), Box::new(job))),
        Err(e @ (DocError::Automerge(_) | DocError::Hydrate(_))) => Ok(Loaded::Unusable(format!(
            "the stored document is not a job: {e}"
        ))),
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// Sets the job aside (on the writer) and returns the record.
pub(super) fn record(
    conn: &mut Connection,
    doc_id: &str,
    reason: &str,
) -> Result<Quarantined, ApiError> {
    tracing::error!(doc_id, reason, "job set aside");
    SqliteStore::new(conn, &mut Vec::new()).quarantine(doc_id, reason)?;
    storage::quarantined(conn, doc_id)?
        .ok_or_else(|| ApiError::internal("a quarantined job was not recorded"))
}

/// Sets the job aside (on the writer) and answers why.
pub(super) fn set_aside(conn: &mut Connection, doc_id: &str, reason: &str) -> ApiError {
    match record(conn, doc_id, reason) {
        Ok(q) => refused(&q),
        Err(e) => e,
    }
}

/// The answer about a job that is set aside.
pub(super) fn refused(q: &Quarantined) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "quarantined",
        format!("the job is set aside and cannot be used: {}", q.reason),
    )
}

/// `{"reason", "at"}`, `at` in milliseconds since the Unix epoch like the jobs' times.
pub(super) fn json(q: &Quarantined) -> Value {
    json!({ "reason": q.reason, "at": q.at * 1000 })
}

/// `GET /v1/quarantine`: every job set aside, the latest first.
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    user.require(OFFICE)?;
    state
        .db
        .read(|conn| {
            let jobs: Vec<Value> = storage::quarantined_jobs(conn)?
                .iter()
                .map(|q| {
                    let mut entry = json(q);
                    entry["id"] = Value::String(q.doc_id.clone());
                    entry
                })
                .collect();
            Ok(Json(json!({ "jobs": jobs })))
        })
        .await
}
