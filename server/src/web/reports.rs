//! Satisfaction (满意度) and service levels: the period picker, the figures, the groupings,
//! and every table as CSV or XLSX — the same reports and the same export code as
//! `GET /v1/reports/satisfaction` and `/v1/reports/service-levels`.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use onsite_domain::Role;
use onsite_store::report::satisfaction::{ItemFigures, SideFigures, TotalsFigures};
use onsite_store::report::service_levels::{LevelFigures, MetFigures};

use super::{Chrome, Lang, WebError, WebUser, html, page_params, pct};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::exports::{Format, respond_with};
use crate::routes::params::Params;
use crate::routes::reports::{satisfaction_answer, satisfaction_report, service_levels_report};

/// The period picker's values, and the report's parameters without `lang`; the current
/// month of the company's zone when none is given.
struct Picked {
    params: Params,
    query: String,
    picker: Picker,
}

/// What the period picker shows (templates/period.html).
pub(crate) struct Picker {
    pub month: String,
    pub from: String,
    pub to: String,
    pub groupings: Vec<(&'static str, String, bool)>,
}

fn pick(
    state: &AppState,
    user: &WebUser,
    p: Result<Params, ApiError>,
    groups: &[&'static str],
) -> Result<Picked, WebError> {
    let mut params = page_params(user, Role::BackOffice, p)?;
    if ["month", "from", "to"]
        .iter()
        .all(|k| params.get(k).is_none())
    {
        let month = chrono::Utc::now()
            .with_timezone(&state.config.timezone)
            .format("%Y-%m")
            .to_string();
        params.or_insert("month", &month);
    }
    let value = |k: &str| params.get(k).unwrap_or_default().to_string();
    let group_by = value("group_by");
    Ok(Picked {
        picker: Picker {
            month: value("month"),
            from: value("from"),
            to: value("to"),
            groupings: groupings(user.lang, &group_by, groups),
        },
        query: params.query_string(),
        params,
    })
}

/// A download is a file: CSV or XLSX.
pub(crate) fn downloadable(format: Format) -> Result<(), WebError> {
    match format {
        Format::Json => Err(super::bad_form("format must be csv or xlsx")),
        Format::Csv | Format::Xlsx => Ok(()),
    }
}

/// One line of the figures: self-assessment, survey, all, overall.
pub(crate) struct Line {
    pub key: &'static str,
    pub answered: String,
    pub degree: String,
    pub rate: String,
}

fn side(key: &'static str, s: &SideFigures) -> Line {
    Line {
        key,
        answered: s.answered.to_string(),
        degree: pct(s.degree_pct),
        rate: pct(s.rate_pct),
    }
}

fn lines(t: &TotalsFigures) -> Vec<Line> {
    vec![
        side("self_assessment", &t.self_assessment),
        side("survey", &t.survey),
        side("all", &t.all),
        Line {
            key: "overall",
            answered: String::new(),
            degree: pct(t.overall.as_ref().map(|o| o.degree_pct)),
            rate: pct(t.overall.as_ref().map(|o| o.rate_pct)),
        },
    ]
}

pub(crate) struct GroupRow {
    pub label: String,
    pub survey: String,
    pub self_degree: String,
    pub degree: String,
    pub rate: String,
    pub overall_degree: String,
    pub overall_rate: String,
}

/// A month of the trend: the survey's and the overall figures, with the survey degree as
/// a bar (`<progress>`: no inline style, which the CSP refuses).
pub(crate) struct TrendRow {
    pub month: String,
    pub answered: u64,
    pub degree: String,
    pub rate: String,
    pub overall_degree: String,
    pub bar: String,
}

pub(crate) struct ItemRow {
    pub label: String,
    pub answered: u64,
    pub degree: String,
    pub rate: String,
}

impl ItemRow {
    /// An item's figures, labelled in the page's language.
    pub(crate) fn of(lang: Lang, i: &ItemFigures) -> ItemRow {
        ItemRow {
            label: match lang {
                Lang::Zh => i.label_zh.clone(),
                Lang::En => i.label_en.clone(),
            }
            .unwrap_or_else(|| lang.item(&i.item)),
            answered: i.answered,
            degree: pct(i.degree_pct),
            rate: pct(i.rate_pct),
        }
    }
}

#[derive(Template)]
#[template(path = "satisfaction.html")]
struct Satisfaction {
    page: Chrome,
    picker: Picker,
    period: String,
    total: Vec<Line>,
    groups: Vec<GroupRow>,
    trend: Vec<TrendRow>,
    items: Vec<ItemRow>,
    lowest: Vec<ItemRow>,
    previous: Option<(String, String, String)>,
    query: String,
}

fn groupings(lang: Lang, current: &str, all: &[&'static str]) -> Vec<(&'static str, String, bool)> {
    all.iter()
        .map(|g| (*g, lang.label("group", g), *g == current))
        .collect()
}

fn change(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:+.1}"))
}

const SATISFACTION_GROUPS: [&str; 6] = [
    "none",
    "technician",
    "customer_tier",
    "product_model",
    "region",
    "month",
];
const LEVEL_GROUPS: [&str; 3] = ["none", "technician", "month"];

pub async fn satisfaction(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let picked = pick(&state, &user, p, &SATISFACTION_GROUPS)?;
    let (report, _, _) = satisfaction_report(&state, picked.params).await?;
    let lang = user.lang;
    let item = |i: &ItemFigures| ItemRow::of(lang, i);
    let page = Satisfaction {
        page: user.chrome(None),
        picker: picked.picker,
        period: format!("{} – {}", report.period.from, report.period.to),
        total: lines(&report.total),
        groups: report
            .groups
            .iter()
            .map(|g| GroupRow {
                label: g.label.clone(),
                survey: g.figures.survey.answered.to_string(),
                self_degree: pct(g.figures.self_assessment.degree_pct),
                degree: pct(g.figures.survey.degree_pct),
                rate: pct(g.figures.survey.rate_pct),
                overall_degree: pct(g.figures.overall.as_ref().map(|o| o.degree_pct)),
                overall_rate: pct(g.figures.overall.as_ref().map(|o| o.rate_pct)),
            })
            .collect(),
        trend: report
            .trend
            .iter()
            .map(|m| TrendRow {
                month: m.month.clone(),
                answered: m.figures.survey.answered,
                degree: pct(m.figures.survey.degree_pct),
                rate: pct(m.figures.survey.rate_pct),
                overall_degree: pct(m.figures.overall.as_ref().map(|o| o.degree_pct)),
                bar: format!("{:.1}", m.figures.survey.degree_pct.unwrap_or(0.0)),
            })
            .collect(),
        items: report.items.iter().map(item).collect(),
        lowest: report.lowest_items.iter().map(item).collect(),
        previous: report.previous.as_ref().map(|p| {
            (
                format!("{} – {}", p.period.from, p.period.to),
                change(p.change_points.overall_degree),
                change(p.change_points.overall_rate),
            )
        }),
        query: picked.query,
    };
    html(&page)
}

/// A table of the satisfaction page as CSV or XLSX (`export=groups|items|trend`,
/// `format=csv|xlsx`).
pub async fn satisfaction_export(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let picked = pick(&state, &user, p, &SATISFACTION_GROUPS)?;
    let (report, export, format) = satisfaction_report(&state, picked.params).await?;
    downloadable(format)?;
    Ok(satisfaction_answer(format, &report, &export)?)
}

pub(crate) struct LevelRow {
    pub label: String,
    pub jobs: u64,
    pub response: String,
    pub arrival: String,
    pub diagnosis: String,
    pub handling: String,
    pub handling_avg: String,
}

fn met(m: &MetFigures) -> String {
    format!("{} ({}/{})", pct(m.share_pct), m.met, m.measured)
}

fn level_row(label: String, f: &LevelFigures) -> LevelRow {
    LevelRow {
        label,
        jobs: f.jobs,
        response: met(&f.response),
        arrival: met(&f.arrival),
        diagnosis: met(&f.diagnosis),
        handling: format!(
            "{} ({}/{})",
            pct(f.handling.share_pct),
            f.handling.met,
            f.handling.measured
        ),
        handling_avg: f
            .handling
            .average_minutes
            .map_or_else(|| "—".into(), |m| format!("{m:.0} min")),
    }
}

#[derive(Template)]
#[template(path = "service_levels.html")]
struct ServiceLevels {
    page: Chrome,
    picker: Picker,
    period: String,
    targets: String,
    rows: Vec<LevelRow>,
    query: String,
}

pub async fn service_levels(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let picked = pick(&state, &user, p, &LEVEL_GROUPS)?;
    let (report, _) = service_levels_report(&state, picked.params).await?;
    let lang = user.lang;
    let t = &report.targets;
    let mut rows = vec![level_row(lang.t("all").into(), &report.total)];
    rows.extend(
        report
            .groups
            .iter()
            .map(|g| level_row(g.label.clone(), &g.figures)),
    );
    html(&ServiceLevels {
        page: user.chrome(None),
        picker: picked.picker,
        period: format!("{} – {}", report.period.from, report.period.to),
        targets: format!(
            "{} ≤ {} h · {} ≤ {} / {} h · {} ≤ {} h · {} ≤ {} min",
            lang.t("clock.response"),
            t.response_hours,
            lang.t("clock.arrival"),
            t.arrival_near_hours,
            t.arrival_far_hours,
            lang.t("clock.diagnosis"),
            t.diagnosis_hours,
            lang.t("clock.handling"),
            t.handling_average_minutes
        ),
        rows,
        query: picked.query,
    })
}

pub async fn service_levels_export(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let picked = pick(&state, &user, p, &LEVEL_GROUPS)?;
    let (report, format) = service_levels_report(&state, picked.params).await?;
    downloadable(format)?;
    Ok(respond_with(format, "service-levels", &report, || {
        report.table()
    })?)
}
