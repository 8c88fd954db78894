#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Devices and the back office against a real server on 127.0.0.1: convergence, catching
//! up, duplicate and interrupted uploads, restarts, and scope.

use std::time::Duration;

use onsite_client::ErrorKind;
use onsite_domain::{ReviewState, Role, Status};
use onsite_tests::proxy::FlakyProxy;
use onsite_tests::{Device, ServerProcess, TestServer};
use reqwest::Method;
use serde_json::json;

struct World {
    server: TestServer,
    tech: String,
    office: String,
}

async fn world() -> World {
    let server = TestServer::start().await.unwrap();
    let tech = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("li", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    World {
        server,
        tech,
        office,
    }
}

fn feed_rows(server: &TestServer) -> Vec<String> {
    server
        .dump()
        .unwrap()
        .into_iter()
        .filter(|l| l.starts_with("feed:"))
        .collect()
}

#[tokio::test]
async fn two_devices_and_the_back_office_converge_after_editing_apart() {
    let mut w = world().await;
    let job = w
        .server
        .create_job(&w.office, "Zhang", Some(&w.tech))
        .await
        .unwrap();
    let phone = Device::sign_in(&w.server.url(), "wang").await.unwrap();
    let tablet = Device::sign_in(&w.server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    tablet.client.sync().await.unwrap();

    // Apart: the server is down; both devices keep working.
    w.server.stop().await.unwrap();
    phone.client.accept(&job).unwrap();
    phone.client.arrive(&job).unwrap();
    phone.client.add_note(&job, "from the phone").unwrap();
    tablet.client.accept(&job).unwrap();
    tablet.client.diagnose(&job, "compressor relay").unwrap();
    tablet.client.complete(&job).unwrap();
    let err = phone.client.sync().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        phone.client.pending_changes().unwrap() > 0,
        "offline work is kept"
    );

    // The back office edits the same job meanwhile (once the server is back, before the devices sync).
    w.server.restart().await.unwrap();
    let (status, body) = w
        .server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/review"),
            &w.office,
            Some(json!({"decision": "approved"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 409, "not completed yet on the server: {body}");

    for _ in 0..2 {
        phone.client.sync().await.unwrap();
        tablet.client.sync().await.unwrap();
    }
    let (a, b) = (
        phone.client.get_job(&job).unwrap(),
        tablet.client.get_job(&job).unwrap(),
    );
    assert_eq!(a, b, "both devices show the same job");
    assert_eq!(
        a.status,
        Status::Completed,
        "completed wins over the concurrent arrival"
    );
    assert_eq!(
        a.job.events.len(),
        2 + 2 + 3,
        "reported, assigned + every device event"
    );
    let on_server = w.server.job(&w.office, &job).await.unwrap();
    assert_eq!(on_server["status"], "completed");

    // Now the review reaches both devices.
    let (status, _) = w
        .server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/review"),
            &w.office,
            Some(json!({"decision": "approved"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    phone.client.sync().await.unwrap();
    tablet.client.sync().await.unwrap();
    assert_eq!(
        phone.client.get_job(&job).unwrap().review_state,
        ReviewState::Approved
    );
    assert_eq!(
        phone.client.get_job(&job).unwrap(),
        tablet.client.get_job(&job).unwrap()
    );
    assert_eq!(phone.client.pending_changes().unwrap(), 0);
}

#[tokio::test]
async fn a_device_offline_for_500_edits_catches_up() {
    let w = world().await;
    let mut jobs = Vec::new();
    for i in 0..5 {
        jobs.push(
            w.server
                .create_job(&w.office, &format!("C{i}"), Some(&w.tech))
                .await
                .unwrap(),
        );
    }
    let busy = Device::sign_in(&w.server.url(), "wang").await.unwrap();
    let away = Device::sign_in(&w.server.url(), "wang").await.unwrap();
    busy.client.sync().await.unwrap();
    away.client.sync().await.unwrap();
    for i in 0..500 {
        busy.client
            .add_note(&jobs[i % jobs.len()], &format!("note {i}"))
            .unwrap();
        if i % 100 == 99 {
            busy.client.sync().await.unwrap();
        }
    }
    busy.client.sync().await.unwrap();
    assert_eq!(busy.client.pending_changes().unwrap(), 0);
    let report = away.client.sync().await.unwrap();
    assert_eq!(report.changes_received, 500);
    for job in &jobs {
        assert_eq!(
            away.client.get_job(job).unwrap(),
            busy.client.get_job(job).unwrap()
        );
    }
    let total_notes: usize = jobs
        .iter()
        .map(|j| away.client.get_job(j).unwrap().job.notes.len())
        .sum();
    assert_eq!(total_notes, 500);
}

#[tokio::test]
async fn interrupted_and_repeated_uploads_lose_nothing_and_duplicate_nothing() {
    let w = world().await;
    let job = w
        .server
        .create_job(&w.office, "Zhao", Some(&w.tech))
        .await
        .unwrap();
    let proxy = FlakyProxy::start(w.server.addr).await.unwrap();
    let device = Device::sign_in(&proxy.url(), "wang").await.unwrap();
    device.client.sync().await.unwrap();
    device.client.accept(&job).unwrap();
    device.client.add_note(&job, "before the tunnel").unwrap();
    let pending = device.client.pending_changes().unwrap();
    assert_eq!(pending, 2);

    // The upload reaches the server, which commits; the answer is lost on the way back.
    proxy.set_drop_responses(true);
    let err = device.client.sync().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        device.client.pending_changes().unwrap(),
        pending,
        "unacknowledged changes stay in the outbox"
    );
    let rows_after_first = feed_rows(&w.server);

    // The app dies and restarts; the same changes are uploaded again, twice.
    let device = device.reopen().unwrap();
    let err = device.client.sync().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        feed_rows(&w.server),
        rows_after_first,
        "a repeated upload adds nothing"
    );
    proxy.set_drop_responses(false);
    device.client.sync().await.unwrap();
    assert_eq!(device.client.pending_changes().unwrap(), 0);
    assert_eq!(
        feed_rows(&w.server),
        rows_after_first,
        "acknowledging a repeated upload adds nothing"
    );

    let on_server = w.server.job(&w.office, &job).await.unwrap();
    assert_eq!(on_server["status"], "accepted");
    let notes = on_server["document"]["notes"].as_object().unwrap();
    assert_eq!(notes.len(), 1);
}

#[tokio::test]
async fn nothing_acknowledged_is_lost_across_server_restarts_and_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    // On the run's backend: the data directory, or a PostgreSQL database of its own.
    let database = onsite_tests::database::TestDatabase::create().unwrap();
    let db = database.url();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_onsite-under-test"));
    let mut server =
        ServerProcess::start_on(binary, dir.path(), db.as_deref(), "127.0.0.1:0").unwrap();
    let (url, addr) = (server.url(), server.addr.to_string());
    onsite_tests::create_account_on(dir.path(), db.clone(), "wang", Role::Technician).unwrap();
    let device = Device::sign_in(&url, "wang").await.unwrap();
    let mut created = Vec::new();
    for round in 0..3 {
        for i in 0..5 {
            let id = device
                .client
                .create_job(sample_job(&format!("R{round}-{i}")))
                .unwrap();
            device.client.add_note(&id, "on site").unwrap();
            created.push(id);
        }
        device.client.sync().await.unwrap();
        assert_eq!(
            device.client.pending_changes().unwrap(),
            0,
            "all acknowledged"
        );
        // Killed without warning right after acknowledging, then started on the same data.
        server.kill().unwrap();
        server = ServerProcess::start_on(binary, dir.path(), db.as_deref(), &addr).unwrap();
    }
    let fresh = Device::sign_in(&url, "wang").await.unwrap();
    fresh.client.sync().await.unwrap();
    created.sort();
    assert_eq!(fresh.job_ids().unwrap(), created);
    for id in &created {
        assert_eq!(
            fresh.client.get_job(id).unwrap(),
            device.client.get_job(id).unwrap()
        );
    }
    // The first device, after all those restarts, is up to date with one small round trip.
    let report = device.client.sync().await.unwrap();
    assert!(report.changed_docs.is_empty());
}

/// Stopped as systemd or a container runtime stops it (SIGTERM): the server closes the live
/// sockets with 1012 (connect again), exits 0, and has everything it acknowledged when it
/// starts again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_live_sockets_and_the_server_exits_cleanly() {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let dir = tempfile::tempdir().unwrap();
    let database = onsite_tests::database::TestDatabase::create().unwrap();
    let db = database.url();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_onsite-under-test"));
    let server = ServerProcess::start_on(binary, dir.path(), db.as_deref(), "127.0.0.1:0").unwrap();
    let (url, addr) = (server.url(), server.addr.to_string());
    onsite_tests::create_account_on(dir.path(), db.clone(), "wang", Role::Technician).unwrap();
    let device = Device::sign_in(&url, "wang").await.unwrap();
    let job = device.client.create_job(sample_job("Zhao")).unwrap();
    device.client.sync().await.unwrap();
    assert_eq!(device.client.pending_changes().unwrap(), 0);

    let token: serde_json::Value = onsite_tests::http()
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "wang", "password": onsite_tests::PASSWORD, "device_id": "tablet-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut request = format!("ws://{addr}/v1/sync/live")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", token["access_token"].as_str().unwrap())
            .parse()
            .unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        socket.next().await.unwrap().unwrap(),
        Message::text("ready")
    );

    let exit = tokio::task::spawn_blocking(move || server.terminate(Duration::from_secs(30)))
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "the server exits 0 on SIGTERM: {exit}");
    match socket.next().await {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1012),
        other => panic!("the live socket ends with a close frame, got {other:?}"),
    }

    let _server = ServerProcess::start_on(binary, dir.path(), db.as_deref(), &addr).unwrap();
    let fresh = Device::sign_in(&url, "wang").await.unwrap();
    fresh.client.sync().await.unwrap();
    assert_eq!(fresh.job_ids().unwrap(), vec![job]);
}

