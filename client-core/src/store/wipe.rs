//! Remote wipe: erasing everything an account left on the device, when an administrator
//! revoked the device (a lost or stolen phone).

use rusqlite::TransactionBehavior;

use super::Store;
use crate::error::Result;
use crate::session::keys;

impl Store {
    /// Erases the jobs, the outbox, the conflict log, the reference data (van stock,
    /// catalog, templates), the session and the cursors; keeps only the device id (the server's revocation is bound to it). Returns the ids of the
    /// jobs removed.
    ///
    /// Deleted rows are overwritten on disk and the write-ahead log is emptied: a phone in
    /// the wrong hands must not give the customer records back to a file-recovery tool.
    pub(crate) fn wipe(&mut self) -> Result<Vec<String>> {
        let secure_before: i64 = self
            .conn
            .pragma_query_value(None, "secure_delete", |r| r.get(0))?;
        self.conn.pragma_update(None, "secure_delete", true)?;
        let removed = self.erase_all();
        self.conn
            .pragma_update(None, "secure_delete", secure_before)?;
        let removed = removed?;
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy != 0 {
            // The rows are gone for every reader already; only their old copies in the
            // log wait for the next checkpoint.
            tracing::warn!("the write-ahead log could not be emptied after the wipe");
        }
        Ok(removed)
    }

    fn erase_all(&mut self) -> Result<Vec<String>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let removed: Vec<String> = tx
            .prepare("SELECT doc_id FROM documents ORDER BY doc_id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // Query rows and kept conflict changes go with their parents (ON DELETE CASCADE).
        tx.execute_batch(
            "DELETE FROM documents;
             DELETE FROM outbox;
             DELETE FROM conflicts;
             DELETE FROM part_uses;
             DELETE FROM parts_catalog;
             DELETE FROM form_templates;
             DELETE FROM van_stock;",
        )?;
        // Everything else in `meta` belongs to the account: its session, tokens, owner,
        // cursor, and whatever later versions keep there.
        tx.execute("DELETE FROM meta WHERE key <> ?1", [keys::DEVICE_ID])?;
        tx.commit()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use onsite_domain::{Customer, Job, JobDoc, Role, StockLevel};
    use onsite_sync::client::{ClientCommit, ClientStore, ConflictRecord};
    use onsite_sync::wire::{Cursor, ReferenceDelta};

    use super::*;
    use crate::session::{Credentials, Session};
    use crate::store::DB_FILE;

    const MARKER: &str = "Customer-Marker-7f3a9c";

    fn on_disk(dir: &Path) -> Vec<u8> {
        let mut bytes = std::fs::read(dir.join(DB_FILE)).unwrap();
        if let Ok(wal) = std::fs::read(dir.join(format!("{DB_FILE}-wal"))) {
            bytes.extend(wal);
        }
        bytes
    }

    fn contains(haystack: &[u8], needle: &str) -> bool {
        haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .conn
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_wipe_erases_the_account_from_the_tables_and_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let device_id = store.device_id().to_string();
        let session = Session {
            user_id: "me".into(),
            username: "me".into(),
            role: Role::Technician,
            server_url: Some("https://onsite.example.com".into()),
        };
        let credentials = Credentials {
            server_url: "https://onsite.example.com".into(),
            access_token: "access".into(),
            refresh_token: Some("refresh".into()),
            access_expires_at: Some(1),
        };
        store.adopt_session(&session, Some(&credentials)).unwrap();
        let (a, b) = (
            "00000000-0000-4000-8000-00000000000a",
            "00000000-0000-4000-8000-00000000000b",
        );
        for id in [a, b] {
            let job = Job {
                id: id.into(),
                origin: "onsite".into(),
                assignee: Some("me".into()),
                customer: Customer {
                    name: MARKER.into(),
                    ..Customer::default()
                },
                ..Job::default()
            };
            let (mut doc, change) = JobDoc::create(&job, store.actor(), 1_000).unwrap();
            store.record_local(id, &mut doc, &change).unwrap();
        }
        let refused = store.pending_for(b).unwrap();
        store
            .commit(ClientCommit {
                acked: vec![refused[0].hash.clone()],
                conflicts: vec![ConflictRecord {
                    doc_id: b.into(),
                    code: "not_assigned".into(),
                    message: "m".into(),
                    changes: refused,
                }],
                cursor: Some(Cursor {
                    epoch: "e".into(),
                    seq: 7,
                }),
                reference: Some(ReferenceDelta {
                    seq: 3,
                    full: true,
                    stock: vec![StockLevel {
                        sku: "RLY-12".into(),
                        balance: -2,
                    }],
                    ..ReferenceDelta::default()
                }),
                ..ClientCommit::default()
            })
            .unwrap();
        assert!(
            contains(&on_disk(dir.path()), MARKER),
            "the customer is on disk before the wipe"
        );

        let mut removed = store.wipe().unwrap();
        removed.sort();
        assert_eq!(removed, vec![a.to_string(), b.to_string()]);
        for table in [
            "documents",
            "jobs",
            "outbox",
            "conflicts",
            "conflict_changes",
            "van_stock",
            "part_uses",
            "parts_catalog",
            "form_templates",
        ] {
            assert_eq!(count(&store, table), 0, "{table}");
        }
        assert_eq!(store.session().unwrap(), None);
        assert_eq!(store.credentials().unwrap(), None);
        assert_eq!(store.cursor().unwrap(), None);
        assert_eq!(store.reference_cursor().unwrap(), 0);
        assert_eq!(count(&store, "meta"), 1, "only the device id is left");
        assert!(
            !contains(&on_disk(dir.path()), MARKER),
            "the customer record is overwritten on disk"
        );
        let secure: i64 = store
            .conn
            .pragma_query_value(None, "secure_delete", |r| r.get(0))
            .unwrap();
        assert_eq!(secure, 0, "later deletes are ordinary again");

        drop(store);
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.device_id(), device_id);
        // The wiped store takes a new account like a new one.
        store.adopt_session(&session, None).unwrap();
        assert_eq!(store.doc_ids().unwrap(), Vec::<String>::new());
    }
}
