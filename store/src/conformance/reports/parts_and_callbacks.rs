//! Parts consumption, and the monthly callback sample.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

pub fn parts_consumption_and_remaining_per_model_and_part<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let mut a = job("a", "t1", "key", "M1", "east", ms("2026-11-01", 8));
    a.parts = [
        line("l1", "RELAY", 2, false, ms("2026-11-03", 9)),
        line("l2", "FAN", 1, true, ms("2026-11-03", 9)),
        line("l0", "RELAY", 1, false, ms("2026-10-03", 9)),
        line("l4", "RELAY", 3, true, ms("2026-11-30", 23)),
    ]
    .into_iter()
    .collect();
    let mut b = job("b", "t2", "key", "M2", "east", ms("2026-11-01", 8));
    b.parts = [line("l3", "RELAY", 5, true, ms("2026-11-05", 9))]
        .into_iter()
        .collect();
    store(unit, &[a, b]);
    let first = unit
        .add_parts_batch(&batch("RELAY", "M1", 10, "2026-09-01"))
        .unwrap();
    assert_eq!(
        Batch {
            id: 0,
            ..first.clone()
        },
        Batch {
            id: 0,
            sku: "RELAY".into(),
            product_model: "M1".into(),
            quantity: 10,
            bought_on: "2026-09-01".into(),
        }
    );
    let second = unit
        .add_parts_batch(&batch("RELAY", "M1", 10, "2026-12-01"))
        .unwrap();
    assert!(second.id > first.id);
    unit.add_parts_batch(&batch("FAN", "M1", 4, "2026-11-30"))
        .unwrap();
    unit.add_parts_batch(&batch("FAN", "M3", 2, "2026-11-01"))
        .unwrap();

    let nov = month("2026-11");
    let consumption = |sku: &str, model: &str, lines: u64, q: (i64, i64, i64)| Consumption {
        sku: sku.into(),
        name: format!("part {sku}"),
        product_model: model.into(),
        lines,
        quantity: q.0,
        billable_quantity: q.1,
        warranty_quantity: q.2,
        cost_cents: q.0 * 1_000,
    };
    // October's line is not November's.
    assert_eq!(
        unit.parts_consumption(&nov, None, None).unwrap(),
        [
            consumption("FAN", "M1", 1, (1, 1, 0)),
            consumption("RELAY", "M1", 2, (5, 3, 2)),
            consumption("RELAY", "M2", 1, (5, 5, 0)),
        ]
    );
    assert_eq!(
        unit.parts_consumption(&nov, Some("M1"), Some("RELAY"))
            .unwrap(),
        [consumption("RELAY", "M1", 2, (5, 3, 2))]
    );
    assert_eq!(
        unit.parts_consumption(&nov, None, Some("RELAY")).unwrap(),
        [
            consumption("RELAY", "M1", 2, (5, 3, 2)),
            consumption("RELAY", "M2", 1, (5, 5, 0)),
        ]
    );
    assert!(
        unit.parts_consumption(&month("2026-12"), None, None)
            .unwrap()
            .is_empty()
    );
    // Bought by the end of November: RELAY on M1 10 (December's batch not yet), used
    // 1 + 2 + 3 since ever; FAN on M1 4, used 1; FAN on M3 2, never used. RELAY on M2 has
    // no batch: not listed.
    assert_eq!(
        unit.parts_remaining(&nov, None, None).unwrap(),
        [
            remaining("M1", "FAN", 4, 1),
            remaining("M1", "RELAY", 10, 6),
            remaining("M3", "FAN", 2, 0),
        ]
    );
    assert!(
        (unit.parts_remaining(&nov, None, None).unwrap()[1]
            .coefficient()
            .unwrap()
            - 0.4)
            .abs()
            < 1e-9
    );
    assert_eq!(
        unit.parts_remaining(&month("2026-12"), Some("M1"), Some("RELAY"))
            .unwrap(),
        [remaining("M1", "RELAY", 20, 6)]
    );
    assert_eq!(
        unit.parts_remaining(&nov, None, Some("FAN")).unwrap(),
        [remaining("M1", "FAN", 4, 1), remaining("M3", "FAN", 2, 0)]
    );
    // In October: the September batch, October's use only; FAN was bought later.
    assert_eq!(
        unit.parts_remaining(&month("2026-10"), None, None).unwrap(),
        [remaining("M1", "RELAY", 10, 1)]
    );
}

