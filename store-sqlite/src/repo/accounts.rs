//! [`onsite_store::repo::Accounts`] on SQLite.

use crate::backend::SqliteUnit;

impl onsite_store::repo::Accounts for SqliteUnit<'_> {}
