//! [`onsite_store::repo::Accounts`] on PostgreSQL.
//!
//! Refresh tokens are kept as the SHA-256 of their text, as on SQLite; PostgreSQL computes
//! it (`sha256(convert_to($1, 'UTF8'))`, the digest of the token's bytes), so that a
//! stolen copy of the table gives no usable token and the crate needs no hashing library.

use onsite_domain::Role;
use onsite_store::repo::accounts::{
    ATTEMPT_WINDOW_MS, Account, Accounts, Admission, AttemptLimit, Credentials, DeviceInfo,
    DeviceState, NewAccount, Refresh, WipeContact, admission,
};
use onsite_store::{RepoError, StoreError};
use postgres::Row;

use crate::store::meta;
use crate::unit::{PgUnit, pg_err};

/// The token's stored key, as SQL over parameter `$n`.
macro_rules! token_hash {
    ($n:literal) => {
        concat!("sha256(convert_to($", $n, "::TEXT, 'UTF8'))")
    };
}

const COLUMNS: &str =
    "SELECT id, username, display_name, role, disabled, password_hash, token_version FROM users";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn row_to_credentials(r: &Row) -> Credentials {
    let role: String = r.get(3);
    Credentials {
        account: Account {
            id: r.get(0),
            username: r.get(1),
            display_name: r.get(2),
            // The column's CHECK allows only the three roles; as on SQLite, an unknown one
            // would get the least rights.
            role: Role::parse(&role).unwrap_or(Role::Technician),
            disabled: r.get(4),
            token_version: r.get(6),
        },
        password_hash: r.get(5),
    }
}

impl PgUnit<'_, '_> {
    fn credentials_where(
        &mut self,
        column: &str,
        value: &str,
    ) -> Result<Option<Credentials>, StoreError> {
        Ok(self
            .tx()
            .query_opt(&format!("{COLUMNS} WHERE {column} = $1"), &[&value])
            .map_err(pg_err)?
            .as_ref()
            .map(row_to_credentials))
    }

    /// Starts a new family (a sign-in) or continues one; the token to give out.
    fn insert_refresh(
        &mut self,
        user_id: &str,
        device_id: &str,
        family: &str,
        lifetime_secs: i64,
    ) -> Result<String, StoreError> {
        let token = random_token();
        let now = now();
        self.tx()
            .execute(
                concat!(
                    "INSERT INTO refresh_tokens (hash, family, user_id, device_id, created_at, expires_at)
                     VALUES (",
                    token_hash!(1),
                    ", $2, $3, $4, $5, $6)"
                ),
                &[&token, &family, &user_id, &device_id, &now, &(now + lifetime_secs)],
            )
            .map_err(pg_err)?;
        Ok(token)
    }
}

impl Accounts for PgUnit<'_, '_> {
    fn account(&mut self, id: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.credentials_where("id", id)?.map(|c| c.account))
    }

    fn accounts(&mut self) -> Result<Vec<Account>, StoreError> {
        // Byte order, as SQLite's binary collation sorts, whatever the database's locale.
        Ok(self
            .tx()
            .query(&format!("{COLUMNS} ORDER BY username COLLATE \"C\""), &[])
            .map_err(pg_err)?
            .iter()
            .map(|r| row_to_credentials(r).account)
            .collect())
    }

    fn credentials(&mut self, username: &str) -> Result<Option<Credentials>, StoreError> {
        self.credentials_where("username", username)
    }

