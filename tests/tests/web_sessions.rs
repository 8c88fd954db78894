#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The web back office over real HTTP: the session cookie, CSRF, the security headers,
//! roles, an administrator revoking a browser, and a decision made on a page reaching a
//! technician's device by sync.

use onsite_domain::{ReviewState, Role};
use onsite_tests::browser::Browser;
use onsite_tests::{Device, PASSWORD, TestServer};
use reqwest::Method;
use serde_json::Value;

async fn jobs(server: &TestServer, office: &str) -> Vec<Value> {
    let (status, body) = server
        .call(Method::GET, "/v1/jobs?limit=500", office, None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    body["jobs"].as_array().unwrap().clone()
}

async fn devices(server: &TestServer, admin: &str, user_id: &str) -> Vec<Value> {
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/v1/admin/users/{user_id}/devices"),
            admin,
            None,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    body["devices"].as_array().unwrap().clone()
}

/// The job's first corrective action, as the JSON API lists it.
async fn action_of(server: &TestServer, office: &str, job: &str) -> Value {
    let path = format!("/v1/corrective-actions?job={job}");
    let (status, body) = server.call(Method::GET, &path, office, None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["corrective_actions"][0].clone()
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_bound_to_a_browser_device() {
    let server = TestServer::start().await.unwrap();
    let office = server.create_user("office", Role::BackOffice).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    let admin = server.login("root", "admin-pc").await.unwrap();

    let mut browser = Browser::new(&server.url()).unwrap();
    let form = browser.get("/login").await.unwrap();
    assert_eq!(form.status, 200);
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(form.headers["x-frame-options"], "DENY");
    assert!(form.body.contains(r#"lang="zh-CN""#), "Chinese by default");
    assert!(!form.body.contains("<script>"), "no inline script");

    let signed_in = browser.sign_in("office", PASSWORD).await.unwrap();
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let cookie = signed_in.set_cookie("onsite_session").unwrap();
    for part in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    // Plain HTTP to a server not told it is behind TLS: not Secure (the browser would drop it).
    assert!(!cookie.contains("Secure"), "{cookie}");

    let board = browser.get("/board").await.unwrap();
    assert_eq!(board.status, 200, "{}", board.body);
    assert!(board.headers.contains_key("content-security-policy"));
    assert!(
        board
            .body
            .contains(r#"<script src="/assets/app.js" defer></script>"#)
    );

    // The browser is a device of the account, as a phone is.
    let listed = devices(&server, &admin, &office).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert!(listed[0]["device_id"].as_str().unwrap().starts_with("web-"));

    // The cookie is no access token of the JSON API.
    let token = browser.cookies["onsite_session"].clone();
    let (status, _) = server
        .call(Method::GET, "/v1/jobs", &token, None)
        .await
        .unwrap();
    assert_eq!(status, 401);

    // Signing out ends it on the server: the same cookie, kept, no longer opens a page.
    let csrf = browser.csrf("/board").await.unwrap();
    let out = browser.post("/logout", &[("csrf", &csrf)]).await.unwrap();
    assert_eq!(out.status, 303);
    browser.cookies.insert("onsite_session".into(), token);
    let after = browser.get("/board").await.unwrap();
    assert_eq!(after.status, 303);
    assert!(after.location().unwrap().starts_with("/login"));
}

#[tokio::test]
async fn behind_tls_the_cookie_is_secure_with_the_host_prefix() {
    let server = TestServer::start_with(|c| c.behind_tls = true)
        .await
        .unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let mut browser = Browser::new(&server.url()).unwrap();
    let signed_in = browser.sign_in("office", PASSWORD).await.unwrap();
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let cookie = signed_in.set_cookie("__Host-onsite_session").unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
}

#[tokio::test]
async fn a_post_without_the_csrf_token_or_from_another_origin_changes_nothing() {
    let server = TestServer::start().await.unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let token = server.login("office", "office-pc").await.unwrap();
    let mut browser = Browser::new(&server.url()).unwrap();
    assert_eq!(
        browser.sign_in("office", PASSWORD).await.unwrap().status,
        303
    );
    let csrf = browser.csrf("/dispatch/new").await.unwrap();
    let job = [
        ("name", "张三"),
        ("phone", "13800000000"),
        ("model", "AC-9000"),
        ("fault", "不制冷"),
        ("assignee", wang.as_str()),
    ];

    let without = browser.post("/dispatch/new", &job).await.unwrap();
    assert_eq!(without.status, 403, "{}", without.body);
    let mut wrong = job.to_vec();
    wrong.push(("csrf", "0123456789abcdef0123456789abcdef"));
    assert_eq!(
        browser.post("/dispatch/new", &wrong).await.unwrap().status,
        403
    );
    let mut right = job.to_vec();
    right.push(("csrf", &csrf));
    let foreign = browser
        .post_from("/dispatch/new", &right, Some("http://evil.example"))
        .await
        .unwrap();
    assert_eq!(foreign.status, 403, "{}", foreign.body);
    assert!(
        jobs(&server, &token).await.is_empty(),
        "nothing was created"
    );

    // The sign-in form is protected too: a post without its token signs nobody in.
    let mut stranger = Browser::new(&server.url()).unwrap();
    let forged = stranger
        .post(
            "/login",
            &[
                ("username", "office"),
                ("password", PASSWORD),
                ("csrf", "x"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(forged.status, 403);
    assert!(forged.set_cookie("onsite_session").is_none());

    // With the token, from this origin, the job is made and assigned.
    let origin = server.url();
    let made = browser
        .post_from("/dispatch/new", &right, Some(&origin))
        .await
        .unwrap();
    assert_eq!(made.status, 303, "{}", made.body);
    let listed = jobs(&server, &token).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["assignee"], wang.as_str());
    let board = browser.get("/board").await.unwrap();
    assert!(board.body.contains("张三"), "{}", board.body);
}

#[tokio::test]
async fn technicians_are_refused_and_each_role_sees_only_its_pages() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    let admin = server.login("root", "admin-pc").await.unwrap();

    let mut phone_user = Browser::new(&server.url()).unwrap();
    let refused = phone_user.sign_in("wang", PASSWORD).await.unwrap();
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("手机应用"), "{}", refused.body);
    assert!(refused.set_cookie("onsite_session").is_none());
    assert!(
        devices(&server, &admin, &wang).await.is_empty(),
        "no device recorded"
    );

    // Not signed in: every page sends to the sign-in page, and a post is refused.
    let mut nobody = Browser::new(&server.url()).unwrap();
    for path in ["/board", "/review", "/reports/satisfaction", "/accounts"] {
        let page = nobody.get(path).await.unwrap();
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location(), Some("/login"), "{path}");
    }
    assert_eq!(nobody.post("/accounts", &[]).await.unwrap().status, 401);

    let mut office = Browser::new(&server.url()).unwrap();
    office.sign_in("office", PASSWORD).await.unwrap();
    assert_eq!(office.get("/").await.unwrap().location(), Some("/board"));
    assert_eq!(office.get("/accounts").await.unwrap().status, 403);
    let mut root = Browser::new(&server.url()).unwrap();
    root.sign_in("root", PASSWORD).await.unwrap();
    assert_eq!(root.get("/").await.unwrap().location(), Some("/accounts"));
    assert_eq!(root.get("/board").await.unwrap().status, 403);
    assert_eq!(root.get("/accounts").await.unwrap().status, 200);

    // English on request, kept by a cookie.
    let english = office.get("/board?lang=en").await.unwrap();
    assert!(english.body.contains("Dispatch board"), "{}", english.body);
    assert!(english.set_cookie("onsite_lang").is_some());
    assert!(office.get("/review").await.unwrap().body.contains("Review"));
}

#[tokio::test]
async fn an_administrator_revokes_a_browser_and_its_cookie_stops_working() {
    let server = TestServer::start().await.unwrap();
    let office_id = server.create_user("office", Role::BackOffice).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    let admin_token = server.login("root", "admin-pc").await.unwrap();
    let mut office = Browser::new(&server.url()).unwrap();
    office.sign_in("office", PASSWORD).await.unwrap();
    assert_eq!(office.get("/board").await.unwrap().status, 200);

    let mut root = Browser::new(&server.url()).unwrap();
    root.sign_in("root", PASSWORD).await.unwrap();
    let page = root.get(&format!("/accounts/{office_id}")).await.unwrap();
    assert_eq!(page.status, 200);
    let device = devices(&server, &admin_token, &office_id).await[0]["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(page.body.contains(&device), "the admin sees the browser");
    let csrf = page.csrf().unwrap();
    let revoked = root
        .post(
            &format!("/accounts/{office_id}/devices/{device}/revoke"),
            &[("csrf", &csrf)],
        )
        .await
        .unwrap();
    assert_eq!(revoked.status, 303, "{}", revoked.body);

    let after = office.get("/board").await.unwrap();
    assert_eq!(after.status, 303);
    assert_eq!(after.location(), Some("/login?ended=1"));
    let listed = devices(&server, &admin_token, &office_id).await;
    assert!(listed[0]["revoked_at"].is_i64(), "{listed:?}");
    assert_eq!(listed[0]["wipe"], false);
}

#[tokio::test]
async fn a_job_approved_on_its_page_reaches_the_technicians_device_by_sync() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let token = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&token, "Zhang", Some(&wang))
        .await
        .unwrap();

    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    let c = &phone.client;
    c.accept(&job).unwrap();
    c.arrive(&job).unwrap();
    c.diagnose(&job, "继电器损坏").unwrap();
    c.record_part(
        &job,
        onsite_client::PartInput {
            sku: "RELAY-01".into(),
            name: "继电器".into(),
            quantity: 1,
            unit_price_cents: Some(2_500),
            billable: Some(false),
            ..onsite_client::PartInput::default()
        },
    )
    .unwrap();
    c.repair(&job, "换继电器").unwrap();
    let survey = c.start_form(&job, "survey").unwrap();
    c.answer_item(&job, &survey, "overall", 10, "").unwrap();
    c.answer_item(&job, &survey, "quality", 4, "有噪音")
        .unwrap();
    c.submit_form(&job, &survey, "").unwrap();
    c.complete(&job).unwrap();
    c.sync().await.unwrap();

    let mut office = Browser::new(&server.url()).unwrap();
    office.sign_in("office", PASSWORD).await.unwrap();
    let queue = office.get("/review").await.unwrap();
    assert!(queue.body.contains(&job), "the queue lists the pending job");
    let page = office.get(&format!("/jobs/{job}")).await.unwrap();
    assert_eq!(page.status, 200, "{}", page.body);
    // Each answer with its points and its label on the scale.
    assert!(page.body.contains("很满意"), "{}", page.body);
    assert!(page.body.contains("不满意"));
    assert!(page.body.contains("整体满意度"));
    assert!(page.body.contains("有噪音"));
    let csrf = page.csrf().unwrap();

    // Returning needs a comment: refused without one, and nothing changes.
    let bare = office
        .post(
            &format!("/jobs/{job}/review"),
            &[("csrf", &csrf), ("decision", "returned"), ("comment", " ")],
        )
        .await
        .unwrap();
    assert_eq!(bare.status, 400, "{}", bare.body);
    let approved = office
        .post(
            &format!("/jobs/{job}/review"),
            &[("csrf", &csrf), ("decision", "approved"), ("comment", "")],
        )
        .await
        .unwrap();
    assert_eq!(approved.status, 303, "{}", approved.body);
    let shown = office.get(approved.location().unwrap()).await.unwrap();
    assert!(shown.body.contains("已通过"), "{}", shown.body);

    c.sync().await.unwrap();
    assert_eq!(c.get_job(&job).unwrap().review_state, ReviewState::Approved);

    // The satisfaction page counts the survey, and its tables download.
    let today = chrono::Utc::now().date_naive();
    let period = format!(
        "from={}&to={}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    );
    let report = office
        .get(&format!("/reports/satisfaction?{period}"))
        .await
        .unwrap();
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(
        report.body.contains("70.0 %"),
        "(10 + 4) / 20: {}",
        report.body
    );
    let xlsx = office
        .get(&format!(
            "/reports/satisfaction/export?{period}&export=items&format=xlsx"
        ))
        .await
        .unwrap();
    assert_eq!(xlsx.status, 200);
    assert!(
        xlsx.headers["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let csv = office
        .get("/reports/service-levels/export?format=csv")
        .await
        .unwrap();
    assert_eq!(csv.status, 200, "{}", csv.body);

    // Parts: the line is consumed, and the van never restocked shows a negative balance.
    let parts = office
        .get(&format!("/reports/parts?{period}"))
        .await
        .unwrap();
    assert_eq!(parts.status, 200, "{}", parts.body);
    assert!(parts.body.contains("RELAY-01"));
    assert!(
        parts.body.contains(r#"<span id="negative">1</span>"#),
        "{}",
        parts.body
    );
    let stock = office
        .get("/reports/parts/export?export=stock&format=csv")
        .await
        .unwrap();
    assert_eq!(stock.status, 200, "{}", stock.body);
    assert!(stock.body.contains("RELAY-01"));

    // The dissatisfied answer opened a corrective action; its page edits it.
    let actions = office.get("/corrective").await.unwrap();
    assert_eq!(actions.status, 200, "{}", actions.body);
    let id = action_of(&server, &token, &job).await["id"]
        .as_i64()
        .unwrap();
    assert!(actions.body.contains(&format!(r#"data-action="{id}""#)));
    let saved = office
        .post(
            &format!("/corrective/{id}"),
            &[
                ("csrf", &actions.csrf().unwrap()),
                ("owner", "质量部 王工"),
                ("department", "quality"),
                ("due_date", "2030-01-31"),
                ("status", "in_progress"),
                ("verification", ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(saved.status, 303, "{}", saved.body);
    let action = action_of(&server, &token, &job).await;
    assert_eq!(action["owner"], "质量部 王工");
    assert_eq!(action["status"], "in_progress");
    assert_eq!(action["due_date"], "2030-01-31");

    // The month's callback sample lists the customer; the caller records the answers.
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let worklist = office
        .get(&format!("/callback?month={month}"))
        .await
        .unwrap();
    assert_eq!(worklist.status, 200, "{}", worklist.body);
    assert!(
        worklist
            .body
            .contains(&format!(r#"href="/callback/{job}""#))
    );
    let form = office.get(&format!("/callback/{job}")).await.unwrap();
    assert_eq!(form.status, 200, "{}", form.body);
    let recorded = office
        .post(
            &format!("/callback/{job}"),
            &[
                ("csrf", &form.csrf().unwrap()),
                ("answer.overall", "8"),
                ("answer.quality", "6"),
                ("comment.quality", "还有点响"),
                ("answer.price", ""),
                ("comment.price", "ignored: no answer"),
                ("suggestion", "希望回访更及时"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let (_, detail) = server
        .call(Method::GET, &format!("/v1/review/jobs/{job}"), &token, None)
        .await
        .unwrap();
    let callback = detail["forms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["respondent"] == "callback")
        .unwrap()
        .clone();
    assert_eq!(
        callback["answers"].as_array().unwrap().len(),
        2,
        "{callback}"
    );
    assert_eq!(callback["suggestion"], "希望回访更及时");
    let again = office
        .get(&format!("/callback?month={month}"))
        .await
        .unwrap();
    assert!(
        !again.body.contains(&format!(r#"href="/callback/{job}""#)),
        "called"
    );
}

#[tokio::test]
async fn routine_survey_rounds_show_their_validity_and_competitors() {
    let server = TestServer::start().await.unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let token = server.login("office", "office-pc").await.unwrap();
    let round = onsite_tests::office::expect(
        &server,
        &token,
        Method::POST,
        "/v1/surveys/routine",
        Some(serde_json::json!({"tier": "key", "round": "2026-Q4"})),
        201,
    )
    .await;
    let id = round["id"].as_str().unwrap().to_string();
    for (customer, competitor) in [("张三", None), ("李四", Some("海尔"))] {
        onsite_tests::office::expect(
            &server,
            &token,
            Method::POST,
            &format!("/v1/surveys/routine/{id}/responses"),
            Some(serde_json::json!({
                "customer": customer,
                "competitor": competitor,
                "answers": {"overall": 8, "quality": 10},
            })),
            201,
        )
        .await;
    }
    let mut office = Browser::new(&server.url()).unwrap();
    office.sign_in("office", PASSWORD).await.unwrap();
    let list = office.get("/surveys").await.unwrap();
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&format!("/surveys/{id}")));
    assert!(
        list.body.contains("样本不足"),
        "1 form of 100: {}",
        list.body
    );
    let report = office.get(&format!("/surveys/{id}")).await.unwrap();
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains("海尔"));
    assert!(
        report.body.contains("90.0 %"),
        "(8 + 10) / 20: {}",
        report.body
    );
    assert_eq!(office.get("/surveys/nope").await.unwrap().status, 404);
}
