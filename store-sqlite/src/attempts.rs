//! Sign-in attempts, counted in a sliding window per key (see
//! `onsite_store::repo::accounts::Accounts::admit_attempt`).

use rusqlite::{Connection, params};

use onsite_store::repo::accounts::{ATTEMPT_WINDOW_MS, Admission, AttemptLimit, admission};

pub fn admit(
    conn: &Connection,
    limits: &[AttemptLimit<'_>],
    now_ms: i64,
) -> rusqlite::Result<Admission> {
    let since = now_ms - ATTEMPT_WINDOW_MS;
    // Attempts out of every window count for nothing any more.
    conn.prepare_cached("DELETE FROM login_attempts WHERE at <= ?1")?
        .execute([since])?;
    let mut seen = Vec::with_capacity(limits.len());
    for limit in limits {
        let (count, oldest): (i64, Option<i64>) = conn
            .prepare_cached(
                "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = ?1 AND at > ?2",
            )?
            .query_row(params![limit.key, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        seen.push((limit.per_window, count, oldest));
    }
    let admission = admission(seen, now_ms);
    if admission != Admission::Admitted {
        return Ok(admission);
    }
    let mut insert = conn.prepare_cached("INSERT INTO login_attempts (key, at) VALUES (?1, ?2)")?;
    for limit in limits {
        insert.execute(params![limit.key, now_ms])?;
    }
    Ok(Admission::Admitted)
}

pub fn kept(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT COUNT(*) FROM login_attempts", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(i64::unsigned_abs)
}
