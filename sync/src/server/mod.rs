//! The server half of the sync engine, sans IO.
//!
//! [`handle`] takes a decoded request and a [`ServerStore`], and returns the response. It
//! decides what is accepted (the write policy of domain/), what must be repaired, and what
//! a device sees; the store only keeps documents, the feed and scopes durable.

use automerge::{ActorId, Change, ChangeHash, sync::SyncDoc};
use onsite_domain::policy::limits;
use onsite_domain::{Actor, Job, JobDoc, Refusal, Role};
use serde_bytes::ByteBuf;

use onsite_domain::{CatalogItem, FormTemplate, StockLevel};

mod accept;

pub use accept::JUDGE_BUDGET;
use accept::{Accept, Relay, accept_changes, contained};

use crate::wire::{
    Cursor, DocChange, DocChanges, DocSnapshot, ErrorReply, Page, PullReply, PullRequest,
    ReferenceDelta, Refused, RepairDoc, RepairReply, Request, Response, ScopeReply, SyncRequest,
    SyncResponse,
};

/// The most feed items a server puts in one page, whatever the device asks for.
pub const MAX_PAGE_ITEMS: u32 = 2_000;
/// A page stops growing once its documents and changes reach this many bytes.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Who is asking: the account and the device it signed in on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub user_id: String,
    pub role: Role,
    pub device_id: String,
}

impl Peer {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id.clone(),
            role: self.role,
        }
    }
}

/// A document's accepted new state, to be committed with its new changes.
#[derive(Debug)]
pub struct DocWrite {
    pub doc_id: String,
    /// The job after the changes, for the store's query tables and scopes.
    pub job: Job,
    /// The whole document after the changes (`save()`).
    pub saved: Vec<u8>,
    /// The changes that were new to the server, in causal order.
    pub changes: Vec<NewChange>,
    pub created: bool,
    /// The Automerge actors the peer wrote these changes with: the store records the peer
    /// as their owner. Changes of other actors are work the peer relays after a restore.
    pub authored: Vec<ActorId>,
    /// When and from how far off a clock the changes reached the server, for judging the
    /// device times in them (`onsite_domain::evidence`). `None`: not known, and nothing is
    /// to be judged on it.
    pub received: Option<Received>,
}

/// When a write reached the server, and the sender's clock at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The server clock ([`ServerStore::now_ms`]), ms since the Unix epoch.
    pub at_ms: i64,
    /// The sender's clock when it made the request (`SyncRequest::clock`), if it said.
    pub device_clock_ms: Option<i64>,
}

impl Received {
    /// Server clock − device clock: positive when the device is behind.
    pub fn device_offset_ms(&self) -> Option<i64> {
        self.device_clock_ms.map(|d| self.at_ms.saturating_sub(d))
    }
}

#[derive(Debug)]
pub struct NewChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
}

/// One item of the feed as a peer sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// A change to a document the peer already holds.
    Change {
        seq: u64,
        doc: String,
        data: Vec<u8>,
    },
    /// A document entered the peer's scope; `data` is the whole document now.
    Enter {
        seq: u64,
        doc: String,
        data: Vec<u8>,
    },
    /// A document left the peer's scope.
    Leave { seq: u64, doc: String },
}

impl FeedItem {
    pub fn seq(&self) -> u64 {
        match self {
            FeedItem::Change { seq, .. }
            | FeedItem::Enter { seq, .. }
            | FeedItem::Leave { seq, .. } => *seq,
        }
    }
}

/// The device that first uploaded a change made by an Automerge actor. Actors belong to
/// devices: a change by an actor another device owns is refused, so one device cannot take
/// another's sequence numbers (or pose as it in the edit history).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorOwner {
    pub user_id: String,
    pub device_id: String,
    /// The owner account's role now (`None` if the account is gone).
    pub role: Option<Role>,
    /// The server epoch in which the owner last uploaded a change of this actor. Older
    /// than the current epoch, the server may have lost some of its changes in a restore,
    /// and another device's repair may bring them back.
    pub epoch: String,
}

