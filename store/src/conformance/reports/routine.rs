//! Routine surveys: rounds, responses, and a response the database refuses.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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
