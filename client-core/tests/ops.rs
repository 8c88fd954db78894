#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The technician's operations against real SQLite files: each commits one change before
//! it returns, the query table follows, and bad input or a refusal changes nothing.

use std::path::Path;
use std::sync::{Arc, Mutex};

use automerge::{ActorId, Change, ChangeHash};
use onsite_client::{
    Client, ErrorKind, JobFilter, JobView, JobsListener, NewJob, PartInput, Store,
};
use onsite_domain::forms::DEFAULT_TEMPLATE_ITEMS;
use onsite_domain::{Customer, Event, EventKind, Job, JobDoc, Product, ReviewState, Role, Status};
use onsite_sync::client::{ClientCommit, ClientStore};
use rusqlite::Connection;
use tempfile::TempDir;

const ME: &str = "tech-wang";

fn device() -> (TempDir, Client) {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open_with_session(dir.path(), ME, Role::Technician).unwrap();
    (dir, client)
}

fn new_job(name: &str, serial: &str) -> NewJob {
    NewJob {
        customer: Customer {
            name: name.into(),
            phone: "+86 139 0000 0000".into(),
            tier: "key".into(),
            site_distance: "near".into(),
            ..Default::default()
        },
        product: Product {
            id: String::new(),
            model: "WM-100".into(),
            serial: serial.into(),
            purchase_date: Some("2026-01-15".into()),
        },
        fault: "drum does not turn".into(),
        complaint: false,
    }
}

fn part() -> PartInput {
    PartInput {
        sku: "RLY-12".into(),
        name: "Relay 12 V".into(),
        quantity: 2,
        unit_price_cents: Some(1_250),
        billable: Some(true),
        serials_removed: vec!["OLD-1".into()],
        serials_installed: vec!["NEW-1".into()],
    }
}

/// The outbox as stored on disk: (doc id, hash, change bytes), oldest first.
fn outbox(dir: &Path) -> Vec<(String, String, Vec<u8>)> {
    let conn = Connection::open(dir.join("onsite.sqlite")).unwrap();
    let mut stmt = conn
        .prepare("SELECT doc_id, hash, change FROM outbox ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Does the stored document of `job` hold the change `hash`?
fn stored_doc_has(dir: &Path, job: &str, hash: &str) -> bool {
    let mut store = Store::open(dir).unwrap();
    let mut doc = store.load_doc(job).unwrap().unwrap();
    let hash: ChangeHash = hash.parse().unwrap();
    doc.automerge().get_change_by_hash(&hash).is_some()
}

/// Runs `op`, "kills the app", reopens the store from disk and checks that exactly one
/// change was committed: in the outbox, made by this device, held by the document.
fn committed<T>(
    dir: &Path,
    client: Client,
    job_of: impl FnOnce(&T) -> String,
    op: impl FnOnce(&Client) -> onsite_client::Result<T>,
) -> (Client, T, JobView) {
    let before = outbox(dir).len();
    let out = op(&client).unwrap();
    let user = client.session().unwrap().expect("signed in").user_id;
    drop(client);
    let rows = outbox(dir);
    assert_eq!(rows.len(), before + 1, "one outbox row per operation");
    let (doc_id, hash, bytes) = rows.last().unwrap().clone();
    let job = job_of(&out);
    assert_eq!(doc_id, job);
    let change = Change::try_from(bytes.as_slice()).unwrap();
    assert_eq!(change.hash().to_string(), hash);
    // The account's actor on this device.
    assert_eq!(
        change.actor_id(),
        &Store::open(dir).unwrap().actor_for(&user)
    );
    assert!(stored_doc_has(dir, &job, &hash));
    let client = Client::open(dir).unwrap();
    let view = client.get_job(&job).unwrap();
    (client, out, view)
}

#[test]
fn every_operation_commits_one_change_that_survives_a_reopen() {
    let (dir, client) = device();
    let dir = dir.path();
    let (client, job, view) = committed(
        dir,
        client,
        |id: &String| id.clone(),
        |c| c.create_job(new_job("Zhang", "SN-1")),
    );
    assert_eq!(view.status, Status::Accepted);
    assert_eq!(view.job.origin, "onsite");
    assert_eq!(view.job.assignee.as_deref(), Some(ME));
    let kinds: Vec<EventKind> = view.job.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Reported,
            EventKind::Assigned,
            EventKind::Accepted
        ]
    );
    assert!(view.job.events.iter().all(|e| e.by == ME));
    assert_eq!(
        uuid::Uuid::parse_str(&job).unwrap().to_string(),
        job,
        "lowercase UUID"
    );

    let same = |_: &()| job.clone();
    let (client, (), view) = committed(dir, client, same, |c| c.accept(&job));
    assert_eq!(view.job.events.len(), 4);
    let (client, (), view) = committed(dir, client, same, |c| c.start_travel(&job));
    assert_eq!(view.status, Status::EnRoute);
    let (client, (), view) = committed(dir, client, same, |c| c.arrive(&job));
    assert_eq!(view.status, Status::OnSite);
    let (client, (), view) = committed(dir, client, same, |c| c.diagnose(&job, "relay stuck"));
    assert_eq!(view.status, Status::Diagnosed);
    assert_eq!(view.job.diagnosis.as_str(), "relay stuck");
    let (client, line, view) = committed(
        dir,
        client,
        |_| job.clone(),
        |c| c.record_part(&job, part()),
    );
    let stored = &view.job.parts[&line];
    assert_eq!(
        (stored.sku.as_str(), stored.quantity, stored.by.as_str()),
        ("RLY-12", 2, ME)
    );
    assert_eq!(stored.serials_installed, ["NEW-1"]);
    let (client, (), view) = committed(dir, client, same, |c| c.repair(&job, "replaced the relay"));
    assert_eq!(view.status, Status::Repaired);
    assert_eq!(view.job.resolution.as_str(), "replaced the relay");
    let (client, note, view) = committed(
        dir,
        client,
        |_| job.clone(),
        |c| c.add_note(&job, "dog in the yard"),
    );
    assert_eq!(view.job.notes[&note].text.as_str(), "dog in the yard");
    let (mut client, form, view) = committed(
        dir,
        client,
        |_| job.clone(),
        |c| c.start_form(&job, "survey"),
    );
    assert_eq!(view.job.forms[&form].template_id, "csat-onsite");
    assert_eq!(view.job.forms[&form].respondent, "survey");
    for (item, points) in DEFAULT_TEMPLATE_ITEMS
        .iter()
        .zip([10, 8, 6, 4, 2].into_iter().cycle())
    {
        let (next, (), view) = committed(dir, client, same, |c| {
            c.answer_item(&job, &form, item.id, points, "ok")
        });
        assert_eq!(view.job.forms[&form].answers[item.id].points, points);
        client = next;
    }
    let (client, (), view) = committed(dir, client, same, |c| {
        c.submit_form(&job, &form, "call before coming")
    });
    assert!(view.job.forms[&form].submitted_at.is_some());
    assert_eq!(
        view.job.forms[&form].suggestion.as_str(),
        "call before coming"
    );
    let (client, (), view) = committed(dir, client, same, |c| c.complete(&job));
    assert_eq!(view.status, Status::Completed);
    assert_eq!(view.review_state, ReviewState::Pending);
    assert_eq!(client.pending_changes().unwrap(), outbox(dir).len() as u64);
}

