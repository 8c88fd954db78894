//! The sync store on PostgreSQL with several servers on one database: the feed never
//! skips a change while they commit concurrently, notices reach every server, and they
//! share one epoch.
#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use automerge::ActorId;
use common::TestDb;
use onsite_domain::{Event, EventKind, Job, JobDoc, Role};
use onsite_store_postgres::PgError;
use onsite_sync::server::{DocWrite, FeedItem, NewChange, Peer, ServerStore};

const T: i64 = 1_796_068_800_000;

fn peer(user: &str, role: Role, device: &str) -> Peer {
    Peer {
        user_id: user.into(),
        role,
        device_id: device.into(),
    }
}

fn doc_id(server: usize, n: usize) -> String {
    format!("00000000-0000-4000-8000-{server:04x}{n:08x}")
}

fn new_job(id: &str, assignee: Option<&str>) -> DocWrite {
    let job = Job {
        id: id.into(),
        origin: "hotline".into(),
        reported_at: T,
        assignee: assignee.map(Into::into),
        events: vec![Event {
            id: format!("{id}-reported"),
            kind: EventKind::Reported,
            at: T,
            by: "office".into(),
        }],
        ..Job::default()
    };
    let actor = ActorId::random();
    let (mut doc, change) = JobDoc::create(&job, actor.clone(), T).unwrap();
    DocWrite {
        doc_id: id.into(),
        job: doc.job().unwrap(),
        saved: doc.save(),
        changes: vec![NewChange {
            hash: change.hash(),
            bytes: change.raw_bytes().to_vec(),
        }],
        created: true,
        authored: vec![actor],
        received: None,
    }
}

#[test]
fn a_job_enters_its_technicians_scope_and_reaches_the_back_office() {
    let Some(db) = TestDb::create("a_job_enters_its_technicians_scope") else {
        return;
    };
    let server = db.server();
    let id = doc_id(0, 1);
    let office = peer("office", Role::BackOffice, "pc");
    server
        .write(|s| s.commit(&office, vec![new_job(&id, Some("wang"))]))
        .unwrap();
    let wang = peer("wang", Role::Technician, "phone");
    let feed = server.read(|s| s.read_feed(&wang, 0, 100)).unwrap();
    assert_eq!(feed.items.len(), 1);
    assert!(matches!(&feed.items[0], FeedItem::Enter { doc, .. } if *doc == id));
    let other_office = peer("office-2", Role::BackOffice, "pc-2");
    let seen = server.read(|s| s.read_feed(&other_office, 0, 100)).unwrap();
    assert!(matches!(&seen.items[..], [FeedItem::Change { doc, .. }] if *doc == id));
    assert!(
        server
            .read(|s| s.read_feed(&office, 0, 100))
            .unwrap()
            .items
            .is_empty()
    );
    let (scope, head) = server.read(|s| s.scope(&wang)).unwrap();
    assert_eq!((scope, head), (vec![id.clone()], feed.head));
    // The query row is written in the same transaction.
    let owner = server.read(|s| s.actor_owner(&ActorId::random())).unwrap();
    assert!(owner.is_none());
}

#[test]
fn servers_on_one_database_share_its_epoch() {
    let Some(db) = TestDb::create("servers_share_the_epoch") else {
        return;
    };
    let a = db.server();
    let b = db.server();
    let epoch_a = a.read(|s| s.epoch()).unwrap();
    assert_eq!(epoch_a, b.read(|s| s.epoch()).unwrap());
    assert!(!a.read(|s| s.restored()).unwrap());
}

