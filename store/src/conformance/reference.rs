//! The reference repository's contract, as tests over one unit of work: generic functions that
//! each backend runs on its own unit type with [`crate::unit_conformance_tests!`].
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use automerge::ActorId;
use onsite_domain::{CatalogItem, FormItem, FormTemplate, PartLine, Role, StockLevel};
use onsite_sync::server::{Peer, ReferenceRead, ServerStore};

use super::{T, created, doc_id, edited, office, technician};
use crate::repo::accounts::{Accounts, NewAccount};
use crate::repo::reference::{
    Balance, CatalogFilter, CatalogPatch, CustomerFilter, CustomerRecord, ProductFilter,
    ProductRecord, Reference, Restock, RestockLine, StockFilter,
};
use crate::{RepoError, StoreError};

fn customer(id: &str, name: &str, phone: &str, tier: &str, region: &str) -> CustomerRecord {
    CustomerRecord {
        id: id.into(),
        name: name.into(),
        phone: phone.into(),
        address: format!("address of {id}"),
        tier: tier.into(),
        region: region.into(),
        site_distance: "near".into(),
        created_at: 0,
        updated_at: 0,
    }
}

fn product(id: &str, customer_id: &str, model: &str, serial: &str) -> ProductRecord {
    ProductRecord {
        id: id.into(),
        customer_id: customer_id.into(),
        model: model.into(),
        serial: serial.into(),
        purchase_date: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn part(sku: &str, name: &str, unit_price_cents: i64, billable: bool, active: bool) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: name.into(),
        unit_price_cents,
        billable,
        active,
    }
}

fn line(sku: &str, quantity: i64) -> RestockLine {
    RestockLine {
        sku: sku.into(),
        quantity,
    }
}

fn level(sku: &str, balance: i64) -> StockLevel {
    StockLevel {
        sku: sku.into(),
        balance,
    }
}

