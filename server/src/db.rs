//! The server database: one writer, a few readers, blocking work kept off async threads.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

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
    #[error("a database lock was poisoned by a panic")]
    Poisoned,
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
    pub fn open(data_dir: &Path) -> Result<Db, DbError> {
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
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub fn writer(&self) -> Result<MutexGuard<'_, Connection>, DbError> {
        self.inner.writer.lock().map_err(|_| DbError::Poisoned)
    }

    /// Runs `f` on the writer connection on a blocking thread. Writes are serialised here.
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
            f(&mut conn)
        })
        .await
        .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    /// Runs `f` on a read-only connection on a blocking thread, beside the writer.
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
            let result = f(&mut conn);
            db.return_reader(conn);
            result
        })
        .await
        .map_err(|e| E::from(DbError::Join(e.to_string())))?
    }

    fn take_reader(&self) -> Result<Connection, DbError> {
        let pooled = self
            .inner
            .readers
            .lock()
            .map_err(|_| DbError::Poisoned)?
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
        if let Ok(mut pool) = self.inner.readers.lock()
            && pool.len() < 8
        {
            pool.push(conn);
        }
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