/// Durable storage of the server: documents, the feed, scopes and query tables.
///
/// The contract every backend keeps:
/// - [`ServerStore::commit`] is atomic and durable when it returns. Each new change gets
///   the next feed sequence number; a change whose hash is already stored is skipped. When
///   a job's assignee changes, the old assignee's scope gets a `Leave` item and the new
///   one's an `Enter` item, numbered after the changes.
/// - [`ServerStore::read_feed`] returns, in sequence order and after `after`, at most
///   `limit` items visible to the peer: for a role that sees all jobs, every change not
///   uploaded by the peer's device; for a technician, `Enter`/`Leave` items of their own
///   scope not caused by the peer's device, and changes not uploaded by the peer's device
///   to jobs now in their scope that entered it at or before `after` or whose entry the
///   peer's device caused. (An `Enter` item brings the whole document, so the changes
///   before it are not needed; but the device that caused the entry, by creating the job or
///   by bringing it back in a repair, is not sent that item: it holds what it uploaded and
///   needs every later change, even when its cursor is still before the entry.) It also
///   returns the head (the highest sequence number), read in the same snapshot.
/// - [`ServerStore::commit`] also records the peer's account and device as the owner of
///   every actor in [`DocWrite::authored`] that has no owner yet, and the current epoch for
///   each of them that the peer owns; [`ServerStore::actor_owner`] reads it back.
/// - A quarantined document ([`ServerStore::quarantine`]) is never sent to devices: no
///   `Enter` item and no change of it appears in [`ServerStore::read_feed`].
pub trait ServerStore {
    type Error: std::error::Error + Send + Sync + 'static;

    fn epoch(&mut self) -> Result<String, Self::Error>;
    /// The stored document (`save()` bytes), as it was committed. The engine loads it, so
    /// that a document that cannot be loaded is quarantined rather than failing the sync.
    fn load_saved(&mut self, doc_id: &str) -> Result<Option<Vec<u8>>, Self::Error>;
    fn commit(&mut self, peer: &Peer, writes: Vec<DocWrite>) -> Result<(), Self::Error>;
    fn read_feed(&mut self, peer: &Peer, after: u64, limit: u32) -> Result<FeedRead, Self::Error>;
    /// Whether the peer may read and write this job (an existing job).
    fn in_scope(&mut self, peer: &Peer, doc_id: &str) -> Result<bool, Self::Error>;
    /// Every job the peer may see, and the head.
    fn scope(&mut self, peer: &Peer) -> Result<(Vec<String>, u64), Self::Error>;
    /// Reference data the peer may hold that changed after the reference sequence `after`
    /// and at or before the reference head, with that head, read in one snapshot: catalog
    /// items and template versions for every peer, and for a technician the balance of
    /// each part of their own van stock. `after = 0` reads all of it.
    fn read_reference(&mut self, peer: &Peer, after: u64) -> Result<ReferenceRead, Self::Error>;
    /// The device that owns `actor`, if a change by it was ever committed.
    fn actor_owner(&mut self, actor: &ActorId) -> Result<Option<ActorOwner>, Self::Error>;
    /// Whether this store was restored from a backup taken in an earlier epoch: devices may
    /// then hold changes it lost, and a repair may bring back other devices' work.
    fn restored(&mut self) -> Result<bool, Self::Error>;
    /// Sets a stored document aside that cannot be loaded or judged, with a reason the back
    /// office can read; devices are no longer sent it. Durable when it returns.
    fn quarantine(&mut self, doc_id: &str, reason: &str) -> Result<(), Self::Error>;
    /// The server clock, ms since the Unix epoch: when the writes about to be committed
    /// were received ([`Received::at_ms`]).
    fn now_ms(&mut self) -> i64;
}

/// Reference data read for a peer (see [`ServerStore::read_reference`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReferenceRead {
    /// The reference sequence: bumped by every write of reference data.
    pub head: u64,
    pub catalog: Vec<CatalogItem>,
    pub templates: Vec<FormTemplate>,
    pub stock: Vec<StockLevel>,
}

#[derive(Debug, Clone, Default)]
pub struct FeedRead {
    pub items: Vec<FeedItem>,
    pub head: u64,
}

/// Why a request could not be handled at all. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError<E: std::error::Error> {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// The request tries to write what devices only read (reference data).
    #[error("{0}")]
    ReadOnly(String),
    #[error("storage failed: {0}")]
    Store(E),
}

impl<E: std::error::Error> HandleError<E> {
    pub fn reply(&self) -> ErrorReply {
        let code = match self {
            HandleError::BadRequest(_) => "bad_request",
            HandleError::Forbidden(_) => "forbidden",
            HandleError::ReadOnly(_) => "read_only",
            HandleError::Store(_) => "internal",
        };
        let message = match self {
            HandleError::Store(_) => "the server could not complete the request".to_string(),
            other => other.to_string(),
        };
        ErrorReply {
            code: code.into(),
            message,
        }
    }
}

type HandleResult<T, S> = std::result::Result<T, HandleError<<S as ServerStore>::Error>>;

