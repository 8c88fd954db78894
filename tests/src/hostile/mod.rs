//! A hostile technician app and what its refusals must leave behind.
//!
//! [`Scene`] starts a real server with a back-office account, two technicians (`wang`, `li`)
//! and a job the back office created through the JSON API, assigned to `wang`; `wang`'s
//! phone is a [`RawDevice`]. [`Craft`] is the hostile app's editor: it loads the job as the
//! server sent it and builds exactly one change with Automerge's own calls (raw `put`,
//! `put_object`, `insert`, `delete`, `splice_text`), never through onsite-domain's typed
//! edit, so nothing on the device stops a forgery. [`tamper`] rewrites a change's header
//! (actor, sequence number, first op counter) after the fact.
//!
//! [`Scene::expect_refused`] is the contract every forgery is held to: the sync request is
//! answered 200 with the job in `refused` under the expected code, the job (its document
//! and its edit history) is exactly as before, and the server keeps serving: a fresh
//! sign-in works, a new device loads every job it is sent, and the back office edits the
//! job through the API.

use std::sync::atomic::{AtomicU32, Ordering};

use onsite_domain::Role;
use onsite_sync::wire::{Refused, Response};
use reqwest::Method;
use serde_json::{Value as Json, json};

use crate::TestServer;
use crate::office;
use crate::raw::RawDevice;

mod craft;

pub use craft::{Craft, Line, tamper};

/// The catalog part honest parts lines use.
pub const SKU: &str = "RLY-12";
pub const SKU_NAME: &str = "relay 12 V";
pub const SKU_PRICE: i64 = 1_200;
/// An item of the built-in csat-onsite v1 template.
pub const ITEM: &str = "overall";

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A server, its accounts, one job assigned to `wang`, and `wang`'s hostile phone.
pub struct Scene {
    pub server: TestServer,
    /// The back office's access token (JSON API).
    pub office: String,
    pub office_id: String,
    pub wang: String,
    pub li: String,
    /// `wang`'s phone, signed in on its own device id.
    pub device: RawDevice,
    /// The job the back office created, assigned to `wang`.
    pub job: String,
    devices: AtomicU32,
}

impl std::fmt::Debug for Scene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scene")
            .field("server", &self.server)
            .field("job", &self.job)
            .finish()
    }
}

/// What a refusal must not change: the back office's view of the job and its history.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// `GET /v1/jobs/{id}`: status, review state, assignee and the whole document.
    pub job: Json,
    /// `GET /v1/review/jobs/{id}` `history`: one entry per change of the document.
    pub history: Vec<Json>,
}

impl Scene {
    pub async fn start() -> Scene {
        let server = TestServer::start().await.expect("server starts");
        server
            .create_user("office", Role::BackOffice)
            .expect("office account");
        let wang = server
            .create_user("wang", Role::Technician)
            .expect("wang account");
        let li = server
            .create_user("li", Role::Technician)
            .expect("li account");
        let login = server
            .login_full("office", "office-pc")
            .await
            .expect("office signs in");
        let office = login["access_token"].as_str().expect("token").to_string();
        let office_id = login["user_id"].as_str().expect("user id").to_string();
        server
            .add_catalog_part(&office, SKU, SKU_NAME, SKU_PRICE, true)
            .await;
        let job = server
            .create_job(&office, "Hostile Test Customer", Some(&wang))
            .await
            .expect("job created");
        let token = server
            .login("wang", "wang-phone")
            .await
            .expect("wang signs in");
        let device = RawDevice::new(&server.url(), &token);
        Scene {
            server,
            office,
            office_id,
            wang,
            li,
            device,
            job,
            devices: AtomicU32::new(0),
        }
    }

    /// Another job made through the API, assigned to `assignee`.
    pub async fn another_job(&self, assignee: &str) -> String {
        self.server
            .create_job(&self.office, "Other Customer", Some(assignee))
            .await
            .expect("job created")
    }

    /// The back office's own sync client, signed in on a device of its own.
    pub async fn office_device(&self) -> RawDevice {
        let n = self.devices.fetch_add(1, Ordering::Relaxed);
        let token = self
            .server
            .login("office", &format!("office-sync-{n}"))
            .await
            .expect("office signs in for sync");
        RawDevice::new(&self.server.url(), &token)
    }

    /// `wang`'s phone pulls from an empty cursor; its editor on the job, with a new actor.
    pub async fn pull(&self) -> Craft {
        self.pull_from(&self.device, &self.job).await
    }

    /// `device` pulls from an empty cursor; an editor on `job` as it was sent (whole, or
    /// for the back office, as its changes).
    pub async fn pull_from(&self, device: &RawDevice, job: &str) -> Craft {
        let (status, page) = device.first_page().await.expect("pull");
        let mut bytes = Vec::new();
        if let Some(whole) = page.docs.iter().find(|d| d.doc == job) {
            bytes.extend_from_slice(&whole.data);
        }
        for change in page.changes.iter().filter(|c| c.doc == job) {
            bytes.extend_from_slice(&change.change);
        }
        assert!(
            !bytes.is_empty(),
            "the pull (status {status}) did not send job {job}"
        );
        Craft::load(&bytes)
    }

