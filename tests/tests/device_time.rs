#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Device time is evidence, not truth: a phone whose clock runs two hours ahead, one three
//! hours behind and an honest one work a job each. The service levels are measured on
//! their clocks all the same; the report counts the jobs whose times the server doubts, and
//! the review detail shows why, event by event.

use onsite_domain::Role;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::Value;

const MIN: i64 = 60_000;
const H: i64 = 60 * MIN;

fn around_today() -> String {
    let today = chrono::Utc::now().date_naive();
    format!(
        "from={}&to={}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    )
}

async fn ok(server: &TestServer, token: &str, path: &str) -> Value {
    let (status, body) = server.call(Method::GET, path, token, None).await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Accepts, arrives, diagnoses, repairs and completes `job`, then syncs.
async fn work(phone: &Device, job: &str) {
    let c = &phone.client;
    c.sync().await.unwrap();
    c.accept(job).unwrap();
    c.arrive(job).unwrap();
    c.diagnose(job, "compressor relay stuck").unwrap();
    c.repair(job, "replaced the relay").unwrap();
    c.complete(job).unwrap();
    c.sync().await.unwrap();
    assert_eq!(c.pending_changes().unwrap(), 0);
}

fn group<'a>(report: &'a Value, tech: &str) -> &'a Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == tech)
        .unwrap_or_else(|| panic!("no group {tech} in {report}"))
}

fn flags(event: &Value) -> Vec<&str> {
    event["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect()
}

/// The timeline events of a review detail recorded by `by`.
fn events_by<'a>(detail: &'a Value, by: &str) -> Vec<&'a Value> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["by"] == by)
        .collect()
}

#[tokio::test]
async fn skewed_device_clocks_are_flagged_in_the_service_levels_and_the_review() {
    let server = TestServer::start().await.unwrap();
    let ahead = server.create_user("li", Role::Technician).unwrap();
    let honest = server.create_user("wang", Role::Technician).unwrap();
    let behind = server.create_user("zhao", Role::Technician).unwrap();
    let office_id = server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job_ahead = server
        .create_job(&office, "客户甲", Some(&ahead))
        .await
        .unwrap();
    let job_honest = server
        .create_job(&office, "客户乙", Some(&honest))
        .await
        .unwrap();
    let job_behind = server
        .create_job(&office, "客户丙", Some(&behind))
        .await
        .unwrap();
    let url = server.url();
    let li = Device::sign_in_skewed(&url, "li", 2 * H).await.unwrap();
    let wang = Device::sign_in(&url, "wang").await.unwrap();
    let zhao = Device::sign_in_skewed(&url, "zhao", -3 * H).await.unwrap();
    work(&li, &job_ahead).await;
    work(&wang, &job_honest).await;
    work(&zhao, &job_behind).await;

    let period = around_today();
    let r = ok(
        &server,
        &office,
        &format!("/v1/reports/service-levels?{period}&group_by=technician"),
    )
    .await;
    // Still measured on the device times: the job two hours ahead was accepted two hours
    // after its report by li's clock, the one behind at once (a negative span counts 0).
    assert_eq!(r["total"]["jobs"], 3);
    assert_eq!(r["total"]["response"]["measured"], 3);
    assert_eq!(r["total"]["response"]["met"], 3);
    assert_eq!(
        r["total"]["time_flags"],
        serde_json::json!({"future": 1, "before_creation": 1, "clock_off": 2, "jobs": 2})
    );
    assert_eq!(
        group(&r, &ahead)["time_flags"],
        serde_json::json!({"future": 1, "before_creation": 0, "clock_off": 1, "jobs": 1})
    );
    assert_eq!(
        group(&r, &honest)["time_flags"],
        serde_json::json!({"future": 0, "before_creation": 0, "clock_off": 0, "jobs": 0})
    );
    assert_eq!(
        group(&r, &behind)["time_flags"],
        serde_json::json!({"future": 0, "before_creation": 1, "clock_off": 1, "jobs": 1})
    );
    let only_li = ok(
        &server,
        &office,
        &format!("/v1/reports/service-levels?{period}&technician={ahead}"),
    )
    .await;
    assert_eq!(only_li["total"]["time_flags"]["jobs"], 1);
    assert_eq!(only_li["groups"][0]["time_flags"]["future"], 1);

    // The review detail, event by event.
    let detail = ok(&server, &office, &format!("/v1/review/jobs/{job_ahead}")).await;
    assert_eq!(
        detail["time_flags"],
        serde_json::json!(["future", "clock_off"])
    );
    let by_li = events_by(&detail, &ahead);
    assert_eq!(by_li.len(), 5, "{detail}");
    for e in &by_li {
        assert_eq!(flags(e), ["future", "clock_off"], "{e}");
        let offset = e["device_offset_ms"].as_i64().unwrap();
        assert!((offset + 2 * H).abs() < MIN, "{e}");
        let received = e["received_at"].as_i64().unwrap();
        assert!(e["at"].as_i64().unwrap() - received > H, "{e}");
    }
    // The back office's own events are dated by the server clock: no offset, no flag.
    let by_office = events_by(&detail, &office_id);
    assert_eq!(by_office.len(), 2, "reported and assigned");
    for e in by_office {
        assert_eq!(e["device_offset_ms"], 0, "{e}");
        assert!(flags(e).is_empty(), "{e}");
        assert!(e["received_at"].as_i64().unwrap() >= e["at"].as_i64().unwrap());
    }
    let detail = ok(&server, &office, &format!("/v1/review/jobs/{job_honest}")).await;
    assert_eq!(detail["time_flags"], serde_json::json!([]));
    for e in detail["timeline"].as_array().unwrap() {
        assert!(flags(e).is_empty(), "{e}");
        assert!(e["device_offset_ms"].as_i64().unwrap().abs() < MIN, "{e}");
    }
    let detail = ok(&server, &office, &format!("/v1/review/jobs/{job_behind}")).await;
    for e in events_by(&detail, &behind) {
        assert_eq!(flags(e), ["before_creation", "clock_off"], "{e}");
    }

    // A later sync of the job (the office reviews it, the phone syncs again) leaves the
    // receipt of the events as it was.
    let before = ok(&server, &office, &format!("/v1/review/jobs/{job_ahead}")).await;
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job_ahead}/review"),
            &office,
            Some(serde_json::json!({"decision": "approved"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    li.client.sync().await.unwrap();
    let after = ok(&server, &office, &format!("/v1/review/jobs/{job_ahead}")).await;
    assert_eq!(before["timeline"], after["timeline"]);

    // The exports carry the counts, labelled in both languages.
    let (_, csv) = server
        .download(
            &office,
            &format!("/v1/reports/service-levels?{period}&group_by=technician&format=csv"),
        )
        .await
        .unwrap();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let flagged = header
        .iter()
        .position(|h| *h == "时间存疑 flagged jobs")
        .unwrap_or_else(|| panic!("{csv}"));
    assert_eq!(
        &header[flagged..],
        [
            "时间存疑 flagged jobs",
            "时间超前 future",
            "早于建单 before creation",
            "时钟偏差 clock off"
        ]
    );
    let li_row: Vec<&str> = lines
        .find(|l| l.starts_with("li,"))
        .unwrap_or_else(|| panic!("{csv}"))
        .split(',')
        .collect();
    assert_eq!(&li_row[flagged..], ["1", "1", "0", "1"]);
}
