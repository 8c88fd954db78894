//! The reports repository's contract, as tests over one unit of work: generic functions that
//! each backend runs on its own unit type with [`crate::unit_conformance_tests!`].
//!
//! The jobs are committed through [`ServerStore::commit`], so that each backend's projection
//! fills the query tables the reports read; the figures are worked out by hand.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use std::collections::BTreeMap;

use automerge::ActorId;
use onsite_domain::forms::DEFAULT_TEMPLATE_ITEMS;
use onsite_domain::service::Targets;
use onsite_domain::survey::Round;
use onsite_domain::{Answer, Customer, Event, EventKind, Form, Job, JobDoc, PartLine, Product};
use onsite_sync::server::{DocWrite, NewChange, Received, ServerStore};

use super::{edited, office};
use crate::repo::Reports;
use crate::report::Period;
use crate::report::callback::{self, CallbackCandidate};
use crate::report::corrective::{self as co, VERIFICATION_REQUIRED};
use crate::report::parts::{Batch, Consumption, NewBatch, Remaining};
use crate::report::routine::{
    DUPLICATE_RESPONSE, Response, SURVEY_EXISTS, SubjectTotals, Survey, SurveyTotals,
};
use crate::report::satisfaction::{Filter, Group, Sums, Totals};
use crate::report::service_levels::{self as sla, FlagCounts, Levels, LevelsQuery, Met};
use crate::{RepoError, StoreError};

const H: i64 = 3_600_000;
const MIN: i64 = 60_000;

fn ms(date: &str, hour: u32) -> i64 {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn month(m: &str) -> Period {
    Period::month(m).unwrap()
}

fn period(from: &str, to: &str) -> Period {
    Period::parse(Some(from), Some(to), None).unwrap().unwrap()
}

fn sums(answered: u64, points: i64, satisfied: u64) -> Sums {
    Sums {
        answered,
        points,
        satisfied,
    }
}

fn totals(self_assessment: Sums, survey: Sums) -> Totals {
    Totals {
        self_assessment,
        survey,
    }
}

fn job(id: &str, tech: &str, tier: &str, model: &str, region: &str, reported: i64) -> Job {
    Job {
        id: id.into(),
        origin: "hotline".into(),
        reported_at: reported,
        customer: Customer {
            name: format!("customer {id}"),
            tier: tier.into(),
            region: region.into(),
            site_distance: "near".into(),
            ..Customer::default()
        },
        product: Product {
            model: model.into(),
            ..Product::default()
        },
        assignee: Some(tech.into()),
        ..Job::default()
    }
}

/// A form answering the template's items in order with `points`.
fn form(id: &str, respondent: &str, points: &[i64], submitted: Option<i64>) -> Form {
    Form {
        id: id.into(),
        template_id: "csat-onsite".into(),
        template_version: 1,
        respondent: respondent.into(),
        answers: points
            .iter()
            .zip(DEFAULT_TEMPLATE_ITEMS.iter())
            .map(|(p, item)| {
                (
                    item.id.to_string(),
                    Answer {
                        points: *p,
                        comment: String::new(),
                        at: submitted.unwrap_or(0),
                    },
                )
            })
            .collect(),
        suggestion: Default::default(),
        submitted_at: submitted,
        by: "t".into(),
    }
}

fn with_forms(mut job: Job, forms: Vec<Form>) -> Job {
    job.forms = forms
        .into_iter()
        .map(|f| (f.id.clone(), f))
        .collect::<BTreeMap<_, _>>();
    job
}

fn ev(kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: format!("{kind:?}-{at}"),
        kind,
        at,
        by: by.into(),
    }
}

/// Commits each job as a new document, one write each, in order; answers the documents.
fn store_received<U: ServerStore<Error = StoreError> + ?Sized>(
    unit: &mut U,
    jobs: &[(Job, Option<Received>)],
) -> Vec<JobDoc> {
    let actor = ActorId::random();
    let mut docs = Vec::new();
    for (job, received) in jobs {
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
            received: *received,
        };
        unit.commit(&office(), vec![write]).unwrap();
        docs.push(doc);
    }
    docs
}

fn store<U: ServerStore<Error = StoreError> + ?Sized>(unit: &mut U, jobs: &[Job]) -> Vec<JobDoc> {
    let jobs: Vec<(Job, Option<Received>)> = jobs.iter().map(|j| (j.clone(), None)).collect();
    store_received(unit, &jobs)
}

fn corrective_all() -> co::Filter {
    co::Filter {
        limit: 100,
        ..co::Filter::default()
    }
}

/// 5 returned forms × 5 items: 10 very satisfied, 5 satisfied, 6 basically satisfied,
/// 3 dissatisfied, 1 very dissatisfied.
pub fn satisfaction_sums_the_worked_example<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let at = Some(ms("2026-11-10", 9));
    let forms = [
        [10, 10, 10, 10, 8],
        [10, 10, 8, 8, 6],
        [10, 10, 8, 6, 6],
        [10, 8, 6, 6, 4],
        [10, 6, 4, 4, 2],
    ];
    let jobs: Vec<Job> = forms
        .iter()
        .enumerate()
        .map(|(n, points)| {
            with_forms(
                job(
                    &format!("j{n}"),
                    "t1",
                    "key",
                    "AC-9000",
                    "east",
                    ms("2026-11-09", 8),
                ),
                vec![form(&format!("f{n}"), "survey", points, at)],
            )
        })
        .collect();
    store(unit, &jobs);
    let nov = month("2026-11");
    // 190 points of 25 answers (76 %), 21 of them 6 or more (84 %).
    assert_eq!(
        unit.satisfaction_totals(&nov, Group::All, &Filter::default())
            .unwrap(),
        [(String::new(), totals(Sums::default(), sums(25, 190, 21)))]
    );
    assert!(
        unit.satisfaction_totals(&month("2026-10"), Group::All, &Filter::default())
            .unwrap()
            .is_empty(),
        "nothing answered in October: no row"
    );
    // Per item, lowest degree first: response_speed 8 6 6 4 2, after_sales 10 8 6 6 4,
    // performance 10 8 8 6 4, quality 10 10 10 8 6, overall 10 × 5.
    assert_eq!(
        unit.satisfaction_items(&nov, &Filter::default()).unwrap(),
        [
            ("response_speed".to_string(), sums(5, 26, 3)),
            ("after_sales".to_string(), sums(5, 34, 4)),
            ("performance".to_string(), sums(5, 36, 4)),
            ("quality".to_string(), sums(5, 44, 5)),
            ("overall".to_string(), sums(5, 50, 5)),
        ]
    );
    // One corrective action per dissatisfied (4) or very dissatisfied (2) answer, due a
    // week after the form was returned.
    let (actions, total) = unit.corrective_actions(&corrective_all()).unwrap();
    assert_eq!(total, 4);
    assert_eq!(actions.len(), 4);
    assert_eq!(actions.iter().filter(|a| a.points == 2).count(), 1);
    assert!(actions.iter().all(|a| a.due_date == "2026-11-17"));
}

