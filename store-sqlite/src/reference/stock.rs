//! Van stock (车载库存) per technician, as counters that merge.
//!
//! A balance is never stored: it is Σ restocks (the `van_stock_ledger`, immutable rows
//! written by the back office) − Σ quantities of the parts lines the technician recorded
//! (the `job_parts` query table, written from the job documents). So using a part and the
//! job's parts line can never disagree, two offline devices' uses are two lines that both
//! count, and a refused line never took anything out. A balance below zero is shown and
//! flagged, never clamped.
//!
//! Devices are sent the balances that changed after their reference cursor. To find those
//! without computing every balance, each write that can move one (a restock, a change of a
//! technician's parts lines) stamps `van_stock_marks` with a new reference sequence, in the
//! same transaction.

use std::collections::{BTreeMap, BTreeSet};

use onsite_domain::{Job, StockLevel};
use onsite_store::RepoError;
use onsite_store::repo::reference::{Balance, Restock, RestockLine, StockFilter};
use rusqlite::{Connection, params};

use super::seq;
use crate::backend::db_err;

fn mark(conn: &Connection, user_id: &str, sku: &str, ref_seq: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO van_stock_marks (user_id, sku, ref_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id, sku) DO UPDATE SET ref_seq = excluded.ref_seq",
    )?
    .execute(params![user_id, sku, ref_seq])?;
    Ok(())
}

