#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The reference-data endpoints refuse other roles and bad input, and a crafted upload of
//! reference data, with a clear error; the database is the same before and after.

use onsite_domain::Role;
use onsite_sync::wire::{PullRequest, ReferenceDelta, Request, Response, SyncRequest};
use onsite_tests::TestServer;
use onsite_tests::office::{call, expect};
use onsite_tests::raw::RawDevice;
use reqwest::Method;
use serde_json::{Value, json};

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
    server
        .add_catalog_part(&office, "RLY-12", "relay", 1_800, true)
        .await;
    expect(
        &server,
        &office,
        Method::PATCH,
        "/v1/parts/catalog/RLY-12",
        Some(json!({"unit_price_cents": 1_900})),
        200,
    )
    .await;
    server
        .add_catalog_part(&office, "OLD-1", "old part", 100, false)
        .await;
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
        clock: None,
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
        clock: None,
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
