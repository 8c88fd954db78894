//! Callback survey (回访): a reproducible random sample of a month's customers.
//!
//! Candidates are the customers of the jobs completed in the month (one job each: the
//! latest completed), in a fixed order; the sample is drawn with a ChaCha generator seeded
//! from the month, so asking twice for the same month and size gives the same customers as
//! long as no job of that month was completed in between.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Cell, Period, Table};

fn seed(month: &Period) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"onsite callback sample ");
    h.update(month.from.format("%Y-%m").to_string().as_bytes());
    h.finalize().into()
}

/// Up to `size` customers of `month`, each with the job to call about.
pub fn sample(conn: &Connection, month: &Period, size: usize) -> rusqlite::Result<Vec<Value>> {
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
            Ok(json!({
                "customer": r.get::<_, String>(0)?,
                "job_id": r.get::<_, String>(1)?,
                "customer_name": r.get::<_, String>(2)?,
                "customer_phone": r.get::<_, String>(3)?,
                "customer_tier": r.get::<_, String>(4)?,
                "product_model": r.get::<_, String>(5)?,
                "completed_at": r.get::<_, Option<i64>>(6)?,
                "technician": r.get::<_, Option<String>>(7)?,
                "called": r.get::<_, bool>(8)?,
            }))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut rng = ChaCha8Rng::from_seed(seed(month));
    let n = size.min(candidates.len());
    let mut picked = rand::seq::index::sample(&mut rng, candidates.len(), n).into_vec();
    // The call list reads in customer order, whatever order the draw produced.
    picked.sort_unstable();
    Ok(picked
        .into_iter()
        .filter_map(|i| candidates.get(i).cloned())
        .collect())
}

pub fn table(rows: &[Value]) -> Table {
    let s = |v: &Value| Cell::Text(v.as_str().map(str::to_string).unwrap_or_default());
    Table {
        title: "回访样本 callback sample".into(),
        columns: [
            "工单号 job",
            "客户 customer",
            "电话 phone",
            "客户等级 tier",
            "产品型号 model",
            "已回访 called",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    s(&r["job_id"]),
                    s(&r["customer_name"]),
                    s(&r["customer_phone"]),
                    s(&r["customer_tier"]),
                    s(&r["product_model"]),
                    Cell::from(if r["called"] == true {
                        "是 yes"
                    } else {
                        "否 no"
                    }),
                ]
            })
            .collect(),
    }
}
