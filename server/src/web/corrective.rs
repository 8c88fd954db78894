//! Corrective actions (纠正措施): the actions not yet verified, overdue first, each with its
//! owner, department, due date, status and verification editable — the list and update of
//! `/v1/corrective-actions`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use onsite_domain::Role;
use onsite_store::report::corrective::{Filter, STATUSES};

use super::review::{Choice, choices, short_id, technician_names};
use super::{Chrome, WebError, WebForm, WebUser, html, page_params};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::corrective::{UpdateRequest, update_action};
use crate::routes::params::Params;

/// Actions the page shows at most.
const SHOWN: u32 = 500;

pub(crate) struct Action {
    pub id: i64,
    pub job: String,
    pub job_short: String,
    pub customer: String,
    pub technician: String,
    pub item: String,
    pub level: String,
    pub owner: String,
    pub department: String,
    pub due_date: String,
    pub overdue: bool,
    pub statuses: Vec<Choice>,
    pub verification: String,
}

#[derive(Template)]
#[template(path = "corrective.html")]
struct Page {
    page: Chrome,
    actions: Vec<Action>,
    all: bool,
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let mut p = page_params(&user, Role::BackOffice, p)?;
    let all = p.bool("all")?.unwrap_or(false);
    p.finish()?;
    let filter = Filter {
        status: None,
        department: None,
        job: None,
        overdue_on: None,
        period: None,
        limit: SHOWN,
        offset: 0,
    };
    let (rows, _) = state
        .backend
        .read(move |unit| unit.corrective_actions(&filter))
        .await?;
    let today = chrono::Utc::now()
        .with_timezone(&state.config.timezone)
        .format("%Y-%m-%d")
        .to_string();
    let lang = user.lang;
    let names = technician_names(&state).await?;
    let mut actions: Vec<Action> = rows
        .into_iter()
        .filter(|a| all || a.status != "verified")
        .map(|a| Action {
            overdue: a.status != "verified" && !a.due_date.is_empty() && a.due_date < today,
            job_short: short_id(&a.job_id),
            item: lang.item(&a.item),
            level: lang.level(a.points),
            statuses: choices(lang, "action", &STATUSES, Some(a.status.as_str())),
            id: a.id,
            job: a.job_id,
            customer: a.customer_name,
            technician: a
                .technician
                .map(|t| names.get(&t).cloned().unwrap_or(t))
                .unwrap_or_default(),
            owner: a.owner,
            department: a.department,
            due_date: a.due_date,
            verification: a.verification,
        })
        .collect();
    // Overdue first, then by due date.
    actions.sort_by(|a, b| (!a.overdue, &a.due_date, a.id).cmp(&(!b.overdue, &b.due_date, b.id)));
    html(&Page {
        page: user.chrome(match user.here.split_once('?').map(|(_, q)| q) {
            Some("done=saved") => Some("action_saved"),
            _ => None,
        }),
        actions,
        all,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    owner: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    due_date: String,
    status: String,
    #[serde(default)]
    verification: String,
}

pub async fn update(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<ActionForm>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let f = form;
    let given = |s: String| {
        let s = s.trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    let change = UpdateRequest {
        owner: Some(f.owner),
        department: given(f.department),
        due_date: given(f.due_date),
        status: Some(f.status),
        verification: Some(f.verification),
    };
    update_action(&state, &id, change).await?;
    Ok(Redirect::to("/corrective?done=saved").into_response())
}