    /// The back office's view of the job, and its edit history.
    pub async fn snapshot(&self, job: &str) -> Snapshot {
        let view = self.server.job(&self.office, job).await.expect("get job");
        let review = office::expect(
            &self.server,
            &self.office,
            Method::GET,
            &format!("/v1/review/jobs/{job}"),
            None,
            200,
        )
        .await;
        let history = review["history"]
            .as_array()
            .expect("history is a list")
            .clone();
        Snapshot { job: view, history }
    }

    /// The job's document as the back office reads it (`GET /v1/jobs/{id}` `document`).
    pub async fn document(&self) -> Json {
        self.server
            .job(&self.office, &self.job)
            .await
            .expect("get job")["document"]
            .clone()
    }

    /// `wang`'s phone uploads `change`; it must be refused with one of `codes`.
    pub async fn expect_refused(&self, change: Vec<u8>, codes: &[&str]) -> Refused {
        self.expect_refused_from(&self.device, &self.job, vec![change], codes)
            .await
    }

    /// `device` uploads `changes` of `job`: answered 200 with `job` refused under one of
    /// `codes`, nothing stored, and the server still serves.
    pub async fn expect_refused_from(
        &self,
        device: &RawDevice,
        job: &str,
        changes: Vec<Vec<u8>>,
        codes: &[&str],
    ) -> Refused {
        let before = self.snapshot(job).await;
        let (status, response) = device.push(job, changes).await.expect("push");
        let answer = describe(status, &response);
        assert_eq!(status, 200, "the upload must be answered 200: {answer}");
        let Response::Sync(sync) = response else {
            panic!("expected a sync answer refusing {codes:?}: {answer}");
        };
        let Some(refused) = sync.refused.into_iter().find(|r| r.doc == job) else {
            panic!("expected job {job} refused with {codes:?}, but it was not refused: {answer}");
        };
        assert!(
            codes.contains(&refused.code.as_str()),
            "expected refusal {codes:?}, got {:?}: {:?}",
            refused.code,
            refused.message
        );
        let after = self.snapshot(job).await;
        let diff = differences("", &before.job, &after.job);
        assert!(
            diff.is_empty(),
            "refused ({}) but the job changed: {}",
            refused.code,
            diff.join("; ")
        );
        assert_eq!(
            after.history.len(),
            before.history.len(),
            "refused ({}) but the edit history grew: {:?}",
            refused.code,
            after.history.get(before.history.len()..)
        );
        self.still_serves(job).await;
        refused
    }

    /// `wang`'s phone uploads bytes Automerge cannot even decode as a change: the whole
    /// request is answered 400 `bad_request`, nothing is stored, and the server still serves.
    pub async fn expect_undecodable(&self, change: Vec<u8>) {
        let before = self.snapshot(&self.job).await;
        let (status, response) = self
            .device
            .push(&self.job, vec![change])
            .await
            .expect("push");
        let answer = describe(status, &response);
        assert_eq!(
            status, 400,
            "an undecodable change is a bad request: {answer}"
        );
        let Response::Error(error) = response else {
            panic!("expected an error frame: {answer}");
        };
        assert_eq!(error.code, "bad_request", "{answer}");
        let after = self.snapshot(&self.job).await;
        assert!(differences("", &before.job, &after.job).is_empty());
        assert_eq!(after.history.len(), before.history.len());
        self.still_serves(&self.job).await;
    }

    /// `wang`'s phone uploads `change`; it must be accepted. Returns the job's document.
    pub async fn expect_accepted(&self, change: Vec<u8>) -> Json {
        self.expect_accepted_from(&self.device, vec![change]).await
    }

    /// `device` uploads `changes` of the job: accepted and in the edit history.
    pub async fn expect_accepted_from(&self, device: &RawDevice, changes: Vec<Vec<u8>>) -> Json {
        self.expect_accepted_on(device, &self.job, changes).await
    }

    /// `device` uploads `changes` of `job`: accepted and in the edit history. Returns the
    /// job's document.
    pub async fn expect_accepted_on(
        &self,
        device: &RawDevice,
        job: &str,
        changes: Vec<Vec<u8>>,
    ) -> Json {
        let before = self.snapshot(job).await;
        let n = changes.len();
        let (status, response) = device.push(job, changes).await.expect("push");
        let answer = describe(status, &response);
        assert_eq!(
            status, 200,
            "an honest upload must be answered 200: {answer}"
        );
        let Response::Sync(sync) = &response else {
            panic!("expected a sync answer accepting the change: {answer}");
        };
        assert!(
            sync.refused.is_empty() && sync.needs_repair.is_empty(),
            "an honest change must be accepted: {answer}"
        );
        let after = self.snapshot(job).await;
        assert_eq!(
            after.history.len(),
            before.history.len() + n,
            "accepted, so the edit history has the {n} new change(s)"
        );
        after.job["document"].clone()
    }

