//! In-memory stores that keep the [`ServerStore`] and [`ClientStore`] contracts, for the
//! simulation and for tests of the engine. They hold saved bytes, not live documents, so a
//! "restart" that keeps the store and drops everything else is faithful.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

use onsite_domain::{CatalogItem, FormTemplate, JobDoc, StockLevel};

use crate::client::{ClientCommit, ClientStore, ConflictRecord, Pending};
use crate::server::{
    ActorOwner, DocWrite, FeedItem, FeedRead, Peer, Received, ReferenceRead, ServerStore,
};
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
    reference: MemoryReference,
    /// Actor bytes → the device that first used it.
    actors: BTreeMap<Vec<u8>, ActorOwner>,
    /// Quarantined documents and why.
    pub quarantined: BTreeMap<String, String>,
    /// The server clock ([`ServerStore::now_ms`]): whatever the test sets.
    pub clock_ms: i64,
    /// What each document's latest write said of its receipt.
    pub received: BTreeMap<String, Option<Received>>,
    /// Restored from an older copy (see [`MemoryServerStore::restored_as`]).
    restored: bool,
}

/// Reference data, each entry stamped with the reference sequence of its last write.
#[derive(Debug, Clone, Default)]
struct MemoryReference {
    head: u64,
    catalog: BTreeMap<String, (u64, CatalogItem)>,
    templates: BTreeMap<(String, i64), (u64, FormTemplate)>,
    /// (technician, sku) → balance.
    stock: BTreeMap<(String, String), (u64, i64)>,
}

impl MemoryServerStore {
    pub fn new(epoch: &str) -> Self {
        MemoryServerStore {
            epoch: epoch.to_string(),
            ..Self::default()
        }
    }

    /// This store, as a backup of it restored under a new epoch would be.
    pub fn restored_as(&mut self, epoch: &str) {
        self.epoch = epoch.to_string();
        self.restored = true;
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

    /// Creates or replaces a catalog item (what the back office's API does).
    pub fn put_catalog_item(&mut self, item: CatalogItem) {
        let seq = self.next_reference_seq();
        self.reference.catalog.insert(item.sku.clone(), (seq, item));
    }

    pub fn publish_template(&mut self, template: FormTemplate) {
        let seq = self.next_reference_seq();
        let key = (template.id.clone(), template.version);
        self.reference.templates.insert(key, (seq, template));
    }

    /// Sets a technician's balance of one part. (The SQLite store derives it from the
    /// restock ledger and the parts lines; here a test says what it is.)
    pub fn set_stock(&mut self, user: &str, sku: &str, balance: i64) {
        let seq = self.next_reference_seq();
        self.reference
            .stock
            .insert((user.to_string(), sku.to_string()), (seq, balance));
    }

    pub fn reference_head(&self) -> u64 {
        self.reference.head
    }

    fn next_reference_seq(&mut self) -> u64 {
        self.reference.head += 1;
        self.reference.head
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

    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, Infallible> {
        Ok(self.docs.get(doc_id).cloned())
    }

    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), Infallible> {
        for w in writes {
            for actor in &w.authored {
                let owner = self
                    .actors
                    .entry(actor.to_bytes().to_vec())
                    .or_insert_with(|| ActorOwner {
                        user_id: peer.user_id.clone(),
                        device_id: peer.device_id.clone(),
                        role: Some(peer.role),
                        epoch: self.epoch.clone(),
                    });
                if owner.user_id == peer.user_id && owner.device_id == peer.device_id {
                    owner.epoch = self.epoch.clone();
                }
            }
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
            self.received.insert(w.doc_id.clone(), w.received);
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
            let doc_of = match entry {
                Entry::Change { doc, .. } | Entry::Enter { doc, .. } | Entry::Leave { doc, .. } => {
                    doc
                }
            };
            if self.quarantined.contains_key(doc_of) && !matches!(entry, Entry::Leave { .. }) {
                continue;
            }
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

    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, Infallible> {
        let r = &self.reference;
        let changed = |seq: &u64| *seq > after;
        Ok(ReferenceRead {
            head: r.head,
            catalog: r
                .catalog
                .values()
                .filter(|(seq, _)| changed(seq))
                .map(|(_, item)| item.clone())
                .collect(),
            templates: r
                .templates
                .values()
                .filter(|(seq, _)| changed(seq))
                .map(|(_, t)| t.clone())
                .collect(),
            stock: r
                .stock
                .iter()
                .filter(|((user, _), (seq, _))| user == &peer.user_id && changed(seq))
                .map(|((_, sku), (_, balance))| StockLevel {
                    sku: sku.clone(),
                    balance: *balance,
                })
                .collect(),
        })
    }

    fn actor_owner(
        &mut self,
        actor: &automerge::ActorId,
    ) -> Result<Option<ActorOwner>, Infallible> {
        Ok(self.actors.get(actor.to_bytes()).cloned())
    }

    fn restored(&mut self) -> Result<bool, Infallible> {
        Ok(self.restored)
    }

    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), Infallible> {
        self.quarantined
            .insert(doc_id.to_string(), reason.to_string());
        Ok(())
    }

    fn now_ms(&mut self) -> i64 {
        self.clock_ms
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
    pub reference_cursor: u64,
    pub catalog: BTreeMap<String, CatalogItem>,
    pub templates: BTreeMap<(String, i64), FormTemplate>,
    pub stock: BTreeMap<String, i64>,
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

    fn reference_cursor(&mut self) -> Result<u64, Infallible> {
        Ok(self.reference_cursor)
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
        if commit.forget_reference {
            self.reference_cursor = 0;
        }
        if let Some(delta) = commit.reference {
            if delta.full {
                self.catalog.clear();
                self.templates.clear();
                self.stock.clear();
            }
            for item in delta.catalog {
                self.catalog.insert(item.sku.clone(), item);
            }
            for t in delta.templates {
                self.templates.insert((t.id.clone(), t.version), t);
            }
            for level in delta.stock {
                self.stock.insert(level.sku, level.balance);
            }
            self.reference_cursor = delta.seq;
        }
        Ok(())
    }
}
