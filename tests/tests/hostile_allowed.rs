#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! What a technician may do, crafted by hand as a hostile app would (raw Automerge calls,
//! no typed edit) but honestly: each is accepted and shows in the back office's view. These
//! pin the policy's allowances, so that a stricter policy cannot refuse honest work.

use automerge::ScalarValue;
use onsite_tests::hostile::{ITEM, Line, SKU, Scene, now_ms};

async fn status(s: &Scene) -> String {
    let view = s.server.job(&s.office, &s.job).await.unwrap();
    view["status"].as_str().unwrap().to_string()
}

// --- Events in one's own name.

#[tokio::test]
async fn an_own_accepted_event() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let id = c.append_event("Accepted", now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["events"][2]["id"], id.as_str(), "{doc}");
    assert_eq!(status(&s).await, "accepted");
}

#[tokio::test]
async fn an_own_on_site_event() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("OnSite", now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["events"][2]["kind"], "OnSite", "{doc}");
    assert_eq!(status(&s).await, "on_site");
}

#[tokio::test]
async fn an_own_completed_event() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.append_event("Completed", now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["events"][2]["kind"], "Completed", "{doc}");
    assert_eq!(status(&s).await, "completed");
    let view = s.server.job(&s.office, &s.job).await.unwrap();
    assert_eq!(view["review_state"], "pending", "{view}");
}

#[tokio::test]
async fn every_step_of_the_visit_one_change_each() {
    let s = Scene::start().await;
    let steps = [
        ("Accepted", "accepted"),
        ("EnRoute", "en_route"),
        ("OnSite", "on_site"),
        ("Diagnosed", "diagnosed"),
        ("Repaired", "repaired"),
        ("Completed", "completed"),
    ];
    for (kind, derived) in steps {
        let mut c = s.pull().await;
        c.append_event(kind, now_ms(), &s.wang);
        s.expect_accepted(c.change()).await;
        assert_eq!(status(&s).await, derived, "after {kind}");
    }
}

// --- Notes.

#[tokio::test]
async fn an_own_note_and_its_correction() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let note = c.add_note("继电器烧坏", now_ms(), &s.wang);
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    let path = format!("notes/{note}/text");
    let end = c.text(&path).chars().count();
    c.splice(&path, end, 0, "，已更换");
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["notes"][&note]["text"], "继电器烧坏，已更换", "{doc}");
}

// --- Parts lines.

#[tokio::test]
async fn an_own_parts_line() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let line = c.add_part(&Line {
        billable: false,
        ..Line::honest(&s.wang)
    });
    let doc = s.expect_accepted(c.change()).await;
    let l = &doc["parts"][&line];
    assert_eq!(l["sku"], SKU, "{doc}");
    assert_eq!(l["quantity"], 1);
    assert_eq!(l["billable"], false);
    assert_eq!(l["by"], s.wang.as_str());
}

#[tokio::test]
async fn two_own_parts_lines_in_one_change() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let a = c.add_part(&Line::honest(&s.wang));
    let b = c.add_part(&Line {
        quantity: 3,
        ..Line::honest(&s.wang)
    });
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["parts"][&a]["quantity"], 1, "{doc}");
    assert_eq!(doc["parts"][&b]["quantity"], 3, "{doc}");
}

// --- Forms.

#[tokio::test]
async fn an_own_survey_started_answered_while_open_and_submitted() {
    let s = Scene::start().await;
    // Started, unanswered.
    let mut c = s.pull().await;
    let form = c.add_form("survey", &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["forms"][&form]["respondent"], "survey", "{doc}");
    // Answered item by item, one changed while the form is open.
    let mut c = s.pull().await;
    c.answer(&form, ITEM, 8, "", now_ms());
    c.answer(&form, "quality", 4, "noisy", now_ms());
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}/answers/{ITEM}"), "points", 10_i64);
    c.splice(&format!("forms/{form}/suggestion"), 0, 0, "come earlier");
    s.expect_accepted(c.change()).await;
    // Submitted.
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}"), "submitted_at", now_ms());
    let doc = s.expect_accepted(c.change()).await;
    let f = &doc["forms"][&form];
    assert_eq!(f["answers"][ITEM]["points"], 10, "{doc}");
    assert_eq!(f["answers"]["quality"]["points"], 4, "{doc}");
    assert_eq!(f["suggestion"], "come earlier", "{doc}");
    assert!(f["submitted_at"].is_i64(), "{doc}");
}

#[tokio::test]
async fn an_own_self_assessment_submitted_at_once() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("self", &s.wang);
    c.answer(&form, ITEM, 8, "", now_ms());
    c.put(&format!("forms/{form}"), "submitted_at", now_ms());
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["forms"][&form]["respondent"], "self", "{doc}");
    assert_eq!(doc["forms"][&form]["answers"][ITEM]["points"], 8);
}

// --- The technician's own fields of the job.

#[tokio::test]
async fn diagnosis_written_then_edited() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.splice("diagnosis", 0, 0, "启动电容失效");
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    assert_eq!(c.text("diagnosis"), "启动电容失效");
    c.splice("diagnosis", 0, 2, "压缩机");
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["diagnosis"], "压缩机电容失效", "{doc}");
}

#[tokio::test]
async fn resolution_written() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.splice(
        "resolution",
        0,
        0,
        "replaced the start capacitor, tested 30 min",
    );
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(
        doc["resolution"], "replaced the start capacitor, tested 30 min",
        "{doc}"
    );
}

#[tokio::test]
async fn labour_minutes_set_and_corrected() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "labour_minutes", 75_i64);
    s.expect_accepted(c.change()).await;
    let mut c = s.pull().await;
    assert_eq!(c.scalar("", "labour_minutes"), ScalarValue::Int(75));
    c.put("", "labour_minutes", 60_i64);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["labour_minutes"], 60, "{doc}");
}

#[tokio::test]
async fn an_own_attachment() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let a = c.add_attachment(now_ms(), &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["attachments"][&a]["by"], s.wang.as_str(), "{doc}");
}

#[tokio::test]
async fn a_whole_visit_in_one_change() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let t = now_ms();
    for kind in ["Accepted", "OnSite", "Diagnosed", "Repaired"] {
        c.append_event(kind, t, &s.wang);
    }
    c.splice("diagnosis", 0, 0, "relay");
    c.splice("resolution", 0, 0, "new relay");
    c.put("", "labour_minutes", 40_i64);
    c.add_part(&Line::honest(&s.wang));
    c.add_note("done", t, &s.wang);
    let form = c.add_form("survey", &s.wang);
    c.answer(&form, ITEM, 10, "", t);
    c.put(&format!("forms/{form}"), "submitted_at", t);
    c.append_event("Completed", t + 1, &s.wang);
    let doc = s.expect_accepted(c.change()).await;
    assert_eq!(doc["labour_minutes"], 40, "{doc}");
    assert_eq!(status(&s).await, "completed");
}
