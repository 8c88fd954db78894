//! Parts (配件): consumption per part and model, the remaining coefficient (剩余系数) of
//! each batch bought, and the technicians' van stock with negative balances flagged — the
//! reports of `GET /v1/reports/parts` and `GET /v1/stock`, each table as CSV or XLSX.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use onsite_domain::Role;

use super::{Chrome, WebError, WebUser, html, page_params};
use crate::app::AppState;
use crate::error::ApiError;
use crate::routes::exports::respond;
use crate::routes::params::Params;
use crate::routes::reports::{parts_answer, parts_of};
use crate::routes::stock::balances;

pub(crate) struct Used {
    pub sku: String,
    pub name: String,
    pub model: String,
    pub quantity: i64,
    pub billable: i64,
    pub warranty: i64,
    pub cost: String,
}

pub(crate) struct Left {
    pub sku: String,
    pub model: String,
    pub bought: i64,
    pub used: i64,
    pub left: i64,
    pub coefficient: String,
}

#[derive(Template)]
#[template(path = "parts.html")]
struct Page {
    page: Chrome,
    month: String,
    period: String,
    used: Vec<Used>,
    left: Vec<Left>,
    stock: Vec<onsite_store::repo::reference::Balance>,
    negative: usize,
    query: String,
}

/// The parameters of the parts report: the month picked, or this month.
fn period(
    state: &AppState,
    user: &WebUser,
    p: Result<Params, ApiError>,
) -> Result<Params, WebError> {
    let mut p = page_params(user, Role::BackOffice, p)?;
    if ["month", "from", "to"].iter().all(|k| p.get(k).is_none()) {
        let month = chrono::Utc::now()
            .with_timezone(&state.config.timezone)
            .format("%Y-%m")
            .to_string();
        p.or_insert("month", &month);
    }
    Ok(p)
}

pub async fn page(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let p = period(&state, &user, p)?;
    let month = p.get("month").unwrap_or_default().to_string();
    let query = p.query_string();
    let (report, _, _) = parts_of(&state, p).await?;
    let (lines, _) = balances(&state, Params::empty(state.config.timezone)).await?;
    let money = |cents: i64| format!("{:.2}", cents as f64 / 100.0);
    html(&Page {
        page: user.chrome(None),
        month,
        period: format!("{} – {}", report.period.from, report.period.to),
        used: report
            .consumption
            .iter()
            .map(|c| Used {
                sku: c.sku.clone(),
                name: c.name.clone(),
                model: c.product_model.clone(),
                quantity: c.quantity,
                billable: c.billable_quantity,
                warranty: c.warranty_quantity,
                cost: money(c.cost_cents),
            })
            .collect(),
        left: report
            .remaining
            .iter()
            .map(|r| Left {
                sku: r.sku.clone(),
                model: r.product_model.clone(),
                bought: r.bought,
                used: r.used,
                left: r.left,
                coefficient: r
                    .remaining_coefficient
                    .map_or_else(|| "—".into(), |c| format!("{c:.2}")),
            })
            .collect(),
        negative: lines.iter().filter(|l| l.negative).count(),
        stock: lines,
        query,
    })
}

/// A table of the parts page as a file: `export=consumption|remaining` with the period,
/// or `export=stock`; `format=csv|xlsx`.
pub async fn export(
    State(state): State<AppState>,
    user: WebUser,
    p: Result<Params, ApiError>,
) -> Result<Response, WebError> {
    let mut p = page_params(&user, Role::BackOffice, p)?;
    if p.get("export") == Some("stock") {
        p.take("export");
        let (lines, format) = balances(&state, p).await?;
        super::reports::downloadable(format)?;
        return Ok(respond(
            format,
            "van-stock",
            serde_json::Value::Null,
            || onsite_store::repo::reference::stock_table(&lines),
        )?);
    }
    let p = period(&state, &user, Ok(p))?;
    let (report, export, format) = parts_of(&state, p).await?;
    super::reports::downloadable(format)?;
    Ok(parts_answer(format, &report, &export)?)
}
