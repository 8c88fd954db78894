//! Corrective actions (纠正措施): opened by the projection for every dissatisfied answer,
//! listed and worked by the back office.

use rusqlite::{Connection, OptionalExtension, params};

pub use onsite_store::report::corrective::{CorrectiveAction, Filter, STATUSES, Update};

const SELECT: &str = "
    SELECT c.id, c.doc_id, c.form_id, c.item_id, c.points, c.owner, c.department, c.due_date,
           c.status, c.verification, c.created_at, c.updated_at, j.assignee, j.customer_name,
           j.product_model
      FROM corrective_actions c JOIN jobs j ON j.doc_id = c.doc_id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CorrectiveAction> {
    let item: String = r.get(3)?;
    let labels = onsite_domain::forms::item_labels(&item);
    let points: i64 = r.get(4)?;
    Ok(CorrectiveAction {
        id: r.get(0)?,
        job_id: r.get(1)?,
        form_id: r.get(2)?,
        item_label_zh: labels.map(|l| l.label_zh.to_string()),
        item_label_en: labels.map(|l| l.label_en.to_string()),
        item,
        points,
        level_zh: onsite_domain::forms::Level::from_points(points)
            .map(|l| l.label_zh().to_string()),
        owner: r.get(5)?,
        department: r.get(6)?,
        due_date: r.get(7)?,
        status: r.get(8)?,
        verification: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
        technician: r.get(12)?,
        customer_name: r.get(13)?,
        product_model: r.get(14)?,
    })
}

pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<CorrectiveAction>, u64)> {
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
            row,
        )?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<CorrectiveAction>> {
    conn.query_row(&format!("{SELECT} WHERE c.id = ?1"), [id], row)
        .optional()
}

/// Applies `u`; `Ok(None)` when no such action exists, `Err(message)` for a change the
/// rules refuse (verified without a verification).
pub fn update(
    conn: &Connection,
    id: i64,
    u: &Update,
    now_ms: i64,
) -> Result<Option<CorrectiveAction>, UpdateError> {
    let Some(current) = get(conn, id)? else {
        return Ok(None);
    };
    let status = u.status.clone().unwrap_or(current.status);
    let verification = u.verification.clone().unwrap_or(current.verification);
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
