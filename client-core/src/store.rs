//! The device store: documents, outbox, query table, conflict log, session and cursor in
//! one SQLite file. Every write is one transaction, committed before the call returns.

use std::collections::BTreeSet;
use std::path::Path;

use automerge::{ActorId, Change};
use onsite_domain::{JobDoc, PartLine};
use onsite_sync::client::{ClientCommit, ClientStore, Pending};
use onsite_sync::wire::Cursor;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::session::{Credentials, Session, keys};
use crate::{clock, query, schema};

pub(crate) mod reference;
mod wipe;

/// The database file inside the directory a store is opened in.
pub const DB_FILE: &str = "onsite.sqlite";

/// The device's durable state. One per data directory; not shared between threads
/// without a lock (the [`Client`](crate::Client) holds it behind a mutex).
pub struct Store {
    conn: Connection,
    device_id: String,
    actor: ActorId,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store in `dir` (created if missing), upgrading its schema. The first
    /// open gives the device its random id.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let conn = schema::open(&dir.join(DB_FILE))?;
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)",
            params![keys::DEVICE_ID, Uuid::new_v4().to_string()],
        )?;
        let device_id = get_meta(&conn, keys::DEVICE_ID)?
            .ok_or_else(|| Error::Internal("the device id was not stored".into()))?;
        let uuid = Uuid::parse_str(&device_id)
            .map_err(|_| Error::Internal("the stored device id is not a UUID".into()))?;
        Ok(Store {
            conn,
            device_id,
            actor: ActorId::from(uuid.as_bytes()),
        })
    }

    /// This device's id, sent at sign-in.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// The Automerge actor of this device's changes, derived from the device id.
    pub fn actor(&self) -> ActorId {
        self.actor.clone()
    }

    /// The Automerge actor of `user_id`'s changes on this device. The server binds every
    /// actor to one account on one device, so two accounts signing in on a shared phone
    /// must not write with the same actor; the actor is the same across restarts.
    pub fn actor_for(&self, user_id: &str) -> ActorId {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        hash.update(self.actor.to_bytes());
        hash.update(user_id.as_bytes());
        ActorId::from(&hash.finalize()[..16])
    }

    /// Loads a job's document ready for a local edit by `user_id` on this device.
    pub fn load_for_edit(&mut self, doc_id: &str, user_id: &str) -> Result<Option<JobDoc>> {
        let actor = self.actor_for(user_id);
        let doc = self.load(doc_id)?;
        Ok(doc.map(|mut doc| {
            doc.set_actor(actor);
            doc
        }))
    }

    /// Records a local change: the document, its outbox entry and its query row, in one
    /// transaction.
    pub fn record_local(&mut self, doc_id: &str, doc: &mut JobDoc, change: &Change) -> Result<()> {
        self.record(doc_id, doc, change, None)
    }

    /// Records a local change that adds a parts line, remembered as a use of the van stock
    /// the server has not counted yet, in the same transaction.
    pub(crate) fn record_part_use(
        &mut self,
        doc_id: &str,
        doc: &mut JobDoc,
        change: &Change,
        line: &PartLine,
    ) -> Result<()> {
        self.record(doc_id, doc, change, Some(line))
    }

    fn record(
        &mut self,
        doc_id: &str,
        doc: &mut JobDoc,
        change: &Change,
        used: Option<&PartLine>,
    ) -> Result<()> {
        let job = doc.job()?;
        let saved = doc.save();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        save_doc(&tx, doc_id, &saved)?;
        tx.execute(
            "INSERT OR IGNORE INTO outbox (hash, doc_id, change, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                change.hash().to_string(),
                doc_id,
                change.raw_bytes(),
                clock::now_ms()
            ],
        )?;
        query::write_job_row(&tx, doc_id, &job)?;
        if let Some(line) = used {
            reference::record_use(&tx, doc_id, line, &change.hash().to_string())?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn load(&self, doc_id: &str) -> Result<Option<JobDoc>> {
        let data: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT data FROM documents WHERE doc_id = ?1")?
            .query_row([doc_id], |row| row.get(0))
            .optional()?;
        data.map(|bytes| JobDoc::load(&bytes).map_err(Error::from))
            .transpose()
    }

    /// The signed-in account, if any.
    pub(crate) fn session(&self) -> Result<Option<Session>> {
        let (Some(user_id), Some(username), Some(role)) = (
            get_meta(&self.conn, keys::USER_ID)?,
            get_meta(&self.conn, keys::USERNAME)?,
            get_meta(&self.conn, keys::ROLE)?,
        ) else {
            return Ok(None);
        };
        let role = onsite_domain::Role::parse(&role)
            .ok_or_else(|| Error::Internal(format!("unknown role '{role}' in the session")))?;
        Ok(Some(Session {
            user_id,
            username,
            role,
            server_url: get_meta(&self.conn, keys::SERVER_URL)?,
        }))
    }

    pub(crate) fn credentials(&self) -> Result<Option<Credentials>> {
        let (Some(server_url), Some(access_token)) = (
            get_meta(&self.conn, keys::SERVER_URL)?,
            get_meta(&self.conn, keys::ACCESS_TOKEN)?,
        ) else {
            return Ok(None);
        };
        Ok(Some(Credentials {
            server_url,
            access_token,
            refresh_token: get_meta(&self.conn, keys::REFRESH_TOKEN)?,
            access_expires_at: get_meta(&self.conn, keys::ACCESS_EXPIRES_AT)?
                .and_then(|v| v.parse().ok()),
        }))
    }

    /// Makes `session` the signed-in account. If the store holds another account's jobs,
    /// they are removed first (they were all acknowledged: the outbox is empty), with that
    /// account's conflict log, and their ids are returned; with unsynced changes of another
    /// account, nothing changes and the sign-in is refused.
    pub(crate) fn adopt_session(
        &mut self,
        session: &Session,
        credentials: Option<&Credentials>,
    ) -> Result<Vec<String>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let owner = get_meta(&tx, keys::OWNER)?;
        let mut removed = Vec::new();
        if owner.as_deref().is_some_and(|o| o != session.user_id) {
            let pending: i64 = tx.query_row("SELECT COUNT(*) FROM outbox", [], |r| r.get(0))?;
            if pending > 0 {
                return Err(Error::invalid(format!(
                    "this device holds {pending} unsynced changes of another account; \
                     sign in as that account and sync before switching"
                )));
            }
            removed = tx
                .prepare("SELECT doc_id FROM documents ORDER BY doc_id")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // The jobs rows go with their documents, kept changes with their conflicts
            // (ON DELETE CASCADE). The refused changes are the previous account's work:
            // the next one must not see them as its own.
            tx.execute("DELETE FROM documents", [])?;
            tx.execute("DELETE FROM conflicts", [])?;
            delete_meta(&tx, keys::CURSOR_EPOCH)?;
            delete_meta(&tx, keys::CURSOR_SEQ)?;
            // The van stock was the previous account's. The catalog and templates go too:
            // the next sync (a sign-in needs the network anyway) sends everything again,
            // and the new account may be on another server.
            reference::clear(&tx)?;
            tx.execute("DELETE FROM part_uses", [])?;
        }
        for key in keys::SESSION {
            delete_meta(&tx, key)?;
        }
        set_meta(&tx, keys::OWNER, &session.user_id)?;
        set_meta(&tx, keys::USER_ID, &session.user_id)?;
        set_meta(&tx, keys::USERNAME, &session.username)?;
        set_meta(&tx, keys::ROLE, session.role.as_str())?;
        if let Some(url) = &session.server_url {
            set_meta(&tx, keys::SERVER_URL, url)?;
        }
        if let Some(credentials) = credentials {
            write_tokens(&tx, credentials)?;
        }
        tx.commit()?;
        Ok(removed)
    }

    /// Replaces the tokens after a refresh.
    pub(crate) fn set_tokens(&mut self, credentials: &Credentials) -> Result<()> {
        let tx = self.conn.transaction()?;
        write_tokens(&tx, credentials)?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets the session and its tokens. Jobs, outbox and conflicts stay.
    pub(crate) fn sign_out(&mut self) -> Result<()> {
        let tx = self.conn.transaction()?;
        for key in keys::SESSION {
            delete_meta(&tx, key)?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn write_tokens(conn: &Connection, credentials: &Credentials) -> Result<()> {
    set_meta(conn, keys::ACCESS_TOKEN, &credentials.access_token)?;
    match credentials.access_expires_at {
        Some(at) => set_meta(conn, keys::ACCESS_EXPIRES_AT, &at.to_string())?,
        None => delete_meta(conn, keys::ACCESS_EXPIRES_AT)?,
    }
    match &credentials.refresh_token {
        Some(token) => set_meta(conn, keys::REFRESH_TOKEN, token),
        None => delete_meta(conn, keys::REFRESH_TOKEN),
    }
}

fn save_doc(conn: &Connection, doc_id: &str, data: &[u8]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO documents (doc_id, data) VALUES (?1, ?2)
         ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data",
    )?
    .execute(params![doc_id, data])?;
    Ok(())
}

pub(crate) fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |row| row.get(0))
        .optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key, value])?;
    Ok(())
}

