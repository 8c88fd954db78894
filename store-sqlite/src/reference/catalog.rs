//! The parts catalog (配件目录): SKU, name, unit price, billable or warranty-covered, and
//! whether it is still in use. Devices hold it read-only.

use onsite_domain::CatalogItem;
use onsite_store::RepoError;
use onsite_store::repo::reference::{CatalogFilter, CatalogPatch, Page};
use rusqlite::{Connection, OptionalExtension, params};

use super::{like_pattern, seq};
use crate::backend::db_err;

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogItem> {
    Ok(CatalogItem {
        sku: r.get(0)?,
        name: r.get(1)?,
        unit_price_cents: r.get(2)?,
        billable: r.get(3)?,
        active: r.get(4)?,
    })
}

const COLUMNS: &str = "sku, name, unit_price_cents, billable, active";

pub fn get(conn: &Connection, sku: &str) -> rusqlite::Result<Option<CatalogItem>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM parts_catalog WHERE sku = ?1"
    ))?
    .query_row([sku], item)
    .optional()
}

/// Adds a part; 409 `sku_taken` when the SKU is in the catalog already.
pub fn create(conn: &mut Connection, new: &CatalogItem, now: i64) -> Result<(), RepoError> {
    let tx = conn.savepoint().map_err(db_err)?;
    if get(&tx, &new.sku).map_err(db_err)?.is_some() {
        return Err(RepoError::refused(
            "sku_taken",
            format!("part {} is in the catalog already", new.sku),
        ));
    }
    let at = seq::bump(&tx).map_err(db_err)?;
    tx.execute(
        "INSERT INTO parts_catalog (sku, name, unit_price_cents, billable, active, ref_seq,
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![
            new.sku,
            new.name,
            new.unit_price_cents,
            new.billable,
            new.active,
            at,
            now
        ],
    )
    .map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(())
}

/// Changes a part; `None` for an unknown SKU. An update that changes nothing writes
/// nothing (devices are not sent it again).
pub fn update(
    conn: &mut Connection,
    sku: &str,
    patch: &CatalogPatch,
    now: i64,
) -> rusqlite::Result<Option<CatalogItem>> {
    let tx = conn.savepoint()?;
    let Some(old) = get(&tx, sku)? else {
        return Ok(None);
    };
    let new = CatalogItem {
        sku: old.sku.clone(),
        name: patch.name.clone().unwrap_or_else(|| old.name.clone()),
        unit_price_cents: patch.unit_price_cents.unwrap_or(old.unit_price_cents),
        billable: patch.billable.unwrap_or(old.billable),
        active: patch.active.unwrap_or(old.active),
    };
    if new != old {
        let at = seq::bump(&tx)?;
        tx.execute(
            "UPDATE parts_catalog SET name = ?2, unit_price_cents = ?3, billable = ?4,
                 active = ?5, ref_seq = ?6, updated_at = ?7 WHERE sku = ?1",
            params![
                sku,
                new.name,
                new.unit_price_cents,
                new.billable,
                new.active,
                at,
                now
            ],
        )?;
    }
    tx.commit()?;
    Ok(Some(new))
}

/// A page of the catalog by SKU.
pub fn list(conn: &Connection, f: &CatalogFilter) -> rusqlite::Result<Page<CatalogItem>> {
    let pattern = f.text.as_deref().map(like_pattern);
    let filter = "(?1 IS NULL OR active = ?1)
         AND (?2 IS NULL OR sku LIKE ?2 ESCAPE '\\' OR name LIKE ?2 ESCAPE '\\')";
    let total = conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM parts_catalog WHERE {filter}"
        ))?
        .query_row(params![f.active, pattern], |r| r.get(0))?;
    let items = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM parts_catalog WHERE {filter} ORDER BY sku LIMIT ?3 OFFSET ?4"
        ))?
        .query_map(params![f.active, pattern, f.limit, f.offset], item)?
        .collect::<Result<_, _>>()?;
    Ok(Page { rows: items, total })
}

/// Parts written after reference sequence `after`, up to `head`.
pub fn changed_since(
    conn: &Connection,
    after: i64,
    head: i64,
) -> rusqlite::Result<Vec<CatalogItem>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM parts_catalog WHERE ref_seq > ?1 AND ref_seq <= ?2 ORDER BY sku"
    ))?
    .query_map(params![after, head], item)?
    .collect()
}
