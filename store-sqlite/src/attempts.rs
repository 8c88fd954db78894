//! Sign-in attempts, counted in a sliding window per key (see
//! `onsite_store::repo::accounts::Accounts::admit_attempt`).

use rusqlite::{Connection, params};

use onsite_store::repo::accounts::{ATTEMPT_WINDOW_MS, Admission, AttemptLimit};

pub fn admit(
    conn: &Connection,
    limits: &[AttemptLimit<'_>],
    now_ms: i64,
) -> rusqlite::Result<Admission> {
    let since = now_ms - ATTEMPT_WINDOW_MS;
    // Attempts out of every window count for nothing any more.
    conn.prepare_cached("DELETE FROM login_attempts WHERE at <= ?1")?
        .execute([since])?;
    let mut wait_ms = 0;
    for limit in limits {
        let (count, oldest): (i64, Option<i64>) = conn
            .prepare_cached(
                "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = ?1 AND at > ?2",
            )?
            .query_row(params![limit.key, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        if count >= i64::from(limit.per_window) {
            // Refused attempts are not counted, so the count is at most the limit, and a
            // place frees when the oldest attempt leaves the window.
            let frees_at = oldest.unwrap_or(now_ms) + ATTEMPT_WINDOW_MS;
            wait_ms = wait_ms.max(frees_at - now_ms);
        }
    }
    if wait_ms > 0 {
        return Ok(Admission::RetryAfterMs(wait_ms));
    }
    let mut insert = conn.prepare_cached("INSERT INTO login_attempts (key, at) VALUES (?1, ?2)")?;
    for limit in limits {
        insert.execute(params![limit.key, now_ms])?;
    }
    Ok(Admission::Admitted)
}
