//! The job list and the review list: filters, counts, pages.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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
