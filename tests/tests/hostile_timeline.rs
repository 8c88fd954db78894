#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A hostile technician app against the timeline and the review decisions: events are
//! appended in one's own name with a kind a technician may record, never edited, deleted,
//! replaced or given an id that is taken; reviews are the back office's alone.

use automerge::ObjType;
use onsite_tests::hostile::{Craft, Scene, new_id, now_ms};

const TIMELINE: &[&str] = &["timeline_rewritten"];
const REPLACED: &[&str] = &["object_replaced", "timeline_rewritten"];

// --- The honest control: the same helper appends an event that is accepted.

#[tokio::test]
async fn an_own_accepted_event_is_accepted() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let id = c.append_event("Accepted", now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    let last = &doc["events"][2];
    assert_eq!(last["id"], id.as_str(), "{doc}");
    assert_eq!(last["kind"], "Accepted");
    assert_eq!(last["by"], s.wang.as_str());
    let view = s.server.job(&s.office, &s.job).await.unwrap();
    assert_eq!(view["status"], "accepted", "{view}");
}

// --- Existing events are never edited, deleted or replaced.

#[tokio::test]
async fn moving_an_events_time_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("events/0", "at", 1_000_i64);
    s.expect_refused(c.change(), TIMELINE).await;
}

#[tokio::test]
async fn taking_over_an_event_of_the_back_office_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("events/1", "by", s.wang.as_str());
    s.expect_refused(c.change(), TIMELINE).await;
}

#[tokio::test]
async fn changing_an_events_kind_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("events/1", "kind", "Accepted");
    s.expect_refused(c.change(), TIMELINE).await;
}

#[tokio::test]
async fn changing_an_events_id_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("events/0", "id", new_id().as_str());
    s.expect_refused(c.change(), TIMELINE).await;
}

#[tokio::test]
async fn editing_an_own_event_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    c.put("events/2", "at", now_ms() - 3_600_000);
    s.expect_refused(c.change(), TIMELINE).await;
}

#[tokio::test]
async fn deleting_an_event_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.delete("events", "1");
    s.expect_refused(c.change(), TIMELINE).await;
}

#[tokio::test]
async fn deleting_an_event_and_appending_its_copy_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let (id, at, by) = (
        c.string("events/1", "id"),
        c.scalar("events/1", "at"),
        c.string("events/1", "by"),
    );
    let at = at.as_i64().unwrap();
    c.delete("events", "1");
    c.append_event_with_id(&id, "Assigned", at, &by);
    s.expect_refused(c.change(), &["timeline_rewritten", "duplicate_id"])
        .await;
}

#[tokio::test]
async fn replacing_the_timeline_with_a_copy_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.replace_with_copy("", "events");
    assert_eq!(c.len("events"), 2, "the copy holds the same events");
    s.expect_refused(c.change(), REPLACED).await;
}

#[tokio::test]
async fn replacing_the_timeline_with_an_empty_list_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put_object("", "events", ObjType::List);
    s.expect_refused(c.change(), REPLACED).await;
}

#[tokio::test]
async fn replacing_one_event_with_its_copy_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.replace_with_copy("events", "0");
    s.expect_refused(c.change(), REPLACED).await;
}

// --- New events: ids are unique.

#[tokio::test]
async fn a_cancellation_with_a_copied_id_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let id = c.string("events/1", "id");
    c.append_event_with_id(&id, "Cancelled", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["duplicate_id"]).await;
}

#[tokio::test]
async fn an_accepted_event_with_a_copied_id_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let id = c.string("events/0", "id");
    c.append_event_with_id(&id, "Accepted", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["duplicate_id"]).await;
}

#[tokio::test]
async fn two_new_events_with_one_id_are_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let id = new_id();
    c.append_event_with_id(&id, "Accepted", now_ms(), &s.wang);
    c.append_event_with_id(&id, "OnSite", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["duplicate_id"]).await;
}

// --- New events: kinds a technician may record.

#[tokio::test]
async fn a_technician_cannot_record_a_report() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Reported", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["event_kind"]).await;
}

