//! The PostgreSQL schema and its ladder.
//!
//! The same tables as the embedded database, in PostgreSQL's types: `BIGINT` for
//! integers and milliseconds, `BYTEA` for documents and changes, `BOOLEAN` for flags. A
//! PostgreSQL database starts at the current version (there are no old PostgreSQL
//! databases to upgrade); later versions are appended to the list of versions and run in order,
//! each in its own transaction, under an advisory lock so that servers starting together
//! upgrade once.

use postgres::Client;

use crate::error::PgError;

/// Key of the advisory lock held while the schema is upgraded.
const MIGRATION_LOCK: i64 = 0x6f6e_7369_7465_0001;

/// Each entry upgrades from the previous version; the first creates everything.
const VERSIONS: &[&str] = &[V1, V2];

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('technician', 'back_office', 'admin')),
    password_hash TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    -- Bumped when the password or role changes: older access tokens stop working.
    token_version BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE devices (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    revoked_at BIGINT,
    wipe       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, device_id)
);

CREATE TABLE refresh_tokens (
    hash       BYTEA PRIMARY KEY,
    family     TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX refresh_by_family ON refresh_tokens (family);
CREATE INDEX refresh_by_user ON refresh_tokens (user_id, device_id);

-- Sign-in attempts, shared by every server so that the limits hold across them.
CREATE TABLE login_attempts (
    key TEXT NOT NULL,
    at  BIGINT NOT NULL
);
CREATE INDEX login_attempts_by_key ON login_attempts (key, at);
CREATE INDEX login_attempts_by_at ON login_attempts (at);

-- Numbered under the writers' advisory lock (see crate::backend): numbers are taken in
-- commit order, so a reader never sees a number before every lower one is visible.
CREATE TABLE feed (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          SMALLINT NOT NULL CHECK (kind IN (0, 1, 2)),
    doc_id        TEXT NOT NULL,
    user_id       TEXT,
    origin_device TEXT NOT NULL,
    hash          BYTEA UNIQUE,
    data          BYTEA
);
CREATE INDEX feed_by_doc ON feed (doc_id, seq) WHERE kind = 0;
CREATE INDEX feed_by_user ON feed (user_id, seq) WHERE kind <> 0;

CREATE TABLE documents (
    doc_id      TEXT PRIMARY KEY,
    data        BYTEA NOT NULL,
    assignee    TEXT,
    updated_seq BIGINT NOT NULL
);

CREATE TABLE job_scope (
    user_id   TEXT NOT NULL,
    doc_id    TEXT NOT NULL,
    enter_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, doc_id)
);

CREATE TABLE jobs (
    doc_id                 TEXT PRIMARY KEY,
    status                 TEXT NOT NULL,
    review_state           TEXT NOT NULL,
    assignee               TEXT,
    origin                 TEXT NOT NULL,
    complaint              BOOLEAN NOT NULL,
    customer_name          TEXT NOT NULL,
    customer_phone         TEXT NOT NULL,
    customer_tier          TEXT NOT NULL,
    customer_region        TEXT NOT NULL,
    product_model          TEXT NOT NULL,
    product_serial         TEXT NOT NULL,
    reported_at            BIGINT NOT NULL,
    updated_seq            BIGINT NOT NULL,
    event_count            BIGINT NOT NULL,
    parts_count            BIGINT NOT NULL,
    forms_count            BIGINT NOT NULL,
    customer_id            TEXT NOT NULL DEFAULT '',
    site_distance          TEXT NOT NULL DEFAULT '',
    purchase_date          TEXT,
    dap                    BOOLEAN NOT NULL DEFAULT FALSE,
    feedback_category      TEXT,
    responsible_department TEXT,
    labour_minutes         BIGINT NOT NULL DEFAULT 0,
    completed_at           BIGINT,
    response_ms            BIGINT,
    arrival_ms             BIGINT,
    diagnosis_ms           BIGINT,
    handling_ms            BIGINT,
    product_id             TEXT NOT NULL DEFAULT '',
    created_at             BIGINT,
    time_flags             BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_status ON jobs (status, reported_at);
CREATE INDEX jobs_by_assignee ON jobs (assignee, reported_at);
CREATE INDEX jobs_by_review ON jobs (review_state, reported_at);
CREATE INDEX jobs_by_tier ON jobs (customer_tier, reported_at);
CREATE INDEX jobs_by_completed ON jobs (completed_at);

CREATE TABLE job_events (
    doc_id           TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    at               BIGINT NOT NULL,
    by_user          TEXT NOT NULL,
    received_at      BIGINT,
    device_offset_ms BIGINT,
    PRIMARY KEY (doc_id, event_id)
);
CREATE INDEX job_events_by_kind ON job_events (kind, at);

CREATE TABLE job_reviews (
    doc_id    TEXT NOT NULL,
    review_id TEXT NOT NULL,
    decision  TEXT NOT NULL,
    comment   TEXT NOT NULL,
    at        BIGINT NOT NULL,
    by_user   TEXT NOT NULL,
    PRIMARY KEY (doc_id, review_id)
);

CREATE TABLE job_forms (
    doc_id           TEXT NOT NULL,
    form_id          TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    respondent       TEXT NOT NULL,
    submitted_at     BIGINT,
    by_user          TEXT NOT NULL,
    suggestion       TEXT NOT NULL,
    -- The form's tally (onsite_domain::forms::tally): the satisfaction reports sum one row
    -- per form, from the index below alone.
    answered         BIGINT NOT NULL,
    points           BIGINT NOT NULL,
    satisfied        BIGINT NOT NULL,
    PRIMARY KEY (doc_id, form_id)
);
CREATE INDEX job_forms_by_submitted
    ON job_forms (submitted_at, respondent) INCLUDE (doc_id, answered, points, satisfied);

CREATE TABLE form_answers (
    doc_id  TEXT NOT NULL,
    form_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    points  BIGINT NOT NULL,
    comment TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (doc_id, form_id, item_id)
);

CREATE TABLE job_parts (
    doc_id           TEXT NOT NULL,
    line_id          TEXT NOT NULL,
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    quantity         BIGINT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    billable         BOOLEAN NOT NULL,
    at               BIGINT NOT NULL,
    by_user          TEXT NOT NULL,
    PRIMARY KEY (doc_id, line_id)
);
CREATE INDEX job_parts_by_at ON job_parts (at);
CREATE INDEX job_parts_by_user ON job_parts (by_user, sku);

CREATE TABLE corrective_actions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc_id       TEXT NOT NULL,
    form_id      TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    points       BIGINT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    department   TEXT NOT NULL DEFAULT '',
    due_date     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'in_progress', 'done', 'verified')),
    verification TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (doc_id, form_id, item_id)
);
CREATE INDEX corrective_by_status ON corrective_actions (status, due_date);

