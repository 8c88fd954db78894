//! The server's accept path: one request from the technician `wang`, handled by
//! `onsite_sync::server::handle` against a seeded in-memory server.
//!
//! The first byte of the input picks how the rest is read:
//! - even: a sync frame (`wire::decode`), handled as is from `wang`'s phone — the path an
//!   HTTP request takes; the committed seeds are real requests of this kind;
//! - odd: a [`Plan`] read with `arbitrary`: raw bytes as changes or as a whole document,
//!   and changes *built* by applying Automerge operations (at real job paths such as
//!   `events`, `reviews`, `assignee`, `customer.name`, `forms`, `parts`, or random keys)
//!   and typed job edits to a fork of a stored document, with a chosen actor, so that most
//!   inputs get past the decoder into the write policy.
//!
//! Whatever the input, `handle` must not panic, and afterwards every stored document the
//! request changed must load and hydrate, every change it added to the feed must be in its
//! stored document, and the back office must still be able to edit every job it changed.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use automerge::sync::{Message, State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ObjId, ObjType, Prop, ROOT, ReadDoc, ScalarValue};
use autosurgeon::Text;
use libfuzzer_sys::arbitrary::{self, Arbitrary, Unstructured};
use onsite_domain::{Decision, EventKind, Job, JobDoc, ReviewDecision, Role};
use onsite_sync::memory::MemoryServerStore;
use onsite_sync::server::{FeedItem, Peer, ServerStore, handle};
use onsite_sync::wire::{
    self, Cursor, DocChanges, PullRequest, ReferenceDelta, RepairDoc, Request, Response,
    SyncRequest,
};
use serde_bytes::ByteBuf;

use crate::world::{
    self, EPOCH, JOB, NEW, OTHER, T0, World, event, form, new_job, note, office, office_actor,
    part, phone, phone_actor, tablet, tablet_actor,
};

/// Bounds that keep one run short; the fuzzer finds depth by combining runs.
const MAX_PUSHES: usize = 4;
const MAX_COMMITS: usize = 4;
const MAX_OPS: usize = 16;
const MAX_PATH: usize = 4;
const MAX_REPAIR_ROUNDS: u8 = 8;

pub fn run(data: &[u8]) {
    let world = world::world();
    let mut store = world.store.clone();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(request) = wire::decode::<Request>(rest) else {
            return;
        };
        // Any outcome is fine, as long as it is an outcome.
        let _ = handle(&mut store, &phone(), request);
    } else {
        let Ok(plan) = Plan::arbitrary_take_rest(Unstructured::new(rest)) else {
            return;
        };
        if print_plans() {
            eprintln!("{plan:#?}");
        }
        plan.run(world, &mut store);
    }
    // A dependency that panics on what the server stored is a finding, not noise: the
    // hook lets dependencies' panics pass, so say it from here, where it aborts.
    let checked = catch_unwind(AssertUnwindSafe(|| check(world, &mut store)));
    if checked.is_err() {
        panic!("a dependency panicked while reading what the server stored");
    }
}

/// Runs the part of a run that builds the request: Automerge panicking on the operations
/// the fuzzer chose (its own bug, on input it generated itself) leaves the input out.
/// Nothing from the server runs in here; `handle` is never called inside.
fn building<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// `ONSITE_FUZZ_PRINT=1`: print each structured input as it is read (to read a crash).
fn print_plans() -> bool {
    static PRINT: OnceLock<bool> = OnceLock::new();
    *PRINT.get_or_init(|| std::env::var_os("ONSITE_FUZZ_PRINT").is_some())
}