#[test]
fn the_query_table_follows_the_operations() {
    let (_dir, client) = device();
    let a = client.create_job(new_job("Zhang Wei", "SN-100")).unwrap();
    let b = client.create_job(new_job("Li Na", "SN-200")).unwrap();
    client.arrive(&b).unwrap();
    client.record_part(&b, part()).unwrap();
    client.add_note(&b, "n").unwrap();
    client.complete(&b).unwrap();

    let all = client.list_jobs(&JobFilter::default()).unwrap();
    assert_eq!(all.len(), 2);
    let row_b = all.iter().find(|j| j.id == b).unwrap();
    assert_eq!(row_b.status, Status::Completed);
    assert_eq!(row_b.review_state, ReviewState::Pending);
    assert_eq!(
        (row_b.event_count, row_b.parts_count, row_b.note_count),
        (5, 1, 1)
    );
    assert_eq!(row_b.customer_name, "Li Na");
    assert!(row_b.unsynced);
    assert!(row_b.updated_at >= row_b.reported_at);

    let ids = |filter: JobFilter| -> Vec<String> {
        client
            .list_jobs(&filter)
            .unwrap()
            .into_iter()
            .map(|j| j.id)
            .collect()
    };
    let status = |s: &str| JobFilter {
        status: Some(s.into()),
        ..Default::default()
    };
    assert_eq!(ids(status("accepted")), [a.as_str()]);
    assert_eq!(ids(status("completed")), [b.as_str()]);
    assert!(ids(status("on_site")).is_empty());
    let review = JobFilter {
        review_state: Some("pending".into()),
        ..Default::default()
    };
    assert_eq!(ids(review), [b.as_str()]);
    let text = |t: &str| JobFilter {
        text: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(
        ids(text("zhang")),
        [a.as_str()],
        "case-insensitive name search"
    );
    assert_eq!(ids(text("SN-2")), [b.as_str()], "serial search");
    assert_eq!(ids(text("139 0000")).len(), 2, "phone search");
    assert!(ids(text("%")).is_empty(), "wildcards are literal");
    let page = |offset| JobFilter {
        limit: Some(1),
        offset,
        ..Default::default()
    };
    let (first, second) = (ids(page(0)), ids(page(1)));
    assert_eq!(first.len() + second.len(), 2);
    assert_ne!(first, second);
    let bad = client.list_jobs(&status("finished")).unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
}

#[test]
fn invalid_input_changes_nothing() {
    let (dir, client) = device();
    let job = client.create_job(new_job("Zhang", "SN-1")).unwrap();
    let form = client.start_form(&job, "survey").unwrap();
    let before = (
        client.pending_changes().unwrap(),
        client.get_job(&job).unwrap(),
        outbox(dir.path()),
    );

    let cases: Vec<(&str, ErrorKind, onsite_client::Result<()>)> = vec![
        (
            "empty fault",
            ErrorKind::InvalidInput,
            client
                .create_job(NewJob {
                    fault: "  ".into(),
                    ..new_job("Zhang", "SN")
                })
                .map(drop),
        ),
        (
            "no customer name",
            ErrorKind::InvalidInput,
            client.create_job(new_job("", "SN")).map(drop),
        ),
        (
            "bad purchase date",
            ErrorKind::InvalidInput,
            client
                .create_job(NewJob {
                    product: Product {
                        purchase_date: Some("yesterday".into()),
                        ..Product::default()
                    },
                    ..new_job("Zhang", "SN")
                })
                .map(drop),
        ),
        (
            "unknown job",
            ErrorKind::NotFound,
            client.accept("00000000-0000-4000-8000-000000000000"),
        ),
        (
            "empty note",
            ErrorKind::InvalidInput,
            client.add_note(&job, "").map(drop),
        ),
        (
            "huge note",
            ErrorKind::InvalidInput,
            client.add_note(&job, &"x".repeat(20_001)).map(drop),
        ),
        (
            "empty diagnosis",
            ErrorKind::InvalidInput,
            client.diagnose(&job, " "),
        ),
        (
            "zero quantity",
            ErrorKind::InvalidInput,
            client
                .record_part(
                    &job,
                    PartInput {
                        quantity: 0,
                        ..part()
                    },
                )
                .map(drop),
        ),
        (
            "negative quantity",
            ErrorKind::InvalidInput,
            client
                .record_part(
                    &job,
                    PartInput {
                        quantity: -1,
                        ..part()
                    },
                )
                .map(drop),
        ),
        (
            "no SKU",
            ErrorKind::InvalidInput,
            client
                .record_part(
                    &job,
                    PartInput {
                        sku: "".into(),
                        ..part()
                    },
                )
                .map(drop),
        ),
        (
            "unknown respondent",
            ErrorKind::InvalidInput,
            client.start_form(&job, "callback").map(drop),
        ),
        (
            "unknown item",
            ErrorKind::InvalidInput,
            client.answer_item(&job, &form, "weather", 10, ""),
        ),
        (
            "off the scale",
            ErrorKind::InvalidInput,
            client.answer_item(&job, &form, "overall", 7, ""),
        ),
        (
            "unknown form",
            ErrorKind::NotFound,
            client.answer_item(&job, "no-such-form", "overall", 10, ""),
        ),
        (
            "empty form",
            ErrorKind::InvalidInput,
            client.submit_form(&job, &form, ""),
        ),
    ];
    for (what, kind, result) in cases {
        let err = result.expect_err(what);
        assert_eq!(err.kind(), kind, "{what}: {err}");
        assert!(!err.to_string().is_empty());
    }
    let after = (
        client.pending_changes().unwrap(),
        client.get_job(&job).unwrap(),
        outbox(dir.path()),
    );
    assert_eq!(before, after);
    assert_eq!(client.list_jobs(&JobFilter::default()).unwrap().len(), 1);

    // A submitted form is final.
    client.answer_item(&job, &form, "overall", 10, "").unwrap();
    client.submit_form(&job, &form, "").unwrap();
    let err = client
        .answer_item(&job, &form, "quality", 8, "")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// Stores a job as a sync would: assigned by the back office, not made on this device.
fn receive_job(dir: &Path, id: &str, assignee: &str) {
    let job = Job {
        id: id.into(),
        origin: "hotline".into(),
        assignee: Some(assignee.into()),
        events: [EventKind::Reported, EventKind::Assigned]
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Event {
                id: format!("e{i}"),
                kind,
                at: 1_000,
                by: "office".into(),
            })
            .collect(),
        ..Job::default()
    };
    let (doc, _) = JobDoc::create(&job, ActorId::random(), 1_000).unwrap();
    let mut store = Store::open(dir).unwrap();
    store
        .commit(ClientCommit {
            docs: vec![(id.into(), doc)],
            ..ClientCommit::default()
        })
        .unwrap();
}

#[test]
fn the_write_policy_is_applied_before_anything_is_written() {
    let (dir, client) = device();
    let theirs = "00000000-0000-4000-8000-00000000000a";
    let mine = "00000000-0000-4000-8000-00000000000b";
    receive_job(dir.path(), theirs, "tech-li");
    receive_job(dir.path(), mine, ME);
    let before = client.get_job(theirs).unwrap();

    for result in [
        client.accept(theirs),
        client.add_note(theirs, "not mine").map(drop),
        client.record_part(theirs, part()).map(drop),
    ] {
        assert_eq!(
            result.unwrap_err().kind(),
            ErrorKind::Refused {
                code: "not_assigned".into()
            }
        );
    }
    assert_eq!(client.get_job(theirs).unwrap(), before);
    assert_eq!(client.pending_changes().unwrap(), 0);

    // Assigned to me by the back office: I may work on it.
    client.accept(mine).unwrap();
    assert_eq!(client.get_job(mine).unwrap().status, Status::Accepted);
    assert_eq!(client.list_jobs(&JobFilter::default()).unwrap().len(), 2);

    // Administrators do not edit jobs, even their own new ones.
    let admin_dir = tempfile::tempdir().unwrap();
    let admin = Client::open_with_session(admin_dir.path(), "root", Role::Admin).unwrap();
    let err = admin.create_job(new_job("Zhang", "SN")).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Refused {
            code: "role".into()
        }
    );
    assert_eq!(admin.pending_changes().unwrap(), 0);
    assert!(admin.list_jobs(&JobFilter::default()).unwrap().is_empty());
}