    fn has_admin(&mut self) -> Result<bool, StoreError> {
        Ok(self
            .tx()
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')",
                &[],
            )
            .map_err(pg_err)?
            .get(0))
    }

    fn create_account(&mut self, new: &NewAccount) -> Result<Account, RepoError> {
        let id = uuid::Uuid::new_v4().to_string();
        let inserted = self
            .tx()
            .execute(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING",
                &[
                    &id,
                    &new.username,
                    &new.display_name,
                    &new.role.as_str(),
                    &new.password_hash,
                    &chrono::Utc::now().timestamp_millis(),
                ],
            )
            .map_err(pg_err)?;
        if inserted == 0 {
            return Err(RepoError::refused(
                "username_taken",
                format!("username {:?} is taken", new.username),
            ));
        }
        Ok(Account {
            id,
            username: new.username.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            disabled: false,
            token_version: 0,
        })
    }

    fn update_account(
        &mut self,
        id: &str,
        display_name: Option<&str>,
        role: Option<Role>,
    ) -> Result<Option<Account>, StoreError> {
        let role = role.map(Role::as_str);
        Ok(self
            .tx()
            .query_opt(
                "UPDATE users SET display_name = COALESCE($2, display_name),
                        role = COALESCE($3, role),
                        token_version = token_version
                            + (CASE WHEN $3::TEXT IS NOT NULL AND $3 <> role THEN 1 ELSE 0 END)
                  WHERE id = $1
              RETURNING id, username, display_name, role, disabled, password_hash, token_version",
                &[&id, &display_name, &role],
            )
            .map_err(pg_err)?
            .map(|r| row_to_credentials(&r).account))
    }

    fn set_disabled(&mut self, id: &str, disabled: bool) -> Result<bool, StoreError> {
        let n = self
            .tx()
            .execute(
                "UPDATE users SET disabled = $2 WHERE id = $1",
                &[&id, &disabled],
            )
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    fn set_password_hash(&mut self, id: &str, password_hash: &str) -> Result<bool, StoreError> {
        let n = self
            .tx()
            .execute(
                "UPDATE users SET password_hash = $2, token_version = token_version + 1
                  WHERE id = $1",
                &[&id, &password_hash],
            )
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    fn delete_account(&mut self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .tx()
            .execute("DELETE FROM users WHERE id = $1", &[&id])
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    fn jwt_secret(&mut self) -> Result<String, StoreError> {
        meta(self.tx(), "jwt_secret")?.ok_or_else(|| {
            StoreError::Unavailable(
                "the database has no token signing secret; it was not initialised".into(),
            )
        })
    }

    fn device_state(&mut self, user_id: &str, device_id: &str) -> Result<DeviceState, StoreError> {
        Ok(self
            .tx()
            .query_opt(
                "SELECT revoked_at IS NOT NULL, wipe FROM devices
                  WHERE user_id = $1 AND device_id = $2",
                &[&user_id, &device_id],
            )
            .map_err(pg_err)?
            .map(|r| DeviceState {
                revoked: r.get(0),
                wipe: r.get(1),
            })
            .unwrap_or_default())
    }

    fn touch_device(&mut self, user_id: &str, device_id: &str) -> Result<(), StoreError> {
        self.tx()
            .execute(
                "INSERT INTO devices (user_id, device_id, first_seen, last_seen)
                 VALUES ($1, $2, $3, $3)
                 ON CONFLICT (user_id, device_id) DO UPDATE SET last_seen = excluded.last_seen",
                &[&user_id, &device_id, &now()],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn issue_refresh(
        &mut self,
        user_id: &str,
        device_id: &str,
        lifetime_secs: i64,
    ) -> Result<String, StoreError> {
        let family = uuid::Uuid::new_v4().to_string();
        self.insert_refresh(user_id, device_id, &family, lifetime_secs)
    }

    fn rotate_refresh(&mut self, token: &str, lifetime_secs: i64) -> Result<Refresh, StoreError> {
        // The unit's transaction holds the writers' lock: no other rotation of this token
        // runs between the check and the update.
        let row = self
            .tx()
            .query_opt(
                concat!(
                    "SELECT family, user_id, device_id, expires_at, used_at IS NOT NULL, revoked
                       FROM refresh_tokens WHERE hash = ",
                    token_hash!(1)
                ),
                &[&token],
            )
            .map_err(pg_err)?;
        let Some(row) = row else {
            return Ok(Refresh::Invalid);
        };
        let (family, user_id, device_id, expires_at, used, revoked): (
            String,
            String,
            String,
            i64,
            bool,
            bool,
        ) = (
            row.get(0),
            row.get(1),
            row.get(2),
            row.get(3),
            row.get(4),
            row.get(5),
        );
        if used {
            self.tx()
                .execute(
                    "UPDATE refresh_tokens SET revoked = TRUE WHERE family = $1",
                    &[&family],
                )
                .map_err(pg_err)?;
            return Ok(Refresh::Reused);
        }
        if revoked || expires_at <= now() {
            return Ok(Refresh::Invalid);
        }
        self.tx()
            .execute(
                concat!(
                    "UPDATE refresh_tokens SET used_at = $2 WHERE hash = ",
                    token_hash!(1)
                ),
                &[&token, &now()],
            )
            .map_err(pg_err)?;
        let next = self.insert_refresh(&user_id, &device_id, &family, lifetime_secs)?;
        Ok(Refresh::Rotated {
            user_id,
            device_id,
            token: next,
        })
    }

    fn wipe_contact(&mut self, token: &str) -> Result<Option<WipeContact>, StoreError> {
        let row = self
            .tx()
            .query_opt(
                concat!(
                    "SELECT t.user_id, t.device_id, t.used_at IS NOT NULL, t.expires_at
                       FROM refresh_tokens t
                       JOIN devices d ON d.user_id = t.user_id AND d.device_id = t.device_id
                      WHERE t.hash = ",
                    token_hash!(1),
                    " AND d.revoked_at IS NOT NULL AND d.wipe"
                ),
                &[&token],
            )
            .map_err(pg_err)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (user_id, device_id, used, expires_at): (String, String, bool, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        if used || expires_at <= now() {
            return Ok(Some(WipeContact::Wipe));
        }
        // Once only: a copy of the token taken from the lost phone gets no second upload.
        self.tx()
            .execute(
                concat!(
                    "UPDATE refresh_tokens SET used_at = $2 WHERE hash = ",
                    token_hash!(1)
                ),
                &[&token, &now()],
            )
            .map_err(pg_err)?;
        Ok(Some(WipeContact::FinalUpload { user_id, device_id }))
    }

    fn logout(&mut self, token: &str) -> Result<bool, StoreError> {
        let family: Option<String> = self
            .tx()
            .query_opt(
                concat!(
                    "SELECT family FROM refresh_tokens WHERE hash = ",
                    token_hash!(1)
                ),
                &[&token],
            )
            .map_err(pg_err)?
            .map(|r| r.get(0));
        let Some(family) = family else {
            return Ok(false);
        };
        self.tx()
            .execute(
                "UPDATE refresh_tokens SET revoked = TRUE WHERE family = $1",
                &[&family],
            )
            .map_err(pg_err)?;
        Ok(true)
    }

    fn revoke_sessions(&mut self, user_id: &str) -> Result<(), StoreError> {
        self.tx()
            .execute(
                "UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1",
                &[&user_id],
            )
            .map_err(pg_err)?;
        Ok(())
    }

    fn revoke_device(
        &mut self,
        user_id: &str,
        device_id: &str,
        wipe: bool,
    ) -> Result<bool, StoreError> {
        let n = self
            .tx()
            .execute(
                "UPDATE devices SET revoked_at = $3, wipe = $4
                  WHERE user_id = $1 AND device_id = $2",
                &[&user_id, &device_id, &now(), &wipe],
            )
            .map_err(pg_err)?;
        // Tokens of a device never recorded are its tokens all the same.
        self.tx()
            .execute(
                "UPDATE refresh_tokens SET revoked = TRUE WHERE user_id = $1 AND device_id = $2",
                &[&user_id, &device_id],
            )
            .map_err(pg_err)?;
        Ok(n > 0)
    }

    fn devices(&mut self, user_id: &str) -> Result<Vec<DeviceInfo>, StoreError> {
        Ok(self
            .tx()
            .query(
                "SELECT d.device_id, d.first_seen, d.last_seen, d.revoked_at, d.wipe,
                        (SELECT COUNT(DISTINCT family) FROM refresh_tokens t
                          WHERE t.user_id = d.user_id AND t.device_id = d.device_id
                            AND NOT t.revoked AND t.used_at IS NULL AND t.expires_at > $2)
                   FROM devices d WHERE d.user_id = $1 ORDER BY d.last_seen DESC, d.device_id COLLATE \"C\"",
                &[&user_id, &now()],
            )
            .map_err(pg_err)?
            .iter()
            .map(|r| DeviceInfo {
                device_id: r.get(0),
                first_seen: r.get(1),
                last_seen: r.get(2),
                revoked_at: r.get(3),
                wipe: r.get(4),
                active_sessions: r.get(5),
            })
            .collect())
    }

    // Write units hold the writers' lock (crate::backend), so no other server counts
    // between this one's count and its insert.
    fn admit_attempt(
        &mut self,
        limits: &[AttemptLimit<'_>],
        now_ms: i64,
    ) -> Result<Admission, StoreError> {
        let since = now_ms - ATTEMPT_WINDOW_MS;
        let tx = self.tx();
        tx.execute("DELETE FROM login_attempts WHERE at <= $1", &[&since])
            .map_err(pg_err)?;
        let mut seen = Vec::with_capacity(limits.len());
        for limit in limits {
            let row = tx
                .query_one(
                    "SELECT COUNT(*), MIN(at) FROM login_attempts WHERE key = $1 AND at > $2",
                    &[&limit.key, &since],
                )
                .map_err(pg_err)?;
            seen.push((
                limit.per_window,
                row.get::<_, i64>(0),
                row.get::<_, Option<i64>>(1),
            ));
        }
        let admission = admission(seen, now_ms);
        if admission != Admission::Admitted {
            return Ok(admission);
        }
        for limit in limits {
            tx.execute(
                "INSERT INTO login_attempts (key, at) VALUES ($1, $2)",
                &[&limit.key, &now_ms],
            )
            .map_err(pg_err)?;
        }
        Ok(Admission::Admitted)
    }

    fn attempts_kept(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .tx()
            .query_one("SELECT COUNT(*) FROM login_attempts", &[])
            .map_err(pg_err)?
            .get(0);
        Ok(n.unsigned_abs())
    }
}
