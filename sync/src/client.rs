//! The device half of the sync engine, sans IO.
//!
//! A sync is a conversation: [`ClientSync::next_request`] says what to send,
//! [`ClientSync::handle_response`] takes the answer and commits its effects to the
//! [`ClientStore`] in one step. The transport in between can be HTTP, or an in-memory
//! hostile network in the simulation; the engine cannot tell.

use std::collections::{BTreeSet, VecDeque};

use automerge::{Change, sync::SyncDoc};
use onsite_domain::JobDoc;
use serde_bytes::ByteBuf;

use crate::wire::{
    Cursor, DocChanges, Page, PullReply, PullRequest, ReferenceDelta, RepairDoc, RepairReply,
    Request, Response, ScopeReply, SyncRequest, SyncResponse,
};

/// A local change the server has not acknowledged yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub doc_id: String,
    pub hash: String,
    pub bytes: Vec<u8>,
}

/// A refused local change, kept for people to see.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRecord {
    pub doc_id: String,
    pub code: String,
    pub message: String,
    pub changes: Vec<Pending>,
}

/// Everything one response changes on the device, committed atomically by the store.
#[derive(Debug, Default)]
pub struct ClientCommit {
    /// Documents to store (insert or replace), with their query-table rows.
    pub docs: Vec<(String, JobDoc)>,
    /// Documents to remove from the device.
    pub drop_docs: Vec<String>,
    /// Outbox entries to delete, by change hash: acknowledged or moved to the conflict log.
    pub acked: Vec<String>,
    pub conflicts: Vec<ConflictRecord>,
    pub cursor: Option<Cursor>,
    /// Reference data to apply (replacing everything held when `full`), and the
    /// reference cursor to store with it.
    pub reference: Option<ReferenceDelta>,
    /// Forget the reference cursor (keeping the data until the next full delta replaces
    /// it): the feed cursor comes from a reset, and reference sequences of another epoch
    /// mean nothing to this server.
    pub forget_reference: bool,
}

impl ClientCommit {
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
            && self.drop_docs.is_empty()
            && self.acked.is_empty()
            && self.conflicts.is_empty()
            && self.cursor.is_none()
            && self.reference.is_none()
            && !self.forget_reference
    }
}

/// Durable storage of the device, as the sync engine needs it.
pub trait ClientStore {
    type Error: std::error::Error + Send + Sync + 'static;

    fn cursor(&mut self) -> Result<Option<Cursor>, Self::Error>;
    /// The last reference sequence applied; 0 when the device holds no reference data.
    fn reference_cursor(&mut self) -> Result<u64, Self::Error>;
    /// The oldest outbox entries, up to about `max_bytes` (at least one entry if any),
    /// leaving out the documents in `skip`.
    fn pending(
        &mut self,
        max_bytes: usize,
        skip: &BTreeSet<String>,
    ) -> Result<Vec<Pending>, Self::Error>;
    fn pending_for(&mut self, doc_id: &str) -> Result<Vec<Pending>, Self::Error>;
    fn load_doc(&mut self, doc_id: &str) -> Result<Option<JobDoc>, Self::Error>;
    fn doc_ids(&mut self) -> Result<Vec<String>, Self::Error>;
    fn commit(&mut self, commit: ClientCommit) -> Result<(), Self::Error>;
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError<E: std::error::Error> {
    #[error("local store failed: {0}")]
    Store(E),
    #[error("the server refused the request: {code}: {message}")]
    Server { code: String, message: String },
    #[error("the server answered something unexpected: {0}")]
    Protocol(String),
    #[error("document {doc} did not converge after {rounds} repair rounds")]
    RepairStuck { doc: String, rounds: u32 },
}

/// Tuning of one sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub push_bytes: usize,
    pub page_items: u32,
    pub max_repair_rounds: u32,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            push_bytes: 2 * 1024 * 1024,
            page_items: 1_000,
            max_repair_rounds: 32,
        }
    }
}

/// What a finished sync did, for listeners and progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub uploaded: usize,
    pub refused: usize,
    pub docs_received: usize,
    pub changes_received: usize,
    pub docs_left: usize,
    pub repaired: usize,
    /// Ids of the documents this sync changed on the device.
    pub changed_docs: BTreeSet<String>,
    /// Reference data (catalog, templates, van stock) arrived: views of it need a refresh.
    pub reference_changed: bool,
}

