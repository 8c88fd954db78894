//! The customer and product registries, the parts catalog, form templates and van stock.

/// The customer and product registries, the parts catalog, form templates and van stock.
pub trait Reference {}
