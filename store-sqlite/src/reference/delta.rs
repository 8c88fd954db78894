//! What a device's reference data lacks: the sync's read of the reference tables
//! ([`onsite_sync::server::ServerStore::read_reference`]).

use onsite_domain::Role;
use onsite_sync::server::{Peer, ReferenceRead};
use rusqlite::Connection;

use super::{catalog, seq, stock, templates};

/// Catalog items, template versions and (for a technician) van-stock balances written
/// after `after` and at or before the head, with the head: one read transaction, so that
/// the head and the rows are of the same moment.
pub fn read(conn: &mut Connection, peer: &Peer, after: u64) -> rusqlite::Result<ReferenceRead> {
    let tx = conn.savepoint()?;
    let head = seq::head(&tx)?;
    let after = i64::try_from(after).unwrap_or(i64::MAX);
    if after >= head {
        // The idle case: one indexed read of one row.
        return Ok(ReferenceRead {
            head: head as u64,
            ..ReferenceRead::default()
        });
    }
    let stock = match peer.role {
        Role::Technician => stock::changed_since(&tx, &peer.user_id, after, head)?,
        Role::BackOffice | Role::Admin => Vec::new(),
    };
    Ok(ReferenceRead {
        head: head as u64,
        catalog: catalog::changed_since(&tx, after, head)?,
        templates: templates::changed_since(&tx, after, head)?,
        stock,
    })
}