/// Job a (t1, key, M1, east): self 10 8 6; survey 8 4 10 6.
/// Job b (t2, general, M2, west): self 6 6; callback 2 6; plus an unsubmitted survey of 2s
/// and a survey submitted in October.
fn mixed<U: ServerStore<Error = StoreError> + ?Sized>(unit: &mut U) -> Vec<JobDoc> {
    let nov = Some(ms("2026-11-20", 10));
    let a = with_forms(
        job("a", "t1", "key", "M1", "east", ms("2026-11-19", 8)),
        vec![
            form("a-self", "self", &[10, 8, 6], nov),
            form("a-survey", "survey", &[8, 4, 10, 6], nov),
        ],
    );
    let b = with_forms(
        job("b", "t2", "general", "M2", "west", ms("2026-10-30", 8)),
        vec![
            form("b-self", "self", &[6, 6], nov),
            form("b-callback", "callback", &[2, 6], nov),
            form("b-draft", "survey", &[2, 2, 2], None),
            form("b-october", "survey", &[10, 10], Some(ms("2026-10-31", 9))),
        ],
    );
    store(unit, &[a, b])
}

/// t1's sums in November: self 10 8 6, survey 8 4 10 6.
fn t1_nov() -> Totals {
    totals(sums(3, 24, 3), sums(4, 28, 3))
}

/// t2's sums in November: self 6 6, callback 2 6.
fn t2_nov() -> Totals {
    totals(sums(2, 12, 2), sums(2, 8, 1))
}

pub fn satisfaction_counts_submitted_forms_of_the_period_per_side<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    mixed(unit);
    let nov = month("2026-11");
    let all = Filter::default();
    // self: 10 8 6 6 6; survey and callback: 8 4 10 6 2 6 (not the draft, not October's).
    assert_eq!(
        unit.satisfaction_totals(&nov, Group::All, &all).unwrap(),
        [(String::new(), totals(sums(5, 36, 5), sums(6, 36, 4)))]
    );
    assert_eq!(
        unit.satisfaction_totals(&nov, Group::Technician, &all)
            .unwrap(),
        [("t1".to_string(), t1_nov()), ("t2".to_string(), t2_nov())]
    );
    assert_eq!(
        unit.satisfaction_totals(&nov, Group::CustomerTier, &all)
            .unwrap(),
        [
            ("general".to_string(), t2_nov()),
            ("key".to_string(), t1_nov())
        ]
    );
    assert_eq!(
        unit.satisfaction_totals(&nov, Group::ProductModel, &all)
            .unwrap(),
        [("M1".to_string(), t1_nov()), ("M2".to_string(), t2_nov())]
    );
    assert_eq!(
        unit.satisfaction_totals(&nov, Group::Region, &all).unwrap(),
        [
            ("east".to_string(), t1_nov()),
            ("west".to_string(), t2_nov())
        ]
    );
    // Each filter keeps one job's answers.
    let filters = [
        Filter {
            customer_tier: Some("key".into()),
            ..Filter::default()
        },
        Filter {
            technician: Some("t1".into()),
            ..Filter::default()
        },
        Filter {
            product_model: Some("M1".into()),
            ..Filter::default()
        },
        Filter {
            region: Some("east".into()),
            ..Filter::default()
        },
    ];
    for f in &filters {
        assert_eq!(
            unit.satisfaction_totals(&nov, Group::All, f).unwrap(),
            [(String::new(), t1_nov())],
            "{f:?}"
        );
    }
    let nobody = Filter {
        technician: Some("t9".into()),
        ..Filter::default()
    };
    assert!(
        unit.satisfaction_totals(&nov, Group::All, &nobody)
            .unwrap()
            .is_empty()
    );
    // Months of the submission, not of the report.
    assert_eq!(
        unit.satisfaction_totals(&period("2026-10-01", "2026-11-30"), Group::Month, &all)
            .unwrap(),
        [
            (
                "2026-10".to_string(),
                totals(Sums::default(), sums(2, 20, 2))
            ),
            (
                "2026-11".to_string(),
                totals(sums(5, 36, 5), sums(6, 36, 4))
            ),
        ]
    );
    // Items, both sides together, lowest degree first, ties by item id: after_sales 6
    // (60 %), quality 8 4 6 6 (60 %), overall 10 8 6 2 (65 %), performance 6 10 (80 %).
    assert_eq!(
        unit.satisfaction_items(&nov, &all).unwrap(),
        [
            ("after_sales".to_string(), sums(1, 6, 1)),
            ("quality".to_string(), sums(4, 24, 3)),
            ("overall".to_string(), sums(4, 26, 3)),
            ("performance".to_string(), sums(2, 16, 2)),
        ]
    );
    let west = Filter {
        region: Some("west".into()),
        ..Filter::default()
    };
    // b only: overall 6 2, quality 6 6.
    assert_eq!(
        unit.satisfaction_items(&nov, &west).unwrap(),
        [
            ("overall".to_string(), sums(2, 8, 1)),
            ("quality".to_string(), sums(2, 12, 2)),
        ]
    );
}