#[test]
fn operations_need_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let client = Client::open(dir.path()).unwrap();
    assert_eq!(client.session().unwrap(), None);
    let err = client.create_job(new_job("Zhang", "SN")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInNeeded);
    drop(client);

    let client = Client::open_with_session(dir.path(), ME, Role::Technician).unwrap();
    let job = client.create_job(new_job("Zhang", "SN")).unwrap();
    assert_eq!(client.session().unwrap().unwrap().user_id, ME);
    client.sign_out().unwrap();
    assert_eq!(
        client.add_note(&job, "x").unwrap_err().kind(),
        ErrorKind::SignInNeeded
    );
    assert_eq!(
        client.pending_changes().unwrap(),
        1,
        "signing out keeps unsynced work"
    );
    assert_eq!(client.get_job(&job).unwrap().status, Status::Accepted);
}

#[tokio::test]
async fn sync_needs_a_server_session() {
    let (_dir, client) = device();
    let err = client.sync().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInNeeded);
    let err = client.sign_in("not a url", "wang", "pw").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = client
        .sign_in("http://127.0.0.1:9", "", "pw")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[derive(Default)]
struct Seen(Mutex<Vec<Vec<String>>>);

impl JobsListener for Seen {
    fn on_jobs_changed(&self, ids: Vec<String>) {
        self.0.lock().unwrap().push(ids);
    }
}

#[test]
fn listeners_hear_local_changes_until_the_handle_is_dropped() {
    let (_dir, client) = device();
    let seen = Arc::new(Seen::default());
    let handle = client.subscribe(seen.clone());
    let job = client.create_job(new_job("Zhang", "SN")).unwrap();
    client.arrive(&job).unwrap();
    let _ = client.add_note(&job, "");
    assert_eq!(
        *seen.0.lock().unwrap(),
        vec![vec![job.clone()], vec![job.clone()]],
        "failed operations are silent"
    );
    drop(handle);
    client.complete(&job).unwrap();
    assert_eq!(seen.0.lock().unwrap().len(), 2);
}

#[test]
fn a_client_is_shared_between_threads() {
    fn send_sync<T: Send + Sync + Clone>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let (_dir, client) = device();
    send_sync(&client);
    send(client.sync());
    let job = client.create_job(new_job("Zhang", "SN")).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (client, job) = (client.clone(), job.clone());
            std::thread::spawn(move || {
                for n in 0..5 {
                    client
                        .add_note(&job, &format!("thread {i} note {n}"))
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(client.get_job(&job).unwrap().job.notes.len(), 20);
    assert_eq!(client.pending_changes().unwrap(), 21);
}
