#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A hostile technician app against the job's records: the customer, the job as reported
//! (complaint, time, origin, fault, product), the back office's classification, the
//! assignee, the job's identity, and jobs of other technicians. Each family has an honest
//! control that the same helpers build and the server accepts.

use automerge::{ObjType, ScalarValue};
use onsite_tests::hostile::{Scene, new_id, now_ms};
use reqwest::Method;
use serde_json::json;

// --- The customer record: the back office's.

#[tokio::test]
async fn the_back_office_corrects_the_customer_by_sync() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put("customer", "phone", "+86 139 1111 2222");
    let doc = s.expect_accepted_from(&office, vec![c.change()]).await;
    assert_eq!(doc["customer"]["phone"], "+86 139 1111 2222", "{doc}");
}

#[tokio::test]
async fn a_technician_cannot_rename_the_customer() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("customer", "name", "Someone Else Ltd");
    s.expect_refused(c.change(), &["customer_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_change_the_customers_phone() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("customer", "phone", "+86 139 1111 2222");
    s.expect_refused(c.change(), &["customer_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_change_the_customers_tier() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("customer", "tier", "general");
    s.expect_refused(c.change(), &["customer_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_move_the_customers_site_far() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("customer", "site_distance", "far");
    s.expect_refused(c.change(), &["customer_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_rewrite_a_customer_field_with_its_own_value() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let change = c.rewrite_same("customer", "name");
    s.expect_refused(change, &["customer_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_delete_a_customer_field() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.delete("customer", "region");
    // The job no longer reads without the field: `schema` is as good a refusal.
    s.expect_refused(c.change(), &["customer_record", "schema"])
        .await;
}

#[tokio::test]
async fn replacing_the_customer_with_a_copy_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.replace_with_copy("", "customer");
    assert_eq!(
        c.string("customer", "name"),
        "Hostile Test Customer",
        "the copy holds the same record"
    );
    s.expect_refused(c.change(), &["object_replaced"]).await;
}

// --- The job as reported, and the product.

#[tokio::test]
async fn the_back_office_marks_a_complaint_by_sync() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put("", "complaint", true);
    c.put("product", "purchase_date", "2025-01-15");
    let doc = s.expect_accepted_from(&office, vec![c.change()]).await;
    assert_eq!(doc["complaint"], true, "{doc}");
    assert_eq!(doc["product"]["purchase_date"], "2025-01-15", "{doc}");
}

#[tokio::test]
async fn a_technician_cannot_mark_a_complaint() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "complaint", true);
    s.expect_refused(c.change(), &["job_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_move_the_report_time() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "reported_at", now_ms() - 86_400_000);
    s.expect_refused(c.change(), &["job_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_change_the_origin() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "origin", "onsite");
    s.expect_refused(c.change(), &["job_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_edit_the_reported_fault() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    assert_eq!(c.text("fault"), "does not cool");
    c.splice("fault", 0, 4, "now");
    s.expect_refused(c.change(), &["job_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_change_the_purchase_date() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    // A later purchase date would move the job into warranty.
    c.put("product", "purchase_date", "2026-12-01");
    s.expect_refused(c.change(), &["job_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_change_the_product_model() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("product", "model", "AC-1");
    s.expect_refused(c.change(), &["job_record"]).await;
}

#[tokio::test]
async fn a_technician_cannot_change_the_serial() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("product", "serial", "SN-FAKE");
    s.expect_refused(c.change(), &["job_record"]).await;
}

// --- The classification: the back office's.

#[tokio::test]
async fn the_back_office_classifies_by_sync() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put("", "feedback_category", "service");
    c.put("", "responsible_department", "supply");
    let doc = s.expect_accepted_from(&office, vec![c.change()]).await;
    assert_eq!(doc["feedback_category"], "service", "{doc}");
    assert_eq!(doc["responsible_department"], "supply", "{doc}");
}

#[tokio::test]
async fn a_technician_cannot_set_the_feedback_category() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "feedback_category", "product");
    s.expect_refused(c.change(), &["classification"]).await;
}

#[tokio::test]
async fn a_technician_cannot_blame_a_department() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "responsible_department", "rnd");
    s.expect_refused(c.change(), &["classification"]).await;
}

#[tokio::test]
async fn a_technician_cannot_clear_the_classification() {
    let s = Scene::start().await;
    office_classify(&s).await;
    let mut c = s.pull().await;
    c.put("", "feedback_category", ScalarValue::Null);
    s.expect_refused(c.change(), &["classification"]).await;
}

async fn office_classify(s: &Scene) {
    let body = onsite_tests::office::expect(
        &s.server,
        &s.office,
        Method::POST,
        &format!("/v1/jobs/{}/classify", s.job),
        Some(json!({"feedback_category": "process", "responsible_department": "rnd"})),
        200,
    )
    .await;
    assert_eq!(body["document"]["feedback_category"], "process");
}

// --- The assignee: any write is the back office's.

#[tokio::test]
async fn the_back_office_reassigns_by_sync() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put("", "assignee", s.li.as_str());
    c.append_event("Assigned", now_ms(), &s.office_id);
    let doc = s.expect_accepted_from(&office, vec![c.change()]).await;
    assert_eq!(doc["assignee"], s.li.as_str(), "{doc}");
}

#[tokio::test]
async fn a_technician_cannot_hand_the_job_to_a_colleague() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "assignee", s.li.as_str());
    s.expect_refused(c.change(), &["reassign"]).await;
}

#[tokio::test]
async fn a_technician_cannot_unassign_themselves() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "assignee", ScalarValue::Null);
    s.expect_refused(c.change(), &["reassign"]).await;
}

#[tokio::test]
async fn a_technician_cannot_delete_the_assignee() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.delete("", "assignee");
    s.expect_refused(c.change(), &["reassign", "schema"]).await;
}

#[tokio::test]
async fn a_technician_cannot_rewrite_the_assignee_with_its_current_value() {
    // The value is the same, but the write is a new op that wins over the back office's
    // concurrent reassignment: it is a reassignment all the same.
    let s = Scene::start().await;
    let mut c = s.pull().await;
    let change = c.rewrite_same("", "assignee");
    s.expect_refused(change, &["reassign"]).await;
}

// --- The job's identity: nobody rewrites it.

#[tokio::test]
async fn a_technician_cannot_change_the_job_id() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    c.put("", "id", new_id().as_str());
    s.expect_refused(c.change(), &["immutable"]).await;
}

#[tokio::test]
async fn a_technician_cannot_rewrite_the_schema_version() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    assert_eq!(c.scalar("", "schema_version"), ScalarValue::Uint(1));
    let change = c.rewrite_same("", "schema_version");
    s.expect_refused(change, &["immutable"]).await;
}

#[tokio::test]
async fn the_back_office_cannot_rewrite_the_job_id_by_sync() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    let change = c.rewrite_same("", "id");
    s.expect_refused_from(&office, &s.job, vec![change], &["immutable"])
        .await;
}