pub fn the_callback_sample_is_drawn_from_one_job_per_customer_seeded_by_month<
    U: ServerStore<Error = StoreError> + Reports + ?Sized,
>(
    unit: &mut U,
) {
    let mut jobs = Vec::new();
    for n in 0..30 {
        let mut j = job(
            &format!("j{n:02}"),
            "t1",
            "key",
            "M1",
            "east",
            ms("2026-11-01", 8),
        );
        // Customers c00..c19; the first ten have a second job, completed later.
        j.customer.id = format!("c{:02}", n % 20);
        j.events = vec![ev(EventKind::Completed, ms("2026-11-10", 8) + n, "t1")];
        jobs.push(j);
    }
    // A customer without an id is their name and phone.
    let mut anonymous = job("anon", "t2", "general", "M2", "west", ms("2026-11-01", 8));
    anonymous.customer.phone = "138".into();
    anonymous.events = vec![ev(EventKind::Completed, ms("2026-11-30", 23), "t2")];
    anonymous.forms = [(
        "cb".to_string(),
        form("cb", "callback", &[8], Some(ms("2026-12-01", 9))),
    )]
    .into_iter()
    .collect();
    jobs.push(anonymous);
    // Not in November: completed in October, or not completed.
    let mut october = job("oct", "t1", "key", "M1", "east", ms("2026-10-01", 8));
    october.customer.id = "c99".into();
    october.events = vec![ev(EventKind::Completed, ms("2026-10-10", 8), "t1")];
    jobs.push(october);
    let mut open = job("open", "t1", "key", "M1", "east", ms("2026-11-01", 8));
    open.customer.id = "c98".into();
    jobs.push(open);
    store(unit, &jobs);

    let nov = month("2026-11");
    let all = unit.callback_sample(&nov, 100).unwrap();
    let mut expected: Vec<String> = (0..20).map(|n| format!("c{n:02}")).collect();
    expected.push("customer anon|138".into());
    assert_eq!(
        all.iter().map(|c| c.customer.clone()).collect::<Vec<_>>(),
        expected,
        "one per customer, in customer order"
    );
    // The latest completed job of a customer with two.
    let c00 = &all[0];
    assert_eq!(
        c00,
        &CallbackCandidate {
            customer: "c00".into(),
            job_id: "j20".into(),
            customer_name: "customer j20".into(),
            customer_phone: String::new(),
            customer_tier: "key".into(),
            product_model: "M1".into(),
            completed_at: Some(ms("2026-11-10", 8) + 20),
            technician: Some("t1".into()),
            called: false,
        }
    );
    assert_eq!(all[19].job_id, "j19");
    let anon = &all[20];
    assert_eq!(
        (
            anon.job_id.as_str(),
            anon.called,
            anon.technician.as_deref()
        ),
        ("anon", true, Some("t2"))
    );
    // The draw is the shared one over these candidates: the same on every backend.
    let five = unit.callback_sample(&nov, 5).unwrap();
    assert_eq!(five, callback::draw(&nov, &all, 5));
    assert_eq!(five.len(), 5);
    assert_eq!(unit.callback_sample(&nov, 5).unwrap(), five);
    assert!(unit.callback_sample(&nov, 0).unwrap().is_empty());
    assert!(
        unit.callback_sample(&month("2026-12"), 5)
            .unwrap()
            .is_empty()
    );
    let october = unit.callback_sample(&month("2026-10"), 5).unwrap();
    assert_eq!(
        october
            .iter()
            .map(|c| c.job_id.as_str())
            .collect::<Vec<_>>(),
        ["oct"]
    );
}
