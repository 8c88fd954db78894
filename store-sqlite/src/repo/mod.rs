//! The repositories of [`onsite_store::repo`] on SQLite, over the modules of this crate.

pub mod accounts;
pub mod audit;
pub mod jobs;
pub mod reference;
pub mod reports;
