//! The accounts repository's contract, as tests over one unit of work: generic functions that
//! each backend runs on its own unit type with [`crate::unit_conformance_tests!`].
//!
//! Times of devices are the backend's clock in Unix seconds: they are checked against the
//! wall clock read around the call, and orderings by them are made with pauses of a little
//! more than a second.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use onsite_domain::Role;

use crate::RepoError;
use crate::repo::accounts::{
    ATTEMPT_WINDOW_MS, Account, Accounts, Admission, AttemptLimit, Credentials, DeviceInfo,
    DeviceState, NewAccount, REFRESH_LIFETIME_SECS, Refresh, WipeContact,
};

const LIFETIME: i64 = REFRESH_LIFETIME_SECS;

fn new(username: &str, role: Role) -> NewAccount {
    NewAccount {
        username: username.into(),
        display_name: format!("{username} (display)"),
        role,
        password_hash: format!("hash-of-{username}"),
    }
}

fn create<U: Accounts + ?Sized>(unit: &mut U, username: &str, role: Role) -> Account {
    unit.create_account(&new(username, role)).unwrap()
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Until the backend's clock, in seconds, has moved on.
fn next_second() {
    super::until_the_next_second();
}

fn rotated<U: Accounts + ?Sized>(unit: &mut U, token: &str) -> String {
    match unit.rotate_refresh(token, LIFETIME).unwrap() {
        Refresh::Rotated { token, .. } => token,
        other => panic!("a good token rotates, got {other:?}"),
    }
}

fn revoked(wipe: bool) -> DeviceState {
    DeviceState {
        revoked: true,
        wipe,
    }
}

/// The devices as (id, active sessions, revoked, wipe).
fn device_summary<U: Accounts + ?Sized>(
    unit: &mut U,
    user_id: &str,
) -> Vec<(String, i64, bool, bool)> {
    unit.devices(user_id)
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.device_id,
                d.active_sessions,
                d.revoked_at.is_some(),
                d.wipe,
            )
        })
        .collect()
}

fn summary(device: &str, active: i64, revoked: bool, wipe: bool) -> (String, i64, bool, bool) {
    (device.to_string(), active, revoked, wipe)
}

pub fn accounts_are_created_once_per_username_and_keep_their_hash<U: Accounts + ?Sized>(
    unit: &mut U,
) {
    assert!(!unit.has_admin().unwrap());
    let wang = unit.create_account(&new("wang", Role::Technician)).unwrap();
    assert_eq!(
        wang,
        Account {
            id: wang.id.clone(),
            username: "wang".into(),
            display_name: "wang (display)".into(),
            role: Role::Technician,
            disabled: false,
            token_version: 0,
        }
    );
    assert!(!wang.id.is_empty());
    let again = unit.create_account(&new("wang", Role::Admin));
    assert!(
        matches!(&again, Err(RepoError::Refused(r)) if r.code == "username_taken"),
        "{again:?}"
    );
    assert!(
        !unit.has_admin().unwrap(),
        "the refused admin was not created"
    );
    assert_eq!(unit.accounts().unwrap(), vec![wang.clone()]);
    assert_eq!(unit.account(&wang.id).unwrap().as_ref(), Some(&wang));
    assert_eq!(
        unit.credentials("wang").unwrap(),
        Some(Credentials {
            account: wang.clone(),
            password_hash: "hash-of-wang".into(),
        })
    );
    assert!(unit.set_password_hash(&wang.id, "another").unwrap());
    let found = unit.credentials("wang").unwrap().unwrap();
    assert_eq!(found.password_hash, "another");
    assert_eq!(found.account.token_version, 1);
    assert!(unit.set_password_hash(&wang.id, "a third").unwrap());
    let found = unit.credentials("wang").unwrap().unwrap();
    assert_eq!(
        (found.password_hash.as_str(), found.account.token_version),
        ("a third", 2)
    );
    assert!(!unit.set_password_hash("nobody", "x").unwrap());
    assert_eq!(unit.account("nobody").unwrap(), None);
    assert_eq!(unit.credentials("nobody").unwrap(), None);
}

