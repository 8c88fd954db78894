//! Stored documents, quarantine, the job state and the registry lookups.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

pub fn a_stored_job_loads_and_an_unknown_one_is_none<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let stored = job(&id, T, |j| j.labour_minutes = 30);
    create(unit, &office(), &ActorId::random(), &stored, T);
    match unit.job_doc(&id).unwrap() {
        Some(StoredDoc::Loaded(doc)) => {
            let mut expected = stored.clone();
            expected.schema_version = onsite_domain::job::SCHEMA_VERSION;
            assert_eq!(doc.job().unwrap(), expected);
        }
        other => panic!("expected the loaded document, got {other:?}"),
    }
    assert!(unit.job_doc(&doc_id(2)).unwrap().is_none());
}

/// Bytes that do not load are the caller's to set aside, not a failure of the storage.
pub fn a_document_whose_bytes_do_not_load_is_unusable<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let actor = ActorId::random();
    let (doc, change) = JobDoc::create(&job(&id, T, |_| {}), actor.clone(), T).unwrap();
    let write = DocWrite {
        doc_id: id.clone(),
        job: doc.job().unwrap(),
        saved: b"these bytes are not an automerge document".to_vec(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor],
        received: in_step(T),
    };
    unit.commit(&office(), vec![write]).unwrap();
    match unit.job_doc(&id).unwrap() {
        Some(StoredDoc::Unusable(why)) => assert!(!why.is_empty()),
        other => panic!("expected an unusable document, got {other:?}"),
    }
    // The query tables were written from the typed job all the same.
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(JobState {
            status: "new".into(),
            review_state: "not_submitted".into(),
            assignee: None,
        })
    );
}

pub fn quarantined_jobs_are_listed_latest_first_with_their_reason<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let (a, b) = (doc_id(1), doc_id(2));
    for id in [&a, &b] {
        create(unit, &office(), &ActorId::random(), &job(id, T, |_| {}), T);
    }
    assert!(unit.quarantined(&a).unwrap().is_none());
    assert!(unit.quarantined_jobs().unwrap().is_empty());

    let before = unit.now_ms() / 1000;
    unit.quarantine(&a, "first reason").unwrap();
    // Set aside again: the latest reason and time are kept.
    unit.quarantine(&a, "bytes do not load").unwrap();
    // A second apart (times are whole seconds), so that the latest is the higher id.
    crate::conformance::until_the_next_second();
    unit.quarantine(&b, "unreadable").unwrap();
    let after = unit.now_ms() / 1000;

    let qa = unit.quarantined(&a).unwrap().unwrap();
    let qb = unit.quarantined(&b).unwrap().unwrap();
    assert_eq!(
        (qa.doc_id.as_str(), qa.reason.as_str()),
        (a.as_str(), "bytes do not load")
    );
    assert_eq!(
        (qb.doc_id.as_str(), qb.reason.as_str()),
        (b.as_str(), "unreadable")
    );
    assert!(
        (before..qb.at).contains(&qa.at),
        "{qa:?} from {before}, before {qb:?}"
    );
    assert!(qb.at <= after, "{qb:?} by {after}");
    assert!(unit.quarantined(&doc_id(3)).unwrap().is_none());
    assert_eq!(unit.quarantined_jobs().unwrap(), vec![qb, qa]);
}

pub fn the_job_state_follows_the_timeline_and_the_assignment<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let actor = ActorId::random();
    let id = doc_id(1);
    let mut doc = create(unit, &office(), &actor, &job(&id, T, |_| {}), T);
    let state = |status: &str, review: &str, assignee: Option<&str>| JobState {
        status: status.into(),
        review_state: review.into(),
        assignee: assignee.map(Into::into),
    };
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("new", "not_submitted", None))
    );
    edit(
        unit,
        &office(),
        &actor,
        &mut doc,
        "assign",
        T + MINUTE,
        None,
        |j| {
            j.assignee = Some("tech-1".into());
        },
    );
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("assigned", "not_submitted", Some("tech-1")))
    );
    let phone = ActorId::random();
    edit(
        unit,
        &technician("tech-1"),
        &phone,
        &mut doc,
        "complete",
        T + 60 * MINUTE,
        in_step(T + 61 * MINUTE),
        |j| {
            j.events
                .push(event("a", EventKind::Accepted, T + 2 * MINUTE, "tech-1"));
            j.events
                .push(event("c", EventKind::Completed, T + 60 * MINUTE, "tech-1"));
        },
    );
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("completed", "pending", Some("tech-1")))
    );
    edit(
        unit,
        &office(),
        &actor,
        &mut doc,
        "review",
        T + 70 * MINUTE,
        None,
        |j| {
            j.reviews
                .push(review("r", Decision::Returned, T + 70 * MINUTE))
        },
    );
    assert_eq!(
        unit.job_state(&id).unwrap(),
        Some(state("completed", "returned", Some("tech-1")))
    );
    assert!(unit.job_state(&doc_id(2)).unwrap().is_none());
}

pub fn registry_lookups_give_the_customer_and_the_product_as_a_job_copies_them<U>(unit: &mut U)
where
    U: Jobs + Reference + ?Sized,
{
    assert!(unit.registry_customer("c-1").unwrap().is_none());
    assert!(unit.registry_product("p-1").unwrap().is_none());
    for (id, name) in [("c-1", "Acme"), ("c-2", "Bolt")] {
        unit.create_customer(
            &CustomerRecord {
                id: id.into(),
                name: name.into(),
                phone: format!("021-{id}"),
                address: format!("{name} Street"),
                tier: "key".into(),
                region: "south".into(),
                site_distance: "far".into(),
                created_at: 0,
                updated_at: 0,
            },
            T,
        )
        .unwrap();
    }
    for (id, customer, bought) in [("p-1", "c-2", Some("2026-11-20")), ("p-2", "c-1", None)] {
        unit.create_product(
            &ProductRecord {
                id: id.into(),
                customer_id: customer.into(),
                model: format!("HX-{id}"),
                serial: format!("S-{id}"),
                purchase_date: bought.map(Into::into),
                created_at: 0,
                updated_at: 0,
            },
            T,
        )
        .unwrap();
    }
    assert_eq!(
        unit.registry_customer("c-2").unwrap(),
        Some(Customer {
            id: "c-2".into(),
            name: "Bolt".into(),
            phone: "021-c-2".into(),
            address: "Bolt Street".into(),
            tier: "key".into(),
            region: "south".into(),
            site_distance: "far".into(),
        })
    );
    assert_eq!(
        unit.registry_product("p-1").unwrap(),
        Some(RegisteredProduct {
            customer_id: "c-2".into(),
            product: Product {
                id: "p-1".into(),
                model: "HX-p-1".into(),
                serial: "S-p-1".into(),
                purchase_date: Some("2026-11-20".into()),
            },
        })
    );
    assert_eq!(
        unit.registry_product("p-2").unwrap(),
        Some(RegisteredProduct {
            customer_id: "c-1".into(),
            product: Product {
                id: "p-2".into(),
                model: "HX-p-2".into(),
                serial: "S-p-2".into(),
                purchase_date: None,
            },
        })
    );
    assert!(unit.registry_customer("c-3").unwrap().is_none());
    // Ids are not shared between the registries.
    assert!(unit.registry_product("c-1").unwrap().is_none());
    assert!(unit.registry_customer("p-1").unwrap().is_none());
}
