#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! The device clock in the sync exchange: the engine sends what it is given, and the
//! server hands it to the store with its own clock, for the writes of that request only.

use automerge::ActorId;
use onsite_domain::{Job, JobDoc, Role};
use onsite_sync::client::{ClientSync, SyncOptions};
use onsite_sync::memory::{MemoryClientStore, MemoryServerStore};
use onsite_sync::server::{Peer, Received, handle};
use onsite_sync::wire::{self, Request};

const T: i64 = 1_794_823_200_000;

fn tech() -> Peer {
    Peer {
        user_id: "wang".into(),
        role: Role::Technician,
        device_id: "phone".into(),
    }
}

/// A job opened on the device, waiting in its outbox.
fn opened(device: &mut MemoryClientStore) -> String {
    let id = "0b9f2c1e-7d4a-4c3b-9e8f-1a2b3c4d5e6f".to_string();
    let job = Job {
        id: id.clone(),
        origin: "onsite".into(),
        reported_at: T,
        assignee: Some("wang".into()),
        ..Job::default()
    };
    let (mut doc, change) = JobDoc::create(&job, ActorId::random(), T).unwrap();
    device.record_local(&id, &mut doc, &change);
    id
}

/// Runs a whole sync, telling the engine `clock` (if any) before each request; returns
/// the clocks the requests carried.
fn sync(
    server: &mut MemoryServerStore,
    device: &mut MemoryClientStore,
    clock: Option<i64>,
) -> Vec<Option<i64>> {
    let mut run = ClientSync::new(SyncOptions::default());
    let mut sent = Vec::new();
    loop {
        if let Some(now) = clock {
            run.set_clock(now);
        }
        let Some(request) = run.next_request(device).unwrap() else {
            break;
        };
        let request: Request = wire::decode(&wire::encode(&request)).unwrap();
        if let Request::Sync(s) = &request {
            sent.push(s.clock);
        }
        let response = handle(server, &tech(), request).unwrap();
        run.handle_response(device, response).unwrap();
    }
    sent
}

#[test]
fn the_device_clock_travels_with_the_push_and_reaches_the_store() {
    let mut server = MemoryServerStore::new("epoch-1");
    server.clock_ms = T + 60_000;
    let mut device = MemoryClientStore::default();
    let ahead = T + 2 * 3_600_000;
    let id = opened(&mut device);
    let sent = sync(&mut server, &mut device, Some(ahead));
    assert!(!sent.is_empty() && sent.iter().all(|c| *c == Some(ahead)));
    let received = server.received[&id].unwrap();
    assert_eq!(
        received,
        Received {
            at_ms: T + 60_000,
            device_clock_ms: Some(ahead),
        }
    );
    assert_eq!(received.device_offset_ms(), Some(60_000 - 2 * 3_600_000));
}

#[test]
fn an_engine_told_no_clock_sends_none_and_the_offset_is_unknown() {
    let mut server = MemoryServerStore::new("epoch-1");
    server.clock_ms = T;
    let mut device = MemoryClientStore::default();
    let id = opened(&mut device);
    let sent = sync(&mut server, &mut device, None);
    assert!(sent.iter().all(Option::is_none));
    let received = server.received[&id].unwrap();
    assert_eq!(received.at_ms, T);
    assert_eq!(received.device_offset_ms(), None);
}
