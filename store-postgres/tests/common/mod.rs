//! A database of its own for each test, on the server `ONSITE_TEST_DATABASE_URL` names.
//!
//! Without that variable the PostgreSQL tests say they did not run and pass, so that
//! `cargo test --workspace` works on a machine without PostgreSQL; under CI (`CI` set)
//! a missing database fails them instead.
#![allow(dead_code, clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use onsite_store::Live;
use onsite_store_postgres::PgDatabase;
use postgres::NoTls;

pub struct TestDb {
    admin: postgres::Config,
    pub config: postgres::Config,
    name: String,
}

impl TestDb {
    /// A new empty database, or `None` (after saying so) when no server is configured.
    pub fn create(test: &str) -> Option<TestDb> {
        let Ok(url) = std::env::var("ONSITE_TEST_DATABASE_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!("ONSITE_TEST_DATABASE_URL is not set: the PostgreSQL suites must run in CI");
            }
            // Written past the test harness's capture, so that a passing run still says it.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "{test}: the PostgreSQL suites did not run (set ONSITE_TEST_DATABASE_URL)"
            );
            return None;
        };
        let admin: postgres::Config = url.parse().unwrap();
        let name = format!("onsite_test_{}", uuid::Uuid::new_v4().simple());
        let mut client = admin.connect(NoTls).unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let mut config = admin.clone();
        config.dbname(&name);
        Some(TestDb {
            admin,
            config,
            name,
        })
    }

    /// One more server on this database: its own pool, listener and live channel.
    pub fn server(&self) -> PgDatabase {
        PgDatabase::open_config(self.config.clone(), 16, Live::default()).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // Best effort: a database left behind by a failed test is named as such. On a
        // thread of its own: the driver cannot block inside an async test's runtime.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = admin.connect(NoTls) {
                let _ =
                    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}
