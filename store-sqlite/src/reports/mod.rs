//! Back-office reports and lists, computed in SQL over the query tables (never by loading
//! documents).

pub mod callback;
pub mod corrective;
pub mod parts;
pub mod review;
pub mod routine;
pub mod satisfaction;
pub mod service_levels;

pub use onsite_store::report::*;