/// The invariants after any request, checked on what it changed (the seeded state was
/// checked when it was built).
fn check(world: &World, store: &mut MemoryServerStore) {
    let changed: Vec<String> = store
        .doc_ids()
        .filter(|id| world.store.doc_bytes(id) != store.doc_bytes(id))
        .cloned()
        .collect();
    let mut loaded: BTreeMap<String, JobDoc> = BTreeMap::new();
    for id in &changed {
        let mut doc = stored(store, id);
        if let Err(e) = doc.job() {
            panic!("stored job {id} no longer hydrates: {e}");
        }
        assert!(
            doc.missing_deps().is_empty(),
            "stored job {id} lacks changes it depends on"
        );
        loaded.insert(id.clone(), doc);
    }
    // Every change the feed hands out is in the stored document: a change acknowledged to
    // its device but missing from the server's document is lost to the next repair.
    let auditor = Peer {
        user_id: "auditor".into(),
        role: Role::BackOffice,
        device_id: "audit".into(),
    };
    let feed = match store.read_feed(&auditor, world.store.head(), u32::MAX) {
        Ok(feed) => feed,
        Err(e) => match e {},
    };
    for item in feed.items {
        if let FeedItem::Change { doc, data, .. } = item {
            let change = Change::try_from(data.as_slice())
                .unwrap_or_else(|e| panic!("the feed holds an unreadable change of {doc}: {e}"));
            let stored_doc = loaded
                .entry(doc.clone())
                .or_insert_with(|| stored(store, &doc));
            assert!(
                stored_doc
                    .automerge()
                    .get_change_by_hash(&change.hash())
                    .is_some(),
                "change {} is in the feed but not in stored job {doc}",
                change.hash()
            );
        }
    }
    for id in &changed {
        office_edit(store, id);
    }
}

fn stored(store: &MemoryServerStore, id: &str) -> JobDoc {
    let bytes = store
        .doc_bytes(id)
        .unwrap_or_else(|| panic!("stored job {id} is listed but has no bytes"));
    JobDoc::load(bytes).unwrap_or_else(|e| panic!("stored job {id} no longer loads: {e}"))
}

/// The back office adds a note to a stored job; it must be accepted and stored.
fn office_edit(store: &mut MemoryServerStore, id: &str) {
    let mut doc = stored(store, id);
    doc.set_actor(office_actor());
    let mut key = String::new();
    let change = doc
        .edit("office note", T0 + 3_600_000, |job| {
            key = (0..)
                .map(|i| format!("office-check-{i}"))
                .find(|k| !job.notes.contains_key(k))
                .unwrap_or_default();
            job.notes
                .insert(key.clone(), note(&key, "office", "checked"));
        })
        .unwrap_or_else(|e| panic!("the back office cannot edit stored job {id}: {e}"))
        .unwrap_or_else(|| panic!("the back office's note changed nothing in job {id}"));
    world::push_accepted(store, &office(), id, &[change]);
    let job = stored(store, id)
        .job()
        .unwrap_or_else(|e| panic!("job {id} no longer hydrates after the office's edit: {e}"));
    assert!(
        job.notes.contains_key(&key),
        "the office's note is not in stored job {id}"
    );
}

#[derive(Arbitrary, Debug)]
struct Plan {
    /// From the technician's second device rather than the phone.
    tablet: bool,
    action: Action,
}

#[derive(Arbitrary, Debug)]
enum Action {
    Sync {
        pushes: Vec<Push>,
        pull: Option<Pull>,
        upload_reference: bool,
    },
    /// Automerge's own sync protocol, a few rounds, from a built document.
    Repair {
        doc: DocChoice,
        build: Build,
        rounds: u8,
    },
    RawRepair {
        doc: DocChoice,
        message: Vec<u8>,
    },
    Scope,
}

#[derive(Arbitrary, Debug)]
struct Pull {
    cursor: Option<(bool, u64)>,
    max_items: u32,
    reference: Option<u64>,
}

#[derive(Arbitrary, Debug)]
enum Push {
    Raw {
        doc: DocChoice,
        changes: Vec<Vec<u8>>,
    },
    Whole {
        doc: DocChoice,
        whole: Vec<u8>,
        changes: Vec<Vec<u8>>,
    },
    Built {
        doc: DocChoice,
        build: Build,
        send: Send,
    },
}

#[derive(Arbitrary, Debug, Clone)]
enum DocChoice {
    Job,
    Other,
    New,
    Id(String),
}

impl DocChoice {
    fn id(&self) -> String {
        match self {
            DocChoice::Job => JOB.into(),
            DocChoice::Other => OTHER.into(),
            DocChoice::New => NEW.into(),
            DocChoice::Id(s) => s.clone(),
        }
    }
}

/// A document built on the device side: a starting point, an actor, then commits.
#[derive(Arbitrary, Debug)]
struct Build {
    base: Base,
    actor: ActorChoice,
    commits: Vec<Vec<Op>>,
}

