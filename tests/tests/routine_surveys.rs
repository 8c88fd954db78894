#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Routine surveys (定期满意度调查) through the HTTP API: the tier's cadence, the 100-form
//! validity rule, the 10-form competitor comparison, the previous round, exports, and bad
//! input that changes nothing.

use calamine::{Data, Reader, Xlsx};
use onsite_domain::Role;
use onsite_tests::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

struct Office {
    server: TestServer,
    token: String,
}

impl Office {
    async fn start() -> Office {
        let server = TestServer::start().await.unwrap();
        server.create_user("office", Role::BackOffice).unwrap();
        let token = server.login("office", "office-pc").await.unwrap();
        Office { server, token }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.server
            .call(method, path, &self.token, body)
            .await
            .unwrap()
    }

    async fn open(&self, tier: &str, round: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/v1/surveys/routine",
                Some(json!({"tier": tier, "round": round})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["id"].as_str().unwrap().to_string()
    }

    async fn answer(
        &self,
        survey: &str,
        customer: &str,
        competitor: Option<&str>,
        points: &[(&str, i64)],
    ) {
        let answers: serde_json::Map<String, Value> = points
            .iter()
            .map(|(i, p)| (i.to_string(), json!(p)))
            .collect();
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/v1/surveys/routine/{survey}/responses"),
                Some(json!({"customer": customer, "competitor": competitor, "answers": answers})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    async fn report(&self, survey: &str) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/v1/surveys/routine/{survey}"), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// Form `i` of 100: overall 60 × 10 and 40 × 8; price 50 × 6, 30 × 4, 20 × 2.
fn ours(i: usize) -> [(&'static str, i64); 2] {
    let overall = if i < 60 { 10 } else { 8 };
    let price = if i < 50 {
        6
    } else if i < 80 {
        4
    } else {
        2
    };
    [("overall", overall), ("price", price)]
}

#[tokio::test]
async fn a_round_is_valid_from_100_forms_and_compares_competitors_from_10() {
    let o = Office::start().await;
    let previous = o.open("key", "2026-Q2").await;
    o.answer(&previous, "老客户", None, &[("overall", 10), ("price", 10)])
        .await;
    let survey = o.open("key", "2026-Q3").await;

    for i in 0..99 {
        o.answer(&survey, &format!("客户{i}"), None, &ours(i)).await;
    }
    for i in 0..9 {
        o.answer(
            &survey,
            &format!("客户{i}"),
            Some("AcmeCo"),
            &[("overall", 6)],
        )
        .await;
    }
    let r = o.report(&survey).await;
    assert_eq!(r["returned_forms"], 99);
    assert_eq!(r["valid"], false);
    assert!(
        r["validity"].as_str().unwrap().contains("99 of the 100"),
        "{r}"
    );
    let acme = &r["competitors"][0];
    assert_eq!(
        (acme["forms"].clone(), acme["comparable"].clone()),
        (json!(9), json!(false))
    );
    assert_eq!(acme["degree_pct"], Value::Null, "no figures below 10 forms");

    o.answer(&survey, "客户99", None, &ours(99)).await;
    o.answer(&survey, "客户9", Some("AcmeCo"), &[("overall", 6)])
        .await;
    let r = o.report(&survey).await;
    assert_eq!(r["returned_forms"], 100);
    assert_eq!(r["valid"], true, "{r}");
    // 200 answers, 1380 points: degree 69 %; 150 basically satisfied or better: rate 75 %.
    assert_eq!(r["ours"]["answered"], 200);
    assert_eq!(r["ours"]["degree_pct"], 69.0);
    assert_eq!(r["ours"]["rate_pct"], 75.0);
    // Lowest item first: price 460/1000 = 46 %, 50 % rate; overall 92 %, 100 %.
    assert_eq!(r["items"][0]["item"], "price");
    assert_eq!(r["items"][0]["label_zh"], "价格合理性");
    assert_eq!(r["items"][0]["degree_pct"], 46.0);
    assert_eq!(r["items"][0]["rate_pct"], 50.0);
    assert_eq!(r["items"][1]["degree_pct"], 92.0);
    let acme = &r["competitors"][0];
    assert_eq!(acme["comparable"], true);
    assert_eq!(acme["degree_pct"], 60.0);
    assert_eq!(acme["rate_pct"], 100.0);
    assert_eq!(acme["degree_gap_pts"], 9.0);
    assert_eq!(acme["rate_gap_pts"], -25.0);
    // The previous quarter: one form, all 10s.
    assert_eq!(r["previous"]["round"], "2026-Q2");
    assert_eq!(r["previous"]["valid"], false);
    assert_eq!(r["previous"]["change"]["degree_pts"], -31.0);
    assert_eq!(r["previous"]["change"]["rate_pts"], -25.0);

    let (status, list) = o
        .call(Method::GET, "/v1/surveys/routine?tier=key", None)
        .await;
    assert_eq!(status, 200);
    let rounds: Vec<(&str, bool)> = list["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["round"].as_str().unwrap(), s["valid"].as_bool().unwrap()))
        .collect();
    assert_eq!(rounds, [("2026-Q3", true), ("2026-Q2", false)]);

    let (_, xlsx) = o
        .server
        .download(
            &o.token,
            &format!("/v1/surveys/routine/{survey}?format=xlsx"),
        )
        .await
        .unwrap();
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("定期调查报告 routine survey").unwrap();
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&Data::String("对象 subject".into()))
    );
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&Data::String("本公司 us".into()))
    );
    assert_eq!(sheet.get_value((1, 2)), Some(&Data::Float(69.0)));
    assert_eq!(
        sheet.get_value((2, 0)),
        Some(&Data::String("竞争对手 AcmeCo".into()))
    );
}

#[tokio::test]
async fn bad_rounds_forms_and_callers_get_clear_errors_and_change_nothing() {
    let o = Office::start().await;
    let survey = o.open("general", "2026-H2").await;
    o.answer(&survey, "客户A", None, &[("overall", 8)]).await;
    o.server.create_user("wang", Role::Technician).unwrap();
    let tech = o.server.login("wang", "phone-1").await.unwrap();
    let before = o.server.dump().unwrap();

    let responses = format!("/v1/surveys/routine/{survey}/responses");
    let cases: Vec<(Method, String, Option<Value>, u16, &str)> = vec![
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": "key", "round": "2026-H1"})),
            400,
            "bad_round",
        ),
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": "general", "round": "2026-Q1"})),
            400,
            "bad_round",
        ),
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": "key", "round": "2026-Q5"})),
            400,
            "bad_round",
        ),
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": "general", "round": "2026-H2"})),
            409,
            "survey_exists",
        ),
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": "key'; DROP TABLE jobs; --", "round": "2026-Q1"})),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": 7, "round": "2026-Q1"})),
            400,
            "",
        ),
        (
            Method::POST,
            "/v1/surveys/routine".into(),
            Some(json!({"tier": "key", "round": "2026-Q1", "extra": 1})),
            400,
            "",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(json!({"customer": "客户B", "answers": {"overall": 7}})),
            400,
            "score_out_of_scale",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(json!({"customer": "客户B", "answers": {"colour": 8}})),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(json!({"customer": "客户B", "answers": {}})),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(json!({"customer": "", "answers": {"overall": 8}})),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(json!({"customer": "客户B", "respondent": "robot", "answers": {"overall": 8}})),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(
                json!({"customer": "客户B", "answers": {"overall": 8}, "comments": {"price": "?"}}),
            ),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            responses.clone(),
            Some(json!({"customer": "客户A", "answers": {"overall": 8}})),
            409,
            "duplicate_response",
        ),
        (
            Method::POST,
            "/v1/surveys/routine/no-such-survey/responses".into(),
            Some(json!({"customer": "客户B", "answers": {"overall": 8}})),
            404,
            "not_found",
        ),
        (
            Method::GET,
            "/v1/surveys/routine/no-such-survey".into(),
            None,
            404,
            "not_found",
        ),
        (
            Method::GET,
            "/v1/surveys/routine?tier=a%27%20OR%201%3D1".into(),
            None,
            400,
            "bad_request",
        ),
        (
            Method::GET,
            "/v1/surveys/routine?colour=red".into(),
            None,
            400,
            "",
        ),
    ];
    for (method, path, body, want, code) in cases {
        let (status, answer) = o.call(method.clone(), &path, body.clone()).await;
        assert_eq!(status, want, "{method} {path} {body:?}: {answer}");
        if !code.is_empty() {
            assert_eq!(
                answer["error"]["code"], code,
                "{method} {path} {body:?}: {answer}"
            );
        }
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{method} {path}: a clear message, got {answer}"
        );
    }
    for (method, path) in [
        (Method::GET, "/v1/surveys/routine".to_string()),
        (Method::GET, format!("/v1/surveys/routine/{survey}")),
        (Method::POST, responses.clone()),
    ] {
        let body = (method == Method::POST)
            .then(|| json!({"customer": "客户C", "answers": {"overall": 10}}));
        let (status, _) = o.server.call(method, &path, &tech, body).await.unwrap();
        assert_eq!(status, 403, "{path}: technicians do not run surveys");
    }
    assert_eq!(
        o.server.dump().unwrap(),
        before,
        "bad input changed the database"
    );
}
