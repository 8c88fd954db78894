#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

//! Reference data in the sync exchange, with both engines and the in-memory stores: what
//! goes down, when, and that nothing goes up.

use onsite_domain::{CatalogItem, FormTemplate, Role};
use onsite_sync::client::{ClientSync, SyncOptions};
use onsite_sync::memory::{MemoryClientStore, MemoryServerStore};
use onsite_sync::server::{HandleError, Peer, handle};
use onsite_sync::wire::{
    self, PullReply, PullRequest, ReferenceDelta, Request, Response, SyncRequest, SyncResponse,
};

fn peer(user: &str, device: &str) -> Peer {
    Peer {
        user_id: user.into(),
        role: Role::Technician,
        device_id: device.into(),
    }
}

fn item(sku: &str, cents: i64) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: format!("part {sku}"),
        unit_price_cents: cents,
        billable: true,
        active: true,
    }
}

/// Runs a whole sync; returns the reference deltas the device received.
fn sync(
    server: &mut MemoryServerStore,
    device: &mut MemoryClientStore,
    p: &Peer,
) -> Vec<ReferenceDelta> {
    let mut run = ClientSync::new(SyncOptions::default());
    let mut received = Vec::new();
    while let Some(request) = run.next_request(device).unwrap() {
        let request: Request = wire::decode(&wire::encode(&request)).unwrap();
        let response = handle(server, p, request).unwrap();
        if let Response::Sync(SyncResponse {
            pull: Some(PullReply::Page(page)),
            ..
        }) = &response
            && let Some(delta) = &page.reference
        {
            received.push(delta.clone());
        }
        run.handle_response(device, response).unwrap();
    }
    received
}

#[test]
fn catalog_templates_and_own_stock_go_down_once_then_only_changes() {
    let mut server = MemoryServerStore::new("epoch-1");
    server.put_catalog_item(item("RLY-12", 1_800));
    server.put_catalog_item(item("FUSE-3A", 300));
    let mut v2 = FormTemplate::builtin();
    v2.version = 2;
    server.publish_template(v2.clone());
    server.set_stock("wang", "RLY-12", 4);
    server.set_stock("li", "RLY-12", 9);
    let wang = peer("wang", "phone");
    let mut phone = MemoryClientStore::default();

    let first = sync(&mut server, &mut phone, &wang);
    assert_eq!(first.len(), 1);
    assert!(first[0].full);
    assert_eq!(phone.catalog.len(), 2);
    assert_eq!(phone.templates.get(&("csat-onsite".into(), 2)), Some(&v2));
    assert_eq!(
        phone.stock.get("RLY-12"),
        Some(&4),
        "only wang's own van stock"
    );
    assert_eq!(phone.stock.len(), 1);
    assert_eq!(phone.reference_cursor, server.reference_head());

    // Nothing changed: nothing is sent, the cursor stays.
    assert!(sync(&mut server, &mut phone, &wang).is_empty());
    // Someone else's stock moved the head: still nothing for wang.
    server.set_stock("li", "RLY-12", 8);
    assert!(sync(&mut server, &mut phone, &wang).is_empty());

    // One catalog change and wang's stock: exactly those.
    server.put_catalog_item(item("FUSE-3A", 350));
    server.set_stock("wang", "RLY-12", -2);
    let delta = sync(&mut server, &mut phone, &wang);
    assert_eq!(delta.len(), 1);
    assert!(!delta[0].full);
    assert_eq!(delta[0].catalog, vec![item("FUSE-3A", 350)]);
    assert_eq!(delta[0].stock.len(), 1);
    assert!(delta[0].templates.is_empty());
    assert_eq!(phone.stock.get("RLY-12"), Some(&-2));
    assert_eq!(phone.catalog["FUSE-3A"].unit_price_cents, 350);
    assert_eq!(phone.catalog.len(), 2);
}

#[test]
fn a_device_ahead_of_the_server_or_after_a_reset_gets_everything_again() {
    let mut server = MemoryServerStore::new("epoch-1");
    server.put_catalog_item(item("A", 1));
    server.put_catalog_item(item("B", 2));
    let wang = peer("wang", "phone");
    let mut phone = MemoryClientStore::default();
    sync(&mut server, &mut phone, &wang);
    assert_eq!(phone.catalog.len(), 2);

    // Restored from a backup that knew only A, under the same epoch: the device's cursor
    // is beyond the head, so it is sent everything and drops B.
    let mut restored = MemoryServerStore::new("epoch-1");
    restored.put_catalog_item(item("A", 1));
    let deltas = sync(&mut restored, &mut phone, &wang);
    assert!(deltas[0].full);
    assert_eq!(phone.catalog.keys().collect::<Vec<_>>(), ["A"]);

    // A new epoch: the feed resets, and the reference cursor with it.
    let mut other = MemoryServerStore::new("epoch-2");
    for n in 0..5 {
        other.put_catalog_item(item(&format!("N{n}"), n));
    }
    let deltas = sync(&mut other, &mut phone, &wang);
    assert!(deltas.iter().any(|d| d.full), "{deltas:?}");
    assert_eq!(phone.catalog.len(), 5);
    assert!(!phone.catalog.contains_key("A"));
    assert_eq!(phone.reference_cursor, other.reference_head());
}

#[test]
fn older_clients_get_no_reference_data_and_devices_cannot_upload_it() {
    let mut server = MemoryServerStore::new("epoch-1");
    server.put_catalog_item(item("A", 1));
    let wang = peer("wang", "phone");
    let old = Request::Sync(SyncRequest {
        push: vec![],
        pull: Some(PullRequest {
            cursor: None,
            max_items: 100,
            reference: None,
        }),
        reference: None,
        clock: None,
    });
    let Response::Sync(SyncResponse {
        pull: Some(PullReply::Page(page)),
        ..
    }) = handle(&mut server, &wang, old).unwrap()
    else {
        panic!("expected a page");
    };
    assert_eq!(page.reference, None);

    let crafted = Request::Sync(SyncRequest {
        push: vec![],
        pull: None,
        reference: Some(ReferenceDelta {
            seq: 99,
            catalog: vec![item("A", 0)],
            ..ReferenceDelta::default()
        }),
        clock: None,
    });
    let err = handle(&mut server, &wang, crafted).unwrap_err();
    assert!(matches!(err, HandleError::ReadOnly(_)), "{err}");
    assert_eq!(err.reply().code, "read_only");
    assert_eq!(server.reference_head(), 1, "nothing was written");
}
