//! Review (审核): the filtered list of synced jobs and one job's detail with its timeline
//! and edit history. Approving or returning is `POST /v1/jobs/{id}/review` (jobs.rs).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use onsite_domain::Role;
use onsite_domain::office::OfficeError;
use onsite_store::Unit;
use onsite_store::repo::jobs::{HistoryEntry, JobDetail, ReviewFilter, ReviewRow};
use onsite_store::report::{Cell, Table};
use serde::Serialize;
use serde_json::json;

use super::exports::{Format, respond};
use super::jobs::service::{self, Failure, Loaded};
use super::params::{Params, check_technician};
use super::quarantine::SetAside;
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;

const OFFICE: &[Role] = &[Role::BackOffice];

pub(crate) const STATUSES: [&str; 9] = [
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
pub(crate) const REVIEW_STATES: [&str; 4] = ["not_submitted", "pending", "approved", "returned"];
pub use onsite_domain::job::FEEDBACK_CATEGORIES;

#[utoipa::path(
    get,
    path = "/v1/review/jobs",
    tag = "review",
    summary = "The review list",
    params(
        ("status" = Option<String>, Query, description = "derived status", pattern = r"^(new|assigned|accepted|en_route|on_site|diagnosed|repaired|completed|cancelled)?$"),
        ("review_state" = Option<String>, Query, description = "review state", pattern = r"^(not_submitted|pending|approved|returned)?$"),
        ("technician" = Option<String>, Query, description = "technician account id"),
        ("complaint" = Option<bool>, Query, description = "true or false"),
        ("dap" = Option<bool>, Query, description = "true or false"),
        ("feedback_category" = Option<String>, Query, description = "feedback category", pattern = r"^(product|service|process)?$"),
        ("customer_tier" = Option<String>, Query, description = "key, general, …", max_length = 100),
        ("month" = Option<String>, Query, description = "a calendar month, 2026-11 (UTC); or from and to", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2]))?$"),
        ("from" = Option<String>, Query, description = "first day included, 2026-11-01 (with to)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("to" = Option<String>, Query, description = "last day included, 2026-11-30 (with from; at most ten years after it)", pattern = r"^([0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))?$"),
        ("limit" = Option<u32>, Query, description = "1–500, default 50", minimum = 1, maximum = 500),
        ("offset" = Option<i64>, Query, description = "rows to skip", minimum = 0, maximum = 4_294_967_295_u64),
        ("format" = Option<String>, Query, description = "json (default), csv or xlsx", pattern = r"^(json|csv|xlsx)?$")
    ),
    responses(
        (status = 200, description = "one page of the review list; format=csv or xlsx gives the table instead", content(
            (crate::openapi::bodies::ReviewPage = "application/json"),
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
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let filter = ReviewFilter {
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
    let (jobs, total, filter) = state
        .backend
        .read(move |unit| {
            check_technician(unit, &filter.technician)?;
            let (jobs, total) = unit.review_list(&filter)?;
            Ok::<_, ApiError>((jobs, total, filter))
        })
        .await?;
    let body = json!({
        "jobs": jobs,
        "total": total,
        "limit": filter.limit,
        "offset": filter.offset,
    });
    respond(format, "jobs", body, || list_table(&jobs))
}

fn date_time(ms: Option<i64>) -> Cell {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map_or(Cell::Empty, |d| {
            Cell::Text(d.format("%Y-%m-%d %H:%M").to_string())
        })
}

/// The review list as an export writes it.
fn list_table(rows: &[ReviewRow]) -> Table {
    let yes = |v: bool| Cell::from(if v { "是 yes" } else { "否 no" });
    let text = |v: &str| Cell::Text(v.to_string());
    Table {
        title: "工单 jobs".into(),
        columns: [
            "工单号 job",
            "状态 status",
            "审核 review",
            "技术员 technician",
            "客户 customer",
            "客户等级 tier",
            "区域 region",
            "产品型号 model",
            "投诉 complaint",
            "DAP",
            "反馈类别 feedback category",
            "报修时间 reported (UTC)",
            "完成时间 completed (UTC)",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    text(&r.id),
                    text(&r.status),
                    text(&r.review_state),
                    text(
                        r.assignee_name
                            .as_deref()
                            .or(r.assignee.as_deref())
                            .unwrap_or_default(),
                    ),
                    text(&r.customer_name),
                    text(&r.customer_tier),
                    text(&r.customer_region),
                    text(&r.product_model),
                    yes(r.complaint),
                    yes(r.dap),
                    text(r.feedback_category.as_deref().unwrap_or_default()),
                    date_time(Some(r.reported_at)),
                    date_time(r.completed_at),
                ]
            })
            .collect(),
    }
}

/// A job's detail as `GET /v1/review/jobs/{id}` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReviewDetail {
    #[serde(flatten)]
    pub job: JobDetail,
    /// Every change of the document; empty when the job is set aside.
    pub history: Vec<HistoryEntry>,
    /// Why the job is set aside, when it is.
    pub quarantined: Option<SetAside>,
}

