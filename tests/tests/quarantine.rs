#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A job document damaged on disk is set aside, not a 500: the API answers 409
//! `quarantined`, the back office lists it, no device is sent it, and everything else —
//! other jobs, sync, sign-in — goes on working.

use automerge::transaction::Transactable;
use onsite_domain::Role;
use onsite_tests::office::{call, expect};
use onsite_tests::raw::RawDevice;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

/// Overwrites a job's stored document, as a failing disk would. The one thing these tests
/// write into the server's database behind its back.
fn damage(server: &TestServer, job: &str, bytes: &[u8]) {
    let changed = onsite_tests::sqlite_file::damage_document(server, job, bytes).unwrap();
    assert_eq!(changed, 1);
}

fn ids(docs: &[(String, onsite_domain::JobDoc)]) -> Vec<String> {
    let mut ids: Vec<String> = docs.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_damaged_job_document_is_set_aside_and_everything_else_keeps_working() {
    let server = TestServer::start().await.unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let unreadable = server
        .create_job(&office, "Zhang", Some(&wang))
        .await
        .unwrap();
    let not_a_job = server.create_job(&office, "Li", None).await.unwrap();
    let first_seen_in_review = server.create_job(&office, "Wu", None).await.unwrap();
    let healthy = server
        .create_job(&office, "Zhao", Some(&wang))
        .await
        .unwrap();
    expect(
        &server,
        &office,
        Method::POST,
        &format!("/v1/jobs/{not_a_job}/assign"),
        Some(json!({"assignee": wang})),
        200,
    )
    .await;
    let nothing = expect(&server, &office, Method::GET, "/v1/quarantine", None, 200).await;
    assert_eq!(nothing, json!({"jobs": []}));

    // One document's bytes are garbage; another is a valid Automerge document, not a job.
    damage(
        &server,
        &unreadable,
        b"\x85\x6f\x4a\x83 this is not a document",
    );
    let mut other = automerge::AutoCommit::new();
    other.put(automerge::ROOT, "customer", "not a map").unwrap();
    damage(&server, &not_a_job, &other.save());
    damage(&server, &first_seen_in_review, b"\x00\x01 damaged");

    let (status, body) = call(
        &server,
        &office,
        Method::GET,
        &format!("/v1/jobs/{unreadable}"),
        None,
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "quarantined");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("could not be loaded"), "{message}");
    // An edit of the job it cannot use is refused the same way, and changes nothing.
    let (status, body) = call(
        &server,
        &office,
        Method::POST,
        &format!("/v1/jobs/{not_a_job}/classify"),
        Some(json!({"feedback_category": "product", "responsible_department": "rnd"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "quarantined");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("not a job"), "{message}");
    // Asked again, the answer is the same (the job stays set aside).
    let (status, again) = call(
        &server,
        &office,
        Method::GET,
        &format!("/v1/jobs/{not_a_job}"),
        None,
    )
    .await;
    assert_eq!(
        (status, &again["error"]["message"]),
        (409, &body["error"]["message"])
    );

    // The back office sees both, the latest first.
    let list = expect(&server, &office, Method::GET, "/v1/quarantine", None, 200).await;
    let listed: Vec<&str> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    let mut expected = vec![unreadable.as_str(), not_a_job.as_str()];
    expected.sort();
    assert_eq!(sorted, expected, "{list}");
    let ats: Vec<i64> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["at"].as_i64().unwrap())
        .collect();
    assert!(ats[0] >= ats[1], "{list}");
    let now = chrono::Utc::now().timestamp_millis();
    assert!(ats.iter().all(|at| (now - at).abs() < 3_600_000), "{list}");
    let entry = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == unreadable.as_str())
        .unwrap();
    assert!(
        entry["reason"]
            .as_str()
            .unwrap()
            .contains("could not be loaded")
    );

    // The review detail still answers from the query tables, without the history.
    let detail = expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/review/jobs/{unreadable}"),
        None,
        200,
    )
    .await;
    assert_eq!(detail["customer"]["name"], "Zhang");
    assert_eq!(detail["history"], json!([]));
    assert_eq!(detail["quarantined"]["reason"], entry["reason"]);
    assert_eq!(detail["quarantined"]["at"], entry["at"]);
    let fine = expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/review/jobs/{healthy}"),
        None,
        200,
    )
    .await;
    assert_eq!(fine["quarantined"], Value::Null);
    assert!(!fine["history"].as_array().unwrap().is_empty());
    // Lists still show it.
    let jobs = expect(&server, &office, Method::GET, "/v1/jobs", None, 200).await;
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 4);
    // The detail is where this one is found unusable: it is set aside there.
    let detail = expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/review/jobs/{first_seen_in_review}"),
        None,
        200,
    )
    .await;
    assert_eq!(detail["customer"]["name"], "Wu");
    assert_eq!(detail["history"], json!([]));
    let reason = detail["quarantined"]["reason"].as_str().unwrap();
    assert!(reason.contains("could not be loaded"), "{detail}");
    let list = expect(&server, &office, Method::GET, "/v1/quarantine", None, 200).await;
    assert_eq!(list["jobs"].as_array().unwrap().len(), 3, "{list}");
    let (status, _) = call(
        &server,
        &office,
        Method::GET,
        &format!("/v1/jobs/{first_seen_in_review}"),
        None,
    )
    .await;
    assert_eq!(status, 409);

    // Sign-in works; the technician's new device gets the healthy job only.
    let phone = server.login("wang", "phone").await.unwrap();
    let docs = RawDevice::new(&server.url(), &phone)
        .pull_all()
        .await
        .unwrap();
    assert_eq!(ids(&docs), vec![healthy.clone()]);
    let device = Device::sign_in(&server.url(), "wang").await.unwrap();
    device.client.sync().await.unwrap();
    assert_eq!(device.job_ids().unwrap(), vec![healthy.clone()]);
    // A back-office device is not sent them either.
    let tablet = Device::sign_in(&server.url(), "office").await.unwrap();
    tablet.client.sync().await.unwrap();
    assert_eq!(tablet.job_ids().unwrap(), vec![healthy.clone()]);

    // The healthy job is still edited, and the edit reaches the device.
    expect(
        &server,
        &office,
        Method::POST,
        &format!("/v1/jobs/{healthy}/classify"),
        Some(json!({"feedback_category": "service", "responsible_department": "quality"})),
        200,
    )
    .await;
    device.client.sync().await.unwrap();
    let on_device = device.client.get_job(&healthy).unwrap();
    assert_eq!(on_device.job.feedback_category.as_deref(), Some("service"));
    let job = server.job(&office, &healthy).await.unwrap();
    assert_eq!(job["document"]["feedback_category"], "service");
    assert_eq!(job["truncated"], false);
}

#[tokio::test]
async fn only_the_back_office_reads_the_quarantine() {
    let server = TestServer::start().await.unwrap();
    server.create_user("wang", Role::Technician).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    for (user, device) in [("wang", "phone"), ("root", "admin-pc")] {
        let token = server.login(user, device).await.unwrap();
        let (status, body) = call(&server, &token, Method::GET, "/v1/quarantine", None).await;
        assert_eq!(status, 403, "{user}: {body}");
    }
    let (status, _) = call(&server, "", Method::GET, "/v1/quarantine", None).await;
    assert_eq!(status, 401);
}
