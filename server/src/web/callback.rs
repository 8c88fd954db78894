//! The callback survey (回访): the month's sample as a worklist, and the form on which the
//! caller records what each customer said — `GET /v1/surveys/callback-sample` and
//! `POST /v1/jobs/{id}/callback`.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use onsite_domain::Role;
use onsite_domain::forms::{DEFAULT_TEMPLATE_ITEMS, Level};

use super::review::{short_id, technician_names};
use super::{Chrome, WebError, WebUser, html, page_params, when};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::params::Params;
use crate::routes::surveys::{CallbackRequest, callback_sample, record_callback};

pub(crate) struct Call {
    pub job: String,
    pub job_short: String,
    pub customer: String,
    pub phone: String,
    pub tier: String,
    pub model: String,
    pub technician: String,
    pub completed: String,
    pub called: bool,
}

#[derive(Template)]
#[template(path = "callback.html")]
struct Worklist {
    page: Chrome,
    month: String,
    calls: Vec<Call>,
    left: usize,
}

pub async fn worklist(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let mut p = page_params(&user, Role::BackOffice, p)?;
    let month = match p.get("month") {
        Some(m) => m.to_string(),
        None => chrono::Utc::now()
            .with_timezone(&state.config.timezone)
            .format("%Y-%m")
            .to_string(),
    };
    p.or_insert("month", &month);
    let (sample, _) = callback_sample(&state, p).await?;
    let lang = user.lang;
    let names = technician_names(&state).await?;
    let calls: Vec<Call> = sample
        .sample
        .into_iter()
        .map(|c| Call {
            job_short: short_id(&c.job_id),
            job: c.job_id,
            customer: c.customer_name,
            phone: c.customer_phone,
            tier: lang.label("tier", &c.customer_tier),
            model: c.product_model,
            technician: c
                .technician
                .map(|t| names.get(&t).cloned().unwrap_or(t))
                .unwrap_or_default(),
            completed: c.completed_at.map(|t| when(&state, t)).unwrap_or_default(),
            called: c.called,
        })
        .collect();
    html(&Worklist {
        page: user.chrome(match user.here.ends_with("done=recorded") {
            true => Some("callback_recorded"),
            false => None,
        }),
        left: calls.iter().filter(|c| !c.called).count(),
        month: sample.month,
        calls,
    })
}

pub(crate) struct Item {
    pub id: &'static str,
    pub label: String,
}

#[derive(Template)]
#[template(path = "callback_form.html")]
struct CallForm {
    page: Chrome,
    job: String,
    job_short: String,
    items: Vec<Item>,
    levels: Vec<(i64, String)>,
}

pub async fn form(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    // The job must exist (and be readable) before anyone phones about it.
    let detail = crate::routes::review::read_detail(&state, id).await?;
    let lang = user.lang;
    html(&CallForm {
        page: user.chrome(None),
        job_short: short_id(&detail.job.id),
        job: detail.job.id,
        items: DEFAULT_TEMPLATE_ITEMS
            .iter()
            .map(|i| Item {
                id: i.id,
                label: lang.item(i.id),
            })
            .collect(),
        levels: Level::ALL
            .iter()
            .map(|l| (l.points(), lang.level(l.points())))
            .collect(),
    })
}

/// Records the answers given: `answer.ITEM` = points (unanswered items left out),
/// `comment.ITEM`, `suggestion`.
pub async fn record(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
    super::WebForm(fields): super::WebForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let mut answers = BTreeMap::new();
    let mut comments = BTreeMap::new();
    let mut suggestion = String::new();
    for (key, value) in fields {
        if let Some(item) = key.strip_prefix("answer.") {
            if value.is_empty() {
                continue;
            }
            let points = value
                .parse()
                .map_err(|_| super::bad_form(format!("{item}: points are a number")))?;
            answers.insert(item.to_string(), points);
        } else if let Some(item) = key.strip_prefix("comment.") {
            if !value.trim().is_empty() {
                comments.insert(item.to_string(), value.trim().to_string());
            }
        } else if key == "suggestion" {
            suggestion = value.trim().to_string();
        }
    }
    // A comment on an item left unanswered is dropped, not refused: the caller filled in
    // a field beside a question the customer did not answer.
    comments.retain(|item, _| answers.contains_key(item));
    let request = CallbackRequest {
        answers,
        comments,
        suggestion,
    };
    let _ = record_callback(state, user.auth(), id, request).await?;
    Ok(Redirect::to("/callback?done=recorded").into_response())
}
