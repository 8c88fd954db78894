#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A hostile technician app against satisfaction forms: a technician starts survey forms
//! in their own name and answers them while open; a submitted form is a record; callback
//! forms are the back office's; points are on the scale; forms are never deleted or
//! replaced, and hold only the schema's fields.

use automerge::ScalarValue;
use onsite_tests::hostile::{ITEM, Scene, now_ms};

// --- The honest controls: the helpers start, answer and submit a form.

#[tokio::test]
async fn an_open_form_is_answered_and_submitted() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.answer(&form, "quality", 10, "", now_ms());
    c.answer(&form, ITEM, 6, "changed my mind", now_ms());
    c.splice(
        &format!("forms/{form}/suggestion"),
        0,
        0,
        "call before coming",
    );
    let doc = s.expect_accepted(c.change()).await;
    let f = &doc["forms"][&form];
    assert_eq!(f["answers"]["quality"]["points"], 10, "{doc}");
    assert_eq!(f["answers"][ITEM]["points"], 6, "{doc}");
    assert_eq!(f["suggestion"], "call before coming", "{doc}");
    let submitted = s.submitted_form().await;
    let doc = s.document().await;
    assert_eq!(doc["forms"][&submitted]["by"], s.wang.as_str(), "{doc}");
}

// --- A submitted form is a record.

#[tokio::test]
async fn changing_the_points_of_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}/answers/{ITEM}"), "points", 10_i64);
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn replacing_an_answer_of_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.answer(&form, ITEM, 10, "", now_ms());
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn changing_a_comment_of_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.put(
        &format!("forms/{form}/answers/{ITEM}"),
        "comment",
        "perfect",
    );
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn answering_a_new_item_of_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.answer(&form, "quality", 10, "", now_ms());
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn removing_an_answer_of_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.delete(&format!("forms/{form}/answers"), ITEM);
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn editing_the_suggestion_of_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.splice(&format!("forms/{form}/suggestion"), 0, 0, "all good");
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn moving_the_submission_time_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}"), "submitted_at", now_ms() + 60_000);
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

#[tokio::test]
async fn reopening_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}"), "submitted_at", ScalarValue::Null);
    s.expect_refused(c.change(), &["form_submitted"]).await;
}

// --- Callback forms are the back office's.

#[tokio::test]
async fn a_technician_cannot_record_a_callback() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("callback", &s.wang);
    c.answer(&form, ITEM, 10, "", now_ms());
    s.expect_refused(c.change(), &["callback"]).await;
}

#[tokio::test]
async fn a_technician_cannot_turn_a_survey_into_a_callback() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}"), "respondent", "callback");
    // A form's respondent is fixed once it is added.
    s.expect_refused(c.change(), &["form", "callback"]).await;
}

// --- Values: the scale, and the list of respondents.

#[tokio::test]
async fn points_off_the_scale_are_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.answer(&form, "quality", 7, "", now_ms());
    s.expect_refused(c.change(), &["score_out_of_scale"]).await;
}

#[tokio::test]
async fn a_new_form_with_points_off_the_scale_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("survey", &s.wang);
    c.answer(&form, ITEM, 7, "", now_ms());
    s.expect_refused(c.change(), &["score_out_of_scale"]).await;
}

#[tokio::test]
async fn a_respondent_outside_the_list_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("boss", &s.wang);
    c.answer(&form, ITEM, 10, "", now_ms());
    s.expect_refused(c.change(), &["bad_value"]).await;
}

#[tokio::test]
async fn an_answer_time_before_1970_is_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.answer(&form, "quality", 8, "", -1);
    s.expect_refused(c.change(), &["bad_value"]).await;
}

// --- Forms are in one's own name.

#[tokio::test]
async fn a_form_in_another_technicians_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("survey", &s.li);
    c.answer(&form, ITEM, 2, "", now_ms());
    s.expect_refused(c.change(), &["impersonation"]).await;
}

#[tokio::test]
async fn a_form_in_the_back_offices_name_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let form = c.add_form("survey", &s.office_id);
    c.answer(&form, ITEM, 10, "", now_ms());
    s.expect_refused(c.change(), &["impersonation"]).await;
}

// --- Forms are never deleted or replaced.

#[tokio::test]
async fn deleting_an_open_form_is_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.delete("forms", &form);
    s.expect_refused(c.change(), &["form_deleted"]).await;
}

#[tokio::test]
async fn deleting_a_submitted_form_is_refused() {
    let s = Scene::start().await;
    let form = s.submitted_form().await;
    let mut c = s.pull().await;
    c.delete("forms", &form);
    s.expect_refused(c.change(), &["form_deleted"]).await;
}

#[tokio::test]
async fn replacing_a_form_with_a_copy_is_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.replace_with_copy("forms", &form);
    assert_eq!(
        c.scalar(&format!("forms/{form}/answers/{ITEM}"), "points"),
        ScalarValue::Int(8),
        "the copy holds the same answers"
    );
    s.expect_refused(c.change(), &["object_replaced"]).await;
}

#[tokio::test]
async fn replacing_the_answers_with_a_copy_is_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.replace_with_copy(&format!("forms/{form}"), "answers");
    s.expect_refused(c.change(), &["object_replaced"]).await;
}

#[tokio::test]
async fn replacing_all_forms_with_a_copy_is_refused() {
    let s = Scene::start().await;
    s.open_form().await;
    let mut c = s.pull().await;
    c.replace_with_copy("", "forms");
    s.expect_refused(c.change(), &["object_replaced"]).await;
}

// --- Only the schema's fields.

#[tokio::test]
async fn an_unknown_field_in_an_answer_is_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}/answers/{ITEM}"), "bonus", 100_i64);
    s.expect_refused(c.change(), &["unknown_field"]).await;
}

#[tokio::test]
async fn an_unknown_field_in_a_form_is_refused() {
    let s = Scene::start().await;
    let form = s.open_form().await;
    let mut c = s.pull().await;
    c.put(&format!("forms/{form}"), "weight", 3_i64);
    s.expect_refused(c.change(), &["unknown_field"]).await;
}
