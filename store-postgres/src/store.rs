//! The sync engine's [`ServerStore`] on PostgreSQL: documents, the feed, scopes, actors
//! and quarantine, inside the transaction of one unit of work.

use onsite_domain::Role;
use onsite_store::Notice;
use onsite_sync::server::{
    ActorOwner, DocWrite, FeedItem, FeedRead, Peer, ReferenceRead, ServerStore,
};
use postgres::Transaction;

use crate::error::PgError;
use crate::{projection, reference};

const KIND_CHANGE: i16 = 0;
const KIND_ENTER: i16 = 1;
const KIND_LEAVE: i16 = 2;

/// The store on one transaction. Writes must run in a transaction begun with
/// [`crate::backend::begin_write`], which holds the writers' lock.
pub struct PgStore<'t, 'c> {
    tx: &'t mut Transaction<'c>,
    /// What to tell the devices once the unit of work is committed.
    notices: &'t mut Vec<Notice>,
}

impl std::fmt::Debug for PgStore<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl<'t, 'c> PgStore<'t, 'c> {
    pub fn new(tx: &'t mut Transaction<'c>, notices: &'t mut Vec<Notice>) -> Self {
        PgStore { tx, notices }
    }
}

pub(crate) fn meta(tx: &mut Transaction<'_>, key: &str) -> Result<Option<String>, PgError> {
    Ok(tx
        .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
        .map(|r| r.get(0)))
}

