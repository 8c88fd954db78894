//! Accounts, their passwords and roles; device sessions and refresh tokens; the server's
//! own settings (epoch, signing secret).

use onsite_domain::Role;

use crate::error::StoreError;

/// An account as the rest of the server sees it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Access tokens carry this; bumping it invalidates them.
    #[serde(skip)]
    pub token_version: i64,
}

/// Accounts, sessions and the server's settings.
pub trait Accounts {
    /// The account with this id, if there is one.
    fn account(&mut self, id: &str) -> Result<Option<Account>, StoreError>;
}
