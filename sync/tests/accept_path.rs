#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The server engine's accept path on requests a hostile or careless client can send.

use automerge::ActorId;
use onsite_domain::{Event, EventKind, Job, JobDoc, Role};
use onsite_sync::memory::MemoryServerStore;
use onsite_sync::server::{Peer, handle};
use onsite_sync::wire::{DocChanges, Request, Response, SyncRequest, SyncResponse};
use serde_bytes::ByteBuf;

const DOC: &str = "00000000-0000-4000-8000-0000000000b1";
const T0: i64 = 1_780_000_000_000;

fn peer(user: &str, role: Role) -> Peer {
    Peer {
        user_id: user.into(),
        role,
        device_id: format!("{user}-phone"),
    }
}

fn entry(changes: &[&automerge::Change]) -> DocChanges {
    DocChanges {
        doc: DOC.into(),
        changes: changes
            .iter()
            .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
            .collect(),
        whole: None,
    }
}

fn sync(store: &mut MemoryServerStore, who: &Peer, push: Vec<DocChanges>) -> SyncResponse {
    let request = Request::Sync(SyncRequest {
        push,
        pull: None,
        reference: None,
        clock: None,
    });
    match handle(store, who, request).unwrap() {
        Response::Sync(r) => r,
        other => panic!("unexpected answer {other:?}"),
    }
}

fn event(id: &str, kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: id.into(),
        kind,
        at,
        by: by.into(),
    }
}

fn seeded() -> MemoryServerStore {
    let mut store = MemoryServerStore::new("epoch");
    let job = Job {
        id: DOC.into(),
        origin: "hotline".into(),
        reported_at: T0,
        assignee: Some("wang".into()),
        events: vec![event("r", EventKind::Reported, T0, "office")],
        ..Job::default()
    };
    let (_, change) = JobDoc::create(&job, ActorId::random(), T0).unwrap();
    let r = sync(
        &mut store,
        &peer("office", Role::BackOffice),
        vec![entry(&[&change])],
    );
    assert!(r.refused.is_empty(), "{r:?}");
    store
}

#[test]
fn two_entries_for_one_job_in_one_request_are_one_upload() {
    let mut store = seeded();
    let mut doc = JobDoc::load(store.doc_bytes(DOC).unwrap()).unwrap();
    doc.set_actor(ActorId::random());
    let accept = |j: &mut Job| {
        j.events
            .push(event("a", EventKind::Accepted, T0 + 1, "wang"))
    };
    let first = doc.edit("accept", T0 + 1, accept).unwrap().unwrap();
    let on_site = |j: &mut Job| j.events.push(event("o", EventKind::OnSite, T0 + 2, "wang"));
    let second = doc.edit("on site", T0 + 2, on_site).unwrap().unwrap();
    let wang = peer("wang", Role::Technician);
    let r = sync(&mut store, &wang, vec![entry(&[&first]), entry(&[&second])]);
    assert!(r.refused.is_empty() && r.needs_repair.is_empty(), "{r:?}");
    // Both changes are in the stored job, not only the last entry's.
    let stored = JobDoc::load(store.doc_bytes(DOC).unwrap())
        .unwrap()
        .job()
        .unwrap();
    let ids: Vec<&str> = stored.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["r", "a", "o"]);
}

#[test]
fn an_actor_belongs_to_the_device_that_first_used_it() {
    let mut store = seeded();
    let shared = ActorId::random();
    let mut doc = JobDoc::load(store.doc_bytes(DOC).unwrap()).unwrap();
    doc.set_actor(shared.clone());
    let accept = |j: &mut Job| {
        j.events
            .push(event("a", EventKind::Accepted, T0 + 1, "wang"))
    };
    let mine = doc.edit("accept", T0 + 1, accept).unwrap().unwrap();
    let phone = peer("wang", Role::Technician);
    assert!(
        sync(&mut store, &phone, vec![entry(&[&mine])])
            .refused
            .is_empty()
    );
    // The same account on another phone, with the first phone's actor: refused.
    let tablet = Peer {
        device_id: "wang-tablet".into(),
        ..phone.clone()
    };
    let on_site = |j: &mut Job| j.events.push(event("o", EventKind::OnSite, T0 + 2, "wang"));
    let taken = doc.edit("on site", T0 + 2, on_site).unwrap().unwrap();
    let r = sync(&mut store, &tablet, vec![entry(&[&taken])]);
    assert_eq!(r.refused.len(), 1, "{r:?}");
    assert_eq!(r.refused[0].code, "actor_taken");
    // Its own phone goes on with the next sequence number.
    assert!(
        sync(&mut store, &phone, vec![entry(&[&taken])])
            .refused
            .is_empty()
    );
}

