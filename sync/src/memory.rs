//! In-memory stores that keep the [`ServerStore`] and [`ClientStore`] contracts, for the
//! simulation and for tests of the engine. They hold saved bytes, not live documents, so a
//! "restart" that keeps the store and drops everything else is faithful.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

use onsite_domain::JobDoc;

use crate::client::{ClientCommit, ClientStore, ConflictRecord, Pending};
use crate::server::{DocWrite, FeedItem, FeedRead, Peer, ServerStore};
use crate::wire::Cursor;

#[derive(Debug, Clone)]
enum Entry {
    Change {
        doc: String,
        origin: String,
        data: Vec<u8>,
    },
    Enter {
        doc: String,
        user: String,
        origin: String,
    },
    Leave {
        doc: String,
        user: String,
        origin: String,
    },
}

/// The server's durable state, in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryServerStore {
    pub epoch: String,
    docs: BTreeMap<String, Vec<u8>>,
    /// seq − 1 indexes this list.
    feed: Vec<Entry>,
    hashes: BTreeSet<String>,
    /// (doc, user) → the sequence number at which the job entered the user's scope.
    scope: BTreeMap<(String, String), u64>,
    assignee: BTreeMap<String, Option<String>>,
}

impl MemoryServerStore {
    pub fn new(epoch: &str) -> Self {
        MemoryServerStore {
            epoch: epoch.to_string(),
            ..Self::default()
        }
    }

    pub fn doc_bytes(&self, doc: &str) -> Option<&Vec<u8>> {
        self.docs.get(doc)
    }

    pub fn doc_ids(&self) -> impl Iterator<Item = &String> {
        self.docs.keys()
    }

    pub fn head(&self) -> u64 {
        self.feed.len() as u64
    }

    /// Whether the `Enter` item at `seq` was caused by the peer's own device (which is
    /// never sent that item: it holds the document it uploaded).
    fn entered_by(&self, seq: u64, peer: &Peer) -> bool {
        let index = seq.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        matches!(
            index.and_then(|i| self.feed.get(i)),
            Some(Entry::Enter { origin, .. }) if origin == &peer.device_id
        )
    }
}

impl ServerStore for MemoryServerStore {
    type Error = Infallible;

    fn epoch(&mut self) -> Result<String, Infallible> {
        Ok(self.epoch.clone())
    }

    fn load_doc(&mut self, doc_id: &str) -> Result<Option<JobDoc>, Infallible> {
        Ok(self
            .docs
            .get(doc_id)
            .and_then(|bytes| JobDoc::load(bytes).ok()))
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), Infallible> {
        for w in writes {
            for c in w.changes {
                if self.hashes.insert(c.hash.to_string()) {
                    self.feed.push(Entry::Change {
                        doc: w.doc_id.clone(),
                        origin: peer.device_id.clone(),
                        data: c.bytes,
                    });
                }
            }
            self.docs.insert(w.doc_id.clone(), w.saved);
            let old = self.assignee.get(&w.doc_id).cloned().flatten();
            let new = w.job.assignee.clone();
            if old != new {
                if let Some(user) = old {
                    self.scope.remove(&(w.doc_id.clone(), user.clone()));
                    self.feed.push(Entry::Leave {
                        doc: w.doc_id.clone(),
                        user,
                        origin: peer.device_id.clone(),
                    });
                }
                if let Some(user) = new.clone() {
                    self.feed.push(Entry::Enter {
                        doc: w.doc_id.clone(),
                        user: user.clone(),
                        origin: peer.device_id.clone(),
                    });
                    self.scope
                        .insert((w.doc_id.clone(), user), self.feed.len() as u64);
                }
            }
            self.assignee.insert(w.doc_id, new);
        }
        Ok(())
    }

    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, Infallible> {
        let mut items = Vec::new();
        let all = peer.role.sees_all_jobs();
        for (i, entry) in self.feed.iter().enumerate().skip(after as usize) {
            if items.len() >= limit as usize {
                break;
            }
            let seq = i as u64 + 1;
            match entry {
                Entry::Change { doc, origin, data } if origin != &peer.device_id => {
                    let visible = all
                        || self
                            .scope
                            .get(&(doc.clone(), peer.user_id.clone()))
                            .is_some_and(|&entered| {
                                entered <= after || self.entered_by(entered, peer)
                            });
                    if visible {
                        items.push(FeedItem::Change {
                            seq,
                            doc: doc.clone(),
                            data: data.clone(),
                        });
                    }
                }
                Entry::Enter { doc, user, origin }
                    if !all && user == &peer.user_id && origin != &peer.device_id =>
                {
                    let current = self.scope.get(&(doc.clone(), user.clone())) == Some(&seq);
                    if current && let Some(data) = self.docs.get(doc) {
                        items.push(FeedItem::Enter {
                            seq,
                            doc: doc.clone(),
                            data: data.clone(),
                        });
                    }
                }
                Entry::Leave { doc, user, origin }
                    if !all && user == &peer.user_id && origin != &peer.device_id =>
                {
                    items.push(FeedItem::Leave {
                        seq,
                        doc: doc.clone(),
                    });
                }
                _ => {}
            }
        }
        Ok(FeedRead {
            items,
            head: self.head(),
        })
    }

    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, Infallible> {
        Ok(peer.role.sees_all_jobs()
            || self
                .scope
                .contains_key(&(doc_id.to_string(), peer.user_id.clone())))
    }

    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), Infallible> {
        let docs = if peer.role.sees_all_jobs() {
            self.docs.keys().cloned().collect()
        } else {
            self.scope
                .keys()
                .filter(|(_, u)| u == &peer.user_id)
                .map(|(d, _)| d.clone())
                .collect()
        };
        Ok((docs, self.head()))
    }
}

