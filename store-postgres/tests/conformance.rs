//! The repositories' conformance suite on PostgreSQL: each test on a database of its own.

mod common;

use std::sync::Arc;

use onsite_store::Backend;
use onsite_store_postgres::PgUnit;

/// A server on a new database, as the seam sees it (or nothing, said, without PostgreSQL).
async fn fresh() -> Option<(Arc<dyn Backend>, common::TestDb)> {
    // The driver blocks on a runtime of its own: off the test's.
    tokio::task::spawn_blocking(|| {
        let db = common::TestDb::create("backend conformance")?;
        let server: Arc<dyn Backend> = Arc::new(db.server());
        Some((server, db))
    })
    .await
    .expect("opening the test database")
}

onsite_store::backend_conformance_tests!(fresh());

/// One write unit on a new database (or nothing, said, without a PostgreSQL to run on).
fn in_unit(f: impl FnOnce(&mut PgUnit<'_, '_>)) {
    let Some(db) = common::TestDb::create("conformance") else {
        return;
    };
    db.server()
        .write_unit(|unit| {
            f(unit);
            Ok(())
        })
        .expect("the unit of work");
}

onsite_store::unit_conformance_tests!(in_unit);
