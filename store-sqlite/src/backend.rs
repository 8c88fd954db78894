//! [`SqliteBackend`]: the storage seam over the embedded database.

use std::path::Path;

use automerge::ActorId;
use onsite_store::backend::{BoxFuture, Connections};
use onsite_store::{Access, Backend, Finish, Live, Notice, StoreError, Unit, Work};
use onsite_sync::server::{ActorOwner, DocWrite, FeedRead, Peer, ReferenceRead, ServerStore};
use rusqlite::Connection;

use crate::db::{Db, DbError};
use crate::storage::{SqliteError, SqliteStore};

/// The embedded database of one data directory.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    db: Db,
    live: Live,
}

impl SqliteBackend {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date;
    /// up to `readers` read connections are kept open beside the writer.
    pub fn open(data_dir: &Path, readers: u32) -> Result<SqliteBackend, DbError> {
        Ok(SqliteBackend {
            db: Db::open(data_dir, readers)?,
            live: Live::default(),
        })
    }

    /// The database handle, for what has not moved behind the seam yet.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs `f` as a write unit on the calling thread, which it blocks: for start-up
    /// (reading the signing secret) before the backend is shared.
    pub fn write_blocking<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Unit) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self
            .db
            .writer()
            .map_err(|e| E::from(StoreErrorOf::from(e).0))?;
        let mut result = None;
        let notices = in_transaction(&mut conn, Access::Write, |unit| {
            let r = f(unit);
            let finish = if r.is_ok() {
                Finish::Done
            } else {
                Finish::Failed
            };
            result = Some(r);
            finish
        })
        .map_err(|e| E::from(to_store(e)))?;
        for notice in notices {
            self.live.publish(notice);
        }
        result.unwrap_or_else(|| Err(E::from(StoreError::Panicked("no result".into()))))
    }
}

/// Runs one unit of work in one transaction, as PostgreSQL does: a read unit sees one
/// snapshot, and a write unit's writes are committed together — whether the work succeeded
/// or failed, since handlers check before they write. Returns the notices to publish: those
/// of work that succeeded. A panic leaves the transaction open for the executor to roll
/// back (`db::contain`).
fn in_transaction(
    conn: &mut Connection,
    access: Access,
    work: impl FnOnce(&mut dyn Unit) -> Finish,
) -> Result<Vec<Notice>, rusqlite::Error> {
    conn.execute_batch(match access {
        Access::Read => "BEGIN DEFERRED",
        Access::Write => "BEGIN IMMEDIATE",
    })?;
    let mut unit = SqliteUnit::new(conn);
    let finish = work(&mut unit);
    let notices = std::mem::take(&mut unit.notices);
    if let Err(e) = conn.execute_batch("COMMIT") {
        // Nothing of the unit stays: the caller hears of the failure, not of the work.
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e);
    }
    Ok(match finish {
        Finish::Done => notices,
        Finish::Failed => Vec::new(),
    })
}

/// One SQLite connection, as a unit of work sees it.
#[derive(Debug)]
pub struct SqliteUnit<'c> {
    conn: &'c mut Connection,
    notices: Vec<Notice>,
}

impl<'c> SqliteUnit<'c> {
    pub fn new(conn: &'c mut Connection) -> Self {
        SqliteUnit {
            conn,
            notices: Vec::new(),
        }
    }

    /// The connection, for the repositories of this crate.
    pub fn conn(&mut self) -> &mut Connection {
        self.conn
    }

    fn store(&mut self) -> SqliteStore<'_> {
        SqliteStore::new(self.conn, &mut self.notices)
    }
}

pub(crate) fn to_store(e: impl Into<SqliteError>) -> StoreError {
    match e.into() {
        SqliteError::Sqlite(e) => StoreError::Database(e.to_string()),
        SqliteError::Corrupt(id, why) => StoreError::Corrupt(id, why),
        SqliteError::NoEpoch => StoreError::NoEpoch,
    }
}

impl From<DbError> for StoreErrorOf {
    fn from(e: DbError) -> Self {
        StoreErrorOf(match e {
            DbError::Panicked(m) => StoreError::Panicked(m),
            DbError::Sqlite(e) => StoreError::Database(e.to_string()),
            other => StoreError::Unavailable(other.to_string()),
        })
    }
}

/// A [`StoreError`] as the executor of [`Db`] produces it.
struct StoreErrorOf(StoreError);

impl Backend for SqliteBackend {
    fn connections(&self) -> Connections {
        let (open, idle) = self.db.connections();
        Connections { open, idle }
    }

    fn run(&self, access: Access, work: Work) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let live = self.live.clone();
            let unit = move |conn: &mut Connection| -> Result<(), StoreErrorOf> {
                let notices =
                    in_transaction(conn, access, work).map_err(|e| StoreErrorOf(to_store(e)))?;
                for notice in notices {
                    live.publish(notice);
                }
                Ok(())
            };
            let done = match access {
                Access::Read => self.db.read(unit).await,
                Access::Write => self.db.write(unit).await,
            };
            done.map_err(|e| e.0)
        })
    }

    fn live(&self) -> &Live {
        &self.live
    }
}

impl Unit for SqliteUnit<'_> {
    fn notify(&mut self, notice: Notice) {
        self.notices.push(notice);
    }
}

impl ServerStore for SqliteUnit<'_> {
    type Error = StoreError;

    fn epoch(&mut self) -> Result<String, StoreError> {
        self.store().epoch().map_err(to_store)
    }

    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.store().load_saved(doc_id).map_err(to_store)
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), StoreError> {
        self.store().commit(peer, writes).map_err(to_store)
    }

    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, StoreError> {
        self.store().read_feed(peer, after, limit).map_err(to_store)
    }

    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, StoreError> {
        self.store().in_scope(peer, doc_id).map_err(to_store)
    }

    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), StoreError> {
        self.store().scope(peer).map_err(to_store)
    }

    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, StoreError> {
        self.store().read_reference(peer, after).map_err(to_store)
    }

    fn actor_owner(&mut self, actor: &ActorId) -> Result<Option<ActorOwner>, StoreError> {
        self.store().actor_owner(actor).map_err(to_store)
    }

    fn restored(&mut self) -> Result<bool, StoreError> {
        self.store().restored().map_err(to_store)
    }

    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), StoreError> {
        self.store().quarantine(doc_id, reason).map_err(to_store)
    }

    fn now_ms(&mut self) -> i64 {
        self.store().now_ms()
    }
}

/// A driver error as the seam speaks it.
pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}
