//! [`onsite_store::repo::Reports`] on SQLite.

use crate::backend::SqliteUnit;

impl onsite_store::repo::Reports for SqliteUnit<'_> {}
