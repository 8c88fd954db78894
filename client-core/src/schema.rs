//! The device database: one SQLite file, its current schema, and its upgrades.
//!
//! The version lives in `PRAGMA user_version`. Every database, new or older, climbs the
//! same ladder of steps (`STEPS`) one version at a time, all inside one transaction, so a
//! database is always at one version or the next, never between, and a new database has
//! exactly the schema of an upgraded one. A shipped step is never edited: add the next one.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// The schema version this software writes.
pub const VERSION: u32 = 2;

/// Version 1: documents, outbox, meta, the jobs query table and the conflict log.
const V1: &str = "
-- Each job's Automerge document, as saved by `save()`.
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY,
    data   BLOB NOT NULL
);

-- Local changes the server has not acknowledged, oldest first.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    hash       TEXT NOT NULL UNIQUE,
    doc_id     TEXT NOT NULL,
    change     BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_doc ON outbox (doc_id);

-- Device id, session, sync cursor.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The query table: one row per stored job, kept in the same transaction as its document,
-- so lists and searches never load documents.
CREATE TABLE jobs (
    doc_id         TEXT PRIMARY KEY REFERENCES documents (doc_id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    review_state   TEXT NOT NULL,
    assignee       TEXT,
    origin         TEXT NOT NULL,
    complaint      INTEGER NOT NULL,
    customer_name  TEXT NOT NULL,
    customer_phone TEXT NOT NULL,
    customer_tier  TEXT NOT NULL,
    product_model  TEXT NOT NULL,
    product_serial TEXT NOT NULL,
    reported_at    INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    event_count    INTEGER NOT NULL,
    note_count     INTEGER NOT NULL,
    parts_count    INTEGER NOT NULL,
    forms_count    INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, reported_at);
CREATE INDEX jobs_review_state ON jobs (review_state, reported_at);
CREATE INDEX jobs_reported_at ON jobs (reported_at);

-- Refused local changes, kept for people to see.
CREATE TABLE conflicts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL,
    code         TEXT NOT NULL,
    message      TEXT NOT NULL,
    at           INTEGER NOT NULL,
    change_count INTEGER NOT NULL
);
CREATE INDEX conflicts_doc ON conflicts (doc_id);
CREATE TABLE conflict_changes (
    conflict_id INTEGER NOT NULL REFERENCES conflicts (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    change      BLOB NOT NULL,
    PRIMARY KEY (conflict_id, hash)
);
";

/// Version 2, the reference data: the parts catalog, published form templates and van
/// stock, kept as the server sent them (read-only here), and the parts lines this device
/// recorded, to show the van stock less what the server has not counted yet.
const V2: &str = "
-- Reference data from the server (sync), never changed here.
CREATE TABLE parts_catalog (
    sku              TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    billable         INTEGER NOT NULL,
    active           INTEGER NOT NULL
);
-- Published template versions, each as JSON (onsite_domain::FormTemplate); the built-in
-- csat-onsite v1 is code, not a row.
CREATE TABLE form_templates (
    template_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
);
-- The signed-in technician's van stock as the server last counted it.
CREATE TABLE van_stock (
    sku     TEXT PRIMARY KEY,
    balance INTEGER NOT NULL
);
-- Parts lines recorded on this device, with the change that recorded them: while that
-- change waits in the outbox, the server has not counted the line yet.
CREATE TABLE part_uses (
    line_id     TEXT PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    sku         TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    change_hash TEXT NOT NULL
);
CREATE INDEX part_uses_change ON part_uses (change_hash);
";

/// The steps, in order: `STEPS[n]` takes a database from version `n` to `n + 1`.
const STEPS: [&str; VERSION as usize] = [V1, V2];

/// Opens (creating if needed) the database at `path`, upgraded to [`VERSION`].
pub fn open(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // WAL: readers never wait for the writer. FULL: a commit is on disk before it
    // returns, so a phone that dies a second after an operation keeps it.
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Internal(format!(
            "the database refused WAL mode (journal_mode is {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    upgrade(&mut conn)?;
    Ok(conn)
}

/// Brings the database to [`VERSION`] in one transaction. A no-op when it is there.
pub fn upgrade(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = user_version(&tx)?;
    if found == VERSION {
        return Ok(());
    }
    if found > VERSION {
        return Err(Error::SchemaTooNew {
            found,
            supported: VERSION,
        });
    }
    for step in &STEPS[found as usize..] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

pub fn user_version(conn: &Connection) -> Result<u32> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn a_new_database_gets_the_current_schema_and_reopening_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("onsite.sqlite");
        let conn = open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), VERSION);
        let created = tables(&conn);
        for table in [
            "conflict_changes",
            "conflicts",
            "documents",
            "form_templates",
            "jobs",
            "meta",
            "outbox",
            "part_uses",
            "parts_catalog",
            "van_stock",
        ] {
            assert!(created.iter().any(|t| t == table), "{table} missing");
        }
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "synchronous=FULL");
        conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])
            .unwrap();
        drop(conn);

        let conn = open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), VERSION);
        assert_eq!(tables(&conn), created);
        let kept: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, "v");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    fn schema_sql(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|sql| {
                sql.unwrap()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// Every version ever shipped, as it was created, upgrades to the current one, with
    /// the same tables as a new database, and keeps its rows.
    #[test]
    fn every_older_version_upgrades() {
        let fresh_dir = tempfile::tempdir().unwrap();
        let fresh = schema_sql(&open(&fresh_dir.path().join("onsite.sqlite")).unwrap());
        // A database left at each older version by the software of that version.
        let older: Vec<(u32, String)> = (1..VERSION)
            .map(|v| (v, STEPS[..v as usize].concat()))
            .collect();
        for (version, schema) in older {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("onsite.sqlite");
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(&schema).unwrap();
            conn.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])
                .unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
            drop(conn);
            let conn = open(&path).unwrap();
            assert_eq!(user_version(&conn).unwrap(), VERSION);
            assert_eq!(schema_sql(&conn), fresh, "upgraded from {version}");
            let kept: String = conn
                .query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))
                .unwrap();
            assert_eq!(kept, "v");
        }
    }

    #[test]
    fn a_database_from_newer_software_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("onsite.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        drop(conn);
        let err = open(&path).unwrap_err();
        assert!(matches!(err, Error::SchemaTooNew { found, .. } if found == VERSION + 1));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), VERSION + 1);
        assert!(tables(&conn).is_empty());
    }
}
