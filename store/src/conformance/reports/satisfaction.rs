//! Satisfaction: the worked example, the sides, the months, reprojection, group keys.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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

/// In the company's time zone: a form submitted at 01:30 on 1 December in Beijing
/// (17:30 UTC on 30 November) belongs to December there, to November in UTC; months and
/// service levels alike follow the zone.
pub fn satisfaction_months_follow_the_company_time_zone<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let shanghai: crate::report::Tz = "Asia/Shanghai".parse().unwrap();
    let beijing_0130_on_the_1st = ms("2026-11-30", 17) + 30 * 60_000;
    let a = with_forms(
        job("a", "t1", "key", "M1", "east", ms("2026-11-30", 8)),
        vec![form(
            "a-early",
            "survey",
            &[8],
            Some(beijing_0130_on_the_1st),
        )],
    );
    let b = with_forms(
        job("b", "t1", "key", "M1", "east", ms("2026-11-30", 8)),
        vec![form("b-noon", "survey", &[4, 6], Some(ms("2026-11-30", 4)))],
    );
    store(unit, &[a, b]);
    let both = period("2026-11-01", "2026-12-31");
    let by_month = |unit: &mut U, p: &Period| {
        unit.satisfaction_totals(p, Group::Month, &Filter::default())
            .unwrap()
    };
    assert_eq!(
        by_month(unit, &both.in_zone(shanghai)),
        [
            (
                "2026-11".to_string(),
                totals(Sums::default(), sums(2, 10, 1))
            ),
            (
                "2026-12".to_string(),
                totals(Sums::default(), sums(1, 8, 1))
            ),
        ]
    );
    assert_eq!(
        by_month(unit, &both),
        [(
            "2026-11".to_string(),
            totals(Sums::default(), sums(3, 18, 2))
        )]
    );
    assert_eq!(
        unit.satisfaction_totals(
            &month("2026-12").in_zone(shanghai),
            Group::All,
            &Filter::default()
        )
        .unwrap(),
        [(String::new(), totals(Sums::default(), sums(1, 8, 1)))]
    );
    assert_eq!(
        unit.satisfaction_totals(&month("2026-12"), Group::All, &Filter::default())
            .unwrap(),
        []
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
