//! The rules of usernames and passwords, and password hashing (argon2id). Backends keep
//! the hash; making and checking it happens here, the same for every backend.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use onsite_domain::Role;
use onsite_store::repo::accounts::{Account, Credentials, NewAccount};

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("username must be 1–64 characters of letters, digits, '.', '_', '-' or '@'")]
    BadUsername,
    #[error("password must be at least 8 characters")]
    WeakPassword,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl From<CredentialError> for ApiError {
    fn from(e: CredentialError) -> Self {
        match e {
            CredentialError::BadUsername | CredentialError::WeakPassword => {
                ApiError::bad_request(e.to_string())
            }
            CredentialError::Hash(e) => ApiError::internal(e),
        }
    }
}

pub fn valid_username(username: &str) -> bool {
    !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Refuses a password too short to be kept; cheap, so callers check before [`hash`].
pub fn check_strength(password: &str) -> Result<(), CredentialError> {
    if password.chars().count() < 8 {
        return Err(CredentialError::WeakPassword);
    }
    Ok(())
}

/// The PHC string of a new salted hash. Slow on purpose: call it off the async threads.
pub fn hash(password: &str) -> Result<String, CredentialError> {
    check_strength(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CredentialError::Hash(e.to_string()))
}

/// Checks the username and password of an account to create, and hashes the password
/// (slowly, as [`hash`]).
pub fn new_account(
    username: &str,
    display_name: &str,
    role: Role,
    password: &str,
) -> Result<NewAccount, CredentialError> {
    if !valid_username(username) {
        return Err(CredentialError::BadUsername);
    }
    Ok(NewAccount {
        username: username.to_string(),
        display_name: display_name.to_string(),
        role,
        password_hash: hash(password)?,
    })
}

/// [`new_account`], hashing on a blocking thread.
pub async fn new_account_off_thread(
    username: String,
    display_name: String,
    role: Role,
    password: String,
) -> Result<NewAccount, ApiError> {
    if !valid_username(&username) {
        return Err(CredentialError::BadUsername.into());
    }
    Ok(NewAccount {
        username,
        display_name,
        role,
        password_hash: hash_off_thread(password).await?,
    })
}

/// [`hash`] on the hashing threads; a weak password is refused without one.
pub async fn hash_off_thread(password: String) -> Result<String, ApiError> {
    check_strength(&password)?;
    on_hashing_threads(move || hash(&password))
        .await?
        .map_err(ApiError::from)
}

/// [`verify`] on the hashing threads.
pub async fn verify_off_thread(
    found: Option<Credentials>,
    password: String,
) -> Result<Option<Account>, ApiError> {
    on_hashing_threads(move || verify(found, &password)).await
}

/// The threads that hash and check passwords: a few, kept for the life of the server.
/// Each Argon2 run takes 19 MiB, and the allocator keeps what a thread freed for that
/// thread's next use; on a few threads of their own, sign-ins cost a few times 19 MiB for
/// as long as the server runs, however many come at once (they queue here, beside the
/// database work rather than in its way).
fn hashing_threads() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("onsite-hash-{i}"))
            // A panic ends that job only: its caller gets an internal error.
            .panic_handler(|_| tracing::error!("password hashing panicked"))
            .build()
            .map_err(|e| tracing::error!(error = %e, "could not start the hashing threads"))
            .ok()
    })
    .as_ref()
}

async fn on_hashing_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let pool = hashing_threads().ok_or_else(|| ApiError::internal("no hashing threads"))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    pool.spawn(move || {
        let _ = tx.send(work());
    });
    rx.await
        .map_err(|_| ApiError::internal("password hashing did not finish"))
}

// A fixed hash to verify against when the username is unknown, so that a login for a
// missing account takes as long as one with a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZTp8m5Yl+EKZ1Z5pbq7nq6R9aV8wYk7WJ5kZ9M0l2c8";

/// The account whose credentials these are, when the password matches and the account is
/// enabled. Slow on purpose, also when there is no such account (`None`).
pub fn verify(found: Option<Credentials>, password: &str) -> Option<Account> {
    let hash = found
        .as_ref()
        .map_or(DUMMY_HASH, |c| c.password_hash.as_str());
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    match found {
        Some(c) if ok && !c.account.disabled => Some(c.account),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let new = new_account("wang", "Wang", Role::Technician, "long-password-1").unwrap();
        let found = |disabled| {
            Some(Credentials {
                account: Account {
                    id: "u1".into(),
                    username: "wang".into(),
                    display_name: "Wang".into(),
                    role: Role::Technician,
                    disabled,
                    token_version: 0,
                },
                password_hash: new.password_hash.clone(),
            })
        };
        assert!(verify(found(false), "long-password-1").is_some());
        assert!(verify(found(false), "long-password-2").is_none());
        assert!(verify(found(true), "long-password-1").is_none());
        assert!(verify(None, "long-password-1").is_none());
    }

    #[test]
    fn bad_usernames_and_short_passwords_are_refused() {
        assert!(matches!(
            new_account("a b", "x", Role::Admin, "long-password-1"),
            Err(CredentialError::BadUsername)
        ));
        assert!(matches!(
            new_account("ab", "x", Role::Admin, "short"),
            Err(CredentialError::WeakPassword)
        ));
        assert!(!valid_username(&"a".repeat(65)));
        assert!(valid_username("li.wang_2@east-1"));
    }
}
