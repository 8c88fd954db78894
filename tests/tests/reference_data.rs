#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Reference data end to end, against a real server: the back office keeps the registries,
//! the parts catalog and the form templates, dispatches from the registry and restocks
//! vans; the technicians' devices receive the catalog, the templates and their own van
//! stock read-only through the sync, and two offline devices using the same stock merge
//! without losing either use.

use calamine::{Data, Reader, Xlsx};
use onsite_client::{PartInput, StockLine};
use onsite_domain::Role;
use onsite_sync::wire::{PullRequest, ReferenceDelta, Request, Response, SyncRequest};
use onsite_tests::raw::RawDevice;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    server.call(method, path, token, body).await.unwrap()
}

/// A call that must succeed with `status`; returns the body.
async fn expect(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let (got, answer) = call(server, token, method, path, body).await;
    assert_eq!(got, status, "{path}: {answer}");
    answer
}

async fn bytes(server: &TestServer, token: &str, path: &str) -> Vec<u8> {
    let resp = onsite_tests::http()
        .get(format!("{}{path}", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.bytes().await.unwrap().to_vec()
}

async fn add_part(
    server: &TestServer,
    office: &str,
    sku: &str,
    name: &str,
    cents: i64,
    billable: bool,
) {
    expect(
        server,
        office,
        Method::POST,
        "/v1/parts/catalog",
        Some(json!({"sku": sku, "name": name, "unit_price_cents": cents, "billable": billable})),
        201,
    )
    .await;
}

fn stock_of(lines: &[StockLine], sku: &str) -> (i64, i64, bool) {
    let line = lines.iter().find(|l| l.sku == sku).unwrap();
    (line.balance, line.unsynced_use, line.negative)
}

fn use_relays(device: &Device, job: &str, quantity: i64) {
    device
        .client
        .record_part(
            job,
            PartInput {
                sku: "RLY-12".into(),
                quantity,
                ..PartInput::default()
            },
        )
        .unwrap();
}

#[tokio::test]
async fn dispatch_from_the_registry_restock_and_two_offline_devices_merge_their_van_stock() {
    let mut server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();

    // The back office's reference data.
    add_part(&server, &office, "RLY-12", "继电器 relay 12 V", 1_800, true).await;
    add_part(&server, &office, "FUSE-3A", "保险丝 fuse 3 A", 300, false).await;
    let customer = expect(
        &server,
        &office,
        Method::POST,
        "/v1/customers",
        Some(
            json!({"id": "C-0042", "name": "张伟 Zhang Wei", "phone": "+86 139 0000 0042",
                    "address": "上海市浦东新区", "tier": "key", "region": "east",
                    "site_distance": "far"}),
        ),
        201,
    )
    .await;
    assert_eq!(customer["tier"], "key");
    let bought = (chrono::Utc::now().date_naive() - chrono::Days::new(3)).to_string();
    let product = expect(
        &server,
        &office,
        Method::POST,
        "/v1/products",
        Some(
            json!({"customer_id": "C-0042", "model": "AC-9000", "serial": "SN-777",
                    "purchase_date": bought}),
        ),
        201,
    )
    .await;
    let product_id = product["id"].as_str().unwrap().to_string();
    let found = expect(
        &server,
        &office,
        Method::GET,
        "/v1/customers?q=Zhang&tier=key",
        None,
        200,
    )
    .await;
    assert_eq!(found["total"], 1);
    let products = expect(
        &server,
        &office,
        Method::GET,
        "/v1/products?customer=C-0042",
        None,
        200,
    )
    .await;
    assert_eq!(products["products"][0]["id"], product_id.as_str());

    // Dispatch from the registry: the product id alone names its customer.
    let job = expect(
        &server,
        &office,
        Method::POST,
        "/v1/jobs",
        Some(
            json!({"product_id": product_id, "fault": "不制冷 does not cool",
                    "assignee": wang}),
        ),
        201,
    )
    .await;
    let job_id = job["id"].as_str().unwrap().to_string();
    let doc = &job["document"];
    assert_eq!(doc["customer"]["id"], "C-0042");
    assert_eq!(doc["customer"]["name"], "张伟 Zhang Wei");
    assert_eq!(doc["customer"]["site_distance"], "far");
    assert_eq!(doc["product"]["id"], product_id.as_str());
    assert_eq!(doc["product"]["purchase_date"], bought.as_str());
    let dap = expect(
        &server,
        &office,
        Method::GET,
        "/v1/review/jobs?dap=true",
        None,
        200,
    )
    .await;
    assert_eq!(
        dap["total"], 1,
        "DAP derived from the registry's purchase date: {dap}"
    );
    // Both ids work too, and the job keeps its snapshot when the registry changes.
    expect(
        &server,
        &office,
        Method::POST,
        "/v1/jobs",
        Some(json!({"customer_id": "C-0042", "product_id": product_id, "fault": "noise"})),
        201,
    )
    .await;
    expect(
        &server,
        &office,
        Method::PATCH,
        "/v1/customers/C-0042",
        Some(json!({"name": "张伟 (moved)", "address": "北京市"})),
        200,
    )
    .await;
    let again = server.job(&office, &job_id).await.unwrap();
    assert_eq!(again["document"]["customer"]["name"], "张伟 Zhang Wei");

    // Four relays in Wang's van.
    let restocked = expect(
        &server,
        &office,
        Method::POST,
        &format!("/v1/van-stock/{wang}/restock"),
        Some(json!({"lines": [{"sku": "RLY-12", "quantity": 4}], "note": "weekly"})),
        201,
    )
    .await;
    assert_eq!(restocked["lines"][0]["balance"], 4);

    // Two devices of Wang's get the catalog, the built-in template and the van stock.
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    let tablet = Device::sign_in(&server.url(), "wang").await.unwrap();
    for device in [&phone, &tablet] {
        let report = device.client.sync().await.unwrap();
        assert!(report.reference_changed);
        let catalog = device.client.parts_catalog().unwrap();
        let skus: Vec<&str> = catalog.iter().map(|i| i.sku.as_str()).collect();
        assert_eq!(skus, ["FUSE-3A", "RLY-12"]);
        assert!(!catalog[0].billable && catalog[1].billable);
        let templates = device.client.form_templates().unwrap();
        assert_eq!(templates.len(), 1);
        assert_eq!(templates[0].items.len(), 11);
        assert_eq!(templates[0].items[0].label_zh, "整体满意度");
        assert_eq!(
            stock_of(&device.client.van_stock().unwrap(), "RLY-12"),
            (4, 0, false)
        );
        assert_eq!(
            device.client.get_job(&job_id).unwrap().job.customer.name,
            "张伟 Zhang Wei"
        );
    }

    // An idle reconnect: one round trip, and the reference data adds nothing to it.
    let before = phone.client.transfer_stats();
    let report = phone.client.sync().await.unwrap();
    let after = phone.client.transfer_stats();
    assert!(!report.reference_changed);
    assert_eq!(after.requests - before.requests, 1);
    assert!(after.bytes_up - before.bytes_up + after.bytes_down - before.bytes_down < 1024);

    // Offline, each device uses 3 of the 4 relays.
    server.stop().await.unwrap();
    phone.client.arrive(&job_id).unwrap();
    use_relays(&phone, &job_id, 3);
    use_relays(&tablet, &job_id, 3);
    for device in [&phone, &tablet] {
        assert_eq!(
            stock_of(&device.client.van_stock().unwrap(), "RLY-12"),
            (1, 3, false)
        );
    }
    server.restart().await.unwrap();

    // Each sync brings the count of what reached the server so far; then both agree.
    phone.client.sync().await.unwrap();
    assert_eq!(
        stock_of(&phone.client.van_stock().unwrap(), "RLY-12"),
        (1, 0, false)
    );
    tablet.client.sync().await.unwrap();
    assert_eq!(
        stock_of(&tablet.client.van_stock().unwrap(), "RLY-12"),
        (-2, 0, true)
    );
    phone.client.sync().await.unwrap();
    assert_eq!(
        stock_of(&phone.client.van_stock().unwrap(), "RLY-12"),
        (-2, 0, true)
    );
    let lines = phone.client.get_job(&job_id).unwrap().job.parts;
    assert_eq!(lines.len(), 2, "both uses are on the job");
    assert!(
        lines
            .values()
            .all(|l| l.name == "继电器 relay 12 V" && l.unit_price_cents == 1_800)
    );

    // The back office sees −2, flagged.
    let van = expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/van-stock/{wang}"),
        None,
        200,
    )
    .await;
    let relay = van["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == "RLY-12")
        .unwrap();
    assert_eq!(
        (relay["restocked"].as_i64(), relay["used"].as_i64()),
        (Some(4), Some(6))
    );
    assert_eq!(
        (relay["balance"].as_i64(), relay["negative"].as_bool()),
        (Some(-2), Some(true))
    );
    assert_eq!(van["restocks"][0]["note"], "weekly");
    let negative = expect(
        &server,
        &office,
        Method::GET,
        "/v1/van-stock?negative=true",
        None,
        200,
    )
    .await;
    assert_eq!(negative["negative"], 1);
    assert_eq!(negative["lines"][0]["technician_name"], "wang");
    let csv = String::from_utf8(bytes(&server, &office, "/v1/van-stock?format=csv").await).unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("技术员 technician,配件编号 SKU"), "{csv}");
    assert!(
        csv.contains("wang,RLY-12,继电器 relay 12 V,4,6,-2,是 yes"),
        "{csv}"
    );
    let xlsx = bytes(
        &server,
        &office,
        &format!("/v1/van-stock/{wang}?format=xlsx"),
    )
    .await;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("车载库存 van stock").unwrap();
    assert_eq!(sheet.get_value((1, 5)), Some(&Data::Float(-2.0)));

    // A restock reaches both devices at their next sync.
    expect(
        &server,
        &office,
        Method::POST,
        &format!("/v1/van-stock/{wang}/restock"),
        Some(
            json!({"lines": [{"sku": "RLY-12", "quantity": 5}, {"sku": "FUSE-3A", "quantity": 2}]}),
        ),
        201,
    )
    .await;
    for device in [&phone, &tablet] {
        device.client.sync().await.unwrap();
        let stock = device.client.van_stock().unwrap();
        assert_eq!(stock_of(&stock, "RLY-12"), (3, 0, false));
        assert_eq!(stock_of(&stock, "FUSE-3A"), (2, 0, false));
    }
}

#[tokio::test]
async fn a_published_template_version_reaches_devices_and_old_forms_keep_theirs() {
    let mut server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "Zhang", Some(&wang))
        .await
        .unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();

    // Offline, the customer starts a form on the only version the phone knows: v1.
    server.stop().await.unwrap();
    let on_v1 = phone.client.start_form(&job, "survey").unwrap();
    phone
        .client
        .answer_item(&job, &on_v1, "overall", 10, "")
        .unwrap();
    server.restart().await.unwrap();

    let mut items: Vec<Value> = onsite_domain::FormTemplate::builtin()
        .items
        .iter()
        .map(|i| json!({"id": i.id, "label_zh": i.label_zh, "label_en": i.label_en}))
        .collect();
    items.push(json!({"id": "tidiness", "label_zh": "现场整洁", "label_en": "Tidiness on site"}));
    let v2 = expect(
        &server,
        &office,
        Method::POST,
        "/v1/form-templates",
        Some(
            json!({"id": "csat-onsite", "title_zh": "现场服务满意度调查",
                    "title_en": "On-site service satisfaction", "items": items,
                    "suggestion_zh": "意见和建议", "suggestion_en": "Suggestions"}),
        ),
        201,
    )
    .await;
    assert_eq!(v2["version"], 2);
    let listed = expect(
        &server,
        &office,
        Method::GET,
        "/v1/form-templates?id=csat-onsite",
        None,
        200,
    )
    .await;
    assert_eq!(listed["templates"].as_array().unwrap().len(), 2);
    let one = expect(
        &server,
        &office,
        Method::GET,
        "/v1/form-templates/csat-onsite/1",
        None,
        200,
    )
    .await;
    assert_eq!(one["items"].as_array().unwrap().len(), 11);

    let report = phone.client.sync().await.unwrap();
    assert!(report.reference_changed);
    let on_phone = phone.client.form_template("csat-onsite", 2).unwrap();
    assert_eq!(on_phone.items.len(), 12);
    assert_eq!(on_phone.items[11].label_zh, "现场整洁");

    // The form started on v1 is still answered against v1.
    let refused = phone.client.answer_item(&job, &on_v1, "tidiness", 10, "");
    assert_eq!(
        refused.unwrap_err().kind(),
        onsite_client::ErrorKind::InvalidInput
    );
    phone
        .client
        .answer_item(&job, &on_v1, "quality", 8, "")
        .unwrap();
    phone.client.submit_form(&job, &on_v1, "").unwrap();
    // A new form takes v2, with its new item.
    let on_v2 = phone.client.start_form(&job, "self").unwrap();
    phone
        .client
        .answer_item(&job, &on_v2, "tidiness", 8, "")
        .unwrap();
    phone.client.submit_form(&job, &on_v2, "").unwrap();
    phone.client.sync().await.unwrap();

    let detail = expect(
        &server,
        &office,
        Method::GET,
        &format!("/v1/review/jobs/{job}"),
        None,
        200,
    )
    .await;
    let mut versions: Vec<(String, i64)> = detail["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["respondent"].as_str().unwrap().to_string(),
                f["template_version"].as_i64().unwrap(),
            )
        })
        .collect();
    versions.sort();
    assert_eq!(
        versions,
        [("self".to_string(), 2), ("survey".to_string(), 1)],
        "{detail}"
    );
}

