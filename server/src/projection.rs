//! The jobs query table, written from the typed job in the same transaction as its document.

use onsite_domain::{Job, derive_review, derive_status};
use rusqlite::{Connection, params};

pub fn upsert_job(
    conn: &Connection,
    doc_id: &str,
    job: &Job,
    seq: u64,
) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO jobs (doc_id, status, review_state, assignee, origin, complaint,
             customer_name, customer_phone, customer_tier, customer_region,
             product_model, product_serial, reported_at, updated_seq,
             event_count, parts_count, forms_count)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (doc_id) DO UPDATE SET
             status = excluded.status, review_state = excluded.review_state,
             assignee = excluded.assignee, origin = excluded.origin,
             complaint = excluded.complaint, customer_name = excluded.customer_name,
             customer_phone = excluded.customer_phone, customer_tier = excluded.customer_tier,
             customer_region = excluded.customer_region, product_model = excluded.product_model,
             product_serial = excluded.product_serial, reported_at = excluded.reported_at,
             updated_seq = excluded.updated_seq, event_count = excluded.event_count,
             parts_count = excluded.parts_count, forms_count = excluded.forms_count",
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
        ],
    )?;
    Ok(())
}
