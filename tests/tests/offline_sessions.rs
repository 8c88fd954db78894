#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! A technician's sign-in over a working day, against a real server: tokens that run out
//! while offline, another person picking up the phone, a lost phone wiped remotely, and
//! work the server refuses because the office changed the job meanwhile.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use onsite_client::{ErrorKind, JobsListener, NewJob, PartInput};
use onsite_domain::{Customer, EventKind, Job, Product, Role};
use onsite_tests::{Device, PASSWORD, TestServer, sqlite_file};
use reqwest::Method;
use serde_json::{Value, json};

/// Access-token lifetime of the servers whose tokens must run out during a test: short,
/// yet long enough for any single exchange of a busy test machine.
const SHORT_TTL: i64 = 2;

/// The job as the server stores it.
fn server_job(server: &TestServer, id: &str) -> Job {
    sqlite_file::stored_job(server, id).unwrap()
}

/// Changes the server accepted from one device (its feed rows of kind "change").
fn changes_from(server: &TestServer, device_id: &str) -> i64 {
    sqlite_file::changes_from(server, device_id).unwrap()
}

/// Ends the lifetime of every refresh token of an account, as 30 days offline would.
fn expire_refresh_tokens(server: &TestServer, user_id: &str) {
    let ended = sqlite_file::expire_refresh_tokens(server, user_id).unwrap();
    assert!(ended > 0, "the account had live refresh tokens");
}

/// Waits for the moment `token` expires (its own `exp` claim, in whole seconds: the server
/// refuses it once the clock is past that second), then checks the server refuses it as
/// expired. Every access token issued before it has expired too (they all live as long).
async fn until_expired(server: &TestServer, token: &str) {
    let claims: Value = jsonwebtoken::dangerous::insecure_decode_claims(token).unwrap();
    let exp = claims["exp"].as_i64().unwrap();
    let past_exp_ms = (exp + 1) * 1000;
    let wait = past_exp_ms - chrono::Utc::now().timestamp_millis();
    if wait > 0 {
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
    let (status, body) = server
        .call(Method::GET, "/v1/jobs?limit=1", token, None)
        .await
        .unwrap();
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "token_expired", "{body}");
}

fn walk_in(customer: &str) -> NewJob {
    NewJob {
        customer: Customer {
            name: customer.into(),
            phone: "+86 139 0000 0000".into(),
            ..Default::default()
        },
        product: Product {
            id: String::new(),
            model: "WM-100".into(),
            serial: format!("SN-{customer}"),
            purchase_date: None,
        },
        fault: "drum does not turn".into(),
        complaint: false,
    }
}

fn part(sku: &str) -> PartInput {
    PartInput {
        sku: sku.into(),
        name: format!("part {sku}"),
        quantity: 1,
        ..Default::default()
    }
}

fn note_texts(job: &Job) -> Vec<(String, String)> {
    let mut notes: Vec<(String, String)> = job
        .notes
        .values()
        .map(|n| (n.text.as_str().to_string(), n.by.clone()))
        .collect();
    notes.sort();
    notes
}

async fn assign(server: &TestServer, office: &str, job: &str, to: &str) {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/assign"),
            office,
            Some(json!({ "assignee": to })),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
}

#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl JobsListener for Heard {
    fn on_jobs_changed(&self, ids: Vec<String>) {
        self.0.lock().unwrap().extend(ids);
    }
}

