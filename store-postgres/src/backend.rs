//! The database of several servers: a pool of connections, units of work as transactions,
//! one writer at a time across every server, and notices that reach every server.
//!
//! **Why the feed never skips.** A device pulls "everything after my cursor", so the feed
//! must only ever grow at its end: no change may become visible with a sequence number
//! below one a reader has already seen. Sequences alone do not give that under concurrent
//! transactions (T1 takes 5, T2 takes 6, T2 commits, a device reads 6 and moves its cursor
//! past 5, then T1 commits). Here every write unit starts by taking one transaction-level
//! advisory lock ([`WRITER_LOCK`]) and holds it until it commits: numbers are taken only
//! by the lock holder, and PostgreSQL makes a transaction's commit visible before it
//! releases its locks, so by the time any number above 5 can be taken, 5 is committed and
//! visible. The same lock makes a job's load-judge-store of one upload atomic against
//! another server accepting changes to the same job. The cost is that writes are
//! serialised across servers, as they are by the single writer of the embedded database;
//! reads (pulls, lists, reports) run in parallel on every server.
//!
//! **Notices.** A unit's notices are sent with `pg_notify` in its transaction, so
//! PostgreSQL delivers them on commit, and only then, to every server listening on
//! [`CHANNEL`]; each server's listener thread publishes them to its own connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use onsite_store::{Live, Notice};
use postgres::{Client, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use crate::error::PgError;
use crate::schema;
use crate::store::PgStore;

/// Key of the advisory lock every write unit holds until it commits.
pub const WRITER_LOCK: i64 = 0x6f6e_7369_7465_0002;
/// The LISTEN/NOTIFY channel of live notices.
pub const CHANNEL: &str = "onsite_live";
/// PostgreSQL refuses payloads of 8000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// A PostgreSQL database shared by any number of `onsite serve` processes.
#[derive(Clone)]
pub struct PgDatabase {
    pool: Arc<PoolHolder>,
    live: Live,
    _listening: Arc<Listening>,
}

impl std::fmt::Debug for PgDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgDatabase").finish_non_exhaustive()
    }
}

/// Owns the pool. Closing a connection blocks on the driver's own runtime, which cannot
/// run inside an async runtime: a server dropping its database at shutdown, or an async
/// test at its end, would panic. So the last handle drops the pool on a thread of its own.
struct PoolHolder(Option<Pool>);

impl std::ops::Deref for PoolHolder {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        // Taken only in `drop`.
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("the pool is there until dropped"))
    }
}

impl Drop for PoolHolder {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::spawn(move || drop(pool)).join();
            } else {
                drop(pool);
            }
        }
    }
}

/// Stops the listener thread when the last handle goes.
struct Listening(Arc<AtomicBool>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Begins a write transaction: the writers' lock first, held until commit.
pub fn begin_write(client: &mut Client) -> Result<Transaction<'_>, PgError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])?;
    Ok(tx)
}

/// Begins a read transaction: one snapshot for everything it reads.
pub fn begin_read(client: &mut Client) -> Result<Transaction<'_>, PgError> {
    Ok(client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?)
}

/// Sends the notices with the transaction: delivered when it commits.
pub fn send_notices(tx: &mut Transaction<'_>, notices: &[Notice]) -> Result<(), PgError> {
    for notice in notices {
        let mut payload = serde_json::to_string(notice).unwrap_or_default();
        if payload.len() > MAX_PAYLOAD {
            // Too many technicians to name: every device syncs, which is never wrong.
            let everyone = Notice {
                technicians: Vec::new(),
                everyone: true,
                ..notice.clone()
            };
            payload = serde_json::to_string(&everyone).unwrap_or_default();
        }
        tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
    }
    Ok(())
}

impl PgDatabase {
    /// Connects to `url` (`postgres://user@host:port/db`), brings the schema up to date,
    /// gives a new database its epoch and signing secret, and starts listening for the
    /// notices of every server, published to `live`.
    /// The pool holds up to `connections` connections.
    pub fn open(url: &str, connections: u32, live: Live) -> Result<PgDatabase, PgError> {
        PgDatabase::open_config(url.parse()?, connections, live)
    }

