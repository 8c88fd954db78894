//! Reference data the server owns: the customer and product registries, the parts
//! catalog, versioned form templates and the van stock of each technician.
//!
//! Devices hold the catalog, the templates and their own van stock read-only, and receive
//! them in the sync exchange: every write of those bumps the reference sequence
//! ([`seq`]) in the same transaction and stamps what it wrote, and [`delta`] reads what
//! changed after a device's reference cursor. Customers and products are not synced: a
//! job copies its customer and product into its own document when it is created, which is
//! how they reach the technician.

pub mod catalog;
pub mod delta;
pub mod registry;
pub mod seq;
pub mod stock;
pub mod templates;

pub use onsite_store::repo::reference::like_pattern;
