//! # onsite-store-postgres
//!
//! The server's database for more than one server: several `onsite serve` processes on
//! one PostgreSQL. [`PgDatabase`] holds a pool of connections; write units are
//! transactions that hold one advisory lock until they commit, which keeps the feed
//! gap-free across servers ([`backend`] says why); live notices travel by LISTEN/NOTIFY
//! to every server.
//!
//! What is here: the schema ([`schema`]), the sync engine's store ([`store`]) with the
//! query tables ([`projection`]) and the reference reads ([`mod@reference`]), the
//! back-office repositories ([`repo`]) on one transaction ([`PgUnit`]), and
//! [`restore::mark_restored`] for a database brought back with `pg_restore`.
//! `PgDatabase` is an `onsite_store::Backend`; it passes the same conformance suite as the
//! embedded database.

pub mod backend;
pub mod error;
pub mod projection;
pub mod reference;
pub mod repo;
pub mod restore;
pub mod schema;
mod seam;
pub mod store;
pub mod unit;

pub use backend::PgDatabase;
pub use error::PgError;
pub use store::PgStore;
pub use unit::PgUnit;
