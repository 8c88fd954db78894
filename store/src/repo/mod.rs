//! The typed repositories a [`Unit`](crate::Unit) offers beside the sync engine's store,
//! one trait per area of the back office.

pub mod accounts;
pub mod audit;
pub mod jobs;
pub mod reference;
pub mod reports;

pub use accounts::Accounts;
pub use audit::Audit;
pub use jobs::Jobs;
pub use reference::Reference;
pub use reports::Reports;
