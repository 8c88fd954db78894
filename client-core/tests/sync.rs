#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The client's HTTP side against an in-process stand-in server (see `support`): sign-in,
//! sync until done, token refresh, lost sign-ins, unreachable servers, refusals, and
//! switching accounts. Nothing is lost in any of them.

mod support;

use std::sync::{Arc, Mutex};

use onsite_client::{Client, ErrorKind, JobFilter, JobsListener, NewJob, Store};
use onsite_domain::{Customer, ReviewState, Role, Status};
use onsite_sync::client::ClientStore;
use support::{FakeServer, PASSWORD};
use tempfile::TempDir;

async fn signed_in(server: &FakeServer, username: &str) -> (TempDir, Client) {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(dir.path()).unwrap();
    let session = client
        .sign_in(&server.url(), username, PASSWORD)
        .await
        .unwrap();
    assert_eq!(session.username, username);
    (dir, client)
}

fn new_job(name: &str) -> NewJob {
    NewJob {
        customer: Customer {
            name: name.into(),
            ..Default::default()
        },
        fault: "no power".into(),
        ..NewJob::default()
    }
}

#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

impl JobsListener for Seen {
    fn on_jobs_changed(&self, ids: Vec<String>) {
        self.0.lock().unwrap().extend(ids);
    }
}

