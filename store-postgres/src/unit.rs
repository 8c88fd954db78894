//! [`PgUnit`]: one transaction, as a unit of work sees it — the sync engine's store and
//! the repositories of the back office (in [`crate::repo`]).

use automerge::ActorId;
use onsite_store::{Notice, StoreError};
use onsite_sync::server::{ActorOwner, DocWrite, FeedRead, Peer, ReferenceRead, ServerStore};
use postgres::Transaction;

use crate::backend::{PgDatabase, begin_read, begin_write, send_notices};
use crate::store::PgStore;

/// One transaction of a unit of work.
pub struct PgUnit<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    notices: Vec<Notice>,
}

impl std::fmt::Debug for PgUnit<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgUnit")
            .field("notices", &self.notices)
            .finish_non_exhaustive()
    }
}

/// A driver error as the seam speaks it.
pub(crate) fn pg_err(e: postgres::Error) -> StoreError {
    StoreError::Database(describe(&e))
}

/// The server's own message when there is one: the driver's `Display` says only "db error".
pub(crate) fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

impl<'t, 'c> PgUnit<'t, 'c> {
    pub fn new(tx: &'t mut Transaction<'c>) -> Self {
        PgUnit {
            tx,
            notices: Vec::new(),
        }
    }

    /// The transaction, for the repositories of this crate.
    pub fn tx(&mut self) -> &mut Transaction<'c> {
        self.tx
    }

    /// Tells the devices once this unit is committed.
    pub fn notify(&mut self, notice: Notice) {
        self.notices.push(notice);
    }

    /// The notices raised so far, leaving none.
    pub fn take_notices(&mut self) -> Vec<Notice> {
        std::mem::take(&mut self.notices)
    }

    fn store(&mut self) -> PgStore<'_, 'c> {
        PgStore::new(self.tx, &mut self.notices)
    }
}

impl PgDatabase {
    /// Runs `f` as a write unit (blocking): the writers' lock, then `f`; committed with its
    /// notices when it returns `Ok`, rolled back otherwise.
    pub fn write_unit<T>(
        &self,
        f: impl FnOnce(&mut PgUnit<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let mut tx = begin_write(&mut client)?;
        let mut unit = PgUnit::new(&mut tx);
        let out = f(&mut unit)?;
        let notices = unit.take_notices();
        send_notices(&mut tx, &notices)?;
        tx.commit().map_err(pg_err)?;
        Ok(out)
    }

    /// Runs `f` as a read unit (blocking), in one snapshot.
    pub fn read_unit<T>(
        &self,
        f: impl FnOnce(&mut PgUnit<'_, '_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut client = self.client()?;
        let mut tx = begin_read(&mut client)?;
        let out = f(&mut PgUnit::new(&mut tx))?;
        tx.commit().map_err(pg_err)?;
        Ok(out)
    }
}

impl ServerStore for PgUnit<'_, '_> {
    type Error = StoreError;

    fn epoch(&mut self) -> Result<String, StoreError> {
        Ok(self.store().epoch()?)
    }

    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.store().load_saved(doc_id)?)
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), StoreError> {
        Ok(self.store().commit(peer, writes)?)
    }

    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, StoreError> {
        Ok(self.store().read_feed(peer, after, limit)?)
    }

    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, StoreError> {
        Ok(self.store().in_scope(peer, doc_id)?)
    }

    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), StoreError> {
        Ok(self.store().scope(peer)?)
    }

    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, StoreError> {
        Ok(self.store().read_reference(peer, after)?)
    }

    fn actor_owner(&mut self, actor: &ActorId) -> Result<Option<ActorOwner>, StoreError> {
        Ok(self.store().actor_owner(actor)?)
    }

    fn restored(&mut self) -> Result<bool, StoreError> {
        Ok(self.store().restored()?)
    }

    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), StoreError> {
        Ok(self.store().quarantine(doc_id, reason)?)
    }

    fn now_ms(&mut self) -> i64 {
        self.store().now_ms()
    }
}