/// Handles one request from `peer`.
pub fn handle<S: ServerStore + ?Sized>(
    store: &mut S,
    peer: &Peer,
    request: Request,
) -> HandleResult<Response, S> {
    if peer.role == Role::Admin {
        return Err(HandleError::Forbidden(
            "administrator accounts do not sync jobs".into(),
        ));
    }
    match request {
        Request::Sync(req) => sync(store, peer, req).map(Response::Sync),
        Request::RepairDoc(req) => repair(store, peer, req).map(Response::RepairDoc),
        Request::Scope => {
            let epoch = store.epoch().map_err(HandleError::Store)?;
            let (docs, head) = store.scope(peer).map_err(HandleError::Store)?;
            Ok(Response::Scope(ScopeReply {
                cursor: Cursor { epoch, seq: head },
                docs,
            }))
        }
    }
}

/// Doc ids are UUIDs in their canonical text form.
pub fn valid_doc_id(doc: &str) -> bool {
    doc.len() == 36
        && doc.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit() && !b.is_ascii_uppercase(),
        })
}

/// The changes a request brings for one job, or why they are refused without a look.
type Upload = Result<Vec<Change>, Refusal>;

fn decode_changes<E: std::error::Error>(
    docs: &[DocChanges],
) -> Result<Vec<(String, Upload)>, HandleError<E>> {
    let mut out: Vec<(String, Upload)> = Vec::with_capacity(docs.len());
    for dc in docs {
        if !valid_doc_id(&dc.doc) {
            return Err(HandleError::BadRequest(format!(
                "document id {:?} is not a UUID",
                dc.doc.chars().take(64).collect::<String>()
            )));
        }
        let size = dc.changes.iter().map(|c| c.len()).sum::<usize>()
            + dc.whole.as_ref().map_or(0, |w| w.len());
        if size > limits::MAX_UPLOAD_BYTES {
            out.retain(|(doc, _)| doc != &dc.doc);
            out.push((
                dc.doc.clone(),
                Err(Refusal {
                    code: "too_large",
                    message: format!(
                        "{size} bytes of changes for one job; at most {}",
                        limits::MAX_UPLOAD_BYTES
                    ),
                }),
            ));
            continue;
        }
        let mut changes = match &dc.whole {
            Some(saved) => contained(|| automerge::Automerge::load(saved))
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map_err(|e| {
                    HandleError::BadRequest(format!(
                        "document {} is not a valid saved Automerge document: {e}",
                        dc.doc
                    ))
                })?
                .get_changes(&[]),
            None => Vec::with_capacity(dc.changes.len()),
        };
        for (i, bytes) in dc.changes.iter().enumerate() {
            let change = contained(|| Change::try_from(bytes.as_slice()))
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map_err(|e| {
                    HandleError::BadRequest(format!(
                        "change {i} of document {} is not a valid Automerge change: {e}",
                        dc.doc
                    ))
                })?;
            changes.push(change);
        }
        // Two entries for one job are one upload: judged and stored together, so that
        // neither's changes are acknowledged without being in the stored job.
        match out.iter_mut().find(|(doc, _)| doc == &dc.doc) {
            Some((_, Ok(earlier))) => earlier.extend(changes),
            Some((_, Err(_))) => {}
            None => out.push((dc.doc.clone(), Ok(changes))),
        }
    }
    Ok(out)
}

fn sync<S: ServerStore + ?Sized>(
    store: &mut S,
    peer: &Peer,
    req: SyncRequest,
) -> HandleResult<SyncResponse, S> {
    if req.reference.is_some() {
        return Err(HandleError::ReadOnly(
            "reference data (catalog, templates, van stock) is the server's: devices cannot upload it"
                .into(),
        ));
    }
    // Decode everything before touching anything: a malformed request changes nothing.
    let decoded = decode_changes::<S::Error>(&req.push)?;
    let mut writes = Vec::new();
    let mut refused = Vec::new();
    let mut needs_repair = Vec::new();
    // A device whose cursor is from another epoch (the server was restored) has not seen
    // what the server lost, and its changes would be judged against that loss: a job whose
    // assignment to it was lost would refuse its honest work. Its push waits: the documents
    // go through the repair the pull is about to ask for, which brings the losses back.
    let epoch_changed = match &req.pull {
        Some(PullRequest {
            cursor: Some(cursor),
            ..
        }) => cursor.epoch != store.epoch().map_err(HandleError::Store)?,
        _ => false,
    };
    for (doc_id, upload) in decoded {
        if epoch_changed {
            needs_repair.push(doc_id);
            continue;
        }
        let changes = match upload {
            Ok(changes) => changes,
            Err(r) => {
                refused.push(refusal(&doc_id, r));
                continue;
            }
        };
        match accept_changes(store, peer, &doc_id, changes, Relay::Own)? {
            Accept::Write(w) => writes.push(*w),
            Accept::Nothing => {}
            Accept::Refused(r) => refused.push(refusal(&doc_id, r)),
            Accept::MissingDeps => needs_repair.push(doc_id),
        }
    }
    if !writes.is_empty() {
        let received = Received {
            at_ms: store.now_ms(),
            device_clock_ms: req.clock,
        };
        for w in &mut writes {
            w.received = Some(received);
        }
        store.commit(peer, writes).map_err(HandleError::Store)?;
    }
    let pull = match req.pull {
        Some(pull) => Some(read_page(store, peer, pull)?),
        None => None,
    };
    Ok(SyncResponse {
        refused,
        needs_repair,
        pull,
    })
}

