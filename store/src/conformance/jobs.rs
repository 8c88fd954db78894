//! The jobs repository's contract, as tests over one unit of work: generic functions that
//! each backend runs on its own unit type with [`crate::unit_conformance_tests!`].
//!
//! Jobs get into the database the way the server puts them there: as writes committed
//! through the sync engine's `ServerStore::commit` on the same unit.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use automerge::ActorId;
use onsite_domain::{
    Answer, Customer, Decision, Event, EventKind, Form, Job, JobDoc, PartLine, Product,
    ReviewDecision, Role,
};
use onsite_sync::server::{DocWrite, NewChange, Peer, Received, ServerStore};

use super::{T, doc_id, office, peer, technician};
use crate::StoreError;
use crate::repo::accounts::{Accounts, NewAccount};
use crate::repo::jobs::{
    AnswerEntry, Clocks, DetailCustomer, DetailProduct, HistoryEntry, JobListFilter, JobState,
    JobSummary, Jobs, PartEntry, RegisteredProduct, ReviewEntry, ReviewFilter, ReviewRow,
    StoredDoc, TimelineEvent,
};
use crate::repo::reference::{CustomerRecord, ProductRecord, Reference};
use crate::report::Period;

const MINUTE: i64 = 60_000;
const DAY: i64 = 24 * 60 * MINUTE;
/// 2026-11-01 00:00 UTC: the first instant of November.
const NOVEMBER: i64 = 1_793_491_200_000;

fn event(id: &str, kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: id.into(),
        kind,
        at,
        by: by.into(),
    }
}

/// A job reported at `reported_at` by `office-1`, with what `shape` adds.
fn job(id: &str, reported_at: i64, shape: impl FnOnce(&mut Job)) -> Job {
    let mut job = Job {
        id: id.into(),
        origin: "hotline".into(),
        reported_at,
        customer: Customer {
            id: format!("cust-{id}"),
            name: format!("Customer {id}"),
            phone: "010-1".into(),
            address: "1 Road".into(),
            tier: "general".into(),
            region: "north".into(),
            site_distance: "near".into(),
        },
        product: Product {
            id: String::new(),
            model: "AC-1".into(),
            serial: format!("SN-{id}"),
            purchase_date: None,
        },
        events: vec![event(
            &format!("{id}-reported"),
            EventKind::Reported,
            reported_at,
            "office-1",
        )],
        ..Job::default()
    };
    shape(&mut job);
    job
}

/// Commits a new job as `by` uploads it, received at `received` with the device clock in
/// step; the document it was made from.
fn create<U>(unit: &mut U, by: &Peer, actor: &ActorId, job: &Job, received: i64) -> JobDoc
where
    U: ServerStore<Error = StoreError> + ?Sized,
{
    let (mut doc, change) = JobDoc::create(job, actor.clone(), job.reported_at).unwrap();
    let write = DocWrite {
        doc_id: job.id.clone(),
        job: doc.job().unwrap(),
        saved: doc.save(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor.clone()],
        received: Some(Received {
            at_ms: received,
            device_clock_ms: Some(received),
        }),
    };
    unit.commit(by, vec![write]).unwrap();
    doc
}

/// Commits an edit of `doc` made by `actor` (message `what`, at `at`), received as
/// `received` says.
#[allow(clippy::too_many_arguments)] // Each is one fact of the write under test.
fn edit<U>(
    unit: &mut U,
    by: &Peer,
    actor: &ActorId,
    doc: &mut JobDoc,
    what: &str,
    at: i64,
    received: Option<Received>,
    change: impl FnOnce(&mut Job),
) where
    U: ServerStore<Error = StoreError> + ?Sized,
{
    doc.set_actor(actor.clone());
    let c = doc.edit(what, at, change).unwrap().unwrap();
    let job = doc.job().unwrap();
    let write = DocWrite {
        doc_id: job.id.clone(),
        job,
        saved: doc.save(),
        changes: vec![NewChange {
            hash: c.hash(),
            bytes: c.raw_bytes().to_vec(),
        }],
        created: false,
        authored: vec![actor.clone()],
        received,
    };
    unit.commit(by, vec![write]).unwrap();
}

fn in_step(at_ms: i64) -> Option<Received> {
    Some(Received {
        at_ms,
        device_clock_ms: Some(at_ms),
    })
}

fn review(id: &str, decision: Decision, at: i64) -> ReviewDecision {
    ReviewDecision {
        id: id.into(),
        decision,
        comment: format!("{id} comment"),
        at,
        by: "office-1".into(),
    }
}

fn part(id: &str, at: i64, billable: bool) -> PartLine {
    PartLine {
        id: id.into(),
        sku: format!("SKU-{id}"),
        name: format!("Part {id}"),
        quantity: 2,
        unit_price_cents: 1250,
        billable,
        serials_removed: Vec::new(),
        serials_installed: Vec::new(),
        at,
        by: "tech-1".into(),
    }
}