pub fn satisfaction_months_are_utc_calendar_months<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let last_ms_of_november = ms("2026-12-01", 0) - 1;
    let a = with_forms(
        job("a", "t1", "key", "M1", "east", ms("2026-11-30", 8)),
        vec![form("a-late", "survey", &[8], Some(last_ms_of_november))],
    );
    let b = with_forms(
        job("b", "t1", "key", "M1", "east", ms("2026-11-30", 8)),
        vec![form(
            "b-first",
            "survey",
            &[4, 6],
            Some(ms("2026-12-01", 0)),
        )],
    );
    store(unit, &[a, b]);
    assert_eq!(
        unit.satisfaction_totals(
            &period("2026-11-01", "2026-12-31"),
            Group::Month,
            &Filter::default()
        )
        .unwrap(),
        [
            (
                "2026-11".to_string(),
                totals(Sums::default(), sums(1, 8, 1))
            ),
            (
                "2026-12".to_string(),
                totals(Sums::default(), sums(2, 10, 1))
            ),
        ]
    );
    assert_eq!(
        unit.satisfaction_totals(&month("2026-12"), Group::All, &Filter::default())
            .unwrap(),
        [(String::new(), totals(Sums::default(), sums(2, 10, 1)))]
    );
}

pub fn reprojecting_a_job_keeps_one_row_per_answer_and_action<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let mut docs = mixed(unit);
    let actor = ActorId::random();
    let write = edited(&mut docs[0], "a", &actor, |j| {
        j.customer.phone = "13800000000".into();
    });
    unit.commit(&office(), vec![write]).unwrap();
    let write = edited(&mut docs[1], "b", &actor, |j| {
        j.customer.phone = "13900000000".into();
    });
    unit.commit(&office(), vec![write]).unwrap();
    assert_eq!(
        unit.satisfaction_totals(&month("2026-11"), Group::All, &Filter::default())
            .unwrap(),
        [(String::new(), totals(sums(5, 36, 5), sums(6, 36, 4)))]
    );
    let (actions, total) = unit.corrective_actions(&corrective_all()).unwrap();
    assert_eq!((actions.len(), total), (2, 2));
}

pub fn corrective_actions_are_listed_filtered_and_paged<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    mixed(unit);
    let submitted = ms("2026-11-20", 10);
    // The survey's 4 and the callback's 2, not the unsubmitted draft's; due a week after,
    // listed by due date then id (a was projected first).
    let (actions, total) = unit.corrective_actions(&corrective_all()).unwrap();
    assert_eq!(total, 2);
    let summary: Vec<(&str, &str, &str, i64)> = actions
        .iter()
        .map(|a| {
            (
                a.job_id.as_str(),
                a.form_id.as_str(),
                a.item.as_str(),
                a.points,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("a", "a-survey", "quality", 4),
            ("b", "b-callback", "overall", 2)
        ]
    );
    let a = &actions[0];
    assert_eq!(a.item_label_zh.as_deref(), Some("质量"));
    assert_eq!(a.item_label_en.as_deref(), Some("Product quality"));
    assert_eq!(a.level_zh.as_deref(), Some("不满意"));
    assert_eq!(actions[1].level_zh.as_deref(), Some("很不满意"));
    assert_eq!(
        (a.owner.as_str(), a.department.as_str(), a.status.as_str()),
        ("", "", "open")
    );
    assert_eq!(a.verification, "");
    assert_eq!(a.due_date, "2026-11-27");
    assert_eq!((a.created_at, a.updated_at), (submitted, submitted));
    assert_eq!(a.technician.as_deref(), Some("t1"));
    assert_eq!(
        (a.customer_name.as_str(), a.product_model.as_str()),
        ("customer a", "M1")
    );
    assert!(actions[0].id < actions[1].id);

    let page = unit
        .corrective_actions(&co::Filter {
            limit: 1,
            offset: 1,
            ..co::Filter::default()
        })
        .unwrap();
    assert_eq!(page.1, 2, "the total counts every match, not the page");
    assert_eq!(
        page.0
            .iter()
            .map(|a| a.form_id.as_str())
            .collect::<Vec<_>>(),
        ["b-callback"]
    );
    let count = |unit: &mut U, f: co::Filter| {
        let (rows, total) = unit
            .corrective_actions(&co::Filter { limit: 100, ..f })
            .unwrap();
        assert_eq!(rows.len() as u64, total);
        rows.into_iter().map(|a| a.job_id).collect::<Vec<_>>()
    };
    assert_eq!(
        count(
            unit,
            co::Filter {
                job: Some("b".into()),
                ..co::Filter::default()
            }
        ),
        ["b"]
    );
    assert_eq!(
        count(
            unit,
            co::Filter {
                period: Some(month("2026-11")),
                ..co::Filter::default()
            }
        ),
        ["a", "b"]
    );
    assert!(
        count(
            unit,
            co::Filter {
                period: Some(month("2026-10")),
                ..co::Filter::default()
            }
        )
        .is_empty()
    );
    // Overdue: due strictly before the day.
    assert!(
        count(
            unit,
            co::Filter {
                overdue_on: Some("2026-11-27".into()),
                ..co::Filter::default()
            }
        )
        .is_empty()
    );
    assert_eq!(
        count(
            unit,
            co::Filter {
                overdue_on: Some("2026-11-28".into()),
                ..co::Filter::default()
            }
        ),
        ["a", "b"]
    );
    assert!(
        count(
            unit,
            co::Filter {
                status: Some("verified".into()),
                ..co::Filter::default()
            }
        )
        .is_empty()
    );
}