/// Four servers commit jobs concurrently, three per transaction, while two devices of
/// the back office pull with small pages and move their cursors. Every device must end
/// with every job exactly once, in increasing sequence order: a cursor moved past a
/// number whose change was not yet visible would lose that change for good.
#[test]
fn the_feed_never_skips_a_change_while_servers_commit_concurrently() {
    let Some(db) = TestDb::create("the_feed_never_skips") else {
        return;
    };
    const SERVERS: usize = 4;
    const COMMITS: usize = 15;
    const PER_COMMIT: usize = 3;
    let servers: Vec<_> = (0..SERVERS).map(|_| db.server()).collect();
    let writing = Arc::new(AtomicBool::new(true));
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|r| {
                let server = servers[r].clone();
                let writing = writing.clone();
                scope.spawn(move || {
                    let device = peer("office-reader", Role::BackOffice, &format!("pc-{r}"));
                    let mut cursor = 0;
                    let mut seen: Vec<(u64, String)> = Vec::new();
                    loop {
                        // Read the flag before pulling: a pull that starts after the
                        // writers are done and finds nothing new is the last.
                        let still_writing = writing.load(Ordering::SeqCst);
                        let page = server.read(|s| s.read_feed(&device, cursor, 7)).unwrap();
                        for item in &page.items {
                            let FeedItem::Change { seq, doc, .. } = item else {
                                panic!("the back office is sent changes only: {item:?}");
                            };
                            assert!(*seq > cursor, "seq {seq} after cursor {cursor}");
                            cursor = *seq;
                            seen.push((*seq, doc.clone()));
                        }
                        if page.items.is_empty() && !still_writing {
                            return seen;
                        }
                    }
                })
            })
            .collect();
        let writers: Vec<_> = servers
            .iter()
            .enumerate()
            .map(|(w, server)| {
                let server = server.clone();
                scope.spawn(move || {
                    let office = peer("office", Role::BackOffice, &format!("server-{w}"));
                    for c in 0..COMMITS {
                        let writes = (0..PER_COMMIT)
                            .map(|k| new_job(&doc_id(w, c * PER_COMMIT + k), None))
                            .collect();
                        server.write(|s| s.commit(&office, writes)).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        writing.store(false, Ordering::SeqCst);
        let expected = SERVERS * COMMITS * PER_COMMIT;
        for r in readers {
            let seen = r.join().unwrap();
            let mut count: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, doc) in &seen {
                *count.entry(doc.as_str()).or_default() += 1;
            }
            assert_eq!(count.len(), expected, "every job reached the device");
            assert!(count.values().all(|&n| n == 1), "each exactly once");
            assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
        }
    });
}

#[test]
fn notices_reach_every_server_after_commit_only() {
    let Some(db) = TestDb::create("notices_reach_every_server") else {
        return;
    };
    let a = db.server();
    let b = db.server();
    let mut heard_on_b = b.live().subscribe();
    let office = peer("office", Role::BackOffice, "pc");
    // A unit that fails is rolled back, and its notice with it.
    let failed: Result<(), PgError> = a.write(|s| {
        s.commit(&office, vec![new_job(&doc_id(9, 1), Some("li"))])?;
        Err(PgError::NoEpoch)
    });
    assert!(failed.is_err());
    a.write(|s| s.commit(&office, vec![new_job(&doc_id(9, 2), Some("wang"))]))
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let notice = runtime
        .block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(30), heard_on_b.recv()).await
        })
        .unwrap()
        .unwrap();
    assert_eq!(notice.technicians, vec!["wang".to_string()]);
    assert_eq!(notice.origin_device, "pc");
    // The rolled-back job was never stored.
    assert!(a.read(|s| s.load_saved(&doc_id(9, 1))).unwrap().is_none());
}

#[test]
fn a_database_marked_restored_has_a_new_epoch_and_says_it_was_restored() {
    let Some(db) = TestDb::create("a_database_marked_restored") else {
        return;
    };
    let before = db.server().read(|s| s.epoch()).unwrap();
    let marked = onsite_store_postgres::restore::mark_restored_at(&db.config).unwrap();
    assert_eq!(marked.restored_from, before);
    let server = db.server();
    assert_eq!(server.read(|s| s.epoch()).unwrap(), marked.epoch);
    assert_ne!(marked.epoch, before);
    assert!(server.read(|s| s.restored()).unwrap());
}
