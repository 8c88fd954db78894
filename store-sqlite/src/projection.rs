//! Query tables written from the typed job in the same transaction as its document: the
//! `jobs` row, and its events, reviews, forms, answers and parts lines. Reports and lists
//! read only these, never the documents.
//!
//! The child rows of a job are replaced whole on every accepted change: a job holds tens of
//! rows, and rewriting them is simpler to get right than diffing two versions of a CRDT.
//! What the document does not hold is carried over: when each event and the job first
//! reached the server (and from how far off a device clock), which decides its time flags
//! (`onsite_domain::evidence`).

use std::collections::HashMap;

use onsite_domain::facts::{JobFacts, Receipt, job_facts};
use onsite_domain::{Job, JobDoc};
use onsite_sync::server::Received;
use rusqlite::{Connection, OptionalExtension, params};

use crate::schema::SchemaError;

/// [`upsert_job_received`] for a write whose receipt is unknown (a rebuild from documents).
pub fn upsert_job(
    conn: &Connection,
    doc_id: &str,
    job: &Job,
    seq: u64,
) -> Result<(), rusqlite::Error> {
    upsert_job_received(conn, doc_id, job, seq, None)
}

/// Writes the query rows of `job` after the write that `received` describes. Events and
/// the job seen before keep the receipt they were first projected with; new ones take
/// this write's.
pub fn upsert_job_received(
    conn: &Connection,
    doc_id: &str,
    job: &Job,
    seq: u64,
    received: Option<Received>,
) -> Result<(), rusqlite::Error> {
    let this_write = Receipt {
        received_at: received.map(|r| r.at_ms),
        device_offset_ms: received.and_then(|r| r.device_offset_ms()),
    };
    let stored_created: Option<Option<i64>> = conn
        .prepare_cached("SELECT created_at FROM jobs WHERE doc_id = ?1")?
        .query_row([doc_id], |r| r.get(0))
        .optional()?;
    let created_at = stored_created.unwrap_or(this_write.received_at);
    let known: HashMap<String, Receipt> = conn
        .prepare_cached(
            "SELECT event_id, received_at, device_offset_ms FROM job_events WHERE doc_id = ?1",
        )?
        .query_map([doc_id], |r| {
            Ok((
                r.get(0)?,
                Receipt {
                    received_at: r.get(1)?,
                    device_offset_ms: r.get(2)?,
                },
            ))
        })?
        .collect::<Result<_, _>>()?;
    let facts = job_facts(job, created_at, |id| {
        known.get(id).copied().unwrap_or(this_write)
    });
    let clocks = &facts.clocks;
    conn.execute(
        "INSERT INTO jobs (doc_id, status, review_state, assignee, origin, complaint,
             customer_name, customer_phone, customer_tier, customer_region,
             product_model, product_serial, reported_at, updated_seq,
             event_count, parts_count, forms_count,
             customer_id, site_distance, purchase_date, dap, feedback_category,
             responsible_department, labour_minutes, completed_at,
             response_ms, arrival_ms, diagnosis_ms, handling_ms, product_id,
             created_at, time_flags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
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
        params![
            doc_id,
            facts.status.as_str(),
            facts.review_state.as_str(),
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
            facts.dap,
            job.feedback_category,
            job.responsible_department,
            job.labour_minutes,
            facts.completed_at,
            clocks.response_ms,
            clocks.arrival_ms,
            clocks.diagnosis_ms,
            clocks.handling_ms,
            job.product.id,
            facts.created_at,
            facts.flags.bits(),
        ],
    )?;
    // Before the parts lines are replaced: the old ones tell which balances moved.
    crate::reference::stock::mark_parts_changes(conn, doc_id, job)?;
    replace_children(conn, doc_id, job, &facts.receipts)?;
    open_corrective_actions(conn, doc_id, &facts)?;
    Ok(())
}