    /// [`PgDatabase::open`] with a parsed configuration.
    pub fn open_config(
        config: postgres::Config,
        connections: u32,
        live: Live,
    ) -> Result<PgDatabase, PgError> {
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(connections.max(1))
            // Connections open as they are needed, not all at start.
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(10))
            .build(manager)?;
        {
            let mut client = pool.get()?;
            schema::migrate(&mut client)?;
            let mut tx = client.transaction()?;
            // Servers starting together agree on the first one's values.
            for (key, value) in [
                ("epoch", uuid::Uuid::new_v4().to_string()),
                ("jwt_secret", random_secret()),
            ] {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                    &[&key, &value],
                )?;
            }
            tx.commit()?;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (listening, ready) = std::sync::mpsc::channel();
        spawn_listener(config, live.clone(), stop.clone(), listening);
        // Notices sent before the listener's LISTEN are lost to this server: wait for it
        // (a server that cannot listen still serves; its devices sync on their interval).
        if ready.recv_timeout(Duration::from_secs(10)).is_err() {
            tracing::warn!("live notices: not listening yet; devices of this server may hear late");
        }
        Ok(PgDatabase {
            pool: Arc::new(PoolHolder(Some(pool))),
            live,
            _listening: Arc::new(Listening(stop)),
        })
    }

    /// How many connections the pool holds, and how many of them are idle.
    pub fn pool_state(&self) -> r2d2::State {
        self.pool.state()
    }

    /// A connection of the pool.
    pub(crate) fn client(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, PgError> {
        Ok(self.pool.get()?)
    }

    /// Where this server's connections hear the notices of every server.
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// Runs `f` as a write unit (blocking): committed with its notices when it returns
    /// `Ok`, rolled back when it returns `Err`.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut PgStore<'_, '_>) -> Result<T, PgError>,
    ) -> Result<T, PgError> {
        let mut client = self.pool.get()?;
        let mut tx = begin_write(&mut client)?;
        let mut notices = Vec::new();
        let out = f(&mut PgStore::new(&mut tx, &mut notices))?;
        send_notices(&mut tx, &notices)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` as a read unit (blocking), in one snapshot.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&mut PgStore<'_, '_>) -> Result<T, PgError>,
    ) -> Result<T, PgError> {
        let mut client = self.pool.get()?;
        let mut tx = begin_read(&mut client)?;
        let mut notices = Vec::new();
        let out = f(&mut PgStore::new(&mut tx, &mut notices))?;
        tx.commit()?;
        Ok(out)
    }
}

fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One thread per server holds a connection that LISTENs; it reconnects after a failure
/// (a lost notice costs devices latency, never data) and ends when the database handle
/// is dropped.
fn spawn_listener(
    config: postgres::Config,
    live: Live,
    stop: Arc<AtomicBool>,
    listening: std::sync::mpsc::Sender<()>,
) {
    let spawned = std::thread::Builder::new()
        .name("onsite-pg-listen".into())
        .spawn(move || {
            let mut delay = Duration::from_millis(100);
            while !stop.load(Ordering::Relaxed) {
                match listen(&config, &live, &stop, &listening) {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "live notices: listening failed; reconnecting");
                        std::thread::sleep(delay);
                        delay = (delay * 2).min(Duration::from_secs(10));
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "live notices: cannot start the listener thread");
    }
}

fn listen(
    config: &postgres::Config,
    live: &Live,
    stop: &AtomicBool,
    listening: &std::sync::mpsc::Sender<()>,
) -> Result<(), PgError> {
    let mut client = config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
    // Only the first start waits for it; after a reconnect nobody does.
    let _ = listening.send(());
    while !stop.load(Ordering::Relaxed) {
        let mut notifications = client.notifications();
        let mut heard = notifications.timeout_iter(Duration::from_millis(500));
        while let Some(n) = postgres::fallible_iterator::FallibleIterator::next(&mut heard)? {
            match serde_json::from_str::<Notice>(n.payload()) {
                Ok(notice) => live.publish(notice),
                Err(e) => tracing::warn!(error = %e, "live notices: unreadable payload"),
            }
        }
    }
    Ok(())
}