/// Marks every balance that exists (used once, when the tables are created).
pub fn mark_all(conn: &Connection) -> rusqlite::Result<()> {
    let pairs: Vec<(String, String)> = conn
        .prepare(
            "SELECT by_user, sku FROM job_parts UNION SELECT user_id, sku FROM van_stock_ledger",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if pairs.is_empty() {
        return Ok(());
    }
    let at = seq::bump(conn)?;
    for (user, sku) in pairs {
        mark(conn, &user, &sku, at)?;
    }
    Ok(())
}

/// Marks the balances that the job's new parts lines move, compared with its rows in
/// `job_parts`. Call before those rows are replaced, in the same transaction.
pub fn mark_parts_changes(conn: &Connection, doc_id: &str, job: &Job) -> rusqlite::Result<()> {
    type Line = (String, String, i64);
    let old: BTreeMap<String, Line> = conn
        .prepare_cached("SELECT line_id, by_user, sku, quantity FROM job_parts WHERE doc_id = ?1")?
        .query_map([doc_id], |r| {
            Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
        })?
        .collect::<Result<_, _>>()?;
    let new: BTreeMap<&String, Line> = job
        .parts
        .iter()
        .map(|(id, p)| (id, (p.by.clone(), p.sku.clone(), p.quantity)))
        .collect();
    let mut moved: BTreeSet<(String, String)> = BTreeSet::new();
    for (id, line) in &old {
        if new.get(id) != Some(line) {
            moved.insert((line.0.clone(), line.1.clone()));
        }
    }
    for (id, line) in &new {
        if old.get(*id) != Some(line) {
            moved.insert((line.0.clone(), line.1.clone()));
        }
    }
    if moved.is_empty() {
        // The common case: the change did not touch the parts lines.
        return Ok(());
    }
    let at = seq::bump(conn)?;
    for (user, sku) in moved {
        mark(conn, &user, &sku, at)?;
    }
    Ok(())
}

/// Records a restock of `user_id`'s van: one ledger row per line, all or nothing. Every
/// SKU must be an active catalog part and every quantity positive.
pub fn restock(
    conn: &mut Connection,
    user_id: &str,
    lines: &[RestockLine],
    note: &str,
    by: &str,
    at: i64,
) -> Result<Vec<i64>, RepoError> {
    let tx = conn.savepoint().map_err(db_err)?;
    let mut ids = Vec::with_capacity(lines.len());
    let ref_seq = seq::bump(&tx).map_err(db_err)?;
    for line in lines {
        if line.quantity <= 0 {
            return Err(RepoError::refused(
                "bad_quantity",
                "a restock quantity must be positive",
            ));
        }
        match super::catalog::get(&tx, &line.sku).map_err(db_err)? {
            Some(item) if item.active => {}
            Some(_) => {
                return Err(RepoError::refused(
                    "inactive_sku",
                    format!("part {} is no longer active in the catalog", line.sku),
                ));
            }
            None => {
                return Err(RepoError::refused(
                    "unknown_sku",
                    format!("no part {} in the catalog", line.sku),
                ));
            }
        }
        tx.prepare_cached(
            "INSERT INTO van_stock_ledger (user_id, sku, quantity, note, by_user, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut insert| {
            insert.execute(params![user_id, line.sku, line.quantity, note, by, at])
        })
        .map_err(db_err)?;
        ids.push(tx.last_insert_rowid());
        mark(&tx, user_id, &line.sku, ref_seq).map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(ids)
}

/// Balances of technicians (every part they were restocked with or used), by technician
/// name, then SKU.
pub fn balances(conn: &Connection, filter: &StockFilter) -> rusqlite::Result<Vec<Balance>> {
    let mut stmt = conn.prepare_cached(
        "WITH restocked AS (
             SELECT user_id, sku, SUM(quantity) AS q FROM van_stock_ledger
              WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR sku = ?2)
              GROUP BY user_id, sku),
         used AS (
             SELECT by_user AS user_id, sku, SUM(quantity) AS q FROM job_parts
              WHERE (?1 IS NULL OR by_user = ?1) AND (?2 IS NULL OR sku = ?2)
              GROUP BY by_user, sku),
         pairs AS (SELECT user_id, sku FROM restocked UNION SELECT user_id, sku FROM used)
         SELECT u.id, u.display_name, p.sku, COALESCE(c.name, ''),
                COALESCE(r.q, 0), COALESCE(x.q, 0), COALESCE(r.q, 0) - COALESCE(x.q, 0) AS balance
           FROM pairs p
           JOIN users u ON u.id = p.user_id AND u.role = 'technician'
           LEFT JOIN restocked r ON r.user_id = p.user_id AND r.sku = p.sku
           LEFT JOIN used x ON x.user_id = p.user_id AND x.sku = p.sku
           LEFT JOIN parts_catalog c ON c.sku = p.sku
          WHERE ?3 IS NULL OR (balance < 0) = ?3
          ORDER BY u.display_name, u.id, p.sku",
    )?;
    let rows = stmt.query_map(
        params![filter.technician, filter.sku, filter.negative],
        |r| {
            let balance: i64 = r.get(6)?;
            Ok(Balance {
                technician_id: r.get(0)?,
                technician_name: r.get(1)?,
                sku: r.get(2)?,
                name: r.get(3)?,
                restocked: r.get(4)?,
                used: r.get(5)?,
                balance,
                negative: balance < 0,
            })
        },
    )?;
    rows.collect()
}

/// The balances of `user_id` marked after reference sequence `after` and at or before
/// `head`, for the sync: what the device's copy lacks.
pub fn changed_since(
    conn: &Connection,
    user_id: &str,
    after: i64,
    head: i64,
) -> rusqlite::Result<Vec<StockLevel>> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.sku,
                COALESCE((SELECT SUM(quantity) FROM van_stock_ledger l
                           WHERE l.user_id = m.user_id AND l.sku = m.sku), 0)
              - COALESCE((SELECT SUM(quantity) FROM job_parts p
                           WHERE p.by_user = m.user_id AND p.sku = m.sku), 0)
           FROM van_stock_marks m
          WHERE m.user_id = ?1 AND m.ref_seq > ?2 AND m.ref_seq <= ?3
          ORDER BY m.sku",
    )?;
    let rows = stmt.query_map(params![user_id, after, head], |r| {
        Ok(StockLevel {
            sku: r.get(0)?,
            balance: r.get(1)?,
        })
    })?;
    rows.collect()
}

