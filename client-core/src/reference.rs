//! Reading reference data on the device: the parts catalog, the form templates (the
//! built-in csat-onsite v1 and every version synced) and the technician's van stock. All
//! of it comes from the server by sync and is read-only here.

use onsite_domain::{CatalogItem, FormTemplate};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};

/// The van stock of one part as the device shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    pub sku: String,
    /// The catalog's name of the part; empty for a part outside the catalog.
    pub name: String,
    /// The server's count less [`StockLine::unsynced_use`]: what should be in the van now.
    pub balance: i64,
    /// Quantities of parts lines recorded on this device that the server has not counted
    /// yet (their changes wait in the outbox).
    pub unsynced_use: i64,
    /// More was used than restocked: the back office is told, nothing is clamped.
    pub negative: bool,
}

fn item(r: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogItem> {
    Ok(CatalogItem {
        sku: r.get(0)?,
        name: r.get(1)?,
        unit_price_cents: r.get(2)?,
        billable: r.get(3)?,
        active: r.get(4)?,
    })
}

pub(crate) fn parts_catalog(conn: &Connection) -> Result<Vec<CatalogItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sku, name, unit_price_cents, billable, active FROM parts_catalog ORDER BY sku",
    )?;
    let rows = stmt.query_map([], item)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(crate) fn catalog_item(conn: &Connection, sku: &str) -> Result<Option<CatalogItem>> {
    Ok(conn
        .prepare_cached(
            "SELECT sku, name, unit_price_cents, billable, active FROM parts_catalog
              WHERE sku = ?1",
        )?
        .query_row([sku], item)
        .optional()?)
}

fn parse_template(body: &str) -> Result<FormTemplate> {
    serde_json::from_str(body)
        .map_err(|e| Error::Internal(format!("a stored form template cannot be read: {e}")))
}

/// Every template version on the device, the built-in first, then by id and version.
pub(crate) fn form_templates(conn: &Connection) -> Result<Vec<FormTemplate>> {
    let mut out = vec![FormTemplate::builtin()];
    let mut stmt =
        conn.prepare_cached("SELECT body FROM form_templates ORDER BY template_id, version")?;
    let bodies = stmt.query_map([], |r| r.get::<_, String>(0))?;
    for body in bodies {
        let t = parse_template(&body?)?;
        if !FormTemplate::is_builtin(&t.id, t.version) {
            out.push(t);
        }
    }
    Ok(out)
}

/// One template version, if the device has it (the built-in one always).
pub(crate) fn form_template(
    conn: &Connection,
    id: &str,
    version: i64,
) -> Result<Option<FormTemplate>> {
    if FormTemplate::is_builtin(id, version) {
        return Ok(Some(FormTemplate::builtin()));
    }
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM form_templates WHERE template_id = ?1 AND version = ?2")?
        .query_row(params![id, version], |r| r.get(0))
        .optional()?;
    body.as_deref().map(parse_template).transpose()
}

/// The newest version of a template on the device.
pub(crate) fn latest_template(conn: &Connection, id: &str) -> Result<Option<FormTemplate>> {
    let newest: Option<i64> = conn
        .prepare_cached("SELECT MAX(version) FROM form_templates WHERE template_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    match newest {
        Some(version) => form_template(conn, id, version),
        None if id == onsite_domain::forms::DEFAULT_TEMPLATE_ID => {
            Ok(Some(FormTemplate::builtin()))
        }
        None => Ok(None),
    }
}

/// The van stock: the server's balances less this device's uncounted uses, by SKU.
pub(crate) fn van_stock(conn: &Connection) -> Result<Vec<StockLine>> {
    let mut stmt = conn.prepare_cached(
        "WITH pending AS (
             SELECT u.sku, SUM(u.quantity) AS q FROM part_uses u
               JOIN outbox o ON o.hash = u.change_hash
              GROUP BY u.sku),
         skus AS (SELECT sku FROM van_stock UNION SELECT sku FROM pending)
         SELECT k.sku, COALESCE(c.name, ''), COALESCE(s.balance, 0), COALESCE(p.q, 0)
           FROM skus k
           LEFT JOIN van_stock s ON s.sku = k.sku
           LEFT JOIN pending p ON p.sku = k.sku
           LEFT JOIN parts_catalog c ON c.sku = k.sku
          ORDER BY k.sku",
    )?;
    let rows = stmt.query_map([], |r| {
        let counted: i64 = r.get(2)?;
        let unsynced: i64 = r.get(3)?;
        let balance = counted - unsynced;
        Ok(StockLine {
            sku: r.get(0)?,
            name: r.get(1)?,
            balance,
            unsynced_use: unsynced,
            negative: balance < 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
