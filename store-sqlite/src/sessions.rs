//! Sessions: devices an account signed in on, and rotating refresh tokens.
//!
//! A refresh token is used once: refreshing returns a new one of the same family. Using a
//! token a second time means it was stolen (or replayed), so the whole family is revoked.

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

pub use onsite_store::repo::accounts::{DeviceInfo, DeviceState, Refresh, WipeContact};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn device_state(
    conn: &Connection,
    user_id: &str,
    device_id: &str,
) -> Result<DeviceState, rusqlite::Error> {
    Ok(conn
        .query_row(
            "SELECT revoked_at IS NOT NULL, wipe FROM devices WHERE user_id = ?1 AND device_id = ?2",
            params![user_id, device_id],
            |r| {
                Ok(DeviceState {
                    revoked: r.get(0)?,
                    wipe: r.get(1)?,
                })
            },
        )
        .optional()?
        .unwrap_or_default())
}

/// Records a sign-in on a device.
pub fn touch_device(
    conn: &Connection,
    user_id: &str,
    device_id: &str,
) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO devices (user_id, device_id, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (user_id, device_id) DO UPDATE SET last_seen = excluded.last_seen",
        params![user_id, device_id, now()],
    )?;
    Ok(())
}

/// Starts a new family (a sign-in) or continues one; returns the token to give out.
pub fn issue_refresh(
    conn: &Connection,
    user_id: &str,
    device_id: &str,
    family: Option<&str>,
    lifetime_secs: i64,
) -> Result<String, rusqlite::Error> {
    let token = random_token();
    let family = family.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
    conn.execute(
        "INSERT INTO refresh_tokens (hash, family, user_id, device_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token_hash(&token),
            family,
            user_id,
            device_id,
            now(),
            now() + lifetime_secs
        ],
    )?;
    Ok(token)
}

pub fn rotate(
    conn: &mut Connection,
    token: &str,
    lifetime_secs: i64,
) -> Result<Refresh, rusqlite::Error> {
    let tx = conn.savepoint()?;
    let row = tx
        .query_row(
            "SELECT family, user_id, device_id, expires_at, used_at IS NOT NULL, revoked
               FROM refresh_tokens WHERE hash = ?1",
            [token_hash(token)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((family, user_id, device_id, expires_at, used, revoked)) = row else {
        return Ok(Refresh::Invalid);
    };
    if used {
        tx.execute(
            "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?1",
            [&family],
        )?;
        tx.commit()?;
        return Ok(Refresh::Reused);
    }
    if revoked || expires_at <= now() {
        return Ok(Refresh::Invalid);
    }
    tx.execute(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE hash = ?1",
        params![token_hash(token), now()],
    )?;
    let next = issue_refresh(&tx, &user_id, &device_id, Some(&family), lifetime_secs)?;
    tx.commit()?;
    Ok(Refresh::Rotated {
        user_id,
        device_id,
        token: next,
    })
}

/// Whether `token` belongs to a device revoked with a wipe, and what it still gets. Its
/// access token may have expired long before the device comes back (a lost phone is
/// missed after hours, not minutes), so the wipe must reach it through a refresh too.
pub fn wipe_contact(
    conn: &Connection,
    token: &str,
) -> Result<Option<WipeContact>, rusqlite::Error> {
    let hash = token_hash(token);
    let row = conn
        .query_row(
            "SELECT t.user_id, t.device_id, t.used_at IS NOT NULL, t.expires_at
               FROM refresh_tokens t
               JOIN devices d ON d.user_id = t.user_id AND d.device_id = t.device_id
              WHERE t.hash = ?1 AND d.revoked_at IS NOT NULL AND d.wipe",
            [&hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((user_id, device_id, used, expires_at)) = row else {
        return Ok(None);
    };
    if used || expires_at <= now() {
        return Ok(Some(WipeContact::Wipe));
    }
    // Once only: a copy of the token taken from the lost phone gets no second upload.
    conn.execute(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE hash = ?1",
        params![hash, now()],
    )?;
    Ok(Some(WipeContact::FinalUpload { user_id, device_id }))
}

/// Ends the sign-in the token belongs to.
pub fn logout(conn: &Connection, token: &str) -> Result<bool, rusqlite::Error> {
    let family: Option<String> = conn
        .query_row(
            "SELECT family FROM refresh_tokens WHERE hash = ?1",
            [token_hash(token)],
            |r| r.get(0),
        )
        .optional()?;
    match family {
        Some(f) => {
            conn.execute(
                "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?1",
                [f],
            )?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Revokes every refresh token of an account (password reset, disable, delete).
pub fn revoke_user(conn: &Connection, user_id: &str) -> Result<(), rusqlite::Error> {
    conn.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1",
        [user_id],
    )?;
    Ok(())
}

/// Revokes a device (a lost phone); with `wipe`, it erases its data at its next contact.
pub fn revoke_device(
    conn: &Connection,
    user_id: &str,
    device_id: &str,
    wipe: bool,
) -> Result<bool, rusqlite::Error> {
    let n = conn.execute(
        "UPDATE devices SET revoked_at = ?3, wipe = ?4 WHERE user_id = ?1 AND device_id = ?2",
        params![user_id, device_id, now(), wipe],
    )?;
    conn.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?1 AND device_id = ?2",
        params![user_id, device_id],
    )?;
    Ok(n > 0)
}

pub fn devices(conn: &Connection, user_id: &str) -> Result<Vec<DeviceInfo>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT d.device_id, d.first_seen, d.last_seen, d.revoked_at, d.wipe,
                (SELECT COUNT(DISTINCT family) FROM refresh_tokens t
                  WHERE t.user_id = d.user_id AND t.device_id = d.device_id
                    AND t.revoked = 0 AND t.used_at IS NULL AND t.expires_at > ?2)
           FROM devices d WHERE d.user_id = ?1 ORDER BY d.last_seen DESC, d.device_id",
    )?;
    stmt.query_map(params![user_id, now()], |r| {
        Ok(DeviceInfo {
            device_id: r.get(0)?,
            first_seen: r.get(1)?,
            last_seen: r.get(2)?,
            revoked_at: r.get(3)?,
            wipe: r.get(4)?,
            active_sessions: r.get(5)?,
        })
    })?
    .collect()
}