enum Phase {
    Normal,
    /// Waiting for the scope to start a full repair.
    Scope,
    Repair {
        doc: String,
        state: Box<automerge::sync::State>,
        rounds: u32,
        /// Received changes still waiting for their dependencies (see [`with_held`]).
        held: Vec<Vec<u8>>,
    },
    Done,
}

enum Sent {
    Nothing,
    Sync { pushed: Vec<Pending> },
    Scope,
    Repair,
}

/// One sync run: upload the outbox, read the feed to its end, repair where needed.
pub struct ClientSync {
    options: SyncOptions,
    phase: Phase,
    sent: Sent,
    repair_queue: VecDeque<String>,
    /// Documents queued for repair, whose changes travel by the repair path instead.
    repairing: BTreeSet<String>,
    /// Cursor to adopt once the repair queue is done (full repair after a reset).
    cursor_after_repair: Option<Cursor>,
    /// The documents in this device's scope, as the server listed them for a full repair.
    scope: Option<BTreeSet<String>>,
    /// Documents whose repair must wait for changes others have to bring back first; not
    /// uploaded or repaired again in this run.
    deferred: BTreeSet<String>,
    pull_done: bool,
    /// The device clock for the next request (see [`ClientSync::set_clock`]).
    clock: Option<i64>,
    report: SyncReport,
}

impl std::fmt::Debug for ClientSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSync")
            .field("report", &self.report)
            .field("repair_queue", &self.repair_queue.len())
            .finish_non_exhaustive()
    }
}

/// The refusal code of a change to a job outside the sender's scope.
const NOT_ASSIGNED: &str = "not_assigned";

type EngineResult<T, S> = std::result::Result<T, SyncError<<S as ClientStore>::Error>>;

impl ClientSync {
    pub fn new(options: SyncOptions) -> ClientSync {
        ClientSync {
            options,
            phase: Phase::Normal,
            sent: Sent::Nothing,
            repair_queue: VecDeque::new(),
            repairing: BTreeSet::new(),
            cursor_after_repair: None,
            scope: None,
            deferred: BTreeSet::new(),
            pull_done: false,
            clock: None,
            report: SyncReport::default(),
        }
    }

    /// The device clock now, in ms since the Unix epoch: sent with the next `sync` request
    /// (`SyncRequest::clock`), so that the server can tell how far this device's clock is
    /// from its own. The engine reads no clock itself; without this, the request carries
    /// none. Set it before each [`ClientSync::next_request`].
    pub fn set_clock(&mut self, now_ms: i64) {
        self.clock = Some(now_ms);
    }

    pub fn report(&self) -> &SyncReport {
        &self.report
    }

    pub fn into_report(self) -> SyncReport {
        self.report
    }

    /// The next request to send, or `None` when the device is up to date.
    pub fn next_request<S: ClientStore>(
        &mut self,
        store: &mut S,
    ) -> EngineResult<Option<Request>, S> {
        loop {
            match &mut self.phase {
                Phase::Done => return Ok(None),
                Phase::Scope => {
                    self.sent = Sent::Scope;
                    return Ok(Some(Request::Scope));
                }
                Phase::Repair {
                    doc,
                    state,
                    rounds,
                    held,
                } => {
                    *rounds += 1;
                    if *rounds > self.options.max_repair_rounds {
                        return Err(SyncError::RepairStuck {
                            doc: doc.clone(),
                            rounds: *rounds - 1,
                        });
                    }
                    let stored = store
                        .load_doc(doc)
                        .map_err(SyncError::Store)?
                        .unwrap_or_else(JobDoc::empty);
                    let mut local = with_held(stored, held)?;
                    // The server keeps no sync state between requests, and what it was sent
                    // may not have stuck (changes waiting for missing dependencies are not
                    // committed; a restart or restore can lose them). So what to send is
                    // decided afresh from the server's last answer (its heads, have and need),
                    // never skipped because an earlier message of this run carried it.
                    state.sent_hashes.clear();
                    let message = local.automerge().sync().generate_sync_message(state);
                    match message {
                        Some(message) => {
                            self.sent = Sent::Repair;
                            return Ok(Some(Request::RepairDoc(RepairDoc {
                                doc: doc.clone(),
                                message: ByteBuf::from(message.encode()),
                            })));
                        }
                        None => {
                            // In sync: the server holds everything this device has.
                            let doc = doc.clone();
                            let acked = store
                                .pending_for(&doc)
                                .map_err(SyncError::Store)?
                                .into_iter()
                                .filter(|p| {
                                    p.hash.parse().is_ok_and(|h| {
                                        local.automerge().get_change_by_hash(&h).is_some()
                                    })
                                })
                                .map(|p| p.hash)
                                .collect();
                            store
                                .commit(ClientCommit {
                                    acked,
                                    ..ClientCommit::default()
                                })
                                .map_err(SyncError::Store)?;
                            self.report.repaired += 1;
                            self.start_next_repair(store)?;
                        }
                    }
                }
                Phase::Normal => {
                    let skip = if self.deferred.is_empty() {
                        std::borrow::Cow::Borrowed(&self.repairing)
                    } else {
                        std::borrow::Cow::Owned(
                            self.repairing.union(&self.deferred).cloned().collect(),
                        )
                    };
                    let pushed = store
                        .pending(self.options.push_bytes, &skip)
                        .map_err(SyncError::Store)?;
                    if pushed.is_empty() && self.pull_done {
                        if self.repair_queue.is_empty() {
                            self.phase = Phase::Done;
                        } else {
                            self.start_next_repair(store)?;
                        }
                        continue;
                    }
                    // Every request pulls, also one sent only to push: its answer then
                    // carries the state the push led to (the van stock after the parts
                    // lines it uploaded), committed with the acknowledgement, so the device
                    // never shows a use both acknowledged and missing from the balance.
                    let pull = PullRequest {
                        cursor: store.cursor().map_err(SyncError::Store)?,
                        max_items: self.options.page_items,
                        reference: Some(store.reference_cursor().map_err(SyncError::Store)?),
                    };
                    let request = Request::Sync(SyncRequest {
                        push: group_by_doc(store, &pushed)?,
                        pull: Some(pull),
                        reference: None,
                        clock: self.clock,
                    });
                    self.sent = Sent::Sync { pushed };
                    return Ok(Some(request));
                }
            }
        }
    }