#[derive(Arbitrary, Debug)]
enum Base {
    /// The server's document of that id (empty if it holds none).
    Current,
    /// The server's document as it was right after its creation.
    AtCreation,
    Empty,
    /// A new job made on the device with that id, assigned to `wang` or to someone else.
    Fresh {
        mine: bool,
    },
    /// The seeded job's content whatever the id (a copy under another id).
    Seeded,
}

#[derive(Arbitrary, Debug)]
enum ActorChoice {
    /// The actor `wang`'s phone owns.
    Phone,
    /// The back office's actor.
    Office,
    /// An actor nobody has used yet.
    Tablet,
    Bytes([u8; 16]),
    Short(u8),
}

impl ActorChoice {
    fn actor(&self) -> ActorId {
        match self {
            ActorChoice::Phone => phone_actor(),
            ActorChoice::Office => office_actor(),
            ActorChoice::Tablet => tablet_actor(),
            ActorChoice::Bytes(b) => ActorId::from(b.as_slice()),
            ActorChoice::Short(b) => ActorId::from([*b].as_slice()),
        }
    }
}

/// How the built document is sent.
#[derive(Arbitrary, Debug)]
struct Send {
    /// As `whole` (`save()`) instead of changes.
    whole: bool,
    /// Every change of the document, not just those made after the base.
    from_start: bool,
    /// Leave one change out (its dependants then lack it).
    drop: Option<u8>,
    reverse: bool,
    /// Flip bits of one byte of the whole document or of the first change.
    corrupt: Option<(u16, u8)>,
    /// Raw bytes sent as further changes.
    extra: Vec<Vec<u8>>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Put {
        at: Path,
        key: Key,
        value: Scalar,
    },
    PutObject {
        at: Path,
        key: Key,
        kind: Kind,
    },
    Insert {
        at: Path,
        index: u8,
        value: Scalar,
    },
    InsertObject {
        at: Path,
        index: u8,
        kind: Kind,
    },
    Delete {
        at: Path,
        key: Key,
    },
    Splice {
        at: Path,
        pos: u8,
        del: i8,
        text: String,
    },
    Increment {
        at: Path,
        key: Key,
        by: i64,
    },
    Typed(Typed),
}

/// Where an operation applies: a walk from the root, one step per segment, that stops at
/// the first value that is not an object.
#[derive(Arbitrary, Debug)]
struct Path(Vec<Step>);

#[derive(Arbitrary, Debug)]
enum Step {
    Field(Field),
    /// The n-th key of a map or element of a list.
    Nth(u8),
    Key(String),
}

#[derive(Arbitrary, Debug)]
enum Key {
    Field(Field),
    Nth(u8),
    Name(String),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Map,
    List,
    Text,
}

impl Kind {
    fn obj_type(self) -> ObjType {
        match self {
            Kind::Map => ObjType::Map,
            Kind::List => ObjType::List,
            Kind::Text => ObjType::Text,
        }
    }
}

/// Field names of the job schema.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Field {
    SchemaVersion,
    Id,
    Origin,
    Complaint,
    ReportedAt,
    Customer,
    Product,
    Fault,
    Diagnosis,
    Resolution,
    Assignee,
    Events,
    Notes,
    Parts,
    Forms,
    Reviews,
    Attachments,
    LabourMinutes,
    FeedbackCategory,
    ResponsibleDepartment,
    Name,
    Phone,
    Tier,
    Kind,
    At,
    By,
    Decision,
    Comment,
    Points,
    Answers,
    Sku,
    Quantity,
    Text,
    Suggestion,
    SubmittedAt,
    TemplateId,
    TemplateVersion,
    Respondent,
    Billable,
    SerialsRemoved,
    Sha256,
    Bytes,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::SchemaVersion => "schema_version",
            Field::Id => "id",
            Field::Origin => "origin",
            Field::Complaint => "complaint",
            Field::ReportedAt => "reported_at",
            Field::Customer => "customer",
            Field::Product => "product",
            Field::Fault => "fault",
            Field::Diagnosis => "diagnosis",
            Field::Resolution => "resolution",
            Field::Assignee => "assignee",
            Field::Events => "events",
            Field::Notes => "notes",
            Field::Parts => "parts",
            Field::Forms => "forms",
            Field::Reviews => "reviews",
            Field::Attachments => "attachments",
            Field::LabourMinutes => "labour_minutes",
            Field::FeedbackCategory => "feedback_category",
            Field::ResponsibleDepartment => "responsible_department",
            Field::Name => "name",
            Field::Phone => "phone",
            Field::Tier => "tier",
            Field::Kind => "kind",
            Field::At => "at",
            Field::By => "by",
            Field::Decision => "decision",
            Field::Comment => "comment",
            Field::Points => "points",
            Field::Answers => "answers",
            Field::Sku => "sku",
            Field::Quantity => "quantity",
            Field::Text => "text",
            Field::Suggestion => "suggestion",
            Field::SubmittedAt => "submitted_at",
            Field::TemplateId => "template_id",
            Field::TemplateVersion => "template_version",
            Field::Respondent => "respondent",
            Field::Billable => "billable",
            Field::SerialsRemoved => "serials_removed",
            Field::Sha256 => "sha256",
            Field::Bytes => "bytes",
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Scalar {
    Word(Word),
    Str(String),
    Small(i8),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    Null,
    Counter(i64),
    Timestamp(i64),
    Bytes(Vec<u8>),
}