#[tokio::test]
async fn a_technician_cannot_record_an_assignment() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Assigned", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["event_kind"]).await;
}

#[tokio::test]
async fn a_technician_cannot_cancel_a_job() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Cancelled", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["event_kind"]).await;
}

#[tokio::test]
async fn an_event_kind_outside_the_list_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Teleported", now_ms(), &s.wang);
    s.expect_refused(c.change(), &["bad_value", "schema"]).await;
}

// --- New events: in one's own name.

#[tokio::test]
async fn an_event_in_the_back_offices_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Accepted", now_ms(), &s.office_id);
    s.expect_refused(c.change(), &["impersonation"]).await;
}

#[tokio::test]
async fn an_event_in_another_technicians_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Completed", now_ms(), &s.li);
    s.expect_refused(c.change(), &["impersonation"]).await;
}

// --- Reviews belong to the back office: a technician writes nothing under `reviews`.

fn append_review(c: &mut Craft, decision: &str, by: &str) {
    c.append_map(
        "reviews",
        &[
            ("id", new_id().into()),
            ("decision", decision.into()),
            ("comment", "".into()),
            ("at", now_ms().into()),
            ("by", by.into()),
        ],
    );
}

#[tokio::test]
async fn the_back_office_appends_a_review_by_sync() {
    let s = Scene::start().await;
    s.complete().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    append_review(&mut c, "Approved", &s.office_id);
    let doc = s.expect_accepted_from(&office, vec![c.change()]).await;
    assert_eq!(doc["reviews"][0]["decision"], "Approved", "{doc}");
    let view = s.server.job(&s.office, &s.job).await.unwrap();
    assert_eq!(view["review_state"], "approved", "{view}");
}

#[tokio::test]
async fn a_technician_cannot_approve_in_the_back_offices_name() {
    let s = Scene::start().await;
    s.complete().await;
    let mut c = s.pull().await;
    append_review(&mut c, "Approved", &s.office_id);
    s.expect_refused(c.change(), &["review"]).await;
}

#[tokio::test]
async fn a_technician_cannot_approve_in_their_own_name() {
    let s = Scene::start().await;
    s.complete().await;
    let mut c = s.pull().await;
    append_review(&mut c, "Approved", &s.wang);
    s.expect_refused(c.change(), &["review"]).await;
}

#[tokio::test]
async fn a_technician_cannot_turn_a_return_into_an_approval() {
    let s = Scene::start().await;
    s.complete_and_return().await;
    let mut c = s.pull().await;
    assert_eq!(c.string("reviews/0", "decision"), "Returned");
    c.put("reviews/0", "decision", "Approved");
    s.expect_refused(c.change(), &["review"]).await;
}

#[tokio::test]
async fn a_technician_cannot_edit_a_review_comment() {
    let s = Scene::start().await;
    s.complete_and_return().await;
    let mut c = s.pull().await;
    c.put("reviews/0", "comment", "looks good");
    s.expect_refused(c.change(), &["review"]).await;
}

#[tokio::test]
async fn a_technician_cannot_delete_a_review() {
    let s = Scene::start().await;
    s.complete_and_return().await;
    let mut c = s.pull().await;
    c.delete("reviews", "0");
    s.expect_refused(c.change(), &["review"]).await;
}

#[tokio::test]
async fn a_technician_cannot_replace_the_reviews_with_a_copy() {
    let s = Scene::start().await;
    s.complete_and_return().await;
    let mut c = s.pull().await;
    c.replace_with_copy("", "reviews");
    s.expect_refused(c.change(), &["review", "object_replaced"])
        .await;
}

#[tokio::test]
async fn completing_again_after_a_return_is_accepted() {
    let s = Scene::start().await;
    s.complete_and_return().await;
    let mut c = s.pull().await;
    c.append_event("Completed", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    let view = s.server.job(&s.office, &s.job).await.unwrap();
    assert_eq!(view["review_state"], "pending", "{view}");
}