pub fn corrective_actions_are_updated_and_verified_only_with_a_verification<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    mixed(unit);
    let (actions, _) = unit.corrective_actions(&corrective_all()).unwrap();
    let id = actions[0].id;
    let refused = unit.update_corrective_action(
        id,
        &co::Update {
            status: Some("verified".into()),
            ..co::Update::default()
        },
        1,
    );
    match refused {
        Err(RepoError::Refused(r)) => assert_eq!(r.code, VERIFICATION_REQUIRED),
        other => panic!("expected a refusal, got {other:?}"),
    }
    let blank = unit.update_corrective_action(
        id,
        &co::Update {
            status: Some("verified".into()),
            verification: Some("  ".into()),
            ..co::Update::default()
        },
        1,
    );
    assert!(matches!(blank, Err(RepoError::Refused(r)) if r.code == VERIFICATION_REQUIRED));
    // Refused changes left it as it was.
    let (unchanged, _) = unit.corrective_actions(&corrective_all()).unwrap();
    assert_eq!(unchanged, actions);

    let moved = unit
        .update_corrective_action(
            id,
            &co::Update {
                due_date: Some("2026-12-15".into()),
                status: Some("in_progress".into()),
                ..co::Update::default()
            },
            2,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            moved.due_date.as_str(),
            moved.status.as_str(),
            moved.updated_at
        ),
        ("2026-12-15", "in_progress", 2)
    );
    assert_eq!(moved.created_at, actions[0].created_at);
    let done = unit
        .update_corrective_action(
            id,
            &co::Update {
                owner: Some("刘经理".into()),
                department: Some("quality".into()),
                status: Some("verified".into()),
                verification: Some("回访确认 customer confirmed".into()),
                ..co::Update::default()
            },
            3,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            done.owner.as_str(),
            done.department.as_str(),
            done.due_date.as_str(),
            done.status.as_str(),
            done.verification.as_str(),
            done.updated_at
        ),
        (
            "刘经理",
            "quality",
            "2026-12-15",
            "verified",
            "回访确认 customer confirmed",
            3
        )
    );
    // A verified action keeps its verification when the next change does not name one.
    let again = unit
        .update_corrective_action(
            id,
            &co::Update {
                owner: Some("王经理".into()),
                ..co::Update::default()
            },
            4,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            again.owner.as_str(),
            again.status.as_str(),
            again.verification.as_str()
        ),
        ("王经理", "verified", "回访确认 customer confirmed")
    );
    assert!(
        unit.update_corrective_action(9999, &co::Update::default(), 5)
            .unwrap()
            .is_none()
    );
    let ids = |unit: &mut U, f: co::Filter| -> Vec<i64> {
        unit.corrective_actions(&co::Filter { limit: 10, ..f })
            .unwrap()
            .0
            .iter()
            .map(|a| a.id)
            .collect()
    };
    let other = actions[1].id;
    assert_eq!(
        ids(
            unit,
            co::Filter {
                status: Some("open".into()),
                ..co::Filter::default()
            }
        ),
        [other]
    );
    assert_eq!(
        ids(
            unit,
            co::Filter {
                department: Some("quality".into()),
                ..co::Filter::default()
            }
        ),
        [id]
    );
    assert_eq!(
        ids(
            unit,
            co::Filter {
                overdue_on: Some("2027-01-01".into()),
                ..co::Filter::default()
            }
        ),
        [other],
        "the verified one is not overdue"
    );
    // Listed by due date: the open one (27 Nov) before the moved one (15 Dec).
    assert_eq!(ids(unit, co::Filter::default()), [other, id]);
}

fn levels_query(p: Period, targets: Targets) -> LevelsQuery {
    LevelsQuery {
        period: p,
        group: sla::Group::All,
        technician: None,
        complaint: None,
        targets,
    }
}

fn met(measured: u64, met: u64) -> Met {
    Met { measured, met }
}

