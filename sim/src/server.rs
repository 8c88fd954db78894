//! What the simulation needs of a server's store, and the in-memory one.

use onsite_domain::Role;
use onsite_sync::memory::MemoryServerStore;
use onsite_sync::server::{self, HandleError, Peer, ServerStore};
use onsite_sync::wire::{Request, Response};

/// An account the server must know, so that it can say whose an Automerge actor is.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub role: Role,
}

/// A server store the world can run: the sync engine's [`ServerStore`], plus the
/// operations of the people who run the server (start it, back it up, restart it,
/// restore it) and what the final checks read.
///
/// `Err` is what broke, in words: a failed operation fails the seed.
pub trait SimServer: ServerStore + std::fmt::Debug + Sized {
    /// A copy of the store taken while it runs, to restore later.
    type Snapshot: std::fmt::Debug;

    /// A new, empty server that knows `accounts`.
    fn start(accounts: &[Account]) -> Result<Self, String>;

    /// The server process ends and starts again: only what the store made durable remains.
    fn restart(&mut self) -> Result<(), String>;

    /// A backup of the running server.
    fn snapshot(&mut self) -> Result<Self::Snapshot, String>;

    /// The server is stopped, its store replaced by `from` and started again under a new
    /// epoch, remembering it was restored ([`ServerStore::restored`] is then true).
    /// `epoch` is a name the store may give the new epoch; the epoch it has is returned.
    fn restore(&mut self, from: &Self::Snapshot, epoch: &str) -> Result<String, String>;

    /// The feed's head: the sequence number of the latest entry.
    fn head(&mut self) -> Result<u64, String>;

    /// Every stored job (`save()` bytes), by id, in id order.
    fn jobs(&mut self) -> Result<Vec<(String, Vec<u8>)>, String>;

    /// Handles one request as the server's endpoint does: by default the sync engine on
    /// this store; a store whose server runs requests otherwise (a unit of work, read-only
    /// requests on a reader) does that here.
    fn serve(
        &mut self,
        peer: &Peer,
        request: Request,
    ) -> Result<Response, HandleError<Self::Error>> {
        server::handle(self, peer, request)
    }
}

impl SimServer for MemoryServerStore {
    /// The whole store, cloned.
    type Snapshot = MemoryServerStore;

    fn start(_accounts: &[Account]) -> Result<Self, String> {
        // The memory store takes an actor's role from the peer that first used it.
        Ok(MemoryServerStore::new("epoch-0"))
    }

    fn restart(&mut self) -> Result<(), String> {
        // Everything the memory store holds is what it made durable.
        *self = self.clone();
        Ok(())
    }

    fn snapshot(&mut self) -> Result<MemoryServerStore, String> {
        Ok(self.clone())
    }

    fn restore(&mut self, from: &MemoryServerStore, epoch: &str) -> Result<String, String> {
        *self = from.clone();
        self.restored_as(epoch);
        Ok(self.epoch.clone())
    }

    fn head(&mut self) -> Result<u64, String> {
        Ok(MemoryServerStore::head(self))
    }

    fn jobs(&mut self) -> Result<Vec<(String, Vec<u8>)>, String> {
        Ok(self
            .doc_ids()
            .filter_map(|id| Some((id.clone(), self.doc_bytes(id)?.clone())))
            .collect())
    }
}
