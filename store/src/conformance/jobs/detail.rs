//! The review detail, the edit history and the names that come from the accounts.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use super::*;

pub fn the_review_detail_holds_parties_clocks_timeline_reviews_forms_and_parts<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let office_actor = ActorId::random();
    let phone = ActorId::random();
    let tech = technician("tech-1");
    let made = job(&id, T, |j| {
        j.customer = Customer {
            id: "c-1".into(),
            name: "Acme".into(),
            phone: "021-5".into(),
            address: "5 Lane".into(),
            tier: "key".into(),
            region: "south".into(),
            site_distance: "far".into(),
        };
        j.product = Product {
            id: "p-1".into(),
            model: "HX-9".into(),
            serial: "S-9".into(),
            // Ten days before the report: dead after purchase.
            purchase_date: Some("2026-11-20".into()),
        };
        j.assignee = Some("tech-1".into());
        j.events
            .push(event("e-assigned", EventKind::Assigned, T, "office-1"));
    });
    let mut doc = create(unit, &office(), &office_actor, &made, T);
    // Accepted ten minutes in, uploaded a minute later by a phone in step with the server.
    edit(
        unit,
        &tech,
        &phone,
        &mut doc,
        "accept",
        T + 10 * MINUTE,
        in_step(T + 11 * MINUTE),
        |j| {
            j.events.push(event(
                "e-accepted",
                EventKind::Accepted,
                T + 10 * MINUTE,
                "tech-1",
            ));
        },
    );
    // On site and diagnosed, uploaded by a phone whose clock is ten minutes behind.
    edit(
        unit,
        &tech,
        &phone,
        &mut doc,
        "diagnose",
        T + 90 * MINUTE,
        Some(Received {
            at_ms: T + 95 * MINUTE,
            device_clock_ms: Some(T + 85 * MINUTE),
        }),
        |j| {
            j.events.push(event(
                "e-on-site",
                EventKind::OnSite,
                T + 60 * MINUTE,
                "tech-1",
            ));
            j.events.push(event(
                "e-diagnosed",
                EventKind::Diagnosed,
                T + 90 * MINUTE,
                "tech-1",
            ));
        },
    );
    edit(
        unit,
        &tech,
        &phone,
        &mut doc,
        "complete",
        T + 120 * MINUTE,
        in_step(T + 121 * MINUTE),
        |j| {
            j.events.push(event(
                "e-repaired",
                EventKind::Repaired,
                T + 100 * MINUTE,
                "tech-1",
            ));
            j.events.push(event(
                "e-completed",
                EventKind::Completed,
                T + 120 * MINUTE,
                "tech-1",
            ));
            j.parts
                .insert("p-1".into(), part("p-1", T + 110 * MINUTE, true));
            j.parts
                .insert("p-2".into(), part("p-2", T + 100 * MINUTE, false));
            j.parts
                .insert("p-3".into(), part("p-3", T + 100 * MINUTE, true));
            // 5 points is no level of the scale: shown, but not counted.
            j.forms.insert(
                "f-a".into(),
                form(
                    "f-a",
                    Some(T + 115 * MINUTE),
                    &[("tidy", 4), ("overall", 10), ("speed", 6), ("extra", 5)],
                ),
            );
            j.forms.insert("f-b".into(), form("f-b", None, &[]));
            j.labour_minutes = 45;
        },
    );
    // The office returns the job, then approves it; classified on the way.
    edit(
        unit,
        &office(),
        &office_actor,
        &mut doc,
        "review",
        T + 180 * MINUTE,
        None,
        |j| {
            j.reviews
                .push(review("r-2", Decision::Approved, T + 180 * MINUTE));
            j.reviews
                .push(review("r-1", Decision::Returned, T + 150 * MINUTE));
            j.feedback_category = Some("service".into());
            j.responsible_department = Some("customer_service".into());
        },
    );

    let detail = unit.review_detail(&id).unwrap().unwrap();
    assert_eq!(
        (
            detail.id.as_str(),
            detail.status.as_str(),
            detail.review_state.as_str(),
            detail.assignee.as_deref(),
            detail.assignee_name.as_deref(),
            detail.origin.as_str(),
            detail.complaint,
            detail.dap,
        ),
        (
            id.as_str(),
            "completed",
            "approved",
            Some("tech-1"),
            None,
            "hotline",
            false,
            true
        )
    );
    assert_eq!(
        detail.customer,
        DetailCustomer {
            id: "c-1".into(),
            name: "Acme".into(),
            phone: "021-5".into(),
            tier: "key".into(),
            region: "south".into(),
            site_distance: "far".into(),
        }
    );
    assert_eq!(
        detail.product,
        DetailProduct {
            model: "HX-9".into(),
            serial: "S-9".into(),
            purchase_date: Some("2026-11-20".into()),
        }
    );
    assert_eq!(detail.reported_at, T);
    assert_eq!(detail.completed_at, Some(T + 120 * MINUTE));
    assert_eq!(detail.feedback_category.as_deref(), Some("service"));
    assert_eq!(
        detail.responsible_department.as_deref(),
        Some("customer_service")
    );
    assert_eq!(detail.labour_minutes, 45);
    assert_eq!(
        detail.clocks_ms,
        Clocks {
            response: Some(10 * MINUTE),
            arrival: Some(60 * MINUTE),
            diagnosis: Some(30 * MINUTE),
            handling: Some(10 * MINUTE),
        }
    );
    assert_eq!(detail.created_at, Some(T));
    assert_eq!(detail.time_flags, vec!["clock_off".to_string()]);

    let ev =
        |id: &str, kind: &str, at: i64, by: &str, received: i64, offset: i64, flags: &[&str]| {
            TimelineEvent {
                id: id.into(),
                kind: kind.into(),
                at,
                by: by.into(),
                by_name: None,
                received_at: Some(received),
                device_offset_ms: Some(offset),
                flags: flags.iter().map(|f| (*f).to_string()).collect(),
            }
        };
    let reported_id = format!("{id}-reported");
    assert_eq!(
        detail.timeline,
        vec![
            // Of one instant, in lifecycle order.
            ev(&reported_id, "reported", T, "office-1", T, 0, &[]),
            ev("e-assigned", "assigned", T, "office-1", T, 0, &[]),
            ev(
                "e-accepted",
                "accepted",
                T + 10 * MINUTE,
                "tech-1",
                T + 11 * MINUTE,
                0,
                &[]
            ),
            ev(
                "e-on-site",
                "on_site",
                T + 60 * MINUTE,
                "tech-1",
                T + 95 * MINUTE,
                10 * MINUTE,
                &["clock_off"]
            ),
            ev(
                "e-diagnosed",
                "diagnosed",
                T + 90 * MINUTE,
                "tech-1",
                T + 95 * MINUTE,
                10 * MINUTE,
                &["clock_off"]
            ),
            ev(
                "e-repaired",
                "repaired",
                T + 100 * MINUTE,
                "tech-1",
                T + 121 * MINUTE,
                0,
                &[]
            ),
            ev(
                "e-completed",
                "completed",
                T + 120 * MINUTE,
                "tech-1",
                T + 121 * MINUTE,
                0,
                &[]
            ),
        ]
    );
    assert_eq!(
        detail.reviews,
        vec![
            ReviewEntry {
                id: "r-1".into(),
                decision: "returned".into(),
                comment: "r-1 comment".into(),
                at: T + 150 * MINUTE,
                by: "office-1".into(),
            },
            ReviewEntry {
                id: "r-2".into(),
                decision: "approved".into(),
                comment: "r-2 comment".into(),
                at: T + 180 * MINUTE,
                by: "office-1".into(),
            },
        ]
    );
    let forms: Vec<_> = detail
        .forms
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.template_id.as_str(),
                f.template_version,
                f.respondent.as_str(),
                f.submitted_at,
                f.by.as_str(),
                f.suggestion.as_str(),
                f.degree_pct,
                f.rate_pct,
            )
        })
        .collect();
    // Over 10, 6 and 4 points: 20 of 30 (66.67 %), two of three basically satisfied.
    assert_eq!(
        forms,
        vec![
            (
                "f-a",
                "csat-onsite",
                3,
                "survey",
                Some(T + 115 * MINUTE),
                "tech-1",
                "call first",
                Some(66.67),
                Some(66.67)
            ),
            (
                "f-b",
                "csat-onsite",
                3,
                "survey",
                None,
                "tech-1",
                "call first",
                None,
                None
            ),
        ]
    );
    let answer = |item: &str, points: i64| AnswerEntry {
        item: item.into(),
        points,
        comment: format!("on {item}"),
    };
    assert_eq!(
        detail.forms[0].answers,
        vec![
            answer("extra", 5),
            answer("overall", 10),
            answer("speed", 6),
            answer("tidy", 4)
        ]
    );
    assert!(detail.forms[1].answers.is_empty());
    let line = |id: &str, at: i64, billable: bool| PartEntry {
        id: id.into(),
        sku: format!("SKU-{id}"),
        name: format!("Part {id}"),
        quantity: 2,
        unit_price_cents: 1250,
        billable,
        at,
        by: "tech-1".into(),
    };
    assert_eq!(
        detail.parts,
        vec![
            line("p-2", T + 100 * MINUTE, false),
            line("p-3", T + 100 * MINUTE, true),
            line("p-1", T + 110 * MINUTE, true),
        ]
    );
    assert!(unit.review_detail(&doc_id(2)).unwrap().is_none());
}