pub fn usernames_are_case_sensitive_and_listed_in_byte_order<U: Accounts + ?Sized>(unit: &mut U) {
    assert_eq!(unit.accounts().unwrap(), vec![]);
    let names = [
        "wang", "Wang", "li_wei", "li.lei", "li", "li-na", "a@b", "9bot",
    ];
    let mut ids = Vec::new();
    for name in names {
        ids.push(create(unit, name, Role::Technician).id);
    }
    let mut distinct = ids.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), names.len(), "every account has its own id");
    // Byte order, as a binary collation sorts: digits, capitals, '@' after 'a', then a
    // prefix before its extensions ('-' < '.' < '_').
    let listed: Vec<String> = unit
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.username)
        .collect();
    assert_eq!(
        listed,
        vec![
            "9bot", "Wang", "a@b", "li", "li-na", "li.lei", "li_wei", "wang"
        ]
    );
    let upper = unit.credentials("Wang").unwrap().unwrap();
    assert_eq!(
        (upper.account.id.as_str(), upper.password_hash.as_str()),
        (ids[1].as_str(), "hash-of-Wang")
    );
    assert_eq!(unit.credentials("WANG").unwrap(), None);
    assert_eq!(
        unit.credentials("li%").unwrap(),
        None,
        "no pattern matching"
    );
    let refused = unit.create_account(&new("li.lei", Role::Admin));
    assert!(
        matches!(&refused, Err(RepoError::Refused(r)) if r.code == "username_taken"),
        "{refused:?}"
    );
    assert_eq!(unit.accounts().unwrap().len(), 8);
}

pub fn a_role_change_ends_access_tokens_and_a_name_change_does_not<U: Accounts + ?Sized>(
    unit: &mut U,
) {
    let li = create(unit, "li", Role::Technician);
    let renamed = unit
        .update_account(&li.id, Some("Li Lei"), None)
        .unwrap()
        .unwrap();
    assert_eq!(
        renamed,
        Account {
            display_name: "Li Lei".into(),
            ..li.clone()
        }
    );
    let same_role = unit
        .update_account(&li.id, None, Some(Role::Technician))
        .unwrap()
        .unwrap();
    assert_eq!(same_role.token_version, 0);
    let unchanged = unit.update_account(&li.id, None, None).unwrap().unwrap();
    assert_eq!(unchanged, renamed);
    let promoted = unit
        .update_account(&li.id, None, Some(Role::Admin))
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            promoted.role,
            promoted.token_version,
            promoted.display_name.as_str()
        ),
        (Role::Admin, 1, "Li Lei")
    );
    assert!(unit.has_admin().unwrap());
    let both = unit
        .update_account(&li.id, Some("Lei"), Some(Role::BackOffice))
        .unwrap()
        .unwrap();
    assert_eq!(
        both,
        Account {
            display_name: "Lei".into(),
            role: Role::BackOffice,
            token_version: 2,
            ..li.clone()
        }
    );
    assert_eq!(unit.account(&li.id).unwrap(), Some(both.clone()));
    assert!(
        !unit.has_admin().unwrap(),
        "a back-office account is no admin"
    );
    assert_eq!(
        unit.update_account("nobody", Some("x"), None).unwrap(),
        None
    );
    assert_eq!(
        unit.update_account("nobody", None, Some(Role::Admin))
            .unwrap(),
        None
    );
    assert!(!unit.has_admin().unwrap());
}

pub fn a_disabled_account_is_still_found_and_a_disabled_admin_still_counts<U: Accounts + ?Sized>(
    unit: &mut U,
) {
    let boss = create(unit, "boss", Role::Admin);
    let wang = create(unit, "wang", Role::Technician);
    assert!(unit.has_admin().unwrap());
    assert!(unit.set_disabled(&boss.id, true).unwrap());
    assert!(unit.has_admin().unwrap(), "enabled or not");
    let found = unit.credentials("boss").unwrap().unwrap();
    assert_eq!(
        found.account,
        Account {
            disabled: true,
            ..boss.clone()
        },
        "disabling does not end access tokens by itself"
    );
    assert_eq!(
        unit.accounts().unwrap(),
        vec![
            Account {
                disabled: true,
                ..boss.clone()
            },
            wang.clone()
        ]
    );
    assert!(
        unit.set_disabled(&boss.id, true).unwrap(),
        "again: it exists"
    );
    assert!(unit.set_disabled(&boss.id, false).unwrap());
    assert_eq!(unit.account(&boss.id).unwrap(), Some(boss.clone()));
    assert!(!unit.set_disabled("nobody", true).unwrap());

    // Sessions are ended by `revoke_sessions`, not by disabling.
    let token = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    assert!(unit.set_disabled(&wang.id, true).unwrap());
    assert!(matches!(
        unit.rotate_refresh(&token, LIFETIME).unwrap(),
        Refresh::Rotated { .. }
    ));
}

