#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Form templates are versioned reference data: a published version reaches the devices
//! through the sync, and a form answered on an older version keeps it.

use onsite_domain::Role;
use onsite_tests::office::expect;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_published_template_version_reaches_devices_and_old_forms_keep_theirs() {
    let mut server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "Zhang", Some(&wang))
        .await
        .unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();

    // Offline, the customer starts a form on the only version the phone knows: v1.
    server.stop().await.unwrap();
    let on_v1 = phone.client.start_form(&job, "survey").unwrap();
    phone
        .client
        .answer_item(&job, &on_v1, "overall", 10, "")
        .unwrap();
    server.restart().await.unwrap();

    let mut items: Vec<Value> = onsite_domain::FormTemplate::builtin()
        .items
        .iter()
        .map(|i| json!({"id": i.id, "label_zh": i.label_zh, "label_en": i.label_en}))
        .collect();
    items.push(json!({"id": "tidiness", "label_zh": "现场整洁", "label_en": "Tidiness on site"}));
    let v2 = expect(
        &server,
        &office,
        Method::POST,
        "/v1/form-templates",
        Some(
            json!({"id": "csat-onsite", "title_zh": "现场服务满意度调查",
                    "title_en": "On-site service satisfaction", "items": items,
                    "suggestion_zh": "意见和建议", "suggestion_en": "Suggestions"}),
        ),
        201,
    )
    .await;
    assert_eq!(v2["version"], 2);
    let listed = expect(
        &server,
        &office,
        Method::GET,
        "/v1/form-templates?id=csat-onsite",
        None,
        200,
    )
    .await;
    assert_eq!(listed["templates"].as_array().unwrap().len(), 2);
    let one = expect(
        &server,
        &office,
        Method::GET,
        "/v1/form-templates/csat-onsite/1",
        None,
        200,
    )
    .await;
    assert_eq!(one["items"].as_array().unwrap().len(), 11);

    let report = phone.client.sync().await.unwrap();
    assert!(report.reference_changed);
    let on_phone = phone.client.form_template("csat-onsite", 2).unwrap();
    assert_eq!(on_phone.items.len(), 12);
    assert_eq!(on_phone.items[11].label_zh, "现场整洁");

    // The form started on v1 is still answered against v1.
    let refused = phone.client.answer_item(&job, &on_v1, "tidiness", 10, "");
    assert_eq!(
        refused.unwrap_err().kind(),
        onsite_client::ErrorKind::InvalidInput
    );
    phone
        .client
        .answer_item(&job, &on_v1, "quality", 8, "")
        .unwrap();
    phone.client.submit_form(&job, &on_v1, "").unwrap();
    // A new form takes v2, with its new item.
    let on_v2 = phone.client.start_form(&job, "self").unwrap();
    phone
        .client
        .answer_item(&job, &on_v2, "tidiness", 8, "")
        .unwrap();
    phone.client.submit_form(&job, &on_v2, "").unwrap();
    phone.client.sync().await.unwrap();

    let detail = expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/review/jobs/{job}"),
        None,
        200,
    )
    .await;
    let mut versions: Vec<(String, i64)> = detail["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["respondent"].as_str().unwrap().to_string(),
                f["template_version"].as_i64().unwrap(),
            )
        })
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        [("self".to_string(), 2), ("survey".to_string(), 1)],
        "{detail}"
    );
}
