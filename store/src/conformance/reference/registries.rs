//! The customer and product registries.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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