#[tokio::test]
async fn work_done_offline_reaches_another_device_and_back_office_work_comes_down() {
    let server = FakeServer::start().await;
    let wang = server.add_user("wang", Role::Technician);
    let dispatched = server.create_job(&wang, "Zhao");
    let (_phone_dir, phone) = signed_in(&server, "wang").await;
    assert_eq!(phone.session().unwrap().unwrap().role, Role::Technician);

    let mine = phone.create_job(new_job("Qian")).unwrap();
    phone.add_note(&mine, "made offline").unwrap();
    let before = phone.transfer_stats();
    let report = phone.sync().await.unwrap();
    let after = phone.transfer_stats();
    assert_eq!(report.uploaded, 2);
    assert_eq!(report.docs_received, 1, "the dispatched job");
    assert_eq!(phone.pending_changes().unwrap(), 0);
    assert_eq!(phone.cursor().unwrap().unwrap().epoch, "epoch-1");
    assert!(after.requests > before.requests);
    assert!(after.bytes_up > before.bytes_up && after.bytes_down > before.bytes_down);
    assert_eq!(phone.get_job(&dispatched).unwrap().status, Status::Assigned);
    assert_eq!(server.job(&mine).notes.len(), 1);

    // A second device of the same technician gets both, whole, and its listener hears it.
    let (_tablet_dir, tablet) = signed_in(&server, "wang").await;
    let seen = Arc::new(Seen::default());
    let _handle = tablet.subscribe(seen.clone());
    let report = tablet.sync().await.unwrap();
    assert_eq!(report.docs_received, 2);
    let mut heard = seen.0.lock().unwrap().clone();
    heard.sort();
    let mut expected = vec![dispatched.clone(), mine.clone()];
    expected.sort();
    assert_eq!(heard, expected);
    for id in [&dispatched, &mine] {
        assert_eq!(tablet.get_job(id).unwrap(), phone.get_job(id).unwrap());
    }

    // The tablet works; the back office approves the phone's job once it is completed.
    tablet.accept(&dispatched).unwrap();
    tablet.complete(&mine).unwrap();
    tablet.sync().await.unwrap();
    server.approve(&mine);
    phone.sync().await.unwrap();
    assert_eq!(phone.get_job(&dispatched).unwrap().status, Status::Accepted);
    assert_eq!(
        phone.get_job(&mine).unwrap().review_state,
        ReviewState::Approved
    );
    let approved = phone
        .list_jobs(&JobFilter {
            review_state: Some("approved".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(approved.len(), 1);

    // Nothing new: one small round trip. Concurrent syncs take turns.
    let before = phone.transfer_stats();
    let report = phone.sync().await.unwrap();
    assert!(report.changed_docs.is_empty());
    assert_eq!(phone.transfer_stats().requests - before.requests, 1);
    let (a, b) = tokio::join!(phone.sync(), phone.sync());
    assert!(a.is_ok() && b.is_ok());
}

#[tokio::test]
async fn an_expired_token_is_refreshed_and_a_lost_sign_in_loses_nothing() {
    let server = FakeServer::start().await;
    server.add_user("wang", Role::Technician);
    let (dir, phone) = signed_in(&server, "wang").await;
    let job = phone.create_job(new_job("Sun")).unwrap();

    server.expire_access_tokens();
    phone.sync().await.unwrap();
    assert_eq!(server.refreshes(), 1);
    assert_eq!(phone.pending_changes().unwrap(), 0);
    // The refreshed tokens were kept: a reopened client syncs without refreshing again.
    drop(phone);
    let phone = Client::open(dir.path()).unwrap();
    phone.sync().await.unwrap();
    assert_eq!(server.refreshes(), 1);

    server.revoke_all();
    phone.arrive(&job).unwrap();
    let err = phone.sync().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInNeeded);
    assert!(
        !err.to_string().contains("access-"),
        "no token in messages: {err}"
    );
    assert_eq!(phone.pending_changes().unwrap(), 1, "unsynced work is kept");
    assert!(
        phone.session().unwrap().is_some(),
        "still signed in locally"
    );
    phone.diagnose(&job, "keeps working offline").unwrap();

    phone
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    phone.sync().await.unwrap();
    assert_eq!(phone.pending_changes().unwrap(), 0);
    assert_eq!(server.job(&job).diagnosis.as_str(), "keeps working offline");
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error_and_nothing_is_lost() {
    let mut server = FakeServer::start().await;
    server.add_user("wang", Role::Technician);
    let (_dir, phone) = signed_in(&server, "wang").await;
    let job = phone.create_job(new_job("Li")).unwrap();
    server.stop().await;

    let err = phone.sync().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(phone.pending_changes().unwrap(), 1);
    phone.arrive(&job).unwrap();
    assert_eq!(phone.pending_changes().unwrap(), 2);
    let err = phone
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(phone.session().unwrap().is_some());
}

#[tokio::test]
async fn a_refused_change_goes_to_the_conflict_log_and_the_job_back_to_the_servers_state() {
    let server = FakeServer::start().await;
    let wang = server.add_user("wang", Role::Technician);
    let job = server.create_job(&wang, "Zhou");
    let (dir, phone) = signed_in(&server, "wang").await;
    phone.sync().await.unwrap();
    phone.add_note(&job, "accepted by the server").unwrap();

    // A change the policy forbids (a technician reassigning), written past the checks.
    {
        let mut store = Store::open(dir.path()).unwrap();
        let mut doc = store.load_for_edit(&job, &wang).unwrap().unwrap();
        let change = doc
            .edit("reassign", 2_000, |j| j.assignee = Some("user-li".into()))
            .unwrap()
            .unwrap();
        store.record_local(&job, &mut doc, &change).unwrap();
        assert_eq!(store.pending_for(&job).unwrap().len(), 2);
    }
    assert_eq!(
        phone.get_job(&job).unwrap().job.assignee.as_deref(),
        Some("user-li")
    );

    let seen = Arc::new(Seen::default());
    let _handle = phone.subscribe(seen.clone());
    let report = phone.sync().await.unwrap();
    assert_eq!(report.refused, 1);
    let conflicts = phone.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        (conflicts[0].doc_id.as_str(), conflicts[0].code.as_str()),
        (job.as_str(), "reassign")
    );
    assert_eq!(
        conflicts[0].change_count, 2,
        "the whole unacknowledged batch is kept"
    );
    assert_eq!(phone.pending_changes().unwrap(), 0);
    let view = phone.get_job(&job).unwrap();
    assert_eq!(view.job.assignee, Some(wang));
    assert_eq!(view.job, server.job(&job), "back to the server's state");
    assert_eq!(*seen.0.lock().unwrap(), vec![job.clone()]);
}

#[tokio::test]
async fn a_wrong_password_signs_nobody_in() {
    let server = FakeServer::start().await;
    server.add_user("wang", Role::Technician);
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(dir.path()).unwrap();
    let err = client
        .sign_in(&server.url(), "wang", "guess")
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Server {
            code: "invalid_credentials".into(),
            message: "wrong username or password".into()
        }
    );
    assert!(!err.to_string().contains("guess"));
    assert_eq!(client.session().unwrap(), None);
}

#[tokio::test]
async fn another_account_takes_over_a_device_only_once_its_work_is_synced() {
    let server = FakeServer::start().await;
    server.add_user("wang", Role::Technician);
    server.add_user("li", Role::Technician);
    let (_dir, device) = signed_in(&server, "wang").await;
    device.create_job(new_job("Wu")).unwrap();

    let err = device
        .sign_in(&server.url(), "li", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(device.session().unwrap().unwrap().username, "wang");
    assert_eq!(device.pending_changes().unwrap(), 1);

    device.sync().await.unwrap();
    device.sign_in(&server.url(), "li", PASSWORD).await.unwrap();
    assert_eq!(device.session().unwrap().unwrap().username, "li");
    assert!(
        device.list_jobs(&JobFilter::default()).unwrap().is_empty(),
        "wang's jobs left with wang"
    );
    assert_eq!(device.cursor().unwrap(), None);
    device.sync().await.unwrap();
    assert!(
        device.list_jobs(&JobFilter::default()).unwrap().is_empty(),
        "and li may not see them"
    );
}
