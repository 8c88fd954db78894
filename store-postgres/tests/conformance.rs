//! The repositories' conformance suite on PostgreSQL: each test on a database of its own.

mod common;

use onsite_store_postgres::PgUnit;

/// One write unit on a new database (or nothing, said, without a PostgreSQL to run on).
#[allow(dead_code)] // until every area has tests
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