pub fn deleting_an_account_takes_its_devices_and_tokens<U: Accounts + ?Sized>(unit: &mut U) {
    let li = create(unit, "li", Role::Admin);
    let wang = create(unit, "wang", Role::Technician);
    unit.touch_device(&li.id, "phone").unwrap();
    let li_token = unit.issue_refresh(&li.id, "phone", LIFETIME).unwrap();
    unit.touch_device(&wang.id, "phone").unwrap();
    let wang_token = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();

    assert!(unit.delete_account(&li.id).unwrap());
    assert_eq!(unit.account(&li.id).unwrap(), None);
    assert_eq!(unit.credentials("li").unwrap(), None);
    assert_eq!(unit.accounts().unwrap(), vec![wang.clone()]);
    assert!(!unit.has_admin().unwrap());
    assert_eq!(unit.devices(&li.id).unwrap(), vec![]);
    assert_eq!(
        unit.device_state(&li.id, "phone").unwrap(),
        DeviceState::default()
    );
    assert_eq!(
        unit.rotate_refresh(&li_token, LIFETIME).unwrap(),
        Refresh::Invalid
    );
    assert!(!unit.logout(&li_token).unwrap(), "the token is gone");
    assert!(!unit.delete_account(&li.id).unwrap());
    assert!(!unit.delete_account("nobody").unwrap());

    // The other account keeps its own.
    assert_eq!(
        device_summary(unit, &wang.id),
        vec![summary("phone", 1, false, false)]
    );
    assert!(matches!(
        unit.rotate_refresh(&wang_token, LIFETIME).unwrap(),
        Refresh::Rotated { .. }
    ));

    // The username is free again, for a new account.
    let again = create(unit, "li", Role::Technician);
    assert_ne!(again.id, li.id);
    assert_eq!(unit.devices(&again.id).unwrap(), vec![]);
}

pub fn the_signing_secret_is_there_from_the_start_and_stays<U: Accounts + ?Sized>(unit: &mut U) {
    let secret = unit.jwt_secret().unwrap();
    assert!(secret.len() >= 32, "{secret:?} is too short to sign with");
    create(unit, "wang", Role::Admin);
    assert_eq!(unit.jwt_secret().unwrap(), secret);
}

pub fn a_refresh_token_works_once_and_its_reuse_ends_the_sign_in<U: Accounts + ?Sized>(
    unit: &mut U,
) {
    let wang = create(unit, "wang", Role::Technician);
    unit.touch_device(&wang.id, "phone").unwrap();
    let first = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let other = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    assert_ne!(first, other);
    let Refresh::Rotated {
        user_id,
        device_id,
        token: second,
    } = unit.rotate_refresh(&first, LIFETIME).unwrap()
    else {
        panic!("a fresh token rotates");
    };
    assert_eq!(
        (user_id.as_str(), device_id.as_str()),
        (wang.id.as_str(), "phone")
    );
    assert_ne!(second, first);
    let third = rotated(unit, &second);
    assert_eq!(
        device_summary(unit, &wang.id),
        vec![summary("phone", 2, false, false)],
        "one session per sign-in, however often it was refreshed"
    );

    // The second token used again: the whole family ends, its newest token too.
    assert_eq!(
        unit.rotate_refresh(&second, LIFETIME).unwrap(),
        Refresh::Reused
    );
    assert_eq!(
        unit.rotate_refresh(&third, LIFETIME).unwrap(),
        Refresh::Invalid
    );
    assert_eq!(
        unit.rotate_refresh(&first, LIFETIME).unwrap(),
        Refresh::Reused
    );
    assert_eq!(
        unit.rotate_refresh("unknown", LIFETIME).unwrap(),
        Refresh::Invalid
    );
    assert_eq!(unit.rotate_refresh("", LIFETIME).unwrap(), Refresh::Invalid);
    assert_eq!(
        device_summary(unit, &wang.id),
        vec![summary("phone", 1, false, false)]
    );

    // The other sign-in on the same device goes on.
    let Refresh::Rotated {
        user_id, device_id, ..
    } = unit.rotate_refresh(&other, LIFETIME).unwrap()
    else {
        panic!("another family is untouched");
    };
    assert_eq!(
        (user_id.as_str(), device_id.as_str()),
        (wang.id.as_str(), "phone")
    );
}

