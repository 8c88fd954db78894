#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Two servers on one PostgreSQL database, as several `onsite serve` run behind one
//! address: whatever a client does through one, the other holds it to. Each server has
//! its own memory (limits, notice hub, caches); only the database is shared. On SQLite,
//! which one server serves, these say they did not run.

use std::sync::Arc;
use std::time::Duration;

use onsite_client::JobsListener;
use onsite_domain::Role;
use onsite_tests::{Device, TestServer, postgres_only};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);
const HOUR: Duration = Duration::from_secs(3600);

async fn two_servers() -> (TestServer, TestServer) {
    let a = TestServer::start().await.unwrap();
    let b = a.beside().await.unwrap();
    (a, b)
}

async fn post(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let resp = onsite_tests::http()
        .post(format!("{}{path}", server.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_limits_hold_across_servers() {
    postgres_only!("several servers share one PostgreSQL database");
    let (a, b) = two_servers().await;
    a.create_user("wang", Role::Technician).unwrap();
    let guess = json!({"username": "wang", "password": "wrong-guess", "device_id": "phone-1"});
    // 10 attempts a minute per account: five through each server, then the 11th is
    // refused by whichever server gets it.
    for i in 0..10 {
        let server = if i % 2 == 0 { &a } else { &b };
        let (status, body) = post(server, "/v1/auth/login", guess.clone()).await;
        assert_eq!((status, code(&body)), (401, "invalid_credentials"), "{i}");
    }
    for server in [&a, &b] {
        let (status, body) = post(server, "/v1/auth/login", guess.clone()).await;
        assert_eq!((status, code(&body)), (429, "rate_limited"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_reused_on_the_other_server_ends_the_sign_in() {
    postgres_only!("several servers share one PostgreSQL database");
    let (a, b) = two_servers().await;
    a.create_user("wang", Role::Technician).unwrap();
    let first = a.login_full("wang", "phone-1").await.unwrap();
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = post(&a, "/v1/auth/refresh", json!({"refresh_token": r1})).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_string();

    // A copy of the first token, presented to the other server.
    let (status, body) = post(&b, "/v1/auth/refresh", json!({"refresh_token": r1})).await;
    assert_eq!((status, code(&body)), (401, "refresh_reused"));
    let (status, body) = post(&a, "/v1/auth/refresh", json!({"refresh_token": r2})).await;
    assert_eq!((status, code(&body)), (401, "invalid_refresh"));
}

struct Heard(mpsc::UnboundedSender<Vec<String>>);

impl JobsListener for Heard {
    fn on_jobs_changed(&self, ids: Vec<String>) {
        let _ = self.0.send(ids);
    }
}

async fn hear(rx: &mut mpsc::UnboundedReceiver<Vec<String>>, id: &str) {
    tokio::time::timeout(WAIT, async {
        while let Some(ids) = rx.recv().await {
            if ids.iter().any(|i| i == id) {
                return;
            }
        }
        panic!("the client was dropped");
    })
    .await
    .unwrap_or_else(|_| panic!("no notice brought job {id} within {WAIT:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_on_one_server_hears_of_work_committed_through_the_other() {
    postgres_only!("several servers share one PostgreSQL database");
    let (a, b) = two_servers().await;
    let wang = a.create_user("wang", Role::Technician).unwrap();
    a.create_user("office", Role::BackOffice).unwrap();
    let office = a.login("office", "office-pc").await.unwrap();
    // The phone talks to b only, and syncs only when told to (an hour's interval).
    let phone = Device::sign_in(&b.url(), "wang").await.unwrap();
    let (tx, mut heard) = mpsc::unbounded_channel();
    let _jobs = phone.client.subscribe(Arc::new(Heard(tx)));
    phone.client.start_background_sync(HOUR).unwrap();

    let job = a.create_job(&office, "张三", Some(&wang)).await.unwrap();
    hear(&mut heard, &job).await;
    assert_eq!(phone.job_ids().unwrap(), std::slice::from_ref(&job));

    let (status, body) = a
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/classify"),
            &office,
            Some(json!({"feedback_category": "service", "responsible_department": "quality"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    hear(&mut heard, &job).await;
    let category = phone.client.get_job(&job).unwrap().job.feedback_category;
    assert_eq!(category.as_deref(), Some("service"));

    // And back: what the phone uploads through b, the back office reads through a.
    phone.client.add_note(&job, "到现场检查").unwrap();
    phone.client.sync().await.unwrap();
    let (status, body) = a
        .call(Method::GET, &format!("/v1/jobs/{job}"), &office, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let notes = body["document"]["notes"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        notes.values().any(|n| n["text"] == "到现场检查"),
        "the phone's note, read through the other server: {body}"
    );
}
