#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The audit log over real HTTP: every sign-in, refused or not, and every change an
//! administrator makes to accounts and devices is there, in order, with who, on which
//! device, from which address; never a password. Only administrators read it.

use onsite_domain::Role;
use onsite_tests::office::expect;
use onsite_tests::{PASSWORD, TestServer, http};
use reqwest::Method;
use serde_json::{Value, json};

async fn sign_in(server: &TestServer, username: &str, password: &str, device: &str) -> u16 {
    http()
        .post(format!("{}/v1/auth/login", server.url()))
        .json(&json!({"username": username, "password": password, "device_id": device}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn actions(page: &Value) -> Vec<&str> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_and_account_administration_are_in_the_audit_log() {
    let server = TestServer::start().await.unwrap();
    let root_id = server.create_user("root", Role::Admin).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let admin = server.login("root", "admin-pc").await.unwrap();
    let created = expect(
        &server,
        &admin,
        Method::POST,
        "/v1/admin/users",
        Some(json!({"username": "wang", "role": "technician", "password": PASSWORD})),
        201,
    )
    .await;
    let wang = created["id"].as_str().unwrap().to_string();
    assert_eq!(
        sign_in(&server, "wang", "not-the-password", "phone").await,
        401
    );
    assert_eq!(
        sign_in(&server, "ghost", "whatever-it-is", "phone").await,
        401
    );
    assert_eq!(sign_in(&server, "wang", PASSWORD, "phone").await, 200);
    let user = format!("/v1/admin/users/{wang}");
    expect(
        &server,
        &admin,
        Method::PATCH,
        &user,
        Some(json!({"role": "back_office"})),
        200,
    )
    .await;
    expect(
        &server,
        &admin,
        Method::POST,
        &format!("{user}/disable"),
        None,
        204,
    )
    .await;
    expect(
        &server,
        &admin,
        Method::POST,
        &format!("{user}/enable"),
        None,
        204,
    )
    .await;
    expect(
        &server,
        &admin,
        Method::POST,
        &format!("{user}/password"),
        Some(json!({"password": "another-long-password"})),
        204,
    )
    .await;
    expect(
        &server,
        &admin,
        Method::POST,
        &format!("{user}/devices/phone/revoke"),
        Some(json!({"wipe": true})),
        204,
    )
    .await;
    expect(&server, &admin, Method::DELETE, &user, None, 204).await;

    let log = expect(&server, &admin, Method::GET, "/v1/admin/audit", None, 200).await;
    assert_eq!(
        actions(&log),
        [
            "sign_in",
            "account_created",
            "sign_in_refused",
            "sign_in_refused",
            "sign_in",
            "account_updated",
            "account_disabled",
            "account_enabled",
            "password_reset",
            "device_revoked",
            "account_deleted",
        ],
        "{log}"
    );
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries[0]["actor_id"], root_id.as_str());
    assert_eq!(entries[0]["device_id"], "admin-pc");
    assert_eq!(entries[0]["address"], "127.0.0.1");
    assert_eq!(entries[1]["actor"], "root");
    assert_eq!(entries[1]["target_id"], wang.as_str());
    assert_eq!(entries[1]["detail"]["role"], "technician");
    assert_eq!(entries[2]["actor"], "wang");
    assert_eq!(
        entries[2]["actor_id"],
        wang.as_str(),
        "a wrong password for a known account"
    );
    assert_eq!(entries[2]["detail"]["reason"], "wrong_password");
    assert_eq!(entries[3]["detail"]["reason"], "unknown_user");
    assert_eq!(entries[3]["actor"], "ghost");
    assert!(
        entries[3]["actor_id"].is_null(),
        "an unknown user name names no account"
    );
    assert_eq!(entries[4]["device_id"], "phone");
    assert_eq!(entries[5]["detail"]["role"], "back_office");
    assert_eq!(entries[9]["device_id"], "phone");
    assert_eq!(entries[9]["detail"]["wipe"], true);
    assert_eq!(
        entries[10]["target_id"],
        wang.as_str(),
        "the entry outlives the account"
    );
    let text = log.to_string();
    for secret in [
        PASSWORD,
        "not-the-password",
        "another-long-password",
        "whatever-it-is",
    ] {
        assert!(!text.contains(secret), "a password in the log: {secret}");
    }

    // Pages follow each other by `next`; filters by account and by action.
    let first = expect(
        &server,
        &admin,
        Method::GET,
        "/v1/admin/audit?limit=4",
        None,
        200,
    )
    .await;
    assert_eq!(actions(&first), actions(&log)[..4]);
    let rest = expect(
        &server,
        &admin,
        Method::GET,
        &format!("/v1/admin/audit?after={}", first["next"]),
        None,
        200,
    )
    .await;
    assert_eq!(actions(&rest), actions(&log)[4..]);
    let of_wang = expect(
        &server,
        &admin,
        Method::GET,
        &format!("/v1/admin/audit?account={wang}"),
        None,
        200,
    )
    .await;
    assert_eq!(
        actions(&of_wang).len(),
        9,
        "all but root's sign-in and the attempt under an unknown name: {of_wang}"
    );
    let refused = expect(
        &server,
        &admin,
        Method::GET,
        "/v1/admin/audit?action=sign_in_refused",
        None,
        200,
    )
    .await;
    assert_eq!(actions(&refused), ["sign_in_refused", "sign_in_refused"]);

    // Only administrators read it, and a bad parameter is a clear 400.
    let office = server.login("office", "office-pc").await.unwrap();
    expect(&server, &office, Method::GET, "/v1/admin/audit", None, 403).await;
    for bad in ["after=-1", "limit=0", "action=sign_out", "since=1"] {
        expect(
            &server,
            &admin,
            Method::GET,
            &format!("/v1/admin/audit?{bad}"),
            None,
            400,
        )
        .await;
    }
}
