//! The review list and a job's detail, from the query tables; the edit history, from the
//! document's own change metadata joined with the feed (who uploaded each change).

use onsite_domain::JobDoc;
use onsite_domain::evidence::{Flags, creation_reference, time_flags};
use onsite_domain::forms::Satisfaction;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use onsite_store::repo::jobs::{
    AnswerEntry, Clocks, DetailCustomer, DetailProduct, FormEntry, HistoryEntry, JobDetail,
    PartEntry, ReviewEntry, ReviewRow, TimelineEvent,
};

use super::pct;

pub use onsite_store::repo::jobs::ReviewFilter as JobFilter;

/// The conditions of the filters that are set, over bound parameters, and those
/// parameters. Only the set filters appear in the SQL: a condition written
/// `(?1 IS NULL OR j.status = ?1)` hides every index from SQLite's planner (it plans
/// before the values are bound), which then scans the whole `jobs` table and sorts it,
/// twice per page (the count and the page).
fn conditions(f: &JobFilter) -> (String, Vec<Value>) {
    let mut sql = Vec::new();
    let mut values = Vec::new();
    let mut add = |condition: &str, value: Value| {
        values.push(value);
        sql.push(format!("{condition} ?{}", values.len()));
    };
    if let Some(v) = &f.status {
        add("j.status =", Value::Text(v.clone()));
    }
    if let Some(v) = &f.review_state {
        add("j.review_state =", Value::Text(v.clone()));
    }
    if let Some(v) = &f.technician {
        add("j.assignee =", Value::Text(v.clone()));
    }
    if let Some(p) = &f.period {
        add("j.reported_at >=", Value::Integer(p.start_ms()));
        add("j.reported_at <", Value::Integer(p.end_ms()));
    }
    if let Some(v) = f.complaint {
        add("j.complaint =", Value::Integer(v.into()));
    }
    if let Some(v) = f.dap {
        add("j.dap =", Value::Integer(v.into()));
    }
    if let Some(v) = &f.feedback_category {
        add("j.feedback_category =", Value::Text(v.clone()));
    }
    if let Some(v) = &f.customer_tier {
        add("j.customer_tier =", Value::Text(v.clone()));
    }
    let clause = if sql.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", sql.join(" AND "))
    };
    (clause, values)
}