#[tokio::test]
async fn tokens_running_out_offline_keep_all_50_edits_until_the_next_sign_in() {
    let mut server = TestServer::start_with(|c| c.access_token_ttl_secs = SHORT_TTL)
        .await
        .unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "Chen", Some(&wang))
        .await
        .unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    assert_eq!(phone.job_ids().unwrap(), vec![job.clone()]);

    // The sign-in runs out during the shift: the refresh token's lifetime ends, and the
    // access token expires for real. The probe is issued after every token the phone holds.
    expire_refresh_tokens(&server, &wang);
    let probe = server.login("office", "office-pc").await.unwrap();

    // Out of coverage: 49 edits, and a sync that cannot reach the server.
    server.stop().await.unwrap();
    phone.client.accept(&job).unwrap();
    phone.client.start_travel(&job).unwrap();
    phone.client.arrive(&job).unwrap();
    phone
        .client
        .diagnose(&job, "compressor relay burnt")
        .unwrap();
    phone.client.record_part(&job, part("RLY-12")).unwrap();
    phone.client.record_part(&job, part("FUSE-5")).unwrap();
    for i in 0..43 {
        phone.client.add_note(&job, &format!("note {i}")).unwrap();
    }
    assert_eq!(phone.client.pending_changes().unwrap(), 49);
    let offline = phone.client.sync().await.unwrap_err();
    assert_eq!(offline.kind(), ErrorKind::Network, "{offline}");

    // Back in coverage, with every token expired: sign-in needed, nothing lost, and the
    // technician keeps working.
    server.restart().await.unwrap();
    until_expired(&server, &probe).await;
    let expired = phone.client.sync().await.unwrap_err();
    assert_eq!(expired.kind(), ErrorKind::SignInNeeded, "{expired}");
    assert_eq!(phone.client.pending_changes().unwrap(), 49);
    assert!(phone.client.session().unwrap().is_some());
    phone.client.add_note(&job, "note 43").unwrap();
    assert_eq!(phone.client.pending_changes().unwrap(), 50);
    assert_eq!(changes_from(&server, phone.client.device_id()), 0);

    phone
        .client
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    let report = phone.client.sync().await.unwrap();
    assert_eq!(report.uploaded, 50);
    assert_eq!(phone.client.pending_changes().unwrap(), 0);
    assert_eq!(changes_from(&server, phone.client.device_id()), 50);

    let stored = server_job(&server, &job);
    let expected: Vec<(String, String)> = {
        let mut v: Vec<_> = (0..44)
            .map(|i| (format!("note {i}"), wang.clone()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(note_texts(&stored), expected);
    assert_eq!(stored.parts.len(), 2);
    assert_eq!(stored.diagnosis.as_str(), "compressor relay burnt");
    let mine: Vec<EventKind> = stored
        .events
        .iter()
        .filter(|e| e.by == wang)
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        mine,
        [
            EventKind::Accepted,
            EventKind::EnRoute,
            EventKind::OnSite,
            EventKind::Diagnosed
        ]
    );
    assert_eq!(
        phone.client.get_job(&job).unwrap().job,
        stored,
        "the phone and the server hold the same job"
    );
}

#[tokio::test]
async fn another_technician_on_the_same_phone_never_gets_the_first_ones_work() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let li = server.create_user("li", Role::Technician).unwrap();
    let zhao = server.create_user("zhao", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let wangs = server.create_job(&office, "Wu", Some(&wang)).await.unwrap();
    let moved = server
        .create_job(&office, "Sun", Some(&wang))
        .await
        .unwrap();
    let lis = server.create_job(&office, "Ma", Some(&li)).await.unwrap();

    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    // Wang's day: work on one job, a walk-in customer, and a note on a job the office
    // gives to Zhao meanwhile (refused: it stays in Wang's conflict log).
    phone.client.add_note(&wangs, "wang: fan replaced").unwrap();
    let walk_in = phone.client.create_job(walk_in("Walk-in")).unwrap();
    phone
        .client
        .add_note(&moved, "wang: needs a ladder")
        .unwrap();
    assign(&server, &office, &moved, &zhao).await;
    // End of shift without coverage: Wang signs out with the work unsynced.
    phone.client.sign_out().unwrap();
    let pending = phone.client.pending_changes().unwrap();
    assert_eq!(pending, 3);

    // Li picks up the phone: refused, and nothing changes on the phone or the server.
    let refused = phone
        .client
        .sign_in(&server.url(), "li", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(
        refused
            .to_string()
            .contains("3 unsynced changes of another account"),
        "{refused}"
    );
    assert_eq!(phone.client.session().unwrap(), None);
    assert_eq!(phone.client.pending_changes().unwrap(), pending);
    assert_eq!(
        phone.client.add_note(&wangs, "li?").unwrap_err().kind(),
        ErrorKind::SignInNeeded
    );
    assert_eq!(changes_from(&server, phone.client.device_id()), 0);

    // Wang signs in and syncs; the refused note goes to Wang's conflict log.
    phone
        .client
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    let report = phone.client.sync().await.unwrap();
    assert_eq!((report.uploaded, report.refused), (2, 1));
    let conflicts = phone.client.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].doc_id, moved);

    // Now Li takes over: none of Wang's jobs, pending work or conflicts.
    let session = phone
        .client
        .sign_in(&server.url(), "li", PASSWORD)
        .await
        .unwrap();
    assert_eq!(session.user_id, li);
    assert!(phone.job_ids().unwrap().is_empty());
    assert_eq!(phone.client.pending_changes().unwrap(), 0);
    assert!(phone.client.conflicts().unwrap().is_empty());
    assert_eq!(phone.client.cursor().unwrap(), None);
    let report = phone.client.sync().await.unwrap();
    assert_eq!(report.uploaded, 0);
    assert_eq!(phone.job_ids().unwrap(), vec![lis.clone()]);
    phone.client.add_note(&lis, "li: part ordered").unwrap();
    phone.client.sync().await.unwrap();

    // The server put every change under the account that made it.
    assert_eq!(
        note_texts(&server_job(&server, &wangs)),
        vec![("wang: fan replaced".to_string(), wang.clone())]
    );
    let walk_in = server_job(&server, &walk_in);
    assert_eq!(walk_in.assignee.as_deref(), Some(wang.as_str()));
    assert!(walk_in.events.iter().all(|e| e.by == wang));
    let moved = server_job(&server, &moved);
    assert!(moved.notes.is_empty(), "the refused note never landed");
    assert_eq!(moved.assignee.as_deref(), Some(zhao.as_str()));
    assert_eq!(
        note_texts(&server_job(&server, &lis)),
        vec![("li: part ordered".to_string(), li.clone())]
    );
    assert_eq!(changes_from(&server, phone.client.device_id()), 3);
}

