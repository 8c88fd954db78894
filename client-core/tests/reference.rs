#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Reference data on the device, against real SQLite files: the catalog fills parts
//! lines, forms are answered against their own template version, and the van stock is the
//! server's count less the uses it has not counted yet.

use std::path::Path;

use onsite_client::{Client, ErrorKind, NewJob, PartInput, StockLine, Store};
use onsite_domain::{CatalogItem, Customer, FormItem, FormTemplate, Product, Role, StockLevel};
use onsite_sync::client::{ClientCommit, ClientStore};
use onsite_sync::wire::ReferenceDelta;
use tempfile::TempDir;

const ME: &str = "tech-wang";

fn device() -> (TempDir, Client) {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open_with_session(dir.path(), ME, Role::Technician).unwrap();
    (dir, client)
}

fn job(client: &Client) -> String {
    client
        .create_job(NewJob {
            customer: Customer {
                name: "Zhang".into(),
                ..Customer::default()
            },
            product: Product {
                model: "WM-100".into(),
                ..Product::default()
            },
            fault: "no power".into(),
            complaint: false,
        })
        .unwrap()
}

fn relay() -> CatalogItem {
    CatalogItem {
        sku: "RLY-12".into(),
        name: "继电器 relay 12 V".into(),
        unit_price_cents: 1_800,
        billable: true,
        active: true,
    }
}

/// Applies a delta as a sync does (with whatever the same answer acknowledged).
fn receive(dir: &Path, delta: ReferenceDelta, acked: Vec<String>) {
    let mut store = Store::open(dir).unwrap();
    store
        .commit(ClientCommit {
            reference: Some(delta),
            acked,
            ..ClientCommit::default()
        })
        .unwrap();
}

fn outbox_hashes(dir: &Path) -> Vec<String> {
    let mut store = Store::open(dir).unwrap();
    store
        .pending(usize::MAX, &Default::default())
        .unwrap()
        .into_iter()
        .map(|p| p.hash)
        .collect()
}

#[test]
fn a_catalog_sku_is_enough_for_a_parts_line() {
    let (dir, client) = device();
    let job = job(&client);
    // Before the catalog arrives, a bare SKU is not enough, and nothing is written.
    let bare = PartInput {
        sku: "RLY-12".into(),
        quantity: 1,
        ..PartInput::default()
    };
    let err = client.record_part(&job, bare.clone()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(client.get_job(&job).unwrap().job.parts.is_empty());

    receive(
        dir.path(),
        ReferenceDelta {
            seq: 1,
            full: true,
            catalog: vec![relay()],
            ..ReferenceDelta::default()
        },
        vec![],
    );
    assert_eq!(client.parts_catalog().unwrap(), vec![relay()]);
    let filled = client.record_part(&job, bare).unwrap();
    // What the app gives wins over the catalog.
    let warranty = client
        .record_part(
            &job,
            PartInput {
                sku: "RLY-12".into(),
                quantity: 1,
                billable: Some(false),
                ..PartInput::default()
            },
        )
        .unwrap();
    let free = client
        .record_part(
            &job,
            PartInput {
                sku: "CABLE-X".into(),
                name: "cable".into(),
                quantity: 1,
                ..PartInput::default()
            },
        )
        .unwrap();
    let parts = client.get_job(&job).unwrap().job.parts;
    let line = &parts[&filled];
    assert_eq!(
        (line.name.as_str(), line.unit_price_cents, line.billable),
        ("继电器 relay 12 V", 1_800, true)
    );
    assert_eq!(
        (parts[&warranty].unit_price_cents, parts[&warranty].billable),
        (1_800, false)
    );
    assert_eq!(
        (parts[&free].unit_price_cents, parts[&free].billable),
        (0, false)
    );
}

#[test]
fn forms_are_answered_against_their_own_template_version() {
    let (dir, client) = device();
    let job = job(&client);
    let on_v1 = client.start_form(&job, "survey").unwrap();

    let mut v2 = FormTemplate::builtin();
    v2.version = 2;
    v2.items.push(FormItem {
        id: "cleanliness".into(),
        label_zh: "现场整洁".into(),
        label_en: "Tidiness on site".into(),
    });
    receive(
        dir.path(),
        ReferenceDelta {
            seq: 2,
            full: true,
            templates: vec![v2.clone()],
            ..ReferenceDelta::default()
        },
        vec![],
    );
    let templates = client.form_templates().unwrap();
    assert_eq!(templates[0], FormTemplate::builtin());
    assert_eq!(templates[1], v2);
    assert_eq!(client.form_template("csat-onsite", 2).unwrap(), v2);
    let missing = client.form_template("csat-onsite", 3).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);

    // The form started on v1 stays v1: v2's new item is not one of its items.
    let err = client
        .answer_item(&job, &on_v1, "cleanliness", 10, "")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    client.answer_item(&job, &on_v1, "overall", 8, "").unwrap();
    // A new form takes the newest version.
    let on_v2 = client.start_form(&job, "survey").unwrap();
    client
        .answer_item(&job, &on_v2, "cleanliness", 10, "")
        .unwrap();
    let pinned = client
        .start_form_from_template(&job, "self", "csat-onsite", Some(1))
        .unwrap();
    let forms = client.get_job(&job).unwrap().job.forms;
    assert_eq!(forms[&on_v1].template_version, 1);
    assert_eq!(forms[&on_v2].template_version, 2);
    assert_eq!(forms[&pinned].template_version, 1);
    let err = client
        .start_form_from_template(&job, "survey", "no-such-template", None)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn van_stock_is_the_servers_count_less_uses_not_yet_counted() {
    let (dir, client) = device();
    let job = job(&client);
    receive(
        dir.path(),
        ReferenceDelta {
            seq: 3,
            full: true,
            catalog: vec![relay()],
            stock: vec![StockLevel {
                sku: "RLY-12".into(),
                balance: 4,
            }],
            ..ReferenceDelta::default()
        },
        vec![],
    );
    let line = |balance, unsynced_use| StockLine {
        sku: "RLY-12".into(),
        name: "继电器 relay 12 V".into(),
        balance,
        unsynced_use,
        negative: balance < 0,
    };
    assert_eq!(client.van_stock().unwrap(), [line(4, 0)]);
    let hashes_before = outbox_hashes(dir.path());
    for _ in 0..3 {
        client
            .record_part(
                &job,
                PartInput {
                    sku: "RLY-12".into(),
                    quantity: 2,
                    ..PartInput::default()
                },
            )
            .unwrap();
    }
    assert_eq!(client.van_stock().unwrap(), [line(-2, 6)]);
    assert!(client.van_stock().unwrap()[0].negative);

    // The answer that acknowledges the lines brings the server's count of them: −2, and
    // nothing left uncounted.
    let all = outbox_hashes(dir.path());
    assert_eq!(all.len(), hashes_before.len() + 3);
    receive(
        dir.path(),
        ReferenceDelta {
            seq: 4,
            stock: vec![StockLevel {
                sku: "RLY-12".into(),
                balance: -2,
            }],
            ..ReferenceDelta::default()
        },
        all,
    );
    assert_eq!(client.van_stock().unwrap(), [line(-2, 0)]);
    let mut store = Store::open(dir.path()).unwrap();
    assert_eq!(store.reference_cursor().unwrap(), 4);
}