/// String values the schema gives meaning to.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Word {
    Wang,
    Li,
    Office,
    Reported,
    Assigned,
    Accepted,
    Completed,
    Cancelled,
    Approved,
    Returned,
    SelfAssessment,
    Survey,
    Template,
    Job,
    Other,
    Empty,
}

impl Word {
    fn text(self) -> &'static str {
        match self {
            Word::Wang => "wang",
            Word::Li => "li",
            Word::Office => "office",
            // autosurgeon stores a unit enum variant as its name.
            Word::Reported => "Reported",
            Word::Assigned => "Assigned",
            Word::Accepted => "Accepted",
            Word::Completed => "Completed",
            Word::Cancelled => "Cancelled",
            Word::Approved => "Approved",
            Word::Returned => "Returned",
            Word::SelfAssessment => "self",
            Word::Survey => "survey",
            Word::Template => "csat-onsite",
            Word::Job => JOB,
            Word::Other => OTHER,
            Word::Empty => "",
        }
    }
}

impl Scalar {
    fn value(&self) -> ScalarValue {
        match self {
            Scalar::Word(w) => ScalarValue::Str(w.text().into()),
            Scalar::Str(s) => ScalarValue::Str(s.as_str().into()),
            Scalar::Small(i) => ScalarValue::Int(i64::from(*i)),
            Scalar::Int(i) => ScalarValue::Int(*i),
            Scalar::Uint(u) => ScalarValue::Uint(*u),
            Scalar::F64(f) => ScalarValue::F64(*f),
            Scalar::Bool(b) => ScalarValue::Boolean(*b),
            Scalar::Null => ScalarValue::Null,
            Scalar::Counter(c) => ScalarValue::counter(*c),
            Scalar::Timestamp(t) => ScalarValue::Timestamp(*t),
            Scalar::Bytes(b) => ScalarValue::Bytes(b.clone()),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Who {
    Wang,
    Li,
    Office,
}

impl Who {
    fn name(self) -> &'static str {
        match self {
            Who::Wang => "wang",
            Who::Li => "li",
            Who::Office => "office",
        }
    }
}

/// Edits through the typed view, as the app makes them (hydrate, change, reconcile).
#[derive(Arbitrary, Debug)]
enum Typed {
    Event {
        kind: u8,
        by: Who,
        at: i64,
        id: u8,
    },
    RemoveEvent(u8),
    RewriteEvent {
        index: u8,
        by: Who,
        at: i64,
    },
    Note {
        id: u8,
        by: Who,
        text: String,
    },
    Part {
        id: u8,
        by: Who,
        quantity: i64,
    },
    RemovePart(u8),
    Form {
        id: u8,
        by: Who,
        points: i64,
        item: u8,
    },
    RemoveForm(u8),
    Review {
        approve: bool,
        by: Who,
    },
    RemoveReview(u8),
    Assign(Option<Who>),
    CustomerName(String),
    Diagnosis(String),
    SchemaVersion(u64),
}

const IDS: [&str; 4] = ["p1", "f1", "n1", "x"];
const ITEMS: [&str; 3] = ["quality", "no-such-item", ""];

impl Typed {
    fn apply(&self, job: &mut Job) {
        let nth = |len: usize, i: u8| (len > 0).then(|| usize::from(i) % len);
        match self {
            Typed::Event { kind, by, at, id } => job.events.push(event(
                &format!("e-{id}"),
                EventKind::ALL[usize::from(*kind) % EventKind::ALL.len()],
                *at,
                by.name(),
            )),
            Typed::RemoveEvent(i) => {
                if let Some(i) = nth(job.events.len(), *i) {
                    job.events.remove(i);
                }
            }
            Typed::RewriteEvent { index, by, at } => {
                if let Some(i) = nth(job.events.len(), *index) {
                    job.events[i].by = by.name().into();
                    job.events[i].at = *at;
                }
            }
            Typed::Note { id, by, text } => {
                let id = IDS[usize::from(*id) % IDS.len()];
                job.notes.insert(id.into(), note(id, by.name(), text));
            }
            Typed::Part { id, by, quantity } => {
                let id = IDS[usize::from(*id) % IDS.len()];
                job.parts.insert(id.into(), part(id, by.name(), *quantity));
            }
            Typed::RemovePart(i) => {
                if let Some(key) =
                    nth(job.parts.len(), *i).and_then(|i| job.parts.keys().nth(i).cloned())
                {
                    job.parts.remove(&key);
                }
            }
            Typed::Form {
                id,
                by,
                points,
                item,
            } => {
                let id = IDS[usize::from(*id) % IDS.len()];
                let item = ITEMS[usize::from(*item) % ITEMS.len()];
                job.forms
                    .insert(id.into(), form(id, by.name(), item, *points));
            }
            Typed::RemoveForm(i) => {
                if let Some(key) =
                    nth(job.forms.len(), *i).and_then(|i| job.forms.keys().nth(i).cloned())
                {
                    job.forms.remove(&key);
                }
            }
            Typed::Review { approve, by } => job.reviews.push(ReviewDecision {
                id: format!("r-{}", job.reviews.len()),
                decision: if *approve {
                    Decision::Approved
                } else {
                    Decision::Returned
                },
                comment: String::new(),
                at: T0 + 300_000,
                by: by.name().into(),
            }),
            Typed::RemoveReview(i) => {
                if let Some(i) = nth(job.reviews.len(), *i) {
                    job.reviews.remove(i);
                }
            }
            Typed::Assign(who) => job.assignee = who.map(|w| w.name().to_string()),
            Typed::CustomerName(name) => job.customer.name = name.clone(),
            Typed::Diagnosis(text) => job.diagnosis = Text::with_value(text),
            Typed::SchemaVersion(v) => job.schema_version = *v,
        }
    }
}

impl Plan {
    fn run(self, world: &World, store: &mut MemoryServerStore) {
        let peer = if self.tablet { tablet() } else { phone() };
        match self.action {
            Action::Sync {
                pushes,
                pull,
                upload_reference,
            } => {
                let Some(push) = building(|| {
                    pushes
                        .into_iter()
                        .take(MAX_PUSHES)
                        .map(|p| p.doc_changes(world, store))
                        .collect()
                }) else {
                    return;
                };
                let request = Request::Sync(SyncRequest {
                    push,
                    pull: pull.map(|p| PullRequest {
                        cursor: p.cursor.map(|(ours, seq)| Cursor {
                            epoch: if ours { EPOCH.into() } else { "epoch-0".into() },
                            seq,
                        }),
                        max_items: p.max_items,
                        reference: p.reference,
                    }),
                    reference: upload_reference.then(ReferenceDelta::default),
                    clock: None,
                });
                let _ = handle(store, &peer, request);
            }
            Action::Repair { doc, build, rounds } => {
                let id = doc.id();
                let Some((mut client, _)) = building(|| build.build(world, store, &id)) else {
                    return;
                };
                let mut state = State::new();
                for _ in 0..rounds.min(MAX_REPAIR_ROUNDS) {
                    let next =
                        building(|| client.automerge().sync().generate_sync_message(&mut state));
                    let Some(Some(message)) = next else {
                        break;
                    };
                    let request = Request::RepairDoc(RepairDoc {
                        doc: id.clone(),
                        message: ByteBuf::from(message.encode()),
                    });
                    let Ok(Response::RepairDoc(reply)) = handle(store, &peer, request) else {
                        break;
                    };
                    let Some(Ok(message)) = reply.message.map(|m| Message::decode(&m)) else {
                        break;
                    };
                    let received = building(|| {
                        client
                            .automerge()
                            .sync()
                            .receive_sync_message(&mut state, message)
                    });
                    if !matches!(received, Some(Ok(()))) {
                        break;
                    }
                }
            }
            Action::RawRepair { doc, message } => {
                let request = Request::RepairDoc(RepairDoc {
                    doc: doc.id(),
                    message: ByteBuf::from(message),
                });
                let _ = handle(store, &peer, request);
            }
            Action::Scope => {
                let _ = handle(store, &peer, Request::Scope);
            }
        }
    }
}

impl Push {
    fn doc_changes(self, world: &World, store: &MemoryServerStore) -> DocChanges {
        let bufs = |v: Vec<Vec<u8>>| v.into_iter().map(ByteBuf::from).collect();
        match self {
            Push::Raw { doc, changes } => DocChanges {
                doc: doc.id(),
                changes: bufs(changes),
                whole: None,
            },
            Push::Whole {
                doc,
                whole,
                changes,
            } => DocChanges {
                doc: doc.id(),
                changes: bufs(changes),
                whole: Some(ByteBuf::from(whole)),
            },
            Push::Built { doc, build, send } => {
                let id = doc.id();
                let (mut built, base_heads) = build.build(world, store, &id);
                let mut whole = send.whole.then(|| built.save());
                let mut changes: Vec<Vec<u8>> = if send.whole {
                    Vec::new()
                } else {
                    let since = if send.from_start {
                        &[][..]
                    } else {
                        &base_heads
                    };
                    built
                        .changes_since(since)
                        .iter()
                        .map(|c| c.raw_bytes().to_vec())
                        .collect()
                };
                if let Some(i) = send.drop
                    && !changes.is_empty()
                {
                    changes.remove(usize::from(i) % changes.len());
                }
                if send.reverse {
                    changes.reverse();
                }
                if let Some((at, bits)) = send.corrupt {
                    let target = match (&mut whole, changes.first_mut()) {
                        (Some(w), _) => Some(w),
                        (None, first) => first,
                    };
                    if let Some(bytes) = target
                        && !bytes.is_empty()
                    {
                        let at = usize::from(at) % bytes.len();
                        bytes[at] ^= bits;
                    }
                }
                changes.extend(send.extra);
                DocChanges {
                    doc: id,
                    changes: bufs(changes),
                    whole: whole.map(ByteBuf::from),
                }
            }
        }
    }
}

impl Build {
    /// The built document and the heads of its base.
    fn build(
        &self,
        world: &World,
        store: &MemoryServerStore,
        id: &str,
    ) -> (JobDoc, Vec<automerge::ChangeHash>) {
        let actor = self.actor.actor();
        let load = |id: &str| store.doc_bytes(id).and_then(|b| JobDoc::load(b).ok());
        let mut doc = match &self.base {
            Base::Current => load(id).unwrap_or_else(JobDoc::empty),
            Base::AtCreation => {
                let forked = load(id).zip(world.created.get(id)).and_then(|(mut d, h)| {
                    d.automerge().fork_at(h).ok().map(JobDoc::from_automerge)
                });
                forked.unwrap_or_else(JobDoc::empty)
            }
            Base::Empty => JobDoc::empty(),
            Base::Fresh { mine } => {
                let mut job = new_job(id, if *mine { "wang" } else { "li" });
                job.events = vec![event("e-reported", EventKind::Reported, T0, "wang")];
                match JobDoc::create(&job, actor.clone(), T0 + 1_000) {
                    Ok((doc, _)) => doc,
                    Err(_) => JobDoc::empty(),
                }
            }
            Base::Seeded => load(JOB).unwrap_or_else(JobDoc::empty),
        };
        doc.set_actor(actor);
        let base_heads = doc.heads();
        for (n, commit) in self.commits.iter().take(MAX_COMMITS).enumerate() {
            let at = T0 + 600_000 + 1_000 * n as i64;
            for op in commit.iter().take(MAX_OPS) {
                if let Op::Typed(edit) = op {
                    // An edit that does not apply (the document no longer hydrates, say)
                    // is just left out; so is any operation below that does not.
                    let _ = doc.edit("typed", at, |job| edit.apply(job));
                } else {
                    apply(doc.automerge(), op);
                }
            }
            doc.automerge()
                .commit_with(CommitOptions::default().with_time(at / 1000));
        }
        (doc, base_heads)
    }
}

/// The object a path leads to.
fn walk(doc: &AutoCommit, path: &Path) -> (ObjId, ObjType) {
    let mut obj = ROOT;
    let mut kind = ObjType::Map;
    for step in path.0.iter().take(MAX_PATH) {
        let Some(prop) = prop(doc, &obj, kind, step_key(step)) else {
            break;
        };
        match doc.get(&obj, prop) {
            Ok(Some((automerge::Value::Object(t), id))) => {
                obj = id;
                kind = t;
            }
            _ => break,
        }
    }
    (obj, kind)
}

fn step_key(step: &Step) -> KeyRef<'_> {
    match step {
        Step::Field(f) => KeyRef::Name(f.name()),
        Step::Nth(n) => KeyRef::Nth(*n),
        Step::Key(k) => KeyRef::Name(k),
    }
}

fn key_ref(key: &Key) -> KeyRef<'_> {
    match key {
        Key::Field(f) => KeyRef::Name(f.name()),
        Key::Nth(n) => KeyRef::Nth(*n),
        Key::Name(k) => KeyRef::Name(k),
    }
}

