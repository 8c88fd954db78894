//! Query tables written from the typed job in the same transaction as its document: the
//! `jobs` row, and its events, reviews, forms, answers and parts lines. Reports and lists
//! read only these, never the documents.
//!
//! The child rows of a job are replaced whole on every accepted change: a job holds tens of
//! rows, and rewriting them is simpler to get right than diffing two versions of a CRDT.

use onsite_domain::forms::Level;
use onsite_domain::service::{clocks, is_dap};
use onsite_domain::{EventKind, Job, JobDoc, derive_review, derive_status};
use rusqlite::{Connection, params};

use crate::schema::SchemaError;

/// Days the back office gets by default to close a corrective action.
pub const CORRECTIVE_DUE_DAYS: i64 = 7;

pub fn upsert_job(
    conn: &Connection,
    doc_id: &str,
    job: &Job,
    seq: u64,
) -> Result<(), rusqlite::Error> {
    let clocks = clocks(job);
    let completed_at = job
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Completed && job.assignee.as_deref() == Some(&e.by))
        .map(|e| e.at)
        .max();
    conn.execute(
        "INSERT INTO jobs (doc_id, status, review_state, assignee, origin, complaint,
             customer_name, customer_phone, customer_tier, customer_region,
             product_model, product_serial, reported_at, updated_seq,
             event_count, parts_count, forms_count,
             customer_id, site_distance, purchase_date, dap, feedback_category,
             responsible_department, labour_minutes, completed_at,
             response_ms, arrival_ms, diagnosis_ms, handling_ms, product_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)
         ON CONFLICT (doc_id) DO UPDATE SET
             status = excluded.status, review_state = excluded.review_state,
             assignee = excluded.assignee, origin = excluded.origin,
             complaint = excluded.complaint, customer_name = excluded.customer_name,
             customer_phone = excluded.customer_phone, customer_tier = excluded.customer_tier,
             customer_region = excluded.customer_region, product_model = excluded.product_model,
             product_serial = excluded.product_serial, reported_at = excluded.reported_at,
             updated_seq = excluded.updated_seq, event_count = excluded.event_count,
             parts_count = excluded.parts_count, forms_count = excluded.forms_count,
             customer_id = excluded.customer_id, site_distance = excluded.site_distance,
             purchase_date = excluded.purchase_date, dap = excluded.dap,
             feedback_category = excluded.feedback_category,
             responsible_department = excluded.responsible_department,
             labour_minutes = excluded.labour_minutes, completed_at = excluded.completed_at,
             response_ms = excluded.response_ms, arrival_ms = excluded.arrival_ms,
             diagnosis_ms = excluded.diagnosis_ms, handling_ms = excluded.handling_ms,
             product_id = excluded.product_id",
        params![
            doc_id,
            derive_status(job).as_str(),
            derive_review(job).as_str(),
            job.assignee,
            job.origin,
            job.complaint,
            job.customer.name,
            job.customer.phone,
            job.customer.tier,
            job.customer.region,
            job.product.model,
            job.product.serial,
            job.reported_at,
            seq as i64,
            job.events.len() as i64,
            job.parts.len() as i64,
            job.forms.len() as i64,
            job.customer.id,
            job.customer.site_distance,
            job.product.purchase_date,
            is_dap(job),
            job.feedback_category,
            job.responsible_department,
            job.labour_minutes,
            completed_at,
            clocks.response_ms,
            clocks.arrival_ms,
            clocks.diagnosis_ms,
            clocks.handling_ms,
            job.product.id,
        ],
    )?;
    // Before the parts lines are replaced: the old ones tell which balances moved.
    crate::reference::stock::mark_parts_changes(conn, doc_id, job)?;
    replace_children(conn, doc_id, job)?;
    open_corrective_actions(conn, doc_id, job)?;
    Ok(())
}