fn refusal(doc: &str, r: Refusal) -> Refused {
    Refused {
        doc: doc.to_string(),
        code: r.code.to_string(),
        message: r.message,
    }
}

fn read_page<S: ServerStore + ?Sized>(
    store: &mut S,
    peer: &Peer,
    pull: PullRequest,
) -> HandleResult<PullReply, S> {
    let epoch = store.epoch().map_err(HandleError::Store)?;
    let after = match &pull.cursor {
        Some(c) if c.epoch != epoch => None,
        Some(c) => Some(c.seq),
        None => Some(0),
    };
    let limit = pull.max_items.clamp(1, MAX_PAGE_ITEMS);
    let read = match after {
        Some(after) => store
            .read_feed(peer, after, limit)
            .map_err(HandleError::Store)?,
        None => FeedRead::default(),
    };
    let after = match after {
        Some(a) if a <= read.head => a,
        // Another epoch, or a cursor beyond the feed (the server lost data): repair.
        _ => {
            let (_, head) = store.scope(peer).map_err(HandleError::Store)?;
            return Ok(PullReply::Reset {
                cursor: Cursor { epoch, seq: head },
            });
        }
    };
    let full = read.items.len() as u32 >= limit;
    let mut page = Page::default();
    let mut bytes = 0usize;
    let mut last = after;
    let mut cut = false;
    for item in read.items {
        if bytes >= MAX_PAGE_BYTES {
            cut = true;
            break;
        }
        last = item.seq();
        match item {
            FeedItem::Change { doc, data, .. } => {
                bytes += data.len();
                page.changes.push(DocChange {
                    doc,
                    change: ByteBuf::from(data),
                });
            }
            FeedItem::Enter { doc, data, .. } => {
                bytes += data.len();
                page.left.retain(|d| d != &doc);
                page.docs.push(DocSnapshot {
                    doc,
                    data: ByteBuf::from(data),
                });
            }
            FeedItem::Leave { doc, .. } => {
                page.docs.retain(|d| d.doc != doc);
                page.changes.retain(|c| c.doc != doc);
                page.left.push(doc);
            }
        }
    }
    page.more = full || cut;
    let seq = if page.more { last } else { read.head };
    page.cursor = Some(Cursor { epoch, seq });
    if let Some(after) = pull.reference {
        page.reference = read_reference(store, peer, after)?;
    }
    Ok(PullReply::Page(page))
}

/// What changed in the peer's reference data after its reference cursor `after`; `None`
/// when nothing did, so that an idle device's page carries nothing for it.
fn read_reference<S: ServerStore + ?Sized>(
    store: &mut S,
    peer: &Peer,
    after: u64,
) -> HandleResult<Option<ReferenceDelta>, S> {
    let mut read = store
        .read_reference(peer, after)
        .map_err(HandleError::Store)?;
    // A cursor beyond the head comes from before a restore: what the device holds may be
    // newer than the server's, or gone. Everything is sent, and replaces it.
    let full = after == 0 || after > read.head;
    if after > read.head {
        read = store.read_reference(peer, 0).map_err(HandleError::Store)?;
    }
    let delta = ReferenceDelta {
        seq: read.head,
        full,
        catalog: read.catalog,
        templates: read.templates,
        stock: read.stock,
    };
    // Nothing the peer holds changed (writes elsewhere, e.g. another technician's stock,
    // moved the head): nothing is sent and the device's cursor stays where it is. Reading
    // from an older cursor costs the same indexed lookups, and an idle device pays nothing.
    Ok((!delta.is_empty()).then_some(delta))
}

