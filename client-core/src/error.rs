//! Errors, in two tiers: [`Error`] says exactly what failed (with its source), and
//! [`ErrorKind`] is the small stable classification an app branches on.
//!
//! No message carries a password or a token; none names customer data.

use onsite_domain::{DocError, Refusal};
use onsite_sync::client::SyncError;

/// What went wrong, with its source.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's input is not acceptable; nothing was changed.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("{what} {id} not found on this device")]
    NotFound { what: &'static str, id: String },
    /// The write policy forbids the change; nothing was changed.
    #[error("not allowed: {0}")]
    Refused(#[from] Refusal),
    /// No session, or the server no longer accepts it. Local work is kept.
    #[error("sign in needed: {0}")]
    SignInNeeded(String),
    /// An administrator revoked this device and asked for its data to be erased. The
    /// server took what it would accept of the outbox first; then everything of the
    /// account on this device was erased (jobs, outbox, conflict log, session, cursor).
    #[error("this device was revoked and its data erased: {0}")]
    DeviceWiped(String),
    /// The server could not be reached, or the connection broke before an answer.
    /// The message names the cause under reqwest's own (an untrusted certificate, a
    /// refused connection), which is what a user or support can act on.
    #[error("the server cannot be reached: {}", causes(.0))]
    Network(#[source] reqwest::Error),
    /// The server answered with an error, or with something this client cannot read.
    #[error("the server answered {code}: {message}")]
    Server { code: String, message: String },
    #[error("local database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error(
        "the local database has schema version {found}, newer than this software supports ({supported})"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("cannot use the data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("job document: {0}")]
    Document(#[source] Box<DocError>),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The stable kind of an [`Error`], for apps and the FFI layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// Fix the input and try again.
    InvalidInput,
    /// The job (or form, …) is not on this device.
    NotFound,
    /// The write policy forbids it; `code` is the policy's stable code (e.g. `not_assigned`).
    Refused { code: String },
    /// Show the sign-in screen; unsynced work stays on the device.
    SignInNeeded,
    /// An administrator revoked this device: its data is erased and it is signed out.
    /// Tell the user, then show the sign-in screen. The same account cannot sign in on
    /// this device again (the server answers `device_revoked`).
    DeviceWiped,
    /// Offline or the server is unreachable: try again later.
    Network,
    /// The server answered an error.
    Server { code: String, message: String },
    /// The local database failed or holds something unreadable.
    Storage,
    /// A bug.
    Internal,
}

/// `e` and its sources, `: `-separated.
fn causes(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Refused(refusal) => ErrorKind::Refused {
                code: refusal.code.to_string(),
            },
            Error::SignInNeeded(_) => ErrorKind::SignInNeeded,
            Error::DeviceWiped(_) => ErrorKind::DeviceWiped,
            Error::Network(_) => ErrorKind::Network,
            Error::Server { code, message } => ErrorKind::Server {
                code: code.clone(),
                message: message.clone(),
            },
            Error::Database(_) | Error::SchemaTooNew { .. } | Error::Io(_) => ErrorKind::Storage,
            Error::Document(e) => match e.as_ref() {
                DocError::Automerge(_) | DocError::Hydrate(_) | DocError::TooNew(_) => {
                    ErrorKind::Storage
                }
                DocError::Reconcile(_) | DocError::Empty => ErrorKind::Internal,
            },
            Error::Internal(_) => ErrorKind::Internal,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::InvalidInput(message.into())
    }

    pub(crate) fn job_not_found(id: &str) -> Error {
        Error::NotFound {
            what: "job",
            id: id.to_string(),
        }
    }

    pub(crate) fn bad_response(message: impl Into<String>) -> Error {
        Error::Server {
            code: "bad_response".into(),
            message: message.into(),
        }
    }
}

impl From<DocError> for Error {
    fn from(e: DocError) -> Self {
        Error::Document(Box::new(e))
    }
}

impl From<SyncError<Error>> for Error {
    fn from(e: SyncError<Error>) -> Self {
        match e {
            SyncError::Store(e) => e,
            SyncError::Server { code, message } => Error::Server { code, message },
            SyncError::Protocol(message) => Error::bad_response(message),
            e @ SyncError::RepairStuck { .. } => Error::Internal(e.to_string()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_stable() {
        let refused = Error::from(Refusal {
            code: "not_assigned",
            message: "this job is not assigned to you".into(),
        });
        assert_eq!(
            refused.kind(),
            ErrorKind::Refused {
                code: "not_assigned".into()
            }
        );
        assert_eq!(Error::job_not_found("x").kind(), ErrorKind::NotFound);
        let server: Error = SyncError::<Error>::Server {
            code: "forbidden".into(),
            message: "no".into(),
        }
        .into();
        assert_eq!(
            server.kind(),
            ErrorKind::Server {
                code: "forbidden".into(),
                message: "no".into()
            }
        );
        let store: Error = SyncError::Store(Error::invalid("x")).into();
        assert_eq!(store.kind(), ErrorKind::InvalidInput);
    }
}
