//! The parts catalog and the form templates, and how they reach devices.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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
