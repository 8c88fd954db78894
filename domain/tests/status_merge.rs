#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Status derivation when replicas edit the same job apart and then merge.

use automerge::ActorId;
use onsite_domain::{
    Actor, Decision, Event, EventKind, Job, JobDoc, ReviewDecision, ReviewState, Role, Status,
    check_write, derive_review, derive_status, forms,
};

const T0: i64 = 1_700_000_000_000;

fn event(id: &str, kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: id.into(),
        kind,
        at,
        by: by.into(),
    }
}

fn assigned_job() -> JobDoc {
    let job = Job {
        id: "job".into(),
        origin: "hotline".into(),
        assignee: Some("tech".into()),
        events: vec![event("r", EventKind::Reported, T0, "office")],
        ..Job::default()
    };
    JobDoc::create(&job, ActorId::random(), T0).unwrap().0
}

fn fork(doc: &JobDoc) -> JobDoc {
    let mut copy = doc.clone();
    copy.set_actor(ActorId::random());
    copy
}

fn merge(into: &mut JobDoc, from: &mut JobDoc) {
    let changes = from.changes_since(&[]);
    into.apply_changes(changes).unwrap();
}

#[test]
fn concurrent_arrived_and_completed_give_completed_everywhere() {
    let mut a = assigned_job();
    let mut b = fork(&a);
    a.edit("arrive", T0 + 10, |j| {
        j.events
            .push(event("a1", EventKind::OnSite, T0 + 10, "tech"))
    })
    .unwrap();
    b.edit("complete", T0 + 5, |j| {
        j.events
            .push(event("b1", EventKind::Completed, T0 + 5, "tech"))
    })
    .unwrap();
    let (mut a2, mut b2) = (a.clone(), b.clone());
    merge(&mut a2, &mut b);
    merge(&mut b2, &mut a);
    let (ja, jb) = (a2.job().unwrap(), b2.job().unwrap());
    assert_eq!(ja, jb, "replicas that exchanged the same changes agree");
    assert_eq!(ja.events.len(), 3, "both concurrent events survive");
    assert_eq!(derive_status(&ja), Status::Completed);
}

#[test]
fn status_follows_the_current_assignee_only() {
    let mut doc = assigned_job();
    doc.edit("accept", T0 + 1, |j| {
        j.events
            .push(event("e1", EventKind::Accepted, T0 + 1, "tech"))
    })
    .unwrap();
    assert_eq!(derive_status(&doc.job().unwrap()), Status::Accepted);
    doc.edit("reassign", T0 + 2, |j| j.assignee = Some("other".into()))
        .unwrap();
    assert_eq!(derive_status(&doc.job().unwrap()), Status::Assigned);
}

#[test]
fn completion_beats_concurrent_cancellation() {
    let mut a = assigned_job();
    let mut b = fork(&a);
    a.edit("cancel", T0 + 1, |j| {
        j.events
            .push(event("c", EventKind::Cancelled, T0 + 1, "office"))
    })
    .unwrap();
    b.edit("complete", T0 + 1, |j| {
        j.events
            .push(event("d", EventKind::Completed, T0 + 1, "tech"))
    })
    .unwrap();
    merge(&mut a, &mut b);
    assert_eq!(derive_status(&a.job().unwrap()), Status::Completed);
    let mut c = assigned_job();
    c.edit("cancel", T0 + 1, |j| {
        j.events
            .push(event("c", EventKind::Cancelled, T0 + 1, "office"))
    })
    .unwrap();
    assert_eq!(derive_status(&c.job().unwrap()), Status::Cancelled);
}

#[test]
fn returned_job_resubmitted_goes_back_to_pending() {
    let mut doc = assigned_job();
    doc.edit("complete", T0 + 1, |j| {
        j.events
            .push(event("d", EventKind::Completed, T0 + 1, "tech"))
    })
    .unwrap();
    assert_eq!(derive_review(&doc.job().unwrap()), ReviewState::Pending);
    doc.edit("return", T0 + 2, |j| {
        j.reviews.push(ReviewDecision {
            id: "r1".into(),
            decision: Decision::Returned,
            comment: "photo missing".into(),
            at: T0 + 2,
            by: "office".into(),
        })
    })
    .unwrap();
    assert_eq!(derive_review(&doc.job().unwrap()), ReviewState::Returned);
    doc.edit("resubmit", T0 + 3, |j| {
        j.events
            .push(event("d2", EventKind::Completed, T0 + 3, "tech"))
    })
    .unwrap();
    assert_eq!(derive_review(&doc.job().unwrap()), ReviewState::Pending);
}

#[test]
fn worked_example_of_domain_md() {
    use forms::Level::*;
    let mut levels = vec![VerySatisfied; 10];
    levels.extend([Satisfied; 5]);
    levels.extend([BasicallySatisfied; 6]);
    levels.extend([Dissatisfied; 3]);
    levels.push(VeryDissatisfied);
    let s = forms::satisfaction(levels).unwrap();
    assert_eq!(s.answered, 25);
    assert!((s.degree_pct - 76.0).abs() < 1e-9, "{}", s.degree_pct);
    assert!((s.rate_pct - 84.0).abs() < 1e-9, "{}", s.rate_pct);
    assert!((forms::overall(80.0, 70.0) - 74.0).abs() < 1e-9);
}

#[test]
fn technician_policy_judges_the_effect() {
    let tech = Actor {
        user_id: "tech".into(),
        role: Role::Technician,
    };
    let before = assigned_job().job().unwrap();
    let mut approve = before.clone();
    approve.reviews.push(ReviewDecision {
        id: "x".into(),
        decision: Decision::Approved,
        comment: String::new(),
        at: T0,
        by: "tech".into(),
    });
    assert_eq!(
        check_write(&tech, Some(&before), &approve)
            .unwrap_err()
            .code,
        "review"
    );
    let mut reassign = before.clone();
    reassign.assignee = Some("friend".into());
    assert_eq!(
        check_write(&tech, Some(&before), &reassign)
            .unwrap_err()
            .code,
        "reassign"
    );
    let mut deleted = before.clone();
    deleted.events.clear();
    assert_eq!(
        check_write(&tech, Some(&before), &deleted)
            .unwrap_err()
            .code,
        "timeline_rewritten"
    );
    let mut ok = before.clone();
    ok.events
        .push(event("e", EventKind::Accepted, T0 + 1, "tech"));
    check_write(&tech, Some(&before), &ok).unwrap();
    let other = Actor {
        user_id: "someone".into(),
        role: Role::Technician,
    };
    assert_eq!(
        check_write(&other, Some(&before), &ok).unwrap_err().code,
        "not_assigned"
    );
}
