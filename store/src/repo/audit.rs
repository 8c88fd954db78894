//! The audit log: who signed in (or failed to) and what administrators did to accounts and
//! devices, in the order it happened. Entries are only ever added; they name accounts by
//! id and user name as text, so that they outlive the accounts they mention.

use serde::Serialize;

use crate::StoreError;

/// What an entry records. The codes are stable: integrations filter on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// A sign-in that gave tokens (to a phone or a browser).
    SignIn,
    /// A sign-in refused: wrong password, unknown or disabled account, revoked device, or
    /// too many attempts (`detail.reason`).
    SignInRefused,
    AccountCreated,
    /// A display name or role changed (`detail` has the new values).
    AccountUpdated,
    AccountDisabled,
    AccountEnabled,
    PasswordReset,
    AccountDeleted,
    /// A device revoked, with or without a remote wipe (`detail.wipe`).
    DeviceRevoked,
}

impl AuditAction {
    pub const ALL: [AuditAction; 9] = [
        AuditAction::SignIn,
        AuditAction::SignInRefused,
        AuditAction::AccountCreated,
        AuditAction::AccountUpdated,
        AuditAction::AccountDisabled,
        AuditAction::AccountEnabled,
        AuditAction::PasswordReset,
        AuditAction::AccountDeleted,
        AuditAction::DeviceRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SignIn => "sign_in",
            AuditAction::SignInRefused => "sign_in_refused",
            AuditAction::AccountCreated => "account_created",
            AuditAction::AccountUpdated => "account_updated",
            AuditAction::AccountDisabled => "account_disabled",
            AuditAction::AccountEnabled => "account_enabled",
            AuditAction::PasswordReset => "password_reset",
            AuditAction::AccountDeleted => "account_deleted",
            AuditAction::DeviceRevoked => "device_revoked",
        }
    }

    pub fn parse(code: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == code)
    }
}

/// An entry to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub action: AuditAction,
    /// The account that acted; `None` for a sign-in under an unknown user name, or the
    /// `onsite` command line.
    pub actor_id: Option<String>,
    /// The user name that acted (as typed, for a refused sign-in), or `onsite admin` for
    /// the command line.
    pub actor: String,
    /// The account acted on.
    pub target_id: Option<String>,
    pub device_id: Option<String>,
    /// The client's address, as the sign-in limits see it.
    pub address: Option<String>,
    /// More about it, a JSON object (never a password).
    pub detail: serde_json::Value,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Its place in the log: increasing, a cursor for the next page.
    pub seq: i64,
    /// When, in ms since the Unix epoch (the server's clock).
    pub at: i64,
    pub action: AuditAction,
    pub actor_id: Option<String>,
    pub actor: String,
    pub target_id: Option<String>,
    pub device_id: Option<String>,
    pub address: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

/// Which entries to read: those after `after`, oldest first, at most `limit`, optionally
/// only of one account (as actor or target) or one action.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub after: i64,
    pub limit: u32,
    pub account_id: Option<String>,
    pub action: Option<AuditAction>,
}

pub trait Audit {
    /// Adds an entry at `at_ms`, in the unit of work of what it records.
    fn record_audit(&mut self, event: &AuditEvent, at_ms: i64) -> Result<(), StoreError>;

    /// The entries `query` asks for.
    fn audit_log(&mut self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;
}
