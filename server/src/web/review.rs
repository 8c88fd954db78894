//! Review (审核): the queue with the filters of `GET /v1/review/jobs`, a job's page, and
//! the decision (approve, or return with a comment), made by the same edit as
//! `POST /v1/jobs/{id}/review`, so it reaches the technician's device by sync.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use onsite_domain::Role;
use onsite_domain::office::Edit;
use onsite_store::repo::jobs::{ReviewFilter, ReviewRow};

use super::{
    Chrome, Lang, WebError, WebForm, WebUser, bad_form, duration, html, page_params, pct, when,
};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::params::{Params, check_technician};
use crate::routes::review::{REVIEW_STATES, STATUSES, read_detail};

/// A row of the queue, as the page shows it.
pub(crate) struct Row {
    pub id: String,
    pub short: String,
    pub status: String,
    pub review: String,
    pub review_state: String,
    pub technician: String,
    pub customer: String,
    pub model: String,
    pub complaint: bool,
    pub reported: String,
}

impl Row {
    pub(crate) fn of(state: &AppState, lang: Lang, r: ReviewRow) -> Row {
        Row {
            short: short_id(&r.id),
            status: lang.label("status", &r.status),
            review: lang.label("review", &r.review_state),
            review_state: r.review_state,
            technician: r.assignee_name.or(r.assignee).unwrap_or_default(),
            customer: r.customer_name,
            model: r.product_model,
            complaint: r.complaint,
            reported: when(state, r.reported_at),
            id: r.id,
        }
    }
}

/// A choice of a filter's select.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub(crate) fn choices(
    lang: Lang,
    kind: &str,
    values: &[&str],
    current: Option<&str>,
) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: v.to_string(),
            label: lang.label(kind, v),
            selected: current == Some(*v),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "queue.html")]
struct Queue {
    page: Chrome,
    rows: Vec<Row>,
    total: u64,
    statuses: Vec<Choice>,
    review_states: Vec<Choice>,
    technicians: Vec<Choice>,
    complaint_only: bool,
}

/// The technicians, for the filters and the dispatch selects.
pub(crate) async fn technicians(
    state: &AppState,
    current: Option<&str>,
) -> Result<Vec<Choice>, WebError> {
    let accounts = state.backend.read(|unit| unit.accounts()).await?;
    Ok(accounts
        .into_iter()
        .filter(|a| a.role == Role::Technician && !a.disabled)
        .map(|a| Choice {
            selected: current == Some(a.id.as_str()),
            value: a.id,
            label: a.display_name,
        })
        .collect())
}

/// Technicians' names by account id: a report row that names one by id shows the name.
pub(crate) async fn technician_names(
    state: &AppState,
) -> Result<std::collections::HashMap<String, String>, WebError> {
    Ok(technicians(state, None)
        .await?
        .into_iter()
        .map(|c| (c.value, c.label))
        .collect())
}

pub(crate) fn short_id(id: &str) -> String {
    id.chars().take(8).collect()
}

pub async fn queue(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let mut p = page_params(&user, Role::BackOffice, p)?;
    // The queue opens on what waits for a decision.
    let review_state = match p.take("review_state") {
        None => Some("pending".to_string()),
        Some(s) if s == "any" => None,
        Some(s) if REVIEW_STATES.contains(&s.as_str()) => Some(s),
        Some(_) => return Err(bad_form("unknown review state")),
    };
    let filter = ReviewFilter {
        status: p.one_of("status", &STATUSES)?,
        review_state,
        technician: p.take("technician"),
        period: p.period()?,
        complaint: p.bool("complaint")?,
        dap: p.bool("dap")?,
        feedback_category: None,
        customer_tier: p.name("customer_tier")?,
        limit: 200,
        offset: 0,
    };
    p.finish()?;
    let lang = user.lang;
    let shown = filter.clone();
    let (jobs, total) = state
        .backend
        .read(move |unit| {
            check_technician(unit, &filter.technician)?;
            Ok::<_, ApiError>(unit.review_list(&filter)?)
        })
        .await?;
    let rows = jobs.into_iter().map(|r| Row::of(&state, lang, r)).collect();
    let mut review_states = choices(
        lang,
        "review",
        &REVIEW_STATES,
        shown.review_state.as_deref(),
    );
    review_states.insert(
        0,
        Choice {
            value: "any".into(),
            label: lang.t("any").into(),
            selected: shown.review_state.is_none(),
        },
    );
    html(&Queue {
        page: user.chrome(None),
        rows,
        total,
        statuses: choices(lang, "status", &STATUSES, shown.status.as_deref()),
        review_states,
        technicians: technicians(&state, shown.technician.as_deref()).await?,
        complaint_only: shown.complaint == Some(true),
    })
}

pub(crate) struct Event {
    pub what: String,
    pub at: String,
    pub by: String,
    pub received: String,
    pub flags: String,
}

pub(crate) struct ClockRow {
    pub name: &'static str,
    pub measured: String,
    pub target: String,
    pub met: Option<bool>,
}

pub(crate) struct Answer {
    pub item: String,
    pub points: i64,
    pub level: String,
    pub comment: String,
}