async fn revoke_for_wipe(server: &TestServer, admin: &str, user: &str, device: &str) {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/admin/users/{user}/devices/{device}/revoke"),
            admin,
            Some(json!({ "wipe": true })),
        )
        .await
        .unwrap();
    assert_eq!(status, 204, "{body}");
    let (_, body) = server
        .call(
            Method::GET,
            &format!("/v1/admin/users/{user}/devices"),
            admin,
            None,
        )
        .await
        .unwrap();
    let listed: Vec<&Value> = body["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["device_id"] == device)
        .collect();
    assert_eq!(listed.len(), 1, "{body}");
    assert_eq!(listed[0]["wipe"], true);
    assert!(listed[0]["revoked_at"].is_i64());
}

/// Asserts that the phone holds nothing of its account any more.
fn assert_erased(phone: &Device, jobs: &[&str]) {
    assert!(phone.job_ids().unwrap().is_empty());
    for job in jobs {
        assert_eq!(
            phone.client.get_job(job).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    assert_eq!(phone.client.pending_changes().unwrap(), 0);
    assert!(phone.client.conflicts().unwrap().is_empty());
    assert_eq!(phone.client.session().unwrap(), None);
    assert_eq!(phone.client.cursor().unwrap(), None);
}

#[tokio::test]
async fn a_phone_revoked_for_a_wipe_uploads_its_last_work_then_erases_everything() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let admin = server.login("root", "admin-pc").await.unwrap();
    let job = server
        .create_job(&office, "Zhou", Some(&wang))
        .await
        .unwrap();
    let refused_job = server
        .create_job(&office, "Qian", Some(&wang))
        .await
        .unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();

    // A conflict from earlier in the day, still in the log.
    phone
        .client
        .add_note(&refused_job, "not mine any more")
        .unwrap();
    let li = server.create_user("li", Role::Technician).unwrap();
    assign(&server, &office, &refused_job, &li).await;
    phone.client.sync().await.unwrap();
    assert_eq!(phone.client.conflicts().unwrap().len(), 1);

    // Unsynced work when the phone is lost.
    phone.client.arrive(&job).unwrap();
    phone.client.add_note(&job, "last words").unwrap();
    let walk_in = phone.client.create_job(walk_in("Walk-in")).unwrap();
    assert_eq!(phone.client.pending_changes().unwrap(), 3);
    let heard = Arc::new(Heard::default());
    let _subscribed = phone.client.subscribe(heard.clone());

    revoke_for_wipe(&server, &admin, &wang, phone.client.device_id()).await;
    let wiped = phone.client.sync().await.unwrap_err();
    assert_eq!(wiped.kind(), ErrorKind::DeviceWiped, "{wiped}");

    // The server took the last upload.
    assert_eq!(changes_from(&server, phone.client.device_id()), 3);
    let stored = server_job(&server, &job);
    assert_eq!(
        note_texts(&stored),
        vec![("last words".to_string(), wang.clone())]
    );
    assert!(
        stored
            .events
            .iter()
            .any(|e| e.kind == EventKind::OnSite && e.by == wang)
    );
    assert_eq!(
        server_job(&server, &walk_in).assignee.as_deref(),
        Some(wang.as_str())
    );

    // The phone holds nothing of Wang's any more, also after a restart of the app.
    assert_erased(&phone, &[&job, &walk_in, &refused_job]);
    let mut heard_ids = heard.0.lock().unwrap().clone();
    heard_ids.sort();
    let mut expected = vec![job.clone(), walk_in.clone()];
    expected.sort();
    assert_eq!(heard_ids, expected, "the app hears which jobs went");
    assert_eq!(
        phone.client.add_note(&job, "x").unwrap_err().kind(),
        ErrorKind::SignInNeeded
    );
    assert_eq!(
        phone.client.sync().await.unwrap_err().kind(),
        ErrorKind::SignInNeeded
    );
    let device_id = phone.client.device_id().to_string();
    let phone = phone.reopen().unwrap();
    assert_erased(&phone, &[&job, &walk_in]);
    assert_eq!(phone.client.device_id(), device_id);

    // The account cannot come back on this phone; the server changes nothing for trying.
    let before = server.dump().unwrap();
    let again = phone
        .client
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        again.kind(),
        ErrorKind::Server {
            code: "device_revoked".into(),
            message: "this device was revoked by an administrator".into()
        }
    );
    assert_eq!(server.dump().unwrap(), before);
    assert_erased(&phone, &[&job]);
}