/// One page of jobs, newest report first, and how many match in all.
pub fn list(conn: &Connection, f: &JobFilter) -> rusqlite::Result<(Vec<ReviewRow>, u64)> {
    let (clause, mut values) = conditions(f);
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM jobs j {clause}"))?
        .query_row(params_from_iter(&values), |r| r.get(0))?;
    let n = values.len();
    values.push(Value::Integer(f.limit.into()));
    values.push(Value::Integer(f.offset.into()));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT j.doc_id, j.status, j.review_state, j.assignee, u.display_name,
                j.customer_name, j.customer_tier, j.customer_region, j.product_model,
                j.complaint, j.dap, j.feedback_category, j.reported_at, j.completed_at,
                j.forms_count, j.parts_count
           FROM jobs j LEFT JOIN users u ON u.id = j.assignee
           {clause}
          ORDER BY j.reported_at DESC, j.doc_id LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    ))?;
    let rows = stmt
        .query_map(params_from_iter(&values), |r| {
            Ok(ReviewRow {
                id: r.get(0)?,
                status: r.get(1)?,
                review_state: r.get(2)?,
                assignee: r.get(3)?,
                assignee_name: r.get(4)?,
                customer_name: r.get(5)?,
                customer_tier: r.get(6)?,
                customer_region: r.get(7)?,
                product_model: r.get(8)?,
                complaint: r.get(9)?,
                dap: r.get(10)?,
                feedback_category: r.get(11)?,
                reported_at: r.get(12)?,
                completed_at: r.get(13)?,
                forms: r.get(14)?,
                parts_lines: r.get(15)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total as u64))
}

/// A job's detail from the query tables; `None` when no such job exists.
pub fn detail(conn: &Connection, doc_id: &str) -> rusqlite::Result<Option<JobDetail>> {
    let Some(mut job) = conn
        .query_row(
            "SELECT j.status, j.review_state, j.assignee, u.display_name, j.origin, j.complaint,
                    j.dap, j.customer_id, j.customer_name, j.customer_phone, j.customer_tier,
                    j.customer_region, j.site_distance, j.product_model, j.product_serial,
                    j.purchase_date, j.reported_at, j.completed_at, j.feedback_category,
                    j.responsible_department, j.labour_minutes,
                    j.response_ms, j.arrival_ms, j.diagnosis_ms, j.handling_ms,
                    j.created_at, j.time_flags
               FROM jobs j LEFT JOIN users u ON u.id = j.assignee WHERE j.doc_id = ?1",
            [doc_id],
            |r| {
                Ok(JobDetail {
                    id: doc_id.to_string(),
                    status: r.get(0)?,
                    review_state: r.get(1)?,
                    assignee: r.get(2)?,
                    assignee_name: r.get(3)?,
                    origin: r.get(4)?,
                    complaint: r.get(5)?,
                    dap: r.get(6)?,
                    customer: DetailCustomer {
                        id: r.get(7)?,
                        name: r.get(8)?,
                        phone: r.get(9)?,
                        tier: r.get(10)?,
                        region: r.get(11)?,
                        site_distance: r.get(12)?,
                    },
                    product: DetailProduct {
                        model: r.get(13)?,
                        serial: r.get(14)?,
                        purchase_date: r.get(15)?,
                    },
                    reported_at: r.get(16)?,
                    completed_at: r.get(17)?,
                    feedback_category: r.get(18)?,
                    responsible_department: r.get(19)?,
                    labour_minutes: r.get(20)?,
                    clocks_ms: Clocks {
                        response: r.get(21)?,
                        arrival: r.get(22)?,
                        diagnosis: r.get(23)?,
                        handling: r.get(24)?,
                    },
                    created_at: r.get(25)?,
                    time_flags: names(Flags::from_bits(r.get(26)?)),
                    timeline: Vec::new(),
                    reviews: Vec::new(),
                    forms: Vec::new(),
                    parts: Vec::new(),
                })
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    // What an event's device time is compared with (onsite_domain::evidence).
    let begins = creation_reference(&job.origin, job.reported_at, job.created_at);
    job.timeline = conn
        .prepare_cached(
            "SELECT e.event_id, e.kind, e.at, e.by_user, u.display_name,
                    e.received_at, e.device_offset_ms
               FROM job_events e LEFT JOIN users u ON u.id = e.by_user
              WHERE e.doc_id = ?1
              -- Events of one instant (reported and assigned at creation) in lifecycle order.
              ORDER BY e.at, CASE e.kind WHEN 'reported' THEN 0 WHEN 'assigned' THEN 1
                  WHEN 'accepted' THEN 2 WHEN 'en_route' THEN 3 WHEN 'on_site' THEN 4
                  WHEN 'diagnosed' THEN 5 WHEN 'repaired' THEN 6 WHEN 'completed' THEN 7
                  ELSE 8 END, e.event_id",
        )?
        .query_map([doc_id], |r| {
            let at = r.get(2)?;
            let received_at = r.get(5)?;
            let device_offset_ms = r.get(6)?;
            Ok(TimelineEvent {
                id: r.get(0)?,
                kind: r.get(1)?,
                at,
                by: r.get(3)?,
                by_name: r.get(4)?,
                received_at,
                device_offset_ms,
                flags: names(time_flags(at, received_at, begins, device_offset_ms)),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    job.reviews = conn
        .prepare_cached(
            "SELECT review_id, decision, comment, at, by_user FROM job_reviews
              WHERE doc_id = ?1 ORDER BY at, review_id",
        )?
        .query_map([doc_id], |r| {
            Ok(ReviewEntry {
                id: r.get(0)?,
                decision: r.get(1)?,
                comment: r.get(2)?,
                at: r.get(3)?,
                by: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    {
        let mut form_stmt = conn.prepare_cached(
            "SELECT form_id, template_id, template_version, respondent, submitted_at, by_user,
                    suggestion FROM job_forms WHERE doc_id = ?1 ORDER BY form_id",
        )?;
        let mut answer_stmt = conn.prepare_cached(
            "SELECT item_id, points, comment FROM form_answers
              WHERE doc_id = ?1 AND form_id = ?2 ORDER BY item_id",
        )?;
        let forms = form_stmt
            .query_map([doc_id], |r| {
                Ok(FormEntry {
                    id: r.get(0)?,
                    template_id: r.get(1)?,
                    template_version: r.get(2)?,
                    respondent: r.get(3)?,
                    submitted_at: r.get(4)?,
                    by: r.get(5)?,
                    suggestion: r.get(6)?,
                    answers: Vec::new(),
                    degree_pct: None,
                    rate_pct: None,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for mut form in forms {
            form.answers = answer_stmt
                .query_map(params![doc_id, form.id], |r| {
                    Ok(AnswerEntry {
                        item: r.get(0)?,
                        points: r.get(1)?,
                        comment: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let levels = form
                .answers
                .iter()
                .filter_map(|a| onsite_domain::forms::Level::from_points(a.points));
            let sat: Option<Satisfaction> = onsite_domain::forms::satisfaction(levels);
            form.degree_pct = sat.map(|s| pct(s.degree_pct));
            form.rate_pct = sat.map(|s| pct(s.rate_pct));
            job.forms.push(form);
        }
    }
    job.parts = conn
        .prepare_cached(
            "SELECT line_id, sku, name, quantity, unit_price_cents, billable, at, by_user
               FROM job_parts WHERE doc_id = ?1 ORDER BY at, line_id",
        )?
        .query_map([doc_id], |r| {
            Ok(PartEntry {
                id: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                quantity: r.get(3)?,
                unit_price_cents: r.get(4)?,
                billable: r.get(5)?,
                at: r.get(6)?,
                by: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(job))
}

fn names(flags: Flags) -> Vec<String> {
    flags.names().into_iter().map(str::to_string).collect()
}

/// Every change of the document in causal order: when (the author's clock, in seconds, as
/// Automerge records it), what (the change message: "accept", "answer", "review"…), the
/// Automerge actor, and the account and device that uploaded it, from the feed.
pub fn history(conn: &Connection, doc: &mut JobDoc) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut who = conn.prepare_cached(
        "SELECT f.user_id, u.display_name, f.origin_device FROM feed f
           LEFT JOIN users u ON u.id = f.user_id WHERE f.hash = ?1",
    )?;
    let mut out = Vec::new();
    for change in doc.changes_since(&[]) {
        let hash = change.hash();
        let uploader: Option<(Option<String>, Option<String>, String)> = who
            .query_row([hash.0.as_slice()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (user_id, user_name, device_id) = match uploader {
            Some((u, n, d)) => (u, n, Some(d)),
            None => (None, None, None),
        };
        out.push(HistoryEntry {
            hash: hex::encode(hash.0),
            actor: change.actor_id().to_hex_string(),
            seq: change.seq(),
            at: change.timestamp() * 1000,
            what: change.message().map(str::to_string),
            user_id,
            user_name,
            device_id,
        });
    }
    Ok(out)
}