pub fn service_levels_count_jobs_meeting_each_clock<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let r = ms("2026-11-02", 8);
    // Response 2 h, arrival 20 h (near), diagnosis 1 h, handling 20 min: all met.
    let mut near = job("near", "t1", "key", "M1", "east", r);
    near.events = vec![
        ev(EventKind::Accepted, r + 2 * H, "t1"),
        ev(EventKind::OnSite, r + 20 * H, "t1"),
        ev(EventKind::Diagnosed, r + 21 * H, "t1"),
        ev(EventKind::Repaired, r + 21 * H + 20 * MIN, "t1"),
    ];
    // Far site: response 25 h (missed), arrival 30 h (meets the 48 h far target, would
    // miss the near one), diagnosis 3 h (missed), handling 60 min (missed). A complaint.
    let mut far = job("far", "t1", "key", "M1", "east", r);
    far.customer.site_distance = "far".into();
    far.complaint = true;
    far.events = vec![
        ev(EventKind::Accepted, r + 25 * H, "t1"),
        ev(EventKind::OnSite, r + 30 * H, "t1"),
        ev(EventKind::Diagnosed, r + 33 * H, "t1"),
        ev(EventKind::Repaired, r + 33 * H + 60 * MIN, "t1"),
    ];
    // Still waiting: counts as a job, measured on no clock.
    let waiting = job("waiting", "t2", "key", "M1", "east", r);
    // Cancelled jobs and jobs reported in another month are not counted.
    let mut cancelled = job("cancelled", "t2", "key", "M1", "east", r);
    cancelled.events = vec![ev(EventKind::Cancelled, r + H, "office-1")];
    let mut october = job("october", "t2", "key", "M1", "east", ms("2026-10-31", 23));
    october.events = vec![ev(EventKind::Accepted, ms("2026-11-01", 1), "t2")];
    store(unit, &[near, far, waiting, cancelled, october]);

    let targets = Targets::default();
    let nov = month("2026-11");
    let all = unit
        .service_levels(&levels_query(nov, targets), sla::Group::All)
        .unwrap();
    let expected = Levels {
        jobs: 3,
        response: met(2, 1),
        arrival: met(2, 2),
        diagnosis: met(2, 1),
        handling: met(2, 1),
        handling_avg_ms: Some(40.0 * MIN as f64),
        time_flags: FlagCounts::default(),
    };
    assert_eq!(all, [(String::new(), expected.clone())]);
    assert_eq!(all[0].1.handling_avg_met(&targets), Some(false));
    // Targets are configuration: looser ones change the answer.
    let loose = Targets {
        response_ms: 26 * H,
        handling_avg_ms: 45 * MIN,
        ..targets
    };
    let l = unit
        .service_levels(&levels_query(nov, loose), sla::Group::All)
        .unwrap();
    assert_eq!(l[0].1.response, met(2, 2));
    assert_eq!(l[0].1.handling_avg_met(&loose), Some(true));
    let strict = Targets {
        arrival_far_ms: 29 * H,
        arrival_near_ms: 19 * H,
        ..targets
    };
    let s = unit
        .service_levels(&levels_query(nov, strict), sla::Group::All)
        .unwrap();
    assert_eq!(s[0].1.arrival, met(2, 0));

    let t2 = Levels {
        jobs: 1,
        ..Levels::default()
    };
    assert_eq!(
        unit.service_levels(&levels_query(nov, targets), sla::Group::Technician)
            .unwrap(),
        [
            (
                "t1".to_string(),
                Levels {
                    jobs: 2,
                    ..expected.clone()
                }
            ),
            ("t2".to_string(), t2.clone())
        ]
    );
    assert_eq!(
        unit.service_levels(
            &LevelsQuery {
                technician: Some("t2".into()),
                ..levels_query(nov, targets)
            },
            sla::Group::All
        )
        .unwrap(),
        [(String::new(), t2)]
    );
    // Complaints only: the far job.
    assert_eq!(
        unit.service_levels(
            &LevelsQuery {
                complaint: Some(true),
                ..levels_query(nov, targets)
            },
            sla::Group::All
        )
        .unwrap(),
        [(
            String::new(),
            Levels {
                jobs: 1,
                response: met(1, 0),
                arrival: met(1, 1),
                diagnosis: met(1, 0),
                handling: met(1, 0),
                handling_avg_ms: Some(60.0 * MIN as f64),
                time_flags: FlagCounts::default(),
            }
        )]
    );
    // No complaints: near and waiting; the average over the one measured.
    let calm = unit
        .service_levels(
            &LevelsQuery {
                complaint: Some(false),
                ..levels_query(nov, targets)
            },
            sla::Group::All,
        )
        .unwrap();
    assert_eq!(calm[0].1.jobs, 2);
    assert_eq!(calm[0].1.handling_avg_ms, Some(20.0 * MIN as f64));
    // By month of the report: October's job is October's, whenever it was accepted.
    let months = unit
        .service_levels(
            &levels_query(period("2026-10-01", "2026-11-30"), targets),
            sla::Group::Month,
        )
        .unwrap();
    assert_eq!(
        months
            .iter()
            .map(|(k, l)| (k.as_str(), l.jobs, l.response))
            .collect::<Vec<_>>(),
        [("2026-10", 1, met(1, 1)), ("2026-11", 3, met(2, 1))]
    );
    // Nothing reported: no row, and no average.
    assert!(
        unit.service_levels(&levels_query(month("2026-09"), targets), sla::Group::All)
            .unwrap()
            .is_empty()
    );
    let waiting_only = unit
        .service_levels(
            &LevelsQuery {
                technician: Some("t2".into()),
                ..levels_query(nov, targets)
            },
            sla::Group::All,
        )
        .unwrap();
    assert_eq!(waiting_only[0].1.handling_avg_ms, None);
}

pub fn service_levels_count_jobs_on_doubtful_device_time<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let r = month("2026-11").start_ms() + 8 * H;
    let accepted = |id: &str, tech: &str, at: i64| {
        let mut j = job(id, tech, "key", "M1", "east", r);
        j.events = vec![ev(EventKind::Accepted, at, tech)];
        j
    };
    // Received an hour after the report from a clock two hours ahead; and from an
    // honest one.
    let received = |device_clock_ms| {
        Some(Received {
            at_ms: r + H,
            device_clock_ms: Some(device_clock_ms),
        })
    };
    store_received(
        unit,
        &[
            (accepted("ahead", "li", r + 3 * H), received(r + 3 * H)),
            (accepted("honest", "wang", r + H), received(r + H)),
        ],
    );
    let rows = unit
        .service_levels(
            &levels_query(month("2026-11"), Targets::default()),
            sla::Group::Technician,
        )
        .unwrap();
    let keys: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["li", "wang"]);
    let li = &rows[0].1;
    assert_eq!(li.response, met(1, 1), "measured on device time");
    assert_eq!(
        li.time_flags,
        FlagCounts {
            future: 1,
            before_creation: 0,
            clock_off: 1,
            jobs: 1
        }
    );
    assert_eq!(rows[1].1.time_flags, FlagCounts::default());
}

fn line(id: &str, sku: &str, qty: i64, billable: bool, at: i64) -> (String, PartLine) {
    (
        id.into(),
        PartLine {
            id: id.into(),
            sku: sku.into(),
            name: format!("part {sku}"),
            quantity: qty,
            unit_price_cents: 1_000,
            billable,
            serials_removed: vec![],
            serials_installed: vec![],
            at,
            by: "t1".into(),
        },
    )
}

fn batch(sku: &str, model: &str, quantity: i64, bought_on: &str) -> NewBatch {
    NewBatch {
        sku: sku.into(),
        product_model: model.into(),
        quantity,
        bought_on: bought_on.into(),
        created_at: 7,
    }
}

fn remaining(model: &str, sku: &str, bought: i64, used: i64) -> Remaining {
    Remaining {
        product_model: model.into(),
        sku: sku.into(),
        bought,
        used,
    }
}