#[tokio::test]
async fn a_wipe_reaches_a_phone_whose_tokens_expired_and_a_copied_token_gets_nothing_more() {
    let server = TestServer::start_with(|c| c.access_token_ttl_secs = SHORT_TTL)
        .await
        .unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "Lin", Some(&wang))
        .await
        .unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    phone.client.add_note(&job, "before the loss").unwrap();

    // Missed hours later: by the time the admin acts, the phone's access token is dead.
    let admin = server.login("root", "admin-pc").await.unwrap();
    revoke_for_wipe(&server, &admin, &wang, phone.client.device_id()).await;
    let probe = server.login("office", "office-pc").await.unwrap();
    until_expired(&server, &probe).await;

    let wiped = phone.client.sync().await.unwrap_err();
    assert_eq!(wiped.kind(), ErrorKind::DeviceWiped, "{wiped}");
    assert_eq!(
        note_texts(&server_job(&server, &job)),
        vec![("before the loss".to_string(), wang.clone())]
    );
    assert_erased(&phone, &[&job]);

    // A refresh token copied off a device revoked for a wipe buys one upload-only access
    // token, without a new refresh token; then only "device_wiped".
    let tablet = server.login_full("wang", "tablet-7").await.unwrap();
    let refresh_token = tablet["refresh_token"].as_str().unwrap().to_string();
    let admin = server.login("root", "admin-pc").await.unwrap();
    revoke_for_wipe(&server, &admin, &wang, "tablet-7").await;
    let refresh = || async {
        let resp = onsite_tests::http()
            .post(format!("{}/v1/auth/refresh", server.url()))
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
    };
    let (status, last) = refresh().await;
    assert_eq!(status, 200, "{last}");
    assert!(last.get("refresh_token").is_none(), "{last}");
    let upload_only = last["access_token"].as_str().unwrap();
    let (status, body) = server
        .call(Method::GET, "/v1/jobs", upload_only, None)
        .await
        .unwrap();
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("device_wiped"))
    );
    let (status, body) = refresh().await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("device_wiped"))
    );
}

