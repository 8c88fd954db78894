//! [`onsite_store::repo::Accounts`] on PostgreSQL.
