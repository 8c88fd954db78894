//! SQLite implementation of the sync engine's [`ServerStore`].

use onsite_domain::JobDoc;
use onsite_sync::server::{
    ActorOwner, DocWrite, FeedItem, FeedRead, Peer, ReferenceRead, ServerStore,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::db;
use crate::projection;
use onsite_store::Notice;

const KIND_CHANGE: i64 = 0;
const KIND_ENTER: i64 = 1;
const KIND_LEAVE: i64 = 2;

/// The documents, feed and scopes, on one SQLite connection.
#[derive(Debug)]
pub struct SqliteStore<'c> {
    conn: &'c mut Connection,
    /// What to tell the devices once the unit of work is over.
    notices: &'c mut Vec<Notice>,
}

#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored document {0} is unreadable: {1}")]
    Corrupt(String, String),
    #[error("the server has no epoch; the database was not initialised")]
    NoEpoch,
}

impl<'c> SqliteStore<'c> {
    /// The store on `conn`; each commit that brings something new adds its notice to
    /// `notices`.
    pub fn new(conn: &'c mut Connection, notices: &'c mut Vec<Notice>) -> Self {
        SqliteStore { conn, notices }
    }
}

fn head(conn: &Connection) -> Result<u64, rusqlite::Error> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM feed", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|v| v as u64)
}

pub fn load_doc(conn: &Connection, doc_id: &str) -> Result<Option<JobDoc>, SqliteError> {
    let bytes: Option<Vec<u8>> = conn
        .query_row(
            "SELECT data FROM documents WHERE doc_id = ?1",
            [doc_id],
            |r| r.get(0),
        )
        .optional()?;
    bytes
        .map(|b| {
            JobDoc::load(&b).map_err(|e| SqliteError::Corrupt(doc_id.to_string(), e.to_string()))
        })
        .transpose()
}

pub use onsite_store::repo::jobs::Quarantined;

fn quarantined_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Quarantined> {
    Ok(Quarantined {
        doc_id: r.get(0)?,
        reason: r.get(1)?,
        at: r.get(2)?,
    })
}

/// Whether the job is set aside, and why.
pub fn quarantined(conn: &Connection, doc_id: &str) -> rusqlite::Result<Option<Quarantined>> {
    conn.query_row(
        "SELECT doc_id, reason, at FROM quarantine WHERE doc_id = ?1",
        [doc_id],
        quarantined_row,
    )
    .optional()
}

/// Every job set aside, the latest first.
pub fn quarantined_jobs(conn: &Connection) -> rusqlite::Result<Vec<Quarantined>> {
    conn.prepare_cached("SELECT doc_id, reason, at FROM quarantine ORDER BY at DESC, doc_id")?
        .query_map([], quarantined_row)?
        .collect()
}

