//! Corrective actions (纠正措施): opened by the projection for every dissatisfied answer,
//! listed and worked by the back office.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::{Cell, Period, Table};

pub const STATUSES: [&str; 4] = ["open", "in_progress", "done", "verified"];

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub department: Option<String>,
    pub job: Option<String>,
    /// Only the ones past their due date and not yet verified, as of `today`.
    pub overdue_on: Option<String>,
    /// On the day the action was opened (the form's submission).
    pub period: Option<Period>,
    pub limit: u32,
    pub offset: u32,
}

const SELECT: &str = "
    SELECT c.id, c.doc_id, c.form_id, c.item_id, c.points, c.owner, c.department, c.due_date,
           c.status, c.verification, c.created_at, c.updated_at, j.assignee, j.customer_name,
           j.product_model
      FROM corrective_actions c JOIN jobs j ON j.doc_id = c.doc_id";

fn row_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    let item: String = r.get(3)?;
    let labels = onsite_domain::forms::item_labels(&item);
    let points: i64 = r.get(4)?;
    Ok(json!({
        "id": r.get::<_, i64>(0)?,
        "job_id": r.get::<_, String>(1)?,
        "form_id": r.get::<_, String>(2)?,
        "item": item,
        "item_label_zh": labels.map(|l| l.label_zh),
        "item_label_en": labels.map(|l| l.label_en),
        "points": points,
        "level_zh": onsite_domain::forms::Level::from_points(points).map(|l| l.label_zh()),
        "owner": r.get::<_, String>(5)?,
        "department": r.get::<_, String>(6)?,
        "due_date": r.get::<_, String>(7)?,
        "status": r.get::<_, String>(8)?,
        "verification": r.get::<_, String>(9)?,
        "created_at": r.get::<_, i64>(10)?,
        "updated_at": r.get::<_, i64>(11)?,
        "technician": r.get::<_, Option<String>>(12)?,
        "customer_name": r.get::<_, String>(13)?,
        "product_model": r.get::<_, String>(14)?,
    }))
}

pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Value>, u64)> {
    let where_ = "
     WHERE (?1 IS NULL OR c.status = ?1) AND (?2 IS NULL OR c.department = ?2)
       AND (?3 IS NULL OR c.doc_id = ?3)
       AND (?4 IS NULL OR (c.due_date < ?4 AND c.status <> 'verified'))
       AND (?5 IS NULL OR c.created_at >= ?5) AND (?6 IS NULL OR c.created_at < ?6)";
    let from = f.period.map(|p| p.start_ms());
    let to = f.period.map(|p| p.end_ms());
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM corrective_actions c {where_}"),
        params![f.status, f.department, f.job, f.overdue_on, from, to],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "{SELECT} {where_} ORDER BY c.due_date, c.id LIMIT ?7 OFFSET ?8"
    ))?;
    let rows = stmt
        .query_map(
            params![
                f.status,
                f.department,
                f.job,
                f.overdue_on,
                from,
                to,
                f.limit,
                f.offset
            ],
            row_json,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Value>> {
    conn.query_row(&format!("{SELECT} WHERE c.id = ?1"), [id], row_json)
        .optional()
}

/// A validated change to one action; `None` fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub owner: Option<String>,
    pub department: Option<String>,
    pub due_date: Option<String>,
    pub status: Option<String>,
    pub verification: Option<String>,
}

/// Applies `u`; `Ok(None)` when no such action exists, `Err(message)` for a change the
/// rules refuse (verified without a verification).
pub fn update(
    conn: &Connection,
    id: i64,
    u: &Update,
    now_ms: i64,
) -> Result<Option<Value>, UpdateError> {
    let Some(current) = get(conn, id)? else {
        return Ok(None);
    };
    let status = u
        .status
        .clone()
        .unwrap_or_else(|| current["status"].as_str().unwrap_or("open").to_string());
    let verification = u.verification.clone().unwrap_or_else(|| {
        current["verification"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    });
    if status == "verified" && verification.trim().is_empty() {
        return Err(UpdateError::Refused(
            "an action is verified only with a description of the verification",
        ));
    }
    conn.execute(
        "UPDATE corrective_actions SET owner = COALESCE(?2, owner),
             department = COALESCE(?3, department), due_date = COALESCE(?4, due_date),
             status = ?5, verification = ?6, updated_at = ?7
         WHERE id = ?1",
        params![
            id,
            u.owner,
            u.department,
            u.due_date,
            status,
            verification,
            now_ms
        ],
    )?;
    Ok(get(conn, id)?)
}

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("{0}")]
    Refused(&'static str),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

pub fn table(rows: &[Value]) -> Table {
    let s = |v: &Value| Cell::Text(v.as_str().map(str::to_string).unwrap_or_default());
    Table {
        title: "纠正措施 corrective actions".into(),
        columns: [
            "编号 id",
            "工单号 job",
            "客户 customer",
            "产品型号 model",
            "项目 item",
            "评价 answer",
            "负责人 owner",
            "部门 department",
            "完成期限 due date",
            "状态 status",
            "验证 verification",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Int(r["id"].as_i64().unwrap_or_default()),
                    s(&r["job_id"]),
                    s(&r["customer_name"]),
                    s(&r["product_model"]),
                    if r["item_label_zh"].is_string() {
                        s(&r["item_label_zh"])
                    } else {
                        s(&r["item"])
                    },
                    s(&r["level_zh"]),
                    s(&r["owner"]),
                    s(&r["department"]),
                    s(&r["due_date"]),
                    s(&r["status"]),
                    s(&r["verification"]),
                ]
            })
            .collect(),
    }
}
