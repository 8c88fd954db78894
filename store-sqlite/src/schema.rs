//! The server's SQLite schema and its upgrades.
//!
//! The version lives in `PRAGMA user_version`; [`migrate`] upgrades from any older version
//! inside one transaction. Never edit a shipped step: add the next one.

use rusqlite::Connection;

pub const CURRENT_VERSION: i64 = 8;

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

/// Query tables of the back office (issue 4): what reports group and filter on, written
/// from the job document in the same transaction as the document itself.
const V2: &str = "
ALTER TABLE jobs ADD COLUMN customer_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN site_distance TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN purchase_date TEXT;
ALTER TABLE jobs ADD COLUMN dap INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN feedback_category TEXT;
ALTER TABLE jobs ADD COLUMN responsible_department TEXT;
ALTER TABLE jobs ADD COLUMN labour_minutes INTEGER NOT NULL DEFAULT 0;
-- Latest completion by the current assignee (a resubmission moves it).
ALTER TABLE jobs ADD COLUMN completed_at INTEGER;
-- Service-level clocks in ms (NULL until both ends are recorded), from device timestamps.
ALTER TABLE jobs ADD COLUMN response_ms INTEGER;
ALTER TABLE jobs ADD COLUMN arrival_ms INTEGER;
ALTER TABLE jobs ADD COLUMN diagnosis_ms INTEGER;
ALTER TABLE jobs ADD COLUMN handling_ms INTEGER;
CREATE INDEX jobs_by_tier ON jobs (customer_tier, reported_at);
CREATE INDEX jobs_by_completed ON jobs (completed_at);

CREATE TABLE job_events (
    doc_id   TEXT NOT NULL,
    event_id TEXT NOT NULL,
    kind     TEXT NOT NULL,
    at       INTEGER NOT NULL,
    by_user  TEXT NOT NULL,
    PRIMARY KEY (doc_id, event_id)
) WITHOUT ROWID;
CREATE INDEX job_events_by_kind ON job_events (kind, at);

CREATE TABLE job_reviews (
    doc_id    TEXT NOT NULL,
    review_id TEXT NOT NULL,
    decision  TEXT NOT NULL,
    comment   TEXT NOT NULL,
    at        INTEGER NOT NULL,
    by_user   TEXT NOT NULL,
    PRIMARY KEY (doc_id, review_id)
) WITHOUT ROWID;

CREATE TABLE job_forms (
    doc_id           TEXT NOT NULL,
    form_id          TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    respondent       TEXT NOT NULL,
    submitted_at     INTEGER,
    by_user          TEXT NOT NULL,
    suggestion       TEXT NOT NULL,
    PRIMARY KEY (doc_id, form_id)
) WITHOUT ROWID;
CREATE INDEX job_forms_by_submitted ON job_forms (submitted_at);

CREATE TABLE form_answers (
    doc_id  TEXT NOT NULL,
    form_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    points  INTEGER NOT NULL,
    comment TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (doc_id, form_id, item_id)
) WITHOUT ROWID;

CREATE TABLE job_parts (
    doc_id           TEXT NOT NULL,
    line_id          TEXT NOT NULL,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    quantity         INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    billable         INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    by_user          TEXT NOT NULL,
    PRIMARY KEY (doc_id, line_id)
) WITHOUT ROWID;
CREATE INDEX job_parts_by_at ON job_parts (at);

-- Server-owned, not derived: opened by the projection for every dissatisfied answer of a
-- submitted form (at most once per answer), then worked by the back office.
CREATE TABLE corrective_actions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id       TEXT NOT NULL,
    form_id      TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    points       INTEGER NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    department   TEXT NOT NULL DEFAULT '',
    due_date     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'in_progress', 'done', 'verified')),
    verification TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (doc_id, form_id, item_id)
);
CREATE INDEX corrective_by_status ON corrective_actions (status, due_date);