/// The lifetime is the caller's (the server's setting), for the first token of a sign-in and
/// for each one a rotation gives.
pub fn a_refresh_token_lasts_the_lifetime_it_was_given<U: Accounts + ?Sized>(unit: &mut U) {
    let wang = create(unit, "wang", Role::Technician);
    unit.touch_device(&wang.id, "phone").unwrap();
    let lapsed = unit.issue_refresh(&wang.id, "phone", 0).unwrap();
    assert_eq!(
        unit.rotate_refresh(&lapsed, LIFETIME).unwrap(),
        Refresh::Invalid,
        "a token given no lifetime has expired"
    );
    let token = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let Refresh::Rotated { token: next, .. } = unit.rotate_refresh(&token, 0).unwrap() else {
        panic!("a token within its lifetime rotates");
    };
    assert_eq!(
        unit.rotate_refresh(&next, LIFETIME).unwrap(),
        Refresh::Invalid,
        "the next token has the lifetime its rotation gave"
    );
}

pub fn a_device_revoked_for_a_wipe_gets_one_final_upload<U: Accounts + ?Sized>(unit: &mut U) {
    let wang = create(unit, "wang", Role::Technician);
    unit.touch_device(&wang.id, "phone").unwrap();
    let token = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let spent = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let newest = rotated(unit, &spent);
    assert_eq!(unit.wipe_contact(&token).unwrap(), None);
    assert_eq!(unit.wipe_contact("unknown").unwrap(), None);
    assert!(unit.revoke_device(&wang.id, "phone", true).unwrap());
    assert!(!unit.revoke_device(&wang.id, "never-seen", true).unwrap());
    assert_eq!(unit.device_state(&wang.id, "phone").unwrap(), revoked(true));
    assert_eq!(
        unit.device_state(&wang.id, "never-seen").unwrap(),
        DeviceState::default()
    );
    // Revoked: a plain refresh is refused, the wipe contact is what the device gets.
    assert_eq!(
        unit.rotate_refresh(&newest, LIFETIME).unwrap(),
        Refresh::Invalid
    );
    assert_eq!(
        unit.wipe_contact(&token).unwrap(),
        Some(WipeContact::FinalUpload {
            user_id: wang.id.clone(),
            device_id: "phone".into()
        })
    );
    assert_eq!(unit.wipe_contact(&token).unwrap(), Some(WipeContact::Wipe));
    assert_eq!(
        unit.wipe_contact(&spent).unwrap(),
        Some(WipeContact::Wipe),
        "a token used before the revocation gets no upload"
    );
    assert_eq!(
        unit.wipe_contact(&newest).unwrap(),
        Some(WipeContact::FinalUpload {
            user_id: wang.id.clone(),
            device_id: "phone".into()
        })
    );
    assert_eq!(unit.wipe_contact(&newest).unwrap(), Some(WipeContact::Wipe));
    assert_eq!(
        unit.device_state(&wang.id, "tablet").unwrap(),
        DeviceState::default()
    );
    assert_eq!(
        device_summary(unit, &wang.id),
        vec![summary("phone", 0, true, true)]
    );
}

