//! Reference data in the device store: written only from what the server sends (never by
//! an operation), and the parts lines this device recorded, kept until the server has
//! counted them in the van stock.

use onsite_domain::PartLine;
use onsite_sync::wire::ReferenceDelta;
use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::session::keys;

use super::{delete_meta, get_meta, set_meta};

/// The last reference sequence applied; 0 when none.
pub(crate) fn cursor(conn: &Connection) -> Result<u64> {
    match get_meta(conn, keys::REFERENCE_SEQ)? {
        None => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| Error::Internal("the stored reference cursor is not a number".into())),
    }
}

/// Applies a delta from the server, in the caller's transaction.
pub(crate) fn apply(conn: &Connection, delta: &ReferenceDelta) -> Result<()> {
    if delta.full {
        clear(conn)?;
    }
    let mut item = conn.prepare_cached(
        "INSERT OR REPLACE INTO parts_catalog (sku, name, unit_price_cents, billable, active)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for i in &delta.catalog {
        item.execute(params![
            i.sku,
            i.name,
            i.unit_price_cents,
            i.billable,
            i.active
        ])?;
    }
    let mut template = conn.prepare_cached(
        "INSERT OR REPLACE INTO form_templates (template_id, version, body) VALUES (?1, ?2, ?3)",
    )?;
    for t in &delta.templates {
        let body = serde_json::to_string(t)
            .map_err(|e| Error::Internal(format!("cannot keep a form template: {e}")))?;
        template.execute(params![t.id, t.version, body])?;
    }
    let mut stock =
        conn.prepare_cached("INSERT OR REPLACE INTO van_stock (sku, balance) VALUES (?1, ?2)")?;
    for level in &delta.stock {
        stock.execute(params![level.sku, level.balance])?;
    }
    set_meta(conn, keys::REFERENCE_SEQ, &delta.seq.to_string())
}

/// Forgets the reference cursor: the next sync asks for everything (which then replaces
/// what is held).
pub(crate) fn forget_cursor(conn: &Connection) -> Result<()> {
    delete_meta(conn, keys::REFERENCE_SEQ)
}

/// Removes all reference data and the cursor (another account, or a wipe).
pub(crate) fn clear(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "DELETE FROM parts_catalog;
         DELETE FROM form_templates;
         DELETE FROM van_stock;",
    )?;
    forget_cursor(conn)
}

/// Remembers a parts line recorded here, with the change that recorded it.
pub(crate) fn record_use(
    conn: &Connection,
    doc_id: &str,
    line: &PartLine,
    change_hash: &str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO part_uses (line_id, doc_id, sku, quantity, change_hash)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        line.id,
        doc_id,
        line.sku,
        line.quantity,
        change_hash
    ])?;
    Ok(())
}

/// Forgets the uses whose change left the outbox: acknowledged (the balance that came with
/// the acknowledgement counts them) or refused (they never happened).
pub(crate) fn settle_uses(conn: &Connection) -> Result<()> {
    conn.execute(
        "DELETE FROM part_uses WHERE change_hash NOT IN (SELECT hash FROM outbox)",
        [],
    )?;
    Ok(())
}
