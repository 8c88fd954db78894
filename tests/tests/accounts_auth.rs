#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Accounts, sessions and the write policy against a real server: every refusal has a
//! clear error and leaves the database exactly as it was.

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc};
use onsite_domain::{Answer, Decision, Form, ReviewDecision, Role};
use onsite_sync::wire::Response;
use onsite_tests::TestServer;
use onsite_tests::raw::RawDevice;
use reqwest::Method;
use serde_json::{Value, json};

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn sign(secret: &[u8], header: &Value, claims: &Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    let header: jsonwebtoken::Header = serde_json::from_value(header.clone()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

async fn status_of(server: &TestServer, token: &str) -> (u16, String) {
    let (status, body) = server
        .call(Method::GET, "/v1/jobs", token, None)
        .await
        .unwrap();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

struct Setup {
    server: TestServer,
    admin: String,
    office: String,
    tech_id: String,
    other_id: String,
}

async fn setup() -> Setup {
    let server = TestServer::start().await.unwrap();
    server.create_user("root", Role::Admin).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let tech_id = server.create_user("wang", Role::Technician).unwrap();
    let other_id = server.create_user("li", Role::Technician).unwrap();
    let admin = server.login("root", "admin-pc").await.unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    Setup {
        server,
        admin,
        office,
        tech_id,
        other_id,
    }
}

#[tokio::test]
async fn forged_and_expired_tokens_are_refused() {
    let s = setup().await;
    let secret = s.server.jwt_secret().unwrap();
    let office_id = s.server.login_full("office", "x").await.unwrap()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let now = chrono_now();
    let claims =
        json!({"sub": office_id, "dev": "office-pc", "ver": 0, "iat": now, "exp": now + 600});
    let before = s.server.dump().unwrap();

    let valid = sign(secret.as_bytes(), &json!({"alg": "HS256"}), &claims);
    assert_eq!(
        status_of(&s.server, &valid).await.0,
        200,
        "a correctly signed token works"
    );

    let wrong_key = sign(b"not-the-server-secret", &json!({"alg": "HS256"}), &claims);
    let alg_none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(claims.to_string().as_bytes())
    );
    let parts: Vec<&str> = valid.split('.').collect();
    let mut tampered_claims = claims.clone();
    tampered_claims["sub"] = json!(s.tech_id);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(tampered_claims.to_string().as_bytes()),
        parts[2]
    );
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(now - 1);
    expired_claims["iat"] = json!(now - 901);
    let expired = sign(secret.as_bytes(), &json!({"alg": "HS256"}), &expired_claims);
    let hs512 = sign(secret.as_bytes(), &json!({"alg": "HS512"}), &claims);

    for (name, token, code) in [
        ("wrong key", wrong_key.as_str(), "unauthorized"),
        ("alg none", alg_none.as_str(), "unauthorized"),
        ("tampered claims", tampered.as_str(), "unauthorized"),
        ("other algorithm", hs512.as_str(), "unauthorized"),
        ("expired", expired.as_str(), "token_expired"),
        ("garbage", "abc", "unauthorized"),
    ] {
        assert_eq!(
            status_of(&s.server, token).await,
            (401, code.to_string()),
            "{name}"
        );
        let raw = RawDevice::new(&s.server.url(), token);
        let (status, _) = raw
            .push(&uuid::Uuid::new_v4().to_string(), vec![])
            .await
            .unwrap();
        assert_eq!(status, 401, "{name}: sync");
    }
    assert_eq!(s.server.dump().unwrap(), before);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_family() {
    let s = setup().await;
    let first = s.server.login_full("wang", "phone-1").await.unwrap();
    let r1 = first["refresh_token"].as_str().unwrap().to_string();
    let http = onsite_tests::http();
    let refresh = |token: String| {
        let http = http.clone();
        let url = format!("{}/v1/auth/refresh", s.server.url());
        async move {
            let resp = http
                .post(url)
                .json(&json!({"refresh_token": token}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, second) = refresh(r1.clone()).await;
    assert_eq!(status, 200);
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    assert_eq!(
        status_of(&s.server, second["access_token"].as_str().unwrap())
            .await
            .0,
        403,
        "a technician cannot list jobs, but is signed in"
    );

    // The first token is used again: someone copied it. The whole sign-in ends.
    let (status, body) = refresh(r1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (401, "refresh_reused")
    );
    let (status, body) = refresh(r2).await;
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (401, "invalid_refresh")
    );
    // Logout ends a sign-in too.
    let third = s.server.login_full("wang", "phone-1").await.unwrap();
    let r3 = third["refresh_token"].as_str().unwrap().to_string();
    let resp = http
        .post(format!("{}/v1/auth/logout", s.server.url()))
        .json(&json!({"refresh_token": r3}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(refresh(r3).await.0, 401);
}

#[tokio::test]
async fn disabling_an_account_or_revoking_a_device_takes_effect_on_the_next_request() {
    let s = setup().await;
    let token = s.server.login("wang", "phone-1").await.unwrap();
    let raw = RawDevice::new(&s.server.url(), &token);
    assert_eq!(raw.pull_all().await.unwrap().len(), 0);
    let (status, _) = s
        .server
        .call(
            Method::POST,
            &format!("/v1/admin/users/{}/disable", s.tech_id),
            &s.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 204);
    let (status, response) = raw
        .push(&uuid::Uuid::new_v4().to_string(), vec![])
        .await
        .unwrap();
    assert!(matches!(response, Response::Error(e) if e.code == "account_disabled"));
    assert_eq!(status, 401);
    let (status, body) = s
        .server
        .call(Method::GET, "/v1/jobs", &token, None)
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (401, "account_disabled")
    );
    let resp = onsite_tests::http()
        .post(format!("{}/v1/auth/login", s.server.url()))
        .json(&json!({"username": "wang", "password": onsite_tests::PASSWORD, "device_id": "phone-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        401,
        "a disabled account cannot sign in"
    );
    s.server
        .call(
            Method::POST,
            &format!("/v1/admin/users/{}/enable", s.tech_id),
            &s.admin,
            None,
        )
        .await
        .unwrap();

    // A lost phone: revoked, then flagged for wipe.
    let token = s.server.login("wang", "phone-1").await.unwrap();
    let (status, body) = s
        .server
        .call(
            Method::GET,
            &format!("/v1/admin/users/{}/devices", s.tech_id),
            &s.admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["devices"][0]["device_id"], "phone-1");
    let (status, _) = s
        .server
        .call(
            Method::POST,
            &format!("/v1/admin/users/{}/devices/phone-1/revoke", s.tech_id),
            &s.admin,
            Some(json!({"wipe": false})),
        )
        .await
        .unwrap();
    assert_eq!(status, 204);
    let (status, body) = s
        .server
        .call(Method::GET, "/v1/jobs", &token, None)
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str().unwrap()),
        (401, "device_revoked")
    );
    let (status, _) = RawDevice::new(&s.server.url(), &token)
        .push(&uuid::Uuid::new_v4().to_string(), vec![])
        .await
        .unwrap();
    assert_eq!(status, 401);
    let resp = onsite_tests::http()
        .post(format!("{}/v1/auth/login", s.server.url()))
        .json(&json!({"username": "wang", "password": onsite_tests::PASSWORD, "device_id": "phone-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        403,
        "a revoked device cannot sign in again"
    );
}

/// A job assigned to Wang, as Wang's hostile app holds it.
async fn hostile_setup(s: &Setup) -> (RawDevice, String, onsite_domain::JobDoc) {
    let job = s
        .server
        .create_job(&s.office, "Zhou", Some(&s.tech_id))
        .await
        .unwrap();
    s.server
        .create_job(&s.office, "Other", Some(&s.other_id))
        .await
        .unwrap();
    let token = s.server.login("wang", "phone-1").await.unwrap();
    let raw = RawDevice::new(&s.server.url(), &token);
    let mut docs = raw.pull_all().await.unwrap();
    assert_eq!(docs.len(), 1, "only Wang's job reaches Wang");
    let (id, doc) = docs.remove(0);
    assert_eq!(id, job);
    (raw, id, doc)
}

#[tokio::test]
async fn crafted_changes_outside_a_technicians_rights_are_refused_and_change_nothing() {
    let s = setup().await;
    let (raw, id, doc) = hostile_setup(&s).await;
    let before = s.server.dump().unwrap();
    let tech = s.tech_id.clone();
    let other = s.other_id.clone();

    type Craft = Box<dyn Fn(&mut onsite_domain::JobDoc) -> Vec<u8>>;
    let edit = |f: Box<dyn Fn(&mut onsite_domain::Job)>| -> Craft {
        Box::new(move |d: &mut onsite_domain::JobDoc| {
            d.edit("hostile", 0, |j| f(j))
                .unwrap()
                .unwrap()
                .raw_bytes()
                .to_vec()
        })
    };
    let tech2 = tech.clone();
    let cases: Vec<(&str, Craft, &str)> = vec![
        (
            "approve",
            edit(Box::new(move |j| {
                j.reviews.push(ReviewDecision {
                    id: "r".into(),
                    decision: Decision::Approved,
                    comment: String::new(),
                    at: 0,
                    by: tech2.clone(),
                })
            })),
            "review",
        ),
        (
            "reassign",
            edit(Box::new(move |j| j.assignee = Some(other.clone()))),
            "reassign",
        ),
        (
            "customer",
            edit(Box::new(|j| j.customer.phone = "000".into())),
            "customer_record",
        ),
        (
            "score 7",
            edit(Box::new(move |j| {
                let mut answers = std::collections::BTreeMap::new();
                answers.insert(
                    "overall".to_string(),
                    Answer {
                        points: 7,
                        comment: String::new(),
                        at: 0,
                    },
                );
                j.forms.insert(
                    "f".into(),
                    Form {
                        id: "f".into(),
                        template_id: "csat-onsite".into(),
                        template_version: 1,
                        respondent: "survey".into(),
                        answers,
                        suggestion: Default::default(),
                        submitted_at: None,
                        by: tech.clone(),
                    },
                );
            })),
            "score_out_of_scale",
        ),
        // Raw Automerge: delete the first timeline event, as no honest app would.
        (
            "delete event",
            Box::new(|d: &mut onsite_domain::JobDoc| {
                let am = d.automerge();
                let (_, events) = am.get(ROOT, "events").unwrap().unwrap();
                am.delete(&events, 0).unwrap();
                am.commit();
                am.get_last_local_change().unwrap().raw_bytes().to_vec()
            }),
            "timeline_rewritten",
        ),
    ];
    for (name, craft, code) in cases {
        let mut copy = doc.clone();
        copy.set_actor(automerge::ActorId::random());
        let change = craft(&mut copy);
        let (status, response) = raw.push(&id, vec![change]).await.unwrap();
        assert_eq!(status, 200, "{name}");
        let Response::Sync(resp) = response else {
            panic!("{name}: {response:?}")
        };
        assert_eq!(resp.refused.len(), 1, "{name}");
        assert_eq!(
            resp.refused[0].code, code,
            "{name}: {}",
            resp.refused[0].message
        );
        assert_eq!(
            s.server.dump().unwrap(),
            before,
            "{name}: the database changed"
        );
    }
    // A technician cannot read jobs through the back-office API either.
    let (status, _) = s
        .server
        .call(Method::GET, &format!("/v1/jobs/{id}"), &raw.token, None)
        .await
        .unwrap();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn garbage_in_the_admin_api_gets_clear_errors_and_changes_nothing() {
    let s = setup().await;
    let before = s.server.dump().unwrap();
    let tech = s.tech_id.clone();
    let cases: Vec<(Method, String, Value, u16)> = vec![
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": "", "role": "technician", "password": "long-enough-1"}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": "a b", "role": "technician", "password": "long-enough-1"}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": "zz", "role": "emperor", "password": "long-enough-1"}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": "zz", "role": "technician", "password": "short"}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": "wang", "role": "technician", "password": "long-enough-1"}),
            409,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": 42, "role": "technician", "password": "long-enough-1"}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!({"username": "zz", "role": "technician", "password": "long-enough-1", "is_root": true}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users".into(),
            json!("'; DROP TABLE users; --"),
            400,
        ),
        (
            Method::PATCH,
            format!("/v1/admin/users/{tech}"),
            json!({"role": "root"}),
            400,
        ),
        (
            Method::PATCH,
            format!("/v1/admin/users/{tech}"),
            json!({"display_name": ""}),
            400,
        ),
        (
            Method::PATCH,
            "/v1/admin/users/nope".into(),
            json!({"display_name": "x"}),
            404,
        ),
        (
            Method::POST,
            format!("/v1/admin/users/{tech}/password"),
            json!({"password": "1"}),
            400,
        ),
        (
            Method::POST,
            format!("/v1/admin/users/{tech}/password"),
            json!({"pass": "long-enough-1"}),
            400,
        ),
        (
            Method::POST,
            "/v1/admin/users/nope/disable".into(),
            Value::Null,
            404,
        ),
        (
            Method::DELETE,
            "/v1/admin/users/nope".into(),
            Value::Null,
            404,
        ),
        (
            Method::POST,
            format!("/v1/admin/users/{tech}/devices/unknown/revoke"),
            json!({"wipe": "yes"}),
            400,
        ),
        (
            Method::POST,
            format!("/v1/admin/users/{tech}/devices/unknown/revoke"),
            json!({"wipe": true}),
            404,
        ),
    ];
    for (method, path, body, status) in cases {
        let body = if body.is_null() { None } else { Some(body) };
        let (got, resp) = s
            .server
            .call(method.clone(), &path, &s.admin, body.clone())
            .await
            .unwrap();
        assert_eq!(got, status, "{method} {path} {body:?}: {resp}");
        assert!(
            resp["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: a message"
        );
        assert_eq!(
            s.server.dump().unwrap(),
            before,
            "{method} {path}: the database changed"
        );
    }
    // The office cannot administer accounts; the admin cannot sync jobs.
    let (status, _) = s
        .server
        .call(Method::GET, "/v1/admin/users", &s.office, None)
        .await
        .unwrap();
    assert_eq!(status, 403);
    let (status, _) = RawDevice::new(&s.server.url(), &s.admin)
        .push(&uuid::Uuid::new_v4().to_string(), vec![])
        .await
        .unwrap();
    assert_eq!(status, 403);
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let s = setup().await;
    let http = onsite_tests::http();
    let mut limited = None;
    for i in 0..20 {
        let resp = http
            .post(format!("{}/v1/auth/login", s.server.url()))
            .json(&json!({"username": "wang", "password": "wrong-guess", "device_id": "phone-1"}))
            .send()
            .await
            .unwrap();
        if resp.status().as_u16() == 429 {
            let retry: u64 = resp.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            limited = Some(i);
            break;
        }
        assert_eq!(resp.status().as_u16(), 401);
    }
    assert_eq!(
        limited,
        Some(10),
        "the 11th attempt within a minute is refused"
    );
}

/// Attempts from the addresses a trusted proxy names, to a server whose per-address limit
/// is 3: the 4th from one client is refused, another client is not; without the trusted
/// proxy, the header is ignored (anyone could write it) and every attempt is 127.0.0.1's.
#[tokio::test]
async fn behind_a_trusted_proxy_the_address_limit_counts_each_client() {
    let attempt = |server: &TestServer, user: &str, client: &str| {
        let http = onsite_tests::http();
        let url = format!("{}/v1/auth/login", server.url());
        let body = json!({"username": user, "password": "wrong-guess", "device_id": "phone-1"});
        let client = client.to_string();
        async move {
            http.post(url)
                .header("x-forwarded-for", client)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let behind = TestServer::start_with(|c| {
        c.login_per_address_per_minute = 3;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await
    .unwrap();
    for user in ["a", "b", "c"] {
        assert_eq!(attempt(&behind, user, "198.51.100.7").await, 401);
    }
    assert_eq!(attempt(&behind, "d", "198.51.100.7").await, 429);
    assert_eq!(attempt(&behind, "d", "203.0.113.9").await, 401);

    let direct = TestServer::start_with(|c| c.login_per_address_per_minute = 3)
        .await
        .unwrap();
    for (user, client) in [("a", "10.0.0.1"), ("b", "10.0.0.2"), ("c", "10.0.0.3")] {
        assert_eq!(attempt(&direct, user, client).await, 401);
    }
    assert_eq!(attempt(&direct, "d", "10.0.0.4").await, 429);
}

/// `onsite admin create-user` on a terminal asks for the password twice (a pseudo-terminal
/// made by util-linux's `script`); two different answers create nothing. (Echo is not
/// checked: the answers are typed ahead, and the terminal echoes them before the prompt.)
#[tokio::test]
async fn create_user_asks_for_the_password_on_a_terminal() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let binary = env!("CARGO_BIN_EXE_onsite-under-test");
    let dir = tempfile::tempdir().unwrap();
    let database = onsite_tests::database::TestDatabase::create().unwrap();
    let on_terminal = |username: &str, answers: &str| {
        let mut command = format!(
            "{binary} admin create-user --username {username} --role technician --data-dir {}",
            dir.path().display()
        );
        if let Some(url) = database.url() {
            command.push_str(&format!(" --database {url}"));
        }
        let mut child = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("util-linux's `script` runs the command on a pseudo-terminal");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, out) = on_terminal("zhang", "long-password-1\nlong-password-2\n");
    assert!(!ok, "{out}");
    assert!(out.contains("the two passwords differ"), "{out}");
    let (ok, out) = on_terminal("zhang", "long-password-1\nlong-password-1\n");
    assert!(ok, "{out}");
    assert!(out.contains("password for zhang:"), "{out}");
    assert!(out.contains(r#""username":"zhang""#), "{out}");
}

/// A signing secret is replaced with the old one kept as previous: tokens it signed stay
/// good (until they expire), new ones are signed with the new secret; once the previous
/// secret is dropped, its tokens are refused.
#[tokio::test]
async fn the_signing_secret_rotates_without_signing_everyone_out() {
    let (old, new) = ("o".repeat(40), "n".repeat(40));
    let old_secret = old.clone();
    let mut server = TestServer::start_with(|c| c.jwt_secret = Some(old_secret))
        .await
        .unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let before = server.login("office", "office-pc").await.unwrap();
    let status = |server: &TestServer, token: String| {
        let (http, url) = (onsite_tests::http(), format!("{}/v1/jobs", server.url()));
        async move {
            let resp = http.get(url).bearer_auth(token).send().await.unwrap();
            resp.status().as_u16()
        }
    };
    assert_eq!(status(&server, before.clone()).await, 200);

    let (current, previous) = (new.clone(), old.clone());
    server
        .restart_with(|c| {
            c.jwt_secret = Some(current);
            c.jwt_previous_secret = Some(previous);
        })
        .await
        .unwrap();
    assert_eq!(
        status(&server, before.clone()).await,
        200,
        "signed with the previous secret"
    );
    let after = server.login("office", "office-pc").await.unwrap();
    assert_eq!(status(&server, after.clone()).await, 200);
    let verified = jsonwebtoken::decode::<serde_json::Value>(
        &after,
        &jsonwebtoken::DecodingKey::from_secret(new.as_bytes()),
        &jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256),
    );
    assert!(
        verified.is_ok(),
        "new tokens are signed with the new secret"
    );

    server
        .restart_with(|c| c.jwt_previous_secret = None)
        .await
        .unwrap();
    assert_eq!(
        status(&server, before).await,
        401,
        "the previous secret is gone"
    );
    assert_eq!(status(&server, after).await, 200);
}
