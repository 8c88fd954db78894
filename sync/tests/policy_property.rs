#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The write policy as a property: random jobs, random edits by each role, each made the
//! way apps make them (a typed edit, reconciled into Automerge ops) and uploaded through the
//! server engine. The server's verdict must be exactly "this edit touches only what the
//! ownership table lets this role touch", computed here from the table's rows alone.
//!
//! `ONSITE_POLICY_SEED=n` replays one seed; `ONSITE_POLICY_CASES` sets how many run.

use std::collections::BTreeMap;

use automerge::ActorId;
use onsite_domain::policy::WORK_EVENTS;
use onsite_domain::policy::table::{Action, Part, Who, row};
use onsite_domain::{
    Answer, Customer, Decision, Event, EventKind, Form, Job, JobDoc, Note, PartLine, Product,
    ReviewDecision, Role,
};
use onsite_sync::memory::MemoryServerStore;
use onsite_sync::server::{Peer, handle};
use onsite_sync::wire::{DocChanges, Request, Response, SyncRequest};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_bytes::ByteBuf;

const DOC: &str = "00000000-0000-4000-8000-00000000000a";
const T0: i64 = 1_780_000_000_000;
const TECH: &str = "tech";
const OFFICE: &str = "office";
const OTHER: &str = "li";

fn peer(user: &str, role: Role) -> Peer {
    Peer {
        user_id: user.into(),
        role,
        device_id: format!("{user}-device"),
    }
}

fn actor_of(user: &str) -> ActorId {
    let mut bytes = [0u8; 16];
    bytes[..user.len().min(16)].copy_from_slice(&user.as_bytes()[..user.len().min(16)]);
    ActorId::from(&bytes[..])
}

fn push(store: &mut MemoryServerStore, who: &Peer, changes: Vec<automerge::Change>) -> Vec<String> {
    let request = Request::Sync(SyncRequest {
        push: vec![DocChanges {
            doc: DOC.into(),
            changes: changes
                .iter()
                .map(|c| ByteBuf::from(c.raw_bytes().to_vec()))
                .collect(),
            whole: None,
        }],
        pull: None,
        reference: None,
        clock: None,
    });
    match handle(store, who, request).unwrap() {
        Response::Sync(r) => r.refused.into_iter().map(|r| r.code).collect(),
        other => panic!("unexpected answer {other:?}"),
    }
}

fn id(rng: &mut ChaCha8Rng) -> String {
    format!("{:016x}", rng.random::<u64>())
}

fn event(rng: &mut ChaCha8Rng, kind: EventKind, by: &str) -> Event {
    Event {
        id: id(rng),
        kind,
        at: T0 + rng.random_range(0..1_000_000),
        by: by.into(),
    }
}

fn note(rng: &mut ChaCha8Rng, by: &str) -> Note {
    let mut note = Note {
        id: id(rng),
        text: Default::default(),
        at: T0,
        by: by.into(),
    };
    note.text.update("checked the fan");
    note
}

fn line(rng: &mut ChaCha8Rng, by: &str) -> PartLine {
    PartLine {
        id: id(rng),
        sku: "RLY-12".into(),
        name: "relay".into(),
        quantity: rng.random_range(1..5),
        unit_price_cents: 1_200,
        billable: false,
        serials_removed: vec![],
        serials_installed: vec![],
        at: T0,
        by: by.into(),
    }
}

fn form(rng: &mut ChaCha8Rng, by: &str, respondent: &str, submitted: bool) -> Form {
    let mut answers = BTreeMap::new();
    answers.insert(
        "overall".to_string(),
        Answer {
            points: 8,
            comment: String::new(),
            at: T0,
        },
    );
    Form {
        id: id(rng),
        template_id: "csat-onsite".into(),
        template_version: 1,
        respondent: respondent.into(),
        answers,
        suggestion: Default::default(),
        submitted_at: submitted.then_some(T0),
        by: by.into(),
    }
}