#[utoipa::path(
    get,
    path = "/v1/review/jobs/{id}",
    tag = "review",
    summary = "A job's detail, timeline (with each event's receipt and time flags) and edit history",
    params(
        ("id" = String, Path, description = "job id", pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    ),
    responses(
        (status = 200, description = "the detail", body = crate::routes::review::ReviewDetail),
        (status = 400, description = "bad input (a malformed body, an unknown or bad parameter); nothing changed", body = crate::error::ErrorBody),
        (status = 401, description = "no valid access token, or the account or device is no longer allowed", body = crate::error::ErrorBody),
        (status = 403, description = "the role may not do this", body = crate::error::ErrorBody),
        (status = 404, description = "no such record", body = crate::error::ErrorBody),
        (status = 500, description = "the server could not complete the request", body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ReviewDetail>, ApiError> {
    user.require(OFFICE)?;
    read_detail(&state, id).await.map(Json)
}

/// A job's detail with its edit history (the JSON API's and the web back office's).
pub(crate) async fn read_detail(state: &AppState, id: String) -> Result<ReviewDetail, ApiError> {
    if !onsite_sync::server::valid_doc_id(&id) {
        return Err(ApiError::bad_request("job ids are lowercase UUIDs"));
    }
    let again = id.clone();
    // Read beside the writer. Only a document found unusable is looked at again, on the
    // writer, which sets it aside.
    match state
        .backend
        .read(move |unit| detail_of(unit, &id, false))
        .await?
    {
        Some(job) => Ok(job),
        None => state
            .backend
            .write(move |unit| detail_of(unit, &again, true))
            .await?
            .ok_or_else(|| ApiError::internal("an unusable job was not set aside")),
    }
}

/// The detail from the query tables, with the edit history from the document, or with
/// `quarantined` (and no history) when the document is set aside. `None` for an unusable
/// document found on a reader (`writer` false).
fn detail_of(unit: &mut dyn Unit, id: &str, writer: bool) -> Result<Option<ReviewDetail>, Failure> {
    let job = unit
        .review_detail(id)?
        .ok_or_else(|| OfficeError::not_found("no job with that id"))?;
    // The edit history is the one thing not in the query tables: it is read from this one
    // document, never per row of a list or report.
    let (history, set_aside) = match service::load(unit, id)? {
        Loaded::Usable(mut doc, _) => (unit.job_history(&mut doc)?, None),
        Loaded::SetAside(q) => (Vec::new(), Some(q)),
        Loaded::Unusable(reason) if writer => {
            (Vec::new(), Some(service::record(unit, id, &reason)?))
        }
        Loaded::Unusable(_) => return Ok(None),
    };
    Ok(Some(ReviewDetail {
        job,
        history,
        quarantined: set_aside.as_ref().map(SetAside::from),
    }))
}
