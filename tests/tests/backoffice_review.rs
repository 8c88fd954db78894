#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The back office's review loop against a real server: technicians work offline, sync,
//! the back office reviews, returns one job, the technician fixes it offline and
//! resubmits, it is approved — and the lists and reports follow every step.

use onsite_client::PartInput;
use onsite_domain::{ReviewState, Role};
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

/// A period around today, so that a run at midnight on the last of a month still counts.
fn around_today() -> String {
    let today = chrono::Utc::now().date_naive();
    let from = today.pred_opt().unwrap();
    let to = today.succ_opt().unwrap();
    format!("from={from}&to={to}")
}

async fn get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    server.call(Method::GET, path, token, None).await.unwrap()
}

async fn ok(server: &TestServer, token: &str, path: &str) -> Value {
    let (status, body) = get(server, token, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn post_ok(server: &TestServer, token: &str, path: &str, body: Option<Value>) -> Value {
    onsite_tests::office::expect(server, token, Method::POST, path, body, 200).await
}

async fn review(server: &TestServer, token: &str, job: &str, decision: &str, comment: &str) {
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/review"),
            token,
            Some(json!({"decision": decision, "comment": comment})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
}

fn ids(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Works a job through to completion on the device, with a customer survey of `points`
/// and a self-assessment of 8 on every item it answers.
fn work_job(device: &Device, job: &str, points: &[i64]) {
    let c = &device.client;
    c.accept(job).unwrap();
    c.start_travel(job).unwrap();
    c.arrive(job).unwrap();
    c.diagnose(job, "压缩机继电器损坏 compressor relay")
        .unwrap();
    c.record_part(
        job,
        PartInput {
            sku: "RELAY-01".into(),
            name: "继电器 relay".into(),
            quantity: 1,
            unit_price_cents: Some(2_500),
            billable: Some(false),
            ..PartInput::default()
        },
    )
    .unwrap();
    c.repair(job, "replaced the relay").unwrap();
    let items = ["overall", "quality", "after_sales", "response_speed"];
    let survey = c.start_form(job, "survey").unwrap();
    for (item, p) in items.iter().zip(points) {
        c.answer_item(job, &survey, item, *p, "").unwrap();
    }
    c.submit_form(job, &survey, "师傅很专业").unwrap();
    let me = c.start_form(job, "self").unwrap();
    for item in items.iter().take(points.len()) {
        c.answer_item(job, &me, item, 8, "").unwrap();
    }
    c.submit_form(job, &me, "").unwrap();
    c.complete(job).unwrap();
}

#[tokio::test]
async fn offline_work_review_return_fix_resubmit_approve_with_reports_at_each_step() {
    let mut server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let li = server.create_user("li", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let a = server
        .create_job(&office, "Zhang", Some(&wang))
        .await
        .unwrap();
    let b = server
        .create_job(&office, "Zhao", Some(&wang))
        .await
        .unwrap();
    let (status, body) = server
        .call(
            Method::POST,
            "/v1/jobs",
            &office,
            Some(json!({
                "customer": {"name": "Qian", "tier": "general", "region": "west", "site_distance": "far"},
                "product": {"model": "WM-100", "purchase_date": "2020-01-01"},
                "fault": "leaks",
                "complaint": true,
                "assignee": li,
            })),
        )
        .await
        .unwrap();
    assert_eq!(status, 201, "{body}");
    let c = body["id"].as_str().unwrap().to_string();

    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    let other = Device::sign_in(&server.url(), "li").await.unwrap();
    phone.client.sync().await.unwrap();
    other.client.sync().await.unwrap();

    // Offline: the server is down while both technicians work.
    server.stop().await.unwrap();
    work_job(&phone, &a, &[10, 8, 8, 10]);
    work_job(&phone, &b, &[6, 4, 8, 6]);
    work_job(&other, &c, &[2, 6, 8, 10]);
    server.restart().await.unwrap();
    phone.client.sync().await.unwrap();
    other.client.sync().await.unwrap();

    // Step 1 — everything synced and waiting for review.
    let pending = ok(&server, &office, "/v1/review/jobs?review_state=pending").await;
    assert_eq!(ids(&pending), sorted(vec![a.clone(), b.clone(), c.clone()]));
    assert_eq!(pending["total"], 3);
    let wangs = ok(
        &server,
        &office,
        &format!("/v1/review/jobs?technician={wang}"),
    )
    .await;
    assert_eq!(ids(&wangs), sorted(vec![a.clone(), b.clone()]));
    let complaints = ok(&server, &office, "/v1/review/jobs?complaint=true").await;
    assert_eq!(ids(&complaints), vec![c.clone()]);
    // The harness's jobs were bought on 2026-11-01; only a report within 15 days is DAP.
    let dap = ok(
        &server,
        &office,
        "/v1/review/jobs?dap=false&customer_tier=general",
    )
    .await;
    assert_eq!(ids(&dap), vec![c.clone()]);
    let page = ok(&server, &office, "/v1/review/jobs?limit=2&offset=2").await;
    assert_eq!(
        (page["jobs"].as_array().unwrap().len(), &page["total"]),
        (1, &json!(3))
    );

    let period = around_today();
    let in_period = ok(&server, &office, &format!("/v1/review/jobs?{period}")).await;
    assert_eq!(in_period["total"], 3);
    let long_ago = ok(&server, &office, "/v1/review/jobs?month=2020-01").await;
    assert_eq!(long_ago["total"], 0);
    let report = ok(
        &server,
        &office,
        &format!("/v1/reports/satisfaction?{period}&group_by=technician"),
    )
    .await;
    // Survey answers: 10 8 8 10 | 6 4 8 6 | 2 6 8 10 = 86 points of 120; 10 of 12 ≥ 6.
    assert_eq!(report["total"]["survey"]["answered"], 12);
    assert_eq!(report["total"]["survey"]["degree_pct"], 71.67);
    assert_eq!(report["total"]["survey"]["rate_pct"], 83.33);
    // Self: twelve 8s = 80 %, 100 %; overall = 80 × .4 + 71.67 × .6 = 75.0; rate 40 + 50 = 90.
    assert_eq!(report["total"]["overall"]["degree_pct"], 75.0);
    assert_eq!(report["total"]["overall"]["rate_pct"], 90.0);
    let groups = report["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let wang_group = groups.iter().find(|g| g["key"] == wang.as_str()).unwrap();
    assert_eq!(wang_group["label"], "wang");
    assert_eq!(wang_group["survey"]["answered"], 8);
    // Two dissatisfied answers (B's 4, C's 2) opened two corrective actions.
    let actions = ok(&server, &office, "/v1/corrective-actions?status=open").await;
    assert_eq!(actions["total"], 2);
    let sla = ok(
        &server,
        &office,
        &format!("/v1/reports/service-levels?{period}&group_by=technician"),
    )
    .await;
    let measured: u64 = sla["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["response"]["measured"].as_u64().unwrap())
        .sum();
    assert_eq!(measured, 3, "{sla}");
    let parts = ok(&server, &office, &format!("/v1/reports/parts?{period}")).await;
    let relay_total: i64 = parts["consumption"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(relay_total, 3);

    // Step 2 — approve A and C, return B with a comment.
    review(&server, &office, &a, "approved", "").await;
    review(&server, &office, &c, "approved", "").await;
    review(
        &server,
        &office,
        &b,
        "returned",
        "请补充维修说明 add the repair details",
    )
    .await;
    let returned = ok(&server, &office, "/v1/review/jobs?review_state=returned").await;
    assert_eq!(ids(&returned), vec![b.clone()]);
    let approved = ok(&server, &office, "/v1/review/jobs?review_state=approved").await;
    assert_eq!(approved["total"], 2);
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/jobs/{b}/classify"),
            &office,
            Some(json!({"feedback_category": "service", "responsible_department": "customer_service"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let service = ok(
        &server,
        &office,
        "/v1/review/jobs?feedback_category=service",
    )
    .await;
    assert_eq!(ids(&service), vec![b.clone()]);
    let dept = ok(
        &server,
        &office,
        &format!("/v1/corrective-actions?department=customer_service&job={b}"),
    )
    .await;
    assert_eq!(
        dept["total"], 1,
        "B's dissatisfied answer now has its department: {dept}"
    );

    // Step 3 — the return reaches the phone; the technician fixes it offline and resubmits.
    phone.client.sync().await.unwrap();
    assert_eq!(
        phone.client.get_job(&b).unwrap().review_state,
        ReviewState::Returned
    );
    server.stop().await.unwrap();
    phone
        .client
        .add_note(&b, "relay part number RELAY-01, tested 30 min")
        .unwrap();
    phone.client.complete(&b).unwrap();
    assert_eq!(
        phone.client.get_job(&b).unwrap().review_state,
        ReviewState::Pending
    );
    server.restart().await.unwrap();
    phone.client.sync().await.unwrap();
    let pending = ok(&server, &office, "/v1/review/jobs?review_state=pending").await;
    assert_eq!(ids(&pending), vec![b.clone()]);

    // Step 4 — approved; nothing is left to review, and the figures did not move.
    review(&server, &office, &b, "approved", "").await;
    let approved = ok(&server, &office, "/v1/review/jobs?review_state=approved").await;
    assert_eq!(approved["total"], 3);
    let again = ok(
        &server,
        &office,
        &format!("/v1/reports/satisfaction?{period}&group_by=technician"),
    )
    .await;
    assert_eq!(again["total"], report["total"]);
    phone.client.sync().await.unwrap();
    assert_eq!(
        phone.client.get_job(&b).unwrap().review_state,
        ReviewState::Approved
    );

    // The detail of B: the timeline, both decisions, and who changed what from where.
    let detail = ok(&server, &office, &format!("/v1/review/jobs/{b}")).await;
    assert_eq!(detail["review_state"], "approved");
    let kinds: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "completed").count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(kinds[0], "reported");
    let decisions: Vec<&str> = detail["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["returned", "approved"]);
    assert_eq!(detail["forms"].as_array().unwrap().len(), 2);
    assert_eq!(detail["parts"][0]["sku"], "RELAY-01");
    let history = detail["history"].as_array().unwrap();
    let by_phone: Vec<&Value> = history
        .iter()
        .filter(|h| h["device_id"] == phone.client.device_id())
        .collect();
    assert!(
        by_phone
            .iter()
            .all(|h| h["user_id"] == wang.as_str() && h["user_name"] == "wang")
    );
    assert!(by_phone.iter().any(|h| h["what"] == "note"), "{history:?}");
    let office_edits: Vec<&str> = history
        .iter()
        .filter(|h| h["device_id"] == "@api")
        .map(|h| h["what"].as_str().unwrap())
        .collect();
    assert_eq!(office_edits, ["create", "review", "classify", "review"]);
}

#[tokio::test]
async fn bad_filters_get_a_clear_4xx_and_change_nothing() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let tech = server.login("wang", "phone").await.unwrap();
    let job = server
        .create_job(&office, "Zhang", Some(&wang))
        .await
        .unwrap();
    let before = server.dump().unwrap();
    let unknown = uuid::Uuid::new_v4();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "bad month",
            "/v1/reports/satisfaction?month=2026-13".into(),
            400,
            "bad_period",
        ),
        (
            "period backwards",
            "/v1/reports/satisfaction?from=2026-11-30&to=2026-11-01".into(),
            400,
            "bad_period",
        ),
        (
            "half a period",
            "/v1/review/jobs?from=2026-11-01".into(),
            400,
            "bad_period",
        ),
        (
            "no period",
            "/v1/reports/service-levels".into(),
            400,
            "bad_period",
        ),
        (
            "injection in a period",
            "/v1/reports/parts?month=2026-11%27%20OR%201%3D1".into(),
            400,
            "bad_period",
        ),
        (
            "injection in a tier",
            "/v1/review/jobs?customer_tier=key%27%20OR%20%271%27%3D%271".into(),
            400,
            "bad_request",
        ),
        (
            "injection in a status",
            "/v1/review/jobs?status=completed%27--".into(),
            400,
            "bad_request",
        ),
        (
            "injection in a group",
            "/v1/reports/satisfaction?month=2026-11&group_by=1%3B%20DROP%20TABLE%20jobs".into(),
            400,
            "bad_request",
        ),
        (
            "unknown technician",
            format!("/v1/review/jobs?technician={unknown}"),
            404,
            "unknown_technician",
        ),
        (
            "not a technician",
            "/v1/reports/satisfaction?month=2026-11&technician=x%27%20OR%201%3D1".into(),
            404,
            "unknown_technician",
        ),
        (
            "unknown job",
            format!("/v1/review/jobs/{unknown}"),
            404,
            "not_found",
        ),
        (
            "malformed job id",
            "/v1/review/jobs/not-a-uuid".into(),
            400,
            "bad_request",
        ),
        (
            "unknown parameter",
            "/v1/review/jobs?stauts=completed".into(),
            400,
            "bad_request",
        ),
        (
            "repeated parameter",
            "/v1/review/jobs?status=new&status=completed".into(),
            400,
            "bad_request",
        ),
        (
            "limit too large",
            "/v1/review/jobs?limit=100000".into(),
            400,
            "bad_request",
        ),
        (
            "bad boolean",
            "/v1/review/jobs?complaint=maybe".into(),
            400,
            "bad_request",
        ),
        (
            "bad format",
            "/v1/review/jobs?format=pdf".into(),
            400,
            "bad_request",
        ),
        (
            "negative target",
            "/v1/reports/service-levels?month=2026-11&response_hours=-1".into(),
            400,
            "bad_request",
        ),
    ];
    for (what, path, status, code) in &cases {
        let (got, body) = get(&server, &office, path).await;
        assert_eq!(
            (got, body["error"]["code"].as_str()),
            (*status, Some(*code)),
            "{what}: {body}"
        );
    }
    // Technicians do not read the back office's lists and reports.
    let (got, _) = get(&server, &tech, "/v1/reports/satisfaction?month=2026-11").await;
    assert_eq!(got, 403);
    let (got, _) = get(&server, &tech, &format!("/v1/review/jobs/{job}")).await;
    assert_eq!(got, 403);
    // Bad updates of corrective actions and batches.
    let classify = format!("/v1/jobs/{job}/classify");
    let unknown_cancel = format!("/v1/jobs/{unknown}/cancel");
    let writes: Vec<(Method, &str, Value, u16)> = vec![
        (
            Method::PATCH,
            "/v1/corrective-actions/1",
            json!({"status": "open"}),
            404,
        ),
        (
            Method::PATCH,
            "/v1/corrective-actions/abc",
            json!({"status": "open"}),
            400,
        ),
        (
            Method::PATCH,
            "/v1/corrective-actions/1",
            json!({"status": "closed' --"}),
            400,
        ),
        (
            Method::PATCH,
            "/v1/corrective-actions/1",
            json!({"due_date": "tomorrow"}),
            400,
        ),
        (Method::PATCH, "/v1/corrective-actions/1", json!({}), 400),
        (
            Method::POST,
            "/v1/parts/batches",
            json!({"sku": "R", "product_model": "M", "quantity": 0, "bought_on": "2026-11-01"}),
            400,
        ),
        (
            Method::POST,
            "/v1/parts/batches",
            json!({"sku": "R'; DROP TABLE jobs; --", "product_model": "M", "quantity": 5, "bought_on": "2026-11-01"}),
            400,
        ),
        (
            Method::POST,
            "/v1/parts/batches",
            json!({"sku": "R", "product_model": "M", "quantity": 5, "bought_on": "2026-02-30"}),
            400,
        ),
        (
            Method::POST,
            &classify,
            json!({"feedback_category": "weather", "responsible_department": "quality"}),
            400,
        ),
        (
            Method::POST,
            &classify,
            json!({"feedback_category": "product", "responsible_department": "x' OR 1=1"}),
            400,
        ),
        (Method::POST, &unknown_cancel, json!({}), 404),
    ];
    for (method, path, body, status) in writes {
        let (got, answer) = server
            .call(method, path, &office, Some(body.clone()))
            .await
            .unwrap();
        assert_eq!(got, status, "{path} {body}: {answer}");
    }
    assert_eq!(server.dump().unwrap(), before, "bad input changed nothing");

    // Cancelling: once, and never a completed job.
    let cancel = format!("/v1/jobs/{job}/cancel");
    let (got, body) = server
        .call(Method::POST, &cancel, &office, None)
        .await
        .unwrap();
    assert_eq!(
        (got, body["status"].as_str()),
        (200, Some("cancelled")),
        "{body}"
    );
    let (got, body) = server
        .call(Method::POST, &cancel, &office, None)
        .await
        .unwrap();
    assert_eq!(
        (got, body["error"]["code"].as_str()),
        (409, Some("no_change"))
    );
    let cancelled = ok(&server, &office, "/v1/review/jobs?status=cancelled").await;
    assert_eq!(ids(&cancelled), vec![job]);
}

/// Each back-office account edits through the API as its own Automerge actor, on the API's
/// own device, which no phone can sign in as; a restarted server starts new actors.
#[tokio::test]
async fn each_back_office_account_edits_as_its_own_actor() {
    let mut server = TestServer::start().await.unwrap();
    let li = server.create_user("li", Role::BackOffice).unwrap();
    let zhao = server.create_user("zhao", Role::BackOffice).unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let li_token = server.login("li", "li-pc").await.unwrap();
    let zhao_token = server.login("zhao", "zhao-pc").await.unwrap();
    let job = server.create_job(&li_token, "Zhang", None).await.unwrap();
    post_ok(
        &server,
        &zhao_token,
        &format!("/v1/jobs/{job}/classify"),
        Some(json!({"feedback_category": "product", "responsible_department": "rnd"})),
    )
    .await;
    post_ok(
        &server,
        &li_token,
        &format!("/v1/jobs/{job}/assign"),
        Some(json!({"assignee": wang})),
    )
    .await;

    let detail = ok(&server, &li_token, &format!("/v1/review/jobs/{job}")).await;
    let history = detail["history"].as_array().unwrap();
    let row = |what: &str| {
        history
            .iter()
            .find(|h| h["what"] == what)
            .unwrap_or_else(|| panic!("no {what} in {history:?}"))
            .clone()
    };
    let (create, classify, assign) = (row("create"), row("classify"), row("assign"));
    for (h, user, name) in [
        (&create, &li, "li"),
        (&classify, &zhao, "zhao"),
        (&assign, &li, "li"),
    ] {
        assert_eq!(h["device_id"], "@api", "{h}");
        assert_eq!(h["user_id"], user.as_str(), "{h}");
        assert_eq!(h["user_name"], name, "{h}");
    }
    assert_ne!(create["actor"], classify["actor"], "{history:?}");
    assert_eq!(create["actor"], assign["actor"], "{history:?}");
    assert_eq!(
        (create["seq"].as_u64(), assign["seq"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(classify["seq"], 1);
    // Each actor is owned by its account on the API device.
    let owned = |server: &TestServer, user: &str| {
        server
            .dump()
            .unwrap()
            .into_iter()
            // A row of the actors table naming the account and the API device, in either
            // backend's dump format.
            .filter(|l| l.starts_with("actors:") && l.contains(user) && l.contains("@api"))
            .count()
    };
    assert_eq!((owned(&server, &li), owned(&server, &zhao)), (1, 1));

    // No device can sign in as the API.
    let (status, body) = onsite_tests::office::call(
        &server,
        "",
        Method::POST,
        "/v1/auth/login",
        Some(json!({"username": "wang", "password": onsite_tests::PASSWORD, "device_id": "@api"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // After a restart the same account edits as a new actor, from sequence number 1.
    server.restart().await.unwrap();
    post_ok(&server, &li_token, &format!("/v1/jobs/{job}/cancel"), None).await;
    let detail = ok(&server, &li_token, &format!("/v1/review/jobs/{job}")).await;
    let history = detail["history"].as_array().unwrap();
    let cancel = history.iter().find(|h| h["what"] == "cancel").unwrap();
    assert_eq!(cancel["user_id"], li.as_str());
    assert_eq!(cancel["device_id"], "@api");
    assert_ne!(cancel["actor"], create["actor"]);
    assert_ne!(cancel["actor"], classify["actor"]);
    assert_eq!(cancel["seq"], 1);
    assert_eq!(owned(&server, &li), 2);
}