fn form(id: &str, submitted_at: Option<i64>, answers: &[(&str, i64)]) -> Form {
    Form {
        id: id.into(),
        template_id: "csat-onsite".into(),
        template_version: 3,
        respondent: "survey".into(),
        answers: answers
            .iter()
            .map(|(item, points)| {
                (
                    (*item).to_string(),
                    Answer {
                        points: *points,
                        comment: format!("on {item}"),
                        at: T,
                    },
                )
            })
            .collect(),
        suggestion: "call first".into(),
        submitted_at,
        by: "tech-1".into(),
    }
}

fn ids_of_summaries(rows: &[JobSummary]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

fn ids_of_rows(page: &(Vec<ReviewRow>, u64)) -> (Vec<String>, u64) {
    (page.0.iter().map(|r| r.id.clone()).collect(), page.1)
}

fn ids(ns: &[u8]) -> Vec<String> {
    ns.iter().map(|&n| doc_id(n)).collect()
}

/// Five jobs the list tests share, newest report first:
/// 1. reported at T (30 Nov 20:00), tech-1, accepted, key, complaint, DAP;
/// 2. a day earlier, tech-2, completed (pending review), a form and two parts lines,
///    feedback `product`;
/// 3. as early as 2 (the id breaks the tie), unassigned (new), key, bought too long ago
///    for DAP;
/// 4. on the first instant of November, tech-1, completed and approved, feedback
///    `service`;
/// 5. on the last millisecond of October, unassigned, tier `gold`.
fn five_jobs<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + ?Sized,
{
    let actor = ActorId::random();
    let by = office();
    let j1 = job(&doc_id(1), T, |j| {
        j.origin = "complaint".into();
        j.complaint = true;
        j.customer.tier = "key".into();
        j.customer.region = "east".into();
        j.product.purchase_date = Some("2026-11-25".into());
        j.assignee = Some("tech-1".into());
        j.events.push(event(
            "1-accepted",
            EventKind::Accepted,
            T + MINUTE,
            "tech-1",
        ));
    });
    let j2 = job(&doc_id(2), T - DAY, |j| {
        j.assignee = Some("tech-2".into());
        j.product.model = "AC-2".into();
        j.feedback_category = Some("product".into());
        j.events.push(event(
            "2-completed",
            EventKind::Completed,
            T - DAY + 90 * MINUTE,
            "tech-2",
        ));
        j.forms
            .insert("f".into(), form("f", Some(T - DAY), &[("overall", 8)]));
        j.parts.insert("a".into(), part("a", T - DAY, true));
        j.parts.insert("b".into(), part("b", T - DAY, false));
    });
    let j3 = job(&doc_id(3), T - DAY, |j| {
        j.customer.tier = "key".into();
        j.product.purchase_date = Some("2026-10-01".into());
    });
    let j4 = job(&doc_id(4), NOVEMBER, |j| {
        j.assignee = Some("tech-1".into());
        j.feedback_category = Some("service".into());
        j.events.push(event(
            "4-completed",
            EventKind::Completed,
            NOVEMBER + DAY,
            "tech-1",
        ));
        j.reviews
            .push(review("4-ok", Decision::Approved, NOVEMBER + 2 * DAY));
    });
    let j5 = job(&doc_id(5), NOVEMBER - 1, |j| {
        j.customer.tier = "gold".into()
    });
    // Committed out of order: the lists order them, not the insertion.
    for j in [&j3, &j5, &j1, &j4, &j2] {
        create(unit, &by, &actor, j, j.reported_at);
    }
}

pub fn a_stored_job_loads_and_an_unknown_one_is_none<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let stored = job(&id, T, |j| j.labour_minutes = 30);
    create(unit, &office(), &ActorId::random(), &stored, T);
    match unit.job_doc(&id).unwrap() {
        Some(StoredDoc::Loaded(doc)) => {
            let mut expected = stored.clone();
            expected.schema_version = onsite_domain::job::SCHEMA_VERSION;
            assert_eq!(doc.job().unwrap(), expected);
        }
        other => panic!("expected the loaded document, got {other:?}"),
    }
    assert!(unit.job_doc(&doc_id(2)).unwrap().is_none());
}

/// Bytes that do not load are the caller's to set aside, not a failure of the storage.
pub fn a_document_whose_bytes_do_not_load_is_unusable<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let actor = ActorId::random();
    let (doc, change) = JobDoc::create(&job(&id, T, |_| {}), actor.clone(), T).unwrap();
    let write = DocWrite {
        doc_id: id.clone(),
        job: doc.job().unwrap(),
        saved: b"these bytes are not an automerge document".to_vec(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor],
        received: in_step(T),
    };
    unit.commit(&office(), vec![write]).unwrap();
    match unit.job_doc(&id).unwrap() {
        Some(StoredDoc::Unusable(why)) => assert!(!why.is_empty()),
        other => panic!("expected an unusable document, got {other:?}"),
    }
    // The query tables were written from the typed job all the same.
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(JobState {
            status: "new".into(),
            review_state: "not_submitted".into(),
            assignee: None,
        })
    );
}

