//! [`onsite_store::repo::Reference`] on PostgreSQL.
