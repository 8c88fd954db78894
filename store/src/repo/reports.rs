//! The read models of the reports: satisfaction, service levels, parts, corrective actions, callbacks, routine surveys.

/// The read models of the reports: satisfaction, service levels, parts, corrective actions, callbacks, routine surveys.
pub trait Reports {}
