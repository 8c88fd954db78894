//! [`onsite_store::repo::Jobs`] on SQLite.

use crate::backend::SqliteUnit;

impl onsite_store::repo::Jobs for SqliteUnit<'_> {}