pub fn a_device_revoked_without_a_wipe_gets_no_upload<U: Accounts + ?Sized>(unit: &mut U) {
    let wang = create(unit, "wang", Role::Technician);
    let li = create(unit, "li", Role::Technician);
    unit.touch_device(&wang.id, "phone").unwrap();
    unit.touch_device(&wang.id, "tablet").unwrap();
    unit.touch_device(&li.id, "phone").unwrap();
    let phone = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let tablet = unit.issue_refresh(&wang.id, "tablet", LIFETIME).unwrap();
    let li_phone = unit.issue_refresh(&li.id, "phone", LIFETIME).unwrap();

    assert!(unit.revoke_device(&wang.id, "phone", false).unwrap());
    assert_eq!(
        unit.device_state(&wang.id, "phone").unwrap(),
        revoked(false)
    );
    assert_eq!(unit.wipe_contact(&phone).unwrap(), None);
    assert_eq!(
        unit.rotate_refresh(&phone, LIFETIME).unwrap(),
        Refresh::Invalid
    );
    // Only that device of that account.
    assert_eq!(
        unit.device_state(&wang.id, "tablet").unwrap(),
        DeviceState::default()
    );
    assert_eq!(
        unit.device_state(&li.id, "phone").unwrap(),
        DeviceState::default()
    );
    rotated(unit, &tablet);
    rotated(unit, &li_phone);

    // Revoked again, now for a wipe; and then again without: the last word holds.
    assert!(unit.revoke_device(&wang.id, "phone", true).unwrap());
    assert_eq!(unit.device_state(&wang.id, "phone").unwrap(), revoked(true));
    assert!(unit.revoke_device(&wang.id, "phone", false).unwrap());
    assert_eq!(
        unit.device_state(&wang.id, "phone").unwrap(),
        revoked(false)
    );

    // A sign-in after the revocation does not allow the device again.
    unit.touch_device(&wang.id, "phone").unwrap();
    assert_eq!(
        unit.device_state(&wang.id, "phone").unwrap(),
        revoked(false)
    );
}

pub fn revoking_an_unseen_device_ends_its_tokens_all_the_same<U: Accounts + ?Sized>(unit: &mut U) {
    let wang = create(unit, "wang", Role::Technician);
    // A token for a device never touched: no device row, but the token is the device's.
    let token = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    assert_eq!(unit.devices(&wang.id).unwrap(), vec![]);
    assert!(!unit.revoke_device(&wang.id, "phone", true).unwrap());
    assert_eq!(
        unit.device_state(&wang.id, "phone").unwrap(),
        DeviceState::default()
    );
    assert_eq!(
        unit.wipe_contact(&token).unwrap(),
        None,
        "no device was revoked for a wipe"
    );
    assert_eq!(
        unit.rotate_refresh(&token, LIFETIME).unwrap(),
        Refresh::Invalid
    );
}

pub fn logging_out_ends_the_sign_in_and_revoking_ends_them_all<U: Accounts + ?Sized>(unit: &mut U) {
    let wang = create(unit, "wang", Role::Technician);
    let li = create(unit, "li", Role::Technician);
    for device in ["phone", "tablet", "laptop"] {
        unit.touch_device(&wang.id, device).unwrap();
    }
    let a = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let a_next = rotated(unit, &a);
    let b = unit.issue_refresh(&wang.id, "tablet", LIFETIME).unwrap();
    let c = unit.issue_refresh(&wang.id, "laptop", LIFETIME).unwrap();
    let d = unit.issue_refresh(&wang.id, "laptop", LIFETIME).unwrap();
    let theirs = unit.issue_refresh(&li.id, "phone", LIFETIME).unwrap();

    // Logging out with the used token ends its family: the newer token too.
    assert!(unit.logout(&a).unwrap());
    assert!(unit.logout(&a).unwrap(), "the token is still known");
    assert!(!unit.logout("unknown").unwrap());
    assert_eq!(
        unit.rotate_refresh(&a_next, LIFETIME).unwrap(),
        Refresh::Invalid
    );
    assert_eq!(
        unit.rotate_refresh(&a, LIFETIME).unwrap(),
        Refresh::Reused,
        "a used token is a reuse, logged out or not"
    );
    assert!(unit.logout(&c).unwrap());
    assert_eq!(unit.rotate_refresh(&c, LIFETIME).unwrap(), Refresh::Invalid);
    let d_next = rotated(unit, &d);

    unit.revoke_sessions(&wang.id).unwrap();
    assert_eq!(unit.rotate_refresh(&b, LIFETIME).unwrap(), Refresh::Invalid);
    assert_eq!(
        unit.rotate_refresh(&d_next, LIFETIME).unwrap(),
        Refresh::Invalid
    );
    // The devices stay allowed: a new sign-in works.
    assert_eq!(
        unit.device_state(&wang.id, "tablet").unwrap(),
        DeviceState::default()
    );
    let mut devices = device_summary(unit, &wang.id);
    devices.sort();
    assert_eq!(
        devices,
        vec![
            summary("laptop", 0, false, false),
            summary("phone", 0, false, false),
            summary("tablet", 0, false, false),
        ]
    );
    let fresh = unit.issue_refresh(&wang.id, "tablet", LIFETIME).unwrap();
    rotated(unit, &fresh);
    // Another account's sessions are not touched; revoking an unknown account is nothing.
    rotated(unit, &theirs);
    unit.revoke_sessions("nobody").unwrap();
}

