//! [`onsite_store::repo::Reference`] on SQLite.

use crate::backend::SqliteUnit;

impl onsite_store::repo::Reference for SqliteUnit<'_> {}
