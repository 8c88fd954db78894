//! The contract every backend keeps, as tests: one suite, run by each backend crate with
//! [`backend_conformance_tests!`](crate::backend_conformance_tests) against a fresh
//! database of its own.
//!
//! The tests go through the seam only (`dyn Backend`, `Unit`), so what passes here on
//! SQLite passes on any other backend for the same reasons. They check the sync engine's
//! `ServerStore` contract (its documentation lists it) and the unit-of-work guarantees:
//! notices published only after work that succeeded, panics contained.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

use std::sync::Arc;

use automerge::ActorId;
use onsite_domain::{Event, EventKind, Job, JobDoc, Role};
use onsite_sync::server::{DocWrite, FeedItem, NewChange, Peer, Received};

use crate::{Backend, Notice, StoreError, Unit};

pub mod accounts;
pub mod audit;
pub mod jobs;
pub mod reference;
pub mod reports;

const T: i64 = 1_796_068_800_000;

/// Returns once the wall clock has moved into the next second: backends store some times
/// in whole seconds, and an ordering by them needs two distinct values.
pub(crate) fn until_the_next_second() {
    let start = chrono::Utc::now().timestamp();
    while chrono::Utc::now().timestamp() == start {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

fn peer(user: &str, role: Role, device: &str) -> Peer {
    Peer {
        user_id: user.into(),
        role,
        device_id: device.into(),
    }
}

fn office() -> Peer {
    peer("office-1", Role::BackOffice, "pc-1")
}

fn technician(user: &str) -> Peer {
    peer(user, Role::Technician, &format!("phone-of-{user}"))
}

fn job(id: &str, assignee: Option<&str>) -> Job {
    Job {
        id: id.into(),
        origin: "hotline".into(),
        reported_at: T,
        assignee: assignee.map(Into::into),
        events: vec![Event {
            id: format!("{id}-reported"),
            kind: EventKind::Reported,
            at: T,
            by: "office-1".into(),
        }],
        ..Job::default()
    }
}

/// A document id as the sync engine requires (a lowercase UUID), distinct per `n`.
fn doc_id(n: u8) -> String {
    format!("00000000-0000-4000-8000-0000000000{n:02x}")
}

/// A new job's write, as the sync engine hands it to `commit`.
fn created(id: &str, assignee: Option<&str>, actor: &ActorId) -> (JobDoc, DocWrite) {
    let job = job(id, assignee);
    let (mut doc, change) = JobDoc::create(&job, actor.clone(), T).unwrap();
    let write = DocWrite {
        doc_id: id.into(),
        job: doc.job().unwrap(),
        saved: doc.save(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor.clone()],
        received: Some(Received {
            at_ms: T,
            device_clock_ms: Some(T),
        }),
    };
    (doc, write)
}

/// An edit of a stored job, as the sync engine hands it to `commit`.
fn edited(doc: &mut JobDoc, id: &str, actor: &ActorId, edit: impl FnOnce(&mut Job)) -> DocWrite {
    doc.set_actor(actor.clone());
    let change = doc.edit("edit", T + 60_000, edit).unwrap().unwrap();
    DocWrite {
        doc_id: id.into(),
        job: doc.job().unwrap(),
        saved: doc.save(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: false,
        authored: vec![actor.clone()],
        received: None,
    }
}

async fn commit(backend: &Arc<dyn Backend>, by: Peer, writes: Vec<DocWrite>) {
    backend
        .write(move |unit| unit.commit(&by, writes))
        .await
        .unwrap();
}

async fn feed(backend: &Arc<dyn Backend>, who: Peer, after: u64) -> (Vec<FeedItem>, u64) {
    backend
        .read(move |unit| unit.read_feed(&who, after, 100))
        .await
        .map(|f| (f.items, f.head))
        .unwrap()
}

fn docs(items: &[FeedItem]) -> Vec<(&'static str, String)> {
    items
        .iter()
        .map(|i| match i {
            FeedItem::Change { doc, .. } => ("change", doc.clone()),
            FeedItem::Enter { doc, .. } => ("enter", doc.clone()),
            FeedItem::Leave { doc, .. } => ("leave", doc.clone()),
        })
        .collect()
}

pub async fn the_epoch_is_stable_and_a_new_database_is_not_restored(backend: Arc<dyn Backend>) {
    let first = backend.read(|unit| unit.epoch()).await.unwrap();
    let again = backend.write(|unit| unit.epoch()).await.unwrap();
    assert!(!first.is_empty());
    assert_eq!(first, again);
    assert!(!backend.read(|unit| unit.restored()).await.unwrap());
}

pub async fn a_new_job_enters_its_assignees_scope_and_reaches_the_back_office(
    backend: Arc<dyn Backend>,
) {
    let id = doc_id(1);
    let actor = ActorId::random();
    let (_, write) = created(&id, Some("tech-1"), &actor);
    let saved = write.saved.clone();
    commit(&backend, office(), vec![write]).await;

    let (items, head) = feed(&backend, technician("tech-1"), 0).await;
    assert_eq!(docs(&items), vec![("enter", id.clone())]);
    match &items[0] {
        FeedItem::Enter { data, seq, .. } => {
            assert_eq!(JobDoc::load(data).unwrap().job().unwrap().id, id);
            assert!(*seq <= head);
        }
        other => panic!("expected an entry, got {other:?}"),
    }
    // Another technician sees nothing; the uploading device is not sent its own change.
    assert!(feed(&backend, technician("tech-2"), 0).await.0.is_empty());
    assert!(feed(&backend, office(), 0).await.0.is_empty());
    let other_office = peer("office-2", Role::BackOffice, "pc-2");
    assert_eq!(
        docs(&feed(&backend, other_office, 0).await.0),
        vec![("change", id.clone())]
    );
    let stored = backend
        .read({
            let id = id.clone();
            move |unit| unit.load_saved(&id)
        })
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some(saved.as_slice()));
    let (scope, scope_head) = backend
        .read(|unit| unit.scope(&technician("tech-1")))
        .await
        .unwrap();
    assert_eq!((scope, scope_head), (vec![id.clone()], head));
    let in_scope = backend
        .read(move |unit| unit.in_scope(&technician("tech-2"), &id))
        .await
        .unwrap();
    assert!(!in_scope);
}

pub async fn reassigning_a_job_moves_it_between_scopes_after_its_changes(
    backend: Arc<dyn Backend>,
) {
    let id = doc_id(2);
    let actor = ActorId::random();
    let (mut doc, write) = created(&id, Some("tech-1"), &actor);
    commit(&backend, office(), vec![write]).await;
    let (_, cursor) = feed(&backend, technician("tech-1"), 0).await;
    let write = edited(&mut doc, &id, &actor, |j| {
        j.assignee = Some("tech-2".into())
    });
    commit(&backend, office(), vec![write]).await;

    let (items, _) = feed(&backend, technician("tech-1"), cursor).await;
    assert_eq!(docs(&items), vec![("leave", id.clone())]);
    let (items, _) = feed(&backend, technician("tech-2"), 0).await;
    assert_eq!(docs(&items), vec![("enter", id.clone())]);
    let seqs: Vec<u64> = feed(&backend, peer("o2", Role::BackOffice, "pc-2"), 0)
        .await
        .0
        .iter()
        .map(|i| match i {
            FeedItem::Change { seq, .. }
            | FeedItem::Enter { seq, .. }
            | FeedItem::Leave { seq, .. } => *seq,
        })
        .collect();
    assert_eq!(seqs.len(), 2, "two changes for the back office");
    assert!(seqs[0] < seqs[1], "in sequence order: {seqs:?}");
}

/// Entries of jobs that have left the technician's scope since are not sent, and they
/// must not take room in a page: a page cut short reads as the end of the feed.
pub async fn a_page_is_not_cut_short_by_entries_of_jobs_gone_elsewhere(backend: Arc<dyn Backend>) {
    let actor = ActorId::random();
    for n in 60..63 {
        let id = doc_id(n);
        let (mut doc, write) = created(&id, Some("tech-1"), &actor);
        commit(&backend, office(), vec![write]).await;
        let moved = edited(&mut doc, &id, &actor, |j| {
            j.assignee = Some("tech-2".into())
        });
        commit(&backend, office(), vec![moved]).await;
    }
    let kept = doc_id(63);
    let (_, write) = created(&kept, Some("tech-1"), &actor);
    commit(&backend, office(), vec![write]).await;
    // Pull as the engine does: pages of 3 until one comes back short.
    let mut cursor = 0;
    let mut seen = Vec::new();
    loop {
        let page = backend
            .read(move |unit| unit.read_feed(&technician("tech-1"), cursor, 3))
            .await
            .unwrap();
        let short = page.items.len() < 3;
        for item in &page.items {
            cursor = match item {
                FeedItem::Change { seq, .. }
                | FeedItem::Enter { seq, .. }
                | FeedItem::Leave { seq, .. } => *seq,
            };
        }
        seen.extend(docs(&page.items));
        if short {
            break;
        }
    }
    assert!(
        seen.contains(&("enter", kept)),
        "the job still assigned arrives: {seen:?}"
    );
    assert!(seen.iter().all(|(kind, _)| *kind != "change"));
}

/// The device that made a job holds it without its entry; later changes by the same
/// technician's other device must reach it even while its cursor is before the entry.
pub async fn a_device_gets_changes_to_the_job_it_created_before_its_cursor_passes_the_entry(
    backend: Arc<dyn Backend>,
) {
    let id = doc_id(70);
    let phone = technician("tech-1");
    let tablet = peer("tech-1", Role::Technician, "tablet-of-tech-1");
    let phone_actor = ActorId::random();
    let (mut doc, write) = created(&id, Some("tech-1"), &phone_actor);
    commit(&backend, phone.clone(), vec![write]).await;
    let tablet_actor = ActorId::random();
    let later = edited(&mut doc, &id, &tablet_actor, |j| j.complaint = true);
    commit(&backend, tablet, vec![later]).await;
    let (items, _) = feed(&backend, phone, 0).await;
    assert_eq!(
        docs(&items),
        vec![("change", id)],
        "the tablet's change, and no entry"
    );
}

pub async fn a_change_already_stored_is_not_numbered_again(backend: Arc<dyn Backend>) {
    let id = doc_id(3);
    let actor = ActorId::random();
    let (_, write) = created(&id, None, &actor);
    let again = DocWrite {
        doc_id: write.doc_id.clone(),
        job: write.job.clone(),
        saved: write.saved.clone(),
        changes: write
            .changes
            .iter()
            .map(|c| NewChange {
                hash: c.hash,
                bytes: c.bytes.clone(),
            })
            .collect(),
        created: false,
        authored: write.authored.clone(),
        received: None,
    };
    commit(&backend, office(), vec![write]).await;
    let (_, head) = feed(&backend, office(), 0).await;
    commit(&backend, office(), vec![again]).await;
    let (_, after) = feed(&backend, office(), 0).await;
    assert_eq!(head, after);
}

pub async fn the_feed_pages_in_order_and_the_head_is_read_with_it(backend: Arc<dyn Backend>) {
    let actor = ActorId::random();
    for n in 10..15 {
        let (_, write) = created(&doc_id(n), None, &actor);
        commit(&backend, office(), vec![write]).await;
    }
    let reader = peer("o2", Role::BackOffice, "pc-2");
    let first = backend
        .read({
            let reader = reader.clone();
            move |unit| unit.read_feed(&reader, 0, 2)
        })
        .await
        .unwrap();
    assert_eq!(first.items.len(), 2);
    let last_seq = match first.items[1] {
        FeedItem::Change { seq, .. } => seq,
        ref other => panic!("expected a change, got {other:?}"),
    };
    let (rest, head) = feed(&backend, reader, last_seq).await;
    assert_eq!(rest.len(), 3);
    assert_eq!(head, first.head);
    let mut all = docs(&first.items);
    all.extend(docs(&rest));
    let expected: Vec<_> = (10..15).map(|n| ("change", doc_id(n))).collect();
    assert_eq!(all, expected);
}

pub async fn actors_belong_to_the_device_that_first_used_them(backend: Arc<dyn Backend>) {
    let actor = ActorId::random();
    let (_, write) = created(&doc_id(20), Some("tech-1"), &actor);
    commit(&backend, technician("tech-1"), vec![write]).await;
    let epoch = backend.read(|unit| unit.epoch()).await.unwrap();
    let owner = backend
        .read({
            let actor = actor.clone();
            move |unit| unit.actor_owner(&actor)
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            owner.user_id.as_str(),
            owner.device_id.as_str(),
            owner.epoch.as_str()
        ),
        ("tech-1", "phone-of-tech-1", epoch.as_str())
    );
    let unknown = backend
        .read(|unit| unit.actor_owner(&ActorId::random()))
        .await
        .unwrap();
    assert!(unknown.is_none());
}

pub async fn a_quarantined_job_is_sent_to_no_device(backend: Arc<dyn Backend>) {
    let id = doc_id(30);
    let actor = ActorId::random();
    let (_, write) = created(&id, Some("tech-1"), &actor);
    commit(&backend, office(), vec![write]).await;
    backend
        .write({
            let id = id.clone();
            move |unit| unit.quarantine(&id, "unreadable in a test")
        })
        .await
        .unwrap();
    assert!(feed(&backend, technician("tech-1"), 0).await.0.is_empty());
    assert!(
        feed(&backend, peer("o2", Role::BackOffice, "pc-2"), 0)
            .await
            .0
            .is_empty()
    );
}

async fn next_notice(heard: &mut tokio::sync::broadcast::Receiver<Notice>) -> Notice {
    tokio::time::timeout(std::time::Duration::from_secs(30), heard.recv())
        .await
        .expect("a notice within 30 s")
        .unwrap()
}

pub async fn notices_go_out_after_work_that_succeeded_only(backend: Arc<dyn Backend>) {
    let mut heard = backend.live().subscribe();
    let notice = |origin: &str| Notice {
        technicians: vec!["tech-1".into()],
        everyone: false,
        origin_user: origin.into(),
        origin_device: "pc-1".into(),
    };
    let failed = notice("failed");
    let outcome: Result<(), StoreError> = backend
        .write(move |unit: &mut dyn Unit| {
            unit.notify(failed);
            Err(StoreError::Unavailable("the work failed".into()))
        })
        .await;
    assert!(outcome.is_err());
    let done = notice("done");
    backend
        .write(move |unit: &mut dyn Unit| {
            unit.notify(done);
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    // The first notice heard is the successful one: the failed work's was dropped. (Bounded:
    // a notice that never comes fails the test rather than hanging it.)
    assert_eq!(next_notice(&mut heard).await.origin_user, "done");
    // A commit that brings a technician's job tells them, through the same channel.
    let (_, write) = created(&doc_id(40), Some("tech-9"), &ActorId::random());
    commit(&backend, office(), vec![write]).await;
    let n = next_notice(&mut heard).await;
    assert_eq!(n.technicians, vec!["tech-9".to_string()]);
}

pub async fn a_panic_in_the_work_is_an_error_and_the_backend_keeps_serving(
    backend: Arc<dyn Backend>,
) {
    let outcome: Result<(), StoreError> = backend
        .write(|_unit: &mut dyn Unit| -> Result<(), StoreError> { panic!("work that panics") })
        .await;
    assert!(
        matches!(outcome, Err(StoreError::Panicked(_))),
        "{outcome:?}"
    );
    let (_, write) = created(&doc_id(50), None, &ActorId::random());
    commit(&backend, office(), vec![write]).await;
    assert!(backend.read(|unit| unit.epoch()).await.is_ok());
}

fn account(username: &str) -> crate::repo::accounts::NewAccount {
    crate::repo::accounts::NewAccount {
        username: username.into(),
        display_name: username.into(),
        role: Role::BackOffice,
        password_hash: format!("hash-of-{username}"),
    }
}

/// The user names of the accounts, as a unit of `backend` reads them.
fn usernames(unit: &mut dyn Unit) -> Result<Vec<String>, StoreError> {
    Ok(unit.accounts()?.into_iter().map(|a| a.username).collect())
}

/// Runs `work` on `backend` from inside another unit's thread, and waits for it.
fn meanwhile<T: Send + 'static>(
    backend: &Arc<dyn Backend>,
    access: crate::Access,
    work: impl FnOnce(&mut dyn Unit) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let backend = backend.clone();
    let runtime = tokio::runtime::Handle::current();
    // Another thread, so that waiting never holds up the runtime's own.
    std::thread::spawn(move || {
        runtime.block_on(async move {
            match access {
                crate::Access::Read => backend.read(work).await,
                crate::Access::Write => backend.write(work).await,
            }
        })
    })
    .join()
    .unwrap_or_else(|_| Err(StoreError::Panicked("the other unit panicked".into())))
}

pub async fn a_read_unit_sees_one_moment_while_a_write_commits(backend: Arc<dyn Backend>) {
    let other = backend.clone();
    let (before, during) = backend
        .read(move |unit: &mut dyn Unit| {
            let before = usernames(unit)?;
            meanwhile(&other, crate::Access::Write, |unit| {
                unit.create_account(&account("zhao"))
                    .map(|_| ())
                    .map_err(|e| StoreError::Database(format!("{e:?}")))
            })?;
            Ok::<_, StoreError>((before, usernames(unit)?))
        })
        .await
        .unwrap();
    assert_eq!(during, before, "a read unit reads from one snapshot");
    let after = backend.read(usernames).await.unwrap();
    assert!(after.contains(&"zhao".to_string()), "{after:?}");
}

pub async fn a_write_unit_is_seen_whole_or_not_at_all(backend: Arc<dyn Backend>) {
    let other = backend.clone();
    let seen_midway = backend
        .write(move |unit: &mut dyn Unit| {
            unit.create_account(&account("qian"))
                .map_err(|e| StoreError::Database(format!("{e:?}")))?;
            let seen = meanwhile(&other, crate::Access::Read, usernames)?;
            unit.create_account(&account("sun"))
                .map_err(|e| StoreError::Database(format!("{e:?}")))?;
            Ok::<_, StoreError>(seen)
        })
        .await
        .unwrap();
    assert!(
        !seen_midway.contains(&"qian".to_string()),
        "another unit saw half of a write unit: {seen_midway:?}"
    );
    let after = backend.read(usernames).await.unwrap();
    assert!(
        after.contains(&"qian".to_string()) && after.contains(&"sun".to_string()),
        "{after:?}"
    );
}

/// Runs the whole suite against the backend `$make` opens: an async expression that gives
/// `Some` fresh `Arc<dyn Backend>` (and whatever must outlive it, as the second element of
/// a tuple: a temporary directory, say), or `None` when the backend cannot run here (after
/// saying so).
#[macro_export]
macro_rules! backend_conformance_tests {
    ($make:expr) => {
        $crate::backend_conformance_tests!(@tests $make;
            the_epoch_is_stable_and_a_new_database_is_not_restored,
            a_new_job_enters_its_assignees_scope_and_reaches_the_back_office,
            reassigning_a_job_moves_it_between_scopes_after_its_changes,
            a_change_already_stored_is_not_numbered_again,
            a_page_is_not_cut_short_by_entries_of_jobs_gone_elsewhere,
            a_device_gets_changes_to_the_job_it_created_before_its_cursor_passes_the_entry,
            the_feed_pages_in_order_and_the_head_is_read_with_it,
            actors_belong_to_the_device_that_first_used_them,
            a_quarantined_job_is_sent_to_no_device,
            notices_go_out_after_work_that_succeeded_only,
            a_panic_in_the_work_is_an_error_and_the_backend_keeps_serving,
            a_read_unit_sees_one_moment_while_a_write_commits,
            a_write_unit_is_seen_whole_or_not_at_all,
        );
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((backend, _keep)) = $make.await else {
                    return;
                };
                $crate::conformance::$name(backend).await;
            }
        )*
    };
}

/// Runs the repositories' contract tests (`conformance::{accounts, audit, reference,
/// reports, jobs}`) with `$run`: a function that opens a fresh database and calls the closure it
/// is given with one unit of work of the backend, committed afterwards.
#[macro_export]
macro_rules! unit_conformance_tests {
    ($run:path) => {
        $crate::accounts_unit_tests!($run);
        $crate::audit_unit_tests!($run);
        $crate::reference_unit_tests!($run);
        $crate::reports_unit_tests!($run);
        $crate::jobs_unit_tests!($run);
    };
    (@tests $run:path; $area:ident; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $run(|unit| $crate::conformance::$area::$name(unit));
            }
        )*
    };
}
