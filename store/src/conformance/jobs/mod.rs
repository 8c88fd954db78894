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

mod detail;
mod documents;
mod lists;

pub use detail::*;
pub use documents::*;
pub use lists::*;

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
