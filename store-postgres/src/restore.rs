//! After `pg_restore`: the restored database gets a new epoch and remembers the one its
//! dump was taken in, as the embedded database's `onsite restore` does. Devices, finding
//! their cursor from the old epoch, then repair what the dump lacks.

use postgres::NoTls;

use crate::error::PgError;
use crate::store::meta;

/// The epochs of a database just marked restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    /// The epoch the database now has.
    pub epoch: String,
    /// The epoch of the database the dump was taken from.
    pub restored_from: String,
}

/// Gives the database at `url` a new epoch and records the old one as `restored_from`.
/// Run it once after `pg_restore`, before any server starts on the database.
pub fn mark_restored(url: &str) -> Result<Marked, PgError> {
    mark_restored_at(&url.parse()?)
}

/// [`mark_restored`] with a parsed configuration.
pub fn mark_restored_at(config: &postgres::Config) -> Result<Marked, PgError> {
    let mut client = config.connect(NoTls)?;
    let mut tx = crate::backend::begin_write(&mut client)?;
    let old = meta(&mut tx, "epoch")?.ok_or(PgError::NoEpoch)?;
    let epoch = uuid::Uuid::new_v4().to_string();
    for (key, value) in [("epoch", &epoch), ("restored_from", &old)] {
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, value],
        )?;
    }
    tx.commit()?;
    Ok(Marked {
        epoch,
        restored_from: old,
    })
}
