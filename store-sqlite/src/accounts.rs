//! Accounts: the `users` table. Passwords arrive hashed (the server hashes and checks
//! them); only [`create_user`], kept for code not yet behind the seam, hashes here.

use onsite_domain::Role;
use onsite_store::repo::accounts::{Credentials, NewAccount};
use rusqlite::{Connection, OptionalExtension, params};

pub use onsite_store::repo::accounts::Account;

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

/// Creates an account from a plain password.
///
/// Only for callers that still hold a raw connection (the unit tests of the jobs routes);
/// the server creates accounts through [`onsite_store::repo::Accounts::create_account`]
/// with a hash it made itself. Remove once nothing calls it.
pub fn create_user(
    conn: &Connection,
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<Account, AccountError> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let valid = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !valid {
        return Err(AccountError::BadUsername);
    }
    if password.chars().count() < 8 {
        return Err(AccountError::WeakPassword);
    }
    let password_hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .map_err(|e| AccountError::Hash(e.to_string()))?
        .to_string();
    let new = NewAccount {
        username: username.to_string(),
        display_name: display_name.to_string(),
        role,
        password_hash,
    };
    insert(conn, &new)?.ok_or_else(|| AccountError::Taken(username.to_string()))
}

/// Inserts an account; `None` when the username is taken.
pub fn insert(conn: &Connection, new: &NewAccount) -> Result<Option<Account>, rusqlite::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    let inserted = conn.execute(
        "INSERT INTO users (id, username, display_name, role, password_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (username) DO NOTHING",
        params![
            id,
            new.username,
            new.display_name,
            new.role.as_str(),
            new.password_hash,
            chrono::Utc::now().timestamp_millis()
        ],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(Some(Account {
        id,
        username: new.username.clone(),
        display_name: new.display_name.clone(),
        role: new.role,
        disabled: false,
        token_version: 0,
    }))
}

const COLUMNS: &str =
    "SELECT id, username, display_name, role, disabled, password_hash, token_version FROM users";

fn row_to_credentials(r: &rusqlite::Row<'_>) -> rusqlite::Result<Credentials> {
    let role: String = r.get(3)?;
    Ok(Credentials {
        account: Account {
            id: r.get(0)?,
            username: r.get(1)?,
            display_name: r.get(2)?,
            role: Role::parse(&role).unwrap_or(Role::Technician),
            disabled: r.get(4)?,
            token_version: r.get(6)?,
        },
        password_hash: r.get(5)?,
    })
}

pub fn by_id(conn: &Connection, id: &str) -> Result<Option<Account>, rusqlite::Error> {
    conn.query_row(
        &format!("{COLUMNS} WHERE id = ?1"),
        [id],
        row_to_credentials,
    )
    .optional()
    .map(|o| o.map(|c| c.account))
}

pub fn by_username(conn: &Connection, username: &str) -> Result<Option<Account>, rusqlite::Error> {
    credentials(conn, username).map(|o| o.map(|c| c.account))
}

/// The account with this username and its password hash.
pub fn credentials(
    conn: &Connection,
    username: &str,
) -> Result<Option<Credentials>, rusqlite::Error> {
    conn.query_row(
        &format!("{COLUMNS} WHERE username = ?1"),
        [username],
        row_to_credentials,
    )
    .optional()
}

pub fn list(conn: &Connection) -> Result<Vec<Account>, rusqlite::Error> {
    let mut stmt = conn.prepare(&format!("{COLUMNS} ORDER BY username"))?;
    stmt.query_map([], row_to_credentials)?
        .map(|r| r.map(|c| c.account))
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

/// Sets a new password hash; every access token of the account stops working.
pub fn set_password_hash(
    conn: &Connection,
    id: &str,
    password_hash: &str,
) -> Result<bool, rusqlite::Error> {
    let n = conn.execute(
        "UPDATE users SET password_hash = ?2, token_version = token_version + 1 WHERE id = ?1",
        params![id, password_hash],
    )?;
    Ok(n > 0)
}

pub fn delete(conn: &Connection, id: &str) -> Result<bool, rusqlite::Error> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?1", [id])? > 0)
}

pub fn has_admin(conn: &Connection) -> Result<bool, rusqlite::Error> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin')",
        [],
        |r| r.get(0),
    )
}