pub(crate) fn delete_meta(conn: &Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    Ok(())
}

pub(crate) fn read_cursor(conn: &Connection) -> Result<Option<Cursor>> {
    let (Some(epoch), Some(seq)) = (
        get_meta(conn, keys::CURSOR_EPOCH)?,
        get_meta(conn, keys::CURSOR_SEQ)?,
    ) else {
        return Ok(None);
    };
    let seq = seq
        .parse()
        .map_err(|_| Error::Internal("the stored sync cursor is not a number".into()))?;
    Ok(Some(Cursor { epoch, seq }))
}

impl ClientStore for Store {
    type Error = Error;

    fn cursor(&mut self) -> Result<Option<Cursor>> {
        read_cursor(&self.conn)
    }

    fn reference_cursor(&mut self) -> Result<u64> {
        reference::cursor(&self.conn)
    }

    fn pending(&mut self, max_bytes: usize, skip: &BTreeSet<String>) -> Result<Vec<Pending>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT doc_id, hash, change FROM outbox ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let (mut out, mut bytes) = (Vec::new(), 0usize);
        while let Some(row) = rows.next()? {
            let doc_id: String = row.get(0)?;
            if skip.contains(&doc_id) {
                continue;
            }
            let change: Vec<u8> = row.get(2)?;
            if !out.is_empty() && bytes + change.len() > max_bytes {
                break;
            }
            bytes += change.len();
            out.push(Pending {
                doc_id,
                hash: row.get(1)?,
                bytes: change,
            });
        }
        Ok(out)
    }

    fn pending_for(&mut self, doc_id: &str) -> Result<Vec<Pending>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT hash, change FROM outbox WHERE doc_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([doc_id], |row| {
            Ok(Pending {
                doc_id: doc_id.to_string(),
                hash: row.get(0)?,
                bytes: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn load_doc(&mut self, doc_id: &str) -> Result<Option<JobDoc>> {
        self.load(doc_id)
    }

    fn doc_ids(&mut self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT doc_id FROM documents ORDER BY doc_id")?;
        let rows = stmt.query_map([], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn commit(&mut self, commit: ClientCommit) -> Result<()> {
        if commit.is_empty() {
            return Ok(());
        }
        let now = clock::now_ms();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (doc_id, mut doc) in commit.docs {
            save_doc(&tx, &doc_id, &doc.save())?;
            match doc.job() {
                Ok(job) => query::write_job_row(&tx, &doc_id, &job)?,
                Err(e) => {
                    // Kept (nothing received is thrown away) but not listed: a document
                    // this software cannot read, e.g. from a newer schema.
                    tracing::warn!(doc = %doc_id, error = %e, "stored a job document that cannot be read");
                    query::delete_job_row(&tx, &doc_id)?;
                }
            }
        }
        for doc_id in &commit.drop_docs {
            // Its query row goes with it (ON DELETE CASCADE).
            tx.execute("DELETE FROM documents WHERE doc_id = ?1", [doc_id])?;
        }
        {
            let mut ack = tx.prepare_cached("DELETE FROM outbox WHERE hash = ?1")?;
            for hash in &commit.acked {
                ack.execute([hash])?;
            }
        }
        for conflict in &commit.conflicts {
            tx.execute(
                "INSERT INTO conflicts (doc_id, code, message, at, change_count)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    conflict.doc_id,
                    conflict.code,
                    conflict.message,
                    now,
                    conflict.changes.len() as i64
                ],
            )?;
            let id = tx.last_insert_rowid();
            let mut keep = tx.prepare_cached(
                "INSERT OR IGNORE INTO conflict_changes (conflict_id, hash, change) VALUES (?1, ?2, ?3)",
            )?;
            for change in &conflict.changes {
                keep.execute(params![id, change.hash, change.bytes])?;
            }
        }
        if let Some(cursor) = &commit.cursor {
            set_meta(&tx, keys::CURSOR_EPOCH, &cursor.epoch)?;
            set_meta(&tx, keys::CURSOR_SEQ, &cursor.seq.to_string())?;
        }
        if commit.forget_reference {
            reference::forget_cursor(&tx)?;
        }
        if let Some(delta) = &commit.reference {
            reference::apply(&tx, delta)?;
        }
        if !commit.acked.is_empty() {
            // In the transaction that stores the balance the server sent with the
            // acknowledgement, so the van stock never counts a use twice or not at all.
            reference::settle_uses(&tx)?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use onsite_domain::{CatalogItem, Job, Role, StockLevel};
    use onsite_sync::client::ConflictRecord;
    use onsite_sync::wire::ReferenceDelta;

    use super::*;

    fn job(id: &str) -> Job {
        Job {
            id: id.into(),
            origin: "onsite".into(),
            assignee: Some("me".into()),
            ..Job::default()
        }
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn the_device_id_is_created_once_and_gives_the_actor() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).unwrap();
        let id = first.device_id().to_string();
        assert!(Uuid::parse_str(&id).is_ok());
        drop(first);
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.device_id(), id);
        assert_eq!(
            again.actor().to_bytes(),
            Uuid::parse_str(&id).unwrap().as_bytes()
        );
        let other = Store::open(dir.path().join("other")).unwrap();
        assert_ne!(other.device_id(), id);
    }

    #[test]
    fn record_local_survives_a_reopen_and_edits_use_the_device_actor() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let id = "00000000-0000-4000-8000-000000000001";
        let (mut doc, change) = JobDoc::create(&job(id), store.actor_for("tech"), 1_000).unwrap();
        store.record_local(id, &mut doc, &change).unwrap();
        drop(store);

        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.pending_for(id).unwrap().len(), 1);
        assert_eq!(count(&store, "jobs"), 1);
        let mut doc = store.load_for_edit(id, "tech").unwrap().unwrap();
        let change = doc
            .edit("note", 2_000, |j| j.labour_minutes = 30)
            .unwrap()
            .unwrap();
        assert_eq!(change.actor_id(), &store.actor_for("tech"));
        assert_ne!(
            store.actor_for("tech"),
            store.actor_for("li"),
            "one actor per account"
        );
        assert_eq!(change.seq(), 2, "the device's second change to this job");
        store.record_local(id, &mut doc, &change).unwrap();
        // Recording the same change again is harmless.
        store.record_local(id, &mut doc, &change).unwrap();
        assert_eq!(store.pending_for(id).unwrap().len(), 2);
    }

    #[test]
    fn pending_pages_by_size_and_skips_documents() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let ids = [
            "00000000-0000-4000-8000-000000000001",
            "00000000-0000-4000-8000-000000000002",
        ];
        for id in ids {
            let (mut doc, change) = JobDoc::create(&job(id), store.actor(), 1_000).unwrap();
            store.record_local(id, &mut doc, &change).unwrap();
        }
        assert_eq!(store.pending(1, &BTreeSet::new()).unwrap().len(), 1);
        assert_eq!(store.pending(1 << 20, &BTreeSet::new()).unwrap().len(), 2);
        let skip = BTreeSet::from([ids[0].to_string()]);
        let left = store.pending(1 << 20, &skip).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].doc_id, ids[1]);
    }

    #[test]
    fn a_commit_applies_everything_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let (a, b) = (
            "00000000-0000-4000-8000-00000000000a",
            "00000000-0000-4000-8000-00000000000b",
        );
        let (mut doc_a, change_a) = JobDoc::create(&job(a), store.actor(), 1_000).unwrap();
        store.record_local(a, &mut doc_a, &change_a).unwrap();
        let (doc_b, _) = JobDoc::create(&job(b), ActorId::random(), 1_000).unwrap();
        let pending = store.pending_for(a).unwrap();
        store
            .commit(ClientCommit {
                docs: vec![(b.to_string(), doc_b)],
                drop_docs: vec![a.to_string()],
                acked: vec![pending[0].hash.clone()],
                conflicts: vec![ConflictRecord {
                    doc_id: a.into(),
                    code: "not_assigned".into(),
                    message: "m".into(),
                    changes: pending,
                }],
                cursor: Some(Cursor {
                    epoch: "e1".into(),
                    seq: 42,
                }),
                reference: Some(ReferenceDelta {
                    seq: 5,
                    stock: vec![StockLevel {
                        sku: "RLY-12".into(),
                        balance: 3,
                    }],
                    ..ReferenceDelta::default()
                }),
                forget_reference: false,
            })
            .unwrap();
        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.doc_ids().unwrap(), vec![b.to_string()]);
        assert_eq!(
            count(&store, "jobs"),
            1,
            "the dropped job's row went with it"
        );
        assert_eq!(count(&store, "outbox"), 0);
        assert_eq!(count(&store, "conflicts"), 1);
        assert_eq!(count(&store, "conflict_changes"), 1);
        assert_eq!(
            store.cursor().unwrap(),
            Some(Cursor {
                epoch: "e1".into(),
                seq: 42
            })
        );
        assert_eq!(store.reference_cursor().unwrap(), 5);
        assert_eq!(count(&store, "van_stock"), 1);
        store
            .commit(ClientCommit {
                forget_reference: true,
                ..ClientCommit::default()
            })
            .unwrap();
        assert_eq!(store.reference_cursor().unwrap(), 0);
        assert_eq!(
            count(&store, "van_stock"),
            1,
            "kept until a full delta replaces it"
        );
    }

    #[test]
    fn another_account_cannot_take_over_unsynced_work() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let session = |user: &str| Session {
            user_id: user.into(),
            username: user.into(),
            role: Role::Technician,
            server_url: None,
        };
        store.adopt_session(&session("me"), None).unwrap();
        let id = "00000000-0000-4000-8000-000000000001";
        let (mut doc, change) = JobDoc::create(&job(id), store.actor(), 1_000).unwrap();
        store.record_local(id, &mut doc, &change).unwrap();

        let err = store.adopt_session(&session("other"), None).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert_eq!(store.session().unwrap(), Some(session("me")));
        assert_eq!(count(&store, "outbox"), 1);

        // Once acknowledged (or refused), the jobs are the server's to give to whoever may
        // see them, and the previous account's refused work leaves with it.
        let pending = store.pending_for(id).unwrap();
        store
            .commit(ClientCommit {
                acked: vec![pending[0].hash.clone()],
                conflicts: vec![ConflictRecord {
                    doc_id: id.into(),
                    code: "not_assigned".into(),
                    message: "m".into(),
                    changes: pending,
                }],
                ..ClientCommit::default()
            })
            .unwrap();
        assert_eq!(count(&store, "conflicts"), 1);
        store
            .commit(ClientCommit {
                reference: Some(ReferenceDelta {
                    seq: 9,
                    full: true,
                    catalog: vec![CatalogItem {
                        sku: "RLY-12".into(),
                        name: "relay".into(),
                        unit_price_cents: 100,
                        billable: true,
                        active: true,
                    }],
                    stock: vec![StockLevel {
                        sku: "RLY-12".into(),
                        balance: 4,
                    }],
                    ..ReferenceDelta::default()
                }),
                ..ClientCommit::default()
            })
            .unwrap();
        let removed = store.adopt_session(&session("other"), None).unwrap();
        assert_eq!(removed, vec![id.to_string()]);
        assert_eq!(count(&store, "van_stock"), 0, "the previous account's van");
        assert_eq!(count(&store, "parts_catalog"), 0);
        assert_eq!(
            store.reference_cursor().unwrap(),
            0,
            "all of it comes again"
        );
        assert_eq!(count(&store, "jobs"), 0);
        assert_eq!(count(&store, "conflicts"), 0);
        assert_eq!(count(&store, "conflict_changes"), 0);
        assert_eq!(store.session().unwrap(), Some(session("other")));
        store.sign_out().unwrap();
        assert_eq!(store.session().unwrap(), None);
    }
}
