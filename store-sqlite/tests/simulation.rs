#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The seeded sync simulation (crate `onsite-sim`) over the server's SQLite store, in a
//! real database file: the worlds of `sync/tests/simulation.rs`, where the server
//! restarts by closing the database and opening it again, is backed up by the online
//! copy ([`backup::backup`]) and restored with [`backup::restore`] (a new epoch, and
//! `restored_from`). Requests run as the sync endpoint runs them: one unit of work of
//! the [`SqliteBackend`], read-only ones on a read-only connection beside the writer.
//!
//! - `ONSITE_SIM_SQLITE_SEEDS=<n>` (or else `ONSITE_SIM_SEEDS=<n>`) runs seeds `0..n`
//!   (default 20: each seed is much slower than in memory);
//! - `ONSITE_SIM_SEED=<n>` replays exactly one seed;
//! - `ONSITE_SIM_TRACE=1` prints what every step does (best with one seed).

use std::path::{Path, PathBuf};

use automerge::ActorId;
use onsite_sim::{Account, Run, SimServer};
use onsite_store::{Backend, StoreError, Unit};
use onsite_store_sqlite::SqliteBackend;
use onsite_store_sqlite::backend::SqliteUnit;
use onsite_store_sqlite::backup;
use onsite_sync::server::{
    self, ActorOwner, DocWrite, FeedRead, HandleError, Peer, ReferenceRead, ServerStore,
};
use onsite_sync::wire::{Request, Response};
use rusqlite::params;

/// A server over one SQLite file in a temporary data directory.
#[derive(Debug)]
struct SqliteServer {
    /// Holds `data/` (the server's data directory) and `backups/`; removed with the world.
    dir: tempfile::TempDir,
    /// The running server's database; `None` only while it is stopped.
    backend: Option<SqliteBackend>,
    /// Runs the backend's units of work (on its blocking threads), as the server does.
    runtime: tokio::runtime::Runtime,
    /// Backups taken so far, to name the next one.
    backups: u32,
}

