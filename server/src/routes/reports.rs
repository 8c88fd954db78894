//! Reports: satisfaction, service levels, parts. JSON by default, CSV or XLSX on request.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use onsite_domain::Role;
use onsite_domain::service::Targets;
use rusqlite::{Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::{Value, json};

use super::exports::{Format, respond};
use super::json::JsonBody;
use super::params::{Params, check_technician};
use crate::app::AppState;
use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::reports::satisfaction::{self as sat, Filter, Group};
use crate::reports::{check_name, parts, service_levels as sla};

const OFFICE: &[Role] = &[Role::BackOffice];

/// What a technician group is called in a report: the account's display name when it has one.
fn technician_label(conn: &Connection, id: &str) -> Result<String, ApiError> {
    if id.is_empty() {
        return Ok("未分配 unassigned".into());
    }
    let name: Option<String> = conn
        .query_row("SELECT display_name FROM users WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(name.unwrap_or_else(|| id.to_string()))
}

pub async fn satisfaction(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let period = p.required_period()?;
    let group = match p.take("group_by") {
        None => Group::All,
        Some(g) => Group::parse(&g).ok_or_else(|| {
            ApiError::bad_request(
                "group_by must be one of none, technician, customer_tier, product_model, region, month",
            )
        })?,
    };
    let filter = Filter {
        technician: p.take("technician"),
        customer_tier: p.name("customer_tier")?,
        product_model: p.name("product_model")?,
        region: p.name("region")?,
    };
    let trend_months = p.number("trend_months", 12, 1, 60)?;
    let lowest = p.number("lowest", 3, 1, 20)? as usize;
    let export = p
        .one_of("export", &["groups", "items", "trend"])?
        .unwrap_or_else(|| "groups".into());
    let format = Format::take(&mut p)?;
    p.finish()?;
    state
        .db
        .read(move |conn| {
            check_technician(&mut onsite_store_sqlite::backend::SqliteUnit::new(conn), &filter.technician)?;
            let total = sat::totals(conn, &period, &filter)?;
            let previous = period.previous();
            let previous_total = previous
                .map(|prev| sat::totals(conn, &prev, &filter))
                .transpose()?;
            let mut groups = Vec::new();
            for (key, t) in sat::by_group(conn, &period, group, &filter)? {
                let label = if group == Group::Technician {
                    technician_label(conn, &key)?
                } else {
                    key.clone()
                };
                groups.push((key, label, t));
            }
            let items = sat::by_item(conn, &period, &filter)?;
            let trend = period
                .trailing_months(trend_months)
                .into_iter()
                .map(|m| sat::totals(conn, &m, &filter).map(|t| (m, t)))
                .collect::<Result<Vec<_>, _>>()?;
            let overall = total.overall();
            let prev_overall = previous_total.as_ref().and_then(|t| t.overall());
            let all = total.all();
            let prev_all = previous_total.as_ref().and_then(|t| t.all());
            let body = json!({
                "period": period.json(),
                "group_by": group.label(),
                "total": sat::totals_json(&total),
                "groups": groups.iter().map(|(key, label, t)| {
                    let mut v = sat::totals_json(t);
                    v["key"] = json!(key);
                    v["label"] = json!(label);
                    v
                }).collect::<Vec<_>>(),
                "items": items.iter().map(|(i, s)| sat::item_json(i, *s)).collect::<Vec<_>>(),
                "lowest_items": items.iter().take(lowest).map(|(i, s)| sat::item_json(i, *s)).collect::<Vec<_>>(),
                "previous": previous.map(|prev| json!({
                    "period": prev.json(),
                    "total": previous_total.as_ref().map(sat::totals_json),
                    "change_points": {
                        "overall_degree": sat::change(overall.map(|o| o.degree_pct), prev_overall.map(|o| o.degree_pct)),
                        "overall_rate": sat::change(overall.map(|o| o.rate_pct), prev_overall.map(|o| o.rate_pct)),
                        "degree": sat::change(all.map(|s| s.degree_pct), prev_all.map(|s| s.degree_pct)),
                        "rate": sat::change(all.map(|s| s.rate_pct), prev_all.map(|s| s.rate_pct)),
                    },
                })),
                "trend": trend.iter().map(|(m, t)| {
                    let mut v = sat::totals_json(t);
                    v["month"] = json!(m.from.format("%Y-%m").to_string());
                    v
                }).collect::<Vec<_>>(),
            });
            respond(format, "satisfaction", body, || match export.as_str() {
                "items" => sat::items_table(&items),
                "trend" => sat::trend_table(&trend),
                _ => sat::groups_table(group, &groups, &total),
            })
        })
        .await
}

/// The configured targets, with any the request overrides (hours, or minutes for handling).
fn targets(base: Targets, p: &mut Params) -> Result<Targets, ApiError> {
    let hours = |h: f64| (h * 3_600_000.0).round() as i64;
    let mut t = base;
    if let Some(h) = p.positive_f64("response_hours")? {
        t.response_ms = hours(h);
    }
    if let Some(h) = p.positive_f64("arrival_near_hours")? {
        t.arrival_near_ms = hours(h);
    }
    if let Some(h) = p.positive_f64("arrival_far_hours")? {
        t.arrival_far_ms = hours(h);
    }
    if let Some(h) = p.positive_f64("diagnosis_hours")? {
        t.diagnosis_ms = hours(h);
    }
    if let Some(m) = p.positive_f64("handling_minutes")? {
        t.handling_avg_ms = (m * 60_000.0).round() as i64;
    }
    Ok(t)
}

pub async fn service_levels(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let period = p.required_period()?;
    let group = match p.take("group_by") {
        None => sla::Group::All,
        Some(g) => sla::Group::parse(&g).ok_or_else(|| {
            ApiError::bad_request("group_by must be one of none, technician, month")
        })?,
    };
    let technician = p.take("technician");
    let complaint = p.bool("complaint")?;
    let targets = targets(state.config.sla_targets, &mut p)?;
    let format = Format::take(&mut p)?;
    p.finish()?;
    state
        .db
        .read(move |conn| {
            check_technician(
                &mut onsite_store_sqlite::backend::SqliteUnit::new(conn),
                &technician,
            )?;
            let mut rows = Vec::new();
            for (key, levels) in sla::by_group(
                conn,
                &period,
                group,
                technician.as_deref(),
                complaint,
                &targets,
            )? {
                let label = if group == sla::Group::Technician {
                    technician_label(conn, &key)?
                } else {
                    key.clone()
                };
                rows.push((key, label, levels));
            }
            // The whole period, for the total of the time flags above all.
            let total = match group {
                sla::Group::All => rows.first().map(|(_, _, l)| l.clone()),
                _ => sla::by_group(
                    conn,
                    &period,
                    sla::Group::All,
                    technician.as_deref(),
                    complaint,
                    &targets,
                )?
                .into_iter()
                .next()
                .map(|(_, l)| l),
            }
            .unwrap_or_default();
            let body = json!({
                "period": period.json(),
                "targets": sla::targets_json(&targets),
                "total": sla::levels_json(&total, &targets),
                "groups": rows.iter().map(|(key, label, l)| {
                    let mut v = sla::levels_json(l, &targets);
                    v["key"] = json!(key);
                    v["label"] = json!(label);
                    v
                }).collect::<Vec<_>>(),
            });
            respond(format, "service-levels", body, || {
                sla::table(group, &rows, &targets)
            })
        })
        .await
}

pub async fn parts_report(
    State(state): State<AppState>,
    user: AuthUser,
    mut p: Params,
) -> Result<Response, ApiError> {
    user.require(OFFICE)?;
    let period = p.required_period()?;
    let model = p.name("product_model")?;
    let sku = p.name("sku")?;
    let export = p
        .one_of("export", &["consumption", "remaining"])?
        .unwrap_or_else(|| "consumption".into());
    let format = Format::take(&mut p)?;
    p.finish()?;
    state
        .db
        .read(move |conn| {
            let used = parts::consumption(conn, &period, model.as_deref(), sku.as_deref())?;
            let left = parts::remaining(conn, &period, model.as_deref(), sku.as_deref())?;
            let body = json!({
                "period": period.json(),
                "consumption": used.iter().map(parts::consumption_json).collect::<Vec<_>>(),
                "remaining": left.iter().map(parts::remaining_json).collect::<Vec<_>>(),
            });
            respond(format, "parts", body, || match export.as_str() {
                "remaining" => parts::remaining_table(&left),
                _ => parts::consumption_table(&used),
            })
        })
        .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    sku: String,
    product_model: String,
    quantity: i64,
    /// The day the batch was bought (a production stage's purchase).
    bought_on: String,
}

pub async fn add_batch(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(req): JsonBody<BatchRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    user.require(OFFICE)?;
    check_name(&req.sku, "sku").map_err(ApiError::bad_request)?;
    check_name(&req.product_model, "product_model").map_err(ApiError::bad_request)?;
    if !(1..=10_000_000).contains(&req.quantity) {
        return Err(ApiError::bad_request(
            "quantity must be a whole number from 1 to 10000000",
        ));
    }
    if req.bought_on.len() != 10
        || chrono::NaiveDate::parse_from_str(&req.bought_on, "%Y-%m-%d").is_err()
    {
        return Err(ApiError::bad_request(
            "bought_on must be a date like 2026-11-30",
        ));
    }
    let now = chrono::Utc::now().timestamp_millis();
    state
        .db
        .write(move |conn| {
            conn.execute(
                "INSERT INTO parts_batches (sku, product_model, quantity, bought_on, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![req.sku, req.product_model, req.quantity, req.bought_on, now],
            )?;
            let id = conn.last_insert_rowid();
            Ok((
                StatusCode::CREATED,
                Json(json!({
                    "id": id,
                    "sku": req.sku,
                    "product_model": req.product_model,
                    "quantity": req.quantity,
                    "bought_on": req.bought_on,
                })),
            ))
        })
        .await
}
