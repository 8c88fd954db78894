#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Background sync against the in-process stand-in server (see `support`): work done on
//! the device reaches the server with no call to `sync`, and the sync status says so.

#[allow(dead_code)] // Each test file uses its own part of the stand-in.
mod support;

use std::sync::Arc;
use std::time::Duration;

use onsite_client::{Client, ErrorKind, NewJob, SyncStateListener, SyncStatus};
use onsite_domain::{Customer, Role};
use support::{FakeServer, PASSWORD};
use tokio::sync::mpsc;

struct Statuses(mpsc::UnboundedSender<SyncStatus>);

impl SyncStateListener for Statuses {
    fn on_sync_state_changed(&self, status: SyncStatus) {
        let _ = self.0.send(status);
    }
}

/// Waits (at most ten seconds) for a status that `done` accepts.
async fn until(
    rx: &mut mpsc::UnboundedReceiver<SyncStatus>,
    done: impl Fn(&SyncStatus) -> bool,
) -> SyncStatus {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let status = rx.recv().await.expect("the client is alive");
            if done(&status) {
                return status;
            }
        }
    })
    .await
    .expect("the expected sync status in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_work_reaches_the_server_without_a_sync_call() {
    let mut server = FakeServer::start().await;
    server.add_user("wang", Role::Technician);
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(dir.path()).unwrap();
    client
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let _handle = client.subscribe_sync_state(Arc::new(Statuses(tx)));

    // An hour between syncs: the ones below come from the start and from the change.
    client
        .start_background_sync(Duration::from_secs(3600))
        .unwrap();
    let first = until(&mut rx, |s| !s.syncing && s.last_attempt_at.is_some()).await;
    assert_eq!(first.last_error, None);
    assert!(first.background && first.last_success_at.is_some());

    let id = client
        .create_job(NewJob {
            customer: Customer {
                name: "Sun".into(),
                ..Default::default()
            },
            fault: "leaks".into(),
            ..NewJob::default()
        })
        .unwrap();
    until(&mut rx, |s| s.syncing).await;
    let uploaded = until(&mut rx, |s| !s.syncing).await;
    assert_eq!(uploaded.last_error, None);
    assert_eq!(client.pending_changes().unwrap(), 0);
    assert_eq!(server.job(&id).customer.name, "Sun");

    // The server goes away: the next change fails to upload, and the status says why.
    server.stop().await;
    client
        .add_note(&id, "made while the server is down")
        .unwrap();
    let failed = until(&mut rx, |s| !s.syncing && s.last_error.is_some()).await;
    assert_eq!(failed.last_error.unwrap().kind, ErrorKind::Network);
    assert_eq!(client.pending_changes().unwrap(), 1);

    client.stop_background_sync();
    until(&mut rx, |s| !s.background).await;
}