-- Parts bought per model and production stage, for the remaining coefficient (剩余系数).
CREATE TABLE parts_batches (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    sku           TEXT NOT NULL,
    product_model TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    bought_on     TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX parts_batches_by_model ON parts_batches (product_model, sku);
";

/// Reference data the server owns (issue 4, item 1, and van stock): registries of
/// customers and products, the parts catalog, published form templates, and the van-stock
/// ledger. What devices hold read-only is stamped with the reference sequence of its last
/// write, so that a sync sends only what changed after a device's reference cursor.
const V3: &str = "
-- The reference sequence: bumped by every write of data that devices hold.
CREATE TABLE reference_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO reference_head (id, seq) VALUES (1, 0);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    address       TEXT NOT NULL,
    tier          TEXT NOT NULL,
    region        TEXT NOT NULL,
    site_distance TEXT NOT NULL CHECK (site_distance IN ('near', 'far')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX customers_by_name ON customers (name);

CREATE TABLE products (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    model         TEXT NOT NULL,
    serial        TEXT NOT NULL,
    purchase_date TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX products_by_customer ON products (customer_id);
CREATE INDEX products_by_serial ON products (serial);

CREATE TABLE parts_catalog (
    sku              TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents >= 0),
    billable         INTEGER NOT NULL,
    active           INTEGER NOT NULL,
    ref_seq          INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX parts_catalog_by_seq ON parts_catalog (ref_seq);

-- Published versions of form templates; a row is never updated. The built-in
-- csat-onsite v1 is code (onsite_domain::FormTemplate::builtin), not a row.
CREATE TABLE form_templates (
    template_id   TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    title_zh      TEXT NOT NULL,
    title_en      TEXT NOT NULL,
    -- JSON: [{id, label_zh, label_en}, …] in the order asked.
    items         TEXT NOT NULL,
    suggestion_zh TEXT NOT NULL,
    suggestion_en TEXT NOT NULL,
    published_at  INTEGER NOT NULL,
    published_by  TEXT NOT NULL,
    ref_seq       INTEGER NOT NULL,
    PRIMARY KEY (template_id, version)
) WITHOUT ROWID;
CREATE INDEX form_templates_by_seq ON form_templates (ref_seq);

-- Restocks of a technician's van: immutable rows, who and when. A technician's balance of
-- a part is Σ restocks − Σ quantities of the parts lines they recorded (job_parts).
CREATE TABLE van_stock_ledger (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    TEXT NOT NULL,
    sku        TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    note       TEXT NOT NULL,
    by_user    TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX van_stock_ledger_by_user ON van_stock_ledger (user_id, sku);

-- Which (technician, part) balances changed at which reference sequence: written with
-- each restock and with each change of a technician's parts lines, in the same
-- transaction, so that a sync finds the changed balances without computing any other.
CREATE TABLE van_stock_marks (
    user_id TEXT NOT NULL,
    sku     TEXT NOT NULL,
    ref_seq INTEGER NOT NULL,
    PRIMARY KEY (user_id, sku)
) WITHOUT ROWID;
CREATE INDEX van_stock_marks_by_seq ON van_stock_marks (user_id, ref_seq);

CREATE INDEX job_parts_by_user ON job_parts (by_user, sku);
ALTER TABLE jobs ADD COLUMN product_id TEXT NOT NULL DEFAULT '';
";

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored job {0} cannot be read to fill the query tables: {1}")]
    Corrupt(String, String),
    #[error(
        "database schema version {0} is newer than this server ({CURRENT_VERSION}); upgrade the server"
    )]
    TooNew(i64),
}

/// Routine surveys (定期满意度调查): rounds per customer tier and the forms returned for them,
/// which are about no job, so they live here rather than in a document.
const V4: &str = "
CREATE TABLE routine_surveys (
    id               TEXT PRIMARY KEY,
    tier             TEXT NOT NULL,
    round            TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    title            TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    UNIQUE (tier, round)
) WITHOUT ROWID;

-- `subject` is '' for a form about us, else the competitor the form is about.
CREATE TABLE routine_responses (
    id          TEXT PRIMARY KEY,
    survey_id   TEXT NOT NULL REFERENCES routine_surveys (id),
    customer    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    respondent  TEXT NOT NULL CHECK (respondent IN ('customer', 'dealer')),
    suggestion  TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    by_user     TEXT NOT NULL,
    UNIQUE (survey_id, subject, customer)
) WITHOUT ROWID;

CREATE TABLE routine_answers (
    response_id TEXT NOT NULL REFERENCES routine_responses (id),
    item_id     TEXT NOT NULL,
    points      INTEGER NOT NULL CHECK (points IN (2, 4, 6, 8, 10)),
    comment     TEXT NOT NULL,
    PRIMARY KEY (response_id, item_id)
) WITHOUT ROWID;
";

const V5: &str = "
-- Automerge actors belong to the device that first uploaded a change made by them.
CREATE TABLE actors (
    actor      BLOB PRIMARY KEY,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    -- The epoch in which the owner last uploaded a change of this actor.
    epoch      TEXT NOT NULL
) WITHOUT ROWID;

-- Job documents that could not be loaded or judged: kept, but sent to no device.
CREATE TABLE quarantine (
    doc_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at     INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Device time is evidence, not truth (onsite_domain::evidence): when each timeline event
/// first reached the server and how far the uploading device's clock was from the server's
/// at that sync, kept from the first projection of the event on; and when the job itself
/// first reached the server. Rows stored before this step know none of it (NULL), and raise
/// no flag: nothing is guessed.
const V6: &str = "
ALTER TABLE job_events ADD COLUMN received_at INTEGER;
-- Server clock − device clock at the sync that brought the event; 0 for the server's own
-- edits, NULL when the device did not send its clock.
ALTER TABLE job_events ADD COLUMN device_offset_ms INTEGER;
ALTER TABLE jobs ADD COLUMN created_at INTEGER;
-- onsite_domain::evidence::Flags::bits of the events the service-level clocks use, together.
ALTER TABLE jobs ADD COLUMN time_flags INTEGER NOT NULL DEFAULT 0;
";

/// Each submitted form's tally (onsite_domain::forms::tally), written by the projection, so
/// that the satisfaction reports sum one row per form, read from an index that holds all
/// they need, rather than one row per answer. Sign-in attempts, kept in the database as
/// every other backend keeps them.
const V7: &str = "
ALTER TABLE job_forms ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_forms ADD COLUMN points INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_forms ADD COLUMN satisfied INTEGER NOT NULL DEFAULT 0;
-- The forms stored before this step, tallied as the domain tallies them (satisfied: 6
-- points, basically satisfied, or more).
UPDATE job_forms SET
    answered = (SELECT COUNT(*) FROM form_answers a
                 WHERE a.doc_id = job_forms.doc_id AND a.form_id = job_forms.form_id),
    points = (SELECT COALESCE(SUM(a.points), 0) FROM form_answers a
               WHERE a.doc_id = job_forms.doc_id AND a.form_id = job_forms.form_id),
    satisfied = (SELECT COUNT(*) FROM form_answers a
                  WHERE a.doc_id = job_forms.doc_id AND a.form_id = job_forms.form_id
                    AND a.points >= 6);
DROP INDEX job_forms_by_submitted;
CREATE INDEX job_forms_by_submitted
    ON job_forms (submitted_at, respondent, answered, points, satisfied);

-- Sign-in attempts of the last minute, counted against the limits per account and per
-- client address.
CREATE TABLE login_attempts (
    key TEXT NOT NULL,
    at  INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, at);
CREATE INDEX login_attempts_by_at ON login_attempts (at);
";

/// The audit log of sign-ins and account administration, only ever added to.
const V8: &str = "
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    action    TEXT NOT NULL,
    actor_id  TEXT,
    actor     TEXT NOT NULL,
    target_id TEXT,
    device_id TEXT,
    address   TEXT,
    detail    TEXT NOT NULL
);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_by_target ON audit_log (target_id, seq);
";

/// Brings the database to [`CURRENT_VERSION`].
pub fn migrate(conn: &mut Connection) -> Result<(), SchemaError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > CURRENT_VERSION {
        return Err(SchemaError::TooNew(version));
    }
    let mut at = version;
    // The query tables are refilled once, after the last step: the projection writes the
    // current schema, which an intermediate step does not have yet.
    let mut rebuild = false;
    while at < CURRENT_VERSION {
        match at {
            0 => tx.execute_batch(V1)?,
            1 => {
                tx.execute_batch(V2)?;
                // Jobs stored before V2 have no rows in the new tables yet.
                rebuild = true;
            }
            2 => {
                tx.execute_batch(V3)?;
                // Parts lines recorded before V3 count in their technicians' van stock:
                // mark every balance, so that a device's first reference read finds it.
                crate::reference::stock::mark_all(&tx)?;
            }
            3 => tx.execute_batch(V4)?,
            4 => tx.execute_batch(V5)?,
            5 => tx.execute_batch(V6)?,
            6 => tx.execute_batch(V7)?,
            7 => tx.execute_batch(V8)?,
            _ => unreachable!("every version below CURRENT_VERSION has an upgrade step"),
        }
        at += 1;
    }
    if rebuild {
        crate::projection::rebuild_all(&tx)?;
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

    #[test]
    fn v2_fills_the_new_query_tables_from_documents_stored_under_v1() {
        use onsite_domain::{Event, EventKind, Job, JobDoc};
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let job = Job {
            id: "j".into(),
            assignee: Some("t".into()),
            events: vec![Event {
                id: "e".into(),
                kind: EventKind::Accepted,
                at: 5,
                by: "t".into(),
            }],
            ..Job::default()
        };
        let (mut doc, _) = JobDoc::create(&job, automerge::ActorId::random(), 1).unwrap();
        conn.execute(
            "INSERT INTO documents (doc_id, data, assignee, updated_seq) VALUES ('j', ?1, 't', 7)",
            [doc.save()],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (kind, status): (String, String) = conn
            .query_row(
                "SELECT e.kind, j.status FROM job_events e JOIN jobs j USING (doc_id)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((kind.as_str(), status.as_str()), ("accepted", "accepted"));
    }

    #[test]
    fn v6_leaves_the_receipt_of_events_stored_before_it_unknown() {
        let mut conn = Connection::open_in_memory().unwrap();
        for step in [V1, V2, V3, V4, V5] {
            conn.execute_batch(step).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute(
            "INSERT INTO job_events (doc_id, event_id, kind, at, by_user)
             VALUES ('j', 'e', 'accepted', 5, 't')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let receipt: (Option<i64>, Option<i64>) = conn
            .query_row(
                "SELECT received_at, device_offset_ms FROM job_events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(receipt, (None, None));
    }

    #[test]
    fn v3_marks_the_van_stock_of_parts_lines_recorded_under_v2() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(V2).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO job_parts (doc_id, line_id, sku, name, quantity, unit_price_cents,
                 billable, at, by_user) VALUES ('j', 'l', 'RLY-12', 'relay', 3, 0, 0, 0, 'wang')",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let head = crate::reference::seq::head(&conn).unwrap();
        assert_eq!(head, 1);
        let levels = crate::reference::stock::changed_since(&conn, "wang", 0, head).unwrap();
        assert_eq!(
            levels,
            [onsite_domain::StockLevel {
                sku: "RLY-12".into(),
                balance: -3
            }]
        );
    }

    #[test]
    fn v7_tallies_the_forms_stored_before_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        for step in [V1, V2, V3, V4, V5, V6] {
            conn.execute_batch(step).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        conn.execute_batch(
            "INSERT INTO job_forms (doc_id, form_id, template_id, template_version, respondent,
                 submitted_at, by_user, suggestion)
             VALUES ('j', 'f', 'csat-onsite', 1, 'survey', 5, 't', ''),
                    ('j', 'g', 'csat-onsite', 1, 'self', 5, 't', '');
             INSERT INTO form_answers (doc_id, form_id, item_id, points, comment, at)
             VALUES ('j', 'f', 'overall', 10, '', 5), ('j', 'f', 'price', 4, '', 5),
                    ('j', 'f', 'quality', 6, '', 5);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let tallies: Vec<(String, i64, i64, i64)> = conn
            .prepare("SELECT form_id, answered, points, satisfied FROM job_forms ORDER BY form_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(tallies, [("f".into(), 3, 20, 2), ("g".into(), 0, 0, 0)]);
    }
}