/// A random job, assigned to TECH: the office's part made by the office, the technician's
/// part by the technician, both accepted by the server.
fn seeded_store(rng: &mut ChaCha8Rng) -> MemoryServerStore {
    let mut store = MemoryServerStore::new("epoch");
    let mut job = Job {
        id: DOC.into(),
        origin: "hotline".into(),
        complaint: rng.random_bool(0.3),
        reported_at: T0,
        customer: Customer {
            name: "Zhou".into(),
            tier: "key".into(),
            site_distance: "near".into(),
            ..Customer::default()
        },
        product: Product {
            model: "AC-110".into(),
            serial: "SN1".into(),
            ..Product::default()
        },
        assignee: Some(TECH.into()),
        events: vec![
            event(rng, EventKind::Reported, OFFICE),
            event(rng, EventKind::Assigned, OFFICE),
        ],
        ..Job::default()
    };
    job.fault.update("no cooling");
    for _ in 0..rng.random_range(0..3) {
        let n = note(rng, OFFICE);
        job.notes.insert(n.id.clone(), n);
    }
    for _ in 0..rng.random_range(0..2) {
        let l = line(rng, TECH);
        job.parts.insert(l.id.clone(), l);
    }
    if rng.random_bool(0.5) {
        job.reviews.push(ReviewDecision {
            id: id(rng),
            decision: Decision::Returned,
            comment: "photo missing".into(),
            at: T0,
            by: OFFICE.into(),
        });
    }
    let (_, change) = JobDoc::create(&job, actor_of(OFFICE), T0).unwrap();
    assert_eq!(
        push(&mut store, &peer(OFFICE, Role::BackOffice), vec![change]),
        Vec::<String>::new()
    );
    let mut doc = JobDoc::load(store.doc_bytes(DOC).unwrap()).unwrap();
    doc.set_actor(actor_of(TECH));
    let mut tech_part = |job: &mut Job| {
        job.events.push(event(rng, EventKind::Accepted, TECH));
        for _ in 0..rng.random_range(1..3) {
            let n = note(rng, TECH);
            job.notes.insert(n.id.clone(), n);
        }
        for _ in 0..rng.random_range(1..3) {
            let respondent = *["survey", "self"].choose(rng).unwrap();
            let submitted = rng.random_bool(0.5);
            let f = form(rng, TECH, respondent, submitted);
            job.forms.insert(f.id.clone(), f);
        }
    };
    let change = doc.edit("work", T0, &mut tech_part).unwrap().unwrap();
    assert_eq!(
        push(&mut store, &peer(TECH, Role::Technician), vec![change]),
        Vec::<String>::new()
    );
    store
}

/// One edit: what it does to the job, and what it touches for the table.
struct Edit {
    what: String,
    touch: Touch,
    apply: Box<dyn FnOnce(&mut Job)>,
}

/// What an edit touches, with what the table needs to decide.
struct Touch {
    part: Part,
    action: Action,
    /// Whose entry an edit of an existing entry changes, and whether a form is open.
    owner: Option<(String, bool)>,
    /// Extra rules of additions: the new entry's `by`, and whether its kind is one the
    /// role may add.
    added_by: Option<String>,
    kind_ok: bool,
}

fn touch(part: Part, action: Action) -> Touch {
    Touch {
        part,
        action,
        owner: None,
        added_by: None,
        kind_ok: true,
    }
}

/// The verdict the table gives, computed from its row alone.
fn allowed(role: Role, me: &str, t: &Touch) -> bool {
    let row = row(t.part);
    let rights = match role {
        Role::BackOffice => &row.back_office,
        Role::Technician => &row.technician,
        Role::Admin => return false,
    };
    let who = match t.action {
        Action::Add => rights.add,
        Action::Edit => rights.edit,
        Action::Delete => rights.delete,
    };
    let by_ok = t
        .added_by
        .as_deref()
        .is_none_or(|by| by == me || who == Who::Any);
    let table_ok = match who {
        Who::Nobody => false,
        Who::Any => true,
        Who::Own | Who::OwnOpen if t.action == Action::Add && t.owner.is_none() => true,
        Who::Own => t.owner.as_ref().is_some_and(|(o, _)| o == me),
        Who::OwnOpen => t.owner.as_ref().is_some_and(|(o, open)| o == me && *open),
    };
    table_ok && by_ok && t.kind_ok
}

