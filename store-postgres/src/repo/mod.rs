//! The repositories of [`onsite_store::repo`] on PostgreSQL.

pub mod accounts;
pub mod audit;
pub mod jobs;
pub mod reference;
pub mod reports;
