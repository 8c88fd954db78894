//! # onsite-store
//!
//! The seam between the HTTP server and the database it runs on. The server holds an
//! `Arc<dyn Backend>` and never sees SQL: a [`Backend`] runs units of work on its own
//! threads, and a [`Unit`] is what the work sees — the sync engine's
//! [`ServerStore`](onsite_sync::server::ServerStore) plus the typed repositories of the
//! back office. Backends live in crates of their own (`onsite-store-sqlite`, the default),
//! and every one of them passes the same conformance suite.
//!
//! What a backend must not decide: the domain rules. Whatever it stores about a job
//! (corrective actions, completion time, flags) comes from `onsite-domain`, computed from
//! the job; the backend keeps the result and answers queries over it.

pub mod backend;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod error;
pub mod notice;
pub mod repo;
pub mod report;

pub use backend::{Access, Backend, Finish, Unit, Work};
pub use error::{Refused, RepoError, StoreError};
pub use notice::{Listener, Live, Notice};