pub fn quarantined_jobs_are_listed_latest_first_with_their_reason<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let (a, b) = (doc_id(1), doc_id(2));
    for id in [&a, &b] {
        create(unit, &office(), &ActorId::random(), &job(id, T, |_| {}), T);
    }
    assert!(unit.quarantined(&a).unwrap().is_none());
    assert!(unit.quarantined_jobs().unwrap().is_empty());

    let before = unit.now_ms() / 1000;
    unit.quarantine(&a, "first reason").unwrap();
    // Set aside again: the latest reason and time are kept.
    unit.quarantine(&a, "bytes do not load").unwrap();
    // A second apart (times are whole seconds), so that the latest is the higher id.
    super::until_the_next_second();
    unit.quarantine(&b, "unreadable").unwrap();
    let after = unit.now_ms() / 1000;

    let qa = unit.quarantined(&a).unwrap().unwrap();
    let qb = unit.quarantined(&b).unwrap().unwrap();
    assert_eq!(
        (qa.doc_id.as_str(), qa.reason.as_str()),
        (a.as_str(), "bytes do not load")
    );
    assert_eq!(
        (qb.doc_id.as_str(), qb.reason.as_str()),
        (b.as_str(), "unreadable")
    );
    assert!(
        (before..qb.at).contains(&qa.at),
        "{qa:?} from {before}, before {qb:?}"
    );
    assert!(qb.at <= after, "{qb:?} by {after}");
    assert!(unit.quarantined(&doc_id(3)).unwrap().is_none());
    assert_eq!(unit.quarantined_jobs().unwrap(), vec![qb, qa]);
}

pub fn the_job_state_follows_the_timeline_and_the_assignment<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let actor = ActorId::random();
    let id = doc_id(1);
    let mut doc = create(unit, &office(), &actor, &job(&id, T, |_| {}), T);
    let state = |status: &str, review: &str, assignee: Option<&str>| JobState {
        status: status.into(),
        review_state: review.into(),
        assignee: assignee.map(Into::into),
    };
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("new", "not_submitted", None))
    );
    edit(
        unit,
        &office(),
        &actor,
        &mut doc,
        "assign",
        T + MINUTE,
        None,
        |j| {
            j.assignee = Some("tech-1".into());
        },
    );
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("assigned", "not_submitted", Some("tech-1")))
    );
    let phone = ActorId::random();
    edit(
        unit,
        &technician("tech-1"),
        &phone,
        &mut doc,
        "complete",
        T + 60 * MINUTE,
        in_step(T + 61 * MINUTE),
        |j| {
            j.events
                .push(event("a", EventKind::Accepted, T + 2 * MINUTE, "tech-1"));
            j.events
                .push(event("c", EventKind::Completed, T + 60 * MINUTE, "tech-1"));
        },
    );
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("completed", "pending", Some("tech-1")))
    );
    edit(
        unit,
        &office(),
        &actor,
        &mut doc,
        "review",
        T + 70 * MINUTE,
        None,
        |j| {
            j.reviews
                .push(review("r", Decision::Returned, T + 70 * MINUTE))
        },
    );
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("completed", "returned", Some("tech-1")))
    );
    assert!(unit.job_state(&doc_id(2)).unwrap().is_none());
}

pub fn the_job_list_filters_and_pages_newest_report_first<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    assert!(
        unit.job_list(&JobListFilter {
            limit: 10,
            ..JobListFilter::default()
        })
        .unwrap()
        .is_empty()
    );
    five_jobs(unit);
    let list = |unit: &mut U, f: JobListFilter| ids_of_summaries(&unit.job_list(&f).unwrap());
    let all = JobListFilter {
        limit: 10,
        ..JobListFilter::default()
    };
    let rows = unit.job_list(&all).unwrap();
    assert_eq!(ids_of_summaries(&rows), ids(&[1, 2, 3, 4, 5]));
    assert_eq!(
        rows[0],
        JobSummary {
            id: doc_id(1),
            status: "accepted".into(),
            review_state: "not_submitted".into(),
            assignee: Some("tech-1".into()),
            customer_name: format!("Customer {}", doc_id(1)),
            product_model: "AC-1".into(),
            complaint: true,
            reported_at: T,
        }
    );
    assert_eq!(
        rows[1],
        JobSummary {
            id: doc_id(2),
            status: "completed".into(),
            review_state: "pending".into(),
            assignee: Some("tech-2".into()),
            customer_name: format!("Customer {}", doc_id(2)),
            product_model: "AC-2".into(),
            complaint: false,
            reported_at: T - DAY,
        }
    );
    assert_eq!(rows[4].assignee, None);
    assert_eq!(rows[4].reported_at, NOVEMBER - 1);

    let status = |s: &str| Some(s.to_string());
    assert_eq!(
        list(
            unit,
            JobListFilter {
                status: status("new"),
                ..all.clone()
            }
        ),
        ids(&[3, 5])
    );
    assert_eq!(
        list(
            unit,
            JobListFilter {
                status: status("completed"),
                ..all.clone()
            }
        ),
        ids(&[2, 4])
    );
    assert_eq!(
        list(
            unit,
            JobListFilter {
                review_state: status("approved"),
                ..all.clone()
            }
        ),
        ids(&[4])
    );
    assert_eq!(
        list(
            unit,
            JobListFilter {
                assignee: status("tech-1"),
                ..all.clone()
            }
        ),
        ids(&[1, 4])
    );
    assert_eq!(
        list(
            unit,
            JobListFilter {
                status: status("completed"),
                assignee: status("tech-1"),
                review_state: status("approved"),
                ..all.clone()
            }
        ),
        ids(&[4])
    );
    assert!(
        list(
            unit,
            JobListFilter {
                status: status("cancelled"),
                ..all.clone()
            }
        )
        .is_empty()
    );
    assert_eq!(
        list(
            unit,
            JobListFilter {
                limit: 2,
                offset: 1,
                ..all.clone()
            }
        ),
        ids(&[2, 3])
    );
    assert_eq!(
        list(
            unit,
            JobListFilter {
                offset: 4,
                ..all.clone()
            }
        ),
        ids(&[5])
    );
    assert!(
        list(
            unit,
            JobListFilter {
                offset: 5,
                ..all.clone()
            }
        )
        .is_empty()
    );
    assert!(
        list(
            unit,
            JobListFilter {
                limit: 0,
                ..all.clone()
            }
        )
        .is_empty()
    );
}

