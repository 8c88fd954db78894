//! Parts (配件): consumption per part and product model in a period, and the remaining
//! coefficient (剩余系数 = stock left / stock bought) per model and part.
//!
//! "Bought" is every batch recorded for the model and part up to the end of the period;
//! "left" is bought minus every use recorded on that model's jobs up to the same day. A
//! coefficient below zero means more was used than bought — shown, never clamped.

use rusqlite::{Connection, params};

pub use onsite_store::report::parts::{Batch, Consumption, NewBatch, Remaining};

use super::Period;

pub fn consumption(
    conn: &Connection,
    period: &Period,
    product_model: Option<&str>,
    sku: Option<&str>,
) -> rusqlite::Result<Vec<Consumption>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.sku, MAX(p.name), j.product_model, COUNT(*), SUM(p.quantity),
                SUM(CASE WHEN p.billable THEN p.quantity ELSE 0 END),
                SUM(CASE WHEN p.billable THEN 0 ELSE p.quantity END),
                SUM(p.quantity * p.unit_price_cents)
           FROM job_parts p JOIN jobs j ON j.doc_id = p.doc_id
          WHERE p.at >= ?1 AND p.at < ?2
            AND (?3 IS NULL OR j.product_model = ?3) AND (?4 IS NULL OR p.sku = ?4)
          GROUP BY p.sku, j.product_model
          ORDER BY p.sku, j.product_model",
    )?;
    let rows = stmt.query_map(
        params![period.start_ms(), period.end_ms(), product_model, sku],
        |r| {
            Ok(Consumption {
                sku: r.get(0)?,
                name: r.get(1)?,
                product_model: r.get(2)?,
                lines: r.get::<_, i64>(3)? as u64,
                quantity: r.get(4)?,
                billable_quantity: r.get(5)?,
                warranty_quantity: r.get(6)?,
                cost_cents: r.get(7)?,
            })
        },
    )?;
    rows.collect()
}

/// Per model and part that has a recorded batch, as of the end of `period`.
pub fn remaining(
    conn: &Connection,
    period: &Period,
    product_model: Option<&str>,
    sku: Option<&str>,
) -> rusqlite::Result<Vec<Remaining>> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.product_model, b.sku, b.bought,
                COALESCE((SELECT SUM(p.quantity) FROM job_parts p JOIN jobs j ON j.doc_id = p.doc_id
                           WHERE p.sku = b.sku AND j.product_model = b.product_model
                             AND p.at < ?2), 0)
           FROM (SELECT product_model, sku, SUM(quantity) AS bought FROM parts_batches
                  WHERE bought_on <= ?1
                    AND (?3 IS NULL OR product_model = ?3) AND (?4 IS NULL OR sku = ?4)
                  GROUP BY product_model, sku) b
          ORDER BY b.product_model, b.sku",
    )?;
    let rows = stmt.query_map(
        params![
            period.to.format("%Y-%m-%d").to_string(),
            period.end_ms(),
            product_model,
            sku
        ],
        |r| {
            Ok(Remaining {
                product_model: r.get(0)?,
                sku: r.get(1)?,
                bought: r.get(2)?,
                used: r.get(3)?,
            })
        },
    )?;
    rows.collect()
}

/// Records a batch of parts bought.
pub fn add_batch(conn: &Connection, b: &NewBatch) -> rusqlite::Result<Batch> {
    conn.execute(
        "INSERT INTO parts_batches (sku, product_model, quantity, bought_on, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            b.sku,
            b.product_model,
            b.quantity,
            b.bought_on,
            b.created_at
        ],
    )?;
    Ok(Batch {
        id: conn.last_insert_rowid(),
        sku: b.sku.clone(),
        product_model: b.product_model.clone(),
        quantity: b.quantity,
        bought_on: b.bought_on.clone(),
    })
}
