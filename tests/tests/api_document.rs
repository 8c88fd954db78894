#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! What the schemathesis run (tests/schemathesis) found, pinned: the served document and
//! the answers it describes.

use onsite_domain::Role;
use onsite_tests::TestServer;
use onsite_tests::office::expect;
use reqwest::Method;

/// `GET /v1/jobs` read its query with axum's `Query`, which answered mistakes in plain
/// text rather than the API's JSON error, and took any `review_state`, answering an
/// empty page for a misspelt one.
#[tokio::test]
async fn the_job_list_refuses_bad_parameters_with_a_json_error() {
    let server = TestServer::start().await.unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    for path in [
        "/v1/jobs?limit=0",
        "/v1/jobs?limit=501",
        "/v1/jobs?offset=-1",
        "/v1/jobs?limit=x",
        "/v1/jobs?review_state=aproved",
        "/v1/jobs?status=done",
        "/v1/jobs?assignee=a&assignee=b",
        "/v1/jobs?asignee=a",
    ] {
        let answer = expect(&server, &office, Method::GET, path, None, 400).await;
        assert_eq!(answer["error"]["code"], "bad_request", "{path}: {answer}");
    }
    let page = expect(
        &server,
        &office,
        Method::GET,
        "/v1/jobs?review_state=approved&limit=500&offset=4294967295",
        None,
        200,
    )
    .await;
    assert_eq!(page["limit"], 500);
    assert_eq!(page["jobs"], serde_json::json!([]));
    // An empty value counts as absent, as in every other list.
    expect(
        &server,
        &office,
        Method::GET,
        "/v1/jobs?status=&review_state=",
        None,
        200,
    )
    .await;
}

/// The document is served to anyone, and says which operations need a bearer token.
#[tokio::test]
async fn the_document_is_public_and_marks_refresh_and_logout_unsecured() {
    let server = TestServer::start().await.unwrap();
    let resp = onsite_tests::http()
        .get(format!("{}/openapi.json", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let doc: serde_json::Value = resp.json().await.unwrap();
    for path in ["/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout"] {
        assert!(doc["paths"][path]["post"]["security"].is_null(), "{path}");
    }
    assert_eq!(
        doc["paths"]["/v1/jobs"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
}

/// Whatever goes wrong answers in the API's error shape: an unknown route, a method a
/// route does not answer, a sync body over the limit. Liveness and readiness answer
/// without a token.
#[tokio::test]
async fn unknown_routes_methods_and_oversized_bodies_get_json_errors() {
    let server = TestServer::start_with(|c| c.max_sync_body_bytes = 1024 * 1024)
        .await
        .unwrap();
    server.create_user("wang", Role::Technician).unwrap();
    let wang = server.login("wang", "phone-1").await.unwrap();
    let http = onsite_tests::http();
    let url = server.url();
    let answers = [
        http.get(format!("{url}/v1/no-such-route"))
            .send()
            .await
            .unwrap(),
        http.delete(format!("{url}/v1/auth/login"))
            .send()
            .await
            .unwrap(),
        http.post(format!("{url}/v1/sync"))
            .bearer_auth(&wang)
            .header("content-type", "application/cbor")
            .body(vec![0u8; 2 * 1024 * 1024])
            .send()
            .await
            .unwrap(),
    ];
    for (resp, (status, code)) in answers.into_iter().zip([
        (404, "not_found"),
        (405, "method_not_allowed"),
        (413, "payload_too_large"),
    ]) {
        assert_eq!(resp.status().as_u16(), status, "{code}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
    for (path, text) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let resp = http.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        assert_eq!(resp.text().await.unwrap(), text);
    }
}

/// `GET /metrics`: Prometheus text with the requests by route pattern and status, and the
/// sync endpoint's traffic, after a device synced.
#[tokio::test]
async fn metrics_count_requests_by_route_and_the_syncs() {
    let server = TestServer::start().await.unwrap();
    server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server.create_job(&office, "张三", None).await.unwrap();
    expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/jobs/{job}"),
        None,
        200,
    )
    .await;
    let phone = onsite_tests::Device::sign_in(&server.url(), "wang")
        .await
        .unwrap();
    phone.client.sync().await.unwrap();

    let resp = onsite_tests::http()
        .get(format!("{}/metrics", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = resp.text().await.unwrap();
    let value = |series: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series).map(str::trim))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {series} in:\n{text}"))
    };
    assert!(
        value(r#"onsite_http_requests_total{method="POST",route="/v1/sync",status="200"}"#) >= 1.0
    );
    // The route's pattern, never the job id.
    assert!(
        value(r#"onsite_http_requests_total{method="GET",route="/v1/jobs/{id}",status="200"}"#)
            >= 1.0
    );
    assert!(!text.contains(&job), "no ids in the labels");
    assert!(value("onsite_sync_requests_total") >= 1.0);
    assert!(value("onsite_sync_request_bytes_total") > 0.0);
    assert!(text.contains("onsite_http_request_duration_seconds_bucket"));
    // The database connections the server holds: the reads above left one open at least.
    let open = value(r#"onsite_db_connections{state="open"}"#);
    let idle = value(r#"onsite_db_connections{state="idle"}"#);
    assert!(open >= 1.0 && idle <= open, "open {open}, idle {idle}");
}