    /// Takes the server's answer to the last request and commits its effects.
    pub fn handle_response<S: ClientStore>(
        &mut self,
        store: &mut S,
        response: Response,
    ) -> EngineResult<(), S> {
        let sent = std::mem::replace(&mut self.sent, Sent::Nothing);
        match (sent, response) {
            (_, Response::Error(e)) => Err(SyncError::Server {
                code: e.code,
                message: e.message,
            }),
            (Sent::Sync { pushed }, Response::Sync(resp)) => self.on_sync(store, pushed, resp),
            (Sent::Scope, Response::Scope(reply)) => self.on_scope(store, reply),
            (Sent::Repair, Response::RepairDoc(reply)) => self.on_repair(store, reply),
            _ => Err(SyncError::Protocol(
                "the response does not answer the request".into(),
            )),
        }
    }

    fn on_sync<S: ClientStore>(
        &mut self,
        store: &mut S,
        pushed: Vec<Pending>,
        resp: SyncResponse,
    ) -> EngineResult<(), S> {
        let mut commit = ClientCommit::default();
        let refused_docs: BTreeSet<&str> = resp.refused.iter().map(|r| r.doc.as_str()).collect();
        let repair_docs: BTreeSet<&str> = resp.needs_repair.iter().map(String::as_str).collect();
        for p in &pushed {
            if !refused_docs.contains(p.doc_id.as_str()) && !repair_docs.contains(p.doc_id.as_str())
            {
                commit.acked.push(p.hash.clone());
                self.report.uploaded += 1;
            }
        }
        for refused in &resp.refused {
            self.report.refused += 1;
            let reverted = revert_to_server_state(store, &refused.doc, &mut commit, refused)?;
            if let Some(doc) = reverted {
                commit.docs.push((refused.doc.clone(), doc));
            }
            self.report.changed_docs.insert(refused.doc.clone());
        }
        for doc in &resp.needs_repair {
            self.queue_repair(doc);
        }
        match resp.pull {
            Some(PullReply::Page(page)) => {
                let more = page.more;
                self.apply_page(store, page, &mut commit)?;
                self.pull_done = !more;
            }
            Some(PullReply::Reset { cursor }) => {
                self.cursor_after_repair = Some(cursor);
                self.phase = Phase::Scope;
            }
            None => {
                return Err(SyncError::Protocol("the server skipped the pull".into()));
            }
        }
        store.commit(commit).map_err(SyncError::Store)?;
        Ok(())
    }