fn replace_children(conn: &Connection, doc_id: &str, job: &Job) -> Result<(), rusqlite::Error> {
    for table in [
        "job_events",
        "job_reviews",
        "job_forms",
        "form_answers",
        "job_parts",
    ] {
        // Table names come from the list above, never from input.
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE doc_id = ?1"))?
            .execute([doc_id])?;
    }
    let mut event = conn.prepare_cached(
        "INSERT OR REPLACE INTO job_events (doc_id, event_id, kind, at, by_user)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in &job.events {
        event.execute(params![doc_id, e.id, e.kind.as_str(), e.at, e.by])?;
    }
    let mut review = conn.prepare_cached(
        "INSERT OR REPLACE INTO job_reviews (doc_id, review_id, decision, comment, at, by_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in &job.reviews {
        let decision = match r.decision {
            onsite_domain::Decision::Approved => "approved",
            onsite_domain::Decision::Returned => "returned",
        };
        review.execute(params![doc_id, r.id, decision, r.comment, r.at, r.by])?;
    }
    let mut form = conn.prepare_cached(
        "INSERT INTO job_forms (doc_id, form_id, template_id, template_version, respondent,
             submitted_at, by_user, suggestion) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut answer = conn.prepare_cached(
        "INSERT INTO form_answers (doc_id, form_id, item_id, points, comment, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (form_id, f) in &job.forms {
        form.execute(params![
            doc_id,
            form_id,
            f.template_id,
            f.template_version,
            f.respondent,
            f.submitted_at,
            f.by,
            f.suggestion.as_str(),
        ])?;
        for (item, a) in &f.answers {
            answer.execute(params![doc_id, form_id, item, a.points, a.comment, a.at])?;
        }
    }
    let mut part = conn.prepare_cached(
        "INSERT INTO job_parts (doc_id, line_id, sku, name, quantity, unit_price_cents,
             billable, at, by_user) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (line_id, p) in &job.parts {
        part.execute(params![
            doc_id,
            line_id,
            p.sku,
            p.name,
            p.quantity,
            p.unit_price_cents,
            p.billable,
            p.at,
            p.by,
        ])?;
    }
    Ok(())
}

/// Every dissatisfied or very dissatisfied answer of a submitted form opens one corrective
/// action. Answers of a form still being filled in may change, so they wait for submission.
fn open_corrective_actions(
    conn: &Connection,
    doc_id: &str,
    job: &Job,
) -> Result<(), rusqlite::Error> {
    let mut open = conn.prepare_cached(
        "INSERT INTO corrective_actions (doc_id, form_id, item_id, points, department,
             due_date, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
         -- A job classified after its form was returned hands its department to the
         -- actions nobody has assigned yet; one already assigned keeps its department.
         ON CONFLICT (doc_id, form_id, item_id) DO UPDATE SET department = excluded.department
             WHERE corrective_actions.department = '' AND excluded.department <> ''",
    )?;
    for (form_id, form) in &job.forms {
        let Some(submitted) = form.submitted_at else {
            continue;
        };
        let due = chrono::DateTime::from_timestamp_millis(submitted)
            .map(|d| (d + chrono::Duration::days(CORRECTIVE_DUE_DAYS)).date_naive())
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        for (item, answer) in &form.answers {
            let needs =
                Level::from_points(answer.points).is_some_and(Level::needs_corrective_action);
            if needs {
                open.execute(params![
                    doc_id,
                    form_id,
                    item,
                    answer.points,
                    job.responsible_department.clone().unwrap_or_default(),
                    due,
                    submitted,
                ])?;
            }
        }
    }
    Ok(())
}

/// Fills the query tables from every stored document (used when they are first created).
pub fn rebuild_all(conn: &Connection) -> Result<(), SchemaError> {
    let docs: Vec<(String, Vec<u8>, i64)> = conn
        .prepare("SELECT doc_id, data, updated_seq FROM documents")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (doc_id, data, seq) in docs {
        let corrupt =
            |e: onsite_domain::DocError| SchemaError::Corrupt(doc_id.clone(), e.to_string());
        let job = JobDoc::load(&data)
            .map_err(corrupt)?
            .job()
            .map_err(corrupt)?;
        upsert_job(conn, &doc_id, &job, seq as u64)?;
    }
    Ok(())
}
