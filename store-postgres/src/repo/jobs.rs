//! [`onsite_store::repo::Jobs`] on PostgreSQL.