pub fn the_review_list_filters_counts_and_pages<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    five_jobs(unit);
    let all = ReviewFilter {
        limit: 10,
        ..ReviewFilter::default()
    };
    let page = unit.review_list(&all).unwrap();
    assert_eq!(ids_of_rows(&page), (ids(&[1, 2, 3, 4, 5]), 5));
    assert_eq!(
        page.0[0],
        ReviewRow {
            id: doc_id(1),
            status: "accepted".into(),
            review_state: "not_submitted".into(),
            assignee: Some("tech-1".into()),
            // No account of that id.
            assignee_name: None,
            customer_name: format!("Customer {}", doc_id(1)),
            customer_tier: "key".into(),
            customer_region: "east".into(),
            product_model: "AC-1".into(),
            complaint: true,
            dap: true,
            feedback_category: None,
            reported_at: T,
            completed_at: None,
            forms: 0,
            parts_lines: 0,
        }
    );
    assert_eq!(
        page.0[1],
        ReviewRow {
            id: doc_id(2),
            status: "completed".into(),
            review_state: "pending".into(),
            assignee: Some("tech-2".into()),
            assignee_name: None,
            customer_name: format!("Customer {}", doc_id(2)),
            customer_tier: "general".into(),
            customer_region: "north".into(),
            product_model: "AC-2".into(),
            complaint: false,
            dap: false,
            feedback_category: Some("product".into()),
            reported_at: T - DAY,
            completed_at: Some(T - DAY + 90 * MINUTE),
            forms: 1,
            parts_lines: 2,
        }
    );
    assert_eq!(
        (page.0[3].completed_at, page.0[3].review_state.as_str()),
        (Some(NOVEMBER + DAY), "approved")
    );

    let some = |s: &str| Some(s.to_string());
    let month = |m: &str| Some(Period::month(m).unwrap());
    let cases: Vec<(ReviewFilter, Vec<u8>, u64)> = vec![
        (
            ReviewFilter {
                limit: 2,
                offset: 1,
                ..all.clone()
            },
            vec![2, 3],
            5,
        ),
        (
            ReviewFilter {
                offset: 5,
                ..all.clone()
            },
            vec![],
            5,
        ),
        (
            ReviewFilter {
                limit: 0,
                ..all.clone()
            },
            vec![],
            5,
        ),
        (
            ReviewFilter {
                status: some("new"),
                ..all.clone()
            },
            vec![3, 5],
            2,
        ),
        (
            ReviewFilter {
                review_state: some("not_submitted"),
                ..all.clone()
            },
            vec![1, 3, 5],
            3,
        ),
        (
            ReviewFilter {
                review_state: some("pending"),
                ..all.clone()
            },
            vec![2],
            1,
        ),
        (
            ReviewFilter {
                technician: some("tech-1"),
                ..all.clone()
            },
            vec![1, 4],
            2,
        ),
        // From the first instant of the month, to its last (the next month's first is out).
        (
            ReviewFilter {
                period: month("2026-11"),
                ..all.clone()
            },
            vec![1, 2, 3, 4],
            4,
        ),
        (
            ReviewFilter {
                period: month("2026-10"),
                ..all.clone()
            },
            vec![5],
            1,
        ),
        (
            ReviewFilter {
                period: Some(
                    Period::parse(Some("2026-11-29"), Some("2026-11-29"), None)
                        .unwrap()
                        .unwrap(),
                ),
                ..all.clone()
            },
            vec![2, 3],
            2,
        ),
        (
            ReviewFilter {
                period: month("2026-12"),
                ..all.clone()
            },
            vec![],
            0,
        ),
        (
            ReviewFilter {
                complaint: Some(true),
                ..all.clone()
            },
            vec![1],
            1,
        ),
        (
            ReviewFilter {
                complaint: Some(false),
                ..all.clone()
            },
            vec![2, 3, 4, 5],
            4,
        ),
        (
            ReviewFilter {
                dap: Some(true),
                ..all.clone()
            },
            vec![1],
            1,
        ),
        (
            ReviewFilter {
                dap: Some(false),
                ..all.clone()
            },
            vec![2, 3, 4, 5],
            4,
        ),
        (
            ReviewFilter {
                feedback_category: some("service"),
                ..all.clone()
            },
            vec![4],
            1,
        ),
        (
            ReviewFilter {
                customer_tier: some("key"),
                ..all.clone()
            },
            vec![1, 3],
            2,
        ),
        (
            ReviewFilter {
                customer_tier: some("key"),
                status: some("new"),
                ..all.clone()
            },
            vec![3],
            1,
        ),
        // Every filter at once, and paging within them: the total counts past the page.
        (
            ReviewFilter {
                status: some("completed"),
                review_state: some("approved"),
                technician: some("tech-1"),
                period: month("2026-11"),
                complaint: Some(false),
                dap: Some(false),
                feedback_category: some("service"),
                customer_tier: some("general"),
                limit: 1,
                offset: 0,
            },
            vec![4],
            1,
        ),
        (
            ReviewFilter {
                period: month("2026-11"),
                limit: 1,
                offset: 3,
                ..all.clone()
            },
            vec![4],
            4,
        ),
    ];
    for (filter, expected, total) in cases {
        let got = ids_of_rows(&unit.review_list(&filter).unwrap());
        assert_eq!(got, (ids(&expected), total), "{filter:?}");
    }
}