    fn apply_page<S: ClientStore>(
        &mut self,
        store: &mut S,
        page: Page,
        commit: &mut ClientCommit,
    ) -> EngineResult<(), S> {
        let mut touched: Vec<(String, JobDoc)> = Vec::new();
        for snap in page.docs {
            let doc = match store.load_doc(&snap.doc).map_err(SyncError::Store)? {
                Some(mut local) => match local.merge_saved(&snap.data) {
                    Ok(()) => local,
                    Err(e) => {
                        return Err(SyncError::Protocol(format!(
                            "bad document {}: {e}",
                            snap.doc
                        )));
                    }
                },
                None => JobDoc::load(&snap.data)
                    .map_err(|e| SyncError::Protocol(format!("bad document {}: {e}", snap.doc)))?,
            };
            if doc.job().is_err() {
                return Err(SyncError::Protocol(format!(
                    "document {} is not a job",
                    snap.doc
                )));
            }
            self.report.docs_received += 1;
            touched.retain(|(id, _)| id != &snap.doc);
            touched.push((snap.doc, doc));
        }
        for dc in page.changes {
            let change = Change::try_from(dc.change.as_slice())
                .map_err(|e| SyncError::Protocol(format!("bad change for {}: {e}", dc.doc)))?;
            let pos = touched.iter().position(|(id, _)| id == &dc.doc);
            let doc = match pos {
                Some(i) => &mut touched[i].1,
                None => {
                    let doc = store
                        .load_doc(&dc.doc)
                        .map_err(SyncError::Store)?
                        .unwrap_or_else(JobDoc::empty);
                    touched.push((dc.doc.clone(), doc));
                    let last = touched.len() - 1;
                    &mut touched[last].1
                }
            };
            doc.apply_changes(vec![change])
                .map_err(|e| SyncError::Protocol(format!("change for {} rejected: {e}", dc.doc)))?;
            self.report.changes_received += 1;
        }
        for (id, mut doc) in touched {
            if !doc.missing_deps().is_empty() || doc.job().is_err() {
                // The feed does not hold this document's full history for us: repair it.
                self.queue_repair(&id);
                continue;
            }
            self.report.changed_docs.insert(id.clone());
            commit.docs.push((id, doc));
        }
        // The push that came with this pull is settled already: its accepted changes reached
        // the server, and its refused ones are in the conflict log. Logged here, the first
        // would pass for lost and the second would show one refusal twice.
        let settled: BTreeSet<String> = if page.left.is_empty() {
            BTreeSet::new()
        } else {
            commit.acked.iter().cloned().collect()
        };
        for id in page.left {
            let pending: Vec<Pending> = store
                .pending_for(&id)
                .map_err(SyncError::Store)?
                .into_iter()
                .filter(|p| !settled.contains(&p.hash))
                .collect();
            if !pending.is_empty() {
                commit.acked.extend(pending.iter().map(|p| p.hash.clone()));
                commit.conflicts.push(ConflictRecord {
                    doc_id: id.clone(),
                    code: NOT_ASSIGNED.into(),
                    message: "the job was reassigned before these changes reached the server"
                        .into(),
                    changes: pending,
                });
            }
            commit.docs.retain(|(d, _)| d != &id);
            self.report.docs_left += 1;
            self.report.changed_docs.insert(id.clone());
            commit.drop_docs.push(id);
        }
        commit.cursor = page.cursor;
        self.report.reference_changed |= page.reference.is_some();
        commit.reference = page.reference;
        Ok(())
    }

    fn on_scope<S: ClientStore>(
        &mut self,
        store: &mut S,
        reply: ScopeReply,
    ) -> EngineResult<(), S> {
        let scope: BTreeSet<String> = reply.docs.into_iter().collect();
        // Every local document is repaired, in scope or not. One outside the scope may be a
        // job the server lost in a restore (created here and acknowledged, so no longer in
        // the outbox): only the repair brings it back. One the server keeps out of this
        // device's scope is refused, then dropped (see `on_repair`).
        for local in store.doc_ids().map_err(SyncError::Store)? {
            self.queue_repair(&local);
        }
        for doc in &scope {
            self.queue_repair(doc);
        }
        self.cursor_after_repair = Some(reply.cursor);
        self.scope = Some(scope);
        self.start_next_repair(store)
    }

