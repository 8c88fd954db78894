#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Dispatch from the registries and van stock, against a real server: the back office
//! registers customers, products and parts and restocks a van; the technician's devices
//! receive the catalog and their own stock read-only through the sync, and two offline
//! devices using the same stock merge without losing either use.

use calamine::{Data, Reader, Xlsx};
use onsite_client::{PartInput, StockLine};
use onsite_domain::Role;
use onsite_tests::office::expect;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::json;

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
    server
        .add_catalog_part(&office, "RLY-12", "继电器 relay 12 V", 1_800, true)
        .await;
    server
        .add_catalog_part(&office, "FUSE-3A", "保险丝 fuse 3 A", 300, false)
        .await;
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
    let csv = String::from_utf8(
        server
            .download(&office, "/v1/van-stock?format=csv")
            .await
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(csv.contains("技术员 technician,配件编号 SKU"), "{csv}");
    assert!(
        csv.contains("wang,RLY-12,继电器 relay 12 V,4,6,-2,是 yes"),
        "{csv}"
    );
    let (_, xlsx) = server
        .download(&office, &format!("/v1/van-stock/{wang}?format=xlsx"))
        .await
        .unwrap();
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
