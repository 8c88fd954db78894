#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A hostile technician app against the shape and size of a job: keys the schema does not
//! have, values out of range, timestamps outside 2000–2100, strings and texts beyond the
//! limits, and one upload with more events than the limit. Honest values at the limits are
//! accepted. (9 MB strings are scalar values: a text object holds one op per character.)

use automerge::ObjType;
use automerge::transaction::Transactable;
use onsite_tests::hostile::{Scene, new_id, now_ms};

/// 9 MB.
const HUGE: usize = 9 * 1024 * 1024;
/// The longest text (`diagnosis`, `resolution`, notes) a job takes, in characters.
const TEXT_LIMIT: usize = 20_000;
/// The most events one upload may add.
const EVENT_LIMIT: usize = 10_000;
/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z, in milliseconds.
const Y2100: i64 = 4_102_444_800_000;

// --- Keys the schema does not have.

#[tokio::test]
async fn an_unknown_key_at_the_root_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "evil", "payload");
    s.expect_refused(c.change(), &["unknown_field"]).await;
}

#[tokio::test]
async fn an_unknown_object_at_the_root_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let obj = c.put_object("", "cache", ObjType::Map);
    c.doc.put(&obj, "k", 1_i64).unwrap();
    s.expect_refused(c.change(), &["unknown_field"]).await;
}

#[tokio::test]
async fn an_unknown_key_in_a_new_event_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let event = c.append_event_with_id(&new_id(), "Accepted", now_ms(), &s.wang);
    c.doc.put(&event, "extra", "x").unwrap();
    s.expect_refused(c.change(), &["unknown_field"]).await;
}

#[tokio::test]
async fn an_unknown_key_in_the_customer_is_refused_for_the_back_office_too() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put("customer", "x", "y");
    s.expect_refused_from(&office, &s.job, vec![c.change()], &["unknown_field"])
        .await;
}

#[tokio::test]
async fn an_unknown_key_in_the_customer_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("customer", "x", "y");
    s.expect_refused(c.change(), &["unknown_field", "customer_record"])
        .await;
}

#[tokio::test]
async fn an_unknown_key_in_a_new_note_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let note = c.add_note("ok", now_ms(), &s.wang);
    c.put(&format!("notes/{note}"), "pinned", true);
    s.expect_refused(c.change(), &["unknown_field"]).await;
}

// --- Values out of range.

#[tokio::test]
async fn labour_minutes_are_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "labour_minutes", 90_i64);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["labour_minutes"], 90, "{doc}");
}

#[tokio::test]
async fn negative_labour_minutes_are_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "labour_minutes", -30_i64);
    s.expect_refused(c.change(), &["bad_value"]).await;
}

#[tokio::test]
async fn an_event_dated_before_1970_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", -1, &s.wang);
    s.expect_refused(c.change(), &["bad_value"]).await;
}

#[tokio::test]
async fn an_event_dated_after_2100_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Completed", Y2100 + 1, &s.wang);
    s.expect_refused(c.change(), &["bad_value"]).await;
}

#[tokio::test]
async fn a_note_dated_before_2000_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_note("old", -1, &s.wang);
    s.expect_refused(c.change(), &["bad_value"]).await;
}

// --- Sizes.

#[tokio::test]
async fn a_diagnosis_at_the_text_limit_is_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let text = "a".repeat(TEXT_LIMIT);
    c.splice("diagnosis", 0, 0, &text);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(
        doc["diagnosis"].as_str().map(|t| t.chars().count()),
        Some(TEXT_LIMIT)
    );
}

#[tokio::test]
async fn a_diagnosis_beyond_the_text_limit_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let text = "a".repeat(TEXT_LIMIT + 1);
    c.splice("diagnosis", 0, 0, &text);
    s.expect_refused(c.change(), &["too_large"]).await;
}

#[tokio::test]
async fn a_chinese_resolution_beyond_the_text_limit_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let text = "修".repeat(TEXT_LIMIT + 1);
    c.splice("resolution", 0, 0, &text);
    s.expect_refused(c.change(), &["too_large"]).await;
}

#[tokio::test]
async fn a_9_mb_event_id_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event_with_id(&"e".repeat(HUGE), "Accepted", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["too_large"]).await;
}

#[tokio::test]
async fn a_9_mb_answer_comment_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("survey", &s.wang);
    c.answer(&form, "overall", 10, &"c".repeat(HUGE), now_ms());
    s.expect_refused(c.change(), &["too_large"]).await;
}

#[tokio::test]
async fn a_9_mb_parts_sku_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.add_part(&onsite_tests::hostile::Line {
        sku: "S".repeat(HUGE),
        ..onsite_tests::hostile::Line::honest(&s.wang)
    });
    s.expect_refused(c.change(), &["too_large"]).await;
}

#[tokio::test]
async fn many_honest_events_in_one_upload_are_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let at = now_ms();
    for i in 0..100 {
        c.append_event(
            ["Accepted", "EnRoute", "OnSite"][i % 3],
            at + i as i64,
            &s.wang,
        );
    }
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["events"].as_array().map(Vec::len), Some(102), "events");
}

#[tokio::test]
async fn more_than_10_000_events_in_one_upload_are_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let at = now_ms();
    for i in 0..=EVENT_LIMIT {
        c.append_event(
            ["Accepted", "EnRoute", "OnSite"][i % 3],
            at + i as i64,
            &s.wang,
        );
    }
    let change = c.change();
    assert!(change.len() < 32 * 1024 * 1024, "under the sync body limit");
    s.expect_refused(change, &["too_large"]).await;
}