fn sample_job(customer: &str) -> onsite_client::NewJob {
    onsite_client::NewJob {
        customer: onsite_domain::Customer {
            name: customer.into(),
            phone: "+86 139 0000 0000".into(),
            ..Default::default()
        },
        product: onsite_domain::Product {
            id: String::new(),
            model: "WM-100".into(),
            serial: format!("SN-{customer}"),
            purchase_date: None,
        },
        fault: "drum does not turn".into(),
        complaint: false,
    }
}

#[tokio::test]
async fn a_technician_only_ever_holds_the_jobs_assigned_to_them() {
    let w = world().await;
    let li = {
        let signed_in = w.server.login_full("li", "li-phone").await.unwrap();
        let token = signed_in["access_token"].as_str().unwrap();
        let (_, me) = w
            .server
            .call(Method::GET, "/v1/jobs", token, None)
            .await
            .unwrap();
        assert_eq!(
            me["error"]["code"], "forbidden",
            "technicians cannot list every job"
        );
        signed_in["user_id"].as_str().unwrap().to_string()
    };
    let mine = w
        .server
        .create_job(&w.office, "Mine", Some(&w.tech))
        .await
        .unwrap();
    let theirs = w
        .server
        .create_job(&w.office, "Theirs", Some(&li))
        .await
        .unwrap();
    let unassigned = w
        .server
        .create_job(&w.office, "Nobody", None)
        .await
        .unwrap();
    let wang = Device::sign_in(&w.server.url(), "wang").await.unwrap();
    let li_phone = Device::sign_in(&w.server.url(), "li").await.unwrap();
    wang.client.sync().await.unwrap();
    li_phone.client.sync().await.unwrap();
    assert_eq!(wang.job_ids().unwrap(), vec![mine.clone()]);
    assert_eq!(li_phone.job_ids().unwrap(), vec![theirs.clone()]);

    // Wang works on the job; then the back office moves it to Li: it leaves Wang's phone
    // and arrives whole, with Wang's work, on Li's.
    wang.client.accept(&mine).unwrap();
    wang.client
        .add_note(&mine, "needs a part from the depot")
        .unwrap();
    wang.client.sync().await.unwrap();
    let (status, body) = w
        .server
        .call(
            Method::POST,
            &format!("/v1/jobs/{mine}/assign"),
            &w.office,
            Some(json!({"assignee": li})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    wang.client.sync().await.unwrap();
    li_phone.client.sync().await.unwrap();
    assert!(wang.job_ids().unwrap().is_empty());
    let mut expected = vec![mine.clone(), theirs.clone()];
    expected.sort();
    assert_eq!(li_phone.job_ids().unwrap(), expected);
    let moved = li_phone.client.get_job(&mine).unwrap();
    assert_eq!(moved.job.notes.len(), 1);
    assert_eq!(
        moved.status,
        Status::Assigned,
        "the new technician must accept it"
    );
    assert!(!li_phone.job_ids().unwrap().contains(&unassigned));
}

/// `--log-format json`: every log line is one JSON object, for a log collector.
#[test]
fn json_logs_are_one_object_a_line() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_onsite-under-test"));
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--data-dir",
        ])
        .arg(dir.path())
        .env("ONSITE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let entry: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        let serving = entry["fields"]["message"] == "onsite serving";
        seen.push(entry);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let serving = seen.last().unwrap();
    assert_eq!(serving["level"], "INFO", "{seen:?}");
    assert!(
        serving["fields"]["addr"]
            .as_str()
            .is_some_and(|a| a.starts_with("127.0.0.1:")),
        "{serving}"
    );
}