/// An unmeasured job: no clocks, no receipts to judge the device time by.
pub fn the_review_detail_of_a_job_just_reported_has_no_clocks<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let actor = ActorId::random();
    let (mut doc, change) = JobDoc::create(&job(&id, T, |_| {}), actor.clone(), T).unwrap();
    let write = DocWrite {
        doc_id: id.clone(),
        job: doc.job().unwrap(),
        saved: doc.save(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor],
        received: None,
    };
    unit.commit(&office(), vec![write]).unwrap();
    let detail = unit.review_detail(&id).unwrap().unwrap();
    assert_eq!(
        (
            detail.status.as_str(),
            detail.review_state.as_str(),
            detail.assignee.as_deref(),
            detail.completed_at,
            detail.created_at,
            detail.dap,
            detail.labour_minutes,
            detail.feedback_category.as_deref(),
            detail.responsible_department.as_deref(),
        ),
        (
            "new",
            "not_submitted",
            None,
            None,
            None,
            false,
            0,
            None,
            None
        )
    );
    assert_eq!(
        detail.clocks_ms,
        Clocks {
            response: None,
            arrival: None,
            diagnosis: None,
            handling: None,
        }
    );
    assert_eq!(detail.product.purchase_date, None);
    assert!(detail.time_flags.is_empty());
    assert_eq!(
        detail.timeline,
        vec![TimelineEvent {
            id: format!("{id}-reported"),
            kind: "reported".into(),
            at: T,
            by: "office-1".into(),
            by_name: None,
            received_at: None,
            device_offset_ms: None,
            flags: Vec::new(),
        }]
    );
    assert!(detail.reviews.is_empty() && detail.forms.is_empty() && detail.parts.is_empty());
}

