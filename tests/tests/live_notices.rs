#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Live notices: a device with background sync on (and an interval of an hour, so no
//! polling can explain what it receives) hears of new work and back-office edits at once,
//! over the server's WebSocket; and keeps hearing after its access token expired and the
//! server closed the connection.

use std::sync::Arc;
use std::time::Duration;

use onsite_client::{JobsListener, SyncStateListener, SyncStatus};
use onsite_domain::Role;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::json;
use tokio::sync::mpsc;

/// The longest any notice may take to arrive.
const WAIT: Duration = Duration::from_secs(20);
/// Background sync interval: far longer than any test, so only notices make it sync.
const HOUR: Duration = Duration::from_secs(3600);

struct Heard(mpsc::UnboundedSender<Vec<String>>);

impl JobsListener for Heard {
    fn on_jobs_changed(&self, ids: Vec<String>) {
        let _ = self.0.send(ids);
    }
}

struct States(mpsc::UnboundedSender<SyncStatus>);

impl SyncStateListener for States {
    fn on_sync_state_changed(&self, status: SyncStatus) {
        let _ = self.0.send(status);
    }
}

/// Waits until a jobs-changed callback names `id`.
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

/// Waits until a sync status that `done` accepts.
async fn until(rx: &mut mpsc::UnboundedReceiver<SyncStatus>, done: impl Fn(&SyncStatus) -> bool) {
    tokio::time::timeout(WAIT, async {
        while let Some(s) = rx.recv().await {
            if done(&s) {
                return;
            }
        }
    })
    .await
    .expect("the expected sync status in time");
}

async fn classify(server: &TestServer, office: &str, job: &str, category: &str) {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/classify"),
            office,
            Some(json!({"feedback_category": category, "responsible_department": "quality"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
}

fn category(device: &Device, job: &str) -> Option<String> {
    device.client.get_job(job).unwrap().job.feedback_category
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_device_hears_of_new_work_and_office_edits_without_polling() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    let (tx, mut heard) = mpsc::unbounded_channel();
    let _jobs = phone.client.subscribe(Arc::new(Heard(tx)));
    phone.client.start_background_sync(HOUR).unwrap();

    let first = server
        .create_job(&office, "张三", Some(&wang))
        .await
        .unwrap();
    hear(&mut heard, &first).await;
    assert_eq!(phone.job_ids().unwrap(), std::slice::from_ref(&first));

    classify(&server, &office, &first, "service").await;
    hear(&mut heard, &first).await;
    assert_eq!(category(&phone, &first).as_deref(), Some("service"));

    let second = server
        .create_job(&office, "李四", Some(&wang))
        .await
        .unwrap();
    hear(&mut heard, &second).await;
    let mut both = vec![first, second];
    both.sort();
    assert_eq!(phone.job_ids().unwrap(), both);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_continue_after_the_access_token_expires() {
    const TTL_SECS: i64 = 3;
    let server = TestServer::start_with(|c| c.access_token_ttl_secs = TTL_SECS)
        .await
        .unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let before_sign_in = chrono::Utc::now().timestamp_millis();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    let (tx, mut heard) = mpsc::unbounded_channel();
    let _jobs = phone.client.subscribe(Arc::new(Heard(tx)));
    let (tx, mut states) = mpsc::unbounded_channel();
    let _states = phone.client.subscribe_sync_state(Arc::new(States(tx)));
    phone.client.start_background_sync(HOUR).unwrap();

    // The token lives at least TTL − 1 s (whole seconds) from the sign-in. The only sync
    // after that, with an hour's interval, is the one the server's close at the token's
    // expiry asks for, which refreshes the token; the device then listens with a new one.
    let expired = before_sign_in + (TTL_SECS - 1) * 1000;
    until(&mut states, |s| {
        s.syncing && s.last_attempt_at.is_some_and(|at| at >= expired)
    })
    .await;
    until(&mut states, |s| !s.syncing && s.last_error.is_none()).await;
    // A fresh office token for each call: theirs expire as fast.
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "王五", Some(&wang))
        .await
        .unwrap();
    hear(&mut heard, &job).await;
    let office = server.login("office", "office-pc").await.unwrap();
    classify(&server, &office, &job, "product").await;
    hear(&mut heard, &job).await;
    assert_eq!(category(&phone, &job).as_deref(), Some("product"));
}
