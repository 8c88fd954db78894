//! [`onsite_store::repo::Reports`] on PostgreSQL.