pub fn the_history_names_who_uploaded_each_change<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + ?Sized,
{
    let id = doc_id(1);
    let office_actor = ActorId::random();
    let phone = ActorId::random();
    let mut doc = create(unit, &office(), &office_actor, &job(&id, T, |_| {}), T);
    // Automerge keeps whole seconds: 61.5 s later reads as 61 s.
    edit(
        unit,
        &technician("tech-1"),
        &phone,
        &mut doc,
        "accept",
        T + 61_500,
        in_step(T + 62_000),
        |j| j.labour_minutes = 5,
    );
    // A change that never reached the server: no uploader.
    doc.set_actor(office_actor.clone());
    doc.edit("note", T + 120_000, |j| j.labour_minutes = 6)
        .unwrap()
        .unwrap();
    let changes = doc.changes_since(&[]);
    assert_eq!(changes.len(), 3);
    let hashes: Vec<String> = changes.iter().map(|c| c.hash().to_string()).collect();

    let history = unit.job_history(&mut doc).unwrap();
    let entry =
        |i: usize, actor: &ActorId, seq: u64, at: i64, what: &str, who: Option<(&str, &str)>| {
            HistoryEntry {
                hash: hashes[i].clone(),
                actor: actor.to_hex_string(),
                seq,
                at,
                what: Some(what.into()),
                user_id: who.map(|w| w.0.to_string()),
                user_name: None,
                device_id: who.map(|w| w.1.to_string()),
            }
        };
    assert_eq!(
        history,
        vec![
            entry(0, &office_actor, 1, T, "create", Some(("office-1", "pc-1"))),
            entry(
                1,
                &phone,
                1,
                T + 61_000,
                "accept",
                Some(("tech-1", "phone-of-tech-1"))
            ),
            entry(2, &office_actor, 2, T + 120_000, "note", None),
        ]
    );
    // A document of no stored job: every change is unknown to the feed.
    let (mut other, _) = JobDoc::create(&job(&doc_id(2), T, |_| {}), ActorId::random(), T).unwrap();
    let history = unit.job_history(&mut other).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (
            history[0].user_id.as_deref(),
            history[0].device_id.as_deref(),
            history[0].what.as_deref()
        ),
        (None, None, Some("create"))
    );
}

