//! What the tests read or change in the server's database itself, below every API: database
//! dumps for "nothing changed" comparisons, stored documents and feed rows as the database
//! holds them, refresh tokens aged by hand. On the SQLite backend that is the file in the
//! data directory; on PostgreSQL, the test server's database (the same tables). Everything
//! else in the harness goes through the API or the backend's repositories.

use std::path::{Path, PathBuf};
use std::time::Duration;

use onsite_domain::Job;

use crate::TestServer;
use crate::database::with_postgres;

/// Where a data directory keeps its database.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(onsite_store_sqlite::db::DB_FILE)
}

/// A connection of its own to the server's file, beside the server's.
pub fn open(server: &TestServer) -> anyhow::Result<rusqlite::Connection> {
    let conn = rusqlite::Connection::open(path(server.data_dir()))?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(conn)
}

/// Every row of every table, sorted, for "this request changed nothing" comparisons; but
/// not the records of requests ([`crate::database::RECORDS_OF_REQUESTS`]), nor their
/// counters in `sqlite_sequence`.
pub fn dump_database(path: &Path) -> anyhow::Result<Vec<String>> {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let skipped = crate::database::RECORDS_OF_REQUESTS;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get::<_, String>(0))?
        .filter(|name| !matches!(name, Ok(n) if skipped.contains(&n.as_str())))
        .collect::<Result<_, _>>()?;
    let listed = skipped
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = Vec::new();
    for table in tables {
        let query = if table == "sqlite_sequence" {
            format!("SELECT * FROM sqlite_sequence WHERE name NOT IN ({listed})")
        } else {
            format!("SELECT * FROM \"{table}\"")
        };
        let mut stmt = conn.prepare(&query)?;
        let cols = stmt.column_count();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let mut line = format!("{table}:");
            for i in 0..cols {
                let v: rusqlite::types::Value = row.get(i)?;
                line.push_str(&format!(" {v:?}"));
            }
            out.push(line);
        }
    }
    out.sort();
    Ok(out)
}

/// The job as the database stores it.
pub fn stored_job(server: &TestServer, id: &str) -> anyhow::Result<Job> {
    let bytes: Option<Vec<u8>> = match server.database_url() {
        Some(url) => {
            let id = id.to_string();
            with_postgres(&url, move |c| {
                Ok(
                    c.query_opt("SELECT data FROM documents WHERE doc_id = $1", &[&id])?
                        .map(|r| r.get(0)),
                )
            })?
        }
        None => {
            use rusqlite::OptionalExtension;
            open(server)?
                .query_row("SELECT data FROM documents WHERE doc_id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?
        }
    };
    let bytes = bytes.ok_or_else(|| anyhow::anyhow!("no stored document {id}"))?;
    Ok(onsite_domain::JobDoc::load(&bytes)?.job()?)
}

/// Changes the server accepted from one device (its feed rows of kind "change").
pub fn changes_from(server: &TestServer, device_id: &str) -> anyhow::Result<i64> {
    if let Some(url) = server.database_url() {
        let device_id = device_id.to_string();
        return with_postgres(&url, move |c| {
            Ok(c.query_one(
                "SELECT COUNT(*) FROM feed WHERE kind = 0 AND origin_device = $1",
                &[&device_id],
            )?
            .get(0))
        });
    }
    Ok(open(server)?.query_row(
        "SELECT COUNT(*) FROM feed WHERE kind = 0 AND origin_device = ?1",
        [device_id],
        |r| r.get(0),
    )?)
}

/// Ends the lifetime of every live refresh token of an account, as 30 days offline
/// would; answers how many there were.
pub fn expire_refresh_tokens(server: &TestServer, user_id: &str) -> anyhow::Result<usize> {
    let past = chrono::Utc::now().timestamp() - 1;
    if let Some(url) = server.database_url() {
        let user_id = user_id.to_string();
        return with_postgres(&url, move |c| {
            Ok(c.execute(
                "UPDATE refresh_tokens SET expires_at = $2 WHERE user_id = $1 AND expires_at > $2",
                &[&user_id, &past],
            )? as usize)
        });
    }
    Ok(open(server)?.execute(
        "UPDATE refresh_tokens SET expires_at = ?2 WHERE user_id = ?1 AND expires_at > ?2",
        rusqlite::params![user_id, past],
    )?)
}

/// Overwrites a job's stored document, as a failing disk would.
pub fn damage_document(server: &TestServer, id: &str, bytes: &[u8]) -> anyhow::Result<u64> {
    if let Some(url) = server.database_url() {
        let (id, bytes) = (id.to_string(), bytes.to_vec());
        return with_postgres(&url, move |c| {
            Ok(c.execute(
                "UPDATE documents SET data = $1 WHERE doc_id = $2",
                &[&bytes, &id],
            )?)
        });
    }
    let changed = open(server)?.execute(
        "UPDATE documents SET data = ?1 WHERE doc_id = ?2",
        rusqlite::params![bytes, id],
    )?;
    Ok(changed as u64)
}
