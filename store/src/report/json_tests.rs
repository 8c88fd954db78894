//! The typed read models answer the JSON the reports answered when they were built as JSON
//! values: these pin the shapes that are easy to get wrong (renamed, flattened and null
//! fields, number types).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use serde_json::json;

use super::corrective::CorrectiveAction;
use super::routine::{SubjectTotals, Survey, SurveySummary, SurveyTotals};
use super::satisfaction::{GroupFigures, ItemFigures, Sums, Totals, TotalsFigures};
use super::service_levels::{LevelFigures, Levels, Met};
use super::{Dates, Period};

fn js(v: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

#[test]
fn satisfaction_figures_keep_self_null_figures_and_flattened_keys() {
    let t = Totals {
        self_assessment: Sums::default(),
        survey: Sums {
            answered: 2,
            points: 16,
            satisfied: 2,
        },
    };
    let g = GroupFigures {
        key: "li".into(),
        label: "Li".into(),
        figures: (&t).into(),
        totals: t,
    };
    assert_eq!(
        js(&g),
        json!({
            "key": "li",
            "label": "Li",
            "self": { "answered": 0, "degree_pct": null, "rate_pct": null },
            "survey": { "answered": 2, "degree_pct": 80.0, "rate_pct": 100.0 },
            "all": { "answered": 2, "degree_pct": 80.0, "rate_pct": 100.0 },
            "overall": null,
        })
    );
    assert!(js(TotalsFigures::from(&Totals::default()))["overall"].is_null());
    assert_eq!(
        js(ItemFigures::new("no-such-item", Sums::default())),
        json!({
            "item": "no-such-item",
            "label_zh": null,
            "label_en": null,
            "answered": 0,
            "degree_pct": null,
            "rate_pct": null,
        })
    );
}

#[test]
fn periods_are_dates() {
    let p = Period::month("2026-02").unwrap();
    assert_eq!(
        js(Dates::from(p)),
        json!({ "from": "2026-02-01", "to": "2026-02-28" })
    );
    assert_eq!(js(Dates::from(p)), p.json());
}

#[test]
fn service_levels_answer_null_shares_and_averages_when_nothing_was_measured() {
    let targets = onsite_domain::service::Targets::default();
    let l = Levels {
        jobs: 1,
        response: Met {
            measured: 1,
            met: 1,
        },
        ..Levels::default()
    };
    let v = js(LevelFigures::new(&l, &targets));
    assert_eq!(
        v["response"],
        json!({ "measured": 1, "met": 1, "share_pct": 100.0 })
    );
    assert_eq!(
        v["handling"],
        json!({
            "measured": 0,
            "met": 0,
            "share_pct": null,
            "average_minutes": null,
            "average_met": null,
        })
    );
    assert_eq!(
        v["time_flags"],
        json!({ "future": 0, "before_creation": 0, "clock_off": 0, "jobs": 0 })
    );
}

#[test]
fn routine_rounds_flatten_the_survey_beside_its_figures() {
    let survey = Survey {
        id: "s1".into(),
        tier: "key".into(),
        round: onsite_domain::survey::Round::parse("2026-Q3").unwrap(),
        template_id: "csat-onsite".into(),
        template_version: 1,
        title: "t".into(),
        created_at: 5,
        created_by: "u".into(),
    };
    let row = SurveySummary::from(&SurveyTotals {
        survey,
        ours: SubjectTotals::default(),
    });
    assert_eq!(
        js(&row),
        json!({
            "id": "s1",
            "tier": "key",
            "round": "2026-Q3",
            "months": { "from": "2026-07", "to": "2026-09" },
            "template_id": "csat-onsite",
            "template_version": 1,
            "title": "t",
            "created_at": 5,
            "created_by": "u",
            "returned_forms": 0,
            "valid": false,
            "ours": { "answered": 0, "degree_pct": null, "rate_pct": null },
        })
    );
}

#[test]
fn corrective_actions_answer_null_labels_and_technician() {
    let a = CorrectiveAction {
        id: 7,
        job_id: "j".into(),
        form_id: "f".into(),
        item: "gone".into(),
        item_label_zh: None,
        item_label_en: None,
        points: 4,
        level_zh: Some("不满意".into()),
        owner: String::new(),
        department: "service".into(),
        due_date: "2026-11-17".into(),
        status: "open".into(),
        verification: String::new(),
        created_at: 1,
        updated_at: 2,
        technician: None,
        customer_name: "c".into(),
        product_model: "M1".into(),
    };
    let v = js(&a);
    assert_eq!(v.as_object().unwrap().len(), 18);
    assert!(v["item_label_zh"].is_null() && v["technician"].is_null());
    assert_eq!(v["id"], 7);
}
