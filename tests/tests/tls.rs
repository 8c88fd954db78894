#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! HTTPS end to end, with a certificate authority made by the test: the server terminates
//! TLS itself (in process, and as the `onsite` binary with `--tls-cert`/`--tls-key`);
//! client cores that trust the CA, through the platform's verifier and through the roots
//! compiled into the library (what the Android build uses), sign in, sync and hear live
//! notices over `wss://`; a client that does not trust it is refused, with the reason.

use std::ffi::OsStr;
use std::sync::Arc;
use std::time::Duration;

use onsite_client::{Client, ErrorKind, JobsListener};
use onsite_domain::Role;
use onsite_tests::tls::TestCa;
use onsite_tests::{PASSWORD, ServerProcess, TestServer, create_account};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(20);
/// Background sync interval: far longer than the test, so only a live notice makes it sync.
const HOUR: Duration = Duration::from_secs(3600);

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
    })
    .await
    .expect("a live notice of the job in time");
}

fn job_ids(client: &Client) -> Vec<String> {
    let mut ids: Vec<String> = client
        .list_jobs(&Default::default())
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_that_trust_the_companys_ca_sync_and_hear_notices_over_https() {
    let ca = TestCa::new().unwrap();
    let server = TestServer::start_tls(&ca).await.unwrap();
    assert!(server.url().starts_with("https://"), "{}", server.url());
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();

    // The platform's verifier with the CA added.
    let phone_dir = tempfile::tempdir().unwrap();
    let phone = Client::open_with_trust(phone_dir.path(), ca.trust(false).unwrap()).unwrap();
    phone
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    let (tx, mut heard) = mpsc::unbounded_channel();
    let _jobs = phone.subscribe(Arc::new(Heard(tx)));
    phone.start_background_sync(HOUR).unwrap();
    let job = server
        .create_job(&office, "张三", Some(&wang))
        .await
        .unwrap();
    hear(&mut heard, &job).await;
    assert_eq!(job_ids(&phone), vec![job.clone()]);

    // The roots compiled into the library with the CA added, as on Android.
    let tablet_dir = tempfile::tempdir().unwrap();
    let tablet = Client::open_with_trust(tablet_dir.path(), ca.trust(true).unwrap()).unwrap();
    tablet
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    tablet.sync().await.unwrap();
    assert_eq!(job_ids(&tablet), vec![job.clone()]);
    tablet.add_note(&job, "fixed over TLS").unwrap();
    tablet.sync().await.unwrap();
    let stored = server.job(&office, &job).await.unwrap();
    assert!(
        stored.to_string().contains("fixed over TLS"),
        "the note reached the server: {stored}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_does_not_trust_the_certificate_is_refused_with_the_reason() {
    let ca = TestCa::new().unwrap();
    let server = TestServer::start_tls(&ca).await.unwrap();
    server.create_user("wang", Role::Technician).unwrap();
    for bundled_roots in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let trust = onsite_client::Trust {
            extra_roots: Vec::new(),
            bundled_roots,
        };
        let phone = Client::open_with_trust(dir.path(), trust).unwrap();
        let err = phone
            .sign_in(&server.url(), "wang", PASSWORD)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err}");
        assert!(
            err.to_string().contains("certificate"),
            "the message says why: {err}"
        );
        let again = phone.sync().await.unwrap_err();
        assert_eq!(again.kind(), ErrorKind::SignInNeeded, "no session was kept");
    }
    // Plain HTTP to the HTTPS port is no way round it.
    let dir = tempfile::tempdir().unwrap();
    let phone = Client::open(dir.path()).unwrap();
    let plain = format!("http://{}", server.addr);
    let err = phone.sign_in(&plain, "wang", PASSWORD).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_onsite_binary_serves_https_with_its_certificate_files() {
    let ca = TestCa::new().unwrap();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_onsite-under-test"));
    let dir = tempfile::tempdir().unwrap();
    create_account(dir.path(), "wang", Role::Technician).unwrap();
    let args = [
        OsStr::new("--tls-cert"),
        ca.cert.as_os_str(),
        OsStr::new("--tls-key"),
        ca.key.as_os_str(),
    ];
    let server =
        ServerProcess::start_with_args(binary, dir.path(), None, "127.0.0.1:0", &args).unwrap();
    assert_eq!(server.scheme, "https");
    let health = ca
        .http()
        .unwrap()
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let phone_dir = tempfile::tempdir().unwrap();
    let phone = Client::open_with_trust(phone_dir.path(), ca.trust(false).unwrap()).unwrap();
    phone
        .sign_in(&server.url(), "wang", PASSWORD)
        .await
        .unwrap();
    phone.sync().await.unwrap();

    // A key that is not the certificate's stops the server at start, with the reason.
    let other = TestCa::new().unwrap();
    let out = std::process::Command::new(binary)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .arg("--tls-cert")
        .arg(&ca.cert)
        .arg("--tls-key")
        .arg(&other.key)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("do not go together"),
        "the error names the mismatch: {stderr}"
    );
}