    fn on_repair<S: ClientStore>(
        &mut self,
        store: &mut S,
        reply: RepairReply,
    ) -> EngineResult<(), S> {
        let Phase::Repair {
            doc, state, held, ..
        } = &mut self.phase
        else {
            return Err(SyncError::Protocol("unexpected repair reply".into()));
        };
        if reply.doc != *doc {
            return Err(SyncError::Protocol(
                "repair reply for another document".into(),
            ));
        }
        let doc_id = doc.clone();
        let mut commit = ClientCommit::default();
        if let Some(refused) = reply.refused {
            if refused.code != NOT_ASSIGNED {
                // This device checks its own edits against the write policy before recording
                // them, so a refusal here is about changes it relays for others: after a
                // restore the repair uploads everything the server lacks, and a technician may
                // not upload, say, the back office's review. Its own changes depend on those,
                // so nothing can be given up: keep the document and the outbox as they are,
                // and try again once the changes' authors have brought them back.
                self.deferred.insert(doc_id);
                return self.start_next_repair(store);
            }
            self.report.refused += 1;
            let out_of_scope = self.scope.as_ref().is_some_and(|s| !s.contains(&doc_id));
            if out_of_scope {
                give_up_document(store, &doc_id, &mut commit, &refused)?;
                self.report.docs_left += 1;
            } else {
                match revert_to_server_state(store, &doc_id, &mut commit, &refused)? {
                    Some(reverted) if reverted.clone().job().is_ok() => {
                        commit.docs.push((doc_id.clone(), reverted))
                    }
                    _ => commit.drop_docs.push(doc_id.clone()),
                }
            }
            store.commit(commit).map_err(SyncError::Store)?;
            self.report.changed_docs.insert(doc_id);
            return self.start_next_repair(store);
        }
        let Some(message) = reply.message else {
            return Ok(());
        };
        let message = automerge::sync::Message::decode(&message)
            .map_err(|e| SyncError::Protocol(format!("bad repair message: {e}")))?;
        let mut stored = store
            .load_doc(&doc_id)
            .map_err(SyncError::Store)?
            .unwrap_or_else(JobDoc::empty);
        let before = stored.heads();
        let mut local = with_held(stored, held)?;
        let chunks: Vec<Vec<u8>> = message.changes.iter().map(<[u8]>::to_vec).collect();
        local
            .automerge()
            .sync()
            .receive_sync_message(state, message)
            .map_err(|e| SyncError::Protocol(format!("repair message rejected: {e}")))?;
        if local.missing_deps().is_empty() {
            held.clear();
        } else {
            held.extend(chunks);
        }
        if local.heads() != before && local.job().is_ok() {
            self.report.changed_docs.insert(doc_id.clone());
            commit.docs.push((doc_id, local));
            store.commit(commit).map_err(SyncError::Store)?;
        }
        Ok(())
    }

    fn queue_repair(&mut self, doc: &str) {
        if !self.deferred.contains(doc) && self.repairing.insert(doc.to_string()) {
            self.repair_queue.push_back(doc.to_string());
        }
    }

    fn start_next_repair<S: ClientStore>(&mut self, store: &mut S) -> EngineResult<(), S> {
        match self.repair_queue.pop_front() {
            Some(doc) => {
                self.phase = Phase::Repair {
                    doc,
                    state: Box::default(),
                    rounds: 0,
                    held: Vec::new(),
                };
            }
            None => {
                self.repairing.clear();
                self.scope = None;
                if let Some(cursor) = self.cursor_after_repair.take() {
                    if !self.deferred.is_empty() {
                        // Keep the old cursor, so that the next run repairs everything again
                        // (the deferred documents included). Pulling now with that cursor
                        // would only be answered with another reset: this run is over.
                        self.phase = Phase::Done;
                        return Ok(());
                    }
                    store
                        .commit(ClientCommit {
                            cursor: Some(cursor),
                            forget_reference: true,
                            ..ClientCommit::default()
                        })
                        .map_err(SyncError::Store)?;
                }
                // Back to the feed: whatever arrived during the repair comes next.
                self.phase = Phase::Normal;
                self.pull_done = false;
            }
        }
        Ok(())
    }
}

/// The stored document plus the received changes still waiting for their dependencies.
///
/// The store keeps only complete documents, so a change the server sent whose
/// dependencies have not arrived (a false positive of the server's reading of our Bloom
/// filter) would be forgotten between two rounds, and this device would never ask for the
/// missing dependencies: the exchange would loop. Keeping those changes for the length of
/// the repair and re-applying them to the stored document before each round lets Automerge
/// see what it lacks and put it in `need`.
fn with_held<E: std::error::Error>(
    mut doc: JobDoc,
    held: &[Vec<u8>],
) -> Result<JobDoc, SyncError<E>> {
    for chunk in held {
        doc.merge_saved(chunk)
            .map_err(|e| SyncError::Protocol(format!("held repair change rejected: {e}")))?;
    }
    Ok(doc)
}