    /// After a refusal: a fresh sign-in works, a new phone of `wang` loads every job it is
    /// sent (and this one, while it is `wang`'s), and the back office edits `job` through
    /// the API.
    pub async fn still_serves(&self, job: &str) {
        let n = self.devices.fetch_add(1, Ordering::Relaxed);
        let token = match self.server.login("wang", &format!("wang-new-{n}")).await {
            Ok(token) => token,
            Err(e) => panic!("a fresh sign-in must still work: {e}"),
        };
        let fresh = RawDevice::new(&self.server.url(), &token);
        let docs = match fresh.pull_all().await {
            Ok(docs) => docs,
            Err(e) => panic!("a new device must still be able to pull: {e}"),
        };
        for (id, doc) in &docs {
            if let Err(e) = doc.job() {
                panic!("a new device cannot read job {id} it was sent: {e}");
            }
        }
        let view = self.server.job(&self.office, job).await.expect("get job");
        if view["assignee"].as_str() == Some(self.wang.as_str()) {
            assert!(
                docs.iter().any(|(id, _)| id == job),
                "a new device of the assignee must be sent the job"
            );
        }
        let category = match view["document"]["feedback_category"].as_str() {
            Some("product") => "service",
            _ => "product",
        };
        let (status, body) = office::call(
            &self.server,
            &self.office,
            Method::POST,
            &format!("/v1/jobs/{job}/classify"),
            Some(json!({"feedback_category": category, "responsible_department": "quality"})),
        )
        .await;
        assert_eq!(
            status, 200,
            "the back office must still edit the job through the API: {body}"
        );
        assert_eq!(
            body["document"]["feedback_category"], category,
            "the back office's edit must show"
        );
    }

    /// `wang` completes the job with an honest hand-made `completed` event.
    pub async fn complete(&self) {
        let mut c = self.pull().await;
        c.append_event("Completed", now_ms(), &self.wang);
        let doc = self.expect_accepted(c.change()).await;
        assert_eq!(
            self.server.job(&self.office, &self.job).await.expect("job")["status"],
            "completed",
            "{doc}"
        );
    }

    /// The job completed by `wang`, then returned by the back office through the API.
    pub async fn complete_and_return(&self) {
        self.complete().await;
        let body = office::expect(
            &self.server,
            &self.office,
            Method::POST,
            &format!("/v1/jobs/{}/review", self.job),
            Some(json!({"decision": "returned", "comment": "photo of the seal missing"})),
            200,
        )
        .await;
        assert_eq!(body["review_state"], "returned", "{body}");
    }

    /// `wang` starts a survey form and answers `ITEM` with 8 points; honest.
    /// Returns the form's id.
    pub async fn open_form(&self) -> String {
        let mut c = self.pull().await;
        let form = c.add_form("survey", &self.wang);
        c.answer(&form, ITEM, 8, "fine", now_ms());
        let doc = self.expect_accepted(c.change()).await;
        assert_eq!(
            doc["forms"][&form]["answers"][ITEM]["points"], 8,
            "the answer must show: {doc}"
        );
        form
    }

    /// An open form submitted by `wang`, honestly, in a change of its own.
    pub async fn submitted_form(&self) -> String {
        let form = self.open_form().await;
        let mut c = self.pull().await;
        c.put(&format!("forms/{form}"), "submitted_at", now_ms());
        let doc = self.expect_accepted(c.change()).await;
        assert!(
            doc["forms"][&form]["submitted_at"].is_i64(),
            "the submission must show: {doc}"
        );
        form
    }
}

/// The answer to an upload, for failure messages: every refusal with its code and message.
pub fn describe(status: u16, response: &Response) -> String {
    match response {
        Response::Sync(s) => format!(
            "status {status}, refused [{}], needs_repair {:?}",
            s.refused
                .iter()
                .map(|r| format!("{} {}: {}", r.doc, r.code, r.message))
                .collect::<Vec<_>>()
                .join(", "),
            s.needs_repair
        ),
        Response::Error(e) => format!("status {status}, error {}: {}", e.code, e.message),
        other => format!("status {status}, {other:?}"),
    }
}

/// Where two JSON values differ, each path with both values shortened.
pub fn differences(path: &str, a: &Json, b: &Json) -> Vec<String> {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let null = Json::Null;
                    differences(
                        &format!("{path}/{k}"),
                        x.get(k).unwrap_or(&null),
                        y.get(k).unwrap_or(&null),
                    )
                })
                .collect()
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (p, q))| differences(&format!("{path}/{i}"), p, q))
            .collect(),
        _ if a == b => vec![],
        _ => vec![format!("{path}: {} -> {}", short(a), short(b))],
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() <= 200 {
        s
    } else {
        format!(
            "{}… ({} bytes)",
            s.chars().take(200).collect::<String>(),
            s.len()
        )
    }
}