fn random_edit(rng: &mut ChaCha8Rng, job: &Job, role: Role) -> Option<Edit> {
    let pick_by = |rng: &mut ChaCha8Rng, me: &str| {
        if rng.random_bool(0.7) {
            me.to_string()
        } else {
            OTHER.to_string()
        }
    };
    let me = if role == Role::Technician {
        TECH
    } else {
        OFFICE
    };
    let edit = |what: &str, touch: Touch, apply: Box<dyn FnOnce(&mut Job)>| {
        Some(Edit {
            what: what.into(),
            touch,
            apply,
        })
    };
    match rng.random_range(0..20) {
        0 => edit(
            "reassign",
            touch(Part::Assignee, Action::Edit),
            Box::new(|j| j.assignee = Some(OTHER.into())),
        ),
        1 => edit(
            "complaint",
            touch(Part::Complaint, Action::Edit),
            Box::new(|j| j.complaint = !j.complaint),
        ),
        2 => edit(
            "reported_at",
            touch(Part::ReportedAt, Action::Edit),
            Box::new(|j| j.reported_at += 3_600_000),
        ),
        3 => edit(
            "customer phone",
            touch(Part::Customer, Action::Edit),
            Box::new(|j| j.customer.phone = "555-0100".into()),
        ),
        4 => edit(
            "purchase date",
            touch(Part::Product, Action::Edit),
            Box::new(|j| j.product.purchase_date = Some("2026-01-02".into())),
        ),
        5 => edit(
            "classify",
            touch(Part::Classification, Action::Edit),
            Box::new(|j| j.feedback_category = Some("service".into())),
        ),
        6 => edit(
            "diagnosis",
            touch(Part::Diagnosis, Action::Edit),
            Box::new(|j| j.diagnosis.update("relay burnt")),
        ),
        7 => edit(
            "labour",
            touch(Part::LabourMinutes, Action::Edit),
            Box::new(|j| j.labour_minutes += 15),
        ),
        8 => {
            let kind = *EventKind::ALL.choose(rng).unwrap();
            let by = pick_by(rng, me);
            let e = event(rng, kind, &by);
            let mut t = touch(Part::Events, Action::Add);
            t.added_by = Some(by);
            t.kind_ok = role != Role::Technician || WORK_EVENTS.contains(&kind);
            edit(
                &format!("event {}", kind.as_str()),
                t,
                Box::new(move |j| j.events.push(e)),
            )
        }
        9 => {
            let i = rng.random_range(0..job.events.len());
            edit(
                "event time",
                touch(Part::Events, Action::Edit),
                Box::new(move |j| j.events[i].at += 1),
            )
        }
        10 => {
            let i = rng.random_range(0..job.events.len());
            edit(
                "remove event",
                touch(Part::Events, Action::Delete),
                Box::new(move |j| {
                    j.events.remove(i);
                }),
            )
        }
        11 => {
            let by = pick_by(rng, me);
            let r = ReviewDecision {
                id: id(rng),
                decision: Decision::Approved,
                comment: String::new(),
                at: T0 + 9,
                by: by.clone(),
            };
            let mut t = touch(Part::Reviews, Action::Add);
            t.added_by = Some(by);
            edit("review", t, Box::new(move |j| j.reviews.push(r)))
        }
        12 => {
            let (nid, n) = job
                .notes
                .iter()
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|(k, v)| ((*k).clone(), (*v).clone()))?;
            let mut t = touch(Part::NoteText, Action::Edit);
            t.owner = Some((n.by.clone(), true));
            edit(
                "note text",
                t,
                Box::new(move |j| {
                    if let Some(n) = j.notes.get_mut(&nid) {
                        n.text.update("checked the fan twice");
                    }
                }),
            )
        }
        13 => {
            let nid = job
                .notes
                .keys()
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|k| (*k).clone())?;
            edit(
                "remove note",
                touch(Part::Notes, Action::Delete),
                Box::new(move |j| {
                    j.notes.remove(&nid);
                }),
            )
        }
        14 => {
            let by = pick_by(rng, me);
            let n = note(rng, &by);
            let mut t = touch(Part::Notes, Action::Add);
            t.added_by = Some(by);
            edit(
                "note",
                t,
                Box::new(move |j| {
                    j.notes.insert(n.id.clone(), n);
                }),
            )
        }
        15 => {
            let by = pick_by(rng, me);
            let l = line(rng, &by);
            let mut t = touch(Part::Parts, Action::Add);
            t.added_by = Some(by);
            edit(
                "parts line",
                t,
                Box::new(move |j| {
                    j.parts.insert(l.id.clone(), l);
                }),
            )
        }
        16 => {
            let pid = job
                .parts
                .keys()
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|k| (*k).clone())?;
            edit(
                "parts quantity",
                touch(Part::Parts, Action::Edit),
                Box::new(move |j| {
                    if let Some(p) = j.parts.get_mut(&pid) {
                        p.quantity += 1;
                    }
                }),
            )
        }
        17 => {
            let by = pick_by(rng, me);
            let respondent = *["survey", "self", "callback"].choose(rng).unwrap();
            let f = form(rng, &by, respondent, false);
            let mut t = touch(Part::Forms, Action::Add);
            t.added_by = Some(by);
            t.kind_ok = role != Role::Technician || respondent != "callback";
            edit(
                &format!("{respondent} form"),
                t,
                Box::new(move |j| {
                    j.forms.insert(f.id.clone(), f);
                }),
            )
        }
        18 => {
            let (fid, f) = job
                .forms
                .iter()
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|(k, v)| ((*k).clone(), (*v).clone()))?;
            let item = *["overall", "quality"].choose(rng).unwrap();
            let action = if f.answers.contains_key(item) {
                Action::Edit
            } else {
                Action::Add
            };
            let mut t = touch(Part::FormAnswers, action);
            t.owner = Some((
                f.by.clone(),
                f.submitted_at.is_none() && f.respondent != "callback",
            ));
            edit(
                "answer",
                t,
                Box::new(move |j| {
                    if let Some(f) = j.forms.get_mut(&fid) {
                        f.answers.insert(
                            item.into(),
                            Answer {
                                points: 4,
                                comment: "late".into(),
                                at: T0 + 5,
                            },
                        );
                    }
                }),
            )
        }
        _ => {
            let fid = job
                .forms
                .keys()
                .collect::<Vec<_>>()
                .choose(rng)
                .map(|k| (*k).clone())?;
            edit(
                "remove form",
                touch(Part::Forms, Action::Delete),
                Box::new(move |j| {
                    j.forms.remove(&fid);
                }),
            )
        }
    }
}

