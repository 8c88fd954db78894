//! The backend conformance suite on SQLite: each test on a new database file of its own.

use std::sync::Arc;

use onsite_store::Backend;
use onsite_store_sqlite::SqliteBackend;

async fn fresh() -> Option<(Arc<dyn Backend>, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let backend = SqliteBackend::open(dir.path(), 4).expect("a new SQLite database");
    Some((Arc::new(backend), dir))
}

onsite_store::backend_conformance_tests!(fresh());

/// One write unit on a new database.
fn in_unit(f: impl FnOnce(&mut dyn onsite_store::Unit) + Send + 'static) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let Some((backend, _dir)) = fresh().await else {
            return;
        };
        backend
            .write(move |unit| {
                f(unit);
                Ok::<_, onsite_store::StoreError>(())
            })
            .await
            .expect("the unit of work");
    });
}

onsite_store::unit_conformance_tests!(in_unit);
