//! Query tables written from the typed job in the same transaction as its document, as
//! on the embedded database: what is stored is decided by [`onsite_domain::facts`].

use std::collections::HashMap;

use onsite_domain::facts::{JobFacts, Receipt, job_facts};
use onsite_domain::{Decision, Job};
use onsite_sync::server::Received;
use postgres::Transaction;

use crate::error::PgError;
use crate::reference;

/// Writes the query rows of `job` after the write that `received` describes. Events and
/// the job seen before keep the receipt they were first projected with; new ones take
/// this write's.
pub fn upsert_job_received(
    tx: &mut Transaction<'_>,
    doc_id: &str,
    job: &Job,
    seq: i64,
    received: Option<Received>,
) -> Result<(), PgError> {
    let this_write = Receipt {
        received_at: received.map(|r| r.at_ms),
        device_offset_ms: received.and_then(|r| r.device_offset_ms()),
    };
    let stored_created: Option<Option<i64>> = tx
        .query_opt("SELECT created_at FROM jobs WHERE doc_id = $1", &[&doc_id])?
        .map(|r| r.get(0));
    let created_at = stored_created.unwrap_or(this_write.received_at);
    let known: HashMap<String, Receipt> = tx
        .query(
            "SELECT event_id, received_at, device_offset_ms FROM job_events WHERE doc_id = $1",
            &[&doc_id],
        )?
        .iter()
        .map(|r| {
            (
                r.get(0),
                Receipt {
                    received_at: r.get(1),
                    device_offset_ms: r.get(2),
                },
            )
        })
        .collect();
    let facts = job_facts(job, created_at, |id| {
        known.get(id).copied().unwrap_or(this_write)
    });
    let c = &facts.clocks;
    let flags = facts.flags.bits();
    tx.execute(
        "INSERT INTO jobs (doc_id, status, review_state, assignee, origin, complaint,
             customer_name, customer_phone, customer_tier, customer_region,
             product_model, product_serial, reported_at, updated_seq,
             event_count, parts_count, forms_count,
             customer_id, site_distance, purchase_date, dap, feedback_category,
             responsible_department, labour_minutes, completed_at,
             response_ms, arrival_ms, diagnosis_ms, handling_ms, product_id,
             created_at, time_flags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
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
             product_id = excluded.product_id, time_flags = excluded.time_flags",
        &[
            &doc_id,
            &facts.status.as_str(),
            &facts.review_state.as_str(),
            &job.assignee,
            &job.origin,
            &job.complaint,
            &job.customer.name,
            &job.customer.phone,
            &job.customer.tier,
            &job.customer.region,
            &job.product.model,
            &job.product.serial,
            &job.reported_at,
            &seq,
            &(job.events.len() as i64),
            &(job.parts.len() as i64),
            &(job.forms.len() as i64),
            &job.customer.id,
            &job.customer.site_distance,
            &job.product.purchase_date,
            &facts.dap,
            &job.feedback_category,
            &job.responsible_department,
            &job.labour_minutes,
            &facts.completed_at,
            &c.response_ms,
            &c.arrival_ms,
            &c.diagnosis_ms,
            &c.handling_ms,
            &job.product.id,
            &facts.created_at,
            &flags,
        ],
    )?;
    // Before the parts lines are replaced: the old ones tell which balances moved.
    reference::mark_parts_changes(tx, doc_id, job)?;
    replace_children(tx, doc_id, job, &facts)?;
    open_corrective_actions(tx, doc_id, &facts)?;
    Ok(())
}

fn replace_children(
    tx: &mut Transaction<'_>,
    doc_id: &str,
    job: &Job,
    facts: &JobFacts,
) -> Result<(), PgError> {
    for table in [
        "job_events",
        "job_reviews",
        "job_forms",
        "form_answers",
        "job_parts",
    ] {
        // Table names come from the list above, never from input.
        tx.execute(
            &format!("DELETE FROM {table} WHERE doc_id = $1"),
            &[&doc_id],
        )?;
    }
    let event = tx.prepare(
        "INSERT INTO job_events (doc_id, event_id, kind, at, by_user, received_at,
             device_offset_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (doc_id, event_id) DO UPDATE SET kind = excluded.kind, at = excluded.at,
             by_user = excluded.by_user, received_at = excluded.received_at,
             device_offset_ms = excluded.device_offset_ms",
    )?;
    for (e, r) in job.events.iter().zip(&facts.receipts) {
        tx.execute(
            &event,
            &[
                &doc_id,
                &e.id,
                &e.kind.as_str(),
                &e.at,
                &e.by,
                &r.received_at,
                &r.device_offset_ms,
            ],
        )?;
    }
    let review = tx.prepare(
        "INSERT INTO job_reviews (doc_id, review_id, decision, comment, at, by_user)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (doc_id, review_id) DO UPDATE SET decision = excluded.decision,
             comment = excluded.comment, at = excluded.at, by_user = excluded.by_user",
    )?;
    for r in &job.reviews {
        let decision = match r.decision {
            Decision::Approved => "approved",
            Decision::Returned => "returned",
        };
        tx.execute(
            &review,
            &[&doc_id, &r.id, &decision, &r.comment, &r.at, &r.by],
        )?;
    }
    let form = tx.prepare(
        "INSERT INTO job_forms (doc_id, form_id, template_id, template_version, respondent,
             submitted_at, by_user, suggestion, answered, points, satisfied)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )?;
    let answer = tx.prepare(
        "INSERT INTO form_answers (doc_id, form_id, item_id, points, comment, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )?;
    for (form_id, f) in &job.forms {
        let tally = onsite_domain::forms::tally(f.answers.values().map(|a| a.points));
        tx.execute(
            &form,
            &[
                &doc_id,
                form_id,
                &f.template_id,
                &f.template_version,
                &f.respondent,
                &f.submitted_at,
                &f.by,
                &f.suggestion.as_str(),
                &(tally.answered as i64),
                &tally.points,
                &(tally.satisfied as i64),
            ],
        )?;
        for (item, a) in &f.answers {
            tx.execute(
                &answer,
                &[&doc_id, form_id, item, &a.points, &a.comment, &a.at],
            )?;
        }
    }
    let part = tx.prepare(
        "INSERT INTO job_parts (doc_id, line_id, sku, name, quantity, unit_price_cents,
             billable, at, by_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )?;
    for (line_id, p) in &job.parts {
        tx.execute(
            &part,
            &[
                &doc_id,
                line_id,
                &p.sku,
                &p.name,
                &p.quantity,
                &p.unit_price_cents,
                &p.billable,
                &p.at,
                &p.by,
            ],
        )?;
    }
    Ok(())
}

fn open_corrective_actions(
    tx: &mut Transaction<'_>,
    doc_id: &str,
    facts: &JobFacts,
) -> Result<(), PgError> {
    let open = tx.prepare(
        "INSERT INTO corrective_actions (doc_id, form_id, item_id, points, department,
             due_date, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         -- A job classified after its form was returned hands its department to the
         -- actions nobody has assigned yet; one already assigned keeps its department.
         ON CONFLICT (doc_id, form_id, item_id) DO UPDATE SET department = excluded.department
             WHERE corrective_actions.department = '' AND excluded.department <> ''",
    )?;
    for c in &facts.corrective {
        tx.execute(
            &open,
            &[
                &doc_id,
                &c.form_id,
                &c.item_id,
                &c.points,
                &c.department,
                &c.due_date,
                &c.opened_at,
            ],
        )?;
    }
    Ok(())
}
