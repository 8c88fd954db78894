//! Callback survey (回访): a reproducible random sample of a month's customers.
//!
//! Candidates are the customers of the jobs completed in the month (one job each: the
//! latest completed), in a fixed order; the sample is drawn with a ChaCha generator seeded
//! from the month, so asking twice for the same month and size gives the same customers as
//! long as no job of that month was completed in between.

use rusqlite::{Connection, params};

pub use onsite_store::report::callback::{CallbackCandidate, draw};

use super::Period;

/// Up to `size` customers of `month`, each with the job to call about.
pub fn sample(
    conn: &Connection,
    month: &Period,
    size: usize,
) -> rusqlite::Result<Vec<CallbackCandidate>> {
    // A customer is their id when the job has one, else name and phone.
    let mut stmt = conn.prepare_cached(
        "SELECT customer, doc_id, customer_name, customer_phone, customer_tier, product_model,
                completed_at, assignee,
                EXISTS (SELECT 1 FROM job_forms f WHERE f.doc_id = c.doc_id
                         AND f.respondent = 'callback' AND f.submitted_at IS NOT NULL)
           FROM (SELECT CASE customer_id WHEN '' THEN customer_name || '|' || customer_phone
                        ELSE customer_id END AS customer,
                        doc_id, customer_name, customer_phone, customer_tier, product_model,
                        completed_at, assignee,
                        ROW_NUMBER() OVER (
                            PARTITION BY CASE customer_id WHEN '' THEN customer_name || '|' || customer_phone
                                         ELSE customer_id END
                            ORDER BY completed_at DESC, doc_id) AS n
                   FROM jobs
                  WHERE status = 'completed' AND completed_at >= ?1 AND completed_at < ?2) c
          WHERE n = 1
          ORDER BY customer",
    )?;
    let candidates = stmt
        .query_map(params![month.start_ms(), month.end_ms()], |r| {
            Ok(CallbackCandidate {
                customer: r.get(0)?,
                job_id: r.get(1)?,
                customer_name: r.get(2)?,
                customer_phone: r.get(3)?,
                customer_tier: r.get(4)?,
                product_model: r.get(5)?,
                completed_at: r.get(6)?,
                technician: r.get(7)?,
                called: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(draw(month, &candidates, size))
}
