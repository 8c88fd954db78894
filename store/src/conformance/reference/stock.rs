//! Restocks and van stock.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

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
