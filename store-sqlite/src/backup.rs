//! Backups that restore: an online copy of the database, and a restore that gives the
//! restored server a new epoch, so that every device repairs what the backup lacks.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::db::{self, DB_FILE};
use crate::schema;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Schema(#[from] schema::SchemaError),
    #[error("{0}")]
    Io(String),
    #[error("{path} already exists; a backup never overwrites a file")]
    Exists { path: PathBuf },
    #[error("{path} is not an Onsite database: {why}")]
    NotOnsite { path: PathBuf, why: String },
}

fn io(what: &str, path: &Path, e: std::io::Error) -> BackupError {
    BackupError::Io(format!("{what} {}: {e}", path.display()))
}

/// What a restore did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Restored {
    /// The epoch the restored server now has.
    pub epoch: String,
    /// The epoch of the server the backup was taken from.
    pub restored_from: String,
}

/// Writes a consistent copy of the server's database in `data_dir` to `to`, while the
/// server may be running (SQLite's `VACUUM INTO` reads one snapshot; writers go on).
pub fn backup(data_dir: &Path, to: &Path) -> Result<(), BackupError> {
    if to.exists() {
        return Err(BackupError::Exists {
            path: to.to_path_buf(),
        });
    }
    let source = data_dir.join(DB_FILE);
    if !source.exists() {
        return Err(BackupError::NotOnsite {
            path: source,
            why: "no database in this data directory".into(),
        });
    }
    let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::Io(format!("{} is not a UTF-8 path", to.display())))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    Ok(())
}

/// Replaces the database in `data_dir` with the backup `from`. The server must not be
/// running. The restored database gets a new epoch (devices whose cursor has the old one
/// repair every job they hold, bringing back what the backup lacks) and remembers the
/// epoch it came from, which lets a repair bring back other devices' lost work.
pub fn restore(data_dir: &Path, from: &Path) -> Result<Restored, BackupError> {
    let not_onsite = |why: String| BackupError::NotOnsite {
        path: from.to_path_buf(),
        why,
    };
    std::fs::create_dir_all(data_dir).map_err(|e| io("creating", data_dir, e))?;
    let staged = data_dir.join(format!("{DB_FILE}.restoring"));
    // A restore stopped half-way leaves only this file behind; start it afresh.
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(from, &staged).map_err(|e| io("copying", from, e))?;
    let restored = (|| {
        let mut conn = Connection::open(&staged)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| not_onsite(e.to_string()))?;
        if version < 1 {
            return Err(not_onsite("it has no Onsite schema".into()));
        }
        schema::migrate(&mut conn)?;
        let old =
            db::meta(&conn, "epoch")?.ok_or_else(|| not_onsite("it has no server epoch".into()))?;
        let epoch = uuid::Uuid::new_v4().to_string();
        let tx = conn.transaction()?;
        db::set_meta(&tx, "epoch", &epoch)?;
        db::set_meta(&tx, "restored_from", &old)?;
        tx.commit()?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(Restored {
            epoch,
            restored_from: old,
        })
    })();
    let restored = match restored {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    // The old database's write-ahead log belongs to it, not to the restored file.
    let live = data_dir.join(DB_FILE);
    for suffix in ["-wal", "-shm"] {
        let path = data_dir.join(format!("{DB_FILE}{suffix}"));
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("removing", &path, e)),
        }
    }
    std::fs::rename(&staged, &live).map_err(|e| io("replacing", &live, e))?;
    Ok(restored)
}
