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

mod plan;

use plan::Plan;

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
