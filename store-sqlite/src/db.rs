//! The server database: one writer, a few readers, blocking work kept off async threads.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::schema::{self, SchemaError};

pub const DB_FILE: &str = "onsite.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The work panicked; its transaction was rolled back and the connection kept serving.
    #[error("the database task panicked: {0}")]
    Panicked(String),
    #[error("background task failed: {0}")]
    Join(String),
}

/// Shared handle to the database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// How many idle readers are kept open.
    keep_readers: usize,
    /// Readers at work now (out of the pool).
    readers_out: std::sync::atomic::AtomicU32,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("path", &self.inner.path)
            .finish()
    }
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Acknowledged means on disk: a power cut after the response must not lose it.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    /// Up to `readers` idle read connections are kept open for the next reads.
    pub fn open(data_dir: &Path, readers: u32) -> Result<Db, DbError> {
        std::fs::create_dir_all(data_dir).map_err(|source| DbError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let mut writer = Connection::open(&path)?;
        configure(&writer)?;
        schema::migrate(&mut writer)?;
        ensure_meta(&writer, "epoch", || uuid::Uuid::new_v4().to_string())?;
        ensure_meta(&writer, "jwt_secret", random_secret)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                keep_readers: readers as usize,
                readers_out: std::sync::atomic::AtomicU32::new(0),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The writer connection, for synchronous work outside [`Db::write`].
    ///
    /// A panic while the lock was held does not take the writer out of service: the lock is
    /// taken over, and a transaction the panicking work left open is rolled back first.
    pub fn writer(&self) -> Result<MutexGuard<'_, Connection>, DbError> {
        let conn = self
            .inner
            .writer
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        roll_back_open(&conn)?;
        Ok(conn)
    }

    /// Runs `f` on the writer connection on a blocking thread. Writes are serialised here.
    ///
    /// A panic in `f` is an error of this call ([`DbError::Panicked`]), not of the server:
    /// the transaction it left open is rolled back and the next write runs as usual.
    pub async fn write<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.writer()?;
            contain(&mut conn, f)
        })
        .await
        .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    /// Runs `f` on a read-only connection on a blocking thread, beside the writer.
    ///
    /// A panic in `f` is an error of this call, as for [`Db::write`].
    pub async fn read<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.take_reader()?;
            db.inner.readers_out.fetch_add(1, Ordering::Relaxed);
            let result = contain(&mut conn, f);
            // A reader whose read transaction could not be ended would serve an old
            // snapshot: it is closed instead of pooled.
            if conn.is_autocommit() {
                db.return_reader(conn);
            }
            db.inner.readers_out.fetch_sub(1, Ordering::Relaxed);
            result
        })
        .await
        .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    /// Open connections (the writer, readers at work and idle ones) and idle readers.
    pub fn connections(&self) -> (u32, u32) {
        let idle = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len() as u32;
        let out = self.inner.readers_out.load(Ordering::Relaxed);
        (1 + out + idle, idle)
    }

    fn take_reader(&self) -> Result<Connection, DbError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => {
                let conn = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(10))?;
                Ok(conn)
            }
        }
    }

    fn return_reader(&self, conn: Connection) {
        let mut pool = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pool.len() < self.inner.keep_readers {
            pool.push(conn);
        }
    }
}

/// Runs `f` on `conn`, turning a panic into [`DbError::Panicked`] after rolling back the
/// transaction `f` left open, so that the connection is usable again.
fn contain<T, E: From<DbError>>(
    conn: &mut Connection,
    f: impl FnOnce(&mut Connection) -> Result<T, E>,
) -> Result<T, E> {
    match catch_unwind(AssertUnwindSafe(|| f(conn))) {
        Ok(result) => result,
        Err(payload) => {
            let message = panic_message(payload.as_ref());
            let rollback = roll_back_open(conn);
            tracing::error!(
                panic = %message,
                rolled_back = rollback.is_ok(),
                "database work panicked; its transaction was rolled back"
            );
            Err(E::from(DbError::Panicked(message)))
        }
    }
}

/// Ends a transaction left open on `conn` (by work that panicked), discarding its writes.
fn roll_back_open(conn: &Connection) -> Result<(), rusqlite::Error> {
    if !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    Ok(())
}

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

fn ensure_meta(
    conn: &Connection,
    key: &str,
    make: impl FnOnce() -> String,
) -> Result<(), rusqlite::Error> {
    if meta(conn, key)?.is_none() {
        set_meta(conn, key, &make())?;
    }
    Ok(())
}

fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path(), 4).unwrap();
        (dir, db)
    }

    async fn read_meta(db: &Db, key: &'static str) -> Option<String> {
        db.read(move |c| meta(c, key).map_err(DbError::from))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_write_that_panics_mid_transaction_leaves_nothing_behind() {
        let (_dir, db) = open();
        let result: Result<(), DbError> = db
            .write(|c| {
                c.execute_batch("BEGIN IMMEDIATE")?;
                set_meta(c, "half", "written")?;
                panic!("boom in the middle of a write");
            })
            .await;
        match result {
            Err(DbError::Panicked(message)) => assert!(message.contains("boom"), "{message}"),
            other => panic!("expected a panic error, got {other:?}"),
        }
        // The next write runs on the same writer, outside the abandoned transaction.
        db.write(|c| set_meta(c, "next", "written").map_err(DbError::from))
            .await
            .unwrap();
        assert_eq!(read_meta(&db, "half").await, None);
        assert_eq!(read_meta(&db, "next").await.as_deref(), Some("written"));
        // And the abandoned insert was not committed with it either.
        let conn = Connection::open(db.path()).unwrap();
        assert_eq!(meta(&conn, "half").unwrap(), None);
    }

    #[tokio::test]
    async fn a_panic_holding_the_writer_does_not_take_it_out_of_service() {
        let (_dir, db) = open();
        let holder = db.clone();
        let panicked = std::thread::spawn(move || {
            let conn = holder.writer().unwrap();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            set_meta(&conn, "half", "written").unwrap();
            panic!("boom while holding the writer");
        })
        .join();
        assert!(panicked.is_err());
        db.write(|c| set_meta(c, "next", "written").map_err(DbError::from))
            .await
            .unwrap();
        assert_eq!(read_meta(&db, "half").await, None);
        assert_eq!(read_meta(&db, "next").await.as_deref(), Some("written"));
    }

    #[tokio::test]
    async fn a_read_that_panics_mid_transaction_leaves_no_stale_snapshot() {
        let (_dir, db) = open();
        db.write(|c| set_meta(c, "k", "old").map_err(DbError::from))
            .await
            .unwrap();
        let result: Result<(), DbError> = db
            .read(|c| {
                c.execute_batch("BEGIN")?;
                let _ = meta(c, "k")?;
                panic!("boom in the middle of a read");
            })
            .await;
        assert!(matches!(result, Err(DbError::Panicked(_))), "{result:?}");
        db.write(|c| set_meta(c, "k", "new").map_err(DbError::from))
            .await
            .unwrap();
        // Reads run again, and see the write made after the panic.
        assert_eq!(read_meta(&db, "k").await.as_deref(), Some("new"));
    }
}