impl ServerStore for SqliteStore<'_> {
    type Error = SqliteError;

    fn epoch(&mut self) -> Result<String, SqliteError> {
        db::meta(self.conn, "epoch")?.ok_or(SqliteError::NoEpoch)
    }

    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, SqliteError> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM documents WHERE doc_id = ?1",
                [doc_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), SqliteError> {
        let tx = self.conn.savepoint()?;
        let epoch = db::meta(&tx, "epoch")?.ok_or(SqliteError::NoEpoch)?;
        let mut technicians: Vec<String> = Vec::new();
        let mut news = false;
        for w in writes {
            let mut last_seq = None;
            {
                let mut insert = tx.prepare_cached(
                    // The uploader's account is kept with each change: the edit history of a
                    // job names who made each change, not just which Automerge actor.
                    "INSERT INTO feed (kind, doc_id, user_id, origin_device, hash, data)
                     VALUES (0, ?1, ?2, ?3, ?4, ?5) ON CONFLICT (hash) DO NOTHING",
                )?;
                let mut own = tx.prepare_cached(
                    "INSERT INTO actors (actor, user_id, device_id, first_seen, epoch)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (actor) DO UPDATE SET epoch = excluded.epoch
                      WHERE actors.user_id = excluded.user_id
                        AND actors.device_id = excluded.device_id",
                )?;
                for actor in &w.authored {
                    own.execute(params![
                        actor.to_bytes(),
                        peer.user_id,
                        peer.device_id,
                        chrono::Utc::now().timestamp(),
                        epoch
                    ])?;
                }
                for c in &w.changes {
                    if insert.execute(params![
                        w.doc_id,
                        peer.user_id,
                        peer.device_id,
                        c.hash.0.as_slice(),
                        c.bytes
                    ])? > 0
                    {
                        last_seq = Some(tx.last_insert_rowid());
                    }
                }
            }
            let seq = match last_seq {
                Some(s) => s,
                None => head(&tx)? as i64,
            };
            let old_assignee: Option<Option<String>> = tx
                .query_row(
                    "SELECT assignee FROM documents WHERE doc_id = ?1",
                    [&w.doc_id],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "INSERT INTO documents (doc_id, data, assignee, updated_seq) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data,
                     assignee = excluded.assignee, updated_seq = excluded.updated_seq",
                params![w.doc_id, w.saved, w.job.assignee, seq],
            )?;
            projection::upsert_job_received(&tx, &w.doc_id, &w.job, seq as u64, w.received)?;
            let old = old_assignee.flatten();
            news |= last_seq.is_some() || old != w.job.assignee;
            technicians.extend(old.iter().chain(&w.job.assignee).cloned());
            if old != w.job.assignee {
                if let Some(user) = &old {
                    tx.execute(
                        "INSERT INTO feed (kind, doc_id, user_id, origin_device) VALUES (?1, ?2, ?3, ?4)",
                        params![KIND_LEAVE, w.doc_id, user, peer.device_id],
                    )?;
                    tx.execute(
                        "DELETE FROM job_scope WHERE user_id = ?1 AND doc_id = ?2",
                        params![user, w.doc_id],
                    )?;
                }
                if let Some(user) = &w.job.assignee {
                    tx.execute(
                        "INSERT INTO feed (kind, doc_id, user_id, origin_device) VALUES (?1, ?2, ?3, ?4)",
                        params![KIND_ENTER, w.doc_id, user, peer.device_id],
                    )?;
                    tx.execute(
                        "INSERT INTO job_scope (user_id, doc_id, enter_seq) VALUES (?1, ?2, ?3)",
                        params![user, w.doc_id, tx.last_insert_rowid()],
                    )?;
                }
            }
        }
        tx.commit()?;
        if news {
            technicians.sort();
            technicians.dedup();
            self.notices.push(Notice {
                technicians,
                everyone: false,
                origin_user: peer.user_id.clone(),
                origin_device: peer.device_id.clone(),
            });
        }
        Ok(())
    }

    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, SqliteError> {
        // One read transaction: the head and the items come from the same snapshot.
        let tx = self.conn.savepoint()?;
        let head = head(&tx)?;
        let after = after as i64;
        let mut items = Vec::new();
        if peer.role.sees_all_jobs() {
            let mut stmt = tx.prepare_cached(
                "SELECT seq, doc_id, data FROM feed
                 WHERE seq > ?1 AND kind = 0 AND origin_device <> ?2
                   AND doc_id NOT IN (SELECT doc_id FROM quarantine)
                 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![after, peer.device_id, limit], |r| {
                Ok(FeedItem::Change {
                    seq: r.get::<_, i64>(0)? as u64,
                    doc: r.get(1)?,
                    data: r.get(2)?,
                })
            })?;
            for row in rows {
                items.push(row?);
            }
        } else {
            // Changes to jobs the device already holds, found through the scope (cost grows
            // with the technician's jobs, not with the whole feed), plus scope entries/exits.
            let mut stmt = tx.prepare_cached(
                "SELECT seq, kind, doc_id, data FROM (
                     SELECT f.seq, f.kind, f.doc_id, f.data FROM job_scope s
                       JOIN feed f ON f.doc_id = s.doc_id AND f.kind = 0 AND f.seq > ?2
                      WHERE s.user_id = ?1 AND f.origin_device <> ?3
                        -- The device that caused the entry holds what it uploaded and needs
                        -- every later change, even with its cursor before the entry.
                        AND (s.enter_seq <= ?2 OR EXISTS (
                            SELECT 1 FROM feed e WHERE e.seq = s.enter_seq AND e.origin_device = ?3))
                        AND s.doc_id NOT IN (SELECT doc_id FROM quarantine)
                     UNION ALL
                     SELECT f.seq, f.kind, f.doc_id, NULL FROM feed f
                      WHERE f.user_id = ?1 AND f.kind <> 0 AND f.seq > ?2 AND f.origin_device <> ?3
                        -- Only the entry a job still in scope was last given counts, and it
                        -- is chosen here, before the LIMIT: a page cut short by entries
                        -- dropped afterwards would read as the end of the feed.
                        AND (f.kind = 2 OR EXISTS (
                            SELECT 1 FROM job_scope s2 WHERE s2.user_id = ?1
                               AND s2.doc_id = f.doc_id AND s2.enter_seq = f.seq
                               AND s2.doc_id NOT IN (SELECT doc_id FROM quarantine)))
                 ) ORDER BY seq LIMIT ?4",
            )?;
            let mut enter_check = tx.prepare_cached(
                "SELECT d.data FROM job_scope s JOIN documents d ON d.doc_id = s.doc_id
                  WHERE s.user_id = ?1 AND s.doc_id = ?2 AND s.enter_seq = ?3
                    AND s.doc_id NOT IN (SELECT doc_id FROM quarantine)",
            )?;
            let rows =
                stmt.query_map(params![peer.user_id, after, peer.device_id, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<Vec<u8>>>(3)?,
                    ))
                })?;
            for row in rows {
                let (seq, kind, doc, data) = row?;
                let item = match kind {
                    KIND_CHANGE => FeedItem::Change {
                        seq: seq as u64,
                        doc,
                        data: data.unwrap_or_default(),
                    },
                    KIND_ENTER => {
                        // Only the latest entry of a job still in scope brings the document.
                        let data: Option<Vec<u8>> = enter_check
                            .query_row(params![peer.user_id, doc, seq], |r| r.get(0))
                            .optional()?;
                        match data {
                            Some(data) => FeedItem::Enter {
                                seq: seq as u64,
                                doc,
                                data,
                            },
                            None => continue,
                        }
                    }
                    _ => FeedItem::Leave {
                        seq: seq as u64,
                        doc,
                    },
                };
                items.push(item);
            }
        }
        drop(tx);
        Ok(FeedRead { items, head })
    }

    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, SqliteError> {
        if peer.role.sees_all_jobs() {
            return Ok(true);
        }
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM job_scope WHERE user_id = ?1 AND doc_id = ?2",
                params![peer.user_id, doc_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), SqliteError> {
        let tx = self.conn.savepoint()?;
        let head = head(&tx)?;
        let docs = if peer.role.sees_all_jobs() {
            let mut stmt = tx.prepare_cached("SELECT doc_id FROM documents ORDER BY doc_id")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?
        } else {
            let mut stmt = tx.prepare_cached(
                "SELECT doc_id FROM job_scope WHERE user_id = ?1 ORDER BY doc_id",
            )?;
            stmt.query_map([&peer.user_id], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?
        };
        drop(tx);
        Ok((docs, head))
    }

    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, SqliteError> {
        Ok(crate::reference::delta::read(self.conn, peer, after)?)
    }

    fn actor_owner(
        &mut self,
        actor: &automerge::ActorId,
    ) -> Result<Option<ActorOwner>, SqliteError> {
        Ok(self
            .conn
            .query_row(
                "SELECT a.user_id, a.device_id, a.epoch, u.role FROM actors a
                   LEFT JOIN users u ON u.id = a.user_id WHERE a.actor = ?1",
                [actor.to_bytes()],
                |r| {
                    Ok(ActorOwner {
                        user_id: r.get(0)?,
                        device_id: r.get(1)?,
                        epoch: r.get(2)?,
                        role: r
                            .get::<_, Option<String>>(3)?
                            .and_then(|role| onsite_domain::Role::parse(&role)),
                    })
                },
            )
            .optional()?)
    }

    fn restored(&mut self) -> Result<bool, SqliteError> {
        // Written by a restore, with the epoch the backup was taken in.
        Ok(db::meta(self.conn, "restored_from")?.is_some())
    }

    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), SqliteError> {
        self.conn.execute(
            "INSERT INTO quarantine (doc_id, reason, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (doc_id) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            params![doc_id, reason, chrono::Utc::now().timestamp()],
        )?;
        Ok(())
    }

    fn now_ms(&mut self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}
