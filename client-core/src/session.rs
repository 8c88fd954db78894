//! Who is signed in on this device, and the tokens that prove it to the server.

use onsite_domain::{Actor, Role};

/// The signed-in account. Its user id is the author of every local change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    /// The server signed in to; `None` for a session opened without a server.
    pub server_url: Option<String>,
}

impl Session {
    pub(crate) fn actor(&self) -> Actor {
        Actor {
            user_id: self.user_id.clone(),
            role: self.role,
        }
    }
}

/// What the transport needs to speak to the server for a session. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub server_url: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// When the access token expires (device clock, ms), as the server said at sign-in or
    /// refresh; `None` when it did not say.
    pub access_expires_at: Option<i64>,
}

impl Credentials {
    /// Whether the access token is expired or about to: refreshing first spares uploading
    /// a large body only to have it refused (and the connection closed under it).
    pub fn access_expiring(&self, now_ms: i64) -> bool {
        self.access_expires_at
            .is_some_and(|at| at - now_ms < EXPIRY_MARGIN_MS)
    }
}

/// How long before its expiry an access token is renewed.
const EXPIRY_MARGIN_MS: i64 = 30_000;

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("server_url", &self.server_url)
            .field("access_token", &"<hidden>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

/// Keys of the `meta` table.
pub(crate) mod keys {
    pub const DEVICE_ID: &str = "device_id";
    /// The account whose jobs this store holds; kept after sign-out.
    pub const OWNER: &str = "owner_user_id";
    pub const USER_ID: &str = "session.user_id";
    pub const USERNAME: &str = "session.username";
    pub const ROLE: &str = "session.role";
    pub const SERVER_URL: &str = "session.server_url";
    pub const ACCESS_TOKEN: &str = "session.access_token";
    pub const REFRESH_TOKEN: &str = "session.refresh_token";
    pub const ACCESS_EXPIRES_AT: &str = "session.access_expires_at";
    pub const SESSION: [&str; 7] = [
        USER_ID,
        USERNAME,
        ROLE,
        SERVER_URL,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        ACCESS_EXPIRES_AT,
    ];
    pub const CURSOR_EPOCH: &str = "cursor.epoch";
    pub const CURSOR_SEQ: &str = "cursor.seq";
    /// The last reference sequence applied (catalog, templates, van stock).
    pub const REFERENCE_SEQ: &str = "reference.seq";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_tokens() {
        let c = Credentials {
            server_url: "https://example.test".into(),
            access_token: "secret-access".into(),
            refresh_token: Some("secret-refresh".into()),
            access_expires_at: Some(1_000_000),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("example.test"));
    }
}