fn head(tx: &mut Transaction<'_>) -> Result<u64, PgError> {
    let head: i64 = tx
        .query_one("SELECT COALESCE(MAX(seq), 0) FROM feed", &[])?
        .get(0);
    Ok(head as u64)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl ServerStore for PgStore<'_, '_> {
    type Error = PgError;

    fn epoch(&mut self) -> Result<String, PgError> {
        meta(self.tx, "epoch")?.ok_or(PgError::NoEpoch)
    }

    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, PgError> {
        Ok(self
            .tx
            .query_opt("SELECT data FROM documents WHERE doc_id = $1", &[&doc_id])?
            .map(|r| r.get(0)))
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), PgError> {
        let tx = &mut *self.tx;
        let epoch = meta(tx, "epoch")?.ok_or(PgError::NoEpoch)?;
        let mut technicians: Vec<String> = Vec::new();
        let mut news = false;
        let insert = tx.prepare(
            // The uploader's account is kept with each change: the edit history of a job
            // names who made each change, not just which Automerge actor.
            "INSERT INTO feed (kind, doc_id, user_id, origin_device, hash, data)
             VALUES (0, $1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING RETURNING seq",
        )?;
        let own = tx.prepare(
            "INSERT INTO actors (actor, user_id, device_id, first_seen, epoch)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (actor) DO UPDATE SET epoch = excluded.epoch
              WHERE actors.user_id = excluded.user_id
                AND actors.device_id = excluded.device_id",
        )?;
        for w in writes {
            let first_seen = chrono::Utc::now().timestamp();
            for actor in &w.authored {
                tx.execute(
                    &own,
                    &[
                        &actor.to_bytes(),
                        &peer.user_id,
                        &peer.device_id,
                        &first_seen,
                        &epoch,
                    ],
                )?;
            }
            let mut last_seq: Option<i64> = None;
            for c in &w.changes {
                let hash: &[u8] = c.hash.0.as_slice();
                if let Some(row) = tx.query_opt(
                    &insert,
                    &[&w.doc_id, &peer.user_id, &peer.device_id, &hash, &c.bytes],
                )? {
                    last_seq = Some(row.get(0));
                }
            }
            let seq = match last_seq {
                Some(s) => s,
                None => head(tx)? as i64,
            };
            let old_assignee: Option<Option<String>> = tx
                .query_opt(
                    "SELECT assignee FROM documents WHERE doc_id = $1",
                    &[&w.doc_id],
                )?
                .map(|r| r.get(0));
            tx.execute(
                "INSERT INTO documents (doc_id, data, assignee, updated_seq)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (doc_id) DO UPDATE SET data = excluded.data,
                     assignee = excluded.assignee, updated_seq = excluded.updated_seq",
                &[&w.doc_id, &w.saved, &w.job.assignee, &seq],
            )?;
            projection::upsert_job_received(tx, &w.doc_id, &w.job, seq, w.received)?;
            let old = old_assignee.flatten();
            news |= last_seq.is_some() || old != w.job.assignee;
            technicians.extend(old.iter().chain(&w.job.assignee).cloned());
            if old != w.job.assignee {
                if let Some(user) = &old {
                    tx.execute(
                        "INSERT INTO feed (kind, doc_id, user_id, origin_device)
                         VALUES ($1, $2, $3, $4)",
                        &[&KIND_LEAVE, &w.doc_id, user, &peer.device_id],
                    )?;
                    tx.execute(
                        "DELETE FROM job_scope WHERE user_id = $1 AND doc_id = $2",
                        &[user, &w.doc_id],
                    )?;
                }
                if let Some(user) = &w.job.assignee {
                    let enter: i64 = tx
                        .query_one(
                            "INSERT INTO feed (kind, doc_id, user_id, origin_device)
                             VALUES ($1, $2, $3, $4) RETURNING seq",
                            &[&KIND_ENTER, &w.doc_id, user, &peer.device_id],
                        )?
                        .get(0);
                    tx.execute(
                        "INSERT INTO job_scope (user_id, doc_id, enter_seq) VALUES ($1, $2, $3)",
                        &[user, &w.doc_id, &enter],
                    )?;
                }
            }
        }
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

    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, PgError> {
        // Read units run in one REPEATABLE READ snapshot: the head and the items agree.
        let tx = &mut *self.tx;
        let head = head(tx)?;
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::from(limit);
        let mut items = Vec::new();
        if peer.role.sees_all_jobs() {
            for r in tx.query(
                "SELECT seq, doc_id, data FROM feed
                  WHERE seq > $1 AND kind = 0 AND origin_device <> $2
                    AND doc_id NOT IN (SELECT doc_id FROM quarantine)
                  ORDER BY seq LIMIT $3",
                &[&after, &peer.device_id, &limit],
            )? {
                items.push(FeedItem::Change {
                    seq: r.get::<_, i64>(0) as u64,
                    doc: r.get(1),
                    data: r.get(2),
                });
            }
        } else {
            // Changes to jobs the device already holds, found through the scope, plus
            // the scope's entries and exits.
            let rows = tx.query(
                "SELECT seq, kind, doc_id, data FROM (
                     SELECT f.seq, f.kind, f.doc_id, f.data FROM job_scope s
                       JOIN feed f ON f.doc_id = s.doc_id AND f.kind = 0 AND f.seq > $2
                      WHERE s.user_id = $1 AND f.origin_device <> $3
                        -- The device that caused the entry holds what it uploaded and needs
                        -- every later change, even with its cursor before the entry.
                        AND (s.enter_seq <= $2 OR EXISTS (
                            SELECT 1 FROM feed e WHERE e.seq = s.enter_seq AND e.origin_device = $3))
                        AND s.doc_id NOT IN (SELECT doc_id FROM quarantine)
                     UNION ALL
                     SELECT f.seq, f.kind, f.doc_id, NULL FROM feed f
                      WHERE f.user_id = $1 AND f.kind <> 0 AND f.seq > $2
                        AND f.origin_device <> $3
                        -- Only the entry a job still in scope was last given counts, chosen
                        -- before the LIMIT: a page cut short afterwards would read as the end.
                        AND (f.kind = 2 OR EXISTS (
                            SELECT 1 FROM job_scope s2 WHERE s2.user_id = $1
                               AND s2.doc_id = f.doc_id AND s2.enter_seq = f.seq
                               AND s2.doc_id NOT IN (SELECT doc_id FROM quarantine)))
                 ) AS visible ORDER BY seq LIMIT $4",
                &[&peer.user_id, &after, &peer.device_id, &limit],
            )?;
            let enter_check = tx.prepare(
                "SELECT d.data FROM job_scope s JOIN documents d ON d.doc_id = s.doc_id
                  WHERE s.user_id = $1 AND s.doc_id = $2 AND s.enter_seq = $3
                    AND s.doc_id NOT IN (SELECT doc_id FROM quarantine)",
            )?;
            for r in rows {
                let seq: i64 = r.get(0);
                let kind: i16 = r.get(1);
                let doc: String = r.get(2);
                let item = match kind {
                    KIND_CHANGE => FeedItem::Change {
                        seq: seq as u64,
                        doc,
                        data: r.get::<_, Option<Vec<u8>>>(3).unwrap_or_default(),
                    },
                    KIND_ENTER => {
                        // Only the latest entry of a job still in scope brings the document.
                        match tx.query_opt(&enter_check, &[&peer.user_id, &doc, &seq])? {
                            Some(d) => FeedItem::Enter {
                                seq: seq as u64,
                                doc,
                                data: d.get(0),
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
        Ok(FeedRead { items, head })
    }

    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, PgError> {
        if peer.role.sees_all_jobs() {
            return Ok(true);
        }
        Ok(self
            .tx
            .query_opt(
                "SELECT 1 FROM job_scope WHERE user_id = $1 AND doc_id = $2",
                &[&peer.user_id, &doc_id],
            )?
            .is_some())
    }

    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), PgError> {
        let tx = &mut *self.tx;
        let head = head(tx)?;
        let rows = if peer.role.sees_all_jobs() {
            tx.query("SELECT doc_id FROM documents ORDER BY doc_id", &[])?
        } else {
            tx.query(
                "SELECT doc_id FROM job_scope WHERE user_id = $1 ORDER BY doc_id",
                &[&peer.user_id],
            )?
        };
        Ok((rows.iter().map(|r| r.get(0)).collect(), head))
    }

    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, PgError> {
        reference::read(self.tx, peer, after)
    }

    fn actor_owner(&mut self, actor: &automerge::ActorId) -> Result<Option<ActorOwner>, PgError> {
        Ok(self
            .tx
            .query_opt(
                "SELECT a.user_id, a.device_id, a.epoch, u.role FROM actors a
                   LEFT JOIN users u ON u.id = a.user_id WHERE a.actor = $1",
                &[&actor.to_bytes()],
            )?
            .map(|r| ActorOwner {
                user_id: r.get(0),
                device_id: r.get(1),
                epoch: r.get(2),
                role: r
                    .get::<_, Option<String>>(3)
                    .and_then(|role| Role::parse(&role)),
            }))
    }

    fn restored(&mut self) -> Result<bool, PgError> {
        // Written by a restore, with the epoch the backup was taken in.
        Ok(meta(self.tx, "restored_from")?.is_some())
    }

    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), PgError> {
        self.tx.execute(
            "INSERT INTO quarantine (doc_id, reason, at) VALUES ($1, $2, $3)
             ON CONFLICT (doc_id) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            &[&doc_id, &reason, &chrono::Utc::now().timestamp()],
        )?;
        Ok(())
    }

    fn now_ms(&mut self) -> i64 {
        now_ms()
    }
}