/// A device's durable state, in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryClientStore {
    pub cursor: Option<Cursor>,
    pub docs: BTreeMap<String, Vec<u8>>,
    /// In insertion order.
    pub outbox: Vec<Pending>,
    pub conflicts: Vec<ConflictRecord>,
}

impl MemoryClientStore {
    /// Records a local change made on the device (the app's operations do this).
    pub fn record_local(&mut self, doc_id: &str, doc: &mut JobDoc, change: &automerge::Change) {
        self.docs.insert(doc_id.to_string(), doc.save());
        self.outbox.push(Pending {
            doc_id: doc_id.to_string(),
            hash: change.hash().to_string(),
            bytes: change.raw_bytes().to_vec(),
        });
    }
}

impl ClientStore for MemoryClientStore {
    type Error = Infallible;

    fn cursor(&mut self) -> Result<Option<Cursor>, Infallible> {
        Ok(self.cursor.clone())
    }

    fn pending(
        &mut self,
        max_bytes: usize,
        skip: &BTreeSet<String>,
    ) -> Result<Vec<Pending>, Infallible> {
        let mut out = Vec::new();
        let mut bytes = 0;
        for p in self.outbox.iter().filter(|p| !skip.contains(&p.doc_id)) {
            if !out.is_empty() && bytes + p.bytes.len() > max_bytes {
                break;
            }
            bytes += p.bytes.len();
            out.push(p.clone());
        }
        Ok(out)
    }

    fn pending_for(&mut self, doc_id: &str) -> Result<Vec<Pending>, Infallible> {
        Ok(self
            .outbox
            .iter()
            .filter(|p| p.doc_id == doc_id)
            .cloned()
            .collect())
    }

    fn load_doc(&mut self, doc_id: &str) -> Result<Option<JobDoc>, Infallible> {
        Ok(self.docs.get(doc_id).and_then(|b| JobDoc::load(b).ok()))
    }

    fn doc_ids(&mut self) -> Result<Vec<String>, Infallible> {
        Ok(self.docs.keys().cloned().collect())
    }

    fn commit(&mut self, commit: ClientCommit) -> Result<(), Infallible> {
        for (id, mut doc) in commit.docs {
            self.docs.insert(id, doc.save());
        }
        for id in commit.drop_docs {
            self.docs.remove(&id);
        }
        let acked: BTreeSet<String> = commit.acked.into_iter().collect();
        self.outbox.retain(|p| !acked.contains(&p.hash));
        self.conflicts.extend(commit.conflicts);
        if let Some(c) = commit.cursor {
            self.cursor = Some(c);
        }
        Ok(())
    }
}