/// A job a technician opens on site: one addition, judged whole.
#[test]
fn a_job_made_on_a_device_is_judged_as_one_addition() {
    let doc_id = "00000000-0000-4000-8000-0000000000c2";
    let wang = peer("wang", Role::Technician);
    let honest = || Job {
        id: doc_id.into(),
        origin: "onsite".into(),
        reported_at: T0,
        assignee: Some("wang".into()),
        events: vec![
            event("r", EventKind::Reported, T0, "wang"),
            event("s", EventKind::Assigned, T0, "wang"),
        ],
        ..Job::default()
    };
    type Forge = fn(&mut Job);
    let cases: [(&str, Forge, Option<&str>); 7] = [
        ("honest", |_| {}, None),
        (
            "for someone else",
            |j| j.assignee = Some("li".into()),
            Some("not_assigned"),
        ),
        (
            "already approved",
            |j| {
                j.reviews.push(onsite_domain::ReviewDecision {
                    id: "v".into(),
                    decision: onsite_domain::Decision::Approved,
                    comment: String::new(),
                    at: T0,
                    by: "wang".into(),
                })
            },
            Some("review"),
        ),
        (
            "classified",
            |j| j.feedback_category = Some("product".into()),
            Some("classification"),
        ),
        (
            "in another's name",
            |j| j.events[0].by = "li".into(),
            Some("impersonation"),
        ),
        (
            "cancelled",
            |j| j.events.push(event("c", EventKind::Cancelled, T0, "wang")),
            Some("event_kind"),
        ),
        (
            "a callback form",
            |j| {
                j.forms.insert(
                    "f".into(),
                    onsite_domain::Form {
                        id: "f".into(),
                        template_id: "csat-onsite".into(),
                        template_version: 1,
                        respondent: "callback".into(),
                        answers: Default::default(),
                        suggestion: Default::default(),
                        submitted_at: Some(T0),
                        by: "wang".into(),
                    },
                );
            },
            Some("callback"),
        ),
    ];
    for (what, forge, code) in cases {
        let mut store = MemoryServerStore::new("epoch");
        let mut job = honest();
        forge(&mut job);
        let (_, change) = JobDoc::create(&job, ActorId::random(), T0).unwrap();
        let mut upload = entry(&[&change]);
        upload.doc = doc_id.into();
        let r = sync(&mut store, &wang, vec![upload]);
        let got = r.refused.first().map(|r| r.code.as_str());
        assert_eq!(got, code, "{what}: {r:?}");
        assert_eq!(store.doc_bytes(doc_id).is_some(), code.is_none(), "{what}");
    }
}

/// A key the job schema does not have is refused wherever it is, also in a new job.
#[test]
fn unknown_keys_are_refused_in_a_new_job_too() {
    use automerge::transaction::Transactable;
    let doc_id = "00000000-0000-4000-8000-0000000000c3";
    let job = Job {
        id: doc_id.into(),
        origin: "onsite".into(),
        reported_at: T0,
        assignee: Some("wang".into()),
        ..Job::default()
    };
    let (mut doc, _) = JobDoc::create(&job, ActorId::random(), T0).unwrap();
    let am = doc.automerge();
    am.put(automerge::ROOT, "evil", "x".repeat(1_000)).unwrap();
    let whole = am.save();
    let mut store = MemoryServerStore::new("epoch");
    let upload = DocChanges {
        doc: doc_id.into(),
        changes: vec![],
        whole: Some(ByteBuf::from(whole)),
    };
    let r = sync(&mut store, &peer("wang", Role::Technician), vec![upload]);
    assert_eq!(r.refused.len(), 1, "{r:?}");
    assert_eq!(r.refused[0].code, "unknown_field");
    assert!(store.doc_bytes(doc_id).is_none());
}