fn repair<S: ServerStore + ?Sized>(
    store: &mut S,
    peer: &Peer,
    req: RepairDoc,
) -> HandleResult<RepairReply, S> {
    if !valid_doc_id(&req.doc) {
        return Err(HandleError::BadRequest("document id is not a UUID".into()));
    }
    let mut message = contained(|| automerge::sync::Message::decode(&req.message))
        .and_then(|r| r.map_err(|e| e.to_string()))
        .map_err(|e| HandleError::BadRequest(format!("not an Automerge sync message: {e}")))?;
    let refuse_with = |r: Refusal| RepairReply {
        doc: req.doc.clone(),
        message: None,
        refused: Some(refusal(&req.doc, r)),
    };
    let saved = store.load_saved(&req.doc).map_err(HandleError::Store)?;
    if saved.is_some() && !store.in_scope(peer, &req.doc).map_err(HandleError::Store)? {
        return Ok(refuse_with(Refusal {
            code: "not_assigned",
            message: "this job is not assigned to you".into(),
        }));
    }
    // The changes the message carries are judged like any upload; the rest of the message
    // (heads, have, need) only steers what the answer sends. They are read out of it on a
    // scratch copy of the stored job, which is then dropped.
    let size = message.changes.iter().map(<[u8]>::len).sum::<usize>();
    if size > limits::MAX_UPLOAD_BYTES {
        return Ok(refuse_with(Refusal {
            code: "too_large",
            message: format!(
                "more than {} bytes of changes for one job",
                limits::MAX_UPLOAD_BYTES
            ),
        }));
    }
    let chunks: Vec<Vec<u8>> = message.changes.iter().map(<[u8]>::to_vec).collect();
    message.changes = automerge::sync::ChunkList::empty();
    let stored = saved.clone();
    let read = contained(|| read_chunks(stored.as_deref(), &chunks))
        .and_then(|r| r)
        .map_err(HandleError::BadRequest)?;
    let outcome = match read {
        None => Accept::MissingDeps,
        Some(changes) if changes.is_empty() => Accept::Nothing,
        Some(changes) => accept_changes(store, peer, &req.doc, changes, Relay::Repair)?,
    };
    let waiting = matches!(outcome, Accept::MissingDeps);
    match outcome {
        Accept::Refused(r) => return Ok(refuse_with(r)),
        Accept::Write(mut w) => {
            // A repair carries no device clock: when, but not how far off. And a job the
            // server first hears of in a repair is one it lost in a restore (or one its
            // device could not upload in order): when it first came is not known.
            if !w.created {
                w.received = Some(Received {
                    at_ms: store.now_ms(),
                    device_clock_ms: None,
                });
            }
            store.commit(peer, vec![*w]).map_err(HandleError::Store)?
        }
        Accept::MissingDeps | Accept::Nothing => {}
    }
    let mut state = automerge::sync::State::new();
    let saved = store.load_saved(&req.doc).map_err(HandleError::Store)?;
    let reply = contained(move || {
        let mut doc = saved
            .and_then(|b| JobDoc::load(&b).ok())
            .unwrap_or_else(JobDoc::empty);
        // Changes waiting for their dependencies are held in this copy only, so that the
        // answer asks for what is missing; they are judged when they can be applied.
        if waiting {
            for chunk in &chunks {
                let _ = doc.automerge().load_incremental(chunk);
            }
        }
        let _ = doc
            .automerge()
            .sync()
            .receive_sync_message(&mut state, message);
        doc.automerge().sync().generate_sync_message(&mut state)
    })
    .map_err(|e| HandleError::BadRequest(format!("cannot answer this sync message: {e}")))?;
    Ok(RepairReply {
        doc: req.doc,
        message: reply.map(|m| ByteBuf::from(m.encode())),
        refused: None,
    })
}

/// The changes the chunks of a sync message bring that the stored job lacks, or `None`
/// when some of them wait for dependencies the server does not have.
fn read_chunks(saved: Option<&[u8]>, chunks: &[Vec<u8>]) -> Result<Option<Vec<Change>>, String> {
    let mut scratch = match saved {
        Some(bytes) => JobDoc::load(bytes).map_err(|e| e.to_string())?,
        None => JobDoc::empty(),
    };
    let heads = scratch.heads();
    for chunk in chunks {
        scratch
            .automerge()
            .load_incremental(chunk)
            .map_err(|e| format!("a chunk of the sync message cannot be read: {e}"))?;
    }
    if !scratch.missing_deps().is_empty() {
        return Ok(None);
    }
    Ok(Some(scratch.changes_since(&heads)))
}
