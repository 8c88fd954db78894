//! The server's SQLite schema and its upgrades.
//!
//! The version lives in `PRAGMA user_version`; [`migrate`] upgrades from any older version
//! inside one transaction. Never edit a shipped step: add the next one.

use rusqlite::Connection;

pub const CURRENT_VERSION: i64 = 1;

const V1: &str = "
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('technician', 'back_office', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    -- Bumped when the password or role changes: older access tokens stop working.
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- Every device an account has signed in on.
CREATE TABLE devices (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    revoked_at INTEGER,
    -- Set with a revocation: the device erases its local data after its last upload.
    wipe       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;

-- Rotating refresh tokens, stored as SHA-256 hashes. A family is one sign-in.
CREATE TABLE refresh_tokens (
    hash       BLOB PRIMARY KEY,
    family     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX refresh_by_family ON refresh_tokens (family);
CREATE INDEX refresh_by_user ON refresh_tokens (user_id, device_id);

-- Every accepted change (kind 0) and every scope entry (1) or exit (2), numbered.
CREATE TABLE feed (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
    doc_id        TEXT NOT NULL,
    user_id       TEXT,
    origin_device TEXT NOT NULL,
    hash          BLOB UNIQUE,
    data          BLOB
);
CREATE INDEX feed_by_doc ON feed (doc_id, seq) WHERE kind = 0;
CREATE INDEX feed_by_user ON feed (user_id, seq) WHERE kind <> 0;

CREATE TABLE documents (
    doc_id      TEXT PRIMARY KEY,
    data        BLOB NOT NULL,
    assignee    TEXT,
    updated_seq INTEGER NOT NULL
) WITHOUT ROWID;

-- Which technician holds which job, and since which feed sequence.
CREATE TABLE job_scope (
    user_id   TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    enter_seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, doc_id)
) WITHOUT ROWID;

-- Query table of jobs, updated in the same transaction as the documents.
CREATE TABLE jobs (
    doc_id          TEXT PRIMARY KEY,
    status          TEXT NOT NULL,
    review_state    TEXT NOT NULL,
    assignee        TEXT,
    origin          TEXT NOT NULL,
    complaint       INTEGER NOT NULL,
    customer_name   TEXT NOT NULL,
    customer_phone  TEXT NOT NULL,
    customer_tier   TEXT NOT NULL,
    customer_region TEXT NOT NULL,
    product_model   TEXT NOT NULL,
    product_serial  TEXT NOT NULL,
    reported_at     INTEGER NOT NULL,
    updated_seq     INTEGER NOT NULL,
    event_count     INTEGER NOT NULL,
    parts_count     INTEGER NOT NULL,
    forms_count     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX jobs_by_status ON jobs (status, reported_at);
CREATE INDEX jobs_by_assignee ON jobs (assignee, reported_at);
CREATE INDEX jobs_by_review ON jobs (review_state, reported_at);
";

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "database schema version {0} is newer than this server ({CURRENT_VERSION}); upgrade the server"
    )]
    TooNew(i64),
}

/// Brings the database to [`CURRENT_VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > CURRENT_VERSION {
        return Err(SchemaError::TooNew(version));
    }
    let mut at = version;
    while at < CURRENT_VERSION {
        match at {
            0 => tx.execute_batch(V1)?,
            _ => unreachable!("every version below CURRENT_VERSION has an upgrade step"),
        }
        at += 1;
    }
    tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrades_from_every_version_and_refuses_newer() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, CURRENT_VERSION);
        conn.pragma_update(None, "user_version", CURRENT_VERSION + 1)
            .unwrap();
        assert!(matches!(migrate(&mut conn), Err(SchemaError::TooNew(_))));
    }
}