pub fn devices_are_listed_most_recently_seen_first_with_their_sessions<U: Accounts + ?Sized>(
    unit: &mut U,
) {
    let wang = create(unit, "wang", Role::Technician);
    let li = create(unit, "li", Role::Technician);
    assert_eq!(unit.devices(&wang.id).unwrap(), vec![]);
    assert_eq!(unit.devices("nobody").unwrap(), vec![]);

    let before = now_secs();
    unit.touch_device(&wang.id, "phone").unwrap();
    let after = now_secs();
    let phone = unit.devices(&wang.id).unwrap();
    assert_eq!(phone.len(), 1);
    let phone_first_seen = phone[0].first_seen;
    assert!(
        (before..=after).contains(&phone_first_seen),
        "{phone_first_seen} within {before}..={after}"
    );
    assert_eq!(
        phone[0],
        DeviceInfo {
            device_id: "phone".into(),
            first_seen: phone_first_seen,
            last_seen: phone_first_seen,
            revoked_at: None,
            wipe: false,
            active_sessions: 0,
        }
    );

    next_second();
    unit.touch_device(&wang.id, "tablet").unwrap();
    unit.touch_device(&li.id, "laptop").unwrap();
    let tablet_seen = unit.devices(&wang.id).unwrap()[0].last_seen;
    assert!(tablet_seen > phone_first_seen);
    for _ in 0..2 {
        unit.issue_refresh(&wang.id, "tablet", LIFETIME).unwrap();
    }
    let phone_token = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    let refreshed = unit.issue_refresh(&wang.id, "phone", LIFETIME).unwrap();
    rotated(unit, &refreshed);
    assert_eq!(
        device_summary(unit, &wang.id),
        vec![
            summary("tablet", 2, false, false),
            summary("phone", 2, false, false)
        ]
    );
    assert!(unit.logout(&phone_token).unwrap());
    assert_eq!(
        device_summary(unit, &wang.id),
        vec![
            summary("tablet", 2, false, false),
            summary("phone", 1, false, false)
        ]
    );

    // Seen again: first in the list, first seen unchanged.
    next_second();
    let before = now_secs();
    unit.touch_device(&wang.id, "phone").unwrap();
    let after = now_secs();
    let listed = unit.devices(&wang.id).unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|d| d.device_id.as_str())
            .collect::<Vec<_>>(),
        vec!["phone", "tablet"]
    );
    assert_eq!(listed[0].first_seen, phone_first_seen);
    assert!((before..=after).contains(&listed[0].last_seen));
    assert_eq!(listed[1].first_seen, tablet_seen);
    assert_eq!(listed[1].last_seen, tablet_seen);

    let before = now_secs();
    assert!(unit.revoke_device(&wang.id, "tablet", true).unwrap());
    let after = now_secs();
    let listed = unit.devices(&wang.id).unwrap();
    let revoked_at = listed[1].revoked_at.unwrap();
    assert!((before..=after).contains(&revoked_at));
    assert_eq!(
        listed[1],
        DeviceInfo {
            device_id: "tablet".into(),
            first_seen: tablet_seen,
            last_seen: tablet_seen,
            revoked_at: Some(revoked_at),
            wipe: true,
            active_sessions: 0,
        },
        "a revocation is not a sighting"
    );
    assert_eq!(listed[0].active_sessions, 1);

    // Another account's devices are its own.
    assert_eq!(
        device_summary(unit, &li.id),
        vec![summary("laptop", 0, false, false)]
    );
}

