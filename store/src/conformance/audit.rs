//! The audit log's contract, as tests over one unit of work.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use onsite_domain::Role;
use serde_json::json;

use crate::repo::Accounts;
use crate::repo::accounts::NewAccount;
use crate::repo::audit::{Audit, AuditAction, AuditEvent, AuditQuery};

const T: i64 = 1_796_068_800_000;

fn event(action: AuditAction, actor_id: Option<&str>, target_id: Option<&str>) -> AuditEvent {
    AuditEvent {
        action,
        actor_id: actor_id.map(str::to_string),
        actor: actor_id.unwrap_or("nobody").to_string(),
        target_id: target_id.map(str::to_string),
        device_id: Some("phone".into()),
        address: Some("10.0.0.7".into()),
        detail: json!({"reason": "test", "n": 1}),
    }
}

fn all() -> AuditQuery {
    AuditQuery {
        after: 0,
        limit: 100,
        ..AuditQuery::default()
    }
}

pub fn entries_come_back_in_order_whole_and_page_by_their_sequence<U: Audit + ?Sized>(
    unit: &mut U,
) {
    let recorded = [
        event(AuditAction::SignInRefused, None, None),
        event(AuditAction::SignIn, Some("u-admin"), Some("u-admin")),
        event(AuditAction::AccountCreated, Some("u-admin"), Some("u-wang")),
        event(AuditAction::DeviceRevoked, Some("u-admin"), Some("u-wang")),
    ];
    for (i, e) in recorded.iter().enumerate() {
        unit.record_audit(e, T + i as i64).unwrap();
    }
    let entries = unit.audit_log(&all()).unwrap();
    assert_eq!(entries.len(), 4);
    for (i, (entry, e)) in entries.iter().zip(&recorded).enumerate() {
        assert_eq!(entry.at, T + i as i64);
        assert_eq!(entry.action, e.action);
        assert_eq!(entry.actor_id, e.actor_id);
        assert_eq!(entry.actor, e.actor);
        assert_eq!(entry.target_id, e.target_id);
        assert_eq!(entry.device_id.as_deref(), Some("phone"));
        assert_eq!(entry.address.as_deref(), Some("10.0.0.7"));
        assert_eq!(entry.detail, json!({"reason": "test", "n": 1}));
    }
    assert!(entries.windows(2).all(|w| w[0].seq < w[1].seq));

    let first = unit.audit_log(&AuditQuery { limit: 2, ..all() }).unwrap();
    assert_eq!(first, entries[..2]);
    let rest = unit
        .audit_log(&AuditQuery {
            after: first[1].seq,
            ..all()
        })
        .unwrap();
    assert_eq!(rest, entries[2..], "the next page starts after the cursor");
    assert!(
        unit.audit_log(&AuditQuery {
            after: entries[3].seq,
            ..all()
        })
        .unwrap()
        .is_empty()
    );
}

pub fn entries_filter_by_account_as_actor_or_target_and_by_action<U: Audit + ?Sized>(unit: &mut U) {
    unit.record_audit(
        &event(AuditAction::SignIn, Some("u-wang"), Some("u-wang")),
        T,
    )
    .unwrap();
    unit.record_audit(
        &event(AuditAction::PasswordReset, Some("u-admin"), Some("u-wang")),
        T + 1,
    )
    .unwrap();
    unit.record_audit(
        &event(AuditAction::AccountCreated, Some("u-admin"), Some("u-li")),
        T + 2,
    )
    .unwrap();
    let of = |unit: &mut U, account: &str| -> Vec<AuditAction> {
        unit.audit_log(&AuditQuery {
            account_id: Some(account.into()),
            ..all()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
    };
    assert_eq!(
        of(unit, "u-wang"),
        [AuditAction::SignIn, AuditAction::PasswordReset]
    );
    assert_eq!(
        of(unit, "u-admin"),
        [AuditAction::PasswordReset, AuditAction::AccountCreated],
        "what an account did"
    );
    let created = unit
        .audit_log(&AuditQuery {
            action: Some(AuditAction::AccountCreated),
            ..all()
        })
        .unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].target_id.as_deref(), Some("u-li"));
}

pub fn entries_outlive_the_accounts_they_name<U: Accounts + Audit + ?Sized>(unit: &mut U) {
    let wang = unit
        .create_account(&NewAccount {
            username: "wang".into(),
            display_name: "Wang".into(),
            role: Role::Technician,
            password_hash: "hash".into(),
        })
        .unwrap();
    let mut e = event(AuditAction::AccountDeleted, Some("u-admin"), Some(&wang.id));
    e.actor = "root".into();
    unit.record_audit(&e, T).unwrap();
    assert!(unit.delete_account(&wang.id).unwrap());
    let entries = unit.audit_log(&all()).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].target_id.as_deref(), Some(wang.id.as_str()));
    assert_eq!(entries[0].actor, "root");
}

/// The tests of this file, for [`crate::unit_conformance_tests!`].
#[macro_export]
#[doc(hidden)]
macro_rules! audit_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; audit;
            entries_come_back_in_order_whole_and_page_by_their_sequence,
            entries_filter_by_account_as_actor_or_target_and_by_action,
            entries_outlive_the_accounts_they_name,
        );
    };
}