pub fn the_review_detail_holds_parties_clocks_timeline_reviews_forms_and_parts<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let office_actor = ActorId::random();
    let phone = ActorId::random();
    let tech = technician("tech-1");
    let made = job(&id, T, |j| {
        j.customer = Customer {
            id: "c-1".into(),
            name: "Acme".into(),
            phone: "021-5".into(),
            address: "5 Lane".into(),
            tier: "key".into(),
            region: "south".into(),
            site_distance: "far".into(),
        };
        j.product = Product {
            id: "p-1".into(),
            model: "HX-9".into(),
            serial: "S-9".into(),
            // Ten days before the report: dead after purchase.
            purchase_date: Some("2026-11-20".into()),
        };
        j.assignee = Some("tech-1".into());
        j.events
            .push(event("e-assigned", EventKind::Assigned, T, "office-1"));
    });
    let mut doc = create(unit, &office(), &office_actor, &made, T);
    // Accepted ten minutes in, uploaded a minute later by a phone in step with the server.
    edit(
        unit,
        &tech,
        &phone,
        &mut doc,
        "accept",
        T + 10 * MINUTE,
        in_step(T + 11 * MINUTE),
        |j| {
            j.events.push(event(
                "e-accepted",
                EventKind::Accepted,
                T + 10 * MINUTE,
                "tech-1",
            ));
        },
    );
    // On site and diagnosed, uploaded by a phone whose clock is ten minutes behind.
    edit(
        unit,
        &tech,
        &phone,
        &mut doc,
        "diagnose",
        T + 90 * MINUTE,
        Some(Received {
            at_ms: T + 95 * MINUTE,
            device_clock_ms: Some(T + 85 * MINUTE),
        }),
        |j| {
            j.events.push(event(
                "e-on-site",
                EventKind::OnSite,
                T + 60 * MINUTE,
                "tech-1",
            ));
            j.events.push(event(
                "e-diagnosed",
                EventKind::Diagnosed,
                T + 90 * MINUTE,
                "tech-1",
            ));
        },
    );
    edit(
        unit,
        &tech,
        &phone,
        &mut doc,
        "complete",
        T + 120 * MINUTE,
        in_step(T + 121 * MINUTE),
        |j| {
            j.events.push(event(
                "e-repaired",
                EventKind::Repaired,
                T + 100 * MINUTE,
                "tech-1",
            ));
            j.events.push(event(
                "e-completed",
                EventKind::Completed,
                T + 120 * MINUTE,
                "tech-1",
            ));
            j.parts
                .insert("p-1".into(), part("p-1", T + 110 * MINUTE, true));
            j.parts
                .insert("p-2".into(), part("p-2", T + 100 * MINUTE, false));
            j.parts
                .insert("p-3".into(), part("p-3", T + 100 * MINUTE, true));
            // 5 points is no level of the scale: shown, but not counted.
            j.forms.insert(
                "f-a".into(),
                form(
                    "f-a",
                    Some(T + 115 * MINUTE),
                    &[("tidy", 4), ("overall", 10), ("speed", 6), ("extra", 5)],
                ),
            );
            j.forms.insert("f-b".into(), form("f-b", None, &[]));
            j.labour_minutes = 45;
        },
    );
    // The office returns the job, then approves it; classified on the way.
    edit(
        unit,
        &office(),
        &office_actor,
        &mut doc,
        "review",
        T + 180 * MINUTE,
        None,
        |j| {
            j.reviews
                .push(review("r-2", Decision::Approved, T + 180 * MINUTE));
            j.reviews
                .push(review("r-1", Decision::Returned, T + 150 * MINUTE));
            j.feedback_category = Some("service".into());
            j.responsible_department = Some("customer_service".into());
        },
    );

    let detail = unit.review_detail(&id).unwrap().unwrap();
    assert_eq!(
        (
            detail.id.as_str(),
            detail.status.as_str(),
            detail.review_state.as_str(),
            detail.assignee.as_deref(),
            detail.assignee_name.as_deref(),
            detail.origin.as_str(),
            detail.complaint,
            detail.dap,
        ),
        (
            id.as_str(),
            "completed",
            "approved",
            Some("tech-1"),
            None,
            "hotline",
            false,
            true
        )
    );
    assert_eq!(
        detail.customer,
        DetailCustomer {
            id: "c-1".into(),
            name: "Acme".into(),
            phone: "021-5".into(),
            tier: "key".into(),
            region: "south".into(),
            site_distance: "far".into(),
        }
    );
    assert_eq!(
        detail.product,
        DetailProduct {
            model: "HX-9".into(),
            serial: "S-9".into(),
            purchase_date: Some("2026-11-20".into()),
        }
    );
    assert_eq!(detail.reported_at, T);
    assert_eq!(detail.completed_at, Some(T + 120 * MINUTE));
    assert_eq!(detail.feedback_category.as_deref(), Some("service"));
    assert_eq!(
        detail.responsible_department.as_deref(),
        Some("customer_service")
    );
    assert_eq!(detail.labour_minutes, 45);
    assert_eq!(
        detail.clocks_ms,
        Clocks {
            response: Some(10 * MINUTE),
            arrival: Some(60 * MINUTE),
            diagnosis: Some(30 * MINUTE),
            handling: Some(10 * MINUTE),
        }
    );
    assert_eq!(detail.created_at, Some(T));
    assert_eq!(detail.time_flags, vec!["clock_off".to_string()]);

    let ev =
        |id: &str, kind: &str, at: i64, by: &str, received: i64, offset: i64, flags: &[&str]| {
            TimelineEvent {
                id: id.into(),
                kind: kind.into(),
                at,
                by: by.into(),
                by_name: None,
                received_at: Some(received),
                device_offset_ms: Some(offset),
                flags: flags.iter().map(|f| (*f).to_string()).collect(),
            }
        };
    let reported_id = format!("{id}-reported");
    assert_eq!(
        detail.timeline,
        vec![
            // Of one instant, in lifecycle order.
            ev(&reported_id, "reported", T, "office-1", T, 0, &[]),
            ev("e-assigned", "assigned", T, "office-1", T, 0, &[]),
            ev(
                "e-accepted",
                "accepted",
                T + 10 * MINUTE,
                "tech-1",
                T + 11 * MINUTE,
                0,
                &[]
            ),
            ev(
                "e-on-site",
                "on_site",
                T + 60 * MINUTE,
                "tech-1",
                T + 95 * MINUTE,
                10 * MINUTE,
                &["clock_off"]
            ),
            ev(
                "e-diagnosed",
                "diagnosed",
                T + 90 * MINUTE,
                "tech-1",
                T + 95 * MINUTE,
                10 * MINUTE,
                &["clock_off"]
            ),
            ev(
                "e-repaired",
                "repaired",
                T + 100 * MINUTE,
                "tech-1",
                T + 121 * MINUTE,
                0,
                &[]
            ),
            ev(
                "e-completed",
                "completed",
                T + 120 * MINUTE,
                "tech-1",
                T + 121 * MINUTE,
                0,
                &[]
            ),
        ]
    );
    assert_eq!(
        detail.reviews,
        vec![
            ReviewEntry {
                id: "r-1".into(),
                decision: "returned".into(),
                comment: "r-1 comment".into(),
                at: T + 150 * MINUTE,
                by: "office-1".into(),
            },
            ReviewEntry {
                id: "r-2".into(),
                decision: "approved".into(),
                comment: "r-2 comment".into(),
                at: T + 180 * MINUTE,
                by: "office-1".into(),
            },
        ]
    );
    let forms: Vec<_> = detail
        .forms
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.template_id.as_str(),
                f.template_version,
                f.respondent.as_str(),
                f.submitted_at,
                f.by.as_str(),
                f.suggestion.as_str(),
                f.degree_pct,
                f.rate_pct,
            )
        })
        .collect();
    // Over 10, 6 and 4 points: 20 of 30 (66.67 %), two of three basically satisfied.
    assert_eq!(
        forms,
        vec![
            (
                "f-a",
                "csat-onsite",
                3,
                "survey",
                Some(T + 115 * MINUTE),
                "tech-1",
                "call first",
                Some(66.67),
                Some(66.67)
            ),
            (
                "f-b",
                "csat-onsite",
                3,
                "survey",
                None,
                "tech-1",
                "call first",
                None,
                None
            ),
        ]
    );
    let answer = |item: &str, points: i64| AnswerEntry {
        item: item.into(),
        points,
        comment: format!("on {item}"),
    };
    assert_eq!(
        detail.forms[0].answers,
        vec![
            answer("extra", 5),
            answer("overall", 10),
            answer("speed", 6),
            answer("tidy", 4)
        ]
    );
    assert!(detail.forms[1].answers.is_empty());
    let line = |id: &str, at: i64, billable: bool| PartEntry {
        id: id.into(),
        sku: format!("SKU-{id}"),
        name: format!("Part {id}"),
        quantity: 2,
        unit_price_cents: 1250,
        billable,
        at,
        by: "tech-1".into(),
    };
    assert_eq!(
        detail.parts,
        vec![
            line("p-2", T + 100 * MINUTE, false),
            line("p-3", T + 100 * MINUTE, true),
            line("p-1", T + 110 * MINUTE, true),
        ]
    );
    assert!(unit.review_detail(&doc_id(2)).unwrap().is_none());
}