fn replace_children(
    conn: &Connection,
    doc_id: &str,
    job: &Job,
    receipts: &[Receipt],
) -> Result<(), rusqlite::Error> {
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
        "INSERT OR REPLACE INTO job_events (doc_id, event_id, kind, at, by_user,
             received_at, device_offset_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (e, r) in job.events.iter().zip(receipts) {
        event.execute(params![
            doc_id,
            e.id,
            e.kind.as_str(),
            e.at,
            e.by,
            r.received_at,
            r.device_offset_ms
        ])?;
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
             submitted_at, by_user, suggestion, answered, points, satisfied)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut answer = conn.prepare_cached(
        "INSERT INTO form_answers (doc_id, form_id, item_id, points, comment, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (form_id, f) in &job.forms {
        let tally = onsite_domain::forms::tally(f.answers.values().map(|a| a.points));
        form.execute(params![
            doc_id,
            form_id,
            f.template_id,
            f.template_version,
            f.respondent,
            f.submitted_at,
            f.by,
            f.suggestion.as_str(),
            tally.answered as i64,
            tally.points,
            tally.satisfied as i64,
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

/// Stores the corrective actions the job's submitted forms open (decided by
/// [`onsite_domain::facts`]).
fn open_corrective_actions(
    conn: &Connection,
    doc_id: &str,
    facts: &JobFacts,
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
    for c in &facts.corrective {
        open.execute(params![
            doc_id,
            c.form_id,
            c.item_id,
            c.points,
            c.department,
            c.due_date,
            c.opened_at,
        ])?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

    use onsite_domain::{Event, EventKind, Job};
    use onsite_sync::server::Received;
    use rusqlite::Connection;

    use super::{upsert_job, upsert_job_received};

    const MIN: i64 = 60_000;
    const H: i64 = 60 * MIN;
    /// 2026-11-16 10:00 UTC.
    const T: i64 = 1_794_823_200_000;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        conn
    }

    fn ev(id: &str, kind: EventKind, at: i64) -> Event {
        Event {
            id: id.into(),
            kind,
            at,
            by: "t".into(),
        }
    }

    fn hotline(events: Vec<Event>) -> Job {
        Job {
            id: "j".into(),
            origin: "hotline".into(),
            reported_at: T,
            assignee: Some("t".into()),
            events,
            ..Job::default()
        }
    }

    fn at(at_ms: i64, device_clock_ms: Option<i64>) -> Option<Received> {
        Some(Received {
            at_ms,
            device_clock_ms,
        })
    }

    /// (received_at, device_offset_ms) of one event.
    fn receipt(conn: &Connection, event: &str) -> (Option<i64>, Option<i64>) {
        conn.query_row(
            "SELECT received_at, device_offset_ms FROM job_events WHERE event_id = ?1",
            [event],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    }

    /// (created_at, time_flags) of the job.
    fn job_row(conn: &Connection) -> (Option<i64>, i64) {
        conn.query_row("SELECT created_at, time_flags FROM jobs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
    }

    #[test]
    fn the_first_receipt_of_each_event_and_of_the_job_is_kept() {
        let conn = db();
        let reported = ev("r", EventKind::Reported, T);
        let mut job = hotline(vec![reported]);
        upsert_job_received(&conn, "j", &job, 1, at(T, Some(T))).unwrap();
        assert_eq!(receipt(&conn, "r"), (Some(T), Some(0)));
        assert_eq!(job_row(&conn), (Some(T), 0));
        // A phone two hours ahead accepts a minute later.
        job.events
            .push(ev("a", EventKind::Accepted, T + 2 * H + MIN));
        upsert_job_received(&conn, "j", &job, 2, at(T + MIN, Some(T + 2 * H + MIN))).unwrap();
        assert_eq!(receipt(&conn, "a"), (Some(T + MIN), Some(-2 * H)));
        assert_eq!(receipt(&conn, "r"), (Some(T), Some(0)), "kept");
        assert_eq!(job_row(&conn), (Some(T), 0b101), "future and clock off");
        // Its clock set right, it arrives three hours later: the first receipts stay.
        job.events.push(ev("o", EventKind::OnSite, T + 3 * H));
        upsert_job_received(&conn, "j", &job, 3, at(T + 3 * H, Some(T + 3 * H))).unwrap();
        assert_eq!(receipt(&conn, "a"), (Some(T + MIN), Some(-2 * H)));
        assert_eq!(receipt(&conn, "o"), (Some(T + 3 * H), Some(0)));
        assert_eq!(job_row(&conn), (Some(T), 0b101));
        // A rebuild from the document knows no receipt and changes none.
        upsert_job(&conn, "j", &job, 4).unwrap();
        assert_eq!(receipt(&conn, "a"), (Some(T + MIN), Some(-2 * H)));
        assert_eq!(job_row(&conn), (Some(T), 0b101));
    }

    #[test]
    fn a_clock_behind_dates_work_before_a_reported_job_but_not_before_its_own() {
        // Created on the server at 10:00; a phone three hours behind accepts at 10:10.
        let conn = db();
        let mut job = hotline(vec![ev("r", EventKind::Reported, T)]);
        upsert_job_received(&conn, "j", &job, 1, at(T, Some(T))).unwrap();
        job.events
            .push(ev("a", EventKind::Accepted, T - 3 * H + 10 * MIN));
        let behind = at(T + 10 * MIN, Some(T - 3 * H + 10 * MIN));
        upsert_job_received(&conn, "j", &job, 2, behind).unwrap();
        assert_eq!(
            job_row(&conn),
            (Some(T), 0b110),
            "before creation, clock off"
        );
        // Opened offline on a phone at 4:00, uploaded at 10:00: the work before the
        // upload is normal, and an honest clock raises nothing.
        let conn = db();
        let onsite = Job {
            origin: "onsite".into(),
            reported_at: T - 6 * H,
            events: vec![
                ev("r", EventKind::Reported, T - 6 * H),
                ev("a", EventKind::Accepted, T - 6 * H),
                ev("o", EventKind::OnSite, T - 5 * H),
            ],
            ..hotline(vec![])
        };
        upsert_job_received(&conn, "j", &onsite, 1, at(T, Some(T + 20_000))).unwrap();
        assert_eq!(job_row(&conn), (Some(T), 0));
    }

    #[test]
    fn only_the_events_the_clocks_use_flag_the_job() {
        let conn = db();
        let mut job = hotline(vec![
            ev("r", EventKind::Reported, T),
            ev("a", EventKind::Accepted, T + MIN),
        ]);
        upsert_job_received(&conn, "j", &job, 1, at(T + MIN, Some(T + MIN))).unwrap();
        // A completion dated an hour after it arrived (completions stop no clock), and a
        // second acceptance by a clock an hour ahead (only the first one counts).
        job.events.push(ev("c", EventKind::Completed, T + 3 * H));
        job.events.push(ev("a2", EventKind::Accepted, T + 3 * H));
        upsert_job_received(&conn, "j", &job, 2, at(T + 2 * H, Some(T + 3 * H))).unwrap();
        assert_eq!(receipt(&conn, "c"), (Some(T + 2 * H), Some(-H)));
        assert_eq!(job_row(&conn).1, 0);
    }
}
