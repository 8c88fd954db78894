//! Routine surveys (例行调查): the rounds (key customers quarterly, general ones
//! semi-annually) with their returned forms and validity (at least 100), and a round's
//! report with the comparison against each competitor that has at least 10 forms — the
//! reports of `GET /v1/surveys/routine` and `/v1/surveys/routine/{id}`.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use onsite_domain::Role;

use super::reports::ItemRow;
use super::{Chrome, WebError, WebUser, html, page_params, pct};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::params::Params;
use crate::routes::routine_surveys::{survey_list, survey_report};

pub(crate) struct Round {
    pub id: String,
    pub title: String,
    pub tier: String,
    pub round: String,
    pub months: String,
    pub forms: u64,
    pub valid: bool,
    pub degree: String,
    pub rate: String,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct List {
    page: Chrome,
    rounds: Vec<Round>,
}

pub async fn list(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let p = page_params(&user, Role::BackOffice, p)?;
    let (list, _) = survey_list(&state, p).await?;
    let lang = user.lang;
    html(&List {
        page: user.chrome(None),
        rounds: list
            .surveys
            .into_iter()
            .map(|s| Round {
                tier: lang.label("tier", &s.survey.tier),
                round: s.survey.round,
                months: format!("{} – {}", s.survey.months.from, s.survey.months.to),
                title: s.survey.title,
                id: s.survey.id,
                forms: s.returned_forms,
                valid: s.valid,
                degree: pct(s.ours.degree_pct),
                rate: pct(s.ours.rate_pct),
            })
            .collect(),
    })
}

pub(crate) struct Competitor {
    pub name: String,
    pub forms: u64,
    pub comparable: bool,
    pub degree: String,
    pub rate: String,
    pub degree_gap: String,
    pub rate_gap: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct Report {
    page: Chrome,
    id: String,
    title: String,
    round: String,
    forms: u64,
    min_forms: u64,
    valid: bool,
    validity: String,
    degree: String,
    rate: String,
    items: Vec<ItemRow>,
    competitors: Vec<Competitor>,
}

fn gap(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:+.1}"))
}

pub async fn report(
    State(state): State<AppState>,
    user: WebUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    user.require(Role::BackOffice)?;
    let r = survey_report(&state, id).await?;
    let lang = user.lang;
    html(&Report {
        page: user.chrome(None),
        id: r.survey.id,
        title: r.survey.title,
        round: r.survey.round,
        forms: r.returned_forms,
        min_forms: r.min_forms,
        valid: r.valid,
        validity: r.validity,
        degree: pct(r.ours.degree_pct),
        rate: pct(r.ours.rate_pct),
        items: r.items.iter().map(|i| ItemRow::of(lang, i)).collect(),
        competitors: r
            .competitors
            .into_iter()
            .map(|c| Competitor {
                name: c.competitor,
                forms: c.forms,
                comparable: c.comparable,
                degree: pct(c.degree_pct),
                rate: pct(c.rate_pct),
                degree_gap: gap(c.degree_gap_pts),
                rate_gap: gap(c.rate_gap_pts),
                note: c.note.unwrap_or_default(),
            })
            .collect(),
    })
}
