#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The `onsite` binary's settings in layers: a TOML file configures the running server,
//! the environment overrides the file and flags the environment, `config show` prints what
//! `serve` would run with (a database password hidden), and a misspelt key stops it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use onsite_domain::Role;
use onsite_tests::{PASSWORD, ServerProcess, create_account, http};
use serde_json::{Value, json};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_onsite-under-test"))
}

fn settings_file(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("onsite.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn sign_in(url: &str, password: &str) -> (u16, Value) {
    let resp = http()
        .post(format!("{url}/v1/auth/login"))
        .json(&json!({"username": "wang", "password": password, "device_id": "phone"}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settings_file_configures_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    create_account(&data, "wang", Role::Technician).unwrap();
    let file = settings_file(
        dir.path(),
        "[tokens]\naccess_ttl_secs = 120\n[limits]\nsign_ins_per_account_per_minute = 2\n",
    );
    let args = [OsStr::new("--config"), file.as_os_str()];
    let server =
        ServerProcess::start_with_args(binary(), &data, None, "127.0.0.1:0", &args).unwrap();
    let (status, tokens) = sign_in(&server.url(), PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["expires_in"], 120, "the file's token lifetime");
    let (status, _) = sign_in(&server.url(), "wrong").await;
    assert_eq!(status, 401);
    let (status, body) = sign_in(&server.url(), "wrong").await;
    assert_eq!(status, 429, "the file's limit of 2 a minute: {body}");
}

#[test]
fn config_show_prints_each_layer_over_the_one_below_and_hides_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = settings_file(
        dir.path(),
        "listen = \"0.0.0.0:9000\"\ntimezone = \"Europe/Paris\"\n\
         database = \"postgres://onsite:s3cret@db.internal/onsite\"\n\
         [sla]\nresponse_hours = 8\n",
    );
    let out = Command::new(binary())
        .args(["config", "show", "--config"])
        .arg(&file)
        .args(["--listen", "127.0.0.1:7000"])
        .env("ONSITE_TIMEZONE", "Asia/Shanghai")
        .env("ONSITE_LISTEN", "127.0.0.1:7500")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(
        shown.contains("listen = \"127.0.0.1:7000\""),
        "flag over environment over file: {shown}"
    );
    assert!(
        shown.contains("timezone = \"Asia/Shanghai\""),
        "environment over file: {shown}"
    );
    assert!(
        shown.contains("response_hours = 8"),
        "the file over the default: {shown}"
    );
    assert!(
        shown.contains("arrival_far_hours = 48"),
        "defaults fill the rest: {shown}"
    );
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains("postgres://onsite:***@db.internal/onsite"),
        "{shown}"
    );
}

#[test]
fn a_misspelt_key_or_a_bad_value_stops_the_server_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for (text, names) in [
        (
            "[limits]\nsign_ins_per_adress_per_minute = 600\n",
            "sign_ins_per_adress_per_minute",
        ),
        ("timezone = \"Asia/Shangai\"\n", "Asia/Shangai"),
    ] {
        let file = settings_file(dir.path(), text);
        let out = Command::new(binary())
            .args(["serve", "--listen", "127.0.0.1:0", "--config"])
            .arg(&file)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(names), "{text:?}: {stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing was created by a server that did not start"
    );
}
