//! Accounts, their passwords and roles; device sessions and refresh tokens; the server's
//! own settings (epoch, signing secret).
//!
//! Passwords reach a backend hashed: checking and hashing them is the server's work, the
//! backend only keeps the hash ([`NewAccount::password_hash`], [`Credentials`]).

use onsite_domain::Role;

use crate::error::{RepoError, StoreError};

/// An account as the rest of the server sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    #[schema(value_type = String, example = "technician")]
    pub role: Role,
    pub disabled: bool,
    /// Access tokens carry this; bumping it invalidates them.
    #[serde(skip)]
    pub token_version: i64,
}

/// An account to create. The server has checked the username and hashed the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A PHC string (argon2id), as the server's password check reads it back.
    pub password_hash: String,
}

/// An account with its password hash, for the sign-in check only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub account: Account,
    pub password_hash: String,
}

/// What the server knows of a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceState {
    pub revoked: bool,
    pub wipe: bool,
}

/// A device an account signed in on, as the administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DeviceInfo {
    pub device_id: String,
    /// Unix seconds.
    pub first_seen: i64,
    /// Unix seconds.
    pub last_seen: i64,
    /// Unix seconds; absent while the device is allowed.
    pub revoked_at: Option<i64>,
    pub wipe: bool,
    /// Sign-ins on this device whose refresh token still works.
    pub active_sessions: i64,
}

/// What using a refresh token gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// The token was good: here is the next one of its family.
    Rotated {
        user_id: String,
        device_id: String,
        token: String,
    },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: the family is now revoked.
    Reused,
}

/// What a refresh token of a device revoked for a wipe still gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WipeContact {
    /// The device's first contact with this token since its revocation: one access token,
    /// good only for a last upload (the sync endpoint then answers `device_wiped`).
    FinalUpload { user_id: String, device_id: String },
    /// The token was used (or expired) already: the device only hears `device_wiped`.
    Wipe,
}

/// How long a sign-in attempt counts against its limits.
pub const ATTEMPT_WINDOW_MS: i64 = 60_000;

/// A limit on sign-in attempts: at most `per_window` under `key` (an account's name, a
/// client's address) in any [`ATTEMPT_WINDOW_MS`].
#[derive(Debug, Clone, Copy)]
pub struct AttemptLimit<'a> {
    pub key: &'a str,
    pub per_window: u32,
}

/// What a sign-in attempt was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted: go on and check the password.
    Admitted,
    /// Not counted: a limit is reached; it frees a place after this many milliseconds.
    RetryAfterMs(i64),
}

/// How long a refresh token lasts unused unless the server is told otherwise: a technician
/// who is off for a month signs in again.
pub const REFRESH_LIFETIME_SECS: i64 = 60 * 60 * 24 * 30;

/// The rule both backends apply to what they counted: `seen` holds, for each limit, the
/// attempts under its key in the window before `now_ms` and the oldest one's time. Refused
/// attempts are not counted, so a count is at most its limit, and a place frees when the
/// oldest attempt leaves the window.
pub fn admission(
    seen: impl IntoIterator<Item = (u32, i64, Option<i64>)>,
    now_ms: i64,
) -> Admission {
    let wait_ms = seen
        .into_iter()
        .filter(|(limit, count, _)| *count >= i64::from(*limit))
        .map(|(_, _, oldest)| oldest.unwrap_or(now_ms) + ATTEMPT_WINDOW_MS - now_ms)
        .max()
        .unwrap_or(0);
    if wait_ms > 0 {
        Admission::RetryAfterMs(wait_ms)
    } else {
        Admission::Admitted
    }
}

/// Accounts, sessions and the server's settings.
///
/// Methods answering `bool` say whether the account (or device) they name exists.
pub trait Accounts {
    /// The account with this id, if there is one.
    fn account(&mut self, id: &str) -> Result<Option<Account>, StoreError>;

    /// Every account, by username.
    fn accounts(&mut self) -> Result<Vec<Account>, StoreError>;