CREATE TABLE parts_batches (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku           TEXT NOT NULL,
    product_model TEXT NOT NULL,
    quantity      BIGINT NOT NULL CHECK (quantity > 0),
    bought_on     TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX parts_batches_by_model ON parts_batches (product_model, sku);

CREATE TABLE reference_head (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
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
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX customers_by_name ON customers (name);

CREATE TABLE products (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    model         TEXT NOT NULL,
    serial        TEXT NOT NULL,
    purchase_date TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX products_by_customer ON products (customer_id);
CREATE INDEX products_by_serial ON products (serial);

CREATE TABLE parts_catalog (
    sku              TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    billable         BOOLEAN NOT NULL,
    active           BOOLEAN NOT NULL,
    ref_seq          BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX parts_catalog_by_seq ON parts_catalog (ref_seq);

-- csat-onsite v1 is code (onsite_domain::FormTemplate::builtin), not a row.
CREATE TABLE form_templates (
    template_id   TEXT NOT NULL,
    version       BIGINT NOT NULL CHECK (version >= 1),
    title_zh      TEXT NOT NULL,
    title_en      TEXT NOT NULL,
    -- JSON: [{id, label_zh, label_en}, …] in the order asked.
    items         TEXT NOT NULL,
    suggestion_zh TEXT NOT NULL,
    suggestion_en TEXT NOT NULL,
    published_at  BIGINT NOT NULL,
    published_by  TEXT NOT NULL,
    ref_seq       BIGINT NOT NULL,
    PRIMARY KEY (template_id, version)
);
CREATE INDEX form_templates_by_seq ON form_templates (ref_seq);

CREATE TABLE van_stock_ledger (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id  TEXT NOT NULL,
    sku      TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    note     TEXT NOT NULL,
    by_user  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX van_stock_ledger_by_user ON van_stock_ledger (user_id, sku);

CREATE TABLE van_stock_marks (
    user_id TEXT NOT NULL,
    sku     TEXT NOT NULL,
    ref_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, sku)
);
CREATE INDEX van_stock_marks_by_seq ON van_stock_marks (user_id, ref_seq);

CREATE TABLE routine_surveys (
    id               TEXT PRIMARY KEY,
    tier             TEXT NOT NULL,
    round            TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    title            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    created_by       TEXT NOT NULL,
    UNIQUE (tier, round)
);

CREATE TABLE routine_responses (
    id          TEXT PRIMARY KEY,
    survey_id   TEXT NOT NULL REFERENCES routine_surveys (id),
    customer    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    respondent  TEXT NOT NULL CHECK (respondent IN ('customer', 'dealer')),
    suggestion  TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    by_user     TEXT NOT NULL,
    UNIQUE (survey_id, subject, customer)
);

CREATE TABLE routine_answers (
    response_id TEXT NOT NULL REFERENCES routine_responses (id),
    item_id     TEXT NOT NULL,
    points      BIGINT NOT NULL CHECK (points IN (2, 4, 6, 8, 10)),
    comment     TEXT NOT NULL,
    PRIMARY KEY (response_id, item_id)
);

CREATE TABLE actors (
    actor      BYTEA PRIMARY KEY,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    -- The epoch in which the owner last uploaded a change of this actor.
    epoch      TEXT NOT NULL
);

CREATE TABLE quarantine (
    doc_id TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at     BIGINT NOT NULL
);
"#;

/// The audit log of sign-ins and account administration, only ever added to. Write units
/// hold the writers' lock, so `seq` grows in commit order and is a cursor a reader can trust.
const V2: &str = r#"
CREATE TABLE audit_log (
    seq       BIGSERIAL PRIMARY KEY,
    at        BIGINT NOT NULL,
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
"#;

/// The schema version this code writes.
pub const CURRENT: i64 = VERSIONS.len() as i64;

/// Brings the database up to [`CURRENT`]; refuses a database written by newer code.
pub fn migrate(client: &mut Client) -> Result<(), PgError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let version: i64 = match tx.query_opt("SELECT version FROM schema_version", &[])? {
        Some(row) => row.get(0),
        None => {
            tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])?;
            0
        }
    };
    if version > CURRENT {
        return Err(PgError::TooNew {
            found: version,
            known: CURRENT,
        });
    }
    for (i, step) in VERSIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(step)?;
        tx.execute("UPDATE schema_version SET version = $1", &[&(i as i64 + 1)])?;
    }
    tx.commit()?;
    Ok(())
}
