//! The customer and product registries the back office keeps. A job made from them copies
//! the records into its document (its own snapshot, which later edits of the registry do
//! not change), so they are not synced to devices on their own.

use onsite_store::RepoError;
use onsite_store::repo::reference::{
    CustomerFilter, CustomerRecord, Page, ProductFilter, ProductRecord,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::like_pattern;
use crate::backend::db_err;

const CUSTOMER: &str =
    "id, name, phone, address, tier, region, site_distance, created_at, updated_at";
const PRODUCT: &str = "id, customer_id, model, serial, purchase_date, created_at, updated_at";

fn customer(r: &rusqlite::Row<'_>) -> rusqlite::Result<CustomerRecord> {
    Ok(CustomerRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        phone: r.get(2)?,
        address: r.get(3)?,
        tier: r.get(4)?,
        region: r.get(5)?,
        site_distance: r.get(6)?,
        created_at: r.get(7)?,
        updated_at: r.get(8)?,
    })
}

fn product(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProductRecord> {
    Ok(ProductRecord {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        model: r.get(2)?,
        serial: r.get(3)?,
        purchase_date: r.get(4)?,
        created_at: r.get(5)?,
        updated_at: r.get(6)?,
    })
}

pub fn customer_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<CustomerRecord>> {
    conn.prepare_cached(&format!("SELECT {CUSTOMER} FROM customers WHERE id = ?1"))?
        .query_row([id], customer)
        .optional()
}

pub fn product_by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<ProductRecord>> {
    conn.prepare_cached(&format!("SELECT {PRODUCT} FROM products WHERE id = ?1"))?
        .query_row([id], product)
        .optional()
}

/// Adds a customer (its `created_at`/`updated_at` are set here); 409 `id_taken`.
pub fn create_customer(
    conn: &Connection,
    c: &CustomerRecord,
    now: i64,
) -> Result<CustomerRecord, RepoError> {
    if customer_by_id(conn, &c.id).map_err(db_err)?.is_some() {
        return Err(RepoError::refused(
            "id_taken",
            "a customer with that id exists",
        ));
    }
    conn.execute(
        "INSERT INTO customers (id, name, phone, address, tier, region, site_distance,
             created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            c.id,
            c.name,
            c.phone,
            c.address,
            c.tier,
            c.region,
            c.site_distance,
            now
        ],
    )
    .map_err(db_err)?;
    Ok(CustomerRecord {
        created_at: now,
        updated_at: now,
        ..c.clone()
    })
}

/// Writes a changed customer (all fields but `id` and `created_at`).
pub fn update_customer(conn: &Connection, c: &CustomerRecord) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE customers SET name = ?2, phone = ?3, address = ?4, tier = ?5, region = ?6,
             site_distance = ?7, updated_at = ?8 WHERE id = ?1",
        params![
            c.id,
            c.name,
            c.phone,
            c.address,
            c.tier,
            c.region,
            c.site_distance,
            c.updated_at
        ],
    )?;
    Ok(())
}

/// Adds a product of a registered customer; 422 `unknown_customer`, 409 `id_taken`.
pub fn create_product(
    conn: &Connection,
    p: &ProductRecord,
    now: i64,
) -> Result<ProductRecord, RepoError> {
    if customer_by_id(conn, &p.customer_id)
        .map_err(db_err)?
        .is_none()
    {
        return Err(RepoError::refused(
            "unknown_customer",
            "no customer has that customer_id",
        ));
    }
    if product_by_id(conn, &p.id).map_err(db_err)?.is_some() {
        return Err(RepoError::refused(
            "id_taken",
            "a product with that id exists",
        ));
    }
    conn.execute(
        "INSERT INTO products (id, customer_id, model, serial, purchase_date, created_at,
             updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![p.id, p.customer_id, p.model, p.serial, p.purchase_date, now],
    )
    .map_err(db_err)?;
    Ok(ProductRecord {
        created_at: now,
        updated_at: now,
        ..p.clone()
    })
}

/// Writes a changed product; 422 `unknown_customer` when it moves to an unknown one.
pub fn update_product(conn: &Connection, p: &ProductRecord) -> Result<(), RepoError> {
    if customer_by_id(conn, &p.customer_id)
        .map_err(db_err)?
        .is_none()
    {
        return Err(RepoError::refused(
            "unknown_customer",
            "no customer has that customer_id",
        ));
    }
    conn.execute(
        "UPDATE products SET customer_id = ?2, model = ?3, serial = ?4, purchase_date = ?5,
             updated_at = ?6 WHERE id = ?1",
        params![
            p.id,
            p.customer_id,
            p.model,
            p.serial,
            p.purchase_date,
            p.updated_at
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// A page of customers by name.
pub fn customers(conn: &Connection, f: &CustomerFilter) -> rusqlite::Result<Page<CustomerRecord>> {
    let pattern = f.text.as_deref().map(like_pattern);
    let filter = "(?1 IS NULL OR name LIKE ?1 ESCAPE '\\' OR phone LIKE ?1 ESCAPE '\\')
         AND (?2 IS NULL OR tier = ?2) AND (?3 IS NULL OR region = ?3)";
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM customers WHERE {filter}"))?
        .query_row(params![pattern, f.tier, f.region], |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {CUSTOMER} FROM customers WHERE {filter}
              ORDER BY name, id LIMIT ?4 OFFSET ?5"
        ))?
        .query_map(
            params![pattern, f.tier, f.region, f.limit, f.offset],
            customer,
        )?
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}

/// A page of products by model and serial.
pub fn products(conn: &Connection, f: &ProductFilter) -> rusqlite::Result<Page<ProductRecord>> {
    let pattern = f.serial.as_deref().map(like_pattern);
    let filter = "(?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR model = ?2)
         AND (?3 IS NULL OR serial LIKE ?3 ESCAPE '\\')";
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM products WHERE {filter}"))?
        .query_row(params![f.customer_id, f.model, pattern], |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {PRODUCT} FROM products WHERE {filter}
              ORDER BY model, serial, id LIMIT ?4 OFFSET ?5"
        ))?
        .query_map(
            params![f.customer_id, f.model, pattern, f.limit, f.offset],
            product,
        )?
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}