/// An unmeasured job: no clocks, no receipts to judge the device time by.
pub fn the_review_detail_of_a_job_just_reported_has_no_clocks<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let actor = ActorId::random();
    let (mut doc, change) = JobDoc::create(&job(&id, T, |_| {}), actor.clone(), T).unwrap();
    let write = DocWrite {
        doc_id: id.clone(),
        job: doc.job().unwrap(),
        saved: doc.save(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor],
        received: None,
    };
    unit.commit(&office(), vec![write]).unwrap();
    let detail = unit.review_detail(&id).unwrap().unwrap();
    assert_eq!(
        (
            detail.status.as_str(),
            detail.review_state.as_str(),
            detail.assignee.as_deref(),
            detail.completed_at,
            detail.created_at,
            detail.dap,
            detail.labour_minutes,
            detail.feedback_category.as_deref(),
            detail.responsible_department.as_deref(),
        ),
        (
            "new",
            "not_submitted",
            None,
            None,
            None,
            false,
            0,
            None,
            None
        )
    );
    assert_eq!(
        detail.clocks_ms,
        Clocks {
            response: None,
            arrival: None,
            diagnosis: None,
            handling: None,
        }
    );
    assert_eq!(detail.product.purchase_date, None);
    assert!(detail.time_flags.is_empty());
    assert_eq!(
        detail.timeline,
        vec![TimelineEvent {
            id: format!("{id}-reported"),
            kind: "reported".into(),
            at: T,
            by: "office-1".into(),
            by_name: None,
            received_at: None,
            device_offset_ms: None,
            flags: Vec::new(),
        }]
    );
    assert!(detail.reviews.is_empty() && detail.forms.is_empty() && detail.parts.is_empty());
}