/// The latest restocks of a technician, newest first.
pub fn restocks(conn: &Connection, user_id: &str, limit: u32) -> rusqlite::Result<Vec<Restock>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, sku, quantity, note, by_user, at FROM van_stock_ledger
          WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![user_id, limit], |r| {
        Ok(Restock {
            id: r.get(0)?,
            sku: r.get(1)?,
            quantity: r.get(2)?,
            note: r.get(3)?,
            by: r.get(4)?,
            at: r.get(5)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use onsite_domain::{Job, PartLine};

    use super::*;
    use crate::reference::catalog;

    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for (id, name, role) in [
            ("wang", "Wang", "technician"),
            ("li", "Li", "technician"),
            ("office", "Office", "back_office"),
        ] {
            conn.execute(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at)
                 VALUES (?1, ?1, ?2, ?3, '', 0)",
                params![id, name, role],
            )
            .unwrap();
        }
        for sku in ["RLY-12", "FUSE-3A", "OLD-1"] {
            catalog::create(
                &mut conn,
                &onsite_domain::CatalogItem {
                    sku: sku.into(),
                    name: format!("part {sku}"),
                    unit_price_cents: 100,
                    billable: true,
                    active: sku != "OLD-1",
                },
                0,
            )
            .unwrap();
        }
        conn
    }

    fn line(id: &str, sku: &str, quantity: i64, by: &str) -> PartLine {
        PartLine {
            id: id.into(),
            sku: sku.into(),
            name: String::new(),
            quantity,
            unit_price_cents: 0,
            billable: false,
            serials_removed: vec![],
            serials_installed: vec![],
            at: 0,
            by: by.into(),
        }
    }

    /// Writes a job's parts lines through the projection, as an accepted change does.
    fn store_job(conn: &Connection, doc: &str, lines: &[PartLine]) {
        let job = Job {
            id: doc.into(),
            parts: lines.iter().map(|l| (l.id.clone(), l.clone())).collect(),
            ..Job::default()
        };
        crate::projection::upsert_job(conn, doc, &job, 1).unwrap();
    }

    fn restock_one(conn: &mut Connection, user: &str, sku: &str, quantity: i64) {
        let lines = [RestockLine {
            sku: sku.into(),
            quantity,
        }];
        restock(conn, user, &lines, "", "office", 0).unwrap();
    }

    fn balance_of(conn: &Connection, user: &str, sku: &str) -> Option<(i64, bool)> {
        let filter = StockFilter {
            technician: Some(user.into()),
            sku: Some(sku.into()),
            negative: None,
        };
        balances(conn, &filter)
            .unwrap()
            .first()
            .map(|b| (b.balance, b.negative))
    }

    #[test]
    fn balance_is_restocks_minus_the_technicians_own_lines_and_goes_negative() {
        let mut conn = db();
        restock_one(&mut conn, "wang", "RLY-12", 4);
        assert_eq!(balance_of(&conn, "wang", "RLY-12"), Some((4, false)));
        // Two devices used 3 each while offline: two lines, on two jobs; both count.
        store_job(&conn, "job-a", &[line("a1", "RLY-12", 3, "wang")]);
        store_job(&conn, "job-b", &[line("b1", "RLY-12", 3, "wang")]);
        assert_eq!(balance_of(&conn, "wang", "RLY-12"), Some((-2, true)));
        // Li's use and the back office's line do not touch Wang's van.
        store_job(
            &conn,
            "job-c",
            &[
                line("c1", "RLY-12", 5, "li"),
                line("c2", "RLY-12", 1, "office"),
            ],
        );
        assert_eq!(balance_of(&conn, "wang", "RLY-12"), Some((-2, true)));
        assert_eq!(balance_of(&conn, "li", "RLY-12"), Some((-5, true)));
        // A part used without a restock, outside the catalog, still shows.
        store_job(
            &conn,
            "job-a",
            &[
                line("a1", "RLY-12", 3, "wang"),
                line("a2", "FREE-9", 1, "wang"),
            ],
        );
        let all = balances(&conn, &StockFilter::default()).unwrap();
        let shown: Vec<(&str, &str, i64, &str)> = all
            .iter()
            .map(|b| {
                (
                    b.technician_name.as_str(),
                    b.sku.as_str(),
                    b.balance,
                    b.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("Li", "RLY-12", -5, "part RLY-12"),
                ("Wang", "FREE-9", -1, ""),
                ("Wang", "RLY-12", -2, "part RLY-12"),
            ],
            "technicians only (not the back office), by name then SKU"
        );
        let negative_only = StockFilter {
            negative: Some(false),
            ..StockFilter::default()
        };
        assert!(balances(&conn, &negative_only).unwrap().is_empty());
        // A restock brings it back; a removed line gives its quantity back.
        restock_one(&mut conn, "wang", "RLY-12", 10);
        store_job(&conn, "job-b", &[]);
        assert_eq!(balance_of(&conn, "wang", "RLY-12"), Some((11, false)));
        let wang = balances(
            &conn,
            &StockFilter {
                technician: Some("wang".into()),
                sku: Some("RLY-12".into()),
                negative: None,
            },
        )
        .unwrap();
        assert_eq!((wang[0].restocked, wang[0].used), (14, 3));
    }

    #[test]
    fn only_changed_balances_are_marked_for_the_sync() {
        let mut conn = db();
        let start = seq::head(&conn).unwrap();
        restock_one(&mut conn, "wang", "RLY-12", 4);
        restock_one(&mut conn, "li", "FUSE-3A", 2);
        let after_restocks = seq::head(&conn).unwrap();
        let since = |conn: &Connection, user: &str, after: i64| {
            changed_since(conn, user, after, seq::head(conn).unwrap()).unwrap()
        };
        assert_eq!(
            since(&conn, "wang", start),
            [StockLevel {
                sku: "RLY-12".into(),
                balance: 4
            }]
        );
        store_job(&conn, "job-a", &[line("a1", "RLY-12", 1, "wang")]);
        let after_use = seq::head(&conn).unwrap();
        assert!(after_use > after_restocks);
        assert_eq!(since(&conn, "wang", after_restocks)[0].balance, 3);
        assert!(since(&conn, "li", after_restocks).is_empty());
        // A change of the job that leaves its parts lines alone moves nothing.
        let mut job = Job {
            id: "job-a".into(),
            parts: [("a1".to_string(), line("a1", "RLY-12", 1, "wang"))].into(),
            ..Job::default()
        };
        job.labour_minutes = 40;
        crate::projection::upsert_job(&conn, "job-a", &job, 2).unwrap();
        assert_eq!(seq::head(&conn).unwrap(), after_use);
        assert!(since(&conn, "wang", after_use).is_empty());
        // A changed quantity is a change.
        store_job(&conn, "job-a", &[line("a1", "RLY-12", 2, "wang")]);
        assert_eq!(since(&conn, "wang", after_use)[0].balance, 2);
        // Reads stop at the head they are given.
        assert!(
            changed_since(&conn, "wang", start, start)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_bad_restock_line_writes_nothing() {
        let mut conn = db();
        let head = seq::head(&conn).unwrap();
        let lines = |sku: &str, quantity: i64| {
            vec![
                RestockLine {
                    sku: "RLY-12".into(),
                    quantity: 2,
                },
                RestockLine {
                    sku: sku.into(),
                    quantity,
                },
            ]
        };
        for (sku, quantity, code) in [
            ("NOPE", 1, "unknown_sku"),
            ("OLD-1", 1, "inactive_sku"),
            ("FUSE-3A", -1, "bad_quantity"),
            ("FUSE-3A", 0, "bad_quantity"),
        ] {
            match restock(&mut conn, "wang", &lines(sku, quantity), "", "office", 0) {
                Err(RepoError::Refused(r)) => assert_eq!(r.code, code),
                other => panic!("{sku} {quantity}: {other:?}"),
            }
        }
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM van_stock_ledger", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
        assert_eq!(seq::head(&conn).unwrap(), head);
    }
}
