//! Which database the end-to-end servers run on, chosen for the whole test run:
//! `ONSITE_TEST_BACKEND=postgres` (with `ONSITE_TEST_DATABASE_URL`, a server on which each
//! test server gets a database of its own) or SQLite in the server's data directory (the
//! default). The same tests run on both; the few that are about the SQLite file itself
//! (corrupting it, `onsite backup`) say so with [`sqlite_only`](crate::sqlite_only).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use postgres::NoTls;

/// The database of one test server.
pub enum TestDatabase {
    /// `onsite.sqlite` in the data directory.
    Sqlite,
    /// A database made for this server on the PostgreSQL of the run; dropped with it.
    Postgres {
        admin: Box<postgres::Config>,
        name: String,
        url: String,
    },
}

/// Whether this run's servers use PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("ONSITE_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

/// Says, past the test harness's capture, that a test did not run on this backend and why.
pub fn not_on_this_backend(test: &str, why: &str) {
    let (runs_on, not_on) = if on_postgres() {
        ("SQLite", "PostgreSQL")
    } else {
        ("PostgreSQL", "SQLite")
    };
    let _ = writeln!(
        std::io::stderr(),
        "{test}: runs on {runs_on} only ({why}); not run on {not_on}"
    );
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TestDatabase::Sqlite => f.write_str("TestDatabase::Sqlite"),
            // Not the URL: it may hold a password.
            TestDatabase::Postgres { name, .. } => write!(f, "TestDatabase::Postgres({name})"),
        }
    }
}

impl TestDatabase {
    /// The database for a new test server of this run.
    pub fn create() -> anyhow::Result<TestDatabase> {
        if !on_postgres() {
            return Ok(TestDatabase::Sqlite);
        }
        let Ok(url) = std::env::var("ONSITE_TEST_DATABASE_URL") else {
            bail!("ONSITE_TEST_BACKEND=postgres needs ONSITE_TEST_DATABASE_URL");
        };
        let admin: postgres::Config = url.parse().context("ONSITE_TEST_DATABASE_URL")?;
        let name = format!("onsite_e2e_{}", uuid::Uuid::new_v4().simple());
        let quoted = name.clone();
        let admin_for_create = admin.clone();
        // The driver blocks on a runtime of its own: off the test's runtime.
        std::thread::spawn(move || -> anyhow::Result<()> {
            let mut client = admin_for_create.connect(NoTls)?;
            client.batch_execute(&format!("CREATE DATABASE {quoted}"))?;
            Ok(())
        })
        .join()
        .map_err(|_| anyhow::anyhow!("creating the test database panicked"))??;
        let url = database_url(&url, &name);
        Ok(TestDatabase::Postgres {
            admin: Box::new(admin),
            name,
            url,
        })
    }

    /// The URL for `Config::database`, or `None` for SQLite.
    pub fn url(&self) -> Option<String> {
        match self {
            TestDatabase::Sqlite => None,
            TestDatabase::Postgres { url, .. } => Some(url.clone()),
        }
    }

    /// Every row of every table but [`RECORDS_OF_REQUESTS`], for "this request changed nothing" comparisons.
    pub fn dump(&self, data_dir: &Path) -> anyhow::Result<Vec<String>> {
        match self {
            TestDatabase::Sqlite => {
                crate::sqlite_file::dump_database(&crate::sqlite_file::path(data_dir))
            }
            TestDatabase::Postgres { url, .. } => {
                let url = url.clone();
                std::thread::spawn(move || dump_postgres(&url))
                    .join()
                    .map_err(|_| anyhow::anyhow!("the dump panicked"))?
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin, name, .. } = self {
            let admin = (**admin).clone();
            let name = name.clone();
            // Best effort; FORCE ends the connections of a server still shutting down.
            let _ = std::thread::spawn(move || {
                if let Ok(mut client) = admin.connect(NoTls) {
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            })
            .join();
        }
    }
}

/// `url` with its database name replaced by `name`.
fn database_url(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    // postgres://user@host:port/db — the database is what follows the last '/' after the
    // authority.
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The tables the dumps leave out, records of requests rather than data: every sign-in
/// attempt is counted for a minute, and the audit log notes refused sign-ins too, so "the
/// request changed nothing" is about everything else.
pub const RECORDS_OF_REQUESTS: &[&str] = &["login_attempts", "audit_log"];

fn dump_postgres(url: &str) -> anyhow::Result<Vec<String>> {
    let mut client = postgres::Client::connect(url, NoTls)?;
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables
              WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
                AND NOT (table_name = ANY($1)) ORDER BY 1",
            &[&RECORDS_OF_REQUESTS],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut out = Vec::new();
    for table in tables {
        // Table names come from the catalog, quoted as identifiers.
        let rows = client.query(
            &format!("SELECT t::text FROM \"{table}\" t ORDER BY 1"),
            &[],
        )?;
        for row in rows {
            let text: String = row.get(0);
            out.push(format!("{table}: {text}"));
        }
    }
    Ok(out)
}

/// Runs `work` with a connection of its own to a PostgreSQL database, off the test's
/// runtime (the driver blocks on a runtime of its own).
pub fn with_postgres<T: Send + 'static>(
    url: &str,
    work: impl FnOnce(&mut postgres::Client) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let url = url.to_string();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, NoTls)?;
        work(&mut client)
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the database work panicked"))?
}

/// Returns from the test when the run is on PostgreSQL, saying so: for tests about the
/// SQLite file itself.
#[macro_export]
macro_rules! sqlite_only {
    ($why:expr) => {
        if $crate::database::on_postgres() {
            $crate::database::not_on_this_backend(module_path!(), $why);
            return;
        }
    };
}

/// Returns from the test when the run is on SQLite, saying so: for tests of several
/// servers on one database, which SQLite does not serve.
#[macro_export]
macro_rules! postgres_only {
    ($why:expr) => {
        if !$crate::database::on_postgres() {
            $crate::database::not_on_this_backend(module_path!(), $why);
            return;
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced_in_the_url() {
        assert_eq!(
            super::database_url("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::database_url("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            super::database_url("postgres://h:1", "x"),
            "postgres://h:1/x"
        );
    }
}
