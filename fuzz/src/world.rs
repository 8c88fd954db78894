//! The server every accept run starts from: an in-memory store holding two jobs, built
//! once through `handle` as the back office and a technician would, then cloned per run.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use automerge::{ActorId, Change, ChangeHash};
use autosurgeon::Text;
use onsite_domain::{
    Answer, Customer, Event, EventKind, Form, Job, JobDoc, Note, PartLine, Product, Role,
};
use onsite_sync::memory::MemoryServerStore;
use onsite_sync::server::{Peer, handle};
use onsite_sync::wire::{DocChanges, Request, Response, SyncRequest};
use serde_bytes::ByteBuf;

/// The job assigned to the technician `wang`.
pub const JOB: &str = "0190a000-0000-7000-8000-000000000001";
/// A job assigned to another technician, `li`: out of `wang`'s scope.
pub const OTHER: &str = "0190a000-0000-7000-8000-000000000002";
/// A document id the server does not hold yet.
pub const NEW: &str = "0190a000-0000-7000-8000-000000000003";
pub const EPOCH: &str = "epoch-1";
/// A fixed clock, so that every run builds the same changes with the same hashes.
pub const T0: i64 = 1_700_000_000_000;

pub fn office() -> Peer {
    Peer {
        user_id: "office".into(),
        role: Role::BackOffice,
        device_id: "desk".into(),
    }
}

/// The technician on the phone that made the seeded edit (and so owns its actor).
pub fn phone() -> Peer {
    Peer {
        user_id: "wang".into(),
        role: Role::Technician,
        device_id: "phone".into(),
    }
}

/// The same technician on a second device, which owns no actor yet.
pub fn tablet() -> Peer {
    Peer {
        user_id: "wang".into(),
        role: Role::Technician,
        device_id: "tablet".into(),
    }
}

pub fn office_actor() -> ActorId {
    ActorId::from([0x0f; 16].as_slice())
}

pub fn phone_actor() -> ActorId {
    ActorId::from([0x7e; 16].as_slice())
}

pub fn tablet_actor() -> ActorId {
    ActorId::from([0x7a; 16].as_slice())
}

#[derive(Debug)]
pub struct World {
    pub store: MemoryServerStore,
    /// The heads of each seeded job right after its creation (before any later edit).
    pub created: BTreeMap<String, Vec<ChangeHash>>,
}

/// The seeded server, built on first use.
pub fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(build)
}

pub fn event(id: &str, kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: id.into(),
        kind,
        at,
        by: by.into(),
    }
}

pub fn part(id: &str, by: &str, quantity: i64) -> PartLine {
    PartLine {
        id: id.into(),
        sku: "RLY-12".into(),
        name: "relay".into(),
        quantity,
        unit_price_cents: 1_800,
        billable: false,
        serials_removed: vec!["OLD-1".into()],
        serials_installed: vec!["NEW-1".into()],
        at: T0 + 120_000,
        by: by.into(),
    }
}

pub fn form(id: &str, by: &str, item: &str, points: i64) -> Form {
    Form {
        id: id.into(),
        template_id: "csat-onsite".into(),
        template_version: 1,
        respondent: "self".into(),
        answers: BTreeMap::from([(
            item.to_string(),
            Answer {
                points,
                comment: String::new(),
                at: T0 + 180_000,
            },
        )]),
        suggestion: Text::with_value("none"),
        submitted_at: None,
        by: by.into(),
    }
}

pub fn note(id: &str, by: &str, text: &str) -> Note {
    Note {
        id: id.into(),
        text: Text::with_value(text),
        at: T0 + 240_000,
        by: by.into(),
    }
}

/// A job as the back office creates it: reported and assigned.
pub fn new_job(id: &str, assignee: &str) -> Job {
    Job {
        id: id.into(),
        origin: "hotline".into(),
        reported_at: T0,
        customer: Customer {
            id: "cust-1".into(),
            name: "Li Ming".into(),
            phone: "13800000000".into(),
            address: "1 Renmin Road".into(),
            tier: "key".into(),
            region: "east".into(),
            site_distance: "near".into(),
        },
        product: Product {
            id: String::new(),
            model: "AC-9".into(),
            serial: "SN-0001".into(),
            purchase_date: Some("2024-01-01".into()),
        },
        fault: Text::with_value("no cooling; 不制冷"),
        assignee: Some(assignee.into()),
        events: vec![
            event("e-reported", EventKind::Reported, T0, "office"),
            event("e-assigned", EventKind::Assigned, T0 + 1, "office"),
        ],
        ..Job::default()
    }
}

/// The request that uploads `changes` of one document.
pub fn push(doc: &str, changes: &[Change]) -> Request {
    Request::Sync(SyncRequest {
        push: vec![DocChanges {
            doc: doc.into(),
            changes: changes
                .iter()
                .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                .collect(),
            whole: None,
        }],
        pull: None,
        reference: None,
        clock: None,
    })
}

/// Uploads changes that must be accepted (the seeding, and the back office's check edit).
pub fn push_accepted(store: &mut MemoryServerStore, peer: &Peer, doc: &str, changes: &[Change]) {
    match handle(store, peer, push(doc, changes)) {
        Ok(Response::Sync(r)) => assert!(
            r.refused.is_empty() && r.needs_repair.is_empty(),
            "{} could not write {doc}: {r:?}",
            peer.user_id
        ),
        other => panic!("{} could not write {doc}: {other:?}", peer.user_id),
    }
}

/// The technician's first edit of the seeded job: accepted, a parts line, a form, a note.
pub fn technician_edit(job: &mut Job) {
    job.events.push(event(
        "e-accepted",
        EventKind::Accepted,
        T0 + 60_000,
        "wang",
    ));
    job.parts.insert("p1".into(), part("p1", "wang", 1));
    job.forms
        .insert("f1".into(), form("f1", "wang", "quality", 10));
    job.notes
        .insert("n1".into(), note("n1", "wang", "compressor relay"));
    job.diagnosis.update("relay burnt; 继电器烧坏");
}

fn build() -> World {
    let mut store = MemoryServerStore::new(EPOCH);
    let mut created = BTreeMap::new();
    for (id, assignee) in [(JOB, "wang"), (OTHER, "li")] {
        let (mut doc, change) = JobDoc::create(&new_job(id, assignee), office_actor(), T0)
            .expect("the seeded job is created");
        push_accepted(&mut store, &office(), id, &[change]);
        created.insert(id.to_string(), doc.heads());
    }
    let bytes = store.doc_bytes(JOB).expect("the seeded job is stored");
    let mut doc = JobDoc::load(bytes).expect("the seeded job loads");
    doc.set_actor(phone_actor());
    let change = doc
        .edit("accept", T0 + 60_000, technician_edit)
        .expect("the technician's edit applies")
        .expect("the technician's edit changes the job");
    push_accepted(&mut store, &phone(), JOB, &[change]);
    World { store, created }
}
