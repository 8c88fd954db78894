//! Corrective actions: listed, filtered, paged, updated and verified.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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