#[tokio::test]
async fn a_job_reassigned_while_the_phone_was_offline_ends_in_the_conflict_log() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let li = server.create_user("li", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let taken = server
        .create_job(&office, "Gao", Some(&wang))
        .await
        .unwrap();
    let kept = server.create_job(&office, "He", Some(&wang)).await.unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    let before_taken = server_job(&server, &taken);

    // Offline: work on both jobs, while the office gives one of them to Li.
    phone.client.add_note(&taken, "wang: gas refilled").unwrap();
    phone.client.record_part(&taken, part("GAS-1")).unwrap();
    phone
        .client
        .add_note(&kept, "wang: filter cleaned")
        .unwrap();
    assign(&server, &office, &taken, &li).await;

    let report = phone.client.sync().await.unwrap();
    assert_eq!((report.uploaded, report.refused), (1, 1));
    let conflicts = phone.client.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].doc_id, taken);
    assert_eq!(conflicts[0].code, "not_assigned");
    assert_eq!(conflicts[0].change_count, 2);
    assert!(!conflicts[0].message.is_empty());
    assert_eq!(phone.client.pending_changes().unwrap(), 0);

    // The job left the phone with the refused work; the rest went through.
    assert_eq!(phone.job_ids().unwrap(), vec![kept.clone()]);
    let stored_taken = server_job(&server, &taken);
    assert!(stored_taken.notes.is_empty() && stored_taken.parts.is_empty());
    assert_eq!(stored_taken.assignee.as_deref(), Some(li.as_str()));
    assert_eq!(
        Job {
            assignee: before_taken.assignee.clone(),
            events: before_taken.events.clone(),
            ..stored_taken.clone()
        },
        before_taken,
        "only the office's reassignment changed the job on the server"
    );
    let stored_kept = server_job(&server, &kept);
    assert_eq!(
        note_texts(&stored_kept),
        vec![("wang: filter cleaned".to_string(), wang.clone())]
    );
    assert_eq!(phone.client.get_job(&kept).unwrap().job, stored_kept);

    // Li gets the job as the server has it, without Wang's refused work.
    let li_phone = Device::sign_in(&server.url(), "li").await.unwrap();
    li_phone.client.sync().await.unwrap();
    assert_eq!(li_phone.client.get_job(&taken).unwrap().job, stored_taken);

    // A later sync does not log the same refusal again.
    phone.client.sync().await.unwrap();
    assert_eq!(phone.client.conflicts().unwrap().len(), 1);
}

#[tokio::test]
async fn a_large_upload_after_the_access_token_expired_refreshes_first_and_lands_whole() {
    let server = TestServer::start_with(|c| c.access_token_ttl_secs = SHORT_TTL)
        .await
        .unwrap();
    server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    // Issued after the phone's token, so expired after it.
    let probe = server.login("office", "office-pc").await.unwrap();

    // A long morning offline: enough jobs for an upload of a few hundred kilobytes.
    let mut jobs = Vec::new();
    for i in 0..60 {
        let id = phone
            .client
            .create_job(walk_in(&format!("客户{i}")))
            .unwrap();
        phone
            .client
            .add_note(&id, &"现场情况说明 ".repeat(200))
            .unwrap();
        jobs.push(id);
    }
    until_expired(&server, &probe).await;

    // The phone knows its token is spent: it refreshes before sending, rather than
    // uploading everything to be refused and then refreshing on a closed connection.
    let before = phone.client.transfer_stats();
    phone.client.sync().await.unwrap();
    let after = phone.client.transfer_stats();
    assert_eq!(after.requests - before.requests, 2, "one refresh, one sync");
    assert_eq!(phone.client.pending_changes().unwrap(), 0);
    let office = server.login("office", "office-pc").await.unwrap();
    for id in &jobs {
        let job = server.job(&office, id).await.unwrap();
        assert_eq!(job["id"], id.as_str());
    }
}