pub(crate) struct Form {
    pub respondent: String,
    pub submitted: String,
    pub degree: String,
    pub rate: String,
    pub suggestion: String,
    pub answers: Vec<Answer>,
}

pub(crate) struct Part {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub billable: bool,
}

pub(crate) struct Decision {
    pub decision: String,
    pub comment: String,
    pub at: String,
}

pub(crate) struct Change {
    pub what: String,
    pub at: String,
    pub who: String,
    pub device: String,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    page: Chrome,
    id: String,
    short: String,
    status: String,
    review: String,
    pending: bool,
    open: bool,
    assignee: String,
    customer: onsite_store::repo::jobs::DetailCustomer,
    tier: String,
    product: onsite_store::repo::jobs::DetailProduct,
    complaint: bool,
    dap: bool,
    reported: String,
    completed: String,
    set_aside: Option<String>,
    timeline: Vec<Event>,
    clocks: Vec<ClockRow>,
    parts: Vec<Part>,
    forms: Vec<Form>,
    reviews: Vec<Decision>,
    history: Vec<Change>,
    technicians: Vec<Choice>,
}

pub async fn job(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let detail = read_detail(&state, id).await?;
    let notice = match user.here.split_once('?').map(|(_, q)| q) {
        Some("done=review") => Some("review_done"),
        Some("done=assign") => Some("job_assigned"),
        Some("done=cancel") => Some("job_cancelled"),
        Some("done=create") => Some("job_created"),
        _ => None,
    };
    let lang = user.lang;
    let j = detail.job;
    let targets = state.config.sla_targets;
    let measured = [
        j.clocks_ms.response,
        j.clocks_ms.arrival,
        j.clocks_ms.diagnosis,
        j.clocks_ms.handling,
    ];
    let clocks = targets
        .of_job(&j.customer.site_distance)
        .into_iter()
        .zip(measured)
        .map(|((name, target), measured)| ClockRow {
            name,
            measured: duration(measured),
            target: duration(Some(target)),
            met: measured.map(|m| m <= target),
        })
        .collect();
    let at = |ms: i64| when(&state, ms);
    let page = JobPage {
        page: user.chrome(notice),
        short: short_id(&j.id),
        status: lang.label("status", &j.status),
        review: lang.label("review", &j.review_state),
        pending: j.review_state == "pending",
        open: !matches!(j.status.as_str(), "completed" | "cancelled"),
        assignee: j
            .assignee_name
            .clone()
            .or(j.assignee.clone())
            .unwrap_or_default(),
        tier: lang.label("tier", &j.customer.tier),
        complaint: j.complaint,
        dap: j.dap,
        reported: at(j.reported_at),
        completed: j.completed_at.map(at).unwrap_or_default(),
        set_aside: detail.quarantined.map(|q| q.reason),
        timeline: j
            .timeline
            .iter()
            .map(|e| Event {
                what: lang.label("event", &e.kind),
                at: at(e.at),
                by: e.by_name.clone().unwrap_or_else(|| e.by.clone()),
                received: e.received_at.map(at).unwrap_or_default(),
                flags: e.flags.join(", "),
            })
            .collect(),
        clocks,
        parts: j
            .parts
            .iter()
            .map(|p| Part {
                sku: p.sku.clone(),
                name: p.name.clone(),
                quantity: p.quantity,
                billable: p.billable,
            })
            .collect(),
        forms: j
            .forms
            .iter()
            .map(|f| Form {
                respondent: lang.label("respondent", &f.respondent),
                submitted: f.submitted_at.map(at).unwrap_or_default(),
                degree: pct(f.degree_pct),
                rate: pct(f.rate_pct),
                suggestion: f.suggestion.clone(),
                answers: f
                    .answers
                    .iter()
                    .map(|a| Answer {
                        item: lang.item(&a.item),
                        points: a.points,
                        level: lang.level(a.points),
                        comment: a.comment.clone(),
                    })
                    .collect(),
            })
            .collect(),
        reviews: j
            .reviews
            .iter()
            .map(|r| Decision {
                decision: lang.label("decision", &r.decision),
                comment: r.comment.clone(),
                at: at(r.at),
            })
            .collect(),
        history: detail
            .history
            .iter()
            .map(|h| Change {
                what: h.what.clone().unwrap_or_default(),
                at: at(h.at),
                who: h
                    .user_name
                    .clone()
                    .or_else(|| h.user_id.clone())
                    .unwrap_or_default(),
                device: h.device_id.clone().unwrap_or_default(),
            })
            .collect(),
        technicians: technicians(&state, j.assignee.as_deref()).await?,
        customer: j.customer,
        product: j.product,
        id: j.id,
    };
    html(&page)
}

#[derive(Debug, serde::Deserialize)]
pub struct DecideForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

/// Approves or returns the job: the JSON API's review edit, as this user.
pub async fn decide(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<DecideForm>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let edit = Edit::review(&form.decision, form.comment).map_err(ApiError::from)?;
    let _ = crate::routes::jobs::apply(state, user.auth(), id.clone(), edit).await?;
    Ok(Redirect::to(&format!("/jobs/{id}?done=review")).into_response())
}