pub fn the_history_names_who_uploaded_each_change<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let office_actor = ActorId::random();
    let phone = ActorId::random();
    let mut doc = create(unit, &office(), &office_actor, &job(&id, T, |_| {}), T);
    // Automerge keeps whole seconds: 61.5 s later reads as 61 s.
    edit(
        unit,
        &technician("tech-1"),
        &phone,
        &mut doc,
        "accept",
        T + 61_500,
        in_step(T + 62_000),
        |j| j.labour_minutes = 5,
    );
    // A change that never reached the server: no uploader.
    doc.set_actor(office_actor.clone());
    doc.edit("note", T + 120_000, |j| j.labour_minutes = 6)
        .unwrap()
        .unwrap();
    let changes = doc.changes_since(&[]);
    assert_eq!(changes.len(), 3);
    let hashes: Vec<String> = changes.iter().map(|c| c.hash().to_string()).collect();

    let history = unit.job_history(&mut doc).unwrap();
    let entry =
        |i: usize, actor: &ActorId, seq: u64, at: i64, what: &str, who: Option<(&str, &str)>| {
            HistoryEntry {
                hash: hashes[i].clone(),
                actor: actor.to_hex_string(),
                seq,
                at,
                what: Some(what.into()),
                user_id: who.map(|w| w.0.to_string()),
                user_name: None,
                device_id: who.map(|w| w.1.to_string()),
            }
        };
    assert_eq!(
        history,
        vec![
            entry(0, &office_actor, 1, T, "create", Some(("office-1", "pc-1"))),
            entry(
                1,
                &phone,
                1,
                T + 61_000,
                "accept",
                Some(("tech-1", "phone-of-tech-1"))
            ),
            entry(2, &office_actor, 2, T + 120_000, "note", None),
        ]
    );
    // A document of no stored job: every change is unknown to the feed.
    let (mut other, _) = JobDoc::create(&job(&doc_id(2), T, |_| {}), ActorId::random(), T).unwrap();
    let history = unit.job_history(&mut other).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].user_id.as_deref(),
            history[0].device_id.as_deref(),
            history[0].what.as_deref()
        ),
        (None, None, Some("create"))
    );
}