#[tokio::test]
async fn the_back_office_cannot_change_the_schema_version_by_sync() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put("", "schema_version", ScalarValue::Uint(0));
    s.expect_refused_from(&office, &s.job, vec![c.change()], &["immutable"])
        .await;
}

#[tokio::test]
async fn the_back_office_cannot_replace_the_schema_version_with_another_type() {
    let s = Scene::start().await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &s.job).await;
    c.put_object("", "schema_version", ObjType::Map);
    s.expect_refused_from(
        &office,
        &s.job,
        vec![c.change()],
        &["immutable", "object_replaced", "schema"],
    )
    .await;
}

// --- Jobs of other technicians.

#[tokio::test]
async fn writing_to_another_technicians_job_is_refused() {
    let s = Scene::start().await;
    let theirs = s.another_job(&s.li).await;
    // The document as the back office sees it: the hostile app got hold of it somehow.
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &theirs).await;
    c.append_event("Accepted", now_ms(), &s.wang);
    s.expect_refused_from(&s.device, &theirs, vec![c.change()], &["not_assigned"])
        .await;
}

#[tokio::test]
async fn writing_to_a_job_after_it_was_reassigned_away_is_refused() {
    let s = Scene::start().await;
    let mut c = s.pull().await;
    onsite_tests::office::expect(
        &s.server,
        &s.office,
        Method::POST,
        &format!("/v1/jobs/{}/assign", s.job),
        Some(json!({"assignee": s.li})),
        200,
    )
    .await;
    c.append_event("Accepted", now_ms(), &s.wang);
    s.expect_refused_from(&s.device, &s.job, vec![c.change()], &["not_assigned"])
        .await;
}

#[tokio::test]
async fn taking_another_technicians_job_is_refused() {
    let s = Scene::start().await;
    let theirs = s.another_job(&s.li).await;
    let office = s.office_device().await;
    let mut c = s.pull_from(&office, &theirs).await;
    c.put("", "assignee", s.wang.as_str());
    s.expect_refused_from(&s.device, &theirs, vec![c.change()], &["not_assigned"])
        .await;
}