    /// The account with this username and its password hash, for the sign-in check.
    fn credentials(&mut self, username: &str) -> Result<Option<Credentials>, StoreError>;

    /// Whether any account (enabled or not) has the admin role.
    fn has_admin(&mut self) -> Result<bool, StoreError>;

    /// Creates an account; refuses `username_taken` when the username is in use.
    fn create_account(&mut self, new: &NewAccount) -> Result<Account, RepoError>;

    /// Changes the display name and/or role, and answers the account as it is now. A role
    /// change ends the account's access tokens (its token version moves on).
    fn update_account(
        &mut self,
        id: &str,
        display_name: Option<&str>,
        role: Option<Role>,
    ) -> Result<Option<Account>, StoreError>;

    /// Disables or enables an account (sessions are ended by [`Accounts::revoke_sessions`]).
    fn set_disabled(&mut self, id: &str, disabled: bool) -> Result<bool, StoreError>;

    /// Sets a new password hash; every access token of the account stops working.
    fn set_password_hash(&mut self, id: &str, password_hash: &str) -> Result<bool, StoreError>;

    /// Deletes an account; its devices and refresh tokens go with it.
    fn delete_account(&mut self, id: &str) -> Result<bool, StoreError>;

    /// The key access tokens are signed with, made when the database was created.
    fn jwt_secret(&mut self) -> Result<String, StoreError>;

    /// Whether the account's device is revoked (and to be wiped). A device never seen is
    /// neither.
    fn device_state(&mut self, user_id: &str, device_id: &str) -> Result<DeviceState, StoreError>;

    /// Records a sign-in (or a refresh) on a device.
    fn touch_device(&mut self, user_id: &str, device_id: &str) -> Result<(), StoreError>;

    /// Starts a new sign-in on a device: the first refresh token of a new family, valid for
    /// `lifetime_secs` unused.
    fn issue_refresh(
        &mut self,
        user_id: &str,
        device_id: &str,
        lifetime_secs: i64,
    ) -> Result<String, StoreError>;

    /// Uses a refresh token once: the next of its family (valid for `lifetime_secs`), or why
    /// not. A token used twice revokes its whole family (it was stolen or replayed).
    fn rotate_refresh(&mut self, token: &str, lifetime_secs: i64) -> Result<Refresh, StoreError>;

    /// Whether `token` belongs to a device revoked with a wipe, and what it still gets
    /// (marking the token used when that is a final upload). A lost phone's access token
    /// has long expired when it comes back, so the wipe must reach it through a refresh.
    fn wipe_contact(&mut self, token: &str) -> Result<Option<WipeContact>, StoreError>;

    /// Ends the sign-in the token belongs to; `false` when the token is unknown.
    fn logout(&mut self, token: &str) -> Result<bool, StoreError>;

    /// Revokes every refresh token of an account (password reset, disable).
    fn revoke_sessions(&mut self, user_id: &str) -> Result<(), StoreError>;

    /// Revokes a device (a lost phone) and its refresh tokens; with `wipe`, it erases its
    /// data at its next contact. `false` when the account never signed in on it.
    fn revoke_device(
        &mut self,
        user_id: &str,
        device_id: &str,
        wipe: bool,
    ) -> Result<bool, StoreError>;

    /// The devices an account signed in on, the most recently seen first.
    fn devices(&mut self, user_id: &str) -> Result<Vec<DeviceInfo>, StoreError>;

    /// Counts a sign-in attempt at `now_ms` under every key of `limits`, unless one of
    /// them had its `per_window` attempts in the window before: then nothing is counted.
    /// Kept by the backend, so the limits hold across every server that shares it.
    fn admit_attempt(
        &mut self,
        limits: &[AttemptLimit<'_>],
        now_ms: i64,
    ) -> Result<Admission, StoreError>;

    /// How many counted attempts the backend keeps: only those still inside a window, so
    /// that attempts under random user names cannot grow it without bound.
    fn attempts_kept(&mut self) -> Result<u64, StoreError>;
}