pub fn sign_in_attempts_are_limited_per_key_over_a_sliding_minute<U: Accounts + ?Sized>(
    unit: &mut U,
) {
    let t0 = 1_700_000_000_000;
    let mut attempt = |account: &str, address: &str, at: i64| {
        let limits = [
            AttemptLimit {
                key: account,
                per_window: 3,
            },
            AttemptLimit {
                key: address,
                per_window: 5,
            },
        ];
        unit.admit_attempt(&limits, at).unwrap()
    };
    for s in 0..3 {
        assert_eq!(
            attempt("wang", "10.0.0.1", t0 + s * 1000),
            Admission::Admitted
        );
    }
    // wang's first attempt leaves the window at t0 + 60 s.
    assert_eq!(
        attempt("wang", "10.0.0.1", t0 + 10_000),
        Admission::RetryAfterMs(50_000)
    );
    // The refused attempt was not counted against the address: two more fit.
    assert_eq!(
        attempt("zhao", "10.0.0.1", t0 + 10_000),
        Admission::Admitted
    );
    assert_eq!(
        attempt("zhao", "10.0.0.1", t0 + 11_000),
        Admission::Admitted
    );
    assert_eq!(
        attempt("zhao", "10.0.0.1", t0 + 12_000),
        Admission::RetryAfterMs(48_000)
    );
    assert_eq!(attempt("li", "10.0.0.2", t0 + 12_000), Admission::Admitted);
    // A minute after wang's first attempt, one place is free again, for the account and
    // for the address.
    assert_eq!(
        attempt("wang", "10.0.0.1", t0 + 60_000),
        Admission::Admitted
    );
    assert_eq!(
        attempt("wang", "10.0.0.1", t0 + 60_500),
        Admission::RetryAfterMs(500)
    );
}

/// Attempts under a thousand made-up user names take room for a minute, then none: the
/// limiter's memory is bounded by the attempts of one window.
pub fn attempts_out_of_the_window_are_forgotten<U: Accounts + ?Sized>(unit: &mut U) {
    let t0 = 1_700_000_000_000;
    for i in 0..1000 {
        let key = format!("user-{i}");
        let limits = [AttemptLimit {
            key: &key,
            per_window: 10,
        }];
        assert_eq!(
            unit.admit_attempt(&limits, t0 + i).unwrap(),
            Admission::Admitted
        );
    }
    assert_eq!(unit.attempts_kept().unwrap(), 1000);
    let limits = [AttemptLimit {
        key: "wang",
        per_window: 10,
    }];
    unit.admit_attempt(&limits, t0 + ATTEMPT_WINDOW_MS + 1000)
        .unwrap();
    assert_eq!(
        unit.attempts_kept().unwrap(),
        1,
        "only the last minute's attempt is kept"
    );
}

/// The tests of this file, for [`crate::unit_conformance_tests!`].
#[macro_export]
#[doc(hidden)]
macro_rules! accounts_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; accounts;
            accounts_are_created_once_per_username_and_keep_their_hash,
            usernames_are_case_sensitive_and_listed_in_byte_order,
            a_role_change_ends_access_tokens_and_a_name_change_does_not,
            a_disabled_account_is_still_found_and_a_disabled_admin_still_counts,
            deleting_an_account_takes_its_devices_and_tokens,
            the_signing_secret_is_there_from_the_start_and_stays,
            a_refresh_token_works_once_and_its_reuse_ends_the_sign_in,
            a_refresh_token_lasts_the_lifetime_it_was_given,
            a_device_revoked_for_a_wipe_gets_one_final_upload,
            a_device_revoked_without_a_wipe_gets_no_upload,
            revoking_an_unseen_device_ends_its_tokens_all_the_same,
            logging_out_ends_the_sign_in_and_revoking_ends_them_all,
            devices_are_listed_most_recently_seen_first_with_their_sessions,
            sign_in_attempts_are_limited_per_key_over_a_sliding_minute,
            attempts_out_of_the_window_are_forgotten,
        );
    };
}
