#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Back up a running server, go on working, restore the backup: devices repair, and what
//! the backup lacked comes back from the devices that hold it. Nothing acknowledged is lost.

use onsite_domain::Role;
use onsite_store_sqlite::backup;
use onsite_tests::{Device, TestServer};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_restored_server_gets_back_from_the_devices_what_its_backup_lacks() {
    onsite_tests::sqlite_only!("onsite backup and restore copy the embedded database");
    let mut server = TestServer::start().await.unwrap();
    let tech = server.create_user("wang", Role::Technician).unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let office = server.login("office", "office-pc").await.unwrap();
    let job = server
        .create_job(&office, "Zhang", Some(&tech))
        .await
        .unwrap();
    let phone = Device::sign_in(&server.url(), "wang").await.unwrap();
    phone.client.sync().await.unwrap();
    phone.client.accept(&job).unwrap();
    phone.client.sync().await.unwrap();

    // The backup, taken while the server runs.
    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("onsite-backup.sqlite");
    backup::backup(server.data_dir(), &file).unwrap();
    assert!(
        backup::backup(server.data_dir(), &file).is_err(),
        "a backup never overwrites a file"
    );

    // After the backup: the technician's work, acknowledged, and an office edit that
    // reaches the phone.
    phone.client.arrive(&job).unwrap();
    let note = phone.client.add_note(&job, "after the backup").unwrap();
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/v1/jobs/{job}/classify"),
            &office,
            Some(json!({"feedback_category": "product", "responsible_department": "quality"})),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    phone.client.sync().await.unwrap();
    assert_eq!(phone.client.pending_changes().unwrap(), 0, "acknowledged");
    let before = server.job(&office, &job).await.unwrap();

    // The disk is lost: the server is restored from the backup, under a new epoch.
    server.stop().await.unwrap();
    let restored = backup::restore(server.data_dir(), &file).unwrap();
    assert_ne!(restored.epoch, restored.restored_from);
    server.restart().await.unwrap();
    let lost = server.job(&office, &job).await.unwrap();
    assert!(
        lost["document"]["notes"].as_object().unwrap().is_empty(),
        "the backup predates the note"
    );

    // The phone syncs: its cursor is from the old epoch, so it repairs the job and brings
    // back its own work and the office's classification, which it holds.
    let report = phone.client.sync().await.unwrap();
    assert!(phone.client.conflicts().unwrap().is_empty(), "{report:?}");
    let after = server.job(&office, &job).await.unwrap();
    assert_eq!(
        after["document"], before["document"],
        "nothing acknowledged is lost"
    );
    assert!(after["document"]["notes"].get(&note).is_some());
    assert_eq!(after["document"]["feedback_category"], "product");
    assert_eq!(after["status"], "on_site");
    let cursor = phone.client.cursor().unwrap().unwrap();
    assert_eq!(cursor.epoch, restored.epoch);

    // A second device, new since the restore, receives the whole job as the phone left it.
    let tablet = Device::sign_in(&server.url(), "wang").await.unwrap();
    tablet.client.sync().await.unwrap();
    let on_tablet = tablet.client.get_job(&job).unwrap();
    assert_eq!(on_tablet.job, phone.client.get_job(&job).unwrap().job);
}

#[tokio::test]
async fn a_file_that_is_not_an_onsite_database_is_not_restored() {
    onsite_tests::sqlite_only!("onsite restore reads an embedded database file");
    let mut server = TestServer::start().await.unwrap();
    server.create_user("office", Role::BackOffice).unwrap();
    let before = server.dump().unwrap();
    server.stop().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("not-a-backup");
    std::fs::write(&garbage, b"certainly not SQLite").unwrap();
    assert!(backup::restore(server.data_dir(), &garbage).is_err());
    let empty = dir.path().join("empty.sqlite");
    rusqlite::Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = backup::restore(server.data_dir(), &empty).unwrap_err();
    assert!(err.to_string().contains("not an Onsite database"), "{err}");
    // The server's own database is untouched.
    server.restart().await.unwrap();
    assert_eq!(server.dump().unwrap(), before);
}
