//! Back-office work on jobs: create, edit, assign, review, classify, cancel, callback; the job list and detail; quarantined jobs.

/// Back-office work on jobs: create, edit, assign, review, classify, cancel, callback; the job list and detail; quarantined jobs.
pub trait Jobs {}
