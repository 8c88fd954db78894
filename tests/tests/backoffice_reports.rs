#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Reports through the HTTP API on data synced from a device: the worked example of
//! the after-sales practice, corrective actions, the remaining coefficient, configurable service-level
//! targets, and exports as CSV and XLSX read back with their Chinese labels.

use calamine::{Data, Reader, Xlsx};
use onsite_client::PartInput;
use onsite_domain::Role;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

fn around_today() -> String {
    let today = chrono::Utc::now().date_naive();
    format!(
        "from={}&to={}",
        today.pred_opt().unwrap(),
        today.succ_opt().unwrap()
    )
}

async fn ok(server: &TestServer, token: &str, path: &str) -> Value {
    let (status, body) = server.call(Method::GET, path, token, None).await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

struct World {
    server: TestServer,
    office: String,
    tech: String,
    phone: Device,
}

/// The worked example: 5 returned forms × 5 items = 25 answers, 10 very
/// satisfied, 5 satisfied, 6 basically satisfied, 3 dissatisfied, 1 very dissatisfied,
/// answered on a technician's phone offline and synced.
async fn worked_example() -> World {
    let server = TestServer::start().await.unwrap();
    let tech = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let mut jobs = Vec::new();
    for n in 0..5 {
        jobs.push(
            server
                .create_job(&office, &format!("客户{n}"), Some(&tech))
                .await
                .unwrap(),
        );
    }
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    let forms = [
        [10, 10, 10, 10, 8],
        [10, 10, 8, 8, 6],
        [10, 10, 8, 6, 6],
        [10, 8, 6, 6, 4],
        [10, 6, 4, 4, 2],
    ];
    let items = [
        "overall",
        "quality",
        "performance",
        "after_sales",
        "response_speed",
    ];
    for (job, points) in jobs.iter().zip(forms) {
        let c = &phone.client;
        c.accept(job).unwrap();
        c.arrive(job).unwrap();
        c.record_part(
            job,
            PartInput {
                sku: "RELAY-01".into(),
                name: "继电器".into(),
                quantity: 2,
                unit_price_cents: Some(1_000),
                billable: Some(true),
                ..PartInput::default()
            },
        )
        .unwrap();
        let form = c.start_form(job, "survey").unwrap();
        for (item, p) in items.iter().zip(points) {
            c.answer_item(job, &form, item, p, "").unwrap();
        }
        c.submit_form(job, &form, "").unwrap();
        c.complete(job).unwrap();
    }
    phone.client.sync().await.unwrap();
    World {
        server,
        office,
        tech,
        phone,
    }
}

#[tokio::test]
async fn worked_example_corrective_actions_parts_and_service_levels_over_http() {
    let w = worked_example().await;
    let period = around_today();
    let r = ok(
        &w.server,
        &w.office,
        &format!("/v1/reports/satisfaction?{period}"),
    )
    .await;
    assert_eq!(r["total"]["survey"]["answered"], 25);
    assert_eq!(r["total"]["survey"]["degree_pct"], 76.0);
    assert_eq!(r["total"]["survey"]["rate_pct"], 84.0);
    assert_eq!(r["total"]["overall"], Value::Null, "no self-assessment yet");
    // Items: response_speed 8 6 6 4 2 = 26/50 is the lowest, then after_sales 10 8 6 6 4 = 34/50.
    assert_eq!(r["lowest_items"][0]["item"], "response_speed");
    assert_eq!(r["lowest_items"][0]["label_zh"], "响应速度");
    assert_eq!(r["lowest_items"][0]["degree_pct"], 52.0);
    assert_eq!(r["lowest_items"][1]["item"], "after_sales");
    // Nothing before: the previous period has no answers, so no change can be given.
    assert_eq!(r["previous"]["total"]["survey"]["answered"], 0);
    assert_eq!(r["previous"]["change_points"]["degree"], Value::Null);
    let trend = r["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 12);
    assert_eq!(trend[11]["survey"]["answered"], 25);

    // 3 dissatisfied + 1 very dissatisfied: four corrective actions, worked through the API.
    let actions = ok(&w.server, &w.office, "/v1/corrective-actions").await;
    assert_eq!(actions["total"], 4);
    let id = actions["corrective_actions"][0]["id"].as_i64().unwrap();
    let path = format!("/v1/corrective-actions/{id}");
    let (status, body) = w
        .server
        .call(
            Method::PATCH,
            &path,
            &w.office,
            Some(json!({"status": "verified"})),
        )
        .await
        .unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("verification_required"))
    );
    let (status, body) = w
        .server
        .call(
            Method::PATCH,
            &path,
            &w.office,
            Some(json!({"owner": "刘经理", "department": "customer_service", "due_date": "2030-01-31",
                        "status": "verified", "verification": "回访确认已解决"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["verification"], "回访确认已解决");
    let open = ok(&w.server, &w.office, "/v1/corrective-actions?status=open").await;
    assert_eq!(open["total"], 3);

    // Parts: 5 jobs × 2 relays; a batch of 40 bought leaves 30, a coefficient of 0.75.
    let (status, _) = w
        .server
        .call(
            Method::POST,
            "/v1/parts/batches",
            &w.office,
            Some(json!({"sku": "RELAY-01", "product_model": "AC-9000", "quantity": 40, "bought_on": "2026-01-01"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 201);
    let parts = ok(&w.server, &w.office, &format!("/v1/reports/parts?{period}")).await;
    assert_eq!(parts["consumption"][0]["quantity"], 10);
    assert_eq!(parts["consumption"][0]["cost_cents"], 10_000);
    assert_eq!(parts["remaining"][0]["left"], 30);
    assert_eq!(parts["remaining"][0]["remaining_coefficient"], 0.75);

    // Service levels: every job was accepted and reached within seconds.
    let tech = &w.tech;
    let sla = ok(
        &w.server,
        &w.office,
        &format!("/v1/reports/service-levels?{period}&technician={tech}"),
    )
    .await;
    assert_eq!(sla["groups"][0]["response"]["met"], 5);
    assert_eq!(sla["groups"][0]["arrival"]["share_pct"], 100.0);
    assert_eq!(sla["targets"]["response_hours"], 24.0);
    // A target no job can meet (a millisecond and a bit) makes every job miss it.
    let strict = ok(
        &w.server,
        &w.office,
        &format!("/v1/reports/service-levels?{period}&response_hours=0.0000001"),
    )
    .await;
    assert_eq!(strict["groups"][0]["response"]["measured"], 5);
    assert!(strict["groups"][0]["response"]["met"].as_u64().unwrap() < 5);
    drop(w.phone);

    // The API describes itself, reports included.
    let resp = onsite_tests::http()
        .get(format!("{}/openapi.json", w.server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let doc: Value = resp.json().await.unwrap();
    for path in [
        "/v1/reports/satisfaction",
        "/v1/review/jobs/{id}",
        "/v1/corrective-actions/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
}

#[tokio::test]
async fn every_list_and_report_exports_as_csv_and_xlsx_with_chinese_labels() {
    let w = worked_example().await;
    let period = around_today();
    let (status, _) = w
        .server
        .call(
            Method::POST,
            "/v1/parts/batches",
            &w.office,
            Some(json!({"sku": "RELAY-01", "product_model": "AC-9000", "quantity": 40, "bought_on": "2026-01-01"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 201);
    let (ct, csv) = w
        .server
        .download(&w.office, "/v1/review/jobs?format=csv")
        .await
        .unwrap();
    assert!(ct.starts_with("text/csv"));
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.starts_with('\u{feff}'),
        "a BOM for spreadsheet programs"
    );
    let mut lines = text.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .contains("工单号 job,状态 status,审核 review")
    );
    assert_eq!(lines.filter(|l| l.contains("客户")).count(), 5, "{text}");

    let (ct, xlsx) = w
        .server
        .download(
            &w.office,
            &format!("/v1/reports/satisfaction?{period}&group_by=technician&format=xlsx"),
        )
        .await
        .unwrap();
    assert!(ct.contains("spreadsheetml"));
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("满意度 satisfaction").unwrap();
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&Data::String("技术员 technician".into()))
    );
    assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("wang".into())));
    let header: Vec<String> = (0..11)
        .map(|c| sheet.get_value((0, c)).unwrap().to_string())
        .collect();
    let degree = header
        .iter()
        .position(|h| h == "调查满意度 survey degree %")
        .unwrap();
    assert_eq!(
        sheet.get_value((1, degree as u32)),
        Some(&Data::Float(76.0))
    );
    assert_eq!(
        sheet.get_value((2, 0)),
        Some(&Data::String("合计 total".into()))
    );

    for path in [
        format!("/v1/reports/satisfaction?{period}&export=items&format=xlsx"),
        format!("/v1/reports/satisfaction?{period}&export=trend&format=xlsx"),
        format!("/v1/reports/service-levels?{period}&group_by=technician&format=xlsx"),
        format!("/v1/reports/parts?{period}&format=xlsx"),
        format!("/v1/reports/parts?{period}&export=remaining&format=xlsx"),
        "/v1/corrective-actions?format=xlsx".to_string(),
        "/v1/review/jobs?format=xlsx".to_string(),
    ] {
        let (_, xlsx) = w.server.download(&w.office, &path).await.unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
        let name = book.sheet_names()[0].clone();
        let sheet = book.worksheet_range(&name).unwrap();
        let first = sheet.get_value((0, 0)).unwrap().to_string();
        assert!(
            first
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{path}: header {first:?} lost its Chinese label"
        );
        assert!(sheet.height() >= 2, "{path}: no rows");
    }
    let (_, items) = w
        .server
        .download(
            &w.office,
            &format!("/v1/reports/satisfaction?{period}&export=items&format=csv"),
        )
        .await
        .unwrap();
    let items = String::from_utf8(items).unwrap();
    assert!(
        items.contains("response_speed,响应速度,Response speed,5,52"),
        "{items}"
    );
}

#[tokio::test]
async fn callback_survey_sample_is_reproducible_and_its_answers_count_in_the_reports() {
    let w = worked_example().await;
    let period = around_today();
    let jobs = ok(&w.server, &w.office, "/v1/review/jobs").await;
    let completed = jobs["jobs"][0]["completed_at"].as_i64().unwrap();
    let month = chrono::DateTime::from_timestamp_millis(completed)
        .unwrap()
        .format("%Y-%m")
        .to_string();
    let path = format!("/v1/surveys/callback-sample?month={month}&size=3");
    let first = ok(&w.server, &w.office, &path).await;
    let second = ok(&w.server, &w.office, &path).await;
    assert_eq!(first["sample"].as_array().unwrap().len(), 3);
    assert_eq!(first, second, "the same month draws the same sample");
    let all = ok(
        &w.server,
        &w.office,
        &format!("/v1/surveys/callback-sample?month={month}"),
    )
    .await;
    assert_eq!(
        all["sample"].as_array().unwrap().len(),
        5,
        "at most every customer"
    );
    let job = first["sample"][0]["job_id"].as_str().unwrap().to_string();
    assert_eq!(first["sample"][0]["called"], false);

    // Refused without a change: a score off the scale, an unknown item, an unknown job.
    let before = w.server.dump().unwrap();
    let unknown = uuid::Uuid::new_v4();
    for (path, body, status, code) in [
        (
            format!("/v1/jobs/{job}/callback"),
            json!({"answers": {"overall": 7}}),
            400,
            "score_out_of_scale",
        ),
        (
            format!("/v1/jobs/{job}/callback"),
            json!({"answers": {"overall": 12}}),
            400,
            "score_out_of_scale",
        ),
        (
            format!("/v1/jobs/{job}/callback"),
            json!({"answers": {"colour": 8}}),
            400,
            "bad_request",
        ),
        (
            format!("/v1/jobs/{job}/callback"),
            json!({"answers": {}}),
            400,
            "bad_request",
        ),
        (
            format!("/v1/jobs/{unknown}/callback"),
            json!({"answers": {"overall": 8}}),
            404,
            "not_found",
        ),
    ] {
        let (got, answer) = w
            .server
            .call(Method::POST, &path, &w.office, Some(body.clone()))
            .await
            .unwrap();
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (got, _) = w
        .server
        .call(
            Method::GET,
            &format!("/v1/surveys/callback-sample?month={month}&size=0"),
            &w.office,
            None,
        )
        .await
        .unwrap();
    assert_eq!(got, 400);
    assert_eq!(w.server.dump().unwrap(), before);

    // The customer's answers on the phone: on the survey side, and a 2 opens an action.
    let (status, body) = w
        .server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/callback"),
            &w.office,
            Some(json!({"answers": {"overall": 10, "quality": 2}, "comments": {"quality": "又坏了"}, "suggestion": "希望更快"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let r = ok(
        &w.server,
        &w.office,
        &format!("/v1/reports/satisfaction?{period}"),
    )
    .await;
    // 190 + 12 points over 27 answers; 21 + 1 satisfied.
    assert_eq!(r["total"]["survey"]["answered"], 27);
    assert_eq!(r["total"]["survey"]["degree_pct"], 74.81);
    assert_eq!(r["total"]["survey"]["rate_pct"], 81.48);
    let actions = ok(
        &w.server,
        &w.office,
        &format!("/v1/corrective-actions?job={job}"),
    )
    .await;
    assert!(
        actions["corrective_actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["item"] == "quality" && a["points"] == 2),
        "{actions}"
    );
    let again = ok(&w.server, &w.office, &path).await;
    assert_eq!(again["sample"][0]["called"], true);
    // The callback form travels to the technician's phone like any change.
    w.phone.client.sync().await.unwrap();
    let on_phone = w.phone.client.get_job(&job).unwrap();
    assert!(
        on_phone
            .job
            .forms
            .values()
            .any(|f| f.respondent == "callback")
    );
}

/// `--timezone Asia/Shanghai`: a survey submitted at 01:30 Beijing time on the first of
/// this month (17:30 UTC on the last day of the previous one) counts in this month; the
/// same data on a server left on UTC counts it in the previous month.
#[tokio::test]
async fn reports_count_calendar_months_in_the_company_time_zone() {
    use chrono::{Datelike, TimeZone};
    let shanghai: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    let today = chrono::Utc::now().with_timezone(&shanghai).date_naive();
    let first = today.with_day(1).unwrap();
    let previous = first.pred_opt().unwrap();
    let submitted = shanghai
        .from_local_datetime(&first.and_hms_opt(1, 30, 0).unwrap())
        .unwrap()
        .timestamp_millis();
    let mut server = TestServer::start_with(|c| c.timezone = shanghai)
        .await
        .unwrap();
    let tech = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "张三", Some(&tech))
        .await
        .unwrap();
    // The phone's clock shows that moment when the customer fills the survey in.
    let skew = submitted - chrono::Utc::now().timestamp_millis();
    let phone = Device::sign_in_skewed(&server.url(), "wang", skew)
        .await
        .unwrap();
    phone.client.sync().await.unwrap();
    let form = phone.client.start_form(&job, "survey").unwrap();
    phone
        .client
        .answer_item(&job, &form, "overall", 8, "")
        .unwrap();
    phone.client.submit_form(&job, &form, "").unwrap();
    phone.client.sync().await.unwrap();

    assert_eq!(answered(&server, &office, first).await, json!(1));
    assert_eq!(answered(&server, &office, previous).await, json!(0));

    server
        .restart_with(|c| c.timezone = chrono_tz::Tz::UTC)
        .await
        .unwrap();
    assert_eq!(answered(&server, &office, first).await, json!(0));
    assert_eq!(answered(&server, &office, previous).await, json!(1));
}

async fn answered(server: &TestServer, office: &str, month: chrono::NaiveDate) -> Value {
    let path = format!("/v1/reports/satisfaction?month={}", month.format("%Y-%m"));
    ok(server, office, &path).await["total"]["all"]["answered"].clone()
}
