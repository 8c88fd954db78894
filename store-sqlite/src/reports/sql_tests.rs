//! The report queries against a real SQLite file filled through the projection, checked
//! against figures computed by hand.

use std::collections::BTreeMap;

use onsite_domain::forms::DEFAULT_TEMPLATE_ITEMS;
use onsite_domain::{Answer, Customer, Event, EventKind, Form, Job, PartLine, Product};

use super::satisfaction::{self as sat, Filter, Group};
use super::{Period, callback, corrective, parts, service_levels as sla};
use crate::db::Db;
use crate::projection::upsert_job;

const H: i64 = 3_600_000;

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

struct Fixture {
    _dir: tempfile::TempDir,
    db: Db,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    Fixture { _dir: dir, db }
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

fn store(db: &Db, jobs: &[Job]) {
    let conn = db.writer().unwrap();
    for (n, j) in jobs.iter().enumerate() {
        upsert_job(&conn, &j.id, j, n as u64 + 1).unwrap();
    }
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn the_worked_example_from_the_query_tables() {
    let f = fixture();
    let at = Some(ms("2026-11-10", 9));
    // 5 returned forms × 5 items: 10 very satisfied, 5 satisfied, 6 basically satisfied,
    // 3 dissatisfied, 1 very dissatisfied — spread over forms as a survey would return them.
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
    store(&f.db, &jobs);
    let conn = f.db.writer().unwrap();
    let t = sat::totals(&conn, &month("2026-11"), &Filter::default()).unwrap();
    assert_eq!(t.survey.answered, 25);
    assert_eq!(t.survey.points, 190);
    let s = t.survey.satisfaction().unwrap();
    assert!(close(Some(s.degree_pct), 76.0), "{s:?}");
    assert!(close(Some(s.rate_pct), 84.0), "{s:?}");
    assert_eq!(t.self_assessment.answered, 0);
    assert_eq!(t.overall(), None, "no self-assessment: no overall");
    // One corrective action per dissatisfied (4) or very dissatisfied (2) answer.
    let (actions, total) = corrective::list(
        &conn,
        &corrective::Filter {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(total, 4);
    assert_eq!(actions.iter().filter(|a| a.points == 2).count(), 1);
    assert!(actions.iter().all(|a| a.due_date == "2026-11-17"));
    // Nothing in October.
    let oct = sat::totals(&conn, &month("2026-10"), &Filter::default()).unwrap();
    assert_eq!(oct, sat::Totals::default());
}

/// Job A (t1, key, M1, east): self 10 8 6; survey 8 4 10 6.
/// Job B (t2, general, M2, west): self 6 6; callback 2 6; plus an unsubmitted survey of 2s
/// and a survey submitted in October.
fn mixed(f: &Fixture) {
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
    store(&f.db, &[a, b]);
}

#[test]
fn mixed_self_assessment_and_survey_forms() {
    let f = fixture();
    mixed(&f);
    let conn = f.db.writer().unwrap();
    let nov = month("2026-11");
    let t = sat::totals(&conn, &nov, &Filter::default()).unwrap();
    // self: 10 8 6 6 6 = 36 / 50 = 72 %, all ≥ 6: 100 %.
    let s = t.self_assessment.satisfaction().unwrap();
    assert!(close(Some(s.degree_pct), 72.0) && close(Some(s.rate_pct), 100.0));
    // survey + callback: 8 4 10 6 2 6 = 36 / 60 = 60 %, 4 of 6 satisfied.
    let c = t.survey.satisfaction().unwrap();
    assert!(close(Some(c.degree_pct), 60.0));
    assert!(close(Some(c.rate_pct), 400.0 / 6.0));
    // overall: 72 × 0.4 + 60 × 0.6 = 64.8; 100 × 0.4 + 66.67 × 0.6 = 80.
    let o = t.overall().unwrap();
    assert!(close(Some(o.degree_pct), 64.8), "{o:?}");
    assert!(close(Some(o.rate_pct), 80.0), "{o:?}");
    // all answers together: 72 / 110, 9 of 11.
    let all = t.all().unwrap();
    assert!(close(Some(all.degree_pct), 7200.0 / 110.0));

    let by_tech = sat::by_group(&conn, &nov, Group::Technician, &Filter::default()).unwrap();
    assert_eq!(by_tech.len(), 2);
    let t1 = by_tech[0].1.overall().unwrap();
    // t1: self 24/30 = 80, survey 28/40 = 70 → 74; rates 100 and 75 → 85.
    assert!(close(Some(t1.degree_pct), 74.0) && close(Some(t1.rate_pct), 85.0));
    let t2 = by_tech[1].1.overall().unwrap();
    // t2: self 60, survey 8/20 = 40 → 48; rates 100 and 50 → 70.
    assert!(close(Some(t2.degree_pct), 48.0) && close(Some(t2.rate_pct), 70.0));

    let by_tier = sat::by_group(&conn, &nov, Group::CustomerTier, &Filter::default()).unwrap();
    assert_eq!(
        by_tier.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["general", "key"]
    );
    let key_only = Filter {
        customer_tier: Some("key".into()),
        ..Filter::default()
    };
    assert_eq!(sat::totals(&conn, &nov, &key_only).unwrap(), by_tier[1].1);

    let by_month = sat::by_group(
        &conn,
        &Period::month("2026-10").unwrap(),
        Group::Month,
        &Filter::default(),
    )
    .unwrap();
    assert_eq!(by_month.len(), 1);
    assert_eq!(by_month[0].0, "2026-10");
    assert_eq!(by_month[0].1.survey.points, 20, "the October survey only");

    // Items, lowest degree first, ties by item id.
    let items = sat::by_item(&conn, &nov, &Filter::default()).unwrap();
    // overall: 10 8 6 2 → 26/40; quality: 8 4 6 6 → 24/40; performance: 6 10 → 16/20; after_sales: 6 → 6/10.
    let by: BTreeMap<&str, (u64, i64)> = items
        .iter()
        .map(|(i, s)| (i.as_str(), (s.answered, s.points)))
        .collect();
    assert_eq!(by["overall"], (4, 26));
    assert_eq!(by["quality"], (4, 24));
    assert_eq!(by["performance"], (2, 16));
    assert_eq!(by["after_sales"], (1, 6));
    let order: Vec<&str> = items.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(
        order,
        ["after_sales", "quality", "overall", "performance"],
        "60, 60, 65, 80 %"
    );

    // Corrective actions: the survey's 4 and the callback's 2, not the unsubmitted draft.
    let (actions, _) = corrective::list(
        &conn,
        &corrective::Filter {
            limit: 100,
            ..Default::default()
        },
    )
    .unwrap();
    let mut opened: Vec<(String, i64)> = actions
        .iter()
        .map(|a| (a.form_id.clone(), a.points))
        .collect();
    opened.sort();
    assert_eq!(opened, [("a-survey".into(), 4), ("b-callback".into(), 2)]);
}

#[test]
fn reprojecting_a_job_keeps_one_row_per_answer_and_action() {
    let f = fixture();
    mixed(&f);
    mixed(&f);
    let conn = f.db.writer().unwrap();
    let t = sat::totals(&conn, &month("2026-11"), &Filter::default()).unwrap();
    assert_eq!(t.self_assessment.answered + t.survey.answered, 11);
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM corrective_actions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn corrective_actions_update_and_verification_rule() {
    let f = fixture();
    mixed(&f);
    let conn = f.db.writer().unwrap();
    let (actions, _) = corrective::list(
        &conn,
        &corrective::Filter {
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    let id = actions[0].id;
    let refused = corrective::update(
        &conn,
        id,
        &corrective::Update {
            status: Some("verified".into()),
            ..Default::default()
        },
        1,
    );
    assert!(matches!(refused, Err(corrective::UpdateError::Refused(_))));
    let done = corrective::update(
        &conn,
        id,
        &corrective::Update {
            owner: Some("刘经理".into()),
            department: Some("quality".into()),
            status: Some("verified".into()),
            verification: Some("回访确认 customer confirmed".into()),
            ..Default::default()
        },
        2,
    )
    .unwrap()
    .unwrap();
    assert_eq!(done.status, "verified");
    assert_eq!(done.owner, "刘经理");
    assert!(
        corrective::update(&conn, 9999, &corrective::Update::default(), 3)
            .unwrap()
            .is_none()
    );
    let (open, _) = corrective::list(
        &conn,
        &corrective::Filter {
            status: Some("open".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(open.len(), 1);
    let (overdue, _) = corrective::list(
        &conn,
        &corrective::Filter {
            overdue_on: Some("2027-01-01".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(overdue.len(), 1, "the verified one is not overdue");
}

fn ev(kind: EventKind, at: i64, by: &str) -> Event {
    Event {
        id: format!("{kind:?}-{at}"),
        kind,
        at,
        by: by.into(),
    }
}

#[test]
fn service_levels_count_jobs_meeting_each_clock() {
    let f = fixture();
    let r = ms("2026-11-02", 8);
    let mut near = job("near", "t1", "key", "M1", "east", r);
    near.events = vec![
        ev(EventKind::Accepted, r + 2 * H, "t1"),
        ev(EventKind::OnSite, r + 20 * H, "t1"),
        ev(EventKind::Diagnosed, r + 21 * H, "t1"),
        ev(EventKind::Repaired, r + 21 * H + 20 * 60_000, "t1"),
    ];
    // Far site, arrived after 30 h: meets the 48 h far target but would miss the near one.
    let mut far = job("far", "t1", "key", "M1", "east", r);
    far.customer.site_distance = "far".into();
    far.events = vec![
        ev(EventKind::Accepted, r + 25 * H, "t1"),
        ev(EventKind::OnSite, r + 30 * H, "t1"),
        ev(EventKind::Diagnosed, r + 33 * H, "t1"),
        ev(EventKind::Repaired, r + 33 * H + 60 * 60_000, "t1"),
    ];
    // Still waiting: counts as a job, measured on no clock.
    let waiting = job("waiting", "t2", "key", "M1", "east", r);
    store(&f.db, &[near, far, waiting]);
    let conn = f.db.writer().unwrap();
    let targets = onsite_domain::service::Targets::default();
    let all = sla::by_group(
        &conn,
        &month("2026-11"),
        sla::Group::All,
        None,
        None,
        &targets,
    )
    .unwrap();
    let l = &all[0].1;
    assert_eq!(l.jobs, 3);
    assert_eq!((l.response.measured, l.response.met), (2, 1));
    assert_eq!((l.arrival.measured, l.arrival.met), (2, 2));
    assert_eq!((l.diagnosis.measured, l.diagnosis.met), (2, 1));
    assert_eq!((l.handling.measured, l.handling.met), (2, 1));
    assert_eq!(l.handling_avg_ms, Some(40.0 * 60_000.0));
    assert_eq!(l.handling_avg_met(&targets), Some(false));
    // A looser target changes the answer: targets are configuration.
    let loose = onsite_domain::service::Targets {
        response_ms: 26 * H,
        handling_avg_ms: 45 * 60_000,
        ..targets
    };
    let l = &sla::by_group(
        &conn,
        &month("2026-11"),
        sla::Group::All,
        None,
        None,
        &loose,
    )
    .unwrap()[0]
        .1;
    assert_eq!(l.response.met, 2);
    assert_eq!(l.handling_avg_met(&loose), Some(true));
    let by_tech = sla::by_group(
        &conn,
        &month("2026-11"),
        sla::Group::Technician,
        None,
        None,
        &targets,
    )
    .unwrap();
    assert_eq!(by_tech.len(), 2);
    assert_eq!((by_tech[1].0.as_str(), by_tech[1].1.jobs), ("t2", 1));
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

#[test]
fn parts_consumption_and_remaining_coefficient() {
    let f = fixture();
    let mut a = job("a", "t1", "key", "M1", "east", ms("2026-11-01", 8));
    a.parts = [
        line("l1", "RELAY", 2, false, ms("2026-11-03", 9)),
        line("l2", "FAN", 1, true, ms("2026-11-03", 9)),
        line("l0", "RELAY", 1, false, ms("2026-10-03", 9)),
    ]
    .into_iter()
    .collect();
    let mut b = job("b", "t2", "key", "M2", "east", ms("2026-11-01", 8));
    b.parts = [line("l3", "RELAY", 5, true, ms("2026-11-05", 9))]
        .into_iter()
        .collect();
    store(&f.db, &[a, b]);
    let conn = f.db.writer().unwrap();
    conn.execute_batch(
        "INSERT INTO parts_batches (sku, product_model, quantity, bought_on, created_at)
         VALUES ('RELAY', 'M1', 10, '2026-09-01', 0), ('RELAY', 'M1', 10, '2026-12-01', 0);",
    )
    .unwrap();
    let nov = month("2026-11");
    let used = parts::consumption(&conn, &nov, None, None).unwrap();
    let summary: Vec<(&str, &str, i64, i64, i64)> = used
        .iter()
        .map(|c| {
            (
                c.sku.as_str(),
                c.product_model.as_str(),
                c.quantity,
                c.billable_quantity,
                c.cost_cents,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("FAN", "M1", 1, 1, 1_000),
            ("RELAY", "M1", 2, 0, 2_000),
            ("RELAY", "M2", 5, 5, 5_000)
        ]
    );
    // Bought by the end of November: 10 (the December batch not yet); used 1 + 2 = 3.
    let left = parts::remaining(&conn, &nov, None, None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].bought, left[0].used), (10, 3));
    assert!(close(left[0].coefficient(), 0.7));
}

#[test]
fn callback_sample_is_seeded_by_month_one_job_per_customer() {
    let f = fixture();
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
        // Customers c0..c19; the first ten have a second job.
        j.customer.id = format!("c{:02}", n % 20);
        j.events = vec![ev(EventKind::Completed, ms("2026-11-10", 8) + n, "t1")];
        jobs.push(j);
    }
    let mut october = job("oct", "t1", "key", "M1", "east", ms("2026-10-01", 8));
    october.customer.id = "c99".into();
    october.events = vec![ev(EventKind::Completed, ms("2026-10-10", 8), "t1")];
    jobs.push(october);
    store(&f.db, &jobs);
    let conn = f.db.writer().unwrap();
    let nov = month("2026-11");
    let customers = |rows: &[callback::CallbackCandidate]| -> Vec<String> {
        rows.iter().map(|r| r.customer.clone()).collect()
    };
    let a = callback::sample(&conn, &nov, 5).unwrap();
    let b = callback::sample(&conn, &nov, 5).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 5);
    let all = callback::sample(&conn, &nov, 100).unwrap();
    assert_eq!(all.len(), 20, "one per customer, October's excluded");
    // The latest completed job of a customer with two: j20 (completed after j00).
    let c00 = all.iter().find(|r| r.customer == "c00").unwrap();
    assert_eq!(c00.job_id, "j20");
    // Another month's seed draws another sample (of the same candidates, shifted a month).
    let mut moved = jobs.clone();
    for j in &mut moved {
        for e in &mut j.events {
            e.at += 31 * 24 * H;
        }
    }
    let g = fixture();
    store(&g.db, &moved);
    let dec = callback::sample(&g.db.writer().unwrap(), &month("2026-12"), 5).unwrap();
    assert_ne!(customers(&a), customers(&dec));
}
