//! The committed seed corpora (fuzz/corpus/<target>/), made from real messages: requests a
//! technician's device sends against the seeded server, and the server's answers.
//! `cargo run --example corpus` writes them.

use automerge::sync::{State, SyncDoc};
use onsite_domain::{CatalogItem, EventKind, Job, JobDoc};
use onsite_sync::server::{HandleError, handle};
use onsite_sync::wire::{
    self, Cursor, DocChanges, PullRequest, RepairDoc, Request, Response, SyncRequest,
};
use serde_bytes::ByteBuf;

use crate::world::{
    self, EPOCH, JOB, NEW, T0, event, new_job, office, part, phone, phone_actor, push,
};

/// A named seed input.
pub type Seed = (&'static str, Vec<u8>);

/// Requests a technician's phone sends, as frames.
pub fn requests() -> Vec<(&'static str, Request)> {
    let world = world::world();
    let stored = || {
        let bytes = world
            .store
            .doc_bytes(JOB)
            .expect("the seeded job is stored");
        let mut doc = JobDoc::load(bytes).expect("the seeded job loads");
        doc.set_actor(phone_actor());
        doc
    };
    let edit = |what: &str, f: &dyn Fn(&mut Job)| {
        let mut doc = stored();
        let change = doc
            .edit(what, T0 + 900_000, f)
            .expect("the seed edit applies")
            .expect("the seed edit changes the job");
        push(JOB, &[change])
    };
    let on_site = edit("on site", &|job| {
        job.events
            .push(event("e-on-site", EventKind::OnSite, T0 + 900_000, "wang"));
        job.parts.insert("p2".into(), part("p2", "wang", 2));
    });
    // Refused by the policy: a technician cannot reassign a job.
    let reassign = edit("reassign", &|job| job.assignee = Some("li".into()));
    let mut created = new_job(NEW, "wang");
    created.origin = "onsite".into();
    created.events = vec![event("e-reported", EventKind::Reported, T0, "wang")];
    let (mut doc, _) = JobDoc::create(&created, phone_actor(), T0 + 1_000)
        .expect("the device's new job is created");
    let create_whole = Request::Sync(SyncRequest {
        push: vec![DocChanges {
            doc: NEW.into(),
            changes: vec![],
            whole: Some(ByteBuf::from(doc.save())),
        }],
        pull: Some(PullRequest {
            cursor: Some(Cursor {
                epoch: EPOCH.into(),
                seq: 1,
            }),
            max_items: 100,
            reference: Some(0),
        }),
        reference: None,
        clock: None,
    });
    let first_pull = Request::Sync(SyncRequest {
        push: vec![],
        pull: Some(PullRequest {
            cursor: None,
            max_items: 500,
            reference: Some(0),
        }),
        reference: None,
        clock: None,
    });
    let mut client = stored();
    let message = client
        .automerge()
        .sync()
        .generate_sync_message(&mut State::new())
        .expect("a first sync message");
    let repair = Request::RepairDoc(RepairDoc {
        doc: JOB.into(),
        message: ByteBuf::from(message.encode()),
    });
    vec![
        ("push-on-site", on_site),
        ("push-reassign", reassign),
        ("push-whole-new-job", create_whole),
        ("pull-first", first_pull),
        ("repair-first-round", repair),
        ("scope", Request::Scope),
    ]
}

/// The server's answers, as frames.
pub fn responses() -> Vec<(&'static str, Response)> {
    let mut store = world::world().store.clone();
    store.put_catalog_item(CatalogItem {
        sku: "RLY-12".into(),
        name: "relay".into(),
        unit_price_cents: 1_800,
        billable: true,
        active: true,
    });
    store.set_stock("wang", "RLY-12", 3);
    let mut out = Vec::new();
    for (name, request) in requests() {
        let response = match handle(&mut store, &phone(), request) {
            Ok(r) => r,
            Err(e) => Response::Error(e.reply()),
        };
        out.push((name, response));
    }
    let office_pull = Request::Sync(SyncRequest {
        push: vec![],
        pull: Some(PullRequest {
            cursor: Some(Cursor {
                epoch: "epoch-0".into(),
                seq: 9,
            }),
            max_items: 10,
            reference: None,
        }),
        reference: None,
        clock: None,
    });
    if let Ok(reset) = handle(&mut store, &office(), office_pull) {
        out.push(("office-reset", reset));
    }
    let refused: HandleError<std::convert::Infallible> =
        HandleError::ReadOnly("reference data is the server's".into());
    out.push(("error-read-only", Response::Error(refused.reply())));
    out
}

/// Seeds of `wire_decode`: every request and every response.
pub fn wire_decode() -> Vec<(String, Vec<u8>)> {
    let requests = requests()
        .into_iter()
        .map(|(name, r)| (format!("request-{name}"), wire::encode(&r)));
    let responses = responses()
        .into_iter()
        .map(|(name, r)| (format!("response-{name}"), wire::encode(&r)));
    requests.chain(responses).collect()
}

/// Seeds of `accept`: the requests as frames (mode byte 0), and a few structured inputs
/// (mode byte 1) from a fixed pseudo-random sequence.
pub fn accept() -> Vec<(String, Vec<u8>)> {
    let frames = requests().into_iter().map(|(name, r)| {
        let mut input = vec![0];
        input.extend(wire::encode(&r));
        (format!("frame-{name}"), input)
    });
    let structured = (1..=4u64).map(|seed| {
        let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let mut input = vec![1];
        input.extend((0..256).map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        }));
        (format!("plan-{seed}"), input)
    });
    frames.chain(structured).collect()
}
