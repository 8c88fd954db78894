//! Parts (配件): consumption per part and product model in a period, and the remaining
//! coefficient (剩余系数 = stock left / stock bought) per model and part.
//!
//! "Bought" is every batch recorded for the model and part up to the end of the period;
//! "left" is bought minus every use recorded on that model's jobs up to the same day. A
//! coefficient below zero means more was used than bought — shown, never clamped.

use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::{Cell, Period, Table, pct};

#[derive(Debug, Clone, PartialEq)]
pub struct Consumption {
    pub sku: String,
    pub name: String,
    pub product_model: String,
    pub lines: u64,
    pub quantity: i64,
    pub billable_quantity: i64,
    pub warranty_quantity: i64,
    pub cost_cents: i64,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct Remaining {
    pub product_model: String,
    pub sku: String,
    pub bought: i64,
    pub used: i64,
}

impl Remaining {
    pub fn coefficient(&self) -> Option<f64> {
        (self.bought > 0).then(|| (self.bought - self.used) as f64 / self.bought as f64)
    }
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

pub fn consumption_json(c: &Consumption) -> Value {
    json!({
        "sku": c.sku,
        "name": c.name,
        "product_model": c.product_model,
        "lines": c.lines,
        "quantity": c.quantity,
        "billable_quantity": c.billable_quantity,
        "warranty_quantity": c.warranty_quantity,
        "cost_cents": c.cost_cents,
    })
}

pub fn remaining_json(r: &Remaining) -> Value {
    json!({
        "product_model": r.product_model,
        "sku": r.sku,
        "bought": r.bought,
        "used": r.used,
        "left": r.bought - r.used,
        "remaining_coefficient": r.coefficient().map(|c| pct(c * 100.0) / 100.0),
    })
}

pub fn consumption_table(rows: &[Consumption]) -> Table {
    Table {
        title: "配件消耗 parts consumption".into(),
        columns: [
            "配件编号 SKU",
            "配件名称 part",
            "产品型号 product model",
            "记录数 lines",
            "数量 quantity",
            "收费数量 billable",
            "保修数量 warranty",
            "金额(分) cost cents",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|c| {
                vec![
                    Cell::Text(c.sku.clone()),
                    Cell::Text(c.name.clone()),
                    Cell::Text(c.product_model.clone()),
                    Cell::Int(c.lines as i64),
                    Cell::Int(c.quantity),
                    Cell::Int(c.billable_quantity),
                    Cell::Int(c.warranty_quantity),
                    Cell::Int(c.cost_cents),
                ]
            })
            .collect(),
    }
}

pub fn remaining_table(rows: &[Remaining]) -> Table {
    Table {
        title: "剩余系数 remaining coefficient".into(),
        columns: [
            "产品型号 product model",
            "配件编号 SKU",
            "采购数量 bought",
            "使用数量 used",
            "剩余数量 left",
            "剩余系数 remaining coefficient",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.product_model.clone()),
                    Cell::Text(r.sku.clone()),
                    Cell::Int(r.bought),
                    Cell::Int(r.used),
                    Cell::Int(r.bought - r.used),
                    r.coefficient().map_or(Cell::Empty, |c| {
                        Cell::Num((c * 10_000.0).round() / 10_000.0)
                    }),
                ]
            })
            .collect(),
    }
}
