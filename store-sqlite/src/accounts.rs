//! Accounts: creation and password checks (argon2id).

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use onsite_domain::Role;
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("username must be 1–64 characters of letters, digits, '.', '_', '-' or '@'")]
    BadUsername,
    #[error("password must be at least 8 characters")]
    WeakPassword,
    #[error("username {0:?} is taken")]
    Taken(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

pub use onsite_store::repo::accounts::Account;

pub fn valid_username(username: &str) -> bool {
    !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < 8 {
        return Err(AccountError::WeakPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

pub fn create_user(
    conn: &Connection,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<Account, AccountError> {
    if !valid_username(username) {
        return Err(AccountError::BadUsername);
    }
    let hash = hash_password(password)?;
    let id = uuid::Uuid::new_v4().to_string();
    let inserted = conn.execute(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username) DO NOTHING",
        params![
            id,
            username,
            display_name,
            role.as_str(),
            hash,
            chrono::Utc::now().timestamp_millis()
        ],
    )?;
    if inserted == 0 {
        return Err(AccountError::Taken(username.to_string()));
    }
    Ok(Account {
        id,
        username: username.to_string(),
        display_name: display_name.to_string(),
        role,
        disabled: false,
        token_version: 0,
    })
}

fn row_to_account(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Account, String)> {
    let role: String = r.get(3)?;
    Ok((
        Account {
            id: r.get(0)?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            role: Role::parse(&role).unwrap_or(Role::Technician),
            disabled: r.get(4)?,
            token_version: r.get(6)?,
        },
        r.get(5)?,
    ))
}

pub fn by_id(conn: &Connection, id: &str) -> Result<Option<Account>, rusqlite::Error> {
    conn.query_row(
        "SELECT id, username, display_name, role, disabled, password_hash, token_version FROM users WHERE id = ?1",
        [id],
        row_to_account,
    )
    .optional()
    .map(|o| o.map(|(a, _)| a))
}

pub fn by_username(conn: &Connection, username: &str) -> Result<Option<Account>, rusqlite::Error> {
    conn.query_row(
        "SELECT id, username, display_name, role, disabled, password_hash, token_version FROM users WHERE username = ?1",
        [username],
        row_to_account,
    )
    .optional()
    .map(|o| o.map(|(a, _)| a))
}

// A fixed hash to verify against when the username is unknown, so that a login for a
// missing account takes as long as one with a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZTp8m5Yl+EKZ1Z5pbq7nq6R9aV8wYk7WJ5kZ9M0l2c8";

/// Checks a username and password; `None` when they do not match an enabled account.
pub fn verify_login(
    conn: &Connection,
    username: &str,
    password: &str,
) -> Result<Option<Account>, rusqlite::Error> {
    let found = conn
        .query_row(
            "SELECT id, username, display_name, role, disabled, password_hash, token_version FROM users WHERE username = ?1",
            [username],
            row_to_account,
        )
        .optional()?;
    let hash = found.as_ref().map_or(DUMMY_HASH, |(_, h)| h.as_str());
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    Ok(match found {
        Some((account, _)) if ok && !account.disabled => Some(account),
        _ => None,
    })
}

pub fn list(conn: &Connection) -> Result<Vec<Account>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT id, username, display_name, role, disabled, password_hash, token_version
           FROM users ORDER BY username",
    )?;
    stmt.query_map([], row_to_account)?
        .map(|r| r.map(|(a, _)| a))
        .collect()
}

/// Changes the display name and/or role. A role change ends the account's access tokens.
pub fn update(
    conn: &Connection,
    id: &str,
    display_name: Option<&str>,
    role: Option<Role>,
) -> Result<bool, rusqlite::Error> {
    let n = conn.execute(
        "UPDATE users SET display_name = COALESCE(?2, display_name),
                role = COALESCE(?3, role),
                token_version = token_version + (CASE WHEN ?3 IS NOT NULL AND ?3 <> role THEN 1 ELSE 0 END)
          WHERE id = ?1",
        params![id, display_name, role.map(Role::as_str)],
    )?;
    Ok(n > 0)
}

pub fn set_disabled(conn: &Connection, id: &str, disabled: bool) -> Result<bool, rusqlite::Error> {
    let n = conn.execute(
        "UPDATE users SET disabled = ?2 WHERE id = ?1",
        params![id, disabled],
    )?;
    Ok(n > 0)
}

/// Sets a new password; every access and refresh token of the account stops working.
pub fn set_password(conn: &Connection, id: &str, password: &str) -> Result<bool, AccountError> {
    let hash = hash_password(password)?;
    let n = conn.execute(
        "UPDATE users SET password_hash = ?2, token_version = token_version + 1 WHERE id = ?1",
        params![id, hash],
    )?;
    Ok(n > 0)
}

pub fn delete(conn: &Connection, id: &str) -> Result<bool, rusqlite::Error> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

/// Creates the first administrator from the environment when no administrator exists yet.
pub fn bootstrap_admin(
    conn: &Connection,
    username: &str,
    password: &str,
) -> Result<Option<Account>, AccountError> {
    let admins: i64 =
        conn.query_row("SELECT COUNT(*) FROM users WHERE role = 'admin'", [], |r| {
            r.get(0)
        })?;
    if admins > 0 {
        return Ok(None);
    }
    create_user(conn, username, username, Role::Admin, password).map(Some)
}
