//! # onsite-store-sqlite
//!
//! The server's embedded database: one SQLite file in the data directory, one writer and a
//! few read-only connections ([`db`]), the schema ladder ([`schema`]), the sync engine's
//! store ([`storage`]) with the query tables kept in the same transaction
//! ([`projection`]), the reference data ([`mod@reference`]), accounts and sessions, the
//! reports' SQL ([`reports`]) and online backups ([`backup`]). [`SqliteBackend`] is the
//! [`onsite_store::Backend`] over all of it.

pub mod accounts;
pub mod attempts;
pub mod backend;
pub mod backup;
pub mod db;
pub mod projection;
pub mod reference;
pub mod repo;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod storage;

pub use backend::SqliteBackend;