/// Names come from the accounts: the assignee's in the lists and the detail, each event's
/// author's in the timeline, each uploader's in the history.
pub fn names_come_from_the_accounts<U>(unit: &mut U)
where
    U: ServerStore<Error = StoreError> + Jobs + Accounts + ?Sized,
{
    let account = |unit: &mut U, username: &str, name: &str, role: Role| {
        unit.create_account(&NewAccount {
            username: username.into(),
            display_name: name.into(),
            role,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        })
        .unwrap()
        .id
    };
    let wang = account(unit, "wang", "Wang Wei", Role::Technician);
    let li = account(unit, "li", "Li Na", Role::BackOffice);
    let id = doc_id(1);
    let office_actor = ActorId::random();
    let phone = ActorId::random();
    let desk = peer(&li, Role::BackOffice, "pc-li");
    let made = job(&id, T, |j| {
        j.events[0].by = li.clone();
        j.assignee = Some(wang.clone());
    });
    let mut doc = create(unit, &desk, &office_actor, &made, T);
    edit(
        unit,
        &peer(&wang, Role::Technician, "phone-wang"),
        &phone,
        &mut doc,
        "accept",
        T + MINUTE,
        in_step(T + MINUTE),
        |j| {
            j.events
                .push(event("acc", EventKind::Accepted, T + MINUTE, &wang))
        },
    );
    // A job assigned to someone with no account has no name.
    let ghost = job(&doc_id(2), T - DAY, |j| j.assignee = Some("nobody".into()));
    create(unit, &desk, &office_actor, &ghost, T);

    let (rows, total) = unit
        .review_list(&ReviewFilter {
            limit: 10,
            ..ReviewFilter::default()
        })
        .unwrap();
    assert_eq!(total, 2);
    let names: Vec<_> = rows
        .iter()
        .map(|r| (r.assignee.as_deref(), r.assignee_name.as_deref()))
        .collect();
    assert_eq!(
        names,
        vec![
            (Some(wang.as_str()), Some("Wang Wei")),
            (Some("nobody"), None)
        ]
    );

    let detail = unit.review_detail(&id).unwrap().unwrap();
    assert_eq!(detail.assignee_name.as_deref(), Some("Wang Wei"));
    let authors: Vec<_> = detail
        .timeline
        .iter()
        .map(|e| (e.by.as_str(), e.by_name.as_deref()))
        .collect();
    assert_eq!(
        authors,
        vec![
            (li.as_str(), Some("Li Na")),
            (wang.as_str(), Some("Wang Wei"))
        ]
    );

    let history = unit.job_history(&mut doc).unwrap();
    let who: Vec<_> = history
        .iter()
        .map(|h| {
            (
                h.user_id.as_deref(),
                h.user_name.as_deref(),
                h.device_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            (Some(li.as_str()), Some("Li Na"), Some("pc-li")),
            (Some(wang.as_str()), Some("Wang Wei"), Some("phone-wang")),
        ]
    );
}