/// The push of a request: the pending changes grouped by document, each document that the
/// server has none of (every change of it is pending) sent whole when that is smaller.
fn group_by_doc<S: ClientStore>(
    store: &mut S,
    pending: &[Pending],
) -> EngineResult<Vec<DocChanges>, S> {
    let mut out: Vec<DocChanges> = Vec::new();
    for p in pending {
        match out.iter_mut().find(|d| d.doc == p.doc_id) {
            Some(d) => d.changes.push(ByteBuf::from(p.bytes.clone())),
            None => out.push(DocChanges {
                doc: p.doc_id.clone(),
                changes: vec![ByteBuf::from(p.bytes.clone())],
                whole: None,
            }),
        }
    }
    for group in &mut out {
        let Some(mut doc) = store.load_doc(&group.doc).map_err(SyncError::Store)? else {
            continue;
        };
        let all = doc.automerge().get_changes(&[]);
        let pushed: BTreeSet<String> = pending
            .iter()
            .filter(|p| p.doc_id == group.doc)
            .map(|p| p.hash.clone())
            .collect();
        if all.len() != pushed.len() || !all.iter().all(|c| pushed.contains(&c.hash().to_string()))
        {
            continue;
        }
        let saved = doc.save();
        let loose: usize = group.changes.iter().map(|c| c.len()).sum();
        if saved.len() < loose {
            group.changes.clear();
            group.whole = Some(ByteBuf::from(saved));
        }
    }
    Ok(out)
}

/// Drops a document the server no longer gives this device, found by a full repair (which
/// follows a restore of the server, or a feed that lost what the cursor points to).
///
/// The server may have lost changes this device had made and seen acknowledged (they are no
/// longer in the outbox), and this device cannot tell which: so its whole copy of the
/// document goes to the conflict log with the refusal, the unacknowledged changes first.
fn give_up_document<S: ClientStore>(
    store: &mut S,
    doc_id: &str,
    commit: &mut ClientCommit,
    refused: &crate::wire::Refused,
) -> EngineResult<(), S> {
    let mut changes = store.pending_for(doc_id).map_err(SyncError::Store)?;
    let pending: BTreeSet<String> = changes.iter().map(|p| p.hash.clone()).collect();
    if let Some(mut local) = store.load_doc(doc_id).map_err(SyncError::Store)? {
        for change in local.changes_since(&[]) {
            let hash = change.hash().to_string();
            if !pending.contains(&hash) {
                changes.push(Pending {
                    doc_id: doc_id.to_string(),
                    hash,
                    bytes: change.raw_bytes().to_vec(),
                });
            }
        }
    }
    commit.acked.extend(pending);
    commit.conflicts.push(ConflictRecord {
        doc_id: doc_id.to_string(),
        code: refused.code.clone(),
        message: refused.message.clone(),
        changes,
    });
    commit.docs.retain(|(d, _)| d != doc_id);
    commit.drop_docs.push(doc_id.to_string());
    Ok(())
}

/// Moves a document's unacknowledged changes to the conflict log and rebuilds the document
/// without them: what is left is what the server has accepted. `None` if nothing is left.
fn revert_to_server_state<S: ClientStore>(
    store: &mut S,
    doc_id: &str,
    commit: &mut ClientCommit,
    refused: &crate::wire::Refused,
) -> EngineResult<Option<JobDoc>, S> {
    let pending = store.pending_for(doc_id).map_err(SyncError::Store)?;
    let refused_hashes: BTreeSet<String> = pending.iter().map(|p| p.hash.clone()).collect();
    commit.acked.extend(refused_hashes.iter().cloned());
    commit.conflicts.push(ConflictRecord {
        doc_id: doc_id.to_string(),
        code: refused.code.clone(),
        message: refused.message.clone(),
        changes: pending,
    });
    let Some(mut local) = store.load_doc(doc_id).map_err(SyncError::Store)? else {
        return Ok(None);
    };
    let kept: Vec<Change> = local
        .changes_since(&[])
        .into_iter()
        .filter(|c| !refused_hashes.contains(&c.hash().to_string()))
        .collect();
    if kept.is_empty() {
        commit.drop_docs.push(doc_id.to_string());
        return Ok(None);
    }
    let mut rebuilt = JobDoc::empty();
    rebuilt
        .apply_changes(kept)
        .map_err(|e| SyncError::Protocol(format!("cannot rebuild {doc_id}: {e}")))?;
    Ok(Some(rebuilt))
}