#[derive(Clone, Copy)]
enum KeyRef<'a> {
    Name(&'a str),
    Nth(u8),
}

/// The property of `obj` a key names: a map key, or an index of an existing element.
fn prop(doc: &AutoCommit, obj: &ObjId, kind: ObjType, key: KeyRef<'_>) -> Option<Prop> {
    match (kind, key) {
        (ObjType::Map | ObjType::Table, KeyRef::Name(name)) => Some(Prop::Map(name.into())),
        (ObjType::Map | ObjType::Table, KeyRef::Nth(n)) => {
            let len = doc.length(obj);
            (len > 0)
                .then(|| doc.keys(obj).nth(usize::from(n) % len))
                .flatten()
                .map(Prop::Map)
        }
        (ObjType::List | ObjType::Text, key) => {
            let len = doc.length(obj);
            let n = match key {
                KeyRef::Nth(n) => usize::from(n),
                KeyRef::Name(_) => 0,
            };
            (len > 0).then(|| Prop::Seq(n % len))
        }
    }
}

/// Applies one raw operation; one that does not fit the object is left out.
fn apply(doc: &mut AutoCommit, op: &Op) {
    match op {
        Op::Put { at, key, value } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.put(&obj, p, value.value());
            }
        }
        Op::PutObject { at, key, kind: k } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.put_object(&obj, p, k.obj_type());
            }
        }
        Op::Insert { at, index, value } => {
            let (obj, kind) = walk(doc, at);
            if matches!(kind, ObjType::List | ObjType::Text) {
                let index = usize::from(*index) % (doc.length(&obj) + 1);
                let _ = doc.insert(&obj, index, value.value());
            }
        }
        Op::InsertObject { at, index, kind: k } => {
            let (obj, kind) = walk(doc, at);
            if matches!(kind, ObjType::List) {
                let index = usize::from(*index) % (doc.length(&obj) + 1);
                let _ = doc.insert_object(&obj, index, k.obj_type());
            }
        }
        Op::Delete { at, key } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.delete(&obj, p);
            }
        }
        Op::Splice { at, pos, del, text } => {
            let (obj, kind) = walk(doc, at);
            if matches!(kind, ObjType::Text) {
                let pos = usize::from(*pos) % (doc.length(&obj) + 1);
                let _ = doc.splice_text(&obj, pos, isize::from(*del), text);
            }
        }
        Op::Increment { at, key, by } => {
            let (obj, kind) = walk(doc, at);
            if let Some(p) = prop(doc, &obj, kind, key_ref(key)) {
                let _ = doc.increment(&obj, p, *by);
            }
        }
        Op::Typed(_) => {}
    }
}
