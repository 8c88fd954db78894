//! The reference sequence: one counter, bumped in the transaction of every write of data
//! that devices hold (catalog items, template versions, van-stock balances). A device's
//! reference cursor is the last value it applied.

use rusqlite::Connection;

/// Takes the next reference sequence number. Call inside the write's transaction.
pub fn bump(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("UPDATE reference_head SET seq = seq + 1 WHERE id = 1 RETURNING seq")?
        .query_row([], |r| r.get(0))
}

/// The last reference sequence number taken.
pub fn head(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT seq FROM reference_head WHERE id = 1")?
        .query_row([], |r| r.get(0))
}