/// Names come from the accounts: the assignee's in the lists and the detail, each event's
/// author's in the timeline, each uploader's in the history.
pub fn names_come_from_the_accounts<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + Accounts + ?Sized,
{
    let account = |unit: &mut U, username: &str, name: &str, role: Role| {
        unit.create_account(&NewAccount {
            username: username.into(),
            display_name: name.into(),
            role,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        })
        .unwrap()
        .id
    };
    let wang = account(unit, "wang", "Wang Wei", Role::Technician);
    let li = account(unit, "li", "Li Na", Role::BackOffice);
    let id = doc_id(1);
    let office_actor = ActorId::random();
    let phone = ActorId::random();
    let desk = peer(&li, Role::BackOffice, "pc-li");
    let made = job(&id, T, |j| {
        j.events[0].by = li.clone();
        j.assignee = Some(wang.clone());
    });
    let mut doc = create(unit, &desk, &office_actor, &made, T);
    edit(
        unit,
        &peer(&wang, Role::Technician, "phone-wang"),
        &phone,
        &mut doc,
        "accept",
        T + MINUTE,
        in_step(T + MINUTE),
        |j| {
            j.events
                .push(event("acc", EventKind::Accepted, T + MINUTE, &wang))
        },
    );
    // A job assigned to someone with no account has no name.
    let ghost = job(&doc_id(2), T - DAY, |j| j.assignee = Some("nobody".into()));
    create(unit, &desk, &office_actor, &ghost, T);

    let (rows, total) = unit
        .review_list(&ReviewFilter {
            limit: 10,
            ..ReviewFilter::default()
        })
        .unwrap();
    assert_eq!(total, 2);
    let names: Vec<_> = rows
        .iter()
        .map(|r| (r.assignee.as_deref(), r.assignee_name.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![
            (Some(wang.as_str()), Some("Wang Wei")),
            (Some("nobody"), None)
        ]
    );

    let detail = unit.review_detail(&id).unwrap().unwrap();
    assert_eq!(detail.assignee_name.as_deref(), Some("Wang Wei"));
    let authors: Vec<_> = detail
        .timeline
        .iter()
        .map(|e| (e.by.as_str(), e.by_name.as_deref()))
        .collect();
    assert_eq!(
        authors,
        vec![
            (li.as_str(), Some("Li Na")),
            (wang.as_str(), Some("Wang Wei"))
        ]
    );

    let history = unit.job_history(&mut doc).unwrap();
    let who: Vec<_> = history
        .iter()
        .map(|h| {
            (
                h.user_id.as_deref(),
                h.user_name.as_deref(),
                h.device_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            (Some(li.as_str()), Some("Li Na"), Some("pc-li")),
            (Some(wang.as_str()), Some("Wang Wei"), Some("phone-wang")),
        ]
    );
}

pub fn registry_lookups_give_the_customer_and_the_product_as_a_job_copies_them<U>(unit: &mut U)
where
    U: Jobs + Reference + ?Sized,
{
    assert!(unit.registry_customer("c-1").unwrap().is_none());
    assert!(unit.registry_product("p-1").unwrap().is_none());
    for (id, name) in [("c-1", "Acme"), ("c-2", "Bolt")] {
        unit.create_customer(
            &CustomerRecord {
                id: id.into(),
                name: name.into(),
                phone: format!("021-{id}"),
                address: format!("{name} Street"),
                tier: "key".into(),
                region: "south".into(),
                site_distance: "far".into(),
                created_at: 0,
                updated_at: 0,
            },
            T,
        )
        .unwrap();
    }
    for (id, customer, bought) in [("p-1", "c-2", Some("2026-11-20")), ("p-2", "c-1", None)] {
        unit.create_product(
            &ProductRecord {
                id: id.into(),
                customer_id: customer.into(),
                model: format!("HX-{id}"),
                serial: format!("S-{id}"),
                purchase_date: bought.map(Into::into),
                created_at: 0,
                updated_at: 0,
            },
            T,
        )
        .unwrap();
    }
    assert_eq!(
        unit.registry_customer("c-2").unwrap(),
        Some(Customer {
            id: "c-2".into(),
            name: "Bolt".into(),
            phone: "021-c-2".into(),
            address: "Bolt Street".into(),
            tier: "key".into(),
            region: "south".into(),
            site_distance: "far".into(),
        })
    );
    assert_eq!(
        unit.registry_product("p-1").unwrap(),
        Some(RegisteredProduct {
            customer_id: "c-2".into(),
            product: Product {
                id: "p-1".into(),
                model: "HX-p-1".into(),
                serial: "S-p-1".into(),
                purchase_date: Some("2026-11-20".into()),
            },
        })
    );
    assert_eq!(
        unit.registry_product("p-2").unwrap(),
        Some(RegisteredProduct {
            customer_id: "c-1".into(),
            product: Product {
                id: "p-2".into(),
                model: "HX-p-2".into(),
                serial: "S-p-2".into(),
                purchase_date: None,
            },
        })
    );
    assert!(unit.registry_customer("c-3").unwrap().is_none());
    // Ids are not shared between the registries.
    assert!(unit.registry_product("c-1").unwrap().is_none());
    assert!(unit.registry_customer("p-1").unwrap().is_none());
}

/// The tests of this file, for [`crate::unit_conformance_tests!`].
#[macro_export]
#[doc(hidden)]
macro_rules! jobs_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; jobs;
            a_stored_job_loads_and_an_unknown_one_is_none,
            a_document_whose_bytes_do_not_load_is_unusable,
            quarantined_jobs_are_listed_latest_first_with_their_reason,
            the_job_state_follows_the_timeline_and_the_assignment,
            the_job_list_filters_and_pages_newest_report_first,
            the_review_list_filters_counts_and_pages,
            the_review_detail_holds_parties_clocks_timeline_reviews_forms_and_parts,
            the_review_detail_of_a_job_just_reported_has_no_clocks,
            the_history_names_who_uploaded_each_change,
            names_come_from_the_accounts,
            registry_lookups_give_the_customer_and_the_product_as_a_job_copies_them,
        );
    };
}
