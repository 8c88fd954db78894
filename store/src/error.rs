//! Errors every backend speaks: what went wrong, without the driver's types.

/// A failure of the storage, not of the request: the API answers it as a 500 and logs it.
/// Refusals that depend on the request (unknown ids, names taken) are values of the
/// repositories' own result types, never a `StoreError`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed the statement; the message is the driver's.
    #[error("database error: {0}")]
    Database(String),
    /// A stored document does not load.
    #[error("stored document {0} is unreadable: {1}")]
    Corrupt(String, String),
    /// The database was never initialised (no epoch).
    #[error("the server has no epoch; the database was not initialised")]
    NoEpoch,
    /// The work panicked; its transaction was rolled back and the backend kept serving.
    #[error("the database task panicked: {0}")]
    Panicked(String),
    /// The database cannot be opened or reached.
    #[error("{0}")]
    Unavailable(String),
}

/// A request refused for what it refers to (an unknown id, a name already taken, a rule of
/// the reference data): the API answers it as a 4xx with this code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub code: &'static str,
    pub message: String,
}

impl Refused {
    pub fn new(code: &'static str, message: impl Into<String>) -> Refused {
        Refused {
            code,
            message: message.into(),
        }
    }
}

/// What a repository method fails with: a refusal of the request, or the storage failing.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RepoError {
    pub fn refused(code: &'static str, message: impl Into<String>) -> RepoError {
        RepoError::Refused(Refused::new(code, message))
    }
}