/// A backup file; deleted when the world forgets it.
#[derive(Debug)]
struct Snapshot {
    path: PathBuf,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What a unit of work of the sync endpoint can fail with.
enum Failure {
    Handle(HandleError<StoreError>),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

fn text(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

impl SqliteServer {
    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn open(data_dir: &Path) -> Result<SqliteBackend, String> {
        SqliteBackend::open(data_dir, 4).map_err(|e| text("opening the database", e))
    }

    fn backend(&self) -> Result<&SqliteBackend, StoreError> {
        self.backend
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the server is stopped".into()))
    }

    /// Runs `f` on the writer connection, outside the backend's executor (what the
    /// world and the checks read and the engine's calls of [`ServerStore`] below).
    fn writer<T>(
        &mut self,
        f: impl FnOnce(&mut SqliteUnit<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self
            .backend()?
            .db()
            .writer()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        f(&mut SqliteUnit::new(&mut conn))
    }

    /// The server stops: its connections close.
    fn stop(&mut self) {
        self.backend = None;
    }
}

impl SimServer for SqliteServer {
    type Snapshot = Snapshot;

    fn start(accounts: &[Account]) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| text("creating a data directory", e))?;
        std::fs::create_dir(dir.path().join("backups"))
            .map_err(|e| text("creating the backups directory", e))?;
        let backend = Self::open(&dir.path().join("data"))?;
        {
            // The accounts, with the user ids the devices sign in with: the store tells
            // whose an Automerge actor is from them.
            let conn = backend.db().writer().map_err(|e| text("the writer", e))?;
            for a in accounts {
                conn.execute(
                    "INSERT INTO users (id, username, display_name, role, password_hash, created_at)
                     VALUES (?1, ?1, ?1, ?2, '', 0) ON CONFLICT (id) DO NOTHING",
                    params![a.user_id, a.role.as_str()],
                )
                .map_err(|e| text("creating an account", e))?;
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| text("starting a runtime", e))?;
        Ok(SqliteServer {
            dir,
            backend: Some(backend),
            runtime,
            backups: 0,
        })
    }

    fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.backend = Some(Self::open(&self.data_dir())?);
        Ok(())
    }

    fn snapshot(&mut self) -> Result<Snapshot, String> {
        self.backups += 1;
        let path = self
            .dir
            .path()
            .join("backups")
            .join(format!("backup-{}.sqlite", self.backups));
        backup::backup(&self.data_dir(), &path).map_err(|e| text("backing up", e))?;
        Ok(Snapshot { path })
    }

    fn restore(&mut self, from: &Snapshot, _epoch: &str) -> Result<String, String> {
        // A restore replaces the database of a stopped server; it makes its own epoch.
        self.stop();
        let restored =
            backup::restore(&self.data_dir(), &from.path).map_err(|e| text("restoring", e))?;
        self.backend = Some(Self::open(&self.data_dir())?);
        if !self.restored().map_err(|e| text("after the restore", e))? {
            return Err("the restored server does not say it was restored".into());
        }
        Ok(restored.epoch)
    }

    fn head(&mut self) -> Result<u64, String> {
        self.writer(|u| {
            u.conn()
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM feed", [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|h| h as u64)
                .map_err(|e| StoreError::Database(e.to_string()))
        })
        .map_err(|e| text("reading the head", e))
    }

    fn jobs(&mut self) -> Result<Vec<(String, Vec<u8>)>, String> {
        self.writer(|u| {
            let conn = u.conn();
            let mut stmt = conn
                .prepare("SELECT doc_id, data FROM documents ORDER BY doc_id")
                .map_err(|e| StoreError::Database(e.to_string()))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .and_then(|rows| rows.collect())
                .map_err(|e| StoreError::Database(e.to_string()))
        })
        .map_err(|e| text("reading the jobs", e))
    }

    /// As the sync endpoint: requests that only read run on a reader beside the writer,
    /// the rest through the writer, each in one unit of work of the backend.
    fn serve(
        &mut self,
        peer: &Peer,
        request: Request,
    ) -> Result<Response, HandleError<StoreError>> {
        let read_only = match &request {
            Request::Scope => true,
            Request::Sync(s) => s.push.is_empty(),
            Request::RepairDoc(_) => false,
        };
        let backend: &dyn Backend = self.backend().map_err(HandleError::Store)?;
        let peer = peer.clone();
        let work = move |unit: &mut dyn Unit| -> Result<Response, Failure> {
            server::handle(unit, &peer, request).map_err(Failure::Handle)
        };
        let result = self.runtime.block_on(async {
            if read_only {
                backend.read(work).await
            } else {
                backend.write(work).await
            }
        });
        result.map_err(|f| match f {
            Failure::Handle(e) => e,
            Failure::Store(e) => HandleError::Store(e),
        })
    }
}

/// The engine's calls outside [`SimServer::serve`] (the world and the checks read the
/// epoch and stored jobs), on the writer connection.
impl ServerStore for SqliteServer {
    type Error = StoreError;

    fn epoch(&mut self) -> Result<String, StoreError> {
        self.writer(|u| u.epoch())
    }

    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.writer(|u| u.load_saved(doc_id))
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), StoreError> {
        self.writer(|u| u.commit(peer, writes))
    }

    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, StoreError> {
        self.writer(|u| u.read_feed(peer, after, limit))
    }

    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, StoreError> {
        self.writer(|u| u.in_scope(peer, doc_id))
    }

    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), StoreError> {
        self.writer(|u| u.scope(peer))
    }

    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, StoreError> {
        self.writer(|u| u.read_reference(peer, after))
    }

    fn actor_owner(&mut self, actor: &ActorId) -> Result<Option<ActorOwner>, StoreError> {
        self.writer(|u| u.actor_owner(actor))
    }

    fn restored(&mut self) -> Result<bool, StoreError> {
        self.writer(|u| u.restored())
    }

    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), StoreError> {
        self.writer(|u| u.quarantine(doc_id, reason))
    }

    fn now_ms(&mut self) -> i64 {
        self.writer(|u| Ok(u.now_ms())).unwrap()
    }
}

// This run found two bugs of the technician's feed that the in-memory store did not
// have (an `Enter` item dropped after the LIMIT ended a pull early; a device's own entry
// ignored while its cursor was before it); the conformance suite now pins both.
#[test]
fn randomized_sync_simulation_over_sqlite() {
    onsite_sim::run_from_env::<SqliteServer>(&Run {
        store: "sqlite",
        default_seeds: 20,
        seeds_var: Some("ONSITE_SIM_SQLITE_SEEDS"),
        replay: "cargo test -p onsite-store-sqlite --test simulation",
    });
}
