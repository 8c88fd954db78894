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

mod corrective;
mod parts_and_callbacks;
mod routine;
mod satisfaction;
mod service_levels;

pub use corrective::*;
pub use parts_and_callbacks::*;
pub use routine::*;
pub use satisfaction::*;
pub use service_levels::*;

/// The tests of this file, for [`crate::unit_conformance_tests!`].
#[macro_export]
#[doc(hidden)]
macro_rules! reports_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; reports;
            satisfaction_sums_the_worked_example,
            satisfaction_counts_submitted_forms_of_the_period_per_side,
            satisfaction_months_are_utc_calendar_months,
            satisfaction_months_follow_the_company_time_zone,
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