pub fn parts_consumption_and_remaining_per_model_and_part<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let mut a = job("a", "t1", "key", "M1", "east", ms("2026-11-01", 8));
    a.parts = [
        line("l1", "RELAY", 2, false, ms("2026-11-03", 9)),
        line("l2", "FAN", 1, true, ms("2026-11-03", 9)),
        line("l0", "RELAY", 1, false, ms("2026-10-03", 9)),
        line("l4", "RELAY", 3, true, ms("2026-11-30", 23)),
    ]
    .into_iter()
    .collect();
    let mut b = job("b", "t2", "key", "M2", "east", ms("2026-11-01", 8));
    b.parts = [line("l3", "RELAY", 5, true, ms("2026-11-05", 9))]
        .into_iter()
        .collect();
    store(unit, &[a, b]);
    let first = unit
        .add_parts_batch(&batch("RELAY", "M1", 10, "2026-09-01"))
        .unwrap();
    assert_eq!(
        Batch {
            id: 0,
            ..first.clone()
        },
        Batch {
            id: 0,
            sku: "RELAY".into(),
            product_model: "M1".into(),
            quantity: 10,
            bought_on: "2026-09-01".into(),
        }
    );
    let second = unit
        .add_parts_batch(&batch("RELAY", "M1", 10, "2026-12-01"))
        .unwrap();
    assert!(second.id > first.id);
    unit.add_parts_batch(&batch("FAN", "M1", 4, "2026-11-30"))
        .unwrap();
    unit.add_parts_batch(&batch("FAN", "M3", 2, "2026-11-01"))
        .unwrap();

    let nov = month("2026-11");
    let consumption = |sku: &str, model: &str, lines: u64, q: (i64, i64, i64)| Consumption {
        sku: sku.into(),
        name: format!("part {sku}"),
        product_model: model.into(),
        lines,
        quantity: q.0,
        billable_quantity: q.1,
        warranty_quantity: q.2,
        cost_cents: q.0 * 1_000,
    };
    // October's line is not November's.
    assert_eq!(
        unit.parts_consumption(&nov, None, None).unwrap(),
        [
            consumption("FAN", "M1", 1, (1, 1, 0)),
            consumption("RELAY", "M1", 2, (5, 3, 2)),
            consumption("RELAY", "M2", 1, (5, 5, 0)),
        ]
    );
    assert_eq!(
        unit.parts_consumption(&nov, Some("M1"), Some("RELAY"))
            .unwrap(),
        [consumption("RELAY", "M1", 2, (5, 3, 2))]
    );
    assert_eq!(
        unit.parts_consumption(&nov, None, Some("RELAY")).unwrap(),
        [
            consumption("RELAY", "M1", 2, (5, 3, 2)),
            consumption("RELAY", "M2", 1, (5, 5, 0)),
        ]
    );
    assert!(
        unit.parts_consumption(&month("2026-12"), None, None)
            .unwrap()
            .is_empty()
    );
    // Bought by the end of November: RELAY on M1 10 (December's batch not yet), used
    // 1 + 2 + 3 since ever; FAN on M1 4, used 1; FAN on M3 2, never used. RELAY on M2 has
    // no batch: not listed.
    assert_eq!(
        unit.parts_remaining(&nov, None, None).unwrap(),
        [
            remaining("M1", "FAN", 4, 1),
            remaining("M1", "RELAY", 10, 6),
            remaining("M3", "FAN", 2, 0),
        ]
    );
    assert!(
        (unit.parts_remaining(&nov, None, None).unwrap()[1]
            .coefficient()
            .unwrap()
            - 0.4)
            .abs()
            < 1e-9
    );
    assert_eq!(
        unit.parts_remaining(&month("2026-12"), Some("M1"), Some("RELAY"))
            .unwrap(),
        [remaining("M1", "RELAY", 20, 6)]
    );
    assert_eq!(
        unit.parts_remaining(&nov, None, Some("FAN")).unwrap(),
        [remaining("M1", "FAN", 4, 1), remaining("M3", "FAN", 2, 0)]
    );
    // In October: the September batch, October's use only; FAN was bought later.
    assert_eq!(
        unit.parts_remaining(&month("2026-10"), None, None).unwrap(),
        [remaining("M1", "RELAY", 10, 1)]
    );
}

pub fn the_callback_sample_is_drawn_from_one_job_per_customer_seeded_by_month<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let mut jobs = Vec::new();
    for n in 0..30 {
        let mut j = job(
            &format!("j{n:02}"),
            "t1",
            "key",
            "M1",
            "east",
            ms("2026-11-01", 8),
        );
        // Customers c00..c19; the first ten have a second job, completed later.
        j.customer.id = format!("c{:02}", n % 20);
        j.events = vec![ev(EventKind::Completed, ms("2026-11-10", 8) + n, "t1")];
        jobs.push(j);
    }
    // A customer without an id is their name and phone.
    let mut anonymous = job("anon", "t2", "general", "M2", "west", ms("2026-11-01", 8));
    anonymous.customer.phone = "138".into();
    anonymous.events = vec![ev(EventKind::Completed, ms("2026-11-30", 23), "t2")];
    anonymous.forms = [(
        "cb".to_string(),
        form("cb", "callback", &[8], Some(ms("2026-12-01", 9))),
    )]
    .into_iter()
    .collect();
    jobs.push(anonymous);
    // Not in November: completed in October, or not completed.
    let mut october = job("oct", "t1", "key", "M1", "east", ms("2026-10-01", 8));
    october.customer.id = "c99".into();
    october.events = vec![ev(EventKind::Completed, ms("2026-10-10", 8), "t1")];
    jobs.push(october);
    let mut open = job("open", "t1", "key", "M1", "east", ms("2026-11-01", 8));
    open.customer.id = "c98".into();
    jobs.push(open);
    store(unit, &jobs);

    let nov = month("2026-11");
    let all = unit.callback_sample(&nov, 100).unwrap();
    let mut expected: Vec<String> = (0..20).map(|n| format!("c{n:02}")).collect();
    expected.push("customer anon|138".into());
    assert_eq!(
        all.iter().map(|c| c.customer.clone()).collect::<Vec<_>>(),
        expected,
        "one per customer, in customer order"
    );
    // The latest completed job of a customer with two.
    let c00 = &all[0];
    assert_eq!(
        c00,
        &CallbackCandidate {
            customer: "c00".into(),
            job_id: "j20".into(),
            customer_name: "customer j20".into(),
            customer_phone: String::new(),
            customer_tier: "key".into(),
            product_model: "M1".into(),
            completed_at: Some(ms("2026-11-10", 8) + 20),
            technician: Some("t1".into()),
            called: false,
        }
    );
    assert_eq!(all[19].job_id, "j19");
    let anon = &all[20];
    assert_eq!(
        (
            anon.job_id.as_str(),
            anon.called,
            anon.technician.as_deref()
        ),
        ("anon", true, Some("t2"))
    );
    // The draw is the shared one over these candidates: the same on every backend.
    let five = unit.callback_sample(&nov, 5).unwrap();
    assert_eq!(five, callback::draw(&nov, &all, 5));
    assert_eq!(five.len(), 5);
    assert_eq!(unit.callback_sample(&nov, 5).unwrap(), five);
    assert!(unit.callback_sample(&nov, 0).unwrap().is_empty());
    assert!(
        unit.callback_sample(&month("2026-12"), 5)
            .unwrap()
            .is_empty()
    );
    let october = unit.callback_sample(&month("2026-10"), 5).unwrap();
    assert_eq!(
        october
            .iter()
            .map(|c| c.job_id.as_str())
            .collect::<Vec<_>>(),
        ["oct"]
    );
}

