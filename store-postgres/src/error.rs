//! What goes wrong on PostgreSQL, and how the seam hears it.

use onsite_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("database error: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("cannot connect to the database: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("stored document {0} is unreadable: {1}")]
    Corrupt(String, String),
    #[error("the server has no epoch; the database was not initialised")]
    NoEpoch,
    #[error(
        "the database has schema version {found}; this server knows up to {known}: upgrade the server"
    )]
    TooNew { found: i64, known: i64 },
}

impl From<PgError> for StoreError {
    fn from(e: PgError) -> StoreError {
        match e {
            PgError::Postgres(e) => StoreError::Database(crate::unit::describe(&e)),
            PgError::Pool(e) => StoreError::Unavailable(format!("cannot reach the database: {e}")),
            PgError::Corrupt(id, why) => StoreError::Corrupt(id, why),
            PgError::NoEpoch => StoreError::NoEpoch,
            e @ PgError::TooNew { .. } => StoreError::Unavailable(e.to_string()),
        }
    }
}
