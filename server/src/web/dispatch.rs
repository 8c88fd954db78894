//! Dispatch (派工): the board by technician and by status, a new job from a phone call or
//! complaint (with the customer found in the registry or entered), assigning and
//! cancelling — the same operations as `POST /v1/jobs`, `/assign` and `/cancel`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use onsite_domain::Role;
use onsite_domain::office::{CreateJob, CustomerInput, Edit, ProductInput};
use onsite_store::repo::jobs::ReviewFilter;
use onsite_store::repo::reference::CustomerFilter;

use super::review::{Choice, Row, technicians};
use super::{Chrome, WebError, WebForm, WebUser, html, page_params};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::params::Params;
use crate::routes::review::STATUSES;

/// Jobs the board shows at most (the newest reported).
const BOARD_JOBS: u32 = 500;

pub(crate) struct Column {
    pub title: String,
    pub rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct Board {
    page: Chrome,
    by_status: bool,
    columns: Vec<Column>,
}

/// Whether the board still shows a job: not cancelled, not approved.
fn on_board(status: &str, review_state: &str) -> bool {
    status != "cancelled" && review_state != "approved"
}

pub async fn board(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let mut p = page_params(&user, Role::BackOffice, p)?;
    let by_status = p.one_of("view", &["technician", "status"])?.as_deref() == Some("status");
    p.finish()?;
    let filter = ReviewFilter {
        limit: BOARD_JOBS,
        ..ReviewFilter::default()
    };
    let (jobs, _) = state
        .backend
        .read(move |unit| unit.review_list(&filter))
        .await?;
    let lang = user.lang;
    let rows: Vec<(String, Row)> = jobs
        .into_iter()
        .filter(|r| on_board(&r.status, &r.review_state))
        .map(|r| (r.status.clone(), Row::of(&state, lang, r)))
        .collect();
    let mut columns: Vec<Column> = Vec::new();
    if by_status {
        for s in STATUSES.iter().filter(|s| **s != "cancelled") {
            columns.push(Column {
                title: lang.label("status", s),
                rows: Vec::new(),
            });
        }
        for (status, row) in rows {
            if let Some(i) = STATUSES.iter().position(|s| *s == status)
                && let Some(column) = columns.get_mut(i)
            {
                column.rows.push(row);
            }
        }
    } else {
        columns.push(Column {
            title: lang.t("unassigned").into(),
            rows: Vec::new(),
        });
        for t in technicians(&state, None).await? {
            columns.push(Column {
                title: t.label,
                rows: Vec::new(),
            });
        }
        for (_, row) in rows {
            let i = if row.technician.is_empty() {
                Some(0)
            } else {
                columns.iter().position(|c| c.title == row.technician)
            };
            match i {
                Some(i) => columns[i].rows.push(row),
                None => columns.push(Column {
                    title: row.technician.clone(),
                    rows: vec![row],
                }),
            }
        }
    }
    html(&Board {
        page: user.chrome(None),
        by_status,
        columns,
    })
}

pub(crate) struct Found {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub region: String,
}

#[derive(Template)]
#[template(path = "new_job.html")]
struct NewJob {
    page: Chrome,
    q: String,
    found: Vec<Found>,
    technicians: Vec<Choice>,
}

/// The new-job form; `?q=` searches the customer registry (name or phone).
pub async fn new_job(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let mut p = page_params(&user, Role::BackOffice, p)?;
    let q = p.take("q");
    p.finish()?;
    let found = match q.clone() {
        None => Vec::new(),
        Some(text) => {
            let filter = CustomerFilter {
                text: Some(text),
                limit: 20,
                ..CustomerFilter::default()
            };
            state
                .backend
                .read(move |unit| unit.customers(&filter))
                .await?
                .rows
                .into_iter()
                .map(|c| Found {
                    id: c.id,
                    name: c.name,
                    phone: c.phone,
                    region: c.region,
                })
                .collect()
        }
    };
    html(&NewJob {
        page: user.chrome(None),
        q: q.unwrap_or_default(),
        found,
        technicians: technicians(&state, None).await?,
    })
}

#[derive(Debug, serde::Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    customer_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    site_distance: String,
    model: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    purchase_date: String,
    fault: String,
    #[serde(default)]
    complaint: Option<String>,
    #[serde(default)]
    assignee: String,
}

fn given(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

impl CreateForm {
    /// The request `POST /v1/jobs` takes.
    fn request(self) -> CreateJob {
        let customer_id = given(self.customer_id);
        let customer = match customer_id {
            Some(_) => None,
            None => Some(CustomerInput {
                id: String::new(),
                name: self.name.trim().to_string(),
                phone: self.phone.trim().to_string(),
                address: self.address.trim().to_string(),
                tier: given(self.tier).unwrap_or_else(|| "general".into()),
                region: self.region.trim().to_string(),
                site_distance: given(self.site_distance).unwrap_or_else(|| "near".into()),
            }),
        };
        CreateJob {
            customer,
            customer_id,
            product: Some(ProductInput {
                model: self.model.trim().to_string(),
                serial: self.serial.trim().to_string(),
                purchase_date: given(self.purchase_date),
            }),
            product_id: None,
            fault: self.fault.trim().to_string(),
            complaint: self.complaint.is_some(),
            assignee: given(self.assignee),
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: WebUser,
    WebForm(form): WebForm<CreateForm>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let view = crate::routes::jobs::create_job(&state, user.auth(), form.request()).await?;
    Ok(Redirect::to(&format!("/jobs/{}?done=create", view.id)).into_response())
}

#[derive(Debug, serde::Deserialize)]
pub struct AssignForm {
    assignee: String,
}

pub async fn assign(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    WebForm(form): WebForm<AssignForm>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let edit = Edit::Assign {
        assignee: form.assignee,
    };
    let _ = crate::routes::jobs::apply(state, user.auth(), id.clone(), edit).await?;
    Ok(Redirect::to(&format!("/jobs/{id}?done=assign")).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let _ = crate::routes::jobs::apply(state, user.auth(), id.clone(), Edit::Cancel).await?;
    Ok(Redirect::to(&format!("/jobs/{id}?done=cancel")).into_response())
}