fn survey(id: &str, tier: &str, round: &str) -> Survey {
    Survey {
        id: id.into(),
        tier: tier.into(),
        round: Round::parse(round).unwrap(),
        template_id: "csat-routine".into(),
        template_version: 1,
        title: format!("{tier} {round}"),
        created_at: 5,
        created_by: "office-1".into(),
    }
}

fn response(
    id: &str,
    survey_id: &str,
    customer: &str,
    competitor: Option<&str>,
    answers: &[(&str, i64)],
) -> Response {
    Response {
        id: id.into(),
        survey_id: survey_id.into(),
        customer: customer.into(),
        competitor: competitor.map(Into::into),
        respondent: "customer".into(),
        answers: answers
            .iter()
            .map(|(item, p)| (item.to_string(), (*p, String::new())))
            .collect(),
        suggestion: String::new(),
        recorded_at: 9,
        by_user: "office-1".into(),
    }
}

fn refused_code<T: std::fmt::Debug>(r: Result<T, RepoError>) -> &'static str {
    match r {
        Err(RepoError::Refused(r)) => r.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

pub fn routine_surveys_are_opened_once_per_tier_and_round<U: Reports + ?Sized>(unit: &mut U) {
    let key_q3 = survey("s-key-q3", "key", "2026-Q3");
    unit.create_routine_survey(&key_q3).unwrap();
    unit.create_routine_survey(&survey("s-general-q3", "general", "2026-Q3"))
        .unwrap();
    unit.create_routine_survey(&survey("s-key-h1", "key", "2026-H1"))
        .unwrap();
    unit.create_routine_survey(&survey("s-key-q4", "key", "2026-Q4"))
        .unwrap();
    assert_eq!(
        refused_code(unit.create_routine_survey(&survey("s-again", "key", "2026-Q3"))),
        SURVEY_EXISTS
    );
    assert_eq!(
        unit.routine_survey("s-key-q3").unwrap(),
        Some(key_q3.clone())
    );
    assert_eq!(unit.routine_survey("s-again").unwrap(), None);
    assert_eq!(
        unit.routine_survey_of("key", &Round::parse("2026-Q3").unwrap())
            .unwrap(),
        Some(key_q3)
    );
    assert_eq!(
        unit.routine_survey_of("general", &Round::parse("2026-Q4").unwrap())
            .unwrap(),
        None
    );
    // Newest round first (as the round reads: 2026-Q4, 2026-Q3, 2026-H1), then tier.
    let ids = |list: Vec<SurveyTotals>| -> Vec<String> {
        list.into_iter().map(|s| s.survey.id).collect()
    };
    assert_eq!(
        ids(unit.routine_surveys(None).unwrap()),
        ["s-key-q4", "s-general-q3", "s-key-q3", "s-key-h1"]
    );
    assert_eq!(
        ids(unit.routine_surveys(Some("key")).unwrap()),
        ["s-key-q4", "s-key-q3", "s-key-h1"]
    );
    assert!(unit.routine_surveys(Some("gold")).unwrap().is_empty());
}

pub fn routine_responses_are_summed_per_subject_and_item<U: Reports + ?Sized>(unit: &mut U) {
    unit.create_routine_survey(&survey("s1", "key", "2026-Q3"))
        .unwrap();
    unit.create_routine_survey(&survey("s2", "key", "2026-Q4"))
        .unwrap();
    let ours = [
        response("r1", "s1", "c1", None, &[("overall", 10), ("quality", 4)]),
        response(
            "r2",
            "s1",
            "c2",
            None,
            &[("overall", 6), ("quality", 6), ("price", 2)],
        ),
        response("r3", "s1", "c3", None, &[]),
    ];
    for r in &ours {
        unit.record_routine_response(r).unwrap();
    }
    unit.record_routine_response(&response(
        "r4",
        "s1",
        "c1",
        Some("RivalCo"),
        &[("overall", 8)],
    ))
    .unwrap();
    unit.record_routine_response(&response(
        "r5",
        "s1",
        "c2",
        Some("AcmeAir"),
        &[("overall", 4), ("quality", 6)],
    ))
    .unwrap();
    // The same customer about the same subject in the round: refused; about another
    // subject, or in another round: taken.
    assert_eq!(
        refused_code(unit.record_routine_response(&response(
            "r6",
            "s1",
            "c1",
            None,
            &[("overall", 2)]
        ))),
        DUPLICATE_RESPONSE
    );
    assert_eq!(
        refused_code(unit.record_routine_response(&response(
            "r7",
            "nope",
            "c1",
            None,
            &[("overall", 2)]
        ))),
        "not_found"
    );
    unit.record_routine_response(&response("r8", "s2", "c1", None, &[("overall", 2)]))
        .unwrap();

    // Subjects in order, "" (us) first; forms count even without answers.
    assert_eq!(
        unit.routine_subjects("s1").unwrap(),
        [
            (
                String::new(),
                SubjectTotals {
                    forms: 3,
                    sums: sums(5, 28, 3)
                }
            ),
            (
                "AcmeAir".to_string(),
                SubjectTotals {
                    forms: 1,
                    sums: sums(2, 10, 1)
                }
            ),
            (
                "RivalCo".to_string(),
                SubjectTotals {
                    forms: 1,
                    sums: sums(1, 8, 1)
                }
            ),
        ]
    );
    assert!(unit.routine_subjects("nope").unwrap().is_empty());
    // Our items, lowest degree first: price 2 (20 %), quality 4 6 (50 %), overall 10 6 (80 %).
    assert_eq!(
        unit.routine_items("s1").unwrap(),
        [
            ("price".to_string(), sums(1, 2, 0)),
            ("quality".to_string(), sums(2, 10, 1)),
            ("overall".to_string(), sums(2, 16, 2)),
        ]
    );
    assert_eq!(
        unit.routine_items("s2").unwrap(),
        [("overall".to_string(), sums(1, 2, 0))]
    );
    // The list counts our forms only.
    let list = unit.routine_surveys(Some("key")).unwrap();
    let totals: Vec<(&str, SubjectTotals)> = list
        .iter()
        .map(|s| (s.survey.id.as_str(), s.ours))
        .collect();
    assert_eq!(
        totals,
        [
            (
                "s2",
                SubjectTotals {
                    forms: 1,
                    sums: sums(1, 2, 0)
                }
            ),
            (
                "s1",
                SubjectTotals {
                    forms: 3,
                    sums: sums(5, 28, 3)
                }
            ),
        ]
    );
    // A round without forms: zeros, not nothing.
    unit.create_routine_survey(&survey("s0", "general", "2026-Q3"))
        .unwrap();
    let general = unit.routine_surveys(Some("general")).unwrap();
    assert_eq!(general[0].ours, SubjectTotals::default());
    assert!(unit.routine_items("s0").unwrap().is_empty());
}

pub fn a_response_the_database_refuses_leaves_nothing_behind<U: Reports + ?Sized>(unit: &mut U) {
    unit.create_routine_survey(&survey("s1", "key", "2026-Q3"))
        .unwrap();
    // 5 is no degree of the scale: the answer is refused by the table, after the form.
    let bad = response("r1", "s1", "c1", None, &[("overall", 10), ("quality", 5)]);
    assert!(matches!(
        unit.record_routine_response(&bad),
        Err(RepoError::Store(_))
    ));
    assert!(unit.routine_subjects("s1").unwrap().is_empty());
    // The unit goes on, and the customer may still return the form.
    unit.record_routine_response(&response("r1", "s1", "c1", None, &[("overall", 10)]))
        .unwrap();
    assert_eq!(
        unit.routine_subjects("s1").unwrap(),
        [(
            String::new(),
            SubjectTotals {
                forms: 1,
                sums: sums(1, 10, 1)
            }
        )]
    );
}

/// Keys are compared as bytes (as SQLite compares text), whatever the database's
/// collation: upper case before lower case, Chinese after both.
pub fn group_keys_are_in_byte_order<U: ServerStore<Error = StoreError> + Reports + ?Sized>(
    unit: &mut U,
) {
    let at = ms("2026-11-10", 9);
    let jobs: Vec<Job> = ["张", "li", "Zhang"]
        .iter()
        .enumerate()
        .map(|(n, tech)| {
            let mut j = with_forms(
                job(&format!("j{n}"), tech, "key", "M1", "east", at),
                vec![form(&format!("f{n}"), "self", &[8], Some(at))],
            );
            j.parts = [
                line("l1", "fan", 1, true, at),
                line("l2", "RELAY", 1, true, at),
            ]
            .into_iter()
            .collect();
            j
        })
        .collect();
    store(unit, &jobs);
    let nov = month("2026-11");
    let keys: Vec<String> = unit
        .satisfaction_totals(&nov, Group::Technician, &Filter::default())
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["Zhang", "li", "张"]);
    let keys: Vec<String> = unit
        .service_levels(
            &levels_query(nov, Targets::default()),
            sla::Group::Technician,
        )
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["Zhang", "li", "张"]);
    let skus: Vec<String> = unit
        .parts_consumption(&nov, None, None)
        .unwrap()
        .into_iter()
        .map(|c| c.sku)
        .collect();
    assert_eq!(skus, ["RELAY", "fan"]);
}

/// The tests of this file, for [`crate::unit_conformance_tests!`].
#[macro_export]
#[doc(hidden)]
macro_rules! reports_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; reports;
            satisfaction_sums_the_worked_example,
            satisfaction_counts_submitted_forms_of_the_period_per_side,
            satisfaction_months_are_utc_calendar_months,
            reprojecting_a_job_keeps_one_row_per_answer_and_action,
            corrective_actions_are_listed_filtered_and_paged,
            corrective_actions_are_updated_and_verified_only_with_a_verification,
            service_levels_count_jobs_meeting_each_clock,
            service_levels_count_jobs_on_doubtful_device_time,
            parts_consumption_and_remaining_per_model_and_part,
            the_callback_sample_is_drawn_from_one_job_per_customer_seeded_by_month,
            routine_surveys_are_opened_once_per_tier_and_round,
            routine_responses_are_summed_per_subject_and_item,
            a_response_the_database_refuses_leaves_nothing_behind,
            group_keys_are_in_byte_order,
        );
    };
}