#[tokio::test]
async fn reference_endpoints_refuse_other_roles_and_bad_input_changes_nothing() {
    let server = TestServer::start().await.unwrap();
    let wang = server.create_user("wang", Role::Technician).unwrap();
    let li = server.create_user("li", Role::Technician).unwrap();
    let office_id = server.create_user("office", Role::BackOffice).unwrap();
    server.create_user("root", Role::Admin).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let tech = server.login("wang", "phone").await.unwrap();
    let admin = server.login("root", "laptop").await.unwrap();
    add_part(&server, &office, "RLY-12", "relay", 1_800, true).await;
    expect(
        &server,
        &office,
        Method::PATCH,
        "/v1/parts/catalog/RLY-12",
        Some(json!({"unit_price_cents": 1_900})),
        200,
    )
    .await;
    add_part(&server, &office, "OLD-1", "old part", 100, false).await;
    expect(
        &server,
        &office,
        Method::PATCH,
        "/v1/parts/catalog/OLD-1",
        Some(json!({"active": false})),
        200,
    )
    .await;
    for (id, name) in [("C-1", "Zhang"), ("C-2", "Li")] {
        expect(
            &server,
            &office,
            Method::POST,
            "/v1/customers",
            Some(json!({"id": id, "name": name})),
            201,
        )
        .await;
    }
    expect(
        &server,
        &office,
        Method::POST,
        "/v1/products",
        Some(json!({"id": "P-1", "customer_id": "C-1", "model": "AC-9000"})),
        201,
    )
    .await;
    expect(
        &server,
        &office,
        Method::POST,
        &format!("/v1/van-stock/{wang}/restock"),
        Some(json!({"lines": [{"sku": "RLY-12", "quantity": 4}]})),
        201,
    )
    .await;

    expect(
        &server,
        &office,
        Method::POST,
        &format!("/v1/van-stock/{li}/restock"),
        Some(json!({"lines": [{"sku": "RLY-12", "quantity": 7}]})),
        201,
    )
    .await;

    // Technicians and administrators do not manage (or read) the back office's data.
    let restock = format!("/v1/van-stock/{wang}/restock");
    let own_van = format!("/v1/van-stock/{wang}");
    let forbidden: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/v1/parts/catalog", None),
        (
            Method::POST,
            "/v1/parts/catalog",
            Some(json!({"sku": "X", "name": "x", "unit_price_cents": 0, "billable": false})),
        ),
        (
            Method::PATCH,
            "/v1/parts/catalog/RLY-12",
            Some(json!({"unit_price_cents": 1})),
        ),
        (Method::GET, "/v1/customers", None),
        (Method::POST, "/v1/customers", Some(json!({"name": "x"}))),
        (
            Method::PATCH,
            "/v1/customers/C-1",
            Some(json!({"name": "x"})),
        ),
        (Method::GET, "/v1/products/P-1", None),
        (
            Method::POST,
            "/v1/products",
            Some(json!({"customer_id": "C-1", "model": "m"})),
        ),
        (Method::GET, "/v1/form-templates", None),
        (
            Method::POST,
            "/v1/form-templates",
            Some(json!({"id": "t", "title_zh": "t", "title_en": "t", "items": []})),
        ),
        (Method::GET, "/v1/van-stock", None),
        (Method::GET, &own_van, None),
        (
            Method::POST,
            &restock,
            Some(json!({"lines": [{"sku": "RLY-12", "quantity": 99}]})),
        ),
    ];
    let before = server.dump().unwrap();
    for token in [&tech, &admin] {
        for (method, path, body) in &forbidden {
            let (got, answer) = call(&server, token, method.clone(), path, body.clone()).await;
            assert_eq!(got, 403, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "forbidden");
        }
    }

    // Bad input: a clear 4xx, and nothing written.
    let to_office = format!("/v1/van-stock/{office_id}/restock");
    let bad: Vec<(Method, &str, Value, u16, &str)> = vec![
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "NOPE", "quantity": 1}]}),
            422,
            "unknown_sku",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "RLY-12", "quantity": 2}, {"sku": "NOPE", "quantity": 1}]}),
            422,
            "unknown_sku",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "OLD-1", "quantity": 1}]}),
            422,
            "inactive_sku",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "RLY-12", "quantity": -3}]}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "RLY-12", "quantity": 0}]}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "RLY-12", "quantity": "four"}]}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": []}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            &restock,
            json!({"lines": [{"sku": "RLY-12", "quantity": 1}], "balance": 100}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            &to_office,
            json!({"lines": [{"sku": "RLY-12", "quantity": 1}]}),
            404,
            "unknown_technician",
        ),
        (
            Method::POST,
            "/v1/van-stock/no-such-account/restock",
            json!({"lines": [{"sku": "RLY-12", "quantity": 1}]}),
            404,
            "unknown_technician",
        ),
        (
            Method::POST,
            "/v1/jobs",
            json!({"customer_id": "C-404", "product": {"model": "AC"}, "fault": "x", "assignee": wang}),
            422,
            "unknown_customer",
        ),
        (
            Method::POST,
            "/v1/jobs",
            json!({"product_id": "P-404", "fault": "x"}),
            422,
            "unknown_product",
        ),
        (
            Method::POST,
            "/v1/jobs",
            json!({"customer_id": "C-2", "product_id": "P-1", "fault": "x"}),
            422,
            "product_customer_mismatch",
        ),
        (
            Method::POST,
            "/v1/jobs",
            json!({"customer": {"name": "x"}, "customer_id": "C-1", "product_id": "P-1", "fault": "x"}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/jobs",
            json!({"product": {"model": "AC"}, "fault": "x"}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/jobs",
            json!({"customer_id": "C-1", "product_id": "P-1", "fault": "x", "priority": "high"}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/parts/catalog",
            json!({"sku": "RLY-12", "name": "again", "unit_price_cents": 1, "billable": true}),
            409,
            "sku_taken",
        ),
        (
            Method::POST,
            "/v1/parts/catalog",
            json!({"sku": "A/B", "name": "slash", "unit_price_cents": 1, "billable": true}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/parts/catalog",
            json!({"sku": "NEG", "name": "negative", "unit_price_cents": -1, "billable": true}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/parts/catalog",
            json!({"sku": "X1", "name": "x", "unit_price_cents": 1, "billable": true, "stock": 5}),
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            "/v1/parts/catalog/NOPE",
            json!({"active": false}),
            404,
            "not_found",
        ),
        (
            Method::PATCH,
            "/v1/parts/catalog/RLY-12",
            json!({"name": ""}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/customers",
            json!({"id": "C-1", "name": "again"}),
            409,
            "id_taken",
        ),
        (
            Method::POST,
            "/v1/customers",
            json!({"name": "x", "site_distance": "moon"}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/customers",
            json!({"id": "C 9", "name": "x"}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/customers",
            json!({"name": "x", "tier": "key' OR '1'='1"}),
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            "/v1/customers/C-404",
            json!({"name": "x"}),
            404,
            "not_found",
        ),
        (
            Method::POST,
            "/v1/products",
            json!({"customer_id": "C-404", "model": "AC"}),
            422,
            "unknown_customer",
        ),
        (
            Method::POST,
            "/v1/products",
            json!({"customer_id": "C-1", "model": "AC", "purchase_date": "2026-02-30"}),
            400,
            "bad_request",
        ),
        (
            Method::PATCH,
            "/v1/products/P-1",
            json!({"customer_id": "C-404"}),
            422,
            "unknown_customer",
        ),
        (
            Method::POST,
            "/v1/form-templates",
            json!({"id": "csat-onsite", "title_zh": "t", "title_en": "t",
                   "items": [{"id": "a", "label_zh": "甲", "label_en": "a"},
                             {"id": "a", "label_zh": "乙", "label_en": "b"}]}),
            400,
            "bad_request",
        ),
        (
            Method::POST,
            "/v1/form-templates",
            json!({"id": "csat-onsite", "version": 1, "title_zh": "t", "title_en": "t",
                   "items": [{"id": "a", "label_zh": "甲", "label_en": "a"}]}),
            400,
            "bad_request",
        ),
    ];
    for (method, path, body, status, code) in &bad {
        let (got, answer) = call(&server, &office, method.clone(), path, Some(body.clone())).await;
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (*status, Some(*code)),
            "{method} {path} {body}: {answer}"
        );
    }
    for (path, status) in [
        ("/v1/customers/C-404", 404),
        ("/v1/products/P-404", 404),
        ("/v1/parts/catalog/NOPE", 404),
        ("/v1/form-templates/csat-onsite/2", 404),
        ("/v1/form-templates/csat-onsite/zero", 400),
        ("/v1/van-stock?technician=nobody", 404),
        ("/v1/van-stock?negative=maybe", 400),
        ("/v1/parts/catalog?colour=red", 400),
        ("/v1/customers?limit=0", 400),
    ] {
        let (got, answer) = call(&server, &office, Method::GET, path, None).await;
        assert_eq!(got, status, "{path}: {answer}");
    }

    // A device cannot upload reference data through the sync either.
    let raw = RawDevice::new(&server.url(), &tech);
    let crafted = Request::Sync(SyncRequest {
        push: vec![],
        pull: Some(PullRequest {
            cursor: None,
            max_items: 10,
            reference: Some(0),
        }),
        reference: Some(ReferenceDelta {
            seq: 1_000,
            full: true,
            stock: vec![onsite_domain::StockLevel {
                sku: "RLY-12".into(),
                balance: 1_000,
            }],
            ..ReferenceDelta::default()
        }),
    });
    let (status, answer) = raw.send(&crafted).await.unwrap();
    assert_eq!(status, 403);
    let Response::Error(e) = answer else {
        panic!("expected an error, got {answer:?}");
    };
    assert_eq!(e.code, "read_only");
    assert_eq!(server.dump().unwrap(), before, "nothing was written");

    // The van stock the technician's device is sent is still the back office's.
    let honest = Request::Sync(SyncRequest {
        push: vec![],
        pull: Some(PullRequest {
            cursor: None,
            max_items: 10,
            reference: Some(0),
        }),
        reference: None,
    });
    let (status, answer) = raw.send(&honest).await.unwrap();
    assert_eq!(status, 200);
    let Response::Sync(onsite_sync::wire::SyncResponse {
        pull: Some(onsite_sync::wire::PullReply::Page(page)),
        ..
    }) = answer
    else {
        panic!("expected a page, got {answer:?}");
    };
    let delta = page.reference.unwrap();
    assert!(delta.full);
    // Wang's own van only, not Li's seven.
    assert_eq!(
        delta.stock,
        [onsite_domain::StockLevel {
            sku: "RLY-12".into(),
            balance: 4
        }]
    );
    let prices: Vec<(String, i64, bool)> = delta
        .catalog
        .iter()
        .map(|i| (i.sku.clone(), i.unit_price_cents, i.active))
        .collect();
    assert_eq!(
        prices,
        [("OLD-1".into(), 100, false), ("RLY-12".into(), 1_900, true)]
    );
}
