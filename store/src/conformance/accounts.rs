//! The accounts repository's contract, as tests over one unit of work: generic functions that
//! each backend runs on its own unit type with [`crate::unit_conformance_tests!`].
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)] // Test code: a failed unwrap is a failed test.

/// The tests of this file, for [`crate::unit_conformance_tests!`].
#[macro_export]
#[doc(hidden)]
macro_rules! accounts_unit_tests {
    ($run:path) => {
        $crate::unit_conformance_tests!(@tests $run; accounts;);
    };
}
