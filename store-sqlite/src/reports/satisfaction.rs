//! Satisfaction (客户满意度), summed in SQL over the forms' tallies (per item, over
//! `form_answers`); the formulas and the report are `onsite_store::report::satisfaction`.
//!
//! Which answers count: those of *submitted* forms whose submission falls in the period.
//! The self-assessment side is `respondent = 'self'`; the survey side is the customer's
//! voice, `survey` (on site) and `callback` (the phone survey) together.

use rusqlite::{Connection, params};

pub use onsite_store::report::satisfaction::{Filter, Group, Sums, Totals};

use super::Period;

/// The SQL of each group, fixed here, never built from input.
fn group_sql(group: Group, period: &Period) -> String {
    match group {
        Group::All => "''".into(),
        Group::Technician => "COALESCE(j.assignee, '')".into(),
        Group::CustomerTier => "j.customer_tier".into(),
        Group::ProductModel => "j.product_model".into(),
        Group::Region => "j.customer_region".into(),
        Group::Month => super::month_of("f.submitted_at", period),
    }
}

/// The forms that count, with their jobs.
const FORMS: &str = "
    FROM job_forms f
    JOIN jobs j ON j.doc_id = f.doc_id
   WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= ?1 AND f.submitted_at < ?2
     AND f.respondent IN ('self', 'survey', 'callback') AND f.answered > 0
     AND (?3 IS NULL OR j.assignee = ?3) AND (?4 IS NULL OR j.customer_tier = ?4)
     AND (?5 IS NULL OR j.product_model = ?5) AND (?6 IS NULL OR j.customer_region = ?6)";

/// The answers of the forms that count.
const ANSWERS: &str = "
    FROM form_answers a
    JOIN job_forms f ON f.doc_id = a.doc_id AND f.form_id = a.form_id
    JOIN jobs j ON j.doc_id = a.doc_id
   WHERE f.submitted_at IS NOT NULL AND f.submitted_at >= ?1 AND f.submitted_at < ?2
     AND f.respondent IN ('self', 'survey', 'callback')
     AND (?3 IS NULL OR j.assignee = ?3) AND (?4 IS NULL OR j.customer_tier = ?4)
     AND (?5 IS NULL OR j.product_model = ?5) AND (?6 IS NULL OR j.customer_region = ?6)";

pub(super) fn sums(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Sums> {
    Ok(Sums {
        answered: r.get::<_, i64>(at)? as u64,
        points: r.get(at + 1)?,
        satisfied: r.get::<_, i64>(at + 2)? as u64,
    })
}

/// Totals per group key, in key order.
pub fn by_group(
    conn: &Connection,
    period: &Period,
    group: Group,
    filter: &Filter,
) -> rusqlite::Result<Vec<(String, Totals)>> {
    let sql = format!(
        "SELECT {key} AS k, f.respondent = 'self' AS is_self,
                SUM(f.answered), SUM(f.points), SUM(f.satisfied)
         {FORMS}
         GROUP BY k, is_self ORDER BY k",
        key = group_sql(group, period)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            period.start_ms(),
            period.end_ms(),
            filter.technician,
            filter.customer_tier,
            filter.product_model,
            filter.region
        ],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, bool>(1)?,
                sums(r, 2)?,
            ))
        },
    )?;
    let mut out: Vec<(String, Totals)> = Vec::new();
    for row in rows {
        let (key, is_self, s) = row?;
        if out.last().is_none_or(|(k, _)| *k != key) {
            out.push((key, Totals::default()));
        }
        if let Some((_, t)) = out.last_mut() {
            if is_self {
                t.self_assessment = s;
            } else {
                t.survey = s;
            }
        }
    }
    Ok(out)
}

/// Totals of the whole period.
pub fn totals(conn: &Connection, period: &Period, filter: &Filter) -> rusqlite::Result<Totals> {
    Ok(by_group(conn, period, Group::All, filter)?
        .into_iter()
        .next()
        .map(|(_, t)| t)
        .unwrap_or_default())
}

/// Per template item, both sides together, lowest degree first.
pub fn by_item(
    conn: &Connection,
    period: &Period,
    filter: &Filter,
) -> rusqlite::Result<Vec<(String, Sums)>> {
    let sql = format!(
        "SELECT a.item_id, COUNT(*), SUM(a.points), SUM(a.points >= 6)
         {ANSWERS}
         GROUP BY a.item_id
         ORDER BY CAST(SUM(a.points) AS REAL) / COUNT(*), a.item_id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            period.start_ms(),
            period.end_ms(),
            filter.technician,
            filter.customer_tier,
            filter.product_model,
            filter.region
        ],
        |r| Ok((r.get::<_, String>(0)?, sums(r, 1)?)),
    )?;
    rows.collect()
}