#[test]
fn the_servers_verdict_is_the_ownership_table() {
    let cases: u64 = std::env::var("ONSITE_POLICY_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let seeds: Vec<u64> = match std::env::var("ONSITE_POLICY_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(seed) => vec![seed],
        None => (0..cases).collect(),
    };
    let (mut accepted, mut refused) = (0, 0);
    for seed in seeds {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut store = seeded_store(&mut rng);
        let role = if rng.random_bool(0.5) {
            Role::Technician
        } else {
            Role::BackOffice
        };
        let me = if role == Role::Technician {
            TECH
        } else {
            OFFICE
        };
        let mut doc = JobDoc::load(store.doc_bytes(DOC).unwrap()).unwrap();
        doc.set_actor(actor_of(me));
        let before = doc.job().unwrap();
        let Some(edit) = random_edit(&mut rng, &before, role) else {
            continue;
        };
        let expected = allowed(role, me, &edit.touch);
        let apply = edit.apply;
        let Some(change) = doc.edit(&edit.what, T0 + 10, apply).unwrap() else {
            continue;
        };
        let codes = push(&mut store, &peer(me, role), vec![change]);
        assert_eq!(
            codes.is_empty(),
            expected,
            "seed {seed}: {} by {} — the table says {}, the server answered {codes:?}",
            edit.what,
            role.as_str(),
            if expected { "allowed" } else { "refused" },
        );
        if expected {
            accepted += 1
        } else {
            refused += 1
        }
    }
    // Both verdicts must occur, or the property says nothing.
    assert!(
        accepted > 20 && refused > 20,
        "{accepted} accepted, {refused} refused"
    );
}