/// The refusal's code, or a panic naming what came instead.
fn refusal<T: std::fmt::Debug>(outcome: Result<T, RepoError>) -> &'static str {
    match outcome {
        Err(RepoError::Refused(r)) => r.code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn ids<T>(rows: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    rows.iter().map(|r| id(r).to_string()).collect()
}

fn customer_ids<U: Reference + ?Sized>(unit: &mut U, filter: CustomerFilter) -> (Vec<String>, i64) {
    let page = unit.customers(&filter).unwrap();
    (ids(&page.rows, |c| &c.id), page.total)
}

fn product_ids<U: Reference + ?Sized>(unit: &mut U, filter: ProductFilter) -> (Vec<String>, i64) {
    let page = unit.products(&filter).unwrap();
    (ids(&page.rows, |p| &p.id), page.total)
}

fn skus<U: Reference + ?Sized>(unit: &mut U, filter: CatalogFilter) -> (Vec<String>, i64) {
    let page = unit.catalog(&filter).unwrap();
    (ids(&page.rows, |i| &i.sku), page.total)
}

fn reference_read<U: ServerStore<Error = StoreError> + ?Sized>(
    unit: &mut U,
    peer: &Peer,
    after: u64,
) -> ReferenceRead {
    unit.read_reference(peer, after).unwrap()
}

fn head<U: ServerStore<Error = StoreError> + ?Sized>(unit: &mut U) -> u64 {
    reference_read(unit, &office(), 0).head
}

pub fn customers_are_created_once_found_by_id_and_updated<U: Reference + ?Sized>(unit: &mut U) {
    let new = CustomerRecord {
        created_at: 7,
        updated_at: 8,
        ..customer("c-1", "Acme Works", "021-5550100", "key", "east")
    };
    let stored = unit.create_customer(&new, T).unwrap();
    let expected = CustomerRecord {
        created_at: T,
        updated_at: T,
        ..new.clone()
    };
    assert_eq!(
        stored, expected,
        "stamped with now, whatever the record said"
    );
    assert_eq!(unit.customer("c-1").unwrap(), Some(expected.clone()));
    assert_eq!(unit.customer("c-2").unwrap(), None);
    assert_eq!(unit.customer("C-1").unwrap(), None, "ids are exact");

    let again = customer("c-1", "Someone else", "1", "general", "north");
    assert_eq!(refusal(unit.create_customer(&again, T + 1)), "id_taken");
    assert_eq!(unit.customer("c-1").unwrap(), Some(expected.clone()));

    let changed = CustomerRecord {
        id: "c-1".into(),
        name: "Acme Works (Pudong)".into(),
        phone: "021-5550111".into(),
        address: "88 Century Avenue".into(),
        tier: "general".into(),
        region: "south".into(),
        site_distance: "far".into(),
        created_at: 1,
        updated_at: T + 5_000,
    };
    unit.update_customer(&changed).unwrap();
    assert_eq!(
        unit.customer("c-1").unwrap(),
        Some(CustomerRecord {
            created_at: T,
            ..changed
        }),
        "every field but id and created_at"
    );
    // An update of a customer that is not there writes nothing.
    unit.update_customer(&customer("c-9", "Ghost", "0", "key", "east"))
        .unwrap();
    assert_eq!(unit.customer("c-9").unwrap(), None);
    let all = unit
        .customers(&CustomerFilter {
            limit: 10,
            ..CustomerFilter::default()
        })
        .unwrap();
    assert_eq!(all.total, 1);
}

pub fn products_belong_to_registered_customers<U: Reference + ?Sized>(unit: &mut U) {
    for id in ["c-1", "c-2"] {
        unit.create_customer(&customer(id, id, "0", "key", "east"), T)
            .unwrap();
    }
    let orphan = product("p-1", "c-9", "AC-200", "SN-0001");
    assert_eq!(refusal(unit.create_product(&orphan, T)), "unknown_customer");
    assert_eq!(unit.product("p-1").unwrap(), None);

    let new = ProductRecord {
        purchase_date: Some("2024-03-01".into()),
        created_at: 3,
        updated_at: 4,
        ..product("p-1", "c-1", "AC-200", "SN-0001")
    };
    let stored = unit.create_product(&new, T).unwrap();
    let expected = ProductRecord {
        created_at: T,
        updated_at: T,
        ..new.clone()
    };
    assert_eq!(stored, expected);
    assert_eq!(unit.product("p-1").unwrap(), Some(expected.clone()));
    assert_eq!(unit.product("p-2").unwrap(), None);
    assert_eq!(
        refusal(unit.create_product(&product("p-1", "c-2", "X", "Y"), T)),
        "id_taken"
    );
    assert_eq!(
        refusal(unit.create_product(&product("p-1", "c-9", "X", "Y"), T)),
        "unknown_customer",
        "the customer is checked first"
    );

    let moved_away = ProductRecord {
        customer_id: "c-9".into(),
        model: "AC-300".into(),
        ..expected.clone()
    };
    assert_eq!(
        refusal(unit.update_product(&moved_away)),
        "unknown_customer"
    );
    assert_eq!(unit.product("p-1").unwrap(), Some(expected.clone()));

    let changed = ProductRecord {
        id: "p-1".into(),
        customer_id: "c-2".into(),
        model: "AC-300".into(),
        serial: "SN-9".into(),
        purchase_date: None,
        created_at: 1,
        updated_at: T + 9_000,
    };
    unit.update_product(&changed).unwrap();
    assert_eq!(
        unit.product("p-1").unwrap(),
        Some(ProductRecord {
            created_at: T,
            ..changed.clone()
        })
    );
    let dated = ProductRecord {
        purchase_date: Some("2025-01-02".into()),
        ..changed
    };
    unit.update_product(&dated).unwrap();
    assert_eq!(
        unit.product("p-1")
            .unwrap()
            .unwrap()
            .purchase_date
            .as_deref(),
        Some("2025-01-02")
    );
    // An update of a product that is not there writes nothing.
    unit.update_product(&product("p-9", "c-1", "X", "Y"))
        .unwrap();
    assert_eq!(unit.product("p-9").unwrap(), None);
}

pub fn customers_are_listed_by_name_filtered_and_paged<U: Reference + ?Sized>(unit: &mut U) {
    for c in [
        customer("c-1", "Acme Works", "021-5550100", "key", "east"),
        customer("c-2", "acme labs", "010-5550199", "general", "north"),
        customer("c-3", "Beta 50%_off", "0755-123", "key", "east"),
        customer("c-4", "Acme Works", "020-777", "general", "east"),
        customer("c-5", "北京科技", "138-0000-5550", "gold", "north"),
    ] {
        unit.create_customer(&c, T).unwrap();
    }
    let filter = |text: Option<&str>, tier: Option<&str>, region: Option<&str>| CustomerFilter {
        text: text.map(Into::into),
        tier: tier.map(Into::into),
        region: region.map(Into::into),
        limit: 50,
        offset: 0,
    };
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // By name (character codes: capitals before small letters, Latin before Chinese),
    // then id.
    assert_eq!(
        customer_ids(unit, filter(None, None, None)),
        (list(&["c-1", "c-4", "c-3", "c-2", "c-5"]), 5)
    );
    let full = unit.customers(&filter(None, None, None)).unwrap();
    assert_eq!(
        full.rows[0],
        CustomerRecord {
            created_at: T,
            updated_at: T,
            ..customer("c-1", "Acme Works", "021-5550100", "key", "east")
        }
    );
    // The text is found anywhere in the name, ASCII letters in either case …
    for text in ["acme", "ACME", "cMe W"] {
        let expected = if text == "cMe W" {
            list(&["c-1", "c-4"])
        } else {
            list(&["c-1", "c-4", "c-2"])
        };
        let n = expected.len() as i64;
        assert_eq!(
            customer_ids(unit, filter(Some(text), None, None)),
            (expected, n),
            "{text}"
        );
    }
    // … or in the phone number.
    assert_eq!(
        customer_ids(unit, filter(Some("5550"), None, None)),
        (list(&["c-1", "c-2", "c-5"]), 3)
    );
    assert_eq!(
        customer_ids(unit, filter(Some("科技"), None, None)),
        (list(&["c-5"]), 1)
    );
    // `%`, `_` and `\` are characters to find, not wildcards.
    for text in ["%", "_", "0%_o", "%_"] {
        assert_eq!(
            customer_ids(unit, filter(Some(text), None, None)),
            (list(&["c-3"]), 1),
            "{text}"
        );
    }
    for text in ["A%W", "Acme_Works", "\\", "c%"] {
        assert_eq!(
            customer_ids(unit, filter(Some(text), None, None)),
            (list(&[]), 0),
            "{text}"
        );
    }
    // Tier and region are exact.
    assert_eq!(
        customer_ids(unit, filter(None, Some("key"), None)),
        (list(&["c-1", "c-3"]), 2)
    );
    assert_eq!(
        customer_ids(unit, filter(None, Some("KEY"), None)),
        (list(&[]), 0)
    );
    assert_eq!(
        customer_ids(unit, filter(None, None, Some("east"))),
        (list(&["c-1", "c-4", "c-3"]), 3)
    );
    assert_eq!(
        customer_ids(unit, filter(None, Some("key"), Some("east"))),
        (list(&["c-1", "c-3"]), 2)
    );
    assert_eq!(
        customer_ids(unit, filter(Some("acme"), Some("general"), None)),
        (list(&["c-4", "c-2"]), 2)
    );
    assert_eq!(
        customer_ids(unit, filter(Some("acme"), Some("general"), Some("south"))),
        (list(&[]), 0)
    );
    // Pages: the total counts every match, whatever the page.
    let page = |limit: u32, offset: u32| CustomerFilter {
        limit,
        offset,
        ..CustomerFilter::default()
    };
    assert_eq!(customer_ids(unit, page(2, 0)), (list(&["c-1", "c-4"]), 5));
    assert_eq!(customer_ids(unit, page(2, 2)), (list(&["c-3", "c-2"]), 5));
    assert_eq!(customer_ids(unit, page(2, 4)), (list(&["c-5"]), 5));
    assert_eq!(customer_ids(unit, page(2, 5)), (list(&[]), 5));
    assert_eq!(
        customer_ids(unit, page(0, 0)),
        (list(&[]), 5),
        "the count only"
    );
    let east_page = CustomerFilter {
        region: Some("east".into()),
        limit: 1,
        offset: 1,
        ..CustomerFilter::default()
    };
    assert_eq!(customer_ids(unit, east_page), (list(&["c-4"]), 3));
}

pub fn products_are_listed_by_model_and_serial_filtered_and_paged<U: Reference + ?Sized>(
    unit: &mut U,
) {
    for id in ["c-1", "c-2"] {
        unit.create_customer(&customer(id, id, "0", "key", "east"), T)
            .unwrap();
    }
    for p in [
        ProductRecord {
            purchase_date: Some("2024-03-01".into()),
            ..product("p-1", "c-1", "AC-200", "SN-0001")
        },
        product("p-2", "c-1", "AC-100", "SN-0100"),
        ProductRecord {
            purchase_date: Some("2023-12-31".into()),
            ..product("p-3", "c-2", "AC-200", "sn-0002")
        },
        product("p-4", "c-2", "AC-200", "SN-0001"),
        product("p-5", "c-2", "HP_9", "X%1"),
    ] {
        unit.create_product(&p, T).unwrap();
    }
    let filter =
        |customer: Option<&str>, model: Option<&str>, serial: Option<&str>| ProductFilter {
            customer_id: customer.map(Into::into),
            model: model.map(Into::into),
            serial: serial.map(Into::into),
            limit: 50,
            offset: 0,
        };
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // By model, then serial (capitals first), then id.
    assert_eq!(
        product_ids(unit, filter(None, None, None)),
        (list(&["p-2", "p-1", "p-4", "p-3", "p-5"]), 5)
    );
    let rows = unit.products(&filter(None, None, None)).unwrap().rows;
    assert_eq!(
        rows[1],
        ProductRecord {
            purchase_date: Some("2024-03-01".into()),
            created_at: T,
            updated_at: T,
            ..product("p-1", "c-1", "AC-200", "SN-0001")
        }
    );
    assert_eq!(rows[0].purchase_date, None);
    assert_eq!(
        product_ids(unit, filter(Some("c-1"), None, None)),
        (list(&["p-2", "p-1"]), 2)
    );
    assert_eq!(
        product_ids(unit, filter(Some("c-2"), None, None)),
        (list(&["p-4", "p-3", "p-5"]), 3)
    );
    assert_eq!(
        product_ids(unit, filter(Some("c-9"), None, None)),
        (list(&[]), 0)
    );
    // The model is exact; the serial is found anywhere, ASCII letters in either case.
    assert_eq!(
        product_ids(unit, filter(None, Some("AC-200"), None)),
        (list(&["p-1", "p-4", "p-3"]), 3)
    );
    assert_eq!(
        product_ids(unit, filter(None, Some("ac-200"), None)),
        (list(&[]), 0)
    );
    assert_eq!(
        product_ids(unit, filter(None, Some("AC-20"), None)),
        (list(&[]), 0)
    );
    assert_eq!(
        product_ids(unit, filter(None, None, Some("sn-000"))),
        (list(&["p-1", "p-4", "p-3"]), 3)
    );
    assert_eq!(
        product_ids(unit, filter(None, None, Some("0001"))),
        (list(&["p-1", "p-4"]), 2)
    );
    assert_eq!(
        product_ids(unit, filter(None, None, Some("%"))),
        (list(&["p-5"]), 1)
    );
    assert_eq!(
        product_ids(unit, filter(None, None, Some("SN_0"))),
        (list(&[]), 0),
        "`_` is a character to find"
    );
    assert_eq!(
        product_ids(unit, filter(Some("c-2"), Some("AC-200"), Some("0001"))),
        (list(&["p-4"]), 1)
    );
    let page = |limit: u32, offset: u32| ProductFilter {
        limit,
        offset,
        ..ProductFilter::default()
    };
    assert_eq!(product_ids(unit, page(2, 1)), (list(&["p-1", "p-4"]), 5));
    assert_eq!(product_ids(unit, page(3, 3)), (list(&["p-3", "p-5"]), 5));
    assert_eq!(product_ids(unit, page(0, 0)), (list(&[]), 5));
}

pub fn catalog_parts_are_created_once_and_listed_by_sku<U: Reference + ?Sized>(unit: &mut U) {
    let parts = [
        part("RLY-12", "Relay 12V", 1500, true, true),
        part("FUSE-3A", "Fuse 3A", 200, false, true),
        part("OLD-1", "Old relay", 900, true, false),
        part("BRD_X", "Board 50% kit", 12000, true, true),
        part("继电器-5", "继电器 5V", 800, true, true),
    ];
    for p in &parts {
        unit.create_catalog_item(p, T).unwrap();
    }
    assert_eq!(unit.catalog_item("RLY-12").unwrap(), Some(parts[0].clone()));
    assert_eq!(unit.catalog_item("OLD-1").unwrap(), Some(parts[2].clone()));
    assert_eq!(unit.catalog_item("rly-12").unwrap(), None, "SKUs are exact");
    assert_eq!(unit.catalog_item("NOPE").unwrap(), None);
    assert_eq!(
        refusal(unit.create_catalog_item(&part("RLY-12", "Other", 1, false, false), T)),
        "sku_taken"
    );
    assert_eq!(unit.catalog_item("RLY-12").unwrap(), Some(parts[0].clone()));

    let filter = |active: Option<bool>, text: Option<&str>| CatalogFilter {
        active,
        text: text.map(Into::into),
        limit: 50,
        offset: 0,
    };
    let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let all = unit.catalog(&filter(None, None)).unwrap();
    assert_eq!(all.total, 5);
    assert_eq!(
        all.rows,
        vec![
            parts[3].clone(),
            parts[1].clone(),
            parts[2].clone(),
            parts[0].clone(),
            parts[4].clone()
        ],
        "by SKU, character codes"
    );
    assert_eq!(
        skus(unit, filter(Some(true), None)),
        (list(&["BRD_X", "FUSE-3A", "RLY-12", "继电器-5"]), 4)
    );
    assert_eq!(skus(unit, filter(Some(false), None)), (list(&["OLD-1"]), 1));
    // The text is found in the SKU or the name, ASCII letters in either case.
    assert_eq!(
        skus(unit, filter(None, Some("relay"))),
        (list(&["OLD-1", "RLY-12"]), 2)
    );
    assert_eq!(
        skus(unit, filter(None, Some("rly"))),
        (list(&["RLY-12"]), 1)
    );
    assert_eq!(
        skus(unit, filter(None, Some("-"))),
        (list(&["FUSE-3A", "OLD-1", "RLY-12", "继电器-5"]), 4)
    );
    assert_eq!(
        skus(unit, filter(None, Some("继电器"))),
        (list(&["继电器-5"]), 1)
    );
    for text in ["_", "%", "50% k"] {
        assert_eq!(
            skus(unit, filter(None, Some(text))),
            (list(&["BRD_X"]), 1),
            "{text}"
        );
    }
    assert_eq!(skus(unit, filter(None, Some("R%2"))), (list(&[]), 0));
    assert_eq!(
        skus(unit, filter(Some(true), Some("relay"))),
        (list(&["RLY-12"]), 1)
    );
    assert_eq!(
        skus(unit, filter(Some(false), Some("fuse"))),
        (list(&[]), 0)
    );
    let page = |limit: u32, offset: u32| CatalogFilter {
        limit,
        offset,
        ..CatalogFilter::default()
    };
    assert_eq!(skus(unit, page(2, 3)), (list(&["RLY-12", "继电器-5"]), 5));
    assert_eq!(skus(unit, page(2, 0)), (list(&["BRD_X", "FUSE-3A"]), 5));
    assert_eq!(skus(unit, page(0, 0)), (list(&[]), 5));
    let active_page = CatalogFilter {
        active: Some(true),
        limit: 2,
        offset: 1,
        ..CatalogFilter::default()
    };
    assert_eq!(skus(unit, active_page), (list(&["FUSE-3A", "RLY-12"]), 4));
}

/// Devices hold the catalog: every write that changes a part bumps the reference sequence
/// and the reference read after the old head finds the part; a write that changes nothing
/// is not sent again.
pub fn catalog_writes_reach_devices_through_the_reference_read<
    U: Reference + ServerStore<Error = StoreError> + ?Sized,
>(
    unit: &mut U,
) {
    let tech = technician("tech-1");
    let start = head(unit);
    let relay = part("RLY-12", "Relay 12V", 1500, true, true);
    unit.create_catalog_item(&relay, T).unwrap();
    let read = reference_read(unit, &tech, start);
    assert_eq!(read.head, start + 1);
    assert_eq!(read.catalog, vec![relay.clone()]);
    assert!(read.templates.is_empty() && read.stock.is_empty());
    let created = read.head;
    // The back office receives the catalog too.
    assert_eq!(
        reference_read(unit, &office(), start).catalog,
        vec![relay.clone()]
    );
    // A refused create takes no number.
    assert_eq!(
        refusal(unit.create_catalog_item(&part("RLY-12", "x", 1, true, true), T)),
        "sku_taken"
    );
    assert_eq!(head(unit), created);

    let priced = CatalogPatch {
        unit_price_cents: Some(1800),
        ..CatalogPatch::default()
    };
    let dearer = CatalogItem {
        unit_price_cents: 1800,
        ..relay.clone()
    };
    assert_eq!(
        unit.update_catalog_item("RLY-12", &priced, T + 1).unwrap(),
        Some(dearer.clone())
    );
    assert_eq!(unit.catalog_item("RLY-12").unwrap(), Some(dearer.clone()));
    let read = reference_read(unit, &tech, created);
    assert_eq!(
        (read.head, read.catalog),
        (created + 1, vec![dearer.clone()])
    );
    let updated = created + 1;

    // Patches that change nothing write nothing.
    let same = CatalogPatch {
        name: Some("Relay 12V".into()),
        unit_price_cents: Some(1800),
        billable: Some(true),
        active: Some(true),
    };
    for patch in [CatalogPatch::default(), same] {
        assert_eq!(
            unit.update_catalog_item("RLY-12", &patch, T + 2).unwrap(),
            Some(dearer.clone())
        );
    }
    let read = reference_read(unit, &tech, updated);
    assert_eq!(read.head, updated);
    assert!(read.catalog.is_empty());
    // An unknown part is no write either.
    assert_eq!(
        unit.update_catalog_item("NOPE", &priced, T + 3).unwrap(),
        None
    );
    assert_eq!(unit.catalog_item("NOPE").unwrap(), None);
    assert_eq!(head(unit), updated);

    // Every field a patch names changes.
    let retired = CatalogPatch {
        name: Some("Relay 12V (old)".into()),
        unit_price_cents: Some(0),
        billable: Some(false),
        active: Some(false),
    };
    let expected = part("RLY-12", "Relay 12V (old)", 0, false, false);
    assert_eq!(
        unit.update_catalog_item("RLY-12", &retired, T + 4).unwrap(),
        Some(expected.clone())
    );
    let fuse = part("FUSE-3A", "Fuse 3A", 200, false, true);
    unit.create_catalog_item(&fuse, T + 5).unwrap();
    // A device that had nothing gets each part once, as it is now, by SKU; one that had
    // everything gets nothing.
    let read = reference_read(unit, &tech, start);
    assert_eq!(read.head, updated + 2);
    assert_eq!(read.catalog, vec![fuse, expected]);
    assert!(reference_read(unit, &tech, updated + 2).catalog.is_empty());
    assert_eq!(
        reference_read(unit, &tech, updated + 1).catalog.len(),
        1,
        "the parts written after the cursor only"
    );
}

fn draft(id: &str, items: usize, title_en: &str) -> FormTemplate {
    let mut t = FormTemplate::builtin();
    t.id = id.into();
    t.version = 77;
    t.title_en = title_en.into();
    t.items.truncate(items);
    t
}

pub fn templates_are_versioned_after_the_builtin_and_reach_devices<
    U: Reference + ServerStore<Error = StoreError> + ?Sized,
>(
    unit: &mut U,
) {
    let builtin = FormTemplate::builtin();
    assert_eq!(builtin.id, "csat-onsite");
    assert_eq!(builtin.version, 1);
    assert_eq!(
        unit.template("csat-onsite", 1).unwrap(),
        Some(builtin.clone())
    );
    assert_eq!(unit.template("csat-onsite", 2).unwrap(), None);
    assert_eq!(unit.templates(None).unwrap(), vec![builtin.clone()]);
    let start = head(unit);

    let v2 = unit
        .publish_template(&draft("csat-onsite", 3, "Short form"), "office-1", T)
        .unwrap();
    let expected_v2 = FormTemplate {
        version: 2,
        ..draft("csat-onsite", 3, "Short form")
    };
    assert_eq!(
        v2, expected_v2,
        "v1 is built in; the draft's version is ignored"
    );
    let v3 = unit
        .publish_template(&draft("csat-onsite", 5, "Five items"), "office-1", T + 1)
        .unwrap();
    let expected_v3 = FormTemplate {
        version: 3,
        ..draft("csat-onsite", 5, "Five items")
    };
    assert_eq!(v3, expected_v3);
    let callback = unit
        .publish_template(&draft("callback", 2, "Callback"), "office-2", T + 2)
        .unwrap();
    let expected_callback = FormTemplate {
        version: 1,
        ..draft("callback", 2, "Callback")
    };
    assert_eq!(callback, expected_callback, "a new template starts at 1");

    assert_eq!(
        unit.template("csat-onsite", 1).unwrap(),
        Some(builtin.clone())
    );
    assert_eq!(
        unit.template("csat-onsite", 2).unwrap(),
        Some(expected_v2.clone())
    );
    assert_eq!(
        unit.template("csat-onsite", 3).unwrap(),
        Some(expected_v3.clone())
    );
    assert_eq!(
        unit.template("callback", 1).unwrap(),
        Some(expected_callback.clone())
    );
    assert_eq!(unit.template("callback", 2).unwrap(), None);
    assert_eq!(unit.template("callback", 0).unwrap(), None);
    assert_eq!(unit.template("other", 1).unwrap(), None);

    // The built-in first, then by id and version.
    assert_eq!(
        unit.templates(None).unwrap(),
        vec![
            builtin.clone(),
            expected_callback.clone(),
            expected_v2.clone(),
            expected_v3.clone()
        ]
    );
    assert_eq!(
        unit.templates(Some("csat-onsite")).unwrap(),
        vec![builtin.clone(), expected_v2.clone(), expected_v3.clone()]
    );
    assert_eq!(
        unit.templates(Some("callback")).unwrap(),
        vec![expected_callback.clone()]
    );
    assert_eq!(unit.templates(Some("other")).unwrap(), vec![]);

    // Each version went out as one reference write, in id and version order.
    let read = reference_read(unit, &technician("tech-1"), start);
    assert_eq!(read.head, start + 3);
    assert_eq!(
        read.templates,
        vec![
            expected_callback.clone(),
            expected_v2.clone(),
            expected_v3.clone()
        ]
    );
    assert!(read.catalog.is_empty());
    assert_eq!(
        reference_read(unit, &office(), start + 1).templates,
        vec![expected_callback.clone(), expected_v3.clone()]
    );

    // A bad draft is refused, takes no number and no version.
    let published = start + 3;
    let no_items = draft("csat-onsite", 0, "Empty");
    let bad_id = draft("Csat Onsite", 2, "Bad id");
    let mut twice = draft("csat-onsite", 2, "Same item twice");
    twice.items[1].id = twice.items[0].id.clone();
    let untitled = draft("csat-onsite", 2, " ");
    for bad in [no_items, bad_id, twice, untitled] {
        assert_eq!(
            refusal(unit.publish_template(&bad, "office-1", T + 3)),
            "bad_template",
            "{bad:?}"
        );
    }
    assert_eq!(head(unit), published);
    assert_eq!(unit.templates(None).unwrap().len(), 4);
    let custom = FormTemplate {
        id: "csat-onsite".into(),
        version: 0,
        title_zh: "回访".into(),
        title_en: "Follow-up".into(),
        items: vec![FormItem {
            id: "on-time".into(),
            label_zh: "准时".into(),
            label_en: "On time".into(),
        }],
        suggestion_zh: String::new(),
        suggestion_en: String::new(),
    };
    let v4 = unit.publish_template(&custom, "office-1", T + 4).unwrap();
    assert_eq!(
        v4,
        FormTemplate {
            version: 4,
            ..custom
        }
    );
    assert_eq!(unit.template("csat-onsite", 4).unwrap(), Some(v4.clone()));
    let read = reference_read(unit, &technician("tech-1"), published);
    assert_eq!((read.head, read.templates), (published + 1, vec![v4]));
}

fn restock_catalog<U: Reference + ?Sized>(unit: &mut U) {
    for p in [
        part("RLY-12", "Relay 12V", 1500, true, true),
        part("FUSE-3A", "Fuse 3A", 200, false, true),
        part("OLD-1", "Old relay", 900, true, false),
    ] {
        unit.create_catalog_item(&p, T).unwrap();
    }
}

/// A restock is all its lines or none: the first bad line (by quantity, then SKU) refuses
/// it, and nothing of it is written or numbered.
pub fn a_bad_restock_line_refuses_the_whole_restock<
    U: Reference + ServerStore<Error = StoreError> + ?Sized,
>(
    unit: &mut U,
) {
    restock_catalog(unit);
    let start = head(unit);
    for (lines, code) in [
        (vec![line("RLY-12", 2), line("NOPE", 1)], "unknown_sku"),
        (vec![line("RLY-12", 2), line("OLD-1", 1)], "inactive_sku"),
        (vec![line("RLY-12", 2), line("FUSE-3A", 0)], "bad_quantity"),
        (vec![line("RLY-12", 2), line("FUSE-3A", -1)], "bad_quantity"),
        (vec![line("NOPE", 0)], "bad_quantity"),
        (vec![line("OLD-1", -3)], "bad_quantity"),
        (vec![line("NOPE", 1), line("FUSE-3A", 0)], "unknown_sku"),
        (vec![line("OLD-1", 1), line("NOPE", 1)], "inactive_sku"),
        (vec![line("rly-12", 1)], "unknown_sku"),
    ] {
        assert_eq!(
            refusal(unit.restock("tech-1", &lines, "", "office-1", T)),
            code,
            "{lines:?}"
        );
    }
    assert_eq!(unit.restocks("tech-1", 10).unwrap(), vec![]);
    let read = reference_read(unit, &technician("tech-1"), start);
    assert_eq!(read.head, start);
    assert!(read.stock.is_empty());
    // A good restock after them is whole.
    let ids = unit
        .restock(
            "tech-1",
            &[line("RLY-12", 2), line("FUSE-3A", 1)],
            "",
            "office-1",
            T,
        )
        .unwrap();
    assert_eq!(ids.len(), 2);
    let read = reference_read(unit, &technician("tech-1"), start);
    assert_eq!(read.head, start + 1, "one number for the whole restock");
    assert_eq!(read.stock, vec![level("FUSE-3A", 1), level("RLY-12", 2)]);
}

pub fn restocks_are_listed_newest_first_per_technician<U: Reference + ?Sized>(unit: &mut U) {
    restock_catalog(unit);
    let first = unit
        .restock(
            "tech-1",
            &[line("RLY-12", 4), line("FUSE-3A", 2)],
            "weekly",
            "office-1",
            T,
        )
        .unwrap();
    let second = unit
        .restock("tech-1", &[line("RLY-12", 1)], "", "office-2", T + 1_000)
        .unwrap();
    let other = unit
        .restock(
            "tech-2",
            &[line("FUSE-3A", 5)],
            "new van",
            "office-1",
            T + 2_000,
        )
        .unwrap();
    assert_eq!((first.len(), second.len(), other.len()), (2, 1, 1));
    assert!(
        first[0] < first[1] && first[1] < second[0] && second[0] < other[0],
        "ledger ids grow: {first:?} {second:?} {other:?}"
    );
    let restock = |id: i64, sku: &str, quantity: i64, note: &str, by: &str, at: i64| Restock {
        id,
        sku: sku.into(),
        quantity,
        note: note.into(),
        by: by.into(),
        at,
    };
    let tech1 = vec![
        restock(second[0], "RLY-12", 1, "", "office-2", T + 1_000),
        restock(first[1], "FUSE-3A", 2, "weekly", "office-1", T),
        restock(first[0], "RLY-12", 4, "weekly", "office-1", T),
    ];
    assert_eq!(unit.restocks("tech-1", 10).unwrap(), tech1);
    assert_eq!(unit.restocks("tech-1", 2).unwrap(), tech1[..2].to_vec());
    assert_eq!(unit.restocks("tech-1", 0).unwrap(), vec![]);
    assert_eq!(
        unit.restocks("tech-2", 10).unwrap(),
        vec![restock(
            other[0],
            "FUSE-3A",
            5,
            "new van",
            "office-1",
            T + 2_000
        )]
    );
    assert_eq!(unit.restocks("tech-3", 10).unwrap(), vec![]);
    // An empty restock records nothing.
    assert_eq!(
        unit.restock("tech-3", &[], "nothing", "office-1", T)
            .unwrap(),
        Vec::<i64>::new()
    );
    assert_eq!(unit.restocks("tech-3", 10).unwrap(), vec![]);
    // A part retired later keeps its history.
    let retire = CatalogPatch {
        active: Some(false),
        ..CatalogPatch::default()
    };
    unit.update_catalog_item("FUSE-3A", &retire, T + 3_000)
        .unwrap();
    assert_eq!(unit.restocks("tech-2", 10).unwrap().len(), 1);
    assert_eq!(
        refusal(unit.restock("tech-2", &[line("FUSE-3A", 1)], "", "office-1", T)),
        "inactive_sku"
    );
}

fn used(id: &str, sku: &str, quantity: i64, by: &str) -> PartLine {
    PartLine {
        id: id.into(),
        sku: sku.into(),
        name: String::new(),
        quantity,
        unit_price_cents: 0,
        billable: false,
        serials_removed: vec![],
        serials_installed: vec![],
        at: T,
        by: by.into(),
    }
}

/// A technician's device receives the balances that moved after its cursor: restocks
/// minus the parts lines the technician recorded, negative when more was used.
pub fn van_stock_reaches_the_technician_as_restocks_minus_their_parts_lines<
    U: Reference + ServerStore<Error = StoreError> + ?Sized,
>(
    unit: &mut U,
) {
    restock_catalog(unit);
    let start = head(unit);
    unit.restock("tech-1", &[line("RLY-12", 4)], "", "office-1", T)
        .unwrap();
    let restocked = start + 1;
    let read = reference_read(unit, &technician("tech-1"), start);
    assert_eq!(
        (read.head, read.stock),
        (restocked, vec![level("RLY-12", 4)])
    );
    assert!(read.catalog.is_empty() && read.templates.is_empty());
    let other = reference_read(unit, &technician("tech-2"), start);
    assert_eq!((other.head, other.stock), (restocked, vec![]));
    assert!(
        reference_read(unit, &office(), start).stock.is_empty(),
        "the back office has no van"
    );

    let id = doc_id(80);
    let actor = ActorId::random();
    let (mut doc, write) = created(&id, Some("tech-1"), &actor);
    unit.commit(&office(), vec![write]).unwrap();
    assert_eq!(head(unit), restocked, "a job without parts moves no stock");
    let write = edited(&mut doc, &id, &actor, |j| {
        for l in [
            used("a1", "RLY-12", 3, "tech-1"),
            used("a2", "FREE-9", 1, "tech-1"),
            used("a3", "RLY-12", 5, "tech-2"),
            used("a4", "FUSE-3A", 1, "office-1"),
        ] {
            j.parts.insert(l.id.clone(), l);
        }
    });
    unit.commit(&office(), vec![write]).unwrap();
    let read = reference_read(unit, &technician("tech-1"), restocked);
    let lines_in = read.head;
    assert!(lines_in > restocked);
    assert_eq!(
        read.stock,
        vec![level("FREE-9", -1), level("RLY-12", 1)],
        "a part outside the catalog counts, and goes below zero"
    );
    assert_eq!(
        reference_read(unit, &technician("tech-2"), restocked).stock,
        vec![level("RLY-12", -5)]
    );
    assert!(
        reference_read(unit, &technician("tech-1"), lines_in)
            .stock
            .is_empty()
    );

    unit.restock("tech-1", &[line("RLY-12", 10)], "", "office-1", T + 1)
        .unwrap();
    let read = reference_read(unit, &technician("tech-1"), lines_in);
    assert_eq!(
        (read.head, read.stock),
        (lines_in + 1, vec![level("RLY-12", 11)])
    );
    assert!(
        reference_read(unit, &technician("tech-2"), lines_in)
            .stock
            .is_empty()
    );
    // A device starting over gets every balance of its technician once.
    assert_eq!(
        reference_read(unit, &technician("tech-1"), 0).stock,
        vec![level("FREE-9", -1), level("RLY-12", 11)]
    );
}

/// The back office's stock list: technicians only, by name, then SKU; restocked, used and
/// the balance, with the catalog's name of the part.
pub fn stock_balances_are_listed_by_technician_and_part_and_filtered<
    U: Reference + Accounts + ServerStore<Error = StoreError> + ?Sized,
>(
    unit: &mut U,
) {
    let account = |unit: &mut U, username: &str, name: &str, role: Role| {
        unit.create_account(&NewAccount {
            username: username.into(),
            display_name: name.into(),
            role,
            password_hash: "not a real hash".into(),
        })
        .unwrap()
        .id
    };
    let wang = account(unit, "wang", "Wang", Role::Technician);
    let li = account(unit, "li", "Li", Role::Technician);
    let zhao = account(unit, "zhao", "Zhao", Role::Technician);
    let office_id = account(unit, "office", "Office", Role::BackOffice);
    restock_catalog(unit);
    unit.restock(
        &wang,
        &[line("RLY-12", 4), line("FUSE-3A", 2)],
        "",
        &office_id,
        T,
    )
    .unwrap();
    unit.restock(&wang, &[line("RLY-12", 6)], "", &office_id, T)
        .unwrap();
    unit.restock(&li, &[line("FUSE-3A", 1)], "", &office_id, T)
        .unwrap();
    // A van that is nobody's account is not listed.
    unit.restock("ghost", &[line("RLY-12", 1)], "", &office_id, T)
        .unwrap();

    let id = doc_id(90);
    let actor = ActorId::random();
    let (mut doc, write) = created(&id, Some(wang.as_str()), &actor);
    unit.commit(&office(), vec![write]).unwrap();
    let write = edited(&mut doc, &id, &actor, |j| {
        for l in [
            used("a1", "RLY-12", 3, &wang),
            used("a2", "RLY-12", 9, &wang),
            used("a3", "FREE-9", 1, &wang),
            used("a4", "FUSE-3A", 3, &li),
            used("a5", "RLY-12", 2, &office_id),
        ] {
            j.parts.insert(l.id.clone(), l);
        }
    });
    unit.commit(&office(), vec![write]).unwrap();

    let balance =
        |tech: &str, name: &str, sku: &str, part: &str, restocked: i64, used: i64| Balance {
            technician_id: tech.into(),
            technician_name: name.into(),
            sku: sku.into(),
            name: part.into(),
            restocked,
            used,
            balance: restocked - used,
            negative: restocked < used,
        };
    let li_fuse = balance(&li, "Li", "FUSE-3A", "Fuse 3A", 1, 3);
    let wang_free = balance(&wang, "Wang", "FREE-9", "", 0, 1);
    let wang_fuse = balance(&wang, "Wang", "FUSE-3A", "Fuse 3A", 2, 0);
    let wang_relay = balance(&wang, "Wang", "RLY-12", "Relay 12V", 10, 12);
    assert_eq!(
        unit.stock_balances(&StockFilter::default()).unwrap(),
        vec![
            li_fuse.clone(),
            wang_free.clone(),
            wang_fuse.clone(),
            wang_relay.clone()
        ],
        "Zhao has no stock; the back office and unknown vans are not technicians"
    );
    let by = |technician: Option<&str>, sku: Option<&str>, negative: Option<bool>| StockFilter {
        technician: technician.map(Into::into),
        sku: sku.map(Into::into),
        negative,
    };
    assert_eq!(
        unit.stock_balances(&by(Some(&wang), None, None)).unwrap(),
        vec![wang_free.clone(), wang_fuse.clone(), wang_relay.clone()]
    );
    assert_eq!(
        unit.stock_balances(&by(None, Some("FUSE-3A"), None))
            .unwrap(),
        vec![li_fuse.clone(), wang_fuse.clone()]
    );
    assert_eq!(
        unit.stock_balances(&by(Some(&li), Some("FUSE-3A"), None))
            .unwrap(),
        vec![li_fuse.clone()]
    );
    assert_eq!(
        unit.stock_balances(&by(None, None, Some(true))).unwrap(),
        vec![li_fuse.clone(), wang_free.clone(), wang_relay.clone()]
    );
    assert_eq!(
        unit.stock_balances(&by(None, None, Some(false))).unwrap(),
        vec![wang_fuse.clone()]
    );
    assert_eq!(
        unit.stock_balances(&by(Some(&wang), Some("RLY-12"), Some(false)))
            .unwrap(),
        vec![]
    );
    assert_eq!(
        unit.stock_balances(&by(Some(&zhao), None, None)).unwrap(),
        vec![]
    );
    assert_eq!(
        unit.stock_balances(&by(Some("ghost"), None, None)).unwrap(),
        vec![]
    );
    assert_eq!(
        unit.stock_balances(&by(Some(&office_id), None, None))
            .unwrap(),
        vec![]
    );

    // Restocked back to exactly zero is not negative.
    unit.restock(&wang, &[line("RLY-12", 2)], "", &office_id, T + 1)
        .unwrap();
    assert_eq!(
        unit.stock_balances(&by(Some(&wang), Some("RLY-12"), None))
            .unwrap(),
        vec![balance(&wang, "Wang", "RLY-12", "Relay 12V", 12, 12)]
    );
    assert_eq!(
        unit.stock_balances(&by(None, None, Some(true))).unwrap(),
        vec![li_fuse, wang_free]
    );
}

/// The tests of this file, for [`crate::unit_conformance_tests!`].
///
#[macro_export]
#[doc(hidden)]
macro_rules! reference_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; reference;
            customers_are_created_once_found_by_id_and_updated,
            products_belong_to_registered_customers,
            customers_are_listed_by_name_filtered_and_paged,
            products_are_listed_by_model_and_serial_filtered_and_paged,
            catalog_parts_are_created_once_and_listed_by_sku,
            catalog_writes_reach_devices_through_the_reference_read,
            templates_are_versioned_after_the_builtin_and_reach_devices,
            a_bad_restock_line_refuses_the_whole_restock,
            restocks_are_listed_newest_first_per_technician,
            van_stock_reaches_the_technician_as_restocks_minus_their_parts_lines,
            stock_balances_are_listed_by_technician_and_part_and_filtered,
        );
    };
}
