//! Reference data as the sync reads it: what changed after a device's reference cursor,
//! and the van-stock balances a job's parts lines move.

use std::collections::{BTreeMap, BTreeSet};

use onsite_domain::{CatalogItem, FormItem, FormTemplate, Job, Role, StockLevel};
use onsite_sync::server::{Peer, ReferenceRead};
use postgres::Transaction;

use crate::error::PgError;

/// Takes the next reference sequence number, inside the write's transaction.
pub fn bump(tx: &mut Transaction<'_>) -> Result<i64, PgError> {
    Ok(tx
        .query_one(
            "UPDATE reference_head SET seq = seq + 1 WHERE id = 1 RETURNING seq",
            &[],
        )?
        .get(0))
}

fn head(tx: &mut Transaction<'_>) -> Result<i64, PgError> {
    Ok(tx
        .query_one("SELECT seq FROM reference_head WHERE id = 1", &[])?
        .get(0))
}

/// Catalog items, template versions and (for a technician) van-stock balances written
/// after `after` and at or before the head, with the head, in the unit's snapshot.
pub fn read(tx: &mut Transaction<'_>, peer: &Peer, after: u64) -> Result<ReferenceRead, PgError> {
    let head = head(tx)?;
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    if after >= head {
        return Ok(ReferenceRead {
            head: head as u64,
            ..ReferenceRead::default()
        });
    }
    let catalog = tx
        .query(
            "SELECT sku, name, unit_price_cents, billable, active FROM parts_catalog
              WHERE ref_seq > $1 AND ref_seq <= $2 ORDER BY sku",
            &[&after, &head],
        )?
        .iter()
        .map(|r| CatalogItem {
            sku: r.get(0),
            name: r.get(1),
            unit_price_cents: r.get(2),
            billable: r.get(3),
            active: r.get(4),
        })
        .collect();
    let mut templates = Vec::new();
    for r in tx.query(
        "SELECT template_id, version, title_zh, title_en, items, suggestion_zh, suggestion_en
           FROM form_templates WHERE ref_seq > $1 AND ref_seq <= $2
          ORDER BY template_id, version",
        &[&after, &head],
    )? {
        let id: String = r.get(0);
        let items: String = r.get(4);
        let items: Vec<FormItem> = serde_json::from_str(&items)
            .map_err(|e| PgError::Corrupt(format!("template {id}"), e.to_string()))?;
        templates.push(FormTemplate {
            id,
            version: r.get(1),
            title_zh: r.get(2),
            title_en: r.get(3),
            items,
            suggestion_zh: r.get(5),
            suggestion_en: r.get(6),
        });
    }
    let stock = match peer.role {
        Role::Technician => tx
            .query(
                "SELECT m.sku,
                        COALESCE((SELECT SUM(quantity) FROM van_stock_ledger l
                                   WHERE l.user_id = m.user_id AND l.sku = m.sku), 0)::BIGINT
                      - COALESCE((SELECT SUM(quantity) FROM job_parts p
                                   WHERE p.by_user = m.user_id AND p.sku = m.sku), 0)::BIGINT
                   FROM van_stock_marks m
                  WHERE m.user_id = $1 AND m.ref_seq > $2 AND m.ref_seq <= $3
                  ORDER BY m.sku",
                &[&peer.user_id, &after, &head],
            )?
            .iter()
            .map(|r| StockLevel {
                sku: r.get(0),
                balance: r.get(1),
            })
            .collect(),
        Role::BackOffice | Role::Admin => Vec::new(),
    };
    Ok(ReferenceRead {
        head: head as u64,
        catalog,
        templates,
        stock,
    })
}

/// Marks the van-stock balances a new version of the job's parts lines moves (a line
/// added, removed or changed), so the devices of those technicians receive them.
pub fn mark_parts_changes(
    tx: &mut Transaction<'_>,
    doc_id: &str,
    job: &Job,
) -> Result<(), PgError> {
    type Line = (String, String, i64);
    let old: BTreeMap<String, Line> = tx
        .query(
            "SELECT line_id, by_user, sku, quantity FROM job_parts WHERE doc_id = $1",
            &[&doc_id],
        )?
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
        .collect();
    let new: BTreeMap<&String, Line> = job
        .parts
        .iter()
        .map(|(id, p)| (id, (p.by.clone(), p.sku.clone(), p.quantity)))
        .collect();
    let mut moved: BTreeSet<(String, String)> = BTreeSet::new();
    for (id, line) in &old {
        if new.get(id) != Some(line) {
            moved.insert((line.0.clone(), line.1.clone()));
        }
    }
    for (id, line) in &new {
        if old.get(*id) != Some(line) {
            moved.insert((line.0.clone(), line.1.clone()));
        }
    }
    if moved.is_empty() {
        return Ok(());
    }
    let at = bump(tx)?;
    for (user, sku) in moved {
        tx.execute(
            "INSERT INTO van_stock_marks (user_id, sku, ref_seq) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, sku) DO UPDATE SET ref_seq = excluded.ref_seq",
            &[&user, &sku, &at],
        )?;
    }
    Ok(())
}
