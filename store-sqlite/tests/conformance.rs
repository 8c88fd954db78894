//! The backend conformance suite on SQLite: each test on a new database file of its own.

use std::sync::Arc;

use onsite_store::Backend;
use onsite_store_sqlite::SqliteBackend;

async fn fresh() -> (Arc<dyn Backend>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let backend = SqliteBackend::open(dir.path()).expect("a new SQLite database");
    (Arc::new(backend), dir)
}

onsite_store::backend_conformance_tests!(fresh());
